"""The student's attendance calendar, opened from the profile panel as the clerk and the dean would:
the button, the term's days lettered by status, the legend, arrow keys from day to day, another term."""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from app.services.student_profile import load_profile
from tests.conftest import DEMO_AS_OF
from tests.integration.attendance_recount import recorded_days as recount
from ui.screens.desk_context import DeskContext
from ui.screens.student.attendance_calendar import AttendanceCalendarModel
from ui.screens.student.student_profile_panel import StudentProfilePanel

pytestmark = pytest.mark.ui


def panel_for(qtbot, signed_in, login: str, school: str = "RES") -> tuple[StudentProfilePanel, int]:
    user, eng = signed_in(login)
    ctx = DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF,
                      now=lambda: datetime(2026, 11, 20, 9, 0))
    with eng.connect() as c:
        usi = c.execute(text(
            "SELECT a.studentusi FROM edfi.studentschoolassociation a JOIN edfi.educationorganization eo "
            "ON eo.educationorganizationid = a.schoolid WHERE eo.shortnameofinstitution = :s "
            "AND a.exitwithdrawdate IS NULL ORDER BY 1 LIMIT 1"), {"s": school}).scalar()
        profile = load_profile(c, usi)
    panel = StudentProfilePanel()
    qtbot.addWidget(panel)
    panel.attendance_context = ctx
    panel.show_profile(profile)
    panel.show()
    return panel, usi


def recorded_days(demo_engine, usi: int) -> dict[date, str]:
    with demo_engine.connect() as c:
        return recount(c, usi)


def test_the_clerk_opens_a_students_term_calendar_and_walks_it_by_keyboard(qtbot, signed_in, run_until_signal,
                                                                         demo_engine, tmp_path):
    panel, usi = panel_for(qtbot, signed_in, "demo_front_office")
    assert panel.attendance_button.isVisible() and panel.attendance_button.text() == "Attendance…"
    panel.attendance_button.setFocus()
    QTest.keyClick(panel.attendance_button, Qt.Key.Key_Space)  # keyboard only
    dialog = panel.attendance_dialog
    term = run_until_signal(dialog.loaded)[0]
    assert term.endswith("Fall Semester") and dialog.isVisible()
    assert dialog.windowTitle() == f"Attendance — {panel.name.text()}"
    m: AttendanceCalendarModel = dialog.model
    assert m.rowCount() == 18 and m.columnCount() == 5  # Aug 17 to Dec 18, a week per row
    assert m.headerData(0, Qt.Orientation.Vertical) == "Week of Aug 17"
    recorded = recorded_days(demo_engine, usi)
    # most days were present ones (no row of their own: the homeroom's taken event says so)
    assert sum(code == "In Attendance" for code in recorded.values()) > 40
    letters = {"In Attendance": "P", "Tardy": "T", "Excused Absence": "E", "Unexcused Absence": "A"}
    for r in range(m.rowCount()):
        for c in range(5):
            day = m.day_at(r, c)
            shown = m.data(m.index(r, c))
            if day.day in recorded:  # every recorded day shows its letter ...
                assert shown.endswith(letters[recorded[day.day]]), (day, shown)
            elif day.school_day:  # ... a school day without a record a dot, and no letter on a holiday
                assert shown.endswith("·")
            else:
                assert shown == f"{day.day:%b} {day.day.day}"
    # the calendar starts on today, and the arrow keys move a day (and a week) at a time
    assert m.day_at(dialog.view.currentIndex().row(), dialog.view.currentIndex().column()).day == DEMO_AS_OF
    assert dialog.day_line.text() == "Friday, November 20: No mark yet"
    QTest.keyClick(dialog.view, Qt.Key.Key_Left)
    thursday = date(2026, 11, 19)
    name = {"In Attendance": "Present", "Tardy": "Tardy", "Excused Absence": "Excused absence",
            "Unexcused Absence": "Unexcused absence"}[recorded[thursday]]
    assert dialog.day_line.text() == f"Thursday, November 19: {name}"
    QTest.keyClick(dialog.view, Qt.Key.Key_Down)
    assert dialog.day_line.text() == "Thursday, November 26: No school"  # Thanksgiving
    idx = dialog.view.currentIndex()
    assert m.data(idx, Qt.ItemDataRole.AccessibleTextRole) == "Thursday, November 26: No school"
    # the legend counts each status over the term's days
    fall = {d: s for d, s in recorded.items() if date(2026, 8, 17) <= d <= date(2026, 12, 18)}
    legend = dialog.legend.accessibleDescription()
    assert f"P Present: {sum(s == 'In Attendance' for s in fall.values())}" in legend
    assert f"A Unexcused absence: {sum(s == 'Unexcused Absence' for s in fall.values())}" in legend
    assert "S Suspension (recorded by the office): 0" in legend
    assert all(w.accessibleName() for w in (dialog.view, dialog.term, dialog.legend, dialog.close_button))
    if os.environ.get("SCHOOL_OFFICE_SCREENSHOTS"):
        dialog.grab().save(str(tmp_path / "attendance-calendar.png"))
        print(tmp_path / "attendance-calendar.png")
    # another term from the picker: the spring days have no marks yet
    dialog.term.setCurrentIndex(dialog.term.findText(term.replace("Fall", "Spring")))
    dialog.term.activated.emit(dialog.term.currentIndex())
    assert run_until_signal(dialog.loaded)[0].endswith("Spring Semester")
    assert m.headerData(0, Qt.Orientation.Vertical) == "Week of Jan 4"
    assert "P Present: 0" in dialog.legend.accessibleDescription()
    QTest.keyClick(dialog.close_button, Qt.Key.Key_Space)
    assert not dialog.isVisible()


