"""Mark students' immunization statuses stale once per statement, not once per row

The row trigger of 0022 ran one INSERT into health.immunization_status_stale for every dose,
exemption or provisional enrollment written, and each of those INSERTs fired the stale table's
statement-level audit trigger (dynamic SQL, planned every time): loading the demo district's
immunizations (COPY of about 15 doses a student) and the demo's two UPDATEs of every dose took
most of `bench seed`'s time (an UPDATE of 63,000 doses: 34 s). Statement-level triggers with
transition tables mark the same students with one INSERT per statement, so the stale list and
its audit rows (one per newly stale student) are what they were.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

TABLES = ("health.immunizations", "health.immunization_exemptions", "health.provisional_enrollments")

UPGRADE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION health.mark_immunization_status_stale() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO health.immunization_status_stale (student_usi)
        SELECT DISTINCT n.student_usi FROM new_rows n ON CONFLICT (student_usi) DO NOTHING;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO health.immunization_status_stale (student_usi)
        SELECT DISTINCT o.student_usi FROM old_rows o ON CONFLICT (student_usi) DO NOTHING;
    ELSE
        INSERT INTO health.immunization_status_stale (student_usi)
        SELECT o.student_usi FROM old_rows o UNION SELECT n.student_usi FROM new_rows n
        ON CONFLICT (student_usi) DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION health.mark_immunization_status_stale() FROM PUBLIC;
"""

DOWNGRADE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION health.mark_immunization_status_stale() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO health.immunization_status_stale (student_usi) VALUES (OLD.student_usi)
        ON CONFLICT (student_usi) DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO health.immunization_status_stale (student_usi) VALUES (NEW.student_usi)
        ON CONFLICT (student_usi) DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION health.mark_immunization_status_stale() FROM PUBLIC;
"""


def _statement_triggers(table: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS mark_immunization_status_stale ON {table};\n"
        f"CREATE TRIGGER stale_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION health.mark_immunization_status_stale();\n"
        f"CREATE TRIGGER stale_upd AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION health.mark_immunization_status_stale();\n"
        f"CREATE TRIGGER stale_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION health.mark_immunization_status_stale();\n")


def _row_trigger(table: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS stale_ins ON {table};\nDROP TRIGGER IF EXISTS stale_upd ON {table};\n"
        f"DROP TRIGGER IF EXISTS stale_del ON {table};\n"
        f"CREATE TRIGGER mark_immunization_status_stale AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION health.mark_immunization_status_stale();\n")


def upgrade() -> None:
    op.execute(UPGRADE_FUNCTION + "".join(_statement_triggers(t) for t in TABLES))


def downgrade() -> None:
    op.execute(DOWNGRADE_FUNCTION + "".join(_row_trigger(t) for t in TABLES))
