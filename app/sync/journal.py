"""The terminal's offline journal: what a desk must never lose, written locally before anything else.

A sale at the register (or a checkout at the library desk) is appended to a SQLite file on the
terminal in WAL mode with synchronous=FULL: once `append()` returns, the entry survives a kill -9
of the process and a power cut. One background sender per terminal (app/sync/journal_sender.py)
then applies the entries to PostgreSQL in the terminal's sequence order, each exactly once:
PostgreSQL keeps a receipt per entry UUID (sync.journal_receipts), and the same UUID arriving with
another payload is refused and flagged for review, never silently dropped.

The journal is generic: a desk registers an apply function per entry kind (`register_kind`), which
the sender calls inside its PostgreSQL transaction. SQLite is right here and only here: it is the
terminal's own durable queue, not the school's database.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

PENDING, APPLIED, HELD = "pending", "applied", "held"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal_meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS journal_entries (
    seq INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    subject TEXT,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'held')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    applied_at TEXT,
    result TEXT
);
-- Marking an entry applied (the sender's every step) rewrites only what it must: the entry leaves the small
-- index of pending ones; the subject index does not hold the state (an older journal's two indexes, which both
-- did, are replaced when it is opened).
CREATE INDEX IF NOT EXISTS ix_journal_pending ON journal_entries (seq) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS ix_journal_held ON journal_entries (seq) WHERE state = 'held';
CREATE INDEX IF NOT EXISTS ix_journal_about ON journal_entries (subject);
DROP INDEX IF EXISTS ix_journal_state;
DROP INDEX IF EXISTS ix_journal_subject;
"""


_APPEND = ("INSERT INTO journal_entries (seq, entry_id, kind, payload, payload_sha256, subject, created_at) "
           "SELECT coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ?, ? FROM journal_entries WHERE true "
           "ON CONFLICT (entry_id) DO NOTHING RETURNING seq")
_MARK_APPLIED = ("UPDATE journal_entries SET state = 'applied', applied_at = ?, result = ?, last_error = NULL "
                 "WHERE entry_id = ?")
_SET_META = "INSERT INTO journal_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


class JournalError(Exception):
    """The journal file cannot be used as asked (another terminal's file, a conflicting entry id)."""


class JournalConflict(JournalError):
    """An entry id that is already in the journal with a different payload."""


class Refused(Exception):
    """Raised by an apply function for an entry that can never apply: held and flagged for review."""


@dataclass(frozen=True)
class JournalEntry:
    entry_id: uuid.UUID
    terminal_id: str
    seq: int
    kind: str
    payload: dict
    payload_sha256: str
    subject: str | None
    created_at: datetime
    state: str
    attempts: int = 0
    last_error: str | None = None
    applied_at: datetime | None = None
    result: dict | None = None
    # the payload's canonical text as journaled (what its SHA-256 is of), sent as is
    payload_text: str | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class JournalStatus:
    pending: int
    held: int
    last_sync_at: datetime | None  # the sender's last successful round trip with PostgreSQL
    last_applied_at: datetime | None
    last_error: str | None  # why the last attempt to reach PostgreSQL failed (None once it works again)

    @property
    def last_sync(self) -> datetime | None:
        return self.last_sync_at

    @property
    def online(self) -> bool:
        return not self.last_error


ApplyFn = Callable[[Any, JournalEntry], "dict | None"]
_KINDS: dict[str, ApplyFn] = {}
_FUNCTIONS: dict[str, str] = {}
_BATCH_FUNCTIONS: dict[str, str] = {}
_FUNCTION_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


