"""Close the holes an attack review of 0007-0009 found

- A registrar could make themselves district-wide: compliance.my_school_ids() trusts
  edfi.school.localeducationagencyid, and so_registrar could still write edfi.school and
  edfi.localeducationagency. Only administrators change the organisations row-level security reads.
- A clerk could link any family's contact to one of their own students and so read it: a link
  may now name a contact that is new (unlinked) or already linked to a student the writer serves.
- A student's former school could update or delete the new school's enrollment (and, with the
  last one gone, let any school claim the student): school staff change and delete only their own
  schools' enrollment rows, and no school role deletes enrollments any more (withdrawals are updates).
- OneRoster rows that are not a student's (staff, guardians) were writable district-wide by a
  clerk: school staff now read them but write only their own students' rows.
- A dean read and corrected other schools' discipline incidents; a teacher edited every
  gradebook entry of the district; a nurse read every IEP goal: now by school, by section taught,
  and through the IEP's own row-level security.
- Sign-in management could reach a login that belongs to so_shipper or a predefined pg_* role.
- The narrow look-ups also write to the server log, which a caller cannot roll back.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ROLES = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
         "so_transportation", "so_registrar", "so_admin")
SCHOOL = "so_front_office, so_dean, so_nurse, so_cashier, so_librarian, so_transportation, so_registrar"
NOT_ADMIN = ", ".join(r for r in ROLES if r != "so_admin")
MINE = "((SELECT compliance.my_school_ids())::bigint[])"

UPGRADE_SQL = f"""
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON edfi.school, edfi.localeducationagency, edfi.educationorganization
    FROM {NOT_ADMIN};

-- A contact already linked elsewhere may be linked only by someone who serves one of its students.
CREATE OR REPLACE FUNCTION compliance.contact_visible(p_contact_usi integer) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM edfi.studentcontactassociation a
                     JOIN compliance.student_scope sc ON sc.studentusi = a.studentusi
                    WHERE a.contactusi = p_contact_usi AND sc.schoolid = ANY (compliance.my_school_ids()));
END;
$$;
REVOKE ALL ON FUNCTION compliance.contact_visible(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION compliance.contact_visible(integer) TO {SCHOOL};
CREATE POLICY known_contacts_only ON edfi.studentcontactassociation AS RESTRICTIVE FOR INSERT TO {SCHOOL}
    WITH CHECK (compliance.contact_unlinked(contactusi) OR compliance.contact_visible(contactusi));
CREATE POLICY known_contacts_only_upd ON edfi.studentcontactassociation AS RESTRICTIVE FOR UPDATE TO {SCHOOL}
    USING (true) WITH CHECK (compliance.contact_unlinked(contactusi) OR compliance.contact_visible(contactusi));

-- Enrollment rows: each school changes its own.
CREATE POLICY own_school_rows_upd ON edfi.studentschoolassociation AS RESTRICTIVE FOR UPDATE TO {SCHOOL}
    USING (schoolid = ANY {MINE}) WITH CHECK (schoolid = ANY {MINE});
CREATE POLICY own_school_rows_del ON edfi.studentschoolassociation AS RESTRICTIVE FOR DELETE TO {SCHOOL}
    USING (schoolid = ANY {MINE});
REVOKE DELETE ON edfi.studentschoolassociation FROM {NOT_ADMIN};
-- ... and each school's class enrollments too (a clerk could add their student to another school's class).
CREATE POLICY own_school_rows_ins ON edfi.studentsectionassociation AS RESTRICTIVE FOR INSERT TO {SCHOOL}
    WITH CHECK (schoolid = ANY {MINE});
CREATE POLICY own_school_rows_upd ON edfi.studentsectionassociation AS RESTRICTIVE FOR UPDATE TO {SCHOOL}
    USING (schoolid = ANY {MINE}) WITH CHECK (schoolid = ANY {MINE});
CREATE POLICY own_school_rows_del ON edfi.studentsectionassociation AS RESTRICTIVE FOR DELETE TO {SCHOOL}
    USING (schoolid = ANY {MINE});
