"""The nurse desk's DynamoDB records: a health-office visit on the student's timeline, and the
notice to the primary contact when the nurse sends a student home (0015 refuses unlisted kinds).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

KINDS = [("StudentActivityLogs", "health.visit", r) for r in ("so_nurse", "so_admin")] \
    + [("NotificationQueue", "sent_home", r) for r in ("so_nurse", "so_admin")]


def upgrade() -> None:
    values = ", ".join(f"('{t}', '{k}', '{r}')" for t, k, r in KINDS)
    op.execute(f"INSERT INTO sync.outbox_writers (target_table, kind, writer_role) VALUES {values} "
               "ON CONFLICT DO NOTHING")


def downgrade() -> None:
    op.execute("DELETE FROM sync.outbox_writers WHERE (target_table, kind) IN "
               "(('StudentActivityLogs', 'health.visit'), ('NotificationQueue', 'sent_home'))")
