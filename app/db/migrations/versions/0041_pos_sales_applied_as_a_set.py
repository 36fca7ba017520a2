"""The register's sales applied a batch at a time: one statement per table for the whole batch

A terminal's sender sends every sale pending on it in one statement (a lunch line's terminal that
is busy has two to ten waiting). Until now that statement called `cafeteria.apply_sale_entry` once
per sale, so each sale paid its own statements: the receipt, the header, the lines, the meal claim,
each with its executor start and its audit trigger (the audit alone was a third of the server's
time for a sale). Now:

- `cafeteria.apply_sale_entries(terminal, entries)`: `entries` is the JSON array the sender sends
  (`[{"id", "seq", "sha", "payload"}, ...]`, in sequence order). One INSERT of the receipts claims
  every entry at once (ON CONFLICT on the entry id: exactly once, as before); the entries it did not
  claim are a resend ('applied') or another content under a used id ('conflict', flagged) through
  `sync.journal_claim`, as before. For the entries it claimed, the same checks as 0031, over the set:
  a cashier or an administrator; the school served (`compliance.my_school_ids()` once a batch); a
  sale or a deposit, never a reversal; an override by a real cafeteria manager; amounts that add up
  (lines, total, account, cash and check; a deposit within the district's maximum). One refused
  entry refuses the statement (nothing of the batch stays; the sender then sends each alone, so only
  the refused one is held). Then one INSERT of the headers and one of the lines (so one audit
  statement each), the lines in student order (the balance rows are locked in one order: two
  batches never wait on each other), the meal locks taken in one order, one INSERT of the claims of
  every sale that is the student's only meal of that day and service (the reimbursable one, nothing
  to re-bill), and `cafeteria.rederive_meals` once per (student, day, service) for the rest, under
  the same advisory lock as before. Returns (entry_no, outcome) per entry.
- A run of one entry (the line is quiet: each sale goes as it is rung up) still goes through
  `cafeteria.apply_sale_entry` (0031), whose one sale costs less than a batch of one (0.8 against 1.1 ms
  of server time): the same checks, the same answers; both are attacked by test_pos_sale_function.py.
- The batch function keeps generic plans (plan_cache_mode): re-planning its statements on every call was
  half its time.
- An entry id twice in one batch is refused (the journal never sends that).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-03
"""
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

# The facts of each entry of the batch the function itself claimed (x: the entry, q: its id and payload,
# h: its header's values, a: its lines summed up); used by every statement below, which are all set-based
# over it. OFFSET 0 keeps q and h computed once per entry (pulled up, every use of q.p would copy the
# payload out of the entry again).
_NEW = r"""
      FROM pg_catalog.jsonb_array_elements(p_entries) WITH ORDINALITY AS x(v, o)
      CROSS JOIN LATERAL (SELECT (x.v->>'id')::uuid AS id, x.v->'payload' AS p OFFSET 0) q
      CROSS JOIN LATERAL (SELECT q.p->>'kind' AS kind, (q.p->>'school_id')::bigint AS school,
                                 (q.p->>'student_usi')::integer AS student, (q.p->>'service_date')::date AS d,
                                 nullif(q.p->>'meal_service', '') AS service, (q.p->>'total')::numeric AS total,
                                 coalesce((q.p->>'account_amount')::numeric, 0) AS account,
                                 coalesce((q.p->>'cash_amount')::numeric, 0) AS cash,
                                 coalesce((q.p->>'cash_tendered')::numeric, 0) AS tendered,
                                 coalesce((q.p->>'change_given')::numeric, 0) AS change,
                                 coalesce((q.p->>'check_amount')::numeric, 0) AS chk OFFSET 0) h
     WHERE q.id = ANY (v_new)"""

_LINES_SUM = r"""
      CROSS JOIN LATERAL (
          SELECT count(*) AS n_lines, count(*) FILTER (WHERE l.entry_kind IN ('meal', 'second_meal')) AS n_meals,
                 count(*) FILTER (WHERE l.entry_kind = 'second_meal') AS n_seconds,
                 count(*) FILTER (WHERE l.amount IS NULL OR l.line_no IS NULL
                                  OR (h.kind = 'sale' AND (l.price IS NULL
                                                           OR l.entry_kind NOT IN ('meal', 'second_meal', 'item')
                                                           OR l.price < 0 OR l.amount > 0 OR l.amount < -l.price))
                                  OR (h.kind = 'deposit' AND (l.entry_kind <> 'deposit' OR l.amount <= 0))) AS bad,
                 coalesce(sum(l.price), 0) AS sum_price, coalesce(sum(l.amount), 0) AS sum_amount
            FROM pg_catalog.jsonb_to_recordset(coalesce(q.p->'lines', '[]'::jsonb))
                 AS l(line_no integer, entry_kind text, price numeric, amount numeric)) a"""

