"""Meals are claimed and billed at the student's own eligibility and price, whatever a sale's line says;
a line that says otherwise is listed for the cafeteria manager (security review of session 6, cafperf
MEDIUM 3, the remainder left after migration 0049).

Until now `cafeteria.rederive_meals` (second meals, late sales, voids) classified a meal claim by the
eligibility the register wrote on the line, and nothing compared the line's price with the district's
meal prices: a cashier with psql could sell a paid student "free" lunches at $0.00 and the district would
claim them at the federal free rate. Now:

- The eligibility of a claim is the student's own, from their active meal account
  (`cafeteria.student_meal_eligibility`, the source the register's snapshot and
  `cafeteria.visiting_eligibility` read: free, reduced, anything else paid), in the fast path of both sale
  functions and in `rederive_meals`.
- The price due for a meal (`cafeteria.meal_price_due`: the site's price row first, then the district's, by
  service, eligibility and grade band; nothing for the reimbursable meal at a Community Eligibility site
  or for the policy's alternate meal; the second-meal price for any further meal) is what every meal line
  is billed: `rederive_meals` re-bills the difference by one adjusting entry (the ledger is append-only),
  as it already did when a late sale changed which meal is the reimbursable one.
- A meal line whose eligibility or price is not what the student's own eligibility gives is written to
  `cafeteria.price_flags` (once per line), which the cafeteria manager of the school (and an
  administrator) reads on the manager's screen. An offline register with a stale snapshot is flagged the
  same way: the sale is kept, never refused.
- The sale functions' fast path (a student's only meal of the service, `cafeteria.claim_first_meal`)
  claims the meal at once only when its line is what the student's own eligibility gives; any other goes
  through `rederive_meals`.

Revision ID: 0055
Revises: 0054
Create Date: 2026-12-04
"""
import importlib

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0055"
down_revision = "0054"
branch_labels = None
depends_on = None

MINE = "((SELECT compliance.my_school_ids())::bigint[])"
GRADES = importlib.import_module("app.db.migrations.versions.0024_cafeteria_rebill_reclassified_meals").GRADES

