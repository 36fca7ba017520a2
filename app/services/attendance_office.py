"""The attendance office's views: which sections have taken attendance for a day, the day's
absence list, ADA and ADM by school over a date range, and chronic absence.

Row-level security applies to every student row read: a clerk's figures cover their schools.

Attendance is recorded as exceptions (app.services.attendance_days): a taken event per section and day,
and rows only for marks that are not "In Attendance". ADA, ADM and chronic absence count the absence
weight of the daily rows against the days enrolled, so a day with no row (present, or not taken yet)
takes nothing away, exactly as when every present day had its own row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from sqlalchemy import Connection, text

from app.domain.attendance_rates import ABSENCE_WEIGHT, Averages, ChronicRule, absence_rate
from app.services.attendance import SectionKey
from app.services.attendance_days import taken_sections

_INSTRUCTIONAL = """
    SELECT DISTINCT e.date FROM edfi.calendardatecalendarevent e
      JOIN edfi.descriptor d ON d.descriptorid = e.calendareventdescriptorid
     WHERE e.schoolid = :s AND d.codevalue = 'Instructional day' AND e.date BETWEEN :a AND :b"""

# weight of each daily status, as SQL: the same numbers as app.domain.attendance_rates
_WEIGHT = "CASE d.codevalue " + " ".join(f"WHEN '{c}' THEN {w}" for c, w in ABSENCE_WEIGHT.items()) + " ELSE 0 END"


@dataclass(frozen=True)
class SectionDay:
    key: SectionKey
    title: str
    school: str
    period: str | None
    starts: time | None
    teacher: str | None
    students: int
    taken: bool


def sections_for_day(conn: Connection, day: date, *, school_id: int | None = None,
                     mine_only: bool = False, first_schools: tuple[int, ...] = ()) -> list[SectionDay]:
    """Sections that meet on `day` with students in them, and whether attendance was taken.
    mine_only: the sections the signed-in teacher teaches. first_schools: listed first (the user's own
    schools: a high school's dean should not scroll past elementary homerooms)."""
    rows = conn.execute(text(f"""
        SELECT s.localcoursecode, s.schoolid, s.schoolyear, s.sectionidentifier, s.sessionname,
               coalesce(s.sectionname, s.sectionidentifier), eo.shortnameofinstitution, p.classperiodname, m.starttime,
               (SELECT st.firstname || ' ' || st.lastsurname FROM edfi.staffsectionassociation t
                  JOIN edfi.staff st ON st.staffusi = t.staffusi
                 WHERE t.localcoursecode = s.localcoursecode AND t.schoolid = s.schoolid AND t.schoolyear = s.schoolyear
                   AND t.sectionidentifier = s.sectionidentifier AND t.sessionname = s.sessionname LIMIT 1),
               (SELECT count(*) FROM edfi.studentsectionassociation x
                 WHERE x.localcoursecode = s.localcoursecode AND x.schoolid = s.schoolid AND x.schoolyear = s.schoolyear
                   AND x.sectionidentifier = s.sectionidentifier AND x.sessionname = s.sessionname
                   AND x.begindate <= :day AND (x.enddate IS NULL OR x.enddate >= :day)) AS students,
               EXISTS (SELECT 1 FROM ({taken_sections(school="s.schoolid", day=":day")}) t
                        WHERE t.sectionidentifier = s.sectionidentifier AND t.localcoursecode = s.localcoursecode
                          AND t.schoolyear = s.schoolyear AND t.sessionname = s.sessionname)
          FROM edfi.section s
          JOIN edfi.session ses ON ses.schoolid = s.schoolid AND ses.schoolyear = s.schoolyear
           AND ses.sessionname = s.sessionname AND :day BETWEEN ses.begindate AND ses.enddate
          JOIN edfi.educationorganization eo ON eo.educationorganizationid = s.schoolid
          LEFT JOIN LATERAL (SELECT scp.classperiodname FROM edfi.sectionclassperiod scp
                              WHERE scp.localcoursecode = s.localcoursecode AND scp.schoolid = s.schoolid
                                AND scp.schoolyear = s.schoolyear AND scp.sectionidentifier = s.sectionidentifier
                                AND scp.sessionname = s.sessionname ORDER BY 1 LIMIT 1) p ON true
          LEFT JOIN LATERAL (SELECT mt.starttime FROM edfi.classperiodmeetingtime mt
                              WHERE mt.classperiodname = p.classperiodname AND mt.schoolid = s.schoolid
                              ORDER BY 1 LIMIT 1) m ON true
         WHERE (CAST(:school AS bigint) IS NULL OR s.schoolid = :school)
           AND EXISTS (SELECT 1 FROM edfi.calendardatecalendarevent ce JOIN edfi.descriptor cd
                        ON cd.descriptorid = ce.calendareventdescriptorid WHERE ce.schoolid = s.schoolid
                       AND ce.date = :day AND cd.codevalue = 'Instructional day')
           AND (NOT :mine OR EXISTS (SELECT 1 FROM edfi.staffsectionassociation t
                                       JOIN edfi.staff st ON st.staffusi = t.staffusi
                                      WHERE t.localcoursecode = s.localcoursecode AND t.schoolid = s.schoolid
                                        AND t.schoolyear = s.schoolyear AND t.sectionidentifier = s.sectionidentifier
                                        AND t.sessionname = s.sessionname AND st.loginid = (session_user::text COLLATE "default")))
         ORDER BY s.schoolid = ANY(CAST(:first AS bigint[])) DESC, eo.shortnameofinstitution,
                  m.starttime NULLS LAST, 6"""),
        {"day": day, "school": school_id, "mine": mine_only, "first": list(first_schools)}).all()
    return [SectionDay(SectionKey(*r[0:5]), r[5], r[6], r[7], r[8], r[9], r[10], r[11]) for r in rows if r[10] > 0]


@dataclass(frozen=True)
class AbsenceLine:
    student_usi: int
    student_unique_id: str
    name: str
    grade_level: str | None
    school: str
    status: str
    reason: str | None


def daily_absences(conn: Connection, day: date, school_id: int | None = None) -> list[AbsenceLine]:
    """Students absent (or partly absent) on a day, by school and name."""
    return [AbsenceLine(*r) for r in conn.execute(text(f"""
        SELECT e.studentusi, s.studentuniqueid, s.lastsurname || ', ' || s.firstname,
               (SELECT g.codevalue FROM edfi.studentschoolassociation a JOIN edfi.descriptor g
                  ON g.descriptorid = a.entrygradeleveldescriptorid WHERE a.studentusi = e.studentusi
                   AND a.schoolid = e.schoolid ORDER BY a.entrydate DESC LIMIT 1),
               eo.shortnameofinstitution, d.codevalue, e.attendanceeventreason
          FROM edfi.studentschoolattendanceevent e
          JOIN edfi.descriptor d ON d.descriptorid = e.attendanceeventcategorydescriptorid
          JOIN edfi.student s ON s.studentusi = e.studentusi
          JOIN edfi.educationorganization eo ON eo.educationorganizationid = e.schoolid
         WHERE e.eventdate = :day AND (CAST(:school AS bigint) IS NULL OR e.schoolid = :school)
           AND {_WEIGHT} > 0
         ORDER BY eo.shortnameofinstitution, s.lastsurname, s.firstname"""), {"day": day, "school": school_id})]


@dataclass(frozen=True)
class SchoolAverages:
    school_id: int
    school: str
    averages: Averages


def averages_by_school(conn: Connection, start: date, end: date) -> list[SchoolAverages]:
    """ADA and ADM for each school over a date range."""
    out = []
    for school_id, name in conn.execute(text(
            "SELECT s.schoolid, eo.nameofinstitution FROM edfi.school s JOIN edfi.educationorganization eo "
            "ON eo.educationorganizationid = s.schoolid ORDER BY s.schoolid")).all():
        row = conn.execute(text(f"""
            WITH days AS ({_INSTRUCTIONAL}),
            member AS (SELECT days.date, a.studentusi FROM days JOIN edfi.studentschoolassociation a
                         ON a.schoolid = :s AND a.entrydate <= days.date
                        AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= days.date)),
            absent AS (SELECT e.eventdate, e.studentusi, max({_WEIGHT}) AS w FROM edfi.studentschoolattendanceevent e
                         JOIN edfi.descriptor d ON d.descriptorid = e.attendanceeventcategorydescriptorid
                        WHERE e.schoolid = :s AND e.eventdate BETWEEN :a AND :b GROUP BY 1, 2)
            SELECT (SELECT count(*) FROM days), count(*), coalesce(sum(absent.w), 0)
              FROM member LEFT JOIN absent ON absent.eventdate = member.date AND absent.studentusi = member.studentusi"""),
            {"s": school_id, "a": start, "b": end}).one()
        out.append(SchoolAverages(school_id, name, Averages(row[0], row[1], Decimal(row[2]))))
    return out


@dataclass(frozen=True)
class ChronicLine:
    student_usi: int
    student_unique_id: str
    name: str
    grade_level: str | None
    enrolled_days: int
    absent_days: Decimal
    rate: Decimal  # percent


def chronic_absence(conn: Connection, school_id: int, start: date, as_of: date,
                    rule: ChronicRule = ChronicRule()) -> list[ChronicLine]:
    """Students at the school absent at least the rule's share of their enrolled days, worst first."""
    rows = conn.execute(text(f"""
        WITH days AS ({_INSTRUCTIONAL}),
        member AS (SELECT a.studentusi, count(DISTINCT days.date) AS n,
                          (array_agg(a.entrygradeleveldescriptorid ORDER BY a.entrydate DESC))[1] AS grade
                     FROM days JOIN edfi.studentschoolassociation a ON a.schoolid = :s AND a.entrydate <= days.date
                      AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= days.date) GROUP BY a.studentusi),
        absent AS (SELECT e.studentusi, sum(w) AS w FROM (
                     SELECT e.studentusi, e.eventdate, max({_WEIGHT}) AS w FROM edfi.studentschoolattendanceevent e
                       JOIN edfi.descriptor d ON d.descriptorid = e.attendanceeventcategorydescriptorid
                      WHERE e.schoolid = :s AND e.eventdate BETWEEN :a AND :b GROUP BY 1, 2) e GROUP BY 1)
        SELECT member.studentusi, s.studentuniqueid, s.lastsurname || ', ' || s.firstname, g.codevalue, member.n,
               coalesce(absent.w, 0)
          FROM member JOIN edfi.student s ON s.studentusi = member.studentusi
          LEFT JOIN edfi.descriptor g ON g.descriptorid = member.grade
          LEFT JOIN absent ON absent.studentusi = member.studentusi"""),
        {"s": school_id, "a": start, "b": as_of}).all()
    out = [ChronicLine(r[0], r[1], r[2], r[3], r[4], Decimal(r[5]), absence_rate(Decimal(r[5]), r[4]))
           for r in rows if rule.applies(Decimal(r[5]), r[4])]
    return sorted(out, key=lambda c: (-c.rate, c.name))
