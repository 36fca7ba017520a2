"""Harden the boundary: index-friendly row-level security, scoped roles, safe privileged functions

Every workstation connects straight to PostgreSQL, so what a staff login can do with psql is what
that person can do. This revision:

- replaces the per-row `compliance.can_see_student()` policy (opaque, so the planner scanned
  every row before any index) with per-role policies made of plain SQL over indexed columns:
  school-based roles see a student through `compliance.student_scope` (student x school, kept by
  a trigger on StudentSchoolAssociation, itself filtered to the caller's schools); teachers through
  `compliance.teacher_scope` (teacher x student, kept by triggers on both section links); administrators see all;
- scopes nurses, cashiers, librarians, transportation, deans and registrars to the schools they
  serve (their StaffSchoolAssociations, their assignments, or every school of a district they are
  assigned to), OneRoster people tables and Ed-Fi contacts like the Ed-Fi student tables;
- lets a school-based role write only about students it already sees, or about a student it is
  registering (no school yet) at one of its own schools;
- takes writes on the staff tables that row-level security trusts away from every role: an
  administrator changes who works where through audited functions;
- gives every SECURITY DEFINER function `search_path = pg_catalog, pg_temp`, schema-qualified
  catalog names and no EXECUTE for PUBLIC; sign-in management touches only sign-ins the app
  recorded; turning a sign-in off ends its server sessions;
- narrows the duplicate check to what a duplicate decision needs and logs every call; gives the
  cashier a narrow, logged look-up of a visiting student;
- makes the allergy-flag view honour the caller's row-level security;
- searches names through a LEAKPROOF `compliance.name_key()` so that name-prefix indexes stay
  usable under row-level security.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ROLES = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
         "so_transportation", "so_registrar", "so_admin")
# Roles that see the students of the schools they serve.
SCHOOL_ROLES = ("so_front_office", "so_dean", "so_nurse", "so_cashier", "so_librarian", "so_transportation",
                "so_registrar")
ALL = ", ".join(ROLES)
SCHOOL = ", ".join(SCHOOL_ROLES)
STAFF_TABLES = ("edfi.staff", "edfi.staffschoolassociation", "edfi.staffsectionassociation",
                "edfi.staffeducationorganizationassignmentassociation")
STUDENT_SCHEMAS = ("edfi", "health", "transportation", "specialed", "cafeteria", "library", "activities")

SCOPE_SQL = r"""
-- Who is signed in, as the staff record the login belongs to.
-- session_user is of type name, whose collation is "C": compared with loginid as it is, it keeps
-- PostgreSQL off the loginid index (a scan of every staff row, 0.7 ms, for every policy of every
-- statement). COLLATE "default" puts the comparison on the index.
CREATE OR REPLACE FUNCTION compliance.my_staff_usi() RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT st.staffusi FROM edfi.staff st WHERE st.loginid = (session_user::text COLLATE "default")
             ORDER BY st.staffusi LIMIT 1);
END;
$$;

-- The schools the signed-in staff member serves: their StaffSchoolAssociations, the schools of
-- their current assignments, and every school of a district (LEA) they are assigned to.
CREATE OR REPLACE FUNCTION compliance.my_school_ids() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- plpgsql keeps this plan for the session: row-level security calls it once per statement.
    RETURN (
        WITH me AS (SELECT st.staffusi FROM edfi.staff st WHERE st.loginid = (session_user::text COLLATE "default"))
        SELECT coalesce(array_agg(DISTINCT x.schoolid ORDER BY x.schoolid), '{}'::bigint[]) FROM (
            SELECT w.schoolid FROM edfi.staffschoolassociation w JOIN me ON me.staffusi = w.staffusi
            UNION
            SELECT s.schoolid FROM edfi.staffeducationorganizationassignmentassociation a
              JOIN me ON me.staffusi = a.staffusi
              JOIN edfi.school s ON s.schoolid = a.educationorganizationid
                                 OR s.localeducationagencyid = a.educationorganizationid
             WHERE a.enddate IS NULL OR a.enddate >= current_date
        ) x);
END;
$$;

-- A teacher's students: everyone enrolled in a section they teach, kept by triggers on both sides
-- of the link, so that a policy asks one indexed question per row instead of recomputing the list
-- for every table of every statement.
CREATE INDEX ix_studentsectionassociation_section ON edfi.studentsectionassociation
    (localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi);
CREATE INDEX ix_staffsectionassociation_section ON edfi.staffsectionassociation
    (localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, staffusi);
