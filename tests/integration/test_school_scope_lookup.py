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


# -- migration 0073: the days each login's schools count on, kept by triggers ------------------------------
ASSIGNMENTS = "edfi.staffeducationorganizationassignmentassociation"
# 0050's query for one login on one day: what compliance.my_school_ids() answered before 0073
OLD_ANSWER = """
    WITH me AS (SELECT st.staffusi FROM edfi.staff st WHERE st.loginid = (l.login COLLATE "default")),
    this_year AS (SELECT coalesce(max(ses.schoolyear), 0) AS y FROM edfi.session ses WHERE ses.begindate <= dd.d)
    SELECT coalesce(array_agg(DISTINCT x.schoolid ORDER BY x.schoolid), '{}'::bigint[]) FROM (
        SELECT w.schoolid FROM edfi.staffschoolassociation w JOIN me ON me.staffusi = w.staffusi
         WHERE w.schoolyear IS NULL OR w.schoolyear >= (SELECT y FROM this_year)
        UNION
        SELECT s.schoolid FROM edfi.staffeducationorganizationassignmentassociation a
          JOIN me ON me.staffusi = a.staffusi
          JOIN edfi.school s ON s.schoolid = a.educationorganizationid
                             OR s.localeducationagencyid = a.educationorganizationid
         WHERE a.begindate <= dd.d AND (a.enddate IS NULL OR a.enddate >= dd.d)) x"""
# the kept rows of one login on one day: what compliance.my_school_ids() answers since 0073
NEW_ANSWER = """
    SELECT coalesce(array_agg(DISTINCT k.schoolid ORDER BY k.schoolid), '{}'::bigint[])
      FROM compliance.login_school_days k
     WHERE k.login = l.login AND (k.from_day IS NULL OR k.from_day <= dd.d)
       AND (k.to_day IS NULL OR dd.d <= k.to_day)"""
# every login, on today and on the day before, of and after every date the answer can turn on
COMPARE = text(f"""
    WITH logins AS (SELECT DISTINCT st.loginid::text AS login FROM edfi.staff st WHERE st.loginid IS NOT NULL),
    days AS (SELECT DISTINCT d + k AS d FROM generate_series(-1, 1) k, (
                 SELECT current_date AS d UNION SELECT begindate FROM edfi.session
                 UNION SELECT begindate FROM edfi.staffeducationorganizationassignmentassociation
                 UNION SELECT enddate FROM edfi.staffeducationorganizationassignmentassociation
                  WHERE enddate IS NOT NULL) b)
    SELECT count(*), count(*) FILTER (WHERE ({OLD_ANSWER}) IS DISTINCT FROM ({NEW_ANSWER})),
           count(*) FILTER (WHERE cardinality(({OLD_ANSWER})) > 0)
      FROM logins l, days dd""")


def _differences(c) -> int:
    compared, differ, some = c.execute(COMPARE).one()
    assert compared > 0 and some > 0
    return differ


