"""A checkout reads the rules' terms kept for its school instead of resolving them every time (issue 10, the
checkout bench's CPU ratio)

Measured per checkout in the server (2,000-student bench district, loops of checkout_read's statements):
the rules stamp (md5 over every rule row), the two library.rule_for look-ups and the jsonb terms built for
library.checkout_clean were about a fifth of the one-call checkout's reads; the patron's homeroom (a scan
of all their section rows for the homeroom flag) about a sixth; the copy counts recounted the title's copies.

- library.checkout_terms keeps, per school, the rules stamp and the terms app.domain.library_rules.
  checkout_terms states (per patron category: loan days and cap of each item type a rule names and of any
  other type, the overall item and overdue limits: library.compute_terms, resolved by library.rule_for).
  A statement trigger on library.loan_rules rebuilds it in the same transaction as any change of the rules,
  so the stamp and terms read are always those of the rules the transaction sees. A school without a row
  (added since) gets its terms computed on the spot. Only the owner reads or writes the table (no grants,
  row-level security on): the checkout functions are SECURITY DEFINER.
- edfi.studentsectionassociation gets a partial index of homeroom rows by student, which the patron row's
  homeroom look-up uses (and so does every other homeroom look-up by student).
- A copy's status change moves its title's counts by one (available, not withdrawn) instead of recounting
  every copy of the title; a change of title, or counts never set, still recounts.

Revision ID: 0066
Revises: 0065
Create Date: 2026-12-04
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0066"
down_revision = "0065"
branch_labels = None
depends_on = None


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"_library_{name[:4]}", Path(__file__).with_name(name))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


_m0057 = _migration("0057_library_checkout_cheaper.py")
_m0064 = _migration("0064_library_renewals_by_the_rules.py")
CATEGORIES = ("K-2", "3-5", "6-8", "9-12", "staff")  # app.domain.library_rules.PATRON_CATEGORIES

TERMS_SQL = r"""
CREATE TABLE library.checkout_terms (
    school_id bigint PRIMARY KEY REFERENCES edfi.school (schoolid) ON DELETE CASCADE,
    stamp text NOT NULL,
    terms jsonb NOT NULL
);
ALTER TABLE library.checkout_terms ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE library.checkout_terms IS 'The rules'' stamp and checkout terms per school, rebuilt with every change of library.loan_rules (migration 0066); read by the checkout functions only';
REVOKE ALL ON library.checkout_terms FROM PUBLIC;

