"""compliance.whoami(): who the signed-in login is, for every role

The app needs the signed-in login's staff record, group roles and schools to show the right
desks, but most roles may not read edfi.staff itself. This function returns only the caller's
own row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROLES = "so_front_office, so_teacher, so_dean, so_nurse, so_cashier, so_librarian, so_transportation, " \
        "so_registrar, so_admin"


def upgrade() -> None:
    op.execute(r"""
CREATE OR REPLACE FUNCTION compliance.whoami(
    OUT login text, OUT staff_usi integer, OUT staff_unique_id text, OUT first_name text, OUT last_name text,
    OUT groups text[], OUT school_ids bigint[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT session_user::text, st.staffusi, st.staffuniqueid::text, st.firstname::text, st.lastsurname::text,
           ARRAY(SELECT r.rolname::text FROM pg_roles r
                  WHERE r.rolname LIKE 'so\_%' AND pg_has_role(session_user, r.oid, 'MEMBER') ORDER BY 1),
           ARRAY(SELECT DISTINCT w.schoolid FROM edfi.staffschoolassociation w
                  WHERE w.staffusi = st.staffusi ORDER BY 1)
    FROM (SELECT 1) one
    LEFT JOIN edfi.staff st ON st.loginid = session_user::text;
$$;
""")
    op.execute(f"GRANT EXECUTE ON FUNCTION compliance.whoami() TO {ROLES}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS compliance.whoami()")
