"""A rider's needs are read where they are in force (review of #13, defects 1, 4, 6): the plan keeps
only its own, the IEP's count while the IEP is in force, and every reader (run loads, the roster the
driver packet and emergency list print, the bus checks, Ed-Fi) sees the same answer. Needs a bus
cannot meet are refused, not confirmed away. Each test rolls its work back."""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services.transport import iep_needs, lists, riders, routes, setup
from tests.conftest import DEMO_AS_OF, rolled_back

pytestmark = pytest.mark.integration
TODAY = date.today()
RES = 255950001


@pytest.fixture
def admin(login_engine):
    yield from rolled_back(login_engine("demo_admin"))


def _accommodations(c, usi: int) -> str | None:
    return c.execute(text("SELECT specialaccomodationrequirements FROM edfi.studenttransportation "
                          "WHERE studentusi = :u"), {"u": usi}).scalar()


def _rider_on_a_bus_without_lift(c) -> tuple[int, int, str]:
    """(student, run, run name) of an Elementary rider riding Monday AM today on a bus with no lift
    and no wheelchair position, without IEP transport."""
    usi, run_id = c.execute(text(
        "SELECT l.student_usi, l.run_id FROM transportation.rider_legs l "
        "JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id "
        "JOIN transportation.runs u ON u.run_id = l.run_id JOIN transportation.buses b ON b.bus_id = u.bus_id "
        "WHERE st.end_date IS NULL AND st.school_id = :s AND l.direction = 'to_school' AND l.day_of_week = 1 "
        "AND NOT ('lift' = ANY (b.equipment)) AND b.wheelchair_positions = 0 "
        "AND NOT EXISTS (SELECT 1 FROM transportation.iep_transport t WHERE t.student_usi = l.student_usi) "
        "ORDER BY 1 LIMIT 1"), {"s": RES}).one()
    return usi, run_id, routes.list_runs(c, TODAY, run_id)[0].name


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def test_an_ended_ieps_needs_leave_the_bus_with_it(admin):
    # review 1a: a wheelchair + lift IEP rider planned while the IEP is in force; the IEP then ends
    s = next(x for x in riders.needing_assignment(admin, DEMO_AS_OF) if x.school_id == RES and x.am_stop_id)
    iep = admin.execute(text("INSERT INTO specialed.iep (student_usi, school_id, iep_number, effective_date, "
                             "iep_status) VALUES (:u, :s, 'T-NEEDS-1', :d, 'Active') RETURNING iep_id"),
                        {"u": s.student_usi, "s": RES, "d": TODAY - timedelta(days=60)}).scalar()
    iep_needs.record_iep_transport(admin, iep, True, ("lift",), False, False)
    lift_run = next(r for r in routes.list_runs(admin, TODAY) if r.direction == "to_school"
                    and "Elementary" in r.schools and r.bus_number
                    and "lift" in (routes.run_detail(admin, r.run_id, TODAY).bus.equipment))
    stop = routes.run_detail(admin, lift_run.run_id, TODAY).stops[0].stop_id
    riders.assign_rider(admin, riders.RiderPlan(s.student_usi, riders.weekday_legs(lift_run.run_id, stop, None, None),
                                                TODAY), confirm_overload=True)
    monday = _monday_on_or_after(TODAY)
    chairs = routes.run_loads(admin, monday, lift_run.run_id)[lift_run.run_id][1][1]
    assert riders.rider_needs(admin, s.student_usi, monday) == (True, ("lift",))
    on_roster = {r.student_usi: r for r in lists.run_roster(admin, lift_run.run_id, monday).riders}
    assert on_roster[s.student_usi].wheelchair and on_roster[s.student_usi].equipment == ("lift",)
    assert _accommodations(admin, s.student_usi) == "wheelchair position, lift"

    admin.execute(text("UPDATE specialed.iep SET iep_status = 'Expired' WHERE iep_id = :i"), {"i": iep})
    assert riders.rider_needs(admin, s.student_usi, monday) == (False, ())
    on_roster = {r.student_usi: r for r in lists.run_roster(admin, lift_run.run_id, monday).riders}
    assert not on_roster[s.student_usi].wheelchair and on_roster[s.student_usi].equipment == ()
    assert routes.run_loads(admin, monday, lift_run.run_id)[lift_run.run_id][1][1] == chairs - 1
    assert _accommodations(admin, s.student_usi) is None  # Ed-Fi in the same transaction
    # the plan kept only its own needs (none): no copy of the IEP's
    assert admin.execute(text("SELECT wheelchair, equipment_needed FROM transportation.student_transportation "
                              "WHERE student_usi = :u AND end_date IS NULL"), {"u": s.student_usi}).one() == (False, [])


