"""Writes for commune news: the news index, articles, scheduled publishing, monthly reminders,
province officers."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Revision

from cms.models import CommunePage, ProvincePage
from marketplace import notifications
from marketplace.notifications import Recipient

from .pages import ArticlePage, NewsIndexPage
from .records import PromotionReminder
from .selectors import month_start, promotion_published_paths

log = logging.getLogger(__name__)

NEWS_INDEX_TITLE = "Tin tức"
NEWS_INDEX_SLUG = "tin-tuc"


def news_index_get_or_create(*, commune_page: CommunePage) -> NewsIndexPage:
    """The commune's news page, created (published) when missing."""
    index = NewsIndexPage.objects.child_of(commune_page).first()
    if index is not None:
        return index
    index = NewsIndexPage(title=NEWS_INDEX_TITLE, slug=NEWS_INDEX_SLUG,
                          intro=f"Tin tức và sản phẩm OCOP của {commune_page.admin_unit.name}.")
    commune_page.add_child(instance=index)
    index.save_revision().publish()
    return index


def article_create(*, news_index: NewsIndexPage, title: str, intro: str, body: list, kind: str = ArticlePage.Kind.NEWS,
                   feed_image=None, slug: str = "", user=None, publish: bool = True) -> ArticlePage:
    """An article with its first revision, published unless `publish` is False. Raises
    ValidationError (nothing saved) when a product card points outside the commune."""
    from cms.services import _unique_slug

    with transaction.atomic():
        article = ArticlePage(title=title, slug=slug or _unique_slug(news_index, title), intro=intro, kind=kind,
                              feed_image=feed_image, body=body, live=False, owner=user)
        article._parent_for_clean = news_index
        article.full_clean(exclude=["path", "depth"])
        news_index.add_child(instance=article)
        revision = article.save_revision(user=user)
        if publish:
            revision.publish(user=user)
            article.refresh_from_db()
    return article


def scheduled_publish_run() -> dict[str, int]:
    """What `manage.py publish_scheduled` does, one object at a time: an object that no longer
    validates (e.g. its product card's product was delisted) is logged and left unpublished
    instead of stopping everything scheduled after it."""
    now = timezone.now()
    done = {"expired": 0, "published": 0, "failed": 0}
    for page in list(Page.objects.filter(live=True, expire_at__lt=now).order_by("expire_at")):
        page.specific.unpublish(set_expired=True, log_action="wagtail.unpublish.scheduled")
        done["expired"] += 1
    for revision in Revision.objects.filter(approved_go_live_at__lt=now).order_by("approved_go_live_at"):
        try:
            with transaction.atomic():
                revision.publish(log_action="wagtail.publish.scheduled")
            done["published"] += 1
        except ValidationError as error:
            log.warning("scheduled revision %s of %s no longer valid, not published: %s", revision.pk, revision.object_str, error)
            Revision.objects.filter(pk=revision.pk).update(approved_go_live_at=None)
            done["failed"] += 1
    return done


def promotion_reminders_send(*, today: dt.date | None = None) -> int:
    """From the reminder day (the 20th) on, remind the editors of every commune that has no
    promotion article published this month; once per commune and month (a unique log row is
    written before sending). Returns the number of communes reminded."""
    today = today or timezone.localdate()
    if today.day < settings.NEWS_REMINDER_DAY:
        return 0
    month = month_start(today)
    published = promotion_published_paths(month=month)
    reminded = 0
    communes = CommunePage.objects.filter(editors_group__isnull=False).select_related("admin_unit__parent")
    for commune_page in communes:
        if published.get(commune_page.path) or PromotionReminder.objects.filter(commune_page=commune_page, month=month).exists():
            continue
        reminded += _remind(commune_page=commune_page, month=month)
    return reminded


def _remind(*, commune_page: CommunePage, month: dt.date) -> int:
    """The log row and one durable message per editor commit together: a worker killed while
    sending leaves the rest pending for the notifications sweep, not forgotten behind the row."""
    editors = list(get_user_model().objects.filter(groups=commune_page.editors_group_id, is_active=True).exclude(email=""))
    index = NewsIndexPage.objects.child_of(commune_page).first()
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    write_url = f"{base}/admin/pages/add/cms/articlepage/{index.pk}/" if index else f"{base}/admin/pages/{commune_page.pk}/"
    context = {"commune": commune_page.admin_unit.name, "province": commune_page.admin_unit.parent.name,
               "month": f"{month:%m/%Y}", "write_url": write_url}
    with transaction.atomic():
        _row, created = PromotionReminder.objects.get_or_create(commune_page=commune_page, month=month,
                                                                 defaults={"recipients": len(editors)})
        if not created:  # another run got there first
            return 0
        for user in editors:
            name = user.get_full_name() or user.username
            notifications.queue(key=f"cms:promotion:{commune_page.pk}:{month:%Y-%m}:{user.pk}",
                                recipient=Recipient(name=name, email=user.email), template="news_promotion_reminder",
                                context={**context, "name": name})
    return 1


def province_officer_assign(*, user, province_page: ProvincePage) -> Group:
    """Let `user` see the province's communes on the news and coverage dashboards."""
    with transaction.atomic():
        group = province_page.officers_group
        if group is None:
            unit = province_page.admin_unit
            group, _ = Group.objects.get_or_create(name=f"Cán bộ tỉnh {unit.name} ({unit.code})")
            group.permissions.add(*Permission.objects.filter(codename="access_admin"))
            ProvincePage.objects.filter(pk=province_page.pk).update(officers_group=group)
            province_page.officers_group = group
        user.groups.add(group)
    return group
