"""The server's re-derivation of reimbursable meals on its indexes

cafeteria.rederive_meals() runs for every sale with a meal; it looked for voids of each line by
scanning the whole ledger (no index on reverses_transaction_id) and read the student's lines of every
day: 158 ms a sale on the demo district, growing with the ledger. Now a partial index finds the
corrections and the lines are read by (student, day) on ix_meal_transactions_student_date (a line's
transaction_date is its sale's service day, app/services/cafeteria/apply.py).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

REDERIVE_SQL = r"""
CREATE OR REPLACE FUNCTION cafeteria.rederive_meals(p_student integer, p_date date, p_service text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changed integer;
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER')
       AND NOT pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')
       AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user) THEN
        RAISE EXCEPTION 'only cafeteria staff derive meal counts' USING ERRCODE = '42501';
    END IF;
    -- one derivation at a time per student and service
    PERFORM pg_catalog.pg_advisory_xact_lock(p_student, pg_catalog.hashtext(p_date::text || p_service));
    WITH lines AS (
        SELECT t.transaction_id, t.school_id, coalesce(t.eligibility, 'paid') AS eligibility,
               pg_catalog.row_number() OVER (ORDER BY s.sold_at, s.terminal_id, s.terminal_seq, t.line_no,
                                                      t.transaction_id) AS rn
          FROM cafeteria.meal_transactions t
          JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
         WHERE t.student_usi = p_student AND t.transaction_date = p_date
           AND s.service_date = p_date AND s.meal_service = p_service
           AND t.entry_kind IN ('meal', 'second_meal')
           AND NOT EXISTS (SELECT 1 FROM cafeteria.meal_transactions v
                            WHERE v.reverses_transaction_id = t.transaction_id AND v.entry_kind IN ('void', 'refund'))
    ), gone AS (
        DELETE FROM cafeteria.meal_claims c
         WHERE c.student_usi = p_student AND c.service_date = p_date AND c.meal_service = p_service
           AND NOT EXISTS (SELECT 1 FROM lines l WHERE l.transaction_id = c.transaction_id)
        RETURNING 1
    ), put AS (
        INSERT INTO cafeteria.meal_claims AS c (transaction_id, student_usi, school_id, service_date, meal_service,
                                                eligibility, reimbursable)
        SELECT l.transaction_id, p_student, l.school_id, p_date, p_service, l.eligibility, l.rn = 1 FROM lines l
        ON CONFLICT (transaction_id) DO UPDATE SET reimbursable = EXCLUDED.reimbursable, derived_at = now()
         WHERE c.reimbursable IS DISTINCT FROM EXCLUDED.reimbursable
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM put) INTO changed;
    RETURN changed;
END;
$$;
"""


def upgrade() -> None:
    op.create_index("ix_meal_transactions_reverses", "meal_transactions", ["reverses_transaction_id"], unique=False,
                    schema="cafeteria", postgresql_where=sa.text("reverses_transaction_id IS NOT NULL"))
    op.execute(REDERIVE_SQL)


def downgrade() -> None:
    op.drop_index("ix_meal_transactions_reverses", table_name="meal_transactions", schema="cafeteria")