CREATE TABLE compliance.teacher_scope (
    staffusi integer NOT NULL REFERENCES edfi.staff (staffusi),
    studentusi integer NOT NULL REFERENCES edfi.student (studentusi),
    CONSTRAINT pk_teacher_scope PRIMARY KEY (staffusi, studentusi)
);
CREATE INDEX ix_teacher_scope_studentusi ON compliance.teacher_scope (studentusi);
COMMENT ON TABLE compliance.teacher_scope IS
    'Students of the sections each staff member teaches; kept by trigger, read by row-level security';
INSERT INTO compliance.teacher_scope (staffusi, studentusi)
    SELECT DISTINCT t.staffusi, x.studentusi
      FROM edfi.studentsectionassociation x JOIN edfi.staffsectionassociation t
        ON x.localcoursecode = t.localcoursecode AND x.schoolid = t.schoolid AND x.schoolyear = t.schoolyear
       AND x.sectionidentifier = t.sectionidentifier AND x.sessionname = t.sessionname;

CREATE OR REPLACE FUNCTION compliance.keep_teacher_scope() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    side text := CASE WHEN TG_TABLE_NAME = 'studentsectionassociation' THEN 'x' ELSE 't' END;
    link text := 'x.localcoursecode = t.localcoursecode AND x.schoolid = t.schoolid AND x.schoolyear = t.schoolyear '
                 'AND x.sectionidentifier = t.sectionidentifier AND x.sessionname = t.sessionname';
    other text := CASE WHEN TG_TABLE_NAME = 'studentsectionassociation' THEN 'edfi.staffsectionassociation t'
                       ELSE 'edfi.studentsectionassociation x' END;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format(
            'DELETE FROM compliance.teacher_scope ts USING (SELECT DISTINCT t.staffusi, x.studentusi '
            'FROM old_rows %s JOIN %s ON %s) gone WHERE ts.staffusi = gone.staffusi AND ts.studentusi = gone.studentusi '
            'AND NOT EXISTS (SELECT 1 FROM edfi.studentsectionassociation x JOIN edfi.staffsectionassociation t '
            'ON %s WHERE x.studentusi = gone.studentusi AND t.staffusi = gone.staffusi)', side, other, link, link);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format(
            'INSERT INTO compliance.teacher_scope (staffusi, studentusi) SELECT DISTINCT t.staffusi, x.studentusi '
            'FROM new_rows %s JOIN %s ON %s ON CONFLICT DO NOTHING', side, other, link);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER keep_teacher_scope_ins AFTER INSERT ON edfi.studentsectionassociation
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_teacher_scope();
CREATE TRIGGER keep_teacher_scope_upd AFTER UPDATE ON edfi.studentsectionassociation
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_teacher_scope();
CREATE TRIGGER keep_teacher_scope_del AFTER DELETE ON edfi.studentsectionassociation
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_teacher_scope();
CREATE TRIGGER keep_teacher_scope_ins AFTER INSERT ON edfi.staffsectionassociation
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_teacher_scope();
CREATE TRIGGER keep_teacher_scope_upd AFTER UPDATE ON edfi.staffsectionassociation
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_teacher_scope();
CREATE TRIGGER keep_teacher_scope_del AFTER DELETE ON edfi.staffsectionassociation
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_teacher_scope();

-- Which schools a student has been enrolled at: what school-based row-level security reads.
CREATE TABLE compliance.student_scope (
    studentusi integer NOT NULL REFERENCES edfi.student (studentusi),
    schoolid bigint NOT NULL REFERENCES edfi.school (schoolid),
    CONSTRAINT pk_student_scope PRIMARY KEY (studentusi, schoolid)
);
CREATE INDEX ix_student_scope_school_student ON compliance.student_scope (schoolid, studentusi);
COMMENT ON TABLE compliance.student_scope IS
    'Schools each student has been enrolled at; kept from StudentSchoolAssociation by trigger, read by row-level security';
INSERT INTO compliance.student_scope (studentusi, schoolid)
    SELECT DISTINCT studentusi, schoolid FROM edfi.studentschoolassociation;

-- OneRoster identifies a student by md5('STU-' || StudentUniqueId) (app/services/oneroster_sync.py).
CREATE TABLE compliance.student_keys (
    sourced_id text NOT NULL,
    studentusi integer NOT NULL REFERENCES edfi.student (studentusi) ON DELETE CASCADE,
    CONSTRAINT pk_student_keys PRIMARY KEY (sourced_id),
    CONSTRAINT uq_student_keys_studentusi UNIQUE (studentusi)
);
COMMENT ON TABLE compliance.student_keys IS
    'OneRoster sourcedId of each student; lets row-level security tell student rows of the OneRoster tables apart';
