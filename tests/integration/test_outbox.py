"""DynamoDB-bound records go through the PostgreSQL outbox: delivered in batches, kept safe while
DynamoDB is down, and never duplicated by a redelivery."""

from __future__ import annotations

import json
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


def _refused_item(student: str) -> dict:
    """An item DynamoDB refuses: over its 400 KB item limit (it passes every key check)."""
    return student_activity_item(student, "A-BIG", datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc),
                                 "attendance.marked", {"note": "x" * 420_000})


def _row_state(engine, student: str, sk_part: str):
    with engine.connect() as c:
        return c.execute(text(
            "SELECT rejections, dead_lettered_at, last_error FROM sync.dynamo_outbox "
            "WHERE item->>'PK' = :pk AND item->>'SK' LIKE :sk"), {"pk": f"STUDENT#{student}", "sk": f"%{sk_part}%"}).one()


def test_a_refused_item_between_good_ones_is_set_aside_and_the_good_ones_arrive(engine, dynamo):
    from app.sync.outbox import dead_letters, outbox_summary
    from app.sync.shipper import MAX_REJECTIONS

    student = f"T{uuid.uuid4().hex[:8]}"
    items = activities(student, 40)
    with engine.begin() as conn:  # the bad one sits in the first batch of 25, between good ones
        enqueue_many(conn, "StudentActivityLogs", items[:10])
        enqueue(conn, "StudentActivityLogs", _refused_item(student))
        enqueue_many(conn, "StudentActivityLogs", items[10:])
    shipper = OutboxShipper(engine, lambda: dynamo)

    first = shipper.ship_once(ignore_backoff=True)
    assert first.error is None and first.rejected == 1
    assert count_student_items(dynamo, student) == 40  # nothing stalled behind it
    assert waiting_for(engine, student) == 1
    rejections, dead_at, last_error = _row_state(engine, student, "A-BIG")
    assert rejections == 1 and dead_at is None and "maximum allowed size" in last_error

    for _ in range(MAX_REJECTIONS - 1):  # bounded: a few more tries, then set aside
        shipper.ship_once(ignore_backoff=True)
    rejections, dead_at, _ = _row_state(engine, student, "A-BIG")
    assert rejections == MAX_REJECTIONS and dead_at is not None
    result = shipper.ship_once(ignore_backoff=True)
    assert result.dead_lettered >= 1
    assert _row_state(engine, student, "A-BIG")[0] == MAX_REJECTIONS  # no longer sent
    assert outbox_summary(engine).dead_lettered >= 1
    assert any(d.key.startswith(f"STUDENT#{student} / ") and "maximum allowed size" in d.last_error
               for d in dead_letters(engine, limit=1000))

    # SystemEvents says so: the key and the reason, not the record's content
    shipper.ship_once(ignore_backoff=True)
    events = dynamo.query(TableName="SystemEvents", KeyConditionExpression="PK = :pk",
                          ExpressionAttributeValues={":pk": {"S": "STREAM#outbox"}})["Items"]
    mine = [e for e in events if e["Payload"]["M"]["key"]["M"].get("PK") == {"S": f"STUDENT#{student}"}]
    assert len(mine) == 1 and mine[0]["EventType"] == {"S": "outbox.dead_lettered"}
    assert "xxxxxxxx" not in str(mine[0])

    with engine.begin() as c:
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->>'PK' = :pk"), {"pk": f"STUDENT#{student}"})


def test_a_record_that_can_never_be_stored_is_set_aside_at_once(engine, dynamo):
    student = f"T{uuid.uuid4().hex[:8]}"
    good = activities(student, 3)
    bad = dict(activities(student, 4)[3], GSI1PK=20261102)  # a number where GSI1 wants a string
    with engine.begin() as conn:
        enqueue(conn, "StudentActivityLogs", good[0])
        # bypasses enqueue's checks, like a record written by an older version of the app
        conn.execute(text("INSERT INTO sync.dynamo_outbox (target_table, item) VALUES ('StudentActivityLogs', "
                          "CAST(:i AS jsonb))"), {"i": json.dumps(bad)})
        enqueue_many(conn, "StudentActivityLogs", good[1:])
    result = OutboxShipper(engine, lambda: dynamo).ship_once(ignore_backoff=True)
    assert result.rejected == 1 and result.delivered >= 3
    assert count_student_items(dynamo, student) == 3
    rejections, dead_at, last_error = _row_state(engine, student, "A0003")
    assert rejections == 1 and dead_at is not None and "GSI1PK" in last_error  # no retry could fix it
    with engine.begin() as c:
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->>'PK' = :pk"), {"pk": f"STUDENT#{student}"})