def test_the_kept_days_give_the_same_schools_as_before_for_every_login_on_every_day(demo_engine):
    """Terms of the next school year (one beginning in the past, so that this year's links stop counting on
    its first day), links of earlier, this and later school years and of none, assignments that begin, end,
    end before they begin, and one at the district: 0050's query and the kept days agree for every login on
    every day around each of those dates, after every change."""
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            assert _differences(c) == 0
            year = c.execute(text("SELECT max(schoolyear) FROM edfi.session WHERE begindate <= current_date")).scalar()
            staff = c.execute(text("SELECT staffusi FROM edfi.staff WHERE loginid IS NOT NULL ORDER BY staffusi "
                                   "LIMIT 6")).scalars().all()
            lea = c.execute(text("SELECT localeducationagencyid FROM edfi.school LIMIT 1")).scalar()
            steps = [
                # links of several school years, and of none
                ("INSERT INTO edfi.staffschoolassociation (staffusi, schoolid, programassignmentdescriptorid, "
                 "schoolyear) SELECT :s0, s.schoolid, a.programassignmentdescriptorid, "
                 "CAST(:y AS smallint) + CAST(s.schoolid % 3 AS smallint) - 1 FROM edfi.school s, "
                 "(SELECT programassignmentdescriptorid FROM edfi.staffschoolassociation LIMIT 1) a "
                 "ON CONFLICT DO NOTHING"),
                ("UPDATE edfi.staffschoolassociation SET schoolyear = NULL WHERE staffusi = :s1"),
                ("UPDATE edfi.staffschoolassociation SET schoolyear = CAST(:y AS smallint) - 1 WHERE staffusi = :s2"),
                # next year's terms: one far ahead, then one begun already (this year's links stop counting)
                ("INSERT INTO edfi.session (schoolid, schoolyear, sessionname, begindate, enddate, "
                 "termdescriptorid, totalinstructionaldays) SELECT schoolid, CAST(:y AS smallint) + 1, "
                 "sessionname || ' next', begindate + 365, enddate + 365, termdescriptorid, totalinstructionaldays "
                 "FROM edfi.session WHERE schoolyear = :y"),
                ("UPDATE edfi.session SET begindate = current_date - 3 WHERE schoolyear = CAST(:y AS smallint) + 1 "
                 "AND schoolid = (SELECT min(schoolid) FROM edfi.school)"),
                ("UPDATE edfi.session SET sessionname = sessionname || '!' "
                 "WHERE schoolyear = CAST(:y AS smallint) + 1"),
                # assignments: begun, ending, ended before they began, at the district
                (f"INSERT INTO {ASSIGNMENTS} (begindate, educationorganizationid, "
                 "staffclassificationdescriptorid, staffusi, enddate) SELECT current_date - 10, s.schoolid, "
                 "a.staffclassificationdescriptorid, :s3, current_date + 5 FROM edfi.school s, "
                 "(SELECT staffclassificationdescriptorid FROM edfi.staffeducationorganizationassignmentassociation "
                 "LIMIT 1) a"),
                (f"INSERT INTO {ASSIGNMENTS} (begindate, educationorganizationid, "
                 "staffclassificationdescriptorid, staffusi, enddate) SELECT current_date + 2, :lea, "
                 "staffclassificationdescriptorid, :s4, current_date + 1 "
                 "FROM edfi.staffeducationorganizationassignmentassociation LIMIT 1"),
                (f"INSERT INTO {ASSIGNMENTS} (begindate, educationorganizationid, "
                 "staffclassificationdescriptorid, staffusi, enddate) SELECT current_date - 1, :lea, "
                 "staffclassificationdescriptorid, :s5, NULL FROM edfi.staffeducationorganizationassignmentassociation "
                 "LIMIT 1"),
                ("UPDATE edfi.staffeducationorganizationassignmentassociation SET enddate = current_date - 1 "
                 "WHERE staffusi = :s3 AND enddate = current_date + 5"),
                # a school moved out of the district, a login renamed, a link removed
                ("UPDATE edfi.school SET localeducationagencyid = NULL "
                 "WHERE schoolid = (SELECT max(schoolid) FROM edfi.school)"),
                ("UPDATE edfi.staff SET loginid = loginid || '_renamed' WHERE staffusi = :s1"),
                ("DELETE FROM edfi.staffschoolassociation WHERE staffusi = :s0 AND schoolyear IS NOT NULL "
                 "AND schoolid = (SELECT min(schoolid) FROM edfi.school)"),
                ("DELETE FROM edfi.session WHERE schoolyear = CAST(:y AS smallint) + 1"),
            ]
            params = {"y": year, "lea": lea, **{f"s{i}": s for i, s in enumerate(staff)}}
            for sql in steps:
                c.execute(text(sql), params)
                assert _differences(c) == 0, sql
        finally:
            tx.rollback()


