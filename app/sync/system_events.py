"""Security and operations events in DynamoDB's SystemEvents table (PK STREAM#<stream>, SK EVENT#<time>#<id>).

Streams: `security` (sign-in failures, lock-outs, sign-ins created, turned off or on), `schema`
(migrations) and `outbox` (records set aside after DynamoDB refused them). EventType and
Timestamp feed the table's EventTypeTimestampIndex ("every lock-out this week").

How an event travels depends on who is acting:
- Signed-in work, migrations and the shipper have a database connection: `record(conn, ...)` puts
  the event in the outbox in the caller's transaction, so it exists exactly when the change does.
- A failed sign-in or a lock-out happens before anyone is signed in: there is no connection to
  write with (and none may be opened with the owner's credential). `report(...)` keeps the event
  in a small list in this process and returns at once (it is called on the UI thread too). A
  background thread puts it straight to DynamoDB with the platform's client (`use_client`, set
  by app.bootstrap), as does the shipper's next pass where this process runs one; if DynamoDB
  cannot be reached, the next successful sign-in or unlock moves whatever is still held into
  the outbox with that user's engine (`flush_pending`). Each event's key is fixed when it is
  made, so an event sent two ways is one item in DynamoDB.

A payload never holds a password: keys that look like one are dropped, and a sign-in name is
recorded only if it looks like one (people type their password into the name field).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from sqlalchemy import Connection, Engine

from app.sync.outbox import enqueue, enqueue_many, item_json, system_event_item

log = logging.getLogger(__name__)

TABLE = "SystemEvents"
SECURITY, SCHEMA, OUTBOX = "security", "schema", "outbox"

SIGN_IN_FAILED = "sign_in.failed"
SIGN_IN_LOCKED_OUT = "sign_in.locked_out"
LOGIN_CREATED = "login.created"
LOGIN_DISABLED = "login.disabled"
LOGIN_ENABLED = "login.enabled"
SCHEMA_MIGRATED = "schema.migrated"
OUTBOX_DEAD_LETTERED = "outbox.dead_lettered"

PENDING_LIMIT = 500  # a guessing script at a locked screen must not grow memory without end
_SECRET_KEY = re.compile(r"pass|secret|token|credential", re.IGNORECASE)
_LOGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")


def _without_secrets(value):
    if isinstance(value, Mapping):
        return {k: _without_secrets(v) for k, v in value.items() if not _SECRET_KEY.search(str(k))}
    if isinstance(value, (list, tuple)):
        return [_without_secrets(v) for v in value]
    return value


def typed_login(text: str | None) -> str:
    """A typed sign-in name as an event may show it: only something shaped like a sign-in name
    (lower case: capitals suggest a password typed into the name field)."""
    name = (text or "").strip()
    return name if _LOGIN_NAME.match(name) else "(not a sign-in name)"


def make_event(event_type: str, payload: Mapping, *, stream: str, at: datetime | None = None) -> dict:
    at = at or datetime.now(timezone.utc)
    plain = json.loads(item_json(_without_secrets(dict(payload))))  # dates and ids as strings, like the outbox
    return system_event_item(stream, uuid.uuid4().hex, at, event_type, plain)


def record(conn: Connection, event_type: str, payload: Mapping, *, stream: str = SECURITY,
           actor: str | None = None) -> dict:
    """Enqueue an event in the caller's transaction (committed with the change it describes)."""
    item = make_event(event_type, {**payload, **({"actor": actor} if actor else {})}, stream=stream)
    enqueue(conn, TABLE, item)
    return item


# -- before anyone is signed in ------------------------------------------------------------------
class _Pending:
    def __init__(self, limit: int = PENDING_LIMIT) -> None:
        self._lock = threading.Lock()
        self._items: deque[dict] = deque(maxlen=limit)

    def add(self, item: dict) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self._items)

    def discard(self, items: list[dict]) -> None:
        gone = {(i["PK"], i["SK"]) for i in items}
        with self._lock:
            kept = [i for i in self._items if (i["PK"], i["SK"]) not in gone]
            self._items.clear()
            self._items.extend(kept)


_pending = _Pending()


