"""A meal is claimed and billed at the student's eligibility ON ITS DAY, and only the sale functions derive
meals (security review of session 7, cafperf MEDIUM 1)

Migration 0055 took the student's eligibility from their active meal account, which the manager edits in
place: once a paid student's application was approved, any later derivation of an earlier day (a late
offline sale, a void, or a cashier calling `cafeteria.rederive_meals` with psql for any student of any
school) re-billed that day's honest paid meals at $0.00, claimed late ones as free for days the student
was paid, and listed honest sales as mispriced. Now:

- `cafeteria.eligibility_history` keeps each student's eligibility with the moment it took effect: a row
  when a meal account is opened, re-activated, or its `free_reduced_status` changes (trigger
  `eligibility_history` on `cafeteria.student_meal_plans`, written as the owner; nobody else writes it;
  administrators read it). The accounts already open get a row that holds for all earlier days.
- `cafeteria.student_meal_eligibility(student, day)`: the eligibility in effect at the end of that day (the
  last change made on or before it; for a day before the first change we know of, the first eligibility we
  know of; with no history at all, the active account's). The claim's category, the price due and the
  mispriced check in `cafeteria.claim_first_meal` and `cafeteria.rederive_meals` use it for the service day.
- `cafeteria.rederive_meals` is no longer callable by a login (EXECUTE revoked from so_cashier and
  so_admin): the sale, batch and reversal functions, which check the caller's school first, call it as
  the owner.

Revision ID: 0060
Revises: 0059
Create Date: 2026-12-04
"""
import importlib

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0060"
down_revision = "0059"
branch_labels = None
depends_on = None

M55 = "app.db.migrations.versions.0055_cafeteria_meals_at_the_students_own_eligibility"
NORMALIZED = ("CASE pg_catalog.lower(coalesce({s}, '')) WHEN 'free' THEN 'free' WHEN 'reduced' THEN 'reduced' "
              "ELSE 'paid' END")

HISTORY_SQL = f"""
ALTER TABLE cafeteria.eligibility_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON cafeteria.eligibility_history FOR SELECT TO so_admin USING (true);
SELECT compliance.attach_audit('cafeteria.eligibility_history');
GRANT SELECT ON cafeteria.eligibility_history TO so_admin;

-- what the accounts open now say, for every earlier day
INSERT INTO cafeteria.eligibility_history (student_usi, eligibility, effective_from, recorded_by)
SELECT p.student_usi, {NORMALIZED.format(s='p.free_reduced_status')}, '-infinity', 'migration 0060'
  FROM cafeteria.student_meal_plans p WHERE p.is_active;

CREATE FUNCTION cafeteria.note_eligibility() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_new text := {NORMALIZED.format(s='NEW.free_reduced_status')};
BEGIN
    IF NEW.is_active AND (TG_OP = 'INSERT' OR NOT OLD.is_active
                          OR v_new IS DISTINCT FROM {NORMALIZED.format(s='OLD.free_reduced_status')}) THEN
        INSERT INTO cafeteria.eligibility_history (student_usi, eligibility, effective_from, recorded_by)
        VALUES (NEW.student_usi, v_new, pg_catalog.clock_timestamp(), session_user);
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION cafeteria.note_eligibility() FROM PUBLIC;
CREATE TRIGGER eligibility_history AFTER INSERT OR UPDATE OF free_reduced_status, is_active
    ON cafeteria.student_meal_plans FOR EACH ROW EXECUTE FUNCTION cafeteria.note_eligibility();

-- The eligibility in effect at the end of a day (see the module's text).
CREATE FUNCTION cafeteria.student_meal_eligibility(p_student integer, p_date date) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce(
        (SELECT h.eligibility FROM cafeteria.eligibility_history h
          WHERE h.student_usi = p_student AND h.effective_from < (p_date + 1)::timestamptz
          ORDER BY h.effective_from DESC, h.history_id DESC LIMIT 1),
        (SELECT h.eligibility FROM cafeteria.eligibility_history h
          WHERE h.student_usi = p_student ORDER BY h.effective_from, h.history_id LIMIT 1),
        (SELECT {NORMALIZED.format(s='a.free_reduced_status')} FROM cafeteria.student_meal_plans a
          WHERE a.student_usi = p_student AND a.is_active LIMIT 1),
        'paid');
END;
$$;
REVOKE ALL ON FUNCTION cafeteria.student_meal_eligibility(integer, date) FROM PUBLIC;

REVOKE EXECUTE ON FUNCTION cafeteria.rederive_meals(integer, date, text) FROM so_cashier, so_admin;
"""


