"""A multi-row statement's audit entry holds at most 1,000 rows

Since 0052 a statement that changes several rows writes one audit entry holding every row's image.
A bulk load with the audit on (an Ed-Fi interchange import COPYs a district's rows, audited) would
then put millions of row images in one jsonb value, past PostgreSQL's 255 MB limit for one: the
import would fail. Now the statement writes one entry per 1,000 rows (same shape: {"key": [...],
"rows": [...]}, aligned for an update), in one INSERT ... SELECT. A roster save (35 rows) still
writes one entry per table; single-row statements are unchanged.

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-04
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None

ROWS_PER_ENTRY = 1000


def _0052():
    """0052's text: its declarations and single-row path are kept as they are."""
    path = Path(__file__).with_name("0052_audit_one_entry_per_statement.py")
    spec = importlib.util.spec_from_file_location("audit_statement_0052", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_MULTI_ROW = r"""
    changed int;
    keys jsonb := to_jsonb(TG_ARGV);
BEGIN
    -- How many rows the statement changed (none: no entry; one: the entry it always wrote).
    IF TG_OP = 'DELETE' THEN
        SELECT count(*) INTO changed FROM (SELECT 1 FROM old_rows LIMIT 2) AS s;
    ELSE
        SELECT count(*) INTO changed FROM (SELECT 1 FROM new_rows LIMIT 2) AS s;
    END IF;
    IF changed = 0 THEN
        RETURN NULL;
    END IF;
    IF changed > 1 THEN
        -- One entry per %(n)s rows of the statement: the rows' images, aligned for an update.
        IF TG_OP = 'INSERT' THEN
            INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name,
                                               record_id, operation, old_values, new_values, user_agent, data_categories)
            SELECT session_user, nullif(current_setting('school_office.app_user', true), ''),
                   nullif(current_setting('school_office.workstation', true), ''),
                   nullif(current_setting('school_office.session_id', true), ''),
                   TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, NULL, TG_OP, NULL,
                   jsonb_build_object('key', keys, 'rows', to_jsonb(array_agg(c.n))),
                   nullif(current_setting('application_name', true), ''), ARRAY[TG_TABLE_SCHEMA::text]
              FROM (SELECT n, (row_number() OVER () - 1) / %(n)s AS chunk FROM new_rows n) AS c
             GROUP BY c.chunk ORDER BY c.chunk;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name,
                                               record_id, operation, old_values, new_values, user_agent, data_categories)
            SELECT session_user, nullif(current_setting('school_office.app_user', true), ''),
                   nullif(current_setting('school_office.workstation', true), ''),
                   nullif(current_setting('school_office.session_id', true), ''),
                   TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, NULL, TG_OP,
                   jsonb_build_object('key', keys, 'rows', to_jsonb(array_agg(c.o))), NULL,
                   nullif(current_setting('application_name', true), ''), ARRAY[TG_TABLE_SCHEMA::text]
              FROM (SELECT o, (row_number() OVER () - 1) / %(n)s AS chunk FROM old_rows o) AS c
             GROUP BY c.chunk ORDER BY c.chunk;
        ELSE
            -- paired as the single-row path pairs them: by the row id, else by the key
            INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name,
                                               record_id, operation, old_values, new_values, user_agent, data_categories)
            SELECT session_user, nullif(current_setting('school_office.app_user', true), ''),
                   nullif(current_setting('school_office.workstation', true), ''),
                   nullif(current_setting('school_office.session_id', true), ''),
                   TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, NULL, TG_OP,
                   jsonb_build_object('key', keys, 'rows', jsonb_agg(p.oj)),
                   jsonb_build_object('key', keys, 'rows', jsonb_agg(p.nj)),
                   nullif(current_setting('application_name', true), ''), ARRAY[TG_TABLE_SCHEMA::text]
              FROM (SELECT oo.j AS oj, nn.j AS nj, (row_number() OVER () - 1) / %(n)s AS chunk
                      FROM (SELECT j, CASE WHEN j ? 'id' THEN j -> 'id'
                                           ELSE (SELECT jsonb_object_agg(k, j -> k) FROM unnest(TG_ARGV) AS k) END AS pk
                              FROM (SELECT to_jsonb(n) AS j FROM new_rows n) AS x) AS nn
                      FULL JOIN (SELECT j, CASE WHEN j ? 'id' THEN j -> 'id'
                                                ELSE (SELECT jsonb_object_agg(k, j -> k) FROM unnest(TG_ARGV) AS k) END AS pk
                                   FROM (SELECT to_jsonb(o) AS j FROM old_rows o) AS x) AS oo ON oo.pk = nn.pk) AS p
             GROUP BY p.chunk ORDER BY p.chunk;
        END IF;
        RETURN NULL;
    END IF;
""" % {"n": ROWS_PER_ENTRY}


def upgrade() -> None:
    m = _0052()
    op.execute(m._DECLARE + _MULTI_ROW + m._SINGLE_ROW)


def downgrade() -> None:
    op.execute(_0052().UPGRADE_SQL)
