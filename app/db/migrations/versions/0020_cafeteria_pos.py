"""The cafeteria point of sale (issue 9): menus, prices and charge policies as data, meal services,
tills, sale headers, an append-only ledger and a cafeteria manager role

- `cafeteria.meal_transactions` becomes an append-only ledger: no application role may UPDATE,
  DELETE or TRUNCATE it, and a trigger refuses changes from anyone. A line written by the point of
  sale (it carries its sale's UUID) moves `student_meal_plans.account_balance` by its amount in the
  same transaction, through a row lock (two terminals never lose an update); no application role
  may write the balance itself.
- `cafeteria.sales`: one header per sale UUID (the terminal's journal entry id), append-only too;
  voids, refunds and NSF reversals are new sales pointing at the original.
- `cafeteria.meal_claims`: which meal line is the reimbursable one of a student's meal service,
  re-derived on the server by `cafeteria.rederive_meals()` in a fixed order (time sold, terminal,
  sequence) whenever a sale arrives, late ones included.
- The group role `so_cafeteria_manager` is a cashier (same school scope) who also voids, refunds,
  overrides, finalizes tills, sets menus, prices and policies and reads the office reports.
  Cashiers see only today's sales of their schools; the manager sees their schools' history.
- Tills open with starting cash and close by a blind count (`cafeteria.close_till`, which computes
  what was expected); a manager finalizes (`cafeteria.finalize_till`).
- A sale may be for a student of another school (visiting): it is written at the cashier's own
  site; `cafeteria.visiting_eligibility()` gives the price basis, logged like the visiting look-up.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

APP_ROLES = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
             "so_transportation", "so_registrar", "so_admin", "so_cafeteria_manager")
NOT_ADMIN = ", ".join(r for r in APP_ROLES if r != "so_admin")
MINE = "((SELECT compliance.my_school_ids())::bigint[])"
SCOPED = ("EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = {col} "
          "AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]) OFFSET 0)")
IS_MANAGER = "pg_catalog.pg_has_role(session_user, 'so_cafeteria_manager', 'MEMBER')"

ROLE_SQL = r"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'so_cafeteria_manager') THEN
        CREATE ROLE so_cafeteria_manager NOLOGIN;
    END IF;
END $$;
GRANT so_cashier TO so_cafeteria_manager;
-- Sign-in management knows the new group role.
DO $$
DECLARE
    f text;
    src text;
BEGIN
    FOREACH f IN ARRAY ARRAY['compliance.create_staff_login(text, text, integer, text[])',
                             'compliance._check_login_admin(text, boolean)'] LOOP
        SELECT pg_catalog.pg_get_functiondef(f::regprocedure) INTO src;
        IF pg_catalog.strpos(src, 'so_cafeteria_manager') = 0 THEN
            src := replace(src, '''so_admin'')', '''so_cafeteria_manager'', ''so_admin'')');
            EXECUTE src;
        END IF;
    END LOOP;
END $$;
"""

