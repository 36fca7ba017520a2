"""Delivering the outbox to DynamoDB: batches of 25, retries with back-off, nothing lost.

Rows are claimed with FOR UPDATE SKIP LOCKED, so several workstations can ship at once without
sending the same row twice at the same moment; a row is deleted only after DynamoDB accepted
its item. If the process dies between DynamoDB's acceptance and the delete, the row is sent
again later and overwrites the identical item (keys are deterministic), so every record ends
up in DynamoDB exactly once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from boto3.dynamodb.types import TypeSerializer
from sqlalchemy import Engine, text

from app.dynamo.tables import key_of

log = logging.getLogger(__name__)

BATCH = 25  # BatchWriteItem's limit
_serializer = TypeSerializer()


def to_dynamo(item: dict) -> dict:
    # JSON numbers become Decimal (DynamoDB's number type); None values are dropped.
    plain = json.loads(json.dumps(item), parse_float=Decimal)
    return {k: _serializer.serialize(v) for k, v in plain.items() if v is not None}


@dataclass(frozen=True)
class ShipResult:
    delivered: int
    failed: int
    waiting: int
    error: str | None = None


class OutboxShipper:
    def __init__(self, engine: Engine, client_factory: Callable[[], object | None], *,
                 claim: int = 200, max_backoff: float = 30.0) -> None:
        self.engine = engine
        self.client_factory = client_factory
        self.claim = claim
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_result: ShipResult | None = None

    # -- one pass -------------------------------------------------------------------------
    def ship_once(self, *, ignore_backoff: bool = False) -> ShipResult:
        client = self.client_factory()
        delivered = failed = 0
        error = None
        with self.engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT outbox_id, target_table, item, attempts FROM sync.dynamo_outbox "
                    + ("" if ignore_backoff else "WHERE next_attempt_at <= now() ")
                    + "ORDER BY outbox_id LIMIT :n FOR UPDATE SKIP LOCKED"
                ),
                {"n": self.claim},
            ).all()
            if rows and client is None:
                error = "DynamoDB is not available"
                failed = len(rows)
                self._defer(conn, rows, error)
            elif rows:
                done, undone, error = self._deliver(client, rows)
                if done:
                    conn.execute(text("DELETE FROM sync.dynamo_outbox WHERE outbox_id = ANY(CAST(:ids AS bigint[]))"), {"ids": done})
                if undone:
                    self._defer(conn, [r for r in rows if r.outbox_id in set(undone)], error or "not processed")
                delivered, failed = len(done), len(undone)
            waiting = conn.execute(text("SELECT count(*) FROM sync.dynamo_outbox")).scalar_one()
        if error:
            log.warning("outbox: %d delivered, %d waiting after failure: %s", delivered, waiting, error)
        self.last_result = ShipResult(delivered, failed, waiting, error)
        return self.last_result

    def _deliver(self, client, rows) -> tuple[list[int], list[int], str | None]:
        done: list[int] = []
        undone: list[int] = []
        error = None
        by_table: dict[str, list] = {}
        for r in rows:
            by_table.setdefault(r.target_table, []).append(r)
        for table, trows in by_table.items():
            # One request may not hold two items with the same key: the newest row wins, and
            # the older rows for that key count as delivered with it.
            latest: dict[tuple, object] = {}
            for r in trows:
                latest[key_of(table, r.item)] = r
            superseded = [r.outbox_id for r in trows if latest[key_of(table, r.item)] is not r]
            unique = list(latest.values())
            for i in range(0, len(unique), BATCH):
                chunk = unique[i:i + BATCH]
                try:
                    leftover = self._batch_write(client, table, chunk)
                except Exception as exc:  # endpoint down, throttled, credentials...
                    error = f"{type(exc).__name__}: {exc}"
                    undone += [r.outbox_id for r in unique[i:]]
                    undone += superseded
                    superseded = []
                    break
                left_keys = {key_of(table, it) for it in leftover}
                for r in chunk:
                    (undone if key_of(table, r.item) in left_keys else done).append(r.outbox_id)
            done += superseded
        return done, undone, error

    def _batch_write(self, client, table: str, chunk) -> list[dict]:
        request = {table: [{"PutRequest": {"Item": to_dynamo(r.item)}} for r in chunk]}
        for attempt in range(5):
            resp = client.batch_write_item(RequestItems=request)
            unprocessed = resp.get("UnprocessedItems") or {}
            if not unprocessed:
                return []
            request = unprocessed
            time.sleep(min(0.05 * 2 ** attempt, 1.0))
        from boto3.dynamodb.types import TypeDeserializer

        des = TypeDeserializer()
        return [{k: des.deserialize(v) for k, v in w["PutRequest"]["Item"].items()} for w in request.get(table, [])]

    def _defer(self, conn, rows, error: str) -> None:
        for r in rows:
            delay = min(self.max_backoff, 0.5 * 2 ** min(r.attempts, 10))
            conn.execute(
                text(
                    "UPDATE sync.dynamo_outbox SET attempts = attempts + 1, last_error = :e, "
                    "next_attempt_at = now() + make_interval(secs => :d) WHERE outbox_id = :id"
                ),
                {"e": error[:2000], "d": delay, "id": r.outbox_id},
            )

    # -- background loop ------------------------------------------------------------------
    def start(self, interval: float = 2.0, on_result: Callable[[ShipResult], None] | None = None,
              maintenance: Callable[[], None] | None = None, maintenance_every: float = 3600.0) -> None:
        """Ship in a background thread; `maintenance` (e.g. keeping audit partitions ahead) runs
        at start and then every `maintenance_every` seconds on the same thread."""
        def loop() -> None:
            next_maintenance = 0.0
            while not self._stop.is_set():
                if maintenance is not None and time.monotonic() >= next_maintenance:
                    next_maintenance = time.monotonic() + maintenance_every
                    try:
                        maintenance()
                    except Exception:
                        log.exception("maintenance failed")
                try:
                    result = self.ship_once()
                    if on_result:
                        on_result(result)
                    busy = result.delivered > 0 and result.waiting > 0
                except Exception:
                    log.exception("outbox shipper pass failed")
                    busy = False
                self._stop.wait(0.05 if busy else interval)

        self._thread = threading.Thread(target=loop, name="outbox-shipper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=15)
