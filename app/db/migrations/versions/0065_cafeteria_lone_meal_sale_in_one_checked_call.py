"""A lunch-line sale (one student, one meal) is applied by one checked call with one audit entry (issue 9, the
sale's CPU)

`cafeteria.apply_sale_entry` keeps its signature and its grants (so_cashier, so_admin), and the shape of a lunch
line's sale gets a path of its own: a cashier's sale of one meal line to a student with an account, no override.
It checks in one place what the general path spreads over helpers and triggers:
- the caller is a cashier, the entry is whole (id, terminal, sequence, hash; the amounts add up), the register's
  school is one the cashier serves (compliance.my_school_ids(), once), and the student exists (the narrow
  look-up a register uses for a visiting student of another school finds any student of the district by id;
  the ledger's foreign key holds it too);
- the eligibility of the service day (eligibility history, in the zone 0063 fixed), the grade of the day, the
  price due and whether the student already had a meal of this service: ONE query. A line at the student's own
  eligibility and price, first of its service, is claimed reimbursable at once; anything else goes through
  cafeteria.rederive_meals, which re-bills and flags as before (0055, 0060, 0061).
Every other entry (deposits, several lines, a second meal, an override, an adult's sale, a new account, an
administrator) goes through the general path, the previous function, now `cafeteria.apply_any_sale_entry`
(no login may call it directly).

The audit: the lunch-line sale writes ONE audit entry (table cafeteria.sales, record its sale_uuid, INSERT,
by the cashier's login, with the application user, workstation and session as every entry), whose image is
the sale's header with its ledger lines (`lines`, each with the balance after it) and its claims (`claims`).
Before, the sale wrote four (the header, the line, the claim, the balance's UPDATE). So that the rows are not
audited twice, the row audit triggers of cafeteria.sales, cafeteria.meal_transactions and cafeteria.meal_claims
skip a row while `cafeteria.audited_sale` is set, which only this function does (to its own sale id, for its
own duration: it is pinned to '' on entry). No login writes these tables directly (0034: they INSERT only
through the functions), and every function that writes them is pinned to `cafeteria.audited_sale = ''`, so a
session's own SET of it cannot hide a row (tests/integration/test_pos_sale_one_call.py checks both). A change
of cafeteria.student_meal_plans that only moves the balance is not audited as a row: no login may write
account_balance, only the ledger's trigger does, and the ledger line that moved it is audited with the
balance after it; every other change of a meal account (eligibility, plan, active) is audited as before.

Revision ID: 0065
Revises: 0064
Create Date: 2026-12-04
"""
from alembic import op

revision = "0065"
down_revision = "0064"
branch_labels = None
depends_on = None

SIG = "(uuid, text, bigint, text, jsonb)"
GUC = "cafeteria.audited_sale"
# the functions that write the sale's tables, besides the new one: pinned so a caller's SET cannot reach them
WRITERS = ("cafeteria.apply_any_sale_entry(uuid, text, bigint, text, jsonb)", "cafeteria.apply_sale_entries(text, jsonb)",
           "cafeteria.apply_reversal(uuid, text, uuid, text, numeric, text)", "cafeteria.rederive_meals(integer, date, text)",
           "cafeteria.open_account(integer)", "cafeteria.claim_first_meal(uuid)")
_WHO = ("session_user, nullif(current_setting('school_office.app_user', true), ''), "
        "nullif(current_setting('school_office.workstation', true), ''), "
        "nullif(current_setting('school_office.session_id', true), '')")