def test_a_login_whose_schools_change_sees_the_change_in_its_next_statement(login_engine, demo_engine):
    """The kept rows change with the statement that changes a school link, in the same transaction, and a
    name's change rebuilds nothing."""
    nurse = login_engine("demo_nurse")
    me, mine, other = _nurse(demo_engine)
    add = text("INSERT INTO edfi.staffschoolassociation (staffusi, schoolid, programassignmentdescriptorid) "
               "SELECT :me, :o, programassignmentdescriptorid FROM edfi.staffschoolassociation "
               "WHERE staffusi = :me LIMIT 1")
    kept = text("SELECT array_agg(schoolid ORDER BY schoolid) FROM compliance.login_school_days "
                "WHERE login = 'demo_nurse'")
    try:
        with demo_engine.begin() as c:
            c.execute(add, {"me": me, "o": other})
            assert other in c.execute(kept).scalar()
        assert _schools_as(nurse) == mine | {other}
        with demo_engine.begin() as c:
            ctids = c.execute(text("SELECT array_agg(ctid::text) FROM compliance.login_school_days")).scalar()
            c.execute(text("UPDATE edfi.staff SET middlename = coalesce(middlename, '') WHERE staffusi = :me"),
                      {"me": me})
            assert c.execute(text("SELECT array_agg(ctid::text) FROM compliance.login_school_days")).scalar() == ctids
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM edfi.staffschoolassociation WHERE staffusi = :me AND schoolid = :o"),
                      {"me": me, "o": other})
    assert _schools_as(nurse) == mine


def test_two_transactions_changing_one_logins_schools_keep_both_changes(login_engine, demo_engine):
    """The second transaction's rebuild waits for the first to commit and reads what it committed: its
    own link and the first one's both count."""
    import threading

    nurse = login_engine("demo_nurse")
    me, mine, _ = _nurse(demo_engine)
    others = [s for s in (RHS, RMS, RES) if s not in mine]
    add = text(f"INSERT INTO {ASSIGNMENTS} (begindate, educationorganizationid, "
               "staffclassificationdescriptorid, staffusi) SELECT DATE '2001-07-01', :o, "
               "staffclassificationdescriptorid, :me FROM edfi.staffeducationorganizationassignmentassociation LIMIT 1")
    assert len(others) >= 1
    second_school = others[-1] if len(others) > 1 else others[0]
    errors: list[BaseException] = []
    try:
        first = demo_engine.connect()
        tx = first.begin()
        first.execute(add, {"o": others[0], "me": me})

        def second():
            try:
                with demo_engine.begin() as c:
                    c.execute(text("DELETE FROM edfi.staffeducationorganizationassignmentassociation "
                                   "WHERE staffusi = :me AND begindate = DATE '2001-07-02'"), {"me": me})
                    c.execute(text(add.text.replace("DATE '2001-07-01'", "DATE '2001-07-02'")),
                              {"o": second_school, "me": me})
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        t = threading.Thread(target=second)
        t.start()
        t.join(1.0)
        assert t.is_alive()  # waiting for the first transaction's rebuild
        tx.commit()
        first.close()
        t.join(30)
        assert not t.is_alive() and not errors, errors
        assert _schools_as(nurse) == mine | {others[0], second_school}
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM edfi.staffeducationorganizationassignmentassociation WHERE staffusi = :me "
                           "AND begindate IN (DATE '2001-07-01', DATE '2001-07-02')"), {"me": me})
    assert _schools_as(nurse) == mine


def test_a_change_at_a_stricter_isolation_is_refused(demo_engine):
    """Its snapshot may be older than the last rebuild: the change is refused, nothing is rebuilt from it."""
    me = owner_scalar(demo_engine, "SELECT staffusi FROM edfi.staff WHERE loginid = 'demo_nurse'")
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            c.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            with pytest.raises(DBAPIError, match="READ COMMITTED"):
                c.execute(text("UPDATE edfi.staffschoolassociation SET schoolyear = schoolyear WHERE staffusi = :me "
                               "AND schoolyear IS NULL"), {"me": me})
                c.execute(text("UPDATE edfi.staffschoolassociation SET schoolyear = NULL WHERE staffusi = :me"),
                          {"me": me})
        finally:
            tx.rollback()


