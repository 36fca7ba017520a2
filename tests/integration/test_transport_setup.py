"""The coordinator's set-up as the demo transportation coordinator: routes and runs, buses, bell
times, hazard zones and the settings, with repeat-proof creates, one sentence for bad input and
nothing that strands a rider. Each test rolls its work back."""

from __future__ import annotations

import uuid
from datetime import time

import pytest
from sqlalchemy import text

from app.domain.transport_rules import Settings
from app.errors import UserError
from app.services.transport import riders, routes, setup
from tests.conftest import DEMO_AS_OF, rolled_back

pytestmark = pytest.mark.integration
DAY = DEMO_AS_OF
RES = 255950001


@pytest.fixture
def conn(login_engine):
    yield from rolled_back(login_engine("demo_transportation"))


def test_a_new_route_gets_its_runs_once_however_often_the_form_is_sent(conn):
    req = str(uuid.uuid4())
    first = setup.save_route(conn, None, "Route 77", "North loop", ("AM", "PM", "Midday"), request_id=req)
    again = setup.save_route(conn, None, "Route 77", "North loop", ("AM", "PM", "Midday"), request_id=req)
    assert again == first
    route = next(r for r in setup.setup_data(conn).routes if r.route_id == first)
    assert [(k, d) for _i, k, d, a in route.runs if a] == [("AM", "to_school"), ("Midday", "from_school"),
                                                           ("PM", "from_school")]
    with pytest.raises(UserError, match=r'^Route 77 already exists; open it in the list or choose another number\.$'):
        setup.save_route(conn, None, "Route 77", "", ("AM",), request_id=str(uuid.uuid4()))
    with pytest.raises(UserError, match=r"^Tick at least one run"):
        setup.save_route(conn, first, "Route 77", "", ())
    # rename, add the activity run, drop mid-day (nobody rides it); the new runs show on the desk
    setup.save_route(conn, first, "Route 77X", "North loop", ("AM", "PM", "Activity"))
    setup.set_run_direction(conn, route.run_id("AM"), "to_school")
    names = {r.name for r in routes.list_runs(conn, DAY)}
    assert {"Route 77X AM", "Route 77X PM", "Route 77X Activity"} <= names and "Route 77X Midday" not in names
    assert conn.execute(text("SELECT count(*) FROM edfi.descriptor WHERE codevalue = 'Route 77X' "
                             "AND discriminator = 'edfi.BusRouteDescriptor'")).scalar() == 1


def test_a_run_with_riders_is_not_dropped_or_turned_around(conn):
    run = next(r for r in routes.list_runs(conn, DAY) if r.run_kind == "PM" and r.riders)
    route = next(r for r in setup.setup_data(conn).routes if r.run_id("PM") == run.run_id)
    with pytest.raises(UserError, match=rf"^\d+ riders are on the PM run of {route.number}; move them to another run"):
        setup.save_route(conn, route.route_id, route.number, route.description, ("AM",))
    with pytest.raises(UserError, match=rf"^{run.name} has riders going home; move them before turning the run around"):
        setup.set_run_direction(conn, run.run_id, "to_school")
    with pytest.raises(UserError, match=r"riders are on .*; move them to another run before retiring the route\.$"):
        setup.retire_route(conn, route.route_id)


