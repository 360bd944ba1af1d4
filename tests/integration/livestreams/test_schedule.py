"""Planning: every bad input refused with a Vietnamese message and nothing saved; conflicts of
host or venue across recurrences, naming the clashing session; moving and cancelling one
occurrence; hosts' identity."""
import datetime as dt

import pytest
from django.utils import timezone

from marketplace.catalog.models import OcopCertificate
from marketplace.livestreams import services
from marketplace.livestreams.models import FeaturedProduct, Host, LiveSession, Occurrence
from tests import factories

from .conftest import local_in

pytestmark = pytest.mark.django_db


def refused(plan, **overrides) -> str:
    before = (LiveSession.objects.count(), Occurrence.objects.count(), FeaturedProduct.objects.count())
    with pytest.raises(services.LiveError) as error:
        plan(**overrides)
    assert (LiveSession.objects.count(), Occurrence.objects.count(), FeaturedProduct.objects.count()) == before
    return error.value.message


def featured(sku, price=99000, cap=5, per_buyer=2):
    return [services.FeaturedData(sku_id=sku.pk, live_price_vnd=price, cap_total=cap, cap_per_buyer=per_buyer)]


def test_a_weekly_session_materialises_its_occurrences(plan):
    start = local_in(days=2).replace(hour=19, minute=0)
    session = plan(starts_local=start, ends_local=start.replace(hour=21), rrule="FREQ=WEEKLY;COUNT=8")
    occurrences = list(session.occurrences.order_by("index"))
    assert session.state == LiveSession.State.SCHEDULED and len(occurrences) == 8
    assert all(o.starts_at.astimezone(dt.UTC).hour == 12 and o.ends_at - o.starts_at == dt.timedelta(hours=2) for o in occurrences)
    assert session.featured.get().live_price_vnd == 99000
    assert set(session.producers.all()) == {session.featured.get().sku.product.producer}


def test_end_before_start(plan):
    start = local_in(days=1)
    assert refused(plan, ends_local=start - dt.timedelta(hours=1), starts_local=start) == "Giờ kết thúc phải sau giờ bắt đầu."


def test_longer_than_twelve_hours(plan):
    start = local_in(days=1)
    assert "tối đa 12 giờ" in refused(plan, starts_local=start, ends_local=start + dt.timedelta(hours=12, minutes=1))


def test_recurrence_that_never_ends(plan):
    assert "không được lặp mãi" in refused(plan, rrule="FREQ=WEEKLY;BYDAY=FR")


def test_recurrence_over_500_occurrences(plan):
    assert "quá 500 buổi" in refused(plan, rrule="FREQ=DAILY;COUNT=600")


def test_live_price_above_normal_or_not_positive(plan, sku):
    assert "cao hơn giá thường" in refused(plan, featured=featured(sku, price=130000))
    assert "phải lớn hơn 0" in refused(plan, featured=featured(sku, price=0))


def test_cap_above_stock(plan, sku):
    assert "vượt tồn kho còn bán được (20)" in refused(plan, featured=featured(sku, cap=21, per_buyer=1))


def test_unverified_host_cannot_be_scheduled_but_a_draft_can(plan):
    stranger = services.host_save(host=Host(name="Trần Văn Bình", id_number="079 099 001 234"))
    assert stranger.id_number == "079099001234" and stranger.id_number_masked == "••••••••1234"
    message = refused(plan, host_ids=[stranger.pk])
    assert "“Trần Văn Bình” chưa được xác minh danh tính" in message
    draft = plan(schedule=False, host_ids=[stranger.pk])
    assert draft.state == LiveSession.State.DRAFT and not draft.occurrences.exists()


def test_product_without_valid_certificate_or_documents(plan, make_listing):
    expired = make_listing(stock=10, issued_on=dt.date.today() - dt.timedelta(days=40 * 31)).product.skus.get()
    assert "không có chứng nhận OCOP còn hiệu lực" in refused(plan, featured=featured(expired))
    incomplete = make_listing(stock=10, stars=None).product.skus.get()
    OcopCertificate.objects.create(product=incomplete.product, stars=4)  # stars known, decision missing
    assert "còn thiếu giấy tờ" in refused(plan, featured=featured(incomplete))


def test_every_problem_is_listed_at_once(plan, sku):
    start = local_in(days=1)
    with pytest.raises(services.LiveError) as error:
        plan(title=" ", starts_local=start, ends_local=start - dt.timedelta(minutes=5), featured=featured(sku, price=0))
    assert len(error.value.messages) == 3


def test_bad_host_id_number():
    with pytest.raises(services.LiveError) as error:
        services.host_save(host=Host(name="A", id_number="12345"))
    assert "CCCD 12 số" in error.value.message


def test_changing_the_id_number_needs_verifying_again(host):
    host.id_number = "001203009999"
    assert not services.host_save(host=host).is_verified


