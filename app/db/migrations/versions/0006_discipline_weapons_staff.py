"""Discipline incidents: weapons and staff involved; audit on incident tables; corrections paired

Ed-Fi 5.2 records the weapons of an incident in DisciplineIncidentWeapon and the staff involved
in StaffDisciplineIncidentAssociation; the dean's desk needs both. The incident tables hold no
student key, so migration 0002 did not attach the audit trigger to them: corrections to an
incident must be in the audit trail too. A correction that changes part of a row's key (an
attendance code, a discipline type) is now one UPDATE entry with its old and new values, paired
by the row's id, instead of two halves; a statement that changed no row writes nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE_SQL = r"""
CREATE OR REPLACE FUNCTION compliance.audit_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, compliance AS $$
DECLARE
    key_new text;
    key_old text;
    key_any text;
    pairs text;
    src text;
    old_expr text;
    new_expr text;
    has_rows boolean;
BEGIN
    -- A statement that changed no row (a data-modifying CTE with nothing to do) leaves no entry,
    -- and costs no more than this look.
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', CASE WHEN TG_OP = 'DELETE' THEN 'old_rows' ELSE 'new_rows' END)
       INTO has_rows;
    IF NOT has_rows THEN
        RETURN NULL;
    END IF;
    SELECT string_agg(format('%L, n.%I', k, k), ', '), string_agg(format('%L, o.%I', k, k), ', '),
           string_agg(format('%L, coalesce(n.%I, o.%I)', k, k, k), ', '),
           string_agg(format('o.%I = n.%I', k, k), ' AND ')
      INTO key_new, key_old, key_any, pairs
      FROM unnest(TG_ARGV) AS k;
    IF TG_OP = 'INSERT' THEN
        src := 'new_rows n'; old_expr := 'NULL::jsonb'; new_expr := 'to_jsonb(n)'; key_any := key_new;
    ELSIF TG_OP = 'DELETE' THEN
        src := 'old_rows o'; old_expr := 'to_jsonb(o)'; new_expr := 'NULL::jsonb'; key_any := key_old;
    ELSE
        -- Root tables carry a row id that survives a change of the key (a corrected attendance
        -- code is part of the key): pair old and new rows by it, so a correction is one entry.
        IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = TG_RELID AND attname = 'id' AND NOT attisdropped) THEN
            pairs := 'o.id = n.id';
        END IF;
        src := format('new_rows n FULL JOIN old_rows o ON %s', coalesce(pairs, 'false'));
        old_expr := 'to_jsonb(o)'; new_expr := 'to_jsonb(n)';
    END IF;
    EXECUTE format(
        'INSERT INTO compliance.audit_logs (user_id, application_user, workstation, session_id, table_name, '
        'record_id, operation, old_values, new_values, user_agent, data_categories) '
        'SELECT session_user, nullif(current_setting(''school_office.app_user'', true), ''''), '
        'nullif(current_setting(''school_office.workstation'', true), ''''), '
        'nullif(current_setting(''school_office.session_id'', true), ''''), %L, jsonb_build_object(%s)::text, '
        '%L, %s, %s, nullif(current_setting(''application_name'', true), ''''), ARRAY[%L] FROM %s',
        TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, coalesce(key_any, ''), TG_OP, old_expr, new_expr,
        TG_TABLE_SCHEMA, src);
    RETURN NULL;
END;
$$;

CREATE TABLE edfi.disciplineincidentweapon (
    incidentidentifier VARCHAR(36) NOT NULL,
    schoolid BIGINT NOT NULL,
    weapondescriptorid INTEGER NOT NULL,
    createdate TIMESTAMP WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL,
    CONSTRAINT pk_disciplineincidentweapon PRIMARY KEY (incidentidentifier, schoolid, weapondescriptorid),
    CONSTRAINT fk_disciplineincidentweapon_incidentidentifier_schoolid_68a6 FOREIGN KEY (incidentidentifier, schoolid)
        REFERENCES edfi.disciplineincident (incidentidentifier, schoolid),
    CONSTRAINT fk_disciplineincidentweapon_weapondescriptorid_weapondescriptor FOREIGN KEY (weapondescriptorid)
        REFERENCES edfi.weapondescriptor (weapondescriptorid)
);
COMMENT ON TABLE edfi.disciplineincidentweapon IS
    'Weapons involved in a discipline incident (Ed-Fi 5.2 DisciplineIncidentWeapon)';

