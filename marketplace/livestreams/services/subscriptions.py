"""Reminder subscriptions: one per e-mail address and session (all occurrences, or one), with
double opt-in.

Asking (`subscription_create`) records the address unconfirmed and e-mails it a signed link;
nothing about an existing subscription changes on an anonymous request. Only the link
(`subscription_confirm`) turns reminders on, widens the choice, or subscribes again an address
that unsubscribed — and a link issued before the unsubscribe no longer does. Confirmation
e-mails are limited per subscription (one per CONFIRMATION_RESEND) and per client address, so the
form cannot be used to flood someone's mailbox.
"""
from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import notifications
from marketplace.accounts.ratelimit import rate_limit_hit

from ..models import LiveSession, Occurrence, Subscription
from .errors import LiveError
from .reminders import _absolute

CONFIRM_SALT = "livestreams.subscription.confirm"
CONFIRMATION_RESEND = dt.timedelta(minutes=10)


def subscription_create(*, email: str, session: LiveSession, occurrence: Occurrence | None = None,
                        client_ip: str = "") -> Subscription:
    """Ask `email` to confirm reminders for `session` (or one `occurrence`); never duplicates."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise LiveError(_("Địa chỉ email không hợp lệ, ví dụ đúng: ten@example.vn.")) from error
    if session.state not in (LiveSession.State.SCHEDULED, LiveSession.State.LIVE):
        raise LiveError(_("Phiên live này không còn nhận đăng ký nhắc lịch."))
    if occurrence is not None and (occurrence.session_id != session.pk or occurrence.status == Occurrence.Status.CANCELLED):
        raise LiveError(_("Buổi live này không còn nhận đăng ký nhắc lịch."))
    if client_ip and not rate_limit_hit(scope="livestream-subscribe", value=client_ip,
                                        limit=settings.LIVESTREAM_SUBSCRIBE_PER_IP_PER_HOUR, window_seconds=3600):
        raise LiveError(_("Bạn đã đăng ký quá nhiều lần. Vui lòng thử lại sau một giờ."))
    try:
        with transaction.atomic():
            subscription, _created = Subscription.objects.get_or_create(session=session, email=email,
                                                                        defaults={"occurrence": occurrence})
    except IntegrityError:  # the same address submitted twice at once
        subscription = Subscription.objects.get(session=session, email=email)
    _confirmation_send(subscription, occurrence)
    return subscription


def _confirmation_send(subscription: Subscription, occurrence: Occurrence | None) -> None:
    active = subscription.confirmed_at is not None and subscription.unsubscribed_at is None
    if active and subscription.occurrence_id in (None, occurrence.pk if occurrence else None):
        return  # already reminded of at least this much
    now = timezone.now()
    recent = now - CONFIRMATION_RESEND
    claimed = Subscription.objects.filter(pk=subscription.pk).exclude(confirmation_sent_at__gt=recent).update(
        confirmation_sent_at=now)
    if not claimed:
        return  # one was sent minutes ago: it is still valid
    token = signing.dumps({"s": subscription.pk, "o": occurrence.pk if occurrence else None, "t": time.time()},
                          salt=CONFIRM_SALT, compress=True)
    session = subscription.session
    notifications.notify(recipient=notifications.Recipient(email=subscription.email), template="livestream_confirm",
                         context={"title": session.title, "commune": session.commune.name,
                                  "occurrence_start": occurrence.starts_at if occurrence else None,
                                  "confirm_url": _absolute("livestreams:confirm", token),
                                  "days": settings.LIVESTREAM_CONFIRM_DAYS})


def subscription_for_confirmation(*, token: str) -> tuple[Subscription, Occurrence | None] | None:
    """The subscription and choice a confirmation link carries, if it is genuine, fresh and not
    older than the address's last unsubscribe."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=dt.timedelta(days=settings.LIVESTREAM_CONFIRM_DAYS))
    except signing.BadSignature:
        return None
    subscription = Subscription.objects.select_related("session").filter(pk=data.get("s")).first()
    if subscription is None:
        return None
    issued = dt.datetime.fromtimestamp(data["t"], tz=dt.timezone.utc)
    if subscription.unsubscribed_at is not None and issued <= subscription.unsubscribed_at:
        return None
    occurrence = None
    if data.get("o") is not None:
        occurrence = Occurrence.objects.filter(pk=data["o"], session_id=subscription.session_id).first()
        if occurrence is None:
            return None
    return subscription, occurrence


def subscription_confirm(*, token: str) -> Subscription | None:
    """Turn reminders on as the link says; None when the link is not (or no longer) valid."""
    found = subscription_for_confirmation(token=token)
    if found is None:
        return None
    subscription, occurrence = found
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        active = subscription.confirmed_at is not None and subscription.unsubscribed_at is None
        if active and subscription.occurrence_id != (occurrence.pk if occurrence else None):
            subscription.occurrence = None  # two different choices: remind of every occurrence
        elif not active:
            subscription.occurrence = occurrence
        subscription.confirmed_at = subscription.confirmed_at if active else timezone.now()
        subscription.unsubscribed_at = None
        subscription.save(update_fields=["confirmed_at", "unsubscribed_at", "occurrence"])
    return subscription


def subscription_cancel(*, token: str) -> Subscription | None:
    subscription = Subscription.objects.filter(token=token).select_related("session").first()
    if subscription is not None and subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription
