"""One-time codes that prove a person holds a phone number.

Six digits, sent through the notifications' phone path, kept only as a keyed hash (HMAC with
SECRET_KEY) in the cache with what they unlock; they expire after PHONE_CODE_MINUTES, allow
PHONE_CODE_MAX_ATTEMPTS tries and work once. The cache is shared by the web servers in
scale-out (Redis), so any server can check a code another sent.
"""
from __future__ import annotations

import secrets

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

from marketplace import notifications

_PREFIX = "phonecode:"


def _hash(challenge: str, code: str) -> str:
    return salted_hmac("ocop.phone-code", f"{challenge}:{code}").hexdigest()


def phone_code_send(*, phone: str, purpose: str, payload: dict) -> str | None:
    """Send a new code to `phone`; return the challenge id to check it against, or None when no
    channel could take the message. `payload` is handed back once the code is right."""
    challenge, code = secrets.token_urlsafe(24), f"{secrets.randbelow(10**6):06d}"
    timeout = settings.PHONE_CODE_MINUTES * 60
    cache.set(_PREFIX + challenge, {"purpose": purpose, "phone": phone, "hash": _hash(challenge, code), "payload": payload},
              timeout=timeout)
    cache.set(_PREFIX + challenge + ":tries", 0, timeout=timeout)
    sent = notifications.notify_phone(phone=phone, template="phone_code",
                                      context={"code": code, "minutes": settings.PHONE_CODE_MINUTES})
    if not sent:
        cache.delete_many([_PREFIX + challenge, _PREFIX + challenge + ":tries"])
        return None
    return challenge


def phone_code_check(*, challenge: str, purpose: str, code: str) -> dict | None:
    """The payload when `code` is right (the code is then used up); None when wrong, expired or
    out of tries. Each wrong try counts; the last one wipes the code."""
    key = _PREFIX + challenge
    stored = cache.get(key)
    if not stored or stored["purpose"] != purpose:
        return None
    try:
        tries = cache.incr(key + ":tries")
    except ValueError:  # expired meanwhile
        return None
    if tries > settings.PHONE_CODE_MAX_ATTEMPTS:
        cache.delete_many([key, key + ":tries"])
        return None
    if not constant_time_compare(stored["hash"], _hash(challenge, (code or "").strip())):
        return None
    if not cache.delete(key):  # used once: a second request racing with the same code finds it gone
        return None
    return stored["payload"]


def phone_code_pending(*, challenge: str, purpose: str) -> dict | None:
    """What a live challenge is for (the phone it went to), without counting a try."""
    stored = cache.get(_PREFIX + challenge)
    return stored if stored and stored["purpose"] == purpose else None
