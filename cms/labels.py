"""Printable QR labels for a batch: an A4 sheet of 3 × 8 labels (70 × 36 mm), as PDF or SVG.

Each label carries the QR code of the batch's absolute traceability URL, the product name, the
lot code and the dates. The PDF embeds a TrueType font with Vietnamese glyphs when one is
installed (Debian: `fonts-dejavu-core`, or `settings.OCOP_LABEL_FONT`); without one it falls back
to Helvetica and prints the text without diacritics rather than as missing glyphs. The SVG
always keeps the full Vietnamese text (the viewer's fonts draw it).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import segno
from django.conf import settings

COLUMNS, ROWS = 3, 8
PER_SHEET = COLUMNS * ROWS
MAX_LABELS = PER_SHEET * 20
PAGE_W, PAGE_H = 210.0, 297.0  # mm, A4
LABEL_W, LABEL_H = PAGE_W / COLUMNS, 36.0
TOP = (PAGE_H - ROWS * LABEL_H) / 2
PAD, QR_SIZE = 3.0, 30.0
TEXT_X = PAD + QR_SIZE + 2.0
TEXT_W = LABEL_W - TEXT_X - PAD

FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
]


@dataclasses.dataclass(frozen=True)
class Label:
    url: str
    product: str
    lot_code: str
    produced_on: dt.date
    best_before: dt.date | None
    producer: str
    code: str

    def lines(self) -> list[tuple[str, str]]:
        """(style, text) lines under the product name."""
        lines = [("text", f"Lô: {self.lot_code}"), ("text", f"NSX: {self.produced_on:%d/%m/%Y}")]
        if self.best_before:
            lines.append(("text", f"HSD: {self.best_before:%d/%m/%Y}"))
        lines += [("small", self.producer), ("small", f"Truy xuất: {self.code}")]
        return lines


def label_for_batch(batch) -> Label:
    """The label of a batch (select_related `product__producer` to avoid queries)."""
    return Label(
        url=traceability_url(batch), product=batch.product.name, lot_code=batch.lot_code,
        produced_on=batch.produced_on, best_before=batch.best_before,
        producer=batch.product.producer.name, code=batch.code,
    )


def traceability_url(batch) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + batch.get_absolute_url()


def strip_diacritics(text: str) -> str:
    """'Chuối Đông' → 'Chuoi Dong' (for fonts without Vietnamese glyphs)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _qr_modules(url: str) -> tuple[list[tuple[int, int, int]], int]:
    """The dark runs of the QR matrix (quiet zone included) as (row, first column, length), and
    the matrix size in modules."""
    rows = list(segno.make(url, error="m").matrix_iter(scale=1, border=4))
    runs = []
    for r, row in enumerate(rows):
        start = None
        for c, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = c
            elif not dark and start is not None:
                runs.append((r, start, c - start))
                start = None
    return runs, len(rows)


# PDF --------------------------------------------------------------------------------------


