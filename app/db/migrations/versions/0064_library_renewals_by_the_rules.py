"""The database renews only what the desk would renew, and judges a loan's blocks as of today (security review of
session 7, LOW 3)

- library.renew_loan (0062) took the new due date from the rules but renewed whatever it was asked to: past the
  rules' max renewals, a title another patron waits for, a patron with too many overdue loans. Now it raises
  the renewal's blocks itself (library.renewal_blocks: held_by_other, too_many_renewals, too_many_overdue,
  the sentences app.domain.library_rules.decide_renewal shows) and renews past one only when the caller
  overrides it with a reason (a librarian's or an administrator's act, as library.lend; each override is
  recorded in library.overrides under the caller's login, and audited). A refusal carries the blocks as
  [[code, sentence], ...] in its DETAIL, so the desk shows the database's own sentences. A renewal sent again
  with the same request id (the offline journal's resend) returns the due date it set, once.
- A patron's overdue loans are counted as of today (the database's date, or the desk's when it is a day ahead
  across a time zone), whatever day the loan or renewal is dated: library.lend, library.renew_loan and the
  one-call library.checkout counted them as of the date the caller gave, so a loan back-dated up to 120 days
  lent past a too_many_overdue block. library.checkout's one-call lend now also refuses a loan dated after
  tomorrow or more than 120 days back (it falls through to library.lend, which says so); its facts carry
  the day the blocks are judged on ("asof") so that the desk counts the same way.
- These functions take today in the district's time zone (the database's when this migration ran), not the
  caller's session's.

Revision ID: 0064
Revises: 0063
Create Date: 2026-12-04
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0064"
down_revision = "0063"
branch_labels = None
depends_on = None


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"_library_{name[:4]}", Path(__file__).with_name(name))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


_m0036 = _migration("0036_library_checkout_one_call.py")
_m0057 = _migration("0057_library_checkout_cheaper.py")
_m0062 = _migration("0062_library_loans_written_by_functions.py")
CALLER, SEES, OFFLINE_DAYS = _m0036.CALLER, _m0036.SEES, _m0062.OFFLINE_DAYS
ASOF = "greatest(p_today, current_date)"  # the day blocks are judged on: today, whatever day the loan is dated

_OVER_OLD = "count(*) FILTER (WHERE c.due_date < p_today)"
assert _m0062.LEND_SQL.count(_OVER_OLD) == 2
LEND_SQL = _m0062.LEND_SQL.replace(_OVER_OLD, f"count(*) FILTER (WHERE c.due_date < {ASOF})")

_READ = _m0057.NEW_READ
_GATE_OLD = "       OR p_today IS NULL OR out_any OR held_any THEN"
_GATE_NEW = (f"       OR p_today IS NULL OR out_any OR held_any\n"
             f"       OR p_today > current_date + 1 OR p_today < current_date - {OFFLINE_DAYS} THEN")
_CLEAN_OLD = "            it.item_type, it.status, loans, p_today);"
_FACTS_OLD = "'holds', holds, 'rules_stamp', stamp);"
for _o in (_GATE_OLD, _CLEAN_OLD, _FACTS_OLD):
    assert _READ.count(_o) == 1, _o
READ_SQL = (_READ.replace(_GATE_OLD, _GATE_NEW).replace(_CLEAN_OLD, f"            it.item_type, it.status, loans, {ASOF});")
            .replace(_FACTS_OLD, f"'holds', holds, 'rules_stamp', stamp, 'asof', {ASOF});"))

BLOCKS_SQL = r"""
-- internal (owner only): the blocks app.domain.library_rules.decide_renewal raises, with its sentences:
-- [[code, sentence], ...] in its order; [] when the renewal is clean
CREATE FUNCTION library.renewal_blocks(p_school bigint, p_category text, p_item_type text, p_renewals integer,
                                       p_held boolean, p_overdue integer)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r_type library.loan_rules := library.rule_for(p_school, p_category, p_item_type);
    r_all library.loan_rules := library.rule_for(p_school, p_category, NULL);
    b jsonb := '[]'::jsonb;
