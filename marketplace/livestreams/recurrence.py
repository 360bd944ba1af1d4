"""Vietnam time ↔ UTC and RFC 5545 recurrence expansion (python-dateutil).

Vietnam has kept UTC+7 all year since 1975 (no daylight saving), so a rule is expanded on the
naive local wall clock and each start converted to UTC: "every Friday 19:00" stays 19:00.
"""
from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class RecurrenceError(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # "invalid" | "unbounded" | "too_many"


def to_utc(local: dt.datetime) -> dt.datetime:
    """A wall-clock time in Vietnam (naive, or aware in any zone) → aware UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=VIETNAM)
    return local.astimezone(dt.UTC)


def to_local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(VIETNAM)


def normalise_rule(rule: str) -> str:
    rule = (rule or "").strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[6:]
    return rule.upper()


def expand(*, rule: str, first_start_local: dt.datetime, limit: int) -> list[dt.datetime]:
    """The local (naive) starts of a recurrence, first included; a single start without a rule.

    Raises RecurrenceError for a rule that does not parse, never ends (no COUNT or UNTIL) or
    gives more than `limit` starts."""
    first = first_start_local.replace(tzinfo=None, second=0, microsecond=0)
    rule = normalise_rule(rule)
    if not rule:
        return [first]
    parts = {p.split("=", 1)[0] for p in rule.split(";") if "=" in p}
    if "FREQ" not in parts:
        raise RecurrenceError("invalid")
    if not parts & {"COUNT", "UNTIL"}:
        raise RecurrenceError("unbounded")
    try:
        recurrence = rrulestr(rule, dtstart=first, ignoretz=True)
        starts = list(itertools.islice(iter(recurrence), limit + 1))
    except (ValueError, TypeError, OverflowError) as error:
        raise RecurrenceError("invalid") from error
    if len(starts) > limit:
        raise RecurrenceError("too_many")
    if not starts or starts[0] != first:
        starts.insert(0, first)  # RFC 5545: DTSTART is always the first instance
        if len(starts) > limit:
            raise RecurrenceError("too_many")
    return starts
