"""The sales and the ledger are written only through checked functions: no direct INSERT for any login

Until now cashiers and cafeteria managers (a manager is a cashier too) kept INSERT on
`cafeteria.sales` and `cafeteria.meal_transactions` (the lines of a sale) from 0020, so a login with
psql could write a sale and its ledger lines around the amount, role and school checks of
`cafeteria.apply_sale_entry` (0031): only row-level security stood in the way, and it checks the
school and the kind, never that the amounts add up or that a refund stays within its sale.

- REVOKE INSERT (and UPDATE, DELETE, TRUNCATE, already gone since 0020) on both tables from every
  application role, administrators included. Reading is unchanged.
- A terminal's sale or deposit: `cafeteria.apply_sale_entry` (0031), unchanged.
- A manager's void, refund or NSF reversal: `cafeteria.apply_reversal(request, kind, sale, reason,
  amount, to)`, which builds the reversing sale and its lines from the original itself (the caller
  names the sale and, for a refund, the amount, never the lines or the totals) and checks: a
  cafeteria manager (or an administrator), a sale of one of the manager's own schools, a reason, a
  void of a sale or deposit not partly refunded, a refund of a sale no larger than what is left of it,
  an NSF only of a deposit paid by check. Exactly once: the request id is the reversal's sale id; the
  same request again returns 'applied' and writes nothing; one void/NSF per sale (ux_sales_one_reversal).
- Meal re-billing (`cafeteria.rederive_meals`, 0024) already wrote as the owner.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03
"""
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

APP_ROLES = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
             "so_transportation", "so_registrar", "so_admin", "so_cafeteria_manager")