BEGIN
    IF r_type.rule_id IS NULL OR r_all.rule_id IS NULL THEN
        RAISE EXCEPTION 'the circulation rules have no default row' USING ERRCODE = '22023';
    END IF;
    IF p_held THEN
        b := b || jsonb_build_array(jsonb_build_array('held_by_other',
                 'Another patron is waiting for this title: it cannot be renewed.'));
    END IF;
    IF p_renewals >= r_type.max_renewals THEN
        b := b || jsonb_build_array(jsonb_build_array('too_many_renewals',
                 format('Already renewed %s time(s), %s allowed.', p_renewals, r_type.max_renewals)));
    END IF;
    IF p_overdue > r_all.max_overdue THEN
        b := b || jsonb_build_array(jsonb_build_array('too_many_overdue',
                 format('%s overdue item(s): return them first.', p_overdue)));
    END IF;
    RETURN b;
END;
$$;
REVOKE ALL ON FUNCTION library.renewal_blocks(bigint, text, text, integer, boolean, integer) FROM PUBLIC;

DROP FUNCTION library.renew_loan(bigint, date, uuid);
CREATE FUNCTION library.renew_loan(p_checkout bigint, p_today date, p_request uuid, p_overridden text[] DEFAULT NULL,
                                   p_reason text DEFAULT NULL) RETURNS date
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    admin boolean;
    mine bigint[];
    c record;
    cat text;
    held boolean;
    n_over integer;
    blocks jsonb;
    raised text[];
    given text[] := coalesce(p_overridden, '{}'::text[]);
    due date;
