"""OneRoster import: a course's schoolYearSourcedId is optional in the 1.2 CSV binding

courses.csv leaves schoolYearSourcedId blank for courses that are not tied to one school year;
the column was NOT NULL, so such a (valid) package could not be loaded.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("courses", "school_year_sourced_id", nullable=True, schema="oneroster")


def downgrade() -> None:
    op.alter_column("courses", "school_year_sourced_id", nullable=False, schema="oneroster")
