from django.http import HttpResponse


def healthz(request):
    """A trivial view: liveness probe and the benchmark's baseline."""
    return HttpResponse(b"ok", content_type="text/plain")
