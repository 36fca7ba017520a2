"""Run loads tell nobody about a rider outside their schools (security review of session 6, HIGH 1)

`transportation.run_loads_on(runs, day, p_except)` left out any student the caller named, so the
difference between two calls gave that student's runs, grade and needs, including an IEP's, to the
front office and to nurses of other schools. Now:
- p_except is honoured only for a student of the caller's schools (administrators: any); naming
  another school's student is refused (42501);
- callers who may not read IEPs (the front office) get loads counted with the plans' own needs only.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-03
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def _old_function() -> str:
    spec = importlib.util.spec_from_file_location("m0040", Path(__file__).with_name("0040_transport_needs_in_force.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    sql = m.UPGRADE_SQL
    start = sql.index("CREATE OR REPLACE FUNCTION transportation.run_loads_on")
    return sql[start:sql.index("REVOKE ALL ON FUNCTION transportation.run_loads_on", start)]


def _new_function() -> str:
    old = _old_function()
    steps = (
        ("AS $$\nBEGIN\n", "AS $$\nDECLARE\n"
         "    admin boolean := pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER');\n"
         "    iep_reader boolean := admin OR pg_catalog.pg_has_role(session_user, 'so_transportation', 'MEMBER')\n"
         "                          OR pg_catalog.pg_has_role(session_user, 'so_nurse', 'MEMBER');\n"
         "BEGIN\n"),
        ("    IF p_runs IS NULL THEN", "    IF p_except IS NOT NULL AND NOT admin AND NOT EXISTS (\n"
         "            SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = p_except\n"
         "               AND sc.schoolid = ANY (compliance.my_school_ids())) THEN\n"
         "        RAISE EXCEPTION 'permission denied: that student is not at one of your schools'\n"
         "            USING ERRCODE = '42501';\n"
         "    END IF;\n"
         "    IF p_runs IS NULL THEN"),
        ("needs_on(NULL, p_day)", "needs_on(NULL, p_day, iep_reader)"),
        ("needs_on(ARRAY(SELECT DISTINCT student_usi FROM legs), p_day)",
         "needs_on(ARRAY(SELECT DISTINCT student_usi FROM legs), p_day, iep_reader)"),
    )
    new = old
    for before, after in steps:
        assert new.count(before) == 1, before
        new = new.replace(before, after)
    return new


def upgrade() -> None:
    op.execute(_new_function())


def downgrade() -> None:
    op.execute(_old_function())