LEDGER_SQL = r"""
-- One active account per student: the ledger's trigger moves exactly that balance.
-- (created by op.create_index above)

CREATE FUNCTION cafeteria.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: write a reversing entry that points at the original instead',
        TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = '42501';
END;
$$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON cafeteria.meal_transactions
    FOR EACH ROW EXECUTE FUNCTION cafeteria.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON cafeteria.meal_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION cafeteria.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON cafeteria.sales
    FOR EACH ROW EXECUTE FUNCTION cafeteria.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON cafeteria.sales
    FOR EACH STATEMENT EXECUTE FUNCTION cafeteria.refuse_change();

-- A line of the point of sale moves the account's balance by its amount, in the same transaction,
-- under the account row's lock: concurrent terminals queue on it instead of losing an update.
CREATE FUNCTION cafeteria.keep_account_balance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bal numeric;
BEGIN
    UPDATE cafeteria.student_meal_plans p SET account_balance = p.account_balance + NEW.amount
     WHERE p.student_usi = NEW.student_usi AND p.is_active
    RETURNING p.account_balance INTO bal;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'student % has no active meal account', NEW.student_usi USING ERRCODE = '23503';
    END IF;
    NEW.account_balance := bal;
    NEW.recorded_by := session_user;
    IF NEW.entry_kind = 'deposit' AND NEW.amount > 0 THEN
        UPDATE cafeteria.balance_notices b SET cleared_at = now()
         WHERE b.student_usi = NEW.student_usi AND b.cleared_at IS NULL;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER keep_account_balance BEFORE INSERT ON cafeteria.meal_transactions
    FOR EACH ROW WHEN (NEW.sale_uuid IS NOT NULL) EXECUTE FUNCTION cafeteria.keep_account_balance();

-- Reimbursable or not, by (student, day, meal service): the earliest meal line sold (time sold,
-- terminal, sequence) that is not voided is the reimbursable one; every other is a second meal.
-- Deterministic whatever order the terminals' sales arrive in.
CREATE FUNCTION cafeteria.rederive_meals(p_student integer, p_date date, p_service text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    changed integer;
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER')
       AND NOT pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')
       AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user) THEN
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
         WHERE t.student_usi = p_student AND s.service_date = p_date AND s.meal_service = p_service
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
    RETURN changed;
END;
$$;

-- A student with no account yet (new this week) gets one at zero; nobody writes a balance.
CREATE FUNCTION cafeteria.open_account(p_student integer) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER')
       AND NOT pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'only cafeteria staff open meal accounts' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM edfi.student s WHERE s.studentusi = p_student) THEN
        RAISE EXCEPTION 'student % does not exist', p_student USING ERRCODE = '22023';
    END IF;
    INSERT INTO cafeteria.student_meal_plans (student_usi, meal_plan_id, effective_date, free_reduced_status,
                                              account_balance, is_active)
    SELECT p_student, (SELECT mp.meal_plan_id FROM cafeteria.meal_plans mp
                        ORDER BY (mp.plan_name = 'Paid') DESC, mp.meal_plan_id LIMIT 1),
           current_date, 'Paid', 0, true
     WHERE NOT EXISTS (SELECT 1 FROM cafeteria.student_meal_plans p WHERE p.student_usi = p_student AND p.is_active)
    ON CONFLICT DO NOTHING;
END;
$$;

-- The price basis of a student of another school served here: eligibility only, logged.
CREATE FUNCTION cafeteria.visiting_eligibility(p_student integer) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    status text;
BEGIN
    IF NOT (pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only cafeteria staff look up visiting students' USING ERRCODE = '42501';
    END IF;
    RAISE LOG 'school_office lookup: visiting eligibility of % by %', p_student, session_user;
    SELECT p.free_reduced_status INTO status FROM cafeteria.student_meal_plans p
     WHERE p.student_usi = p_student AND p.is_active;
    INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, record_id,
                                       operation, legitimate_educational_interest, justification, data_categories,
                                       user_agent)
    VALUES (session_user, nullif(current_setting('school_office.app_user', true), ''),
            nullif(current_setting('school_office.workstation', true), ''),
            nullif(current_setting('school_office.session_id', true), ''),
            'cafeteria.student_meal_plans', pg_catalog.jsonb_build_object('student_usi', p_student)::text, 'LOOKUP',
            true, 'pricing a visiting student''s meal', ARRAY['cafeteria'],
            nullif(current_setting('application_name', true), ''));
    RETURN coalesce(pg_catalog.lower(status), 'paid');
END;
$$;

-- Close a till by a blind count: the cashier gives the count by denomination; the expected cash is
-- computed here from the till's sales, after the count is in.
CREATE FUNCTION cafeteria.close_till(p_till uuid, p_counted jsonb, p_note text)
RETURNS TABLE (counted_total numeric, expected_total numeric, over_short numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t cafeteria.tills%ROWTYPE;
    k text;
    v jsonb;
    total numeric := 0;
    expected numeric;
BEGIN
    SELECT * INTO t FROM cafeteria.tills x WHERE x.till_id = p_till FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'till % does not exist', p_till USING ERRCODE = '22023';
    END IF;
    IF NOT (t.cashier = session_user::text
            OR (pg_catalog.pg_has_role(session_user, 'so_cafeteria_manager', 'MEMBER')
                AND t.school_id = ANY (compliance.my_school_ids()))
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only the till''s cashier or a cafeteria manager of its school closes a till'
            USING ERRCODE = '42501';
    END IF;
    IF t.closed_at IS NOT NULL THEN
        RAISE EXCEPTION 'this till is already closed' USING ERRCODE = '22023';
    END IF;
    IF p_counted IS NULL OR pg_catalog.jsonb_typeof(p_counted) <> 'object' THEN
        RAISE EXCEPTION 'the count is a list of denominations and how many of each' USING ERRCODE = '22023';
    END IF;
    -- keys: the value of one piece ("20", "20.00", "0.25"; "1.00c" for a coin) or "checks" (an amount)
    FOR k, v IN SELECT * FROM pg_catalog.jsonb_each(p_counted) LOOP
        IF k <> 'checks' AND (k !~ '^[0-9]{1,3}(\.[0-9]{1,2})?c?$'
                              OR pg_catalog.rtrim(k, 'c')::numeric NOT IN (100, 50, 20, 10, 5, 2, 1, 0.5, 0.25, 0.1,
                                                                         0.05, 0.01)) THEN
            RAISE EXCEPTION 'unknown denomination %', k USING ERRCODE = '22023';
        END IF;
        IF pg_catalog.jsonb_typeof(v) <> 'number' OR (v::text)::numeric < 0
           OR (k <> 'checks' AND (v::text)::numeric <> trunc((v::text)::numeric)) THEN
            RAISE EXCEPTION 'the count of % must be a whole number, zero or more', k USING ERRCODE = '22023';
        END IF;
        total := total + CASE WHEN k = 'checks' THEN (v::text)::numeric
                              ELSE pg_catalog.rtrim(k, 'c')::numeric * (v::text)::numeric END;
    END LOOP;
    SELECT t.opening_cash + coalesce(sum(s.cash_amount + s.check_amount), 0) INTO expected
      FROM cafeteria.sales s WHERE s.till_id = p_till;
    IF total <> expected AND length(btrim(coalesce(p_note, ''))) = 0 THEN
        RAISE EXCEPTION 'the count is % against % expected: say why in a note', total, expected
            USING ERRCODE = '23514';
    END IF;
    UPDATE cafeteria.tills x SET closed_at = now(), counted = p_counted, counted_total = total,
                                 expected_total = expected, over_short = total - expected,
                                 note = nullif(btrim(coalesce(p_note, '')), '')
     WHERE x.till_id = p_till;
    RETURN QUERY SELECT total, expected, total - expected;
END;
$$;

-- Whom a low-balance notice goes to: the id of the student's primary contact, nothing else about them,
-- for students the caller serves.
CREATE FUNCTION cafeteria.family_contact(p_student integer) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.contactuniqueid::text
      FROM edfi.studentcontactassociation a JOIN edfi.contact c ON c.contactusi = a.contactusi
     WHERE a.studentusi = p_student
       AND (EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = p_student
                     AND sc.schoolid = ANY (compliance.my_school_ids()))
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER'))
     ORDER BY a.primarycontactstatus DESC NULLS LAST, a.contactpriority NULLS LAST, a.contactusi
     LIMIT 1;
$$;

CREATE FUNCTION cafeteria.finalize_till(p_till uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t cafeteria.tills%ROWTYPE;
BEGIN
    SELECT * INTO t FROM cafeteria.tills x WHERE x.till_id = p_till FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'till % does not exist', p_till USING ERRCODE = '22023';
    END IF;
    IF NOT ((pg_catalog.pg_has_role(session_user, 'so_cafeteria_manager', 'MEMBER')
             AND t.school_id = ANY (compliance.my_school_ids()))
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only a cafeteria manager of the till''s school finalizes it' USING ERRCODE = '42501';
    END IF;
    IF t.closed_at IS NULL THEN
        RAISE EXCEPTION 'the till is still open: the cashier counts it first' USING ERRCODE = '22023';
    END IF;
    IF t.finalized_at IS NOT NULL THEN
        RAISE EXCEPTION 'this till is already finalized' USING ERRCODE = '22023';
    END IF;
    IF t.cashier = session_user::text THEN
        RAISE EXCEPTION 'a supervisor other than the cashier finalizes a till' USING ERRCODE = '42501';
    END IF;
    UPDATE cafeteria.tills x SET finalized_by = session_user, finalized_at = now() WHERE x.till_id = p_till;
END;
$$;
"""

