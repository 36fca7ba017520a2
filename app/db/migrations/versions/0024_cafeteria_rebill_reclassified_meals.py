"""Re-bill a meal the server re-classifies (reimbursable <-> second meal) when late sales arrive

Two terminals offline can each sell a student "the" lunch of the day at the reimbursable price;
`cafeteria.rederive_meals()` later decides (by time sold) which one is reimbursable, but until now
the other stayed billed at the reimbursable price. Now the derivation also posts an adjusting
entry: a new `cafeteria.sales` row of kind 'adjustment' pointing at the sale, with one ledger line
pointing at the meal line (never an UPDATE of either). Its price is the difference between what
the line is billed so far and the price of its new class (second-meal price, or the reimbursable
price when the earlier meal was voided), charged to the account, so the balance stays the sum of
the ledger.

Exactly once, however many times the derivation runs: each adjustment flips the line's billed
class (sold as a meal or a second meal, flipped once per adjustment), an adjustment is posted only
when that class differs from the derived one, and its UUID is made from (line, flip number), so a
second run, or two sessions racing past the advisory lock, find it already there. A voided or
refunded meal line gets its adjustments taken back (the void reverses only the original sale).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

KINDS = "'sale', 'deposit', 'void', 'refund', 'nsf', 'adjustment'"
OLD_KINDS = "'sale', 'deposit', 'void', 'refund', 'nsf'"

GRADES = ("'Preschool/Prekindergarten', 'Kindergarten', 'First grade', 'Second grade', 'Third grade', "
          "'Fourth grade', 'Fifth grade', 'Sixth grade', 'Seventh grade', 'Eighth grade', 'Ninth grade', "
          "'Tenth grade', 'Eleventh grade', 'Twelfth grade'")

REDERIVE_SQL = r"""
CREATE OR REPLACE FUNCTION cafeteria.rederive_meals(p_student integer, p_date date, p_service text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
                SELECT pg_catalog.array_position(ARRAY[""" + GRADES + r"""]::text[], d.codevalue::text) - 2
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
             WHERE mp.meal_service = p_service AND mp.eligibility = coalesce(r.eligibility, 'paid')
               AND (grade IS NULL OR grade BETWEEN mp.grade_from AND mp.grade_to)
               AND mp.effective_from <= p_date AND (mp.effective_to IS NULL OR mp.effective_to >= p_date)
             ORDER BY mp.price_id LIMIT 1;
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
$$;
"""


def _kinds(kinds: str) -> None:
    op.execute(f"""
        ALTER TABLE cafeteria.sales DROP CONSTRAINT ck_sales_kind_known;
        ALTER TABLE cafeteria.sales DROP CONSTRAINT ck_sales_reversal_points_back;
        ALTER TABLE cafeteria.sales ADD CONSTRAINT ck_sales_kind_known CHECK (kind IN ({kinds}));
        ALTER TABLE cafeteria.sales ADD CONSTRAINT ck_sales_reversal_points_back
            CHECK ((kind IN ('void', 'refund', 'nsf'{", 'adjustment'" if "adjustment" in kinds else ""}))
                   = (reverses_sale_uuid IS NOT NULL));
    """)


def upgrade() -> None:
    _kinds(KINDS)
    op.execute(REDERIVE_SQL)


def downgrade() -> None:
    raise NotImplementedError("0024 posts adjusting ledger entries (append-only); restore a backup instead")
