"""Library fines are charged by the database, never written by the desk (review of session 6, MEDIUM 1)

0039 kept the fine the desk computed and wrote with a plain UPDATE: a librarian with psql could set
any amount, negative too, on an open loan, or waive a fine another school charged. Now:

- nobody but the owner may write library.checkouts.fine: the librarians' and administrators' UPDATE
  grant names every other column (renewals, check-ins and reissues keep working);
- library.charge_fine(checkout) (pinned SECURITY DEFINER, librarians and administrators, the lending
  school's only) charges a returned late loan once: days late x the fine per day of the most specific
  rule (library.rule_for, the order app.domain.library_rules.resolve_rule uses) for the patron's
  category (library.patron_category, the grade bands of library_rules) and the copy's type;
- CHECK: a fine is never negative and only on a returned loan.
tests/integration/test_library_fines.py tries the reviewer's UPDATEs and holds rule_for and
patron_category to the Python ones on generated cases.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-03
"""
import importlib.util
from pathlib import Path

from alembic import op

_spec = importlib.util.spec_from_file_location("_library_0026", Path(__file__).with_name(
    "0026_library_checkout_one_trip.py"))
_m0026 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_m0026)
CALLER = _m0026.CALLER

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None

BANDS = ('{"Infant/toddler": "K-2", "Preschool": "K-2", "Prekindergarten": "K-2", '
         '"Transitional Kindergarten": "K-2", "Kindergarten": "K-2", "First grade": "K-2", '
         '"Second grade": "K-2", "Third grade": "3-5", "Fourth grade": "3-5", "Fifth grade": "3-5", '
         '"Sixth grade": "6-8", "Seventh grade": "6-8", "Eighth grade": "6-8", "Ninth grade": "9-12", '
         '"Tenth grade": "9-12", "Eleventh grade": "9-12", "Twelfth grade": "9-12", "Grade 13": "9-12", '
         '"Postsecondary": "9-12", "Ungraded": "6-8"}')
COLUMNS = ("checkout_id, student_usi, resource_id, checkout_date, due_date, return_date, renewal_count, "
           "checkout_status, librarian_id, created_at, item_id, staff_usi, school_id, checked_out_at, "
           "returned_at, days_late, checkin_school_id, request_id, renew_request_id")
FUNCTIONS = ("library.patron_category(text, boolean)", "library.rule_for(bigint, text, text)",
             "library.charge_fine(bigint)")

SQL = r"""
ALTER TABLE library.checkouts ADD CONSTRAINT ck_checkouts_fine
    CHECK (fine IS NULL OR (fine >= 0 AND return_date IS NOT NULL));
REVOKE UPDATE ON library.checkouts FROM so_librarian, so_admin;
GRANT UPDATE (""" + COLUMNS + r""") ON library.checkouts TO so_librarian, so_admin;

-- a student's library category from their grade level (app.domain.library_rules.patron_category)
CREATE FUNCTION library.patron_category(p_grade text, p_staff boolean) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN p_staff THEN 'staff' ELSE coalesce(('""" + BANDS.replace("'", "''") + r"""'::jsonb)->>p_grade, '6-8') END
$$;

-- the most specific rule (app.domain.library_rules.resolve_rule): the one naming more of school,
-- item type and category; then school, then item type, then category; then the oldest
CREATE FUNCTION library.rule_for(p_school bigint, p_category text, p_item_type text) RETURNS library.loan_rules
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.* FROM library.loan_rules r
     WHERE (r.school_id IS NULL OR r.school_id = p_school)
       AND (r.patron_category IS NULL OR r.patron_category = p_category)
       AND (r.item_type IS NULL OR r.item_type = p_item_type)
     ORDER BY (r.school_id IS NOT NULL)::int + (r.item_type IS NOT NULL)::int + (r.patron_category IS NOT NULL)::int
              DESC, r.school_id IS NOT NULL DESC, r.item_type IS NOT NULL DESC, r.patron_category IS NOT NULL DESC,
              r.rule_id
     LIMIT 1
$$;

CREATE FUNCTION library.charge_fine(p_checkout bigint) RETURNS numeric
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    admin boolean;
    mine bigint[];
    c record;
    cat text;
    per numeric;
    f numeric;
BEGIN""" + CALLER + r"""
    SELECT k.checkout_id, k.student_usi, k.staff_usi, k.school_id, k.days_late, k.fine, k.return_date, i.item_type
      INTO c
      FROM library.checkouts k JOIN library.items i ON i.item_id = k.item_id
     WHERE k.checkout_id = p_checkout
       FOR UPDATE OF k;
    IF NOT FOUND OR NOT (admin OR c.school_id = ANY (mine)) THEN
        RAISE EXCEPTION 'loan % is not one of your school''s loans', p_checkout USING ERRCODE = '42501';
    END IF;
    IF c.return_date IS NULL THEN
        RAISE EXCEPTION 'loan % is still out: a fine is charged when it comes back', p_checkout USING ERRCODE = '22023';
    END IF;
    IF c.fine IS NOT NULL THEN
        RETURN c.fine;  -- charged once
    END IF;
    IF coalesce(c.days_late, 0) <= 0 THEN
        RETURN 0;
    END IF;
    cat := library.patron_category((SELECT d.codevalue FROM edfi.studentschoolassociation a
                                      JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
                                     WHERE a.studentusi = c.student_usi
                                     ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1),
                                   c.staff_usi IS NOT NULL);
    per := (library.rule_for(c.school_id, cat, c.item_type)).fine_per_day;
    f := round(c.days_late * coalesce(per, 0), 2);
    IF f > 0 THEN
        UPDATE library.checkouts SET fine = f WHERE checkout_id = p_checkout;
    END IF;
    RETURN f;
END;
$$;
""" + "\n".join(f"REVOKE ALL ON FUNCTION {f} FROM PUBLIC;" for f in FUNCTIONS) + """
GRANT EXECUTE ON FUNCTION library.charge_fine(bigint) TO so_librarian, so_admin;
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    for f in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION {f}")
    op.execute("GRANT UPDATE ON library.checkouts TO so_librarian, so_admin")
    op.execute("ALTER TABLE library.checkouts DROP CONSTRAINT ck_checkouts_fine")
