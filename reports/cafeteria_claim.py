"""The cafeteria office's printouts: the monthly claim for reimbursement by site (meals by service and
category, the edit check of 7 CFR 210.8 with the days over flagged) and a day's meal counts. Built
from the DTOs of app.services.cafeteria.office."""

from __future__ import annotations

from datetime import date

from reportlab.lib import colors
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from reports.base import ACCENT, FONT_BOLD, RULE, printed_on, render, styles

FLAG = colors.HexColor("#fbe3e0")
SERVICE = {"breakfast": "Breakfast", "lunch": "Lunch", "snack": "Snack"}


def _grid(header: list[str], body: list[list], widths: list[float], *, flagged: set[int] = frozenset(),
          total: list | None = None) -> Table:
    st = styles()
    rows = [[Paragraph(h, st["cell_bold"]) for h in header]]
    rows += [[Paragraph(str(v), st["cell"]) for v in r] for r in body]
    if total is not None:
        rows.append([Paragraph(str(v), st["cell_bold"]) for v in total])
    style = [("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT), ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
             ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD), ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    style += [("BACKGROUND", (0, i + 1), (-1, i + 1), FLAG) for i in flagged]
    if total is not None:
        style.append(("LINEABOVE", (0, -1), (-1, -1), 1.0, ACCENT))
    t = Table(rows, colWidths=[w * inch for w in widths], repeatRows=1)
    t.setStyle(TableStyle(style))
    return t


def build_claim(claim, *, district: str = "Riverbend ISD") -> bytes:
    st = styles()
    month = f"{claim.month:%B %Y}"
    story = [Paragraph("Claim for reimbursement — school meals", st["title"]),
             Paragraph(f"{claim.school_name} · {month} · {claim.operating_days} serving days", st["body"]),
             Spacer(1, 8), Paragraph("Reimbursable meals by service and category", st["heading"])]
    body = [[SERVICE.get(ln.service, ln.service), ln.category.capitalize(), ln.meals] for ln in claim.lines]
    story.append(_grid(["Meal service", "Category", "Meals"], body, [2.2, 2.2, 1.2],
                       total=["Total", "", sum(ln.meals for ln in claim.lines)]))
    story += [Spacer(1, 4), Paragraph(f"Second meals and other non-reimbursable meals served: {claim.non_reimbursable}",
                                      st["small"]),
              Paragraph("Edit check (7 CFR 210.8)", st["heading"]),
              Paragraph(f"Each day's meals by category against eligible students × attendance factor "
                        f"{claim.edit_check.attendance_factor}. Days over: "
                        f"{', '.join(f'{d:%b} {d.day}' for d in claim.edit_check.days_over) or 'none'}.", st["body"]),
              Spacer(1, 4)]
    rows = claim.edit_check.rows
    story.append(_grid(["Day", "Service", "Category", "Meals", "Eligible", "Limit"],
                       [[f"{r.day:%a %b} {r.day.day}", SERVICE.get(r.service, r.service), r.category.capitalize(),
                         r.count, r.eligible, r.limit] for r in rows], [1.3, 1.1, 1.1, 0.9, 0.9, 0.9],
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
    story = [Paragraph("Daily meal counts", st["title"]),
             Paragraph(f"{school_name} · {day:%A, %B} {day.day}, {day:%Y}", st["body"]), Spacer(1, 8)]
    body = [[SERVICE.get(r.service, r.service), r.category.capitalize(), r.reimbursable, r.non_reimbursable]
            for r in rows]
    story.append(_grid(["Meal service", "Category", "Reimbursable", "Not reimbursable"], body, [1.8, 1.6, 1.4, 1.6],
                       total=["Total", "", sum(r.reimbursable for r in rows), sum(r.non_reimbursable for r in rows)])
                 if body else Paragraph("No meals were counted that day.", st["small"]))
    return render(story, title=f"Meal counts {school_name} {day}", header=f"{district} · Child nutrition",
                  footer=printed_on(today or date.today()))
