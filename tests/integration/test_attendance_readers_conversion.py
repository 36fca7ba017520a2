"""The conversion to attendance-as-exceptions keeps every figure a user reads.

Riverbend Elementary's term so far is turned back into the rows the old model kept (a mark for every
student of a taken section, a daily row for every taken day, present ones included, no taken events),
plus what the old model could hold besides: a day only the office recorded (an in-school suspension)
and a daily "In Attendance" row with no reason and no section mark (a district that imports daily
attendance only). Every figure is read the way the readers read it before the change, then the
migration's conversion runs and the readers of the new model must give the same figures: which
sections took attendance each day, each student's calendar, the report card's days present, absent and
tardy, the absence lists, ADA/ADM and chronic absence.
"""

from __future__ import annotations

import importlib.util
from datetime import date, datetime, time, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from app.services import discipline as D
from app.services.attendance import Mark, SectionKey, load_roster, save_roster, student_attendance_calendar
from app.services.attendance_office import averages_by_school, chronic_absence, daily_absences, sections_for_day
from app.services.grades import report_cards
from app.services.grades.entry import PeriodKey
from tests.conftest import DEMO_AS_OF, rolled_back

pytestmark = pytest.mark.integration
RES = 255950001
DAY = DEMO_AS_OF
TERM = (date(2026, 8, 17), DAY)
NOW = datetime(2026, 11, 20, 14, 5, tzinfo=timezone.utc)
ROOMS = ("HR1-F01", "HR2-F01", "HR3-F01")


def convert_sql() -> str:
    path = next((Path(__file__).resolve().parents[2] / "app/db/migrations/versions").glob(
        "*_attendance_as_exceptions.py"))
    spec = importlib.util.spec_from_file_location("attendance_as_exceptions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CONVERT_SQL


@pytest.fixture
def conn(demo_engine):
    yield from rolled_back(demo_engine)


def section(conn, ident: str) -> SectionKey:
    return SectionKey(*conn.execute(text(
        "SELECT localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname FROM edfi.section "
        "WHERE schoolid = :s AND sectionidentifier = :i"), {"s": RES, "i": ident}).one())


def back_to_the_old_rows(conn) -> None:
    """Riverbend Elementary's rows as the old model kept them: every present mark and every taken day's
    daily row written out, no taken events."""
    present = ("(SELECT descriptorid FROM edfi.descriptor WHERE codevalue = 'In Attendance' "
               "AND discriminator = 'edfi.AttendanceEventCategoryDescriptor')")
    conn.execute(text(f"""
        INSERT INTO edfi.studentsectionattendanceevent (attendanceeventcategorydescriptorid, eventdate, localcoursecode,
               schoolid, schoolyear, sectionidentifier, sessionname, studentusi)
        SELECT {present}, t.date, t.localcoursecode, t.schoolid, t.schoolyear, t.sectionidentifier, t.sessionname,
               a.studentusi
          FROM edfi.sectionattendancetakenevent t JOIN edfi.studentsectionassociation a
            ON a.localcoursecode = t.localcoursecode AND a.schoolid = t.schoolid AND a.schoolyear = t.schoolyear
           AND a.sectionidentifier = t.sectionidentifier AND a.sessionname = t.sessionname
           AND a.begindate <= t.date AND (a.enddate IS NULL OR a.enddate >= t.date)
         WHERE t.schoolid = :s
           AND NOT EXISTS (SELECT 1 FROM edfi.studentsectionattendanceevent e WHERE e.studentusi = a.studentusi
                              AND e.eventdate = t.date AND e.localcoursecode = t.localcoursecode
                              AND e.schoolid = t.schoolid AND e.schoolyear = t.schoolyear
                              AND e.sectionidentifier = t.sectionidentifier AND e.sessionname = t.sessionname)"""),
                 {"s": RES})
    conn.execute(text(f"""
        INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid,
               schoolyear, sessionname, studentusi, eventduration)
        SELECT DISTINCT ON (e.studentusi, e.eventdate) {present}, e.eventdate, e.schoolid, e.schoolyear,
               e.sessionname, e.studentusi, 0
          FROM edfi.studentsectionattendanceevent e
         WHERE e.schoolid = :s AND NOT EXISTS (SELECT 1 FROM edfi.studentschoolattendanceevent x
                                                WHERE x.studentusi = e.studentusi AND x.eventdate = e.eventdate
                                                  AND x.schoolid = e.schoolid)
         ORDER BY e.studentusi, e.eventdate"""), {"s": RES})
    conn.execute(text("DELETE FROM edfi.sectionattendancetakenevent WHERE schoolid = :s"), {"s": RES})


def old_figures(conn, students: list[int], periods: list[PeriodKey], days: list[date]) -> dict:
    """What the readers showed before the change, read from the old rows the way they read them."""
    taken = {(r[0], r[1]) for r in conn.execute(text(
        "SELECT DISTINCT sectionidentifier, eventdate FROM edfi.studentsectionattendanceevent "
        "WHERE schoolid = :s AND eventdate = ANY(:d)"), {"s": RES, "d": days})}
    calendar = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(text(
        "SELECT DISTINCT ON (x.studentusi, x.eventdate) x.studentusi, x.eventdate, d.codevalue, "
        "x.attendanceeventreason FROM edfi.studentschoolattendanceevent x JOIN edfi.descriptor d "
        "ON d.descriptorid = x.attendanceeventcategorydescriptorid WHERE x.schoolid = :s AND x.studentusi = ANY(:u) "
        "ORDER BY x.studentusi, x.eventdate, (x.attendanceeventreason IS NOT NULL) DESC"), {"s": RES, "u": students})}
    cards = {}
    uid = dict(conn.execute(text("SELECT studentusi, studentuniqueid FROM edfi.student WHERE studentusi = ANY(:u)"),
                            {"u": students}).all())
    for p in periods:
        b, e = conn.execute(text(
            "SELECT begindate, enddate FROM edfi.gradingperiod WHERE gradingperioddescriptorid = :gpd "
            "AND gradingperiodname = :gpname AND schoolid = :gpschool AND schoolyear = :gpsy"), p.params()).one()
        counts = {r[0]: (r[3], r[1], r[2]) for r in conn.execute(text(
            "SELECT e.studentusi, count(*) FILTER (WHERE d.codevalue LIKE '%Absence') AS absent, "
            "  count(*) FILTER (WHERE d.codevalue = 'Tardy') AS tardy, "
            "  count(DISTINCT e.eventdate) FILTER (WHERE d.codevalue IN ('In Attendance', 'Tardy')) AS present "
            "FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d "
            "  ON d.descriptorid = e.attendanceeventcategorydescriptorid "
            "WHERE e.schoolid = :s AND e.studentusi = ANY(:u) AND e.eventdate BETWEEN :b AND :e GROUP BY e.studentusi"),
            {"s": RES, "u": students, "b": b, "e": e})}
        cards[p.name] = {uid[u]: counts.get(u, (0, 0, 0)) for u in students}
    return {"taken": taken, "calendar": calendar, "cards": cards, **same_sql_figures(conn, days)}


