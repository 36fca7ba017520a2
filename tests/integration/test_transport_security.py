"""The bus desk's boundary, attempted the way a curious user with psql would, signed in as each
role that must not read or change a table (migration 0013): transportation staff see transport
data, allergy flags and emergency action plans, never health notes or the IEP; other desks do
not see riders; nobody writes Ed-Fi StudentTransportation but the triggers that keep it."""

from __future__ import annotations

import pytest

from tests.integration.test_security import denied, run, scalar

pytestmark = pytest.mark.integration
RES = 255950001
RIDER_TABLES = ("transportation.rider_legs", "transportation.temporary_changes", "transportation.ridership",
                "transportation.iep_transport", "edfi.studenttransportation")
OTHER_DESKS = ("demo_cashier", "demo_librarian", "demo_teacher", "demo_dean", "demo_nurse")


@pytest.mark.parametrize("sql", [
    "SELECT notes FROM health.student_health_records LIMIT 1",
    "SELECT dosage FROM health.medications LIMIT 1",
    "SELECT vaccine_type FROM health.immunizations LIMIT 1",
    "SELECT reaction FROM health.allergies LIMIT 1",
    "SELECT treatment_plan FROM health.allergies LIMIT 1",
    "SELECT primary_disability FROM specialed.iep LIMIT 1",
    "SELECT goal_description FROM specialed.iep_goals LIMIT 1",
    "SELECT * FROM specialed.accommodations LIMIT 1",
])
def test_transportation_staff_never_read_health_notes_or_the_iep(login_engine, sql):
    assert denied(login_engine("demo_transportation"), sql)


def test_transportation_staff_read_alert_flags_action_plans_and_the_ieps_transport_needs(login_engine):
    e = login_engine("demo_transportation")
    assert scalar(e, "SELECT count(*) FROM health.student_alert_flags") > 0
    assert scalar(e, "SELECT count(*) FROM health.emergency_action_plans") > 0
    assert scalar(e, "SELECT count(*) FROM transportation.iep_transport") > 0


@pytest.mark.parametrize("login,table", [(lg, t) for lg in OTHER_DESKS for t in RIDER_TABLES
                                         # the nurse keeps the IEP's transport needs (tested below)
                                         if (lg, t) != ("demo_nurse", "transportation.iep_transport")])
def test_other_desks_cannot_read_riders(login_engine, login, table):
    assert denied(login_engine(login), f"SELECT * FROM {table} LIMIT 1")


@pytest.mark.parametrize("login", OTHER_DESKS)
def test_other_desks_cannot_change_runs_or_plans(login_engine, login):
    e = login_engine(login)
    assert denied(e, "UPDATE transportation.runs SET driver_name = 'x'")
    assert denied(e, "DELETE FROM transportation.student_transportation")
    assert denied(e, "INSERT INTO transportation.temporary_changes (student_usi, start_date, end_date, direction, "
                     "parent_note) VALUES (1, current_date, current_date, 'both', 'x')")


def test_the_front_office_reads_its_own_riders_but_changes_nothing(login_engine, demo_engine):
    e = login_engine("demo_front_office")
    seen = {r[0] for r in run(e, "SELECT DISTINCT student_usi FROM transportation.rider_legs")}
    with demo_engine.connect() as c:
        from sqlalchemy import text

        res = set(c.execute(text("SELECT DISTINCT l.student_usi FROM transportation.rider_legs l "
                                 "JOIN edfi.studentschoolassociation a ON a.studentusi = l.student_usi "
                                 "WHERE a.schoolid = :s"), {"s": RES}).scalars())
        others = set(c.execute(text("SELECT DISTINCT student_usi FROM transportation.rider_legs")).scalars()) - res
    assert seen == res and others and not (seen & others)
    assert denied(e, "DELETE FROM transportation.rider_legs")
    assert denied(e, "UPDATE transportation.run_stops SET planned_time = '06:00'")
    assert denied(e, "INSERT INTO transportation.ridership (student_usi, run_id, ride_date) VALUES (1, 1, current_date)")


