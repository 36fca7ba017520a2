"""Academic transcripts, official and unofficial.

Every course by school year and grade level with its level marker, grade and credits; term and
cumulative GPA (weighted and unweighted) with the scale's legend; rank when the school ranks;
total credits; graduation date and diploma; "Page X of Y" (reports.base).

An official copy carries the registrar's signature image and the district seal, the issue date,
its document number and a QR code holding the number (the registry in grades.issued_document
keeps the SHA-256 of the file). An unofficial copy says UNOFFICIAL across every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer

from reports.base import FONT_BOLD, MUTED, render, styles
from reports.grading_parts import branding, grid, heading, image_reader


@dataclass(frozen=True)
class TranscriptLine:
    course_code: str
    title: str
    level: str  # "AP", "H", "IB", "DC" or ""
    grade: str
    attempted: str
    earned: str
    note: str = ""  # "Transfer: Lakeside High School", "Repeated", "Replaced"


@dataclass(frozen=True)
class TranscriptTerm:
    heading: str  # "2023-2024 · Ninth grade · Fall Semester"
    lines: tuple[TranscriptLine, ...]
    term_gpa: str  # "3.250 / 3.500"
    cumulative_gpa: str


@dataclass(frozen=True)
class TranscriptDocument:
    district: str
    school: str
    school_address: str
    logo: str | None
    student_name: str
    student_id: str
    birth_date: str
    grade_level: str
    official: bool
    document_number: str
    issue_date: date
    terms: tuple[TranscriptTerm, ...]
    total_attempted: str
    total_earned: str
    cumulative_unweighted: str
    cumulative_weighted: str
    rank: str | None  # "12 of 97 (88th percentile)" or None when the school does not rank
    graduation: str  # "Graduated May 28, 2027" or "Projected graduation: May 28, 2027"
    diploma: str | None
    scale_legend: tuple[tuple[str, str, str], ...]  # (mark, score range, points)
    weighting_note: str
    registrar_name: str
    verify_text: str  # what the QR code holds


def _stamp_official(doc: TranscriptDocument):
    def draw(c, _doc) -> None:
        width, _ = c._pagesize
        qr = QrCodeWidget(doc.verify_text)
        b = qr.getBounds()
        size = 0.9 * inch
        d = Drawing(size, size, transform=[size / (b[2] - b[0]), 0, 0, size / (b[3] - b[1]), 0, 0])
        d.add(qr)
        renderPDF.draw(d, c, width - 0.75 * inch - size, 0.62 * inch)
        c.setFont(FONT_BOLD, 8)
        c.setFillColor(MUTED)
        c.drawRightString(width - 0.75 * inch - size - 6, 0.62 * inch + 0.35 * inch,
                          f"Document {doc.document_number}")
        c.drawRightString(width - 0.75 * inch - size - 6, 0.62 * inch + 0.2 * inch,
                          f"Issued {doc.issue_date:%B} {doc.issue_date.day}, {doc.issue_date:%Y}")
    return draw


def _stamp_unofficial(c, _doc) -> None:
    width, height = c._pagesize
    c.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.16))
    c.setFont(FONT_BOLD, 92)
    c.translate(width / 2, height / 2)
    c.rotate(38)
    c.drawCentredString(0, -30, "UNOFFICIAL")
    c.rotate(-38)
    c.translate(-width / 2, -height / 2)
    c.setFillColor(colors.Color(0.7, 0.1, 0.1))
    c.setFont(FONT_BOLD, 9)
    c.drawCentredString(width / 2, height - 0.8 * inch, "UNOFFICIAL COPY — not valid for admission or transfer")


def story(doc: TranscriptDocument) -> list:
    st = styles()
    kind = "Official transcript" if doc.official else "Unofficial transcript"
    out = [heading(f"{kind} — {doc.student_name}", [
        f"{doc.school} · {doc.school_address}",
        f"Student id {doc.student_id} · Born {doc.birth_date} · {doc.grade_level}",
        doc.graduation + (f" · Diploma: {doc.diploma}" if doc.diploma else "")], doc.logo), Spacer(1, 8)]
    for term in doc.terms:
        rows = [["Course", "Title", "Lvl", "Grade", "Attempted", "Earned", "Note"]]
        rows += [[ln.course_code, ln.title, ln.level, ln.grade, ln.attempted, ln.earned, ln.note] for ln in term.lines]
        block = [Paragraph(term.heading, st["heading"]), grid(rows, [0.7, 2.05, 0.42, 0.62, 1.0, 0.72, 1.49]),
                 Paragraph(f"Term GPA (unweighted / weighted): {term.term_gpa} · "
                           f"Cumulative: {term.cumulative_gpa}", st["small"])]
        out += [CondPageBreak(1.4 * inch), KeepTogether(block)]
    summary = [["Total credits attempted", "Total credits earned", "Cumulative GPA (unweighted)",
                "Cumulative GPA (weighted)", "Class rank"],
               [doc.total_attempted, doc.total_earned, doc.cumulative_unweighted, doc.cumulative_weighted,
                doc.rank or "The school does not rank"]]
    legend = "Grading scale: " + " · ".join(f"<b>{m}</b> {r} = {p}" if r else f"<b>{m}</b> {p}"
                                            for m, r, p in doc.scale_legend)
    out += [Spacer(1, 8), KeepTogether([Paragraph("Summary", st["heading"]), grid(summary, [1.4] * 5),
                                        Spacer(1, 4), Paragraph(legend, st["small"]),
                                        Paragraph(doc.weighting_note, st["small"]),
                                        Paragraph("Level: AP Advanced Placement · H Honors · IB International "
                                                  "Baccalaureate · DC Dual credit", st["small"])])]
    if doc.official:
        from reportlab.platypus import Image, Table, TableStyle
        sig = Image(branding("registrar_signature.png"), width=2.2 * inch, height=0.63 * inch)
        seal = Image(branding("district_seal.png"), width=1.1 * inch, height=1.1 * inch)
        image_reader(branding("district_seal.png"))
        sign = [sig, Paragraph(f"{doc.registrar_name}, Registrar", st["body"]),
                Paragraph(f"Issued {doc.issue_date:%B} {doc.issue_date.day}, {doc.issue_date:%Y} · "
                          f"Document {doc.document_number}", st["small"])]
        t = Table([[sign, seal]], colWidths=[4.5 * inch, 2.5 * inch])
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        out += [Spacer(1, 14), KeepTogether([t])]
    else:
        out += [Spacer(1, 10), Paragraph("This unofficial copy carries no signature or seal.", st["small"])]
    return out


def build(doc: TranscriptDocument) -> bytes:
    return render(story(doc), title=f"Transcript {doc.student_name}", header=f"{doc.district} · {doc.school}",
                  footer=f"{doc.student_name} · {'Document ' + doc.document_number if doc.official else 'Unofficial'}",
                  on_every_page=_stamp_official(doc) if doc.official else _stamp_unofficial,
                  bottom_margin=1.65 * inch if doc.official else 0.85 * inch)
