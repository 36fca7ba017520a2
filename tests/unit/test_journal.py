"""The terminal's local journal: durable, ordered, repeat-proof; survives kill -9 in the middle of writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app.sync.journal import Journal, JournalConflict, JournalError

REPO = Path(__file__).resolve().parents[2]


def test_the_journal_is_wal_with_full_sync_and_numbers_entries_in_order(tmp_path):
    j = Journal(tmp_path / "t1.db", "RMS-POS-1")
    assert j.pragma("journal_mode") == "wal"
    assert j.pragma("synchronous") == 2  # FULL
    a = j.append("test.sale", {"student": 7, "amount": "2.85"}, subject="student:7")
    b = j.append("test.sale", {"student": 8, "amount": "0.40"})
    assert (a.seq, b.seq) == (1, 2) and a.entry_id != b.entry_id and a.state == "pending"
    assert j.pending_count() == 2 and j.pending_count("test.sale") == 2 and j.pending_count("other.kind") == 0
    assert [e.seq for e in j.pending_entries(subject="student:7")] == [1]
    j.mark_applied(a.entry_id, {"reimbursable": True})
    assert j.pending_count() == 1 and j.entry(a.entry_id).result == {"reimbursable": True}
    assert j.status().pending == 1 and j.status().last_applied_at is not None
    j.mark_held(b.entry_id, "refused")
    assert j.held_count() == 1 and j.pending_count() == 0
    j.close()
    # the file keeps everything across a reopen
    again = Journal(tmp_path / "t1.db", "RMS-POS-1")
    assert [(e.seq, e.state) for e in again.all_entries()] == [(1, "applied"), (2, "held")]


def test_a_repeated_entry_id_returns_the_same_entry_and_another_content_is_refused(tmp_path):
    j = Journal(tmp_path / "t.db", "T1")
    rid = uuid.uuid4()
    first = j.append("test.sale", {"amount": "1.00"}, entry_id=rid)
    assert j.append("test.sale", {"amount": "1.00"}, entry_id=rid).seq == first.seq
    with pytest.raises(JournalConflict):
        j.append("test.sale", {"amount": "9.00"}, entry_id=rid)
    assert j.pending_count() == 1


def test_a_journal_file_belongs_to_one_terminal(tmp_path):
    Journal(tmp_path / "t.db", "T1").close()
    with pytest.raises(JournalError, match="belongs to terminal T1"):
        Journal(tmp_path / "t.db", "T2")


WRITER = """
import sys
from app.sync.journal import Journal
j = Journal(sys.argv[1], "KILLME")
n = 0
while True:
    n += 1
    e = j.append("test.sale", {"n": n, "text": "x" * 500})
    print(e.seq, e.entry_id, flush=True)
"""


def test_kill_9_in_the_middle_of_writes_loses_no_entry_that_was_confirmed(tmp_path):
    """Every entry whose append() returned (printed by the writer) is in the file after kill -9,
    intact and numbered without gaps; the file passes SQLite's integrity check."""
    path = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            cwd=REPO, env=env)
    confirmed = []
    deadline = time.monotonic() + 60
    while len(confirmed) < 150 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            seq, eid = line.split()
            confirmed.append((int(seq), eid))
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of the next append
    proc.wait()
    confirmed += [(int(s), e) for s, e in (ln.split() for ln in proc.stdout.read().splitlines() if ln.strip())]
    assert len(confirmed) >= 150
    j = Journal(path, "KILLME")
    assert j.pragma("integrity_check") == "ok"
    entries = {e.seq: e for e in j.all_entries()}
    assert sorted(entries) == list(range(1, max(entries) + 1))  # no gap
    for seq, eid in confirmed:
        assert str(entries[seq].entry_id) == eid and entries[seq].payload["n"] == seq
    # and the journal keeps numbering after the crash
    assert j.append("test.sale", {"n": 0}).seq == max(entries) + 1


