"""Class sets, textbooks, inventory and the printed lists as the demo librarian; PDFs read back
(text, page size) and the barcode labels scanned back with zxing."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import text

from app.errors import UserError
from app.services.library import circulation as circ
from app.services.library import classroom, inventory, lists
from app.services.library.patrons import desk_school, student_patron
from reports.library_labels import LabelCopy, build_barcode_labels, build_spine_labels
from reports.library_lists import build_clearance_list, build_homeroom_overdues, build_overdue_slips

pytestmark = pytest.mark.integration
RHS = 255950003


@pytest.fixture
def lib(login_engine):
    with login_engine("demo_librarian").connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_a_class_set_is_lent_to_a_teacher_under_the_staff_rules(lib):
    desk = desk_school(lib)
    teacher = lib.execute(text("SELECT staffusi FROM edfi.staff WHERE staffusi NOT IN "
                               "(SELECT staff_usi FROM library.checkouts WHERE staff_usi IS NOT NULL) "
                               "ORDER BY staffusi LIMIT 1")).scalar()
    codes = lib.execute(text("SELECT i.barcode FROM library.items i WHERE i.item_type = 'class_set' "
                             "AND i.status = 'available' AND i.school_id = :s ORDER BY 1"), {"s": RHS}).scalars().all()
    assert len(codes) >= 4
    done = classroom.lend_class_set(lib, desk, teacher, codes[:3])
    assert all(r.done for r in done) and done[0].due == date.today() + timedelta(days=60)
    student = lib.execute(text("SELECT a.studentusi FROM edfi.studentschoolassociation a WHERE a.schoolid = :s "
                               "AND NOT EXISTS (SELECT 1 FROM library.checkouts k WHERE k.student_usi = a.studentusi "
                               "AND k.return_date IS NULL) ORDER BY 1 LIMIT 1"), {"s": RHS}).scalar()
    # a student may not borrow a class set (max items 0 for class sets outside staff)
    r = circ.check_out(lib, desk, student_patron(lib, student), codes[3])
    assert [b.code for b in r.blocks] == ["type_not_allowed"]


def test_textbooks_go_to_a_whole_class_and_the_missing_report_names_the_rest(lib):
    desk = desk_school(lib)
    a = lib.execute(text("SELECT resource_id, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname "
                         "FROM library.textbook_assignments WHERE schoolid = :s ORDER BY assignment_id LIMIT 1"),
                    {"s": RHS}).one()
    section = classroom.SectionRef(*a[1:])
    before = [m for m in classroom.missing_textbooks(lib, desk) if m.section]
    assert before, "the demo assigns textbooks that are not issued yet"
    issued = classroom.issue_textbooks(lib, desk, section, a[0])
    got = [x for x in issued if x.barcode]
    assert got and all(x.note == "issued" for x in got)
    again = classroom.issue_textbooks(lib, desk, section, a[0])
    assert {x.note for x in again} <= {"already has a copy", "no copy left"}
    still = {m.student_name for m in classroom.missing_textbooks(lib, desk)
             if m.title == lib.execute(text("SELECT title FROM library.resources WHERE resource_id = :r"),
                                       {"r": a[0]}).scalar()}
    assert still == {x.student_name for x in issued if x.note == "no copy left"}
    with pytest.raises(UserError, match="check digit"):
        classroom.issue_textbooks(lib, desk, section, "9780306406158")


def test_inventory_flags_order_and_marks_unseen_copies_missing(lib):
    desk = desk_school(lib)
    shelf = lib.execute(text("SELECT barcode, call_number FROM library.items WHERE school_id = :s AND status = "
                             "'available' AND call_number LIKE '523.1 %' ORDER BY call_number, barcode"),
                        {"s": RHS}).all()
    assert len(shelf) >= 4
    inv = inventory.start_inventory(lib, desk, "523.1", "523.1 ZZZ")
    scanned = [shelf[0][0], shelf[2][0], shelf[1][0]]  # the last two swapped on the shelf
    results = inventory.scan_shelf(lib, inv, scanned)
    if shelf[1][1] != shelf[2][1]:
        assert results[2].problem and results[2].problem.startswith("out of order")
    more = inventory.load_scanner_file(lib, inv, "NOT-A-COPY\n")
    assert more[0].problem == "unknown barcode"
    done = inventory.finalize_inventory(lib, inv)
    assert set(done.marked_missing) == {b for b, _ in shelf[3:]}
    assert lib.execute(text("SELECT status FROM library.items WHERE barcode = :b"), {"b": shelf[3][0]}).scalar() == \
        "missing"
    with pytest.raises(UserError, match="already finalized"):
        inventory.finalize_inventory(lib, inv)


def test_overdue_lists_by_homeroom_counts_only_slips_and_clearance(lib):
    desk = desk_school(lib)
    seniors = lib.execute(text("SELECT a.studentusi FROM edfi.studentschoolassociation a JOIN edfi.descriptor d "
                               "ON d.descriptorid = a.entrygradeleveldescriptorid WHERE a.schoolid = :s AND "
                               "d.codevalue = 'Twelfth grade' AND NOT EXISTS (SELECT 1 FROM library.checkouts c "
                               "WHERE c.student_usi = a.studentusi AND c.return_date IS NULL) LIMIT 1"),
                          {"s": RHS}).scalar()
    code = lib.execute(text("SELECT barcode FROM library.items WHERE school_id = :s AND status = 'available' "
                            "AND item_type = 'book' LIMIT 1"), {"s": RHS}).scalar()
    p = student_patron(lib, seniors)
    assert circ.check_out(lib, desk, p, code, at=datetime.now(timezone.utc) - timedelta(days=40)).done
    over = lists.overdue_lines(lib, desk)
    mine = [x for x in over if x.student_card == p.card]
    assert mine and mine[0].days_overdue == 19
    counts = pdf_text(build_homeroom_overdues(desk.name, over, titles=False, today=date.today()))
    assert p.name in counts and mine[0].title not in counts  # counts only: no titles for teachers
    with_titles = pdf_text(build_homeroom_overdues(desk.name, over, titles=True, today=date.today()))
    assert mine[0].title in with_titles
    slips = pdf_text(build_overdue_slips(desk.name, mine, today=date.today()))
    assert mine[0].barcode in slips and p.name in slips
    clear = lists.clearance_lines(lib, desk)
    assert p.card in {x.student_card for x in clear}
    cleared = pdf_text(build_clearance_list(desk.name, clear, grade="Twelfth grade", today=date.today()))
    assert "End-of-year clearance" in cleared
    mine = next(x for x in clear if x.student_card == p.card)  # barcode, due date and price each on one line
    assert all(v in cleared for v in (mine.barcode, f"{mine.due:%m/%d/%Y}", f"${mine.price or 0:,.2f}"))


def test_label_sheets_scan_back(lib):
    rows = lib.execute(text("SELECT i.barcode, i.call_number, r.title FROM library.items i JOIN library.resources r "
                            "USING (resource_id) WHERE i.school_id = :s ORDER BY i.item_id LIMIT 12"),
                       {"s": RHS}).all()
    copies = [LabelCopy(b, c, t, "Riverbend High School") for b, c, t in rows]
    pdf = build_barcode_labels(copies, skip=3)
    page = pdfium.PdfDocument(pdf)[0]
    assert (round(page.get_width()), round(page.get_height())) == (612, 792)
    found = {r.text.strip("AB") for r in zxingcpp.read_barcodes(page.render(scale=4).to_pil())}
    assert found == {b for b, _, _ in rows}
    spine = pdf_text(build_spine_labels(copies))
    assert rows[0][1].split()[0] in spine
