"""School-entry immunization compliance (issue 12): requirements as data per state or district, the
status each student gets per requirement (stored for the whole school), and a queue of students
whose records changed since.

- health.immunization_requirement_sets / immunization_requirements: reference data, no student in
  them. Nurses and administrators read them; only administrators change them (the editor on the
  nurse desk). Audited all the same: a changed rule changes many students' statuses.
- health.immunization_statuses: row-level security as the nurse's tables (0011): a nurse reads and
  stores the statuses of the students of her schools, for her schools only.
- health.immunization_status_stale: a trigger on health.immunizations, immunization_exemptions and
  provisional_enrollments marks the student, whoever changed the record and however (the desk, an
  import, psql); the next refresh evaluates the marked students. The trigger function runs as the
  owner (SECURITY DEFINER, pinned search_path, not executable by PUBLIC) so no role needs INSERT on
  the queue; nurses may read and clear the marks of their own students.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


MINE = "((SELECT compliance.my_school_ids())::bigint[])"
SCOPED = ("EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = {t}.student_usi "
          "AND sc.schoolid = ANY " + MINE + " OFFSET 0)")

SECURITY_SQL = f"""
ALTER TABLE health.immunization_statuses ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON health.immunization_statuses FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_schools ON health.immunization_statuses FOR ALL TO so_nurse
    USING ({SCOPED.format(t="immunization_statuses")})
    WITH CHECK ({SCOPED.format(t="immunization_statuses")} AND school_id = ANY {MINE});
ALTER TABLE health.immunization_status_stale ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON health.immunization_status_stale FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_schools ON health.immunization_status_stale FOR ALL TO so_nurse
    USING ({SCOPED.format(t="immunization_status_stale")});

SELECT compliance.attach_audit('health.immunization_requirement_sets');
SELECT compliance.attach_audit('health.immunization_requirements');
SELECT compliance.attach_audit('health.immunization_statuses');
SELECT compliance.attach_audit('health.immunization_status_stale');

GRANT SELECT ON health.immunization_requirement_sets, health.immunization_requirements TO so_nurse;
GRANT SELECT, INSERT, UPDATE, DELETE ON health.immunization_requirement_sets, health.immunization_requirements
    TO so_admin;
GRANT USAGE ON SEQUENCE health.immunization_requirement_sets_set_id_seq,
    health.immunization_requirements_requirement_id_seq TO so_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON health.immunization_statuses TO so_nurse, so_admin;
GRANT SELECT, DELETE ON health.immunization_status_stale TO so_nurse, so_admin;

CREATE OR REPLACE FUNCTION health.mark_immunization_status_stale() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO health.immunization_status_stale (student_usi) VALUES (OLD.student_usi)
        ON CONFLICT (student_usi) DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO health.immunization_status_stale (student_usi) VALUES (NEW.student_usi)
        ON CONFLICT (student_usi) DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION health.mark_immunization_status_stale() FROM PUBLIC;
CREATE TRIGGER mark_immunization_status_stale AFTER INSERT OR UPDATE OR DELETE ON health.immunizations
    FOR EACH ROW EXECUTE FUNCTION health.mark_immunization_status_stale();
CREATE TRIGGER mark_immunization_status_stale AFTER INSERT OR UPDATE OR DELETE ON health.immunization_exemptions
    FOR EACH ROW EXECUTE FUNCTION health.mark_immunization_status_stale();
CREATE TRIGGER mark_immunization_status_stale AFTER INSERT OR UPDATE OR DELETE ON health.provisional_enrollments
    FOR EACH ROW EXECUTE FUNCTION health.mark_immunization_status_stale();