INSERT INTO compliance.student_keys (sourced_id, studentusi)
    SELECT md5('STU-' || studentuniqueid), studentusi FROM edfi.student;

CREATE OR REPLACE FUNCTION compliance.keep_student_scope() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO compliance.student_scope (studentusi, schoolid)
            SELECT DISTINCT n.studentusi, n.schoolid FROM new_rows n ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM compliance.student_scope sc
         USING (SELECT DISTINCT o.studentusi, o.schoolid FROM old_rows o) gone
         WHERE sc.studentusi = gone.studentusi AND sc.schoolid = gone.schoolid
           AND NOT EXISTS (SELECT 1 FROM edfi.studentschoolassociation a
                            WHERE a.studentusi = gone.studentusi AND a.schoolid = gone.schoolid);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER keep_scope_ins AFTER INSERT ON edfi.studentschoolassociation REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_student_scope();
CREATE TRIGGER keep_scope_upd AFTER UPDATE ON edfi.studentschoolassociation
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_student_scope();
CREATE TRIGGER keep_scope_del AFTER DELETE ON edfi.studentschoolassociation REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_student_scope();

CREATE OR REPLACE FUNCTION compliance.keep_student_keys() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- most updates keep the student id: only re-key the rows whose id changed
        DELETE FROM compliance.student_keys k USING old_rows o JOIN new_rows n ON n.studentusi = o.studentusi
         WHERE k.studentusi = o.studentusi AND n.studentuniqueid IS DISTINCT FROM o.studentuniqueid;
    END IF;
    INSERT INTO compliance.student_keys (sourced_id, studentusi)
        SELECT md5('STU-' || n.studentuniqueid), n.studentusi FROM new_rows n
        ON CONFLICT (sourced_id) DO UPDATE SET studentusi = EXCLUDED.studentusi;
    RETURN NULL;
END;
$$;
CREATE TRIGGER keep_keys_ins AFTER INSERT ON edfi.student REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_student_keys();
CREATE TRIGGER keep_keys_upd AFTER UPDATE ON edfi.student
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compliance.keep_student_keys();

