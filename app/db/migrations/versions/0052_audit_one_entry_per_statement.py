"""One audit entry per multi-row statement (a roster save writes two, not seventy)

compliance.audit_statement wrote one compliance.audit_logs row per changed row: a teacher's first
save of a 35-student roster wrote 70 audit rows (a key, two images and three index entries each),
about a fifth of the save's server time. Now a statement that changes more than one row writes ONE
entry for its table:
- old_values / new_values = {"key": [the table's key columns], "rows": [row images]}; for an
  UPDATE both arrays are aligned (element i of old and of new is the same row, paired by its id as
  before, or by its key), a missing side is a JSON null;
- record_id = NULL: each row's own key is in its image, and the key columns are named (working out
  the key all rows share cost as much as the images themselves).
The trail stays complete: app/services/audit_trail.py expands such an entry into one line per row,
with the record key each row's own entry would have had, and the filter by student finds a
student's row inside it. A statement that changes one row writes exactly what it wrote before (the
same code path); one that changes none writes nothing.

The multi-row path is static SQL (plpgsql keeps its plans per trigger), so it is not re-planned on
every statement as the dynamic single-row path is.

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-04
"""
from alembic import op

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None

_SINGLE_ROW = r"""
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
        -- Root tables carry a row id that survives a change of the key (a corrected attendance
        -- code is part of the key): pair old and new rows by it, so a correction is one entry.
        IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = TG_RELID AND attname = 'id' AND NOT attisdropped) THEN
            pairs := 'o.id = n.id';
        END IF;
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
"""

_DECLARE = r"""
CREATE OR REPLACE FUNCTION compliance.audit_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key_new text;
    key_old text;
    key_any text;
    pairs text;
    src text;
    old_expr text;
    new_expr text;
"""

UPGRADE_SQL = _DECLARE + r"""
    changed int;
    old_rows_img jsonb;
    new_rows_img jsonb;
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
        -- One entry for the statement: every row's image, in aligned arrays for an update.
        IF TG_OP = 'INSERT' THEN
            SELECT to_jsonb(array_agg(n)) INTO new_rows_img FROM new_rows n;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT to_jsonb(array_agg(o)) INTO old_rows_img FROM old_rows o;
        ELSE
            -- paired as the single-row path pairs them: by the row id, else by the key
            SELECT jsonb_agg(oo.j), jsonb_agg(nn.j) INTO old_rows_img, new_rows_img
              FROM (SELECT j, CASE WHEN j ? 'id' THEN j -> 'id'
                                   ELSE (SELECT jsonb_object_agg(k, j -> k) FROM unnest(TG_ARGV) AS k) END AS pk
                      FROM (SELECT to_jsonb(n) AS j FROM new_rows n) AS x) AS nn
              FULL JOIN (SELECT j, CASE WHEN j ? 'id' THEN j -> 'id'
                                        ELSE (SELECT jsonb_object_agg(k, j -> k) FROM unnest(TG_ARGV) AS k) END AS pk
                           FROM (SELECT to_jsonb(o) AS j FROM old_rows o) AS x) AS oo ON oo.pk = nn.pk;
        END IF;
        INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name,
                                           record_id, operation, old_values, new_values, user_agent, data_categories)
        VALUES (session_user, nullif(current_setting('school_office.app_user', true), ''),
                nullif(current_setting('school_office.workstation', true), ''),
                nullif(current_setting('school_office.session_id', true), ''),
                TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, NULL, TG_OP,
                CASE WHEN old_rows_img IS NOT NULL THEN jsonb_build_object('key', keys, 'rows', old_rows_img) END,
                CASE WHEN new_rows_img IS NOT NULL THEN jsonb_build_object('key', keys, 'rows', new_rows_img) END,
                nullif(current_setting('application_name', true), ''), ARRAY[TG_TABLE_SCHEMA::text]);
        RETURN NULL;
    END IF;
""" + _SINGLE_ROW

DOWNGRADE_SQL = _DECLARE + r"""
    has_rows boolean;
BEGIN
    -- A statement that changed no row (a data-modifying CTE with nothing to do) leaves no entry,
    -- and costs no more than this look.
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', CASE WHEN TG_OP = 'DELETE' THEN 'old_rows' ELSE 'new_rows' END)
       INTO has_rows;
    IF NOT has_rows THEN
        RETURN NULL;
    END IF;
""" + _SINGLE_ROW


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
