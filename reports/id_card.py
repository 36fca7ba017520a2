"""A student ID card, CR80 size (3.375 × 2.125 in), with a Code 128 barcode of the student
unique id: the same barcode the lunch line, the library desk and the bus scan."""

from __future__ import annotations

import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib import colors
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from reports.base import ACCENT, FONT, FONT_BOLD, INK, MUTED, register_fonts
from reports.documents import IdCard

CARD = (3.375 * inch, 2.125 * inch)


def _fit(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest size up to `size` at which the text fits the width (long names shrink, not clip)."""
    while size > 6 and c.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def build(card: IdCard) -> bytes:
    register_fonts()
    buf = io.BytesIO()
    w, h = CARD
    c = canvas.Canvas(buf, pagesize=CARD)
    c.setTitle(f"Student ID {card.student_name}")
    c.setAuthor("School Office")
    # header band: district and school
    c.setFillColor(ACCENT)
    c.rect(0, h - 0.42 * inch, w, 0.42 * inch, stroke=0, fill=1)
    c.setFillColor(colors.white)
    c.setFont(FONT_BOLD, _fit(c, card.school, FONT_BOLD, 9, w - 0.24 * inch))
    c.drawString(0.12 * inch, h - 0.2 * inch, card.school)
    c.setFont(FONT, 6.5)
    c.drawString(0.12 * inch, h - 0.34 * inch, f"{card.district} · {card.school_year}")
    # photo placeholder
    c.setStrokeColor(MUTED)
    c.setFillColor(colors.HexColor("#e3e8ee"))
    c.rect(0.12 * inch, h - 1.42 * inch, 0.8 * inch, 0.92 * inch, stroke=1, fill=1)
    c.setFillColor(MUTED)
    c.setFont(FONT, 6)
    c.drawCentredString(0.52 * inch, h - 0.98 * inch, "PHOTO")
    # who
    left = 1.04 * inch
    c.setFillColor(INK)
    c.setFont(FONT_BOLD, _fit(c, card.student_name, FONT_BOLD, 12, w - left - 0.12 * inch))
    c.drawString(left, h - 0.72 * inch, card.student_name)
    c.setFont(FONT, 8)
    c.drawString(left, h - 0.92 * inch, card.grade_level)
    c.drawString(left, h - 1.08 * inch, f"Student ID {card.student_unique_id}")
    c.setFont(FONT, 6)
    c.setFillColor(MUTED)
    c.drawString(left, h - 1.24 * inch, "If found, please return to the school office.")
    # barcode, with its quiet zones, centred at the bottom
    code = createBarcodeDrawing("Code128", value=card.student_unique_id, barHeight=0.38 * inch,
                                barWidth=0.0125 * inch, humanReadable=True, fontName=FONT, fontSize=7,
                                quiet=True)
    renderPDF.draw(code, c, (w - code.width) / 2, 0.1 * inch)
    c.showPage()
    c.save()
    return buf.getvalue()
