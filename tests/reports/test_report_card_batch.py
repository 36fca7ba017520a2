"""A batch of report cards laid out a chunk at a time and cut into one file per student: each file
holds its own student's card and page numbers only, and the merged print file carries the logo and
fonts once per chunk instead of once per student."""

from __future__ import annotations

import io
import os
from datetime import date

import pypdfium2
from pypdf import PdfReader

from app.services.grades.report_card_batch import render_batch
from reports import report_card as report_card_pdf
from reports.grading_parts import branding
from reports.report_card import CourseMarks, ReportCardDocument, StandardMarks

PRINTED = date(2026, 12, 3)


def card(i: int, *, standards: int = 0) -> ReportCardDocument:
    periods = ("2026-2027 Q1", "2026-2027 Q2")
    std = tuple(StandardMarks("Reading" if n % 2 else "Mathematics", f"Standard {n} of student {i}", ("3", "4"))
                for n in range(standards))
    courses = () if standards else tuple(
        CourseMarks(f"Course {n}", f"Teacher {n}", ("B", "A"), ("02",), "0.5") for n in range(6))
    return ReportCardDocument("Riverbend ISD", "Riverbend High School", branding("school_logo.png"), f"Pupil{i:02d} Zed",
                              f"60{i:04d}", "Ninth grade", "HR1", "2026-2027", periods[1], periods, bool(standards),
                              courses, std, "" if standards else "2026-2027 Q2 GPA 3.500 (weighted 3.500)", 40, 2, 1,
                              (("02", "Works well with others"),), (("A", "90-100"),))


def texts(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def test_each_student_gets_their_own_file_and_the_print_file_embeds_the_logo_once_per_chunk():
    docs = [card(i, standards=40 if i == 26 else 0) for i in range(30)]  # pupil 26's card takes two pages
    batch = render_batch(docs, PRINTED, processes=2, chunk=25)

    assert [c.student_name for c in batch.cards] == [d.student_name for d in docs]
    alone = texts(report_card_pdf.build(docs[26], today=PRINTED))  # the long card printed by itself
    assert len(alone) == 2
    for i, c in enumerate(batch.cards):
        pages = texts(c.pdf)
        assert len(pages) == (2 if i == 26 else 1)
        others = {d.student_name for d in docs} - {c.student_name}
        for n, page in enumerate(pages, 1):
            assert c.student_name in page and f"Page {n} of {len(pages)}" in page
            assert not any(o in page for o in others)  # nobody else's card in a student's file
    long_card = texts(batch.cards[26].pdf)
    assert long_card == alone and "Standard 39 of student 26" in long_card[1] and "Pupil26 Zed · Printed December 3, 2026" in long_card[1]

    merged = texts(batch.merged)
    assert len(merged) == 31  # every card, in order, each numbering its own pages
    assert "Pupil25 Zed" in merged[25] and "Page 1 of 1" in merged[25]
    assert "Pupil26 Zed" in merged[27] and "Page 2 of 2" in merged[27]
    assert "Pupil29 Zed" in merged[30] and "Page 1 of 1" in merged[30]
    # the logo and fonts went in once per chunk of 25, not once per student
    assert len(batch.merged) < sum(len(c.pdf) for c in batch.cards) / 5

    folder = os.environ.get("GRADES_PNG_DIR")
    if folder:  # to look at: the second page of the two-page card, cut from its chunk
        pypdfium2.PdfDocument(batch.cards[26].pdf)[1].render(scale=1.4).to_pil().save(
            os.path.join(folder, "report_card_page_2_of_2.png"))


def test_a_homeroom_sized_batch_renders_here_without_worker_processes():
    docs = [card(i) for i in range(3)]
    batch = render_batch(docs, PRINTED, processes=2)
    assert [len(texts(c.pdf)) for c in batch.cards] == [1, 1, 1]
    assert [p.split("Report card — ")[1].split("\n")[0] for p in texts(batch.merged)] == [d.student_name for d in docs]
