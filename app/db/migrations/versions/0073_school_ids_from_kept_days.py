"""compliance.my_school_ids() reads the login's schools from a table kept by triggers (issue 10, the checkout bench;
every school-scoped policy calls it)

The function joined five tables on every call (the staff row by login, its school links of this school year or
a later one, its current assignments and their schools, the school year of the latest term begun): 62-95 µs a
call in the 2,000-student bench district, once per statement of every school-scoped policy and once per
library checkout. It now reads compliance.login_school_days by login: 27 µs.

- compliance.login_school_days holds, per login, each school and the days it counts on (from_day and to_day,
  both included, NULL for no bound), the same rule as 0050's:
  - a staff-school association with no school year counts on every day; one of school year Y counts while Y is
    the district's current school year (the year of the latest term that has begun, 0 before any) or a later
    one: until the day before the first term of a later year begins (a negative Y, which no school year is,
    from the first term's first day, as 0050's comparison with 0 gives);
  - an assignment counts from its begin date to its end date, for its school or, when it is the district's,
    every school of the district.
  compliance.my_school_ids() takes the rows of the signed-in login (session_user, which a login cannot
  change) that hold today, in the district's time zone it was pinned to (0050): the same answer.
- Statement triggers on edfi.staff, edfi.staffschoolassociation,
  edfi.staffeducationorganizationassignmentassociation (the logins whose rows changed) and edfi.school,
  edfi.session (every login) rebuild the affected logins' rows from those tables in the same transaction,
  after taking one exclusive transaction lock, so that two transactions changing them one after the other
  rebuild from what the first committed (a statement after the lock reads the committed rows, at READ
  COMMITTED; at a stricter isolation the snapshot can be older than the last rebuild, so these changes are
  refused there: the application makes them at READ COMMITTED). A change the days do not depend on (a name,
  a term's name) rebuilds nothing.
- Only the owner reads or writes the table and calls the rebuild (no grants, row-level security on, EXECUTE
  revoked from PUBLIC); the trigger function is SECURITY DEFINER with a pinned search_path.
Tests: tests/integration/test_school_scope_lookup.py (the same answer as 0050's query for every login on
every day around each term's start; kept in step by every kind of change; refused to every role).

Revision ID: 0073
Revises: 0072
Create Date: 2026-12-04
"""
from alembic import op

revision = "0073"
down_revision = "0072"
branch_labels = None
depends_on = None

MY_SCHOOL_IDS = "compliance.my_school_ids()"
KEPT = ("edfi.staff", "edfi.staffschoolassociation", "edfi.staffeducationorganizationassignmentassociation",
        "edfi.school", "edfi.session")