FAST = """
CREATE FUNCTION cafeteria.apply_sale_entry(p_entry uuid, p_terminal text, p_seq bigint, p_sha text, p_payload jsonb)
 RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
 SET search_path = pg_catalog, pg_temp
 SET cafeteria.audited_sale = ''
AS $function$
DECLARE
    p jsonb := p_payload;
    l jsonb := p_payload->'lines'->0;
    v_school bigint;
    v_student integer;
    v_date date;
    v_service text;
    v_total numeric;
    v_account numeric;
    v_cash numeric;
    v_tendered numeric;
    v_change numeric;
    v_check numeric;
    v_price numeric;
    v_amount numeric;
    v_item integer;
    v_elig text;
    d record;
    s cafeteria.sales;
    t cafeteria.meal_transactions;
    c cafeteria.meal_claims;
BEGIN
    -- the lunch line's shape only; everything else as before
    IF p->>'kind' IS DISTINCT FROM 'sale' OR pg_catalog.jsonb_typeof(p->'lines') IS DISTINCT FROM 'array'
       OR pg_catalog.jsonb_array_length(p->'lines') <> 1 OR l->>'entry_kind' IS DISTINCT FROM 'meal'
       OR (p->>'student_usi') IS NULL OR (p->>'meal_service') IS NULL OR p->>'meal_service' NOT IN ('breakfast', 'lunch', 'snack')
       OR coalesce(p->>'override_by', '') <> ''
       OR (p->>'needs_account') IS DISTINCT FROM 'false' OR p_entry IS NULL
       OR NOT pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER') THEN
        RETURN cafeteria.apply_any_sale_entry(p_entry, p_terminal, p_seq, p_sha, p_payload);
    END IF;
    IF (p->>'sale_uuid') IS DISTINCT FROM p_entry::text THEN
        RAISE EXCEPTION 'a sale entry carries its own sale id' USING ERRCODE = '22023';
    END IF;
    IF coalesce(p_terminal, '') = '' OR p_seq IS NULL OR p_sha IS NULL OR p_sha !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'a journal entry needs its id, terminal, sequence, kind and payload hash'
            USING ERRCODE = '22023';
    END IF;
    -- the receipt, as sync.journal_claim writes it: the entry applies once
    INSERT INTO sync.journal_receipts (entry_id, terminal_id, seq, kind, payload_sha256, applied_by)
    VALUES (p_entry, p_terminal, p_seq, 'cafeteria.sale', p_sha, session_user)
    ON CONFLICT (entry_id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN pg_catalog.jsonb_build_object(
            'outcome', sync.journal_claim(p_entry, p_terminal, p_seq, 'cafeteria.sale', p_sha, p));
    END IF;
    v_school := (p->>'school_id')::bigint;
    v_student := (p->>'student_usi')::integer;
    v_date := (p->>'service_date')::date;
    v_service := p->>'meal_service';
    v_total := (p->>'total')::numeric;
    v_account := coalesce((p->>'account_amount')::numeric, 0);
    v_cash := coalesce((p->>'cash_amount')::numeric, 0);
    v_tendered := coalesce((p->>'cash_tendered')::numeric, 0);
    v_change := coalesce((p->>'change_given')::numeric, 0);
    v_check := coalesce((p->>'check_amount')::numeric, 0);
    v_price := (l->>'price')::numeric;
    v_amount := (l->>'amount')::numeric;
    v_item := (l->>'item_id')::integer;
    -- the cashier's scope, checked once: the register's school is one the cashier serves (or an administrator's)
    IF v_school IS NULL OR NOT (v_school = ANY (compliance.my_school_ids())
                                OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'this register sells for school %, which your sign-in does not serve', v_school
            USING ERRCODE = '42501';
    END IF;
    -- the amounts add up (the general path's rules for one meal line): nobody credits an account by a sale
    IF v_total IS NULL OR v_date IS NULL OR v_price IS NULL OR v_amount IS NULL OR (l->>'line_no') IS NULL
       OR v_price < 0 OR v_amount > 0 OR v_amount < -v_price OR v_cash < 0 OR v_check < 0 OR v_change < 0
       OR v_tendered - v_cash <> v_change OR v_cash + v_check - v_account <> v_total OR v_account > 0
       OR v_amount <> v_account OR v_price <> v_total THEN
        RAISE EXCEPTION 'the amounts of sale % do not add up (lines, total, account, cash and check)', p_entry
            USING ERRCODE = '23514';
    END IF;
    PERFORM pg_catalog.set_config('cafeteria.audited_sale', p_entry::text, true);  -- until this function returns
    INSERT INTO cafeteria.sales (sale_uuid, kind, terminal_id, terminal_seq, till_id, school_id, service_date,
        meal_service, student_usi, customer, total, account_amount, cash_amount, cash_tendered, change_given,
        check_amount, check_number, reason, override_by, alert_acknowledged, snapshot_version, decided_balance,
        offline, sold_at)
    VALUES (p_entry, 'sale', p_terminal, p_seq, (p->>'till_id')::uuid, v_school, v_date, v_service, v_student,
            'student', v_total, v_account, v_cash, v_tendered, v_change, v_check, p->>'check_number', p->>'reason',
            NULL, coalesce((p->>'alert_acknowledged')::boolean, false), p->>'snapshot_version',
            (p->>'decided_balance')::numeric, coalesce((p->>'offline')::boolean, false), (p->>'sold_at')::timestamptz)
    RETURNING * INTO s;
    -- the same lock as cafeteria.rederive_meals: one classification at a time per student and service
    PERFORM pg_catalog.pg_advisory_xact_lock(v_student, pg_catalog.hashtext(v_date::text || v_service));
    INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,
        payment_method, cashier_id, sale_uuid, line_no, entry_kind, item_id, school_id, price, eligibility)
    VALUES (v_student, v_date, coalesce((p->>'local_time')::time, '12:00'),
            CASE v_service WHEN 'breakfast' THEN 'Breakfast' WHEN 'lunch' THEN 'Lunch' ELSE 'Snack' END,
            v_amount, CASE WHEN (v_account <> 0)::int + (v_cash <> 0)::int + (v_check <> 0)::int > 1 THEN 'Split'
                           WHEN v_cash <> 0 THEN 'Cash' WHEN v_check <> 0 THEN 'Check' ELSE 'Account' END,
            session_user, p_entry, (l->>'line_no')::smallint, 'meal', v_item, v_school, v_price, l->>'eligibility')
    RETURNING * INTO t;
    -- ONE query: the student's eligibility of the day (cafeteria.student_meal_eligibility: the last change before the
    -- day ended in the district's zone, else the first known, else the account's), the grade of the day
    -- (cafeteria.student_grade_on), the price due (cafeteria.meal_price_due) and whether a meal of this service
    -- was had already
    SELECT e.elig,
           NOT EXISTS (SELECT 1 FROM cafeteria.meal_transactions o JOIN cafeteria.sales x ON x.sale_uuid = o.sale_uuid
                        WHERE o.student_usi = v_student AND o.transaction_date = v_date AND o.sale_uuid <> p_entry
                          AND o.entry_kind IN ('meal', 'second_meal') AND x.service_date = v_date
                          AND x.meal_service = v_service) AS first,
           (SELECT CASE WHEN coalesce(ss.cep, false) OR v_item = ss.alternate_item_id THEN 0 ELSE mp.price END
              FROM cafeteria.meal_prices mp LEFT JOIN cafeteria.site_settings ss ON ss.school_id = v_school
             WHERE (mp.school_id IS NULL OR mp.school_id = v_school) AND mp.meal_service = v_service
               AND mp.eligibility = e.elig AND (g.grade IS NULL OR g.grade BETWEEN mp.grade_from AND mp.grade_to)
               AND mp.effective_from <= v_date AND (mp.effective_to IS NULL OR mp.effective_to >= v_date)
             ORDER BY (mp.school_id IS NULL), mp.price_id LIMIT 1) AS due
      INTO d
      FROM (SELECT coalesce(
               (SELECT h.eligibility FROM cafeteria.eligibility_history h
                 WHERE h.student_usi = v_student
                   AND h.effective_from < ((v_date + 1)::timestamp AT TIME ZONE '{zone}')
                 ORDER BY h.effective_from DESC, h.history_id DESC LIMIT 1),
               (SELECT h.eligibility FROM cafeteria.eligibility_history h
                 WHERE h.student_usi = v_student ORDER BY h.effective_from, h.history_id LIMIT 1),
               (SELECT CASE pg_catalog.lower(coalesce(a.free_reduced_status, '')) WHEN 'free' THEN 'free'
                       WHEN 'reduced' THEN 'reduced' ELSE 'paid' END FROM cafeteria.student_meal_plans a
                 WHERE a.student_usi = v_student AND a.is_active LIMIT 1), 'paid') AS elig OFFSET 0) e,
           (SELECT (SELECT pg_catalog.array_position(ARRAY['Preschool/Prekindergarten', 'Kindergarten', 'First grade',
                           'Second grade', 'Third grade', 'Fourth grade', 'Fifth grade', 'Sixth grade', 'Seventh grade',
                           'Eighth grade', 'Ninth grade', 'Tenth grade', 'Eleventh grade', 'Twelfth grade']::text[],
                           gd.codevalue::text) - 2
                      FROM edfi.studentschoolassociation a
                      JOIN edfi.descriptor gd ON gd.descriptorid = a.entrygradeleveldescriptorid
                     WHERE a.studentusi = v_student AND a.entrydate <= v_date
                     ORDER BY a.entrydate DESC LIMIT 1) AS grade OFFSET 0) g;  -- each worked out once
    IF d.first AND t.eligibility IS NOT DISTINCT FROM d.elig AND v_price IS NOT DISTINCT FROM d.due THEN
        INSERT INTO cafeteria.meal_claims (transaction_id, student_usi, school_id, service_date, meal_service,
                                           eligibility, reimbursable)
        VALUES (t.transaction_id, v_student, v_school, v_date, v_service, d.elig, true)
        RETURNING * INTO c;
    ELSE
        -- a second meal, another eligibility or another price: re-derived, re-billed and flagged as before
        -- (cafeteria.rederive_meals audits what it writes, row by row)
        PERFORM cafeteria.rederive_meals(v_student, v_date, v_service);
    END IF;
    -- the sale's one audit entry: its header, its line (with the balance after it) and its claim
    INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, record_id,
                                       operation, old_values, new_values, user_agent, data_categories)
    VALUES ({who}, 'cafeteria.sales', pg_catalog.jsonb_build_object('sale_uuid', p_entry)::text, 'INSERT', NULL,
            pg_catalog.to_jsonb(s) || pg_catalog.jsonb_build_object(
                'lines', pg_catalog.jsonb_build_array(pg_catalog.to_jsonb(t)),
                'claims', CASE WHEN c.transaction_id IS NULL THEN '[]'::jsonb
                               ELSE pg_catalog.jsonb_build_array(pg_catalog.to_jsonb(c)) END),
            nullif(current_setting('application_name', true), ''), ARRAY['cafeteria']);
    RETURN pg_catalog.jsonb_build_object('outcome', 'new', 'lines', 1);
END;
$function$
"""


