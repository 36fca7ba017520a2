"""Cafeteria: cash and checks go only into the cashier's own open till (review of session 6, HIGH 1)

0042's trigger checked a sale's till only when the sale named one, and never that the till was open:
a cashier with psql could ring a cash (or check) deposit with no till at all, or into a till already
counted and closed, and credit an account with money no blind count would ever expect. Now a sale
or deposit that takes cash or a check (or names a till) must name a till of its own cashier, at its
own school, that is still open; otherwise the statement is refused and nothing is written. The
register already refused cash without an open till on the terminal, and refuses closing the till
while its journal holds unsent sales, so no honest sale reaches a closed till. Reversals (voids,
refunds, NSF) are built by cafeteria.apply_reversal for a manager from the original sale and keep its
till, so they are not checked here.

Review LOW 2: a cafeteria manager's queue of refused journal entries trusted the school id written in
the payload, which any cashier or librarian may send to sync.journal_flag: a cashier of one school
could drop entries into another school's managers' queue, and a repeated flag rewrote the reason of
one already reviewed. Now `sync.journal_flags.school_id` is stamped by the database (a trigger) with
the payload's school only when the login that flags it serves that school (or is an administrator),
NULL otherwise (administrators' queue only); the managers' policy reads that column; and a flag
already reviewed keeps its reason and time when the same entry is flagged again.

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-03
"""
from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None

SQL = r"""
DROP TRIGGER own_till ON cafeteria.sales;
CREATE OR REPLACE FUNCTION cafeteria.check_sale_till() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.till_id IS NULL THEN
        RAISE EXCEPTION 'cash and checks are taken only into an open till: open the till first'
            USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cafeteria.tills t WHERE t.till_id = NEW.till_id AND t.school_id = NEW.school_id
                      AND t.cashier = NEW.cashier AND t.closed_at IS NULL) THEN
        RAISE EXCEPTION 'a sale goes only into its own cashier''s open till at its school' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER own_till BEFORE INSERT ON cafeteria.sales
    FOR EACH ROW WHEN (NEW.kind IN ('sale', 'deposit')
                       AND (NEW.till_id IS NOT NULL OR NEW.cash_amount <> 0 OR NEW.check_amount <> 0))
    EXECUTE FUNCTION cafeteria.check_sale_till();
REVOKE ALL ON FUNCTION cafeteria.check_sale_till() FROM PUBLIC;

ALTER TABLE sync.journal_flags ADD COLUMN school_id bigint;
COMMENT ON COLUMN sync.journal_flags.school_id IS 'Whose review queue: the payload''s school when the flagging '
    'login serves it (stamped by the database, migration 0051); NULL: administrators only';
CREATE FUNCTION sync.stamp_flag() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.reviewed_at IS NOT NULL THEN  -- reviewed: a repeated flag does not rewrite what was reviewed
            NEW.reason := OLD.reason;
            NEW.flagged_at := OLD.flagged_at;
            NEW.payload := OLD.payload;
        END IF;
        NEW.school_id := OLD.school_id;
        RETURN NEW;
    END IF;
    s := CASE WHEN NEW.payload->>'school_id' ~ '^[0-9]{1,18}$' THEN (NEW.payload->>'school_id')::bigint END;
    NEW.school_id := CASE WHEN s IS NOT NULL AND (s = ANY (compliance.my_school_ids())
                                                 OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER'))
                          THEN s END;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION sync.stamp_flag() FROM PUBLIC;
CREATE TRIGGER stamp_flag BEFORE INSERT OR UPDATE ON sync.journal_flags
    FOR EACH ROW EXECUTE FUNCTION sync.stamp_flag();
-- flags written before this migration cannot show who served what: they stay in the administrators' queue
DROP POLICY cafeteria_sites ON sync.journal_flags;
CREATE POLICY cafeteria_sites ON sync.journal_flags FOR ALL TO so_cafeteria_manager
    USING (kind LIKE 'cafeteria.%' AND school_id = ANY ((SELECT compliance.my_school_ids())::bigint[]))
    WITH CHECK (kind LIKE 'cafeteria.%' AND school_id = ANY ((SELECT compliance.my_school_ids())::bigint[]));
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("0051 closes a hole in the till's count; restore a backup instead of reopening it")
