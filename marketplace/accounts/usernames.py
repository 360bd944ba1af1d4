"""Usernames people choose at sign-up: one safe alphabet, so no two can look alike.

Normalised with NFKC (full-width "ｎｓｘ" becomes "nsx") and lower-cased, then held to ASCII
letters, digits and `. _ -`, 3–30 long, starting and ending with a letter or digit. Vietnamese
letters are left out on purpose: allowing them means allowing combining marks and Latin
lookalikes from other scripts (Cyrillic "а", Greek "ο"), which is the confusable problem
itself; logins such as `nsx.chuoigiaphu` are already the Vietnamese habit. Markup, emoji,
spaces and invisible characters all fall outside the alphabet.
"""
from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USERNAME_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9._-]{1,28})[a-z0-9]", re.ASCII)


def username_normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().lower()


def username_clean(value: str) -> str:
    """The normalised username, or ValidationError in Vietnamese saying what is allowed."""
    username = username_normalise(value)
    if not USERNAME_PATTERN.fullmatch(username):
        raise ValidationError(_("Tên đăng nhập dài 3–30 ký tự, chỉ gồm chữ cái không dấu a–z, chữ số và . _ -, "
                                "bắt đầu và kết thúc bằng chữ hoặc số (ví dụ: nsx.chetanhcuong)."), code="invalid")
    return username
