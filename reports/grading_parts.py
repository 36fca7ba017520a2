"""Pieces the report card and the transcript share: the school heading with its logo, a table in
the house style, and the branding images (shipped in resources/branding)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from reports.base import ACCENT, FONT, FONT_BOLD, INK, RULE, styles


@lru_cache(maxsize=8)
def branding(name: str) -> str:
    """Path of a shipped image: school_logo.png, district_seal.png, registrar_signature.png."""
    return str(files("resources.branding") / name)


@lru_cache(maxsize=8)
def image_reader(path: str) -> ImageReader:
    return ImageReader(path)


class Masthead(Flowable):
    """The school heading: logo, title (wrapped when long), lines under it. Drawn on the canvas
    directly, with the logo by its file name, so a file of many cards holds the logo once and lays
    out no paragraphs for it (a batch of a thousand report cards spent a third of its time there)."""

    LOGO, GAP, TITLE, TITLE_LEADING, BODY, BODY_LEADING = 0.85 * inch, 0.15 * inch, 18, 22, 10, 19

    def __init__(self, title: str, lines: list[str], logo: str | None) -> None:
        super().__init__()
        self.title, self.lines, self.logo = title, lines, logo

    def wrap(self, avail_width, _avail_height):
        self._x = self.LOGO + self.GAP if self.logo else 0
        room = avail_width - self._x - 6
        self._title = simpleSplit(self.title, FONT_BOLD, self.TITLE, room)
        self._body = [part for line in self.lines for part in simpleSplit(line, FONT, self.BODY, room)]
        text = len(self._title) * self.TITLE_LEADING + 4 + len(self._body) * self.BODY_LEADING
        self.width, self.height = avail_width, max(text, self.LOGO if self.logo else 0) + 6
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        if self.logo:
            c.drawImage(self.logo, 0, self.height - 3 - self.LOGO, self.LOGO, self.LOGO, mask="auto")
        t = c.beginText(self._x + 6, self.height - 3 - self.TITLE)
        t.setFont(FONT_BOLD, self.TITLE, self.TITLE_LEADING)
        t.setFillColor(ACCENT)
        for line in self._title:
            t.textLine(line)
        t.moveCursor(0, 4 + self.BODY_LEADING - self.TITLE_LEADING)
        t.setFont(FONT, self.BODY, self.BODY_LEADING)
        t.setFillColor(INK)
        for line in self._body:
            t.textLine(line)
        c.drawText(t)


def heading(title: str, lines: list[str], logo: str | None) -> Flowable:
    return Masthead(title, lines, logo)


class PlainGrid(Flowable):
    """A table of short one-line cells in the house style (bold header row over an accent rule,
    hairlines between rows), drawn as one text object: what reportlab's Table draws for such cells,
    at a fraction of the cost. Splits across pages repeating its header row."""

    PAD_X, PAD_Y, SIZE = 6, 3, 9.5
    ROW = SIZE * 1.2 + 2 * PAD_Y

    def __init__(self, rows: list[list[str]], widths: list[float]) -> None:
        super().__init__()
        self.rows, self.widths = rows, widths
        self.hAlign = "LEFT"

    def wrap(self, avail_width, _avail_height):
        if sum(self.widths) > avail_width:  # a grid planned for the full 7 inches keeps inside the frame
            self.widths = [w * avail_width / sum(self.widths) for w in self.widths]
        self.width, self.height = sum(self.widths), self.ROW * len(self.rows)
        return self.width, self.height

    def split(self, _avail_width, avail_height):
        fit = int(avail_height // self.ROW)
        if fit < 2 or fit >= len(self.rows):
            return []
        return [PlainGrid(self.rows[:fit], self.widths), PlainGrid([self.rows[0]] + self.rows[fit:], self.widths)]

    def draw(self) -> None:
        c = self.canv
        xs = [sum(self.widths[:i]) + self.PAD_X for i in range(len(self.widths))]
        t = c.beginText()
        t.setFillColor(INK)
        for i, row in enumerate(self.rows):
            t.setFont(FONT_BOLD if i == 0 else FONT, self.SIZE)
            baseline = self.height - i * self.ROW - self.PAD_Y - self.SIZE
            for x, cell in zip(xs, row):
                if cell:
                    t.setTextOrigin(x, baseline)
                    t.textOut(cell)
        c.drawText(t)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.4)
        c.lines([(0, self.height - i * self.ROW, self.width, self.height - i * self.ROW)
                 for i in range(2, len(self.rows) + 1)])
        c.setStrokeColor(ACCENT)
        c.setLineWidth(1.2)
        c.line(0, self.height - self.ROW, self.width, self.height - self.ROW)


def grid(rows: list[list], widths: list[float], *, plain: bool = False) -> Flowable:
    """A table whose first row is its header; cells are strings or flowables. `plain` leaves strings
    as they are (no wrapping): several times quicker to lay out, for short cells such as a report
    card's, where a batch of a thousand is waiting."""
    st = styles()
    if plain:
        return PlainGrid([list(map(str, r)) for r in rows], [w * inch for w in widths])
    data = [[Paragraph(str(h), st["cell_bold"]) for h in rows[0]]]
    for r in rows[1:]:
        data.append([c if not isinstance(c, str) else Paragraph(c, st["cell"]) for c in r])
    t = Table(data, colWidths=[w * inch for w in widths], repeatRows=1, hAlign="LEFT")
    style = [("FONTNAME", (0, 1), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
             ("TEXTCOLOR", (0, 0), (-1, -1), INK), ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
             ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 3),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD)]
    t.setStyle(TableStyle(style))
    return t
