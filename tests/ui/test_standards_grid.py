"""The elementary (standards-based) grade grid driven from the keyboard by a homeroom teacher: marks
typed per learning standard and work habit, a mark off a standard's scale refused in one sentence
with nothing saved, then the corrected marks saved (Ctrl+S) and read back from the database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from tests.ui.test_reports_desk import make_page, shot, type_cell

pytestmark = pytest.mark.ui

MARKS = ("SELECT m.studentusi, m.learningstandardid, m.lettergradeearned FROM edfi.gradelearningstandardgrade m "
         "JOIN edfi.descriptor d ON d.descriptorid = m.gradetypedescriptorid AND d.codevalue = 'Progress Report' "
         "WHERE m.sectionidentifier = :s AND m.gradingperiodname = :p AND m.studentusi = ANY(:u)")


def marks_in_db(demo_engine, sheet, usis) -> dict:
    with demo_engine.connect() as c:
        return {(u, std): mark for u, std, mark in c.execute(text(MARKS), {
            "s": sheet.section.key.section_id, "p": sheet.period.key.name, "u": list(usis)})}


def column_of(p, standard_id: str) -> int:
    return 1 + next(i for i, (_kind, key) in enumerate(p.grid_model.columns) if key == standard_id)


def press(p, key, times: int = 1) -> None:
    for _ in range(times):
        QTest.keyClick(p.grid, key)


def test_a_homeroom_teacher_types_standards_marks_and_an_off_scale_mark_is_refused(
        qtbot, signed_in, run_until, run_async, demo_engine):
    p = make_page(qtbot, signed_in, run_until, "demo_homeroom_teacher")
    assert p.section.count() >= 1 and "Homeroom" in p.section.currentText()
    assert "(open" in p.period.currentText()  # today's grading period, its window open
    p.grade_type.setCurrentText("Progress Report")
    run_async(p.open_grades())
    sheet = p.grid_model.sheet
    assert sheet.standards and sheet.can_write and p.grid.hasFocus()
    first_std = p.grid_model.columns[0][1]
    habit = next(s for s in sheet.standards if s.area == "Work habits")
    kids = [r.student_usi for r in p.grid_model.rows[:2]]
    before = marks_in_db(demo_engine, sheet, kids)
    assert p.grid.currentIndex().column() == column_of(p, first_std)
    # marks that differ from what the demo holds, so each one typed is a change
    m0 = "4" if before.get((kids[0], first_std)) != "4" else "2"
    m1 = "3" if before.get((kids[1], first_std)) != "3" else "1"
    good_habit = "S" if before.get((kids[0], habit.standard_id)) != "S" else "N"
    try:
        type_cell(p, m0)  # the first student's first standard; Enter moves to the next student
        type_cell(p, m1)
        press(p, Qt.Key.Key_Up, 2)  # back to the first student, then across to a work habit
        press(p, Qt.Key.Key_Right, column_of(p, habit.standard_id) - p.grid.currentIndex().column())
        type_cell(p, "4")  # work habits are E/S/N/U: 4 is off that scale
        assert p.unsaved_work() == "2 unsaved grades"  # two students changed
        QTest.keyClick(p.grid, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        run_until(lambda: "scale" in p.grade_message.text() or "Saved" in p.grade_message.text())
        name = p.grid_model.rows[0].name.split(", ")
        assert p.grade_message.text() == (f'{name[1]} {name[0]}, "{habit.description}": \'4\' is not on the '
                                          "Work habits scale; type one of E, S, N, U.")
        assert marks_in_db(demo_engine, sheet, kids) == before  # nothing half-saved
        press(p, Qt.Key.Key_Up)  # the first student's work habit again
        type_cell(p, good_habit.lower())
        QTest.keyClick(p.grid, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        run_until(lambda: p.grade_message.text().startswith("Saved"))
        assert p.grade_message.text() == "Saved 3 grades." and p.unsaved_work() is None
        # the grid shows what was stored: "s" typed is "S" saved, on the same cell
        shown = p.grid_model.index(0, column_of(p, habit.standard_id))
        run_until(lambda: p.grid_model.data(shown) == good_habit)
        assert p.grid.currentIndex().row() == 1  # Enter had moved on to the next student; still there
        shot(p, "reports_standards_grid.png")
        after = marks_in_db(demo_engine, sheet, kids)
        assert after[(kids[0], first_std)] == m0 and after[(kids[1], first_std)] == m1
        assert after[(kids[0], habit.standard_id)] == good_habit
    finally:
        where = ("FROM edfi.descriptor d WHERE d.descriptorid = m.gradetypedescriptorid "
                 "AND d.codevalue = 'Progress Report' AND m.sectionidentifier = :s AND m.gradingperiodname = :p "
                 "AND m.studentusi = :u AND m.learningstandardid = :std")
        with demo_engine.begin() as c:  # put back what the demo had
            for u, std in ((kids[0], first_std), (kids[1], first_std), (kids[0], habit.standard_id)):
                key = {"s": sheet.section.key.section_id, "p": sheet.period.key.name, "u": u, "std": std}
                if (u, std) in before:
                    c.execute(text(f"UPDATE edfi.gradelearningstandardgrade m SET lettergradeearned = :m {where}"),
                              {**key, "m": before[(u, std)]})
                else:
                    c.execute(text(f"DELETE FROM edfi.gradelearningstandardgrade m USING {where[5:]}"), key)