def pending() -> list[dict]:
    return _pending.snapshot()


# The platform's DynamoDB client, when it has one: held events are then sent at once from a
# background thread (the UI thread never waits on the network).
_client_factory: Callable[[], object | None] | None = None
_wake = threading.Event()
_idle = threading.Event()
_idle.set()
_sender: threading.Thread | None = None
_sender_lock = threading.Lock()


def use_client(factory: Callable[[], object | None] | None) -> Callable[[], object | None] | None:
    """Send held events straight to DynamoDB with factory() (None: only hold them). Returns the
    previous factory."""
    global _client_factory, _sender
    previous, _client_factory = _client_factory, factory
    if factory is None:
        _idle.wait(10)  # a send under way (with the old client) finishes first
    else:
        with _sender_lock:
            if _sender is None:
                _sender = threading.Thread(target=_send_when_woken, name="system-events", daemon=True)
                _sender.start()
        _wake.set()
    return previous


def _send_when_woken() -> None:
    while True:
        _idle.set()
        _wake.wait()
        _idle.clear()  # before reading the factory: use_client(None) relies on this order
        _wake.clear()
        factory = _client_factory
        try:
            client = factory() if factory is not None else None
            if client is not None and _pending.snapshot():
                deliver_pending(client)
        except Exception:
            log.warning("held system events not sent", exc_info=True)


def report(event_type: str, payload: Mapping, *, stream: str = SECURITY) -> dict:
    """Hold an event that has no connection to travel with; never blocks, never raises."""
    item = make_event(event_type, payload, stream=stream)
    _pending.add(item)
    log.info("system event %s: %s", event_type, item["Payload"])
    if _client_factory is not None:
        _wake.set()
    return item


def report_sign_in_failure(login: str | None, reason: str, *, where: str = "sign-in form",
                           workstation: str | None = None) -> dict:
    """reason: bad_credentials, login_disabled, password_expired or no_role."""
    return report(SIGN_IN_FAILED, {"login": typed_login(login), "reason": reason, "where": where,
                                   "workstation": workstation or socket.gethostname()})


def report_lock_out(login: str | None, *, failures: int, seconds: float, where: str = "sign-in form",
                    workstation: str | None = None) -> dict:
    return report(SIGN_IN_LOCKED_OUT, {"login": typed_login(login), "failures": failures,
                                       "lockedSeconds": int(seconds), "where": where,
                                       "workstation": workstation or socket.gethostname()})


def deliver_pending(client) -> int:
    """Put held events straight to DynamoDB (called by the shipper with its client). Stops at the
    first failure: what is left stays held for the next pass or the next sign-in."""
    from app.sync.shipper import to_dynamo

    items = _pending.snapshot()
    done = []
    try:
        for item in items:
            client.put_item(TableName=TABLE, Item=to_dynamo(item))
            done.append(item)
    except Exception as exc:
        log.warning("held system events not delivered yet: %s", type(exc).__name__)
    _pending.discard(done)
    return len(done)


def flush_pending(engine: Engine) -> int:
    """Move held events into the outbox as the user who just signed in. Never raises: signing in
    must not fail because of it."""
    items = _pending.snapshot()
    if not items:
        return 0
    try:
        with engine.begin() as conn:
            enqueue_many(conn, TABLE, items)
    except Exception:
        log.warning("could not move held system events into the outbox", exc_info=True)
        return 0
    _pending.discard(items)
    return len(items)


def report_refused_sign_in(exc: BaseException, login: str | None, *, where: str = "sign-in form",
                           workstation: str | None = None, expired: bool = False) -> dict | None:
    """A sign-in PostgreSQL refused, from its error (whose text may name the login, never the
    password). An unreachable server is no security event and is not reported."""
    raw = str(getattr(exc, "orig", exc)).lower()
    if expired:
        reason = "password_expired"
    elif "is not permitted to log in" in raw:
        reason = "login_disabled"
    elif "password authentication failed" in raw or "no password supplied" in raw or "does not exist" in raw:
        reason = "bad_credentials"
    else:
        return None
    return report_sign_in_failure(login, reason, where=where, workstation=workstation)