HELPERS_SQL = f"""
-- (plpgsql, not sql: a function with its own search_path is not inlined, and plpgsql keeps its plans for the
-- session where a sql function is planned again at every call: these run in every sale.)
-- The student's own eligibility: their active meal account's status (what the register's snapshot reads).
CREATE FUNCTION cafeteria.student_meal_eligibility(p_student integer) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce((SELECT CASE pg_catalog.lower(a.free_reduced_status) WHEN 'free' THEN 'free'
                                 WHEN 'reduced' THEN 'reduced' ELSE 'paid' END
                       FROM cafeteria.student_meal_plans a WHERE a.student_usi = p_student AND a.is_active LIMIT 1),
                    'paid');
END;
$$;

-- The student's grade on a day (-1 pre-kindergarten .. 12), as the price bands count it.
CREATE FUNCTION cafeteria.student_grade_on(p_student integer, p_date date) RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT pg_catalog.array_position(ARRAY[{GRADES}]::text[], d.codevalue::text) - 2
      FROM edfi.studentschoolassociation a
      JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
     WHERE a.studentusi = p_student AND a.entrydate <= p_date
     ORDER BY a.entrydate DESC LIMIT 1);
END;
$$;

-- The price due for a student's meal: the reimbursable one (free at a Community Eligibility site, and the
-- policy's alternate meal is free) or a further one at the second-meal price; the site's row first.
CREATE FUNCTION cafeteria.meal_price_due(p_school bigint, p_date date, p_service text, p_eligibility text,
                                         p_grade integer, p_item integer, p_reimbursable boolean) RETURNS numeric
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT CASE WHEN NOT p_reimbursable THEN mp.second_meal_price
                WHEN coalesce(ss.cep, false) OR p_item = ss.alternate_item_id THEN 0
                ELSE mp.price END
      FROM cafeteria.meal_prices mp
      LEFT JOIN cafeteria.site_settings ss ON ss.school_id = p_school
     WHERE (mp.school_id IS NULL OR mp.school_id = p_school) AND mp.meal_service = p_service
       AND mp.eligibility = p_eligibility
       AND (p_grade IS NULL OR p_grade BETWEEN mp.grade_from AND mp.grade_to)
       AND mp.effective_from <= p_date AND (mp.effective_to IS NULL OR mp.effective_to >= p_date)
     ORDER BY (mp.school_id IS NULL), mp.price_id LIMIT 1);
END;
$$;

-- A meal line that is not what the student's own eligibility gives, listed for the manager (once).
CREATE FUNCTION cafeteria.flag_meal_line(p_line bigint, p_eligibility text, p_due numeric) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO cafeteria.price_flags (transaction_id, sale_uuid, school_id, student_usi, service_date, meal_service,
                                       line_eligibility, student_eligibility, line_price, due_price)
    SELECT t.transaction_id, t.sale_uuid, t.school_id, t.student_usi, s.service_date, s.meal_service, t.eligibility,
           p_eligibility, t.price, p_due
      FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
     WHERE t.transaction_id = p_line
    ON CONFLICT (transaction_id) DO NOTHING;
END;
$$;

-- The sale functions' fast path: a student's only meal of the service (no other meal line of theirs that
-- day and service) is the reimbursable one. Claimed at once when its line is what the student's own
-- eligibility gives; otherwise the full derivation re-bills and flags it.
CREATE FUNCTION cafeteria.claim_first_meal(p_sale uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m record;
    v_elig text;
BEGIN
    SELECT t.transaction_id, t.student_usi, t.school_id, s.service_date, s.meal_service, t.price, t.eligibility,
           t.item_id
      INTO m
      FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
     WHERE t.sale_uuid = p_sale AND t.entry_kind = 'meal';
    IF NOT FOUND THEN
        RETURN;
    END IF;
    v_elig := cafeteria.student_meal_eligibility(m.student_usi);
    IF m.eligibility IS NOT DISTINCT FROM v_elig AND m.price IS NOT DISTINCT FROM cafeteria.meal_price_due(
            m.school_id, m.service_date, m.meal_service, v_elig,
            cafeteria.student_grade_on(m.student_usi, m.service_date), m.item_id, true) THEN
        INSERT INTO cafeteria.meal_claims (transaction_id, student_usi, school_id, service_date, meal_service,
                                           eligibility, reimbursable)
        VALUES (m.transaction_id, m.student_usi, m.school_id, m.service_date, m.meal_service, v_elig, true);
    ELSE
        PERFORM cafeteria.rederive_meals(m.student_usi, m.service_date, m.meal_service);
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION cafeteria.student_meal_eligibility(integer), cafeteria.student_grade_on(integer, date),
    cafeteria.meal_price_due(bigint, date, text, text, integer, integer, boolean),
    cafeteria.flag_meal_line(bigint, text, numeric), cafeteria.claim_first_meal(uuid) FROM PUBLIC;
"""

