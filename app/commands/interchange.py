"""`school-office-admin import oneroster|edfi PATH` and `export oneroster|edfi DIR`: bringing a
district in and out. Run as the schema owner (see app.services.interchange)."""

from __future__ import annotations

import json
import sys


def register(subparsers) -> None:
    imp = subparsers.add_parser("import", help="load a OneRoster CSV package or Ed-Fi XML interchanges")
    isub = imp.add_subparsers(dest="what", required=True)
    p = isub.add_parser("oneroster", help="a OneRoster 1.1/1.2 CSV package: a zip or a folder with manifest.csv")
    p.add_argument("path")
    p.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    p.add_argument("--json", action="store_true", help="print the problems as a JSON list")
    p.set_defaults(func=cmd_import_oneroster)
    e = isub.add_parser("edfi", help="a folder of Ed-Fi 5.2 XML interchange files")
    e.add_argument("path")
    e.add_argument("--dry-run", action="store_true")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_import_edfi)

    exp = subparsers.add_parser("export", help="write a OneRoster CSV package or Ed-Fi API JSON")
    esub = exp.add_subparsers(dest="what", required=True)
    o = esub.add_parser("oneroster", help="OneRoster 1.2 CSV files into DIR (or a dated zip with --nightly)")
    o.add_argument("dir")
    o.add_argument("--delta-since", metavar="TIMESTAMP", help="only records changed since then (a delta package)")
    o.add_argument("--nightly", action="store_true", help="write oneroster-YYYY-MM-DD.zip into DIR (the nightly feed)")
    o.set_defaults(func=cmd_export_oneroster)
    j = esub.add_parser("edfi", help="Ed-Fi API resource JSON, one file per resource, into DIR")
    j.add_argument("dir")
    j.set_defaults(func=cmd_export_edfi)


def _print_problems(result, as_json: bool) -> None:
    if as_json:
        print(json.dumps([p.as_dict() for p in result.problems], ensure_ascii=False, indent=1))
        for w in result.warnings:
            print(f"note: {w}", file=sys.stderr)
        return
    for p in result.problems:
        print(p)
    for w in result.warnings:
        print(f"note: {w}")
    print(result.summary())


def _package_refused(args, err) -> int:
    """A package that cannot be read at all (no such path, a damaged zip): with --json, still the list of
    problems (one, about the package), as a script reading the output expects."""
    if not args.json:
        raise err
    print(json.dumps([{"file": args.path, "row": None, "column": None, "message": err.message}], ensure_ascii=False,
                     indent=1))
    return 1


def cmd_import_oneroster(args) -> int:
    from app.cli import _platform
    from app.errors import UserError
    from app.services.interchange.oneroster_import import import_oneroster

    with _platform(args, migrate=False, start_dynamo=False) as platform:
        try:
            result = import_oneroster(platform.engine, args.path, dry_run=args.dry_run)
        except UserError as err:
            return _package_refused(args, err)
    _print_problems(result, args.json)
    if args.json and result.ok:
        print(result.summary(), file=sys.stderr)
    return 1 if result.problems else 0


def cmd_import_edfi(args) -> int:
    from app.cli import _platform
    from app.errors import UserError
    from app.services.interchange.edfi_xml import import_edfi

    with _platform(args, migrate=False, start_dynamo=False) as platform:
        try:
            result = import_edfi(platform.engine, args.path, dry_run=args.dry_run)
        except UserError as err:
            return _package_refused(args, err)
    _print_problems(result, args.json)
    if args.json and result.ok:
        print(result.summary(), file=sys.stderr)
    return 1 if result.problems else 0


def cmd_export_oneroster(args) -> int:
    from datetime import datetime

    from app.cli import _platform
    from app.errors import UserError
    from app.services.interchange.oneroster_export import export_oneroster

    since = None
    if args.delta_since:
        try:
            since = datetime.fromisoformat(args.delta_since.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            raise UserError(f"--delta-since {args.delta_since} is not a timestamp; write e.g. 2026-12-01T00:00:00Z.") from None
    with _platform(args, migrate=False, start_dynamo=False) as platform:
        result = export_oneroster(platform.engine, args.dir, delta_since=since, nightly=args.nightly)
    print(result.summary())
    return 0


def cmd_export_edfi(args) -> int:
    from app.cli import _platform
    from app.services.interchange.edfi_json import export_edfi

    with _platform(args, migrate=False, start_dynamo=False) as platform:
        result = export_edfi(platform.engine, args.dir)
    print(result.summary())
    return 0
