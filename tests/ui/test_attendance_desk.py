"""The Attendance desk driven as a teacher and a clerk would: keys on the grid, mark all present,
save, reopen, correct; the office's lists and the link from a section not taken to its roster."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from tests.conftest import DEMO_AS_OF
from ui.screens.attendance.attendance_page import AttendancePage, qdate
from ui.screens.attendance.roster_table_model import RosterTableModel as R
from ui.screens.desk_context import DeskContext

pytestmark = pytest.mark.ui


@pytest.fixture
def undo_today(demo_engine):
    """Attendance saved here for DEMO_AS_OF (a day the demo district has not taken) is removed after."""
    yield
    with demo_engine.begin() as c:
        c.execute(text("DELETE FROM edfi.studentsectionattendanceevent WHERE eventdate = :d"), {"d": DEMO_AS_OF})
        c.execute(text("DELETE FROM edfi.studentschoolattendanceevent WHERE eventdate = :d"), {"d": DEMO_AS_OF})
        c.execute(text("DELETE FROM edfi.sectionattendancetakenevent WHERE date = :d"), {"d": DEMO_AS_OF})
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->'Details'->>'date' = :d OR item->>'Date' = :d"),
                  {"d": DEMO_AS_OF.isoformat()})


def make_page(qtbot, signed_in, login) -> AttendancePage:
    user, eng = signed_in(login)
    ctx = DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF,
                      now=lambda: datetime(2026, 11, 20, 8, 14))
    page = AttendancePage(ctx)
    qtbot.addWidget(page)
    return page


def marks_on_screen(page) -> list[tuple[str, str]]:
    m = page.roster_model
    return [(m.data(m.index(r, R.COL_MARK)), m.data(m.index(r, R.COL_ARRIVAL))) for r in range(m.rowCount())]


def test_a_teacher_takes_saves_reopens_and_corrects_a_roster(qtbot, signed_in, run_async, run_until_signal,
                                                             run_until, undo_today):
    page = make_page(qtbot, signed_in, "demo_teacher")
    page.show()
    page.activate()
    run_until(lambda: page.section.count() > 0)
    assert page.mine_only.isChecked()  # a teacher starts with their own sections
    assert all("✓ taken" not in page.section.itemText(i) for i in range(page.section.count()))
    QTest.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    n = run_until_signal(page.roster_loaded)[0]
    assert n >= 5 and "P In Attendance" in page.legend.text() and "A Unexcused Absence" in page.legend.text()
    QTest.keyClick(page.grid, Qt.Key.Key_A)
    QTest.keyClick(page.grid, Qt.Key.Key_T)
    assert marks_on_screen(page)[:3] == [("Unexcused Absence", ""), ("Tardy", "08:14"), ("—", "")]
    QTest.mouseClick(page.save_button, Qt.MouseButton.LeftButton)  # students still unmarked: refused
    run_until(lambda: "no mark yet" in page.message.text())
    QTest.mouseClick(page.all_present, Qt.MouseButton.LeftButton)
    assert marks_on_screen(page)[2] == ("In Attendance", "")
    QTest.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert run_until_signal(page.attendance_saved) == [n]
    run_until(lambda: page.message.text().startswith("Saved:"))

    again = make_page(qtbot, signed_in, "demo_teacher")  # another session reopens the same roster
    again.show()
    again.activate()
    run_until(lambda: again.section.count() > 0)
    assert "✓ taken" in again.section.itemText(0)
    run_async(again.open_roster())
    shown = marks_on_screen(again)
    assert shown[:2] == [("Unexcused Absence", ""), ("Tardy", "08:14")]
    assert {s for s in shown[2:]} == {("In Attendance", "")}
    assert "late correction" in again.message.text()
    QTest.keyClick(again.grid, Qt.Key.Key_E)  # the absence was excused after all
    assert run_async(again.save())
    assert again.message.text() == f"Saved: {n} students, 1 mark changed."


def test_an_arrival_time_typed_badly_is_named(qtbot, signed_in, run_async):
    page = make_page(qtbot, signed_in, "demo_teacher")
    run_async(page.load_sections())
    run_async(page.open_roster())
    m = page.roster_model
    assert not m.setData(m.index(0, R.COL_ARRIVAL), "25:99")
    assert page.message.text() == 'Arrival time "25:99" is not a time; type it as 8:15 or 1:30 PM.'
    assert m.setData(m.index(0, R.COL_ARRIVAL), "8:20")
    assert m.marks[m.rows[0].student_usi].code == "Tardy" and m.marks[m.rows[0].student_usi].arrival == time(8, 20)


def test_the_office_opens_a_section_not_taken_and_sees_the_figures(qtbot, signed_in, run_async, demo_engine):
    page = make_page(qtbot, signed_in, "demo_front_office")
    due, absences = run_async(page.refresh_office())
    assert due > 0 and page.due_model.rowCount() == due
    assert {page.due_model.cell(r, page.due_model.COL_TAKEN) for r in page.due_model.rows} == {"Not taken"}
    assert {page.due_model.cell(r, page.due_model.COL_SCHOOL) for r in page.due_model.rows} == {"RES"}  # hers
    page.due_view.selectRow(0)
    wanted = page.due_model.rows[0]
    assert run_async(page.take_selected_due())
    assert page.tabs.currentIndex() == 0 and page.roster_model.roster.section == wanted.key
    assert page.roster_model.rowCount() == wanted.students
    page.office_day.setDate(page.office_day.date().addDays(-1))  # Thursday the 19th: taken, with absences
    due, absences = run_async(page.refresh_office())
    assert due == 0 and absences > 0
    assert run_async(page.compute_averages()) == 3
    res = next(r for r in page.avg_model.rows if r.school == "Riverbend Elementary School")
    assert res.averages.adm > 0 and 0 < res.averages.ada <= res.averages.adm
    with demo_engine.connect() as c:  # read as the owner: who missed most days, and who missed none
        absences = ("SELECT e.studentusi FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d "
                    "ON d.descriptorid = e.attendanceeventcategorydescriptorid WHERE e.schoolid = 255950001 "
                    "AND e.eventdate <= :d AND d.codevalue IN ('Excused Absence', 'Unexcused Absence')")
        most_absent = c.execute(text(absences + " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"),
                                {"d": DEMO_AS_OF}).scalar()
        never_absent = c.execute(text(
            "SELECT studentusi FROM edfi.studentschoolassociation WHERE schoolid = 255950001 "
            f"AND studentusi NOT IN ({absences}) ORDER BY 1 LIMIT 1"), {"d": DEMO_AS_OF}).scalar()
    found = run_async(page.find_chronic())
    assert page.chronic_school.currentText() == "Riverbend Elementary School"
    assert found == page.chronic_model.rowCount() > 0
    listed = [line.student_usi for line in page.chronic_model.rows]
    assert most_absent in listed and never_absent not in listed
    for line in page.chronic_model.rows:
        assert line.enrolled_days >= 10 and line.rate >= 10


def test_the_office_lists_a_days_activity_from_dynamodb(qtbot, signed_in, run_async, dynamo):
    from datetime import timezone

    from boto3.dynamodb.types import TypeSerializer

    from app.sync.outbox import student_activity_item

    ser = TypeSerializer()
    at = datetime(2026, 10, 7, 13, 30, tzinfo=timezone.utc)  # other tests may write to this day too
    for item in (student_activity_item("DAY-T1", "T-ATT-1", at, "attendance.marked",
                                       {"mark": "Tardy", "section": "HR1-F01", "date": "2026-10-07", "daily": "Tardy"}),
                 student_activity_item("DAY-T2", "T-INC-1", at.replace(minute=45), "discipline.incident",
                                       {"incident": "INC-X", "date": "2026-10-07", "role": "Perpetrator"})):
        dynamo.put_item(TableName="StudentActivityLogs", Item={k: ser.serialize(v) for k, v in item.items()
                                                               if v is not None})
    for login, expected in (("demo_front_office", ["DAY-T1"]), ("demo_dean", ["DAY-T2", "DAY-T1"])):
        user, eng = signed_in(login)
        page = AttendancePage(DeskContext(engine=lambda: eng, user=lambda: user, dynamo=lambda: dynamo,
                                          today=lambda: DEMO_AS_OF))
        qtbot.addWidget(page)
        assert run_async(page.load_day_activity(date(2026, 10, 7))) >= len(expected)
        m = page.activity_model
        mine = [r for r in m.rows if r.student_unique_id.startswith("DAY-T")]
        assert [m.cell(r, m.COL_ID) for r in mine] == expected  # newest first
        assert m.cell(mine[-1], m.COL_WHAT) == "Marked Tardy in HR1-F01 on 2026-10-07; day: Tardy"
        assert [r.timestamp for r in m.rows] == sorted((r.timestamp for r in m.rows), reverse=True)


def test_a_suspension_the_office_recorded_shows_on_the_roster_and_is_not_overwritten_silently(
        qtbot, signed_in, run_async, demo_engine, undo_today):
    from ui.screens.attendance import office_mark_question

    page = make_page(qtbot, signed_in, "demo_teacher")
    run_async(page.load_sections())
    run_async(page.open_roster())
    suspended = page.roster_model.rows[1]
    with demo_engine.begin() as c:  # what the dean's suspension writes into the day's attendance
        c.execute(text(
            "INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid, "
            "schoolyear, sessionname, studentusi, attendanceeventreason, eventduration) "
            "SELECT d.descriptorid, :day, :s, :y, :n, :u, 'Out of School Suspension (ACT-UI-1)', 1.0 "
            "FROM edfi.descriptor d WHERE d.codevalue = 'Excused Absence' "
            "AND d.discriminator = 'edfi.AttendanceEventCategoryDescriptor'"),
            {"day": DEMO_AS_OF, "s": page.roster_model.roster.section.school_id,
             "y": page.roster_model.roster.section.school_year, "n": page.roster_model.roster.section.session_name,
             "u": suspended.student_usi})
    run_async(page.open_roster())
    m = page.roster_model
    shown = marks_on_screen(page)
    assert shown[1] == ("Excused Absence", "") and all(mark == "—" for mark, _ in shown[:1] + shown[2:])
    assert m.data(m.index(1, R.COL_OFFICE)) == "Excused Absence (Out of School Suspension (ACT-UI-1))"
    assert "the office recorded Excused Absence" in m.data(m.index(1, R.COL_MARK), Qt.ItemDataRole.AccessibleTextRole)
    assert page.unsaved_work() is None  # the office's mark carried over is not the teacher's unsaved change
    QTest.mouseClick(page.all_present, Qt.MouseButton.LeftButton)
    assert marks_on_screen(page)[1] == ("Excused Absence", "")  # Mark all present leaves the suspension alone
    assert {mark for mark, _ in marks_on_screen(page)[:1] + marks_on_screen(page)[2:]} == {"In Attendance"}
    asked = []
    try:
        office_mark_question.set_asker(lambda parent, who, note, code: asked.append((who, note, code)) or False)
        page.grid.setCurrentIndex(m.index(1, R.COL_MARK))
        QTest.keyClick(page.grid, Qt.Key.Key_P)  # the teacher is asked, and keeps the office's mark
        assert asked == [(suspended.name, "Excused Absence: Out of School Suspension (ACT-UI-1)", "In Attendance")]
        assert marks_on_screen(page)[1] == ("Excused Absence", "")
        assert not m.setData(m.index(1, R.COL_ARRIVAL), "8:20")  # nor through the arrival column
        assert "The office recorded" in page.message.text()
        office_mark_question.set_asker(lambda *a: True)
        page.grid.setCurrentIndex(m.index(1, R.COL_MARK))
        QTest.keyClick(page.grid, Qt.Key.Key_P)  # asked again; this time she confirms
        assert marks_on_screen(page)[1] == ("In Attendance", "")
    finally:
        office_mark_question.set_asker(None)
    assert run_async(page.save())
    with demo_engine.connect() as c:  # the day stays as the office recorded it
        day = c.execute(text(
            "SELECT d.codevalue, e.attendanceeventreason FROM edfi.studentschoolattendanceevent e "
            "JOIN edfi.descriptor d ON d.descriptorid = e.attendanceeventcategorydescriptorid "
            "WHERE e.studentusi = :u AND e.eventdate = :d"), {"u": suspended.student_usi, "d": DEMO_AS_OF}).all()
    assert day == [("Excused Absence", "Out of School Suspension (ACT-UI-1)")]


def test_a_desk_made_yesterday_opens_on_today_unless_a_day_was_chosen(qtbot, signed_in, run_until):
    """The window makes its desks at a sign-out and keeps them over a lock or a session's end: a teacher who
    signs in the next morning must find today's sections, not the day the desk was made. A day she chose stays."""
    from datetime import timedelta

    user, eng = signed_in("demo_teacher")
    clock = {"today": DEMO_AS_OF - timedelta(days=1)}
    page = AttendancePage(DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: clock["today"],
                                      now=lambda: datetime(2026, 11, 20, 8, 14)))
    qtbot.addWidget(page)
    page.show()
    page.activate()
    run_until(lambda: page._loaded)
    clock["today"] = DEMO_AS_OF  # the next morning, the same desk
    page.activate()
    assert page.day.date().toPython() == DEMO_AS_OF and page.office_day.date().toPython() == DEMO_AS_OF
    assert page.avg_to.date().toPython() == DEMO_AS_OF
    run_until(lambda: page.section.count() > 0 and f"{DEMO_AS_OF:%A, %B %d}" in page.message.text())
    chosen = DEMO_AS_OF - timedelta(days=7)
    page.day.setDate(qdate(chosen))  # she looks at last week's
    clock["today"] = DEMO_AS_OF + timedelta(days=1)
    page.activate()
    assert page.day.date().toPython() == chosen
