"""The DynamoDB outbox: add-only for staff roles, read and emptied only by the shipper; dead letters

Until now every so_* role could read, change and delete sync.dynamo_outbox: a cashier could read
the discipline behaviours waiting for DynamoDB, and anyone could delete undelivered records.
Staff roles may now only add records (INSERT of the two columns a record is made of); the new
group role so_shipper, and the schema owner, read, mark and delete them. The status bar's count
comes from sync.outbox_summary(), which returns counts and an age, never content.

A record DynamoDB refuses (an oversized item, a wrong type in an index key) no longer stalls the
records behind it: the shipper counts its rejections and, after a few, sets it aside
(dead_lettered_at), where `school-office-admin status` shows it. Records that cannot be keyed are
refused at the door by a check constraint.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The staff roles of migration 0002 (operators script against these names).
APP_ROLES = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
             "so_transportation", "so_registrar", "so_admin")
APP = ", ".join(APP_ROLES)

# Frozen here on purpose: a migration must not change when app/dynamo/tables.py does.
# coalesce: a missing attribute makes the test NULL, and a CHECK lets NULL through.
ITEM_KEY_CHECK = """coalesce(
    target_table IN ('StudentActivityLogs', 'AssessmentResults', 'NotificationQueue', 'UserSessions', 'SystemEvents')
    AND CASE target_table
          WHEN 'UserSessions' THEN jsonb_typeof(item -> 'SessionId') = 'string' AND item ->> 'SessionId' <> ''
          ELSE jsonb_typeof(item -> 'PK') = 'string' AND item ->> 'PK' <> ''
               AND jsonb_typeof(item -> 'SK') = 'string' AND item ->> 'SK' <> ''
        END, false)"""

UPGRADE_SQL = f"""
ALTER TABLE sync.dynamo_outbox
    ADD COLUMN rejections integer NOT NULL DEFAULT 0,
    ADD COLUMN dead_lettered_at timestamptz;
COMMENT ON COLUMN sync.dynamo_outbox.rejections IS 'Times DynamoDB refused this very item';
COMMENT ON COLUMN sync.dynamo_outbox.dead_lettered_at IS
    'Set aside after repeated refusals: no longer sent, shown by school-office-admin status';
-- NOT VALID: rows already waiting are not re-checked (the shipper sets aside any it cannot key).
ALTER TABLE sync.dynamo_outbox ADD CONSTRAINT ck_dynamo_outbox_item_key CHECK ({ITEM_KEY_CHECK}) NOT VALID;

-- Roles are cluster-wide: another School Office database on the server may have made it already.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'so_shipper') THEN
        CREATE ROLE so_shipper NOLOGIN;
    END IF;
END $$;
COMMENT ON ROLE so_shipper IS 'School Office: delivers the DynamoDB outbox (grant it to the login that runs '
    'school-office-admin ship)';

-- No staff role reads, changes or deletes what waits; whatever 0002 (or a hand) granted goes.
DO $$ DECLARE r name; BEGIN
    FOR r IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE 'so\\_%' AND rolname <> 'so_shipper' LOOP
        EXECUTE pg_catalog.format(
            'REVOKE SELECT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON sync.dynamo_outbox FROM %I', r);
    END LOOP;
END $$;
REVOKE ALL ON sync.dynamo_outbox FROM PUBLIC;
-- Staff roles add a record by its two columns; id, times, attempts and dead-letter state are the shipper's.
REVOKE INSERT ON sync.dynamo_outbox FROM {APP};
GRANT INSERT (target_table, item) ON sync.dynamo_outbox TO {APP};

GRANT USAGE ON SCHEMA sync TO so_shipper;
GRANT SELECT, INSERT, UPDATE, DELETE ON sync.dynamo_outbox TO so_shipper;
-- `school-office-admin ship` refuses a database of an unknown schema revision: it must read it.
GRANT SELECT ON public.alembic_version TO so_shipper;

DO $$ DECLARE seq text := pg_catalog.pg_get_serial_sequence('sync.dynamo_outbox', 'outbox_id'); BEGIN
    EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC', seq);
    EXECUTE pg_catalog.format('GRANT USAGE ON SEQUENCE %s TO {APP}, so_shipper', seq);
END $$;

-- Counts only, for the status bar of any signed-in workstation: never a record's content.
CREATE OR REPLACE FUNCTION sync.outbox_summary(OUT waiting bigint, OUT dead_lettered bigint,
                                               OUT oldest_waiting_seconds double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.count(*) FILTER (WHERE o.dead_lettered_at IS NULL),
           pg_catalog.count(*) FILTER (WHERE o.dead_lettered_at IS NOT NULL),
           pg_catalog.date_part('epoch', pg_catalog.now()
                                OPERATOR(pg_catalog.-) pg_catalog.min(o.created_at) FILTER (WHERE o.dead_lettered_at IS NULL))
      FROM sync.dynamo_outbox o
$$;
COMMENT ON FUNCTION sync.outbox_summary() IS 'Records waiting for DynamoDB and set aside, and the oldest wait: '
    'counts only';
REVOKE ALL ON FUNCTION sync.outbox_summary() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync.outbox_summary() TO {APP}, so_shipper;
"""

DOWNGRADE_SQL = f"""
DROP FUNCTION IF EXISTS sync.outbox_summary();
REVOKE ALL ON sync.dynamo_outbox FROM so_shipper;
REVOKE SELECT ON public.alembic_version FROM so_shipper;
DO $$ DECLARE seq text := pg_catalog.pg_get_serial_sequence('sync.dynamo_outbox', 'outbox_id'); BEGIN
    EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE %s FROM so_shipper', seq);
END $$;
REVOKE USAGE ON SCHEMA sync FROM so_shipper;
-- so_shipper itself stays: it is cluster-wide and other databases may use it.
GRANT SELECT, INSERT, UPDATE, DELETE ON sync.dynamo_outbox TO {APP};
ALTER TABLE sync.dynamo_outbox DROP CONSTRAINT IF EXISTS ck_dynamo_outbox_item_key;
ALTER TABLE sync.dynamo_outbox DROP COLUMN IF EXISTS dead_lettered_at, DROP COLUMN IF EXISTS rejections;
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
