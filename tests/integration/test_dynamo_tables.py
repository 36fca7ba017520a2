"""The five DynamoDB tables match the design document's section 13 on a real DynamoDB Local."""

from __future__ import annotations

import pytest

from app.dynamo.tables import create_tables

pytestmark = pytest.mark.integration


def keys(desc):
    return [(k["AttributeName"], k["KeyType"]) for k in desc]


def attrs(desc):
    return sorted((a["AttributeName"], a["AttributeType"]) for a in desc)


def test_creating_tables_again_changes_nothing(dynamo):
    assert create_tables(dynamo) == []
    names = dynamo.list_tables()["TableNames"]
    assert {"StudentActivityLogs", "AssessmentResults", "NotificationQueue", "UserSessions", "SystemEvents"} <= set(names)


def test_student_activity_logs(dynamo):
    t = dynamo.describe_table(TableName="StudentActivityLogs")["Table"]
    assert keys(t["KeySchema"]) == [("PK", "HASH"), ("SK", "RANGE")]
    assert attrs(t["AttributeDefinitions"]) == [("GSI1PK", "S"), ("GSI1SK", "S"), ("PK", "S"), ("SK", "S")]
    (gsi,) = t["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "GSI1"
    assert keys(gsi["KeySchema"]) == [("GSI1PK", "HASH"), ("GSI1SK", "RANGE")]
    assert gsi["Projection"]["ProjectionType"] == "ALL"
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


@pytest.mark.parametrize("name,ttl", [("AssessmentResults", "TTL"), ("NotificationQueue", "TTL")])
def test_pk_sk_tables_with_ttl(dynamo, name, ttl):
    t = dynamo.describe_table(TableName=name)["Table"]
    assert keys(t["KeySchema"]) == [("PK", "HASH"), ("SK", "RANGE")]
    assert attrs(t["AttributeDefinitions"]) == [("PK", "S"), ("SK", "S")]
    assert "GlobalSecondaryIndexes" not in t
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    d = dynamo.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert d["TimeToLiveStatus"] == "ENABLED" and d["AttributeName"] == ttl


def test_user_sessions(dynamo):
    t = dynamo.describe_table(TableName="UserSessions")["Table"]
    assert keys(t["KeySchema"]) == [("SessionId", "HASH")]
    assert attrs(t["AttributeDefinitions"]) == [("SessionId", "S"), ("UserId", "S")]
    (gsi,) = t["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "UserIdIndex"
    assert keys(gsi["KeySchema"]) == [("UserId", "HASH")]
    assert gsi["Projection"]["ProjectionType"] == "ALL"
    d = dynamo.describe_time_to_live(TableName="UserSessions")["TimeToLiveDescription"]
    assert d["TimeToLiveStatus"] == "ENABLED" and d["AttributeName"] == "ExpirationTime"


def test_system_events(dynamo):
    t = dynamo.describe_table(TableName="SystemEvents")["Table"]
    assert keys(t["KeySchema"]) == [("PK", "HASH"), ("SK", "RANGE")]
    assert attrs(t["AttributeDefinitions"]) == [("EventType", "S"), ("PK", "S"), ("SK", "S"), ("Timestamp", "S")]
    (gsi,) = t["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "EventTypeTimestampIndex"
    assert keys(gsi["KeySchema"]) == [("EventType", "HASH"), ("Timestamp", "RANGE")]
    assert gsi["Projection"]["ProjectionType"] == "ALL"
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
