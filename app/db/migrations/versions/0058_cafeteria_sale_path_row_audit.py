"""The tables a register's sale writes are audited by the compiled ROW-level audit (issue 9, the sale's CPU)

A sale at the register writes one row into each of cafeteria.sales, cafeteria.meal_transactions and
cafeteria.meal_claims and changes one row of cafeteria.student_meal_plans (the balance). Their audit was the
compiled statement-level audit (compliance.attach_compiled_audit, migration 0031: a transition table per
statement). The library helper's compliance.attach_row_audit (migration 0053) writes the same audit rows
for a one-row statement from a row-level trigger, and one entry per row for a statement of several (as the
compiled statement audit does), so the audit trail is unchanged.

Measured on the 25,000-student bench district (the sender's backend CPU per sale, 300 sales each way,
alternating, load 5-6): a lone sale 1.33-1.43 ms with the statement audit, 1.20 ms with the row audit;
a run of eight sales in one batch 0.67-0.73 ms a sale either way.

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-04
"""
from alembic import op

revision = "0058"
down_revision = "0057"
branch_labels = None
depends_on = None

SALE_TABLES = ("cafeteria.sales", "cafeteria.meal_transactions", "cafeteria.meal_claims",
               "cafeteria.student_meal_plans")


def upgrade() -> None:
    for table in SALE_TABLES:
        op.execute(f"SELECT compliance.attach_row_audit('{table}')")
        schema, name = table.split(".")
        op.execute(f"DROP FUNCTION compliance.audit_{schema}__{name}()")  # 0031's compiled statement audit


def downgrade() -> None:
    for table in SALE_TABLES:
        op.execute(f"SELECT compliance.attach_compiled_audit('{table}')")
        schema, name = table.split(".")
        op.execute(f"DROP FUNCTION compliance.audit_row_{schema}__{name}()")
