"""Database-enforced security: group roles, grants, row-level security, FERPA audit triggers

Every workstation connects to PostgreSQL with its own staff login, so the database itself is
the guard: privileges by schema, table and column per group role; row-level security that shows
teachers only their own sections' students and clerks only their own schools' students; and
triggers that record every change to student data in compliance.audit_logs, which no
application role can alter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Operators script against these names: keep them.
ROLES = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
         "so_transportation", "so_registrar", "so_admin")

STUDENT_SCHEMAS = ("edfi", "oneroster", "two_hour_learning", "health", "transportation", "specialed", "cafeteria",
                   "library", "activities")

ROLES_SQL = "\n".join(
    f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') THEN CREATE ROLE {r} NOLOGIN; "
    f"END IF; END $$;" for r in ROLES)

AUDIT_SQL = r"""
CREATE OR REPLACE FUNCTION compliance.audit_trigger() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, compliance AS $$
DECLARE
    rec jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
    k text;
    record_key jsonb := '{}'::jsonb;
BEGIN
    FOREACH k IN ARRAY TG_ARGV LOOP
        record_key := record_key || jsonb_build_object(k, rec -> k);
    END LOOP;
    INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, record_id,
                                       operation, old_values, new_values, user_agent, data_categories)
    VALUES (session_user,
            nullif(current_setting('school_office.app_user', true), ''),
            nullif(current_setting('school_office.workstation', true), ''),
            nullif(current_setting('school_office.session_id', true), ''),
            TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, record_key::text, TG_OP,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,
            nullif(current_setting('application_name', true), ''),
            ARRAY[TG_TABLE_SCHEMA::text]);
    RETURN NULL;
END;
$$;

-- Attach the audit trigger to a table, keyed by its primary-key columns. Later migrations call
-- this for every new table that holds student data.
CREATE OR REPLACE FUNCTION compliance.attach_audit(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    args text;
BEGIN
    SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum))
      INTO args
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = tbl AND i.indisprimary;
    EXECUTE format('DROP TRIGGER IF EXISTS audit_row ON %s', tbl);
    EXECUTE format('CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION compliance.audit_trigger(%s)', tbl, coalesce(args, ''));
END;
$$;

-- Viewing a student's health, discipline or special-education record is recorded too.
CREATE OR REPLACE FUNCTION compliance.log_record_view(p_student_usi integer, p_record_type text,
                                                      p_justification text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, compliance AS $$
    INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, record_id,
                                       operation, legitimate_educational_interest, justification, data_categories,
                                       user_agent)
    VALUES (session_user,
            nullif(current_setting('school_office.app_user', true), ''),
            nullif(current_setting('school_office.workstation', true), ''),
            nullif(current_setting('school_office.session_id', true), ''),
            'edfi.student', jsonb_build_object('studentusi', p_student_usi)::text, 'VIEW',
            coalesce(length(trim(p_justification)), 0) > 0, nullif(trim(p_justification), ''),
            ARRAY[p_record_type], nullif(current_setting('application_name', true), ''));
