"""The Discipline desk driven as the demo dean: an incident with three students, a suspension
that marks the days, the student's history and a correction."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in
from tests.conftest import DEMO_AS_OF
from tests.ui.helpers import until
from ui.screens.desk_context import DeskContext
from ui.screens.discipline.discipline_page import DisciplinePage
from ui.widgets import set_checked

pytestmark = pytest.mark.ui


@pytest.fixture
def page(qtbot, demo_engine, run_until):
    create_demo_logins(demo_engine)
    user, eng = sign_in(demo_engine.url, "demo_dean", DEMO_PASSWORD)
    p = DisciplinePage(DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF))
    qtbot.addWidget(p)
    p.show()
    p.activate()
    run_until(lambda: p._loaded)
    yield p
    eng.dispose()
    with demo_engine.begin() as c:  # what this test recorded goes; the seeded incidents stay
        actions = c.execute(text("SELECT disciplineactionidentifier FROM edfi.disciplineaction "
                                 "WHERE disciplineactionidentifier LIKE 'ACT-2026%'")).scalars().all()
        for t in ("disciplineactionstudentdisciplineincidentbehaviorassociation", "disciplineactiondiscipline",
                  "disciplineactionstaff", "disciplineaction"):
            c.execute(text(f"DELETE FROM edfi.{t} WHERE disciplineactionidentifier = ANY(:a)"), {"a": actions})
        for t in ("studentdisciplineincidentbehaviorassociationdisciplinein_ae6a21",
                  "studentdisciplineincidentbehaviorassociation",
                  "studentdisciplineincidentnonoffenderassociationparticipation",
                  "studentdisciplineincidentnonoffenderassociation", "disciplineincidentbehavior",
                  "disciplineincidentweapon", "staffdisciplineincidentassociation", "disciplineincident"):
            c.execute(text(f"DELETE FROM edfi.{t} WHERE incidentidentifier LIKE 'INC-2026%'"))
        c.execute(text("DELETE FROM edfi.studentschoolattendanceevent WHERE attendanceeventreason LIKE '%(ACT-%'"))
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->>'ActivityType' LIKE 'discipline.%'"))


def rhs_ids(demo_engine, n):
    with demo_engine.connect() as c:
        return c.execute(text("SELECT s.studentuniqueid FROM edfi.student s JOIN edfi.studentschoolassociation a "
                              "USING (studentusi) WHERE a.schoolid = 255950003 ORDER BY 1 LIMIT :n"),
                         {"n": n}).scalars().all()


def test_a_dean_records_an_incident_an_action_and_a_correction(qtbot, page, demo_engine, run_async):
    assert page.school.currentText() == "Riverbend High School"  # the dean's own school
    offender, victim, witness = rhs_ids(demo_engine, 3)
    page.incident_date.setText("11/19/2026")
    qtbot.keyClicks(page.incident_time, "12:10")
    page.location.setCurrentText("Cafeteria area")
    qtbot.keyClicks(page.description, "A fight at lunch; one student was pushed into a table.")
    qtbot.keyClicks(page.reporter_name, "Ms. Rivera")
    qtbot.keyClicks(page.cost, "45.00")
    set_checked(page.weapons, ["Other Object"])
    page._add_staff()
    for uid, role, behaviors in ((offender, "Perpetrator", ["School Code of Conduct"]), (victim, "Victim", []),
                                 (witness, "Witness", [])):
        page.find.setText(uid)
        page.role.setCurrentText(role)
        set_checked(page.behaviors, behaviors)
        assert run_async(page.add_involved()), page.incident_message.text()
    assert page.involved_model.rowCount() == 3
    ident = run_async(page.record_incident())
    assert ident and page.incident_message.text() == (f"Recorded incident {ident} with 3 students. "
                                                      "Add the actions below. Press New incident for the next one.")
    assert page.actions_box.isEnabled() and page.action_student.count() == 1  # only the offender gets actions
    assert page.action_behavior.currentText() == "School Code of Conduct"

    page.action_behavior.setCurrentText("")  # an action must answer a behavior
    assert run_async(page.record_action()) is None
    assert page.action_message.text().startswith("Behavior is empty")
    page.action_behavior.setCurrentText("School Code of Conduct")
    page.action.setCurrentText("Out of School Suspension")
    page.action_date.setText("11/20/2026")
    page.length.setText("2")
    QTest.mouseClick(page.save_action, Qt.MouseButton.LeftButton)
    run_async(until(lambda: page.action_message.text().startswith("Recorded")))
    assert page.action_message.text().endswith("attendance marked for 2 school days: Fri 11/20, Mon 11/23.")

    usi = page.action_student.currentData().student_usi
    assert run_async(page.show_history(usi, "the offender")) >= 1
    m = page.history_model
    row = next(i for i, r in enumerate(m.rows) if r[0].incident_identifier == ident)
    assert m.cell(m.rows[row], m.COL_ACTION) == "Out of School Suspension"
    assert m.cell(m.rows[row], m.COL_ASSIGNED) == "2"
    page.history_view.selectRow(row)
    page.correct_served.setText("1")
    assert not run_async(page.correct_selected())
    assert "pick the reason for the difference" in page.history_message.text()
    page.correct_reason.setCurrentText("Term Modified By District")
    assert run_async(page.correct_selected())
    row = next(i for i, r in enumerate(m.rows) if r[0].incident_identifier == ident)
    assert (m.cell(m.rows[row], m.COL_SERVED), m.cell(m.rows[row], m.COL_REASON)) == ("1", "Term Modified By District")
    assert run_async(page.load_recent()) >= 1 and page.recent_model.rows[0].incident_identifier == ident
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.studentschoolattendanceevent WHERE studentusi = :u "
                              "AND attendanceeventreason LIKE '%(ACT-%'"), {"u": usi}).scalar() == 2


def test_a_student_who_is_not_found_is_named(page, run_async):
    page.find.setText("no-such-student")
    assert not run_async(page.add_involved())
    assert page.incident_message.text() == 'No student matches "no-such-student"; check the id.'
