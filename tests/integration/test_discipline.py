"""The dean's desk as the demo dean (Riverbend High) against the real demo district."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services import discipline as D
from tests.conftest import DEMO_AS_OF, rolled_back

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
RHS = 255950003



def my_id(conn) -> str:
    """The signed-in login's own staff id: what the desk records as the actor of a change."""
    return conn.execute(text("SELECT compliance.my_staff_unique_id()")).scalar_one()

@pytest.fixture(scope="module")
def dean_engine(login_engine):
    return login_engine("demo_dean")


@pytest.fixture
def conn(dean_engine):
    yield from rolled_back(dean_engine)


def rhs_students(conn, n: int) -> list[int]:
    return conn.execute(text("SELECT studentusi FROM edfi.studentschoolassociation WHERE schoolid = :s "
                             "AND exitwithdrawdate IS NULL ORDER BY studentusi LIMIT :n"), {"s": RHS, "n": n}).scalars().all()


def fight(conn, **over) -> D.NewIncident:
    a, b, c = rhs_students(conn, 3)
    staff = conn.execute(text("SELECT staffusi FROM edfi.staff ORDER BY 1 LIMIT 1")).scalar()
    base = dict(school_id=RHS, incident_date=date(2026, 11, 18), incident_time=time(12, 10), location="Cafeteria area",
                description="Two students fought at lunch; one was hurt.", reporter_description="Staff",
                reporter_name="Ms. Rivera", reported_to_law_enforcement=False, cost="45.00",
                students=(D.InvolvedStudent(a, "Perpetrator", ("School Code of Conduct", "School Violation")),
                          D.InvolvedStudent(b, "Victim"), D.InvolvedStudent(c, "Witness")),
                weapons=("Other Object",), staff_usis=(staff,))
    base.update(over)
    return D.NewIncident(**base)


def test_an_incident_with_students_roles_behaviors_weapons_and_staff(conn):
    inc = fight(conn)
    ident = D.record_incident(conn, inc, actor=my_id(conn), now=NOW, today=DEMO_AS_OF)
    row = conn.execute(text(
        "SELECT i.incidentdate, i.incidenttime, d.codevalue, i.incidentcost::numeric, i.reportedtolawenforcement, "
        "i.reportername FROM edfi.disciplineincident i JOIN edfi.descriptor d "
        "ON d.descriptorid = i.incidentlocationdescriptorid WHERE i.incidentidentifier = :i"), {"i": ident}).one()
    assert row == (date(2026, 11, 18), time(12, 10), "Cafeteria area", Decimal("45.00"), False, "Ms. Rivera")
    weapons = conn.execute(text("SELECT d.codevalue FROM edfi.disciplineincidentweapon w JOIN edfi.descriptor d "
                                "ON d.descriptorid = w.weapondescriptorid WHERE w.incidentidentifier = :i"),
                           {"i": ident}).scalars().all()
    assert weapons == ["Other Object"]
    assert conn.execute(text("SELECT staffusi FROM edfi.staffdisciplineincidentassociation WHERE incidentidentifier = :i"),
                        {"i": ident}).scalars().all() == list(inc.staff_usis)
    offender, victim, witness = (s.student_usi for s in inc.students)
    h = D.discipline_history(conn, offender)[0]
    assert (h.incident_identifier, h.role, h.behaviors, h.location) == (
        ident, "Perpetrator", ("School Code of Conduct", "School Violation"), "Cafeteria area")
    assert D.discipline_history(conn, victim)[0].role == "Victim"
    assert D.discipline_history(conn, witness)[0].role == "Witness"
    kinds = conn.execute(text("SELECT item->>'ActivityType', item->'Details'->>'role' FROM sync.items_of_this_transaction() "
                              "WHERE item->'Details'->>'incident' = :i ORDER BY outbox_id"), {"i": ident}).all()
    assert kinds == [("discipline.incident", "Perpetrator"), ("discipline.incident", "Victim"),
                     ("discipline.incident", "Witness")]


