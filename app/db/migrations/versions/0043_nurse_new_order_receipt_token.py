"""Nurse office (issue 11): a witness token signed for the supply counted in with a NEW order (the
witness cannot see the unsaved order, so the token names the student, the school, 'received' and the
quantity, not the order) may be cited only by the first count entry of an order, never for a receipt
into an order that already has counts. Otherwise as migration 0035's health.check_count_signer.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-03
"""
import re
from pathlib import Path

from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

ANCHOR = "        NEW.witness_staff_usi := tok.witness_staff_usi;\n"
CHECK = """        IF tok.medication_id IS NULL AND EXISTS (
                SELECT 1 FROM health.controlled_counts c WHERE c.medication_id = NEW.medication_id) THEN
            RAISE EXCEPTION 'the witness signed for the supply of a new order, not for this order''s'
                USING ERRCODE = '42501';
        END IF;
"""


def _signer_sql() -> str:
    """0035's health.check_count_signer, as 0035 wrote it."""
    src = Path(__file__).with_name("0035_nurse_witness_tokens.py").read_text(encoding="utf-8")
    found = re.findall(r"CREATE OR REPLACE FUNCTION health\.check_count_signer\(\).*?\n\$\$;", src, flags=re.DOTALL)
    assert len(found) == 1 and ANCHOR in found[0]
    return found[0]


def upgrade() -> None:
    op.execute(_signer_sql().replace(ANCHOR, CHECK + ANCHOR, 1))


def downgrade() -> None:
    op.execute(_signer_sql())
