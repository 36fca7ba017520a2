"""Two saves of the same roster at once (two teachers, a double click), as the demo teacher, each
on its own connection: both succeed, one mark per student, and the audit trail tells the story."""

from __future__ import annotations

import json
import threading
import time as clock
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

from app.services.attendance import Mark, load_roster, present_marks, save_roster
from app.services.attendance_office import sections_for_day
from app.services.audit_trail import AuditFilter, list_audit

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def teacher_day(demo_engine, login_engine):
    """The demo teacher's first section on a school day nobody has marked yet; the test's saves
    are committed, so they are removed afterwards."""
    teacher = login_engine("demo_teacher")
    with demo_engine.connect() as c:
        day = c.execute(text(
            "SELECT min(e.date) FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d "
            "ON d.descriptorid = e.calendareventdescriptorid JOIN edfi.educationorganization eo "
            "ON eo.educationorganizationid = e.schoolid WHERE eo.shortnameofinstitution = 'RHS' "
            "AND d.codevalue = 'Instructional day' AND e.date >= '2026-12-01'")).scalar()
    with teacher.connect() as c:
        key = sections_for_day(c, day, mine_only=True)[0].key
        roster = load_roster(c, key, day)
    assert not roster.taken and len(roster.lines) >= 3
    yield teacher, key, day, roster
    with demo_engine.begin() as c:
        usis = [line.student_usi for line in roster.lines]
        c.execute(text("DELETE FROM edfi.studentsectionattendanceevent WHERE eventdate = :d AND studentusi = ANY(:u)"),
                  {"d": day, "u": usis})
        c.execute(text("DELETE FROM edfi.studentschoolattendanceevent WHERE eventdate = :d AND studentusi = ANY(:u)"),
                  {"d": day, "u": usis})
        c.execute(text("DELETE FROM edfi.sectionattendancetakenevent WHERE date = :d"), {"d": day})
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->'Details'->>'date' = :d "
                       "OR item->>'Date' = :d"), {"d": day.isoformat()})


