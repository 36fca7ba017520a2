"""The profile's allergy badge opens the Nurse desk on that student's record, logged once with the
reason the window asked for (issue 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.ui.helpers import modal_closed_after, sign_in_as, until
from ui.screens.nurse.page import NursePage

pytestmark = pytest.mark.ui


def nurse_with_a_student_with_an_allergy(w, run_async, demo_engine):
    """The window started, the demo nurse signed in, and a student of her school with an allergy."""
    w.show()
    assert run_async(w.start())
    assert sign_in_as(w, "demo_nurse", run_async)
    with demo_engine.connect() as c:
        usi = c.execute(text("SELECT a.student_usi FROM health.allergies a JOIN edfi.studentschoolassociation s "
                             "ON s.studentusi = a.student_usi WHERE s.schoolid = ANY(:m) ORDER BY 1 LIMIT 1"),
                        {"m": list(w.user.school_ids)}).scalar()
    return w, usi


def test_the_health_badge_opens_the_students_record_on_the_nurse_desk(demo_window, run_async, demo_engine):
    w, usi = nurse_with_a_student_with_an_allergy(demo_window, run_async, demo_engine)
    w.ask_reason = lambda name, kind: "Student in the office with hives"
    assert run_async(w.open_profile(usi))
    assert run_async(w.open_sensitive_record(usi, "health", "nurse"))
    page = w.pages.currentWidget()
    assert isinstance(page, NursePage)
    run_async(until(lambda: page.record.opened is not None))
    assert page.tabs.currentWidget() is page.record
    assert page.record.opened.record.student.student_usi == usi
    assert page.record.opened.record.allergies
    with demo_engine.connect() as c:
        views = c.execute(text("SELECT justification FROM compliance.audit_logs WHERE operation = 'VIEW' "
                               "AND record_id = :r ORDER BY id"), {"r": f'{{"studentusi": {usi}}}'}).scalars().all()
    # the window's reason is logged once; the desk may log its own reads of the record meanwhile (the
    # immunization status, with its own reason), depending on how far its tabs have loaded
    assert views.count("Student in the office with hives") == 1


def test_a_nurse_opening_a_profile_sets_no_front_office_work_going(demo_window, run_async, demo_engine, caplog):
    """The front office desk is not the nurse's: opening a student must not run its enrolment and schedule look-ups
    as her (her sign-in may not read them; each profile she opened logged a refused query and a traceback)."""
    import logging

    w = demo_window
    w.show()
    assert run_async(w.start())
    assert sign_in_as(w, "demo_nurse", run_async)
    with demo_engine.connect() as c:
        usi = c.execute(text("SELECT s.studentusi FROM edfi.studentschoolassociation s WHERE s.schoolid = ANY(:m) "
                             "ORDER BY 1 LIMIT 1"), {"m": list(w.user.school_ids)}).scalar()
    caplog.set_level(logging.ERROR)
    assert run_async(w.open_profile(usi))
    run_async(until(lambda: w.profile is not None))
    assert w.front_office.student is None
    refused = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert refused == [], [r.getMessage() for r in refused]


def test_the_reason_for_a_record_is_asked_while_the_window_goes_on_working(demo_window, run_async, demo_engine,
                                                                          caplog):
    """The first sensitive record a sign-in opens asks why, in the window's own dialog (not a test's stand-in).
    While it is open the window's other work goes on: an exec()'ed dialog inside the coroutine stopped every other
    task of the event loop ("Cannot enter into task"), and they were lost."""
    import asyncio
    import logging

    w, usi = nurse_with_a_student_with_an_allergy(demo_window, run_async, demo_engine)
    assert run_async(w.open_profile(usi))
    caplog.set_level(logging.ERROR)

    async def the_nurse_answers():
        opening = asyncio.ensure_future(w.open_sensitive_record(usi, "health", "nurse"))
        await until(lambda: getattr(w, "dialog", None) is not None)
        await asyncio.sleep(0.2)  # the loop's other tasks run while the question is open
        w.dialog.setTextValue("Checking allergies before the field trip")
        w.dialog.accept()
        return await opening
    with modal_closed_after(8):  # (a dialog that blocked the loop could not be answered: closed, the test fails)
        assert run_async(the_nurse_answers())
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    with demo_engine.connect() as c:
        views = c.execute(text("SELECT justification FROM compliance.audit_logs WHERE operation = 'VIEW' "
                               "AND record_id = :r"), {"r": f'{{"studentusi": {usi}}}'}).scalars().all()
    assert "Checking allergies before the field trip" in views
