"""Nurse office, review of session 6 (issue 11): a witness token for the supply of a NEW order names
what the witness saw, and is cited only in the transaction that writes that order.

The witness cannot see an order the nurse has not saved yet, so 0035 bound such a token to the
student, school, 'received' and the quantity only, and 0043 to an order without counts: the nurse
could still file it as the receipt of another order of the student (a different drug, or an older
order never counted in). Now:

- health.sign_witness(kind, quantity, for_login, medication, student, school, medication_label)
  stores the medication the witness was shown (name and strength) on the token; a new-order token
  needs it. (For an existing order the token stores the order's own name and strength.)
- health.check_count_signer: a new-order token is cited only by a 'received' entry for an order with
  no counts yet, written in this same transaction (its created_at is this transaction's now(): the
  server sets medications.created_at for staff logins, as it does for visits since 0035), whose name
  and strength are what the witness saw. Every binding is compared with IS DISTINCT FROM, so a NULL
  never passes silently.

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-03
"""
import re
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None

OLD_ARGS = "text, numeric, text, bigint, integer, bigint"
NEW_ARGS = OLD_ARGS + ", text"
LABEL = ("lower(btrim(concat_ws(' ', {m}.medication_name, nullif(btrim({m}.strength), ''))))")


def _function(migration: str, name: str) -> str:
    src = Path(__file__).with_name(migration).read_text(encoding="utf-8")
    found = re.findall(rf"CREATE OR REPLACE FUNCTION health\.{name}\(.*?\n\$\$;", src, flags=re.DOTALL)
    assert len(found) == 1, name
    return found[0]


def _swap(sql: str, old: str, new: str) -> str:
    assert sql.count(old) == 1, old
    return sql.replace(old, new)


def _sign_witness() -> str:
    sql = _function("0035_nurse_witness_tokens.py", "sign_witness")
    sql = _swap(sql, "p_medication_id bigint, p_student_usi integer, p_school_id bigint)",
                "p_medication_id bigint, p_student_usi integer, p_school_id bigint,\n"
                "                                               p_medication_label text DEFAULT NULL)")
    sql = _swap(sql, "        SELECT m.student_usi, m.school_id INTO med FROM health.medications m",
                f"        SELECT m.student_usi, m.school_id, {LABEL.format(m='m')} AS label INTO med "
                "FROM health.medications m")
    sql = _swap(sql, "        p_school_id := med.school_id;\n",
                "        p_school_id := med.school_id;\n        p_medication_label := med.label;\n")
    sql = _swap(sql, "    ELSIF p_kind <> 'received' OR p_student_usi IS NULL OR p_school_id IS NULL THEN",
                "    ELSIF p_kind <> 'received' OR p_student_usi IS NULL OR p_school_id IS NULL\n"
                "          OR coalesce(btrim(p_medication_label), '') = '' THEN")
    sql = _swap(sql, "medication_id, kind, quantity, expires_at)", "medication_id, kind, quantity, expires_at, medication_label)")
    sql = _swap(sql, "p_quantity, now() + interval '10 minutes')",
                "p_quantity, now() + interval '10 minutes', lower(btrim(p_medication_label)))")
    return sql


def _check_count_signer() -> str:
    sql = _function("0035_nurse_witness_tokens.py", "check_count_signer")
    sql = _swap(sql, "    tok health.witness_tokens%ROWTYPE;\n",
                "    tok health.witness_tokens%ROWTYPE;\n    new_order record;\n")
    sql = _swap(sql, """        IF tok.kind <> NEW.kind OR tok.quantity <> NEW.quantity OR tok.student_usi <> NEW.student_usi
           OR tok.school_id <> NEW.school_id OR tok.medication_id <> NEW.medication_id THEN""",
                """        IF tok.kind IS DISTINCT FROM NEW.kind OR tok.quantity IS DISTINCT FROM NEW.quantity
           OR tok.student_usi IS DISTINCT FROM NEW.student_usi OR tok.school_id IS DISTINCT FROM NEW.school_id
           OR (tok.medication_id IS NOT NULL AND tok.medication_id IS DISTINCT FROM NEW.medication_id) THEN""")
    anchor = "        NEW.witness_staff_usi := tok.witness_staff_usi;\n"
    check = f"""        IF tok.medication_id IS NULL THEN  -- the supply of a new order: this transaction's, as the witness saw it
            SELECT m.created_at, {LABEL.format(m='m')} AS label INTO new_order
              FROM health.medications m WHERE m.medication_id = NEW.medication_id;
            IF NEW.kind IS DISTINCT FROM 'received' OR new_order.created_at IS DISTINCT FROM now()::timestamp
               OR new_order.label IS DISTINCT FROM tok.medication_label
               OR EXISTS (SELECT 1 FROM health.controlled_counts c WHERE c.medication_id = NEW.medication_id) THEN
                RAISE EXCEPTION 'the witness signed for the supply of a new order, not for this order''s'
                    USING ERRCODE = '42501';
            END IF;
        END IF;
"""
    return _swap(sql, anchor, check + anchor)


STAMP = """
CREATE TRIGGER stamp_medication BEFORE INSERT OR UPDATE ON health.medications
    FOR EACH ROW EXECUTE FUNCTION health.stamp_visit();  -- (0035's: created_at is the server's for staff)
"""


def _migration(name: str):
    """Another migration module of this directory (their names start with digits)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_nurse_{name[:4]}", Path(__file__).with_name(name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _grant_sign_witness(args: str) -> None:
    roles = ", ".join(_migration("0035_nurse_witness_tokens.py").STAFF_ROLES)
    op.execute(f"REVOKE ALL ON FUNCTION health.sign_witness({args}) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION health.sign_witness({args}) TO {roles}")


def upgrade() -> None:
    op.add_column("witness_tokens", sa.Column("medication_label", sa.Text(), nullable=True,
                                              comment="The medication the witness saw (name and strength)"),
                  schema="health")
    op.execute(f"DROP FUNCTION health.sign_witness({OLD_ARGS})")
    op.execute(_sign_witness())
    _grant_sign_witness(NEW_ARGS)
    op.execute(_check_count_signer())
    op.execute(STAMP)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS stamp_medication ON health.medications")
    m43 = _migration("0043_nurse_new_order_receipt_token.py")
    op.execute(m43._signer_sql().replace(m43.ANCHOR, m43.CHECK + m43.ANCHOR, 1))
    op.execute(f"DROP FUNCTION health.sign_witness({NEW_ARGS})")
    op.drop_column("witness_tokens", "medication_label", schema="health")
    op.execute(_function("0035_nurse_witness_tokens.py", "sign_witness"))
    _grant_sign_witness(OLD_ARGS)
