"""Reads for the news pages, feeds and dashboards. Months are calendar months in Vietnam time."""
from __future__ import annotations

import dataclasses
import datetime as dt

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.utils import timezone

from cms.models import CommunePage, ProvincePage
from marketplace import access

from .pages import ArticlePage, NewsIndexPage

LATEST_ON_COMMUNE_PAGE = 3
FEED_SIZE = 20


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as an aware [start, end) interval in the current (Vietnam) time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(month, dt.time.min)
    return timezone.make_aware(start, tz), timezone.make_aware(start + relativedelta(months=1), tz)


def commune_latest_articles(*, commune_page: CommunePage, limit: int = LATEST_ON_COMMUNE_PAGE):
    """(news index or None, its latest live articles) for the commune page."""
    index = NewsIndexPage.objects.live().child_of(commune_page).first()
    if index is None:
        return None, []
    articles = ArticlePage.objects.live().child_of(index).select_related("feed_image").order_by("-first_published_at", "-pk")
    return index, list(articles[:limit])


def feed_articles(*, root) -> QuerySet[ArticlePage]:
    """The latest live articles under a commune or province page, newest first."""
    return ArticlePage.objects.live().descendant_of(root).order_by("-first_published_at", "-pk")[:FEED_SIZE]


def promotion_published_paths(*, month: dt.date) -> dict[str, int]:
    """Live promotion articles first published in `month`: commune page path → count."""
    start, end = month_bounds(month)
    counts: dict[str, int] = {}
    paths = ArticlePage.objects.live().filter(kind=ArticlePage.Kind.PROMOTION, first_published_at__gte=start,
                                              first_published_at__lt=end).values_list("path", flat=True)
    for path in paths:
        commune_path = path[: CommunePage.steplen * 4]  # root, home, province, commune
        counts[commune_path] = counts.get(commune_path, 0) + 1
    return counts


# Who sees which communes on the dashboards ---------------------------------------------------------


def dashboard_communes(user) -> QuerySet[CommunePage] | None:
    """Communes `user` may see on the dashboards; None when they may see none.

    Operators (superusers and the operators group) see all; a province officer the province's
    communes; a commune editor their own communes."""
    if not user.is_active or not user.is_authenticated:
        return None
    communes = CommunePage.objects.select_related("admin_unit__parent").order_by("admin_unit__parent__name", "admin_unit__name")
    if access.is_operator(user):
        return communes
    groups = Group.objects.filter(user=user)
    provinces = ProvincePage.objects.filter(officers_group__in=groups).values("admin_unit_id")
    scope = Q(editors_group__in=groups) | Q(admin_unit__parent_id__in=provinces)
    communes = communes.filter(scope).distinct()
    return communes if communes.exists() else None


# Compliance: communes × months -----------------------------------------------------------------------


class CellState:
    PUBLISHED = "published"
    MISSED = "missed"
    IN_PROGRESS = "in_progress"
    NO_DATA = "no_data"


@dataclasses.dataclass
class ComplianceTable:
    months: list[dt.date]
    months_without_data: set[dt.date]
    rows: list[tuple[CommunePage, list[tuple[str, int]]]]  # commune, [(state, promotion count)] per month

    @property
    def has_data(self) -> bool:
        return len(self.months_without_data) < len(self.months)


def promotion_compliance(*, communes: QuerySet[CommunePage], months: list[dt.date], today: dt.date | None = None) -> ComplianceTable:
    """Per commune and month: published a promotion article, missed it, month still running, or
    no data (no article of any kind from these communes that month: before they started)."""
    today = today or timezone.localdate()
    communes = list(communes)
    promotions, with_data = _articles_by_month(paths={c.path for c in communes}, months=months)
    without_data = {month for month in months if month not in with_data}
    rows = []
    for commune in communes:
        cells = []
        for month in months:
            count = promotions.get((commune.path, month), 0)
            cells.append((_state(count=count, month=month, today=today, without_data=without_data), count))
        rows.append((commune, cells))
    return ComplianceTable(months=months, months_without_data=without_data, rows=rows)


def _articles_by_month(*, paths: set[str], months: list[dt.date]) -> tuple[dict[tuple[str, dt.date], int], set[dt.date]]:
    """One query over the whole range: promotion counts per (commune path, month), and the
    months in which any of these communes published anything."""
    if not paths or not months:
        return {}, set()
    start, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    length = len(next(iter(paths)))
    rows = ArticlePage.objects.live().filter(first_published_at__gte=start, first_published_at__lt=end).values_list(
        "path", "kind", "first_published_at")
    promotions: dict[tuple[str, dt.date], int] = {}
    with_data = set()
    for path, kind, published_at in rows:
        commune_path = path[:length]
        if commune_path not in paths:
            continue
        month = month_start(timezone.localtime(published_at).date())
        with_data.add(month)
        if kind == ArticlePage.Kind.PROMOTION:
            promotions[(commune_path, month)] = promotions.get((commune_path, month), 0) + 1
    return promotions, with_data


def _state(*, count: int, month: dt.date, today: dt.date, without_data: set[dt.date]) -> str:
    if count:
        return CellState.PUBLISHED
    if month == month_start(today):
        return CellState.IN_PROGRESS
    return CellState.NO_DATA if month in without_data else CellState.MISSED