POLICIES_SQL = f"""
-- The ledger: cashiers see their schools' lines of today; managers their schools' students' history.
DROP POLICY IF EXISTS own_schools ON cafeteria.meal_transactions;
DROP POLICY IF EXISTS own_sections ON cafeteria.meal_transactions;
CREATE POLICY cashier_today ON cafeteria.meal_transactions FOR SELECT TO so_cashier
    USING (school_id = ANY {MINE} AND transaction_date = current_date);
CREATE POLICY manager_history ON cafeteria.meal_transactions FOR SELECT TO so_cafeteria_manager
    USING (school_id = ANY {MINE} OR {SCOPED.format(col="meal_transactions.student_usi")});
CREATE POLICY site_lines ON cafeteria.meal_transactions FOR INSERT TO so_cashier
    WITH CHECK (sale_uuid IS NOT NULL AND school_id = ANY {MINE}
                AND (entry_kind IN ('meal', 'second_meal', 'item', 'deposit')
                     OR (entry_kind IN ('void', 'refund', 'nsf', 'adjustment') AND {IS_MANAGER})));

ALTER TABLE cafeteria.sales ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON cafeteria.sales FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY cashier_today ON cafeteria.sales FOR SELECT TO so_cashier
    USING (school_id = ANY {MINE} AND service_date = current_date);
CREATE POLICY manager_history ON cafeteria.sales FOR SELECT TO so_cafeteria_manager
    USING (school_id = ANY {MINE} OR {SCOPED.format(col="sales.student_usi")});
CREATE POLICY site_sales ON cafeteria.sales FOR INSERT TO so_cashier
    WITH CHECK (school_id = ANY {MINE} AND cashier = session_user::text
                AND (kind IN ('sale', 'deposit') OR {IS_MANAGER})
                AND (override_by IS NULL OR pg_catalog.pg_has_role(override_by, 'so_cafeteria_manager', 'MEMBER')));

ALTER TABLE cafeteria.meal_claims ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON cafeteria.meal_claims FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY cashier_today ON cafeteria.meal_claims FOR SELECT TO so_cashier
    USING (school_id = ANY {MINE} AND service_date = current_date);
CREATE POLICY manager_history ON cafeteria.meal_claims FOR SELECT TO so_cafeteria_manager
    USING (school_id = ANY {MINE} OR {SCOPED.format(col="meal_claims.student_usi")});

ALTER TABLE cafeteria.charge_overrides ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON cafeteria.charge_overrides FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_schools ON cafeteria.charge_overrides FOR SELECT TO so_cashier
    USING ({SCOPED.format(col="charge_overrides.student_usi")});
CREATE POLICY manager_sets ON cafeteria.charge_overrides FOR ALL TO so_cafeteria_manager
    USING ({SCOPED.format(col="charge_overrides.student_usi")})
    WITH CHECK ({SCOPED.format(col="charge_overrides.student_usi")} AND set_by = session_user::text);

ALTER TABLE cafeteria.balance_notices ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON cafeteria.balance_notices FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY manager_notices ON cafeteria.balance_notices FOR ALL TO so_cafeteria_manager
    USING ({SCOPED.format(col="balance_notices.student_usi")})
    WITH CHECK ({SCOPED.format(col="balance_notices.student_usi")});

ALTER TABLE cafeteria.tills ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON cafeteria.tills FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_tills ON cafeteria.tills FOR SELECT TO so_cashier USING (cashier = session_user::text);
CREATE POLICY school_tills ON cafeteria.tills FOR SELECT TO so_cafeteria_manager USING (school_id = ANY {MINE});
CREATE POLICY open_own ON cafeteria.tills FOR INSERT TO so_cashier
    WITH CHECK (cashier = session_user::text AND school_id = ANY {MINE} AND closed_at IS NULL AND counted IS NULL
                AND counted_total IS NULL AND expected_total IS NULL AND over_short IS NULL
                AND finalized_by IS NULL AND finalized_at IS NULL);

-- Settings, menus and prices: everyone at the register reads them; managers change their schools'.
ALTER TABLE cafeteria.site_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE cafeteria.meal_services ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['site_settings', 'meal_services'] LOOP
        EXECUTE format('CREATE POLICY administrators ON cafeteria.%I FOR ALL TO so_admin USING (true) WITH CHECK (true)', t);
        EXECUTE format('CREATE POLICY everyone_reads ON cafeteria.%I FOR SELECT TO so_cashier USING (true)', t);
        EXECUTE format('CREATE POLICY own_schools ON cafeteria.%I FOR ALL TO so_cafeteria_manager '
                       'USING (school_id = ANY {MINE}) WITH CHECK (school_id = ANY {MINE})', t);
    END LOOP;
END $$;

SELECT compliance.attach_audit('cafeteria.sales');
SELECT compliance.attach_audit('cafeteria.meal_claims');
SELECT compliance.attach_audit('cafeteria.charge_overrides');
SELECT compliance.attach_audit('cafeteria.balance_notices');
SELECT compliance.attach_audit('cafeteria.tills');
"""