@pytest.mark.parametrize("login", ("demo_transportation", "demo_front_office", "demo_registrar"))
def test_nobody_writes_edfi_student_transportation_but_the_triggers(login_engine, login):
    e = login_engine(login)
    assert denied(e, "DELETE FROM edfi.studenttransportation")
    assert denied(e, "UPDATE edfi.studenttransportationstudentbusdetails SET busnumber = 'x'")


@pytest.mark.parametrize("fn", ["transportation.sync_edfi(ARRAY[1])", "transportation.current_plans(ARRAY[1])"])
def test_the_privileged_functions_are_not_callable(login_engine, fn):
    for login in ("demo_transportation", "demo_front_office", "demo_cashier"):
        assert denied(login_engine(login), f"SELECT * FROM {fn}")


def test_transportation_staff_cannot_change_the_ieps_transport_needs_or_the_address_book(login_engine):
    e = login_engine("demo_transportation")
    assert denied(e, "UPDATE transportation.iep_transport SET wheelchair = false")
    assert denied(e, "UPDATE edfi.studenteducationorganizationassociationaddress SET latitude = '0'")
    assert denied(e, "SELECT telephonenumber FROM edfi.studenteducationorganizationassociationtelephone LIMIT 1")


def test_the_nurse_keeps_the_ieps_transport_needs(login_engine):
    nurse = login_engine("demo_nurse")
    assert scalar(nurse, "SELECT count(*) FROM transportation.iep_transport") > 0  # her school's riders
    assert run(nurse, "UPDATE transportation.iep_transport SET aide_required = NOT aide_required") > 0


@pytest.mark.parametrize("login", ("demo_front_office", "demo_cashier", "demo_teacher", "demo_nurse"))
def test_only_the_bus_desk_reads_rider_photos(login_engine, login):
    from sqlalchemy.exc import DBAPIError

    e = login_engine(login)
    try:
        run(e, "SELECT * FROM transportation.rider_photos(ARRAY[1, 2, 3])")
    except DBAPIError as exc:
        assert "permission denied" in str(exc.orig) or "only transportation staff" in str(exc.orig)
    else:
        raise AssertionError(f"{login} read rider photos")


SETUP_WRITES = (
    "INSERT INTO transportation.bus_routes (route_number) VALUES ('Route 666')",
    "UPDATE transportation.buses SET seats = 99",
    "INSERT INTO transportation.buses (bus_number, seats) VALUES ('X1', 20)",
    "INSERT INTO transportation.hazard_zones (zone_name, latitude, longitude, radius_miles) VALUES ('x', 30, -97, 1)",
    "DELETE FROM transportation.hazard_zones",
    "UPDATE transportation.settings SET speed_mph = 70",
    "UPDATE transportation.grade_bands SET eligibility_miles = 0",
    "DELETE FROM transportation.run_schools",
    "UPDATE transportation.runs SET run_kind = 'Activity'",
)


@pytest.mark.parametrize("login", OTHER_DESKS + ("demo_front_office", "demo_registrar"))
def test_only_the_bus_desk_sets_up_routes_buses_zones_and_settings(login_engine, login):
    e = login_engine(login)
    for sql in SETUP_WRITES:
        assert denied(e, sql), f"{login} may: {sql}"


def test_the_coordinator_sets_up_what_the_desk_shows(login_engine):
    e = login_engine("demo_transportation")
    assert run(e, "UPDATE transportation.settings SET speed_mph = speed_mph") == 1
    assert run(e, "UPDATE transportation.grade_bands SET eligibility_miles = eligibility_miles") == 3


# migration 0037: the one reading of riders' needs in force, the run loads and a rider's runs
NEEDS_FUNCTIONS = {
    "SELECT * FROM transportation.needs_in_force(NULL, current_date)": ("demo_cashier", "demo_librarian",
                                                                         "demo_teacher", "demo_dean", "demo_registrar"),
    "SELECT * FROM transportation.run_loads_on(NULL, current_date)": ("demo_cashier", "demo_librarian", "demo_teacher",
                                                                      "demo_dean", "demo_registrar"),
    "SELECT * FROM transportation.rider_runs_on(1, current_date)": ("demo_cashier", "demo_librarian", "demo_teacher",
                                                                    "demo_dean", "demo_registrar", "demo_front_office"),
    "SELECT * FROM transportation.needs_on(NULL, current_date)": ("demo_transportation", "demo_front_office",
                                                                  "demo_nurse", "demo_cashier", "demo_teacher"),
}