""" + r"""
-- OneRoster: staff and guardian rows are read by school staff, written only by administrators.
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
        student_row := format('EXISTS (SELECT 1 FROM compliance.student_keys k WHERE k.sourced_id = %I.%I)',
                              r.tbl, r.col);
        visible := format('EXISTS (SELECT 1 FROM compliance.student_keys k JOIN compliance.student_scope sc '
                          'ON sc.studentusi = k.studentusi WHERE k.sourced_id = %I.%I '
                          'AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]))', r.tbl, r.col);
        EXECUTE format('DROP POLICY own_schools ON oneroster.%I', r.tbl);
        EXECUTE format('CREATE POLICY own_schools_read ON oneroster.%I FOR SELECT TO so_front_office, so_registrar '
                       'USING (NOT %s OR %s)', r.tbl, student_row, visible);
        EXECUTE format('CREATE POLICY own_students_add ON oneroster.%I FOR INSERT TO so_front_office, so_registrar '
                       'WITH CHECK (%s)', r.tbl, visible);
        EXECUTE format('CREATE POLICY own_students_change ON oneroster.%I FOR UPDATE TO so_front_office, so_registrar '
                       'USING (%s) WITH CHECK (%s)', r.tbl, visible, visible);
        EXECUTE format('CREATE POLICY own_students_remove ON oneroster.%I FOR DELETE TO so_front_office, so_registrar '
                       'USING (%s)', r.tbl, visible);
    END LOOP;
END $$;
""" + f"""
-- Discipline incidents by school.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['disciplineincident', 'disciplineincidentbehavior', 'disciplineincidentweapon',
                             'staffdisciplineincidentassociation'] LOOP
        EXECUTE format('ALTER TABLE edfi.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY administrators ON edfi.%I FOR ALL TO so_admin USING (true) WITH CHECK (true)', t);
        EXECUTE format('CREATE POLICY own_schools ON edfi.%I FOR ALL TO so_dean, so_registrar '
                       'USING (schoolid = ANY {MINE}) WITH CHECK (schoolid = ANY {MINE})', t);
    END LOOP;
END $$;

-- Gradebook entries: a teacher's own sections.
ALTER TABLE edfi.gradebookentry ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON edfi.gradebookentry FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_schools ON edfi.gradebookentry FOR ALL TO so_registrar
    USING (schoolid = ANY {MINE}) WITH CHECK (schoolid = ANY {MINE});
CREATE POLICY own_sections ON edfi.gradebookentry FOR ALL TO so_teacher
    USING (EXISTS (SELECT 1 FROM edfi.staffsectionassociation t
                    WHERE t.staffusi = (SELECT compliance.my_staff_usi())
                      AND t.localcoursecode = gradebookentry.localcoursecode AND t.schoolid = gradebookentry.schoolid
                      AND t.schoolyear = gradebookentry.schoolyear
                      AND t.sectionidentifier = gradebookentry.sectionidentifier
                      AND t.sessionname = gradebookentry.sessionname))
    WITH CHECK (EXISTS (SELECT 1 FROM edfi.staffsectionassociation t
                    WHERE t.staffusi = (SELECT compliance.my_staff_usi())
                      AND t.localcoursecode = gradebookentry.localcoursecode AND t.schoolid = gradebookentry.schoolid
                      AND t.schoolyear = gradebookentry.schoolyear
                      AND t.sectionidentifier = gradebookentry.sectionidentifier
                      AND t.sessionname = gradebookentry.sessionname));

-- IEP goals follow their IEP (whose row-level security follows the student).
ALTER TABLE specialed.iep_goals ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON specialed.iep_goals FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY through_the_iep ON specialed.iep_goals FOR ALL TO so_nurse
    USING (EXISTS (SELECT 1 FROM specialed.iep i WHERE i.iep_id = iep_goals.iep_id))
    WITH CHECK (EXISTS (SELECT 1 FROM specialed.iep i WHERE i.iep_id = iep_goals.iep_id));
""" + r"""
"""

LOGIN_CHECK_SQL = r"""
-- Sign-in management: not a login that belongs to anything but School Office's staff roles.
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
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspowner = r.oid)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                   WHERE m.member = r.oid AND (g.rolname NOT IN ('so_front_office', 'so_teacher', 'so_dean',
                         'so_nurse', 'so_cashier', 'so_librarian', 'so_transportation', 'so_registrar', 'so_admin')))
    THEN
        RAISE EXCEPTION '% is not a School Office sign-in', p_login USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM compliance.staff_logins l WHERE l.login = p_login)
       AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user) THEN
        RAISE EXCEPTION '% is not a School Office sign-in', p_login USING ERRCODE = '42501';
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION compliance._check_login_admin(text, boolean) FROM PUBLIC;
"""

# The look-ups' own audit rows live in the caller's transaction, which the caller may roll back;
# the server log keeps a line of each call whatever happens to the transaction.
LOG_LOOKUPS_SQL = r"""
DO $$
DECLARE
    src text;
