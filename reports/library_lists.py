"""The librarian's printouts: overdue lists by homeroom for teachers (titles, or counts only where
library records are confidential), overdue slips per student, the end-of-year clearance list,
and the hold slip. Built from the DTOs of app.services.library.lists."""

from __future__ import annotations

from datetime import date
from itertools import groupby

from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, HRFlowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from reports.base import RULE, printed_on, render, styles
from reports.transport_lists import _table


def build_homeroom_overdues(school: str, lines, *, titles: bool, today: date) -> bytes:
    """One page per homeroom. titles=False prints only how many items each student has overdue."""
    st = styles()
    story: list = []
    for homeroom, group in groupby(sorted(lines, key=lambda x: (x.homeroom, x.student_name)), key=lambda x: x.homeroom):
        group = list(group)
        if story:
            story.append(PageBreak())
        story += [Paragraph(f"Library overdues · {homeroom}", st["title"]),
                  Paragraph(f"{school} · as of {today:%B} {today.day}, {today:%Y}. Please remind these students to "
                            "return their library books.", st["body"]), Spacer(1, 8)]
        if titles:
            story += _table(["Student", "Title", "Due", "Days"],
                            [[x.student_name, x.title, f"{x.due:%m/%d}", x.days_overdue] for x in group],
                            [2.0, 3.2, 0.7, 0.6], "")
        else:
            counts = [(name, len(list(g))) for name, g in groupby(group, key=lambda x: x.student_name)]
            story += _table(["Student", "Items overdue"], [[n, k] for n, k in counts], [3.5, 1.2], "")
    if not story:
        story = [Paragraph("Library overdues", st["title"]), Paragraph("No items are overdue.", st["body"])]
    return render(story, title="Library overdues by homeroom", header=f"{school} · Library",
                  footer=printed_on(today))


def build_overdue_slips(school: str, lines, *, today: date) -> bytes:
    """A slip per student (several to a page, cut apart), listing that student's overdue items."""
    st = styles()
    story: list = []
    for (name, card), group in groupby(sorted(lines, key=lambda x: (x.homeroom, x.student_name, x.due)),
                                       key=lambda x: (x.student_name, x.student_card)):
        group = list(group)
        rows = [[Paragraph(x.title, st["cell"]), Paragraph(f"{x.due:%m/%d/%Y}", st["cell"]),
                 Paragraph(x.barcode, st["small"])] for x in group]
        t = Table(rows, colWidths=[3.9 * inch, 1.0 * inch, 1.5 * inch])
        t.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(CondPageBreak(2.2 * inch))
        story.append(KeepTogether([
            Paragraph(f"<b>{name}</b> ({card}) · {group[0].homeroom}", st["heading"]),
            Paragraph(f"These library items are overdue. Please bring them back to the {school} library, or tell "
                      "the librarian if one is lost.", st["body"]), t, Spacer(1, 6),
            HRFlowable(width="100%", thickness=0.5, color=RULE, dash=(3, 3), spaceBefore=2, spaceAfter=8)]))  # cut here
    if not story:
        story = [Paragraph("No items are overdue.", st["body"])]
    return render(story, title="Overdue slips", header=f"{school} · Library", footer=printed_on(today))


def build_clearance_list(school: str, lines, *, grade: str, today: date) -> bytes:
    st = styles()
    total = sum(x.price or 0 for x in lines)
    story = [Paragraph(f"End-of-year clearance · {grade}", st["title"]),
             Paragraph(f"{school}: students with library items still out ({len({x.student_card for x in lines})} "
                       f"students, {len(lines)} items, replacement value ${total:,.2f}).", st["body"]), Spacer(1, 8)]
    story += _table(["Student", "Id", "Title", "Barcode", "Due", "Price"],
                    [[x.student_name, x.student_card, x.title, x.barcode, f"{x.due:%m/%d/%Y}",
                      f"${x.price:,.2f}" if x.price is not None else ""] for x in lines],
                    [1.45, 0.7, 1.7, 1.35, 0.95, 0.8], "Every student of this grade is clear.")  # no number wraps
    return render(story, title=f"Clearance {grade}", header=f"{school} · Library", footer=printed_on(today))


def build_hold_slip(slip, *, today: date) -> bytes:
    st = styles()
    story = [Paragraph("HOLD", st["title"]), Paragraph(f"<b>{slip.patron_name}</b> ({slip.patron_card})", st["heading"]),
             Paragraph(slip.title, st["body"]), Paragraph(f"{slip.call_number or ''} · {slip.barcode}", st["small"]),
             Spacer(1, 6), Paragraph(f"Pick up at {slip.pickup_school} by {slip.shelf_expires_on:%A, %B} "
                                     f"{slip.shelf_expires_on.day}.", st["body"])]
    return render(story, title="Hold slip", header=f"{slip.pickup_school} · Library hold shelf",
                  footer=printed_on(today))
