"""A daily attendance status always names a school and a term that exist. Migration 0037 dropped the
separate schoolid -> school key because the session key implies it; these rows are still refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

pytestmark = pytest.mark.integration

DAILY = text(
    "INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid, "
    "schoolyear, sessionname, studentusi) SELECT d.descriptorid, DATE '2026-10-05', :school, :year, :session, "
    "(SELECT min(studentusi) FROM edfi.student) FROM edfi.descriptor d "
    "WHERE d.codevalue = 'In Attendance' AND d.discriminator = 'edfi.AttendanceEventCategoryDescriptor'")


def _a_term(c):
    return c.execute(text("SELECT schoolid, schoolyear, sessionname FROM edfi.session ORDER BY 1, 2, 3 LIMIT 1")).one()


def _refused(demo_engine, sql, params) -> str:
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            with pytest.raises(IntegrityError) as caught:
                c.execute(sql, params)
        finally:
            tx.rollback()
    return str(caught.value.orig)


def test_a_daily_status_for_a_school_that_does_not_exist_is_refused(demo_engine):
    with demo_engine.connect() as c:
        term = _a_term(c)
    message = _refused(demo_engine, DAILY, {"school": 999999999, "year": term.schoolyear, "session": term.sessionname})
    assert "violates foreign key constraint" in message and "session" in message


def test_a_daily_status_for_a_term_the_school_does_not_have_is_refused(demo_engine):
    with demo_engine.connect() as c:
        term = _a_term(c)
    message = _refused(demo_engine, DAILY, {"school": term.schoolid, "year": term.schoolyear,
                                            "session": "No Such Term"})
    assert "violates foreign key constraint" in message


def test_a_school_with_terms_and_attendance_cannot_be_deleted(demo_engine):
    with demo_engine.connect() as c:
        school = c.execute(text("SELECT schoolid FROM edfi.studentschoolattendanceevent LIMIT 1")).scalar()
    assert school is not None
    message = _refused(demo_engine, text("DELETE FROM edfi.school WHERE schoolid = :s"), {"s": school})
    assert "violates foreign key constraint" in message