BEGIN
    SELECT pg_catalog.pg_get_functiondef('compliance.find_student_duplicates(text, text, text, date)'::regprocedure)
      INTO src;
    src := replace(src, '    -- every call is logged, a refused one too',
                   '    RAISE LOG ''school_office lookup: duplicate check by % for id % name % % born %'', '
                   'session_user, uid, v_first, v_last, p_birth;' || chr(10) ||
                   '    -- every call is logged, a refused one too');
    EXECUTE src;
    SELECT pg_catalog.pg_get_functiondef('cafeteria.visiting_student(text)'::regprocedure) INTO src;
    src := replace(src, '    RETURN QUERY',
                   '    RAISE LOG ''school_office lookup: visiting student % by %'', p_student_unique_id, session_user;'
                   || chr(10) || '    RETURN QUERY');
    EXECUTE src;
END $$;
"""


MEMBER_CLAUSE = """       OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                   WHERE m.member = r.oid AND (g.rolname NOT IN ('so_front_office', 'so_teacher', 'so_dean',
                         'so_nurse', 'so_cashier', 'so_librarian', 'so_transportation', 'so_registrar', 'so_admin')))
"""

DOWNGRADE_SQL = f"""
GRANT INSERT, UPDATE, DELETE ON edfi.school, edfi.localeducationagency, edfi.educationorganization TO so_registrar;
DROP POLICY known_contacts_only ON edfi.studentcontactassociation;
DROP POLICY known_contacts_only_upd ON edfi.studentcontactassociation;
DROP FUNCTION compliance.contact_visible(integer);
DROP POLICY own_school_rows_upd ON edfi.studentschoolassociation;
DROP POLICY own_school_rows_del ON edfi.studentschoolassociation;
GRANT DELETE ON edfi.studentschoolassociation TO so_front_office, so_registrar;
DROP POLICY own_school_rows_ins ON edfi.studentsectionassociation;
DROP POLICY own_school_rows_upd ON edfi.studentsectionassociation;
DROP POLICY own_school_rows_del ON edfi.studentsectionassociation;
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
        student_row := format('EXISTS (SELECT 1 FROM compliance.student_keys k WHERE k.sourced_id = %I.%I)',
                              r.tbl, r.col);
        visible := format('EXISTS (SELECT 1 FROM compliance.student_keys k JOIN compliance.student_scope sc '
                          'ON sc.studentusi = k.studentusi WHERE k.sourced_id = %I.%I '
                          'AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]))', r.tbl, r.col);
        EXECUTE format('DROP POLICY own_schools_read ON oneroster.%I', r.tbl);
        EXECUTE format('DROP POLICY own_students_add ON oneroster.%I', r.tbl);
        EXECUTE format('DROP POLICY own_students_change ON oneroster.%I', r.tbl);
        EXECUTE format('DROP POLICY own_students_remove ON oneroster.%I', r.tbl);
        EXECUTE format('CREATE POLICY own_schools ON oneroster.%I FOR ALL TO so_front_office, so_registrar '
                       'USING (NOT %s OR %s) WITH CHECK (NOT %s OR %s)', r.tbl, student_row, visible, student_row,
                       visible);
    END LOOP;
    FOR r IN SELECT * FROM (VALUES ('edfi', 'disciplineincident'), ('edfi', 'disciplineincidentbehavior'),
                                   ('edfi', 'disciplineincidentweapon'), ('edfi', 'staffdisciplineincidentassociation'),
                                   ('edfi', 'gradebookentry'), ('specialed', 'iep_goals')) AS v(sch, tbl)
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS administrators ON %I.%I', r.sch, r.tbl);
        EXECUTE format('DROP POLICY IF EXISTS own_schools ON %I.%I', r.sch, r.tbl);
        EXECUTE format('DROP POLICY IF EXISTS own_sections ON %I.%I', r.sch, r.tbl);
        EXECUTE format('DROP POLICY IF EXISTS through_the_iep ON %I.%I', r.sch, r.tbl);
        EXECUTE format('ALTER TABLE %I.%I DISABLE ROW LEVEL SECURITY', r.sch, r.tbl);
    END LOOP;
END $$;
"""

UNLOG_LOOKUPS_SQL = r"""
DO $$
DECLARE
    f text;
    src text;
BEGIN
    FOREACH f IN ARRAY ARRAY['compliance.find_student_duplicates(text, text, text, date)',
                             'cafeteria.visiting_student(text)'] LOOP
        SELECT pg_catalog.pg_get_functiondef(f::regprocedure) INTO src;
        src := regexp_replace(src, '\n    RAISE LOG [^\n]*', '');
        EXECUTE src;
    END LOOP;
END $$;
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)
    op.execute(LOGIN_CHECK_SQL)
    op.execute(LOG_LOOKUPS_SQL)


def downgrade() -> None:
    op.execute(UNLOG_LOOKUPS_SQL)
    op.execute(LOGIN_CHECK_SQL.replace(MEMBER_CLAUSE, ""))  # 0007's check
    op.execute(DOWNGRADE_SQL)
