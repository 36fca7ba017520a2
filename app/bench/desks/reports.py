"""`school-office-admin bench reports`: report cards per second for 1,000 students of the
registrar's school in the bench district, signed in as the demo registrar (row-level security on):
the batch's data read plus one PDF per student and the merged print file, rendered on both cores
(app.services.grades.report_card_batch), next to drawing the same pages with bare reportlab (a
canvas, no layout engine) on one core in the same run. Goal: ratio >= 1.0.
"""

from __future__ import annotations

import io
import os
import time
from datetime import date

from app.bench.registry import Bench

REGISTRAR = "demo_registrar"


def _bare_page(doc, today: date | None = None) -> bytes:
    """The same report card's parts drawn line by line on a reportlab canvas (no layout engine): page
    header and rule, title, student lines, reporting period, the course table with its heads, credits
    and comments (or the standards grid), GPA, the attendance grid, the marks and comments legends, and
    the name / printed-on footer with the page number. The floor of what such a PDF costs."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen import canvas

    from reports.base import FONT, FONT_BOLD, printed_on, register_fonts

    register_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=LETTER)
    c.setTitle(f"Report card {doc.student_name}")
    c.setFont(FONT, 8)
    c.drawString(54, 760, f"{doc.district} · {doc.school}")
    c.line(54, 754, 558, 754)
    c.drawImage(doc.logo, 54, 680, 60, 60, mask="auto")
    c.setFont(FONT_BOLD, 18)
    c.drawString(130, 720, f"Report card — {doc.student_name}")
    c.setFont(FONT, 10)
    c.drawString(130, 704, f"{doc.school} · {doc.district}")
    c.drawString(130, 690, f"Student id {doc.student_id} · {doc.grade_level} · Homeroom {doc.homeroom} · "
                           f"{doc.school_year}")
    c.drawString(130, 676, f"Reporting period: {doc.period_name}")
    heads = [p.split(" ")[-1] for p in doc.period_names]
    y = 650
    if doc.courses:
        c.setFont(FONT_BOLD, 9)
        for x, h in zip((54, 200, *(330 + 30 * i for i in range(len(heads))), 440, 480),
                        ("Course", "Teacher", *heads, "Credits", "Comments")):
            c.drawString(x, y, h)
        c.line(54, y - 4, 558, y - 4)
        y -= 18
        c.setFont(FONT, 9)
    for course in doc.courses:
        c.drawString(54, y, course.course)
        c.drawString(200, y, course.teacher)
        for i, m in enumerate(course.marks):
            c.drawString(330 + 30 * i, y, m)
        c.drawString(440, y, course.credits)
        c.drawString(480, y, ", ".join(course.comments))
        c.line(54, y - 4, 558, y - 4)
        y -= 18
    for area in dict.fromkeys(s.area for s in doc.standards):
        c.setFont(FONT_BOLD, 9)
        c.drawString(54, y, area)
        for i, h in enumerate(heads):
            c.drawString(460 + 30 * i, y, h)
        c.setFont(FONT, 9)
        y -= 16
        for s in (s for s in doc.standards if s.area == area):
            c.drawString(54, y, s.description)
            for i, m in enumerate(s.marks):
                c.drawString(460 + 30 * i, y, m)
            y -= 14
    if doc.gpa:
        c.setFont(FONT_BOLD, 10)
        c.drawString(54, y - 10, doc.gpa)
    c.setFont(FONT_BOLD, 10)
    c.drawString(54, y - 34, "Attendance this period")
    c.setFont(FONT, 9)
    for i, (h, v) in enumerate((("Days present", doc.days_present), ("Days absent", doc.days_absent),
                                ("Tardies", doc.tardies))):
        c.drawString(54 + 108 * i, y - 50, h)
        c.drawString(54 + 108 * i, y - 64, str(v))
    c.line(54, y - 54, 378, y - 54)
    c.setFont(FONT, 7)
    c.drawString(54, y - 86, "Marks: " + " · ".join(f"{m} {t}" for m, t in doc.scale_legend))
    used = {x for course in doc.courses for x in course.comments}
    legend = [(k, t) for k, t in doc.comment_legend if k in used]
    if legend:
        c.drawString(54, y - 98, "Comments: " + " · ".join(f"{k} {t}" for k, t in legend))
    c.setFont(FONT, 8)
    c.drawString(54, 36, f"{doc.student_name} · {printed_on(today or date.today())}")
    c.drawRightString(558, 36, "Page 1 of 1")
    c.showPage()
    c.save()
    return buf.getvalue()


def run_reports_bench(engine, students: int = 1000, rounds: int = 3) -> dict:
    """On the district behind `engine`: `rounds` times the batch (read + PDFs on both cores + merged
    file), each followed by the bare-canvas baseline of the same pages on one core. The two take turns
    so that a change in the machine's load falls on both: the ratio is the median of the rounds' ratios."""
    from statistics import median

    from sqlalchemy import text

    from app.bench.bench_logins import login_engine, rls_active
    from app.errors import UserError
    from app.security.demo_logins import create_demo_logins
    from app.services.grades import report_cards
    from app.services.grades.entry import PeriodKey
    from app.services.grades.report_card_batch import CardRenderer

    if REGISTRAR not in create_demo_logins(engine):
        raise UserError("The bench district has no registrar; run school-office-admin bench seed again.")
    registrar = login_engine(engine, REGISTRAR)
    ours, base, reads = [], [], []
    try:
        with registrar.connect() as c:
            rls = rls_active(c)
            school = c.execute(text("SELECT min(x) FROM unnest(compliance.my_school_ids()) x")).scalar()
            period = c.execute(text(
                "SELECT gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear FROM edfi.gradingperiod "
                "WHERE schoolid = :s AND enddate < current_date ORDER BY enddate DESC LIMIT 1"), {"s": school}).first()
            usis = report_cards.batch_students(c, school, report_cards.BatchChoice("Whole school"))[:students]
            if len(usis) < students or period is None:
                raise UserError(f"The registrar's school has {len(usis)} students with a past grading period; run "
                                "school-office-admin bench seed with more students.")
            key = PeriodKey(*period)
            today = date.today()
            for _ in range(rounds):
                t = time.perf_counter()
                # as the Reports desk does it: the workers start while the batch is read
                with CardRenderer(2) as renderer:
                    docs = report_cards.report_cards(c, school, usis, key)
                    reads.append(time.perf_counter() - t)
                    batch = renderer.render(docs, today)
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                bare = [_bare_page(d) for d in docs]
                base.append(time.perf_counter() - t)
    finally:
        registrar.dispose()
    rate, bare_rate = len(docs) / median(ours), len(docs) / median(base)
    return {"name": "reports", "login": REGISTRAR, "rls": rls, "students": len(docs), "cores": os.cpu_count(),
            "report_cards_per_s": round(rate, 1), "seconds": round(median(ours), 2),
            "data_read_s": round(median(reads), 2), "merged_print_file_bytes": len(batch.merged),
            "per_student_file_bytes_avg": sum(len(x.pdf) for x in batch.cards) // len(batch.cards),
            "baseline": (f"the same {len(docs)} cards' parts (header, table, GPA, attendance, legends, footer) drawn "
                         "line by line on a bare reportlab canvas on one core, same run; no layout engine and "
                         "one file per card"),
            "baseline_pages_per_s": round(bare_rate, 1), "baseline_bytes_avg": sum(map(len, bare)) // len(bare),
            "ratio": round(median(b / o for o, b in zip(ours, base)), 2), "goal": ">= 1.0", "better": "higher",
            "rounds": rounds, "ratio_each_round": [round(b / o, 2) for o, b in zip(ours, base)],
            "load_average": [round(x, 1) for x in os.getloadavg()]}


def bench_reports(engine, students: int = 1000) -> dict:
    from app.bench.benches import open_bench_database

    bench = open_bench_database(engine)
    try:
        return run_reports_bench(bench, students)
    finally:
        bench.dispose()


BENCHES = {"reports": Bench(lambda p, a: bench_reports(p.engine))}
