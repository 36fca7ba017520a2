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
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from app.sync.journal import (
    Journal, JournalEntry, JournalStatus, Refused, applier, canonical_json, batch_function, kind_function,
)

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
    pending: int = 0  # entries not sent yet
    error: str | None = None  # why PostgreSQL could not be reached, if it could not
    unconfirmed: int = 0  # sent and committed, not yet known to be on PostgreSQL's disk (see _confirm)


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
    if isinstance(exc, psycopg.Error):  # the driver's own, from a function run (see _send_function)
        state = exc.sqlstate or ""
        if state:
            return state[:2] in _TRANSIENT_CLASSES
        return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))
    return isinstance(exc, (ConnectionError, TimeoutError, OSError))


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return (str(orig) if orig is not None else str(exc)).strip().splitlines()[0][:300] if str(exc) else type(exc).__name__


class JournalSender:
    def __init__(self, journal: Journal, engine: Engine, *, appliers: dict | None = None,
                 on_change: Callable[[JournalStatus], None] | None = None, interval: float = 1.0,
                 max_backoff: float = 10.0, statement_timeout_ms: int = 15000, batch_size: int = 64,
                 hold_connection: bool = False, linger: float = 0.004, busy_window: float = 0.05) -> None:
        self.journal = journal
        self.engine = engine
        self._appliers = appliers
        self.on_change = on_change
        self.interval = interval
        self.max_backoff = max_backoff
        self.statement_timeout_ms = statement_timeout_ms
        self.batch_size = batch_size  # entries of a PostgreSQL-function kind sent in one statement
        self._noted = False
        self._autocommit_on = False
        self._held = None  # the connection the background thread keeps while the line is busy
        # a terminal's own sender (the register) also keeps it between synchronous sends, until stop()
        self.hold_connection = hold_connection
        # When the line is busy (the last pass sent entries less than `busy_window` seconds ago), the background
        # thread waits `linger` seconds more for the next entry, so that runs of two or more go in one statement
        # (cheaper a sale); a lone entry, after a quiet spell, is sent at once.
        self.linger = linger
        self.busy_window = busy_window
        self._last_sent = float("-inf")
        # entries their writer handed over as it journaled them (`offer`): a pass sends these as they are, without
        # reading them back from the journal, when they are exactly what is pending (checked by sequence number)
        self._offered: list[JournalEntry] = []
        self._offered_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one pass at a time, whoever calls
        # Entries of a function kind are committed without waiting for PostgreSQL's disk (asynchronous commit: they
        # are on the terminal's disk already). They stay pending in the journal, and are not sent again, until a
        # commit that does wait (_confirm) has flushed PostgreSQL's log past theirs; then they are marked applied.
        # If PostgreSQL stops before that, they are sent again with their UUIDs: applied once whatever it kept.
        self._unconfirmed: list[tuple] = []  # (entry id, result, held: a conflict), in sequence order
        self._unconfirmed_seqs: set[int] = set()
        self._unconfirmed_since = 0.0
        # when the server that took them started: a confirmation from a server started since (a restart, a proxy
        # that reconnected to another) proves nothing about them, and they are sent again
        self._unconfirmed_server = None
        self._no_message = False  # the server does not let this login write the confirming message (_confirm)
        self._confirmed = False  # the last pass confirmed entries (the status listener hears of it)
        self.confirm_after = 0.2  # seconds: a busy line confirms at least this often ...
        self.confirm_at_most = 256  # ... and before this many are waiting

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

    def offer(self, entry: JournalEntry) -> None:
        """An entry just journaled by this terminal (its payload text as written), handed over so that the next
        pass need not read and parse it again; then wake the background thread."""
        with self._offered_lock:
            self._offered.append(entry)
        self._wake.set()

    def _pending(self, limit: int | None) -> list[JournalEntry]:
        """What is pending now and not sent yet, in sequence order: the offered entries when they are exactly those
        (one small read of the pending sequence numbers), else the entries read from the journal."""
        with self._offered_lock:
            offered, self._offered = self._offered, []
        sent = self._unconfirmed_seqs
        more = None if limit is None else limit + len(sent)
        if offered:
            pending = [q for q in self.journal.pending_seqs(limit=more) if q not in sent][:limit]
            if pending == [e.seq for e in offered]:
                return offered
        return [e for e in self.journal.pending_entries(limit=more) if e.seq not in sent][:limit]

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._lock:
            if self._unconfirmed and self._held is not None:  # (else they are sent again next time: applied once)
                try:
                    self._confirm(self._held)
                except Exception as exc:  # noqa: BLE001
                    log.warning("journal %s: %d sent entries left to confirm next time (%s)",
                                self.journal.terminal_id, len(self._unconfirmed), _short(exc))
                    self._forget_unconfirmed()
                    self._release(broken=True)
            self._release()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            if self.linger > 0 and time.monotonic() - self._last_sent < self.busy_window:
                self._stop.wait(self.linger)
            try:
                report = self.send_pending(settle=False)
                if report.applied or report.already_applied:
                    self._last_sent = time.monotonic()
            except Exception:  # never let the thread die: the line keeps selling
                log.exception("journal sender pass failed")
                report = SendReport(error="unexpected error, see the log")
            if report.error and report.pending:
                self._wake.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            else:
                backoff = 0.5
                # (sent entries wait for their confirmation: the next pass comes soon, and confirms when idle)
                self._wake.wait(min(self.interval, max(self.linger, 0.004)) if report.unconfirmed else self.interval)
            self._wake.clear()

    # -- one pass --------------------------------------------------------------------------------
    def _apply_fn(self, kind: str):
        if self._appliers is not None and kind in self._appliers:
            return self._appliers[kind]
        return applier(kind)

    def send_pending(self, limit: int | None = None, *, settle: bool = True) -> SendReport:
        """Send what is pending now, in sequence order; stop at the first sign PostgreSQL is away. `settle`: also
        wait until PostgreSQL has every sent entry on its disk (marked applied here); the background thread does
        not wait, it confirms when the line pauses and at least every `confirm_after` seconds."""
        with self._lock:
            return self._send(limit, settle)

    def _send(self, limit: int | None, settle: bool = True) -> SendReport:
        entries = self._pending(limit)
        tally = {"new": 0, "applied": 0, "held": 0}
        error = None
        self._noted = False
        self._confirmed = False
        if entries or self._unconfirmed:
            try:
                conn = self._connection()
                for fn, run in _runs(entries, self.batch_size, self._function_of):
                    if self._stop.is_set() and self._thread is not None:
                        break
                    outcomes = self._send_function(conn, fn, run) if fn else [self._send_one(conn, run[0])]
                    for outcome in outcomes:
                        tally["held" if outcome == "conflict" else outcome] += 1
                keep = threading.current_thread() is self._thread or self.hold_connection
                # (a sender that gives its connection back confirms first: only that connection's server can)
                if self._unconfirmed and (settle or not keep or not entries
                                          or len(self._unconfirmed) >= self.confirm_at_most
                                          or time.monotonic() - self._unconfirmed_since >= self.confirm_after):
                    self._confirm(conn)
            except Exception as exc:  # noqa: BLE001 - classified below
                self._release(broken=True)  # (forgets what is unconfirmed: still pending, sent again, applied once)
                if not is_transient(exc):
                    raise
                error = _short(exc)
                log.warning("journal %s: PostgreSQL out of reach (%s); %d entries wait",
                            self.journal.terminal_id, error, self.journal.pending_count())
                self._dispose_quietly()
            else:
                # the background thread keeps its connection while the line is busy (still in autocommit after
                # a function run: the next one needs no switch; a Python applier switches it off itself);
                # anyone else gives it back, unless the sender holds one for its terminal
                if not keep:
                    self._release()
        else:
            self._release()
            error = self._ping()
        if error is not None or not self._noted:
            self.journal.note_contact(error)
        waiting = len(self._unconfirmed)
        report = SendReport(tally["new"], tally["applied"], tally["held"], self.journal.pending_count() - waiting, error,
                            waiting)
        if self.on_change is not None and (any(tally.values()) or error or entries or self._confirmed):
            try:
                self.on_change(self.journal.status())
            except Exception:  # a listener's bug must not stop the sender
                log.exception("journal on_change listener failed")
        return report

    def _connection(self):
        """The pass's connection: the one the background thread kept from its last busy pass, or a new
        one from the pool (in transactions, with the sender's statement timeout)."""
        if self._held is None:
            conn = self.engine.connect()
            self._autocommit_on = False
            try:
                self._session(conn)
            except Exception:
                conn.close()
                raise
            self._held = conn
        return self._held

    def _release(self, broken: bool = False) -> None:
        # (only the connection that sent them confirms what is unconfirmed: without it they are sent again)
        self._forget_unconfirmed()
        conn, self._held = self._held, None
        if conn is None:
            return
        try:
            if not broken and self._autocommit_on:
                try:
                    self._autocommit(conn, False)  # back to the pool out of autocommit
                except Exception:  # noqa: BLE001
                    broken = True
            if broken or self._autocommit_on:
                conn.invalidate()  # never back to the pool in autocommit or half-broken
            conn.close()
        except Exception:  # noqa: BLE001
            pass
        self._autocommit_on = False

    def _session(self, conn) -> None:
        """A hung server must not hold the line's sender forever: the timeout is set once per connection."""
        if conn.info.get("journal_statement_timeout") != self.statement_timeout_ms:
            conn.exec_driver_sql(f"SET statement_timeout = {int(self.statement_timeout_ms)}")
            conn.commit()
            conn.info["journal_statement_timeout"] = self.statement_timeout_ms

    def _function_of(self, kind: str) -> str | None:
        if self._appliers is not None and kind in self._appliers:
            return None
        return kind_function(kind)

    def _send_function(self, conn, fn: str, run: list[JournalEntry]) -> list[str]:
        """Entries of a kind applied by a PostgreSQL function: all of `run` in one statement, so in one
        transaction (autocommit: the statement is the transaction, one round trip), sent through the
        driver itself (prepared after a few runs). If PostgreSQL refuses one of them, nothing of the
        statement stays and each entry is sent alone, so only the refused one is held."""
        if len(run) == 1:  # one entry: the kind's function called with it, its payload text as journaled
            e = run[0]
            params = {"id": e.entry_id, "terminal": self.journal.terminal_id, "seq": e.seq, "sha": e.payload_sha256,
                      "payload": e.payload_text or canonical_json(e.payload)}
        else:
            params = {"terminal": self.journal.terminal_id, "entries": "[" + ",".join(
                f'{{"id":"{e.entry_id}","seq":{int(e.seq)},"sha":"{e.payload_sha256}","payload":'
                f"{e.payload_text or canonical_json(e.payload)}}}" for e in run) + "]"}
        try:
            self._autocommit(conn, True)
            rows = conn.connection.driver_connection.execute(_batch_sql(fn, len(run)), params,
                                                             prepare=True).fetchall()
        except Exception as exc:  # noqa: BLE001
            if is_transient(exc):
                for e in run:
                    self.journal.note_attempt(e.entry_id, _short(exc))
                raise
            if len(run) > 1:
                return [o for e in run for o in self._send_function(conn, fn, [e])]
            return [self._hold(conn, run[0], _short(exc))]
        results = {n: r for n, r, _ in rows}
        started = rows[0][2] if rows else None
        if self._unconfirmed and started != self._unconfirmed_server:  # (another server since: those go again)
            self._forget_unconfirmed()
        outcomes = []
        if not self._unconfirmed:
            self._unconfirmed_since, self._unconfirmed_server = time.monotonic(), started
        for n, entry in enumerate(run, start=1):
            r = dict(results[n])
            outcome = r.pop("outcome")
            # (marked applied, or held for a conflict the server flagged, once PostgreSQL has it on disk: _confirm)
            self._unconfirmed.append((entry.entry_id, r if outcome == "new" else None, outcome == "conflict"))
            self._unconfirmed_seqs.add(entry.seq)
            outcomes.append(outcome)
        # (PostgreSQL answered: the contact is noted with the marks, at most once a second on a busy line)
        self._noted = self._noted or self.journal.contact_recent()
        return outcomes

    def _confirm(self, conn) -> None:
        """Wait until PostgreSQL has the sent entries on its disk, then mark them applied (or held, for a conflict):
        one synchronous commit that writes to the log (_FLUSHED; a transaction id alone writes nothing, so its commit
        is not flushed) flushes every commit before it. Counted only from the server start that took them."""
        self._autocommit(conn, True)
        raw = conn.connection.driver_connection
        started = None
        if not self._no_message:
            try:
                started = raw.execute(_FLUSHED, prepare=True).fetchone()[1]
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedFunction):
                self._no_message = True
        if self._no_message:
            # (every commit before now ends before the log's insert position; the log writer flushes it within
            # three of its delays)
            target, started, delay = raw.execute(_INSERTED).fetchone()
            deadline = time.monotonic() + max(5.0, 4 * float(delay) / 1000)
            while not raw.execute(_FLUSHED_PAST, (str(target),)).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise TimeoutError("PostgreSQL did not flush its log in time")
                time.sleep(0.02)
        if started != self._unconfirmed_server:  # (a server started since they were sent: they go again)
            log.warning("journal %s: the database restarted before %d sent entries were confirmed; sending them again",
                        self.journal.terminal_id, len(self._unconfirmed))
            self._forget_unconfirmed()
            return
        for entry_id, _, held in self._unconfirmed:
            if held:
                self.journal.mark_held(entry_id, _CONFLICT)
        self.journal.mark_applied_many([(e, r) for e, r, held in self._unconfirmed if not held])
        self._noted = True
        self._forget_unconfirmed()
        self._confirmed = True

    def _forget_unconfirmed(self) -> None:
        self._unconfirmed = []
        self._unconfirmed_seqs = set()
        self._unconfirmed_server = None

    def _autocommit(self, conn, on: bool) -> None:
        """A function run's statement is its own transaction (the driver in autocommit); everything else,
        SQLAlchemy's transactions included, runs with the driver out of it. Set on the driver directly
        (no round trip); a connection that cannot switch back is never used again (the pass stops as if
        PostgreSQL were away): a Python applier must never run outside a transaction."""
        if self._autocommit_on == on:
            return
        try:
            raw = conn.connection.driver_connection
            raw.autocommit = on
            now = bool(raw.autocommit)
        except Exception:  # noqa: BLE001
            now = not on
        if now != on:
            raise ConnectionError("the connection could not change its transaction mode; reconnecting")
        self._autocommit_on = on

    def _hold(self, conn, entry: JournalEntry, reason: str) -> str:
        """An entry that can never apply: flagged on the server, held here for review; the rest continue."""
        log.error("journal %s: entry %s (%s #%d) refused: %s", self.journal.terminal_id, entry.entry_id,
                  entry.kind, entry.seq, reason)
        self._autocommit(conn, False)
        with conn.begin():
            conn.execute(_FLAG, {**self._params(entry), "reason": reason[:1000]})
        self.journal.mark_held(entry.entry_id, reason)
        return "held"

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
        return {"id": entry.entry_id, "terminal": self.journal.terminal_id, "seq": entry.seq, "kind": entry.kind,
                "sha": entry.payload_sha256, "payload": canonical_json(entry.payload)}

    def _send_one(self, conn, entry: JournalEntry) -> str:
        """'new' (applied now), 'applied' (had been), 'conflict' or 'held' (flagged). Transient errors raise."""
        params = self._params(entry)
        fn = self._apply_fn(entry.kind)
        self._autocommit(conn, False)
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
            return self._hold(conn, entry, str(exc) if isinstance(exc, Refused) else _short(exc))
        if outcome == "conflict":
            self.journal.mark_held(entry.entry_id, _CONFLICT)
            return "conflict"
        self.journal.mark_applied(entry.entry_id, result if outcome == "new" else None)
        return outcome


