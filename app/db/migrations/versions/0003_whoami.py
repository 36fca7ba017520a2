"""compliance.whoami() and the staff sign-in functions of the Administration desk

whoami(): the app needs the signed-in login's staff record, group roles and schools to show the
right desks, but most roles may not read edfi.staff itself; it returns only the caller's own row.

create_staff_login / set_login_password / set_login_enabled: administrators (so_admin) manage
staff logins through these SECURITY DEFINER functions, which touch only School Office logins
(never a superuser or a role outside the so_* groups) and grant only so_* group roles.

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


LOGIN_FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION compliance._check_login_admin(p_login text, p_must_exist boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'so_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'only School Office administrators manage sign-ins' USING ERRCODE = '42501';
    END IF;
    IF p_login !~ '^[a-z][a-z0-9_]{2,62}$' OR p_login LIKE 'so\_%' OR p_login LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'invalid sign-in name %', p_login USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login AND (rolsuper OR rolreplication OR rolbypassrls)) THEN
        RAISE EXCEPTION '% is not a School Office sign-in', p_login USING ERRCODE = '42501';
    END IF;
    IF p_must_exist AND NOT EXISTS (
        SELECT 1 FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid
         WHERE r.rolname = p_login AND g.rolname LIKE 'so\_%') THEN
        RAISE EXCEPTION '% is not a School Office sign-in', p_login USING ERRCODE = '42501';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION compliance.create_staff_login(p_login text, p_password text, p_staff_usi integer,
                                                         p_groups text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    g text;
BEGIN
    PERFORM compliance._check_login_admin(p_login, false);
    IF p_groups IS NULL OR cardinality(p_groups) = 0 OR EXISTS (
        SELECT 1 FROM unnest(p_groups) x WHERE x NOT IN ('so_front_office', 'so_teacher', 'so_dean', 'so_nurse',
            'so_cashier', 'so_librarian', 'so_transportation', 'so_registrar', 'so_admin')) THEN
        RAISE EXCEPTION 'unknown School Office role in %', p_groups USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login) THEN
        EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', p_login, p_password);
    ELSE
        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', p_login, p_password);
    END IF;
    FOREACH g IN ARRAY p_groups LOOP
        EXECUTE format('GRANT %I TO %I', g, p_login);
    END LOOP;
    UPDATE edfi.staff SET loginid = NULL WHERE loginid = p_login AND staffusi <> p_staff_usi;
    UPDATE edfi.staff SET loginid = p_login, lastmodifieddate = (now() AT TIME ZONE 'utc')
     WHERE staffusi = p_staff_usi;
END;
$$;

CREATE OR REPLACE FUNCTION compliance.set_login_password(p_login text, p_password text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    PERFORM compliance._check_login_admin(p_login, true);
    EXECUTE format('ALTER ROLE %I PASSWORD %L', p_login, p_password);
END;
$$;

CREATE OR REPLACE FUNCTION compliance.set_login_enabled(p_login text, p_enabled boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    PERFORM compliance._check_login_admin(p_login, true);
    EXECUTE format('ALTER ROLE %I %s', p_login, CASE WHEN p_enabled THEN 'LOGIN' ELSE 'NOLOGIN' END);
END;
$$;
"""


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
    op.execute(LOGIN_FUNCTIONS_SQL)
    for fn in ("create_staff_login(text, text, integer, text[])", "set_login_password(text, text)",
               "set_login_enabled(text, boolean)"):
        op.execute(f"REVOKE ALL ON FUNCTION compliance.{fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION compliance.{fn} TO so_admin")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS compliance.create_staff_login(text, text, integer, text[])")
    op.execute("DROP FUNCTION IF EXISTS compliance.set_login_password(text, text)")
    op.execute("DROP FUNCTION IF EXISTS compliance.set_login_enabled(text, boolean)")
    op.execute("DROP FUNCTION IF EXISTS compliance._check_login_admin(text, boolean)")
    op.execute("DROP FUNCTION IF EXISTS compliance.whoami()")
