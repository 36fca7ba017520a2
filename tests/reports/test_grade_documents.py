"""Report cards and transcripts from the demo district, rendered to PDF, read back (text, pages,
QR code) and rendered to images."""

from __future__ import annotations

import hashlib
import io
import os
from contextlib import contextmanager
from datetime import date

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import text

from app.errors import UserError
from app.services.grades import report_cards, transcripts
from app.services.grades.entry import PeriodKey
from reports import report_card as report_card_pdf
from tests.integration.attendance_recount import recorded_days

pytestmark = pytest.mark.integration
RES, RHS = 255950001, 255950003
ISSUED = date(2026, 12, 3)


def pdf_pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def save_png(data: bytes, name: str, page: int = 0) -> None:
    """Kept for looking at (set GRADES_PNG_DIR); the tests read the text and the QR code themselves."""
    folder = os.environ.get("GRADES_PNG_DIR")
    if folder:
        pypdfium2.PdfDocument(data)[page].render(scale=1.4).to_pil().save(os.path.join(folder, name))


@contextmanager
def rolled_back(engine):
    with engine.connect() as c:
        tx = c.begin()
        try:
            yield c
        finally:
            tx.rollback()


def q1(c, school):
    r = c.execute(text("SELECT gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear FROM edfi.gradingperiod "
                       "WHERE schoolid = :s AND gradingperiodname LIKE '%Q1'"), {"s": school}).one()
    return PeriodKey(*r)


def days_of_period(c, usi: int, school: int, period: PeriodKey) -> dict[date, str]:
    """The student's taken school days of the period and their status, recounted from the rows."""
    b, e = c.execute(text("SELECT begindate, enddate FROM edfi.gradingperiod WHERE gradingperioddescriptorid = :gpd "
                          "AND gradingperiodname = :gpname AND schoolid = :gpschool AND schoolyear = :gpsy"),
                     period.params()).one()
    return recorded_days(c, usi, school, b, e)


def test_secondary_report_card_shows_courses_teachers_gpa_and_attendance(login_engine):
    registrar = login_engine("demo_registrar")
    with registrar.connect() as c:
        period = q1(c, RHS)
        usi = report_cards.batch_students(c, RHS, report_cards.BatchChoice("Ninth grade", grade_level="Ninth grade"))[0]
        doc = report_cards.report_cards(c, RHS, [usi], period)[0]
        recount = days_of_period(c, usi, RHS, period)
    # attendance is recorded as exceptions: a day a class of the student was taken with no daily row is present
    assert (doc.days_present, doc.days_absent, doc.tardies) == (
        sum(s in ("In Attendance", "Tardy") for s in recount.values()),
        sum(s.endswith("Absence") for s in recount.values()), sum(s == "Tardy" for s in recount.values()))
    assert not doc.elementary and len(doc.courses) == 6 and doc.courses[0].teacher
    assert all(c.marks[0] for c in doc.courses)  # every course has its Q1 grade
    assert doc.gpa.startswith(f"{period.name} GPA ") and doc.days_present > 30
    pdf = report_card_pdf.build(doc, today=ISSUED)
    save_png(pdf, "report_card_secondary.png")
    pages = pdf_pages(pdf)
    assert doc.student_name in pages[0] and "Riverbend High School" in pages[0]
    assert doc.gpa.split(" GPA ")[1].split(" ")[0] in pages[0]
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert doc.courses[0].course in pages[0] and doc.courses[0].teacher in pages[0]


def test_elementary_report_card_is_by_standard_without_gpa(login_engine):
    clerk = login_engine("demo_front_office")  # Riverbend Elementary
    with clerk.connect() as c:
        period = q1(c, RES)
        room = next(b for b in report_cards.batch_choices(c, RES) if b.homeroom)
        usis = report_cards.batch_students(c, RES, room)
        docs = report_cards.report_cards(c, RES, usis, period)
    assert len(docs) == len(usis) > 10
    doc = docs[0]
    assert doc.elementary and doc.gpa == "" and {s.area for s in doc.standards} >= {"Reading", "Mathematics", "Work habits"}
    pdf = report_card_pdf.build(doc, today=ISSUED)
    save_png(pdf, "report_card_elementary.png")
    body = "\n".join(pdf_pages(pdf))
    assert doc.student_name in body and "Work habits" in body and "GPA" not in body and "Exceeds the standard" in body


def test_official_transcript_has_signature_seal_number_qr_and_its_hash_recorded(login_engine, demo_engine):
    registrar = login_engine("demo_registrar")
    with demo_engine.connect() as o:
        usi, name = o.execute(text(
            "SELECT t.studentusi, st.firstname FROM edfi.coursetranscript t JOIN edfi.student st USING (studentusi) "
            "WHERE t.externaleducationorganizationnameofinstitution IS NOT NULL LIMIT 1")).one()
    with rolled_back(registrar) as c:
        issued = transcripts.issue_transcript(c, usi, RHS, True, ISSUED)
        row = c.execute(text("SELECT sha256, pages, official, issued_by FROM grades.issued_document "
                             "WHERE document_number = :n"), {"n": issued.document_number}).one()
        doc = transcripts.transcript_document(c, usi, RHS, True, issued.document_number, ISSUED)
    assert row.sha256 == hashlib.sha256(issued.pdf).hexdigest() == issued.sha256
    assert row.official and row.issued_by == "demo_registrar" and row.pages == issued.pages
    pages = pdf_pages(issued.pdf)
    save_png(issued.pdf, "transcript_official.png")
    save_png(issued.pdf, "transcript_official_last.png", page=len(pages) - 1)
    body = "\n".join(pages)
    assert name in body and "Official transcript" in body and "UNOFFICIAL" not in body
    assert "Lakeside High School (Austin, TX)" in " ".join(body.split()) and "Transfer credit" in body
    assert doc.cumulative_unweighted in body and doc.cumulative_weighted in body and doc.rank.split(" ")[0] in body
    assert "Registrar" in body and "Projected graduation" in body
    for i, text_ in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in text_ and issued.document_number in text_
    image = pypdfium2.PdfDocument(issued.pdf)[0].render(scale=6).to_pil()
    codes = [b.text for b in zxingcpp.read_barcodes(image)]
    assert any(issued.document_number in t for t in codes)
    # three years, each with its grade level and both semesters
    assert sum(1 for t in doc.terms if "Fall Semester" in t.heading) == 3


