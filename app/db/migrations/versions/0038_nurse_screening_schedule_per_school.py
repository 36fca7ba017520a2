"""Which grades are screened, per school (issue 11): health.screening_schedule gains school_id, so a
school's nurse (or an administrator) sets, on the nurse desk, the grades each screening is given to at
her school; the mass-screening grid lists the classes and students of those grades. The district-wide
rows become each school's rows.

Row-level security: a nurse reads and changes the schedule of the schools she serves; the
administrator every school's. Audited.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

MINE = "((SELECT compliance.my_school_ids())::bigint[])"


def upgrade() -> None:
    op.add_column("screening_schedule", sa.Column("school_id", sa.BigInteger(), nullable=True,
                                                  comment="School whose nurse screens these grades"),
                  schema="health")
    op.execute("""
ALTER TABLE health.screening_schedule DROP CONSTRAINT pk_screening_schedule;
INSERT INTO health.screening_schedule (school_id, screening_type, grade_level, sex)
SELECT s.schoolid, x.screening_type, x.grade_level, x.sex FROM health.screening_schedule x CROSS JOIN edfi.school s
 WHERE x.school_id IS NULL;
DELETE FROM health.screening_schedule WHERE school_id IS NULL;
ALTER TABLE health.screening_schedule ALTER COLUMN school_id SET NOT NULL;
""")
    op.create_primary_key("pk_screening_schedule", "screening_schedule", ["school_id", "screening_type", "grade_level"],
                          schema="health")
    op.create_foreign_key(op.f("fk_screening_schedule_school_id_school"), "screening_schedule", "school",
                          ["school_id"], ["schoolid"], source_schema="health", referent_schema="edfi")
    op.execute(f"""
ALTER TABLE health.screening_schedule ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON health.screening_schedule FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_schools ON health.screening_schedule FOR ALL TO so_nurse
    USING (school_id = ANY {MINE}) WITH CHECK (school_id = ANY {MINE});
SELECT compliance.attach_audit('health.screening_schedule');
""")


def downgrade() -> None:
    op.execute("""
DROP POLICY IF EXISTS administrators ON health.screening_schedule;
DROP POLICY IF EXISTS own_schools ON health.screening_schedule;
ALTER TABLE health.screening_schedule DISABLE ROW LEVEL SECURITY;
DROP TRIGGER IF EXISTS audit_ins ON health.screening_schedule;
DROP TRIGGER IF EXISTS audit_upd ON health.screening_schedule;
DROP TRIGGER IF EXISTS audit_del ON health.screening_schedule;
ALTER TABLE health.screening_schedule DROP CONSTRAINT pk_screening_schedule;
DELETE FROM health.screening_schedule x USING health.screening_schedule y
 WHERE x.screening_type = y.screening_type AND x.grade_level = y.grade_level AND x.school_id > y.school_id;
""")
    op.drop_constraint(op.f("fk_screening_schedule_school_id_school"), "screening_schedule", schema="health",
                       type_="foreignkey")
    op.drop_column("screening_schedule", "school_id", schema="health")
    op.create_primary_key("pk_screening_schedule", "screening_schedule", ["screening_type", "grade_level"],
                          schema="health")