def test_dynamodb_being_away_never_sets_a_record_aside(engine, tmp_path):
    from app.sync.shipper import MAX_REJECTIONS
    from tests.conftest import free_port

    student = f"T{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        enqueue_many(conn, "StudentActivityLogs", activities(student, 2))
    server = start_embedded_dynamodb(tmp_path, free_port())
    gone = make_client(server.endpoint, "us-east-1", local=True)
    server.release()
    shipper = OutboxShipper(engine, lambda: gone)
    for _ in range(MAX_REJECTIONS + 1):
        assert shipper.ship_once(ignore_backoff=True).error is not None
    rejections, dead_at, last_error = _row_state(engine, student, "A0001")
    assert rejections == 0 and dead_at is None and last_error
    assert waiting_for(engine, student) == 2
    with engine.begin() as c:
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->>'PK' = :pk"), {"pk": f"STUDENT#{student}"})


def test_enqueue_many_refuses_a_list_with_one_unkeyed_item_and_writes_none_of_it(engine):
    student = f"T{uuid.uuid4().hex[:8]}"
    items = activities(student, 3)
    broken = {k: v for k, v in items[1].items() if k != "SK"}
    with engine.begin() as conn:
        with pytest.raises(ValueError, match="lacks its key attribute SK"):
            enqueue_many(conn, "StudentActivityLogs", [items[0], broken, items[2]])
        with pytest.raises(ValueError, match="GSI1PK"):
            enqueue_many(conn, "StudentActivityLogs", [dict(items[0], GSI1PK="")])
    assert waiting_for(engine, student) == 0


def test_status_lists_a_dead_letter_and_ship_sends_it_again_on_request(engine, dynamo, settings, monkeypatch, capsys):
    from app.cli import main
    from app.sync.shipper import MAX_REJECTIONS

    for key, value in {"SCHOOL_OFFICE_DATA_DIR": str(settings.data_dir), "HOME": str(settings.data_dir),
                       "SCHOOL_OFFICE_DYNAMODB_PORT": str(settings.dynamodb_port)}.items():
        monkeypatch.setenv(key, value)
    student = f"T{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        enqueue(conn, "StudentActivityLogs", _refused_item(student))
    shipper = OutboxShipper(engine, lambda: dynamo)
    for _ in range(MAX_REJECTIONS):
        shipper.ship_once(ignore_backoff=True)
    capsys.readouterr()

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "set aside after DynamoDB refused" in out and "(dead letter" in out
    line = next(x for x in out.splitlines() if f"STUDENT#{student} / " in x)
    assert f"refused {MAX_REJECTIONS}x" in line and "maximum allowed size" in line
    assert "ship --retry-dead-letters" in out

    assert main(["ship", "--retry-dead-letters"]) == 0
    out = capsys.readouterr().out
    assert "Set-aside records to send again: " in out and "Delivered " in out
    rejections, dead_at, _ = _row_state(engine, student, "A-BIG")
    assert 1 <= rejections <= MAX_REJECTIONS  # tried again from the start
    with engine.begin() as c:
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->>'PK' = :pk"), {"pk": f"STUDENT#{student}"})


def test_ship_watch_keeps_delivering_until_interrupted(engine, dynamo, capsys):
    from app.cli import ship_watch

    student = f"T{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        enqueue_many(conn, "StudentActivityLogs", activities(student, 5))
    naps = []

    def sleep(seconds):  # stands in for the clock: the operator presses Ctrl+C on the third wait
        naps.append(seconds)
        if len(naps) == 2:  # records arriving between passes are picked up by the next one
            with engine.begin() as conn:
                enqueue_many(conn, "StudentActivityLogs", activities(student, 8)[5:])
        if len(naps) == 3:
            raise KeyboardInterrupt

    assert ship_watch(OutboxShipper(engine, lambda: dynamo), 2.0, sleep=sleep) >= 8
    assert count_student_items(dynamo, student) == 8 and waiting_for(engine, student) == 0
    assert "Delivered" in capsys.readouterr().out
