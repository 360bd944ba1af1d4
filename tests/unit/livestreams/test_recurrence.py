"""RFC 5545 expansion on Vietnam's wall clock (no daylight saving) and its limits."""
import datetime as dt

import pytest

from marketplace.livestreams.recurrence import RecurrenceError, expand, to_local, to_utc


def test_every_friday_for_eight_weeks_stays_at_19_vietnam_time_all_year():
    # 2025-10-24 is a Friday; the span crosses the dates Europe and the US change their clocks.
    starts = expand(rule="FREQ=WEEKLY;BYDAY=FR;COUNT=8", first_start_local=dt.datetime(2025, 10, 24, 19, 0), limit=500)
    assert len(starts) == 8
    assert all(s.weekday() == 4 and (s.hour, s.minute) == (19, 0) for s in starts)
    utc = [to_utc(s) for s in starts]
    assert all((u.hour, u.minute) == (12, 0) for u in utc)  # UTC+7 the whole year
    assert [u - utc[0] for u in utc] == [dt.timedelta(weeks=n) for n in range(8)]
    assert to_local(utc[-1]).hour == 19


def test_until_is_accepted_and_rrule_prefix_is_optional():
    starts = expand(rule="RRULE:FREQ=DAILY;UNTIL=20260103T235900", first_start_local=dt.datetime(2026, 1, 1, 8), limit=500)
    assert [s.day for s in starts] == [1, 2, 3]


def test_no_rule_is_one_occurrence():
    assert expand(rule="", first_start_local=dt.datetime(2026, 1, 1, 8, 0, 30), limit=500) == [dt.datetime(2026, 1, 1, 8)]


@pytest.mark.parametrize("rule, code", [
    ("FREQ=WEEKLY", "unbounded"),
    ("FREQ=DAILY;COUNT=501", "too_many"),
    ("FREQ=MINUTELY;UNTIL=20300101T000000", "too_many"),
    ("COUNT=3", "invalid"),
    ("FREQ=SOMETIMES;COUNT=3", "invalid"),
    ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "invalid"),
])
def test_bad_rules(rule, code):
    with pytest.raises(RecurrenceError) as error:
        expand(rule=rule, first_start_local=dt.datetime(2026, 1, 1, 8), limit=500)
    assert error.value.code == code


def test_naive_times_are_vietnam_time():
    assert to_utc(dt.datetime(2026, 7, 1, 19, 0)) == dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