REDERIVE_SQL = r"""
CREATE OR REPLACE FUNCTION cafeteria.rederive_meals(p_student integer, p_date date, p_service text)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    changed integer;
    r record;
    grade integer;
    grade_known boolean := false;
    v_elig text;
    sold_due numeric;
    mispriced boolean;
    target numeric;
    delta numeric;
    adj uuid;
    why text;
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER')
       AND NOT pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')
       AND NOT (SELECT x.rolsuper FROM pg_catalog.pg_roles x WHERE x.rolname = session_user) THEN
        RAISE EXCEPTION 'only cafeteria staff derive meal counts' USING ERRCODE = '42501';
    END IF;
    -- one derivation at a time per student and service
    PERFORM pg_catalog.pg_advisory_xact_lock(p_student, pg_catalog.hashtext(p_date::text || p_service));
    -- the student's own eligibility, never the one a sale's line carries (migration 0055)
    v_elig := cafeteria.student_meal_eligibility(p_student);
    WITH lines AS (
        SELECT t.transaction_id, t.school_id,
               pg_catalog.row_number() OVER (ORDER BY s.sold_at, s.terminal_id, s.terminal_seq, t.line_no,
                                                      t.transaction_id) AS rn
          FROM cafeteria.meal_transactions t
          JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
         WHERE t.student_usi = p_student AND t.transaction_date = p_date
           AND s.service_date = p_date AND s.meal_service = p_service
           AND t.entry_kind IN ('meal', 'second_meal')
           AND NOT EXISTS (SELECT 1 FROM cafeteria.meal_transactions v
                            WHERE v.reverses_transaction_id = t.transaction_id AND v.entry_kind IN ('void', 'refund'))
    ), gone AS (
        DELETE FROM cafeteria.meal_claims c
         WHERE c.student_usi = p_student AND c.service_date = p_date AND c.meal_service = p_service
           AND NOT EXISTS (SELECT 1 FROM lines l WHERE l.transaction_id = c.transaction_id)
        RETURNING 1
    ), put AS (
        INSERT INTO cafeteria.meal_claims AS c (transaction_id, student_usi, school_id, service_date, meal_service,
                                                eligibility, reimbursable)
        SELECT l.transaction_id, p_student, l.school_id, p_date, p_service, v_elig, l.rn = 1 FROM lines l
        ON CONFLICT (transaction_id) DO UPDATE SET reimbursable = EXCLUDED.reimbursable, derived_at = now()
         WHERE c.reimbursable IS DISTINCT FROM EXCLUDED.reimbursable
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM put) INTO changed;

    -- Bill every meal line at what its class (the reimbursable meal or a further one) costs at the student's
    -- own eligibility: the difference from what it was billed (its price and earlier adjustments) is one
    -- adjusting entry; a line sold at another eligibility or price is listed for the manager (usually
    -- nothing to do: the loop reads the day's few meal lines of this student and service, on indexes).
    FOR r IN
        SELECT t.transaction_id, t.sale_uuid, t.item_id, t.school_id, t.eligibility, t.entry_kind, t.price,
               t.transaction_time, c.reimbursable AS claim,
               (SELECT count(*) FROM cafeteria.meal_transactions a
                 WHERE a.reverses_transaction_id = t.transaction_id AND a.entry_kind = 'adjustment') AS flips,
               (SELECT coalesce(sum(a.price), 0) FROM cafeteria.meal_transactions a
                 WHERE a.reverses_transaction_id = t.transaction_id AND a.entry_kind = 'adjustment') AS adjusted
          FROM cafeteria.meal_transactions t
          JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
          LEFT JOIN cafeteria.meal_claims c ON c.transaction_id = t.transaction_id
         WHERE t.student_usi = p_student AND t.transaction_date = p_date
           AND s.service_date = p_date AND s.meal_service = p_service AND s.kind = 'sale'
           AND t.entry_kind IN ('meal', 'second_meal')
         ORDER BY t.transaction_id
    LOOP
        mispriced := false;
        IF r.claim IS NULL THEN
            -- voided or refunded: the reversal undid the sale; undo what was re-billed on top of it
            CONTINUE WHEN r.adjusted = 0;
            delta := -r.adjusted;
            why := 'Meal voided or refunded: its re-billing is taken back';
        ELSE
            IF NOT grade_known THEN
                grade := cafeteria.student_grade_on(p_student, p_date);
                grade_known := true;
            END IF;
            target := cafeteria.meal_price_due(r.school_id, p_date, p_service, v_elig, grade, r.item_id, r.claim);
            CONTINUE WHEN target IS NULL;  -- no price for this group: the next derivation tries again
            sold_due := CASE WHEN (r.entry_kind = 'meal') = r.claim THEN target
                             ELSE cafeteria.meal_price_due(r.school_id, p_date, p_service, v_elig, grade, r.item_id,
                                                           r.entry_kind = 'meal') END;
            mispriced := r.eligibility IS DISTINCT FROM v_elig OR r.price IS DISTINCT FROM sold_due;
            IF mispriced THEN
                PERFORM cafeteria.flag_meal_line(r.transaction_id, v_elig, target);
            END IF;
            delta := target - (coalesce(r.price, 0) + r.adjusted);
            CONTINUE WHEN delta = 0;
            why := CASE WHEN mispriced AND r.adjusted = 0 AND (r.entry_kind = 'meal') = r.claim
                        THEN 'Re-priced at the student''s own meal price: the sale''s line carried another eligibility or price'
                        WHEN r.claim
                        THEN 'Re-priced as the reimbursable meal: the earlier meal of this service was voided'
                        ELSE 'Re-priced as a second meal: an earlier meal of this service reached the server late' END;
        END IF;
        adj := pg_catalog.md5('cafeteria.adjustment:' || r.transaction_id::text || ':' || (r.flips + 1)::text)::uuid;
        INSERT INTO cafeteria.sales (sale_uuid, kind, terminal_id, terminal_seq, school_id, service_date, meal_service,
                                     student_usi, customer, total, account_amount, reverses_sale_uuid, reason,
                                     sold_at)
        VALUES (adj, 'adjustment', 'server', r.flips + 1, r.school_id, p_date, p_service, p_student, 'student',
                delta, -delta, r.sale_uuid, why, pg_catalog.now())
        ON CONFLICT (sale_uuid) DO NOTHING;
        CONTINUE WHEN NOT FOUND;
        INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,
                                                 payment_method, cashier_id, sale_uuid, line_no, entry_kind, item_id,
                                                 school_id, price, eligibility, reverses_transaction_id)
        VALUES (p_student, p_date, r.transaction_time, pg_catalog.initcap(p_service), -delta, 'Account',
                session_user, adj, 1, 'adjustment', r.item_id, r.school_id, delta, v_elig, r.transaction_id);
        changed := changed + 1;
    END LOOP;
    RETURN changed;
END;
$function$
"""