def test_unofficial_copy_says_so_on_every_page(login_engine, demo_engine):
    registrar = login_engine("demo_registrar")
    with demo_engine.connect() as o:
        usi = o.execute(text("SELECT studentusi FROM edfi.coursetranscript WHERE coursecode = 'APUSH' "
                             "ORDER BY studentusi LIMIT 1")).scalar()
    with rolled_back(registrar) as c:
        issued = transcripts.issue_transcript(c, usi, RHS, False, ISSUED)
        doc = transcripts.transcript_document(c, usi, RHS, False, issued.document_number, ISSUED)
    pages = pdf_pages(issued.pdf)
    # an AP student: the level marker is printed and the weighted GPA is above the unweighted one
    assert any(ln.level == "AP" and ln.course_code == "APUSH" for t in doc.terms for ln in t.lines)
    assert "APUSH\nAP US History\nAP\n" in "\n".join(pages)
    assert doc.cumulative_weighted > doc.cumulative_unweighted
    save_png(issued.pdf, "transcript_unofficial.png")
    assert len(pages) >= 2
    assert all("UNOFFICIAL" in p for p in pages)
    assert "Official transcript" not in "\n".join(pages)


def test_release_log_records_who_asked_recipient_basis_and_hash(login_engine, demo_engine):
    registrar = login_engine("demo_registrar")
    with demo_engine.connect() as o:
        usi = o.execute(text("SELECT studentusi FROM edfi.coursetranscript ORDER BY studentusi DESC LIMIT 1")).scalar()
    with rolled_back(registrar) as c:
        issued = transcripts.issue_transcript(c, usi, RHS, True, ISSUED)
        with pytest.raises(UserError) as err:
            transcripts.record_release(c, transcripts.Release(usi, issued.document_number, "Parent", "",
                                                              "Written consent", ISSUED))
        assert str(err.value) == "Type who receives the transcript (a college, a school, the student)."
        transcripts.record_release(c, transcripts.Release(usi, issued.document_number, "Student (signed consent)",
                                                          "Admissions, State University", "Written consent", ISSUED))
        log = transcripts.releases_for_student(c, usi)
    assert len(log) == 1 and log[0].recipient == "Admissions, State University"
    assert log[0].legal_basis == "Written consent" and log[0].sha256 == issued.sha256
    assert log[0].released_by == "demo_registrar" and log[0].document_number == issued.document_number


def test_a_graduates_transcript_shows_the_graduation_date_and_diploma(login_engine, demo_engine):
    registrar = login_engine("demo_registrar")
    with demo_engine.connect() as o:
        senior = o.execute(text("SELECT studentusi FROM edfi.coursetranscript WHERE coursecode = 'APUSH' "
                                "ORDER BY studentusi LIMIT 1")).scalar()
        never = o.execute(text("SELECT a.studentusi FROM edfi.studentschoolassociation a WHERE a.schoolid = :s "
                               "AND NOT EXISTS (SELECT 1 FROM edfi.studentacademicrecord r "
                               "WHERE r.studentusi = a.studentusi) LIMIT 1"), {"s": RHS}).scalar()
    graduated = date(2026, 12, 1)
    with rolled_back(registrar) as c:
        for usi, kind, on, sentence in (
                (senior, "Regular diploma", date(2027, 5, 28),
                 "The award date 05/28/2027 is in the future; type the graduation date once it has passed."),
                (senior, "Gold star", graduated, 'Diploma type "Gold star" is not on the list; pick one from the list.'),
                (never, "Regular diploma", graduated, "The student has no academic record at this school yet; close a "
                                                      "term or enter transfer credit first.")):
            with pytest.raises(UserError) as err:
                transcripts.award_diploma(c, usi, RHS, kind, on, ISSUED)
            assert str(err.value) == sentence
        assert c.execute(text("SELECT count(*) FROM edfi.studentacademicrecorddiploma WHERE studentusi = ANY(:u)"),
                         {"u": [senior, never]}).scalar() == 0  # nothing saved by the refusals
        said = transcripts.award_diploma(c, senior, RHS, "Endorsed/advanced diploma", graduated, ISSUED)
        issued = transcripts.issue_transcript(c, senior, RHS, True, ISSUED)
    assert said == "Graduated December 1, 2026 · Diploma: Endorsed/advanced diploma"
    first = " ".join(pdf_pages(issued.pdf)[0].split())
    assert said in first and "Projected graduation" not in first
    save_png(issued.pdf, "transcript_graduate.png")
