"""`school-office-admin pos simulate`: N separate terminal processes ring up sales from the demo roster
through the real register service and journal; the parent counts journaled, applied and pending sales
from the journals and the ledger. A terminal process is `python -m app.services.cafeteria.simulate`.

Each terminal rings up sales until its journal holds M of them, so a run restarted on the same
journal directory (after a kill -9 or a database crash) only finishes the job and delivers what is
pending. The database URL reaches the terminals in the environment (never on a command line).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

from app.errors import UserError

URL_ENV = "SCHOOL_OFFICE_POS_URL"
SCHOOLS = (255950001, 255950002, 255950003)


def terminal_id(index: int) -> str:
    return f"SIM-{index + 1:02d}"


class _Tender:
    def __init__(self, kind, amount, tendered=None):
        self.kind, self.amount, self.tendered, self.check_number = kind, amount, tendered, None


def _ring_one(reg, rng: random.Random, kids: list[dict], lunch: list[int], extras: list[int]) -> None:
    from app.services.cafeteria.dto import AlertNotAcknowledged, OverLimit, RepeatScan, SaleDraft

    kid = rng.choice(kids)
    items = [rng.choice(lunch)] + ([rng.choice(extras)] if rng.random() < 0.3 else [])
    cash = rng.random() < 0.15
    sale_id = str(uuid.uuid4())
    ack: tuple[str, ...] = ()
    confirm, override = False, None
    for _ in range(6):
        q = reg.quote(kid["usi"], "lunch", tuple(items))
        tenders = (_Tender("cash", q.total, q.total + Decimal("1.00")),) if cash and q.total else ()
        try:
            reg.record_sale(SaleDraft(sale_id, kid["usi"], "lunch", tuple(items), tenders, ack,
                                      override_by=override, override_reason="simulation" if override else None,
                                      confirm_repeat=confirm))
            return
        except AlertNotAcknowledged as e:
            ack = tuple(a.label for a in e.alerts)
        except RepeatScan:
            confirm = True
        except OverLimit as e:
            items = [e.alternate_item_id] if e.alternate_item_id else items
        except UserError:
            cash = True  # a la carte the account cannot pay: the student pays cash


def run_terminal(url: str, journal_dir: Path, index: int, sales: int, seed: int, drain_seconds: float) -> int:
    from app.services.cafeteria import apply  # noqa: F401 - registers the journal kinds
    from app.services.cafeteria.register import Register

    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args={"connect_timeout": 3})
    school = SCHOOLS[index % len(SCHOOLS)]
    reg = Register.open(engine, journal_dir, terminal_id(index), school)
    reg.start(refresh_seconds=3600)
    try:
        if reg.journal.noted("till_id") is None:
            reg.open_till("100.00", str(uuid.uuid4()))
        have = reg.journal.kind_count("cafeteria.sale")
        rng = random.Random(f"{seed}-{index}-{have}")  # who buys what; every sale id is a fresh UUID
        snap = reg.snapshot
        kids = [s for s in snap.content["students"].values() if s["has_account"] and not s.get("withdrawn")]
        lunch = [i.item_id for i in snap.items.values() if i.category == "meal" and i.meal_service == "lunch"]
        extras = [i.item_id for i in snap.items.values() if i.category == "a_la_carte"]
        while have < sales:
            _ring_one(reg, rng, kids, lunch, extras)
            have = reg.journal.kind_count("cafeteria.sale")
            if have % 10 == 0:
                print(f"{terminal_id(index)} journaled {have}", flush=True)
        deadline = time.monotonic() + drain_seconds
        while reg.journal.pending_count() and time.monotonic() < deadline:
            reg.sender.wake()
            time.sleep(0.2)
        return 0 if reg.journal.pending_count() == 0 else 3
    finally:
        reg.stop()
        engine.dispose()


def count(engine, journal_dir: Path) -> dict:
    """journaled / applied / pending, from the journals in the directory and the ledger."""
    from app.sync.journal import Journal

    ids, pending, held = [], 0, 0
    for path in sorted(journal_dir.glob("*.journal")):
        j = Journal(path, path.stem)
        for e in j.all_entries():
            if e.kind == "cafeteria.sale":
                ids.append(e.entry_id)
                pending += e.state == "pending"
                held += e.state == "held"
        j.close()
    with engine.connect() as c:
        applied = c.execute(text("SELECT count(*) FROM cafeteria.sales WHERE sale_uuid = ANY(:ids)"),
                            {"ids": ids}).scalar() if ids else 0
        lines = c.execute(text("SELECT count(*) - count(DISTINCT (sale_uuid, line_no)) FROM cafeteria.meal_transactions "
                               "WHERE sale_uuid = ANY(:ids)"), {"ids": ids}).scalar() if ids else 0
        wrong = c.execute(text(
            "SELECT count(*) FROM cafeteria.student_meal_plans p WHERE p.is_active AND p.account_balance <> "
            "(SELECT coalesce(sum(t.amount), 0) FROM cafeteria.meal_transactions t WHERE t.student_usi = p.student_usi)"
        )).scalar()
    return {"journaled": len(ids), "applied": applied, "pending": pending, "held": held,
            "duplicate_lines": lines, "balances_off": wrong}


def simulate(url: str, terminals: int, sales: int, journal_dir: Path, seed: int, drain_seconds: float = 120.0,
             on_start=None) -> dict:
    """Start the terminal processes, wait for them, count."""
    journal_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, URL_ENV: url}
    root = Path(__file__).resolve().parents[3]
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-m", "app.services.cafeteria.simulate", "--index", str(i),
                               "--sales", str(sales), "--journal-dir", str(journal_dir), "--seed", str(seed),
                               "--drain-seconds", str(drain_seconds)], env=env, cwd=root)
             for i in range(terminals)]
    if on_start is not None:
        on_start(procs)
    codes = [p.wait() for p in procs]
    engine = create_engine(url, hide_parameters=True)
    try:
        result = count(engine, journal_dir)
    finally:
        engine.dispose()
    result.update(terminals=terminals, exit_codes=codes, seconds=round(time.monotonic() - started, 1))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="one simulated cafeteria terminal")
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--sales", type=int, required=True)
    p.add_argument("--journal-dir", type=Path, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--drain-seconds", type=float, default=120.0)
    a = p.parse_args(argv)
    url = os.environ.get(URL_ENV)
    if not url:
        print(f"{URL_ENV} is not set; start terminals through school-office-admin pos simulate.", file=sys.stderr)
        return 2
    return run_terminal(url, a.journal_dir, a.index, a.sales, a.seed, a.drain_seconds)


if __name__ == "__main__":
    sys.exit(main())

