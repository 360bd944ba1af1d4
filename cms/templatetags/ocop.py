from django import template

register = template.Library()


@register.filter
def vnd(value) -> str:
    """120000 → '120.000 ₫' (integer đồng, dot thousands separator)."""
    if value is None or value == "":
        return ""
    return f"{int(value):,}".replace(",", ".") + " ₫"


@register.filter
def stars(value) -> str:
    return "★" * int(value or 0)


@register.simple_tag(takes_context=True)
def language_url(context, language: str) -> str:
    """This page's address in another language (`/en/...` for English, unprefixed for Vietnamese)."""
    from django.conf import settings

    path = context["request"].path
    for code, _name in settings.LANGUAGES:
        if path.startswith(f"/{code}/"):
            path = path[len(code) + 1:]
            break
    return path if language == settings.LANGUAGE_CODE else f"/{language}{path}"


@register.simple_tag
def csp_nonce() -> str:
    """The Content-Security-Policy nonce of this request, for an inline <script nonce="...">
    in a template rendered without the request (see marketplace.content_security)."""
    from marketplace.content_security import current_nonce

    return current_nonce()