def _zone() -> str:
    """The zone 0063 pinned cafeteria.student_meal_eligibility to (the district's, when it ran)."""
    row = op.get_bind().exec_driver_sql(
        "SELECT substr(c, length('TimeZone=') + 1) FROM pg_proc p, unnest(p.proconfig) c "
        "WHERE p.oid = 'cafeteria.student_meal_eligibility(integer, date)'::regprocedure "
        "AND strpos(c, 'TimeZone=') = 1").scalar()
    zone = row or op.get_bind().exec_driver_sql("SHOW TimeZone").scalar()
    if not zone or "'" in zone:
        raise RuntimeError(f"migration 0065: unexpected time zone {zone!r}")
    return zone


def _row_audit(table: str, key_when: str | None) -> None:
    """The table's row audit: INSERTs skip rows the lone-meal sale audits itself (`key_when`), updates and deletes
    as before."""
    schema, name = table.split(".")
    fn = f"compliance.audit_row_{schema}__{name}()"
    op.execute(f"DROP TRIGGER audit_row ON {table}")
    when = f" WHEN ({key_when})" if key_when else ""
    op.execute(f"CREATE TRIGGER audit_row AFTER INSERT ON {table} FOR EACH ROW{when} EXECUTE FUNCTION {fn}")
    op.execute(f"CREATE TRIGGER audit_row_change AFTER UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {fn}")


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION cafeteria.apply_sale_entry{SIG} RENAME TO apply_any_sale_entry")
    op.execute(f"REVOKE ALL ON FUNCTION cafeteria.apply_any_sale_entry{SIG} FROM PUBLIC, so_cashier, so_admin")
    for fn in WRITERS:
        op.execute(f"ALTER FUNCTION {fn} SET {GUC} = ''")
    op.execute(FAST.replace("{zone}", _zone()).replace("{who}", _WHO))
    op.execute(f"REVOKE ALL ON FUNCTION cafeteria.apply_sale_entry{SIG} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION cafeteria.apply_sale_entry{SIG} TO so_cashier, so_admin")
    skip = f"NEW.sale_uuid::text IS DISTINCT FROM current_setting('{GUC}', true)"
    _row_audit("cafeteria.sales", skip)
    _row_audit("cafeteria.meal_transactions", skip)
    _row_audit("cafeteria.meal_claims", f"coalesce(current_setting('{GUC}', true), '') = ''")
    op.execute("DROP TRIGGER audit_row ON cafeteria.student_meal_plans")
    op.execute("CREATE TRIGGER audit_row AFTER INSERT OR DELETE ON cafeteria.student_meal_plans FOR EACH ROW "
               "EXECUTE FUNCTION compliance.audit_row_cafeteria__student_meal_plans()")
    op.execute(SMP_UPDATE_AUDIT)


