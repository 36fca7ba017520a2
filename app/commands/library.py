"""`school-office-admin sip2 serve`: the SIP2 server for self-check machines and vendor logins
(loopback by default; --host to listen elsewhere). `school-office-admin library import-marc`:
load a MARC21 file (binary or MARCXML) into a school's catalogue, listing every rejected record."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from app.errors import UserError

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    s = subparsers.add_parser("sip2", help="the SIP2 server for self-check machines")
    sub = s.add_subparsers(dest="sip2_command", required=True)
    serve = sub.add_parser("serve", help="serve SIP2 v2.00; each SC signs in (93) with a School Office sign-in")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    serve.add_argument("--port", type=int, default=6001)
    serve.add_argument("--institution", default="", help="the AO institution id to answer with")
    serve.set_defaults(func=cmd_serve)
    lib = subparsers.add_parser("library", help="library catalogue tools")
    lsub = lib.add_subparsers(dest="library_command", required=True)
    imp = lsub.add_parser("import-marc", help="load MARC21 records (ISO 2709 or MARCXML) into a school's catalogue")
    imp.add_argument("file", type=Path)
    imp.add_argument("--school", type=int, required=True, help="the school id that owns the copies")
    imp.set_defaults(func=cmd_import_marc)


def cmd_serve(args) -> int:
    from app.cli import _platform
    from app.services.library.sip2 import serve

    with _platform(args, migrate=False, start_dynamo=False) as platform:
        print(f"SIP2 server listening on {args.host}:{args.port} (Ctrl+C stops it)", flush=True)
        try:
            asyncio.run(serve(lambda login, password: platform.sign_in(login, password)[1], args.host, args.port,
                              args.institution))
        except KeyboardInterrupt:
            pass
    return 0


def cmd_import_marc(args) -> int:
    from app.cli import _platform
    from app.services.library.marc_import import import_marc

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UserError(f"Cannot read {args.file}: {exc.strerror}.") from None
    with _platform(args, migrate=False, start_dynamo=False) as platform:
        with platform.engine.begin() as c:
            from sqlalchemy import text
            scheme = c.execute(text("SELECT coalesce((SELECT barcode_scheme FROM library.settings WHERE school_id = :s), "
                                    "'none')"), {"s": args.school}).scalar()
            report = import_marc(c, data, args.school, scheme)
    print(f"{report.titles_added} titles added, {report.titles_matched} matched by ISBN, "
          f"{report.copies_added} copies added, {len(report.rejected)} records rejected")
    for r in report.rejected:
        print(f"  rejected {r.describe()}")
    return 0 if not report.rejected else 1
