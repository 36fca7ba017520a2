"""Delivering the outbox to DynamoDB: batches of 25, retries with back-off, nothing lost.

Rows are claimed with FOR UPDATE SKIP LOCKED, so several workstations can ship at once without
sending the same row twice at the same moment; a row is deleted only after DynamoDB accepted
its item. If the process dies between DynamoDB's acceptance and the delete, the row is sent
again later and overwrites the identical item (keys are deterministic), so every record ends
up in DynamoDB exactly once.

Two kinds of failure are kept apart. DynamoDB being away (no network, throttling, a missing
table) says nothing about the records: they wait with back-off, however long it lasts. DynamoDB
refusing one item (too large, a wrong type in an index key) is that item's own problem: when a
batch is refused, its items are sent one by one so the good ones arrive, and the refused one
is counted; after MAX_REJECTIONS refusals (or at once, if it cannot even be keyed) it is set
aside as a dead letter, shown by `school-office-admin status` and the status bar, and recorded
in SystemEvents. Only the schema owner or a member of so_shipper may ship (migration 0008).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError

from app.dynamo.tables import key_of

log = logging.getLogger(__name__)

BATCH = 25  # BatchWriteItem's limit
MAX_REJECTIONS = 3
_serializer = TypeSerializer()
# DynamoDB's answer about one item (as opposed to about the service or the table).
ITEM_ERRORS = {"ValidationException", "SerializationException"}


def to_dynamo(item: dict) -> dict:
    # JSON numbers become Decimal (DynamoDB's number type); None values are dropped.
    plain = json.loads(json.dumps(item), parse_float=Decimal)
    return {k: _serializer.serialize(v) for k, v in plain.items() if v is not None}


def _item_refused(exc: Exception) -> bool:
    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in ITEM_ERRORS


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code')}: {err.get('Message')}"
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class ShipResult:
    delivered: int
    failed: int
    waiting: int
    error: str | None = None
    rejected: int = 0  # items DynamoDB refused in this pass
    dead_lettered: int = 0  # records set aside, in all: someone must look at them


@dataclass
class Delivery:
    done: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    refused: dict[int, tuple[str, bool]] = field(default_factory=dict)  # id -> (why, set aside at once)
    error: str | None = None


def _unusable(row) -> str | None:
    """Why a row can never be delivered, if it cannot even be keyed or converted."""
    from app.sync.outbox import check_item

    try:
        if not isinstance(row.item, dict):
            return "the item is not a JSON object"
        check_item(row.target_table, row.item)
        to_dynamo(row.item)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


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
        if client is not None:
            from app.sync.system_events import deliver_pending

            deliver_pending(client)  # failed sign-ins and lock-outs held in this process
        delivered = failed = rejected = 0
        error = None
        with self.engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT outbox_id, target_table, item, attempts FROM sync.dynamo_outbox "
                    "WHERE dead_lettered_at IS NULL "
                    + ("" if ignore_backoff else "AND next_attempt_at <= now() ")
                    + "ORDER BY outbox_id LIMIT :n FOR UPDATE SKIP LOCKED"
                ),
                {"n": self.claim},
            ).all()
            if rows and client is None:
                error = "DynamoDB is not available"
                failed = len(rows)
                self._defer(conn, rows, error)
            elif rows:
                d = self._deliver(client, rows)
                error = d.error
                if d.done:
                    conn.execute(text("DELETE FROM sync.dynamo_outbox WHERE outbox_id = ANY(CAST(:ids AS bigint[]))"),
                                 {"ids": d.done})
                if d.deferred:
                    deferred = set(d.deferred)
                    self._defer(conn, [r for r in rows if r.outbox_id in deferred], error or "not processed")
                if d.refused:
                    self._refuse(conn, {r.outbox_id: r for r in rows}, d.refused)
                delivered, rejected = len(d.done), len(d.refused)
                failed = len(d.deferred) + rejected
            waiting, dead = conn.execute(text(
                "SELECT count(*) FILTER (WHERE dead_lettered_at IS NULL), "
                "count(*) FILTER (WHERE dead_lettered_at IS NOT NULL) FROM sync.dynamo_outbox")).one()
        if error:
            log.warning("outbox: %d delivered, %d waiting after failure: %s", delivered, waiting, error)
        self.last_result = ShipResult(delivered, failed, waiting, error, rejected, dead)
        return self.last_result

    def _deliver(self, client, rows) -> Delivery:
        out = Delivery()
        by_table: dict[str, list] = {}
        for r in rows:
            why = _unusable(r)
            if why:
                out.refused[r.outbox_id] = (why, True)  # no retry can fix it
            else:
                by_table.setdefault(r.target_table, []).append(r)
        for table, trows in by_table.items():
            # One request may not hold two items with the same key: the newest row goes, and the
            # older rows for that key share its fate (delivered with it, or kept with it).
            latest: dict[tuple, object] = {}
            for r in trows:
                latest[key_of(table, r.item)] = r
            unique = list(latest.values())
            for i in range(0, len(unique), BATCH):
                chunk = unique[i:i + BATCH]
                if out.error:
                    out.deferred += [r.outbox_id for r in chunk]
                    continue
                try:
                    leftover = self._batch_write(client, table, chunk)
                except Exception as exc:
                    if _item_refused(exc):
                        self._one_by_one(client, table, chunk, out)  # find the bad one, deliver the rest
                    else:  # endpoint down, throttled, credentials...
                        out.error = _describe(exc)
                        out.deferred += [r.outbox_id for r in chunk]
                    continue
                left_keys = {key_of(table, it) for it in leftover}
                for r in chunk:
                    (out.deferred if key_of(table, r.item) in left_keys else out.done).append(r.outbox_id)
            done = set(out.done)
            for r in trows:
                winner = latest[key_of(table, r.item)]
                if winner is not r:
                    (out.done if winner.outbox_id in done else out.deferred).append(r.outbox_id)
        return out

    def _one_by_one(self, client, table: str, chunk, out: Delivery) -> None:
        for n, r in enumerate(chunk):
            try:
                client.put_item(TableName=table, Item=to_dynamo(r.item))
            except Exception as exc:
                if _item_refused(exc):
                    out.refused[r.outbox_id] = (_describe(exc), False)
                    continue
                out.error = _describe(exc)
                out.deferred += [x.outbox_id for x in chunk[n:]]
                return
            out.done.append(r.outbox_id)

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
        """DynamoDB was away: try again later; this never sets a record aside."""
        conn.execute(
            text(
                "UPDATE sync.dynamo_outbox SET attempts = attempts + 1, last_error = :e, "
                "next_attempt_at = now() + make_interval(secs => least(:cap, 0.5 * 2 ^ least(attempts, 10))) "
                "WHERE outbox_id = ANY(CAST(:ids AS bigint[]))"
            ),
            {"e": error[:2000], "cap": self.max_backoff, "ids": [r.outbox_id for r in rows]},
        )

    def _refuse(self, conn, rows_by_id: dict, refused: dict[int, tuple[str, bool]]) -> None:
        """DynamoDB refused these very items: count it; set aside after MAX_REJECTIONS (or at once)."""
        from app.sync import system_events

        ids = list(refused)
        set_aside = conn.execute(
            text(
                "UPDATE sync.dynamo_outbox o SET attempts = o.attempts + 1, rejections = o.rejections + 1, "
                "last_error = r.e, "
                "next_attempt_at = now() + make_interval(secs => least(:cap, 0.5 * 2 ^ least(o.rejections, 10))), "
                "dead_lettered_at = CASE WHEN r.final OR o.rejections + 1 >= :max THEN now() END "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:errs AS text[]), CAST(:finals AS boolean[])) AS r(id, e, final) "
                "WHERE o.outbox_id = r.id RETURNING o.outbox_id, o.rejections, o.dead_lettered_at IS NOT NULL"
            ),
            {"ids": ids, "errs": [refused[i][0][:2000] for i in ids], "finals": [refused[i][1] for i in ids],
             "cap": self.max_backoff, "max": MAX_REJECTIONS},
        ).all()
        for outbox_id, times, dead in set_aside:
            row, why = rows_by_id[outbox_id], refused[outbox_id][0]
            if not dead:
                log.warning("outbox record %s refused by DynamoDB (%d of %d): %s", outbox_id, times,
                            MAX_REJECTIONS, why)
                continue
            log.error("outbox record %s (%s) set aside after %d refusals: %s", outbox_id, row.target_table,
                      times, why)
            item = row.item if isinstance(row.item, dict) else {}
            if row.target_table == system_events.TABLE and item.get("EventType") == system_events.OUTBOX_DEAD_LETTERED:
                continue  # never an event about an event about a dead letter
            # The key and the reason, never the content (it may be a student's discipline record).
            system_events.record(conn, system_events.OUTBOX_DEAD_LETTERED, {
                "outboxId": outbox_id, "targetTable": row.target_table, "refusals": times, "error": why[:500],
                "key": {k: item.get(k) for k in ("PK", "SK", "SessionId") if isinstance(item.get(k), str)},
            }, stream=system_events.OUTBOX)

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
                except ProgrammingError as exc:
                    if getattr(exc.orig, "sqlstate", None) == "42501":  # insufficient privilege
                        log.error("this database login may not deliver the outbox (it needs the owner or "
                                  "so_shipper); the shipper stops")
                        return
                    log.exception("outbox shipper pass failed")
                    busy = False
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