def test_a_suspension_answers_a_behavior_and_marks_the_days_absent(conn):
    inc = fight(conn)
    ident = D.record_incident(conn, inc, now=NOW, today=DEMO_AS_OF)
    offender = inc.students[0].student_usi
    result = D.record_action(conn, D.NewAction(
        offender, ident, RHS, "School Code of Conduct", "Out of School Suspension", date(2026, 11, 20), "3",
        zero_tolerance=False, iep_placement_meeting=True, generate_attendance=True), now=NOW)
    # Friday, then Monday and Tuesday: the weekend and Thanksgiving week's holidays are skipped
    assert result.attendance_days == (date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24))
    marks = conn.execute(text(
        "SELECT e.eventdate, d.codevalue, e.attendanceeventreason FROM edfi.studentschoolattendanceevent e "
        "JOIN edfi.descriptor d ON d.descriptorid = e.attendanceeventcategorydescriptorid "
        "WHERE e.studentusi = :u AND e.eventdate >= '2026-11-20' ORDER BY 1"), {"u": offender}).all()
    assert [(m[0], m[1]) for m in marks] == [(d, "Excused Absence") for d in result.attendance_days]
    assert all(result.identifier in m[2] for m in marks)
    history = D.discipline_history(conn, offender)[0]
    assert [(a.discipline, a.behavior, a.length_assigned) for a in history.actions] == [
        ("Out of School Suspension", "School Code of Conduct", Decimal("3.00"))]


def test_an_action_without_a_behavior_is_refused(conn):
    inc = fight(conn)
    ident = D.record_incident(conn, inc, now=NOW, today=DEMO_AS_OF)
    with pytest.raises(UserError, match="Behavior is empty"):
        D.record_action(conn, D.NewAction(inc.students[0].student_usi, ident, RHS, "", "In School Suspension",
                                          date(2026, 11, 20), "1"), now=NOW)
    with pytest.raises(UserError, match="is not one of this student's behaviors"):
        D.record_action(conn, D.NewAction(inc.students[1].student_usi, ident, RHS, "School Violation",
                                          "In School Suspension", date(2026, 11, 20), "1"), now=NOW)


@pytest.mark.parametrize("change,message", [
    (dict(incident_date=date(2026, 12, 1)), "Incident date 12/01/2026 is in the future"),
    (dict(description="  "), "Description is empty"),
    (dict(students=()), "No student is listed"),
    (dict(cost="lots"), 'Cost "lots" is not an amount'),
    (dict(location="Moon"), 'Location "Moon" is not on the list'),
])
def test_bad_incidents_are_refused_and_nothing_is_saved(dean_engine, change, message):
    with dean_engine.connect() as c:
        before = c.execute(text("SELECT count(*) FROM edfi.disciplineincident")).scalar()
        inc = fight(c, **change)
    with pytest.raises(UserError, match=message):
        with dean_engine.begin() as c:
            D.record_incident(c, inc, now=NOW, today=DEMO_AS_OF)
    with dean_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.disciplineincident")).scalar() == before


def test_a_perpetrator_needs_a_behavior(conn):
    a, = rhs_students(conn, 1)
    with pytest.raises(UserError, match="perpetrator has no behavior"):
        D.record_incident(conn, fight(conn, students=(D.InvolvedStudent(a, "Perpetrator"),)), now=NOW, today=DEMO_AS_OF)