def _once(sql: str, old: str, new: str) -> str:
    if sql.count(old) != 1:
        raise RuntimeError(f"migration 0060 expected one {old!r} in the function's text")
    return sql.replace(old, new)


def _functions(dated: bool) -> list[str]:
    m55 = importlib.import_module(M55)
    helpers = m55.HELPERS_SQL
    start = helpers.index("CREATE FUNCTION cafeteria.claim_first_meal(")
    claim = helpers[start:helpers.index("REVOKE ALL ON FUNCTION", start)].replace(
        "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    rederive = m55.REDERIVE_SQL
    if dated:
        claim = _once(claim, "v_elig := cafeteria.student_meal_eligibility(m.student_usi);",
                      "v_elig := cafeteria.student_meal_eligibility(m.student_usi, m.service_date);")
        rederive = _once(rederive, "v_elig := cafeteria.student_meal_eligibility(p_student);",
                         "v_elig := cafeteria.student_meal_eligibility(p_student, p_date);")
        rederive = _once(rederive, "-- the student's own eligibility, never the one a sale's line carries (migration 0055)",
                         "-- the student's own eligibility on that day, never the one a sale's line carries (0055, 0060)")
    return [claim, rederive]


def upgrade() -> None:
    op.create_table(
        "eligibility_history",
        sa.Column("history_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("student_usi", sa.Integer(), nullable=False),
        sa.Column("eligibility", sa.String(length=10), nullable=False, comment="free, reduced, paid"),
        sa.Column("effective_from", postgresql.TIMESTAMP(timezone=True), nullable=False,
                  comment="When it took effect (-infinity: for every day before the first change recorded)"),
        sa.Column("recorded_by", sa.String(length=128), nullable=False, comment="The login that changed it"),
        sa.ForeignKeyConstraint(["student_usi"], ["edfi.student.studentusi"],
                                name=op.f("fk_eligibility_history_student_usi_student")),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_eligibility_history")),
        schema="cafeteria",
        comment="A student's meal eligibility over time: meals are claimed and billed at the eligibility of their day",
    )
    op.create_index("ix_eligibility_history_student", "eligibility_history", ["student_usi", "effective_from"],
                    schema="cafeteria")
    op.execute(HISTORY_SQL)
    for sql in _functions(True):
        op.execute(sql)
    op.execute("DROP FUNCTION cafeteria.student_meal_eligibility(integer)")


def downgrade() -> None:
    m55 = importlib.import_module(M55)
    helpers = m55.HELPERS_SQL
    start = helpers.index("CREATE FUNCTION cafeteria.student_meal_eligibility(")
    op.execute(helpers[start:helpers.index("-- The student's grade on a day", start)])
    for sql in _functions(False):
        op.execute(sql)
    op.execute("GRANT EXECUTE ON FUNCTION cafeteria.rederive_meals(integer, date, text) TO so_cashier, so_admin")
    op.execute("DROP FUNCTION cafeteria.student_meal_eligibility(integer, date)")
    op.execute("DROP TRIGGER eligibility_history ON cafeteria.student_meal_plans")
    op.execute("DROP FUNCTION cafeteria.note_eligibility()")
    op.drop_table("eligibility_history", schema="cafeteria")
