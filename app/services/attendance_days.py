"""Attendance recorded as exceptions: the one place that says which days were taken and who was present.

The model (migration 0068), as Ed-Fi's own sample district and Schoology's API record attendance:
- edfi.sectionattendancetakenevent: one row per section and day whose attendance was taken (who took it
  in staffusi). Its `date` is the day.
- edfi.studentsectionattendanceevent holds only the marks that are NOT "In Attendance". A student
  enrolled in the section on a taken day with no row there was In Attendance.
- edfi.studentschoolattendanceevent holds the daily status a teacher's marks roll up to only when the day
  is not a present one (those rows have no reason), plus what the office entered (a reason always; an
  office row may be an explicit "In Attendance" and always takes precedence over the teacher's).
- A student's school day was taken when any section the student is enrolled in that day has a taken
  event that day, or the student has a daily row that day. Days present = taken days minus absence days.

Every reader builds on these fragments instead of restating the rule. Each function returns the text of
a SELECT to put in a CTE (`WITH days AS (<fragment>)`); its arguments are SQL expressions, normally bind
parameters of the caller's statement (":s", ":a"), or another CTE's columns. Row-level security applies to
every table read, as for the caller's own SQL.
"""

from __future__ import annotations

PRESENT = "In Attendance"

# A daily row is the office's when it has a reason (a teacher's roll-up never writes one).
OFFICE_ROW = "attendanceeventreason IS NOT NULL"
TEACHER_ROW = "attendanceeventreason IS NULL"

_SECTION_JOIN = ("a.localcoursecode = t.localcoursecode AND a.schoolid = t.schoolid AND a.schoolyear = t.schoolyear "
                 "AND a.sectionidentifier = t.sectionidentifier AND a.sessionname = t.sessionname")


def taken_student_days(*, school: str = ":s", start: str = ":a", end: str = ":b", students: str | None = None) -> str:
    """SELECT studentusi, schoolid, day: every (student, day) of `school` between `start` and `end` (dates,
    inclusive) whose attendance was taken: a section the student was enrolled in that day has a taken
    event that day, or the student has a daily row (office's or teacher's) that day. One row each.
    `students`: an optional int[] expression to restrict to (e.g. ":u")."""
    who_a = f" AND a.studentusi = ANY({students})" if students else ""
    who_x = f" AND x.studentusi = ANY({students})" if students else ""
    return f"""SELECT a.studentusi, t.schoolid, t.date AS day
          FROM edfi.sectionattendancetakenevent t
          JOIN edfi.studentsectionassociation a ON {_SECTION_JOIN}
           AND a.begindate <= t.date AND (a.enddate IS NULL OR a.enddate >= t.date)
         WHERE t.schoolid = {school} AND t.date BETWEEN {start} AND {end}{who_a}
        UNION
        SELECT x.studentusi, x.schoolid, x.eventdate FROM edfi.studentschoolattendanceevent x
         WHERE x.schoolid = {school} AND x.eventdate BETWEEN {start} AND {end}{who_x}"""


def day_statuses(*, school: str = ":s", start: str = ":a", end: str = ":b", students: str | None = None) -> str:
    """SELECT studentusi, schoolid, day, code, reason, office: the daily status of every taken
    student-day (see taken_student_days): the office's row first, else the teacher's roll-up, else
    In Attendance (no daily row on a taken day). `code` is the AttendanceEventCategory code value,
    `reason` the office's reason (NULL for the teacher's or an implied present), `office` whether the
    office recorded it."""
    return f"""SELECT td.studentusi, td.schoolid, td.day, coalesce(st.code, '{PRESENT}') AS code, st.reason,
               coalesce(st.office, false) AS office
          FROM ({taken_student_days(school=school, start=start, end=end, students=students)}) td
          LEFT JOIN LATERAL (
               SELECT d.codevalue AS code, x.attendanceeventreason AS reason, x.{OFFICE_ROW} AS office
                 FROM edfi.studentschoolattendanceevent x
                 JOIN edfi.descriptor d ON d.descriptorid = x.attendanceeventcategorydescriptorid
                WHERE x.studentusi = td.studentusi AND x.eventdate = td.day AND x.schoolid = td.schoolid
                ORDER BY (x.{OFFICE_ROW}) DESC, x.lastmodifieddate DESC LIMIT 1) st ON true"""


def taken_sections(*, school: str = ":s", day: str = ":day") -> str:
    """SELECT localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, staffusi,
    createdate: the sections of `school` whose attendance was taken on `day` (and by whom)."""
    return f"""SELECT t.localcoursecode, t.schoolid, t.schoolyear, t.sectionidentifier, t.sessionname, t.staffusi,
               t.createdate
          FROM edfi.sectionattendancetakenevent t WHERE t.schoolid = {school} AND t.date = {day}"""