GRANTS_SQL = f"""
REVOKE ALL ON ALL TABLES IN SCHEMA cafeteria FROM PUBLIC;
-- The ledger and the sales are append-only for every application role.
REVOKE UPDATE, DELETE, TRUNCATE ON cafeteria.meal_transactions, cafeteria.sales FROM {", ".join(APP_ROLES)};
-- Nobody writes a balance: the ledger's trigger does. Eligibility and accounts: the manager.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON cafeteria.student_meal_plans FROM {", ".join(APP_ROLES)};
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON cafeteria.meal_plans FROM so_cashier;
GRANT UPDATE (free_reduced_status, meal_plan_id, is_active, end_date) ON cafeteria.student_meal_plans
    TO so_cafeteria_manager, so_admin;
GRANT INSERT, UPDATE ON cafeteria.meal_plans TO so_cafeteria_manager;
GRANT SELECT, INSERT ON cafeteria.meal_transactions, cafeteria.sales TO so_cashier, so_admin;
GRANT SELECT ON cafeteria.meal_claims TO so_cashier, so_admin;
GRANT SELECT ON cafeteria.charge_overrides TO so_cashier, so_admin;
GRANT INSERT, UPDATE, DELETE ON cafeteria.charge_overrides TO so_cafeteria_manager, so_admin;
GRANT SELECT, INSERT, UPDATE ON cafeteria.balance_notices TO so_cafeteria_manager, so_admin;
GRANT SELECT, INSERT ON cafeteria.tills TO so_cashier, so_admin;
GRANT SELECT ON cafeteria.site_settings, cafeteria.district_settings, cafeteria.menu_items, cafeteria.meal_prices,
    cafeteria.meal_services, cafeteria.charge_policies TO so_cashier, so_admin;
GRANT INSERT, UPDATE, DELETE ON cafeteria.site_settings, cafeteria.menu_items, cafeteria.meal_prices,
    cafeteria.meal_services, cafeteria.charge_policies TO so_cafeteria_manager, so_admin;
GRANT UPDATE ON cafeteria.district_settings TO so_cafeteria_manager, so_admin;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA cafeteria TO so_cafeteria_manager, so_admin;
GRANT USAGE ON SCHEMA cafeteria TO so_cafeteria_manager;
-- The register's homeroom grid: which of their schools' students sit in which section (no grades).
GRANT SELECT (studentusi, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, begindate, enddate)
    ON edfi.studentsectionassociation TO so_cashier;
-- What the cafeteria manager also reads as a cashier does (inherited): students' directory, allergy flags.
REVOKE ALL ON FUNCTION cafeteria.refuse_change(), cafeteria.keep_account_balance(),
    cafeteria.rederive_meals(integer, date, text), cafeteria.open_account(integer),
    cafeteria.visiting_eligibility(integer), cafeteria.close_till(uuid, jsonb, text),
    cafeteria.finalize_till(uuid), cafeteria.family_contact(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cafeteria.rederive_meals(integer, date, text), cafeteria.open_account(integer),
    cafeteria.visiting_eligibility(integer), cafeteria.close_till(uuid, jsonb, text) TO so_cashier, so_admin;
GRANT EXECUTE ON FUNCTION cafeteria.finalize_till(uuid), cafeteria.family_contact(integer)
    TO so_cafeteria_manager, so_admin;
GRANT EXECUTE ON FUNCTION sync.journal_claim(uuid, text, bigint, text, text, jsonb),
    sync.journal_flag(uuid, text, bigint, text, text, jsonb, text) TO so_cafeteria_manager;
GRANT SELECT, UPDATE (reviewed_at, reviewed_by, review_note) ON sync.journal_flags TO so_cafeteria_manager;
"""

