"""`school-office-admin transport packet|lists` (set-up commands: transport_setup.py): print a run's driver packet (or the substitute's,
or the emergency list) and the coordinator's lists to PDF files from the server, e.g. for a
nightly folder the bus garage prints from. Run as the schema owner."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.errors import UserError


def register(subparsers) -> None:
    t = subparsers.add_parser("transport", help="bus packets and lists as PDF files")
    sub = t.add_subparsers(dest="what", required=True)
    p = sub.add_parser("packet", help="a run's driver packet for a day")
    p.add_argument("run", help='the run, as the desk names it: "Route 5 AM"')
    p.add_argument("--day", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    p.add_argument("--kind", choices=("driver", "substitute", "emergency"), default="driver")
    p.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    p.set_defaults(func=cmd_packet)
    lst = sub.add_parser("lists", help="rider counts, unassigned eligible students, empty stops, idle riders")
    lst.add_argument("--day", type=date.fromisoformat, default=None)
    lst.add_argument("--idle-days", type=int, default=5)
    lst.add_argument("--out", type=Path, required=True)
    lst.set_defaults(func=cmd_lists)
    from app.commands.transport_setup import add_setup_commands

    add_setup_commands(sub)


def cmd_packet(args) -> int:
    from app.cli import _platform
    from app.services.transport import lists, routes
    from reports import transport_packet

    day = args.day or date.today()
    with _platform(args, migrate=False, start_dynamo=False) as platform:
        with platform.engine.connect() as c:
            run = next((r for r in routes.list_runs(c, day) if r.name == args.run), None)
            if run is None:
                raise UserError(f"There is no active run called \"{args.run}\"; name it as the desk does, e.g. "
                                "\"Route 5 AM\".")
            roster = lists.run_roster(c, run.run_id, day)
    data = (transport_packet.build_emergency_list(roster) if args.kind == "emergency" else
            transport_packet.build_packet(roster, substitute=args.kind == "substitute"))
    args.out.write_bytes(data)
    print(f"Wrote the {args.kind} packet of {args.run} for {day:%m/%d/%Y} ({len(roster.riders)} riders) to {args.out}.")
    return 0


def cmd_lists(args) -> int:
    from app.cli import _platform
    from app.services.transport import lists, riders
    from reports import transport_lists

    day = args.day or date.today()
    if not 1 <= args.idle_days <= 180:
        raise UserError(f"--idle-days {args.idle_days} is out of range; use 1 to 180.")
    with _platform(args, migrate=False, start_dynamo=False) as platform:
        with platform.engine.connect() as c:
            data = transport_lists.build_lists(day, lists.rider_counts(c, day), riders.needing_assignment(c, day),
                                               lists.stops_without_riders(c, day),
                                               lists.riders_not_riding(c, args.idle_days, day), args.idle_days)
    args.out.write_bytes(data)
    print(f"Wrote the transportation lists for {day:%m/%d/%Y} to {args.out}.")
    return 0