@functools.cache
def _pdf_fonts() -> tuple[str, str, bool]:
    """(regular, bold, has Vietnamese glyphs), registering a TrueType font with reportlab once."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    configured = getattr(settings, "OCOP_LABEL_FONT", "")
    candidates = [(configured, configured)] if configured else []
    for regular, bold in candidates + FONT_CANDIDATES:
        if Path(regular).is_file():
            bold = bold if Path(bold).is_file() else regular
            pdfmetrics.registerFont(TTFont("OcopLabel", regular))
            pdfmetrics.registerFont(TTFont("OcopLabel-Bold", bold))
            return "OcopLabel", "OcopLabel-Bold", True
    return "Helvetica", "Helvetica-Bold", False


def _fit(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Word-wrap `text` to `width` (points), ending with an ellipsis when it does not fit."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, words = [], text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and stringWidth(f"{line} {words[0]}", font, size) <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words or (lines and stringWidth(lines[-1], font, size) > width):
        last = lines[-1]
        while last and stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines or [""]


def labels_pdf(labels: Sequence[Label], title: str = "") -> bytes:
    """A4 pages of labels, `PER_SHEET` to a page."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    regular, bold, unicode_ok = _pdf_fonts()
    text = (lambda s: s) if unicode_ok else strip_diacritics
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_W * mm, PAGE_H * mm), pageCompression=1)
    pdf.setTitle(text(title))
    for first in range(0, len(labels), PER_SHEET):
        for slot, label in enumerate(labels[first:first + PER_SHEET]):
            row, col = divmod(slot, COLUMNS)
            x, top = col * LABEL_W * mm, (PAGE_H - TOP - row * LABEL_H) * mm
            _pdf_label(pdf, label, x, top, regular, bold, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _pdf_label(pdf, label: Label, x: float, top: float, regular: str, bold: str, text) -> None:
    from reportlab.lib.units import mm

    runs, size = _qr_modules(label.url)
    module = QR_SIZE * mm / size
    qr_x, qr_top = x + PAD * mm, top - (LABEL_H - QR_SIZE) / 2 * mm
    path = pdf.beginPath()
    for r, c, length in runs:
        path.rect(qr_x + c * module, qr_top - (r + 1) * module, length * module, module)
    pdf.drawPath(path, stroke=0, fill=1)
    pdf.linkURL(label.url, (qr_x, qr_top - QR_SIZE * mm, qr_x + QR_SIZE * mm, qr_top))

    tx, width, y = x + TEXT_X * mm, TEXT_W * mm, top - PAD * mm - 7
    for line in _fit(text(label.product), bold, 7.5, width, 2):
        pdf.setFont(bold, 7.5)
        pdf.drawString(tx, y, line)
        y -= 9
    for style, value in label.lines():
        font_size = 6.5 if style == "text" else 5.5
        pdf.setFont(regular, font_size)
        pdf.drawString(tx, y, _fit(text(value), regular, font_size, width, 1)[0])
        y -= font_size + 2.2


# SVG --------------------------------------------------------------------------------------


def labels_svg(labels: Sequence[Label], title: str = "") -> str:
    """One A4 sheet (the first `PER_SHEET` labels) as SVG in millimetres, with the full text."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{PAGE_W:g}mm" height="{PAGE_H:g}mm" viewBox="0 0 {PAGE_W:g} {PAGE_H:g}" '
        f'font-family="DejaVu Sans, Noto Sans, Arial, sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{PAGE_W:g}" height="{PAGE_H:g}" fill="#fff"/>',
    ]
    for slot, label in enumerate(labels[:PER_SHEET]):
        row, col = divmod(slot, COLUMNS)
        parts.append(_svg_label(label, col * LABEL_W, TOP + row * LABEL_H))
    parts.append("</svg>\n")
    return "\n".join(parts)


def _svg_label(label: Label, x: float, y: float) -> str:
    runs, size = _qr_modules(label.url)
    scale = QR_SIZE / size
    d = "".join(f"M{c} {r}h{length}v1h-{length}z" for r, c, length in runs)
    qr_y = (LABEL_H - QR_SIZE) / 2
    out = [
        f'<g transform="translate({x:.3f} {y:.3f})">',
        f'<rect width="{LABEL_W:.3f}" height="{LABEL_H:g}" fill="none" stroke="#ddd" stroke-width="0.1"/>',
        f'<a href={quoteattr(label.url)} xlink:href={quoteattr(label.url)}>',
        f'<path transform="translate({PAD:g} {qr_y:g}) scale({scale:.5f})" d="{d}" fill="#000"/></a>',
    ]
    regular, bold, _unicode_ok = _pdf_fonts()  # only to measure text: widths scale with the size
    ty = PAD + 3.0
    for line in _fit(label.product, bold, 2.7, TEXT_W, 2):
        out.append(f'<text x="{TEXT_X:g}" y="{ty:.2f}" font-size="2.7" font-weight="bold">{escape(line)}</text>')
        ty += 3.2
    for style, value in label.lines():
        font_size = 2.3 if style == "text" else 1.95
        line = _fit(value, regular, font_size, TEXT_W, 1)[0]
        out.append(f'<text x="{TEXT_X:g}" y="{ty:.2f}" font-size="{font_size}">{escape(line)}</text>')
        ty += font_size + 0.8
    out.append("</g>")
    return "".join(out)
