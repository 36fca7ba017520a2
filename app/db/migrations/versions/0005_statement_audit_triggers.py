"""Audit by statement instead of by row

The per-row audit trigger wrote one audit row per changed row with its own INSERT; saving a
35-student attendance roster made 140 of them (most of the save's 26 ms). Statement-level
triggers with transition tables write the same audit rows (database user, app user,
workstation, table, record key, operation, old and new values) with one INSERT ... SELECT per
statement. compliance.attach_audit keeps its name and now attaches the three triggers
audit_ins, audit_upd and audit_del.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE_SQL = r"""
CREATE OR REPLACE FUNCTION compliance.audit_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, compliance AS $$
DECLARE
    key_new text;
    key_old text;
    key_any text;
    pairs text;
    src text;
    old_expr text;
    new_expr text;
BEGIN
    SELECT string_agg(format('%L, n.%I', k, k), ', '), string_agg(format('%L, o.%I', k, k), ', '),
           string_agg(format('%L, coalesce(n.%I, o.%I)', k, k, k), ', '),
           string_agg(format('o.%I = n.%I', k, k), ' AND ')
      INTO key_new, key_old, key_any, pairs
      FROM unnest(TG_ARGV) AS k;
    IF TG_OP = 'INSERT' THEN
        src := 'new_rows n'; old_expr := 'NULL::jsonb'; new_expr := 'to_jsonb(n)'; key_any := key_new;
    ELSIF TG_OP = 'DELETE' THEN
        src := 'old_rows o'; old_expr := 'to_jsonb(o)'; new_expr := 'NULL::jsonb'; key_any := key_old;
    ELSE
        src := format('new_rows n FULL JOIN old_rows o ON %s', coalesce(pairs, 'false'));
        old_expr := 'to_jsonb(o)'; new_expr := 'to_jsonb(n)';
    END IF;
    EXECUTE format(
        'INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, '
        'record_id, operation, old_values, new_values, user_agent, data_categories) '
        'SELECT session_user, nullif(current_setting(''school_office.app_user'', true), ''''), '
        'nullif(current_setting(''school_office.workstation'', true), ''''), '
        'nullif(current_setting(''school_office.session_id'', true), ''''), %L, jsonb_build_object(%s)::text, '
        '%L, %s, %s, nullif(current_setting(''application_name'', true), ''''), ARRAY[%L] FROM %s',
        TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, coalesce(key_any, ''), TG_OP, old_expr, new_expr,
        TG_TABLE_SCHEMA, src);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION compliance.attach_audit(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    args text;
BEGIN
    SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum))
      INTO args
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = tbl AND i.indisprimary;
    args := coalesce(args, '');
    EXECUTE format('DROP TRIGGER IF EXISTS audit_row ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_ins ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_upd ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_del ON %s', tbl);
    EXECUTE format('CREATE TRIGGER audit_ins AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION compliance.audit_statement(%s)', tbl, args);
    EXECUTE format('CREATE TRIGGER audit_upd AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows '
                   'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.audit_statement(%s)',
                   tbl, args);
    EXECUTE format('CREATE TRIGGER audit_del AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION compliance.audit_statement(%s)', tbl, args);
END;
$$;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT tgrelid::regclass AS t FROM pg_trigger WHERE tgname = 'audit_row' LOOP
        PERFORM compliance.attach_audit(r.t);
    END LOOP;
END $$;
"""

DOWNGRADE_SQL = r"""
CREATE OR REPLACE FUNCTION compliance.attach_audit(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    args text;
BEGIN
    SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum))
      INTO args
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = tbl AND i.indisprimary;
    EXECUTE format('DROP TRIGGER IF EXISTS audit_ins ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_upd ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_del ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS audit_row ON %s', tbl);
    EXECUTE format('CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION compliance.audit_trigger(%s)', tbl, coalesce(args, ''));
END;
$$;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT tgrelid::regclass AS t FROM pg_trigger WHERE tgname = 'audit_upd' LOOP
        PERFORM compliance.attach_audit(r.t);
    END LOOP;
END $$;

DROP FUNCTION IF EXISTS compliance.audit_statement();
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