def test_a_run_of_several_sales_goes_to_the_batch_function_one_sale_to_the_single_one():
    from app.services.cafeteria import apply
    from app.sync.journal import batch_function, kind_function
    from app.sync.journal_sender import _batch_sql

    fn = kind_function(apply.SALE_KIND)
    assert (fn, batch_function(fn)) == ("cafeteria.apply_sale_entry", "cafeteria.apply_sale_entries")
    assert "cafeteria.apply_sale_entries(%(terminal)s" in _batch_sql(fn, 3)
    # one sale: the function called directly with the entry's own fields (no array to build and unpack)
    assert "cafeteria.apply_sale_entry(CAST(%(id)s AS uuid), %(terminal)s" in _batch_sql(fn, 1)
    assert "jsonb_array_elements" not in _batch_sql(fn, 1)


def test_the_sender_sends_what_the_register_handed_over_only_when_it_is_exactly_what_is_pending(tmp_path):
    """An entry offered by its writer is sent as written (no read back); when the journal holds another pending entry
    the offer does not cover, the pass reads the journal, so nothing pending is skipped and the order is kept."""
    from app.sync.journal_sender import JournalSender

    j = Journal(tmp_path / "t.journal", "T-OFFER")
    sender = JournalSender(j, engine=None)
    e1 = j.append("cafeteria.sale", {"n": 1}, subject="student:1")
    sender.offer(e1)
    got = sender._pending(None)
    assert got == [e1] and got[0] is e1  # the very entry handed over, its payload text as journaled
    assert got[0].payload_text == '{"n":1}'
    # a second entry journaled without an offer (another writer): the offer of the third does not cover it
    e2 = j.append("cafeteria.sale", {"n": 2}, subject="student:2")
    e3 = j.append("cafeteria.sale", {"n": 3}, subject="student:3")
    sender.offer(e3)
    got = sender._pending(None)
    assert [e.seq for e in got] == [e1.seq, e2.seq, e3.seq]  # read from the journal, in sequence order
    assert all(e is not e3 for e in got)
    j.close()


