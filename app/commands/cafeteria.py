"""`school-office-admin pos simulate`: the point of sale's proof run. N separate terminal processes
ring up M sales each from the demo roster through the real register service and journal; one JSON
line at the end counts journaled, applied and pending sales from the journals and the ledger.
Restarting it on the same journal directory finishes delivering what is pending."""

from __future__ import annotations

import json
from pathlib import Path

from app.errors import UserError


def register(subparsers) -> None:
    pos = subparsers.add_parser("pos", help="the cafeteria point of sale")
    sub = pos.add_subparsers(dest="what", required=True)
    sim = sub.add_parser("simulate", help="N terminal processes ring up M sales each; prints one JSON line")
    sim.add_argument("--terminals", type=int, required=True)
    sim.add_argument("--sales", type=int, required=True, help="sales per terminal")
    sim.add_argument("--journal-dir", type=Path, required=True, help="the terminals' journals (kept between runs)")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--drain-seconds", type=float, default=120.0,
                     help="how long a terminal waits for its pending sales to be applied before it exits")
    sim.set_defaults(func=cmd_simulate)


def cmd_simulate(args) -> int:
    from app.cli import _platform
    from app.services.cafeteria.simulate import simulate

    if not 1 <= args.terminals <= 64:
        raise UserError(f"--terminals {args.terminals} is out of range; use 1 to 64.")
    if not 1 <= args.sales <= 100_000:
        raise UserError(f"--sales {args.sales} is out of range; use 1 to 100000.")
    with _platform(args, migrate=False, start_dynamo=False) as platform:
        url = platform.engine.url.render_as_string(hide_password=False)
        with platform.engine.connect() as c:
            from sqlalchemy import text

            if not c.execute(text("SELECT count(*) FROM cafeteria.menu_items")).scalar():
                raise UserError("The database has no cafeteria menu; load the demo district first "
                                "(school-office-admin seed-demo).")
        result = simulate(url, args.terminals, args.sales, args.journal_dir, args.seed, args.drain_seconds)
    print(json.dumps(result))
    return 0 if result["pending"] == 0 and result["journaled"] == result["applied"] else 3
