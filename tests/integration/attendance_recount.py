"""A plain recount of a student's attendance from the rows, for tests to hold the readers against.

Attendance is recorded as exceptions: a day one of the student's classes was taken (a taken event of a
section they were enrolled in that day) is a present day unless a daily row says otherwise (the office's
row first); a daily row alone also makes the day taken. Written out here in plain SQL, apart from
app.services.attendance_days, so that a test does not check the readers against their own rule."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

_TAKEN = """
    SELECT t.date FROM edfi.sectionattendancetakenevent t JOIN edfi.studentsectionassociation a
        ON a.localcoursecode = t.localcoursecode AND a.schoolid = t.schoolid AND a.schoolyear = t.schoolyear
       AND a.sectionidentifier = t.sectionidentifier AND a.sessionname = t.sessionname
       AND a.begindate <= t.date AND (a.enddate IS NULL OR a.enddate >= t.date)
     WHERE a.studentusi = :u AND (CAST(:s AS bigint) IS NULL OR t.schoolid = :s) AND t.date BETWEEN :b AND :e"""
_ROWS = """
    SELECT e.eventdate, d.codevalue FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d
        ON d.descriptorid = e.attendanceeventcategorydescriptorid
     WHERE e.studentusi = :u AND (CAST(:s AS bigint) IS NULL OR e.schoolid = :s) AND e.eventdate BETWEEN :b AND :e
     ORDER BY e.attendanceeventreason IS NOT NULL"""


def recorded_days(conn, usi: int, school: int | None = None, start: date = date.min,
                  end: date = date.max) -> dict[date, str]:
    """Each taken day of the student (optionally at one school, between two days) and its status."""
    p = {"u": usi, "s": school, "b": start, "e": end}
    taken = dict.fromkeys(conn.execute(text(_TAKEN), p).scalars(), "In Attendance")
    return taken | dict(conn.execute(text(_ROWS), p).all())  # the office's row last: it wins
