"""Letters to families: what the school requires that the child's record does not yet show, when the
next dose can be given, and the deadline (or that the child may not attend until it is done)."""

from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from reports.base import printed_on, render, styles
from reports.immunization_documents import NonComplianceLetter
from reports.immunization_survey import TABLE_STYLE, _day


def _letter(doc: NonComplianceLetter) -> list:
    st = styles()
    body = st["body"]
    story = [Paragraph(f"{escape(doc.school)}", st["title"]),
             Paragraph(f"{_day(doc.as_of)}", body), Spacer(1, 10),
             Paragraph(f"To the parent or guardian of <b>{escape(doc.student_name)}</b>, grade {doc.grade}:", body),
             Spacer(1, 6)]
    if doc.excluded:
        story.append(Paragraph(
            f"Your child's provisional enrollment ended on <b>{_day(doc.deadline)}</b> and the immunizations below "
            "are still missing. State law does not allow your child to attend school until the record shows them. "
            "Please bring or send the record of the doses as soon as they are given.", body))
    elif doc.deadline:
        story.append(Paragraph(
            f"Your child is enrolled provisionally. The immunizations below must be received by "
            f"<b>{_day(doc.deadline)}</b> for your child to keep attending.", body))
    else:
        story.append(Paragraph(
            "Our records show that your child does not yet have every immunization the state requires for "
            "school. Please take this letter to your child's doctor or clinic.", body))
    story.append(Spacer(1, 8))
    rows = [[Paragraph(h, st["cell_bold"]) for h in ("Vaccine", "What school requires", "Your child's record",
                                                     "Next dose")]]
    for item in doc.items:
        rows.append([Paragraph(escape(item.requirement), st["cell"]), Paragraph(escape(item.description), st["cell"]),
                     Paragraph(escape(item.reason), st["cell"]), Paragraph(_day(item.next_due) or "now", st["cell"])])
    table = Table(rows, colWidths=[1.1 * inch, 2.4 * inch, 2.3 * inch, 1.1 * inch], repeatRows=1)
    table.setStyle(TableStyle(TABLE_STYLE))
    story += [table, Spacer(1, 10),
              Paragraph("If your child has received these doses, please send a copy of the record to the school "
                        "nurse. If your child has a medical reason not to be vaccinated, or you wish to claim an "
                        "exemption, ask the nurse for the state's form.", body),
              Spacer(1, 14), Paragraph(escape(doc.nurse or "School nurse"), body),
              Paragraph(f"School nurse, {escape(doc.school)}", st["small"])]
    return story


def build(letters: list[NonComplianceLetter], today: date | None = None) -> bytes:
    """All letters in one PDF to print in one go; each letter is numbered on its own ("Page 1 of 1"), so
    the pages a family receives never say they are page 7 of a school's batch."""
    import io

    import pypdfium2

    if not letters:
        raise ValueError("no letters to print")
    parts = [render(_letter(letter), title=f"Immunization letter {letter.student_name}",
                    header=f"{letter.district} · {letter.school}", footer=printed_on(today or letter.as_of))
             for letter in letters]
    if len(parts) == 1:
        return parts[0]
    merged = pypdfium2.PdfDocument.new()
    for part in parts:
        merged.import_pages(pypdfium2.PdfDocument(part))
    out = io.BytesIO()
    merged.save(out)
    return out.getvalue()