def test_a_suspension_shows_as_S_with_the_offices_reason(qtbot, signed_in, run_until_signal, demo_engine):
    panel, usi = panel_for(qtbot, signed_in, "demo_dean", school="RHS")
    assert panel.attendance_button.isVisible()
    with demo_engine.begin() as c:  # what the discipline service writes for a suspension day of a present day
        day = c.execute(text(
            "SELECT max(t.date) FROM edfi.sectionattendancetakenevent t JOIN edfi.studentsectionassociation a "
            "ON a.localcoursecode = t.localcoursecode AND a.schoolid = t.schoolid AND a.schoolyear = t.schoolyear "
            "AND a.sectionidentifier = t.sectionidentifier AND a.sessionname = t.sessionname WHERE a.studentusi = :u "
            "AND NOT EXISTS (SELECT 1 FROM edfi.studentschoolattendanceevent x WHERE x.studentusi = :u "
            "AND x.eventdate = t.date)"), {"u": usi}).scalar()
        c.execute(text(
            "INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid, "
            "schoolyear, sessionname, studentusi, attendanceeventreason, eventduration) "
            "SELECT (SELECT descriptorid FROM edfi.descriptor WHERE codevalue = 'Excused Absence' "
            "AND discriminator = 'edfi.AttendanceEventCategoryDescriptor'), :d, a.schoolid, a.schoolyear, "
            "a.sessionname, :u, 'Out of School Suspension (ACT-T1)', 1 FROM edfi.studentsectionassociation a "
            "WHERE a.studentusi = :u AND a.begindate <= :d ORDER BY a.begindate DESC LIMIT 1"), {"u": usi, "d": day})
    try:
        panel.attendance_button.click()
        dialog = panel.attendance_dialog
        run_until_signal(dialog.loaded)
        idx = dialog.model.index_of(day)
        assert dialog.model.data(idx).endswith("S")
        assert dialog.model.data(idx, Qt.ItemDataRole.AccessibleTextRole) == (
            f"{day:%A, %B} {day.day}: Excused Absence, Out of School Suspension (ACT-T1)")
        assert "S Suspension (recorded by the office): 1" in dialog.legend.accessibleDescription()
        dialog.close()
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM edfi.studentschoolattendanceevent WHERE studentusi = :u AND eventdate = :d "
                           "AND attendanceeventreason = 'Out of School Suspension (ACT-T1)'"), {"u": usi, "d": day})


def test_a_teacher_has_no_attendance_button(qtbot, signed_in):
    panel, _usi = panel_for(qtbot, signed_in, "demo_teacher", school="RHS")
    assert not panel.attendance_button.isVisible()
    assert panel.open_attendance() is None
