"""A function kind's entries commit without waiting for PostgreSQL's disk (they are on the terminal's already): the
journal keeps them pending, and the sender does not send them again, until a commit that waits for the flush
confirms them. Lost with PostgreSQL before that, they are sent again and applied once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from app.sync import journal_sender as JS
from app.sync.journal import Journal
from app.sync.journal_sender import JournalSender
from tests.integration.test_journal_function_kinds import KIND, _sink, fn_sink  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


def test_a_sent_entry_stays_pending_until_postgresql_has_it_on_disk(fn_sink, tmp_path):
    j = Journal(tmp_path / "a.db", "T-CF1")
    for n in (1, 2, 3):
        j.append(KIND, {"n": n})
    sender = JournalSender(j, fn_sink, hold_connection=True)  # (as the register's: it keeps its connection)
    sent = sender.send_pending(settle=False)
    assert (sent.applied, sent.pending, sent.unconfirmed) == (3, 0, 3)
    assert [r.n for r in _sink(fn_sink)] == [1, 2, 3]  # committed: everyone sees the rows
    assert j.pending_count() == 3 and j.counts().get("applied", 0) == 0  # not yet known to be on disk
    j.append(KIND, {"n": 4})
    more = sender.send_pending(settle=False)  # the three are not sent again
    assert (more.applied, more.already_applied, more.unconfirmed) == (1, 0, 4)
    idle = sender.send_pending(settle=False)  # nothing new: the pass confirms
    assert (idle.applied, idle.pending, idle.unconfirmed) == (0, 0, 0)
    assert j.pending_count() == 0 and j.counts()["applied"] == 4
    assert [r.n for r in _sink(fn_sink)] == [1, 2, 3, 4]
    sender.stop()


def test_entries_postgresql_lost_before_their_confirmation_are_sent_again_and_applied_once(fn_sink, tmp_path):
    """The terminal restarts after PostgreSQL lost commits it had not flushed (made here by deleting what they
    wrote): the journal still holds them pending, and the new sender applies each once."""
    j = Journal(tmp_path / "b.db", "T-CF2")
    entries = [j.append(KIND, {"n": n}) for n in (1, 2, 3)]
    crashed = JournalSender(j, fn_sink, hold_connection=True)
    assert crashed.send_pending(settle=False).unconfirmed == 3
    crashed._release(broken=True)  # (the terminal stops here: nothing more of this sender runs)
    with fn_sink.begin() as c:
        c.execute(text("DELETE FROM t_fn_sink WHERE n = 3"))
        c.execute(text("DELETE FROM sync.journal_receipts WHERE entry_id = :e"), {"e": entries[2].entry_id})
    j.close()
    again = Journal(tmp_path / "b.db", "T-CF2")
    report = JournalSender(again, fn_sink).send_pending()
    assert (report.applied, report.already_applied, report.pending, report.unconfirmed) == (1, 2, 0, 0)
    assert [r.n for r in _sink(fn_sink)] == [1, 2, 3]
    assert again.pending_count() == 0


def test_where_the_login_may_not_write_a_log_message_the_log_writers_flush_confirms(fn_sink, tmp_path, monkeypatch):
    """A server that does not let the login write a logical-decoding message (a hardened grant, made here by a
    function raising its error): the sender waits for the log writer's flush instead."""
    with fn_sink.begin() as c:
        c.execute(text("CREATE OR REPLACE FUNCTION public.t_no_message() RETURNS void LANGUAGE plpgsql AS "
                       "$$ BEGIN RAISE EXCEPTION 'permission denied for function pg_logical_emit_message' "
                       "USING ERRCODE = '42501'; END $$"))
    monkeypatch.setattr(JS, "_FLUSHED", "SELECT public.t_no_message()")
    try:
        j = Journal(tmp_path / "c.db", "T-CF3")
        j.append(KIND, {"n": 1})
        report = JournalSender(j, fn_sink).send_pending()
        assert (report.applied, report.pending, report.unconfirmed) == (1, 0, 0)
        assert j.counts()["applied"] == 1
    finally:
        with fn_sink.begin() as c:
            c.execute(text("DROP FUNCTION public.t_no_message()"))


def test_a_confirmation_from_a_server_started_since_proves_nothing_and_the_entries_go_again(fn_sink, tmp_path):
    """(Review of 16b0fd2, HIGH.) A connection that outlives a restart of the server (a proxy reconnecting) would
    confirm on a server that lost the commits: the server's start time is read with the sale and with the
    confirmation, and entries from another server's start are sent again (applied once by their UUIDs)."""
    j = Journal(tmp_path / "d.db", "T-CF4")
    for n in (1, 2, 3):
        j.append(KIND, {"n": n})
    sender = JournalSender(j, fn_sink, hold_connection=True)
    assert sender.send_pending(settle=False).unconfirmed == 3
    sender._unconfirmed_server = sender._unconfirmed_server - timedelta(hours=1)  # (as if sent to another start)
    first = sender.send_pending()
    assert (first.applied, first.pending, first.unconfirmed) == (0, 3, 0)
    assert j.counts().get("applied", 0) == 0
    again = sender.send_pending()
    assert (again.applied, again.already_applied, again.pending, again.unconfirmed) == (0, 3, 0, 0)
    assert j.counts()["applied"] == 3 and [r.n for r in _sink(fn_sink)] == [1, 2, 3]
    sender.stop()


def test_a_conflict_is_held_here_only_once_its_flag_is_on_the_servers_disk(fn_sink, tmp_path):
    """(Review of 16b0fd2, MEDIUM.) The server flags an entry id sent again with another content in the statement's
    own (unflushed) commit; the terminal holds the entry once that is confirmed, not before."""
    first = Journal(tmp_path / "e.db", "T-CF5")
    e = first.append(KIND, {"n": 1})
    assert JournalSender(first, fn_sink).send_pending().applied == 1
    other = Journal(tmp_path / "f.db", "T-CF6")
    other.append(KIND, {"n": 99}, entry_id=e.entry_id)
    sender = JournalSender(other, fn_sink, hold_connection=True)
    report = sender.send_pending(settle=False)
    assert (report.held, report.unconfirmed) == (1, 1) and other.held_count() == 0
    sender.send_pending()
    assert other.held_count() == 1 and other.pending_count() == 0
    sender.stop()
