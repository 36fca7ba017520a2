"""One base for every printout: fonts registered once from resources/fonts, a stylesheet built
once, page templates with a header line and "Page X of Y" in the footer."""

from __future__ import annotations

import io
from datetime import date
from functools import lru_cache
from importlib.resources import files

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageBreak, PageTemplate

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
INK = colors.HexColor("#1b2733")
ACCENT = colors.HexColor("#1f3a5f")
MUTED = colors.HexColor("#4a5763")
RULE = colors.HexColor("#c9d1da")


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """DejaVu covers accented and non-Latin names (José, Nguyễn, Ødegård) the built-in fonts cannot."""
    # Binary image streams: ASCII85 (pure Python without rl_accel) cost most of a logo page's time.
    rl_config.useA85 = 0
    fonts = files("resources.fonts")
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=10, leading=13, textColor=INK)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
        "title": ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=18, leading=22, spaceAfter=4,
                                textColor=ACCENT),
        "heading": ParagraphStyle("heading", parent=body, fontName=FONT_BOLD, fontSize=12, leading=15, spaceBefore=8,
                                  spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=12),
        "cell_bold": ParagraphStyle("cell_bold", parent=body, fontName=FONT_BOLD, fontSize=9.5, leading=12),
    }


class _NumberedCanvas(rl_canvas.Canvas):
    """Defers each page until the end so the footer can say "Page X of Y". One file may hold several
    documents (a batch of report cards): each counts its own pages and has its own footer line, and
    `page_counts` tells how many pages each took."""

    def __init__(self, *args, footers: tuple[str, ...] = ("",), page_counts: list | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._footers = footers
        self._page_counts = page_counts if page_counts is not None else []
        self._part = 0  # set by _PartStart as each document of a batch begins

    def showPage(self) -> None:  # noqa: N802 (reportlab naming)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        parts = [state["_part"] for state in self._pages]
        self._page_counts[:] = [parts.count(i) for i in range(len(self._footers))]
        for n, state in enumerate(self._pages):
            self.__dict__.update(state)
            part = parts[n]
            self._footer(self._footers[part], n + 1 - parts.index(part), self._page_counts[part])
            super().showPage()
        super().save()

    def _footer(self, left: str, page: int, total: int) -> None:
        width, _ = self._pagesize
        self.setFont(FONT, 8.5)
        self.setFillColor(MUTED)
        self.drawString(0.75 * inch, 0.5 * inch, left)
        self.drawRightString(width - 0.75 * inch, 0.5 * inch, f"Page {page} of {total}")


class _PartStart(Flowable):
    """Takes no room: marks that the pages from here on belong to the next document of a batch."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def wrap(self, *_args) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv._part = self.index


def render(story: list, *, title: str, header: str, footer: str, pagesize=LETTER, on_every_page=None,
           bottom_margin: float = 0.85 * inch) -> bytes:
    """Lay out a story of flowables on letter pages with the house header and footer.

    `on_every_page(canvas, doc)`, when given, draws more on each page (a watermark, a seal)."""
    return render_parts([(story, footer)], title=title, header=header, pagesize=pagesize,
                        on_every_page=on_every_page, bottom_margin=bottom_margin)[0]


def render_parts(parts: list[tuple[list, str]], *, title: str, header: str, pagesize=LETTER, on_every_page=None,
                 bottom_margin: float = 0.85 * inch) -> tuple[bytes, list[int]]:
    """Several documents (story, footer line) in one file, each starting on a new page with its own
    "Page X of Y": fonts and images are embedded once for all of them. Returns the file and the
    number of pages of each document, to cut it apart again (pypdfium2 import_pages)."""
    register_fonts()
    buf = io.BytesIO()
    width, height = pagesize
    doc = BaseDocTemplate(buf, pagesize=pagesize, title=title, author="School Office",
                          leftMargin=0.75 * inch, rightMargin=0.75 * inch, topMargin=0.9 * inch,
                          bottomMargin=bottom_margin)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")

    def on_page(c, _doc) -> None:
        c.saveState()
        c.setFont(FONT, 8.5)
        c.setFillColor(MUTED)
        c.drawString(0.75 * inch, height - 0.55 * inch, header)
        c.setStrokeColor(RULE)
        c.line(0.75 * inch, height - 0.62 * inch, width - 0.75 * inch, height - 0.62 * inch)
        c.restoreState()
        if on_every_page is not None:
            c.saveState()
            on_every_page(c, _doc)
            c.restoreState()

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page)])
    flowables: list = []
    for i, (story, _footer) in enumerate(parts):
        flowables += ([PageBreak()] if i else []) + [_PartStart(i)] + list(story)
    footers = tuple(f for _s, f in parts)
    counts: list[int] = []
    doc.build(flowables, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, footers=footers, page_counts=counts, **k))
    return buf.getvalue(), counts


def printed_on(day: date) -> str:
    return f"Printed {day:%B} {day.day}, {day:%Y}"