-- Writing about a student nobody can see yet is how a registration starts (no school yet).
CREATE OR REPLACE FUNCTION compliance.student_unplaced(p_student_usi integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT NOT EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = p_student_usi);
$$;
CREATE OR REPLACE FUNCTION compliance.contact_unlinked(p_contact_usi integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT NOT EXISTS (SELECT 1 FROM edfi.studentcontactassociation a WHERE a.contactusi = p_contact_usi);
$$;

-- Kept for the services that ask "may I see this student?": now it simply asks row-level security.
CREATE OR REPLACE FUNCTION compliance.can_see_student(p_student_usi integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
    SELECT p_student_usi IS NULL OR EXISTS (SELECT 1 FROM edfi.student s WHERE s.studentusi = p_student_usi);
$$;
"""

# Name look-ups stay on their indexes under row-level security only when every function of the
# condition is LEAKPROOF (it cannot reveal a row it is not allowed to see by raising an error).
# lower() is not marked so; name_key() is lower() itself (the same C function), marked LEAKPROOF,
# which only a superuser may do. Without one, name_key() is plain lower(): searches stay correct,
# just slower under row-level security.
NAME_KEY_SQL = r"""
DO $$ BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'CREATE OR REPLACE FUNCTION compliance.name_key(text) RETURNS text LANGUAGE internal '
                'IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS ''lower''';
    ELSE
        RAISE WARNING 'not a superuser: compliance.name_key() is not LEAKPROOF; name search will not use '
                      'its indexes under row-level security';
        EXECUTE 'CREATE OR REPLACE FUNCTION compliance.name_key(text) RETURNS text LANGUAGE sql '
                'IMMUTABLE STRICT PARALLEL SAFE AS ''SELECT pg_catalog.lower($1)''';
    END IF;
END $$;
COMMENT ON FUNCTION compliance.name_key(text) IS 'lower(), LEAKPROOF: the key of the name-prefix indexes';
DROP INDEX IF EXISTS edfi.ix_student_lastsurname_prefix;
DROP INDEX IF EXISTS edfi.ix_student_firstname_prefix;
DROP INDEX IF EXISTS edfi.ix_student_uniqueid_prefix;
CREATE INDEX ix_student_lastsurname_key ON edfi.student (compliance.name_key(lastsurname) text_pattern_ops);
CREATE INDEX ix_student_firstname_key ON edfi.student (compliance.name_key(firstname) text_pattern_ops);
CREATE INDEX ix_student_uniqueid_key ON edfi.student (compliance.name_key(studentuniqueid) text_pattern_ops);
CREATE INDEX IF NOT EXISTS ix_student_birthdate ON edfi.student (birthdate);
-- A form's request id is stored as the record's Ed-Fi Id (a repeated submit finds the record it
-- made, issue 16): the database keeps it unique, as the Ed-Fi ODS does.
CREATE UNIQUE INDEX ux_student_id ON edfi.student (id);
CREATE UNIQUE INDEX ux_disciplineincident_id ON edfi.disciplineincident (id);
CREATE UNIQUE INDEX ux_disciplineaction_id ON edfi.disciplineaction (id);
"""

# OFFSET 0 keeps the check a per-row index probe: without it PostgreSQL may turn the EXISTS into a
# hashed list of every student of the user's schools (46,000 for a large school, 15-25 ms) even when
# the query stops after 20 rows, as a name search walking the name index does.
_SCOPED = ("EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = {col} "
           "AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]) OFFSET 0)")
_MINE = ("EXISTS (SELECT 1 FROM compliance.teacher_scope ts WHERE ts.studentusi = {col} "
         "AND ts.staffusi = (SELECT compliance.my_staff_usi()))")


def _policies_sql() -> str:
    """Drop the old per-row policy and write the per-role ones, for every student-keyed table."""
    # %1$s is the table-qualified student column: unqualified, it would name student_scope's own column.
    scoped = _SCOPED.format(col="%1$s")
    mine = _MINE.format(col="%1$s")
    schemas = ", ".join(f"'{s}'" for s in STUDENT_SCHEMAS)
    return r"""
DO $$
DECLARE
    r record;
    cond text;
    own text;
    has_school boolean;
BEGIN
    FOR r IN
        SELECT c.table_schema, c.table_name, c.column_name
          FROM information_schema.columns c
          JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema IN (""" + schemas + r""")
           AND c.column_name IN ('studentusi', 'student_usi') AND t.table_type = 'BASE TABLE'
    LOOP
        has_school := EXISTS (SELECT 1 FROM information_schema.columns x WHERE x.table_schema = r.table_schema
                              AND x.table_name = r.table_name AND x.column_name = 'schoolid');
        cond := format('""" + scoped + r"""', format('%I.%I', r.table_name, r.column_name));
        own := format('""" + mine + r"""', format('%I.%I', r.table_name, r.column_name));
        EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', r.table_schema, r.table_name);
        EXECUTE format('DROP POLICY IF EXISTS student_visibility ON %I.%I', r.table_schema, r.table_name);
        EXECUTE format('CREATE POLICY administrators ON %I.%I FOR ALL TO so_admin USING (true) WITH CHECK (true)',
                       r.table_schema, r.table_name);
        EXECUTE format('CREATE POLICY own_schools ON %I.%I FOR ALL TO """ + SCHOOL + r""" USING (%s) '
                       'WITH CHECK (%s OR (compliance.student_unplaced(%I)%s))',
                       r.table_schema, r.table_name, cond, cond, r.column_name,
                       CASE WHEN has_school THEN ' AND schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[])'
                            ELSE '' END);
        EXECUTE format('CREATE POLICY own_sections ON %I.%I FOR ALL TO so_teacher USING (%s) WITH CHECK (%s)',
                       r.table_schema, r.table_name, own, own);
    END LOOP;
END $$;
"""


ONEROSTER_SQL = r"""
DO $$
DECLARE
    r record;
    student_row text;
    visible text;
BEGIN
    FOR r IN SELECT * FROM (VALUES ('users', 'sourced_id'), ('demographics', 'sourced_id'),
                                   ('user_ids', 'user_sourced_id'), ('roles', 'user_sourced_id'),
                                   ('enrollments', 'user_sourced_id'), ('user_profiles', 'user_sourced_id'),
                                   ('user_resources', 'user_sourced_id'), ('results', 'student_sourced_id'))
                      AS v(tbl, col)
    LOOP
        -- Rows of staff and guardians stay visible; a student's rows follow the student.
        student_row := format('EXISTS (SELECT 1 FROM compliance.student_keys k WHERE k.sourced_id = %I.%I)',
                              r.tbl, r.col);
        visible := format('EXISTS (SELECT 1 FROM compliance.student_keys k JOIN compliance.student_scope sc '
                          'ON sc.studentusi = k.studentusi WHERE k.sourced_id = %I.%I '
                          'AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]))', r.tbl, r.col);
        EXECUTE format('ALTER TABLE oneroster.%I ENABLE ROW LEVEL SECURITY', r.tbl);
        EXECUTE format('CREATE POLICY administrators ON oneroster.%I FOR ALL TO so_admin USING (true) WITH CHECK (true)',
                       r.tbl);
        EXECUTE format('CREATE POLICY own_schools ON oneroster.%I FOR ALL TO so_front_office, so_registrar '
                       'USING (NOT %s OR %s) WITH CHECK (NOT %s OR %s)', r.tbl, student_row, visible, student_row,
                       visible);
    END LOOP;
END $$;
"""

# A parent's or guardian's record is seen through the students it belongs to.
CONTACTS_SQL = r"""
DO $$
DECLARE
    t text;
    linked text := 'EXISTS (SELECT 1 FROM edfi.studentcontactassociation a WHERE a.contactusi = %I.contactusi)';
BEGIN
    FOREACH t IN ARRAY ARRAY['contact', 'contactaddress', 'contactelectronicmail', 'contacttelephone'] LOOP
        EXECUTE format('ALTER TABLE edfi.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY administrators ON edfi.%I FOR ALL TO so_admin USING (true) WITH CHECK (true)', t);
        EXECUTE format('CREATE POLICY linked_students ON edfi.%I FOR ALL TO so_front_office, so_registrar, so_teacher, '
                       'so_dean, so_nurse USING (%s) WITH CHECK (%s OR compliance.contact_unlinked(contactusi))',
                       t, format(linked, t), format(linked, t));
    END LOOP;
END $$;
"""

# Tables keyed by a student that no desk uses yet: administrators only, still under RLS and audit.
ADMIN_ONLY_SQL = r"""
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.table_schema, c.table_name FROM information_schema.columns c
          JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE ((c.table_schema = 'two_hour_learning' AND c.column_name = 'student_id')
             OR (c.table_schema = 'compliance' AND c.table_name = 'privacy_consents' AND c.column_name = 'student_id'))
           AND t.table_type = 'BASE TABLE'
    LOOP
        EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', r.table_schema, r.table_name);
        EXECUTE format('CREATE POLICY administrators ON %I.%I FOR ALL TO so_admin USING (true) WITH CHECK (true)',
                       r.table_schema, r.table_name);
        PERFORM compliance.attach_audit(format('%I.%I', r.table_schema, r.table_name)::regclass);
    END LOOP;
END $$;
"""

SCOPE_GRANTS_SQL = f"""
ALTER TABLE compliance.student_scope ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON compliance.student_scope FOR SELECT TO so_admin USING (true);
CREATE POLICY own_schools ON compliance.student_scope FOR SELECT TO {SCHOOL}
    USING (schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]));
