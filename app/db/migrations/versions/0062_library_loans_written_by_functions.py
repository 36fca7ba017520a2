"""Loans are written only by the library's functions (security review of session 7, MEDIUM 1 and 2)

- so_librarian and so_admin kept INSERT on every column of library.checkouts (0018): a plain INSERT
  lent for ten years past every rule, or wrote a "returned" loan with a made-up fine. The desk never
  inserts a loan itself (library.checkout / library.lend do, as the owner): INSERT is revoked.
- library.charge_fine multiplied days_late, a column the desk wrote: any fine on any returned loan
  of the school. Now the check-in and the renewal go through pinned SECURITY DEFINER functions and
  UPDATE of library.checkouts is revoked but for checkout_status (a copy marked lost or claims
  returned marks its open loan):
  - library.close_loan(loan, day, at, note): the lending school's librarian (or an administrator)
    closes an open loan; the return day is the desk's date, at most a day ahead of the server's and
    within 120 days back (an offline journal, a term's catch-up), never before the loan was made; days late is worked
    out from the due date. Returns the days late.
  - library.renew_loan(loan, day, request): the new due date from the rules (the day + the most
    specific rule's loan days, never earlier than the current due date), renewal count + 1.
  - library.charge_fine counts the days late from the loan's due and return dates itself.
- library.lend refuses a loan dated more than 120 days back (LOW 3 of the same
  review: a lend back-dated to 2019 counted the patron's overdue loans as of 2019).

Revision ID: 0062
Revises: 0061
Create Date: 2026-12-04
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0062"
down_revision = "0061"
branch_labels = None
depends_on = None


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"_library_{name[:4]}", Path(__file__).with_name(name))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


_m0036 = _migration("0036_library_checkout_one_call.py")
_m0046 = _migration("0046_library_fines_by_the_database.py")
_m0059 = _migration("0059_library_lend_by_the_rules.py")
CALLER = _m0036.CALLER
OFFLINE_DAYS = 120  # how far back a desk (its offline journal, a term's catch-up) may date a loan, return or renewal
_FINE = _m0046.SQL[_m0046.SQL.index("CREATE FUNCTION library.charge_fine("):]
_FINE = _FINE[:_FINE.index("\n$$;\n") + 5]
_DAYS_OLD = ("    IF coalesce(c.days_late, 0) <= 0 THEN", "    f := round(c.days_late * coalesce(per, 0), 2);")
_DAYS_NEW = ("    IF c.return_date - c.due_date <= 0 THEN", "    f := round((c.return_date - c.due_date) * coalesce(per, 0), 2);")
for _o in _DAYS_OLD + ("k.days_late, k.fine",):
    assert _FINE.count(_o) == 1, _o
FINE_NEW = (_FINE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").replace(_DAYS_OLD[0], _DAYS_NEW[0])
            .replace(_DAYS_OLD[1], _DAYS_NEW[1]).replace("k.days_late, k.fine", "k.due_date, k.fine"))
COLUMNS = _m0046.COLUMNS
_DATE_OLD = "IF p_today IS NULL OR p_today > current_date + 1 THEN"
assert _m0059.LEND_SQL.count(_DATE_OLD) == 1
LEND_SQL = _m0059.LEND_SQL.replace(_DATE_OLD, "IF p_today IS NULL OR p_today > current_date + 1 OR p_today < current_date - "
                                   + str(OFFLINE_DAYS) + " THEN")

_LOAN = r"""
    SELECT k.checkout_id, k.school_id, k.due_date, k.checkout_date, k.return_date, k.student_usi, k.staff_usi,
           k.renewal_count, i.item_type
      INTO c
      FROM library.checkouts k JOIN library.items i ON i.item_id = k.item_id
     WHERE k.checkout_id = p_checkout
       FOR UPDATE OF k;
    IF NOT FOUND OR NOT (admin OR c.school_id = ANY (mine)) THEN
        RAISE EXCEPTION 'loan % is not one of your school''s loans', p_checkout USING ERRCODE = '42501';
    END IF;
    IF c.return_date IS NOT NULL THEN
        RAISE EXCEPTION 'loan % was already returned', p_checkout USING ERRCODE = '22023';
    END IF;
    IF p_today IS NULL OR p_today > current_date + 1 OR p_today < current_date - """ + str(OFFLINE_DAYS) + r"""
       OR p_today < c.checkout_date THEN
        RAISE EXCEPTION 'a loan is closed or renewed on the day it happens, not %', p_today USING ERRCODE = '22023';
    END IF;"""

SQL = r"""
REVOKE INSERT, UPDATE ON library.checkouts FROM so_librarian, so_admin;
GRANT UPDATE (checkout_status) ON library.checkouts TO so_librarian, so_admin;

CREATE FUNCTION library.close_loan(p_checkout bigint, p_today date, p_at timestamptz, p_note text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    admin boolean;
    mine bigint[];
    c record;
    late integer;
BEGIN""" + CALLER + _LOAN + r"""
    late := greatest(p_today - c.due_date, 0);
    UPDATE library.checkouts
       SET return_date = p_today, returned_at = least(coalesce(p_at, now()), now() + interval '1 day'),
           days_late = late, checkin_school_id = c.school_id,
           checkout_status = CASE WHEN late > 0 AND p_note = 'Returned' THEN 'Returned late'
                                  ELSE left(coalesce(p_note, 'Returned'), 20) END
     WHERE checkout_id = p_checkout;
    RETURN late;
END;
$$;

CREATE FUNCTION library.renew_loan(p_checkout bigint, p_today date, p_request uuid) RETURNS date
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    admin boolean;
    mine bigint[];
    c record;
    due date;
BEGIN""" + CALLER + _LOAN + r"""
    due := greatest(p_today + (library.rule_for(c.school_id, library.patron_category(
               (SELECT d.codevalue FROM edfi.studentschoolassociation a
                  JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
                 WHERE a.studentusi = c.student_usi
                 ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1), c.staff_usi IS NOT NULL),
               c.item_type)).loan_days, c.due_date);
    UPDATE library.checkouts SET due_date = due, renewal_count = coalesce(renewal_count, 0) + 1,
                                 renew_request_id = p_request
     WHERE checkout_id = p_checkout;
    RETURN due;
END;
$$;

REVOKE ALL ON FUNCTION library.close_loan(bigint, date, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION library.renew_loan(bigint, date, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION library.close_loan(bigint, date, timestamptz, text) TO so_librarian, so_admin;
GRANT EXECUTE ON FUNCTION library.renew_loan(bigint, date, uuid) TO so_librarian, so_admin;
""" + FINE_NEW


def upgrade() -> None:
    op.execute(SQL)
    op.execute(LEND_SQL)


def downgrade() -> None:
    op.execute(_m0059.LEND_SQL)
    op.execute("DROP FUNCTION library.close_loan(bigint, date, timestamptz, text)")
    op.execute("DROP FUNCTION library.renew_loan(bigint, date, uuid)")
    op.execute(_FINE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    op.execute("REVOKE UPDATE ON library.checkouts FROM so_librarian, so_admin")
    op.execute(f"GRANT INSERT ON library.checkouts TO so_librarian, so_admin")
    op.execute(f"GRANT UPDATE ({COLUMNS}) ON library.checkouts TO so_librarian, so_admin")
