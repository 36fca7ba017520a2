"""library.renew_loan runs in the district's time zone again (security review of session 8, LOW 2)

0064 pinned renew_loan to the district's zone (SET TimeZone FROM CURRENT) so that its "today" (the window of
dates a renewal may carry, the day overdue loans are counted on) is not the caller's session's; 0067 re-created
the function with CREATE OR REPLACE, whose SET clauses replace the old ones, and dropped the pin. It is set
again to the zone 0064 pinned the library's other functions to (library.close_loan's: the district's when
0064 ran), not to this migration session's.

Revision ID: 0069
Revises: 0068
Create Date: 2026-12-04
"""
from alembic import op

revision = "0069"
down_revision = "0068"
branch_labels = None
depends_on = None

RENEW = "library.renew_loan(bigint, date, uuid, text[], text)"


def _zone() -> str:
    """The zone 0064 pinned library.close_loan to (the district's, when it ran)."""
    zone = op.get_bind().exec_driver_sql(
        "SELECT substr(c, length('TimeZone=') + 1) FROM pg_proc p, unnest(p.proconfig) c "
        "WHERE p.oid = 'library.close_loan(bigint, date, timestamptz, text)'::regprocedure "
        "AND strpos(c, 'TimeZone=') = 1").scalar() or op.get_bind().exec_driver_sql("SHOW TimeZone").scalar()
    if not zone or "'" in zone:
        raise RuntimeError(f"migration 0069: unexpected time zone {zone!r}")
    return zone


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION {RENEW} SET TimeZone = '{_zone()}'")


def downgrade() -> None:
    op.execute(f"ALTER FUNCTION {RENEW} RESET TimeZone")
