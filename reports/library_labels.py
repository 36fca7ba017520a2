"""Spine labels and barcode labels on Avery-style letter sheets.

Spine labels: Avery 5167 layout (4 across, 20 down, 1.75 x 0.5 in), the call number stacked
one part per line as school libraries shelve it ("FIC / RIV"). Barcode labels: Avery 5160 layout
(3 across, 10 down, 2.625 x 1 in) with the school's name, the title and the copy's Codabar barcode
(start/stop A), its digits printed under it. `skip` leaves used labels of a partly used sheet blank.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from reports.base import FONT, FONT_BOLD, INK, register_fonts


@dataclass(frozen=True)
class LabelCopy:
    barcode: str
    call_number: str | None
    title: str
    school: str


@dataclass(frozen=True)
class Sheet:
    cols: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    pitch_x: float
    pitch_y: float


AVERY_5160 = Sheet(3, 10, 2.625 * inch, 1.0 * inch, 0.1875 * inch, 0.5 * inch, 2.75 * inch, 1.0 * inch)
AVERY_5167 = Sheet(4, 20, 1.75 * inch, 0.5 * inch, 0.3 * inch, 0.5 * inch, 2.05 * inch, 0.5 * inch)


def _cells(sheet: Sheet, n: int, skip: int):
    per_page = sheet.cols * sheet.rows
    for k in range(skip, skip + n):
        page, pos = divmod(k, per_page)
        r, c = divmod(pos, sheet.cols)
        x = sheet.left + c * sheet.pitch_x
        y = LETTER[1] - sheet.top - (r + 1) * sheet.pitch_y
        yield page, x, y


def _sheets(sheet: Sheet, copies: list[LabelCopy], skip: int, draw) -> bytes:
    register_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=LETTER)
    c.setTitle("Labels")
    current = 0
    for copy, (page, x, y) in zip(copies, _cells(sheet, len(copies), skip)):
        while page > current:
            c.showPage()
            current += 1
        draw(c, copy, x, y, sheet)
    c.showPage()
    c.save()
    return buf.getvalue()


def spine_parts(call_number: str | None) -> list[str]:
    parts = (call_number or "").split()
    return parts[:4] or ["—"]


def _spine(c, copy: LabelCopy, x, y, sheet: Sheet) -> None:
    parts = spine_parts(copy.call_number)
    size = 9 if len(parts) <= 2 else 7
    c.setFillColor(INK)
    c.setFont(FONT_BOLD, size)
    top = y + sheet.height / 2 + (len(parts) - 1) * size * 0.55
    for i, p in enumerate(parts):
        c.drawCentredString(x + sheet.width / 2, top - i * size * 1.1 - size * 0.35, p)


def _barcode(c, copy: LabelCopy, x, y, sheet: Sheet) -> None:
    c.setFillColor(INK)
    c.setFont(FONT, 6.5)
    c.drawString(x + 0.12 * inch, y + sheet.height - 0.14 * inch, copy.school[:44])
    title = copy.title if len(copy.title) <= 46 else copy.title[:45] + "…"
    c.setFont(FONT_BOLD, 7)
    c.drawString(x + 0.12 * inch, y + sheet.height - 0.26 * inch, title)
    d = createBarcodeDrawing("Codabar", value=f"A{copy.barcode}A", barHeight=0.42 * inch, barWidth=0.0115 * inch,
                             humanReadable=False, quiet=True)
    renderPDF.draw(d, c, x + (sheet.width - d.width) / 2, y + 0.16 * inch)
    c.setFont(FONT, 7)
    c.drawCentredString(x + sheet.width / 2, y + 0.05 * inch, copy.barcode)


def build_spine_labels(copies: list[LabelCopy], skip: int = 0) -> bytes:
    return _sheets(AVERY_5167, copies, skip, _spine)


def build_barcode_labels(copies: list[LabelCopy], skip: int = 0) -> bytes:
    return _sheets(AVERY_5160, copies, skip, _barcode)