def register_kind(kind: str, apply: ApplyFn | None = None, *, function: str | None = None,
                  batch_function: str | None = None) -> None:
    """Declare how entries of `kind` are applied to PostgreSQL: either `apply(conn, entry)`, called in
    the sender's transaction after it claimed the entry, or `function`, the schema-qualified name of a
    PostgreSQL function `f(entry uuid, terminal text, seq bigint, sha256 text, payload jsonb) -> jsonb`
    that claims the entry itself (sync.journal_claim) and writes its rows, returning
    {"outcome": "new"|"applied"|"conflict", ...result}. A function kind costs one round trip, and the
    sender sends several pending entries of it in one statement (docs: /work/team/journal-api.md).
    A kind may also name a `batch_function` that applies a run of two or more entries at once, set-based:
    `f(terminal text, entries jsonb) -> TABLE (entry_no integer, outcome jsonb)`, `entries` being
    `[{"id", "seq", "sha", "payload"}, ...]` in sequence order and `entry_no` an entry's 1-based place in it;
    it must give the same outcomes as `function` would, entry by entry."""
    if not kind or "." not in kind:
        raise ValueError("a journal kind is named '<desk>.<action>', e.g. 'cafeteria.sale'")
    if (apply is None) == (function is None):
        raise ValueError("a journal kind is applied by a Python function or by a PostgreSQL function, one of them")
    if function is not None:
        if not _FUNCTION_NAME.match(function):
            raise ValueError("a journal kind's PostgreSQL function is named '<schema>.<function>'")
        if batch_function is not None and not _FUNCTION_NAME.match(batch_function):
            raise ValueError("a journal kind's PostgreSQL function is named '<schema>.<function>'")
        _FUNCTIONS[kind] = function
        _KINDS.pop(kind, None)
        if batch_function is not None:
            _BATCH_FUNCTIONS[function] = batch_function
        else:
            _BATCH_FUNCTIONS.pop(function, None)
    else:
        if batch_function is not None:
            raise ValueError("only a kind applied by a PostgreSQL function has a batch function")
        _KINDS[kind] = apply
        _FUNCTIONS.pop(kind, None)


def applier(kind: str) -> ApplyFn | None:
    return _KINDS.get(kind)


def kind_function(kind: str) -> str | None:
    """The PostgreSQL function that applies entries of `kind` in one call, if the kind has one."""
    return _FUNCTIONS.get(kind)


def batch_function(function: str) -> str | None:
    """The function that applies a run of entries of `function`'s kind in one call (set-based), if any."""
    return _BATCH_FUNCTIONS.get(function)


def registered_kinds() -> dict[str, ApplyFn]:
    return dict(_KINDS)


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot journal a {type(value).__name__}")