def test_buses_are_created_once_and_never_shrunk_under_their_riders(conn):
    req = str(uuid.uuid4())
    bus = setup.save_bus(conn, None, "B-900", 30, 2, ("lift",), request_id=req)
    assert setup.save_bus(conn, None, "B-900", 30, 2, ("lift",), request_id=req) == bus
    row = next(b for b in setup.setup_data(conn).buses if b.bus_id == bus)
    assert (row.seats, row.wheelchair_positions, row.equipment, row.runs) == (30, 2, ("lift",), "")
    with pytest.raises(UserError, match=r"^Bus B-900 already exists; pick it in the list to change it\.$"):
        setup.save_bus(conn, None, "B-900", 20, 0, (), request_id=str(uuid.uuid4()))
    with pytest.raises(UserError, match=r"^0 seats is not a bus; enter the number of bench seats \(1 to 100\)\.$"):
        setup.save_bus(conn, bus, "B-900", 0, 0, ())
    with pytest.raises(UserError, match=r'^Equipment "ramp" is not known; choose from lift, car seat, harness\.$'):
        setup.save_bus(conn, bus, "B-900", 30, 0, ("ramp",))
    busy = next(r for r in routes.list_runs(conn, DAY) if r.riders > 10 and r.bus_number)
    busy_bus = routes.run_detail(conn, busy.run_id, DAY).bus
    with pytest.raises(UserError, match=rf"^{busy.name} with bus {busy_bus.number} on \w+day would be overloaded"):
        setup.save_bus(conn, busy_bus.bus_id, busy_bus.number, 2, busy_bus.wheelchair_positions, busy_bus.equipment)
    with pytest.raises(UserError, match=r"^The bus still drives .*; give those runs another bus first\.$"):
        setup.retire_bus(conn, busy_bus.bus_id)
    setup.retire_bus(conn, bus)
    assert bus not in {b.bus_id for b in routes.list_buses(conn)}


# riders who need the lift today: the plan's own needs or the IEP's in force (never a copy on the plan)
LIFT_NEEDED = ("JOIN transportation.needs_in_force(NULL, current_date) n ON n.student_usi = l.student_usi "
               "WHERE 'lift' = ANY (n.equipment)")


def test_a_bus_keeps_the_lift_its_riders_need(conn):
    run_id, bus_id = conn.execute(text(
        "SELECT l.run_id, u.bus_id FROM transportation.rider_legs l JOIN transportation.student_transportation st "
        "ON st.assignment_id = l.assignment_id JOIN transportation.runs u ON u.run_id = l.run_id "
        f"{LIFT_NEEDED} AND st.end_date IS NULL LIMIT 1")).one()
    b = next(x for x in routes.list_buses(conn) if x.bus_id == bus_id)
    with pytest.raises(UserError, match=rf"need(s)? the lift, which bus {b.number} does not have; pick a bus "
                                        r"with it or move the riders? first\.$"):
        setup.save_bus(conn, bus_id, b.number, b.seats, b.wheelchair_positions, tuple(e for e in b.equipment
                                                                                     if e != "lift"))


def test_a_run_is_not_given_a_bus_without_the_lift_its_riders_need(conn):
    """Review of #13, defect 2: the Runs tab / `transport run --bus` back door around the lift rule."""
    run_id, bus_id, driver, aide = conn.execute(text(
        "SELECT l.run_id, u.bus_id, u.driver_name, u.aide_name FROM transportation.rider_legs l "
        "JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id "
        "JOIN transportation.runs u ON u.run_id = l.run_id "
        f"{LIFT_NEEDED} AND st.is_active AND st.end_date IS NULL LIMIT 1")).one()
    lifters = conn.execute(text(
        "SELECT count(DISTINCT st.student_usi) FROM transportation.rider_legs l JOIN "
        "transportation.student_transportation st ON st.assignment_id = l.assignment_id "
        f"{LIFT_NEEDED} AND l.run_id = :r AND st.is_active AND st.end_date IS NULL"), {"r": run_id}).scalar()
    spare = setup.save_bus(conn, None, "NOLIFT-2", 90, 4, ("car seat", "harness"))
    who = "1 rider" if lifters == 1 else f"{lifters} riders"
    with pytest.raises(UserError, match=rf"^{who} of .* the lift, which bus NOLIFT-2 does not have; "):
        routes.save_run(conn, run_id, spare, driver or "", aide or "")
    assert routes.run_detail(conn, run_id, DAY).bus.bus_id == bus_id


