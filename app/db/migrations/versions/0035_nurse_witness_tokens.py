"""Nurse office, session 6 (issue 11): the witness of a controlled-substance count is a staff member
who signs from their own session, and a sent-home visit records only today's early departure.

Witness tokens. Until now the witness of a count was a name the nurse typed (the desk checked the
second signer's password, the database stored a name): a nurse with psql could name anyone. Now:

- The witness signs in with their own sign-in (their own short connection) and calls
  health.sign_witness(kind, quantity, for_login, medication, student, school). It writes one row of
  health.witness_tokens AS THE WITNESS (their staff record, their login), bound to the count it
  witnesses: the counting nurse's login, the order (or, for a supply counted in with a new order, the
  student and school), the kind of entry and the quantity. It expires after ten minutes and is used once.
- A staff login's insert into health.controlled_counts must cite the token (witness_token); the
  trigger a_check_signer refuses a missing, unknown, expired or used token, a token signed for
  another login or for another count, and a token the nurse signed herself; it fills witness_staff_usi
  and the witness's name from the token and marks it used by this count (one count per token,
  also a unique index). This covers receipts, counts, sign-outs, returns and waste alike.
- Nobody but these functions reads or writes the tokens: no grants to the application roles except
  reading for the administrator (row-level security, audited).
- The witness must serve the order's school (or be an administrator) and be a staff member with a
  sign-in linked to their staff record.

Sent home. health.record_early_departure(visit) records the departure only for a visit of today:
the visit's time out and the moment it was written (health.visits.created_at, now set by the server
for every staff login, never by the client) both fall on today's date in the district's time zone
(the time zone the database had when this migration ran, pinned on the function: a nurse changing her
session's TimeZone does not move the day). A back-dated sent-home visit stays as a visit, but no
longer changes that past day's attendance.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03
"""
import re
from pathlib import Path

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

STAFF_ROLES = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
               "so_transportation", "so_registrar", "so_admin", "so_cafeteria_manager")

SQL = r"""
ALTER TABLE health.witness_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON health.witness_tokens FOR SELECT TO so_admin USING (true);
SELECT compliance.attach_audit('health.witness_tokens');
GRANT SELECT ON health.witness_tokens TO so_admin;

-- The witness, from their own session: a token bound to the one count they witness.
CREATE OR REPLACE FUNCTION health.sign_witness(p_kind text, p_quantity numeric, p_for_login text,
                                               p_medication_id bigint, p_student_usi integer, p_school_id bigint)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me integer := compliance.my_staff_usi();
    counter integer;
    med record;
    tok uuid;
BEGIN
    IF me IS NULL THEN
        RAISE EXCEPTION 'a witness signs with a sign-in linked to their own staff record' USING ERRCODE = '42501';
    END IF;
    SELECT st.staffusi INTO counter FROM edfi.staff st
     WHERE st.loginid = (lower(btrim(p_for_login)) COLLATE "default") ORDER BY st.staffusi LIMIT 1;
    IF counter IS NULL THEN
        RAISE EXCEPTION 'no staff member signs in as %', p_for_login USING ERRCODE = '22023';
    END IF;
    IF counter = me OR lower(btrim(p_for_login)) = lower(session_user::text) THEN
        RAISE EXCEPTION 'the witness must be someone other than the person counting' USING ERRCODE = '42501';
    END IF;
    IF p_kind IS NULL OR p_kind NOT IN ('received', 'counted', 'trip_out', 'trip_in', 'wasted') THEN
        RAISE EXCEPTION 'unknown kind of count entry %', p_kind USING ERRCODE = '22023';
    END IF;
    IF p_quantity IS NULL OR p_quantity < 0 THEN
        RAISE EXCEPTION 'a witnessed quantity is a number, zero or more' USING ERRCODE = '22023';
    END IF;
    IF p_medication_id IS NOT NULL THEN
        SELECT m.student_usi, m.school_id INTO med FROM health.medications m WHERE m.medication_id = p_medication_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no such medication order' USING ERRCODE = '22023';
        END IF;
        p_student_usi := med.student_usi;
        p_school_id := med.school_id;
    ELSIF p_kind <> 'received' OR p_student_usi IS NULL OR p_school_id IS NULL THEN
        RAISE EXCEPTION 'a witness signs for one order (or a supply counted in with a new order for a student)'
            USING ERRCODE = '22023';
    END IF;
    IF NOT (p_school_id = ANY (compliance.my_school_ids()) OR pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'a witness serves the school where the medication is kept' USING ERRCODE = '42501';
    END IF;
    INSERT INTO health.witness_tokens (witness_staff_usi, witness_login, for_login, school_id, student_usi,
                                       medication_id, kind, quantity, expires_at)
    VALUES (me, session_user::text, lower(btrim(p_for_login)), p_school_id, p_student_usi, p_medication_id, p_kind,
            p_quantity, now() + interval '10 minutes')
    RETURNING token INTO tok;
    RETURN tok;
END;
$$;
REVOKE ALL ON FUNCTION health.sign_witness(text, numeric, text, bigint, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION health.sign_witness(text, numeric, text, bigint, integer, bigint) TO {staff_roles};

-- Every count entry of a staff login cites a valid token of another staff member (replaces 0032's).
CREATE OR REPLACE FUNCTION health.check_count_signer() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me integer := compliance.my_staff_usi();
    tok health.witness_tokens%ROWTYPE;
BEGIN
    IF compliance.acting_as_staff() THEN
        IF me IS NULL OR NEW.counted_by IS DISTINCT FROM me THEN
            RAISE EXCEPTION 'a count is signed by the person counting: counted_by must be your own staff record'
                USING ERRCODE = '42501';
        END IF;
        IF NEW.counted_at > now() + interval '5 minutes' THEN
            RAISE EXCEPTION 'a count cannot be dated in the future' USING ERRCODE = '23514';
        END IF;
        IF NEW.witness_token IS NULL THEN
            RAISE EXCEPTION 'a count cites its witness''s token: the witness signs it from their own sign-in'
                USING ERRCODE = '42501';
        END IF;
        SELECT * INTO tok FROM health.witness_tokens t WHERE t.token = NEW.witness_token FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no witness signed this token' USING ERRCODE = '42501';
        END IF;
        IF tok.used_by_count_id IS NOT NULL THEN
            RAISE EXCEPTION 'this witness token was already used; the witness signs each count once'
                USING ERRCODE = '42501';
        END IF;
        IF tok.expires_at < now() THEN
            RAISE EXCEPTION 'this witness token has expired; the witness signs again' USING ERRCODE = '42501';
        END IF;
        IF tok.for_login <> lower(session_user::text) THEN
            RAISE EXCEPTION 'this witness token was signed for someone else''s count' USING ERRCODE = '42501';
        END IF;
        IF tok.witness_staff_usi = me THEN
            RAISE EXCEPTION 'the witness must be someone other than the person counting' USING ERRCODE = '42501';
        END IF;
        IF tok.kind <> NEW.kind OR tok.quantity <> NEW.quantity OR tok.student_usi <> NEW.student_usi
           OR tok.school_id <> NEW.school_id OR tok.medication_id <> NEW.medication_id THEN
            RAISE EXCEPTION 'the witness signed for a different count (%, %)', tok.kind, tok.quantity
                USING ERRCODE = '42501';
        END IF;
        NEW.witness_staff_usi := tok.witness_staff_usi;
        SELECT left(st.firstname || ' ' || st.lastsurname || ' (' || tok.witness_login || ')', 200) INTO NEW.witness
          FROM edfi.staff st WHERE st.staffusi = tok.witness_staff_usi;
        UPDATE health.witness_tokens SET used_by_count_id = NEW.count_id, used_at = now()
         WHERE token = tok.token;
    END IF;
    RETURN NEW;
END;
$$;

-- A visit's creation time is the server's for every staff login.
CREATE OR REPLACE FUNCTION health.stamp_visit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF compliance.acting_as_staff() THEN
            NEW.created_at := now();
        END IF;
    ELSE
        NEW.created_at := OLD.created_at;
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION health.stamp_visit() FROM PUBLIC;
CREATE TRIGGER stamp_visit BEFORE INSERT OR UPDATE ON health.visits
    FOR EACH ROW EXECUTE FUNCTION health.stamp_visit();

-- Sent home: today's early departure for a sent-home visit written today (replaces 0032's).
CREATE OR REPLACE FUNCTION health.record_early_departure(p_visit_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET TimeZone FROM CURRENT AS $$
DECLARE
    v record;
    ses record;
    cat integer;
    today date := (now() AT TIME ZONE current_setting('TimeZone'))::date;
    left_at timestamp;
BEGIN
    SELECT vi.student_usi, vi.school_id, vi.time_out, vi.disposition, vi.created_at INTO v
      FROM health.visits vi WHERE vi.visit_id = p_visit_id;
    IF NOT FOUND OR v.disposition IS DISTINCT FROM 'sent_home' OR v.time_out IS NULL
       OR NOT (v.school_id = ANY (compliance.my_school_ids())) THEN
        RAISE EXCEPTION 'an early departure is recorded only for a sent-home visit at a school you serve'
            USING ERRCODE = '42501';
    END IF;
    left_at := v.time_out AT TIME ZONE current_setting('TimeZone');
    IF left_at::date <> today OR (v.created_at AT TIME ZONE current_setting('TimeZone'))::date <> today
       OR v.time_out > now() + interval '5 minutes' THEN
        RAISE EXCEPTION 'an early departure is recorded only for today''s sent-home visit, written today (%)', today
            USING ERRCODE = '42501';
    END IF;
    SELECT s.schoolyear, s.sessionname INTO ses FROM edfi.session s
     WHERE s.schoolid = v.school_id AND today BETWEEN s.begindate AND s.enddate ORDER BY s.begindate DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is outside the school''s sessions', today USING ERRCODE = '22023';
    END IF;
    SELECT d.descriptorid INTO cat FROM edfi.descriptor d
     WHERE d.discriminator = 'edfi.AttendanceEventCategoryDescriptor' AND d.codevalue = 'Early departure'
     ORDER BY d.descriptorid LIMIT 1;
    UPDATE edfi.studentschoolattendanceevent SET attendanceeventcategorydescriptorid = cat,
           attendanceeventreason = 'Sent home by the health office (visit ' || p_visit_id || ')',
           departuretime = left_at::time(0), eventduration = 0.5, lastmodifieddate = now() AT TIME ZONE 'utc'
     WHERE studentusi = v.student_usi AND eventdate = today AND schoolid = v.school_id AND schoolyear = ses.schoolyear;
    IF NOT FOUND THEN
        INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid,
               schoolyear, sessionname, studentusi, attendanceeventreason, departuretime, eventduration)
        VALUES (cat, today, v.school_id, ses.schoolyear, ses.sessionname, v.student_usi,
                'Sent home by the health office (visit ' || p_visit_id || ')', left_at::time(0), 0.5);
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION health.record_early_departure(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION health.record_early_departure(bigint) TO so_nurse, so_admin;
"""


