"""The one-call checkout does less work per loan (issue 10, the checkout bench's CPU ratio)

Measured per checkout on the 2,000-student bench district (pg_stat_user_functions, and in-server
loops of each part): library.rules_stamp 0.09-0.13 ms and library.patron_category 0.03 ms, both SQL
functions that PostgreSQL plans again on every call (a SQL function with a SET clause is never
inlined); the copy-count trigger 0.09 ms (a statement trigger over transition tables, for one row);
and checkout_read looked twice at the copy's open loan and twice at the title's open holds.

- library.rules_stamp and library.patron_category are plpgsql (plans kept for the session), same
  bodies, same results.
- The copy counts follow a change of a copy's status or title with a FOR EACH ROW trigger that runs
  only when one of them changed (WHEN clause): the same recount of the titles concerned as before.
  Inserted and deleted copies (imports, many at a time) keep the statement-level triggers.
- library.checkout_read reads the copy's open loan once (at most one: ux_checkouts_open_item),
  keeping the holder's name only when the caller may see them, and the title's open holds once,
  keeping the list the caller may see and whether there are any at all: what the two extra EXISTS
  looks found, from the same rows.

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-04
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"_library_{name[:4]}", Path(__file__).with_name(name))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


_m0026 = _migration("0026_library_checkout_one_trip.py")
_m0046 = _migration("0046_library_fines_by_the_database.py")
_m0048 = _migration("0048_library_checkout_rules_in_the_database.py")
OLD_READ = _m0048.NEW_READ

_LOAN_OLD = OLD_READ[OLD_READ.index("    SELECT jsonb_build_object('checkout_id', c.checkout_id"):
                     OLD_READ.index("    SELECT coalesce(jsonb_agg(jsonb_build_array(h.hold_id")]
_LOAN_NEW = r"""    -- the copy's open loan (at most one), its holder named only to a caller who may see them
    SELECT CASE WHEN admin OR (c.student_usi IS NULL AND c.school_id = ANY (mine)) OR EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = c.student_usi AND sc.schoolid = ANY (mine))
                THEN jsonb_build_object('checkout_id', c.checkout_id, 'student_usi', c.student_usi, 'staff_usi', c.staff_usi,
                              'checked_out_at', c.checked_out_at,
                              'name', coalesce(coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname,
                                               coalesce(t.preferredfirstname, t.firstname) || ' ' || t.lastsurname)) END
      INTO loan
      FROM library.checkouts c
      LEFT JOIN edfi.student s ON s.studentusi = c.student_usi
      LEFT JOIN edfi.staff t ON t.staffusi = c.staff_usi
     WHERE c.item_id = it.item_id AND c.return_date IS NULL;
    out_any := FOUND;
"""
_HOLDS_OLD = OLD_READ[OLD_READ.index("    SELECT coalesce(jsonb_agg(jsonb_build_array(h.hold_id"):
                      OLD_READ.index("    stamp := library.rules_stamp();")]
_HOLDS_NEW = r"""    -- the title's open holds: the ones for any copy or this one that the caller may see, oldest first,
    -- and whether there are any at all (seen or not, for any copy)
    SELECT coalesce(jsonb_agg(jsonb_build_array(h.hold_id, h.student_usi, h.staff_usi, h.item_id, h.status,
                              coalesce(coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname,
                                       coalesce(t.preferredfirstname, t.firstname) || ' ' || t.lastsurname))
                              ORDER BY h.placed_at)
                    FILTER (WHERE (h.item_id IS NULL OR h.item_id = it.item_id)
                              AND (admin OR (h.student_usi IS NULL AND h.pickup_school_id = ANY (mine)) OR EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = h.student_usi AND sc.schoolid = ANY (mine)))),
                    '[]'::jsonb), count(*) > 0
      INTO holds, held_any
      FROM library.holds h
      LEFT JOIN edfi.student s ON s.studentusi = h.student_usi
      LEFT JOIN edfi.staff t ON t.staffusi = h.staff_usi
     WHERE h.resource_id = it.resource_id AND h.status IN ('waiting', 'ready');