@pytest.mark.parametrize("sql,login", [(s, lg) for s, logins in NEEDS_FUNCTIONS.items() for lg in logins])
def test_only_the_desks_that_carry_riders_read_their_needs_and_loads(login_engine, sql, login):
    assert denied(login_engine(login), sql)


def test_the_nurse_reads_needs_and_runs_of_her_own_schools_riders_only(login_engine, demo_engine):
    from sqlalchemy import text

    with demo_engine.connect() as c:
        mine, other = (c.execute(text(
            "SELECT l.student_usi FROM transportation.rider_legs l JOIN edfi.studentschoolassociation a "
            "ON a.studentusi = l.student_usi WHERE a.schoolid " + op + " :s ORDER BY 1 LIMIT 1"), {"s": RES}).scalar()
            for op in ("=", "<>"))
        own = "UPDATE transportation.student_transportation SET wheelchair = :w WHERE student_usi IN (:a, :b)"
        c.execute(text(own), {"w": True, "a": mine, "b": other})  # both riders need a wheelchair position
        c.commit()
        try:
            nurse = login_engine("demo_nurse")
            assert scalar(nurse, f"SELECT count(*) FROM transportation.rider_runs_on({mine}, current_date)") > 0
            assert scalar(nurse, f"SELECT count(*) FROM transportation.rider_runs_on({other}, current_date)") == 0
            seen = {r[0] for r in run(nurse, f"SELECT student_usi FROM transportation.needs_in_force("
                                             f"ARRAY[{mine}, {other}], current_date)")}
            assert seen == {mine}
        finally:
            c.rollback()
            c.execute(text(own), {"w": False, "a": mine, "b": other})
            c.commit()


def test_run_loads_tell_nobody_of_a_rider_outside_their_schools_or_of_an_iep_they_may_not_read(login_engine,
                                                                                               demo_engine):
    """Security review of session 6, HIGH 1: leaving one student out of the loads (p_except) and comparing
    gave away another school's rider's runs, grade and IEP needs."""
    from sqlalchemy import text

    with demo_engine.connect() as c:
        other = c.execute(text(
            "SELECT l.student_usi FROM transportation.rider_legs l JOIN transportation.iep_transport t "
            "ON t.student_usi = l.student_usi WHERE NOT EXISTS (SELECT 1 FROM edfi.studentschoolassociation a "
            "WHERE a.studentusi = l.student_usi AND a.schoolid = :s) ORDER BY 1 LIMIT 1"), {"s": RES}).scalar()
        mine = c.execute(text("SELECT l.student_usi FROM transportation.rider_legs l JOIN "
                              "edfi.studentschoolassociation a ON a.studentusi = l.student_usi "
                              "WHERE a.schoolid = :s ORDER BY 1 LIMIT 1"), {"s": RES}).scalar()
    assert other is not None
    for login in ("demo_front_office", "demo_nurse"):  # both work at the Elementary school only
        e = login_engine(login)
        assert denied(e, f"SELECT * FROM transportation.run_loads_on(NULL, current_date, {other})"), login
        assert scalar(e, f"SELECT count(*) FROM transportation.run_loads_on(NULL, current_date, {mine})") > 0
    # the front office, which may not read IEPs, gets loads without the needs only an IEP gives
    iep_only = ("SELECT coalesce(sum(riders), 0) FROM transportation.run_loads_on(NULL, current_date) "
                "WHERE equipment <> '{}' OR wheelchair")
    assert scalar(login_engine("demo_admin"), iep_only) > 0
    assert scalar(login_engine("demo_front_office"), iep_only) == 0
