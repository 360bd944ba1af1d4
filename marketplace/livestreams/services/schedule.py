"""Planning sessions: validation, conflicts, occurrences, moves and cancellations; hosts."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.catalog.models import Producer, Sku

from .. import access
from ..models import FeaturedProduct, Host, LiveSession, Occurrence, StreamLink
from ..recurrence import RecurrenceError, expand, to_local, to_utc
from .errors import LiveError, LiveNotAllowed

ACTIVE = (Occurrence.Status.SCHEDULED, Occurrence.Status.LIVE)


@dataclasses.dataclass(frozen=True)
class FeaturedData:
    sku_id: int
    live_price_vnd: int
    cap_total: int
    cap_per_buyer: int


@dataclasses.dataclass(frozen=True)
class SessionData:
    """A session as entered: start and end of the first occurrence on Vietnam's wall clock."""

    title: str
    commune_id: int
    starts_local: dt.datetime
    ends_local: dt.datetime
    host_ids: Sequence[int] = ()
    producer_ids: Sequence[int] = ()
    featured: Sequence[FeaturedData] = ()
    links: dict[str, str] = dataclasses.field(default_factory=dict)
    description: str = ""
    venue: str = ""
    rrule: str = ""


@dataclasses.dataclass(frozen=True)
class Conflict:
    session_id: int
    session_title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str  # "host" | "venue"
    detail: str

    @property
    def message(self) -> str:
        start, end = to_local(self.starts_at), to_local(self.ends_at)
        why = (_("cùng người dẫn %(name)s") if self.reason == "host" else _("cùng địa điểm %(name)s")) % {"name": self.detail}
        return _("Trùng lịch với phiên “%(title)s” lúc %(start)s–%(end)s ngày %(day)s (%(why)s).") % {
            "title": self.session_title, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "day": f"{start:%d/%m/%Y}", "why": why}


def _clean_venue(venue: str) -> str:
    return " ".join((venue or "").split())


# -- validation ---------------------------------------------------------------------------------
def _intervals(data: SessionData, errors: list[str]) -> list[tuple[dt.datetime, dt.datetime]]:
    start, end = data.starts_local.replace(tzinfo=None), data.ends_local.replace(tzinfo=None)
    if end <= start:
        errors.append(_("Giờ kết thúc phải sau giờ bắt đầu."))
        return []
    if end - start > dt.timedelta(hours=settings.LIVESTREAM_MAX_HOURS):
        errors.append(_("Một phiên live dài tối đa %(hours)s giờ.") % {"hours": settings.LIVESTREAM_MAX_HOURS})
        return []
    try:
        starts = expand(rule=data.rrule, first_start_local=start, limit=settings.LIVESTREAM_MAX_OCCURRENCES)
    except RecurrenceError as error:
        errors.append({
            "invalid": _("Quy tắc lặp không hợp lệ (ví dụ: FREQ=WEEKLY;BYDAY=FR;COUNT=8)."),
            "unbounded": _("Quy tắc lặp phải có điểm dừng (COUNT hoặc UNTIL): phiên live không được lặp mãi."),
            "too_many": _("Quy tắc lặp tạo quá %(max)s buổi live.") % {"max": settings.LIVESTREAM_MAX_OCCURRENCES},
        }[error.code])
        return []
    duration = end - start
    return [(to_utc(s), to_utc(s + duration)) for s in starts]


def _hosts(data: SessionData, errors: list[str], schedule: bool) -> list[Host]:
    hosts = list(Host.objects.filter(pk__in=list(data.host_ids)))
    if len(hosts) != len(set(data.host_ids)):
        errors.append(_("Không tìm thấy người dẫn đã chọn."))
    if schedule and not hosts:
        errors.append(_("Cần ít nhất một người dẫn để lên lịch."))
    for host in hosts:
        if schedule and not host.is_verified:
            errors.append(_("Người dẫn “%(name)s” chưa được xác minh danh tính: chưa thể lên lịch phiên live.") % {"name": host.name})
    return hosts


