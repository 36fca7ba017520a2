"""compliance.my_school_ids(): the schools row-level security lets a staff login see. It must stay
what the database says about the signed-in login, whatever the caller sets or creates in their own
session, and it must stay an index look-up at district size (every school-scoped policy calls it)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

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
