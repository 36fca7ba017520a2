"""Attendance recorded as exceptions, with a taken event per section and day

As Ed-Fi's own sample district (Grand Bend: school and section attendance events are absences and
tardies only) and Schoology's API record it ("if attendance was taken on a given day then all
enrollments should be considered PRESENT outside of the status records"):
- edfi.sectionattendancetakenevent (Ed-Fi 5.2 SectionAttendanceTakenEvent): one row per section and
  day whose attendance was taken, with who took it. Row-level security: a teacher writes the sections
  they teach (and reads the taken sections of their schools: a student's day was taken when any of
  their classes was), school staff their schools, administrators all. Audited (row audit: one row per
  save). Granted only to the attendance roles.
- edfi.studentsectionattendanceevent keeps only marks that are not "In Attendance"; a student enrolled
  in the section on a taken day with no row was In Attendance.
- edfi.studentschoolattendanceevent keeps the teacher's daily roll-up only for a day that is not a
  present one, plus every row the office wrote (those have a reason: a teacher's roll-up never does).
- Converting: a taken event for every section and day that has marks, then the "In Attendance" section
  marks and the teacher's "In Attendance" daily rows are deleted. Safe on a district with no rows.
- A mark that goes back to present is now a DELETE: the attendance roles that mark rosters (teacher,
  front office, dean) get DELETE on the two tables. A teacher deletes only marks of sections they teach
  and only the teacher's own daily rows (restrictive policies), never the office's.
- edfi.attendance_roster_check (replaces 0054's): checks the day, the section, every named student's
  membership, and reads what the roll-up needs only for the students with an exception now or saved
  before in this section that day. Still SECURITY INVOKER: row-level security decides what it reads.

Revision ID: 0068
Revises: 0067
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from app.services.attendance_days import AS_EXCEPTIONS_SQL

revision = "0068"
down_revision = "0067"
branch_labels = None
depends_on = None

_TAKERS = "so_teacher, so_front_office, so_dean, so_registrar, so_admin"
_TEACHES = """EXISTS (SELECT 1 FROM edfi.staffsectionassociation ssa
                   WHERE ssa.staffusi = (SELECT compliance.my_staff_usi())
                     AND ssa.localcoursecode = {t}.localcoursecode AND ssa.schoolid = {t}.schoolid
                     AND ssa.schoolyear = {t}.schoolyear AND ssa.sectionidentifier = {t}.sectionidentifier
                     AND ssa.sessionname = {t}.sessionname)"""
_MY_SCHOOLS = "schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[])"

TAKEN_SECURITY_SQL = f"""
ALTER TABLE edfi.sectionattendancetakenevent ENABLE ROW LEVEL SECURITY;
ALTER TABLE edfi.sectionattendancetakenevent FORCE ROW LEVEL SECURITY;
CREATE POLICY administrators ON edfi.sectionattendancetakenevent TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_schools ON edfi.sectionattendancetakenevent
    TO so_front_office, so_dean, so_registrar, so_nurse USING ({_MY_SCHOOLS}) WITH CHECK ({_MY_SCHOOLS});
CREATE POLICY own_sections ON edfi.sectionattendancetakenevent TO so_teacher
    USING ({_TEACHES.format(t="sectionattendancetakenevent")})
    WITH CHECK ({_TEACHES.format(t="sectionattendancetakenevent")});
CREATE POLICY schools_taught_read ON edfi.sectionattendancetakenevent FOR SELECT TO so_teacher
    USING ({_MY_SCHOOLS});
GRANT SELECT ON edfi.sectionattendancetakenevent TO so_teacher, so_front_office, so_dean, so_registrar, so_admin,
    so_nurse;
GRANT INSERT, UPDATE ON edfi.sectionattendancetakenevent TO {_TAKERS};
GRANT DELETE ON edfi.sectionattendancetakenevent TO so_registrar, so_admin;
SELECT compliance.attach_row_audit('edfi.sectionattendancetakenevent');

-- a mark going back to present is a delete
GRANT DELETE ON edfi.studentsectionattendanceevent, edfi.studentschoolattendanceevent
    TO so_teacher, so_front_office, so_dean;
CREATE POLICY teacher_deletes_own_sections ON edfi.studentsectionattendanceevent AS RESTRICTIVE FOR DELETE
    TO so_teacher USING ({_TEACHES.format(t="studentsectionattendanceevent")});
CREATE POLICY teacher_deletes_own_rollups ON edfi.studentschoolattendanceevent AS RESTRICTIVE FOR DELETE
    TO so_teacher USING (attendanceeventreason IS NULL);
