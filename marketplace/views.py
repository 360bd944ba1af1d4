from django.http import HttpResponse
from django.shortcuts import render


def healthz(request):
    """A trivial view: liveness probe and the benchmark's baseline."""
    return HttpResponse(b"ok", content_type="text/plain")


def bad_request(request, *, message: str) -> HttpResponse:
    """A page's answer to a parameter it cannot use: 400 with a plain message (Vietnamese)."""
    return render(request, "bad_request.html", {"message": message}, status=400)