"""
_GATE_OLD = r"""       OR p_today IS NULL OR loan IS NOT NULL OR jsonb_array_length(holds) > 0
       OR EXISTS (SELECT 1 FROM library.checkouts c WHERE c.item_id = it.item_id AND c.return_date IS NULL)
       OR EXISTS (SELECT 1 FROM library.holds h WHERE h.resource_id = it.resource_id
                     AND h.status IN ('waiting', 'ready')) THEN"""
_GATE_NEW = r"""       OR p_today IS NULL OR out_any OR held_any THEN"""
for _old in (_LOAN_OLD, _HOLDS_OLD, _GATE_OLD, "    days integer;\n"):
    assert _old in OLD_READ and OLD_READ.count(_old) == 1, _old[:80]
NEW_READ = (OLD_READ.replace(_LOAN_OLD, _LOAN_NEW).replace(_HOLDS_OLD, _HOLDS_NEW).replace(_GATE_OLD, _GATE_NEW)
            .replace("    days integer;\n", "    days integer;\n    out_any boolean;\n    held_any boolean;\n"))

PLPGSQL_SQL = r"""
CREATE OR REPLACE FUNCTION library.rules_stamp() RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- a digest of every rule row: the desk keeps the matrix it read until this changes
    RETURN (SELECT md5(coalesce(string_agg((r.rule_id, r.school_id, r.patron_category, r.item_type, r.loan_days,
                                            r.max_items, r.max_renewals, r.holds_allowed, r.max_overdue,
                                            r.fine_per_day)::text, ';' ORDER BY r.rule_id), ''))
              FROM library.loan_rules r);
END;
$$;

-- a student's library category from their grade level (app.domain.library_rules.patron_category)
CREATE OR REPLACE FUNCTION library.patron_category(p_grade text, p_staff boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN p_staff THEN 'staff' ELSE coalesce(('""" + _m0046.BANDS.replace("'", "''") + r"""'::jsonb)->>p_grade, '6-8') END;
END;
$$;
"""

COPY_COUNTS_SQL = r"""
-- one copy's status or title changed: recount its title(s), as keep_copy_counts does for a statement
CREATE FUNCTION library.keep_copy_counts_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE library.resources r SET total_copies = x.total, available_copies = x.available
      FROM (SELECT u.id, count(i.item_id) FILTER (WHERE i.status <> 'withdrawn')::int AS total,
                   count(i.item_id) FILTER (WHERE i.status = 'available')::int AS available
              FROM (SELECT DISTINCT unnest(ARRAY[OLD.resource_id, NEW.resource_id])) u(id)
              LEFT JOIN library.items i ON i.resource_id = u.id
             GROUP BY u.id) x
     WHERE r.resource_id = x.id
       AND (r.total_copies IS DISTINCT FROM x.total OR r.available_copies IS DISTINCT FROM x.available);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION library.keep_copy_counts_row() FROM PUBLIC;
DROP TRIGGER keep_copy_counts_upd ON library.items;
CREATE TRIGGER keep_copy_counts_upd AFTER UPDATE OF status, resource_id ON library.items FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.resource_id IS DISTINCT FROM NEW.resource_id)
    EXECUTE FUNCTION library.keep_copy_counts_row();
"""


def upgrade() -> None:
    op.execute(PLPGSQL_SQL)
    op.execute(COPY_COUNTS_SQL)
    op.execute(NEW_READ)


def downgrade() -> None:
    op.execute(OLD_READ)
    op.execute("DROP TRIGGER keep_copy_counts_upd ON library.items")
    op.execute("CREATE TRIGGER keep_copy_counts_upd AFTER UPDATE ON library.items REFERENCING OLD TABLE AS old_rows "
               "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION library.keep_copy_counts()")
    op.execute("DROP FUNCTION library.keep_copy_counts_row()")
    for sql, name in ((_m0046.SQL, "library.patron_category("), (_m0026.FUNCTIONS_SQL, "library.rules_stamp(")):
        start = sql.rindex("CREATE", 0, sql.index("FUNCTION " + name))  # the SQL-language originals
        op.execute(sql[start:sql.index("\n$$;\n", start) + 5].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