CREATE TABLE edfi.staffdisciplineincidentassociation (
    incidentidentifier VARCHAR(36) NOT NULL,
    schoolid BIGINT NOT NULL,
    staffusi INTEGER NOT NULL,
    discriminator VARCHAR(128),
    createdate TIMESTAMP WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL,
    lastmodifieddate TIMESTAMP WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL,
    id UUID DEFAULT gen_random_uuid() NOT NULL,
    CONSTRAINT pk_staffdisciplineincidentassociation PRIMARY KEY (incidentidentifier, schoolid, staffusi),
    CONSTRAINT fk_staffdisciplineincidentassociation_incidentidentifie_e9e1 FOREIGN KEY (incidentidentifier, schoolid)
        REFERENCES edfi.disciplineincident (incidentidentifier, schoolid),
    CONSTRAINT fk_staffdisciplineincidentassociation_staffusi_staff FOREIGN KEY (staffusi) REFERENCES edfi.staff (staffusi)
);
COMMENT ON TABLE edfi.staffdisciplineincidentassociation IS
    'Staff involved in a discipline incident (Ed-Fi 5.2 StaffDisciplineIncidentAssociation)';

GRANT SELECT, INSERT, UPDATE ON edfi.disciplineincidentweapon, edfi.staffdisciplineincidentassociation TO so_dean;
GRANT SELECT, INSERT, UPDATE, DELETE ON edfi.disciplineincidentweapon, edfi.staffdisciplineincidentassociation
    TO so_registrar, so_admin;

-- Registration must find a duplicate anywhere in the district, but a clerk's row-level security
-- shows only their own schools' students: these two functions answer exactly that question
-- (directory facts for the side-by-side comparison), nothing more.
CREATE OR REPLACE FUNCTION compliance.find_student_duplicates(p_uid text, p_first text, p_last text, p_birth date)
RETURNS TABLE (studentusi int, studentuniqueid text, name text, birthdate date, school text, grade text,
               address text, contacts text, same_id boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT s.studentusi, s.studentuniqueid::text, s.firstname || ' ' || s.lastsurname, s.birthdate,
           (SELECT eo.nameofinstitution FROM edfi.studentschoolassociation a
              JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid
             WHERE a.studentusi = s.studentusi ORDER BY a.entrydate DESC LIMIT 1)::text,
           (SELECT d.codevalue FROM edfi.studentschoolassociation a
              JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
             WHERE a.studentusi = s.studentusi ORDER BY a.entrydate DESC LIMIT 1)::text,
           (SELECT ad.streetnumbername || ', ' || ad.city FROM edfi.studenteducationorganizationassociationaddress ad
             WHERE ad.studentusi = s.studentusi LIMIT 1)::text,
           (SELECT string_agg(c.firstname || ' ' || c.lastsurname, ', ' ORDER BY ca.contactpriority)
              FROM edfi.studentcontactassociation ca JOIN edfi.contact c ON c.contactusi = ca.contactusi
             WHERE ca.studentusi = s.studentusi)::text,
           s.studentuniqueid = p_uid
      FROM edfi.student s
     WHERE s.studentuniqueid = p_uid
        OR (lower(s.lastsurname) = lower(p_last) AND lower(s.firstname) = lower(p_first) AND s.birthdate = p_birth)
     ORDER BY s.studentuniqueid = p_uid DESC, s.studentusi
     LIMIT 20;
$$;

CREATE OR REPLACE FUNCTION compliance.suggest_student_id() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT (coalesce(max(CAST(studentuniqueid AS bigint)), 100000) + 1)::text FROM edfi.student
     WHERE studentuniqueid ~ '^[0-9]{1,15}$';
$$;

REVOKE ALL ON FUNCTION compliance.find_student_duplicates(text, text, text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION compliance.suggest_student_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION compliance.find_student_duplicates(text, text, text, date)
    TO so_front_office, so_registrar, so_admin;
GRANT EXECUTE ON FUNCTION compliance.suggest_student_id() TO so_front_office, so_registrar, so_admin;

SELECT compliance.attach_audit('edfi.disciplineincident');
SELECT compliance.attach_audit('edfi.disciplineincidentbehavior');
SELECT compliance.attach_audit('edfi.disciplineincidentweapon');
SELECT compliance.attach_audit('edfi.staffdisciplineincidentassociation');
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    # audit_statement keeps pairing corrections by row id: the entries it writes stay valid for 0005.
    op.execute("""
        DROP TRIGGER IF EXISTS audit_ins ON edfi.disciplineincident;
        DROP TRIGGER IF EXISTS audit_upd ON edfi.disciplineincident;
        DROP TRIGGER IF EXISTS audit_del ON edfi.disciplineincident;
        DROP TRIGGER IF EXISTS audit_ins ON edfi.disciplineincidentbehavior;
        DROP TRIGGER IF EXISTS audit_upd ON edfi.disciplineincidentbehavior;
        DROP TRIGGER IF EXISTS audit_del ON edfi.disciplineincidentbehavior;
        DROP FUNCTION IF EXISTS compliance.find_student_duplicates(text, text, text, date);
        DROP FUNCTION IF EXISTS compliance.suggest_student_id();
        DROP TABLE edfi.staffdisciplineincidentassociation;
        DROP TABLE edfi.disciplineincidentweapon;
    """)
