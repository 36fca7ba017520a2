"""A function kind's entries commit without waiting for PostgreSQL's disk (they are on the terminal's already): the
journal keeps them pending, and the sender does not send them again, until a commit that waits for the flush
confirms them. Lost with PostgreSQL before that, they are sent again and applied once."""

from __future__ import annotations

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
    sender = JournalSender(j, fn_sink)
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


def test_entries_postgresql_lost_before_their_confirmation_are_sent_again_and_applied_once(fn_sink, tmp_path):
    """The terminal restarts after PostgreSQL lost commits it had not flushed (made here by deleting what they
    wrote): the journal still holds them pending, and the new sender applies each once."""
    j = Journal(tmp_path / "b.db", "T-CF2")
    entries = [j.append(KIND, {"n": n}) for n in (1, 2, 3)]
    assert JournalSender(j, fn_sink).send_pending(settle=False).unconfirmed == 3
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
