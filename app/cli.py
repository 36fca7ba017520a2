"""`school-office-admin`: administrators' and scheduled jobs' commands.

    school-office-admin migrate                  bring the database and DynamoDB tables up to date
    school-office-admin seed-demo [--students N] [--seed S] [--as-of YYYY-MM-DD]
    school-office-admin status                   where the data lives, and how many records wait
    school-office-admin ship [--watch] [--retry-dead-letters]   deliver waiting DynamoDB records now
    school-office-admin set-password             keep the DATABASE_URL password in the OS keyring

These run as the schema owner (DATABASE_URL's login, or the built-in server's owner): on the
server or an IT machine, never needed on a workstation, where `school-office` signs in as staff.
    school-office-admin bench seed|search|attendance|timeline [--json]

Errors print one sentence and exit with status 2; details go to the log file.
"""

from __future__ import annotations

import argparse
from contextlib import contextmanager

import logging
import sys
from datetime import date

from app.errors import UserError

log = logging.getLogger("school_office.admin")


@contextmanager
def _platform(args, *, migrate: bool, start_dynamo: bool = True):
    """The running platform for one command, closed (servers released) however the command ends."""
    from app.bootstrap import start_platform
    from app.config import load_settings
    from app.logging_setup import configure_logging

    settings = load_settings()
    configure_logging(settings.log_dir)
    platform = start_platform(settings, migrate=migrate, start_dynamo=start_dynamo,
                              on_status=lambda m: print(m, file=sys.stderr) if m != "Ready" else None)
    try:
        yield platform
    finally:
        platform.close()


def cmd_migrate(args) -> int:
    from app.db.migrate import head_revision

    with _platform(args, migrate=True) as platform:
        print(f"Database schema at revision {head_revision()}; Ed-Fi descriptors loaded.")
        print(platform.dynamo_status.describe())
    return 0


def cmd_seed_demo(args) -> int:
    from app.services.demo_seed import seed_demo

    with _platform(args, migrate=True, start_dynamo=False) as platform:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
        report = seed_demo(platform.engine, students=args.students, seed=args.seed, as_of=as_of)
        print(f"Loaded the demo district: {report.students} students, {report.rows} rows in {report.seconds:.1f} s "
              f"(school year {report.school_year - 1}-{report.school_year}).")
        from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins

        logins = create_demo_logins(platform.engine)
        print(f"Demo sign-ins ({DEMO_PASSWORD}): {', '.join(logins)}")
    return 0


