"""library.lend decides by the rules matrix, and only the lending school changes its loans (review of session 6)

library.lend (the checkout that is not clean: a block overridden, a warning confirmed, a hold, a
reissue, an offline loan) wrote the due date and the overridden block codes the desk sent. A
librarian with psql could lend for ten years, or past every limit with a made-up override.
Now library.lend:
- computes the due date from the rules as library.checkout does (the patron's category from their
  grade, library.rule_for for the copy's type: the loan date + its loan days); p_due is ignored;
- works out which hard blocks the rules raise for this patron and copy, the way
  app.domain.library_rules.decide_checkout does (not loanable, already theirs, type not allowed,
  too many items of the type or in all, too many overdue: the patron's other open loans counted
  as library.checkout_read counts them), and lends only when the overridden codes are exactly
  those, with a reason of three characters or more: an override of a code the rules do not raise is
  refused, and so is a lend past a block nobody overrode;
- refuses a loan dated after tomorrow (the loan date is the desk's local date; an offline loan
  carries the day it was made).
Overrides stay a librarian's (or an administrator's) act: library.lend refuses every other role,
and each override is recorded with the login that made it.

The UPDATE policy of library.checkouts checked the student's scope only: a librarian of another
school who shares the student could change the due date of this school's loan. Now a librarian
changes (renews, checks in) only loans made at one of their schools; a copy of another school
checked in here goes through library.check_in_elsewhere as before.

Revision ID: 0059
Revises: 0058
Create Date: 2026-12-04
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0059"
down_revision = "0058"
branch_labels = None
depends_on = None


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"_library_{name[:4]}", Path(__file__).with_name(name))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


_m0036 = _migration("0036_library_checkout_one_call.py")
CALLER, SEES, GENERIC = _m0036.CALLER, _m0036.SEES, _m0036.GENERIC
_OLD_LEND = _m0036.FUNCTIONS_SQL[_m0036.FUNCTIONS_SQL.index("CREATE OR REPLACE FUNCTION library.lend("):]
_OLD_LEND = _OLD_LEND[:_OLD_LEND.index("\n$$;\n") + 5]
NOT_LOANABLE = "('lost', 'damaged', 'missing', 'claims_returned', 'withdrawn', 'not_for_loan')"
MY_SCHOOLS = "(school_id = ANY ((SELECT compliance.my_school_ids())::bigint[]))"

LEND_SQL = r"""
CREATE OR REPLACE FUNCTION library.lend(p_item integer, p_student integer, p_staff integer, p_school bigint,
                                       p_today date, p_due date, p_at timestamptz, p_request uuid, p_reissue bigint,
                                       p_my_hold bigint, p_shelved boolean, p_overridden text[], p_reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp """ + GENERIC + r""" AS $$
DECLARE
    admin boolean;
    mine bigint[];
    it record;
    n integer;
    cat text;
    r_type library.loan_rules;
    r_all library.loan_rules;
    n_total integer;
    n_type integer;
    n_over integer;
    raised text[] := '{}';
    given text[];
BEGIN""" + CALLER + r"""
    IF NOT (admin OR p_school = ANY (mine)) THEN
        RAISE EXCEPTION 'you do not work at school %', p_school USING ERRCODE = '42501';
    END IF;
    IF (p_student IS NULL) = (p_staff IS NULL) THEN
        RAISE EXCEPTION 'a borrower is one student or one staff member' USING ERRCODE = '22023';
    END IF;
    IF p_student IS NOT NULL AND NOT """ + SEES.format(s="p_student", school="NULL") + r""" THEN
        RAISE EXCEPTION 'that student is not one of your schools'' students' USING ERRCODE = '42501';
    END IF;
    IF p_today IS NULL OR p_today > current_date + 1 THEN
        RAISE EXCEPTION 'a loan is dated the day it is made, not %', p_today USING ERRCODE = '22023';
    END IF;
    SELECT i.item_id, i.resource_id, i.school_id, i.status, i.item_type INTO it
      FROM library.items i WHERE i.item_id = p_item FOR UPDATE;
    IF NOT FOUND OR it.school_id <> p_school THEN
        RAISE EXCEPTION 'copy % does not belong to school %', p_item, p_school USING ERRCODE = '42501';
    END IF;
    IF p_my_hold IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM library.holds h
             WHERE h.hold_id = p_my_hold AND h.resource_id = it.resource_id AND h.status IN ('waiting', 'ready')
               AND (h.student_usi = p_student OR h.staff_usi = p_staff)) THEN
        RAISE EXCEPTION 'hold % is not this patron''s open hold for this title', p_my_hold USING ERRCODE = '42501';
    END IF;
    -- the hard blocks the rules raise (app.domain.library_rules.decide_checkout), on the patron's other open loans
    cat := library.patron_category((SELECT d.codevalue FROM edfi.studentschoolassociation a
                                      JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
                                     WHERE a.studentusi = p_student
                                     ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1),
                                   p_staff IS NOT NULL);
    r_type := library.rule_for(p_school, cat, it.item_type);
    r_all := library.rule_for(p_school, cat, NULL);
    IF r_type.rule_id IS NULL OR r_all.rule_id IS NULL THEN
        RAISE EXCEPTION 'the circulation rules have no default row' USING ERRCODE = '22023';
    END IF;
    IF p_student IS NOT NULL THEN
        SELECT count(*), count(*) FILTER (WHERE i.item_type = it.item_type), count(*) FILTER (WHERE c.due_date < p_today)
          INTO n_total, n_type, n_over
          FROM library.checkouts c JOIN library.items i ON i.item_id = c.item_id
         WHERE c.student_usi = p_student AND c.return_date IS NULL AND c.item_id <> p_item;
    ELSE
        SELECT count(*), count(*) FILTER (WHERE i.item_type = it.item_type), count(*) FILTER (WHERE c.due_date < p_today)
          INTO n_total, n_type, n_over
          FROM library.checkouts c JOIN library.items i ON i.item_id = c.item_id
         WHERE c.staff_usi = p_staff AND c.return_date IS NULL AND c.item_id <> p_item
           AND (admin OR c.school_id = ANY (mine));
    END IF;
    IF it.status IN """ + NOT_LOANABLE + r""" THEN
        raised := raised || 'not_loanable'::text;
    END IF;
    IF EXISTS (SELECT 1 FROM library.checkouts c WHERE c.item_id = p_item AND c.return_date IS NULL
                 AND (c.student_usi = p_student OR c.staff_usi = p_staff)) THEN
        raised := raised || 'already_yours'::text;
    END IF;
    IF r_type.max_items = 0 THEN
        raised := raised || 'type_not_allowed'::text;
    END IF;
    IF (r_type.max_items <> 0 AND r_type.rule_id <> r_all.rule_id AND r_type.item_type IS NOT NULL
        AND n_type >= r_type.max_items) OR n_total >= r_all.max_items THEN
        raised := raised || 'too_many_items'::text;
    END IF;
    IF n_over > r_all.max_overdue THEN
        raised := raised || 'too_many_overdue'::text;
    END IF;
    given := ARRAY(SELECT DISTINCT g FROM unnest(coalesce(p_overridden, '{}'::text[])) AS g ORDER BY 1);
    raised := ARRAY(SELECT r FROM unnest(raised) AS r ORDER BY 1);
    IF NOT (raised <@ given) THEN
        RAISE EXCEPTION 'the rules block this loan (%): a librarian overrides with a reason',
              array_to_string(ARRAY(SELECT unnest(raised) EXCEPT SELECT unnest(given)), ', ') USING ERRCODE = '42501';
    END IF;
    IF NOT (given <@ raised) THEN
        RAISE EXCEPTION 'no rule blocks this loan with %: there is nothing to override',
              array_to_string(ARRAY(SELECT unnest(given) EXCEPT SELECT unnest(raised)), ', ') USING ERRCODE = '42501';
    END IF;
    IF cardinality(raised) > 0 AND length(btrim(coalesce(p_reason, ''))) < 3 THEN
        RAISE EXCEPTION 'an override needs a reason' USING ERRCODE = '22023';
    END IF;
    IF p_reissue IS NOT NULL THEN  -- "still out to another student: return it, reissue"
        UPDATE library.checkouts c
           SET return_date = p_today, returned_at = p_at, days_late = greatest(p_today - c.due_date, 0),
               checkin_school_id = p_school, checkout_status = 'Returned (reissued)'
         WHERE c.checkout_id = p_reissue AND c.item_id = p_item AND c.return_date IS NULL
           AND """ + SEES.format(s="c.student_usi", school="c.school_id") + r""";
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n = 0 THEN
            RAISE EXCEPTION 'loan % is not an open loan of this copy you may close', p_reissue USING ERRCODE = '42501';
        END IF;
    END IF;
    -- the due date is the rules': p_due is not used (kept so that callers need not change)
    RETURN library.lend_rows(admin, mine, p_item, it.resource_id, p_student, p_staff, p_school, p_today,
                             p_today + r_type.loan_days, p_at, p_request, p_my_hold, p_shelved, raised, p_reason);
END;
$$;
"""

POLICY_SQL = f"""
ALTER POLICY librarians_change ON library.checkouts USING {MY_SCHOOLS} WITH CHECK {MY_SCHOOLS};
"""


def upgrade() -> None:
    op.execute(LEND_SQL)
    op.execute(POLICY_SQL)


def downgrade() -> None:
    # back to the student's scope: the expression the read policy still uses
    op.execute("""
DO $$
DECLARE
    vis text := (SELECT pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p
                  WHERE p.polrelid = 'library.checkouts'::regclass AND p.polname = 'librarians_read');
BEGIN
    EXECUTE format('ALTER POLICY librarians_change ON library.checkouts USING (%s) WITH CHECK (%s)', vis, vis);
END $$;
""")
    op.execute(_OLD_LEND)