def same_sql_figures(conn, days: list[date]) -> dict:
    """The readers whose SQL did not change (they read only absence rows)."""
    return {"absences": {d: daily_absences(conn, d, RES) for d in days},
            "averages": averages_by_school(conn, *TERM), "week": averages_by_school(conn, date(2026, 11, 16), DAY),
            "chronic": chronic_absence(conn, RES, *TERM)}


def new_figures(conn, students: list[int], periods: list[PeriodKey], days: list[date]) -> dict:
    taken = {(s.key.section_identifier, d) for d in days for s in sections_for_day(conn, d, school_id=RES) if s.taken}
    calendar = {}
    for u in students:
        for d in student_attendance_calendar(conn, u, today=DAY).days:
            if d.status is not None:
                calendar[(u, d.day)] = (d.status, d.reason)
    cards = {p.name: {c.student_id: (c.days_present, c.days_absent, c.tardies)
                      for c in report_cards.report_cards(conn, RES, students, p)} for p in periods}
    return {"taken": taken, "calendar": calendar, "cards": cards, **same_sql_figures(conn, days)}


def test_converting_the_old_rows_keeps_every_figure(conn):
    # the day of the test: one homeroom taken with exceptions, the dean's in-school suspension of a student
    # of a homeroom not taken, and an imported daily-only present day of another of its students
    hr1, hr3 = section(conn, "HR1-F01"), section(conn, "HR3-F01")
    room1 = [line.student_usi for line in load_roster(conn, hr1, DAY).lines]
    room3 = [line.student_usi for line in load_roster(conn, hr3, DAY).lines]
    marks = {u: Mark("In Attendance") for u in room1}
    marks[room1[0]], marks[room1[1]] = Mark("Unexcused Absence"), Mark("Tardy", time(8, 20))
    save_roster(conn, hr1, DAY, marks, now=NOW, today=DAY)
    ident = D.record_incident(conn, D.NewIncident(
        RES, DAY, time(8, 5), "Classroom", "Pushed a classmate in line.", "Staff", "Ms. Rivera", False, "",
        (D.InvolvedStudent(room3[0], "Perpetrator", ("School Code of Conduct",)),)), now=NOW, today=DAY)
    D.record_action(conn, D.NewAction(room3[0], ident, RES, "School Code of Conduct", "In School Suspension", DAY,
                                      "1", generate_attendance=True), now=NOW)
    conn.execute(text(
        "INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid, "
        "schoolyear, sessionname, studentusi, eventduration) SELECT descriptorid, :d, :s, :sy, :sess, :u, 0 "
        "FROM edfi.descriptor WHERE codevalue = 'In Attendance' AND discriminator = "
        "'edfi.AttendanceEventCategoryDescriptor'"),
        {"d": DAY, "s": RES, "sy": hr3.school_year, "sess": hr3.session_name, "u": room3[1]})
    students = sorted({u for ident in ROOMS for u in
                       (line.student_usi for line in load_roster(conn, section(conn, ident), DAY).lines)})
    periods = [PeriodKey(*r) for r in conn.execute(text(
        "SELECT gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear FROM edfi.gradingperiod "
        "WHERE schoolid = :s AND begindate <= :d ORDER BY begindate"), {"s": RES, "d": DAY})]
    days = [date(2026, 11, d) for d in (2, 10, 19, 20)]

    back_to_the_old_rows(conn)
    before = old_figures(conn, students, periods, days)
    # the old rows are what the old model held: a present row for most of each taken day's students
    assert sum(v[0] == "In Attendance" for v in before["calendar"].values()) > 40 * len(students)
    assert ("HR1-F01", DAY) in before["taken"] and ("HR3-F01", DAY) not in before["taken"]
    assert before["calendar"][(room3[0], DAY)][0] == before["calendar"][(room3[1], DAY)][0] == "In Attendance"

    conn.execute(text(convert_sql()))
    after = new_figures(conn, students, periods, days)
    assert conn.execute(text(
        "SELECT count(*) FROM edfi.studentsectionattendanceevent e JOIN edfi.descriptor d "
        "ON d.descriptorid = e.attendanceeventcategorydescriptorid WHERE e.schoolid = :s "
        "AND d.codevalue = 'In Attendance'"), {"s": RES}).scalar() == 0  # converted: exceptions only
    for figure in ("taken", "calendar", "cards", "absences", "averages", "week", "chronic"):
        assert after[figure] == before[figure], figure
