"""Reminder subscriptions: one per e-mail address and session (all occurrences, or one)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import LiveSession, Occurrence, Subscription
from .errors import LiveError


def subscription_create(*, email: str, session: LiveSession, occurrence: Occurrence | None = None) -> Subscription:
    """Subscribe `email` to reminders; subscribing again widens or renews, never duplicates."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise LiveError(_("Địa chỉ email không hợp lệ, ví dụ đúng: ten@example.vn.")) from error
    if session.state not in (LiveSession.State.SCHEDULED, LiveSession.State.LIVE):
        raise LiveError(_("Phiên live này không còn nhận đăng ký nhắc lịch."))
    if occurrence is not None and (occurrence.session_id != session.pk or occurrence.status == Occurrence.Status.CANCELLED):
        raise LiveError(_("Buổi live này không còn nhận đăng ký nhắc lịch."))
    try:
        with transaction.atomic():
            subscription, created = Subscription.objects.get_or_create(session=session, email=email,
                                                                       defaults={"occurrence": occurrence})
    except IntegrityError:  # the same address submitted twice at once
        subscription, created = Subscription.objects.get(session=session, email=email), False
    if not created:
        if subscription.unsubscribed_at is not None:
            subscription.unsubscribed_at, subscription.occurrence = None, occurrence
        elif subscription.occurrence_id != (occurrence.pk if occurrence else None):
            subscription.occurrence = None  # two different choices: remind of every occurrence
        subscription.save(update_fields=["unsubscribed_at", "occurrence"])
    return subscription


def subscription_cancel(*, token: str) -> Subscription | None:
    subscription = Subscription.objects.filter(token=token).select_related("session").first()
    if subscription is not None and subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription
