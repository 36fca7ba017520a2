"""Nurse office (issue 11): visits, the medication administration record, controlled-substance
counts, self-carry authorizations, emergency action plans, screenings and referrals, immunization
records with CVX codes, exemptions and provisional enrollment.

- health.medications gains what a medication administration record needs; health.immunizations
  gains CVX/MVX codes and the record's source.
- The administration log and the controlled-substance counts are append-only for every
  application role: no UPDATE or DELETE is granted, and a trigger refuses both anyway. A
  correction is a new entry pointing at the one it corrects (once); a dose given lowers the
  order's count on hand in the same statement, a voided one puts it back.
- A discrepancy report keeps what was expected and counted; only its closing fields change, and
  it cannot be closed without a note.
- Row-level security as everywhere (0007): a nurse reads the students of the schools she serves and
  writes rows only for her own schools; teachers (their sections), cashiers, bus staff and the
  front office read emergency action plans and nothing else of these tables.
- The nurse records an early departure in attendance when she sends a student home.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


NEW_TABLES = ("visits", "medication_administrations", "controlled_counts", "count_discrepancies",
              "self_carry_authorizations", "emergency_action_plans", "screenings", "referrals",
              "immunization_exemptions", "provisional_enrollments")
WITH_SCHOOL = ("visits", "medication_administrations", "controlled_counts", "count_discrepancies", "screenings",
               "referrals", "provisional_enrollments")
MINE = "((SELECT compliance.my_school_ids())::bigint[])"
SCOPED = ("EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = {t}.student_usi "
          "AND sc.schoolid = ANY " + MINE + " OFFSET 0)")
TAUGHT = ("EXISTS (SELECT 1 FROM compliance.teacher_scope ts WHERE ts.studentusi = {t}.student_usi "
          "AND ts.staffusi = (SELECT compliance.my_staff_usi()))")


def _policies_sql() -> str:
    out = []
    for t in NEW_TABLES:
        scoped = SCOPED.format(t=t)
        check = f"{scoped} AND school_id = ANY {MINE}" if t in WITH_SCHOOL else scoped
        out += [
            f"ALTER TABLE health.{t} ENABLE ROW LEVEL SECURITY;",
            f"CREATE POLICY administrators ON health.{t} FOR ALL TO so_admin USING (true) WITH CHECK (true);",
            # the grants below decide which of these roles reach the table at all
            f"CREATE POLICY own_schools ON health.{t} FOR ALL TO so_nurse, so_front_office, so_cashier, "
            f"so_transportation USING ({scoped}) WITH CHECK ({check});",
            f"CREATE POLICY own_sections ON health.{t} FOR SELECT TO so_teacher USING ({TAUGHT.format(t=t)});",
            f"SELECT compliance.attach_audit('health.{t}');",
        ]
    return "\n".join(out)


# Append-only: what the administration log and the counts say happened stays said.
APPEND_ONLY_SQL = r"""
CREATE OR REPLACE FUNCTION health.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: record a correction that points at entry instead', TG_TABLE_NAME
        USING ERRCODE = '42501';
END;
$$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON health.medication_administrations
    FOR EACH ROW EXECUTE FUNCTION health.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON health.medication_administrations
    FOR EACH STATEMENT EXECUTE FUNCTION health.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON health.controlled_counts
    FOR EACH ROW EXECUTE FUNCTION health.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON health.controlled_counts
    FOR EACH STATEMENT EXECUTE FUNCTION health.refuse_change();

-- A correction names an entry of the same order and student; a dose given lowers the order's
-- count on hand, voiding it puts the dose back (in the same statement, so never lost or doubled).
CREATE OR REPLACE FUNCTION health.apply_administration() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    old_entry health.medication_administrations%ROWTYPE;
BEGIN
    IF NEW.corrects_id IS NOT NULL THEN
        SELECT * INTO old_entry FROM health.medication_administrations WHERE administration_id = NEW.corrects_id;
        IF NOT FOUND OR old_entry.medication_id <> NEW.medication_id OR old_entry.student_usi <> NEW.student_usi THEN
            RAISE EXCEPTION 'a correction must point at an entry of the same order' USING ERRCODE = '23514';
        END IF;
        IF old_entry.outcome = 'given' THEN
            UPDATE health.medications SET count_on_hand = count_on_hand + old_entry.dose_amount
             WHERE medication_id = NEW.medication_id AND count_on_hand IS NOT NULL;
        END IF;
    END IF;
    IF NEW.outcome = 'given' THEN
        UPDATE health.medications SET count_on_hand = count_on_hand - NEW.dose_amount
         WHERE medication_id = NEW.medication_id AND count_on_hand IS NOT NULL;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER apply_administration BEFORE INSERT ON health.medication_administrations
    FOR EACH ROW EXECUTE FUNCTION health.apply_administration();

-- A discrepancy report: what was expected and counted never changes; it closes once, with a note.
CREATE OR REPLACE FUNCTION health.guard_discrepancy() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a discrepancy report is never deleted; close it with a note' USING ERRCODE = '42501';
    END IF;
    IF (NEW.count_id, NEW.medication_id, NEW.student_usi, NEW.school_id, NEW.expected, NEW.counted, NEW.opened_at)
       IS DISTINCT FROM (OLD.count_id, OLD.medication_id, OLD.student_usi, OLD.school_id, OLD.expected, OLD.counted,
                         OLD.opened_at) OR OLD.closed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a discrepancy report only closes, once, with a note' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER guard_discrepancy BEFORE UPDATE OR DELETE ON health.count_discrepancies
    FOR EACH ROW EXECUTE FUNCTION health.guard_discrepancy();
REVOKE ALL ON FUNCTION health.refuse_change(), health.apply_administration(), health.guard_discrepancy() FROM PUBLIC;
"""

GRANTS_SQL = """
GRANT SELECT, INSERT, UPDATE ON health.visits, health.self_carry_authorizations, health.emergency_action_plans,
    health.screenings, health.referrals, health.immunization_exemptions, health.provisional_enrollments,
    health.count_discrepancies TO so_nurse, so_admin;