TABLE_SQL = r"""
CREATE TABLE compliance.login_school_days (
    login text NOT NULL,
    schoolid bigint NOT NULL,
    from_day date,  -- NULL: from any day
    to_day date     -- NULL: to any day (both days included)
);
CREATE INDEX ix_login_school_days_login ON compliance.login_school_days (login);
ALTER TABLE compliance.login_school_days ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON compliance.login_school_days FROM PUBLIC;
COMMENT ON TABLE compliance.login_school_days IS 'The schools each staff login serves and the days they count on, '
    'kept by compliance.keep_login_school_days (migration 0073); read by compliance.my_school_ids() only';

-- internal (owner only): the rows of these logins (NULL: every login) from the staff tables, by 0050's rule
CREATE FUNCTION compliance.login_school_days_of(p_logins text[])
RETURNS TABLE (login text, schoolid bigint, from_day date, to_day date)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH me AS (
        SELECT st.staffusi, st.loginid::text AS login FROM edfi.staff st
         WHERE st.loginid IS NOT NULL AND (p_logins IS NULL OR st.loginid::text = ANY (p_logins))),
    days AS (
        SELECT me.login, w.schoolid,
               CASE WHEN w.schoolyear IS NULL OR w.schoolyear >= 0 THEN NULL
                    ELSE coalesce((SELECT min(ses.begindate) FROM edfi.session ses), 'infinity'::date) END AS from_day,
               CASE WHEN w.schoolyear IS NULL THEN NULL
                    ELSE (SELECT min(ses.begindate) - 1 FROM edfi.session ses
                           WHERE ses.schoolyear > w.schoolyear) END AS to_day
          FROM edfi.staffschoolassociation w JOIN me ON me.staffusi = w.staffusi
        UNION
        SELECT me.login, s.schoolid, a.begindate, a.enddate
          FROM edfi.staffeducationorganizationassignmentassociation a
          JOIN me ON me.staffusi = a.staffusi
          JOIN edfi.school s ON s.schoolid = a.educationorganizationid
                             OR s.localeducationagencyid = a.educationorganizationid)
    SELECT d.login, d.schoolid, d.from_day, d.to_day FROM days d
     WHERE d.from_day IS DISTINCT FROM 'infinity'::date
       AND (d.from_day IS NULL OR d.to_day IS NULL OR d.from_day <= d.to_day);
$$;
REVOKE ALL ON FUNCTION compliance.login_school_days_of(text[]) FROM PUBLIC;

-- the logins whose rows a statement on one of the tables changed (NULL: every login), rebuilt
CREATE FUNCTION compliance.keep_login_school_days() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    logins text[];
    every boolean := false;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        every := true;
    ELSIF TG_TABLE_NAME = 'staff' THEN
        IF TG_OP = 'INSERT' THEN
            logins := ARRAY(SELECT DISTINCT n.loginid::text FROM new_rows n WHERE n.loginid IS NOT NULL);
        ELSIF TG_OP = 'DELETE' THEN
            logins := ARRAY(SELECT DISTINCT o.loginid::text FROM old_rows o WHERE o.loginid IS NOT NULL);
        ELSE  -- the logins of rows whose key or login changed (a name's change changes no school)
            logins := ARRAY(SELECT DISTINCT x.loginid::text FROM (
                              (SELECT o.staffusi, o.loginid FROM old_rows o
                               EXCEPT SELECT n.staffusi, n.loginid FROM new_rows n)
                              UNION
                              (SELECT n.staffusi, n.loginid FROM new_rows n
                               EXCEPT SELECT o.staffusi, o.loginid FROM old_rows o)) x
                             WHERE x.loginid IS NOT NULL);
        END IF;
    ELSIF TG_TABLE_NAME = 'staffschoolassociation' THEN
        IF TG_OP = 'INSERT' THEN
            logins := ARRAY(SELECT DISTINCT st.loginid::text FROM new_rows n
                              JOIN edfi.staff st ON st.staffusi = n.staffusi WHERE st.loginid IS NOT NULL);
        ELSIF TG_OP = 'DELETE' THEN
            logins := ARRAY(SELECT DISTINCT st.loginid::text FROM old_rows o
                              JOIN edfi.staff st ON st.staffusi = o.staffusi WHERE st.loginid IS NOT NULL);
        ELSE
            logins := ARRAY(SELECT DISTINCT st.loginid::text FROM (
                              (SELECT o.staffusi, o.schoolid, o.schoolyear FROM old_rows o
                               EXCEPT SELECT n.staffusi, n.schoolid, n.schoolyear FROM new_rows n)
                              UNION
                              (SELECT n.staffusi, n.schoolid, n.schoolyear FROM new_rows n
                               EXCEPT SELECT o.staffusi, o.schoolid, o.schoolyear FROM old_rows o)) x
                              JOIN edfi.staff st ON st.staffusi = x.staffusi WHERE st.loginid IS NOT NULL);
        END IF;
    ELSIF TG_TABLE_NAME = 'staffeducationorganizationassignmentassociation' THEN
        IF TG_OP = 'INSERT' THEN
            logins := ARRAY(SELECT DISTINCT st.loginid::text FROM new_rows n
                              JOIN edfi.staff st ON st.staffusi = n.staffusi WHERE st.loginid IS NOT NULL);
        ELSIF TG_OP = 'DELETE' THEN
            logins := ARRAY(SELECT DISTINCT st.loginid::text FROM old_rows o
                              JOIN edfi.staff st ON st.staffusi = o.staffusi WHERE st.loginid IS NOT NULL);
        ELSE
            logins := ARRAY(SELECT DISTINCT st.loginid::text FROM (
                              (SELECT o.staffusi, o.educationorganizationid, o.begindate, o.enddate FROM old_rows o
                               EXCEPT
                               SELECT n.staffusi, n.educationorganizationid, n.begindate, n.enddate FROM new_rows n)
                              UNION
                              (SELECT n.staffusi, n.educationorganizationid, n.begindate, n.enddate FROM new_rows n
                               EXCEPT
                               SELECT o.staffusi, o.educationorganizationid, o.begindate, o.enddate FROM old_rows o)) x
                              JOIN edfi.staff st ON st.staffusi = x.staffusi WHERE st.loginid IS NOT NULL);
        END IF;
    ELSIF TG_TABLE_NAME = 'school' THEN  -- a school's district decides which schools a district assignment opens
        IF TG_OP = 'UPDATE' THEN
            IF NOT EXISTS (
                (SELECT o.schoolid, o.localeducationagencyid FROM old_rows o
                 EXCEPT SELECT n.schoolid, n.localeducationagencyid FROM new_rows n)
                UNION ALL
                (SELECT n.schoolid, n.localeducationagencyid FROM new_rows n
                 EXCEPT SELECT o.schoolid, o.localeducationagencyid FROM old_rows o)) THEN
                RETURN NULL;
            END IF;
        END IF;
        every := true;
    ELSIF TG_TABLE_NAME = 'session' THEN  -- the terms' years and first days decide the school years' days
        IF TG_OP = 'UPDATE' THEN
            IF NOT EXISTS (
                (SELECT o.schoolyear, o.begindate FROM old_rows o
                 EXCEPT SELECT n.schoolyear, n.begindate FROM new_rows n)
                UNION ALL
                (SELECT n.schoolyear, n.begindate FROM new_rows n
                 EXCEPT SELECT o.schoolyear, o.begindate FROM old_rows o)) THEN
                RETURN NULL;
            END IF;
        END IF;
        every := true;
    ELSE
        RAISE EXCEPTION 'compliance.keep_login_school_days: unexpected table %', TG_TABLE_NAME;
    END IF;
    IF NOT every AND coalesce(cardinality(logins), 0) = 0 THEN
        RETURN NULL;
    END IF;
    -- One rebuild at a time: the statements after the lock read what the last rebuild's transaction committed.
    -- A stricter isolation's snapshot may be older than that rebuild, so the change is refused there.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'staff, school and term changes are made at READ COMMITTED'
              USING ERRCODE = '40001', HINT = 'They decide which schools each login serves.';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('compliance.login_school_days'), 0);
    IF every THEN
        DELETE FROM compliance.login_school_days;
        INSERT INTO compliance.login_school_days (login, schoolid, from_day, to_day)
            SELECT * FROM compliance.login_school_days_of(NULL);
    ELSE
        DELETE FROM compliance.login_school_days d WHERE d.login = ANY (logins);
        INSERT INTO compliance.login_school_days (login, schoolid, from_day, to_day)
            SELECT * FROM compliance.login_school_days_of(logins);
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION compliance.keep_login_school_days() FROM PUBLIC;

INSERT INTO compliance.login_school_days (login, schoolid, from_day, to_day)
    SELECT * FROM compliance.login_school_days_of(NULL);
"""