_CONFLICT = "PostgreSQL already holds this entry id with another content; flagged for review"
# A commit that waits until the log is flushed up to it, whatever the session's default: its transaction must write
# to the log (a transaction id alone does not), so it writes a logical-decoding message (one small record, read by
# nobody). Where a server does not let the login write one, _confirm waits for the log writer to flush.
_FLUSHED = ("SELECT pg_catalog.pg_logical_emit_message(true, 'school-office', 'journal confirmed'), "
            "pg_catalog.pg_postmaster_start_time() "
            "FROM (SELECT pg_catalog.set_config('synchronous_commit', 'on', true)) AS flushed_commit")
_INSERTED = ("SELECT pg_catalog.pg_current_wal_insert_lsn(), pg_catalog.pg_postmaster_start_time(), "
             "EXTRACT(epoch FROM CAST(pg_catalog.current_setting('wal_writer_delay') AS interval)) * 1000")
_FLUSHED_PAST = "SELECT pg_catalog.pg_current_wal_flush_lsn() >= CAST(%s AS pg_lsn)"
# a function run's statement commits without waiting for the flush (set for its own transaction only)
# (with the time the server started: a confirmation counts only from the same server, _confirm)
_ASYNC = ("(SELECT pg_catalog.set_config('synchronous_commit', 'off', true), pg_catalog.pg_postmaster_start_time() "
          "AS started) AS async_commit")


