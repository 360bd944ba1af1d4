"""Channels and rendering: e-mail now; SMS or Zalo ZNS join as further channels.

Each channel renders what it needs from `templates/notifications/<template>.subject.txt` and
`.body.txt`, always in Vietnamese (the recipient's language is not known). A channel that cannot
reach a recipient (no e-mail address) skips it.
"""
from __future__ import annotations

import dataclasses
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation


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
    # The Recipient field holding this channel's address ("email", "phone").
    address_field: str

    def can_reach(self, recipient: Recipient) -> bool: ...

    def send(self, *, recipient: Recipient, message: Message) -> None:
        """Deliver or raise; a return means the message was handed over."""


class EmailChannel:
    name = "email"
    address_field = "email"

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.email)

    def send(self, *, recipient: Recipient, message: Message) -> None:
        EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [recipient.email]).send()


CHANNELS: dict[str, Channel] = {"email": EmailChannel()}


def address_of(*, channel: str, recipient: Recipient) -> str:
    return getattr(recipient, CHANNELS[channel].address_field)


def recipient_at(*, channel: str, address: str, name: str = "") -> Recipient:
    return Recipient(name=name, **{CHANNELS[channel].address_field: address})


def render(*, template: str, context: dict) -> Message:
    with translation.override("vi"):
        subject = render_to_string(f"notifications/{template}.subject.txt", context)
        body = render_to_string(f"notifications/{template}.body.txt", context)
    return Message(subject=" ".join(subject.split()), body=body.strip() + "\n")
