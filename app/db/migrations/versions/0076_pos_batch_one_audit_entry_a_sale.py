"""A batch of the register's sales writes ONE audit entry a sale, as a lone sale does (issue 9, the lunch line's
sales per second)

0065 gave the lone lunch-line sale one audit entry: the sale's header with its ledger lines (each with the balance
after it) and its claims. A terminal's sender sends a run of two or more entries through
`cafeteria.apply_sale_entries` (0041), which still let the row audits write an entry per row: the header, each line,
each claim (three or more a sale). In the lunch line, where runs are the rule, those audit rows were a quarter of the
server's work a sale (measured: 0.90-1.02 ms a sale with them, 0.69-0.75 without any audit).

Now the batch function audits its own rows as the lone sale does:
- while it runs, `cafeteria.audited_sale` holds the batch's new sale ids (comma-separated; it was one sale id), and
  the row audits of cafeteria.sales and cafeteria.meal_transactions skip a row whose sale id is in it
  (`strpos`: a sale id is 36 characters without a comma, so only a listed id matches); a line without a sale id is
  audited as before. The claims' row audit still skips any claim while the switch is set;
- the claims of the batch's clean first meals are made by the function itself, in one statement, with
  `cafeteria.claim_first_meal`'s decision (the meal at the student's own eligibility of the day and the price due is
  claimed reimbursable; any other is re-derived by `cafeteria.rederive_meals`, which audits what it writes, row by
  row, as before);
- then ONE entry a new sale (table cafeteria.sales, INSERT, by the cashier's login with the application user,
  workstation and session): `to_jsonb(sale) || {"lines": [the lines this batch wrote for it], "claims": [the claims
  it made]}`, in the batch's order, the shape 0065's entry has.

The switch stays pinned off in every other writer (0065) and the batch function pins it on entry, so a session's own
SET of it hides nothing (tests/integration/test_pos_batch_audit.py, also with a forged list).

Revision ID: 0076
Revises: 0075
Create Date: 2026-12-04
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0076"
down_revision = "0075"
branch_labels = None
depends_on = None

GUC = "cafeteria.audited_sale"
BATCH = "cafeteria.apply_sale_entries(text, jsonb)"
SKIP_ONE = f"NEW.sale_uuid::text IS DISTINCT FROM current_setting('{GUC}', true)"  # 0065's
SKIP_LISTED = (f"NEW.sale_uuid IS NULL OR pg_catalog.strpos(coalesce(current_setting('{GUC}', true), ''), "
               "NEW.sale_uuid::text) = 0")


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"_pos_{name[:4]}", Path(__file__).with_name(name))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


# (before, after) pairs applied to the live definition of the batch function; each `before` occurs exactly once
PATCHES = [
    ("    v_slow integer;\n",
     "    v_slow integer;\n"
     "    v_lines bigint[];  -- the ledger lines this batch wrote\n"
     "    v_claims bigint[];  -- the claims it made itself (of clean first meals)\n"
     "    v_redo uuid[];  -- first meals whose eligibility or price was not the student's own: re-derived\n"),
    ("    IF pg_catalog.cardinality(v_new) > 0 THEN\n        IF NOT v_admin THEN\n",
     "    IF pg_catalog.cardinality(v_new) > 0 THEN\n"
     "        -- the batch's own sales, lines and claims are audited below as ONE entry a sale (0076): the row audits\n"
     "        -- skip them while this function runs; every other writer keeps the switch pinned off\n"
     f"        PERFORM pg_catalog.set_config('{GUC}', pg_catalog.array_to_string(v_new, ','), true);\n"
     "        IF NOT v_admin THEN\n"),
    ("        INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,\n",
     "        WITH ins AS (\n"
     "        INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,\n"),
    ("         ORDER BY h.student, x.o, l.line_no;\n",
     "         ORDER BY h.student, x.o, l.line_no\n"
     "        RETURNING transaction_id)\n"
     "        SELECT pg_catalog.array_agg(ins.transaction_id) INTO v_lines FROM ins;\n"),
    ("                PERFORM cafeteria.claim_first_meal(f) FROM pg_catalog.unnest(v_fast) AS f;\n",
     "                -- cafeteria.claim_first_meal's decision for each, in one statement: the meal at the student's own\n"
     "                -- eligibility of the day and the price due is claimed reimbursable (audited with its sale below);\n"
     "                -- any other is re-derived\n"
     "                WITH m AS (\n"
     "                    SELECT t.transaction_id, t.sale_uuid, t.student_usi, t.school_id, s.service_date, s.meal_service,\n"
     "                           t.price, t.eligibility, t.item_id,\n"
     "                           cafeteria.student_meal_eligibility(t.student_usi, s.service_date) AS elig\n"
     "                      FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid\n"
     "                     WHERE t.sale_uuid = ANY (v_fast) AND t.entry_kind = 'meal' OFFSET 0),\n"
     "                d AS (\n"
     "                    SELECT m.*, (m.eligibility IS NOT DISTINCT FROM m.elig AND m.price IS NOT DISTINCT FROM\n"
     "                                 cafeteria.meal_price_due(m.school_id, m.service_date, m.meal_service, m.elig,\n"
     "                                     cafeteria.student_grade_on(m.student_usi, m.service_date), m.item_id, true))\n"
     "                           AS good\n"
     "                      FROM m),\n"
     "                ins AS (\n"
     "                    INSERT INTO cafeteria.meal_claims (transaction_id, student_usi, school_id, service_date,\n"
     "                                                       meal_service, eligibility, reimbursable)\n"
     "                    SELECT d.transaction_id, d.student_usi, d.school_id, d.service_date, d.meal_service, d.elig,\n"
     "                           true\n"
     "                      FROM d WHERE d.good ORDER BY d.transaction_id\n"
     "                    RETURNING transaction_id)\n"
     "                SELECT (SELECT pg_catalog.array_agg(ins.transaction_id) FROM ins),\n"
     "                       pg_catalog.array_agg(d.sale_uuid) FILTER (WHERE NOT d.good)\n"
     "                  INTO v_claims, v_redo FROM d;\n"
     "                FOR k IN SELECT DISTINCT s.student_usi, s.service_date, s.meal_service FROM cafeteria.sales s\n"
     "                          WHERE s.sale_uuid = ANY (v_redo) ORDER BY 1, 2, 3 LOOP\n"
     "                    PERFORM cafeteria.rederive_meals(k.student_usi, k.service_date, k.meal_service);\n"
     "                END LOOP;\n"),
    ("    -- the answers, in the batch's order: new ones,",
     "    -- ONE audit entry a new sale, as the lone sale writes it (0065): its header, the lines this batch wrote for it\n"
     "    -- (each with the balance after it) and the claims it made\n"
     "    INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, record_id,\n"
     "                                       operation, old_values, new_values, user_agent, data_categories)\n"
     "    SELECT {who}, 'cafeteria.sales', pg_catalog.jsonb_build_object('sale_uuid', s.sale_uuid)::text, 'INSERT', NULL,\n"
     "           pg_catalog.to_jsonb(s) || pg_catalog.jsonb_build_object(\n"
     "               'lines', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(t) ORDER BY t.line_no, t.transaction_id)\n"
     "                                    FROM cafeteria.meal_transactions t\n"
     "                                   WHERE t.sale_uuid = s.sale_uuid AND t.transaction_id = ANY (v_lines)), '[]'::jsonb),\n"
     "               'claims', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY c.transaction_id)\n"
     "                                     FROM cafeteria.meal_claims c JOIN cafeteria.meal_transactions t\n"
     "                                       ON t.transaction_id = c.transaction_id\n"
     "                                    WHERE t.sale_uuid = s.sale_uuid AND c.transaction_id = ANY (v_claims)),\n"
     "                                  '[]'::jsonb)),\n"
     "           nullif(current_setting('application_name', true), ''), ARRAY['cafeteria']\n"
     "      FROM pg_catalog.unnest(v_new) WITH ORDINALITY AS n(id, o) JOIN cafeteria.sales s ON s.sale_uuid = n.id\n"
     "     ORDER BY n.o;\n\n"
     "    -- the answers, in the batch's order: new ones,"),
]


def _live(fn: str) -> str:
    return op.get_bind().exec_driver_sql(f"SELECT pg_get_functiondef('{fn}'::regprocedure)").scalar()


def _patched(sql: str, pairs) -> str:
    for old, new in pairs:
        if sql.count(old) != 1:
            raise RuntimeError(f"migration 0076: expected once in {BATCH}: {old[:80]!r}")
        sql = sql.replace(old, new)
    return sql


def _audit_when(skip: str) -> None:
    for table in ("cafeteria.sales", "cafeteria.meal_transactions"):
        schema, name = table.split(".")
        op.execute(f"DROP TRIGGER audit_row ON {table}")
        op.execute(f"CREATE TRIGGER audit_row AFTER INSERT ON {table} FOR EACH ROW WHEN ({skip}) "
                   f"EXECUTE FUNCTION compliance.audit_row_{schema}__{name}()")


def upgrade() -> None:
    who = _migration("0065_cafeteria_lone_meal_sale_in_one_checked_call.py")._WHO
    op.execute(_patched(_live(BATCH), [(old, new.replace("{who}", who)) for old, new in PATCHES]))
    _audit_when(SKIP_LISTED)


def downgrade() -> None:
    who = _migration("0065_cafeteria_lone_meal_sale_in_one_checked_call.py")._WHO
    op.execute(_patched(_live(BATCH), [(new.replace("{who}", who), old) for old, new in PATCHES]))
    _audit_when(SKIP_ONE)