DISTRICT_SQL = """
INSERT INTO cafeteria.district_settings (setting_id) VALUES (1) ON CONFLICT DO NOTHING;
-- Low-balance notices go to families through DynamoDB NotificationQueue (0015 refuses unlisted kinds).
INSERT INTO sync.outbox_writers (target_table, kind, writer_role) VALUES
    ('NotificationQueue', 'low_balance', 'so_cafeteria_manager'), ('NotificationQueue', 'low_balance', 'so_admin')
    ON CONFLICT DO NOTHING;
"""


def upgrade() -> None:
    op.create_table('charge_policies',
    sa.Column('policy_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('eligibility', sa.String(length=10), autoincrement=False, nullable=True, comment='free, reduced, paid; NULL: any'),
    sa.Column('grade_from', sa.SmallInteger(), server_default=sa.text('-1'), autoincrement=False, nullable=False),
    sa.Column('grade_to', sa.SmallInteger(), server_default=sa.text('12'), autoincrement=False, nullable=False),
    sa.Column('meal_charge_limit', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=False, comment='How far below zero a reimbursable meal may charge'),
    sa.Column('a_la_carte_limit', sa.Numeric(precision=10, scale=2), server_default=sa.text('0.00'), autoincrement=False, nullable=False, comment='A la carte never goes below this'),
    sa.Column('policy_text', sa.Text(), autoincrement=False, nullable=True, comment='The written policy given to families'),
    sa.CheckConstraint("eligibility IS NULL OR eligibility IN ('free', 'reduced', 'paid')", name=op.f('ck_charge_policies_eligibility_known')),
    sa.CheckConstraint('meal_charge_limit >= 0 AND a_la_carte_limit >= 0', name=op.f('ck_charge_policies_limits_positive')),
    sa.PrimaryKeyConstraint('policy_id', name=op.f('pk_charge_policies')),
    schema='cafeteria',
    comment='Unpaid meal charge policy (SP 46-2016) by eligibility and grade'
    )
    op.create_table('district_settings',
    sa.Column('setting_id', sa.SmallInteger(), server_default=sa.text('1'), autoincrement=False, nullable=False),
    sa.Column('low_balance_threshold', sa.Numeric(precision=10, scale=2), server_default=sa.text('5.00'), autoincrement=False, nullable=False, comment='A family is told once when the balance falls below this, until a deposit'),
    sa.Column('max_deposit', sa.Numeric(precision=10, scale=2), server_default=sa.text('500.00'), autoincrement=False, nullable=False, comment='Larger deposits are refused as absurd'),
    sa.Column('attendance_factor', sa.Numeric(precision=4, scale=3), server_default=sa.text('0.950'), autoincrement=False, nullable=False, comment='Edit check (7 CFR 210.8): expected share of eligible students present'),
    sa.CheckConstraint('setting_id = 1', name=op.f('ck_district_settings_one_row')),
    sa.PrimaryKeyConstraint('setting_id', name=op.f('pk_district_settings')),
    schema='cafeteria',
    comment='District-wide cafeteria settings (one row)'
    )
    op.create_table('meal_prices',
    sa.Column('price_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('meal_service', sa.String(length=10), autoincrement=False, nullable=False),
    sa.Column('grade_from', sa.SmallInteger(), autoincrement=False, nullable=False, comment='Lowest grade of the band (K = 0, PK = -1)'),
    sa.Column('grade_to', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('eligibility', sa.String(length=10), autoincrement=False, nullable=False, comment='free, reduced, paid, adult'),
    sa.Column('price', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=False, comment='The reimbursable meal'),
    sa.Column('second_meal_price', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=False, comment='A second meal the same service (not reimbursable)'),
    sa.Column('effective_from', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('effective_to', sa.Date(), autoincrement=False, nullable=True),
    sa.CheckConstraint("eligibility IN ('free', 'reduced', 'paid', 'adult')", name=op.f('ck_meal_prices_eligibility_known')),
    sa.CheckConstraint("meal_service IN ('breakfast', 'lunch', 'snack')", name=op.f('ck_meal_prices_meal_service_known')),
    sa.CheckConstraint('price >= 0 AND second_meal_price >= 0 AND grade_from <= grade_to', name=op.f('ck_meal_prices_sane')),
    sa.PrimaryKeyConstraint('price_id', name=op.f('pk_meal_prices')),
    schema='cafeteria',
    comment='Price groups: grade band x eligibility, adult and second-meal prices'
    )
    op.create_table('menu_items',
    sa.Column('item_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=20), autoincrement=False, nullable=False, comment='PLU or barcode'),
    sa.Column('name', sa.String(length=100), autoincrement=False, nullable=False),
    sa.Column('category', sa.String(length=20), autoincrement=False, nullable=False, comment='meal (reimbursable), a_la_carte'),
    sa.Column('meal_service', sa.String(length=10), autoincrement=False, nullable=True, comment='breakfast, lunch, snack; NULL: any'),
    sa.Column('a_la_carte_price', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=True, comment='Price of an a la carte item (the same for everyone)'),
    sa.Column('allergens', postgresql.ARRAY(Text()), server_default=sa.text("'{}'"), autoincrement=False, nullable=False, comment='Allergen names as health.allergies writes them'),
    sa.Column('diet_flags', postgresql.ARRAY(Text()), server_default=sa.text("'{}'"), autoincrement=False, nullable=False, comment='e.g. pork, meat, dairy'),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), autoincrement=False, nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default=sa.text('100'), autoincrement=False, nullable=False),
    sa.CheckConstraint("category = 'meal' OR a_la_carte_price >= 0", name=op.f('ck_menu_items_a_la_carte_priced')),
    sa.CheckConstraint("category IN ('meal', 'a_la_carte')", name=op.f('ck_menu_items_category_known')),
    sa.CheckConstraint("meal_service IS NULL OR meal_service IN ('breakfast', 'lunch', 'snack')", name=op.f('ck_menu_items_meal_service_known')),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_menu_items')),
    sa.UniqueConstraint('code', name=op.f('uq_menu_items_code')),
    schema='cafeteria',
    comment='Items sold at the register'
    )
    op.create_table('balance_notices',
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('notified_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('balance', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=False),
    sa.Column('cleared_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True, comment='Set by a deposit: the next low balance is told again'),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_balance_notices_student_usi_student')),
    sa.PrimaryKeyConstraint('student_usi', name=op.f('pk_balance_notices')),
    schema='cafeteria',
    comment='Low-balance notices sent to families: once until the next deposit'
    )
    op.create_table('charge_overrides',
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('meal_charge_limit', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=False),
    sa.Column('a_la_carte_limit', sa.Numeric(precision=10, scale=2), server_default=sa.text('0.00'), autoincrement=False, nullable=False),
    sa.Column('reason', sa.Text(), autoincrement=False, nullable=False),
    sa.Column('set_by', sa.String(length=128), server_default=sa.text('SESSION_USER'), autoincrement=False, nullable=False),
    sa.Column('set_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint('meal_charge_limit >= 0 AND a_la_carte_limit >= 0', name=op.f('ck_charge_overrides_limits_positive')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_charge_overrides_student_usi_student')),
    sa.PrimaryKeyConstraint('student_usi', name=op.f('pk_charge_overrides')),
    schema='cafeteria',
    comment="A student's own charge limits, set by the cafeteria manager"
    )
    op.create_table('meal_services',
    sa.Column('service_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('service_date', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('meal_service', sa.String(length=10), autoincrement=False, nullable=False),
    sa.Column('starts_at', sa.Time(), autoincrement=False, nullable=True),
    sa.Column('ends_at', sa.Time(), autoincrement=False, nullable=True),
    sa.Column('item_codes', postgresql.ARRAY(Text()), server_default=sa.text("'{}'"), autoincrement=False, nullable=False, comment='The menu: codes of the items offered'),
    sa.CheckConstraint("meal_service IN ('breakfast', 'lunch', 'snack')", name=op.f('ck_meal_services_meal_service_known')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_meal_services_school_id_school')),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_meal_services')),
    sa.UniqueConstraint('school_id', 'service_date', 'meal_service', name=op.f('uq_meal_services_school_id_service_date_meal_service')),
    schema='cafeteria',
    comment='A meal service at a site on a day'
    )
    op.create_table('site_settings',
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='The school (site)'),
    sa.Column('cep', sa.Boolean(), server_default=sa.text('false'), autoincrement=False, nullable=False, comment='Community Eligibility Provision: reimbursable meals free for all'),
    sa.Column('balance_display', sa.String(length=12), server_default=sa.text("'on_request'"), autoincrement=False, nullable=False, comment='always, on_request, never'),
    sa.Column('alternate_item_id', sa.Integer(), autoincrement=False, nullable=True, comment="The policy's alternate meal when a charge limit is reached"),
    sa.Column('updated_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("balance_display IN ('always', 'on_request', 'never')", name=op.f('ck_site_settings_balance_display_known')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_site_settings_school_id_school')),
    sa.PrimaryKeyConstraint('school_id', name=op.f('pk_site_settings')),
    schema='cafeteria',
    comment='Cafeteria settings of a school (site)'
    )
    op.create_table('tills',
    sa.Column('till_id', sa.UUID(), autoincrement=False, nullable=False, comment='Made on the terminal, so a till opens offline too'),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('terminal_id', sa.String(length=64), autoincrement=False, nullable=False),
    sa.Column('cashier', sa.String(length=128), server_default=sa.text('SESSION_USER'), autoincrement=False, nullable=False, comment='Login of the cashier'),
    sa.Column('opened_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('opening_cash', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=False),
    sa.Column('closed_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True),
    sa.Column('counted', postgresql.JSONB(astext_type=Text()), autoincrement=False, nullable=True, comment='The blind count by denomination: {"20.00": 3, "0.25": 8, ...}'),
    sa.Column('counted_total', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=True),
    sa.Column('expected_total', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=True, comment='Opening cash + cash taken - change given, computed on close'),
    sa.Column('over_short', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=True),
    sa.Column('note', sa.Text(), autoincrement=False, nullable=True, comment='Required when the count is over or short'),
    sa.Column('finalized_by', sa.String(length=128), autoincrement=False, nullable=True),
    sa.Column('finalized_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True),
    sa.CheckConstraint("over_short IS NULL OR over_short = 0 OR length(btrim(coalesce(note, ''))) > 0", name=op.f('ck_tills_over_short_explained')),
    sa.CheckConstraint('opening_cash >= 0', name=op.f('ck_tills_opening_cash_positive')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_tills_school_id_school')),
    sa.PrimaryKeyConstraint('till_id', name=op.f('pk_tills')),
    schema='cafeteria',
    comment="A cashier's till on a terminal: opened with starting cash, closed by a blind count"
    )
    op.create_table('sales',
    sa.Column('sale_uuid', sa.UUID(), autoincrement=False, nullable=False, comment='The journal entry id: unique, a resent sale applies once'),
    sa.Column('kind', sa.String(length=12), autoincrement=False, nullable=False, comment='sale, deposit, void, refund, nsf'),
    sa.Column('terminal_id', sa.String(length=64), autoincrement=False, nullable=False),
    sa.Column('terminal_seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('till_id', sa.UUID(), autoincrement=False, nullable=True),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('service_date', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('meal_service', sa.String(length=10), autoincrement=False, nullable=True),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=True, comment='NULL for an adult or a cash customer'),
    sa.Column('customer', sa.String(length=10), server_default=sa.text("'student'"), autoincrement=False, nullable=False, comment='student, adult'),
    sa.Column('total', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=False, comment='Price of the lines (negative for a reversal)'),
    sa.Column('account_amount', sa.Numeric(precision=10, scale=2), server_default=sa.text('0'), autoincrement=False, nullable=False, comment='Effect on the meal account'),
    sa.Column('cash_amount', sa.Numeric(precision=10, scale=2), server_default=sa.text('0'), autoincrement=False, nullable=False, comment='Cash kept in the till (after change)'),
    sa.Column('cash_tendered', sa.Numeric(precision=10, scale=2), server_default=sa.text('0'), autoincrement=False, nullable=False),
    sa.Column('change_given', sa.Numeric(precision=10, scale=2), server_default=sa.text('0'), autoincrement=False, nullable=False),
    sa.Column('check_amount', sa.Numeric(precision=10, scale=2), server_default=sa.text('0'), autoincrement=False, nullable=False),
    sa.Column('check_number', sa.String(length=30), autoincrement=False, nullable=True),
    sa.Column('reverses_sale_uuid', sa.UUID(), autoincrement=False, nullable=True, comment='The sale a void, refund or NSF reversal undoes'),
    sa.Column('reason', sa.Text(), autoincrement=False, nullable=True, comment='Why: voids, refunds, overrides'),
    sa.Column('override_by', sa.String(length=128), autoincrement=False, nullable=True, comment='Manager who allowed a charge past the limit'),
    sa.Column('alert_acknowledged', sa.Boolean(), server_default=sa.text('false'), autoincrement=False, nullable=False),
    sa.Column('snapshot_version', sa.String(length=40), autoincrement=False, nullable=True, comment='The site snapshot the terminal decided with'),
    sa.Column('decided_balance', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=True, comment='The balance the terminal decided on (last known minus pending)'),
    sa.Column('offline', sa.Boolean(), server_default=sa.text('false'), autoincrement=False, nullable=False),
    sa.Column('cashier', sa.String(length=128), server_default=sa.text('SESSION_USER'), autoincrement=False, nullable=False),
    sa.Column('sold_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=False, comment='When the terminal recorded it'),
    sa.Column('received_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.CheckConstraint("(kind IN ('void', 'refund', 'nsf')) = (reverses_sale_uuid IS NOT NULL)", name=op.f('ck_sales_reversal_points_back')),
    sa.CheckConstraint("customer IN ('student', 'adult')", name=op.f('ck_sales_customer_known')),
    sa.CheckConstraint("kind IN ('sale', 'deposit', 'void', 'refund', 'nsf')", name=op.f('ck_sales_kind_known')),
    sa.ForeignKeyConstraint(['reverses_sale_uuid'], ['cafeteria.sales.sale_uuid'], name=op.f('fk_sales_reverses_sale_uuid_sales')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_sales_school_id_school')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_sales_student_usi_student')),
    sa.ForeignKeyConstraint(['till_id'], ['cafeteria.tills.till_id'], name=op.f('fk_sales_till_id_tills')),
    sa.PrimaryKeyConstraint('sale_uuid', name=op.f('pk_sales')),
    schema='cafeteria',
    comment='Sale headers: one per sale UUID, journaled on the terminal first'
    )
    op.create_index('ix_sales_school_date', 'sales', ['school_id', 'service_date'], unique=False, schema='cafeteria')
    op.create_index('ix_sales_student_date', 'sales', ['student_usi', 'service_date'], unique=False, schema='cafeteria')
    op.create_index('ix_sales_till', 'sales', ['till_id'], unique=False, schema='cafeteria')
    op.create_index('ux_sales_one_reversal', 'sales', ['reverses_sale_uuid'], unique=True, schema='cafeteria',
                    postgresql_where=sa.text("kind IN ('void', 'nsf')"))
    op.create_table('meal_claims',
    sa.Column('transaction_id', sa.BigInteger(), autoincrement=False, nullable=False, comment='The meal line'),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('service_date', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('meal_service', sa.String(length=10), autoincrement=False, nullable=False),
    sa.Column('eligibility', sa.String(length=10), autoincrement=False, nullable=False, comment='free, reduced, paid at the time of the sale'),
    sa.Column('reimbursable', sa.Boolean(), autoincrement=False, nullable=False),
    sa.Column('derived_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_meal_claims_student_usi_student')),
    sa.ForeignKeyConstraint(['transaction_id'], ['cafeteria.meal_transactions.transaction_id'], name=op.f('fk_meal_claims_transaction_id_meal_transactions')),
    sa.PrimaryKeyConstraint('transaction_id', name=op.f('pk_meal_claims')),
    schema='cafeteria',
    comment="Which meal lines are the reimbursable one of a student's meal service: derived on the server, deterministically, by (student, day, meal service)"
    )
    op.create_index('ix_meal_claims_school_day', 'meal_claims', ['school_id', 'service_date'], unique=False, schema='cafeteria')
    op.create_index('ix_meal_claims_student_day', 'meal_claims', ['student_usi', 'service_date', 'meal_service'], unique=False, schema='cafeteria')
    op.add_column('meal_transactions', sa.Column('sale_uuid', sa.UUID(), autoincrement=False, nullable=True, comment='The sale (cafeteria.sales) this line belongs to'), schema='cafeteria')
    op.add_column('meal_transactions', sa.Column('line_no', sa.SmallInteger(), autoincrement=False, nullable=True, comment='Line within the sale'), schema='cafeteria')
    op.add_column('meal_transactions', sa.Column('entry_kind', sa.String(length=12), autoincrement=False, nullable=True, comment='meal, item, deposit, void, refund, nsf, adjustment'), schema='cafeteria')
    op.add_column('meal_transactions', sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=True, comment='The menu item sold'), schema='cafeteria')
    op.add_column('meal_transactions', sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='The site'), schema='cafeteria')
    op.add_column('meal_transactions', sa.Column('price', sa.Numeric(precision=10, scale=2), autoincrement=False, nullable=True, comment='Price of the line, whatever tender paid it'), schema='cafeteria')
    op.add_column('meal_transactions', sa.Column('eligibility', sa.String(length=10), autoincrement=False, nullable=True, comment='free, reduced, paid, adult when sold'), schema='cafeteria')
    op.add_column('meal_transactions', sa.Column('reverses_transaction_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='The line a void, refund, NSF or adjustment corrects'), schema='cafeteria')
    op.add_column('meal_transactions', sa.Column('recorded_by', sa.String(length=128), server_default=sa.text('SESSION_USER'), autoincrement=False, nullable=True, comment='Login that wrote the line'), schema='cafeteria')
    op.create_index('ix_meal_transactions_student_date', 'meal_transactions', ['student_usi', 'transaction_date'], unique=False, schema='cafeteria')
    op.create_unique_constraint(op.f('uq_meal_transactions_sale_uuid_line_no'), 'meal_transactions', ['sale_uuid', 'line_no'], schema='cafeteria')
    op.create_foreign_key(op.f('fk_meal_transactions_sale_uuid_sales'), 'meal_transactions', 'sales', ['sale_uuid'], ['sale_uuid'], source_schema='cafeteria', referent_schema='cafeteria')
    op.create_foreign_key(op.f('fk_meal_transactions_reverses_transaction_id_meal_transactions'), 'meal_transactions', 'meal_transactions', ['reverses_transaction_id'], ['transaction_id'], source_schema='cafeteria', referent_schema='cafeteria')
    op.create_index('ux_student_meal_plans_active', 'student_meal_plans', ['student_usi'], unique=True, schema='cafeteria', postgresql_where=sa.text('is_active'))
    op.execute(ROLE_SQL)
    op.execute(LEDGER_SQL)
    op.execute(POLICIES_SQL)
    op.execute(GRANTS_SQL)
    op.execute(DISTRICT_SQL)


def downgrade() -> None:
    raise NotImplementedError("0020 makes the ledger append-only; restore a backup instead of undoing it")