GRANT SELECT ON compliance.student_scope TO {SCHOOL}, so_admin;
GRANT SELECT ON compliance.student_keys TO so_front_office, so_registrar, so_admin;
ALTER TABLE compliance.teacher_scope ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON compliance.teacher_scope FOR SELECT TO so_admin USING (true);
CREATE POLICY own_sections ON compliance.teacher_scope FOR SELECT TO so_teacher
    USING (staffusi = (SELECT compliance.my_staff_usi()));
GRANT SELECT ON compliance.teacher_scope TO so_teacher, so_admin;
GRANT SELECT ON public.alembic_version TO {ALL};
"""

# Staff records and where staff work: row-level security trusts them, so no role writes them
# directly any more. Administrators use the audited functions below.
STAFF_SQL = f"""
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {', '.join(STAFF_TABLES)} FROM {ALL};
SELECT compliance.attach_audit('edfi.staff');
SELECT compliance.attach_audit('edfi.staffschoolassociation');
SELECT compliance.attach_audit('edfi.staffsectionassociation');
SELECT compliance.attach_audit('edfi.staffeducationorganizationassignmentassociation');
""" + r"""
CREATE OR REPLACE FUNCTION compliance.assign_staff_schools(p_staff_usi integer, p_school_ids bigint[],
                                                           p_school_year smallint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    regular integer;
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'only School Office administrators change where staff work' USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM edfi.staff WHERE staffusi = p_staff_usi) THEN
        RAISE EXCEPTION 'staff member % does not exist', p_staff_usi USING ERRCODE = '22023';
    END IF;
    SELECT descriptorid INTO regular FROM edfi.descriptor
     WHERE discriminator = 'edfi.ProgramAssignmentDescriptor' AND codevalue = 'Regular Education';
    INSERT INTO edfi.staffschoolassociation (staffusi, schoolid, programassignmentdescriptorid, schoolyear)
        SELECT p_staff_usi, s, regular, p_school_year FROM unnest(p_school_ids) s ON CONFLICT DO NOTHING;