GRANT SELECT, INSERT ON health.medication_administrations, health.controlled_counts TO so_nurse;
GRANT SELECT ON health.medication_administrations, health.controlled_counts TO so_admin;
GRANT SELECT ON health.emergency_action_plans TO so_teacher, so_cashier, so_transportation, so_front_office;
GRANT SELECT, INSERT, UPDATE, DELETE ON health.screening_schedule TO so_nurse, so_admin;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA health TO so_nurse, so_admin;
-- sending a student home records an early departure for the rest of the day
GRANT SELECT, INSERT, UPDATE ON edfi.studentschoolattendanceevent TO so_nurse;
"""


def upgrade() -> None:
    op.create_table('screening_schedule',
    sa.Column('screening_type', sa.String(length=20), autoincrement=False, nullable=False, comment='vision, hearing, scoliosis, bmi'),
    sa.Column('grade_level', sa.String(length=60), autoincrement=False, nullable=False, comment='Grade level code value (Ed-Fi GradeLevelDescriptor)'),
    sa.Column('sex', sa.String(length=10), autoincrement=False, nullable=True, comment='Only this sex (scoliosis in some states); NULL for all'),
    sa.CheckConstraint("screening_type IN ('vision', 'hearing', 'scoliosis', 'bmi')", name=op.f('ck_screening_schedule_screening_type_known')),
    sa.PrimaryKeyConstraint('screening_type', 'grade_level', name=op.f('pk_screening_schedule')),
    schema='health',
    comment='Which grades each screening is given to: data, changed per state rule'
    )
    op.create_table('emergency_action_plans',
    sa.Column('plan_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique plan ID'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('plan_type', sa.String(length=20), autoincrement=False, nullable=False, comment='allergy, asthma, diabetes, seizure, other'),
    sa.Column('condition', sa.String(length=200), autoincrement=False, nullable=False, comment='e.g. Peanut allergy (anaphylaxis)'),
    sa.Column('signs', sa.Text(), autoincrement=False, nullable=False, comment='Signs of an emergency'),
    sa.Column('actions', sa.Text(), autoincrement=False, nullable=False, comment='Steps, in order'),
    sa.Column('medications', sa.Text(), autoincrement=False, nullable=True, comment='Emergency medication, dose and where it is kept'),
    sa.Column('physician', sa.String(length=200), autoincrement=False, nullable=True, comment='Physician'),
    sa.Column('physician_phone', sa.String(length=40), autoincrement=False, nullable=True, comment="Physician's phone"),
    sa.Column('effective_on', sa.Date(), autoincrement=False, nullable=False, comment='Plan signed'),
    sa.Column('review_on', sa.Date(), autoincrement=False, nullable=True, comment='Plan to be reviewed by'),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('TRUE'), autoincrement=False, nullable=False),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("plan_type IN ('allergy', 'asthma', 'diabetes', 'seizure', 'other')", name=op.f('ck_emergency_action_plans_plan_type_known')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_emergency_action_plans_student_usi_student')),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_emergency_action_plans')),
    schema='health',
    comment='Emergency action plans (allergy, asthma, diabetes, seizure): what staff with the student must do'
    )
    op.create_index('ix_emergency_action_plans_student', 'emergency_action_plans', ['student_usi'], unique=False, schema='health')
    op.create_table('immunization_exemptions',
    sa.Column('exemption_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique exemption ID'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('vaccine_group', sa.String(length=40), autoincrement=False, nullable=True, comment='CDSi vaccine group (e.g. MMR, DTaP/Tdap/Td); NULL for every vaccine'),
    sa.Column('exemption_type', sa.String(length=20), autoincrement=False, nullable=False, comment='medical, religious, personal, immunity'),
    sa.Column('granted_on', sa.Date(), autoincrement=False, nullable=False, comment='Date the exemption was signed'),
    sa.Column('expires_on', sa.Date(), autoincrement=False, nullable=True, comment='Date it ends (temporary medical exemptions); NULL for none'),
    sa.Column('signed_by', sa.String(length=200), autoincrement=False, nullable=True, comment='Physician or parent who signed'),
    sa.Column('note', sa.Text(), autoincrement=False, nullable=True, comment='Titer result, contraindication, ...'),
    sa.Column('revoked_on', sa.Date(), autoincrement=False, nullable=True, comment='Withdrawn before it expired'),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("exemption_type IN ('medical', 'religious', 'personal', 'immunity')", name=op.f('ck_immunization_exemptions_exemption_type_known')),
    sa.CheckConstraint('expires_on IS NULL OR expires_on > granted_on', name=op.f('ck_immunization_exemptions_expires_after_granted')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_immunization_exemptions_student_usi_student')),
    sa.PrimaryKeyConstraint('exemption_id', name=op.f('pk_immunization_exemptions')),
    schema='health',
    comment='Immunization exemptions: medical, religious, personal belief, laboratory evidence of immunity'
    )
    op.create_index('ix_immunization_exemptions_student', 'immunization_exemptions', ['student_usi'], unique=False, schema='health')
    op.create_table('provisional_enrollments',
    sa.Column('provisional_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique ID'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='School'),
    sa.Column('vaccine_groups', postgresql.ARRAY(sa.Text()), autoincrement=False, nullable=True, comment='CDSi vaccine groups being caught up; NULL for all that are short'),
    sa.Column('starts_on', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('deadline', sa.Date(), autoincrement=False, nullable=False, comment='Doses due by this date, or the student is excluded'),
    sa.Column('note', sa.Text(), autoincrement=False, nullable=True),
    sa.Column('closed_on', sa.Date(), autoincrement=False, nullable=True, comment='Caught up, or excluded'),
    sa.Column('closed_reason', sa.String(length=20), autoincrement=False, nullable=True, comment='caught_up, excluded, withdrawn'),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("closed_reason IS NULL OR closed_reason IN ('caught_up', 'excluded', 'withdrawn')", name=op.f('ck_provisional_enrollments_closed_reason_known')),
    sa.CheckConstraint('deadline > starts_on', name=op.f('ck_provisional_enrollments_deadline_after_start')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_provisional_enrollments_student_usi_student')),
    sa.PrimaryKeyConstraint('provisional_id', name=op.f('pk_provisional_enrollments')),
    schema='health',
    comment='Provisional enrollment: a student may attend while catching up on immunizations, until a deadline'
    )
    op.create_index('ix_provisional_enrollments_student', 'provisional_enrollments', ['student_usi'], unique=False, schema='health')
    op.create_table('screenings',
    sa.Column('screening_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique screening ID'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='School'),
    sa.Column('screening_type', sa.String(length=20), autoincrement=False, nullable=False, comment='vision, hearing, scoliosis, bmi'),
    sa.Column('screened_on', sa.Date(), autoincrement=False, nullable=False, comment='Date screened'),
    sa.Column('result', sa.String(length=10), autoincrement=False, nullable=False, comment='pass, fail, absent, refused'),
    sa.Column('measures', postgresql.JSONB(astext_type=sa.Text()), autoincrement=False, nullable=True, comment='Acuity per eye, hearing per ear, height_cm, weight_kg, bmi'),
    sa.Column('screened_by', sa.Integer(), autoincrement=False, nullable=True, comment='Staff member (StaffUSI)'),
    sa.Column('note', sa.Text(), autoincrement=False, nullable=True),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("result IN ('pass', 'fail', 'absent', 'refused')", name=op.f('ck_screenings_result_known')),
    sa.CheckConstraint("screening_type IN ('vision', 'hearing', 'scoliosis', 'bmi')", name=op.f('ck_screenings_screening_type_known')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_screenings_student_usi_student')),
    sa.PrimaryKeyConstraint('screening_id', name=op.f('pk_screenings')),
    schema='health',
    comment='Screening results: vision, hearing, scoliosis, height/weight/BMI'
    )
    op.create_index('ix_screenings_student', 'screenings', ['student_usi', 'screened_on'], unique=False, schema='health')
    op.create_table('controlled_counts',
    sa.Column('count_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique count ID'),
    sa.Column('medication_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='The order (health.medications)'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='School where the medication is kept'),
    sa.Column('kind', sa.String(length=12), autoincrement=False, nullable=False, comment='received, counted, trip_out, trip_in, wasted'),
    sa.Column('quantity', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=False, comment='Units received / counted / signed out / returned / wasted'),
    sa.Column('expected', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=True, comment='Count on hand the record expected before this entry'),
    sa.Column('on_hand_after', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=False, comment='Count on hand after this entry'),
    sa.Column('counted_by', sa.Integer(), autoincrement=False, nullable=False, comment='Staff member (StaffUSI) who counted'),
    sa.Column('witness', sa.String(length=200), autoincrement=False, nullable=False, comment="Second signer: the witness's name"),
    sa.Column('note', sa.Text(), autoincrement=False, nullable=True, comment='Trip name, pharmacy, or what the count found'),
    sa.Column('counted_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("kind IN ('received', 'counted', 'trip_out', 'trip_in', 'wasted')", name=op.f('ck_controlled_counts_kind_known')),
    sa.CheckConstraint('length(btrim(witness)) > 0', name=op.f('ck_controlled_counts_has_witness')),
    sa.CheckConstraint('quantity >= 0 AND on_hand_after >= 0', name=op.f('ck_controlled_counts_not_negative')),
    sa.ForeignKeyConstraint(['medication_id'], ['health.medications.medication_id'], name=op.f('fk_controlled_counts_medication_id_medications')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_controlled_counts_student_usi_student')),
    sa.PrimaryKeyConstraint('count_id', name=op.f('pk_controlled_counts')),
    schema='health',
    comment='Controlled-substance counts: receipt, periodic count, field-trip sign-out and return, each with a second signer; append-only'
    )
    op.create_index('ix_controlled_counts_medication', 'controlled_counts', ['medication_id', 'counted_at'], unique=False, schema='health')
    op.create_table('medication_administrations',
    sa.Column('administration_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique entry ID'),
    sa.Column('medication_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='The order (health.medications)'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='School where the dose was due or given'),
    sa.Column('outcome', sa.String(length=12), autoincrement=False, nullable=False, comment='given, refused, missed, absent, voided (a correction that undoes)'),
    sa.Column('scheduled_for', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True, comment='The scheduled time the entry answers; NULL for an as-needed dose'),
    sa.Column('administered_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=False, comment='When it was given (or refused, or found missed)'),
    sa.Column('dose_amount', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=True, comment="Amount given, in the order's dose unit"),
    sa.Column('given_by', sa.Integer(), autoincrement=False, nullable=False, comment='Staff member (StaffUSI) who gave it or recorded it'),
    sa.Column('override_reason', sa.Text(), autoincrement=False, nullable=True, comment='Why an as-needed dose was given inside its minimum interval'),
    sa.Column('note', sa.Text(), autoincrement=False, nullable=True, comment='Anything the next nurse should know'),
    sa.Column('corrects_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='The entry this one corrects'),
    sa.Column('request_id', sa.UUID(), autoincrement=False, nullable=True, comment="The form's request id: a repeated submit finds this entry"),
    sa.Column('recorded_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False, comment='When the entry was written'),
    sa.CheckConstraint("corrects_id IS NULL OR length(btrim(coalesce(note, ''))) > 0", name=op.f('ck_medication_administrations_correction_has_note')),
    sa.CheckConstraint("outcome <> 'given' OR dose_amount > 0", name=op.f('ck_medication_administrations_given_has_dose')),
    sa.CheckConstraint("outcome <> 'voided' OR corrects_id IS NOT NULL", name=op.f('ck_medication_administrations_void_corrects')),
    sa.CheckConstraint("outcome IN ('given', 'refused', 'missed', 'absent', 'voided')", name=op.f('ck_medication_administrations_outcome_known')),
    sa.ForeignKeyConstraint(['corrects_id'], ['health.medication_administrations.administration_id'], name=op.f('fk_medication_administrations_corrects_id_medication_administrations')),
    sa.ForeignKeyConstraint(['medication_id'], ['health.medications.medication_id'], name=op.f('fk_medication_administrations_medication_id_medications')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_medication_administrations_student_usi_student')),
    sa.PrimaryKeyConstraint('administration_id', name=op.f('pk_medication_administrations')),
    schema='health',
    comment='Medication administration log: one row per dose given, refused, missed or not given (student absent); append-only, a correction is a new row pointing at the one it corrects'
    )
    op.create_index('ix_medication_administrations_medication', 'medication_administrations', ['medication_id', 'administered_at'], unique=False, schema='health')
    op.create_index('ix_medication_administrations_school_day', 'medication_administrations', ['school_id', 'administered_at'], unique=False, schema='health')
    op.create_index('ux_medication_administrations_corrects', 'medication_administrations', ['corrects_id'], unique=True, schema='health')
    op.create_index('ux_medication_administrations_request_id', 'medication_administrations', ['request_id'], unique=True, schema='health')
    op.create_table('self_carry_authorizations',
    sa.Column('authorization_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique authorization ID'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('medication_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='The order, when the office also holds one'),
    sa.Column('medication_name', sa.String(length=200), autoincrement=False, nullable=False, comment='What the student carries'),
    sa.Column('device', sa.String(length=20), autoincrement=False, nullable=False, comment='inhaler, epinephrine, insulin, other'),
    sa.Column('prescriber', sa.String(length=200), autoincrement=False, nullable=False, comment='Prescriber who signed'),
    sa.Column('prescriber_signed_on', sa.Date(), autoincrement=False, nullable=False, comment='Prescriber sign-off date'),
    sa.Column('parent_signed_on', sa.Date(), autoincrement=False, nullable=False, comment='Parent sign-off date'),
    sa.Column('competency_shown_on', sa.Date(), autoincrement=False, nullable=True, comment='Student showed the nurse they can use it'),
    sa.Column('competency_checked_by', sa.Integer(), autoincrement=False, nullable=True, comment='Nurse (StaffUSI) who watched'),
    sa.Column('expires_on', sa.Date(), autoincrement=False, nullable=False, comment='Authorization ends (usually the end of the school year)'),
    sa.Column('revoked_on', sa.Date(), autoincrement=False, nullable=True, comment='Withdrawn early'),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("device IN ('inhaler', 'epinephrine', 'insulin', 'other')", name=op.f('ck_self_carry_authorizations_device_known')),
    sa.CheckConstraint('expires_on > prescriber_signed_on', name=op.f('ck_self_carry_authorizations_expires_after_signed')),
    sa.ForeignKeyConstraint(['medication_id'], ['health.medications.medication_id'], name=op.f('fk_self_carry_authorizations_medication_id_medications')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_self_carry_authorizations_student_usi_student')),
    sa.PrimaryKeyConstraint('authorization_id', name=op.f('pk_self_carry_authorizations')),
    schema='health',
    comment='Permission for a student to carry and use their own medication (inhaler, epinephrine, insulin)'
    )
    op.create_table('count_discrepancies',
    sa.Column('discrepancy_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique report ID'),
    sa.Column('count_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='The count that found it'),
    sa.Column('medication_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='The order'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='School'),
    sa.Column('expected', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=False, comment='What the record said'),
    sa.Column('counted', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=False, comment='What was counted'),
    sa.Column('opened_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('closed_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True, comment='When the report was closed'),
    sa.Column('closed_by', sa.Integer(), autoincrement=False, nullable=True, comment='Staff member (StaffUSI) who closed it'),
    sa.Column('resolution_note', sa.Text(), autoincrement=False, nullable=True, comment='What was found and done'),
    sa.CheckConstraint("closed_at IS NULL OR (closed_by IS NOT NULL AND length(btrim(coalesce(resolution_note, ''))) > 0)", name=op.f('ck_count_discrepancies_closed_with_note')),
    sa.ForeignKeyConstraint(['count_id'], ['health.controlled_counts.count_id'], name=op.f('fk_count_discrepancies_count_id_controlled_counts')),
    sa.ForeignKeyConstraint(['medication_id'], ['health.medications.medication_id'], name=op.f('fk_count_discrepancies_medication_id_medications')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_count_discrepancies_student_usi_student')),
    sa.PrimaryKeyConstraint('discrepancy_id', name=op.f('pk_count_discrepancies')),
    schema='health',
    comment='A controlled-substance count that did not match the record; cannot be closed without a note'
    )
    op.create_table('visits',
    sa.Column('visit_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique visit ID'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='School whose health office saw the student'),
    sa.Column('time_in', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=False, comment='Signed in at the health office'),
    sa.Column('time_out', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True, comment='Left the health office'),
    sa.Column('complaint', sa.String(length=40), autoincrement=False, nullable=False, comment='Short-list complaint (headache, stomach ache, injury, ...)'),
    sa.Column('complaint_text', sa.Text(), autoincrement=False, nullable=True, comment="The complaint in the student's or nurse's words"),
    sa.Column('assessment', sa.Text(), autoincrement=False, nullable=True, comment='What the nurse found (temperature, observations)'),
    sa.Column('treatment', sa.Text(), autoincrement=False, nullable=True, comment='What the nurse did'),
    sa.Column('disposition', sa.String(length=30), autoincrement=False, nullable=True, comment='returned_to_class, rested_returned, parent_contacted, sent_home, referred, called_911; NULL while the student is waiting'),
    sa.Column('temperature_f', sa.Numeric(precision=4, scale=1), autoincrement=False, nullable=True, comment='Temperature in degrees Fahrenheit, if taken'),
    sa.Column('via_kiosk', sa.Boolean(), server_default=sa.text('FALSE'), autoincrement=False, nullable=False, comment='Signed in at the health-office kiosk'),
    sa.Column('seen_by', sa.Integer(), autoincrement=False, nullable=True, comment='Staff member (StaffUSI) who saw the student'),
    sa.Column('request_id', sa.UUID(), autoincrement=False, nullable=True, comment="The form's request id: a repeated submit finds this visit"),
    sa.Column('created_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("disposition IS NULL OR disposition IN ('returned_to_class', 'rested_returned', 'parent_contacted', 'sent_home', 'referred', 'called_911')", name=op.f('ck_visits_disposition_known')),
    sa.CheckConstraint('time_out IS NULL OR time_out >= time_in', name=op.f('ck_visits_out_after_in')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_visits_school_id_school')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_visits_student_usi_student')),
    sa.PrimaryKeyConstraint('visit_id', name=op.f('pk_visits')),
    schema='health',
    comment='Health-office visits: time in and out, complaint, assessment, treatment, disposition'
    )
    op.create_index('ix_visits_school_time_in', 'visits', ['school_id', 'time_in'], unique=False, schema='health')
    op.create_index('ix_visits_student_time_in', 'visits', ['student_usi', 'time_in'], unique=False, schema='health')
    op.create_index('ux_visits_request_id', 'visits', ['request_id'], unique=True, schema='health')
    op.create_table('referrals',
    sa.Column('referral_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique referral ID'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='School'),
    sa.Column('screening_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='The failed screening, if any'),
    sa.Column('visit_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='The visit, if any'),
    sa.Column('reason', sa.Text(), autoincrement=False, nullable=False, comment='What the provider should look at'),
    sa.Column('referred_on', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('letter_sent_on', sa.Date(), autoincrement=False, nullable=True, comment='Parent letter printed or sent'),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'open'"), autoincrement=False, nullable=False, comment='open, letter_sent, seen_by_provider, closed'),
    sa.Column('follow_up', sa.Text(), autoincrement=False, nullable=True, comment='What the family or provider reported'),
    sa.Column('closed_on', sa.Date(), autoincrement=False, nullable=True),
    sa.CheckConstraint("status <> 'closed' OR (closed_on IS NOT NULL AND length(btrim(coalesce(follow_up, ''))) > 0)", name=op.f('ck_referrals_closed_with_follow_up')),
    sa.CheckConstraint("status IN ('open', 'letter_sent', 'seen_by_provider', 'closed')", name=op.f('ck_referrals_status_known')),
    sa.ForeignKeyConstraint(['screening_id'], ['health.screenings.screening_id'], name=op.f('fk_referrals_screening_id_screenings')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_referrals_student_usi_student')),
    sa.ForeignKeyConstraint(['visit_id'], ['health.visits.visit_id'], name=op.f('fk_referrals_visit_id_visits')),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_referrals')),
    schema='health',
    comment='Referrals to a provider after a failed screening or a visit, followed until closed'
    )
    op.create_index('ix_referrals_school_status', 'referrals', ['school_id', 'status'], unique=False, schema='health')
    op.add_column('immunizations', sa.Column('cvx_code', sa.String(length=4), autoincrement=False, nullable=True, comment='CDC CVX code of the vaccine (resources/cvx/cvx.csv)'), schema='health')
    op.add_column('immunizations', sa.Column('mvx_code', sa.String(length=4), autoincrement=False, nullable=True, comment='CDC MVX code of the manufacturer, if known'), schema='health')
    op.add_column('immunizations', sa.Column('source', sa.String(length=10), server_default=sa.text("'record'"), autoincrement=False, nullable=False, comment='record (provider record), registry, parent'), schema='health')
    op.add_column('immunizations', sa.Column('recorded_by', sa.Integer(), autoincrement=False, nullable=True, comment='Staff member (StaffUSI) who entered it'), schema='health')
    op.create_index('ix_immunizations_student_date', 'immunizations', ['student_usi', 'date_administered'], unique=False, schema='health')
    op.add_column('medications', sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='School whose health office keeps and gives it'), schema='health')
    op.add_column('medications', sa.Column('strength', sa.String(length=60), autoincrement=False, nullable=True, comment='e.g. 10 mg/5 mL'), schema='health')
    op.add_column('medications', sa.Column('form', sa.String(length=40), autoincrement=False, nullable=True, comment='tablet, liquid, inhaler, auto-injector, ...'), schema='health')
    op.add_column('medications', sa.Column('dose_amount', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=True, comment='Amount per dose, in dose_unit'), schema='health')
    op.add_column('medications', sa.Column('dose_unit', sa.String(length=20), autoincrement=False, nullable=True, comment='tablet, mL, puff, mg, unit, ...'), schema='health')
    op.add_column('medications', sa.Column('route', sa.String(length=30), autoincrement=False, nullable=True, comment='oral, inhaled, intramuscular, subcutaneous, topical, ...'), schema='health')
    op.add_column('medications', sa.Column('schedule_times', postgresql.ARRAY(sa.Text()), autoincrement=False, nullable=True, comment='Times of day a scheduled dose is due (HH:MM); NULL when as-needed only'), schema='health')
    op.add_column('medications', sa.Column('as_needed', sa.Boolean(), server_default=sa.text('FALSE'), autoincrement=False, nullable=False, comment='Given when needed (PRN)'), schema='health')
    op.add_column('medications', sa.Column('min_interval_minutes', sa.Integer(), autoincrement=False, nullable=True, comment='As-needed: least time between two doses'), schema='health')
    op.add_column('medications', sa.Column('parent_consent_on', sa.Date(), autoincrement=False, nullable=True, comment='Parent consent signed'), schema='health')
    op.add_column('medications', sa.Column('is_controlled', sa.Boolean(), server_default=sa.text('FALSE'), autoincrement=False, nullable=False, comment='Controlled substance: counted with a witness'), schema='health')
    op.add_column('medications', sa.Column('count_on_hand', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=True, comment='Doses (units) in the health office'), schema='health')
    op.add_column('medications', sa.Column('refill_threshold', sa.Numeric(precision=8, scale=2), autoincrement=False, nullable=True, comment='Ask the family for more at or below this count'), schema='health')
    op.add_column('medications', sa.Column('expires_on', sa.Date(), autoincrement=False, nullable=True, comment="Expiry date on the medication's label"), schema='health')
    op.create_index('ix_medications_school_active', 'medications', ['school_id', 'is_active'], unique=False, schema='health')
    op.create_check_constraint("source_known", "immunizations", "source IN ('record', 'registry', 'parent')",
                               schema="health")
    op.create_check_constraint("as_needed_has_interval", "medications", "NOT as_needed OR min_interval_minutes > 0",
                               schema="health")
    op.create_check_constraint("dose_positive", "medications", "dose_amount IS NULL OR dose_amount > 0",
                               schema="health")
    op.create_check_constraint("count_not_negative", "medications", "count_on_hand IS NULL OR count_on_hand >= 0",
                               schema="health")
    op.execute(APPEND_ONLY_SQL)
    op.execute(_policies_sql())
    op.execute(GRANTS_SQL)


def downgrade() -> None:
    op.execute("REVOKE SELECT, INSERT, UPDATE ON edfi.studentschoolattendanceevent FROM so_nurse")
    for name, table in (("source_known", "immunizations"), ("as_needed_has_interval", "medications"),
                        ("dose_positive", "medications"), ("count_not_negative", "medications")):
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, schema="health")
    op.drop_index('ix_medications_school_active', table_name='medications', schema='health')
    op.drop_column('medications', 'expires_on', schema='health')
    op.drop_column('medications', 'refill_threshold', schema='health')
    op.drop_column('medications', 'count_on_hand', schema='health')
    op.drop_column('medications', 'is_controlled', schema='health')
    op.drop_column('medications', 'parent_consent_on', schema='health')
    op.drop_column('medications', 'min_interval_minutes', schema='health')
    op.drop_column('medications', 'as_needed', schema='health')
    op.drop_column('medications', 'schedule_times', schema='health')
    op.drop_column('medications', 'route', schema='health')
    op.drop_column('medications', 'dose_unit', schema='health')
    op.drop_column('medications', 'dose_amount', schema='health')
    op.drop_column('medications', 'form', schema='health')
    op.drop_column('medications', 'strength', schema='health')
    op.drop_column('medications', 'school_id', schema='health')
    op.drop_index('ix_immunizations_student_date', table_name='immunizations', schema='health')
    op.drop_column('immunizations', 'recorded_by', schema='health')
    op.drop_column('immunizations', 'source', schema='health')
    op.drop_column('immunizations', 'mvx_code', schema='health')
    op.drop_column('immunizations', 'cvx_code', schema='health')
    op.drop_index('ix_referrals_school_status', table_name='referrals', schema='health')
    op.drop_table('referrals', schema='health')
    op.drop_index('ux_visits_request_id', table_name='visits', schema='health')
    op.drop_index('ix_visits_student_time_in', table_name='visits', schema='health')
    op.drop_index('ix_visits_school_time_in', table_name='visits', schema='health')
    op.drop_table('visits', schema='health')
    op.drop_table('count_discrepancies', schema='health')
    op.drop_table('self_carry_authorizations', schema='health')
    op.drop_index('ux_medication_administrations_request_id', table_name='medication_administrations', schema='health')
    op.drop_index('ux_medication_administrations_corrects', table_name='medication_administrations', schema='health')
    op.drop_index('ix_medication_administrations_school_day', table_name='medication_administrations', schema='health')
    op.drop_index('ix_medication_administrations_medication', table_name='medication_administrations', schema='health')
    op.drop_table('medication_administrations', schema='health')
    op.drop_index('ix_controlled_counts_medication', table_name='controlled_counts', schema='health')
    op.drop_table('controlled_counts', schema='health')
    op.drop_index('ix_screenings_student', table_name='screenings', schema='health')
    op.drop_table('screenings', schema='health')
    op.drop_index('ix_provisional_enrollments_student', table_name='provisional_enrollments', schema='health')
    op.drop_table('provisional_enrollments', schema='health')
    op.drop_index('ix_immunization_exemptions_student', table_name='immunization_exemptions', schema='health')
    op.drop_table('immunization_exemptions', schema='health')
    op.drop_index('ix_emergency_action_plans_student', table_name='emergency_action_plans', schema='health')
    op.drop_table('emergency_action_plans', schema='health')
    op.drop_table('screening_schedule', schema='health')
    op.execute("DROP FUNCTION IF EXISTS health.refuse_change(), health.apply_administration(), "
               "health.guard_discrepancy()")