KEPT_DAYS_ATTACKS = (
    "SELECT * FROM compliance.login_school_days",
    "INSERT INTO compliance.login_school_days VALUES (session_user, 255950001, NULL, NULL)",
    "UPDATE compliance.login_school_days SET to_day = NULL",
    "DELETE FROM compliance.login_school_days",
    "TRUNCATE compliance.login_school_days",
    "SELECT * FROM compliance.login_school_days_of(ARRAY[session_user::text])",
    "SELECT compliance.keep_login_school_days()",
)


@pytest.mark.parametrize("login", ["demo_front_office", "demo_teacher", "demo_dean", "demo_nurse", "demo_cashier",
                                   "demo_librarian", "demo_transportation", "demo_registrar", "demo_admin",
                                   "demo_cafeteria_manager"])
def test_no_login_reads_or_writes_the_kept_days(login_engine, login):
    """Every role, administrators too, is refused the table and the functions that rebuild it: a login's
    schools come only from the staff tables, through the triggers."""
    e = login_engine(login)
    for sql in KEPT_DAYS_ATTACKS:
        with pytest.raises(DBAPIError) as refused:
            with e.connect() as c:
                tx = c.begin()
                try:
                    c.execute(text(sql))
                finally:
                    tx.rollback()
        assert "permission denied" in str(refused.value.orig) or "trigger functions can only be called" in str(
            refused.value.orig), (login, sql, refused.value.orig)


def test_a_load_of_many_staff_members_keeps_the_same_schools(demo_engine):
    """300 staff members with sign-ins, their school links and assignments, each table in one statement (more
    logins than 0074 matches one by one: every login is rebuilt), then a link of 3 of them removed: 0050's
    query and the kept days agree."""
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            c.execute(text("INSERT INTO edfi.staff (staffusi, staffuniqueid, firstname, lastsurname, loginid) "
                           "SELECT 900000 + g, 'LOAD' || g, 'Load', 'Staff', 'load_staff_' || g "
                           "FROM generate_series(1, 300) g"))
            c.execute(text(
                "INSERT INTO edfi.staffschoolassociation (staffusi, schoolid, programassignmentdescriptorid, schoolyear) "
                "SELECT 900000 + g, s.schoolid, a.programassignmentdescriptorid, "
                "CASE WHEN g % 4 = 0 THEN NULL ELSE (SELECT max(schoolyear) FROM edfi.session) END "
                "FROM generate_series(1, 300) g, (SELECT min(schoolid) AS schoolid FROM edfi.school) s, "
                "(SELECT programassignmentdescriptorid FROM edfi.staffschoolassociation LIMIT 1) a"))
            c.execute(text(f"INSERT INTO {ASSIGNMENTS} (begindate, educationorganizationid, "
                           "staffclassificationdescriptorid, staffusi, enddate) SELECT current_date - g % 3, "
                           "(SELECT max(schoolid) FROM edfi.school), staffclassificationdescriptorid, 900000 + g, "
                           "CASE WHEN g % 5 = 0 THEN current_date - 1 END FROM generate_series(1, 300) g, "
                           f"(SELECT staffclassificationdescriptorid FROM {ASSIGNMENTS} LIMIT 1) a"))
            assert c.execute(text("SELECT count(DISTINCT login) FROM compliance.login_school_days "
                                  "WHERE login LIKE 'load_staff_%'")).scalar() == 300
            assert _differences(c) == 0
            c.execute(text("DELETE FROM edfi.staffschoolassociation WHERE staffusi IN (900001, 900002, 900003)"))
            assert _differences(c) == 0
        finally:
            tx.rollback()