def canonical_json(payload: dict) -> str:
    """The one text form of a payload: the same payload always hashes the same, on every terminal."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_plain, ensure_ascii=False)


def payload_sha256(kind: str, payload_text: str) -> str:
    return hashlib.sha256(f"{kind}\n{payload_text}".encode()).hexdigest()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Journal:
    """One terminal's journal file. Safe to use from several threads (one SQLite connection each)."""

    def __init__(self, path: Path | str, terminal_id: str) -> None:
        if not terminal_id or len(terminal_id) > 64:
            raise ValueError("a terminal id is 1-64 characters")
        self.path = Path(path)
        self.terminal_id = terminal_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._writes = itertools.count(1)
        # moves on after every write through this object, once it is committed: a reader in this process may
        # keep what it read while the number stays the same (a terminal's journal is written by its own process)
        self.generation = 0
        # when the sender last wrote its contact times (last_applied_at, last_sync_at, last_error) and whether an
        # error is noted: a busy line's marks write them at most once a second (an error is cleared at once)
        self._contact_noted: float | None = None
        self._contact_error = True
        conn = self._conn()
        with conn:
            conn.executescript(_SCHEMA)
        row = conn.execute("SELECT value FROM journal_meta WHERE key = 'terminal_id'").fetchone()
        if row is None:
            with conn:
                conn.execute("INSERT OR IGNORE INTO journal_meta (key, value) VALUES ('terminal_id', ?)",
                             (terminal_id,))
            row = conn.execute("SELECT value FROM journal_meta WHERE key = 'terminal_id'").fetchone()
        if row[0] != terminal_id:
            raise JournalError(f"The journal {self.path} belongs to terminal {row[0]}, not {terminal_id}; "
                               "give each terminal its own journal file.")

    # -- connections ---------------------------------------------------------------------------
    def _conn(self, relaxed: bool = False) -> sqlite3.Connection:
        """This thread's connection. Entries are written with synchronous=FULL; `relaxed` (NORMAL) is only
        for marking what the server already holds: a mark lost in a power cut just makes the sender resend
        the entry, which PostgreSQL acknowledges by its UUID without applying it again."""
        attr = "relaxed" if relaxed else "conn"
        conn = getattr(self._local, attr, None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={'NORMAL' if relaxed else 'FULL'}")
            conn.execute("PRAGMA busy_timeout=30000")
            setattr(self._local, attr, conn)
            with self._all_lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()

    def _changed(self) -> None:
        self.generation = next(self._writes)

    def pragma(self, name: str):
        return self._conn().execute(f"PRAGMA {name}").fetchone()[0]

    # -- writing -------------------------------------------------------------------------------
    def append(self, kind: str, payload: dict, *, subject: str | None = None,
               entry_id: uuid.UUID | None = None, created_at: datetime | None = None) -> JournalEntry:
        """Write one entry durably and return it with its UUID and sequence number."""
        text = canonical_json(payload)
        sha = payload_sha256(kind, text)
        entry_uuid = entry_id if isinstance(entry_id, uuid.UUID) else uuid.UUID(str(entry_id)) if entry_id else uuid.uuid4()
        eid = str(entry_uuid)
        at = (created_at or utc_now()).astimezone(timezone.utc).isoformat()
        conn = self._conn()
        # ONE statement in its own transaction (autocommit): the next sequence number and the row, an id already
        # there writing nothing. A writing statement takes the write lock before it reads (as BEGIN IMMEDIATE did),
        # so max(seq) is read under it; the statement has committed, with its fsync (synchronous=FULL), once every
        # row it returns has been fetched. No BEGIN and COMMIT of our own: two statements fewer an entry.
        if conn.in_transaction:  # never inside another transaction: the entry must be committed when we return
            raise JournalError("the journal's connection is inside a transaction; an entry is written on its own")
        rows = conn.execute(_APPEND, (eid, kind, text, sha, subject, at)).fetchall()
        if not rows:
            old = conn.execute("SELECT * FROM journal_entries WHERE entry_id = ?", (eid,)).fetchone()
            if old[4] != sha:
                raise JournalConflict(f"entry {eid} is already in the journal with another content")
            return self._entry(old)
        row = rows[0]
        self._changed()
        return JournalEntry(entry_uuid, self.terminal_id, row[0], kind, json.loads(text), sha, subject,
                            _ts(at), PENDING, payload_text=text)

    def mark_applied(self, entry_id: uuid.UUID, result: dict | None = None) -> None:
        conn = self._conn(relaxed=True)
        now = utc_now().isoformat()
        with conn:
            conn.execute("BEGIN")
            conn.execute("UPDATE journal_entries SET state = 'applied', applied_at = ?, result = ?, last_error = NULL "
                         "WHERE entry_id = ?", (now, canonical_json(result) if result is not None else None,
                                                str(entry_id)))
            conn.execute(_SET_META, ("last_applied_at", now))
        self._changed()

    def mark_applied_many(self, done: list[tuple[uuid.UUID, dict | None]]) -> None:
        """Mark several entries applied (PostgreSQL committed them together) and note the contact, in one
        relaxed transaction."""
        if not done:
            return
        conn = self._conn(relaxed=True)
        now = utc_now().isoformat()
        rows = [(now, canonical_json(r) if r is not None else None, str(e)) for e, r in done]
        contact = self._contact_error or self._contact_noted is None or time.monotonic() - self._contact_noted >= 1.0
        if len(rows) == 1 and not contact:  # one statement, its own transaction
            conn.execute(_MARK_APPLIED, rows[0])
        else:
            with conn:
                conn.execute("BEGIN")
                conn.executemany(_MARK_APPLIED, rows)
                if contact:
                    conn.execute("INSERT INTO journal_meta (key, value) VALUES ('last_applied_at', ?), "
                                 "('last_sync_at', ?), ('last_error', '') "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (now, now))
        if contact:
            self._contact_noted, self._contact_error = time.monotonic(), False
        self._changed()

    def mark_held(self, entry_id: uuid.UUID, reason: str) -> None:
        self._conn(relaxed=True).execute("UPDATE journal_entries SET state = 'held', last_error = ? WHERE entry_id = ?",
                             (reason, str(entry_id)))
        self._changed()

    def note_attempt(self, entry_id: uuid.UUID, error: str) -> None:
        self._conn(relaxed=True).execute("UPDATE journal_entries SET attempts = attempts + 1, last_error = ? WHERE entry_id = ?",
                             (error, str(entry_id)))
        self._changed()

    def note_contact(self, error: str | None) -> None:
        """The sender reached PostgreSQL (error None) or could not (error says why)."""
        conn = self._conn(relaxed=True)
        with conn:
            conn.execute("BEGIN")
            if error is None:
                conn.execute(_SET_META, ("last_sync_at", utc_now().isoformat()))
            conn.execute(_SET_META, ("last_error", error or ""))
        self._contact_error = error is not None
        if error is None:
            self._contact_noted = time.monotonic()

    def contact_recent(self) -> bool:
        """The sender noted a contact without error less than a second ago (a busy line notes it once a second)."""
        return (not self._contact_error and self._contact_noted is not None
                and time.monotonic() - self._contact_noted < 1.0)

    def _set_meta(self, key: str, value: str) -> None:
        self._conn().execute(_SET_META, (key, value))

    def _meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM journal_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row and row[0] else None

    # -- reading -------------------------------------------------------------------------------
    def _entry(self, row) -> JournalEntry:
        (seq, eid, kind, payload, sha, subject, created, state, attempts, error, applied, result) = row
        return JournalEntry(uuid.UUID(eid), self.terminal_id, seq, kind, json.loads(payload), sha, subject,
                            _ts(created), state, attempts, error, _ts(applied),
                            json.loads(result) if result else None, payload)

    def _select(self, where: str, params: tuple, limit: int | None = None) -> list[JournalEntry]:
        sql = f"SELECT * FROM journal_entries WHERE {where} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._entry(r) for r in self._conn().execute(sql, params)]

    def pending_entries(self, kind: str | None = None, subject: str | None = None,
                        limit: int | None = None) -> list[JournalEntry]:
        where, params = "state = 'pending'", ()
        if kind is not None:
            where, params = where + " AND kind = ?", params + (kind,)
        if subject is not None:
            where, params = where + " AND subject = ?", params + (subject,)
        return self._select(where, params, limit)

    def pending_seqs(self, limit: int | None = None) -> list[int]:
        """The sequence numbers of the pending entries, in order (the partial index alone answers)."""
        sql = "SELECT seq FROM journal_entries WHERE state = 'pending' ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [r[0] for r in self._conn().execute(sql)]

    def held_entries(self) -> list[JournalEntry]:
        return self._select("state = 'held'", ())

    def all_entries(self) -> list[JournalEntry]:
        return self._select("1 = 1", ())

    def entry(self, entry_id: uuid.UUID) -> JournalEntry | None:
        found = self._select("entry_id = ?", (str(entry_id),))
        return found[0] if found else None

    def entries_for(self, subject: str, *, kind: str | None = None, state: str | None = None,
                    newest_first: bool = False, limit: int | None = None) -> list[JournalEntry]:
        """Entries about one subject (e.g. 'student:12'), any state unless given."""
        where, params = "subject = ?", (subject,)
        if kind is not None:
            where, params = where + " AND kind = ?", params + (kind,)
        if state is not None:
            where, params = where + " AND state = ?", params + (state,)
        sql = f"SELECT * FROM journal_entries WHERE {where} ORDER BY seq {'DESC' if newest_first else ''}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._entry(r) for r in self._conn().execute(sql, params)]

    def note(self, key: str, value: str | None) -> None:
        """Keep a small fact of the terminal with its journal (the open till, the last login)."""
        self._set_meta(f"note:{key}", value or "")

    def noted(self, key: str) -> str | None:
        return self._meta(f"note:{key}")

    def pending_count(self, kind: str | None = None) -> int:
        if kind is None:
            return self._conn().execute("SELECT count(*) FROM journal_entries WHERE state = 'pending'").fetchone()[0]
        return self._conn().execute("SELECT count(*) FROM journal_entries WHERE state = 'pending' AND kind = ?",
                                    (kind,)).fetchone()[0]

    def kind_count(self, kind: str) -> int:
        """Entries of a kind in any state."""
        return self._conn().execute("SELECT count(*) FROM journal_entries WHERE kind = ?", (kind,)).fetchone()[0]

    def held_count(self) -> int:
        return self._conn().execute("SELECT count(*) FROM journal_entries WHERE state = 'held'").fetchone()[0]

    def counts(self) -> dict[str, int]:
        return dict(self._conn().execute("SELECT state, count(*) FROM journal_entries GROUP BY state").fetchall())

    def last_sync_at(self) -> datetime | None:
        return _ts(self._meta("last_sync_at"))

    def status(self) -> JournalStatus:
        return JournalStatus(self.pending_count(), self.held_count(), self.last_sync_at(),
                             _ts(self._meta("last_applied_at")), self._meta("last_error"))
