"""The cafeteria office's printouts: the monthly claim for reimbursement by site (meals by service and
category with each service's total, second meals apart, the edit check of 7 CFR 210.8 with the days
over flagged in words as well as colour) and a day's meal counts. Built from the DTOs of
app.services.cafeteria.office.

What a cafeteria manager reads on them: every number right-aligned under its heading, the three
categories always in the same order (free, reduced, paid) and always present, a total per meal
service (each is claimed at its own rate), and one line saying where the counts come from."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from reports.base import ACCENT, FONT_BOLD, RULE, printed_on, render, styles

FLAG = colors.HexColor("#fbe3e0")
SUBTOTAL = colors.HexColor("#eef2f6")
SERVICE = {"breakfast": "Breakfast", "lunch": "Lunch", "snack": "Snack"}
SERVICES = ("breakfast", "lunch", "snack")
CATEGORIES = ("free", "reduced", "paid")
SOURCE = ("Counted from the point of sale's ledger: one reimbursable meal per student per meal service per day "
          "(the first one sold; voided sales left out). A second meal the same service is sold at the second-meal "
          "price and is not claimed.")


@lru_cache(maxsize=1)
def _numbers() -> tuple[ParagraphStyle, ParagraphStyle]:
    st = styles()
    return (ParagraphStyle("num", parent=st["cell"], alignment=TA_RIGHT),
            ParagraphStyle("num_bold", parent=st["cell_bold"], alignment=TA_RIGHT))


def _grid(header: list[str], body: list[list], widths: list[float], *, numeric_from: int,
          flagged: set[int] = frozenset(), bold: set[int] = frozenset(), total: list | None = None) -> Table:
    """A table whose columns from `numeric_from` on are numbers (right-aligned); rows in `bold` are
    subtotals, rows in `flagged` are shaded (their text says why too)."""
    st = styles()
    num, num_bold = _numbers()

    def cells(values, row_bold: bool) -> list:
        return [Paragraph(str(v), (num_bold if row_bold else num) if i >= numeric_from else
                          (st["cell_bold"] if row_bold else st["cell"])) for i, v in enumerate(values)]

    rows = [[Paragraph(h, num_bold if i >= numeric_from else st["cell_bold"]) for i, h in enumerate(header)]]
    rows += [cells(r, i in bold) for i, r in enumerate(body)]
    if total is not None:
        rows.append(cells(total, True))
    style = [("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT), ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
             ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    style += [("BACKGROUND", (0, i + 1), (-1, i + 1), FLAG) for i in flagged]
    style += [("BACKGROUND", (0, i + 1), (-1, i + 1), SUBTOTAL) for i in bold]
    if total is not None:
        style.append(("LINEABOVE", (0, -1), (-1, -1), 1.0, ACCENT))
    t = Table(rows, colWidths=[w * inch for w in widths], repeatRows=1)
    t.setStyle(TableStyle(style))
    return t


def _by_service(rows, value) -> tuple[list[list], set[int], list]:
    """Body rows: each service's three categories then its total; `value(service, category)` gives the
    row's numbers. Returns (body, subtotal rows, grand total numbers)."""
    body, bold, grand = [], set(), None
    for svc in SERVICES:
        if not any(r.service == svc for r in rows):
            continue
        sums = None
        for cat in CATEGORIES:
            nums = value(svc, cat)
            body.append([SERVICE[svc], cat.capitalize(), *nums])
            sums = list(nums) if sums is None else [a + b for a, b in zip(sums, nums)]
        bold.add(len(body))
        body.append([SERVICE[svc], "total", *sums])
        grand = list(sums) if grand is None else [a + b for a, b in zip(grand, sums)]
    return body, bold, grand or []


def build_claim(claim, *, district: str = "Riverbend ISD") -> bytes:
    st = styles()
    month = f"{claim.month:%B %Y}"
    found = {(ln.service, ln.category): ln for ln in claim.lines}
    body, bold, grand = _by_service(claim.lines, lambda s, c: (
        found[s, c].meals if (s, c) in found else 0, found[s, c].not_claimed if (s, c) in found else 0))
    story = [Paragraph("Claim for reimbursement — school meals", st["title"]),
             Paragraph(f"{claim.school_name} · {month} · {claim.operating_days} serving days "
                       "(days with meals counted)", st["body"]),
             Paragraph(SOURCE, st["small"]), Spacer(1, 6),
             Paragraph("Reimbursable meals by service and category", st["heading"])]
    story.append(_grid(["Meal service", "Category", "Reimbursable meals (claimed)", "Second meals (not claimed)"],
                       body, [1.5, 1.3, 2.0, 2.0], numeric_from=2, bold=bold,
                       total=["All services", "", *grand]) if body else
                 Paragraph("No meals were counted this month.", st["body"]))
    story += [Spacer(1, 4),
              Paragraph(f"Second meals and other meals not claimed: {claim.non_reimbursable}", st["body"]),
              Paragraph("Edit check (7 CFR 210.8)", st["heading"]),
              Paragraph(f"Each day's reimbursable meals in a category may not exceed the students eligible in that "
                        f"category × the attendance factor {claim.edit_check.attendance_factor} (the limit). Days "
                        f"over the limit: {', '.join(f'{d:%b} {d.day}' for d in claim.edit_check.days_over) or 'none'}"
                        ". Review each day marked “Over” before signing.", st["body"]),
              Spacer(1, 4)]
    rows = claim.edit_check.rows
    story.append(_grid(["Day", "Service", "Category", "Meals claimed", "Eligible students", "Limit", "Check"],
                       [[f"{r.day:%a %b} {r.day.day}", SERVICE.get(r.service, r.service), r.category.capitalize(),
                         r.count, r.eligible, r.limit, "Over" if r.over else "OK"] for r in rows],
                       [1.0, 0.9, 0.9, 1.1, 1.2, 0.7, 0.7], numeric_from=3,
                       flagged={i for i, r in enumerate(rows) if r.over}) if rows else
                 Paragraph("No meals were counted this month.", st["small"]))
    story += [Spacer(1, 14), Paragraph("I certify that these counts are taken from the point of sale's daily "
                                       "records and that days over the edit check were reviewed.", st["small"]),
              Spacer(1, 22), Paragraph("Signature of the food service director ______________________   "
                                       "Date __________", st["body"])]
    return render(story, title=f"Meal claim {claim.school_name} {month}", header=f"{district} · Child nutrition",
                  footer=printed_on(claim.prepared_on))


def build_daily_counts(school_name: str, day: date, rows, *, district: str = "Riverbend ISD",
                       today: date | None = None) -> bytes:
    st = styles()
    found = {(r.service, r.category): r for r in rows}
    body, bold, grand = _by_service(rows, lambda s, c: (
        found[s, c].reimbursable if (s, c) in found else 0, found[s, c].non_reimbursable if (s, c) in found else 0))
    story = [Paragraph("Daily meal counts", st["title"]),
             Paragraph(f"{school_name} · {day:%A, %B} {day.day}, {day:%Y}", st["body"]),
             Paragraph(SOURCE, st["small"]), Spacer(1, 8)]
    story.append(_grid(["Meal service", "Category", "Reimbursable meals", "Second meals (not claimed)"], body,
                       [1.5, 1.3, 1.8, 2.0], numeric_from=2, bold=bold, total=["All services", "", *grand])
                 if body else Paragraph("No meals were counted that day.", st["body"]))
    return render(story, title=f"Meal counts {school_name} {day}", header=f"{district} · Child nutrition",
                  footer=printed_on(today or date.today()))