def _runs(entries: list[JournalEntry], size: int, function_of) -> list[tuple[str | None, list[JournalEntry]]]:
    """Consecutive entries (in sequence order) of one PostgreSQL-function kind, up to `size` a run;
    every entry of a Python-applied kind is a run of its own."""
    runs: list[tuple[str | None, list[JournalEntry]]] = []
    for e in entries:
        fn = function_of(e.kind)
        if fn is not None and runs and runs[-1][0] == fn and len(runs[-1][1]) < size:
            runs[-1][1].append(e)
        else:
            runs.append((fn, [e]))
    return runs


def _batch_sql(fn: str, entries: int = 1) -> str:
    """One statement applying a run of entries through their kind's function, in sequence order: a run of
    several in one call of the kind's batch function if it has one, else one call per entry."""
    if entries == 1:  # one call, one round trip, prepared
        return (f"SELECT 1, {fn}(CAST(%(id)s AS uuid), %(terminal)s, CAST(%(seq)s AS bigint), %(sha)s, "
                f"CAST(%(payload)s AS jsonb)), async_commit.started FROM {_ASYNC}")
    batch = batch_function(fn)
    if batch is not None:
        return (f"SELECT b.entry_no, b.outcome, async_commit.started FROM {_ASYNC}, "
                f"{batch}(%(terminal)s, CAST(%(entries)s AS jsonb)) AS b")
    sql = _BATCH_SQL.get(fn)
    if sql is None:
        sql = _BATCH_SQL[fn] = (
            f"SELECT e.n, r.r, async_commit.started FROM {_ASYNC}, jsonb_array_elements(CAST(%(entries)s AS jsonb)) WITH ORDINALITY AS e(v, n) "
            f"CROSS JOIN LATERAL {fn}(CAST(e.v->>'id' AS uuid), %(terminal)s, CAST(e.v->>'seq' AS bigint), "
            "e.v->>'sha', e.v->'payload') AS r(r)")
    return sql


_BATCH_SQL: dict = {}
