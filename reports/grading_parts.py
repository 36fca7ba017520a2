"""Pieces the report card and the transcript share: the school heading with its logo, a table in
the house style, and the branding images (shipped in resources/branding)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, Paragraph, Table, TableStyle

from reports.base import ACCENT, FONT, FONT_BOLD, INK, RULE, styles


@lru_cache(maxsize=8)
def branding(name: str) -> str:
    """Path of a shipped image: school_logo.png, district_seal.png, registrar_signature.png."""
    return str(files("resources.branding") / name)


@lru_cache(maxsize=8)
def image_reader(path: str) -> ImageReader:
    return ImageReader(path)


def heading(title: str, lines: list[str], logo: str | None) -> Table:
    st = styles()
    text = [Paragraph(title, st["title"])] + [Paragraph(x, st["body"]) for x in lines]
    if logo is None:
        return Table([[text]], colWidths=[7 * inch])
    img = Image(logo, width=0.85 * inch, height=0.85 * inch)
    t = Table([[img, text]], colWidths=[1.0 * inch, 6.0 * inch])
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    return t


def grid(rows: list[list], widths: list[float], *, plain: bool = False) -> Table:
    """A table whose first row is its header; cells are strings or flowables. `plain` leaves strings
    as they are (no wrapping): several times quicker to lay out, for short cells such as a report
    card's, where a batch of a thousand is waiting."""
    st = styles()
    if plain:
        data = [list(map(str, r)) for r in rows]
    else:
        data = [[Paragraph(str(h), st["cell_bold"]) for h in rows[0]]]
        for r in rows[1:]:
            data.append([c if not isinstance(c, str) else Paragraph(c, st["cell"]) for c in r])
    t = Table(data, colWidths=[w * inch for w in widths], repeatRows=1)
    style = [("FONTNAME", (0, 1), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
             ("TEXTCOLOR", (0, 0), (-1, -1), INK), ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
             ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 3),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD)]
    t.setStyle(TableStyle(style))
    return t
