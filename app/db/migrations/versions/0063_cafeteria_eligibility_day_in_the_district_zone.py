"""The day a meal's eligibility is taken for ends in the district's time zone, not the caller's (security review
of session 7, cafperf LOW 4)

`cafeteria.student_meal_eligibility(student, day)` (migration 0060) takes the last change made before the end of
the day, `(day + 1)::timestamptz`, which the session's TimeZone decided: a cashier who set TimeZone to UTC-12
before sending an offline sale moved the end of the day by half a day, and a change of eligibility made this
morning applied to yesterday's meals. The function now runs with the time zone the database had when this
migration ran (the district's; `SET TimeZone FROM CURRENT`, as the nurse's sent-home check does, 0035), whatever
the caller's session sets.

Revision ID: 0063
Revises: 0062
Create Date: 2026-12-04
"""
from alembic import op

revision = "0063"
down_revision = "0062"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER FUNCTION cafeteria.student_meal_eligibility(integer, date) SET TimeZone FROM CURRENT")


def downgrade() -> None:
    op.execute("ALTER FUNCTION cafeteria.student_meal_eligibility(integer, date) RESET TimeZone")
