"""compliance.my_school_ids(): the schools row-level security lets a staff login see. It must stay
what the database says about the signed-in login, whatever the caller sets or creates in their own
session, and it must stay an index look-up at district size (every school-scoped policy calls it)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.test_security import run
from tests.integration.test_security_attacks import RES, RHS, RMS, foreign_student, owner_scalar

pytestmark = pytest.mark.integration

FAKE_TABLES = (
    "CREATE TEMP TABLE staff (staffusi int, loginid varchar)",
    "CREATE TEMP TABLE staffschoolassociation (staffusi int, schoolid bigint)",
    "CREATE TEMP TABLE staffeducationorganizationassignmentassociation (staffusi int, "
    "educationorganizationid bigint, enddate date)",
    "CREATE TEMP TABLE school (schoolid bigint, localeducationagencyid bigint)",
)


def test_a_clerk_cannot_widen_their_schools_with_settings_or_temporary_tables(login_engine, demo_engine):
    clerk = login_engine("demo_front_office")
    me = owner_scalar(demo_engine, "SELECT staffusi FROM edfi.staff WHERE loginid = 'demo_front_office'")
    outsider = foreign_student(demo_engine, "demo_front_office")
    with clerk.connect() as c:
        tx = c.begin()
        try:
            mine = c.execute(text("SELECT compliance.my_school_ids()")).scalar()
            assert mine and set(mine) < {RES, RMS, RHS}
            # Everything a psql user can set for their own session: custom settings that look like
            # a cache, the application's own settings, and temporary look-alikes of every table
            # the function reads, found first on the search path.
            for sql in ("SET compliance.my_school_ids = '{255950001,255950002,255950003}'",
                        "SET school_office.school_ids = '{255950001,255950002,255950003}'",
                        "SET school_office.app_user = 'demo_admin'",
                        "SET search_path = pg_temp, edfi, compliance, public", *FAKE_TABLES):
                c.execute(text(sql))
            c.execute(text("INSERT INTO pg_temp.staff VALUES (:me, 'demo_front_office')"), {"me": me})
            c.execute(text("INSERT INTO pg_temp.staffschoolassociation VALUES (:me, :a), (:me, :b), (:me, :c)"),
                      {"me": me, "a": RES, "b": RMS, "c": RHS})
            c.execute(text("INSERT INTO pg_temp.staffeducationorganizationassignmentassociation "
                           "SELECT :me, localeducationagencyid, NULL FROM edfi.school LIMIT 1"), {"me": me})
            assert c.execute(text("SELECT compliance.my_school_ids()")).scalar() == mine
            assert c.execute(text("SELECT count(*) FROM edfi.student WHERE studentusi = :u"),
                             {"u": outsider}).scalar() == 0
            with pytest.raises(DBAPIError, match="permission denied"):
                c.execute(text("SET SESSION AUTHORIZATION demo_admin"))
        finally:
            tx.rollback()


def test_the_schools_come_from_school_links_and_current_assignments_only(login_engine, demo_engine):
    """A current assignment at another school adds it; an ended one does not; a district-level
    assignment adds every school of the district."""
    clerk = login_engine("demo_front_office")
    me = owner_scalar(demo_engine, "SELECT staffusi FROM edfi.staff WHERE loginid = 'demo_front_office'")
    before = set(owner_scalar(demo_engine, "SELECT array_agg(schoolid) FROM edfi.staffschoolassociation "
                                           "WHERE staffusi = :me", me=me))
    other = next(s for s in (RES, RMS, RHS) if s not in before)
    insert = text(
        "INSERT INTO edfi.staffeducationorganizationassignmentassociation (begindate, educationorganizationid, "
        "staffclassificationdescriptorid, staffusi, enddate) SELECT DATE '2001-07-01' + :n, :org, "
        "staffclassificationdescriptorid, :me, CAST(:ends AS date) "
        "FROM edfi.staffeducationorganizationassignmentassociation LIMIT 1")

    def schools() -> set[int]:
        with clerk.connect() as c:
            return set(c.execute(text("SELECT compliance.my_school_ids()")).scalar())
    try:
        with demo_engine.begin() as c:
            c.execute(insert, {"n": 0, "org": other, "me": me, "ends": "2002-06-30"})
        assert schools() == before
        with demo_engine.begin() as c:
            c.execute(insert, {"n": 1, "org": other, "me": me, "ends": None})
        assert schools() == before | {other}
        with demo_engine.begin() as c:
            lea = c.execute(text("SELECT localeducationagencyid FROM edfi.school WHERE schoolid = :s"),
                            {"s": other}).scalar()
            c.execute(insert, {"n": 2, "org": lea, "me": me, "ends": None})
        assert schools() == {RES, RMS, RHS}
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM edfi.staffeducationorganizationassignmentassociation "
                           "WHERE staffusi = :me AND begindate BETWEEN '2001-07-01' AND '2001-07-03'"), {"me": me})


def test_the_assignment_look_up_is_an_index_scan_at_district_size(demo_engine):
    """5,000 assignments (a 100,000-student district has about 4,700 staff): finding one staff
    member's assignments reads the staffusi index, not the table (543 us a call before 0037)."""
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            c.execute(text(
                "INSERT INTO edfi.staffeducationorganizationassignmentassociation (begindate, "
                "educationorganizationid, staffclassificationdescriptorid, staffusi) "
                "SELECT DATE '1990-01-01' + g, a.educationorganizationid, a.staffclassificationdescriptorid, a.staffusi "
                "FROM edfi.staffeducationorganizationassignmentassociation a, "
                "generate_series(1, CAST(5000 / (SELECT count(*) FROM edfi.staffeducationorganizationassignmentassociation) AS int)) g"))
            c.execute(text("ANALYZE edfi.staffeducationorganizationassignmentassociation"))
            plan = "\n".join(c.execute(text(
                "EXPLAIN SELECT a.educationorganizationid FROM edfi.staffeducationorganizationassignmentassociation a "
                "WHERE a.staffusi = 7 AND (a.enddate IS NULL OR a.enddate >= current_date)")).scalars())
        finally:
            tx.rollback()
    assert "ix_staffedorgassignment_staffusi" in plan, plan