BEGIN""" + CALLER + r"""
    SELECT k.checkout_id, k.school_id, k.due_date, k.checkout_date, k.return_date, k.student_usi, k.staff_usi,
           k.renewal_count, k.renew_request_id, k.resource_id, i.item_id, i.item_type
      INTO c
      FROM library.checkouts k JOIN library.items i ON i.item_id = k.item_id
     WHERE k.checkout_id = p_checkout
       FOR UPDATE OF k;
    IF NOT FOUND OR NOT (admin OR c.school_id = ANY (mine)) THEN
        RAISE EXCEPTION 'loan % is not one of your school''s loans', p_checkout USING ERRCODE = '42501';
    END IF;
    IF p_request IS NOT NULL AND c.renew_request_id = p_request THEN
        RETURN c.due_date;  -- the same renewal sent again (a repeated submit, the offline journal's resend)
    END IF;
    IF c.return_date IS NOT NULL THEN
        RAISE EXCEPTION 'loan % was already returned', p_checkout USING ERRCODE = '22023';
    END IF;
    IF p_today IS NULL OR p_today > current_date + 1 OR p_today < current_date - """ + str(OFFLINE_DAYS) + r"""
       OR p_today < c.checkout_date THEN
        RAISE EXCEPTION 'a loan is closed or renewed on the day it happens, not %', p_today USING ERRCODE = '22023';
    END IF;
    cat := library.patron_category((SELECT d.codevalue FROM edfi.studentschoolassociation a
                                      JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
                                     WHERE a.studentusi = c.student_usi
                                     ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1),
                                   c.staff_usi IS NOT NULL);
    -- someone else waits for the title: a hold the caller's check-in would fill (one they may see)
    held := EXISTS (SELECT 1 FROM library.holds h
                     WHERE h.resource_id = c.resource_id AND h.status = 'waiting'
                       AND NOT (coalesce(h.student_usi, -1) = coalesce(c.student_usi, -2)
                                OR coalesce(h.staff_usi, -1) = coalesce(c.staff_usi, -2))
                       AND """ + SEES.format(s="h.student_usi", school="h.pickup_school_id") + r""");
    -- the borrower's other overdue loans, as of today whatever day the renewal is dated
    IF c.student_usi IS NOT NULL THEN
        SELECT count(*) INTO n_over FROM library.checkouts o
         WHERE o.student_usi = c.student_usi AND o.return_date IS NULL AND o.checkout_id <> c.checkout_id
           AND o.due_date < """ + ASOF + r""";
    ELSE
        SELECT count(*) INTO n_over FROM library.checkouts o
         WHERE o.staff_usi = c.staff_usi AND o.return_date IS NULL AND o.checkout_id <> c.checkout_id
           AND o.due_date < """ + ASOF + r""" AND (admin OR o.school_id = ANY (mine));
    END IF;
    blocks := library.renewal_blocks(c.school_id, cat, c.item_type, coalesce(c.renewal_count, 0), held, n_over);
    raised := ARRAY(SELECT b->>0 FROM jsonb_array_elements(blocks) b);
    IF NOT (raised <@ given) THEN
        RAISE EXCEPTION '%', (SELECT string_agg(b->>1, ' ') FROM jsonb_array_elements(blocks) b
                               WHERE NOT (b->>0 = ANY (given)))
              USING ERRCODE = '42501', HINT = 'a librarian overrides a block with a reason',
                    DETAIL = (SELECT jsonb_agg(b)::text FROM jsonb_array_elements(blocks) b
                               WHERE NOT (b->>0 = ANY (given)));
    END IF;
    IF cardinality(raised) > 0 AND length(btrim(coalesce(p_reason, ''))) < 3 THEN
        RAISE EXCEPTION 'an override needs a reason' USING ERRCODE = '22023';
    END IF;
    due := greatest(p_today + (library.rule_for(c.school_id, cat, c.item_type)).loan_days, c.due_date);
    UPDATE library.checkouts SET due_date = due, renewal_count = coalesce(renewal_count, 0) + 1,
                                 renew_request_id = p_request
     WHERE checkout_id = p_checkout;
    -- the blocks overridden (only those the rules raise: a code given for nothing is not recorded)
    INSERT INTO library.overrides (student_usi, staff_usi, item_id, school_id, action, block_code, reason, approved_by)
    SELECT c.student_usi, c.staff_usi, c.item_id, c.school_id, 'renew', code, btrim(p_reason), session_user
      FROM unnest(raised) AS code;
    RETURN due;
END;
$$;
REVOKE ALL ON FUNCTION library.renew_loan(bigint, date, uuid, text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION library.renew_loan(bigint, date, uuid, text[], text) TO so_librarian, so_admin;
"""

DISTRICT_ZONE = [f"ALTER FUNCTION {f} SET TimeZone FROM CURRENT" for f in (
    "library.renew_loan(bigint, date, uuid, text[], text)", "library.close_loan(bigint, date, timestamptz, text)",
    "library.lend(integer, integer, integer, bigint, date, date, timestamptz, uuid, bigint, bigint, boolean, text[], "
    "text)", "library.checkout(text, integer, integer, text, text, uuid, bigint, date, timestamptz, jsonb)",
    "library.checkout_facts(text, integer, integer, uuid)")]


def upgrade() -> None:
    op.execute(BLOCKS_SQL)
    op.execute(LEND_SQL)
    op.execute(READ_SQL)
    for sql in DISTRICT_ZONE:
        op.execute(sql)


def downgrade() -> None:
    for sql in DISTRICT_ZONE[1:]:
        op.execute(sql.replace("SET TimeZone FROM CURRENT", "RESET TimeZone"))
    op.execute(_READ)
    op.execute(_m0062.LEND_SQL)
    op.execute("DROP FUNCTION library.renew_loan(bigint, date, uuid, text[], text)")
    op.execute("DROP FUNCTION library.renewal_blocks(bigint, text, text, integer, boolean, integer)")
    op.execute(_m0062.SQL[_m0062.SQL.index("CREATE FUNCTION library.renew_loan("):
                          _m0062.SQL.index("REVOKE ALL ON FUNCTION library.close_loan")])
    op.execute("REVOKE ALL ON FUNCTION library.renew_loan(bigint, date, uuid) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION library.renew_loan(bigint, date, uuid) TO so_librarian, so_admin")