def test_conflict_across_recurrences_names_the_session_and_time(plan, host, make_listing):
    friday = local_in(days=3).replace(hour=19, minute=0)
    plan(title="Đêm chợ Gia Phú", starts_local=friday, ends_local=friday.replace(hour=21), rrule="FREQ=WEEKLY;COUNT=8")
    # A one-off session 5 weeks later, overlapping the 6th Friday by half an hour, same host.
    clash = friday + dt.timedelta(weeks=5, hours=1, minutes=30)
    other_sku = make_listing(stock=10).product.skus.get()
    message = refused(plan, title="Phiên khác", starts_local=clash, ends_local=clash + dt.timedelta(hours=1), venue="",
                      featured=featured(other_sku))
    assert f"Trùng lịch với phiên “Đêm chợ Gia Phú” lúc 19:00–21:00 ngày {clash:%d/%m/%Y}" in message
    assert "cùng người dẫn Nguyễn Thị Hoa" in message
    # Same venue, another (verified) host: still a clash; a different venue and host is fine.
    other_host = services.host_verify(host=services.host_save(host=Host(name="Lò Văn Sáng", id_number="B1234567")), by=None)
    message = refused(plan, title="Phiên khác", starts_local=clash, ends_local=clash + dt.timedelta(hours=1),
                      host_ids=[other_host.pk], venue="Nhà văn hoá thôn 3", featured=featured(other_sku))
    assert "cùng địa điểm Nhà văn hoá thôn 3" in message
    ok = plan(title="Phiên khác", starts_local=clash, ends_local=clash + dt.timedelta(hours=1), host_ids=[other_host.pk],
              venue="Chợ huyện", featured=featured(other_sku))
    assert ok.state == LiveSession.State.SCHEDULED


def test_conflicts_are_shown_before_saving(plan, host):
    session = plan()
    first = session.occurrences.get()
    found = services.live_session_conflicts(intervals=[(first.starts_at, first.ends_at)], host_ids=[host.pk], venue="")
    assert [c.session_title for c in found] == [session.title]


def test_move_and_cancel_one_occurrence(plan, host):
    start = local_in(days=2)
    session = plan(starts_local=start, ends_local=start + dt.timedelta(hours=2), rrule="FREQ=DAILY;COUNT=3")
    first, second, third = session.occurrences.order_by("index")
    with pytest.raises(services.LiveError) as error:  # onto the next day's occurrence of the same host
        services.occurrence_move(occurrence=first, starts_local=start + dt.timedelta(days=1),
                                 ends_local=start + dt.timedelta(days=1, hours=1), by=None)
    assert "Trùng lịch" in error.value.message
    moved = services.occurrence_move(occurrence=first, starts_local=start + dt.timedelta(hours=3),
                                     ends_local=start + dt.timedelta(hours=5), by=None)
    assert moved.moved_from is not None and moved.starts_at - moved.moved_from == dt.timedelta(hours=3)
    services.occurrence_cancel(occurrence=second, reason="Mưa bão", by=None)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == Occurrence.Status.CANCELLED and second.cancelled_at and third.status == Occurrence.Status.SCHEDULED
    with pytest.raises(services.LiveError):
        services.occurrence_move(occurrence=second, starts_local=start, ends_local=start + dt.timedelta(hours=1), by=None)
    services.live_session_cancel(session=session, reason="Thôi", by=None)
    session.refresh_from_db()
    assert session.state == LiveSession.State.CANCELLED
    assert not session.occurrences.filter(status=Occurrence.Status.SCHEDULED).exists()


def test_rescheduling_keeps_occurrence_ids_and_cancels_the_extra(plan):
    start = local_in(days=2)
    session = plan(starts_local=start, ends_local=start + dt.timedelta(hours=1), rrule="FREQ=DAILY;COUNT=3")
    ids = list(session.occurrences.order_by("index").values_list("pk", flat=True))
    data = services.SessionData(title=session.title, commune_id=session.commune_id, starts_local=start + dt.timedelta(hours=2),
                                ends_local=start + dt.timedelta(hours=3), host_ids=list(session.hosts.values_list("pk", flat=True)),
                                featured=[services.FeaturedData(f.sku_id, f.live_price_vnd, f.cap_total, f.cap_per_buyer)
                                          for f in session.featured.all()], rrule="FREQ=DAILY;COUNT=2", venue=session.venue)
    services.live_session_save(data=data, session=session, schedule=True, by=None)
    rows = list(session.occurrences.order_by("index"))
    assert [o.pk for o in rows] == ids
    assert [o.status for o in rows] == ["scheduled", "scheduled", "cancelled"]
    assert timezone.localtime(rows[0].starts_at).hour == (start + dt.timedelta(hours=2)).hour


def test_invalid_stream_link(plan):
    assert "Đường dẫn phát trên Facebook không hợp lệ." in refused(plan, links={"facebook": "not a url"})


def test_start_in_the_past(plan):
    start = local_in(hours=-3)
    assert "Giờ bắt đầu đã qua" in refused(plan, starts_local=start, ends_local=start + dt.timedelta(hours=1))


def test_host_in_another_commune_session_is_still_the_same_person(plan, host):
    other_commune = factories.commune("00004")
    plan()
    start = local_in(days=1)
    message = refused(plan, commune_id=other_commune.pk, starts_local=start + dt.timedelta(minutes=30),
                      ends_local=start + dt.timedelta(hours=1), venue="")
    assert "cùng người dẫn" in message
