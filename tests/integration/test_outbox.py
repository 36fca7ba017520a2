"""DynamoDB-bound records go through the PostgreSQL outbox: delivered in batches, kept safe while
DynamoDB is down, and never duplicated by a redelivery."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from app.dynamo.client import make_client
from app.dynamo.tables import create_tables
from app.embedded.dynamodb import start_embedded_dynamodb
from app.sync.outbox import enqueue, enqueue_many, student_activity_item
from app.sync.shipper import OutboxShipper

pytestmark = pytest.mark.integration


def activities(student: str, n: int, start: datetime | None = None) -> list[dict]:
    start = start or datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    return [student_activity_item(student, f"A{i:04d}", start + timedelta(minutes=i), "attendance.marked",
                                  {"status": "Present", "n": i}) for i in range(n)]


def count_student_items(client, student: str) -> int:
    total, kwargs = 0, {}
    while True:
        r = client.query(TableName="StudentActivityLogs", KeyConditionExpression="PK = :pk",
                         ExpressionAttributeValues={":pk": {"S": f"STUDENT#{student}"}}, Select="COUNT", **kwargs)
        total += r["Count"]
        if "LastEvaluatedKey" not in r:
            return total
        kwargs = {"ExclusiveStartKey": r["LastEvaluatedKey"]}


def waiting_for(engine, student: str) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM sync.dynamo_outbox WHERE item->>'PK' = :pk"),
                         {"pk": f"STUDENT#{student}"}).scalar()


def test_records_committed_with_the_business_change_are_delivered_in_batches(engine, dynamo):
    student = f"T{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        enqueue_many(conn, "StudentActivityLogs", activities(student, 60))  # more than two batches of 25
    shipper = OutboxShipper(engine, lambda: dynamo)
    while shipper.ship_once(ignore_backoff=True).delivered:
        pass
    assert waiting_for(engine, student) == 0
    assert count_student_items(dynamo, student) == 60
    item = dynamo.get_item(TableName="StudentActivityLogs", Key={
        "PK": {"S": f"STUDENT#{student}"}, "SK": {"S": "ACTIVITY#2026-11-02T08:05:00.000Z#A0005"}})["Item"]
    assert item["GSI1PK"] == {"S": "DATE#2026-11-02"}
    assert item["Details"]["M"]["status"] == {"S": "Present"}


def test_a_rolled_back_change_leaves_nothing_to_deliver(engine):
    student = f"T{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            enqueue(conn, "StudentActivityLogs", activities(student, 1)[0])
            raise RuntimeError("the business change failed")
    assert waiting_for(engine, student) == 0


def test_records_wait_through_a_dynamodb_outage_and_arrive_once_it_returns(engine, tmp_path):
    from tests.conftest import free_port

    student = f"T{uuid.uuid4().hex[:8]}"
    server = start_embedded_dynamodb(tmp_path, free_port())
    client = make_client(server.endpoint, "us-east-1", local=True)
    create_tables(client)
    server.release()  # the only user leaves: DynamoDB Local stops — an outage

    with engine.begin() as conn:
        enqueue_many(conn, "StudentActivityLogs", activities(student, 30))
    shipper = OutboxShipper(engine, lambda: client)
    result = shipper.ship_once(ignore_backoff=True)
    assert result.error is not None and result.delivered == 0
    assert waiting_for(engine, student) == 30
    with engine.connect() as c:
        attempts, last_error = c.execute(text(
            "SELECT min(attempts), min(last_error) FROM sync.dynamo_outbox WHERE item->>'PK' = :pk"),
            {"pk": f"STUDENT#{student}"}).one()
    assert attempts == 1 and last_error

    restarted = start_embedded_dynamodb(tmp_path, free_port())  # same data folder, back again
    try:
        back = make_client(restarted.endpoint, "us-east-1", local=True)
        shipper = OutboxShipper(engine, lambda: back)
        while shipper.ship_once(ignore_backoff=True).delivered:
            pass
        assert waiting_for(engine, student) == 0
        assert count_student_items(back, student) == 30
    finally:
        restarted.release()


def test_a_redelivery_overwrites_instead_of_duplicating(engine, dynamo, monkeypatch):
    student = f"T{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        enqueue_many(conn, "StudentActivityLogs", activities(student, 10))
    shipper = OutboxShipper(engine, lambda: dynamo)
    real_deliver = shipper._deliver

    def deliver_then_crash(client, rows):
        real_deliver(client, rows)  # DynamoDB accepts every item...
        raise ConnectionError("workstation lost power before the outbox was cleared")

    monkeypatch.setattr(shipper, "_deliver", deliver_then_crash)
    with pytest.raises(ConnectionError):
        shipper.ship_once(ignore_backoff=True)
    assert waiting_for(engine, student) == 10  # the delete was rolled back with the crash
    assert count_student_items(dynamo, student) == 10

    monkeypatch.setattr(shipper, "_deliver", real_deliver)
    while shipper.ship_once(ignore_backoff=True).delivered:
        pass
    assert waiting_for(engine, student) == 0
    assert count_student_items(dynamo, student) == 10  # redelivered, not duplicated


def test_same_key_twice_in_one_pass_keeps_the_newest(engine, dynamo):
    student = f"T{uuid.uuid4().hex[:8]}"
    item = activities(student, 1)[0]
    newer = dict(item, Details={"status": "Tardy"})
    with engine.begin() as conn:
        enqueue(conn, "StudentActivityLogs", item)
        enqueue(conn, "StudentActivityLogs", newer)
    OutboxShipper(engine, lambda: dynamo).ship_once(ignore_backoff=True)
    assert waiting_for(engine, student) == 0
    got = dynamo.get_item(TableName="StudentActivityLogs", Key={"PK": {"S": item["PK"]}, "SK": {"S": item["SK"]}})
    assert got["Item"]["Details"]["M"]["status"] == {"S": "Tardy"}
