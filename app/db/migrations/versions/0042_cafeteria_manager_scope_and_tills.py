"""Cafeteria: a manager changes only their own schools' rows; every till write goes through a checked function

Who does what (issue 9). Until now meal prices and charge policies had no school: any cafeteria
manager changed them for the whole district, and could also change the district's settings (low-
balance threshold, largest deposit, attendance factor) and meal plan definitions.

- `meal_prices` and `charge_policies` get a `school_id`. NULL is a district-wide row, which only an
  administrator changes; a row with a school is that site's own price or policy, changed only by a
  cafeteria manager who serves that school (row-level security, both USING and WITH CHECK). A site's
  row takes precedence over the district's for the same group (the register's snapshot and the
  server's re-billing read site rows first). Cashiers read the district rows and their schools'.
- `district_settings` (one row for the whole district) and `meal_plans` (the district's plan
  definitions) are administrators' only: the manager's UPDATE/INSERT grants are revoked.
- `site_settings`: the alternate meal must be one of that site's (or the district's) menu items.
- `sync.journal_flags`: a cafeteria manager reads and reviews only cafeteria entries of their schools
  (it was every desk's refused entry, any school).
- Tills: a cashier no longer INSERTs `cafeteria.tills`. `cafeteria.open_till()` (pinned SECURITY
  DEFINER) opens a till for the caller only (the cashier is always session_user), at a school the
  caller serves (an administrator: any school, as for a sale), with starting cash between $0.00 and
  $1000.00 (the register's own limit), at the terminal's time (it may open offline and sync later)
  but never in the future (the time only labels the till; the count is checked against its sales);
  the same till id again is acknowledged once, never rewritten. Closing (the blind count) and
  finalizing were already functions (0020); a sale or deposit may name only a till of its own
  cashier at its own school (a trigger), so nobody rings cash into another's drawer. (Which terminal
  a till names is the cashier's word: a till on someone else's terminal is still hers alone, and no
  sale of theirs can reach it; refusing a second open till per terminal would lock a terminal whose
  journal was lost with its till open.)

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

MINE = "((SELECT compliance.my_school_ids())::bigint[])"

SCOPE_SQL = f"""
CREATE UNIQUE INDEX ux_meal_prices_group ON cafeteria.meal_prices
    ((coalesce(school_id, 0)), meal_service, grade_from, grade_to, eligibility, effective_from);
CREATE UNIQUE INDEX ux_charge_policies_group ON cafeteria.charge_policies
    ((coalesce(school_id, 0)), (coalesce(eligibility, '')), grade_from, grade_to);
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['meal_prices', 'charge_policies'] LOOP
        EXECUTE format('ALTER TABLE cafeteria.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY administrators ON cafeteria.%I FOR ALL TO so_admin USING (true) '
                       'WITH CHECK (true)', t);
        EXECUTE format('CREATE POLICY site_reads ON cafeteria.%I FOR SELECT TO so_cashier '
                       'USING (school_id IS NULL OR school_id = ANY {MINE})', t);
        EXECUTE format('CREATE POLICY own_schools ON cafeteria.%I FOR ALL TO so_cafeteria_manager '
                       'USING (school_id = ANY {MINE}) WITH CHECK (school_id = ANY {MINE})', t);
    END LOOP;
END $$;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON cafeteria.district_settings, cafeteria.meal_plans
    FROM so_cafeteria_manager;

DROP POLICY own_schools ON cafeteria.site_settings;
CREATE POLICY own_schools ON cafeteria.site_settings FOR ALL TO so_cafeteria_manager
    USING (school_id = ANY {MINE})
    WITH CHECK (school_id = ANY {MINE} AND (alternate_item_id IS NULL OR EXISTS (
        SELECT 1 FROM cafeteria.menu_items i WHERE i.item_id = site_settings.alternate_item_id
           AND (i.school_id IS NULL OR i.school_id = site_settings.school_id))));

ALTER TABLE sync.journal_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON sync.journal_flags FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY cafeteria_sites ON sync.journal_flags FOR ALL TO so_cafeteria_manager
    USING (kind LIKE 'cafeteria.%' AND CASE WHEN payload->>'school_id' ~ '^[0-9]{{1,18}}$'
                                            THEN (payload->>'school_id')::bigint = ANY {MINE} ELSE false END)
    WITH CHECK (kind LIKE 'cafeteria.%' AND CASE WHEN payload->>'school_id' ~ '^[0-9]{{1,18}}$'
                                                 THEN (payload->>'school_id')::bigint = ANY {MINE} ELSE false END);
"""

TILLS_SQL = r"""
REVOKE INSERT ON cafeteria.tills FROM so_cashier, so_cafeteria_manager, so_admin;
DROP POLICY open_own ON cafeteria.tills;

CREATE FUNCTION cafeteria.open_till(p_till uuid, p_school bigint, p_terminal text, p_opening numeric,
                                    p_opened_at timestamptz) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t cafeteria.tills%ROWTYPE;
