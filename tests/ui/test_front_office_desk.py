"""The Front office desk driven as the demo clerk (Riverbend Elementary): type a registration,
meet the duplicate check, register, withdraw, build a schedule and print. Students made here are
removed afterwards so the shared demo district stays as seeded."""

from __future__ import annotations



import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in
from app.services.enrollment import NewContact
from tests.conftest import DEMO_AS_OF
from tests.integration.test_enrollment import assert_oneroster_matches_edfi
from tests.reports.test_printouts import pdf_text, scan
from tests.ui.helpers import until
from ui.screens.desk_context import DeskContext
from ui.screens.front_office.front_office_page import FrontOfficePage
from ui.widgets import set_checked

pytestmark = pytest.mark.ui
NEW_IDS = ("990101", "990102")


def purge(conn, uid: str) -> None:
    usi = conn.execute(text("SELECT studentusi FROM edfi.student WHERE studentuniqueid = :u"), {"u": uid}).scalar()
    if usi is None:
        return
    user = conn.execute(text("SELECT md5('STU-' || :u)"), {"u": uid}).scalar()
    for t in ("enrollments", "roles", "demographics"):
        conn.execute(text(f"DELETE FROM oneroster.{t} WHERE {'sourced_id' if t == 'demographics' else 'user_sourced_id'} "
                          "= :s"), {"s": user})
    conn.execute(text("DELETE FROM oneroster.users WHERE sourced_id = :s"), {"s": user})
    contacts = conn.execute(text("SELECT contactusi FROM edfi.studentcontactassociation WHERE studentusi = :u "
                                 "AND contactusi NOT IN (SELECT contactusi FROM edfi.studentcontactassociation "
                                 "WHERE studentusi <> :u)"), {"u": usi}).scalars().all()
    for t in ("studentsectionassociation", "studentschoolassociation", "studentcontactassociation",
              "studenteducationorganizationassociationrace", "studenteducationorganizationassociationlanguage",
              "studenteducationorganizationassociationaddress", "studenteducationorganizationassociationtelephone",
              "studenteducationorganizationassociationelectronicmail", "studenteducationorganizationassociation",
              "student"):
        conn.execute(text(f"DELETE FROM edfi.{t} WHERE studentusi = :u"), {"u": usi})
    for t in ("contacttelephone", "contactelectronicmail", "contactaddress", "contact"):
        conn.execute(text(f"DELETE FROM edfi.{t} WHERE contactusi = ANY(:c)"), {"c": contacts})
    conn.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->>'PK' = :pk"), {"pk": f"STUDENT#{uid}"})


@pytest.fixture
def clerk(demo_engine):
    create_demo_logins(demo_engine)
    user, eng = sign_in(demo_engine.url, "demo_front_office", DEMO_PASSWORD)
    yield user, eng
    eng.dispose()
    with demo_engine.begin() as c:
        for uid in NEW_IDS:
            purge(c, uid)


@pytest.fixture
def page(qtbot, clerk, run_until, tmp_path):
    user, eng = clerk
    asked = {"contacts": [], "duplicates": [], "warnings": []}
    p = FrontOfficePage(
        DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF),
        ask_contact_fn=lambda relations: asked["contacts"].pop(0) if asked["contacts"] else None,
        confirm_duplicates_fn=lambda new, school, cands: asked["duplicates"].append(cands) or asked["answer"],
        confirm_warnings_fn=lambda warnings: asked["warnings"].append(warnings) or True,
        choose_pdf_path=lambda suggested: str(tmp_path / suggested))
    p.asked = asked
    qtbot.addWidget(p)
    p.show()
    p.activate()
    run_until(lambda: p._loaded)
    return p


def type_student(qtbot, page, first="Theo", last="Marsh", birth="02/11/2021", uid=NEW_IDS[0]) -> None:
    f = page.form
    f.student_id.clear()
    for w, value in ((f.student_id, uid), (f.first, first), (f.last, last), (f.birth, birth),
                     (f.street, "48 Heron Way"), (f.city, "Riverbend"), (f.zip, "78702"), (f.phone, "(512) 555-0190")):
        w.clear()
        qtbot.keyClicks(w, value)
    f.sex.setCurrentText("Male")
    set_checked(f.races, ["Asian"])
    f.school.setCurrentText("Riverbend Elementary School")
    f.grade.setCurrentText("Kindergarten")