def run_together(*jobs):
    """Run each job in its own thread; return their results (an exception is a result too)."""
    results = [None] * len(jobs)

    def wrap(i, job):
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            results[i] = exc
    threads = [threading.Thread(target=wrap, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def section_marks(engine, key, day) -> list[tuple[int, str]]:
    """The marks stored for the section's day: its exceptions (a present is not stored)."""
    with engine.connect() as c:
        return c.execute(text(
            "SELECT e.studentusi, d.codevalue FROM edfi.studentsectionattendanceevent e JOIN edfi.descriptor d "
            "ON d.descriptorid = e.attendanceeventcategorydescriptorid WHERE e.eventdate = :d "
            "AND e.sectionidentifier = :s AND e.schoolid = :sid ORDER BY 1"),
            {"d": day, "s": key.section_identifier, "sid": key.school_id}).all()


def test_two_teachers_saving_one_roster_at_once_both_succeed(teacher_day, demo_engine):
    teacher, key, day, roster = teacher_day
    first, second = roster.lines[0].student_usi, roster.lines[1].student_usi
    marks_a = present_marks(roster) | {first: Mark("Unexcused Absence")}
    marks_b = present_marks(roster) | {second: Mark("Excused Absence")}
    a_saved = threading.Event()

    def teacher_a():
        with teacher.begin() as c:
            result = save_roster(c, key, day, marks_a, now=NOW, today=day)
            a_saved.set()
            clock.sleep(0.6)  # still uncommitted while the second save starts
            return result

    def teacher_b():
        assert a_saved.wait(30)
        started = clock.perf_counter()
        with teacher.begin() as c:
            result = save_roster(c, key, day, marks_b, now=NOW, today=day)
        return result, clock.perf_counter() - started

    res_a, res_b = run_together(teacher_a, teacher_b)
    assert not isinstance(res_a, Exception) and not isinstance(res_b, Exception), (res_a, res_b)
    (res_b, waited) = res_b
    assert waited >= 0.4  # the second save waited for the first to commit, then read its marks
    assert res_a.changed == len(roster.lines)
    assert res_b.changed == 2  # the first student back to present, the second one absent
    # one mark per student, the last save's: the exceptions stored, everyone else present
    assert section_marks(demo_engine, key, day) == [(second, "Excused Absence")]
    with demo_engine.connect() as c:
        assert {line.student_usi: line.mark for line in load_roster(c, key, day).lines} == marks_b
    with demo_engine.connect() as c:
        # as the administrator's audit trail lists it: one line per changed row
        trail = list_audit(c, AuditFilter(user="demo_teacher", table_name="edfi.studentsectionattendanceevent",
                                          date_from=date.today()), limit=5000)
        records = [(e.operation, json.loads(e.record_id)) for e in trail]
        ops = [(op, r["studentusi"]) for op, r in records
               if r["eventdate"] == day.isoformat() and r["sectionidentifier"] == key.section_identifier]
        daily = dict(c.execute(text(
            "SELECT e.studentusi, d.codevalue FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d "
            "ON d.descriptorid = e.attendanceeventcategorydescriptorid "
            "WHERE e.eventdate = :d AND e.studentusi = ANY(:u)"),
            {"d": day, "u": [first, second]}).all())
    # the audit trail: the first teacher's absence, then the second teacher's two changes (the first
    # student back to present is the absence deleted)
    assert sorted((op, int(u)) for op, u in ops) == sorted([("INSERT", first), ("DELETE", first), ("INSERT", second)])
    # the day's status is rolled up from the marks as they finally stand (a present day has no row)
    assert res_b.daily[first] == "In Attendance" and res_a.daily[first] != "In Attendance"
    assert daily == {second: res_b.daily[second]}


def test_a_double_click_saves_once(teacher_day, demo_engine):
    teacher, key, day, roster = teacher_day
    marks = present_marks(roster) | {roster.lines[0].student_usi: Mark("Tardy")}
    both_ready = threading.Barrier(2)

    def save():
        with teacher.begin() as c:
            both_ready.wait(10)  # the two saves start together
            return save_roster(c, key, day, marks, now=NOW, today=day)

    results = run_together(save, save)
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.changed for r in results) == [0, len(roster.lines)]
    assert section_marks(demo_engine, key, day) == [(roster.lines[0].student_usi, "Tardy")]
    with demo_engine.connect() as c:
        taken = c.execute(text("SELECT count(*) FROM edfi.sectionattendancetakenevent WHERE date = :d "
                               "AND sectionidentifier = :s"), {"d": day, "s": key.section_identifier}).scalar()
    assert taken == 1
    with demo_engine.connect() as c:
        activities = c.execute(text(
            "SELECT count(*) FROM sync.dynamo_outbox WHERE target_table = 'StudentActivityLogs' "
            "AND item->'Details'->>'date' = :d AND item->'Details'->>'section' = :s"),
            {"d": day.isoformat(), "s": key.section_identifier}).scalar()
    assert activities == 1  # the tardy student's entry, once, not twice (a first "present" makes none)


def test_a_save_that_cannot_get_its_turn_fails_like_any_statement_and_saves_nothing(teacher_day, demo_engine):
    """The lock and the check go to the server together (one round trip); when the lock is not
    granted in time the caller gets SQLAlchemy's OperationalError, as from conn.execute (what the
    desk turns into a sentence), the engine's handle_error listeners see it (the sign-in session
    ends there when a login is turned off), and the connection is usable again after the rollback."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    teacher, key, day, roster = teacher_day
    marks = present_marks(roster)
    seen: list[str] = []

    def listener(ctx):
        seen.append(str(ctx.original_exception))
    event.listen(teacher, "handle_error", listener)
    try:
        with teacher.connect() as holder, teacher.connect() as saver:
            holder_tx = holder.begin()
            holder.execute(text("SELECT pg_advisory_xact_lock(:u, :d)"),
                           {"u": roster.lines[0].student_usi, "d": day.toordinal()})
            tx = saver.begin()
            saver.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                save_roster(saver, key, day, marks, now=NOW, today=day)
            tx.rollback()
            holder_tx.rollback()
            assert saver.execute(text("SELECT 1")).scalar() == 1
    finally:
        event.remove(teacher, "handle_error", listener)
    assert any("lock timeout" in s for s in seen)
    assert section_marks(demo_engine, key, day) == []
    with demo_engine.connect() as c:
        assert not load_roster(c, key, day).taken