def test_a_correction_is_an_audited_update_never_a_delete(dean_engine, demo_engine):
    with dean_engine.begin() as c:
        inc = fight(c)
        ident = D.record_incident(c, inc, now=NOW, today=DEMO_AS_OF)
        act = D.record_action(c, D.NewAction(inc.students[0].student_usi, ident, RHS, "School Violation",
                                             "In School Suspension", date(2026, 11, 19), "2"), now=NOW)
    usi = inc.students[0].student_usi
    with dean_engine.begin() as c:
        with pytest.raises(UserError, match="pick the reason for the difference"):
            D.correct_action(c, act.identifier, date(2026, 11, 19), usi, length_served="1", difference_reason="")
    with dean_engine.begin() as c:
        D.correct_action(c, act.identifier, date(2026, 11, 19), usi, length_served="1",
                         difference_reason="Term Modified By District")
        line = D.discipline_history(c, usi)[0].actions[0]
        assert (line.length_assigned, line.length_served, line.difference_reason) == (
            Decimal("2.00"), Decimal("1.00"), "Term Modified By District")
    with demo_engine.connect() as su:
        trail = su.execute(text(
            "SELECT user_id, operation, old_values->>'actualdisciplineactionlength', "
            "new_values->>'actualdisciplineactionlength' FROM compliance.audit_logs "
            "WHERE table_name = 'edfi.disciplineaction' AND record_id LIKE :k ORDER BY id"),
            {"k": f'%{act.identifier}%'}).all()
        assert trail == [("demo_dean", "INSERT", None, None), ("demo_dean", "UPDATE", None, "1.00")]
        assert su.execute(text("SELECT count(*) FROM compliance.audit_logs WHERE table_name = "
                               "'edfi.disciplineincident' AND record_id LIKE :k"), {"k": f"%{ident}%"}).scalar() == 1
        # clean up as the district's own user (the dean has no DELETE: corrections never delete)
        for t in ("disciplineactionstudentdisciplineincidentbehaviorassociation", "disciplineactiondiscipline",
                  "disciplineaction"):
            su.execute(text(f"DELETE FROM edfi.{t} WHERE disciplineactionidentifier = :a"), {"a": act.identifier})
        for t in ("studentdisciplineincidentbehaviorassociationdisciplinein_ae6a21",
                  "studentdisciplineincidentbehaviorassociation", "studentdisciplineincidentnonoffenderassociationparticipation",
                  "studentdisciplineincidentnonoffenderassociation", "disciplineincidentbehavior", "disciplineincidentweapon",
                  "staffdisciplineincidentassociation", "disciplineincident"):
            su.execute(text(f"DELETE FROM edfi.{t} WHERE incidentidentifier = :i"), {"i": ident})
        su.commit()


def test_the_dean_may_not_delete_discipline_records(conn):
    ident = D.record_incident(conn, fight(conn), now=NOW, today=DEMO_AS_OF)
    with pytest.raises(Exception, match="permission denied"):
        conn.execute(text("DELETE FROM edfi.disciplineincidentweapon WHERE incidentidentifier = :i"), {"i": ident})


def test_a_repeated_submit_returns_the_incident_already_recorded(conn):
    import uuid

    rid = str(uuid.uuid4())
    count = "SELECT count(*) FROM edfi.disciplineincident"
    before = conn.execute(text(count)).scalar()
    first = D.record_incident(conn, fight(conn), actor=my_id(conn), now=NOW, today=DEMO_AS_OF, request_id=rid)
    again = D.record_incident(conn, fight(conn), actor=my_id(conn), now=NOW, today=DEMO_AS_OF, request_id=rid)
    assert again == first and conn.execute(text(count)).scalar() == before + 1
    assert str(conn.execute(text("SELECT id FROM edfi.disciplineincident WHERE incidentidentifier = :i"),
                            {"i": first}).scalar()) == rid
    other = D.record_incident(conn, fight(conn), now=NOW, today=DEMO_AS_OF, request_id=str(uuid.uuid4()))
    assert other != first and conn.execute(text(count)).scalar() == before + 2  # a new form is a new incident
    with pytest.raises(UserError, match="request id is not valid"):
        D.record_incident(conn, fight(conn), now=NOW, today=DEMO_AS_OF, request_id="not-a-uuid")


def test_a_repeated_action_submit_returns_the_action_already_recorded(conn):
    import uuid

    ident = D.record_incident(conn, fight(conn), now=NOW, today=DEMO_AS_OF)
    offender = fight(conn).students[0].student_usi
    action = D.NewAction(offender, ident, RHS, "School Code of Conduct", "Out of School Suspension",
                         date(2026, 11, 19), "2", "", "", False, False, (), True)
    rid = str(uuid.uuid4())
    first = D.record_action(conn, action, request_id=rid)
    again = D.record_action(conn, action, request_id=rid)
    assert again == first and len(first.attendance_days) == 2
    assert conn.execute(text("SELECT count(*) FROM edfi.disciplineaction a JOIN "
                             "edfi.disciplineactionstudentdisciplineincidentbehaviorassociation b USING "
                             "(disciplineactionidentifier, disciplinedate, studentusi) WHERE b.incidentidentifier = :i"),
                        {"i": ident}).scalar() == 1
