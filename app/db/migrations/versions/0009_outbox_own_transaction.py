"""What the caller's own transaction put in the outbox

Migration 0008 made the outbox add-only for staff roles, which is right: a cashier must not read
a discipline record waiting for DynamoDB. But a transaction may still read back what it wrote
itself (the records of the action it is taking, not yet committed): services and tests check that
an action queued exactly the records it should. This function returns only rows whose inserting
transaction is the caller's own, so it shows nothing the caller did not just write.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

APP = ("so_front_office, so_teacher, so_dean, so_nurse, so_cashier, so_librarian, so_transportation, "
       "so_registrar, so_admin")


def upgrade() -> None:
    op.execute(f"""
CREATE OR REPLACE FUNCTION sync.items_of_this_transaction()
RETURNS TABLE (outbox_id bigint, target_table text, item jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT o.outbox_id, o.target_table::text, o.item FROM sync.dynamo_outbox o
     WHERE o.xmin = pg_catalog.pg_current_xact_id_if_assigned()::xid
     ORDER BY o.outbox_id;
$$;
COMMENT ON FUNCTION sync.items_of_this_transaction() IS
    'Outbox records written by the calling transaction itself (not yet committed); nothing else';
REVOKE ALL ON FUNCTION sync.items_of_this_transaction() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync.items_of_this_transaction() TO {APP};
""")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS sync.items_of_this_transaction()")
