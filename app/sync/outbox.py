"""Writing DynamoDB-bound records into the PostgreSQL outbox, inside the caller's transaction.

Keys are built here, deterministically, from the record's own identity: a redelivered item
overwrites itself in DynamoDB instead of appearing twice.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Connection, Engine, func, select

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


def enqueue(conn: Connection, target_table: str, item: dict) -> None:
    if target_table not in TABLES:
        raise ValueError(f"unknown DynamoDB table {target_table}")
    for key in TABLES[target_table]["KeySchema"]:
        if not item.get(key["AttributeName"]):
            raise ValueError(f"{target_table} item lacks its key attribute {key['AttributeName']}")
    conn.execute(dynamo_outbox.insert().values(target_table=target_table,
                                               item=json.loads(json.dumps(item, default=_plain))))


def enqueue_many(conn: Connection, target_table: str, items: list[dict]) -> None:
    if items:
        conn.execute(dynamo_outbox.insert(), [
            {"target_table": target_table, "item": json.loads(json.dumps(i, default=_plain))} for i in items
        ])


def waiting_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(dynamo_outbox)).scalar_one()


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