BEGIN
    IF NOT (pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only cafeteria staff open a till' USING ERRCODE = '42501';
    END IF;
    IF p_till IS NULL OR p_school IS NULL OR p_opening IS NULL OR p_opened_at IS NULL THEN
        RAISE EXCEPTION 'a till needs its id, school, starting cash and opening time' USING ERRCODE = '22023';
    END IF;
    IF p_terminal IS NULL OR p_terminal !~ '^[^[:space:][:cntrl:]]{1,64}$' THEN
        RAISE EXCEPTION 'the terminal name is not valid' USING ERRCODE = '22023';
    END IF;
    IF NOT (p_school = ANY (compliance.my_school_ids())
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'you open a till only at a school you serve' USING ERRCODE = '42501';
    END IF;
    IF p_opening < 0 OR p_opening > 1000 OR p_opening <> round(p_opening, 2) THEN
        RAISE EXCEPTION 'the starting cash must be between $0.00 and $1000.00' USING ERRCODE = '22023';
    END IF;
    IF p_opened_at > pg_catalog.now() + interval '5 minutes' THEN
        RAISE EXCEPTION 'a till''s opening time cannot be in the future' USING ERRCODE = '22023';
    END IF;
    -- the same till id applies once (a resend); another till under that id is refused
    SELECT * INTO t FROM cafeteria.tills x WHERE x.till_id = p_till FOR UPDATE;
    IF FOUND THEN
        IF t.cashier = session_user::text AND t.school_id = p_school AND t.terminal_id = p_terminal
           AND t.opening_cash = p_opening THEN
            RETURN 'applied';
        END IF;
        RAISE EXCEPTION 'this till id is already used by another till' USING ERRCODE = '23505';
    END IF;
    INSERT INTO cafeteria.tills (till_id, school_id, terminal_id, cashier, opened_at, opening_cash)
    VALUES (p_till, p_school, p_terminal, session_user, p_opened_at, p_opening);
    RETURN 'new';
END;
$$;

-- A sale or deposit names only a till of its own cashier at its own school (reversals, written by
-- cafeteria.apply_reversal for a manager, give cash back from the original sale's till).
CREATE FUNCTION cafeteria.check_sale_till() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cafeteria.tills t WHERE t.till_id = NEW.till_id AND t.school_id = NEW.school_id
                      AND t.cashier = NEW.cashier) THEN
        RAISE EXCEPTION 'a sale goes only into its own cashier''s till at its school' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER own_till BEFORE INSERT ON cafeteria.sales
    FOR EACH ROW WHEN (NEW.till_id IS NOT NULL AND NEW.kind IN ('sale', 'deposit'))
    EXECUTE FUNCTION cafeteria.check_sale_till();

REVOKE ALL ON FUNCTION cafeteria.open_till(uuid, bigint, text, numeric, timestamptz),
    cafeteria.check_sale_till() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cafeteria.open_till(uuid, bigint, text, numeric, timestamptz) TO so_cashier, so_admin;
"""

# The server's re-billing of a re-classified meal (rederive_meals, 0024) prices it at the site's own
# price when there is one, the district's otherwise: the same rule as the register's snapshot.
REBILL_SQL = r"""
DO $$
DECLARE
    src text;
    old_where text := 'WHERE mp.meal_service = p_service AND mp.eligibility = coalesce(r.eligibility, ''paid'')';
    old_order text := 'ORDER BY mp.price_id LIMIT 1';
BEGIN
    SELECT pg_catalog.pg_get_functiondef('cafeteria.rederive_meals(integer, date, text)'::regprocedure) INTO src;
    IF pg_catalog.strpos(src, old_where) = 0 OR pg_catalog.strpos(src, old_order) = 0 THEN
        RAISE EXCEPTION 'cafeteria.rederive_meals changed: update migration 0042''s price look-up';
    END IF;
    src := replace(src, old_where, 'WHERE (mp.school_id IS NULL OR mp.school_id = r.school_id) '
                                   'AND mp.meal_service = p_service AND mp.eligibility = coalesce(r.eligibility, ''paid'')');
    src := replace(src, old_order, 'ORDER BY (mp.school_id IS NULL), mp.price_id LIMIT 1');
    EXECUTE src;
END $$;
"""


def upgrade() -> None:
    op.add_column("meal_prices", sa.Column("school_id", sa.BigInteger(), nullable=True,
                                           comment="The site this price is for; NULL: the district's price "
                                                   "(administrators)"), schema="cafeteria")
    op.add_column("charge_policies", sa.Column("school_id", sa.BigInteger(), nullable=True,
                                               comment="The site this policy is for; NULL: the district's policy "
                                                       "(administrators)"), schema="cafeteria")
    for t in ("meal_prices", "charge_policies"):
        op.create_foreign_key(op.f(f"fk_{t}_school_id_school"), t, "school", ["school_id"], ["schoolid"],
                              source_schema="cafeteria", referent_schema="edfi")
    op.execute(SCOPE_SQL)
    op.execute(TILLS_SQL)
    op.execute(REBILL_SQL)


def downgrade() -> None:
    raise NotImplementedError("0042 narrows who writes what; restore a backup instead of widening it again")
