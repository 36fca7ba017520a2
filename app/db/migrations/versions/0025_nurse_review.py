"""Nurse office, after review (issue 11):

- Every view of a health record is logged with its reason, lists too: compliance.log_record_views
  writes one view entry per student of a list (the visit list, medications due, printouts) in one call.
- A count on hand changes only through a witnessed count entry or a dose: no application role may
  write health.medications.count_on_hand (column privileges); a count entry's expected and after
  figures are worked out by the database from the count on record (so a count that does not add up
  cannot be written), and the witness must be someone other than the counter.
- A dose given on a field trip is in the administration log, pointing at the return count that
  settled it (it is not taken off the count again: the sign-out did that).
- The administration trigger checks that an entry's order belongs to the entry's student and school.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

MEDICATION_COLUMNS = (
    "student_usi", "medication_name", "dosage", "frequency", "start_date", "end_date", "prescribed_by",
    "administration_instructions", "is_active", "created_at", "school_id", "strength", "form", "dose_amount",
    "dose_unit", "route", "schedule_times", "as_needed", "min_interval_minutes", "parent_consent_on", "is_controlled",
    "refill_threshold", "expires_on")  # every column but medication_id and count_on_hand

VIEWS_SQL = r"""
CREATE OR REPLACE FUNCTION compliance.log_record_views(p_student_usis integer[], p_record_type text,
                                                       p_justification text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    IF p_record_type NOT IN ('health', 'discipline', 'specialed') THEN
        RAISE EXCEPTION '% is not a sensitive record type', p_record_type USING ERRCODE = '22023';
    END IF;
    IF coalesce(length(btrim(p_justification)), 0) = 0 THEN
        RAISE EXCEPTION 'a view is logged with its reason' USING ERRCODE = '22023';
    END IF;
    INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, record_id,
                                       operation, legitimate_educational_interest, justification, data_categories,
                                       user_agent)
    SELECT session_user,
           nullif(current_setting('school_office.app_user', true), ''),
           nullif(current_setting('school_office.workstation', true), ''),
           nullif(current_setting('school_office.session_id', true), ''),
           'edfi.student', jsonb_build_object('studentusi', u.usi)::text, 'VIEW', true,
           left(btrim(p_justification), 500), ARRAY[p_record_type],
           nullif(current_setting('application_name', true), '')
      FROM (SELECT DISTINCT x AS usi FROM unnest(p_student_usis) x WHERE x IS NOT NULL) u;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
