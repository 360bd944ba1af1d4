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
