"""Writing DynamoDB-bound records into the PostgreSQL outbox, inside the caller's transaction.

Keys are built here, deterministically, from the record's own identity: a redelivered item
overwrites itself in DynamoDB instead of appearing twice.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Connection, Engine, text

from app.db.models.sync import dynamo_outbox
from app.dynamo.tables import TABLES


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in the outbox")


def item_json(item: dict) -> str:
    """An item as the outbox stores it (dates, decimals and ids as strings)."""
    return json.dumps(item, default=_plain)


def check_item(target_table: str, item: dict) -> None:
    """Refuse an item DynamoDB could never store under its key: an unknown table, a key attribute
    or index key that is missing, empty or not a string. A programming error, not a user's."""
    spec = TABLES.get(target_table)
    if spec is None:
        raise ValueError(f"unknown DynamoDB table {target_table}")
    for key in spec["KeySchema"]:
        value = item.get(key["AttributeName"])
        if not value or not isinstance(value, str):
            raise ValueError(f"{target_table} item lacks its key attribute {key['AttributeName']}")
    for index in spec.get("GlobalSecondaryIndexes", ()):
        for key in index["KeySchema"]:
            value = item.get(key["AttributeName"])
            if value is not None and (not value or not isinstance(value, str)):
                raise ValueError(f"{target_table} item has an unusable {key['AttributeName']} "
                                 f"for index {index['IndexName']}")


# inline(): no RETURNING and no sequence fetched beforehand. Staff roles may insert the two
# columns of a record but read nothing back, not even its id (migration 0008).
_INSERT = dynamo_outbox.insert().inline()


def _row(target_table: str, item: dict) -> dict:
    check_item(target_table, item)
    return {"target_table": target_table, "item": json.loads(json.dumps(item, default=_plain))}


def enqueue(conn: Connection, target_table: str, item: dict) -> None:
    conn.execute(_INSERT, [_row(target_table, item)])


def enqueue_many(conn: Connection, target_table: str, items: list[dict]) -> None:
    """All or nothing: one bad item refuses the whole list before anything is written."""
    rows = [_row(target_table, i) for i in items]
    if rows:
        conn.execute(_INSERT, rows)


@dataclass(frozen=True)
class OutboxSummary:
    waiting: int
    dead_lettered: int  # refused by DynamoDB too often, set aside: someone must look
    oldest_waiting_seconds: float | None


def outbox_summary(bind: Engine | Connection) -> OutboxSummary:
    """Counts only, through sync.outbox_summary(): every role may call it, none reads the records."""
    sql = text("SELECT waiting, dead_lettered, oldest_waiting_seconds FROM sync.outbox_summary()")
    if isinstance(bind, Connection):
        row = bind.execute(sql).one()
    else:
        with bind.connect() as conn:
            row = conn.execute(sql).one()
    return OutboxSummary(int(row[0]), int(row[1]), float(row[2]) if row[2] is not None else None)


def waiting_count(engine: Engine) -> int:
    return outbox_summary(engine).waiting


def iso_utc(ts: datetime) -> str:
    """Sortable UTC timestamp used inside sort keys (millisecond precision)."""
    ts = ts.astimezone(timezone.utc) if ts.tzinfo else ts.replace(tzinfo=timezone.utc)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def student_activity_item(student_unique_id: str, activity_id: str, at: datetime, activity_type: str,
                          details: dict, actor: str | None = None) -> dict:
    """An item of StudentActivityLogs: the student's timeline, also listed by day through GSI1."""
    stamp = iso_utc(at)
    return {
        "PK": f"STUDENT#{student_unique_id}",
        "SK": f"ACTIVITY#{stamp}#{activity_id}",
        "GSI1PK": f"DATE#{stamp[:10]}",
        "GSI1SK": f"STUDENT#{student_unique_id}",
        "ActivityId": activity_id,
        "ActivityType": activity_type,
        "Timestamp": stamp,
        "StudentUniqueId": student_unique_id,
        "Actor": actor,
        "Details": details,
    }


def system_event_item(stream: str, event_id: str, at: datetime, event_type: str, payload: dict) -> dict:
    stamp = iso_utc(at)
    return {"PK": f"STREAM#{stream}", "SK": f"EVENT#{stamp}#{event_id}", "EventType": event_type,
            "Timestamp": stamp, "EventId": event_id, "Payload": payload}


# -- for the shipper's login (the owner or so_shipper): staff roles cannot read these ----------------
@dataclass(frozen=True)
class DeadLetter:
    outbox_id: int
    target_table: str
    key: str
    rejections: int
    last_error: str
    created_at: datetime
    dead_lettered_at: datetime


def dead_letters(engine: Engine, limit: int = 20) -> list[DeadLetter]:
    """Records set aside after DynamoDB refused them, oldest first: key and reason, not content."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT outbox_id, target_table, coalesce(item->>'PK', item->>'SessionId', '?') "
            "|| coalesce(' / ' || (item->>'SK'), ''), rejections, coalesce(last_error, ''), created_at, dead_lettered_at "
            "FROM sync.dynamo_outbox WHERE dead_lettered_at IS NOT NULL ORDER BY outbox_id LIMIT :n"), {"n": limit})
        return [DeadLetter(*r) for r in rows]


def retry_dead_letters(engine: Engine) -> int:
    """Send the set-aside records again (after the cause was fixed): they get MAX_REJECTIONS more tries."""
    with engine.begin() as conn:
        return conn.execute(text(
            "UPDATE sync.dynamo_outbox SET dead_lettered_at = NULL, rejections = 0, next_attempt_at = now() "
            "WHERE dead_lettered_at IS NOT NULL")).rowcount
