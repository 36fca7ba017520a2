"""Issue 16 items 1, 2, 3, 8 and 14 on the Front office desk, keyboard first: Enter on the duplicate
check opens the student on file, Enter on a schedule conflict adds nothing, Enter twice registers
one student, every registration problem shows at once next to its field and goes when corrected,
a contact being typed is not dropped without a question, phones are stored in one form."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton
from sqlalchemy import text

from tests.ui.test_front_office_desk import NEW_IDS, clerk, page, type_student  # noqa: F401 (fixtures)
from ui import unsaved
from ui.screens.front_office.dialogs import ContactDialog, DuplicateDialog, confirm_duplicates

pytestmark = pytest.mark.ui


def press_enter_on_the_dialog_soon(seen: dict, kind=QDialog) -> None:
    """Like the clerk: the dialog opens, Enter is pressed on it."""
    def press():
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)
        if dialog is None:
            QTimer.singleShot(50, press)
            return
        seen["dialog"] = dialog
        seen["default"] = next((b.text() for b in dialog.findChildren(QPushButton) if b.isDefault()), None)
        seen["defaults"] = sum(1 for b in dialog.findChildren(QPushButton) if b.isDefault())
        dialog.grab().save(f"/tmp/e-dialog-{type(dialog).__name__}.png")
        QTest.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return)
    QTimer.singleShot(100, press)


def students_with_id(demo_engine, uid) -> int:
    with demo_engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM edfi.student WHERE studentuniqueid = :u"), {"u": uid}).scalar()


def test_enter_on_the_duplicate_check_opens_the_student_on_file(qtbot, page, demo_engine, run_until):
    with demo_engine.connect() as c:
        usi, uid, first, last, birth = c.execute(text(
            "SELECT s.studentusi, s.studentuniqueid, s.firstname, s.lastsurname, s.birthdate FROM edfi.student s "
            "JOIN edfi.studentschoolassociation a USING (studentusi) WHERE a.schoolid = 255950001 "
            "ORDER BY 1 LIMIT 1")).one()
    page.confirm_duplicates = lambda new, school, cands: confirm_duplicates(page, new, school, cands)  # the real one
    type_student(qtbot, page, first=first, last=last, birth=f"{birth:%m/%d/%Y}")
    opened = []
    page.open_student_requested.connect(opened.append)
    seen = {}
    press_enter_on_the_dialog_soon(seen, DuplicateDialog)
    QTest.keyClick(page.form.last, Qt.Key.Key_Return)  # Enter in the form registers: the check comes first
    run_until(lambda: opened, timeout=30)
    assert opened == [usi]
    assert seen["default"] == f"Open {first} {last} ({uid})"  # what Enter pressed
    assert seen["defaults"] == 1  # "Save as a new student" is not a default too
    assert page.register_message.text() == "Not registered: the student on file is open instead."
    assert students_with_id(demo_engine, NEW_IDS[0]) == 0


def test_enter_on_a_schedule_conflict_adds_nothing(page, run_async):
    seen = {}
    press_enter_on_the_dialog_soon(seen, QMessageBox)
    assert run_async(page._confirm_warnings(["Art meets at the same time as Music (Period 3)."])) is False
    assert seen["default"] == "&No" or seen["default"].replace("&", "") == "No"  # what Enter pressed


def test_every_problem_shows_at_once_next_to_its_field_and_goes_when_corrected(qtbot, page, demo_engine,
                                                                                run_until, run_until_signal):
    f = page.form
    page.resize(1280, 720)
    type_student(qtbot, page, first="", birth="2021-31-02")
    f.phone.clear()
    qtbot.keyClicks(f.phone, "555-0190")
    qtbot.keyClicks(f.email, "rosa.mail.example")
    QTest.keyClick(f.email, Qt.Key.Key_Return)
    run_until(lambda: page.register_message.text().startswith("Not registered"))
    shown = {k: e.text() for k, e in f.errors.items() if e.isVisible()}
    assert shown == {
        "first_name": "First name is empty; fill it in.",
        "birth_date": 'Birth date "2021-31-02" is not a date; type it as MM/DD/YYYY.',
        "phone": 'Home phone "555-0190" is not a full phone number; type the area code and the number, e.g. '
                 "(512) 555-0190.",
        "email": 'E-mail "rosa.mail.example" is not an e-mail address; correct it or clear it.'}
    assert page.register_message.text() == ("Not registered: 4 fields to correct, marked in red under each; nothing "
                                            "was saved.")
    assert f.first.hasFocus() and not f.first.visibleRegion().isEmpty()  # the first one is in view
    page.grab().save("/tmp/e-registration-errors.png")

    f.phone.selectAll()
    qtbot.keyClicks(f.phone, "512.555.0190 x12")  # corrected: its line goes, the others stay
    assert not f.errors["phone"].isVisible() and f.errors["email"].isVisible()
    f.birth.selectAll()
    qtbot.keyClicks(f.birth, "02/11/2021")
    assert not f.errors["birth_date"].isVisible()
    qtbot.keyClicks(f.first, "Theo")
    f.email.selectAll()
    qtbot.keyClicks(f.email, "rosa@mail.example")
    assert not any(e.isVisible() for e in f.errors.values())

    # Enter twice in a row (the second before the first has answered): one student
    QTest.keyClick(f.email, Qt.Key.Key_Return)
    QTest.keyClick(f.email, Qt.Key.Key_Return)
    usi = run_until_signal(page.student_registered, timeout=30)[0]
    run_until(lambda: page.save_button.isEnabled() and f.student_id.text() != "")
    assert students_with_id(demo_engine, NEW_IDS[0]) == 1
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT telephonenumber FROM edfi.studenteducationorganizationassociationtelephone "
                              "WHERE studentusi = :u"), {"u": usi}).scalar() == "(512) 555-0190 ext. 12"
    assert f.first.text() == "" and page.unsaved_work() is None  # the form is for the next student
    assert page.register_message.text().startswith("Theo Marsh is registered at")
    assert not page.register_message.visibleRegion().isEmpty()  # in view, though under the form


def test_a_registration_or_a_contact_being_typed_is_not_dropped_without_a_question(qtbot, page):
    asked, answers = [], []
    unsaved.set_asker(lambda _p, what: asked.append(what) or (answers.pop(0) if answers else "cancel"))
    try:
        assert page.unsaved_work() is None
        qtbot.keyClicks(page.form.first, "Theo")
        qtbot.keyClicks(page.form.last, "Marsh")
        assert page.unsaved_work() == "An unfinished registration for Theo Marsh"
        assert page.settle_unsaved() == "stay" and page.form.first.text() == "Theo"
        answers.append("discard")
        assert page.settle_unsaved() == "go" and page.form.first.text() == ""
        assert page.form.student_id.text().isdigit()  # the suggested id is back

        d = ContactDialog(("Mother", "Father"))
        qtbot.addWidget(d)
        d.show()
        qtbot.keyClicks(d.first, "Rosa")
        qtbot.keyClicks(d.phone, "call mom")
        QTest.keyClick(d.phone, Qt.Key.Key_Return)  # Enter: not a phone number, the dialog stays
        assert d.isVisible() and d.message.text() == ('The contact\'s first or last name is empty; type both '
                                                      'names.')
        qtbot.keyClicks(d.last, "Marsh")
        QTest.keyClick(d.last, Qt.Key.Key_Return)
        assert d.isVisible() and d.message.text().startswith('Contact phone "call mom" is not a phone number;')
        QTest.keyClick(d, Qt.Key.Key_Escape)  # typed work: asked, Cancel keeps the dialog open
        assert asked[-1] == "The contact being typed (Rosa Marsh) is not added yet" and d.isVisible()
        d.phone.selectAll()
        qtbot.keyClicks(d.phone, "512 555 0191")
        answers.append("save")
        QTest.keyClick(d, Qt.Key.Key_Escape)
        assert d.result() == QDialog.DialogCode.Accepted and d.contact().phone == "(512) 555-0191"
    finally:
        unsaved.set_asker(None)


def test_hispanic_or_latino_is_a_checkbox_not_a_race(page):
    races = [page.form.races.item(i).text() for i in range(page.form.races.count())]
    assert "Hispanic or Latino" not in races and "White" in races
    assert page.form.hispanic.text() == "Hispanic or Latino"
