"""Issue 16 items 3, 4 and 14, issue 8 item 25 on the Attendance desk, driven from the keyboard as a
teacher would: unsaved marks are not lost without a question, a save's confirmation and the
section picker stay put, the footer counts what Mark all present really did, one key per mark."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from tests.conftest import DEMO_AS_OF
from tests.ui.test_attendance_desk import make_page, marks_on_screen, undo_today  # noqa: F401 (undo_today is a fixture)

pytestmark = pytest.mark.ui


def open_with_keyboard(page, run_until, section_row: int | None = None):
    if section_row is not None:
        page.section.setFocus()
        while page.section.currentIndex() < section_row:
            QTest.keyClick(page.section, Qt.Key.Key_Down)
    before = page.roster_model.roster
    page.open_button.setFocus()
    QTest.keyClick(page.open_button, Qt.Key.Key_Space)
    run_until(lambda: page.roster_model.roster is not before and page.open_button.isEnabled())


def saved_marks(demo_engine, section_identifier) -> int:
    """The students with a saved mark for the section's day: on a taken day (attendance is recorded as
    exceptions) every enrolled student, the presents implied; none when the day was not taken."""
    with demo_engine.connect() as c:
        return c.execute(text(
            "SELECT count(*) FROM edfi.studentsectionassociation a WHERE a.sectionidentifier = :s "
            "AND a.begindate <= :d AND (a.enddate IS NULL OR a.enddate >= :d) AND EXISTS (SELECT 1 FROM "
            "edfi.sectionattendancetakenevent t WHERE t.date = :d AND t.sectionidentifier = a.sectionidentifier "
            "AND t.schoolid = a.schoolid AND t.sessionname = a.sessionname)"),
            {"d": DEMO_AS_OF, "s": section_identifier}).scalar()


def test_unsaved_marks_are_kept_discarded_or_saved_only_as_the_teacher_answers(
        qtbot, signed_in, run_until, answers, demo_engine, undo_today):  # noqa: F811
    asked, queue = answers
    page = make_page(qtbot, signed_in, "demo_teacher")
    page.show()
    page.activate()
    run_until(lambda: page.section.count() > 1)
    open_with_keyboard(page, run_until)
    first = page.roster_model.roster
    assert page.unsaved_work() is None  # nothing typed yet: no question
    QTest.keyClick(page.grid, Qt.Key.Key_A)
    QTest.keyClick(page.grid, Qt.Key.Key_T)
    assert page.unsaved_work() == f"2 unsaved marks for {first.title}"

    # Another section, Cancel (the default): the marks stay on screen, nothing opened
    page.section.setFocus()
    QTest.keyClick(page.section, Qt.Key.Key_Down)
    page.open_button.setFocus()
    QTest.keyClick(page.open_button, Qt.Key.Key_Space)
    assert asked == [f"2 unsaved marks for {first.title}"]
    run_until(lambda: page.open_button.isEnabled())
    assert page.roster_model.roster is first
    assert marks_on_screen(page)[:2] == [("Unexcused Absence", ""), ("Tardy", "08:14")]

    # A new day: Cancel puts the day back
    page.day.setFocus()
    QTest.keyClick(page.day, Qt.Key.Key_Up)  # the day part of the date steps on
    assert len(asked) == 2 and page.selected_day() == DEMO_AS_OF
    assert marks_on_screen(page)[:2] == [("Unexcused Absence", ""), ("Tardy", "08:14")]

    # Save: the marks are saved (after Mark all present for the rest), then the other roster opens
    QTest.mouseClick(page.all_present, Qt.MouseButton.LeftButton)
    queue.append("save")
    page.open_button.setFocus()
    QTest.keyClick(page.open_button, Qt.Key.Key_Space)
    run_until(lambda: page.roster_model.roster.section != first.section and page.open_button.isEnabled())
    assert saved_marks(demo_engine, first.section.section_identifier) == len(first.lines)
    second = page.roster_model.roster
    assert page.sections[page.section.currentIndex()].key == second.section

    # Discard: the typed mark is dropped and the first roster opens with its saved marks
    QTest.keyClick(page.grid, Qt.Key.Key_A)
    queue.append("discard")
    page.section.setFocus()
    QTest.keyClick(page.section, Qt.Key.Key_Up)
    page.open_button.setFocus()
    QTest.keyClick(page.open_button, Qt.Key.Key_Space)
    run_until(lambda: page.roster_model.roster.section == first.section and page.open_button.isEnabled())
    assert saved_marks(demo_engine, second.section.section_identifier) == 0
    assert page.unsaved_work() is None


def test_after_a_save_the_confirmation_and_the_picked_section_stay(qtbot, signed_in, run_until,
                                                                   run_until_signal, undo_today):  # noqa: F811
    page = make_page(qtbot, signed_in, "demo_teacher")
    page.show()
    page.activate()
    run_until(lambda: page.section.count() > 1)
    open_with_keyboard(page, run_until, section_row=1)  # not the first period
    picked = page.roster_model.roster.section
    QTest.mouseClick(page.all_present, Qt.MouseButton.LeftButton)
    QTest.keyClick(page.grid, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    n = run_until_signal(page.attendance_saved)[0]
    # the sections list is read again (now "✓ taken"), the picker stays on the saved section
    run_until(lambda: "✓ taken" in page.section.currentText() and page.save_button.isEnabled())
    assert page.section.currentIndex() == 1 and page.sections[1].key == picked
    assert page.message.text() == f"Saved: {n} students, {n} marks changed."
    page.grab().save("/tmp/e-attendance-saved.png")
    # Open roster opens the class that was saved
    open_with_keyboard(page, run_until)
    assert page.roster_model.roster.section == picked

    # issue 8 item 25: every student has a saved mark, so the footer does not say "0 students marked present"
    QTest.mouseClick(page.all_present, Qt.MouseButton.LeftButton)
    assert page.message.text().startswith(f"Every student already has a mark ({n} students); nothing was changed.")
    assert "0 students" not in page.message.text()


def test_the_key_legend_has_one_key_per_mark(qtbot, signed_in, run_until):  # noqa: F811
    page = make_page(qtbot, signed_in, "demo_teacher")
    page.show()
    page.activate()
    run_until(lambda: page.section.count() > 0)
    open_with_keyboard(page, run_until)
    legend = page.legend.text()
    assert "P In Attendance" in legend and "Present" not in legend.replace("P In Attendance", "")
    page.grab().save("/tmp/e-attendance-legend.png")