TRIGGERS_SQL = "\n".join(
    f"CREATE TRIGGER keep_login_school_days_ins AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows "
    f"FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_login_school_days();\n"
    f"CREATE TRIGGER keep_login_school_days_upd AFTER UPDATE ON {t} REFERENCING OLD TABLE AS old_rows "
    f"NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_login_school_days();\n"
    f"CREATE TRIGGER keep_login_school_days_del AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows "
    f"FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_login_school_days();\n"
    f"CREATE TRIGGER keep_login_school_days_trunc AFTER TRUNCATE ON {t} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_login_school_days();"
    for t in KEPT)

NEW_FUNCTION = r"""
CREATE OR REPLACE FUNCTION compliance.my_school_ids() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- the signed-in login's schools that count today (compliance.login_school_days, migration 0073)
    RETURN coalesce((
        SELECT array_agg(DISTINCT d.schoolid ORDER BY d.schoolid) FROM compliance.login_school_days d
         WHERE d.login = (session_user::text COLLATE "default")
           AND (d.from_day IS NULL OR d.from_day <= current_date)
           AND (d.to_day IS NULL OR current_date <= d.to_day)), '{}'::bigint[]);
END;
$$;
"""

# 0050's body (downgrade)
OLD_FUNCTION = r"""
CREATE OR REPLACE FUNCTION compliance.my_school_ids() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- plpgsql keeps this plan for the session: row-level security calls it once per statement.
    RETURN (
        WITH me AS (SELECT st.staffusi FROM edfi.staff st WHERE st.loginid = (session_user::text COLLATE "default")),
        this_year AS (SELECT coalesce(max(ses.schoolyear), 0) AS y FROM edfi.session ses
                       WHERE ses.begindate <= current_date)
        SELECT coalesce(array_agg(DISTINCT x.schoolid ORDER BY x.schoolid), '{}'::bigint[]) FROM (
            SELECT w.schoolid FROM edfi.staffschoolassociation w JOIN me ON me.staffusi = w.staffusi
             WHERE w.schoolyear IS NULL OR w.schoolyear >= (SELECT y FROM this_year)
            UNION
            SELECT s.schoolid FROM edfi.staffeducationorganizationassignmentassociation a
              JOIN me ON me.staffusi = a.staffusi
              JOIN edfi.school s ON s.schoolid = a.educationorganizationid
                                 OR s.localeducationagencyid = a.educationorganizationid
             WHERE a.begindate <= current_date AND (a.enddate IS NULL OR a.enddate >= current_date)
        ) x);
END;
$$;
"""


