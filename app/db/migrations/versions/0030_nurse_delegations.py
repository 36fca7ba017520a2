"""Delegated medication administration (issue 11, after review): the staff members a school nurse has
trained and checked to give medication when she is not there (a field trip, the office at lunch),
with the date she checked their competency and when it expires. A dose given on a field trip names
one of them; the nurse records, renews and revokes them on her desk.

Row-level security: a nurse reads and writes the delegations of the schools she serves; the
administrator all. Nobody else reads them.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

MINE = "((SELECT compliance.my_school_ids())::bigint[])"


def upgrade() -> None:
    op.create_table(
        "medication_delegations",
        sa.Column("delegation_id", sa.BigInteger(), autoincrement=True, nullable=False, comment="Unique ID"),
        sa.Column("staff_usi", sa.Integer(), nullable=False, comment="Staff member trained to give medication"),
        sa.Column("school_id", sa.BigInteger(), nullable=False, comment="School whose nurse delegated"),
        sa.Column("scope", sa.String(length=20), nullable=False,
                  comment="field_trips, daily_doses, emergency (epinephrine, glucagon, rescue inhaler), all"),
        sa.Column("trained_on", sa.Date(), nullable=False, comment="Medication administration training"),
        sa.Column("competency_checked_on", sa.Date(), nullable=False,
                  comment="The nurse watched them give a dose correctly (skills check)"),
        sa.Column("checked_by", sa.Integer(), nullable=True, comment="Nurse (StaffUSI) who checked"),
        sa.Column("expires_on", sa.Date(), nullable=False, comment="Competency to be checked again by"),
        sa.Column("revoked_on", sa.Date(), nullable=True, comment="Withdrawn early"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("scope IN ('field_trips', 'daily_doses', 'emergency', 'all')",
                           name=op.f("ck_medication_delegations_scope_known")),
        sa.CheckConstraint("competency_checked_on >= trained_on AND expires_on > competency_checked_on",
                           name=op.f("ck_medication_delegations_dates_in_order")),
        sa.ForeignKeyConstraint(["staff_usi"], ["edfi.staff.staffusi"],
                                name=op.f("fk_medication_delegations_staff_usi_staff")),
        sa.ForeignKeyConstraint(["school_id"], ["edfi.school.schoolid"],
                                name=op.f("fk_medication_delegations_school_id_school")),
        sa.PrimaryKeyConstraint("delegation_id", name=op.f("pk_medication_delegations")),
        schema="health",
        comment="Delegated medication administration: staff a nurse trained and checked to give medication",
    )
    op.create_index("ix_medication_delegations_school_staff", "medication_delegations", ["school_id", "staff_usi"],
                    unique=False, schema="health")
    op.execute(f"""
ALTER TABLE health.medication_delegations ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON health.medication_delegations FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_schools ON health.medication_delegations FOR ALL TO so_nurse
    USING (school_id = ANY {MINE}) WITH CHECK (school_id = ANY {MINE});
SELECT compliance.attach_audit('health.medication_delegations');
GRANT SELECT, INSERT, UPDATE ON health.medication_delegations TO so_nurse, so_admin;
GRANT USAGE ON SEQUENCE health.medication_delegations_delegation_id_seq TO so_nurse, so_admin;
""")


def downgrade() -> None:
    op.drop_index("ix_medication_delegations_school_staff", table_name="medication_delegations", schema="health")
    op.drop_table("medication_delegations", schema="health")