# what rederive_meals was before this migration (0024, with 0042's site-first price look-up)
PREVIOUS_REDERIVE_SQL = r"""
CREATE OR REPLACE FUNCTION cafeteria.rederive_meals(p_student integer, p_date date, p_service text)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    changed integer;
    r record;
    grade integer;
    grade_known boolean := false;
    billed_as_meal boolean;
    target numeric;
    delta numeric;
    adj uuid;
    why text;
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER')
       AND NOT pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')
       AND NOT (SELECT x.rolsuper FROM pg_catalog.pg_roles x WHERE x.rolname = session_user) THEN
        RAISE EXCEPTION 'only cafeteria staff derive meal counts' USING ERRCODE = '42501';
    END IF;
    -- one derivation at a time per student and service
    PERFORM pg_catalog.pg_advisory_xact_lock(p_student, pg_catalog.hashtext(p_date::text || p_service));
    WITH lines AS (
        SELECT t.transaction_id, t.school_id, coalesce(t.eligibility, 'paid') AS eligibility,
               pg_catalog.row_number() OVER (ORDER BY s.sold_at, s.terminal_id, s.terminal_seq, t.line_no,
                                                      t.transaction_id) AS rn
          FROM cafeteria.meal_transactions t
          JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
         WHERE t.student_usi = p_student AND t.transaction_date = p_date
           AND s.service_date = p_date AND s.meal_service = p_service
           AND t.entry_kind IN ('meal', 'second_meal')
           AND NOT EXISTS (SELECT 1 FROM cafeteria.meal_transactions v
                            WHERE v.reverses_transaction_id = t.transaction_id AND v.entry_kind IN ('void', 'refund'))
    ), gone AS (
        DELETE FROM cafeteria.meal_claims c
         WHERE c.student_usi = p_student AND c.service_date = p_date AND c.meal_service = p_service
           AND NOT EXISTS (SELECT 1 FROM lines l WHERE l.transaction_id = c.transaction_id)
        RETURNING 1
    ), put AS (
        INSERT INTO cafeteria.meal_claims AS c (transaction_id, student_usi, school_id, service_date, meal_service,
                                                eligibility, reimbursable)
        SELECT l.transaction_id, p_student, l.school_id, p_date, p_service, l.eligibility, l.rn = 1 FROM lines l
        ON CONFLICT (transaction_id) DO UPDATE SET reimbursable = EXCLUDED.reimbursable, derived_at = now()
         WHERE c.reimbursable IS DISTINCT FROM EXCLUDED.reimbursable
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM put) INTO changed;

    -- Re-bill the lines whose billed class differs from the derived one (usually none: the loop
    -- reads the day's few meal lines of this student and service and their adjustments, on indexes).
    FOR r IN
        SELECT t.transaction_id, t.sale_uuid, t.item_id, t.school_id, t.eligibility, t.entry_kind, t.price,
               t.transaction_time, c.reimbursable AS claim,
               (SELECT count(*) FROM cafeteria.meal_transactions a
                 WHERE a.reverses_transaction_id = t.transaction_id AND a.entry_kind = 'adjustment') AS flips,
               (SELECT coalesce(sum(a.price), 0) FROM cafeteria.meal_transactions a
                 WHERE a.reverses_transaction_id = t.transaction_id AND a.entry_kind = 'adjustment') AS adjusted
          FROM cafeteria.meal_transactions t
          JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
          LEFT JOIN cafeteria.meal_claims c ON c.transaction_id = t.transaction_id
         WHERE t.student_usi = p_student AND t.transaction_date = p_date
           AND s.service_date = p_date AND s.meal_service = p_service AND s.kind = 'sale'
           AND t.entry_kind IN ('meal', 'second_meal')
         ORDER BY t.transaction_id
    LOOP
        billed_as_meal := (r.entry_kind = 'meal') <> (r.flips % 2 = 1);
        IF r.claim IS NULL THEN
            -- voided or refunded: the reversal undid the sale; undo what was re-billed on top of it
            CONTINUE WHEN r.adjusted = 0;
            delta := -r.adjusted;
            why := 'Meal voided or refunded: its re-billing is taken back';
        ELSE
            CONTINUE WHEN r.claim = billed_as_meal;
            IF NOT grade_known THEN
                SELECT pg_catalog.array_position(ARRAY['Preschool/Prekindergarten', 'Kindergarten', 'First grade', 'Second grade', 'Third grade', 'Fourth grade', 'Fifth grade', 'Sixth grade', 'Seventh grade', 'Eighth grade', 'Ninth grade', 'Tenth grade', 'Eleventh grade', 'Twelfth grade']::text[], d.codevalue::text) - 2
                  INTO grade
                  FROM edfi.studentschoolassociation a
                  JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
                 WHERE a.studentusi = p_student AND a.entrydate <= p_date
                 ORDER BY a.entrydate DESC LIMIT 1;
                grade_known := true;
            END IF;
            SELECT CASE WHEN NOT r.claim THEN mp.second_meal_price
                        WHEN coalesce(ss.cep, false) OR r.item_id = ss.alternate_item_id THEN 0
                        ELSE mp.price END
              INTO target
              FROM cafeteria.meal_prices mp
              LEFT JOIN cafeteria.site_settings ss ON ss.school_id = r.school_id
             WHERE (mp.school_id IS NULL OR mp.school_id = r.school_id) AND mp.meal_service = p_service AND mp.eligibility = coalesce(r.eligibility, 'paid')
               AND (grade IS NULL OR grade BETWEEN mp.grade_from AND mp.grade_to)
               AND mp.effective_from <= p_date AND (mp.effective_to IS NULL OR mp.effective_to >= p_date)
             ORDER BY (mp.school_id IS NULL), mp.price_id LIMIT 1;
            CONTINUE WHEN target IS NULL;  -- no price for this group: the next derivation tries again
            delta := target - (coalesce(r.price, 0) + r.adjusted);
            why := CASE WHEN r.claim
                        THEN 'Re-priced as the reimbursable meal: the earlier meal of this service was voided'
                        ELSE 'Re-priced as a second meal: an earlier meal of this service reached the server late' END;
        END IF;
        adj := pg_catalog.md5('cafeteria.adjustment:' || r.transaction_id::text || ':' || (r.flips + 1)::text)::uuid;
        INSERT INTO cafeteria.sales (sale_uuid, kind, terminal_id, terminal_seq, school_id, service_date, meal_service,
                                     student_usi, customer, total, account_amount, reverses_sale_uuid, reason,
                                     sold_at)
        VALUES (adj, 'adjustment', 'server', r.flips + 1, r.school_id, p_date, p_service, p_student, 'student',
                delta, -delta, r.sale_uuid, why, pg_catalog.now())
        ON CONFLICT (sale_uuid) DO NOTHING;
        CONTINUE WHEN NOT FOUND;
        INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,
                                                 payment_method, cashier_id, sale_uuid, line_no, entry_kind, item_id,
                                                 school_id, price, eligibility, reverses_transaction_id)
        VALUES (p_student, p_date, r.transaction_time, pg_catalog.initcap(p_service), -delta, 'Account',
                session_user, adj, 1, 'adjustment', r.item_id, r.school_id, delta, r.eligibility, r.transaction_id);
        changed := changed + 1;
    END LOOP;
    RETURN changed;
END;
$function$
"""

