"""Nurse office, second review (issue 11): what the desk checks, the database checks too, so a nurse
with psql cannot do what the desk refuses.

- A count that does not match the count on record opens its discrepancy report in the database
  (an AFTER INSERT trigger on health.controlled_counts), not only in the desk's code.
- Who: for a staff login, a count entry's counted_by and a dose's given_by are the caller's own staff
  record (compliance.my_staff_usi()); a field-trip dose names a staff member the school's nurse
  delegated for field trips, in force that day. The witness must not be the counter (checked against
  the counter the database now vouches for). The witness is still a name, not a staff id.
- A dose entry is never dated in the future (five minutes' clock slack) and a dose given is never
  above the order's dose.
- Sent home: the nurse no longer writes attendance. health.record_early_departure(visit) records the
  day's early departure for the student of a sent-home visit at a school she serves, on the visit's day
  (the visit stays as the record of why), and nothing else.
- is_controlled cannot be changed on an order once created (by a staff login).
- compliance.log_record_views refuses a student the caller cannot see.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03
"""
from pathlib import Path

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

SQL = r"""
-- A staff login (not the schema owner loading demo data or a superuser running a migration).
CREATE OR REPLACE FUNCTION compliance.acting_as_staff() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT NOT (r.rolsuper OR r.oid = n.nspowner)
                       FROM pg_roles r, pg_namespace n WHERE r.rolname = session_user AND n.nspname = 'health'), true)
$$;
REVOKE ALL ON FUNCTION compliance.acting_as_staff() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION compliance.acting_as_staff() TO so_nurse, so_admin;

CREATE OR REPLACE FUNCTION health.check_count_signer() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me integer := compliance.my_staff_usi();
    my_name text;
BEGIN
    IF compliance.acting_as_staff() THEN
        IF me IS NULL OR NEW.counted_by IS DISTINCT FROM me THEN
            RAISE EXCEPTION 'a count is signed by the person counting: counted_by must be your own staff record'
                USING ERRCODE = '42501';
        END IF;
        SELECT st.firstname || ' ' || st.lastsurname INTO my_name FROM edfi.staff st WHERE st.staffusi = me;
        IF lower(btrim(NEW.witness)) IN (lower(session_user::text), lower(coalesce(my_name, ''))) THEN
            RAISE EXCEPTION 'the witness must be someone other than the person counting' USING ERRCODE = '23514';
        END IF;
        IF NEW.counted_at > now() + interval '5 minutes' THEN
            RAISE EXCEPTION 'a count cannot be dated in the future' USING ERRCODE = '23514';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
-- named so it runs before apply_count (triggers of one event run in name order)
CREATE TRIGGER a_check_signer BEFORE INSERT ON health.controlled_counts
    FOR EACH ROW EXECUTE FUNCTION health.check_count_signer();

CREATE OR REPLACE FUNCTION health.open_discrepancy() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.kind = 'counted' AND NEW.quantity IS DISTINCT FROM NEW.expected THEN
        INSERT INTO health.count_discrepancies (count_id, medication_id, student_usi, school_id, expected, counted,
                                               opened_at)
        VALUES (NEW.count_id, NEW.medication_id, NEW.student_usi, NEW.school_id, coalesce(NEW.expected, 0),
                NEW.quantity, NEW.counted_at);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER open_discrepancy AFTER INSERT ON health.controlled_counts
    FOR EACH ROW EXECUTE FUNCTION health.open_discrepancy();

CREATE OR REPLACE FUNCTION health.check_dose() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me integer := compliance.my_staff_usi();
    ordered numeric;
BEGIN
    SELECT m.dose_amount INTO ordered FROM health.medications m WHERE m.medication_id = NEW.medication_id;
    IF NEW.outcome = 'given' AND ordered IS NOT NULL AND NEW.dose_amount > ordered THEN
        RAISE EXCEPTION 'a dose given is no more than the order''s dose (%)', ordered USING ERRCODE = '23514';
    END IF;
    IF compliance.acting_as_staff() THEN
        IF NEW.administered_at > now() + interval '5 minutes' THEN
            RAISE EXCEPTION 'a dose cannot be recorded in the future' USING ERRCODE = '23514';
        END IF;
        IF NEW.trip_count_id IS NULL THEN
            IF me IS NULL OR NEW.given_by IS DISTINCT FROM me THEN
                RAISE EXCEPTION 'a dose is recorded by the person who gave it: given_by must be your own staff record'
                    USING ERRCODE = '42501';
            END IF;
        ELSIF NEW.given_by IS DISTINCT FROM me AND NOT EXISTS (
                SELECT 1 FROM health.medication_delegations d
                 WHERE d.staff_usi = NEW.given_by AND d.school_id = NEW.school_id
                   AND d.scope IN ('field_trips', 'all')
                   AND (NEW.administered_at)::date BETWEEN d.competency_checked_on AND d.expires_on
                   AND (d.revoked_on IS NULL OR d.revoked_on > (NEW.administered_at)::date)) THEN
            RAISE EXCEPTION 'a field-trip dose is given by a staff member delegated for field trips'
                USING ERRCODE = '42501';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER a_check_dose BEFORE INSERT ON health.medication_administrations
    FOR EACH ROW EXECUTE FUNCTION health.check_dose();

CREATE OR REPLACE FUNCTION health.keep_controlled() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.is_controlled IS DISTINCT FROM OLD.is_controlled AND compliance.acting_as_staff() THEN
        RAISE EXCEPTION 'whether an order is a controlled substance is fixed when it is written; stop the order '
                        'and write a new one' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER keep_controlled BEFORE UPDATE OF is_controlled ON health.medications
    FOR EACH ROW EXECUTE FUNCTION health.keep_controlled();

REVOKE ALL ON FUNCTION health.check_count_signer(), health.open_discrepancy(), health.check_dose(),
    health.keep_controlled() FROM PUBLIC;

-- Sent home: the day's early departure for the student of a sent-home visit, and nothing else.
REVOKE INSERT, UPDATE ON edfi.studentschoolattendanceevent FROM so_nurse;
CREATE OR REPLACE FUNCTION health.record_early_departure(p_visit_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v record;
    ses record;
    cat integer;
    day date;
BEGIN
    SELECT vi.student_usi, vi.school_id, vi.time_out, vi.disposition INTO v
      FROM health.visits vi WHERE vi.visit_id = p_visit_id;
    IF NOT FOUND OR v.disposition IS DISTINCT FROM 'sent_home' OR v.time_out IS NULL
       OR NOT (v.school_id = ANY (compliance.my_school_ids())) THEN
        RAISE EXCEPTION 'an early departure is recorded only for a sent-home visit at a school you serve'
            USING ERRCODE = '42501';
    END IF;
    day := (v.time_out AT TIME ZONE current_setting('TimeZone'))::date;
    IF day > current_date THEN
        RAISE EXCEPTION 'an early departure is not recorded ahead of the day' USING ERRCODE = '42501';
    END IF;
    SELECT s.schoolyear, s.sessionname INTO ses FROM edfi.session s
     WHERE s.schoolid = v.school_id AND day BETWEEN s.begindate AND s.enddate ORDER BY s.begindate DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is outside the school''s sessions', day USING ERRCODE = '22023';
    END IF;
    SELECT d.descriptorid INTO cat FROM edfi.descriptor d
     WHERE d.discriminator = 'edfi.AttendanceEventCategoryDescriptor' AND d.codevalue = 'Early departure'
     ORDER BY d.descriptorid LIMIT 1;
    UPDATE edfi.studentschoolattendanceevent SET attendanceeventcategorydescriptorid = cat,
           attendanceeventreason = 'Sent home by the health office (visit ' || p_visit_id || ')',
           departuretime = (v.time_out AT TIME ZONE current_setting('TimeZone'))::time(0), eventduration = 0.5,
           lastmodifieddate = now() AT TIME ZONE 'utc'
     WHERE studentusi = v.student_usi AND eventdate = day AND schoolid = v.school_id AND schoolyear = ses.schoolyear;
    IF NOT FOUND THEN
        INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid,
               schoolyear, sessionname, studentusi, attendanceeventreason, departuretime, eventduration)
        VALUES (cat, day, v.school_id, ses.schoolyear, ses.sessionname, v.student_usi,
                'Sent home by the health office (visit ' || p_visit_id || ')',
                (v.time_out AT TIME ZONE current_setting('TimeZone'))::time(0), 0.5);
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION health.record_early_departure(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION health.record_early_departure(bigint) TO so_nurse, so_admin;
"""