REVOKE ALL ON FUNCTION compliance.log_record_views(integer[], text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION compliance.log_record_views(integer[], text, text) TO so_nurse, so_admin;
"""

COUNTS_SQL = r"""
-- The count on hand: no application role writes it; the count entries and doses below do.
REVOKE INSERT, UPDATE ON health.medications FROM so_nurse, so_admin;
GRANT INSERT ({cols}), UPDATE ({cols}) ON health.medications TO so_nurse, so_admin;

-- A count entry: the database works out what was expected and what is on hand after it from the
-- count on record (locked), so what the entry says always adds up; the order's count follows.
CREATE OR REPLACE FUNCTION health.apply_count() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    med record;
    on_record numeric;
    counter text;
BEGIN
    SELECT m.student_usi, m.school_id, m.is_controlled, m.count_on_hand INTO med
      FROM health.medications m WHERE m.medication_id = NEW.medication_id FOR UPDATE;
    IF NOT FOUND OR med.student_usi <> NEW.student_usi OR med.school_id IS DISTINCT FROM NEW.school_id THEN
        RAISE EXCEPTION 'a count entry must name its order''s student and school' USING ERRCODE = '23514';
    END IF;
    IF NEW.kind <> 'received' AND NOT med.is_controlled THEN
        RAISE EXCEPTION 'only a controlled substance is counted, signed out or returned' USING ERRCODE = '23514';
    END IF;
    SELECT st.firstname || ' ' || st.lastsurname INTO counter FROM edfi.staff st WHERE st.staffusi = NEW.counted_by;
    IF counter IS NOT NULL AND lower(btrim(NEW.witness)) LIKE lower(counter) || '%' THEN
        RAISE EXCEPTION 'the witness must be someone other than the person counting' USING ERRCODE = '23514';
    END IF;
    on_record := coalesce(med.count_on_hand, 0);
    IF NEW.kind = 'received' THEN
        NEW.expected := on_record;
        NEW.on_hand_after := on_record + NEW.quantity;
    ELSIF NEW.kind = 'counted' THEN
        NEW.expected := on_record;
        NEW.on_hand_after := NEW.quantity;
    ELSIF NEW.kind IN ('trip_out', 'wasted') THEN
        IF NEW.quantity > on_record THEN
            RAISE EXCEPTION 'only % is on hand' , on_record USING ERRCODE = '23514';
        END IF;
        NEW.expected := on_record;
        NEW.on_hand_after := on_record - NEW.quantity;
    ELSE  -- trip_in: expected is what it settles of the doses signed out; what came back is added
        IF NEW.expected IS NULL OR NEW.expected <= 0 OR NEW.expected > (
                SELECT coalesce(sum(CASE c.kind WHEN 'trip_out' THEN c.quantity WHEN 'trip_in' THEN -c.expected END), 0)
                  FROM health.controlled_counts c WHERE c.medication_id = NEW.medication_id)
           OR NEW.quantity > NEW.expected THEN
            RAISE EXCEPTION 'a return settles no more than was signed out' USING ERRCODE = '23514';
        END IF;
        NEW.on_hand_after := on_record + NEW.quantity;
    END IF;
    UPDATE health.medications SET count_on_hand = NEW.on_hand_after WHERE medication_id = NEW.medication_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER apply_count BEFORE INSERT ON health.controlled_counts
    FOR EACH ROW EXECUTE FUNCTION health.apply_count();

-- A dose given lowers the order's count on hand (a field-trip dose does not: its sign-out did);
-- voiding a dose puts it back. The order must be the entry's student's, at the entry's school.
CREATE OR REPLACE FUNCTION health.apply_administration() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    old_entry health.medication_administrations%ROWTYPE;
    med record;
BEGIN
    SELECT m.student_usi, m.school_id INTO med FROM health.medications m WHERE m.medication_id = NEW.medication_id;
    IF NOT FOUND OR med.student_usi <> NEW.student_usi OR med.school_id IS DISTINCT FROM NEW.school_id THEN
        RAISE EXCEPTION 'an administration entry must name its order''s student and school' USING ERRCODE = '23514';
    END IF;
    IF NEW.trip_count_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM health.controlled_counts c WHERE c.count_id = NEW.trip_count_id
               AND c.medication_id = NEW.medication_id AND c.kind = 'trip_in') THEN
        RAISE EXCEPTION 'a field-trip dose points at the return of the same order' USING ERRCODE = '23514';
    END IF;
    IF NEW.corrects_id IS NOT NULL THEN
        SELECT * INTO old_entry FROM health.medication_administrations WHERE administration_id = NEW.corrects_id;
        IF NOT FOUND OR old_entry.medication_id <> NEW.medication_id OR old_entry.student_usi <> NEW.student_usi THEN
            RAISE EXCEPTION 'a correction must point at an entry of the same order' USING ERRCODE = '23514';
        END IF;
        IF old_entry.outcome = 'given' AND old_entry.trip_count_id IS NULL THEN
            UPDATE health.medications SET count_on_hand = count_on_hand + old_entry.dose_amount
             WHERE medication_id = NEW.medication_id AND count_on_hand IS NOT NULL;
        END IF;
    END IF;
    IF NEW.outcome = 'given' AND NEW.trip_count_id IS NULL THEN
        UPDATE health.medications SET count_on_hand = count_on_hand - NEW.dose_amount
         WHERE medication_id = NEW.medication_id AND count_on_hand IS NOT NULL;
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION health.apply_count(), health.apply_administration() FROM PUBLIC;
""".format(cols=", ".join(MEDICATION_COLUMNS))


def upgrade() -> None:
    op.add_column("medication_administrations", sa.Column(
        "trip_count_id", sa.BigInteger(), nullable=True,
        comment="A dose given on a field trip: the return count that settled it (the sign-out already took it off "
                "the count on hand)"), schema="health")
    op.create_foreign_key(op.f("fk_medication_administrations_trip_count_id_controlled_counts"),
                          "medication_administrations", "controlled_counts", ["trip_count_id"], ["count_id"],
                          source_schema="health", referent_schema="health")
    op.execute(VIEWS_SQL)
    op.execute(COUNTS_SQL)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS apply_count ON health.controlled_counts")
    op.execute("DROP FUNCTION IF EXISTS health.apply_count()")
    op.execute("DROP FUNCTION IF EXISTS compliance.log_record_views(integer[], text, text)")
    op.execute("GRANT INSERT, UPDATE ON health.medications TO so_nurse, so_admin")
    op.drop_constraint(op.f("fk_medication_administrations_trip_count_id_controlled_counts"),
                       "medication_administrations", schema="health")
    op.drop_column("medication_administrations", "trip_count_id", schema="health")
    # the administration trigger of 0011 comes back as it was there (read from that migration's file)
    from pathlib import Path

    sql = (Path(__file__).with_name("0011_nurse_office.py")).read_text(encoding="utf-8")
    start = sql.index("CREATE OR REPLACE FUNCTION health.apply_administration()")
    op.execute(sql[start:sql.index("CREATE TRIGGER apply_administration")])
