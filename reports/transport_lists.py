"""The coordinator's lists on paper: rider counts by run, school and grade; eligible students with
no assignment (with the suggested stop); stops with no riders; riders who have not ridden for N
days. Built from the DTOs of app.services.transport."""

from __future__ import annotations

from datetime import date

from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from reports.base import ACCENT, FONT_BOLD, RULE, printed_on, render, styles


RELEASE = " — <b>release to a designated adult only</b>"


def _table(header: list[str], rows: list[list[str]], widths: list[float], empty: str) -> list:
    st = styles()
    if not rows:
        return [Paragraph(empty, st["small"])]
    data = [[Paragraph(h, st["cell_bold"]) for h in header]] + [[Paragraph(str(x), st["cell"]) for x in r] for r in rows]
    t = Table(data, colWidths=[w * inch for w in widths], repeatRows=1)
    t.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT), ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                           ("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
                           ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    return [t]


def build_lists(day: date, counts, unassigned, empty_stops, idle, idle_days: int, *, district: str = "Riverbend ISD",
                today: date | None = None) -> bytes:
    st = styles()
    total = sum(c.riders for c in counts)
    story = [Paragraph("Transportation lists", st["title"]),
             Paragraph(f"{day:%A, %B} {day.day}, {day:%Y} · {total} rides planned that weekday", st["body"]),
             Spacer(1, 6), Paragraph("Rider counts by run, school and grade", st["heading"])]
    story += _table(["Run", "School", "Grade", "Riders"], [[c.run, c.school, c.grade, c.riders] for c in counts],
                    [1.6, 2.6, 1.6, 0.8], "No rides are planned that day.")
    story += [Paragraph(f"Eligible students with no assignment ({len(unassigned)})", st["heading"])]
    story += _table(["Student", "School", "Grade", "Why eligible", "Suggested stop (AM)"],
                    [[f"{s.name} ({s.student_id})" + (RELEASE if s.release_to_adult else ""), s.school or "",
                      s.grade or "", s.reason + (f"; IEP: {s.needs}" if s.needs else ""),
                      s.am_stop or "none within the walking limit"] for s in unassigned], [1.7, 1.5, 0.9, 1.3, 1.6],
                    "Every eligible student has an assignment.")
    story += [Paragraph(f"Stops with no riders ({len(empty_stops)})", st["heading"])]
    story += _table(["Run", "#", "Stop", "Time"], [[e.run, e.sequence, e.stop, f"{e.planned_time:%H:%M}"]
                                                   for e in empty_stops], [1.6, 0.4, 3.6, 0.8],
                    "Every stop has riders.")
    story += [Paragraph(f"Riders who have not ridden in {idle_days} days ({len(idle)})", st["heading"])]
    story += _table(["Rider", "Student id", "Run", "Last ride"],
                    [[i.name + (RELEASE if i.release_to_adult else ""), i.student_id, i.run,
                      f"{i.last_ride:%m/%d/%Y}" if i.last_ride else "never recorded"]
                     for i in idle], [2.4, 1.2, 1.6, 1.3], "Every rider has ridden (where the bus records ridership).")
    return render(story, title=f"Transportation lists {day:%Y-%m-%d}", header=f"{district} · Transportation",
                  footer=printed_on(today or date.today()))