END;
$$;
"""

LOGIN_SQL = r"""
-- The sign-ins School Office made: the only roles its sign-in management may touch.
CREATE TABLE compliance.staff_logins (
    login text NOT NULL,
    staff_usi integer REFERENCES edfi.staff (staffusi),
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT session_user,
    CONSTRAINT pk_staff_logins PRIMARY KEY (login)
);
COMMENT ON TABLE compliance.staff_logins IS 'PostgreSQL logins created by School Office for staff members';
INSERT INTO compliance.staff_logins (login, staff_usi, created_by)
    SELECT r.rolname, (SELECT st.staffusi FROM edfi.staff st WHERE st.loginid = r.rolname LIMIT 1), 'migration 0007'
      FROM pg_catalog.pg_roles r
     WHERE r.rolcanlogin AND NOT (r.rolsuper OR r.rolreplication OR r.rolbypassrls OR r.rolcreaterole)
       AND EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                    WHERE m.member = r.oid AND g.rolname LIKE 'so\_%')
       AND EXISTS (SELECT 1 FROM edfi.staff st WHERE st.loginid = r.rolname);
SELECT compliance.attach_audit('compliance.staff_logins');

CREATE OR REPLACE FUNCTION compliance._check_login_admin(p_login text, p_must_exist boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r pg_catalog.pg_roles%ROWTYPE;
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'only School Office administrators manage sign-ins' USING ERRCODE = '42501';
    END IF;
    IF p_login IS NULL OR p_login !~ '^[a-z][a-z0-9_]{2,62}$' OR p_login LIKE 'so\_%' OR p_login LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'invalid sign-in name %', p_login USING ERRCODE = '22023';
    END IF;
    SELECT * INTO r FROM pg_catalog.pg_roles WHERE rolname = p_login;
    IF NOT FOUND THEN
        IF p_must_exist THEN
            RAISE EXCEPTION '% is not a School Office sign-in', p_login USING ERRCODE = '42501';
        END IF;
        RETURN;
    END IF;
    IF r.rolsuper OR r.rolreplication OR r.rolbypassrls OR r.rolcreaterole OR r.rolcreatedb
       OR p_login = current_user::text OR p_login = session_user::text
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_database d WHERE d.datdba = r.oid)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspowner = r.oid) THEN
        RAISE EXCEPTION '% is not a School Office sign-in', p_login USING ERRCODE = '42501';
    END IF;
    -- Only sign-ins this database recorded when School Office made them. The installer (a superuser)
    -- may adopt an existing role, e.g. the demo sign-ins shared by several databases of one server.
    IF NOT EXISTS (SELECT 1 FROM compliance.staff_logins l WHERE l.login = p_login)
       AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user) THEN
        RAISE EXCEPTION '% is not a School Office sign-in', p_login USING ERRCODE = '42501';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION compliance.create_staff_login(p_login text, p_password text, p_staff_usi integer,
                                                         p_groups text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    g text;
BEGIN
    PERFORM compliance._check_login_admin(p_login, false);
    IF p_groups IS NULL OR pg_catalog.cardinality(p_groups) = 0 OR EXISTS (
        SELECT 1 FROM pg_catalog.unnest(p_groups) x WHERE x NOT IN ('so_front_office', 'so_teacher', 'so_dean',
            'so_nurse', 'so_cashier', 'so_librarian', 'so_transportation', 'so_registrar', 'so_admin')) THEN
        RAISE EXCEPTION 'unknown School Office role in %', p_groups USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM edfi.staff WHERE staffusi = p_staff_usi) THEN
        RAISE EXCEPTION 'staff member % does not exist', p_staff_usi USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p_login) THEN
        EXECUTE pg_catalog.format('ALTER ROLE %I LOGIN PASSWORD %L', p_login, p_password);
    ELSE
        EXECUTE pg_catalog.format('CREATE ROLE %I LOGIN PASSWORD %L', p_login, p_password);
    END IF;
    FOREACH g IN ARRAY p_groups LOOP
        EXECUTE pg_catalog.format('GRANT %I TO %I', g, p_login);
    END LOOP;
    INSERT INTO compliance.staff_logins (login, staff_usi) VALUES (p_login, p_staff_usi)
        ON CONFLICT (login) DO UPDATE SET staff_usi = EXCLUDED.staff_usi;
    UPDATE edfi.staff SET loginid = NULL WHERE loginid = p_login AND staffusi <> p_staff_usi;
    UPDATE edfi.staff SET loginid = p_login, lastmodifieddate = (now() AT TIME ZONE 'utc')
     WHERE staffusi = p_staff_usi;
END;
$$;

