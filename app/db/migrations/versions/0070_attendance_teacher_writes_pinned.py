"""A teacher's attendance writes keep to their own sections and roll-ups; a taken day is not moved

Review of session 8 (two MEDIUMs on 0068):
1. 0068's restrictive DELETE policies ("a teacher deletes only marks of sections they teach, never
   the office's record of a day") were one UPDATE away: the permissive policies of both attendance
   tables are FOR ALL by the teacher's students, and a teacher holds UPDATE. Now the same restriction
   holds for every writing command: a teacher inserts and updates only marks of sections they teach
   (the new row too), and only daily rows without a reason (the roll-ups a save writes), never the
   office's (with a reason) nor one turned into or out of it.
2. The taken event could be moved or reassigned: the attendance roles held UPDATE on
   edfi.sectionattendancetakenevent and nothing pinned who took it or the day. A save needs only
   INSERT ... ON CONFLICT DO NOTHING: UPDATE stays with the correction roles (registrar, administrator),
   and the others may insert a taken day only as themselves (staffusi = their own) and not for a day
   after tomorrow (the save refuses a future day; tomorrow allows for a client ahead of the server's
   time zone).

Revision ID: 0070
Revises: 0069
Create Date: 2026-12-04
"""
from alembic import op

revision = "0070"
down_revision = "0069"
branch_labels = None
depends_on = None

_TEACHES = """EXISTS (SELECT 1 FROM edfi.staffsectionassociation ssa
                   WHERE ssa.staffusi = (SELECT compliance.my_staff_usi())
                     AND ssa.localcoursecode = {t}.localcoursecode AND ssa.schoolid = {t}.schoolid
                     AND ssa.schoolyear = {t}.schoolyear AND ssa.sectionidentifier = {t}.sectionidentifier
                     AND ssa.sessionname = {t}.sessionname)"""
_SECTION_MARKS = _TEACHES.format(t="studentsectionattendanceevent")
_AS_MYSELF = "staffusi IS NOT DISTINCT FROM (SELECT compliance.my_staff_usi()) AND date <= current_date + 1"

UPGRADE_SQL = f"""
CREATE POLICY teacher_inserts_own_sections ON edfi.studentsectionattendanceevent AS RESTRICTIVE FOR INSERT
    TO so_teacher WITH CHECK ({_SECTION_MARKS});
CREATE POLICY teacher_updates_own_sections ON edfi.studentsectionattendanceevent AS RESTRICTIVE FOR UPDATE
    TO so_teacher USING ({_SECTION_MARKS}) WITH CHECK ({_SECTION_MARKS});
CREATE POLICY teacher_inserts_own_rollups ON edfi.studentschoolattendanceevent AS RESTRICTIVE FOR INSERT
    TO so_teacher WITH CHECK (attendanceeventreason IS NULL);
CREATE POLICY teacher_updates_own_rollups ON edfi.studentschoolattendanceevent AS RESTRICTIVE FOR UPDATE
    TO so_teacher USING (attendanceeventreason IS NULL) WITH CHECK (attendanceeventreason IS NULL);

REVOKE UPDATE ON edfi.sectionattendancetakenevent FROM so_teacher, so_front_office, so_dean;
GRANT UPDATE ON edfi.sectionattendancetakenevent TO so_registrar, so_admin;
CREATE POLICY taken_as_myself ON edfi.sectionattendancetakenevent AS RESTRICTIVE FOR INSERT
    TO so_teacher, so_front_office, so_dean WITH CHECK ({_AS_MYSELF});
"""

DOWNGRADE_SQL = """
DROP POLICY taken_as_myself ON edfi.sectionattendancetakenevent;
GRANT UPDATE ON edfi.sectionattendancetakenevent TO so_teacher, so_front_office, so_dean;
DROP POLICY teacher_updates_own_rollups ON edfi.studentschoolattendanceevent;
DROP POLICY teacher_inserts_own_rollups ON edfi.studentschoolattendanceevent;
DROP POLICY teacher_updates_own_sections ON edfi.studentsectionattendanceevent;
DROP POLICY teacher_inserts_own_sections ON edfi.studentsectionattendanceevent;
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
