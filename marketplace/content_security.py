"""The request's CSP nonce for templates that are rendered without a request in their context.

django-csp puts a fresh nonce on `request.csp_nonce` and adds it to the Content-Security-Policy
header only when a template used it. Wagtail's admin still has a few inline scripts in templates
rendered without the request (form widgets: dates and times; inline panels), which we override
under templates/wagtailadmin/ to carry the nonce; they reach the current request through this
context variable. Set per request (threads and async tasks each see their own).
"""
from __future__ import annotations

from contextvars import ContextVar

_request: ContextVar = ContextVar("content_security_request", default=None)


class CurrentRequestMiddleware:
    """Must sit after csp.middleware.CSPMiddleware (which creates `request.csp_nonce`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_nonce() -> str:
    """The nonce of the request being handled; empty outside a request (a script then stays blocked)."""
    request = _request.get()
    nonce = getattr(request, "csp_nonce", None) if request is not None else None
    return str(nonce) if nonce is not None else ""