def _featured(featured: Sequence[FeaturedData], errors: list[str]) -> dict[int, Sku]:
    ids = [f.sku_id for f in featured]
    if len(ids) != len(set(ids)):
        errors.append(_("Mỗi SKU chỉ được chọn một lần trong một phiên live."))
    skus = {s.pk: s for s in Sku.objects.filter(pk__in=ids).select_related("product__producer", "stock")
            .prefetch_related("product__certificates")}
    today = timezone.localdate()
    for item in featured:
        sku = skus.get(item.sku_id)
        if sku is None or not (sku.is_active and sku.product.is_published and sku.product.producer.is_approved):
            errors.append(_("SKU số %(id)s không còn bán.") % {"id": item.sku_id})
            continue
        errors.extend(_featured_errors(item, sku, today))
    return skus


def _featured_errors(item: FeaturedData, sku: Sku, today: dt.date) -> list[str]:
    name = f"{sku.product.name} — {sku.unit}"
    errors = []
    certificate = sku.product.current_certificate(today)
    if certificate is None:
        errors.append(_("“%(name)s” không có chứng nhận OCOP còn hiệu lực: không thể đưa vào phiên live.") % {"name": name})
    elif certificate.needs_completion:
        errors.append(_("Chứng nhận OCOP của “%(name)s” còn thiếu giấy tờ (số quyết định, cơ quan cấp, ngày cấp): "
                        "không thể đưa vào phiên live.") % {"name": name})
    if item.live_price_vnd <= 0:
        errors.append(_("Giá live của “%(name)s” phải lớn hơn 0.") % {"name": name})
    elif item.live_price_vnd > sku.price_vnd:
        errors.append(_("Giá live của “%(name)s” (%(live)s đ) cao hơn giá thường (%(normal)s đ).") % {
            "name": name, "live": f"{item.live_price_vnd:,}".replace(",", "."), "normal": f"{sku.price_vnd:,}".replace(",", ".")})
    available = sku.stock.available if hasattr(sku, "stock") else 0
    if item.cap_total <= 0:
        errors.append(_("Số suất giá live của “%(name)s” phải lớn hơn 0.") % {"name": name})
    elif item.cap_total > available:
        errors.append(_("Số suất giá live của “%(name)s” (%(cap)s) vượt tồn kho còn bán được (%(available)s).") % {
            "name": name, "cap": item.cap_total, "available": available})
    if not 1 <= item.cap_per_buyer <= max(item.cap_total, 1):
        errors.append(_("Giới hạn mỗi người mua của “%(name)s” phải từ 1 đến số suất giá live.") % {"name": name})
    return errors


def _links(data: SessionData, errors: list[str]) -> dict[str, str]:
    links, check = {}, URLValidator(schemes=["https", "http"])
    labels = dict(StreamLink.Platform.choices)
    for platform, url in data.links.items():
        url = (url or "").strip()
        if platform not in labels:
            errors.append(_("Nền tảng không hợp lệ."))
            continue
        try:
            if url:
                check(url)
        except ValidationError:
            errors.append(_("Đường dẫn phát trên %(platform)s không hợp lệ.") % {"platform": labels[platform]})
            continue
        if url or platform == StreamLink.Platform.OWN:
            links[platform] = url
    return links


def _validated(data: SessionData, *, schedule: bool, session: LiveSession | None):
    errors: list[str] = []
    if not data.title.strip():
        errors.append(_("Vui lòng nhập tiêu đề phiên live."))
    if not _commune_exists(data.commune_id):
        errors.append(_("Không tìm thấy xã/phường."))
    intervals = _intervals(data, errors)
    if schedule and intervals and intervals[0][0] <= timezone.now() and not _has_started(session):
        errors.append(_("Giờ bắt đầu đã qua: vui lòng chọn thời điểm trong tương lai."))
    hosts = _hosts(data, errors, schedule)
    skus = _featured(data.featured, errors)
    links = _links(data, errors)
    if schedule and not errors:
        conflicts = live_session_conflicts(intervals=intervals, host_ids=[h.pk for h in hosts], venue=data.venue,
                                           exclude_session_id=session.pk if session else None)
        errors.extend(c.message for c in conflicts)
    if errors:
        raise LiveError(errors)
    return intervals, hosts, skus, links