def _views_sql(checked: bool) -> str:
    """compliance.log_record_views as 0025 wrote it, refusing (checked) a student the caller cannot see."""
    src = Path(__file__).with_name("0025_nurse_review.py").read_text(encoding="utf-8")
    sql = src[src.index('VIEWS_SQL = r"""') + len('VIEWS_SQL = r"""'):]
    sql = sql[:sql.index('"""')]
    if checked:
        anchor = "    INSERT INTO compliance.audit_logs"
        sql = sql.replace(anchor, """    -- (as the students' row-level security scopes a school's staff; an administrator sees every student)
    IF NOT pg_has_role(session_user, 'so_admin', 'MEMBER') AND EXISTS (
            SELECT 1 FROM unnest(p_student_usis) x WHERE x IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = x
                   AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]))) THEN
        RAISE EXCEPTION 'a view is logged only for a student you can see' USING ERRCODE = '42501';
    END IF;
""" + anchor, 1)
    return sql


def upgrade() -> None:
    op.execute(SQL)
    op.execute(_views_sql(True))


def downgrade() -> None:
    op.execute(_views_sql(False))
    op.execute("DROP FUNCTION IF EXISTS health.record_early_departure(bigint)")
    op.execute("GRANT INSERT, UPDATE ON edfi.studentschoolattendanceevent TO so_nurse")
    op.execute("DROP TRIGGER IF EXISTS keep_controlled ON health.medications")
    op.execute("DROP TRIGGER IF EXISTS a_check_dose ON health.medication_administrations")
    op.execute("DROP TRIGGER IF EXISTS open_discrepancy ON health.controlled_counts")
    op.execute("DROP TRIGGER IF EXISTS a_check_signer ON health.controlled_counts")
    op.execute("DROP FUNCTION IF EXISTS health.keep_controlled(), health.check_dose(), health.open_discrepancy(), "
               "health.check_count_signer(), compliance.acting_as_staff()")
