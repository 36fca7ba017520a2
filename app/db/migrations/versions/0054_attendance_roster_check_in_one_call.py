"""A roster save's lock and check in one call: edfi.attendance_roster_check (SECURITY INVOKER)

A teacher's save took the students' day locks and then read everything its checks and the daily
roll-up need as two statements in a pipeline (the check re-sent as 6 kB of SQL each time, which the
driver re-parsed, and whose prepared plan the driver dropped at every ROLLBACK). Now one call:
- takes the advisory locks of the students' day (in student order, as before) and keeps the save's
  big statements on one generic plan for the transaction (plan_cache_mode),
- then, in a statement of its own (a VOLATILE function reads with a new snapshot after the locks are
  granted: it sees what a save that held them committed), returns the same rows the check returned.
plpgsql keeps the check's plan for the session, whatever the driver does with its own.
It runs as the CALLER (SECURITY INVOKER): row-level security decides what it reads, exactly as for
the statements it replaces; it writes nothing. Granted to the roles that may take attendance.

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-04
"""
from alembic import op

revision = "0054"
down_revision = "0053"
branch_labels = None
depends_on = None

UPGRADE_SQL = r"""
CREATE FUNCTION edfi.attendance_roster_check(
    p_lcc text, p_sid bigint, p_sy smallint, p_sec text, p_sess text, p_day date, p_marks json,
    p_absences text[], p_usis int[])
RETURNS TABLE (codes text, title text, school_day boolean, term_begins date, term_ends date, studentusi int,
               studentuniqueid text, name text, saved_code int, saved_arrival time, changes boolean,
               office_code int, daily_saved boolean, others int[], periods json, contact text)
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
    sec AS (SELECT coalesce(sectionname, sectionidentifier) AS title FROM edfi.section WHERE localcoursecode = p_lcc AND schoolid = p_sid AND schoolyear = p_sy AND sectionidentifier = p_sec AND sessionname = p_sess),
    term AS (SELECT begindate, enddate FROM edfi.session
              WHERE schoolid = p_sid AND schoolyear = p_sy AND sessionname = p_sess),
    school_day AS (
        SELECT EXISTS (SELECT 1 FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d
                       ON d.descriptorid = e.calendareventdescriptorid WHERE e.schoolid = p_sid AND e.schoolyear = p_sy
                       AND e.date = p_day AND d.codevalue = 'Instructional day') AS ok),
    marks AS (SELECT * FROM json_to_recordset(p_marks) AS m(u int, code text, arrival time)),
    absent_ids AS (SELECT array_agg(descriptorid) AS ids FROM cats WHERE codevalue = ANY(p_absences)),
    base AS (
        SELECT a.studentusi, s.studentuniqueid, s.firstname || ' ' || s.lastsurname AS name,
               sv.cat AS saved_code, sv.arrival AS saved_arrival,
               (sv.cat, sv.arrival) IS DISTINCT FROM (nd.descriptorid, m.arrival) AS changes,
               m.code = ANY(p_absences) AS absent_here,
               dy.office_code, coalesce(dy.daily_saved, false) AS daily_saved
          FROM marks m
          JOIN edfi.studentsectionassociation a ON a.studentusi = m.u
          JOIN edfi.student s ON s.studentusi = a.studentusi
          LEFT JOIN cats nd ON nd.codevalue = m.code
          LEFT JOIN LATERAL (SELECT ev.attendanceeventcategorydescriptorid AS cat, ev.arrivaltime AS arrival
                               FROM edfi.studentsectionattendanceevent ev
                              WHERE ev.studentusi = a.studentusi AND ev.eventdate = p_day
                                AND ev.localcoursecode = p_lcc AND ev.schoolid = p_sid AND ev.schoolyear = p_sy AND ev.sectionidentifier = p_sec AND ev.sessionname = p_sess LIMIT 1) sv ON true
          -- the day's status: the office's (one with a reason) and whether a roll-up is saved already
          LEFT JOIN LATERAL (SELECT (array_agg(x.attendanceeventcategorydescriptorid)
                                       FILTER (WHERE x.attendanceeventreason IS NOT NULL))[1] AS office_code,
                                    bool_or(x.attendanceeventreason IS NULL) AS daily_saved
                               FROM edfi.studentschoolattendanceevent x
                              WHERE x.studentusi = a.studentusi AND x.eventdate = p_day AND x.schoolid = p_sid
                                AND x.schoolyear = p_sy) dy ON true
         WHERE a.localcoursecode = p_lcc AND a.schoolid = p_sid AND a.schoolyear = p_sy AND a.sectionidentifier = p_sec AND a.sessionname = p_sess AND a.begindate <= p_day
           AND (a.enddate IS NULL OR a.enddate >= p_day)),
    enrolled AS (
        -- Only for a student whose mark changes: the marks of their other classes at this school that
        -- day; when any mark of the day is an absence, every class they have with its minutes (the
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
    SELECT (SELECT m FROM codes)::text, (SELECT title FROM sec)::text, (SELECT ok FROM school_day),
           (SELECT begindate FROM term), (SELECT enddate FROM term), e.studentusi, e.studentuniqueid::text, e.name::text,
           e.saved_code, e.saved_arrival, e.changes, e.office_code, e.daily_saved, e.others, e.periods, e.contact::text
      FROM (SELECT 1) AS one LEFT JOIN enrolled e ON true;
END;
$fn$;
REVOKE ALL ON FUNCTION edfi.attendance_roster_check(text, bigint, smallint, text, text, date, json, text[], int[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION edfi.attendance_roster_check(text, bigint, smallint, text, text, date, json, text[], int[])
    TO so_teacher, so_front_office, so_dean, so_registrar, so_admin;
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute("DROP FUNCTION edfi.attendance_roster_check(text, bigint, smallint, text, text, date, json, text[], int[])")