def _commune_exists(commune_id: int) -> bool:
    from marketplace.catalog.models import AdminUnit

    return AdminUnit.objects.filter(pk=commune_id, scheme="2025", level=AdminUnit.Level.COMMUNE).exists()


def _has_started(session: LiveSession | None) -> bool:
    return session is not None and session.occurrences.filter(starts_at__lte=timezone.now()).exists()


# -- conflicts ------------------------------------------------------------------------------------
def live_session_conflicts(
    *, intervals: Sequence[tuple[dt.datetime, dt.datetime]], host_ids: Sequence[int], venue: str,
    exclude_session_id: int | None = None, exclude_occurrence_ids: Sequence[int] = (), limit: int = 20,
) -> list[Conflict]:
    """Scheduled occurrences of other sessions overlapping any of `intervals` that share a host or
    the venue, across every recurrence. One query, then an interval sweep in Python."""
    now = timezone.now()
    intervals = sorted(i for i in intervals if i[1] > now)
    venue = _clean_venue(venue)
    if not intervals or not (host_ids or venue):
        return []
    shared = Q(session__hosts__in=list(host_ids)) if host_ids else Q(pk__in=[])
    if venue:
        shared |= Q(session__venue__iexact=venue)
    candidates = (
        Occurrence.objects.filter(shared, status__in=ACTIVE, session__state__in=[LiveSession.State.SCHEDULED, LiveSession.State.LIVE],
                                  starts_at__lt=intervals[-1][1], ends_at__gt=intervals[0][0])
        .exclude(pk__in=list(exclude_occurrence_ids)).select_related("session").prefetch_related("session__hosts")
        .distinct().order_by("starts_at")
    )
    if exclude_session_id:
        candidates = candidates.exclude(session_id=exclude_session_id)
    found = []
    for other in candidates:
        if not any(start < other.ends_at and other.starts_at < end for start, end in intervals):
            continue
        common = [h.name for h in other.session.hosts.all() if h.pk in set(host_ids)]
        reason, detail = ("host", ", ".join(common)) if common else ("venue", other.session.venue)
        found.append(Conflict(other.session_id, other.session.title, other.starts_at, other.ends_at, reason, detail))
        if len(found) >= limit:
            break
    return found


# -- saving -------------------------------------------------------------------------------------
def live_session_save(*, data: SessionData, session: LiveSession | None = None, schedule: bool = False, by) -> LiveSession:
    """Create or update a session; with `schedule`, also check hosts and conflicts and materialise
    its occurrences. All or nothing: raises LiveError listing every problem, saving nothing.
    `by` creates it (and is its creator) or must manage it (`manager_or_raise`)."""
    manager_or_raise(by=by, session=session)
    if session is not None:
        editable_or_raise(session)
    # A scheduled session stays scheduled: every save of it is checked as fully as scheduling.
    schedule = schedule or (session is not None and session.state == LiveSession.State.SCHEDULED)
    intervals, hosts, skus, links = _validated(data, schedule=schedule, session=session)
    with transaction.atomic():
        session = session or LiveSession(created_by=by if by is not None and by.is_authenticated else None)
        session.title, session.description = data.title.strip(), data.description.strip()
        session.commune_id, session.venue, session.rrule = data.commune_id, _clean_venue(data.venue), data.rrule.strip()
        session.starts_at, session.ends_at = to_utc(data.starts_local), to_utc(data.ends_local)
        if schedule:
            session.state = LiveSession.State.SCHEDULED
        session.save()
        session.hosts.set(hosts)
        producer_ids = set(data.producer_ids) | {s.product.producer_id for s in skus.values()}
        session.producers.set(Producer.objects.filter(pk__in=producer_ids))
        _links_replace(session, links)
        _featured_replace(session, data.featured)
        if session.state == LiveSession.State.SCHEDULED:
            _occurrences_sync(session, intervals)
    return session