def test_bell_times_are_checked_and_a_school_with_riders_stays_served(conn):
    run = next(r for r in routes.list_runs(conn, DAY) if r.run_kind == "AM" and "Elementary" in r.schools and r.riders)
    with pytest.raises(UserError, match=r"^The bus would reach the school at 08:10, after the bell at 07:45; make it "
                                        r"arrive before the bell\.$"):
        setup.set_run_school(conn, run.run_id, RES, time(7, 45), time(8, 10))
    setup.set_run_school(conn, run.run_id, RES, time(7, 50), time(7, 40))
    bell = next(b for b in setup.setup_data(conn).bells if b.run_id == run.run_id and b.school_id == RES)
    assert (bell.bell_time, bell.school_time) == (time(7, 50), time(7, 40))
    with pytest.raises(UserError, match=rf"^\d+ riders of that school are on {run.name}; move them to another run "
                                        r"before it stops serving the school\.$"):
        setup.remove_run_school(conn, run.run_id, RES)


def test_a_hazard_zone_makes_its_walkers_eligible(conn):
    walker = next(s for s in riders.suggestions(conn, DAY) if not s.eligible and s.miles is not None)
    home = conn.execute(text("SELECT latitude::float, longitude::float FROM "
                             "edfi.studenteducationorganizationassociationaddress WHERE studentusi = :u LIMIT 1"),
                        {"u": walker.student_usi}).one()
    with pytest.raises(UserError, match=r"^Latitude 95 is out of range; a latitude is between -90 and 90\.$"):
        setup.save_zone(conn, None, "Highway 71 crossing", 95, home[1], 0.2, None)
    with pytest.raises(UserError, match=r"^The zone's radius must be more than 0"):
        setup.save_zone(conn, None, "Highway 71 crossing", home[0], home[1], 0, None)
    req = str(uuid.uuid4())
    zone = setup.save_zone(conn, None, "Highway 71 crossing", home[0], home[1], 0.2, walker.school_id, request_id=req)
    assert setup.save_zone(conn, None, "Highway 71 crossing", home[0], home[1], 0.2, walker.school_id,
                           request_id=req) == zone
    [now] = riders.suggestions(conn, DAY, [walker.student_usi])
    assert now.eligible and now.reason == "hazard: Highway 71 crossing"
    setup.remove_zone(conn, zone)
    assert not riders.suggestions(conn, DAY, [walker.student_usi])[0].eligible


def test_settings_and_grade_bands_are_saved_within_their_ranges(conn):
    setup.save_settings(conn, Settings(1.4, 0.4, 25, 30, 6))
    setup.save_band(conn, "high", "2", "2.5")
    data = setup.setup_data(conn)
    assert data.settings == Settings(1.4, 0.4, 25.0, 30, 6)
    assert next(b for b in data.bands if b.band == "high").eligibility_miles == 2.5
    with pytest.raises(UserError, match=r"^The bus speed 90 is out of range; enter miles per hour from 1 to 70\.$"):
        setup.save_settings(conn, Settings(1.4, 0.4, 90, 30, 6))
    with pytest.raises(UserError, match=r'^Riders per seat for Middle \(6-8\) "three" is not a number'):
        setup.save_band(conn, "middle", "three", "1.5")
    with pytest.raises(UserError, match=r"^The stop time 2.5 is out of range; enter a whole number of seconds"):
        setup.number("2.5", "The stop time", 0, 600, "seconds", whole=True)


def test_fewer_riders_per_seat_that_would_overload_runs_asks_first(conn):
    """Review of #13, defect 3: a band change overloaded runs without a word."""
    from datetime import date

    from app.services.transport.riders import OverloadWarning

    def overloaded() -> int:
        return sum(r.percent for r in routes.list_runs(conn, date.today()) if r.overloaded)
    before = overloaded()
    with pytest.raises(OverloadWarning, match=r"^1 riders per seat for .* would overload \d+ runs? \(.*\); "
                                              r"confirm to save it anyway\.$"):
        setup.save_band(conn, "elementary", 1, 1.0)
    assert next(b for b in setup.setup_data(conn).bands if b.band == "elementary").riders_per_seat != 1
    assert overloaded() == before
    setup.save_band(conn, "elementary", 1, 1.0, confirm_overload=True)
    assert next(b for b in setup.setup_data(conn).bands if b.band == "elementary").riders_per_seat == 1
    assert overloaded() > before