def upgrade() -> None:
    op.create_table(
        "witness_tokens",
        sa.Column("token", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False,
                  comment="The token the counting nurse's insert cites"),
        sa.Column("witness_staff_usi", sa.Integer(), nullable=False,
                  comment="The witness (StaffUSI), from the session that signed"),
        sa.Column("witness_login", sa.String(length=63), nullable=False, comment="The witness's sign-in"),
        sa.Column("for_login", sa.String(length=63), nullable=False, comment="The counting nurse's sign-in"),
        sa.Column("school_id", sa.BigInteger(), nullable=False, comment="School where the medication is kept"),
        sa.Column("student_usi", sa.Integer(), nullable=False, comment="Student of the order"),
        sa.Column("medication_id", sa.BigInteger(), nullable=True,
                  comment="The order; empty only for a supply counted in with a new order"),
        sa.Column("kind", sa.String(length=12), nullable=False, comment="received, counted, trip_out, trip_in, wasted"),
        sa.Column("quantity", sa.Numeric(precision=8, scale=2), nullable=False, comment="The quantity witnessed"),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("expires_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("used_by_count_id", sa.BigInteger(), nullable=True, comment="The count entry that cited it"),
        sa.Column("used_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["witness_staff_usi"], ["edfi.staff.staffusi"],
                                name=op.f("fk_witness_tokens_witness_staff_usi_staff")),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_witness_tokens")),
        schema="health",
        comment="A witness's signature for one controlled-substance count, written from the witness's own session; "
                "single use, expires in ten minutes",
    )
    op.add_column("controlled_counts", sa.Column("witness_staff_usi", sa.Integer(), nullable=True,
                                                 comment="The witness (StaffUSI), from their signed token"),
                  schema="health")
    op.add_column("controlled_counts", sa.Column("witness_token", sa.UUID(), nullable=True,
                                                 comment="The witness's token (health.witness_tokens) this entry cites"),
                  schema="health")
    op.create_foreign_key(op.f("fk_controlled_counts_witness_staff_usi_staff"), "controlled_counts", "staff",
                          ["witness_staff_usi"], ["staffusi"], source_schema="health", referent_schema="edfi")
    op.create_index("ux_controlled_counts_witness_token", "controlled_counts", ["witness_token"], unique=True,
                    schema="health")
    op.execute(SQL.replace("{staff_roles}", ", ".join(STAFF_ROLES)))


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS stamp_visit ON health.visits")
    op.execute("DROP FUNCTION IF EXISTS health.stamp_visit()")
    op.execute("DROP FUNCTION IF EXISTS health.sign_witness(text, numeric, text, bigint, integer, bigint)")
    op.drop_index("ux_controlled_counts_witness_token", table_name="controlled_counts", schema="health")
    op.drop_constraint(op.f("fk_controlled_counts_witness_staff_usi_staff"), "controlled_counts", schema="health",
                       type_="foreignkey")
    op.drop_column("controlled_counts", "witness_token", schema="health")
    op.drop_column("controlled_counts", "witness_staff_usi", schema="health")
    op.drop_table("witness_tokens", schema="health")
    op.execute(_previous_sql())  # 0032's check_count_signer and record_early_departure


def _previous_sql() -> str:
    """0032's functions (check_count_signer, record_early_departure), as 0032 wrote them."""
    src = Path(__file__).with_name("0032_nurse_database_checks.py").read_text(encoding="utf-8")
    found = re.findall(r"CREATE OR REPLACE FUNCTION health\.(?:check_count_signer|record_early_departure)\(.*?\n\$\$;",
                       src, flags=re.DOTALL)
    assert len(found) == 2
    return "\n".join(found)
