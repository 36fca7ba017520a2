"""The student activity timeline in DynamoDB: newest first, paged, and a day's activity by GSI1."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from app.dynamo.timeline import day_activity, student_timeline
from app.sync.outbox import enqueue_many, student_activity_item
from app.sync.shipper import OutboxShipper

pytestmark = pytest.mark.integration


def test_a_students_timeline_newest_first_in_pages(engine, dynamo):
    student = f"TL{uuid.uuid4().hex[:8]}"
    start = datetime(2026, 10, 5, 8, 0, tzinfo=timezone.utc)
    with engine.begin() as conn:
        enqueue_many(conn, "StudentActivityLogs", [
            student_activity_item(student, f"A{i:03d}", start + timedelta(hours=i), "attendance.marked", {"n": i})
            for i in range(70)])
    shipper = OutboxShipper(engine, lambda: dynamo)
    while shipper.ship_once(ignore_backoff=True).delivered:
        pass
    first = student_timeline(dynamo, student, limit=50)
    assert [a.details["n"] for a in first.items] == list(range(69, 19, -1))
    assert first.next_key is not None
    second = student_timeline(dynamo, student, limit=50, start_key=first.next_key)
    assert [a.details["n"] for a in second.items] == list(range(19, -1, -1))
    day = day_activity(dynamo, "2026-10-06")
    mine = [a for a in day.items if a.student_unique_id == student]
    assert sorted(a.details["n"] for a in mine) == list(range(16, 40))


def test_the_demo_district_fills_its_students_timelines(demo_engine, dynamo):
    """A new user opening a demo student sees what happened to them: the absences of the seed, the
    enrollment, an incident, all delivered from the seed's outbox records."""
    from sqlalchemy import text

    from app.services.demo_timeline import RECENT_SCHOOL_DAYS
    from tests.conftest import DEMO_AS_OF

    written = demo_engine.seed_report.counts["sync.dynamo_outbox"]
    assert 400 < written < 400 * 4  # the meaningful events only, not every daily mark
    with demo_engine.connect() as c:
        uid, day, mark = c.execute(text(
            "SELECT s.studentuniqueid, a.eventdate, d.codevalue FROM edfi.studentschoolattendanceevent a "
            "JOIN edfi.student s USING (studentusi) JOIN edfi.descriptor d "
            "ON d.descriptorid = a.attendanceeventcategorydescriptorid "
            "WHERE d.codevalue = 'Unexcused Absence' ORDER BY a.eventdate DESC, s.studentusi LIMIT 1")).one()
        since = c.execute(text(  # the first of the last RECENT_SCHOOL_DAYS school days with attendance
            "SELECT min(eventdate) FROM (SELECT DISTINCT eventdate FROM edfi.studentschoolattendanceevent "
            "ORDER BY 1 DESC LIMIT :n) d"), {"n": RECENT_SCHOOL_DAYS}).scalar()
        days_off = c.execute(text(
            "SELECT count(*) FROM edfi.studentschoolattendanceevent a JOIN edfi.student s USING (studentusi) "
            "JOIN edfi.descriptor d ON d.descriptorid = a.attendanceeventcategorydescriptorid "
            "WHERE s.studentuniqueid = :u AND a.eventdate >= :since "
            "AND d.codevalue IN ('Excused Absence', 'Unexcused Absence', 'Tardy')"),
            {"u": uid, "since": since}).scalar()
        offender, incident = c.execute(text(
            "SELECT s.studentuniqueid, b.incidentidentifier FROM edfi.studentdisciplineincidentbehaviorassociation b "
            "JOIN edfi.student s USING (studentusi) ORDER BY 2 LIMIT 1")).one()
    shipper = OutboxShipper(demo_engine, lambda: dynamo)
    while shipper.ship_once(ignore_backoff=True).delivered:
        pass

    items = student_timeline(dynamo, uid, limit=100).items
    absences = [a for a in items if a.activity_type == "attendance.marked"]
    that_day = [(a.details["mark"], a.details["daily"]) for a in absences if a.details["date"] == day.isoformat()]
    assert that_day == [(mark, mark)]  # once, not once per class of the day
    assert len(absences) >= days_off  # every recent absence and late arrival of the seed
    assert items[-1].activity_type == "enrollment.enrolled"  # the oldest: the first day of school
    assert items[-1].details["entryDate"] < DEMO_AS_OF.isoformat()
    theirs = student_timeline(dynamo, offender, limit=100).items
    assert any(a.activity_type == "discipline.incident" and a.details["incident"] == incident for a in theirs)
