"""A statement that changes many logins' schools rebuilds them in one pass (0073's rebuild was quadratic)

0073's triggers rebuilt the logins a statement touched with `login = ANY (logins)`, a comparison of every staff
row (and every kept row) with every login the statement touched: a demo or bench load copying 5,000 staff
members with their sign-ins took 0.4 s more per statement (0.1 s without the triggers). Now the staff rows are
matched to the logins through a hashed list, and a statement touching more than 64 logins rebuilds every
login's rows (one pass over the staff tables, as a term or school change does). Same rows, same locks.
Test: tests/integration/test_school_scope_lookup.py (a load of 300 staff members with their school links keeps
the same answer as 0050's query).

Revision ID: 0074
Revises: 0073
Create Date: 2026-12-04
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0074"
down_revision = "0073"
branch_labels = None
depends_on = None


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"_scope_{name[:4]}", Path(__file__).with_name(name))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


_m0073 = _migration("0073_school_ids_from_kept_days.py")
_SQL = _m0073.TABLE_SQL
_OF = _SQL[_SQL.index("CREATE FUNCTION compliance.login_school_days_of("):
           _SQL.index("REVOKE ALL ON FUNCTION compliance.login_school_days_of")]
_KEEP = _SQL[_SQL.index("CREATE FUNCTION compliance.keep_login_school_days()"):
             _SQL.index("REVOKE ALL ON FUNCTION compliance.keep_login_school_days()")]

_OF_OLD = "(p_logins IS NULL OR st.loginid::text = ANY (p_logins))"
_OF_NEW = "(p_logins IS NULL OR st.loginid::text IN (SELECT unnest(p_logins)))"  # a hashed list, not a scan per row
_KEEP_OLD = """    IF NOT every AND coalesce(cardinality(logins), 0) = 0 THEN
        RETURN NULL;
    END IF;"""
_KEEP_NEW = """    IF NOT every AND coalesce(cardinality(logins), 0) = 0 THEN
        RETURN NULL;
    END IF;
    IF cardinality(logins) > 64 THEN  -- a load: one pass over every login is cheaper than matching each
        every := true;
    END IF;"""
for _text, _old in ((_OF, _OF_OLD), (_KEEP, _KEEP_OLD)):
    assert _text.count(_old) == 1, _old

OLD_SQL = (_OF + _KEEP).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
NEW_SQL = OLD_SQL.replace(_OF_OLD, _OF_NEW).replace(_KEEP_OLD, _KEEP_NEW)


def upgrade() -> None:
    op.execute(NEW_SQL)


def downgrade() -> None:
    op.execute(OLD_SQL)