-- internal (owner only): app.domain.library_rules.checkout_terms(rules, school)["categories"], resolved by
-- library.rule_for: {category: {"types": {type: [loan days, cap]}, "other": [loan days, cap], "max_items": n,
-- "max_overdue": n}}; cap 0 = not lent to the category, null = no limit of the type's own
CREATE FUNCTION library.compute_terms(p_school bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_object_agg(cat.c, jsonb_build_object(
               'types', coalesce((SELECT jsonb_object_agg(t.item_type, jsonb_build_array(r.loan_days,
                                         CASE WHEN r.max_items = 0 THEN 0 WHEN r.item_type IS NOT NULL THEN r.max_items END))
                                    FROM (SELECT DISTINCT x.item_type FROM library.loan_rules x
                                           WHERE x.item_type IS NOT NULL) t,
                                         LATERAL library.rule_for(p_school, cat.c, t.item_type) r), '{}'::jsonb),
               'other', (SELECT jsonb_build_array(r.loan_days, CASE WHEN r.max_items = 0 THEN 0 END)
                           FROM library.rule_for(p_school, cat.c, NULL) r),
               'max_items', (library.rule_for(p_school, cat.c, NULL)).max_items,
               'max_overdue', (library.rule_for(p_school, cat.c, NULL)).max_overdue))
      FROM unnest(ARRAY['""" + "', '".join(CATEGORIES) + r"""']) AS cat(c)
$$;
REVOKE ALL ON FUNCTION library.compute_terms(bigint) FROM PUBLIC;

CREATE FUNCTION library.keep_checkout_terms() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- one rebuild at a time (checkouts still read): a second change of the rules waits here, then reads the
    -- rules with the first one's committed
    LOCK TABLE library.checkout_terms IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO library.checkout_terms (school_id, stamp, terms)
    SELECT s.schoolid, library.rules_stamp(), library.compute_terms(s.schoolid) FROM edfi.school s
    ON CONFLICT (school_id) DO UPDATE SET stamp = EXCLUDED.stamp, terms = EXCLUDED.terms;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION library.keep_checkout_terms() FROM PUBLIC;
CREATE TRIGGER keep_checkout_terms AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON library.loan_rules
    FOR EACH STATEMENT EXECUTE FUNCTION library.keep_checkout_terms();
INSERT INTO library.checkout_terms (school_id, stamp, terms)
SELECT s.schoolid, library.rules_stamp(), library.compute_terms(s.schoolid) FROM edfi.school s;

CREATE INDEX ix_studentsectionassociation_homeroom ON edfi.studentsectionassociation (studentusi, begindate DESC)
    WHERE homeroomindicator;

-- one copy's status changed: its title's counts move by one; a new title, or counts never set: recount
CREATE OR REPLACE FUNCTION library.keep_copy_counts_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d_total integer := (NEW.status <> 'withdrawn')::int - (OLD.status <> 'withdrawn')::int;
    d_avail integer := (NEW.status = 'available')::int - (OLD.status = 'available')::int;
BEGIN
    IF OLD.resource_id = NEW.resource_id THEN
        IF d_total = 0 AND d_avail = 0 THEN
            RETURN NULL;
        END IF;
        UPDATE library.resources r SET total_copies = r.total_copies + d_total,
                                       available_copies = r.available_copies + d_avail
         WHERE r.resource_id = NEW.resource_id AND r.total_copies IS NOT NULL AND r.available_copies IS NOT NULL;
        IF FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
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
"""

_READ = _m0064.READ_SQL
_STAMP_OLD = "    stamp := library.rules_stamp();\n"
_STAMP_NEW = r"""    -- the rules' stamp and terms kept for the lending school (library.keep_checkout_terms)
    SELECT t.stamp, t.terms INTO stamp, terms FROM library.checkout_terms t WHERE t.school_id = p_school;
    IF NOT FOUND THEN  -- a school added since the rules last changed, or no lending school (facts only)
        stamp := library.rules_stamp();
    END IF;
"""
_RULES_OLD = _READ[_READ.index("    r_type := library.rule_for(p_school, cat, it.item_type);"):
                   _READ.index("            it.item_type, it.status, loans, greatest(p_today, current_date));")]
_RULES_NEW = "    days := library.checkout_clean(coalesce(terms, library.compute_terms(p_school))->cat,\n"
for _o in (_STAMP_OLD, _RULES_OLD, "    r_type library.loan_rules;\n    r_all library.loan_rules;\n"):
    assert _READ.count(_o) == 1, _o
READ_SQL = (_READ.replace(_STAMP_OLD, _STAMP_NEW).replace(_RULES_OLD, _RULES_NEW)
            .replace("    r_type library.loan_rules;\n    r_all library.loan_rules;\n", "    terms jsonb;\n"))


def upgrade() -> None:
    op.execute(TERMS_SQL)
    op.execute(READ_SQL)


def downgrade() -> None:
    op.execute(_READ)
    op.execute(_m0057.COPY_COUNTS_SQL[_m0057.COPY_COUNTS_SQL.index("CREATE FUNCTION"):
                                      _m0057.COPY_COUNTS_SQL.index("REVOKE ALL")].replace("CREATE FUNCTION",
                                                                                          "CREATE OR REPLACE FUNCTION"))
    op.execute("DROP INDEX edfi.ix_studentsectionassociation_homeroom")
    op.execute("DROP TRIGGER keep_checkout_terms ON library.loan_rules")
    op.execute("DROP FUNCTION library.keep_checkout_terms()")
    op.execute("DROP TABLE library.checkout_terms")
    op.execute("DROP FUNCTION library.compute_terms(bigint)")
