"""The schedule and the ID card, rendered to PDF bytes and read back: text, pages, and the
barcode as a scanner reads it."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import text

from app.services.printouts import id_card, schedule_document
from reports import id_card as id_card_pdf
from reports import student_schedule
from reports.documents import IdCard, ScheduleDocument, ScheduleRow
from tests.conftest import DEMO_AS_OF


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def scan(data: bytes, scale: float = 8) -> list[tuple[str, str]]:
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=scale).to_pil()
    return [(b.format.name, b.text) for b in zxingcpp.read_barcodes(image)]


@pytest.mark.integration
def test_a_students_schedule_prints_every_class(demo_engine):
    with demo_engine.connect() as c:
        usi = c.execute(text("SELECT studentusi FROM edfi.studentschoolassociation WHERE schoolid = 255950003 "
                             "ORDER BY 1 LIMIT 1")).scalar()
        doc = schedule_document(c, usi, DEMO_AS_OF)
    assert len(doc.rows) >= 4 and doc.school == "Riverbend High School"
    pages, body = pdf_text(student_schedule.build(doc, today=date(2026, 11, 20)))
    assert pages == 1 and "Page 1 of 1" in body
    assert f"Class schedule — {doc.student_name}" in body and f"Student id {doc.student_unique_id}" in body
    for row in doc.rows:
        assert row.course in body and row.teacher in body and row.times in body


def test_a_long_schedule_numbers_its_pages():
    rows = tuple(ScheduleRow(f"Period {i}", "08:00–08:50", f"Course {i}", f"S{i}", "Teacher", "101", "")
                 for i in range(60))
    doc = ScheduleDocument("Riverbend ISD", "Riverbend High School", "2026-2027", "Zoë Ødegård-Nguyễn", "604001",
                           "Ninth grade", date(2026, 11, 20), rows)
    pages, body = pdf_text(student_schedule.build(doc, today=date(2026, 11, 20)))
    assert pages >= 2 and f"Page {pages} of {pages}" in body and "Page 1 of" in body
    assert "Zoë Ødegård-Nguyễn" in body  # accented names print as typed


@pytest.mark.integration
def test_the_id_card_barcode_scans_as_the_student_id(demo_engine):
    with demo_engine.connect() as c:
        usi = c.execute(text("SELECT min(studentusi) FROM edfi.student")).scalar()
        card = id_card(c, usi, DEMO_AS_OF)
    data = id_card_pdf.build(card)
    pages, body = pdf_text(data)
    assert pages == 1 and card.student_name in body and card.school in body
    assert scan(data) == [("Code128", card.student_unique_id)]


def test_an_alphanumeric_id_and_a_long_name_still_scan():
    card = IdCard("Riverbend Independent School District", "Riverbend Elementary School", "2026-2027",
                  "Maximiliana Alexandra Featherstonehaugh-Worthington", "RB-2027-00042", "Kindergarten")
    data = id_card_pdf.build(card)
    assert scan(data) == [("Code128", "RB-2027-00042")]
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (243, 153)  # CR80: 3.375 x 2.125 in
