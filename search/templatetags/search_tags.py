from urllib.parse import urlencode

from django import template

register = template.Library()
KEYS = ("q", "province", "commune", "category", "stars", "price", "sort", "in_stock", "page")


@register.simple_tag(takes_context=True)
def search_url(context, key: str, value=None) -> str:
    """This search with one parameter set (or removed, when value is empty); any change other
    than the page goes back to page 1."""
    params = {k: v for k in KEYS if (v := context["request"].GET.get(k, "").replace("\x00", ""))}
    if value in (None, ""):
        params.pop(key, None)
    else:
        params[key] = str(value)
    if key != "page":
        params.pop("page", None)
    return "?" + urlencode(params)