# -- review of session 6: only the schools the login serves today --------------------------------
ASSIGN = text(
    "INSERT INTO edfi.staffeducationorganizationassignmentassociation (begindate, educationorganizationid, "
    "staffclassificationdescriptorid, staffusi, enddate) SELECT CAST(:begins AS date), :org, "
    "staffclassificationdescriptorid, :me, CAST(:ends AS date) "
    "FROM edfi.staffeducationorganizationassignmentassociation LIMIT 1")


def _nurse(demo_engine) -> tuple[int, set[int], int]:
    me = owner_scalar(demo_engine, "SELECT staffusi FROM edfi.staff WHERE loginid = 'demo_nurse'")
    with demo_engine.connect() as c:
        mine = set(c.execute(text("SELECT schoolid FROM edfi.staffschoolassociation WHERE staffusi = :me"),
                             {"me": me}).scalars())
    return me, mine, next(s for s in (RHS, RMS, RES) if s not in mine)


def _schools_as(engine, zone: str | None = None) -> set[int]:
    with engine.connect() as c:
        if zone:
            c.execute(text("SELECT set_config('TimeZone', :z, false)"), {"z": zone})
        try:
            return set(c.execute(text("SELECT compliance.my_school_ids()")).scalar())
        finally:
            if zone:
                c.execute(text("RESET TimeZone"))


def test_an_assignment_that_has_not_begun_does_not_open_its_school_yet(login_engine, demo_engine):
    nurse = login_engine("demo_nurse")
    me, mine, other = _nurse(demo_engine)
    visits = "SELECT count(*) FROM health.visits"
    before = run(nurse, visits)[0][0]
    try:
        with demo_engine.begin() as c:
            c.execute(ASSIGN, {"begins": date.today() + timedelta(days=60), "org": other, "me": me, "ends": None})
        assert _schools_as(nurse) == mine
        assert run(nurse, visits)[0][0] == before
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM edfi.staffeducationorganizationassignmentassociation WHERE staffusi = :me "
                           "AND educationorganizationid = :o AND begindate > current_date"), {"me": me, "o": other})


def test_a_school_association_of_an_earlier_school_year_no_longer_counts(login_engine, demo_engine):
    nurse = login_engine("demo_nurse")
    me, mine, other = _nurse(demo_engine)
    with demo_engine.connect() as c:
        year = c.execute(text("SELECT max(schoolyear) FROM edfi.session WHERE begindate <= current_date")).scalar()
    add = text("INSERT INTO edfi.staffschoolassociation (staffusi, schoolid, programassignmentdescriptorid, schoolyear) "
               "SELECT :me, :o, programassignmentdescriptorid, :y FROM edfi.staffschoolassociation "
               "WHERE staffusi = :me LIMIT 1")
    try:
        with demo_engine.begin() as c:
            c.execute(add, {"me": me, "o": other, "y": year - 2})
        assert _schools_as(nurse) == mine
        with demo_engine.begin() as c:  # rolled over to next year before this one ends: still serves it
            c.execute(text("UPDATE edfi.staffschoolassociation SET schoolyear = :y WHERE staffusi = :me "
                           "AND schoolid = :o"), {"me": me, "o": other, "y": year + 1})
        assert _schools_as(nurse) == mine | {other}
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM edfi.staffschoolassociation WHERE staffusi = :me AND schoolid = :o"),
                      {"me": me, "o": other})


def test_the_callers_time_zone_does_not_move_an_assignments_dates(login_engine, demo_engine):
    """An assignment that begins tomorrow (server's date) is not open in a zone where it is tomorrow
    already; one that ended yesterday is not open in a zone where it is still yesterday."""
    nurse = login_engine("demo_nurse")
    me, mine, other = _nurse(demo_engine)
    with demo_engine.connect() as c:
        today = c.execute(text("SELECT current_date")).scalar()
        ahead = c.execute(text("SELECT (now() AT TIME ZONE 'Etc/GMT-14')::date")).scalar()  # UTC+14
        behind = c.execute(text("SELECT (now() AT TIME ZONE 'Etc/GMT+12')::date")).scalar()  # UTC-12
    assert ahead > today or behind < today  # at any hour one of the two is another day
    if ahead > today:
        zone, begins, ends = "Etc/GMT-14", ahead, None
    else:
        zone, begins, ends = "Etc/GMT+12", today - timedelta(days=400), behind
    try:
        with demo_engine.begin() as c:
            c.execute(ASSIGN, {"begins": begins, "org": other, "me": me, "ends": ends})
        assert _schools_as(nurse, zone) == mine
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM edfi.staffeducationorganizationassignmentassociation WHERE staffusi = :me "
                           "AND educationorganizationid = :o AND begindate = :b"), {"me": me, "o": other, "b": begins})
