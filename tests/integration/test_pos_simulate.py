"""Issue 9's proof: `school-office-admin pos simulate` with real terminal processes, on a PostgreSQL
cluster of the test's own. A terminal killed with kill -9 in the middle of its sales, and PostgreSQL
stopped immediately in the middle of a run: after restarting, every journaled sale is in the ledger
exactly once and every balance equals the sum of its entries."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.db.migrate import migrate
from app.services.demo_seed import seed_demo
from tests.conftest import DEMO_AS_OF
from tests.integration.own_postgres import OwnPostgres

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pos_db():
    pg = OwnPostgres()
    engine = pg.create_database("pos")
    migrate(engine)
    seed_demo(engine, students=150, seed=9, as_of=DEMO_AS_OF, timeline=False)
    engine.dispose()
    yield pg
    pg.close()


def run_cli(pg, journal_dir: Path, tmp: Path, terminals: int, sales: int, wait: bool = True):
    env = {**os.environ, "DATABASE_URL": pg.url("pos"), "SCHOOL_OFFICE_DATA_DIR": str(tmp / "data"),
           "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "pos", "simulate", "--terminals", str(terminals),
                             "--sales", str(sales), "--journal-dir", str(journal_dir), "--seed", "3",
                             "--drain-seconds", "90"], env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
    return finish(proc) if wait else proc


def finish(proc) -> dict:
    out, _ = proc.communicate(timeout=600)
    return json.loads(out.strip().splitlines()[-1])


def journaled(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as c:
        try:
            return c.execute("SELECT count(*) FROM journal_entries WHERE kind = 'cafeteria.sale'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(x) for x in f.read().split()]


def wait_for(cond, seconds=120.0):
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def assert_exactly_once(result: dict, expected: int) -> None:
    assert result["journaled"] == expected
    assert result["applied"] == expected and result["pending"] == 0 and result["held"] == 0
    assert result["duplicate_lines"] == 0 and result["balances_off"] == 0


def test_kill_9_of_a_terminal_in_the_middle_of_its_sales_then_restart(pos_db, tmp_path):
    jdir = tmp_path / "journals"
    # Enough sales that the victim is still ringing them up when the kill lands, even on a loaded machine
    # (with 40 a terminal could finish them all between two looks and be killed while it waited to drain).
    sales = 400
    proc = run_cli(pos_db, jdir, tmp_path, terminals=3, sales=sales, wait=False)
    victim = jdir / "SIM-02.journal"
    wait_for(lambda: journaled(victim) >= 12)
    kids = children(proc.pid)
    target = next(k for k in kids if "--index\x001" in Path(f"/proc/{k}/cmdline").read_text())
    os.kill(target, signal.SIGKILL)
    first = finish(proc)
    assert first["exit_codes"][1] == -signal.SIGKILL
    assert 12 <= journaled(victim) < sales  # killed in the middle of its sales
    assert first["journaled"] < 3 * sales
    again = run_cli(pos_db, jdir, tmp_path, terminals=3, sales=sales)
    assert_exactly_once(again, 3 * sales)


def test_postgres_stopped_immediately_in_the_middle_of_a_run_then_restarted(pos_db, tmp_path):
    jdir = tmp_path / "journals"
    proc = run_cli(pos_db, jdir, tmp_path, terminals=3, sales=60, wait=False)
    wait_for(lambda: sum(journaled(p) for p in jdir.glob("*.journal")) >= 40)
    pos_db.stop_immediate()  # no shutdown checkpoint; every terminal's connection cut
    time.sleep(2.0)
    during = sum(journaled(p) for p in jdir.glob("*.journal"))
    pos_db.start()
    result = finish(proc)
    if result["pending"] or result["journaled"] < 180:  # a terminal gave up waiting: the restart finishes
        result = run_cli(pos_db, jdir, tmp_path, terminals=3, sales=60)
    assert during >= 40
    assert_exactly_once(result, 180)