FLAGS_SQL = f"""
ALTER TABLE cafeteria.price_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON cafeteria.price_flags FOR SELECT TO so_admin USING (true);
CREATE POLICY own_schools ON cafeteria.price_flags FOR SELECT TO so_cafeteria_manager
    USING (school_id = ANY {MINE});
SELECT compliance.attach_audit('cafeteria.price_flags');
GRANT SELECT ON cafeteria.price_flags TO so_cafeteria_manager, so_admin;
"""


def _sale_functions(fixed: bool) -> list[str]:
    m49 = importlib.import_module("app.db.migrations.versions.0049_pos_sale_cashier_and_claim_eligibility")
    single, batch = m49._functions(True)
    if not fixed:
        return [single, batch]
    elig = m49.STUDENT_ELIGIBILITY
    single = m49._replace(single, (
        "            INSERT INTO cafeteria.meal_claims (transaction_id, student_usi, school_id, service_date, meal_service,\n"
        "                                               eligibility, reimbursable)\n"
        f"            SELECT t.transaction_id, v_student, v_school, v_date, v_service, {elig}\n"
        "              FROM cafeteria.meal_transactions t\n"
        "             WHERE t.sale_uuid = p_entry AND t.entry_kind IN ('meal', 'second_meal');"),
        "            PERFORM cafeteria.claim_first_meal(p_entry);")
    batch = m49._replace(batch, (
        "                INSERT INTO cafeteria.meal_claims (transaction_id, student_usi, school_id, service_date, meal_service,\n"
        "                                                   eligibility, reimbursable)\n"
        "                SELECT t.transaction_id, t.student_usi, s.school_id, s.service_date, s.meal_service,\n"
        f"                       {elig}\n"
        "                  FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid\n"
        "                 WHERE t.sale_uuid = ANY (v_fast) AND t.entry_kind IN ('meal', 'second_meal');"),
        "                PERFORM cafeteria.claim_first_meal(f) FROM pg_catalog.unnest(v_fast) AS f;")
    return [single, batch]


