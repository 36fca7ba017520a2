"""One background sender per terminal: applies the journal's pending entries to PostgreSQL, in order,
each exactly once.

For each entry, one PostgreSQL transaction: `sync.journal_claim()` records the entry's UUID with the
SHA-256 of its payload (unique key), then the kind's apply function writes the desk's rows, then
COMMIT. A UUID already applied is acknowledged without applying it again (the commit that "timed
out" had in fact landed); the same UUID with another payload is refused and flagged on the server.

Failures are of two sorts:
- PostgreSQL out of reach (connection lost, server shutting down, a timeout, a serialization
  failure): the entry stays pending and the sender backs off, then resends it with the same UUID;
- an entry that can never apply (the apply function raises `Refused`, or the database refuses the
  data): the transaction is rolled back, the entry is flagged on the server (sync.journal_flag) and
  held in the local journal for review; later entries continue. Nothing is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from app.sync.journal import Journal, JournalEntry, JournalStatus, Refused, applier

log = logging.getLogger(__name__)

# SQLSTATEs that mean "try again later", not "this entry is wrong".
_TRANSIENT_CLASSES = ("08", "53", "57", "58", "40")
_CLAIM = text("SELECT sync.journal_claim(:id, :terminal, :seq, :kind, :sha, CAST(:payload AS jsonb))")
_FLAG = text("SELECT sync.journal_flag(:id, :terminal, :seq, :kind, :sha, CAST(:payload AS jsonb), :reason)")


@dataclass(frozen=True)
class SendReport:
    applied: int = 0
    already_applied: int = 0
    held: int = 0
    pending: int = 0
    error: str | None = None  # why PostgreSQL could not be reached, if it could not


def is_transient(exc: BaseException) -> bool:
    """A lost connection, a server going down or a timeout: resend later, the entry is fine."""
    if isinstance(exc, (DisconnectionError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = getattr(exc.orig, "sqlstate", None) or ""
        if state:
            return state[:2] in _TRANSIENT_CLASSES
        return isinstance(exc, OperationalError)
    return isinstance(exc, (ConnectionError, TimeoutError, OSError))


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return (str(orig) if orig is not None else str(exc)).strip().splitlines()[0][:300] if str(exc) else type(exc).__name__


class JournalSender:
    def __init__(self, journal: Journal, engine: Engine, *, appliers: dict | None = None,
                 on_change: Callable[[JournalStatus], None] | None = None, interval: float = 1.0,
                 max_backoff: float = 10.0, statement_timeout_ms: int = 15000) -> None:
        self.journal = journal
        self.engine = engine
        self._appliers = appliers
        self.on_change = on_change
        self.interval = interval
        self.max_backoff = max_backoff
        self.statement_timeout_ms = statement_timeout_ms
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one pass at a time, whoever calls

    # -- the background thread -----------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"journal-sender-{self.journal.terminal_id}",
                                        daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                report = self.send_pending()
            except Exception:  # never let the thread die: the line keeps selling
                log.exception("journal sender pass failed")
                report = SendReport(error="unexpected error, see the log")
            if report.error and report.pending:
                self._wake.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            else:
                backoff = 0.5
                self._wake.wait(self.interval)
            self._wake.clear()

    # -- one pass --------------------------------------------------------------------------------
    def _apply_fn(self, kind: str):
        if self._appliers is not None and kind in self._appliers:
            return self._appliers[kind]
        return applier(kind)

    def send_pending(self, limit: int | None = None) -> SendReport:
        """Send what is pending now, in sequence order; stop at the first sign PostgreSQL is away."""
        with self._lock:
            return self._send(limit)

    def _send(self, limit: int | None) -> SendReport:
        entries = self.journal.pending_entries(limit=limit)
        applied = already = held = 0
        error = None
        if entries:
            try:
                with self.engine.connect() as conn:
                    # a hung server must not hold the line's sender forever (once per pass, not per entry)
                    conn.exec_driver_sql(f"SET statement_timeout = {int(self.statement_timeout_ms)}")
                    conn.commit()
                    for entry in entries:
                        if self._stop.is_set() and self._thread is not None:
                            break
                        outcome = self._send_one(conn, entry)
                        applied += outcome == "new"
                        already += outcome == "applied"
                        held += outcome in ("conflict", "held")
            except Exception as exc:  # noqa: BLE001 - classified below
                if not is_transient(exc):
                    raise
                error = _short(exc)
                log.warning("journal %s: PostgreSQL out of reach (%s); %d entries wait",
                            self.journal.terminal_id, error, self.journal.pending_count())
                self._dispose_quietly()
        else:
            error = self._ping()
        self.journal.note_contact(error)
        report = SendReport(applied, already, held, self.journal.pending_count(), error)
        if self.on_change is not None and (applied or already or held or error or entries):
            try:
                self.on_change(self.journal.status())
            except Exception:  # a listener's bug must not stop the sender
                log.exception("journal on_change listener failed")
        return report

    def _ping(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return None
        except Exception as exc:  # noqa: BLE001
            if not is_transient(exc):
                raise
            self._dispose_quietly()
            return _short(exc)

    def _dispose_quietly(self) -> None:
        try:
            self.engine.dispose()
        except Exception:  # noqa: BLE001
            pass

    def _params(self, entry: JournalEntry) -> dict:
        from app.sync.journal import canonical_json

        return {"id": entry.entry_id, "terminal": self.journal.terminal_id, "seq": entry.seq, "kind": entry.kind,
                "sha": entry.payload_sha256, "payload": canonical_json(entry.payload)}

    def _send_one(self, conn, entry: JournalEntry) -> str:
        """'new' (applied now), 'applied' (had been), 'conflict' or 'held' (flagged). Transient errors raise."""
        params = self._params(entry)
        fn = self._apply_fn(entry.kind)
        try:
            with conn.begin():
                outcome = conn.execute(_CLAIM, params).scalar_one()
                result = None
                if outcome == "new":
                    if fn is None:
                        raise Refused(f"this terminal does not know how to apply '{entry.kind}' entries")
                    result = fn(conn, entry)
        except Exception as exc:  # noqa: BLE001
            if is_transient(exc) and not isinstance(exc, Refused):
                self.journal.note_attempt(entry.entry_id, _short(exc))
                raise
            reason = str(exc) if isinstance(exc, Refused) else _short(exc)
            log.error("journal %s: entry %s (%s #%d) refused: %s", self.journal.terminal_id, entry.entry_id,
                      entry.kind, entry.seq, reason)
            with conn.begin():
                conn.execute(_FLAG, {**params, "reason": reason[:1000]})
            self.journal.mark_held(entry.entry_id, reason)
            return "held"
        if outcome == "conflict":
            self.journal.mark_held(entry.entry_id, "PostgreSQL already holds this entry id with another content; "
                                                   "flagged for review")
            return "conflict"
        self.journal.mark_applied(entry.entry_id, result if outcome == "new" else None)
        return outcome
