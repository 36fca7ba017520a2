"""The student activity timeline, read from DynamoDB StudentActivityLogs.

A student's records: a Query on PK = STUDENT#<id>, newest first (descending sort key), paged.
A day's activity across students: a Query on GSI1 (GSI1PK = DATE#<yyyy-mm-dd>).
"""

from __future__ import annotations

from dataclasses import dataclass

from boto3.dynamodb.types import TypeDeserializer

_des = TypeDeserializer()


@dataclass(frozen=True)
class Activity:
    student_unique_id: str
    timestamp: str
    activity_type: str
    actor: str | None
    details: dict


@dataclass(frozen=True)
class Page:
    items: tuple[Activity, ...]
    next_key: dict | None  # pass back to get the following page; None on the last page


def _activity(raw: dict) -> Activity:
    item = {k: _des.deserialize(v) for k, v in raw.items()}
    return Activity(item.get("StudentUniqueId", ""), item.get("Timestamp", ""), item.get("ActivityType", ""),
                    item.get("Actor"), item.get("Details") or {})


def student_timeline(client, student_unique_id: str, limit: int = 50, start_key: dict | None = None) -> Page:
    kwargs = {"ExclusiveStartKey": start_key} if start_key else {}
    r = client.query(TableName="StudentActivityLogs", KeyConditionExpression="PK = :pk",
                     ExpressionAttributeValues={":pk": {"S": f"STUDENT#{student_unique_id}"}},
                     ScanIndexForward=False, Limit=limit, **kwargs)
    return Page(tuple(_activity(i) for i in r.get("Items", [])), r.get("LastEvaluatedKey"))


def day_activity(client, day: str, limit: int = 200, start_key: dict | None = None) -> Page:
    kwargs = {"ExclusiveStartKey": start_key} if start_key else {}
    r = client.query(TableName="StudentActivityLogs", IndexName="GSI1", KeyConditionExpression="GSI1PK = :d",
                     ExpressionAttributeValues={":d": {"S": f"DATE#{day}"}}, Limit=limit, **kwargs)
    return Page(tuple(_activity(i) for i in r.get("Items", [])), r.get("LastEvaluatedKey"))