def manager_or_raise(*, by, session: LiveSession | None) -> None:
    """Refuse (LiveNotAllowed) when `by` may not change `session` as a whole: only its creator,
    its commune's editors and operators may (`access.can_manage`); a new session needs someone
    who may plan sessions. `by=None` is the system itself (beat tasks, the demo and data loaders),
    which no request can be: views always pass the signed-in user, anonymous included."""
    if by is None:
        return
    if session is None:
        if not access.can_plan(by):
            raise LiveNotAllowed(_("Bạn không có quyền lên kế hoạch phiên live."))
    elif not access.can_manage(by, session):
        raise LiveNotAllowed()


def editable_or_raise(session: LiveSession) -> None:
    """A session that ended, was cancelled or is on air now is not changed."""
    if session.state in (LiveSession.State.ENDED, LiveSession.State.CANCELLED):
        raise LiveError(_("Phiên live đã kết thúc hoặc đã huỷ, không thể sửa."))
    if session.occurrences.filter(status=Occurrence.Status.LIVE).exists():
        raise LiveError(_("Phiên live đang phát: chờ kết thúc rồi hãy sửa."))


def _links_replace(session: LiveSession, links: dict[str, str]) -> None:
    session.links.exclude(platform__in=list(links)).delete()
    for platform, url in links.items():
        StreamLink.objects.update_or_create(session=session, platform=platform, defaults={"url": url})


def _featured_replace(session: LiveSession, featured: Sequence[FeaturedData]) -> None:
    keep = []
    for position, item in enumerate(featured):
        row, _created = FeaturedProduct.objects.update_or_create(session=session, sku_id=item.sku_id, defaults={
            "live_price_vnd": item.live_price_vnd, "cap_total": item.cap_total, "cap_per_buyer": item.cap_per_buyer,
            "position": position})
        keep.append(row.pk)
    session.featured.exclude(pk__in=keep).filter(holds__isnull=True).delete()


def _occurrences_sync(session: LiveSession, intervals: list[tuple[dt.datetime, dt.datetime]]) -> None:
    """Occurrence i takes the i-th interval; occurrences already started are left as they were;
    future ones the rule no longer produces are cancelled (their subscribers are told)."""
    now = timezone.now()
    existing = {o.index: o for o in session.occurrences.all()}
    for index, (start, end) in enumerate(intervals):
        occurrence = existing.pop(index, None)
        if occurrence is None:
            Occurrence.objects.create(session=session, index=index, starts_at=start, ends_at=end)
        elif occurrence.starts_at > now and occurrence.status == Occurrence.Status.SCHEDULED:
            if (occurrence.starts_at, occurrence.ends_at) != (start, end):
                occurrence.starts_at, occurrence.ends_at, occurrence.moved_from = start, end, None
                occurrence.save(update_fields=["starts_at", "ends_at", "moved_from"])
    for occurrence in existing.values():
        if occurrence.starts_at > now and occurrence.status == Occurrence.Status.SCHEDULED:
            occurrence.status, occurrence.cancel_reason = Occurrence.Status.CANCELLED, _("Lịch phiên live đã thay đổi")
            occurrence.cancelled_at = now
            occurrence.save(update_fields=["status", "cancel_reason", "cancelled_at"])


def live_session_check(*, data: SessionData, session: LiveSession | None = None) -> list[str]:
    """Everything that would stop `live_session_save(schedule=True)`, conflicts included, without
    saving anything: the planning form shows it before the user saves."""
    try:
        _validated(data, schedule=True, session=session)
    except LiveError as error:
        return error.messages
    return []
