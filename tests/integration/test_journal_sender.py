"""The offline journal's sender against a real PostgreSQL: in order, exactly once, resent after a
lost reply, conflicts flagged (never dropped), and nothing lost when PostgreSQL stops immediately."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.sync.journal import Journal, Refused
from app.sync.journal_sender import JournalSender
from tests.integration.own_postgres import OwnPostgres

pytestmark = pytest.mark.integration

SINK = "t_journal_sink"


def _sink(conn, entry):
    if entry.payload.get("refuse"):
        raise Refused("the item was withdrawn")
    conn.execute(text(f"INSERT INTO {SINK} (entry_id, terminal, seq, n) VALUES (:e, :t, :s, :n)"),
                 {"e": entry.entry_id, "t": entry.terminal_id, "s": entry.seq, "n": entry.payload["n"]})
    return {"n": entry.payload["n"]}


APPLIERS = {"test.sink": _sink}


def _make_sink(engine) -> None:
    with engine.begin() as c:
        c.execute(text(f"CREATE TABLE IF NOT EXISTS {SINK} (id bigserial PRIMARY KEY, entry_id uuid UNIQUE NOT NULL, "
                       "terminal text, seq bigint, n int)"))
        c.execute(text(f"TRUNCATE {SINK}"))


@pytest.fixture
def sink(engine):
    _make_sink(engine)
    yield engine
    with engine.begin() as c:
        c.execute(text(f"DROP TABLE {SINK}"))


def _rows(engine, sql, **params):
    with engine.connect() as c:
        return c.execute(text(sql), params).all()


def test_entries_apply_in_order_exactly_once(sink, tmp_path):
    j = Journal(tmp_path / "a.db", "T-A")
    for n in range(1, 6):
        j.append("test.sink", {"n": n})
    sender = JournalSender(j, sink, appliers=APPLIERS)
    report = sender.send_pending()
    assert (report.applied, report.pending, report.error) == (5, 0, None)
    assert [r.n for r in _rows(sink, f"SELECT n FROM {SINK} ORDER BY id")] == [1, 2, 3, 4, 5]
    assert sender.send_pending().applied == 0  # nothing twice
    assert j.last_sync_at() is not None and j.entry(j.all_entries()[0].entry_id).result == {"n": 1}


def test_a_commit_whose_reply_was_lost_is_resent_with_the_same_uuid_and_applied_once(sink, tmp_path):
    j = Journal(tmp_path / "b.db", "T-B")
    e = j.append("test.sink", {"n": 42})

    class LostReply(Journal):
        def mark_applied(self, entry_id, result=None):
            raise ConnectionError("the reply to COMMIT never came")

    lossy = LostReply(tmp_path / "b.db", "T-B")
    with pytest.raises(ConnectionError), sink.connect() as conn:
        JournalSender(lossy, sink, appliers=APPLIERS)._send_one(conn, e)
    assert j.pending_count() == 1  # the terminal does not know it landed
    report = JournalSender(j, sink, appliers=APPLIERS).send_pending()
    assert (report.applied, report.already_applied, report.pending) == (0, 1, 0)
    assert len(_rows(sink, f"SELECT 1 FROM {SINK} WHERE entry_id = :e", e=e.entry_id)) == 1


def test_the_same_uuid_with_another_payload_is_refused_flagged_and_kept(sink, tmp_path):
    shared_id = uuid.uuid4()
    one = Journal(tmp_path / "c1.db", "T-C1")
    one.append("test.sink", {"n": 1}, entry_id=shared_id)
    JournalSender(one, sink, appliers=APPLIERS).send_pending()
    two = Journal(tmp_path / "c2.db", "T-C2")
    two.append("test.sink", {"n": 999}, entry_id=shared_id)
    later = two.append("test.sink", {"n": 2})
    report = JournalSender(two, sink, appliers=APPLIERS).send_pending()
    assert (report.held, report.applied) == (1, 1)
    held = two.held_entries()
    assert [h.entry_id for h in held] == [shared_id] and "another content" in held[0].last_error
    flags = _rows(sink, "SELECT terminal_id, payload, reason FROM sync.journal_flags WHERE entry_id = :e", e=shared_id)
    assert flags[0].terminal_id == "T-C2" and flags[0].payload == {"n": 999}
    assert [r.n for r in _rows(sink, f"SELECT n FROM {SINK} WHERE entry_id IN (:a, :b) ORDER BY n",
                               a=shared_id, b=later.entry_id)] == [1, 2]


def test_an_entry_that_can_never_apply_is_held_and_flagged_and_the_rest_continue(sink, tmp_path):
    j = Journal(tmp_path / "d.db", "T-D")
    bad = j.append("test.sink", {"n": 1, "refuse": True})
    unknown = j.append("test.nobody-knows", {"n": 2})
    good = j.append("test.sink", {"n": 3})
    report = JournalSender(j, sink, appliers=APPLIERS).send_pending()
    assert (report.applied, report.held, report.pending) == (1, 2, 0)
    assert j.entry(good.entry_id).state == "applied"
    reasons = dict(_rows(sink, "SELECT entry_id, reason FROM sync.journal_flags WHERE terminal_id = 'T-D'"))
    assert reasons[bad.entry_id] == "the item was withdrawn"
    assert "does not know how to apply" in reasons[unknown.entry_id]
    assert _rows(sink, "SELECT count(*) FROM sync.journal_receipts WHERE terminal_id = 'T-D'")[0][0] == 1


def test_staff_reach_the_journal_tables_only_through_the_functions(login_engine):
    cashier, teacher = login_engine("demo_cashier"), login_engine("demo_teacher")
    for sql in ("SELECT * FROM sync.journal_receipts", "SELECT * FROM sync.journal_flags",
                "INSERT INTO sync.journal_receipts (entry_id, terminal_id, seq, kind, payload_sha256) "
                "VALUES (gen_random_uuid(), 'x', 1, 'a.b', repeat('0', 64))",
                "DELETE FROM sync.journal_flags", "UPDATE sync.journal_flags SET reason = 'x'"):
        with pytest.raises(DBAPIError, match="permission denied"), cashier.begin() as c:
            c.execute(text(sql))
    with pytest.raises(DBAPIError, match="permission denied"), teacher.begin() as c:
        c.execute(text("SELECT sync.journal_claim(gen_random_uuid(), 'x', 1, 'a.b', repeat('0', 64), '{}')"))
    with cashier.connect() as c:  # the cashier's own claim works, inside their transaction
        tx = c.begin()
        assert c.execute(text("SELECT sync.journal_claim(gen_random_uuid(), 'x', 1, 'a.b', repeat('0', 64), "
                              "'{}')")).scalar() == "new"
        tx.rollback()


@pytest.fixture(scope="module")
def own_pg():
    pg = OwnPostgres()
    yield pg
    pg.close()


def test_postgres_stopped_immediately_mid_stream_loses_nothing_and_doubles_nothing(own_pg, tmp_path):
    from app.db.migrate import upgrade_schema

    engine = own_pg.create_database("journal_crash")
    upgrade_schema(engine)
    _make_sink(engine)
    j = Journal(tmp_path / "e.db", "T-E")
    sender = JournalSender(j, engine, appliers=APPLIERS, interval=0.05, max_backoff=0.5)
    sender.start()
    total = 300

    def ring():
        for n in range(1, total + 1):
            j.append("test.sink", {"n": n})
            sender.wake()
            time.sleep(0.004)

    writer = threading.Thread(target=ring)
    writer.start()
    while len(j.all_entries()) < total // 3:
        time.sleep(0.01)
    own_pg.stop_immediate()  # in the middle of the stream: no shutdown, connections cut
    time.sleep(1.0)
    assert j.status().last_error  # the sender noticed, the terminal keeps journaling
    own_pg.start()
    writer.join()
    deadline = time.monotonic() + 60
    while j.pending_count() and time.monotonic() < deadline:
        time.sleep(0.1)
    sender.stop()
    assert j.pending_count() == 0 and j.held_count() == 0
    ns = [r.n for r in _rows(engine, f"SELECT n FROM {SINK} ORDER BY id")]
    assert sorted(ns) == list(range(1, total + 1))  # every entry once
    assert ns == sorted(ns)  # in the terminal's order
    assert _rows(engine, "SELECT count(*) FROM sync.journal_receipts")[0][0] == total
    engine.dispose()
