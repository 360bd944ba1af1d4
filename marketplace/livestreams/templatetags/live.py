"""`{{ start|time_left:now }}`: "3 ngày 6 giờ" — Django's timeuntil has no Vietnamese words."""
import datetime as dt

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def time_left(start: dt.datetime, now: dt.datetime) -> str:
    seconds = max(int((start - now).total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d ngày", "%(n)d ngày", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d giờ", "%(n)d giờ", hours) % {"n": hours})
    if not days and (minutes or not parts):
        parts.append(ngettext("%(n)d phút", "%(n)d phút", minutes) % {"n": minutes})
    return " ".join(parts)