def section_marks(*, lcc: str = ":lcc", sid: str = ":sid", sy: str = ":sy", sec: str = ":sec",
                  sess: str = ":sess", day: str = ":day") -> str:
    """SELECT studentusi, code, arrivaltime, taken: one row per student enrolled in the section on
    `day`: the saved exception's code, In Attendance when the day was taken and the student has no
    exception, NULL when the section's attendance was not taken that day."""
    return f"""SELECT a.studentusi,
               CASE WHEN e.code IS NOT NULL THEN e.code WHEN tk.taken THEN '{PRESENT}' END AS code,
               e.arrivaltime, tk.taken
          FROM edfi.studentsectionassociation a
          CROSS JOIN (SELECT EXISTS (SELECT 1 FROM edfi.sectionattendancetakenevent t
                                      WHERE t.localcoursecode = {lcc} AND t.schoolid = {sid} AND t.schoolyear = {sy}
                                        AND t.sectionidentifier = {sec} AND t.sessionname = {sess}
                                        AND t.date = {day}) AS taken) tk
          LEFT JOIN LATERAL (
               SELECT d.codevalue AS code, ev.arrivaltime FROM edfi.studentsectionattendanceevent ev
                 JOIN edfi.descriptor d ON d.descriptorid = ev.attendanceeventcategorydescriptorid
                WHERE ev.studentusi = a.studentusi AND ev.eventdate = {day} AND ev.localcoursecode = a.localcoursecode
                  AND ev.schoolid = a.schoolid AND ev.schoolyear = a.schoolyear
                  AND ev.sectionidentifier = a.sectionidentifier AND ev.sessionname = a.sessionname
                ORDER BY ev.lastmodifieddate DESC LIMIT 1) e ON true
         WHERE a.localcoursecode = {lcc} AND a.schoolid = {sid} AND a.schoolyear = {sy} AND a.sectionidentifier = {sec}
           AND a.sessionname = {sess} AND a.begindate <= {day} AND (a.enddate IS NULL OR a.enddate >= {day})"""


# Full rosters (every present marked, a daily row for every day) recorded as exceptions: a taken event
# for every section and day that has marks, then the present marks and the teacher's present days are
# deleted where the day stays taken. Idempotent, and nothing happens on a district with no rows.
# Migration 0068 converted existing districts with it; the Ed-Fi XML import runs it after loading
# (an interchange may carry every present). Keep its effect stable: the migration runs this text.
AS_EXCEPTIONS_SQL = """
-- a calendar day for every marked day that has none (an import may have written marks on one)
INSERT INTO edfi.calendardate (calendarcode, date, schoolid, schoolyear)
SELECT DISTINCT ON (m.schoolid, m.schoolyear, m.eventdate) c.calendarcode, m.eventdate, m.schoolid, m.schoolyear
  FROM (SELECT DISTINCT schoolid, schoolyear, eventdate FROM edfi.studentsectionattendanceevent) m
  JOIN edfi.calendar c ON c.schoolid = m.schoolid AND c.schoolyear = m.schoolyear
 WHERE NOT EXISTS (SELECT 1 FROM edfi.calendardate cd WHERE cd.schoolid = m.schoolid
                      AND cd.schoolyear = m.schoolyear AND cd.date = m.eventdate)
 ORDER BY m.schoolid, m.schoolyear, m.eventdate, c.calendarcode;

INSERT INTO edfi.sectionattendancetakenevent (calendarcode, date, localcoursecode, schoolid, schoolyear,
                                              sectionidentifier, sessionname, eventdate, createdate)
SELECT (SELECT min(cd.calendarcode) FROM edfi.calendardate cd
         WHERE cd.schoolid = m.schoolid AND cd.schoolyear = m.schoolyear AND cd.date = m.eventdate),
       m.eventdate, m.localcoursecode, m.schoolid, m.schoolyear, m.sectionidentifier, m.sessionname,
       m.taken::date, m.taken
  FROM (SELECT e.localcoursecode, e.schoolid, e.schoolyear, e.sectionidentifier, e.sessionname, e.eventdate,
               min(e.createdate) AS taken
          FROM edfi.studentsectionattendanceevent e
         GROUP BY 1, 2, 3, 4, 5, 6) m
 WHERE EXISTS (SELECT 1 FROM edfi.calendardate cd
                WHERE cd.schoolid = m.schoolid AND cd.schoolyear = m.schoolyear AND cd.date = m.eventdate)
ON CONFLICT DO NOTHING;

-- the presents are implied now (on a taken day; a day without a calendar keeps its marks)
DELETE FROM edfi.studentsectionattendanceevent e
 USING edfi.descriptor d
 WHERE d.descriptorid = e.attendanceeventcategorydescriptorid AND d.codevalue = 'In Attendance'
   AND EXISTS (SELECT 1 FROM edfi.sectionattendancetakenevent t
                WHERE t.localcoursecode = e.localcoursecode AND t.schoolid = e.schoolid
                  AND t.schoolyear = e.schoolyear AND t.sectionidentifier = e.sectionidentifier
                  AND t.sessionname = e.sessionname AND t.date = e.eventdate);
-- a teacher's present day: only where the day stays taken through a section the student was enrolled in
-- (a daily-only record, e.g. an Ed-Fi import's, keeps its row: it is what says the day was taken)
DELETE FROM edfi.studentschoolattendanceevent x
 USING edfi.descriptor d
 WHERE d.descriptorid = x.attendanceeventcategorydescriptorid AND d.codevalue = 'In Attendance'
   AND x.attendanceeventreason IS NULL
   AND EXISTS (SELECT 1 FROM edfi.sectionattendancetakenevent t JOIN edfi.studentsectionassociation a
                   ON a.localcoursecode = t.localcoursecode AND a.schoolid = t.schoolid
                  AND a.schoolyear = t.schoolyear AND a.sectionidentifier = t.sectionidentifier
                  AND a.sessionname = t.sessionname AND a.begindate <= t.date
                  AND (a.enddate IS NULL OR a.enddate >= t.date)
                WHERE t.schoolid = x.schoolid AND t.date = x.eventdate AND a.studentusi = x.studentusi);
"""


def record_as_exceptions(conn) -> None:
    """Run AS_EXCEPTIONS_SQL as the caller (the import runs as the schema owner)."""
    conn.exec_driver_sql(AS_EXCEPTIONS_SQL)


__all__ = ["AS_EXCEPTIONS_SQL", "record_as_exceptions", "PRESENT", "OFFICE_ROW", "TEACHER_ROW",
           "taken_student_days", "day_statuses", "taken_sections",
           "section_marks"]