def test_a_journal_written_by_an_older_version_answers_the_same_with_the_new_indexes(tmp_path):
    """An older terminal's journal (indexes holding each entry's state) is opened by this version: its pending,
    held and per-student entries read as before, and marking an entry applied no longer rewrites the subject's
    index (the indexes are the small partial ones)."""
    import sqlite3

    path = tmp_path / "old.journal"
    j = Journal(path, "T-OLD")
    sales = [j.append("cafeteria.sale", {"n": n}, subject=f"student:{n % 2}") for n in range(4)]
    j.mark_applied(sales[0].entry_id, {"lines": 1})
    j.mark_held(sales[1].entry_id, "refused")
    j.close()
    c = sqlite3.connect(path)  # what the older version's schema had
    c.executescript("DROP INDEX ix_journal_pending; DROP INDEX ix_journal_held; DROP INDEX ix_journal_about; "
                    "CREATE INDEX ix_journal_state ON journal_entries (state, seq); "
                    "CREATE INDEX ix_journal_subject ON journal_entries (subject, state);")
    c.close()
    j = Journal(path, "T-OLD")
    names = {r[0] for r in j._conn().execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"ix_journal_pending", "ix_journal_held", "ix_journal_about"} <= names
    assert not names & {"ix_journal_state", "ix_journal_subject"}
    assert [e.seq for e in j.pending_entries()] == [3, 4] and j.pending_count() == 2
    assert [e.seq for e in j.held_entries()] == [2] and j.held_count() == 1
    assert [(e.seq, e.state) for e in j.entries_for("student:0")] == [(1, "applied"), (3, "pending")]
    plan = " ".join(str(r) for r in j._conn().execute(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM journal_entries WHERE state = 'pending'"))
    assert "ix_journal_pending" in plan
    before = j.generation
    j.mark_applied(sales[2].entry_id, None)
    assert j.generation > before  # a reader keeping what it read knows to read again
    assert [e.seq for e in j.pending_entries()] == [4]
    j.close()


def test_a_busy_lines_marks_keep_the_status_bars_figures_and_clear_an_error_at_once(tmp_path):
    """Marking sales applied writes the contact times at most once a second (a busy line's marks are one statement
    each), but the status bar's last sync is there after the first mark and an error noted is cleared by the next
    successful mark, however soon."""
    j = Journal(tmp_path / "t.journal", "T-MARK")
    sales = [j.append("cafeteria.sale", {"n": n}) for n in range(3)]
    j.mark_applied_many([(sales[0].entry_id, {"lines": 1})])
    first = j.status()
    assert first.last_sync_at is not None and first.last_applied_at is not None and first.online
    j.note_contact("PostgreSQL out of reach")
    assert not j.status().online
    j.mark_applied_many([(sales[1].entry_id, None)])
    assert j.status().online and j.status().last_sync_at >= first.last_sync_at
    j.mark_applied_many([(sales[2].entry_id, {"lines": 1})])  # within the second: the entry alone
    assert j.status().pending == 0 and j.entry(sales[2].entry_id).state == "applied"
    assert j.entry(sales[2].entry_id).result == {"lines": 1}
    j.close()


def test_an_entry_is_one_committed_statement_and_threads_writing_at_once_number_without_gaps(tmp_path):
    """append() is one statement in its own transaction: committed (FULL) when it returns, never written inside a
    transaction left open on the connection; writers in several threads (each its own connection) and a sender
    marking entries meanwhile get every sequence number once, in order, with no gap and no busy error (the
    statement takes the write lock before it reads the last number)."""
    import threading

    import pytest

    j = Journal(tmp_path / "t.journal", "T-ONE")
    first = j.append("test.sale", {"n": 0})
    assert not j._conn().in_transaction and j.pragma("synchronous") == 2
    j._conn().execute("BEGIN")
    with pytest.raises(JournalError, match="inside a transaction"):
        j.append("test.sale", {"n": -1})
    j._conn().execute("ROLLBACK")
    errors, written = [], []
    lock = threading.Lock()

    def writer(w: int) -> None:
        try:
            for n in range(100):
                e = j.append("test.sale", {"w": w, "n": n}, subject=f"student:{w}")
                with lock:
                    written.append(e)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def marker() -> None:
        try:
            while len(written) < 400:
                with lock:
                    batch = [(e.entry_id, None) for e in written[-5:]]
                j.mark_applied_many(batch)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)] + [threading.Thread(target=marker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(e.seq for e in written) == list(range(first.seq + 1, first.seq + 401))
    for w in range(4):  # each writer's entries in its own order
        assert [e.payload["n"] for e in j.entries_for(f"student:{w}")] == list(range(100))
    j.close()


WRITER_MARKING = """
import sys
from app.sync.journal import Journal
j = Journal(sys.argv[1], "KILLME")
n = 0
while True:
    n += 1
    e = j.append("test.sale", {"n": n, "text": "x" * 500})
    print(e.seq, e.entry_id, flush=True)
    j.mark_applied_many([(e.entry_id, {"n": n})])  # written without waiting for the disk, same connection
"""


def test_kill_9_while_entries_are_written_and_marked_loses_no_confirmed_entry(tmp_path):
    """Entries and their marks written by one connection (marks with synchronous=NORMAL): after kill -9, every
    entry whose append() returned is there, intact, numbered without gaps (a mark may be lost, never an entry)."""
    path = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER_MARKING, str(path)], stdout=subprocess.PIPE, text=True,
                            cwd=REPO, env=env)
    confirmed = []
    deadline = time.monotonic() + 60
    while len(confirmed) < 150 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            seq, eid = line.split()
            confirmed.append((int(seq), eid))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    confirmed += [(int(s), e) for s, e in (ln.split() for ln in proc.stdout.read().splitlines() if ln.strip())]
    assert len(confirmed) >= 150
    j = Journal(path, "KILLME")
    assert j.pragma("integrity_check") == "ok" and j.pragma("synchronous") == 2
    entries = {e.seq: e for e in j.all_entries()}
    assert sorted(entries) == list(range(1, max(entries) + 1))
    for seq, eid in confirmed:
        assert str(entries[seq].entry_id) == eid and entries[seq].payload["n"] == seq
    assert j.append("test.sale", {"n": 0}).seq == max(entries) + 1