"""

# The conversion is the one the Ed-Fi XML import runs after loading full rosters (one SQL text).
CONVERT_SQL = AS_EXCEPTIONS_SQL


CHECK_SQL = r"""
CREATE FUNCTION edfi.attendance_roster_check(
    p_lcc text, p_sid bigint, p_sy smallint, p_sec text, p_sess text, p_day date, p_marks json,
    p_absences text[], p_usis int[])
RETURNS TABLE (codes text, title text, calendarcode text, taken boolean, term_begins date, term_ends date,
               strangers int[], studentusi int, studentuniqueid text, name text, saved_code int,
               saved_arrival time, changes boolean, office_code int, daily_saved boolean, others int[],
               periods json, contact text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
#variable_conflict use_column
BEGIN
    -- Saves that touch the same students on the same day take turns; locks in student order.
    PERFORM count(pg_advisory_xact_lock(u, p_day - DATE '0001-01-01' + 1)),
            min(set_config('plan_cache_mode', 'force_generic_plan', true))
       FROM (SELECT DISTINCT u FROM unnest(p_usis) AS u ORDER BY u) AS ordered;
    RETURN QUERY
    WITH cats AS MATERIALIZED (
        SELECT d.codevalue, d.descriptorid FROM edfi.descriptor d
        JOIN edfi.attendanceeventcategorydescriptor a ON a.attendanceeventcategorydescriptorid = d.descriptorid),
    codes AS (SELECT json_object_agg(codevalue, descriptorid) AS m FROM cats),
    sec AS (SELECT coalesce(sectionname, sectionidentifier) AS title FROM edfi.section
             WHERE localcoursecode = p_lcc AND schoolid = p_sid AND schoolyear = p_sy AND sectionidentifier = p_sec
               AND sessionname = p_sess),
    term AS (SELECT begindate, enddate FROM edfi.session
              WHERE schoolid = p_sid AND schoolyear = p_sy AND sessionname = p_sess),
    school_day AS (
        SELECT min(e.calendarcode) AS cal FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d
            ON d.descriptorid = e.calendareventdescriptorid WHERE e.schoolid = p_sid AND e.schoolyear = p_sy
           AND e.date = p_day AND d.codevalue = 'Instructional day'),
    was_taken AS (SELECT EXISTS (SELECT 1 FROM edfi.sectionattendancetakenevent t
                                  WHERE t.localcoursecode = p_lcc AND t.schoolid = p_sid AND t.schoolyear = p_sy
                                    AND t.sectionidentifier = p_sec AND t.sessionname = p_sess AND t.date = p_day)
                         AS yes),
    members AS (SELECT array_agg(a.studentusi) AS ids FROM edfi.studentsectionassociation a
                 WHERE a.localcoursecode = p_lcc AND a.schoolid = p_sid AND a.schoolyear = p_sy
                   AND a.sectionidentifier = p_sec AND a.sessionname = p_sess AND a.begindate <= p_day
                   AND (a.enddate IS NULL OR a.enddate >= p_day)),
    strangers AS (SELECT array_agg(u ORDER BY u) AS ids FROM unnest(p_usis) AS u
                   WHERE NOT u = ANY (coalesce((SELECT ids FROM members), '{}'))),
    -- the students whose day this save can change: an exception now, or one saved before in this section
    marks AS (SELECT * FROM json_to_recordset(p_marks) AS m(u int, code text, arrival time)),
    saved AS (SELECT ev.studentusi AS u, ev.attendanceeventcategorydescriptorid AS cat, ev.arrivaltime AS arrival
                FROM edfi.studentsectionattendanceevent ev
               WHERE ev.eventdate = p_day AND ev.localcoursecode = p_lcc AND ev.schoolid = p_sid
                 AND ev.schoolyear = p_sy AND ev.sectionidentifier = p_sec AND ev.sessionname = p_sess
                 AND ev.studentusi = ANY (p_usis)),
    rel AS (SELECT x.u, (SELECT m.code FROM marks m WHERE m.u = x.u LIMIT 1) AS code,
                   (SELECT m.arrival FROM marks m WHERE m.u = x.u LIMIT 1) AS arrival,
                   sv.cat, sv.arrival AS saved_arrival
              FROM (SELECT u FROM marks UNION SELECT u FROM saved) x LEFT JOIN saved sv ON sv.u = x.u),
    absent_ids AS (SELECT array_agg(descriptorid) AS ids FROM cats WHERE codevalue = ANY(p_absences)),
    base AS (
        SELECT r.u AS studentusi, s.studentuniqueid, s.firstname || ' ' || s.lastsurname AS name,
               r.cat AS saved_code, r.saved_arrival,
               (r.cat, r.saved_arrival) IS DISTINCT FROM (nd.descriptorid, r.arrival) AS changes,
               coalesce(r.code = ANY(p_absences), false) AS absent_here,
               dy.office_code, coalesce(dy.daily_saved, false) AS daily_saved
          FROM rel r
          -- one student at a time (OFFSET 0: a hash join would read every student under row-level security)
          JOIN LATERAL (SELECT st.studentuniqueid, st.firstname, st.lastsurname FROM edfi.student st
                         WHERE st.studentusi = r.u OFFSET 0) s ON true
          LEFT JOIN cats nd ON nd.codevalue = r.code
          -- the day's status: the office's (one with a reason) and whether a roll-up is saved already
          LEFT JOIN LATERAL (SELECT (array_agg(x.attendanceeventcategorydescriptorid)
                                       FILTER (WHERE x.attendanceeventreason IS NOT NULL))[1] AS office_code,
                                    bool_or(x.attendanceeventreason IS NULL) AS daily_saved
                               FROM edfi.studentschoolattendanceevent x
                              WHERE x.studentusi = r.u AND x.eventdate = p_day AND x.schoolid = p_sid
                                AND x.schoolyear = p_sy) dy ON true
         WHERE r.u = ANY (coalesce((SELECT ids FROM members), '{}'))),
    enrolled AS (
        -- Only for a student whose mark changes: the exceptions of their other classes at this school that
        -- day; when any of the day's marks is an absence, every class they have with its minutes (the
        -- roll-up counts missed minutes only then), and whom to notify when this mark is an absence.
        SELECT b.studentusi, b.studentuniqueid, b.name, b.saved_code, b.saved_arrival, b.changes, b.office_code,
               b.daily_saved,
               oth.cats AS others,
               CASE WHEN b.changes AND (b.absent_here OR oth.cats && (SELECT ids FROM absent_ids)) THEN
               (SELECT json_agg(json_build_array(
                           x.localcoursecode = p_lcc AND x.sectionidentifier = p_sec AND x.sessionname = p_sess
                             AND x.schoolyear = p_sy,
                           ev.attendanceeventcategorydescriptorid, ev.arrivaltime,
                           coalesce((SELECT extract(epoch FROM (mt.endtime - mt.starttime)) / 60
                                     FROM edfi.sectionclassperiod p JOIN edfi.classperiodmeetingtime mt
                                       ON mt.classperiodname = p.classperiodname AND mt.schoolid = p.schoolid
                                     WHERE p.localcoursecode = x.localcoursecode AND p.schoolid = x.schoolid
                                       AND p.schoolyear = x.schoolyear AND p.sectionidentifier = x.sectionidentifier
                                       AND p.sessionname = x.sessionname LIMIT 1), 50)))
                  FROM edfi.studentsectionassociation x
                  JOIN edfi.session ses ON ses.schoolid = x.schoolid AND ses.schoolyear = x.schoolyear
                   AND ses.sessionname = x.sessionname AND p_day BETWEEN ses.begindate AND ses.enddate
                  LEFT JOIN edfi.studentsectionattendanceevent ev
                         ON ev.studentusi = x.studentusi AND ev.eventdate = p_day AND ev.localcoursecode = x.localcoursecode
                        AND ev.schoolid = x.schoolid AND ev.schoolyear = x.schoolyear
                        AND ev.sectionidentifier = x.sectionidentifier AND ev.sessionname = x.sessionname
                 WHERE x.studentusi = b.studentusi AND x.schoolid = p_sid AND x.begindate <= p_day
                   AND (x.enddate IS NULL OR x.enddate >= p_day)) END AS periods,
               CASE WHEN b.changes AND b.absent_here THEN
               (SELECT c.contactuniqueid FROM edfi.studentcontactassociation ca
                  JOIN edfi.contact c ON c.contactusi = ca.contactusi WHERE ca.studentusi = b.studentusi
                 ORDER BY ca.primarycontactstatus DESC NULLS LAST, ca.contactpriority NULLS LAST LIMIT 1) END AS contact
          FROM base b
          LEFT JOIN LATERAL (SELECT array_agg(o.attendanceeventcategorydescriptorid) AS cats
                               FROM edfi.studentsectionattendanceevent o
                              WHERE b.changes AND o.studentusi = b.studentusi AND o.eventdate = p_day AND o.schoolid = p_sid
                                AND NOT (o.localcoursecode = p_lcc AND o.sectionidentifier = p_sec
                                         AND o.sessionname = p_sess AND o.schoolyear = p_sy)) oth ON true)
    SELECT (SELECT m FROM codes)::text, (SELECT title FROM sec)::text, (SELECT cal FROM school_day)::text,
           (SELECT yes FROM was_taken), (SELECT begindate FROM term), (SELECT enddate FROM term),
           (SELECT ids FROM strangers), e.studentusi, e.studentuniqueid::text, e.name::text,
           e.saved_code, e.saved_arrival, e.changes, e.office_code, e.daily_saved, e.others, e.periods, e.contact::text
      FROM (SELECT 1) AS one LEFT JOIN enrolled e ON true;
