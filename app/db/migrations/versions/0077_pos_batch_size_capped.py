"""A batch of journal entries holds at most 256 (review of 0076, LOW)

`cafeteria.apply_sale_entries` took any number of entries. Since 0076 the row audits of the sale tables look each
new row's sale id up in the batch's list of ids, so a batch of N sales does work in N squared (4,000 deposits sent
by hand with psql: 4.8 s against 2.8 s before, holding the students' account and meal locks all along). A terminal's
sender sends at most 64 (app/sync/journal_sender.py); the function now refuses more than 256 with one sentence, before
it reads or writes anything. Test: tests/integration/test_pos_batch_audit.py.

Revision ID: 0077
Revises: 0076
Create Date: 2026-12-04
"""
from alembic import op

revision = "0077"
down_revision = "0076"
branch_labels = None
depends_on = None

BATCH = "cafeteria.apply_sale_entries(text, jsonb)"
MAX_ENTRIES = 256
ANCHOR = ("        RAISE EXCEPTION 'a batch of journal entries is a JSON array' USING ERRCODE = '22023';\n"
          "    END IF;\n")
CAP = (f"    IF pg_catalog.jsonb_array_length(p_entries) > {MAX_ENTRIES} THEN\n"
       f"        RAISE EXCEPTION 'a batch holds at most {MAX_ENTRIES} journal entries; send the others in another batch'\n"
       "            USING ERRCODE = '54000';\n"
       "    END IF;\n")


def _replace_once(old: str, new: str) -> None:
    sql = op.get_bind().exec_driver_sql(f"SELECT pg_get_functiondef('{BATCH}'::regprocedure)").scalar()
    if sql.count(old) != 1:
        raise RuntimeError(f"migration 0077: expected once in {BATCH}: {old[:80]!r}")
    op.execute(sql.replace(old, new))


def upgrade() -> None:
    _replace_once(ANCHOR, ANCHOR + CAP)


def downgrade() -> None:
    _replace_once(ANCHOR + CAP, ANCHOR)