# A meal account's update is audited, unless it is the ledger's trigger (cafeteria.keep_account_balance, the only
# writer of account_balance, run from a ledger INSERT: trigger depth 1 and more) moving the balance alone: the
# ledger line that moved it is audited with the balance after it. Any update a login makes (depth 0, even one
# that changes nothing) is audited as before.
SMP_UPDATE_AUDIT = (
    "CREATE TRIGGER audit_row_change AFTER UPDATE ON cafeteria.student_meal_plans FOR EACH ROW "
    "WHEN (pg_trigger_depth() = 0 "
    "OR (to_jsonb(OLD) - 'account_balance') IS DISTINCT FROM (to_jsonb(NEW) - 'account_balance')) "
    "EXECUTE FUNCTION compliance.audit_row_cafeteria__student_meal_plans()")


def downgrade() -> None:
    for table in ("cafeteria.sales", "cafeteria.meal_transactions", "cafeteria.meal_claims",
                  "cafeteria.student_meal_plans"):
        schema, name = table.split(".")
        op.execute(f"DROP TRIGGER audit_row_change ON {table}")
        op.execute(f"DROP TRIGGER audit_row ON {table}")
        op.execute(f"CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION compliance.audit_row_{schema}__{name}()")
    op.execute(f"DROP FUNCTION cafeteria.apply_sale_entry{SIG}")
    for fn in WRITERS:
        op.execute(f"ALTER FUNCTION {fn} RESET {GUC}")
    op.execute(f"ALTER FUNCTION cafeteria.apply_any_sale_entry{SIG} RENAME TO apply_sale_entry")
    op.execute(f"GRANT EXECUTE ON FUNCTION cafeteria.apply_sale_entry{SIG} TO so_cashier, so_admin")
