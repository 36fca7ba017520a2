"""Journal kinds applied by a PostgreSQL function (one round trip an entry, several entries a statement):
in order, each exactly once, a refused entry held without holding back the others, the statement's
entries committed together, and the background sender's connection given back when it stops."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import text

from app.sync.journal import Journal, kind_function, register_kind
from app.sync.journal_sender import JournalSender

pytestmark = pytest.mark.integration

KIND = "test.fnsink"
FUNCTION = "public.t_apply_fn_sink"
register_kind(KIND, function=FUNCTION)


def _python_sink(conn, entry):
    conn.execute(text("INSERT INTO t_fn_sink (entry_id, seq, n) VALUES (:e, :s, :n)"),
                 {"e": entry.entry_id, "s": entry.seq, "n": entry.payload["n"]})
    return {"n": entry.payload["n"]}


@pytest.fixture
def fn_sink(engine):
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS t_fn_sink (id bigserial PRIMARY KEY, entry_id uuid UNIQUE NOT NULL, "
                       "seq bigint, n int)"))
        c.execute(text("TRUNCATE t_fn_sink"))
        c.execute(text(f"""
            CREATE OR REPLACE FUNCTION {FUNCTION}(p_entry uuid, p_terminal text, p_seq bigint, p_sha text,
                                                  p_payload jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
            DECLARE o text;
            BEGIN
                o := sync.journal_claim(p_entry, p_terminal, p_seq, '{KIND}', p_sha, p_payload);
                IF o <> 'new' THEN
                    RETURN jsonb_build_object('outcome', o);
                END IF;
                IF coalesce((p_payload->>'refuse')::boolean, false) THEN
                    RAISE EXCEPTION 'entry % cannot apply', p_payload->>'n' USING ERRCODE = '23514';
                END IF;
                INSERT INTO t_fn_sink (entry_id, seq, n) VALUES (p_entry, p_seq, (p_payload->>'n')::int);
                RETURN jsonb_build_object('outcome', 'new', 'n', (p_payload->>'n')::int);
            END $$"""))
    yield engine
    with engine.begin() as c:
        c.execute(text(f"DROP FUNCTION {FUNCTION}(uuid, text, bigint, text, jsonb)"))
        c.execute(text("DROP TABLE t_fn_sink"))


def _sink(engine):
    with engine.connect() as c:
        return c.execute(text("SELECT n, xmin::text AS tx FROM t_fn_sink ORDER BY id")).all()


def test_a_kind_is_applied_by_python_or_by_a_named_postgresql_function():
    assert kind_function(KIND) == FUNCTION
    for bad in ("drop table x", "public.f; select 1", "f"):
        with pytest.raises(ValueError):
            register_kind("test.bad", function=bad)
    with pytest.raises(ValueError):
        register_kind("test.bad", _python_sink, function=FUNCTION)
    with pytest.raises(ValueError):
        register_kind("test.bad")


def test_pending_entries_go_in_one_statement_in_order_each_once(fn_sink, tmp_path):
    j = Journal(tmp_path / "a.db", "T-FA")
    for n in range(1, 11):
        j.append(KIND, {"n": n})
    report = JournalSender(j, fn_sink).send_pending()
    assert (report.applied, report.held, report.pending, report.error) == (10, 0, 0, None)
    rows = _sink(fn_sink)
    assert [r.n for r in rows] == list(range(1, 11))
    assert len({r.tx for r in rows}) == 1  # one transaction for the ten
    assert [e.result for e in j.all_entries()] == [{"n": n} for n in range(1, 11)]
    assert j.last_sync_at() is not None
    assert JournalSender(j, fn_sink).send_pending().applied == 0


def test_runs_are_cut_at_the_batch_size_and_at_python_kinds_in_sequence_order(fn_sink, tmp_path):
    j = Journal(tmp_path / "b.db", "T-FB")
    for n in range(1, 11):
        j.append("test.pysink" if n == 6 else KIND, {"n": n})
    register_kind("test.pysink", _python_sink)
    report = JournalSender(j, fn_sink, batch_size=3).send_pending()
    assert (report.applied, report.pending) == (10, 0)
    rows = _sink(fn_sink)
    assert [r.n for r in rows] == list(range(1, 11))
    # 1-3, 4-5, 6 (Python), 7-9, 10
    assert len({r.tx for r in rows}) == 5


def test_a_refused_entry_is_held_and_flagged_and_the_rest_of_its_statement_applies(fn_sink, tmp_path):
    j = Journal(tmp_path / "c.db", "T-FC")
    entries = [j.append(KIND, {"n": n, "refuse": n == 3}) for n in range(1, 6)]
    report = JournalSender(j, fn_sink).send_pending()
    assert (report.applied, report.held, report.pending) == (4, 1, 0)
    assert [r.n for r in _sink(fn_sink)] == [1, 2, 4, 5]
    held = j.held_entries()
    assert [h.entry_id for h in held] == [entries[2].entry_id] and "entry 3 cannot apply" in held[0].last_error
    with fn_sink.connect() as c:
        reason = c.execute(text("SELECT reason FROM sync.journal_flags WHERE entry_id = :e"),
                           {"e": entries[2].entry_id}).scalar()
        receipts = c.execute(text("SELECT count(*) FROM sync.journal_receipts WHERE terminal_id = 'T-FC'")).scalar()
    assert "entry 3 cannot apply" in reason and receipts == 4


def test_an_entry_whose_commit_reply_was_lost_is_acknowledged_not_applied_again(fn_sink, tmp_path):
    j = Journal(tmp_path / "d.db", "T-FD")
    e = j.append(KIND, {"n": 7})
    other = j.append(KIND, {"n": 8})
    # the server committed the first one, the terminal never heard back
    with fn_sink.begin() as c:
        assert c.execute(text(f"SELECT {FUNCTION}(:e, 'T-FD', :s, :h, CAST(:p AS jsonb))"),
                         {"e": e.entry_id, "s": e.seq, "h": e.payload_sha256, "p": '{"n": 7}'}).scalar() == {
            "outcome": "new", "n": 7}
    report = JournalSender(j, fn_sink).send_pending()
    assert (report.applied, report.already_applied, report.pending) == (1, 1, 0)
    assert [r.n for r in _sink(fn_sink)] == [7, 8]
    assert j.entry(other.entry_id).result == {"n": 8} and j.entry(e.entry_id).state == "applied"


def test_the_same_id_with_another_content_is_flagged_not_applied(fn_sink, tmp_path):
    shared = uuid.uuid4()
    one, two = Journal(tmp_path / "e1.db", "T-FE1"), Journal(tmp_path / "e2.db", "T-FE2")
    one.append(KIND, {"n": 1}, entry_id=shared)
    JournalSender(one, fn_sink).send_pending()
    two.append(KIND, {"n": 99}, entry_id=shared)
    report = JournalSender(two, fn_sink).send_pending()
    assert (report.applied, report.held) == (0, 1)
    assert [r.n for r in _sink(fn_sink)] == [1]
    assert "another content" in two.held_entries()[0].last_error


def test_the_background_sender_keeps_one_connection_while_busy_and_gives_it_back(fn_sink, tmp_path):
    from sqlalchemy import create_engine

    eng = create_engine(fn_sink.url, pool_size=2, max_overflow=0)
    try:
        j = Journal(tmp_path / "f.db", "T-FF")
        sender = JournalSender(j, eng, interval=0.05)
        sender.start()
        for n in range(1, 31):
            j.append(KIND, {"n": n})
            sender.wake()
        deadline = time.monotonic() + 30
        while j.pending_count() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert j.pending_count() == 0
        sender.stop()
        assert eng.pool.checkedout() == 0
        assert [r.n for r in _sink(fn_sink)] == list(range(1, 31))
        # a Python kind after function runs still gets its own transaction, on a connection back in transactions
        register_kind("test.pysink", _python_sink)
        j.append(KIND, {"n": 31})
        j.append("test.pysink", {"n": 32})
        assert JournalSender(j, eng).send_pending().applied == 2
        assert eng.pool.checkedout() == 0
        with eng.connect() as c:
            assert c.connection.driver_connection.autocommit is False
        # a terminal's sender may keep its connection between synchronous sends, until it stops
        own = JournalSender(j, eng, hold_connection=True)
        j.append(KIND, {"n": 33})
        assert own.send_pending().applied == 1 and eng.pool.checkedout() == 1
        j.append(KIND, {"n": 34})
        assert own.send_pending().applied == 1 and eng.pool.checkedout() == 1
        own.stop()
        assert eng.pool.checkedout() == 0
        assert [r.n for r in _sink(fn_sink)][-4:] == [31, 32, 33, 34]
    finally:
        eng.dispose()
