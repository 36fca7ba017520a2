"""Special-education transport and what follows from it: the IEP's needs count only while the IEP is
in force; the nurse records them for her own schools' IEPs (the bus desk only reads them); stop
suggestions respect a rider's equipment, the bus's room and door-to-door service; release-to-adult
flags on every list; temporary changes checked like plans; Ed-Fi StudentTransportation in step on
every path (IEP changes, a run's bus, the date moving on). Each test rolls its work back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.errors import UserError
from app.services.transport import iep_needs, lists, riders, routes, setup
from app.services.transport.common import iep_needs as needs_in_force
from tests.conftest import DEMO_AS_OF, rolled_back
from tests.integration.test_security import denied, run

pytestmark = pytest.mark.integration
DAY = DEMO_AS_OF
RES, RHS = 255950001, 255950003


@pytest.fixture
def admin(login_engine):
    yield from rolled_back(login_engine("demo_admin"))


def _edfi_type(c, usi: int) -> str | None:
    return c.execute(text(
        "SELECT d.codevalue FROM edfi.studenttransportation t JOIN edfi.descriptor d "
        "ON d.descriptorid = t.transportationtypedescriptorid WHERE t.studentusi = :u"), {"u": usi}).scalar()


def _special_rider(c) -> tuple[int, int]:
    """(IEP, student) of a special-transport rider with a plan in force today."""
    return c.execute(text(
        "SELECT t.iep_id, t.student_usi FROM transportation.iep_transport t JOIN transportation.student_transportation st "
        "ON st.student_usi = t.student_usi WHERE st.end_date IS NULL ORDER BY 1 LIMIT 1")).one()


def test_the_ieps_transport_counts_only_while_the_iep_is_in_force_and_edfi_follows(admin):
    iep, usi = _special_rider(admin)
    assert usi in needs_in_force(admin, [usi], date.today()) and _edfi_type(admin, usi) == "Special Needs Bus"
    [s] = riders.suggestions(admin, DAY, [usi])
    assert s.reason == "special education (IEP)" and s.needs
    for change, params in (("iep_status = 'Expired'", {}), ("exit_date = :d", {"d": date.today() - timedelta(days=1)}),
                           ("effective_date = :d", {"d": date.today() + timedelta(days=30)})):
        admin.execute(text("SAVEPOINT x"))
        admin.execute(text(f"UPDATE specialed.iep SET {change} WHERE iep_id = :i"), {"i": iep, **params})
        assert usi not in needs_in_force(admin, [usi], date.today()), change
        assert _edfi_type(admin, usi) == "School Bus", change  # same transaction: Ed-Fi says it at once
        [s] = riders.suggestions(admin, date.today(), [usi])
        assert s.reason != "special education (IEP)" and not s.needs, change
        admin.execute(text("ROLLBACK TO SAVEPOINT x"))
    assert _edfi_type(admin, usi) == "Special Needs Bus"


def test_the_nurse_records_bus_needs_for_her_own_schools_ieps_only(login_engine):
    with login_engine("demo_nurse").connect() as c:
        tx = c.begin()
        try:
            mine = c.execute(text("SELECT i.iep_id, i.student_usi FROM specialed.iep i WHERE NOT EXISTS (SELECT 1 FROM "
                                  "transportation.iep_transport t WHERE t.iep_id = i.iep_id) AND i.iep_status = 'Active' "
                                  "AND NOT EXISTS (SELECT 1 FROM transportation.rider_runs_on(i.student_usi, current_date)) "
                                  "AND i.effective_date <= current_date AND i.exit_date IS NULL ORDER BY 1 LIMIT 1")).one()
            iep_needs.record_iep_transport(c, mine[0], False, ("car seat", "harness"), True, True)
            iep_needs.record_iep_transport(c, mine[0], False, ("harness", "car seat"), True, True)  # saved twice: once
            [row] = [r for r in iep_needs.ieps_of(c, mine[1], date.today()) if r.iep_id == mine[0]]
            assert row.describe() == "car seat, harness, aide, door to door" and row.in_force
            got = needs_in_force(c, [mine[1]], date.today())[mine[1]]
            assert got.equipment == ("car seat", "harness") and got.door_to_door
            with pytest.raises(UserError, match=r'^Equipment "ramp" is not known; choose from lift, car seat, harness\.$'):
                iep_needs.record_iep_transport(c, mine[0], False, ("ramp",), False, False)
            # the row names the IEP's own student, whatever a client sends
            other = c.execute(text("SELECT studentusi FROM edfi.studentschoolassociation WHERE schoolid = :s "
                                   "AND studentusi <> :u LIMIT 1"), {"s": RES, "u": mine[1]}).scalar()
            c.execute(text("UPDATE transportation.iep_transport SET student_usi = :o WHERE iep_id = :i"),
                      {"o": other, "i": mine[0]})
            assert c.execute(text("SELECT student_usi FROM transportation.iep_transport WHERE iep_id = :i"),
                             {"i": mine[0]}).scalar() == mine[1]
            iep_needs.remove_iep_transport(c, mine[0])
            assert mine[1] not in needs_in_force(c, [mine[1]], date.today())
        finally:
            tx.rollback()


def test_nobody_else_writes_an_ieps_bus_needs(login_engine, demo_engine):
    with demo_engine.connect() as c:
        rhs_iep = c.execute(text("SELECT iep_id, student_usi FROM specialed.iep WHERE school_id = :s ORDER BY 1 LIMIT 1"),
                            {"s": RHS}).one()
    sql = f"INSERT INTO transportation.iep_transport (iep_id, student_usi, door_to_door) VALUES ({rhs_iep[0]}, " \
          f"{rhs_iep[1]}, true)"
    try:  # the Elementary nurse and another school's IEP: row-level security refuses the row
        run(login_engine("demo_nurse"), sql)
    except DBAPIError as exc:
        assert "row-level security" in str(exc.orig)
    else:
        raise AssertionError("the nurse wrote another school's IEP transport")
    for login in ("demo_transportation", "demo_front_office", "demo_teacher", "demo_cashier", "demo_dean"):
        assert denied(login_engine(login), sql), login
        assert denied(login_engine(login), "DELETE FROM transportation.iep_transport"), login


@pytest.mark.parametrize("login", ("demo_front_office", "demo_teacher", "demo_cashier", "demo_librarian", "demo_dean"))
def test_only_the_bus_desk_the_nurse_and_admins_read_iep_needs_in_force(login_engine, login):
    try:
        run(login_engine(login), "SELECT * FROM transportation.iep_transport_in_force(NULL, current_date)")
    except DBAPIError as exc:
        assert "permission denied" in str(exc.orig)
    else:
        raise AssertionError(f"{login} read IEP transport needs")
    assert denied(login_engine(login), "SELECT transportation.refresh_edfi(true)")


def _new_iep_rider(c, equipment, door: bool, wheelchair: bool = False) -> int:
    """An unassigned eligible Elementary student who gets an IEP requiring this transport."""
    s = next(x for x in riders.needing_assignment(c, DAY) if x.school_id == RES and x.am_stop_id and x.miles)
    iep = c.execute(text("INSERT INTO specialed.iep (student_usi, school_id, iep_number, effective_date, iep_status) "
                         "VALUES (:u, :s, 'T-IEP-1', :d, 'Active') RETURNING iep_id"),
                    {"u": s.student_usi, "s": RES, "d": DAY - timedelta(days=30)}).scalar()
    c.execute(text("INSERT INTO transportation.iep_transport (iep_id, student_usi, wheelchair, equipment, door_to_door) "
                   "VALUES (:i, :u, :w, CAST(:e AS text[]), :d)"),
              {"i": iep, "u": s.student_usi, "w": wheelchair, "e": list(equipment), "d": door})
    return s.student_usi


def _bus_of(c, run_id: int):
    return routes.run_detail(c, run_id, DAY).bus


def test_a_door_to_door_rider_is_suggested_a_run_whose_bus_has_the_lift_then_the_stop_at_home(admin):
    usi = _new_iep_rider(admin, ("lift",), door=True)
    [s] = riders.suggestions(admin, DAY, [usi])
    assert s.eligible and s.door_to_door and s.needs == "lift, door to door"
    assert s.am_stop_id is None and s.am_stop.startswith("door to door: Assign adds a stop at the home to Route ")
    assert "lift" in _bus_of(admin, s.am_run_id).equipment
    home = admin.execute(text("SELECT latitude::float, longitude::float FROM "
                              "edfi.studenteducationorganizationassociationaddress WHERE studentusi = :u LIMIT 1"),
                         {"u": usi}).one()
    stop = routes.create_stop(admin, routes.NewStop("At the Test home", "", home[0], home[1]))
    routes.add_stop(admin, s.am_run_id, stop, 1, None)  # before the first stop: its time is the first's
    [s] = riders.suggestions(admin, DAY, [usi])
    assert (s.am_stop_id, s.am_stop) == (stop, f"At the Test home ({s.am_stop.split('(')[1].split(')')[0]}), door to door")


def test_assigning_a_door_to_door_rider_puts_a_stop_at_the_home_on_the_run_and_reuses_it(admin):
    usi = _new_iep_rider(admin, (), door=True)
    [s] = riders.suggestions(admin, DAY, [usi])
    assert s.door_to_door and s.am_run_id and s.am_stop_id is None
    first = routes.run_detail(admin, s.am_run_id, DAY).stops
    home = admin.execute(text("SELECT latitude::float, longitude::float FROM "
                              "edfi.studenteducationorganizationassociationaddress WHERE studentusi = :u LIMIT 1"),
                         {"u": usi}).one()
    stops_before = admin.execute(text("SELECT count(*) FROM transportation.bus_stops")).scalar()
    # the coordinator picks the run; whichever stop the form had, the ride boards at the door
    plan = riders.RiderPlan(usi, riders.weekday_legs(s.am_run_id, first[-1].stop_id, None, None), DAY)
    riders.assign_rider(admin, plan, confirm_overload=True)
    after = routes.run_detail(admin, s.am_run_id, DAY).stops
    [added] = [x for x in after if x.stop_id not in {y.stop_id for y in first}]
    assert added.name.startswith("Home of ") and added.name.endswith(" family") and len(after) == len(first) + 1
    assert (round(added.latitude, 5), round(added.longitude, 5)) == (round(home[0], 5), round(home[1], 5))
    assert added.turn_notes == "Door to door: wait for the adult at the door"
    assert [t.planned_time for t in after] == sorted(t.planned_time for t in after)  # times still in order
    assert {g.stop_id for g in riders.plan_of(admin, usi, DAY).legs} == {added.stop_id}
    # saved again (or another door-to-door plan): the same stop, no second one
    riders.assign_rider(admin, plan, confirm_overload=True)
    assert len(routes.run_detail(admin, s.am_run_id, DAY).stops) == len(after)
    assert admin.execute(text("SELECT count(*) FROM transportation.bus_stops")).scalar() == stops_before + 1


def test_suggestions_skip_buses_without_the_equipment_or_room(admin):
    usi = _new_iep_rider(admin, ("harness",), door=False)
    [s] = riders.suggestions(admin, DAY, [usi])
    for run_id in (s.am_run_id, s.pm_run_id):
        assert run_id is None or "harness" in _bus_of(admin, run_id).equipment
    # a regular rider's nearest run, once full, is no longer suggested
    plain = next(x for x in riders.needing_assignment(admin, DAY) if x.am_run_id and not x.needs)
    bus = _bus_of(admin, plain.am_run_id)
    admin.execute(text("UPDATE transportation.buses SET seats = 1 WHERE bus_id = :b"), {"b": bus.bus_id})
    [again] = riders.suggestions(admin, DAY, [plain.student_usi])
    assert again.am_run_id != plain.am_run_id


def test_release_to_adult_is_flagged_on_the_unassigned_and_idle_lists_and_for_temporary_riders(admin):
    k = admin.execute(text(
        "SELECT l.student_usi, l.run_id FROM transportation.rider_legs l JOIN edfi.studentschoolassociation a "
        "ON a.studentusi = l.student_usi JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid "
        "WHERE g.codevalue = 'Kindergarten' AND l.direction = 'from_school' AND l.day_of_week = 5 "
        "AND NOT EXISTS (SELECT 1 FROM transportation.temporary_changes t WHERE t.student_usi = l.student_usi) "
        "ORDER BY 1 LIMIT 1")).one()
    admin.execute(text("DELETE FROM transportation.student_transportation WHERE student_usi = :u"), {"u": k[0]})
    need = {s.student_usi: s for s in riders.suggestions(admin, DAY, [k[0]])}
    assert need[k[0]].release_to_adult
    # on another run for the afternoon by a parent's note, with no plan of their own: still flagged
    other = next(r for r in routes.list_runs(admin, DAY)
                 if r.run_id != k[1] and r.direction == "from_school" and "Elementary" in r.schools)
    stop = routes.run_detail(admin, other.run_id, DAY).stops[0].stop_id
    riders.add_temporary_change(admin, k[0], DAY, DAY, "from_school", other.run_id, stop, "Playdate",
                                confirm_overload=True)
    rider = next(r for r in lists.run_roster(admin, other.run_id, DAY).riders if r.student_usi == k[0])
    assert rider.release_to_adult and rider.change_note == "Playdate"
    # a flagged rider who has not ridden
    idle = lists.riders_not_riding(admin, 5, DAY)
    admin.execute(text("UPDATE transportation.student_transportation SET release_to_adult = true WHERE student_usi = :u"),
                  {"u": admin.execute(text("SELECT studentusi FROM edfi.student WHERE studentuniqueid = :s"),
                                      {"s": idle[0].student_id}).scalar()})
    assert next(i for i in lists.riders_not_riding(admin, 5, DAY) if i.student_id == idle[0].student_id
                ).release_to_adult


def test_a_temporary_change_checks_the_wheelchair_and_equipment(admin):
    usi = _new_iep_rider(admin, ("lift",), door=False, wheelchair=True)
    no_lift = next(r for r in routes.list_runs(admin, DAY) if r.direction == "from_school" and "Elementary" in r.schools
                   and r.bus_number and "lift" not in _bus_of(admin, r.run_id).equipment)
    stop = routes.run_detail(admin, no_lift.run_id, DAY).stops[0].stop_id
    # a need the bus cannot meet is refused, not a warning that "Yes" overrides (review of #13, defect 6)
    for confirm in (False, True):
        with pytest.raises(UserError) as refused:
            riders.add_temporary_change(admin, usi, DAY, DAY, "from_school", no_lift.run_id, stop, "Grandma's",
                                        confirm_overload=confirm)
        assert not isinstance(refused.value, riders.OverloadWarning)
        assert str(refused.value).startswith(f"The bus of {no_lift.name} has no lift")
    assert admin.execute(text("SELECT count(*) FROM transportation.temporary_changes WHERE student_usi = :u"),
                         {"u": usi}).scalar() == 0


def test_edfi_follows_a_runs_new_bus(admin):
    run_id, usi = admin.execute(text(
        "SELECT l.run_id, l.student_usi FROM transportation.rider_legs l JOIN transportation.student_transportation st "
        "ON st.assignment_id = l.assignment_id WHERE st.end_date IS NULL AND l.direction = 'to_school' "
        "AND l.day_of_week = 1 ORDER BY 1, 2 LIMIT 1")).one()  # the leg whose bus Ed-Fi names
    spare = setup.save_bus(admin, None, "SPARE-1", 90, 4, ("lift", "car seat", "harness"))
    admin.execute(text("UPDATE transportation.runs SET bus_id = :b WHERE run_id = :r"), {"b": spare, "r": run_id})
    assert admin.execute(text("SELECT busnumber FROM edfi.studenttransportationstudentbusdetails WHERE studentusi = :u"),
                         {"u": usi}).scalar() == "SPARE-1"


def test_edfi_follows_the_date_moving_on(demo_engine):
    # a day later: plans and IEPs that began or ended are re-derived once, on the first call of the day
    with demo_engine.connect() as owner:
        tx = owner.begin()
        try:
            stale = owner.execute(text("SELECT studentusi FROM edfi.studenttransportation ORDER BY 1 LIMIT 1")).scalar()
            owner.execute(text("DELETE FROM edfi.studenttransportation WHERE studentusi = :u"), {"u": stale})
            owner.execute(text("UPDATE transportation.settings SET edfi_synced_on = current_date - 1"))
            assert setup.refresh_edfi(owner) > 100
            assert owner.execute(text("SELECT count(*) FROM edfi.studenttransportation WHERE studentusi = :u"),
                                 {"u": stale}).scalar() == 1
            assert setup.refresh_edfi(owner) == 0  # once a day
        finally:
            tx.rollback()
