"""Producer sign-up in two steps: the form, then a code sent to the phone it names.

Nothing is written before the code comes back: the sign-up waits in the cache beside the code
(see `phone_codes`), so commune editors never see, nor are told about, a sign-up whose phone
was not proven. Codes sent are limited per client address and per phone number (text messages
cost money and reach strangers' phones).

Usernames: the form never says whether a name is taken, so it cannot be used to list accounts.
Only after the phone is proven is a taken name refused, with a request to sign up again under
another; finding out costs a real phone, a code and a slot of that phone's hourly limit.
"""
from __future__ import annotations

import dataclasses

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.catalog.models import AdminUnit, Producer

from .phone_codes import phone_code_check, phone_code_pending, phone_code_send
from .ratelimit import rate_limit_exceeded, rate_limit_hit

PURPOSE = "producer-signup"
HOUR = 3600


class SignupError(Exception):
    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


@dataclasses.dataclass(frozen=True)
class SignupData:
    name: str
    kind: str
    phone: str  # E.164
    tax_code: str
    address: str
    commune_id: int
    username: str
    password: str  # clear text here; only its hash is kept


def producer_signup_start(*, data: SignupData, client_ip: str) -> str:
    """Send the phone a code; return the challenge id the verification step needs."""
    limits = (("signup-ip", client_ip, settings.SIGNUP_CODES_PER_IP_PER_HOUR),
              ("signup-phone", data.phone, settings.SIGNUP_CODES_PER_PHONE_PER_HOUR))
    if any(rate_limit_exceeded(scope=scope, value=value, limit=limit) for scope, value, limit in limits):
        raise SignupError(_("Đã gửi quá nhiều mã xác minh. Vui lòng thử lại sau một giờ."), status=429)
    for scope, value, limit in limits:
        rate_limit_hit(scope=scope, value=value, limit=limit, window_seconds=HOUR)
    payload = {**dataclasses.asdict(data), "password": make_password(data.password)}
    challenge = phone_code_send(phone=data.phone, purpose=PURPOSE, payload=payload)
    if challenge is None:
        raise SignupError(_("Chưa gửi được mã xác minh tới số điện thoại này. Vui lòng thử lại sau."), status=503)
    return challenge


def producer_signup_phone(*, challenge: str) -> str | None:
    pending = phone_code_pending(challenge=challenge, purpose=PURPOSE)
    return pending["phone"] if pending else None


def producer_signup_verify(*, challenge: str, code: str) -> Producer:
    """Create the pending producer and its login once the code is right."""
    payload = phone_code_check(challenge=challenge, purpose=PURPOSE, code=code)
    if payload is None:
        raise SignupError(_("Mã xác minh không đúng hoặc đã hết hạn."))
    users = get_user_model().objects
    try:
        with transaction.atomic():
            if users.filter(username__iexact=payload["username"]).exists():
                raise IntegrityError
            producer = Producer.objects.create(
                name=payload["name"], kind=payload["kind"], phone=payload["phone"], tax_code=payload["tax_code"],
                address=payload["address"], commune=AdminUnit.objects.get(pk=payload["commune_id"]),
                status=Producer.Status.PENDING, privacy_consent_at=timezone.now())
            user = users.create(username=payload["username"], password=payload["password"])
            producer.users.add(user)
    except IntegrityError as error:
        raise SignupError(_("Số điện thoại đã được xác minh, nhưng tên đăng nhập này không dùng được. "
                            "Vui lòng đăng ký lại với tên đăng nhập khác.")) from error
    return producer
