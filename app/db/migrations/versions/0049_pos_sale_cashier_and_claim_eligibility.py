"""A sale's ledger lines name the login that applied them, and a reimbursable meal is claimed at the
student's own eligibility (security review of session 6, cafperf MEDIUM 1 and 3)

- `cafeteria.meal_transactions.cashier_id` was the payload's `cashier`: a cashier with psql could write
  deposits and charges under a colleague's name while the sale's header said who they were. Both sale
  functions (`cafeteria.apply_sale_entry`, 0031, and `cafeteria.apply_sale_entries`, 0041) now write
  `session_user`, as the header does.
- The meal claim of a student's only meal (the functions' fast path) took the eligibility the payload's
  line carried, so a paid student's lunch could be claimed at the free rate. The claim now takes the
  student's eligibility from their active meal account (`free_reduced_status`, as the register's snapshot
  reads it: free, reduced, anything else paid). The line keeps what the register decided (its price).

Both functions are re-created from their migrations' text with exactly these two changes.

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-03
"""
import importlib

from alembic import op

revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None

STUDENT_ELIGIBILITY = (
    "coalesce((SELECT CASE pg_catalog.lower(a.free_reduced_status) WHEN 'free' THEN 'free' "
    "WHEN 'reduced' THEN 'reduced' ELSE 'paid' END FROM cafeteria.student_meal_plans a "
    "WHERE a.student_usi = t.student_usi AND a.is_active LIMIT 1), 'paid'), true")


def _replace(sql: str, old: str, new: str) -> str:
    if sql.count(old) != 1:
        raise RuntimeError(f"migration 0049 expected one {old!r} in the function's text")
    return sql.replace(old, new)


def _functions(fixed: bool) -> list[str]:
    single = importlib.import_module("app.db.migrations.versions.0031_pos_sale_in_one_call").APPLY_SALE_SQL
    batch = importlib.import_module("app.db.migrations.versions.0041_pos_sales_applied_as_a_set")._sql()
    single, batch = (s.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION") for s in (single, batch))
    if fixed:
        single = _replace(single, "v_method, p->>'cashier', p_entry,", "v_method, session_user, p_entry,")
        batch = _replace(batch, "q.p->>'cashier', q.id, l.line_no,", "session_user, q.id, l.line_no,")
        single = _replace(single, "coalesce(t.eligibility, 'paid'), true", STUDENT_ELIGIBILITY)
        batch = _replace(batch, "coalesce(t.eligibility, 'paid'), true", STUDENT_ELIGIBILITY)
    return [single, batch]


def upgrade() -> None:
    for sql in _functions(True):
        op.execute(sql)


def downgrade() -> None:
    for sql in _functions(False):
        op.execute(sql)