def test_needs_of_an_iep_that_comes_into_force_reach_the_packet_the_load_and_the_bus_checks(admin):
    # review 1b: a rider already on a bus with no lift; the IEP team's plan (wheelchair + lift) is made Active
    usi, run_id, name = _rider_on_a_bus_without_lift(admin)
    iep = admin.execute(text("INSERT INTO specialed.iep (student_usi, school_id, iep_number, effective_date, "
                             "iep_status) VALUES (:u, :s, 'T-NEEDS-2', :d, 'Draft') RETURNING iep_id"),
                        {"u": usi, "s": RES, "d": TODAY - timedelta(days=1)}).scalar()
    iep_needs.record_iep_transport(admin, iep, True, ("lift",), True, False)  # a draft: not in force, no check
    monday = _monday_on_or_after(TODAY)
    assert not next(r for r in lists.run_roster(admin, run_id, monday).riders if r.student_usi == usi).wheelchair
    admin.execute(text("UPDATE specialed.iep SET iep_status = 'Active' WHERE iep_id = :i"), {"i": iep})

    rider = next(r for r in lists.run_roster(admin, run_id, monday).riders if r.student_usi == usi)
    assert rider.wheelchair and rider.equipment == ("lift",)  # what the driver packet and emergency list print
    assert routes.run_loads(admin, monday, run_id)[run_id][1][1] == 1
    after = routes.list_runs(admin, monday, run_id)[0]
    assert after.overloaded and "1 of 0 wheelchair positions" in after.load  # the Runs list shows it in red
    assert _accommodations(admin, usi) == "wheelchair position, lift, aide"
    # the run cannot be given another bus without a lift, nor its bus lose what it has
    spare = setup.save_bus(admin, None, "NOLIFT-T", 90, 4, ())
    with pytest.raises(UserError, match=rf"^1 rider of {name} needs the lift, which bus NOLIFT-T does not have; "):
        routes.save_run(admin, run_id, spare, "", "")


def test_the_nurse_saving_bus_needs_the_riders_bus_cannot_meet_is_refused(login_engine):
    with login_engine("demo_nurse").connect() as c:
        tx = c.begin()
        try:
            iep, usi, run_name = c.execute(text(
                "SELECT i.iep_id, i.student_usi, r.run_name FROM specialed.iep i "
                "CROSS JOIN LATERAL transportation.rider_runs_on(i.student_usi, current_date) r "
                "WHERE i.iep_status = 'Active' AND i.effective_date <= current_date AND i.exit_date IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM transportation.iep_transport t WHERE t.iep_id = i.iep_id) "
                "AND NOT ('lift' = ANY (r.equipment)) AND r.positions = 0 ORDER BY 1, r.run_id LIMIT 1")).one()
            with pytest.raises(UserError) as refused:
                iep_needs.record_iep_transport(c, iep, True, ("lift",), False, False, confirm_overload=True)
            assert not isinstance(refused.value, riders.OverloadWarning)
            assert str(refused.value) == (f"The bus of {run_name} has no lift or wheelchair position, which this rider "
                                          "needs; the transportation coordinator moves the rider to a bus with it first.")
            assert c.execute(text("SELECT count(*) FROM transportation.iep_transport WHERE iep_id = :i"),
                             {"i": iep}).scalar() == 0  # nothing saved
            iep_needs.record_iep_transport(c, iep, False, (), True, False)  # an aide: the bus has nothing to carry
            assert c.execute(text("SELECT aide_required FROM transportation.iep_transport WHERE iep_id = :i"),
                             {"i": iep}).scalar()
        finally:
            tx.rollback()


def test_a_plan_putting_a_wheelchair_rider_on_a_bus_without_a_position_is_refused_even_confirmed(admin):
    usi, run_id, name = _rider_on_a_bus_without_lift(admin)
    stop = routes.run_detail(admin, run_id, TODAY).stops[0].stop_id
    plan = riders.RiderPlan(usi, riders.weekday_legs(run_id, stop, None, None), TODAY, wheelchair=True)
    with pytest.raises(UserError) as refused:
        riders.assign_rider(admin, plan, confirm_overload=True)
    assert not isinstance(refused.value, riders.OverloadWarning)
    assert str(refused.value) == (f"The bus of {name} has no wheelchair position, which this rider needs; "
                                  "choose a run whose bus has it.")
    assert riders.rider_needs(admin, usi, TODAY) == (False, ())  # the old plan stands


