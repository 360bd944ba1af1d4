"""Content-Security-Policy and Permissions-Policy, built from the settings they depend on.

A pure function of the map tile URL and the Stripe API base, so that a test pointing Stripe at
a local fake builds the same policy with that origin.

Scripts: our own files and Stripe.js; an inline script runs only with the request's nonce
(Wagtail's admin has a few: see marketplace.content_security). Styles may be inline: Wagtail's
admin and Leaflet set style attributes, and a style cannot run code. Frames: Stripe's card
fields and 3-D Secure pages, and the video sites an article may embed (YouTube, Vimeo).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

STRIPE_DEFAULT_API = "https://api.stripe.com"
STRIPE_JS = ["https://js.stripe.com", "https://*.js.stripe.com"]
STRIPE_FRAMES = [*STRIPE_JS, "https://hooks.stripe.com"]
VIDEO_FRAMES = ["https://www.youtube.com", "https://www.youtube-nocookie.com", "https://player.vimeo.com"]


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL; a tile URL's `{s}` subdomain becomes `*`. Empty if none."""
    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def content_security_policy(*, map_tile_url: str, stripe_api_base: str, report_uri: str = "") -> dict:
    """The CONTENT_SECURITY_POLICY setting of django-csp 4."""
    stripe_api = origin(stripe_api_base) or STRIPE_DEFAULT_API
    stripe_fake = [] if stripe_api == STRIPE_DEFAULT_API else [stripe_api]  # a local fake serves its own Stripe.js
    tiles = [origin(map_tile_url)] if origin(map_tile_url) else []
    directives = {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, *STRIPE_JS, *stripe_fake],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *tiles],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, stripe_api],
        "frame-src": [SELF, *STRIPE_FRAMES, *stripe_fake, *VIDEO_FRAMES],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [SELF],  # Wagtail's preview frames the site in its own admin
    }
    if report_uri:
        directives["report-uri"] = [report_uri]
    return {"DIRECTIVES": directives}


# Features the site never uses are off for it and anything it frames; card payments may use the
# browser's payment sheet inside Stripe's frames.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "ambient-light-sensor": [],
    "browsing-topics": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": ["self", "https://js.stripe.com"],
    "serial": [],
    "usb": [],
}