def test_a_clerk_registers_a_student_with_a_typed_contact(qtbot, page, demo_engine, run_until_signal):
    assert page.form.student_id.text().isdigit()  # a free id is suggested
    assert page.form.entry.text() == "11/20/2026"
    type_student(qtbot, page)
    page.asked["contacts"].append(NewContact("Rosa", "Marsh", "Mother", "(512) 555-0191", legal_guardian=True,
                                             emergency=True))
    QTest.mouseClick(page.form.add_contact, Qt.MouseButton.LeftButton)
    assert page.form.contacts_model.rowCount() == 1
    QTest.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    usi = run_until_signal(page.student_registered)[0]
    assert page.register_message.text() == ("Theo Marsh is registered at Riverbend Elementary School (Kindergarten), "
                                            f"student id {NEW_IDS[0]}.")
    assert page.current.text() == f"Working on Theo Marsh (student id {NEW_IDS[0]})"
    assert page.asked["duplicates"] == []
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT c.firstname FROM edfi.studentcontactassociation a JOIN edfi.contact c "
                              "USING (contactusi) WHERE a.studentusi = :u"), {"u": usi}).scalars().all() == ["Rosa"]
        assert_oneroster_matches_edfi(c, usi)


def test_the_duplicate_check_shows_candidates_and_saves_nothing_when_cancelled(qtbot, page, demo_engine, run_async):
    with demo_engine.connect() as c:
        first, last, birth = c.execute(text(
            "SELECT s.firstname, s.lastsurname, s.birthdate FROM edfi.student s JOIN edfi.studentschoolassociation a "
            "USING (studentusi) WHERE a.schoolid = 255950001 ORDER BY 1 LIMIT 1")).one()
    type_student(qtbot, page, first=first, last=last, birth=f"{birth:%m/%d/%Y}")
    page.asked["answer"] = None
    assert run_async(page.register()) is None
    (cands,) = page.asked["duplicates"]
    assert [(c.name, c.reason) for c in cands] == [(f"{first} {last}", "same name and birth date")]
    assert page.register_message.text() == "Not registered: nothing was saved."
    page.asked["answer"] = ("new", None)  # twins with the same name do exist: the clerk may go on
    assert run_async(page.register()) is not None


def test_bad_input_is_named_and_nothing_is_saved(qtbot, page, demo_engine, run_async):
    type_student(qtbot, page, birth="2021-31-02")
    assert run_async(page.register()) is None
    assert page.form.errors["birth_date"].text() == 'Birth date "2021-31-02" is not a date; type it as MM/DD/YYYY.'
    assert page.register_message.text().startswith("Not registered: 1 field to correct")
    type_student(qtbot, page)
    page.form.entry.setText("01/05/2020")
    assert run_async(page.register()) is None
    assert page.form.errors["entry_date"].text().startswith("Entry date 01/05/2020 is before the student's birth "
                                                             "date")
    assert page.register_message.text().endswith("nothing was saved.")
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.student WHERE studentuniqueid = :u"),
                         {"u": NEW_IDS[0]}).scalar() == 0


def test_schedule_withdrawal_and_printouts_for_the_new_student(qtbot, page, demo_engine, run_async, tmp_path):
    type_student(qtbot, page)
    usi = run_async(page.register())
    run_async(page.refresh_student())
    page.tabs.setCurrentIndex(2)
    page.schedule_day.setText("11/23/2026")
    assert run_async(page.refresh_student())
    assert page.schedule_model.rowCount() == 0 and page.offers_model.rowCount() > 0
    page.offers_view.selectRow(0)
    first = page.offers_model.rows[0]
    assert run_async(page.add_selected())
    clash = next(r for r, o in enumerate(page.offers_model.rows) if o.starts and o.starts < first.ends
                 and first.starts < o.ends)
    page.offers_view.selectRow(clash)
    assert run_async(page.add_selected())
    assert page.asked["warnings"] and "at the same time as" in page.asked["warnings"][0][0]
    assert page.schedule_model.rowCount() == 2
    path = run_async(page.print_pdf("schedule"))
    pages, body = pdf_text(open(path, "rb").read())
    assert "Theo Marsh" in body and first.course in body and pages == 1
    card = run_async(page.print_pdf("id card"))
    assert scan(open(card, "rb").read()) == [("Code128", NEW_IDS[0])]

    page.tabs.setCurrentIndex(1)
    page.action.setCurrentText("Withdraw")
    page.action_date.setText("11/25/2026")
    page.exit_type.setCurrentText("Withdrawn")
    QTest.mouseClick(page.apply_button, Qt.MouseButton.LeftButton)
    run_async(until(lambda: page.enroll_message.text().startswith("Withdrawn")))
    assert page.enroll_message.text() == "Withdrawn on 11/25/2026; 2 class enrollments ended the same day."
    m = page.history_model
    assert m.cell(m.rows[0], m.COL_EXIT) == "11/25/2026" and m.cell(m.rows[0], m.COL_EXIT_TYPE) == "Withdrawn"
    with demo_engine.connect() as c:
        assert_oneroster_matches_edfi(c, usi)


def test_without_a_student_the_desk_says_how_to_find_one(page, run_async):
    page.student = None
    assert not run_async(page.apply_enrollment())
    assert page.enroll_message.text() == "Open a student first: press Ctrl+F and type a name or student id."
