"""Library fines, where a school turns them on: the fine charged at a late check-in is kept on the loan

The rules matrix has had a fine per day since 0018 (0, off, by default: school libraries block on
the number of overdue items instead of money), but nothing charged it. A late check-in at the
lending school now charges days late x the fine per day of the most specific rule for that patron
and copy (app.domain.library_rules.fine_for), records it on the loan and says it at the desk.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("checkouts", sa.Column("fine", sa.DECIMAL(8, 2), nullable=True,
                                         comment="Fine charged at a late check-in (where the rules set one)"),
                  schema="library")


def downgrade() -> None:
    op.drop_column("checkouts", "fine", schema="library")
