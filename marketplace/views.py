import posixpath

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views import static

# Folders of MEDIA_ROOT never served as plain files: documents go through Wagtail's serve view
# (/documents/<id>/<name>: collection privacy, a download rather than a page, a no-script CSP);
# an HTML or SVG file served from here would run as a page of our own origin. Wagtail's kept
# multiple-upload files are only read by the admin.
PRIVATE_MEDIA_DIRS = frozenset({"documents", "wagtail_uploads"})


def healthz(request):
    """A trivial view: liveness probe and the benchmark's baseline."""
    return HttpResponse(b"ok", content_type="text/plain")


def media(request, path: str) -> HttpResponse:
    """MEDIA_ROOT when this server serves it itself (SERVE_MEDIA), without the private folders."""
    folder = posixpath.normpath(path).lstrip("/").split("/", 1)[0]  # as static.serve resolves it
    if folder in PRIVATE_MEDIA_DIRS:
        raise Http404
    return static.serve(request, path, document_root=settings.MEDIA_ROOT)


def bad_request(request, *, message: str) -> HttpResponse:
    """A page's answer to a parameter it cannot use: 400 with a plain message (Vietnamese)."""
    return render(request, "bad_request.html", {"message": message}, status=400)
