"""The five DynamoDB tables of the design document's section 13, exactly as specified."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_S = "S"


def _attrs(*names: str) -> list[dict]:
    return [{"AttributeName": n, "AttributeType": _S} for n in names]


def _keys(hash_key: str, range_key: str | None = None) -> list[dict]:
    ks = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        ks.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return ks


STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}

TABLES: dict[str, dict] = {
    "StudentActivityLogs": {
        "KeySchema": _keys("PK", "SK"),  # STUDENT#<student_id> / ACTIVITY#<timestamp>#<activity_id>
        "AttributeDefinitions": _attrs("PK", "SK", "GSI1PK", "GSI1SK"),
        "GlobalSecondaryIndexes": [
            {"IndexName": "GSI1", "KeySchema": _keys("GSI1PK", "GSI1SK"), "Projection": {"ProjectionType": "ALL"}}
        ],
        "StreamSpecification": STREAM,
    },
    "AssessmentResults": {
        "KeySchema": _keys("PK", "SK"),  # ASSESSMENT#<assessment_id> / STUDENT#<student_id>#<timestamp>
        "AttributeDefinitions": _attrs("PK", "SK"),
        "TimeToLive": "TTL",  # auto-delete after 90 days
    },
    "NotificationQueue": {
        "KeySchema": _keys("PK", "SK"),  # USER#<user_id> / NOTIFICATION#<timestamp>#<notification_id>
        "AttributeDefinitions": _attrs("PK", "SK"),
        "TimeToLive": "TTL",
    },
    "UserSessions": {
        "KeySchema": _keys("SessionId"),
        "AttributeDefinitions": _attrs("SessionId", "UserId"),
        "GlobalSecondaryIndexes": [
            {"IndexName": "UserIdIndex", "KeySchema": _keys("UserId"), "Projection": {"ProjectionType": "ALL"}}
        ],
        "TimeToLive": "ExpirationTime",
    },
    "SystemEvents": {
        "KeySchema": _keys("PK", "SK"),  # STREAM#<stream_name> / EVENT#<timestamp>#<event_id>
        "AttributeDefinitions": _attrs("PK", "SK", "EventType", "Timestamp"),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "EventTypeTimestampIndex",
                "KeySchema": _keys("EventType", "Timestamp"),
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "StreamSpecification": STREAM,
    },
}


def create_tables(client) -> list[str]:
    """Create the missing tables and their TTL settings; returns the names created. Idempotent."""
    existing = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for name, spec in TABLES.items():
        if name not in existing:
            kwargs = {k: v for k, v in spec.items() if k != "TimeToLive"}
            client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **kwargs)
            client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            created.append(name)
        ttl_attr = spec.get("TimeToLive")
        if ttl_attr:
            ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                client.update_time_to_live(
                    TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attr}
                )
    if created:
        log.info("created DynamoDB tables %s", created)
    return created


def key_of(table: str, item: dict) -> tuple:
    return tuple(item[k["AttributeName"]] for k in TABLES[table]["KeySchema"])