"""

DROP_SECURITY_SQL = """
DROP TRIGGER IF EXISTS mark_immunization_status_stale ON health.immunizations;
DROP TRIGGER IF EXISTS mark_immunization_status_stale ON health.immunization_exemptions;
DROP TRIGGER IF EXISTS mark_immunization_status_stale ON health.provisional_enrollments;
DROP FUNCTION IF EXISTS health.mark_immunization_status_stale();
"""


def upgrade() -> None:
    op.create_table('immunization_requirement_sets',
    sa.Column('set_id', sa.Integer(), autoincrement=True, nullable=False, comment='Unique set ID'),
    sa.Column('state_code', sa.String(length=2), autoincrement=False, nullable=False, comment='State (USPS code) whose rules these are'),
    sa.Column('district_id', sa.BigInteger(), autoincrement=False, nullable=True, comment="Local education agency with its own stricter set; NULL for the state's"),
    sa.Column('name', sa.String(length=200), autoincrement=False, nullable=False, comment='e.g. Texas minimum state vaccine requirements, grades K-12'),
    sa.Column('school_year', sa.SmallInteger(), autoincrement=False, nullable=False, comment='School year it takes effect (Ed-Fi style: 2026 = 2025-2026)'),
    sa.Column('source', sa.Text(), autoincrement=False, nullable=True, comment='Where the rules come from (publication, rule numbers)'),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('TRUE'), autoincrement=False, nullable=False, comment='Used for evaluation'),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("state_code ~ '^[A-Z]{2}$'", name=op.f('ck_immunization_requirement_sets_state_code_usps')),
    sa.CheckConstraint('school_year BETWEEN 2000 AND 2100', name=op.f('ck_immunization_requirement_sets_school_year_plausible')),
    sa.PrimaryKeyConstraint('set_id', name=op.f('pk_immunization_requirement_sets')),
    schema='health',
    comment='School-entry immunization requirement sets: one per state (or district) and school year'
    )
    op.create_index('ux_immunization_requirement_sets_scope', 'immunization_requirement_sets', ['state_code', 'district_id', 'school_year'], unique=True, schema='health')
    op.create_table('immunization_requirements',
    sa.Column('requirement_id', sa.BigInteger(), autoincrement=True, nullable=False, comment='Unique requirement ID'),
    sa.Column('set_id', sa.Integer(), autoincrement=False, nullable=False, comment='The requirement set'),
    sa.Column('name', sa.String(length=60), autoincrement=False, nullable=False, comment='What must be met (DTaP/Tdap/Td, Tdap booster, MMR, ...)'),
    sa.Column('vaccine_group', sa.String(length=40), autoincrement=False, nullable=False, comment='CDC CDSi vaccine group whose valid doses count'),
    sa.Column('grade_from', sa.SmallInteger(), autoincrement=False, nullable=False, comment='First grade it applies to (-1 pre-K, 0 K, 1-12)'),
    sa.Column('grade_to', sa.SmallInteger(), autoincrement=False, nullable=False, comment='Last grade it applies to'),
    sa.Column('doses_required', sa.SmallInteger(), autoincrement=False, nullable=False, comment='Valid doses required'),
    sa.Column('doses_on_or_after_age', sa.String(length=40), autoincrement=False, nullable=True, comment="At least doses_after_age_count of them on or after this age (CDSi words: '4 years - 4 days')"),
    sa.Column('doses_after_age_count', sa.SmallInteger(), server_default=sa.text('1'), autoincrement=False, nullable=False, comment='How many doses on or after that age'),
    sa.Column('applies_from_age', sa.String(length=40), autoincrement=False, nullable=True, comment="Applies from this age of the student (e.g. '7 years')"),
    sa.Column('applies_until_age', sa.String(length=40), autoincrement=False, nullable=True, comment="Applies before this age of the student (e.g. '18 years')"),
    sa.Column('vaccine_cvx', postgresql.ARRAY(sa.Text()), autoincrement=False, nullable=True, comment='Only these CVX codes count (e.g. {115} for Tdap); NULL for any'),
    sa.Column('description', sa.Text(), autoincrement=False, nullable=False, comment='One sentence, as printed on letters to families'),
    sa.CheckConstraint('doses_after_age_count BETWEEN 1 AND doses_required', name=op.f('ck_immunization_requirements_after_age_count_within_required')),
    sa.CheckConstraint('doses_required BETWEEN 1 AND 10', name=op.f('ck_immunization_requirements_doses_plausible')),
    sa.CheckConstraint('grade_from BETWEEN -1 AND 12 AND grade_to BETWEEN grade_from AND 12', name=op.f('ck_immunization_requirements_grades_in_range')),
    sa.ForeignKeyConstraint(['set_id'], ['health.immunization_requirement_sets.set_id'], name=op.f('fk_immunization_requirements_set_id_immunization_requirement_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('requirement_id', name=op.f('pk_immunization_requirements')),
    schema='health',
    comment='One way to meet a school-entry requirement for a range of grades; rows with the same name are alternatives'
    )
    op.create_index('ix_immunization_requirements_set', 'immunization_requirements', ['set_id'], unique=False, schema='health')
    op.create_table('immunization_status_stale',
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('marked_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False, comment='First change not yet evaluated'),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_immunization_status_stale_student_usi_student')),
    sa.PrimaryKeyConstraint('student_usi', name=op.f('pk_immunization_status_stale')),
    schema='health',
    comment='Students whose immunization records changed since their statuses were stored (filled by triggers)'
    )
    op.create_table('immunization_statuses',
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False, comment='Student'),
    sa.Column('requirement', sa.String(length=60), autoincrement=False, nullable=False, comment='Requirement name (health.immunization_requirements.name)'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='School the student is enrolled at'),
    sa.Column('set_id', sa.Integer(), autoincrement=False, nullable=False, comment='Requirement set used'),
    sa.Column('vaccine_group', sa.String(length=40), autoincrement=False, nullable=False, comment='CDC CDSi vaccine group'),
    sa.Column('grade', sa.SmallInteger(), autoincrement=False, nullable=False, comment='Grade at evaluation (-1 pre-K, 0 K, 1-12)'),
    sa.Column('status', sa.String(length=16), autoincrement=False, nullable=False, comment='compliant, in_progress, provisional, exempt, not_compliant'),
    sa.Column('reason', sa.Text(), autoincrement=False, nullable=False, comment='Why, in one sentence'),
    sa.Column('next_due', sa.Date(), autoincrement=False, nullable=True, comment='When the next dose is due (may be given from)'),
    sa.Column('valid_doses', sa.SmallInteger(), autoincrement=False, nullable=False, comment='Valid doses counted'),
    sa.Column('doses_required', sa.SmallInteger(), autoincrement=False, nullable=False, comment='Valid doses required'),
    sa.Column('provisional_deadline', sa.Date(), autoincrement=False, nullable=True, comment='Deadline of the provisional enrollment that applies'),
    sa.Column('evaluated_on', sa.Date(), autoincrement=False, nullable=False, comment='The day the status is for'),
    sa.Column('evaluated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("status IN ('compliant', 'in_progress', 'provisional', 'exempt', 'not_compliant')", name=op.f('ck_immunization_statuses_status_known')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_immunization_statuses_school_id_school')),
    sa.ForeignKeyConstraint(['set_id'], ['health.immunization_requirement_sets.set_id'], name=op.f('fk_immunization_statuses_set_id_immunization_requirement_sets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_immunization_statuses_student_usi_student')),
    sa.PrimaryKeyConstraint('student_usi', 'requirement', name=op.f('pk_immunization_statuses')),
    schema='health',
    comment="Each student's school-entry immunization status per requirement, stored for the whole school"
    )
    op.create_index('ix_immunization_statuses_school_status', 'immunization_statuses', ['school_id', 'status'], unique=False, schema='health')
    op.execute(SECURITY_SQL)


def downgrade() -> None:
    op.execute(DROP_SECURITY_SQL)
    op.drop_index('ix_immunization_statuses_school_status', table_name='immunization_statuses', schema='health')
    op.drop_table('immunization_statuses', schema='health')
    op.drop_table('immunization_status_stale', schema='health')
    op.drop_index('ix_immunization_requirements_set', table_name='immunization_requirements', schema='health')
    op.drop_table('immunization_requirements', schema='health')
    op.drop_index('ux_immunization_requirement_sets_scope', table_name='immunization_requirement_sets', schema='health')
    op.drop_table('immunization_requirement_sets', schema='health')
