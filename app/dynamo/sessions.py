"""Active sign-in sessions, read from DynamoDB's UserSessions table.

Sessions are written there through the outbox at sign-in (app.security.session) and ended by
overwriting the same item with an expiry of now. DynamoDB deletes expired items lazily (up to
days later), so the expiry is checked here too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from boto3.dynamodb.types import TypeDeserializer

_des = TypeDeserializer()


@dataclass(frozen=True)
class ActiveSession:
    session_id: str
    login: str
    staff_unique_id: str | None
    workstation: str | None
    started_at: str | None
    expires_at: int


def active_sessions(client, now: float | None = None) -> list[ActiveSession]:
    now = int(now if now is not None else time.time())
    out, kwargs = [], {}
    while True:
        page = client.scan(TableName="UserSessions", FilterExpression="ExpirationTime > :now",
                           ExpressionAttributeValues={":now": {"N": str(now)}}, **kwargs)
        for raw in page.get("Items", []):
            item = {k: _des.deserialize(v) for k, v in raw.items()}
            out.append(ActiveSession(item["SessionId"], item.get("UserId", ""), item.get("StaffUniqueId"),
                                     item.get("Workstation"), item.get("StartedAt"), int(item["ExpirationTime"])))
        if "LastEvaluatedKey" not in page:
            break
        kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    return sorted(out, key=lambda s: (s.started_at or "", s.login), reverse=True)
