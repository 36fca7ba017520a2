"""The attendance office's views against the demo district (attendance taken up to the day
before DEMO_AS_OF), each figure checked against a plain recount of the rows."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.services.attendance import load_roster, present_marks, save_roster
from app.services.attendance_office import averages_by_school, chronic_absence, daily_absences, sections_for_day
from tests.conftest import DEMO_AS_OF, rolled_back

pytestmark = pytest.mark.integration
RES, RMS, RHS = 255950001, 255950002, 255950003
NOW = datetime(2026, 11, 20, 14, 5, tzinfo=timezone.utc)


@pytest.fixture
def conn(demo_engine):
    yield from rolled_back(demo_engine)


def test_sections_not_taken_today_and_taken_after_saving(conn):
    today = sections_for_day(conn, DEMO_AS_OF, school_id=RHS)
    assert today and not any(s.taken for s in today)
    assert all(s.school == "RHS" and s.students > 0 for s in today)
    day_before = sections_for_day(conn, date(2026, 11, 19), school_id=RHS)
    assert len(day_before) == len(today) and all(s.taken for s in day_before)
    first = today[0]
    roster = load_roster(conn, first.key, DEMO_AS_OF)
    save_roster(conn, first.key, DEMO_AS_OF, present_marks(roster), now=NOW, today=DEMO_AS_OF)
    after = {s.key: s.taken for s in sections_for_day(conn, DEMO_AS_OF, school_id=RHS)}
    assert after[first.key] and sum(after.values()) == 1
    assert sections_for_day(conn, date(2026, 11, 21)) == []  # a Saturday: nothing is due


def test_the_daily_absence_list_names_every_absent_student(conn):
    day = date(2026, 11, 19)
    lines = daily_absences(conn, day)
    expected = conn.execute(text(
        "SELECT count(*) FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d "
        "ON d.descriptorid = e.attendanceeventcategorydescriptorid WHERE e.eventdate = :d "
        "AND d.codevalue IN ('Excused Absence', 'Unexcused Absence', 'Partial')"), {"d": day}).scalar()
    assert len(lines) == expected > 0
    assert {line.status for line in lines} <= {"Excused Absence", "Unexcused Absence", "Partial"}
    rhs = daily_absences(conn, day, RHS)
    assert rhs and all(line.school == "RHS" for line in rhs)
    assert [(line.school, line.name) for line in lines] == sorted((line.school, line.name) for line in lines)


def test_ada_and_adm_match_a_recount(conn):
    start, end = date(2026, 11, 9), date(2026, 11, 13)
    figures = {a.school_id: a.averages for a in averages_by_school(conn, start, end)}
    days = [date(2026, 11, d) for d in range(9, 14)]  # Mon-Fri, all school days in the demo calendar
    enrolled = absent = 0
    for d in days:
        enrolled += conn.execute(text(
            "SELECT count(*) FROM edfi.studentschoolassociation WHERE schoolid = :s AND entrydate <= :d "
            "AND (exitwithdrawdate IS NULL OR exitwithdrawdate >= :d)"), {"s": RMS, "d": d}).scalar()
        for code in conn.execute(text(
                "SELECT d.codevalue FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d "
                "ON d.descriptorid = e.attendanceeventcategorydescriptorid WHERE e.schoolid = :s AND e.eventdate = :d"),
                {"s": RMS, "d": d}).scalars():
            absent += {"Excused Absence": 1, "Unexcused Absence": 1, "Partial": 0.5}.get(code, 0)
    rms = figures[RMS]
    assert (rms.school_days, rms.enrolled_days, rms.absent_days) == (5, enrolled, Decimal(str(absent)))
    assert rms.adm == Decimal(enrolled / 5).quantize(Decimal("0.01"))
    assert rms.ada < rms.adm
    assert set(figures) == {RES, RMS, RHS}


def test_chronic_absence_lists_students_at_or_over_ten_percent(conn):
    start = date(2026, 8, 17)
    lines = chronic_absence(conn, RHS, start, DEMO_AS_OF)
    assert lines, "the demo district has chronically absent students"
    assert [line.rate for line in lines] == sorted((line.rate for line in lines), reverse=True)
    for line in lines[:5]:
        missed = conn.execute(text(
            "SELECT coalesce(sum(CASE d.codevalue WHEN 'Partial' THEN 0.5 ELSE 1 END), 0) "
            "FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d "
            "ON d.descriptorid = e.attendanceeventcategorydescriptorid WHERE e.studentusi = :u AND e.schoolid = :s "
            "AND d.codevalue IN ('Excused Absence', 'Unexcused Absence', 'Partial') AND e.eventdate <= :b"),
            {"u": line.student_usi, "s": RHS, "b": DEMO_AS_OF}).scalar()
        assert line.absent_days == missed and line.enrolled_days >= 10
        assert line.absent_days / line.enrolled_days >= Decimal("0.10")
    flagged = {line.student_usi for line in lines}
    everyone = conn.execute(text("SELECT count(*) FROM edfi.studentschoolassociation WHERE schoolid = :s"),
                            {"s": RHS}).scalar()
    assert len(flagged) < everyone / 3  # most students attend


def test_a_new_student_is_not_flagged_before_ten_days(conn):
    usi = conn.execute(text("SELECT studentusi FROM edfi.studentschoolassociation WHERE schoolid = :s ORDER BY 1 "
                            "LIMIT 1"), {"s": RHS}).scalar()
    conn.execute(text("UPDATE edfi.studentschoolassociation SET entrydate = '2026-11-16' WHERE studentusi = :u"),
                 {"u": usi})
    conn.execute(text("UPDATE edfi.studentschoolattendanceevent SET attendanceeventcategorydescriptorid = "
                      "(SELECT descriptorid FROM edfi.descriptor WHERE codevalue = 'Unexcused Absence' AND "
                      "namespace LIKE '%AttendanceEventCategory%') WHERE studentusi = :u AND eventdate >= '2026-11-16'"),
                 {"u": usi})
    assert usi not in {line.student_usi for line in chronic_absence(conn, RHS, date(2026, 8, 17), DEMO_AS_OF)}
