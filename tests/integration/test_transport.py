"""Bus assignments as the demo transportation coordinator (district-wide) against the real demo
district: runs and loads, assigning riders with capacity warnings, stop editing, temporary
changes, Ed-Fi StudentTransportation in step, and enrollment changes reaching transportation in
the same transaction. Each test rolls its work back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services import enrollment as E
from app.services.transport import lists, riders, routes
from tests.conftest import DEMO_AS_OF, rolled_back

pytestmark = pytest.mark.integration
DAY = DEMO_AS_OF  # a Friday
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
RES, RMS, RHS = 255950001, 255950002, 255950003


@pytest.fixture
def conn(login_engine):
    yield from rolled_back(login_engine("demo_transportation"))


def a_rider(conn, school: int = RES, kind: str = "PM") -> tuple[int, int, int]:
    """(student, run, stop) of a regular rider of `school` on a run of that kind."""
    return conn.execute(text(
        "SELECT l.student_usi, l.run_id, l.stop_id FROM transportation.rider_legs l "
        "JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id "
        "JOIN transportation.runs u ON u.run_id = l.run_id "
        "WHERE st.school_id = :s AND u.run_kind = :k AND l.day_of_week = 5 AND st.transportation_category = 'Regular' "
        "AND NOT EXISTS (SELECT 1 FROM transportation.temporary_changes t WHERE t.student_usi = l.student_usi) "
        "ORDER BY l.student_usi LIMIT 1"), {"s": school, "k": kind}).one()


def test_the_coordinator_sees_every_run_with_its_load_and_the_demo_overloads(conn):
    runs = routes.list_runs(conn, DAY)
    assert len(runs) >= 40 and {r.run_kind for r in runs} == {"AM", "PM"}
    over = [r for r in runs if r.overloaded]
    assert 1 <= len(over) <= 4
    assert all("seats" in r.load and r.percent > 100 for r in over)
    detail = routes.run_detail(conn, runs[0].run_id, DAY)
    assert [s.sequence for s in detail.stops] == list(range(1, len(detail.stops) + 1))
    assert [s.planned_time for s in detail.stops] == sorted(s.planned_time for s in detail.stops)
    assert detail.schools and detail.bus is not None


def test_an_unassigned_eligible_student_gets_the_suggested_stops_and_edfi_follows(conn):
    need = [s for s in riders.needing_assignment(conn, DAY) if s.eligible and s.am_stop_id and s.pm_stop_id]
    assert need, "the demo leaves a few eligible students unassigned"
    s = need[0]
    assert s.reason and "mi" in s.am_stop
    plan = riders.RiderPlan(s.student_usi, riders.weekday_legs(s.am_run_id, s.am_stop_id, s.pm_run_id, s.pm_stop_id),
                            DAY)
    try:
        riders.assign_rider(conn, plan)
    except riders.OverloadWarning:
        riders.assign_rider(conn, plan, confirm_overload=True)
    assert s.student_usi not in {x.student_usi for x in riders.needing_assignment(conn, DAY)}
    rides = riders.rides_on(conn, s.student_usi, DAY)
    assert {r.direction for r in rides} == {"to_school", "from_school"} and all(r.bus_number for r in rides)
    edfi = conn.execute(text(
        "SELECT d.busnumber, rd.codevalue, (SELECT count(*) FROM edfi.studenttransportationstudentbusdetailstraveldayofweek "
        "w WHERE w.studentusi = d.studentusi), (SELECT x.codevalue FROM edfi.studenttransportationstudentbusdetailstraveldirection t "
        "JOIN edfi.descriptor x ON x.descriptorid = t.traveldirectiondescriptorid WHERE t.studentusi = d.studentusi) "
        "FROM edfi.studenttransportationstudentbusdetails d JOIN edfi.descriptor rd ON rd.descriptorid = d.busroutedescriptorid "
        "WHERE d.studentusi = :u"), {"u": s.student_usi}).one()
    assert edfi[0] == rides[0].bus_number and edfi[1].startswith("Route ") and edfi[2:] == (5, "To and From School")


def test_an_overload_is_refused_until_confirmed_and_never_silent(conn):
    run = next(r for r in routes.list_runs(conn, DAY) if r.overloaded and r.direction == "to_school")
    detail = routes.run_detail(conn, run.run_id, DAY)
    school = detail.schools[0].school_id
    usi = next(s.student_usi for s in riders.suggestions(conn, DAY, unassigned_only=True) if s.school_id == school)
    plan = riders.RiderPlan(usi, (riders.Leg(5, "to_school", run.run_id, detail.stops[0].stop_id),), DAY)
    with pytest.raises(riders.OverloadWarning, match=rf"^{run.name} on Friday would be overloaded: \d+ riders use"):
        riders.assign_rider(conn, plan)
    assert riders.rides_on(conn, usi, DAY) == ()  # nothing half-saved
    riders.assign_rider(conn, plan, confirm_overload=True)
    assert riders.rides_on(conn, usi, DAY)[0].run_id == run.run_id


def test_a_rider_on_a_run_that_does_not_serve_their_school_is_refused(conn):
    usi, _run, _stop = a_rider(conn, RES)
    other = next(r for r in routes.list_runs(conn, DAY) if "High" in r.schools and r.direction == "to_school")
    stop = routes.run_detail(conn, other.run_id, DAY).stops[0].stop_id
    with pytest.raises(UserError, match=rf"^{other.name} does not serve Riverbend Elementary School, where the student "
                                        r"is enrolled; pick a run that serves that school\.$"):
        riders.assign_rider(conn, riders.RiderPlan(usi, (riders.Leg(1, "to_school", other.run_id, stop),), DAY))


def test_inserting_a_stop_renumbers_and_out_of_order_times_or_positions_are_refused(conn):
    run = next(r for r in routes.list_runs(conn, DAY) if r.direction == "to_school" and r.stops >= 5)
    before = routes.run_detail(conn, run.run_id, DAY).stops
    stop = routes.create_stop(conn, routes.NewStop("Test Ln & Oak St", "", before[1].latitude + 0.001,
                                                   before[1].longitude))
    pos = routes.add_stop(conn, run.run_id, stop, 3, None, "Left after the bridge")
    after = routes.run_detail(conn, run.run_id, DAY).stops
    assert pos == 3 and [s.sequence for s in after] == list(range(1, len(before) + 2))
    assert after[2].stop_id == stop and after[3].stop_id == before[2].stop_id
    assert before[1].planned_time <= after[2].planned_time <= after[3].planned_time  # estimated in between
    with pytest.raises(UserError, match=r"^Stop 3 \(Test Ln & Oak St\) at 06:00 is before stop 2 "):
        routes.set_stop_time(conn, run.run_id, stop, time(6, 0))
    with pytest.raises(UserError, match=r"^Latitude 123.4 is out of range; a latitude is between -90 and 90\.$"):
        routes.create_stop(conn, routes.NewStop("Nowhere", "", 123.4, -97.7))
    routes.remove_stop(conn, run.run_id, stop)
    assert [s.stop_id for s in routes.run_detail(conn, run.run_id, DAY).stops] == [s.stop_id for s in before]


def test_a_temporary_change_shows_on_that_days_lists_only(conn):
    usi, own_run, _stop = a_rider(conn, RES, "PM")
    other = next(r for r in routes.list_runs(conn, DAY)
                 if r.run_id != own_run and r.direction == "from_school" and "Elementary" in r.schools)
    other_stop = routes.run_detail(conn, other.run_id, DAY).stops[0].stop_id
    riders.add_temporary_change(conn, usi, DAY, DAY, "from_school", other.run_id, other_stop,
                                "Staying with grandma tonight", confirm_overload=True)
    on_other = {r.student_usi: r for r in lists.run_roster(conn, other.run_id, DAY).riders}
    assert on_other[usi].change_note == "Staying with grandma tonight"
    own = lists.run_roster(conn, own_run, DAY)
    assert usi not in {r.student_usi for r in own.riders}
    assert any(n.note == "Staying with grandma tonight" for n in own.not_riding)
    monday = DAY + timedelta(days=3)
    assert usi in {r.student_usi for r in lists.run_roster(conn, own_run, monday).riders}
    assert usi not in {r.student_usi for r in lists.run_roster(conn, other.run_id, monday).riders}
    with pytest.raises(UserError, match="is before the first day"):
        riders.add_temporary_change(conn, usi, DAY, DAY - timedelta(days=1), "both", None, None, "note")


def test_a_withdrawal_ends_the_bus_plan_the_same_day_in_the_same_transaction(login_engine):
    with login_engine("demo_front_office").connect() as c:
        tx = c.begin()
        try:
            usi, run, _stop = a_rider(c, RES, "AM")
            E.withdraw_student(c, usi, DAY, "Withdrawn", now=NOW)
            ends = c.execute(text("SELECT end_date FROM transportation.student_transportation WHERE student_usi = :u"),
                             {"u": usi}).scalars().all()
            assert ends == [DAY]
            assert riders.rides_on(c, usi, DAY) and riders.rides_on(c, usi, DAY + timedelta(days=3)) == ()
            assert usi not in {r.student_usi for r in lists.run_roster(c, run, DAY + timedelta(days=3)).riders}
            # Ed-Fi says what is true today: no current transportation once the plan has ended
            assert c.execute(text("SELECT count(*) FROM edfi.studenttransportation WHERE studentusi = :u"),
                             {"u": usi}).scalar() == (1 if DAY >= date.today() else 0)
        finally:
            tx.rollback()


def test_a_transfer_ends_the_old_plan_and_lists_the_student_as_needing_an_assignment(login_engine):
    with login_engine("demo_admin").connect() as c:
        tx = c.begin()
        try:
            riders_at_res = c.execute(text(
                "SELECT st.student_usi FROM transportation.student_transportation st "
                "JOIN edfi.studentschoolassociation a ON a.studentusi = st.student_usi AND a.exitwithdrawdate IS NULL "
                "JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid "
                "WHERE st.school_id = :s AND g.codevalue = 'Fifth grade' ORDER BY 1 LIMIT 12"), {"s": RES}).scalars()
            # a fifth grader who lives far enough from the middle school to ride there (the demo's
            # addresses are random: some live within walking distance of it)
            for usi in riders_at_res:
                E.transfer_student(c, usi, RMS, "Sixth grade", DAY, now=NOW, today=DAY)
                assert c.execute(text("SELECT end_date FROM transportation.student_transportation "
                                      "WHERE student_usi = :u"), {"u": usi}).scalar() == DAY - timedelta(days=1)
                eligible = {s.student_usi: s for s in riders.suggestions(c, DAY, unassigned_only=True)
                            if s.eligible}
                if usi in eligible:
                    break
            else:
                raise AssertionError("no fifth grader of the elementary school is eligible to ride to the middle school")
            need = {s.student_usi: s for s in riders.needing_assignment(c, DAY)}
            assert usi in need and need[usi].school_id == RMS
        finally:
            tx.rollback()


def test_which_bus_answers_a_parents_call(conn):
    usi, run, stop = a_rider(conn, RHS, "AM")
    uid = conn.execute(text("SELECT studentuniqueid FROM edfi.student WHERE studentusi = :u"), {"u": usi}).scalar()
    [hit] = riders.which_bus(conn, uid, DAY)
    am = next(r for r in hit.rides if r.direction == "to_school")
    assert am.run_id == run and am.bus_number and am.stop_name and am.planned_time


def test_counts_empty_stops_and_riders_who_have_not_ridden(conn):
    counts = lists.rider_counts(conn, DAY)
    assert sum(c.riders for c in counts) > 100 and {c.school for c in counts} >= {"Riverbend High School"}
    # a stop with riders is not listed; once its riders' plans have ended, it is
    run_id, stop_id, seq = conn.execute(text(
        "SELECT l.run_id, l.stop_id, rs.stop_sequence FROM transportation.rider_legs l "
        "JOIN transportation.run_stops rs ON rs.run_id = l.run_id AND rs.stop_id = l.stop_id "
        "JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id "
        "WHERE st.is_active AND st.end_date IS NULL ORDER BY 1, 2 LIMIT 1")).one()
    route, kind = conn.execute(text(
        "SELECT r.route_number, u.run_kind FROM transportation.runs u JOIN transportation.bus_routes r "
        "USING (route_id) WHERE u.run_id = :r"), {"r": run_id}).one()
    here = (f"{route} {kind}", seq)
    assert here not in {(e.run, e.sequence) for e in lists.stops_without_riders(conn, DAY)}
    conn.execute(text(
        "UPDATE transportation.student_transportation SET end_date = :d WHERE assignment_id IN "
        "(SELECT assignment_id FROM transportation.rider_legs WHERE run_id = :r AND stop_id = :s)"),
        {"d": DAY - timedelta(days=1), "r": run_id, "s": stop_id})
    assert here in {(e.run, e.sequence) for e in lists.stops_without_riders(conn, DAY)}
    idle = lists.riders_not_riding(conn, 5, DAY)
    assert idle and all(r.last_ride is None or r.last_ride <= DAY - timedelta(days=5) for r in idle)


def test_kindergarten_riders_are_released_to_a_designated_adult_on_every_list(conn):
    k = conn.execute(text(
        "SELECT l.run_id FROM transportation.rider_legs l JOIN transportation.student_transportation st "
        "ON st.assignment_id = l.assignment_id JOIN edfi.studentschoolassociation a ON a.studentusi = l.student_usi "
        "JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid "
        "WHERE g.codevalue = 'Kindergarten' AND l.day_of_week = 5 LIMIT 1")).scalar()
    roster = lists.run_roster(conn, k, DAY)
    kinder = [r for r in roster.riders if r.grade == "Kindergarten"]
    assert kinder and all(r.release_to_adult for r in kinder)
