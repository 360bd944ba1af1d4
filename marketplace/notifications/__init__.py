"""Telling people things: one interface over the channels (e-mail now; SMS or Zalo join later).

Two ways to send:
- `notify(...)` sends now, in the caller's process, and returns the channels used; a delivery
  failure is logged and left out of the result, never raised into the caller's write. Callers
  that need once-only delivery keep their own keyed log (orders, livestream reminders).
- `queue(...)` records a durable `Notification` row under an idempotency key (in the caller's
  transaction) and sends it from a worker after commit. A row survives a lost task or a killed
  worker: the beat sweep sends what is still pending, and the key keeps a notice from being
  recorded, or sent, twice.

`dispatch(...)` makes an event-driven notice task durable in the same way (see services).
"""
from __future__ import annotations

import logging

from django.conf import settings

from .channels import CHANNELS, Channel, EmailChannel, Message, Recipient, render

__all__ = ["CHANNELS", "Channel", "EmailChannel", "Message", "Recipient", "dispatch", "dispatch_done", "notify", "notify_phone", "queue",
           "render"]

log = logging.getLogger(__name__)


def notify(*, recipient: Recipient, template: str, context: dict, channels: tuple[str, ...] = ("email",),
           channel: str | None = None) -> list[str]:
    """Send now through every named channel that can reach the recipient; return the channels used."""
    message = render(template=template, context=context)
    sent = []
    for name in (channel,) if channel else channels:
        chosen = CHANNELS[name]
        if not chosen.can_reach(recipient):
            continue
        try:
            chosen.send(recipient=recipient, message=message)
        except Exception:  # a mail server down must not undo the order or session change
            log.exception("notification %s via %s to %s failed", template, name, recipient)
            continue
        sent.append(name)
    return sent


def notify_phone(*, phone: str, template: str, context: dict) -> list[str]:
    """A short message to a phone number (a one-time code), sent now. Channels that reach phones
    are used once registered; until then it goes by e-mail to PHONE_MESSAGES_EMAIL (an
    e-mail-to-SMS gateway, or staff who relay it; the console in development). Empty: nothing is sent."""
    recipient = Recipient(phone=phone)
    by_phone = tuple(name for name, channel in CHANNELS.items() if channel.can_reach(recipient))
    if by_phone:
        return notify(recipient=recipient, template=template, context=context, channels=by_phone)
    if not settings.PHONE_MESSAGES_EMAIL:
        log.warning("no channel reaches phones and PHONE_MESSAGES_EMAIL is empty: %s not sent", template)
        return []
    relay = Recipient(name=phone, email=settings.PHONE_MESSAGES_EMAIL, phone=phone)
    return notify(recipient=relay, template=template, context={**context, "phone": phone})

def queue(*, key: str, recipient: Recipient, template: str, context: dict, channel: str = "email"):
    """Record one message to send once (see services.notification_queue)."""
    from .services import notification_queue

    return notification_queue(key=key, recipient=recipient, template=template, context=context, channel=channel)


def dispatch(*, key: str, task, args: list) -> None:
    """Run a notice task durably: call it inside the transaction of the change it tells about
    (see services.dispatch_record)."""
    from .services import dispatch_record

    dispatch_record(key=key, task=task, args=args)


def dispatch_done(*, key: str) -> None:
    """The notice task of `key` finished: forget its record (an empty key: nothing recorded)."""
    from .services import dispatch_done as done

    done(key=key)
