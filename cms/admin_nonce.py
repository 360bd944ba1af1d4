"""The Wagtail admin's inline scripts carry the request's Content-Security-Policy nonce.

Wagtail 8's admin mostly runs from files, but a few pieces still write an inline <script>:
- templates (date/time widgets, inline panels): overridden under cms/templates/wagtailadmin/
  with `nonce="{% csp_nonce %}"`;
- chooser widgets (page, image, document, snippet, task), whose `render` appends
  `<script>new ImageChooser(...)</script>` in Python: wrapped below, once, at start-up.
The nonce comes from marketplace.content_security (the request being handled).
"""
from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe
from wagtail.admin.widgets.chooser import BaseChooser

from marketplace.content_security import current_nonce

_wagtail_render = BaseChooser.render


def _render_with_nonce(self, name, value, attrs=None, renderer=None):
    html = _wagtail_render(self, name, value, attrs=attrs, renderer=renderer)
    before, tag, after = str(html).rpartition("<script>")  # the script Wagtail appends last
    if not tag:
        return html
    return mark_safe(f'{before}<script nonce="{escape(current_nonce())}">{after}')  # noqa: S308 - Wagtail's own output


def install() -> None:
    BaseChooser.render = _render_with_nonce
