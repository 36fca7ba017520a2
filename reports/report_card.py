"""Report cards: the secondary layout (courses, teachers, grades per period, comments, credits, GPA,
attendance) and the elementary standards layout (4/3/2/1 per standard, work habits, no GPA)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer

from reports.base import printed_on, render, render_parts, styles
from reports.grading_parts import grid, heading


@dataclass(frozen=True)
class CourseMarks:
    course: str
    teacher: str
    marks: tuple[str, ...]  # one per grading period, "" when none yet
    comments: tuple[str, ...]  # comment codes
    credits: str


@dataclass(frozen=True)
class StandardMarks:
    area: str  # "Reading", ..., "Work habits"
    description: str
    marks: tuple[str, ...]


@dataclass(frozen=True)
class ReportCardDocument:
    district: str
    school: str
    logo: str | None  # path of the school's logo image
    student_name: str
    student_id: str
    grade_level: str
    homeroom: str
    school_year: str
    period_name: str  # the grading period this card reports
    period_names: tuple[str, ...]  # column heads: "Q1", "Q2", ...
    elementary: bool
    courses: tuple[CourseMarks, ...] = ()
    standards: tuple[StandardMarks, ...] = ()
    gpa: str = ""  # "Term GPA 3.250 (weighted 3.500)"
    days_present: int = 0
    days_absent: int = 0
    tardies: int = 0
    comment_legend: tuple[tuple[str, str], ...] = ()
    scale_legend: tuple[tuple[str, str], ...] = ()  # (mark, meaning)


def story(doc: ReportCardDocument) -> list:
    st = styles()
    out = [heading(f"Report card — {doc.student_name}", [
        f"{doc.school} · {doc.district}",
        f"Student id {doc.student_id} · {doc.grade_level} · Homeroom {doc.homeroom} · {doc.school_year}",
        f"Reporting period: {doc.period_name}"], doc.logo), Spacer(1, 10)]
    heads = [p.split(" ")[-1] for p in doc.period_names]
    if doc.elementary:
        for area in dict.fromkeys(s.area for s in doc.standards):
            rows = [[area, *heads]] + [[s.description, *s.marks] for s in doc.standards if s.area == area]
            out += [grid(rows, [4.3] + [0.65] * len(heads), plain=True), Spacer(1, 6)]
    else:
        rows = [["Course", "Teacher", *heads, "Credits", "Comments"]]
        for c in doc.courses:
            rows.append([c.course, c.teacher, *c.marks, c.credits, ", ".join(c.comments)])
        width_left = 7.0 - 0.5 * len(heads) - 0.7 - 1.0
        out.append(grid(rows, [width_left * 0.6, width_left * 0.4] + [0.5] * len(heads) + [0.7, 1.0], plain=True))
        if doc.gpa:
            out += [Spacer(1, 6), Paragraph(doc.gpa, st["heading"])]
    out += [Spacer(1, 8), Paragraph("Attendance this period", st["heading"]),
            grid([["Days present", "Days absent", "Tardies"],
                  [str(doc.days_present), str(doc.days_absent), str(doc.tardies)]], [1.5, 1.5, 1.5], plain=True)]
    if doc.scale_legend:
        out += [Spacer(1, 8), Paragraph("Marks: " + " · ".join(f"<b>{m}</b> {t}" for m, t in doc.scale_legend),
                                        st["small"])]
    used = {c for course in doc.courses for c in course.comments}
    legend = [(c, t) for c, t in doc.comment_legend if c in used]
    if legend:
        out.append(Paragraph("Comments: " + " · ".join(f"<b>{c}</b> {t}" for c, t in legend), st["small"]))
    return out


def _footer(doc: ReportCardDocument, today: date | None) -> str:
    return f"{doc.student_name} · {printed_on(today or date.today())}"


def build(doc: ReportCardDocument, today: date | None = None) -> bytes:
    return render(story(doc), title=f"Report card {doc.student_name}", header=f"{doc.district} · {doc.school}",
                  footer=_footer(doc, today))


def build_many(docs: list[ReportCardDocument], today: date | None = None) -> tuple[bytes, list[int]]:
    """Cards of one school in one file (fonts and logo embedded once), each with its own page
    numbers; returns the file and each card's number of pages."""
    return render_parts([(story(d), _footer(d, today)) for d in docs], title=f"Report cards {docs[0].period_name}",
                        header=f"{docs[0].district} · {docs[0].school}")