def upgrade() -> None:
    op.create_table(
        "price_flags",
        sa.Column("transaction_id", sa.BigInteger(), nullable=False, comment="The meal line"),
        sa.Column("sale_uuid", sa.UUID(), nullable=False, comment="Its sale"),
        sa.Column("school_id", sa.BigInteger(), nullable=False),
        sa.Column("student_usi", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("meal_service", sa.String(length=10), nullable=False),
        sa.Column("line_eligibility", sa.String(length=10), nullable=True, comment="What the sale's line said"),
        sa.Column("student_eligibility", sa.String(length=10), nullable=False,
                  comment="The student's own, from their meal account"),
        sa.Column("line_price", sa.Numeric(precision=10, scale=2), nullable=True,
                  comment="The price the line carried"),
        sa.Column("due_price", sa.Numeric(precision=10, scale=2), nullable=True,
                  comment="What the meal is billed: its price at the student's own eligibility"),
        sa.Column("flagged_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["transaction_id"], ["cafeteria.meal_transactions.transaction_id"],
                                name=op.f("fk_price_flags_transaction_id_meal_transactions")),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_price_flags")),
        schema="cafeteria",
        comment="A reimbursable-meal line whose eligibility or price was not the student's own (a stale offline "
                "snapshot, or a forged sale): claimed and billed at the student's own, listed here for the "
                "cafeteria manager",
    )
    op.create_index("ix_price_flags_school_day", "price_flags", ["school_id", "service_date"], schema="cafeteria")
    op.execute(FLAGS_SQL)
    op.execute(HELPERS_SQL)
    op.execute(REDERIVE_SQL)
    for sql in _sale_functions(True):
        op.execute(sql)


def downgrade() -> None:
    for sql in _sale_functions(False):
        op.execute(sql)
    op.execute(PREVIOUS_REDERIVE_SQL)
    op.execute("DROP FUNCTION cafeteria.claim_first_meal(uuid); DROP FUNCTION cafeteria.flag_meal_line(bigint, text, numeric); "
               "DROP FUNCTION cafeteria.meal_price_due(bigint, date, text, text, integer, integer, boolean); "
               "DROP FUNCTION cafeteria.student_grade_on(integer, date); "
               "DROP FUNCTION cafeteria.student_meal_eligibility(integer);")
    op.drop_table("price_flags", schema="cafeteria")