def test_the_migration_takes_the_ieps_copy_off_the_plans_and_keeps_their_own(demo_engine):
    spec = importlib.util.spec_from_file_location(
        "m0040", Path(__file__).resolve().parents[2] / "app/db/migrations/versions/0040_transport_needs_in_force.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            sped = c.execute(text("SELECT student_usi FROM transportation.iep_transport WHERE wheelchair "
                                  "AND 'lift' = ANY (equipment) ORDER BY 1 LIMIT 1")).scalar()
            plain = c.execute(text("SELECT student_usi FROM transportation.student_transportation st WHERE NOT EXISTS "
                                   "(SELECT 1 FROM transportation.iep_transport t WHERE t.student_usi = st.student_usi) "
                                   "ORDER BY 1 LIMIT 1")).scalar()
            # as plans were saved before: the IEP's wheelchair and lift copied, a parent's car seat beside them
            c.execute(text("UPDATE transportation.student_transportation SET wheelchair = true, "
                           "equipment_needed = '{car seat,lift}' WHERE student_usi IN (:a, :b)"), {"a": sped, "b": plain})
            c.execute(text(m.MOVE_SQL))
            got = {r[0]: (r[1], r[2]) for r in c.execute(text(
                "SELECT student_usi, wheelchair, equipment_needed FROM transportation.student_transportation "
                "WHERE student_usi IN (:a, :b) AND end_date IS NULL"), {"a": sped, "b": plain})}
            assert got == {sped: (False, ["car seat"]), plain: (True, ["car seat", "lift"])}
            c.execute(text(m.MOVE_SQL))  # twice: nothing more moves
            assert c.execute(text("SELECT equipment_needed FROM transportation.student_transportation "
                                  "WHERE student_usi = :a AND end_date IS NULL"), {"a": sped}).scalar() == ["car seat"]
        finally:
            tx.rollback()


def test_opening_the_desk_after_the_days_sync_takes_no_lock_on_the_settings(demo_engine, login_engine):
    with demo_engine.connect() as owner:
        owner.execute(text("UPDATE transportation.settings SET edfi_synced_on = current_date"))
        owner.commit()
        owner.execute(text("SELECT 1 FROM transportation.settings FOR UPDATE"))  # a settings save in progress
        with login_engine("demo_transportation").connect() as desk:
            desk.execute(text("SET lock_timeout = '2s'"))
            assert setup.refresh_edfi(desk) == 0  # no wait: it was done today
            desk.rollback()
        owner.rollback()


def test_the_nurse_saving_bus_needs_that_overfill_the_seats_is_asked_first(login_engine, demo_engine):
    with login_engine("demo_nurse").connect() as c:
        iep, usi, run_id = c.execute(text(
            "SELECT i.iep_id, i.student_usi, r.run_id FROM specialed.iep i "
            "CROSS JOIN LATERAL transportation.rider_runs_on(i.student_usi, current_date) r "
            "WHERE i.iep_status = 'Active' AND i.effective_date <= current_date AND i.exit_date IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM transportation.iep_transport t WHERE t.iep_id = i.iep_id) "
            "ORDER BY 1, r.run_id LIMIT 1")).one()
    with demo_engine.connect() as owner:  # that run's bus: a lift, but one bench seat (restored below)
        bus_id, seats, equipment = owner.execute(text(
            "SELECT b.bus_id, b.seats, b.equipment FROM transportation.runs u JOIN transportation.buses b "
            "ON b.bus_id = u.bus_id WHERE u.run_id = :r"), {"r": run_id}).one()
        owner.execute(text("UPDATE transportation.buses SET seats = 1, equipment = '{lift}' WHERE bus_id = :b"),
                      {"b": bus_id})
        owner.commit()
        try:
            with login_engine("demo_nurse").connect() as c:
                tx = c.begin()
                try:
                    with pytest.raises(riders.OverloadWarning) as asked:
                        iep_needs.record_iep_transport(c, iep, False, ("lift",), False, False)
                    assert "would be overloaded" in asked.value.warnings[0]
                    assert c.execute(text("SELECT count(*) FROM transportation.iep_transport WHERE iep_id = :i"),
                                     {"i": iep}).scalar() == 0  # nothing saved until she says yes
                    iep_needs.record_iep_transport(c, iep, False, ("lift",), False, False, confirm_overload=True)
                    assert c.execute(text("SELECT equipment FROM transportation.iep_transport WHERE iep_id = :i"),
                                     {"i": iep}).scalar() == ["lift"]
                finally:
                    tx.rollback()
        finally:
            owner.execute(text("UPDATE transportation.buses SET seats = :s, equipment = CAST(:e AS text[]) "
                               "WHERE bus_id = :b"), {"s": seats, "e": list(equipment), "b": bus_id})
            owner.commit()