REVERSAL_SQL = r"""
CREATE FUNCTION cafeteria.apply_reversal(p_request uuid, p_kind text, p_sale uuid, p_reason text,
                                         p_amount numeric DEFAULT NULL, p_to text DEFAULT 'account')
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s cafeteria.sales%ROWTYPE;
    v_reason text := pg_catalog.btrim(coalesce(p_reason, ''));
    v_refunded numeric;
    v_left numeric;
    v_amount numeric := pg_catalog.round(p_amount, 2);
    v_total numeric;
    v_account numeric;
    v_cash numeric := 0;
    v_check numeric := 0;
    v_till uuid;
    v_method text;
    v_login text := session_user;
    v_lines integer;
BEGIN
    IF NOT (pg_catalog.pg_has_role(session_user, 'so_cafeteria_manager', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only a cafeteria manager voids, refunds or returns a check' USING ERRCODE = '42501';
    END IF;
    IF p_request IS NULL OR p_sale IS NULL OR p_kind IS NULL OR p_kind NOT IN ('void', 'refund', 'nsf') THEN
        RAISE EXCEPTION 'a reversal names its request, its kind (void, refund or nsf) and the sale'
            USING ERRCODE = '22023';
    END IF;
    IF v_reason = '' THEN
        RAISE EXCEPTION 'say why in the reason box; voids, refunds and returned checks keep their reason'
            USING ERRCODE = '22023';
    END IF;
    -- one request at a time, and one reversal at a time per sale (no two refunds past the total)
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(p_request::text, 0));
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('cafeteria.reversal:' || p_sale::text, 0));
    IF EXISTS (SELECT 1 FROM cafeteria.sales x WHERE x.sale_uuid = p_request) THEN
        IF EXISTS (SELECT 1 FROM cafeteria.sales x WHERE x.sale_uuid = p_request AND x.kind = p_kind
                      AND x.reverses_sale_uuid = p_sale AND x.cashier = session_user::text) THEN
            RETURN 'applied';  -- a repeated submit: the reversal is already there
        END IF;
        RAISE EXCEPTION 'this request id was used for another sale; close the form and start again'
            USING ERRCODE = '23505';
    END IF;
    SELECT * INTO s FROM cafeteria.sales x WHERE x.sale_uuid = p_sale;
    IF NOT FOUND OR NOT (s.school_id = ANY (compliance.my_school_ids())
                         OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'that sale is not among your schools'' sales; choose it from the list'
            USING ERRCODE = '42501';
    END IF;
    SELECT coalesce(-sum(x.total), 0) INTO v_refunded FROM cafeteria.sales x
     WHERE x.reverses_sale_uuid = p_sale AND x.kind = 'refund';

    IF p_kind = 'void' THEN
        IF s.kind NOT IN ('sale', 'deposit') THEN
            RAISE EXCEPTION 'only a sale or a deposit can be voided; this is already a correction'
                USING ERRCODE = '22023';
        END IF;
        IF v_refunded <> 0 THEN
            RAISE EXCEPTION '$% of this sale was refunded already; refund the rest instead of voiding it',
                pg_catalog.to_char(v_refunded, 'FM999,990.00') USING ERRCODE = '22023';
        END IF;
        v_total := -s.total;
        v_account := -s.account_amount;
        v_cash := -s.cash_amount;
        v_check := -s.check_amount;
    ELSIF p_kind = 'refund' THEN
        IF s.kind <> 'sale' THEN
            RAISE EXCEPTION 'only a sale can be refunded; void a deposit made in error instead' USING ERRCODE = '22023';
        END IF;
        IF v_amount IS NULL OR v_amount <= 0 THEN
            RAISE EXCEPTION 'the refund must be more than $0.00' USING ERRCODE = '22023';
        END IF;
        IF p_to IS NULL OR p_to NOT IN ('account', 'cash') THEN
            RAISE EXCEPTION 'a refund goes back to the account or in cash' USING ERRCODE = '22023';
        END IF;
        v_left := s.total - v_refunded;
        IF v_amount > v_left THEN
            RAISE EXCEPTION 'a refund of $% is larger than what is left of this sale ($%); type a smaller amount',
                pg_catalog.to_char(v_amount, 'FM999,990.00'), pg_catalog.to_char(v_left, 'FM999,990.00')
                USING ERRCODE = '22023';
        END IF;
        IF p_to = 'account' AND s.student_usi IS NULL THEN
            RAISE EXCEPTION 'an adult''s sale has no account to refund to; refund it in cash' USING ERRCODE = '22023';
        END IF;
        v_total := -v_amount;
        v_account := CASE WHEN p_to = 'account' THEN v_amount ELSE 0 END;
        v_cash := CASE WHEN p_to = 'cash' THEN -v_amount ELSE 0 END;
    ELSE
        IF s.kind <> 'deposit' OR coalesce(s.check_amount, 0) = 0 THEN
            RAISE EXCEPTION 'only a deposit paid by check can be returned unpaid (NSF)' USING ERRCODE = '22023';
        END IF;
        v_total := -s.total;
        v_account := -s.account_amount;
    END IF;

    IF s.till_id IS NOT NULL AND v_cash <> 0 THEN
        SELECT t.till_id INTO v_till FROM cafeteria.tills t WHERE t.till_id = s.till_id AND t.closed_at IS NULL;
    END IF;
    IF s.student_usi IS NOT NULL THEN
        PERFORM cafeteria.open_account(s.student_usi);
    END IF;
    INSERT INTO cafeteria.sales (sale_uuid, kind, terminal_id, terminal_seq, till_id, school_id, service_date,
        meal_service, student_usi, customer, total, account_amount, cash_amount, cash_tendered, change_given,
        check_amount, reverses_sale_uuid, reason, sold_at)
    VALUES (p_request, p_kind, left('manager:' || v_login, 64), 0, v_till, s.school_id, current_date, NULL,
            s.student_usi, s.customer, v_total, v_account, v_cash, 0, 0, v_check, p_sale, v_reason, pg_catalog.now());
    IF s.student_usi IS NULL THEN
        RETURN 'new';  -- an adult's sale: no account, no ledger lines
    END IF;
    v_method := CASE WHEN (v_account <> 0)::int + (v_cash <> 0)::int + (v_check <> 0)::int > 1 THEN 'Split'
                     WHEN v_account <> 0 THEN 'Account' WHEN v_cash <> 0 THEN 'Cash'
                     WHEN v_check <> 0 THEN 'Check' ELSE 'Account' END;
    IF p_kind = 'void' THEN
        INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,
            payment_method, cashier_id, sale_uuid, line_no, entry_kind, item_id, school_id, price, eligibility,
            reverses_transaction_id)
        SELECT s.student_usi, current_date, localtime(0), 'Deposit', -t.amount, v_method, v_login, p_request,
               t.line_no, 'void', t.item_id, s.school_id, -t.price, t.eligibility, t.transaction_id
          FROM cafeteria.meal_transactions t WHERE t.sale_uuid = p_sale ORDER BY t.line_no;
    ELSIF p_kind = 'refund' THEN
        -- the last lines first (a la carte is usually added last), each up to its price
        INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,
            payment_method, cashier_id, sale_uuid, line_no, entry_kind, item_id, school_id, price, eligibility,
            reverses_transaction_id)
        SELECT s.student_usi, current_date, localtime(0), 'Deposit',
               CASE WHEN p_to = 'account' THEN r.part ELSE 0 END, v_method, v_login, p_request,
               (pg_catalog.row_number() OVER (ORDER BY r.line_no DESC))::smallint, 'refund', r.item_id, s.school_id,
               -r.part, r.eligibility, r.transaction_id
          FROM (SELECT t.line_no, t.item_id, t.eligibility, t.transaction_id,
                       least(greatest(v_amount - coalesce(sum(greatest(coalesce(t.price, 0), 0)) OVER (
                                 ORDER BY t.line_no DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0),
                             greatest(coalesce(t.price, 0), 0)) AS part
                  FROM cafeteria.meal_transactions t WHERE t.sale_uuid = p_sale) r
         WHERE r.part > 0
         ORDER BY r.line_no DESC;
    ELSE
        INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,
            payment_method, cashier_id, sale_uuid, line_no, entry_kind, item_id, school_id, price, eligibility,
            reverses_transaction_id)
        SELECT s.student_usi, current_date, localtime(0), 'Deposit', -s.account_amount, v_method, v_login,
               p_request, 1, 'nsf', NULL, s.school_id, NULL, NULL, t.transaction_id
          FROM cafeteria.meal_transactions t WHERE t.sale_uuid = p_sale ORDER BY t.line_no LIMIT 1;
    END IF;
    GET DIAGNOSTICS v_lines = ROW_COUNT;
    IF p_kind IN ('void', 'refund') AND v_lines > 0 AND s.meal_service IS NOT NULL THEN
        -- the meal left (if any) is re-priced as the reimbursable one; re-billing on the voided one is taken back
        PERFORM cafeteria.rederive_meals(s.student_usi, s.service_date, s.meal_service);
    END IF;
    RETURN 'new';
END;
$$;
REVOKE ALL ON FUNCTION cafeteria.apply_reversal(uuid, text, uuid, text, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cafeteria.apply_reversal(uuid, text, uuid, text, numeric, text)
    TO so_cafeteria_manager, so_admin;
"""


def upgrade() -> None:
    op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON cafeteria.sales, cafeteria.meal_transactions "
               f"FROM {', '.join(APP_ROLES)}")
    op.execute(REVERSAL_SQL)


def downgrade() -> None:
    op.execute("DROP FUNCTION cafeteria.apply_reversal(uuid, text, uuid, text, numeric, text)")
    op.execute("GRANT INSERT ON cafeteria.sales, cafeteria.meal_transactions TO so_cashier, so_admin")
