"""`school-office-admin immunizations ...`: the CDC CDSi evaluation from the command line.

    immunizations evaluate --cases IN.csv [--out OUT.csv] [--check] [--show-mismatches]
    immunizations load-requirements FILE.csv --state TX --school-year 2027 [--district ID] [--name NAME]
    immunizations refresh [--school ID] [--as-of YYYY-MM-DD]

IN has the CDSi test-case layout (CDC_Test_ID, DOB, gender, Date_Administered_n, Vaccine_Name_n, CVX_n,
MVX_n, Vaccine_Group, Assessment_Date); OUT gets one row per case (CDC_Test_ID, Series_Status,
Evaluation_Status_1..7, Evaluation_Reason_1..7, Earliest_Date, Recommended_Date, Past_Due_Date).
--check compares with the expected columns of IN and reports the share that match; it exits 1 when
fewer than 95% of dose statuses or 90% of the cases' forecast dates match.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.errors import UserError

DOSE_GOAL = 0.95
FORECAST_GOAL = 0.90


def cmd_evaluate(args) -> int:
    from app.domain.cdsi.data import supporting_data
    from app.domain.cdsi.testcases import CaseError, compare, read_cases, result_row, write_results

    source = Path(args.cases)
    if not source.is_file():
        raise UserError(f"There is no cases file at {source}; give the path of a CSV in the CDSi test-case layout.")
    data = supporting_data()
    try:
        with source.open(newline="", encoding="utf-8-sig") as stream:
            cases = read_cases(stream, data)
    except CaseError as err:
        raise UserError(str(err)) from err
    except UnicodeDecodeError as err:
        raise UserError(f"{source} is not a UTF-8 text CSV; save it as CSV (UTF-8) and try again.") from err
    rows = [result_row(case, data) for case in cases]
    if args.out:
        out = Path(args.out)
        if not out.parent.is_dir():
            raise UserError(f"The folder {out.parent} does not exist; choose where to write the results.")
        with out.open("w", newline="", encoding="utf-8") as stream:
            write_results(rows, stream)
        print(f"Evaluated {len(rows)} cases; results in {out}.", file=sys.stderr)
    elif not args.check:
        write_results(rows, sys.stdout)
    if not args.check:
        return 0
    score = compare(cases, rows)
    if score.cases == 0:
        raise UserError(f"{source} has no expected results (no Series_Status column) to check against.")
    print(score.summary())
    if args.show_mismatches:
        for line in score.mismatches:
            print("  " + line)
    met = score.dose_rate >= DOSE_GOAL and score.forecast_rate >= FORECAST_GOAL
    print(f"Goal ({DOSE_GOAL:.0%} of dose statuses, {FORECAST_GOAL:.0%} of forecasts): {'met' if met else 'NOT met'}.")
    return 0 if met else 1


def cmd_load_requirements(args) -> int:
    from app.cli import _platform
    from app.domain.cdsi.data import supporting_data
    from app.domain.cdsi.school_entry import RequirementError, read_requirements
    from app.services.immunizations.requirements import load_requirement_set

    source = Path(args.file)
    if not source.is_file():
        raise UserError(f"There is no requirements file at {source}; start from "
                        "resources/cdsi/requirements/texas-2025-2026.csv.")
    try:
        with source.open(newline="", encoding="utf-8-sig") as f:
            rows = read_requirements(f, supporting_data().vaccine_groups)
    except RequirementError as err:
        raise UserError(str(err)) from err
    name = args.name or f"{args.state.upper()} school-entry immunization requirements"
    with _platform(args, migrate=False, start_dynamo=False) as platform:
        with platform.engine.begin() as conn:
            set_id = load_requirement_set(conn, rows, state_code=args.state, school_year=args.school_year, name=name,
                                          source=str(source.name), district_id=args.district)
    print(f"Loaded {len(rows)} requirements as set {set_id} ({name}, school year {args.school_year - 1}-"
          f"{args.school_year}); statuses are re-evaluated when next viewed or refreshed.")
    return 0


def cmd_refresh(args) -> int:
    from datetime import date

    from sqlalchemy import text

    from app.cli import _platform
    from app.services.immunizations.compliance import refresh_school

    day = date.fromisoformat(args.as_of) if args.as_of else date.today()
    with _platform(args, migrate=False, start_dynamo=False) as platform:
        with platform.engine.begin() as conn:
            schools = [args.school] if args.school else list(conn.execute(text(
                "SELECT schoolid FROM edfi.school ORDER BY schoolid")).scalars())
            total = sum(refresh_school(conn, school, day) for school in schools)
    print(f"Evaluated {total} students in {len(schools)} schools as of {day.isoformat()}.")
    return 0


def register(subparsers) -> None:
    imm = subparsers.add_parser("immunizations", help="immunization evaluation (CDC CDSi) and school compliance")
    sub = imm.add_subparsers(dest="immunizations_command", required=True)
    ev = sub.add_parser("evaluate", help="evaluate CDSi test cases (CSV in, CSV out)")
    ev.add_argument("--cases", required=True, help="CSV in the CDSi test-case layout")
    ev.add_argument("--out", help="where to write the results CSV (default: standard output)")
    ev.add_argument("--check", action="store_true", help="compare with the expected results in the cases file")
    ev.add_argument("--show-mismatches", action="store_true", help="with --check: list every difference")
    ev.set_defaults(func=cmd_evaluate)
    lr = sub.add_parser("load-requirements", help="load a state's or district's school-entry requirements (CSV)")
    lr.add_argument("file", help="CSV in the layout of resources/cdsi/requirements/texas-2025-2026.csv")
    lr.add_argument("--state", required=True, help="two-letter state code, e.g. TX")
    lr.add_argument("--school-year", type=int, required=True, help="the year the school year ends: 2027 = 2026-2027")
    lr.add_argument("--district", type=int, help="local education agency id, for a district's own stricter set")
    lr.add_argument("--name", help="name shown on reports")
    lr.set_defaults(func=cmd_load_requirements)
    rf = sub.add_parser("refresh", help="evaluate every enrolled student's compliance and store it")
    rf.add_argument("--school", type=int, help="only this school (default: every school)")
    rf.add_argument("--as-of", help="the day to evaluate for (YYYY-MM-DD); default: today")
    rf.set_defaults(func=cmd_refresh)