END;
$fn$;
REVOKE ALL ON FUNCTION edfi.attendance_roster_check(text, bigint, smallint, text, text, date, json, text[], int[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION edfi.attendance_roster_check(text, bigint, smallint, text, text, date, json, text[], int[])
    TO so_teacher, so_front_office, so_dean, so_registrar, so_admin;
"""

_SIG = "edfi.attendance_roster_check(text, bigint, smallint, text, text, date, json, text[], int[])"


def upgrade() -> None:
    op.create_table(
        "sectionattendancetakenevent",
        sa.Column("calendarcode", sa.String(length=60), nullable=False, comment="The school calendar of the day"),
        sa.Column("date", sa.Date(), nullable=False, comment="The day whose attendance was taken"),
        sa.Column("localcoursecode", sa.String(length=60), nullable=False, comment="Course code"),
        sa.Column("schoolid", sa.BigInteger(), nullable=False, comment="School"),
        sa.Column("schoolyear", sa.SmallInteger(), nullable=False, comment="Academic year"),
        sa.Column("sectionidentifier", sa.String(length=255), nullable=False, comment="Class section"),
        sa.Column("sessionname", sa.String(length=60), nullable=False),
        sa.Column("eventdate", sa.Date(), nullable=False, comment="When the attendance was taken"),
        sa.Column("staffusi", sa.Integer(), nullable=True, comment="Who took it"),
        sa.Column("discriminator", sa.String(length=128), nullable=True),
        sa.Column("createdate", sa.TIMESTAMP(), server_default=sa.text("(now() AT TIME ZONE 'utc')"), nullable=False),
        sa.Column("lastmodifieddate", sa.TIMESTAMP(), server_default=sa.text("(now() AT TIME ZONE 'utc')"),
                  nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(["calendarcode", "date", "schoolid", "schoolyear"],
                                ["edfi.calendardate.calendarcode", "edfi.calendardate.date",
                                 "edfi.calendardate.schoolid", "edfi.calendardate.schoolyear"],
                                name=op.f("fk_sectionattendancetakenevent_calendarcode_date_schoolid_schoolyear_calendardate")),
        sa.ForeignKeyConstraint(["localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname"],
                                ["edfi.section.localcoursecode", "edfi.section.schoolid", "edfi.section.schoolyear",
                                 "edfi.section.sectionidentifier", "edfi.section.sessionname"],
                                name=op.f("fk_sectionattendancetakenevent_localcoursecode_schoolid_schoolyear_sectionidentifier_sessionname_section")),
        sa.ForeignKeyConstraint(["staffusi"], ["edfi.staff.staffusi"],
                                name=op.f("fk_sectionattendancetakenevent_staffusi_staff")),
        sa.PrimaryKeyConstraint("calendarcode", "date", "localcoursecode", "schoolid", "schoolyear",
                                "sectionidentifier", "sessionname", name=op.f("pk_sectionattendancetakenevent")),
        schema="edfi",
        comment="Section Attendance Taken Event: a section's attendance was taken that day",
    )
    # a school's taken sections on a day; a section's day (the save's check: the key starts with the calendar)
    op.create_index("ix_sectionattendancetakenevent_school_date_section", "sectionattendancetakenevent",
                    ["schoolid", "date", "sectionidentifier"], schema="edfi")
    op.execute(TAKEN_SECURITY_SQL)
    op.execute(CONVERT_SQL)
    op.execute(f"DROP FUNCTION {_SIG}")
    op.execute(CHECK_SQL)


def downgrade() -> None:
    raise NotImplementedError("attendance recorded as exceptions cannot be turned back into full rosters here")
