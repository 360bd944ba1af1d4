"""Page actions in the admin (publish, workflow approve, revert, bulk publish) in one transaction.

Wagtail marks a page live and approves the workflow step before it sends `page_published`, and
only some of its views wrap that in a transaction. When the catalogue refuses the listing
(`ListingPublishRefused`, e.g. a stale revision naming another producer's SKU) everything the
action wrote is rolled back here and the approver is told why, in the admin, instead of a server
error. Other admin requests pass through untouched.
"""
from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .services import ListingPublishRefused

PAGE_ACTION_PREFIXES = ("pages/", "bulk/")


class ListingPublishGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not _is_page_action(request.path):
            return self.get_response(request)
        with transaction.atomic():
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ListingPublishRefused) or request.method != "POST" or not _is_page_action(request.path):
            return None
        # Still inside the atomic block opened above: undo what the action wrote before the refusal.
        transaction.set_rollback(True)
        return _refusal_response(request, exception)


def _is_page_action(path: str) -> bool:
    admin = reverse("wagtailadmin_home")
    return path.startswith(admin) and path[len(admin):].startswith(PAGE_ACTION_PREFIXES)


def _refusal_response(request: HttpRequest, refused: ListingPublishRefused) -> HttpResponse:
    messages.error(request, refused.message)
    url = reverse("wagtailadmin_pages:edit", args=[refused.page.pk])
    if request.headers.get("x-requested-with") == "XMLHttpRequest":  # the workflow action modal
        return JsonResponse({"step": "success", "redirect": url})
    return redirect(url)