APPLY_SALES_SQL = r"""
CREATE FUNCTION cafeteria.apply_sale_entries(p_terminal text, p_entries jsonb)
RETURNS TABLE (entry_no integer, outcome jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_new uuid[];
    v_fast uuid[];
    v_schools bigint[];
    v_admin boolean := pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER');
    v_bad text;
    v_open integer[];
    v_locks integer[];
    v_slow integer;
    k record;
    i integer;
BEGIN
    IF NOT (v_admin OR pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER')) THEN
        RAISE EXCEPTION 'only cafeteria staff ring up sales' USING ERRCODE = '42501';
    END IF;
    IF p_entries IS NULL OR pg_catalog.jsonb_typeof(p_entries) <> 'array' THEN
        RAISE EXCEPTION 'a batch of journal entries is a JSON array' USING ERRCODE = '22023';
    END IF;
    -- every entry: an object whose payload carries its own sale id, with its sequence and hash, once
    SELECT CASE WHEN bool_or(pg_catalog.jsonb_typeof(x.v) IS DISTINCT FROM 'object'
                             OR pg_catalog.jsonb_typeof(x.v->'payload') IS DISTINCT FROM 'object'
                             OR (x.v->>'id') IS NULL
                             OR (x.v->'payload'->>'sale_uuid') IS DISTINCT FROM ((x.v->>'id')::uuid)::text) THEN 'id'
                WHEN coalesce(p_terminal, '') = '' OR bool_or((x.v->>'seq') IS NULL OR (x.v->>'sha') IS NULL
                                                         OR (x.v->>'sha') !~ '^[0-9a-f]{64}$') THEN 'fields'
                WHEN count(*) <> count(DISTINCT (x.v->>'id')::uuid) THEN 'twice' END
      INTO v_bad FROM pg_catalog.jsonb_array_elements(p_entries) AS x(v);
    IF v_bad = 'id' THEN
        RAISE EXCEPTION 'a sale entry carries its own sale id' USING ERRCODE = '22023';
    ELSIF v_bad = 'fields' THEN
        RAISE EXCEPTION 'a journal entry needs its id, terminal, sequence, kind and payload hash'
            USING ERRCODE = '22023';
    ELSIF v_bad = 'twice' THEN
        RAISE EXCEPTION 'a journal entry appears twice in one batch' USING ERRCODE = '22023';
    END IF;

    -- the receipts, as sync.journal_claim writes them: each entry applies once
    WITH ins AS (
        INSERT INTO sync.journal_receipts (entry_id, terminal_id, seq, kind, payload_sha256, applied_by)
        SELECT (x.v->>'id')::uuid, p_terminal, (x.v->>'seq')::bigint, 'cafeteria.sale', x.v->>'sha', session_user
          FROM pg_catalog.jsonb_array_elements(p_entries) WITH ORDINALITY AS x(v, o)
         ORDER BY x.o
        ON CONFLICT (entry_id) DO NOTHING
        RETURNING entry_id)
    SELECT coalesce(pg_catalog.array_agg(ins.entry_id), '{}') INTO v_new FROM ins;

    IF pg_catalog.cardinality(v_new) > 0 THEN
        IF NOT v_admin THEN
            v_schools := compliance.my_school_ids();
        END IF;
        -- what row-level security checks for a cashier's own INSERT, checked here for the owner's (the first
        -- entry at fault, its first fault, as 0031 checked one sale), and the amounts add up: nobody credits
        -- an account by writing a sale. With them: the accounts to open and the meals' locks, in one order.
        SELECT (pg_catalog.array_agg(f.fault ORDER BY f.o) FILTER (WHERE f.fault IS NOT NULL))[1],
               pg_catalog.array_agg(DISTINCT f.student ORDER BY f.student) FILTER (WHERE f.opens),
               pg_catalog.array_agg(DISTINCT f.lock ORDER BY f.lock) FILTER (WHERE f.lock IS NOT NULL)
          INTO v_bad, v_open, v_locks
          FROM (SELECT x.o, h.student,
                       h.student IS NOT NULL AND coalesce((q.p->>'needs_account')::boolean, true) AS opens,
                       CASE WHEN a.n_meals > 0 AND h.student IS NOT NULL AND h.service IS NOT NULL
                            THEN ARRAY[h.student, pg_catalog.hashtext(h.d::text || h.service)] END AS lock,
                       CASE
                       WHEN NOT v_admin AND (h.school IS NULL OR NOT (h.school = ANY (v_schools)))
                       THEN 'S' || coalesce(h.school::text, 'none')
                       WHEN h.kind IS NULL OR h.kind NOT IN ('sale', 'deposit') THEN 'K'
                       WHEN nullif(q.p->>'override_by', '') IS NOT NULL AND NOT (
                            CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = q.p->>'override_by')
                                 THEN pg_catalog.pg_has_role(q.p->>'override_by', 'so_cafeteria_manager', 'MEMBER')
                                 ELSE false END)
                       THEN 'O' || (q.p->>'override_by')
                       WHEN h.total IS NULL OR h.d IS NULL OR a.bad > 0 OR h.cash < 0 OR h.chk < 0 OR h.change < 0
                            OR h.tendered - h.cash <> h.change
                            OR h.cash + h.chk + (CASE WHEN h.kind = 'sale' THEN -h.account ELSE 0 END) <> h.total
                            OR (h.kind = 'sale' AND (h.account > 0 OR a.sum_amount <> h.account
                                                     OR (a.n_lines > 0 AND a.sum_price <> h.total)
                                                     OR (h.student IS NULL AND (a.n_lines > 0 OR h.account <> 0))))
                            OR (h.kind = 'deposit' AND (h.student IS NULL OR a.n_lines <> 1 OR a.sum_amount <> h.account
                                                        OR h.account <> h.total
                                                        OR h.account > (SELECT d.max_deposit
                                                                          FROM cafeteria.district_settings d
                                                                         WHERE d.setting_id = 1)))
                       THEN 'A' || q.id::text
                       END AS fault __NEW__ __LINES_SUM__) f;
        IF v_bad LIKE 'S%' THEN
            RAISE EXCEPTION 'this register sells for school %, which your sign-in does not serve', substr(v_bad, 2)
                USING ERRCODE = '42501';
        ELSIF v_bad = 'K' THEN
            RAISE EXCEPTION 'a register journals sales and deposits; voids and refunds are made online by a manager'
                USING ERRCODE = '42501';
        ELSIF v_bad LIKE 'O%' THEN
            RAISE EXCEPTION 'an override is approved by a cafeteria manager, and % is not one', substr(v_bad, 2)
                USING ERRCODE = '42501';
        ELSIF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'the amounts of sale % do not add up (lines, total, account, cash and check)',
                substr(v_bad, 2) USING ERRCODE = '23514';
        END IF;

        IF v_open IS NOT NULL THEN
            FOREACH i IN ARRAY v_open LOOP
                PERFORM cafeteria.open_account(i);
            END LOOP;
        END IF;
        INSERT INTO cafeteria.sales (sale_uuid, kind, terminal_id, terminal_seq, till_id, school_id, service_date,
            meal_service, student_usi, customer, total, account_amount, cash_amount, cash_tendered, change_given,
            check_amount, check_number, reason, override_by, alert_acknowledged, snapshot_version, decided_balance,
            offline, sold_at)
        SELECT q.id, h.kind, p_terminal, (x.v->>'seq')::bigint, (q.p->>'till_id')::uuid, h.school, h.d, h.service,
               h.student, coalesce(q.p->>'customer', 'student'), h.total, h.account, h.cash, h.tendered, h.change,
               h.chk, q.p->>'check_number', q.p->>'reason', nullif(q.p->>'override_by', ''),
               coalesce((q.p->>'alert_acknowledged')::boolean, false), q.p->>'snapshot_version',
               (q.p->>'decided_balance')::numeric, coalesce((q.p->>'offline')::boolean, false),
               (q.p->>'sold_at')::timestamptz __NEW__
         ORDER BY x.o;
        -- one statement for every line: the ledger's trigger moves each balance line by line, the accounts
        -- locked in student order (two batches never wait on each other)
        INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,
            payment_method, cashier_id, sale_uuid, line_no, entry_kind, item_id, school_id, price, eligibility)
        SELECT h.student, h.d, coalesce((q.p->>'local_time')::time, '12:00'),
               CASE WHEN h.kind = 'deposit' THEN 'Deposit'
                    ELSE coalesce(CASE h.service WHEN 'breakfast' THEN 'Breakfast' WHEN 'lunch' THEN 'Lunch'
                                                 WHEN 'snack' THEN 'Snack' END, 'Deposit') END,
               l.amount,
               CASE WHEN h.kind = 'deposit' THEN CASE WHEN h.chk <> 0 THEN 'Check' ELSE 'Cash' END
                    WHEN (h.account <> 0)::int + (h.cash <> 0)::int + (h.chk <> 0)::int > 1 THEN 'Split'
                    WHEN h.cash <> 0 THEN 'Cash' WHEN h.chk <> 0 THEN 'Check' ELSE 'Account' END,
               q.p->>'cashier', q.id, l.line_no, l.entry_kind, l.item_id, h.school, l.price, l.eligibility __LINES__
         ORDER BY h.student, x.o, l.line_no;

        IF v_locks IS NOT NULL THEN
            -- the meals: the same lock as cafeteria.rederive_meals, one classification at a time per student
            -- and service, the locks taken in one order
            FOR i IN 1 .. pg_catalog.array_length(v_locks, 1) LOOP
                PERFORM pg_catalog.pg_advisory_xact_lock(v_locks[i][1], v_locks[i][2]);
            END LOOP;
            -- a sale whose meal line is the student's only one of that day and service (none other in the
            -- ledger, none other in the batch), sold as the meal: the reimbursable one, billed as such (what
            -- cafeteria.rederive_meals would decide, with nothing to re-bill); the others are re-derived
            SELECT coalesce(pg_catalog.array_agg(m.id) FILTER (WHERE m.alone AND NOT EXISTS (
                       SELECT 1 FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
                        WHERE t.student_usi = m.student AND t.transaction_date = m.d AND t.sale_uuid <> m.id
                          AND t.entry_kind IN ('meal', 'second_meal') AND s.service_date = m.d
                          AND s.meal_service = m.service)), '{}'),
                   count(*)
              INTO v_fast, v_slow
              FROM (SELECT q.id, h.student, h.d, h.service,
                           count(*) OVER (PARTITION BY h.student, h.d, h.service) = 1 AND a.n_meals = 1
                           AND a.n_seconds = 0 AS alone __NEW__ __LINES_SUM__
                       AND a.n_meals > 0 AND h.student IS NOT NULL AND h.service IS NOT NULL) m;
            IF pg_catalog.cardinality(v_fast) > 0 THEN
                INSERT INTO cafeteria.meal_claims (transaction_id, student_usi, school_id, service_date, meal_service,
                                                   eligibility, reimbursable)
                SELECT t.transaction_id, t.student_usi, s.school_id, s.service_date, s.meal_service,
                       coalesce(t.eligibility, 'paid'), true
                  FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
                 WHERE t.sale_uuid = ANY (v_fast) AND t.entry_kind IN ('meal', 'second_meal');
            END IF;
            IF v_slow > pg_catalog.cardinality(v_fast) THEN
                FOR k IN SELECT DISTINCT h.student, h.d, h.service __NEW__ __LINES_SUM__
                            AND a.n_meals > 0 AND h.student IS NOT NULL AND h.service IS NOT NULL
                            AND NOT (q.id = ANY (v_fast))
                          ORDER BY h.student, h.d, h.service LOOP
                    PERFORM cafeteria.rederive_meals(k.student, k.d, k.service);
                END LOOP;
            END IF;
        END IF;
    END IF;

    -- the answers, in the batch's order: new ones, and for the others a resend ('applied') or another
    -- content under a used id ('conflict', flagged), as sync.journal_claim decides
    RETURN QUERY
    SELECT x.o::integer,
           CASE WHEN (x.v->>'id')::uuid = ANY (v_new)
                THEN pg_catalog.jsonb_build_object('outcome', 'new', 'lines',
                                                   coalesce(pg_catalog.jsonb_array_length(x.v->'payload'->'lines'), 0))
                ELSE pg_catalog.jsonb_build_object('outcome', sync.journal_claim(
                         (x.v->>'id')::uuid, p_terminal, (x.v->>'seq')::bigint, 'cafeteria.sale', x.v->>'sha',
                         x.v->'payload')) END
      FROM pg_catalog.jsonb_array_elements(p_entries) WITH ORDINALITY AS x(v, o)
     ORDER BY x.o;
END;
$$;
REVOKE ALL ON FUNCTION cafeteria.apply_sale_entries(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cafeteria.apply_sale_entries(text, jsonb) TO so_cashier, so_admin;
"""


def _sql() -> str:
    lines = _NEW.replace(
        "     WHERE q.id = ANY (v_new)",
        "      CROSS JOIN LATERAL pg_catalog.jsonb_to_recordset(q.p->'lines')\n"
        "           AS l(line_no smallint, entry_kind text, item_id integer, price numeric, amount numeric, "
        "eligibility text)\n     WHERE q.id = ANY (v_new)")
    summed = _NEW.replace("     WHERE q.id = ANY (v_new)", _LINES_SUM + "\n     WHERE q.id = ANY (v_new)")
    return (APPLY_SALES_SQL.replace("__LINES__", lines).replace("__NEW__ __LINES_SUM__", summed)
            .replace("__NEW__", _NEW))


def upgrade() -> None:
    op.execute(_sql())


def downgrade() -> None:
    op.execute("DROP FUNCTION cafeteria.apply_sale_entries(text, jsonb)")