def _zone() -> str:
    """The zone 0050 pinned the function to (the district's): CREATE OR REPLACE drops it."""
    zone = op.get_bind().exec_driver_sql(
        "SELECT substr(c, length('TimeZone=') + 1) FROM pg_proc p, unnest(p.proconfig) c "
        f"WHERE p.oid = '{MY_SCHOOL_IDS}'::regprocedure AND strpos(c, 'TimeZone=') = 1").scalar()
    if not zone or "'" in zone:
        raise RuntimeError(f"migration 0073: unexpected time zone {zone!r} of {MY_SCHOOL_IDS}")
    return zone


def _replace(sql: str) -> None:
    zone = _zone()
    op.execute(sql)
    op.execute(f"ALTER FUNCTION {MY_SCHOOL_IDS} SET TimeZone = '{zone}'")


def upgrade() -> None:
    op.execute(TABLE_SQL)
    op.execute(TRIGGERS_SQL)
    _replace(NEW_FUNCTION)


def downgrade() -> None:
    _replace(OLD_FUNCTION)
    for t in KEPT:
        for suffix in ("ins", "upd", "del", "trunc"):
            op.execute(f"DROP TRIGGER keep_login_school_days_{suffix} ON {t}")
    op.execute("DROP FUNCTION compliance.keep_login_school_days()")
    op.execute("DROP FUNCTION compliance.login_school_days_of(text[])")
    op.execute("DROP TABLE compliance.login_school_days")
