"""A sign-in that teaches and also works in the office keeps the office's attendance work

Review of session 8, MEDIUM 3: the restrictive teacher policies of 0068 (deletes) and 0070 (inserts,
updates) on the two attendance tables are TO so_teacher, and PostgreSQL applies a policy to every member
of the role, so a dean who also teaches a class (the administration desk makes multi-role sign-ins) could
no longer record a suspension day, a clerk-teacher a call-in absence, nor mark a roster of a section they
do not teach from the office desk. The teacher's restriction now holds only for a caller with no office
role: compliance.attendance_office() (front office, dean, registrar, administrator). What such a sign-in
may write is still bounded by its office role's own policy (its schools).

Revision ID: 0071
Revises: 0070
Create Date: 2026-12-04
"""
from alembic import op

revision = "0071"
down_revision = "0070"
branch_labels = None
depends_on = None

_TEACHES = """EXISTS (SELECT 1 FROM edfi.staffsectionassociation ssa
                   WHERE ssa.staffusi = (SELECT compliance.my_staff_usi())
                     AND ssa.localcoursecode = {t}.localcoursecode AND ssa.schoolid = {t}.schoolid
                     AND ssa.schoolyear = {t}.schoolyear AND ssa.sectionidentifier = {t}.sectionidentifier
                     AND ssa.sessionname = {t}.sessionname)"""
_OFFICE = "(SELECT compliance.attendance_office())"
_MARKS = f"({_TEACHES.format(t='studentsectionattendanceevent')} OR {_OFFICE})"
_ROLLUPS = f"(attendanceeventreason IS NULL OR {_OFFICE})"
_ROLES = "so_teacher, so_front_office, so_dean, so_registrar, so_admin, so_nurse"

UPGRADE_SQL = f"""
CREATE FUNCTION compliance.attendance_office() RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_has_role(current_user, 'so_front_office', 'MEMBER') OR pg_has_role(current_user, 'so_dean', 'MEMBER')
        OR pg_has_role(current_user, 'so_registrar', 'MEMBER') OR pg_has_role(current_user, 'so_admin', 'MEMBER')
$$;
REVOKE ALL ON FUNCTION compliance.attendance_office() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION compliance.attendance_office() TO {_ROLES};

ALTER POLICY teacher_deletes_own_sections ON edfi.studentsectionattendanceevent USING {_MARKS};
ALTER POLICY teacher_inserts_own_sections ON edfi.studentsectionattendanceevent WITH CHECK {_MARKS};
ALTER POLICY teacher_updates_own_sections ON edfi.studentsectionattendanceevent USING {_MARKS} WITH CHECK {_MARKS};
ALTER POLICY teacher_deletes_own_rollups ON edfi.studentschoolattendanceevent USING {_ROLLUPS};
ALTER POLICY teacher_inserts_own_rollups ON edfi.studentschoolattendanceevent WITH CHECK {_ROLLUPS};
ALTER POLICY teacher_updates_own_rollups ON edfi.studentschoolattendanceevent USING {_ROLLUPS} WITH CHECK {_ROLLUPS};
"""

_M = _TEACHES.format(t="studentsectionattendanceevent")
DOWNGRADE_SQL = f"""
ALTER POLICY teacher_deletes_own_sections ON edfi.studentsectionattendanceevent USING ({_M});
ALTER POLICY teacher_inserts_own_sections ON edfi.studentsectionattendanceevent WITH CHECK ({_M});
ALTER POLICY teacher_updates_own_sections ON edfi.studentsectionattendanceevent USING ({_M}) WITH CHECK ({_M});
ALTER POLICY teacher_deletes_own_rollups ON edfi.studentschoolattendanceevent USING (attendanceeventreason IS NULL);
ALTER POLICY teacher_inserts_own_rollups ON edfi.studentschoolattendanceevent WITH CHECK (attendanceeventreason IS NULL);
ALTER POLICY teacher_updates_own_rollups ON edfi.studentschoolattendanceevent
    USING (attendanceeventreason IS NULL) WITH CHECK (attendanceeventreason IS NULL);
DROP FUNCTION compliance.attendance_office();
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
