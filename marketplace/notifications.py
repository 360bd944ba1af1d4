"""Telling people things: one interface, e-mail now; SMS or Zalo join later as further channels.

Callers name a template and give a context; each channel renders what it needs from
`templates/notifications/<template>.subject.txt` and `.body.txt`, always in Vietnamese (the
recipient's language is not known). A channel that cannot reach a recipient (no e-mail address)
skips it; a delivery failure is logged and returned, never raised into the caller's write.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Recipient:
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclasses.dataclass(frozen=True)
class Message:
    subject: str
    body: str


class Channel(Protocol):
    name: str

    def can_reach(self, recipient: Recipient) -> bool: ...

    def send(self, *, recipient: Recipient, message: Message) -> None: ...


class EmailChannel:
    name = "email"

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.email)

    def send(self, *, recipient: Recipient, message: Message) -> None:
        EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [recipient.email]).send()


CHANNELS: dict[str, Channel] = {"email": EmailChannel()}


def render(*, template: str, context: dict) -> Message:
    with translation.override("vi"):
        subject = render_to_string(f"notifications/{template}.subject.txt", context)
        body = render_to_string(f"notifications/{template}.body.txt", context)
    return Message(subject=" ".join(subject.split()), body=body.strip() + "\n")


def notify(*, recipient: Recipient, template: str, context: dict, channels: tuple[str, ...] = ("email",)) -> list[str]:
    """Send through every named channel that can reach the recipient; return the channels used."""
    message = render(template=template, context=context)
    sent = []
    for name in channels:
        channel = CHANNELS[name]
        if not channel.can_reach(recipient):
            continue
        try:
            channel.send(recipient=recipient, message=message)
        except Exception:  # a mail server down must not undo the order or session change
            log.exception("notification %s via %s to %s failed", template, name, recipient)
            continue
        sent.append(name)
    return sent


def notify_phone(*, phone: str, template: str, context: dict) -> list[str]:
    """A short message to a phone number (a one-time code). Channels that reach phones are used
    once registered; until then it goes by e-mail to PHONE_MESSAGES_EMAIL (an e-mail-to-SMS
    gateway, or staff who relay it; the console in development). Empty: nothing is sent."""
    recipient = Recipient(phone=phone)
    by_phone = tuple(name for name, channel in CHANNELS.items() if channel.can_reach(recipient))
    if by_phone:
        return notify(recipient=recipient, template=template, context=context, channels=by_phone)
    if not settings.PHONE_MESSAGES_EMAIL:
        log.warning("no channel reaches phones and PHONE_MESSAGES_EMAIL is empty: %s not sent", template)
        return []
    relay = Recipient(name=phone, email=settings.PHONE_MESSAGES_EMAIL, phone=phone)
    return notify(recipient=relay, template=template, context={**context, "phone": phone})
