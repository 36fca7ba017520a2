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
