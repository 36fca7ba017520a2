"""The one-call checkout lends by the rules matrix as the database reads it (review of session 6, LOW 2)

0036 let library.checkout lend a clean case by terms the desk sent (loan days and limits resolved
from the matrix in Python, checked only by the matrix's stamp): a librarian with psql could send
terms of their own and lend for ten years past every limit. Now library.checkout_read resolves them
itself: the patron's category from their grade (library.patron_category), the most specific rule for
the copy's type and the patron's overall rule (library.rule_for, in resolve_rule's order: 0046), and
library.checkout_clean compares the counts with those. p_terms only says "lend it if it is clean".
library.rule_for is plpgsql now so that its plan is kept between calls.

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-03
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"_library_{name[:4]}", Path(__file__).with_name(name))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


_m0036 = _migration("0036_library_checkout_one_call.py")
_START = "CREATE FUNCTION library.checkout_read("
_OLD = _m0036.FUNCTIONS_SQL[_m0036.FUNCTIONS_SQL.index(_START):]
_OLD = _OLD[:_OLD.index("\n$$;\n") + 5]

_GATE_OLD = "IF p_terms IS NULL OR p_terms->>'stamp' IS DISTINCT FROM stamp OR it.school_id IS DISTINCT FROM p_school"
_GATE_NEW = "IF p_terms IS NULL OR it.school_id IS DISTINCT FROM p_school"
_CLEAN_OLD = _OLD[_OLD.index("    days := library.checkout_clean("):_OLD.index("    IF days IS NULL THEN")]
_CLEAN_NEW = r"""    cat := library.patron_category(CASE WHEN pat IS NOT NULL THEN pat->>'grade' ELSE (
               SELECT d.codevalue FROM edfi.studentschoolassociation a
                 JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
                WHERE a.studentusi = p_student
                ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1) END, p_staff IS NOT NULL);
    r_type := library.rule_for(p_school, cat, it.item_type);
    r_all := library.rule_for(p_school, cat, NULL);
    days := library.checkout_clean(jsonb_build_object(
                'types', jsonb_build_object(it.item_type, jsonb_build_array(r_type.loan_days,
                    CASE WHEN r_type.max_items = 0 THEN 0 WHEN r_type.item_type IS NOT NULL THEN r_type.max_items END)),
                'max_items', r_all.max_items, 'max_overdue', r_all.max_overdue),
            it.item_type, it.status, loans, p_today);
"""
for old in (_GATE_OLD, _CLEAN_OLD, "    days integer;\n"):
    assert old in _OLD, old
NEW_READ = (_OLD.replace(_START, "CREATE OR REPLACE FUNCTION library.checkout_read(")
            .replace(_GATE_OLD, _GATE_NEW).replace(_CLEAN_OLD, _CLEAN_NEW)
            .replace("    days integer;\n", "    days integer;\n    cat text;\n    r_type library.loan_rules;\n"
                                            "    r_all library.loan_rules;\n"))

RULE_FOR = r"""
CREATE OR REPLACE FUNCTION library.rule_for(p_school bigint, p_category text, p_item_type text) RETURNS library.loan_rules
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    r library.loan_rules;
BEGIN
    SELECT x.* INTO r FROM library.loan_rules x
     WHERE (x.school_id IS NULL OR x.school_id = p_school)
       AND (x.patron_category IS NULL OR x.patron_category = p_category)
       AND (x.item_type IS NULL OR x.item_type = p_item_type)
     ORDER BY (x.school_id IS NOT NULL)::int + (x.item_type IS NOT NULL)::int + (x.patron_category IS NOT NULL)::int
              DESC, x.school_id IS NOT NULL DESC, x.item_type IS NOT NULL DESC, x.patron_category IS NOT NULL DESC,
              x.rule_id
     LIMIT 1;
    RETURN r;
END;
$$;
REVOKE ALL ON FUNCTION library.rule_for(bigint, text, text) FROM PUBLIC;
"""


def upgrade() -> None:
    op.execute(RULE_FOR)
    op.execute(NEW_READ)


def downgrade() -> None:
    op.execute(_OLD.replace(_START, "CREATE OR REPLACE FUNCTION library.checkout_read("))
    m0046 = _migration("0046_library_fines_by_the_database.py")
    sql = m0046.SQL
    start = sql.index("CREATE FUNCTION library.rule_for(")
    op.execute(sql[start:sql.index("\n$$;\n", start) + 5].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