CREATE OR REPLACE FUNCTION compliance.set_login_password(p_login text, p_password text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM compliance._check_login_admin(p_login, true);
    EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L', p_login, p_password);
END;
$$;

-- Turning a sign-in off also ends its open sessions: pooled connections must not keep working.
CREATE OR REPLACE FUNCTION compliance.set_login_enabled(p_login text, p_enabled boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM compliance._check_login_admin(p_login, true);
    EXECUTE pg_catalog.format('ALTER ROLE %I %s', p_login, CASE WHEN p_enabled THEN 'LOGIN' ELSE 'NOLOGIN' END);
    IF NOT p_enabled THEN
        PERFORM pg_catalog.pg_terminate_backend(a.pid) FROM pg_catalog.pg_stat_activity a
         WHERE a.usename = p_login AND a.pid <> pg_catalog.pg_backend_pid();
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION compliance.whoami(
    OUT login text, OUT staff_usi integer, OUT staff_unique_id text, OUT first_name text, OUT last_name text,
    OUT groups text[], OUT school_ids bigint[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT session_user::text, st.staffusi, st.staffuniqueid::text, st.firstname::text, st.lastsurname::text,
           ARRAY(SELECT r.rolname::text FROM pg_catalog.pg_roles r
                  WHERE r.rolname LIKE 'so\_%' AND pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER') ORDER BY 1),
           compliance.my_school_ids()
    FROM (SELECT 1) one
    LEFT JOIN edfi.staff st ON st.loginid = (session_user::text COLLATE "default");
$$;
"""

LOOKUPS_SQL = r"""
-- What a duplicate decision needs, for exact matches only, and every call in the record-view log.
DROP FUNCTION IF EXISTS compliance.find_student_duplicates(text, text, text, date);
CREATE FUNCTION compliance.find_student_duplicates(p_uid text, p_first text, p_last text, p_birth date)
RETURNS TABLE (studentusi int, studentuniqueid text, name text, birthdate date, school text, grade text,
               same_id boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid text := nullif(btrim(p_uid), '');
    v_first text := nullif(btrim(p_first), '');
    v_last text := nullif(btrim(p_last), '');
BEGIN
    -- every call is logged, a refused one too: the log shows anyone walking the district
    INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, record_id,
                                       operation, legitimate_educational_interest, justification, data_categories,
                                       user_agent)
    VALUES (session_user,
            nullif(current_setting('school_office.app_user', true), ''),
            nullif(current_setting('school_office.workstation', true), ''),
            nullif(current_setting('school_office.session_id', true), ''),
            'edfi.student', jsonb_build_object('studentuniqueid', uid, 'firstname', v_first, 'lastsurname', v_last,
                                               'birthdate', p_birth)::text,
            'LOOKUP', true, 'duplicate check before registering a student', ARRAY['directory'],
            nullif(current_setting('application_name', true), ''));
    IF uid IS NULL AND (v_first IS NULL OR v_last IS NULL OR p_birth IS NULL) THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT s.studentusi, s.studentuniqueid::text, (s.firstname || ' ' || s.lastsurname)::text, s.birthdate,
           (SELECT eo.nameofinstitution FROM edfi.studentschoolassociation a
              JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid
             WHERE a.studentusi = s.studentusi ORDER BY a.entrydate DESC LIMIT 1)::text,
           (SELECT d.codevalue FROM edfi.studentschoolassociation a
              JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
             WHERE a.studentusi = s.studentusi ORDER BY a.entrydate DESC LIMIT 1)::text,
           coalesce(s.studentuniqueid = uid, false)
      FROM edfi.student s
     WHERE s.studentuniqueid = uid
        OR (v_first IS NOT NULL AND v_last IS NOT NULL AND p_birth IS NOT NULL
            AND compliance.name_key(s.lastsurname) = pg_catalog.lower(v_last)
            AND compliance.name_key(s.firstname) = pg_catalog.lower(v_first) AND s.birthdate = p_birth)
     ORDER BY 7 DESC, 1
     LIMIT 20;
END;
$$;

-- The lunch line serving a student of another school: name, grade, photo, allergy flag and
-- balance, nothing else; every look-up is logged.
CREATE OR REPLACE FUNCTION cafeteria.visiting_student(p_student_unique_id text)
RETURNS TABLE (studentusi int, studentuniqueid text, name text, grade text, school text, photo_url text,
               food_allergy boolean, severe_allergy boolean, allergens text, balance numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT (pg_catalog.pg_has_role(session_user, 'so_cashier', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only cafeteria staff look up visiting students' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY
    SELECT s.studentusi, s.studentuniqueid::text,
           (coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname)::text,
           (SELECT d.codevalue FROM edfi.studentschoolassociation a
              JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
             WHERE a.studentusi = s.studentusi ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC
             LIMIT 1)::text,
           (SELECT eo.nameofinstitution FROM edfi.studentschoolassociation a
              JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid
             WHERE a.studentusi = s.studentusi ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC
             LIMIT 1)::text,
           (s.metadata ->> 'photoUrl')::text,
           coalesce(f.food_allergy, false), coalesce(f.severe_allergy, false), f.allergens::text,
           (SELECT p.account_balance FROM cafeteria.student_meal_plans p
             WHERE p.student_usi = s.studentusi AND p.is_active ORDER BY p.effective_date DESC LIMIT 1)
      FROM edfi.student s
      LEFT JOIN (SELECT al.student_usi, bool_or(al.allergy_type = 'Food') AS food_allergy,
                        bool_or(al.severity = 'Severe') AS severe_allergy,
                        string_agg(DISTINCT al.allergen_name, ', ' ORDER BY al.allergen_name) AS allergens
                   FROM health.allergies al WHERE al.is_active GROUP BY al.student_usi) f
        ON f.student_usi = s.studentusi
     WHERE s.studentuniqueid = btrim(p_student_unique_id);
    INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, record_id,
                                       operation, legitimate_educational_interest, justification, data_categories,
                                       user_agent)
    VALUES (session_user,
            nullif(current_setting('school_office.app_user', true), ''),
            nullif(current_setting('school_office.workstation', true), ''),
            nullif(current_setting('school_office.session_id', true), ''),
            'edfi.student', jsonb_build_object('studentuniqueid', btrim(p_student_unique_id))::text, 'LOOKUP', true,
            'serving a visiting student in the lunch line', ARRAY['directory', 'cafeteria'],
            nullif(current_setting('application_name', true), ''));
END;
$$;

-- The allergy flags now run with the caller's rights: row-level security of health.allergies
-- decides whose flags a teacher, clerk, cashier or bus coordinator sees.
ALTER VIEW health.student_alert_flags SET (security_invoker = true);
GRANT SELECT (student_usi, allergen_name, allergy_type, severity, is_active) ON health.allergies
    TO so_cashier, so_transportation, so_teacher, so_front_office;
"""

# Every privileged function: pg_temp last in its search_path, no EXECUTE for PUBLIC, and from now
# on no function the owner creates is executable by PUBLIC by default.
HARDEN_SQL = r"""
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig, p.prosecdef
               FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname IN ('compliance', 'sync', 'edfi', 'health', 'cafeteria', 'library', 'transportation',
                                  'specialed', 'activities', 'oneroster', 'two_hour_learning')
                AND p.prokind = 'f'
    LOOP
        IF f.prosecdef THEN
            EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', f.sig);
        END IF;
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.sig);
    END LOOP;
END $$;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
"""

GRANTS_SQL = f"""
GRANT EXECUTE ON FUNCTION compliance.my_staff_usi(), compliance.my_school_ids(),
    compliance.student_unplaced(integer), compliance.contact_unlinked(integer), compliance.can_see_student(integer),
    compliance.name_key(text), compliance.whoami(), compliance.log_record_view(integer, text, text) TO {ALL};
GRANT EXECUTE ON FUNCTION compliance.create_staff_login(text, text, integer, text[]),
    compliance.set_login_password(text, text), compliance.set_login_enabled(text, boolean),
    compliance.assign_staff_schools(integer, bigint[], smallint) TO so_admin;
GRANT EXECUTE ON FUNCTION compliance.find_student_duplicates(text, text, text, date),
    compliance.suggest_student_id() TO so_front_office, so_registrar, so_admin;
GRANT EXECUTE ON FUNCTION cafeteria.visiting_student(text) TO so_cashier, so_admin;
REVOKE ALL ON compliance.staff_logins FROM PUBLIC;
GRANT SELECT ON compliance.staff_logins TO so_admin;
"""


def upgrade() -> None:
    op.execute(SCOPE_SQL)
    op.execute(NAME_KEY_SQL)
    op.execute(_policies_sql())
    op.execute(ONEROSTER_SQL)
    op.execute(CONTACTS_SQL)
    op.execute(ADMIN_ONLY_SQL)
    op.execute(SCOPE_GRANTS_SQL)
    op.execute(STAFF_SQL)
    op.execute(LOGIN_SQL)
    op.execute(LOOKUPS_SQL)
    op.execute(HARDEN_SQL)
    op.execute(GRANTS_SQL)


def downgrade() -> None:
    raise NotImplementedError("0007 closes security holes; restore a backup instead of reopening them")