def describe_outbox(summary) -> str:
    """One line for `status`: what waits, since when, and what was set aside."""
    def n(k: int, word: str) -> str:
        return f"{k} {word}" + ("" if k == 1 else "s")

    line = f"DynamoDB outbox: {n(summary.waiting, 'record')} waiting"
    if summary.waiting and summary.oldest_waiting_seconds is not None:
        minutes = int(summary.oldest_waiting_seconds // 60)
        age = n(minutes // 60, "hour") if minutes >= 120 else n(minutes, "minute") if minutes else "under a minute"
        line += f" (oldest {age})"
    if summary.dead_lettered:
        many = summary.dead_lettered > 1
        line += (f"; {n(summary.dead_lettered, 'record')} set aside after DynamoDB refused "
                 f"{'them' if many else 'it'} ({'dead letters' if many else 'dead letter'})")
    return line + "."


def cmd_status(args) -> int:
    from app.sync.outbox import dead_letters, outbox_summary

    with _platform(args, migrate=False) as platform:
        print(platform.database_label)
        print(platform.dynamo_status.describe())
        summary = outbox_summary(platform.engine)
        print(describe_outbox(summary))
        if summary.dead_lettered:
            for d in dead_letters(platform.engine, limit=10):
                print(f"  #{d.outbox_id} {d.target_table} {d.key}: refused {d.rejections}x, set aside "
                      f"{d.dead_lettered_at:%Y-%m-%d %H:%M}: {d.last_error[:200]}")
            print("  Fix the cause (the log file has the details), then run "
                  "'school-office-admin ship --retry-dead-letters'.")
    return 0


def _ship_line(total: int, r) -> str:
    line = f"Delivered {total} records; {r.waiting} waiting."
    if r.dead_lettered:
        line += f" {r.dead_lettered} set aside (see 'school-office-admin status')."
    return line + (f" Last error: {r.error}" if r.error else "")


def ship_watch(shipper, interval: float, sleep=None) -> int:
    """Ship until Ctrl+C (KeyboardInterrupt); a line per pass that changed something. Returns
    the records delivered. An interrupted pass rolls back: its records are simply sent again."""
    import time

    from sqlalchemy.exc import ProgrammingError

    sleep = sleep or time.sleep
    total = 0
    try:
        while True:
            try:
                r = shipper.ship_once()
            except ProgrammingError:
                raise  # e.g. a login that may not ship: no use trying again
            except Exception as exc:  # the database away for a moment: keep watching
                log.warning("shipping pass failed", exc_info=True)
                print(f"{time.strftime('%H:%M:%S')} This pass failed ({type(exc).__name__}); trying again.",
                      flush=True)
                sleep(interval)
                continue
            total += r.delivered
            if r.delivered or r.rejected or r.error:
                print(f"{time.strftime('%H:%M:%S')} " + _ship_line(r.delivered, r), flush=True)
            sleep(0.05 if r.delivered and r.waiting else interval)
    except KeyboardInterrupt:
        return total


def cmd_ship(args) -> int:
    """Runs as the schema owner or as a login that is a member of so_shipper (migration 0008)."""
    from sqlalchemy.exc import ProgrammingError

    from app.sync.outbox import retry_dead_letters
    from app.sync.shipper import OutboxShipper

    with _platform(args, migrate=False) as platform:
        shipper = OutboxShipper(platform.engine, platform.dynamo)
        total = 0
        try:
            if args.retry_dead_letters:
                print(f"Set-aside records to send again: {retry_dead_letters(platform.engine)}.")
            if args.watch:
                print(f"Shipping every {args.interval:g} s; press Ctrl+C to stop.", file=sys.stderr)
                total = ship_watch(shipper, args.interval)
                print(f"Stopped after delivering {total} records.", file=sys.stderr)
                return 0
            while True:
                r = shipper.ship_once(ignore_backoff=True)
                total += r.delivered
                if r.error or r.delivered == 0 or r.waiting == 0:
                    break
        except ProgrammingError as exc:
            if getattr(exc.orig, "sqlstate", None) == "42501":
                raise UserError("This database login may not deliver the outbox; run the command as the schema "
                                "owner or as a login that is a member of so_shipper.") from exc
            raise
        print(_ship_line(total, r))
        return 0 if not r.error else 1


def cmd_set_password(args) -> int:
    """Store the DATABASE_URL user's password in the OS keyring (never in a file)."""
    import getpass

    from sqlalchemy.engine import make_url

    from app.config import KEYRING_SERVICE, load_settings

    settings = load_settings()
    if settings.database_url is None:
        raise UserError("The built-in database keeps its owner's password in the OS keyring by itself; set "
                        "DATABASE_URL first to store the password of a server's schema owner.")
    u = make_url(settings.database_url)
    password = getpass.getpass(f"Password for {u.username} on {u.host}: ")
    if not password:
        raise UserError("No password was typed; nothing was stored.")
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, f"{u.username}@{u.host}", password)
    except Exception as exc:
        raise UserError("This computer has no usable keyring; use the PGPASSWORD environment variable instead.") \
            from exc
    print(f"Stored the password for {u.username}@{u.host} in the OS keyring.")
    return 0


def cmd_bench(args) -> int:
    from app.bench.registry import bench_named
    from app.bench.report import emit

    bench = bench_named(args.which)
    with _platform(args, migrate=False, start_dynamo=bench.needs_dynamo) as platform:
        result = bench.run(platform, args)
    emit(result, args.json)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="school-office-admin", description="School Office administration")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database and DynamoDB tables up to date").set_defaults(func=cmd_migrate)
    s = sub.add_parser("seed-demo", help="load the demo district into an empty database")
    s.add_argument("--students", type=int, default=1500)
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--as-of", help="pretend today is this date (YYYY-MM-DD); default: today")
    s.set_defaults(func=cmd_seed_demo)
    sub.add_parser("status", help="show connections and waiting records").set_defaults(func=cmd_status)
    s = sub.add_parser("ship", help="deliver waiting DynamoDB records now")
    s.add_argument("--watch", action="store_true", help="keep shipping until interrupted (Ctrl+C)")
    s.add_argument("--interval", type=float, default=2.0, help="seconds between passes with --watch")
    s.add_argument("--retry-dead-letters", action="store_true",
                   help="send the records set aside after DynamoDB refused them again (after fixing the cause)")
    s.set_defaults(func=cmd_ship)
    sub.add_parser("set-password", help="store the database password in the OS keyring").set_defaults(
        func=cmd_set_password)
    b = sub.add_parser("bench", help="benchmarks with a same-run baseline")
    from app.bench.registry import bench_names

    b.add_argument("which", choices=bench_names())
    b.add_argument("--students", type=int, default=100_000)
    b.add_argument("--json", action="store_true", help="print only the JSON result line")
    b.set_defaults(func=cmd_bench)
    from app.commands import register_all

    register_all(sub)  # each desk's own commands (app/commands/<desk>.py)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as err:
        print(err.message, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
    except Exception:
        log.exception("admin command failed")
        from app.config import default_data_dir

        print("School Office admin stopped because of an unexpected problem; the details are in the log file "
              f"under {default_data_dir() / 'logs'}.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())