$$;
"""

# Which students the signed-in login may see. Teachers: students in sections they teach.
# Front office clerks: students enrolled at the schools they work at. Everyone else with access
# to a student table: every student (their table grants decide what they may read).
VISIBILITY_SQL = r"""
CREATE OR REPLACE FUNCTION compliance.can_see_student(p_student_usi integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT CASE
        WHEN p_student_usi IS NULL THEN true
        WHEN pg_has_role(session_user, 'so_admin', 'MEMBER') OR pg_has_role(session_user, 'so_registrar', 'MEMBER')
          OR pg_has_role(session_user, 'so_dean', 'MEMBER') OR pg_has_role(session_user, 'so_nurse', 'MEMBER')
          OR pg_has_role(session_user, 'so_cashier', 'MEMBER') OR pg_has_role(session_user, 'so_librarian', 'MEMBER')
          OR pg_has_role(session_user, 'so_transportation', 'MEMBER')
          OR NOT (pg_has_role(session_user, 'so_teacher', 'MEMBER')
                  OR pg_has_role(session_user, 'so_front_office', 'MEMBER'))
            THEN true
        WHEN pg_has_role(session_user, 'so_front_office', 'MEMBER') AND EXISTS (
            SELECT 1 FROM edfi.studentschoolassociation a
              JOIN edfi.staffschoolassociation w ON w.schoolid = a.schoolid
              JOIN edfi.staff st ON st.staffusi = w.staffusi
             WHERE a.studentusi = p_student_usi AND st.loginid = session_user::text)
            THEN true
        WHEN pg_has_role(session_user, 'so_teacher', 'MEMBER') AND EXISTS (
            SELECT 1 FROM edfi.studentsectionassociation x
              JOIN edfi.staffsectionassociation t
                ON t.localcoursecode = x.localcoursecode AND t.schoolid = x.schoolid
               AND t.schoolyear = x.schoolyear AND t.sectionidentifier = x.sectionidentifier
               AND t.sessionname = x.sessionname
              JOIN edfi.staff st ON st.staffusi = t.staffusi
             WHERE x.studentusi = p_student_usi AND st.loginid = session_user::text)
            THEN true
        ELSE false
    END;
$$;
"""


def _grant(privs: str, tables: list[str], *roles: str) -> str:
    return "\n".join(f"GRANT {privs} ON {t} TO {', '.join(roles)};" for t in tables)


# Reference data every desk reads: organisations, calendars, courses, sections, descriptors.
REFERENCE = [
    "edfi.educationorganization", "edfi.educationorganizationaddress", "edfi.educationorganizationcategory",
    "edfi.localeducationagency", "edfi.school", "edfi.schoolcategory", "edfi.schoolgradelevel",
    "edfi.schoolyeartype", "edfi.calendar", "edfi.calendardate", "edfi.calendardatecalendarevent", "edfi.session",
    "edfi.gradingperiod", "edfi.sessiongradingperiod", "edfi.classperiod", "edfi.classperiodmeetingtime",
    "edfi.bellschedule", "edfi.bellscheduleclassperiod", "edfi.course", "edfi.courseacademicsubject",
    "edfi.courseoffering", "edfi.section", "edfi.sectionclassperiod", "edfi.location", "edfi.descriptor",
]
# A student's enrollment and directory record (who, which school and grade, schedule, contacts).
STUDENT_CORE = [
    "edfi.student", "edfi.studenteducationorganizationassociation", "edfi.studenteducationorganizationassociationrace",
    "edfi.studenteducationorganizationassociationaddress",
    "edfi.studenteducationorganizationassociationelectronicmail",
    "edfi.studenteducationorganizationassociationtelephone",
    "edfi.studenteducationorganizationassociationlanguage",
    "edfi.studenteducationorganizationassociationlanguageuse",
    "edfi.studentschoolassociation", "edfi.studentsectionassociation", "edfi.contact", "edfi.contactaddress",
    "edfi.contactelectronicmail", "edfi.contacttelephone", "edfi.studentcontactassociation",
    "edfi.staffsectionassociation", "edfi.staffschoolassociation", "edfi.staff",
    "edfi.staffeducationorganizationassignmentassociation",
]
ONEROSTER_PEOPLE = ["oneroster.users", "oneroster.user_ids", "oneroster.roles", "oneroster.enrollments",
                    "oneroster.demographics", "oneroster.orgs", "oneroster.classes", "oneroster.courses",
                    "oneroster.academic_sessions"]
ATTENDANCE = ["edfi.studentschoolattendanceevent", "edfi.studentsectionattendanceevent"]
GRADEBOOK = ["edfi.gradebookentry", "edfi.studentgradebookentry", "edfi.grade"]
DISCIPLINE = ["edfi.disciplineincident", "edfi.disciplineincidentbehavior", "edfi.disciplineaction",
              "edfi.disciplineactiondiscipline", "edfi.disciplineactionstaff",
              "edfi.disciplineactionstudentdisciplineincidentbehaviorassociation",
              "edfi.studentdisciplineincidentbehaviorassociation",
              "edfi.studentdisciplineincidentbehaviorassociationdisciplinein_ae6a21",
              "edfi.studentdisciplineincidentnonoffenderassociation",
              "edfi.studentdisciplineincidentnonoffenderassociationparticipation"]
# Directory information: what the lunch line, the library desk and the bus office may read.
DIRECTORY_COLUMNS = {
    "edfi.student": "studentusi, studentuniqueid, firstname, middlename, lastsurname, preferredfirstname, "
                    "preferredlastsurname, generationcodesuffix",
    "edfi.studentschoolassociation": "studentusi, schoolid, entrydate, entrygradeleveldescriptorid, "
                                     "exitwithdrawdate, schoolyear, calendarcode",
}
ALL_ROLES = ", ".join(ROLES)


def grants_sql() -> str:
    parts = [
        f"GRANT USAGE ON SCHEMA {', '.join(STUDENT_SCHEMAS + ('compliance', 'sync'))} TO {ALL_ROLES};",
        _grant("SELECT", REFERENCE, *ROLES),
        f"GRANT SELECT ON ALL TABLES IN SCHEMA edfi TO so_admin, so_registrar;",
        # every descriptor-type table is reference data
        """DO $$ DECLARE t text; BEGIN
             FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = 'edfi' AND c.relkind = 'r' AND c.relname LIKE '%descriptor' LOOP
               EXECUTE format('GRANT SELECT ON edfi.%I TO %s', t, '""" + ALL_ROLES + """');
             END LOOP; END $$;""",
        # the outbox: services enqueue as the signed-in user, and the shipper delivers as that user
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON sync.dynamo_outbox TO {ALL_ROLES};",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA sync TO {ALL_ROLES};",
        f"GRANT EXECUTE ON FUNCTION compliance.log_record_view(integer, text, text) TO {ALL_ROLES};",
        f"GRANT EXECUTE ON FUNCTION compliance.can_see_student(integer) TO {ALL_ROLES};",
        "REVOKE ALL ON compliance.audit_logs FROM PUBLIC;",
        "GRANT SELECT ON compliance.audit_logs TO so_admin;",
        # administrators: everything but the audit trail, which no application role may change
        "\n".join(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO so_admin;"
                  for s in STUDENT_SCHEMAS),
        "\n".join(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO so_admin;" for s in STUDENT_SCHEMAS),
        "GRANT SELECT, INSERT, UPDATE, DELETE ON compliance.data_retention_policies, compliance.privacy_consents, "
        "compliance.data_access_controls, compliance.ferpa_compliance_log TO so_admin;",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA compliance TO so_admin;",
        # registrar: the whole student record, transcripts and OneRoster
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA edfi, oneroster TO so_registrar;",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA edfi TO so_registrar;",
        # front office: enrollment, contacts, daily attendance, OneRoster kept in step
        _grant("SELECT, INSERT, UPDATE, DELETE", STUDENT_CORE + ONEROSTER_PEOPLE + ["edfi.person"], "so_front_office"),
        _grant("SELECT, INSERT, UPDATE", ATTENDANCE, "so_front_office"),
        "GRANT SELECT ON ALL TABLES IN SCHEMA transportation TO so_front_office;",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA edfi TO so_front_office;",
        # teachers: their students' records, attendance, gradebook and accommodations
        _grant("SELECT", STUDENT_CORE, "so_teacher", "so_dean", "so_nurse"),
        _grant("SELECT, INSERT, UPDATE", ATTENDANCE + GRADEBOOK, "so_teacher"),
        "GRANT SELECT ON specialed.accommodations TO so_teacher, so_nurse;",
        # deans: discipline, and the attendance that suspensions generate
        _grant("SELECT, INSERT, UPDATE", DISCIPLINE, "so_dean"),
        _grant("SELECT, INSERT, UPDATE", ATTENDANCE, "so_dean"),
        # nurses: the health schema, and special-education plans for accommodations
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA health TO so_nurse;",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA health TO so_nurse;",
        "GRANT SELECT ON ALL TABLES IN SCHEMA specialed TO so_nurse;",
        # cashier, librarian, transportation: directory information only, plus their own schema
        "\n".join(f"GRANT SELECT ({cols}) ON {t} TO so_cashier, so_librarian, so_transportation;"
                  for t, cols in DIRECTORY_COLUMNS.items()),
        "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA cafeteria TO so_cashier;",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA cafeteria TO so_cashier;",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA library TO so_librarian;",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA library TO so_librarian;",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA transportation TO so_transportation;",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA transportation TO so_transportation;",
        # the allergy flag: one source of truth for the lunch line and the bus, without the health notes
        """CREATE VIEW health.student_alert_flags AS
             SELECT student_usi,
                    bool_or(allergy_type = 'Food') AS food_allergy,
                    bool_or(severity = 'Severe') AS severe_allergy,
                    string_agg(DISTINCT allergen_name, ', ' ORDER BY allergen_name) AS allergens
               FROM health.allergies WHERE is_active GROUP BY student_usi;""",
        "COMMENT ON VIEW health.student_alert_flags IS 'Allergy flags for the lunch line and bus rosters; "
        "no health notes';",
        "GRANT SELECT ON health.student_alert_flags TO so_cashier, so_transportation, so_teacher, so_front_office, "
        "so_nurse, so_admin;",
    ]
    return "\n".join(parts)


# Row-level security on every table of the student schemas that is keyed by a student.
RLS_SQL = r"""
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.table_schema, c.table_name, c.column_name
          FROM information_schema.columns c
          JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema IN ('edfi', 'health', 'transportation', 'specialed', 'cafeteria', 'library',
                                  'activities')
           AND c.column_name IN ('studentusi', 'student_usi') AND t.table_type = 'BASE TABLE'
    LOOP
        EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', r.table_schema, r.table_name);
        EXECUTE format('DROP POLICY IF EXISTS student_visibility ON %I.%I', r.table_schema, r.table_name);
        EXECUTE format('CREATE POLICY student_visibility ON %I.%I FOR ALL TO %s '
                       'USING (compliance.can_see_student(%I)) WITH CHECK (true)',
                       r.table_schema, r.table_name, '""" + ALL_ROLES + r"""', r.column_name);
    END LOOP;
END $$;
"""

# Audit every table that holds student or contact data.
ATTACH_SQL = r"""
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT DISTINCT c.table_schema, c.table_name
          FROM information_schema.columns c
          JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema IN ('edfi', 'oneroster', 'two_hour_learning', 'health', 'transportation', 'specialed',
                                  'cafeteria', 'library', 'activities')
           AND t.table_type = 'BASE TABLE'
           AND (c.column_name IN ('studentusi', 'student_usi', 'student_id', 'contactusi', 'user_sourced_id',
                                  'student_sourced_id')
                OR (c.table_schema, c.table_name) IN (('oneroster', 'users'), ('oneroster', 'demographics')))
    LOOP
        PERFORM compliance.attach_audit(format('%I.%I', r.table_schema, r.table_name)::regclass);
    END LOOP;
END $$;
"""


def upgrade() -> None:
    # Where a staff member's job lives in Ed-Fi 5.2 (the demo logins and the desks use it).
    op.create_table(
        "staffeducationorganizationassignmentassociation",
        sa.Column("begindate", sa.Date(), nullable=False),
        sa.Column("educationorganizationid", sa.BigInteger(), nullable=False),
        sa.Column("staffclassificationdescriptorid", sa.Integer(), nullable=False),
        sa.Column("staffusi", sa.Integer(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("orderofassignment", sa.Integer(), nullable=True),
        sa.Column("positiontitle", sa.String(length=100), nullable=True,
                  comment="e.g. Front office clerk, Nurse, Teacher"),
        sa.Column("discriminator", sa.String(length=128), nullable=True),
        sa.Column("createdate", sa.TIMESTAMP(), server_default=sa.text("(now() AT TIME ZONE 'utc')"), nullable=False),
        sa.Column("lastmodifieddate", sa.TIMESTAMP(), server_default=sa.text("(now() AT TIME ZONE 'utc')"),
                  nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(["educationorganizationid"], ["edfi.educationorganization.educationorganizationid"],
                                name=op.f("fk_staffeducationorganizationassignmentassociation_educationorganizationid_educationorganization")),
        sa.ForeignKeyConstraint(["staffclassificationdescriptorid"],
                                ["edfi.staffclassificationdescriptor.staffclassificationdescriptorid"],
                                name=op.f("fk_staffeducationorganizationassignmentassociation_staffclassificationdescriptorid_staffclassificationdescriptor")),
        sa.ForeignKeyConstraint(["staffusi"], ["edfi.staff.staffusi"],
                                name=op.f("fk_staffeducationorganizationassignmentassociation_staffusi_staff")),
        sa.PrimaryKeyConstraint("begindate", "educationorganizationid", "staffclassificationdescriptorid", "staffusi",
                                name=op.f("pk_staffeducationorganizationassignmentassociation")),
        schema="edfi",
        comment="A staff member's position at an education organization (classification and title)",
    )
    op.add_column("audit_logs", sa.Column("application_user", sa.String(length=255), nullable=True,
                                          comment="Staff member signed in to the app (StaffUniqueId), if any"),
                  schema="compliance")
    op.add_column("audit_logs", sa.Column("workstation", sa.String(length=255), nullable=True,
                                          comment="Workstation the change or view came from"), schema="compliance")
    # Ed-Fi keys are wide (Grade has eleven key columns): the record key needs more than 255 characters.
    op.alter_column("audit_logs", "record_id", type_=sa.Text(), existing_type=sa.String(length=255),
                    existing_nullable=True, existing_comment="Record changed", schema="compliance")
    op.execute(ROLES_SQL)
    op.execute(AUDIT_SQL)
    op.execute(VISIBILITY_SQL)
    op.execute(grants_sql())
    op.execute(RLS_SQL)
    op.execute(ATTACH_SQL)


def downgrade() -> None:
    op.execute("""DO $$ DECLARE r record; BEGIN
        FOR r IN SELECT tgrelid::regclass AS t FROM pg_trigger WHERE tgname = 'audit_row' LOOP
            EXECUTE format('DROP TRIGGER audit_row ON %s', r.t); END LOOP;
        FOR r IN SELECT schemaname, tablename FROM pg_policies WHERE policyname = 'student_visibility' LOOP
            EXECUTE format('DROP POLICY student_visibility ON %I.%I', r.schemaname, r.tablename);
            EXECUTE format('ALTER TABLE %I.%I DISABLE ROW LEVEL SECURITY', r.schemaname, r.tablename); END LOOP;
        END $$;""")
    op.execute("DROP VIEW IF EXISTS health.student_alert_flags")
    op.execute("DROP FUNCTION IF EXISTS compliance.can_see_student(integer)")
    op.execute("DROP FUNCTION IF EXISTS compliance.log_record_view(integer, text, text)")
    op.execute("DROP FUNCTION IF EXISTS compliance.attach_audit(regclass)")
    op.execute("DROP FUNCTION IF EXISTS compliance.audit_trigger()")
    op.drop_table("staffeducationorganizationassignmentassociation", schema="edfi")
    op.alter_column("audit_logs", "record_id", type_=sa.String(length=255), existing_type=sa.Text(),
                    schema="compliance")
    op.drop_column("audit_logs", "workstation", schema="compliance")
    op.drop_column("audit_logs", "application_user", schema="compliance")
    # Group roles are cluster-wide and may serve other databases: they are left in place.
