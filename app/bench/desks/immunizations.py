"""`school-office-admin bench immunizations [--json]`: school-entry compliance for a 2,000-student
school, signed in as the school's nurse (row-level security on): students evaluated per second
(the CDC CDSi evaluation of every vaccine group the requirements name, then the requirements),
next to the time to read those students' records (birth date, grade, doses, exemptions,
provisional enrollments) in the same run, and the time to store the statuses.

Uses the benchmark district (`school-office-admin bench seed`): the nurse login is linked to the
largest school and 2,000 of its enrolled students are evaluated (all of them if it has fewer).
"""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import Connection, text

from app.bench.registry import Bench
from app.errors import UserError

NURSE = "demo_nurse"
SCHOOL_SIZE = 2000


def _largest_school(conn: Connection) -> int:
    school = conn.execute(text(
        "SELECT schoolid FROM edfi.studentschoolassociation WHERE exitwithdrawdate IS NULL GROUP BY schoolid "
        "ORDER BY count(*) DESC, schoolid LIMIT 1")).scalar()
    if school is None:
        raise UserError("The benchmark district has no enrolled students; run school-office-admin bench seed again.")
    return school


def run(platform, args) -> dict:
    from app.bench.bench_logins import login_engine, rls_active, sign_in_at
    from app.bench.benches import open_bench_database
    from app.services.immunizations.compliance import _store, evaluate_record
    from app.services.immunizations.records import load_students
    from app.services.immunizations.requirements import active_set_for_school, load_example_set, requirements_of
    from app.domain.school_calendar import school_year_for

    day = date.today()
    bench = open_bench_database(platform.engine)
    try:
        with bench.begin() as conn:
            school = _largest_school(conn)
            sign_in_at(conn, NURSE, school, "Nurse")
            if active_set_for_school(conn, school, day) is None:
                load_example_set(conn, school_year_for(day))
            usis = list(conn.execute(text(
                "SELECT studentusi FROM edfi.studentschoolassociation WHERE schoolid = :s AND exitwithdrawdate IS NULL "
                "ORDER BY studentusi LIMIT :n"), {"s": school, "n": SCHOOL_SIZE}).scalars())
            doses = conn.execute(text("SELECT count(*) FROM health.immunizations WHERE student_usi = ANY(:u)"),
                                 {"u": usis}).scalar_one()
        as_nurse = login_engine(bench, NURSE)
        try:
            with as_nurse.connect() as conn:
                rls = rls_active(conn)
                chosen = active_set_for_school(conn, school, day)
                rules = requirements_of(conn, chosen.set_id)
                load_students(conn, student_usis=usis[:50])  # warm the connection and the plans alike
                t = time.perf_counter()
                records = load_students(conn, student_usis=usis)
                read_s = time.perf_counter() - t
                if len(records) < len(usis):
                    raise UserError(f"{NURSE} could read {len(records)} of the {len(usis)} students of their own "
                                    "school; the bench measured the wrong thing.")
                evaluate_record(records[0], rules, day)  # the supporting data, read once per process
                t = time.perf_counter()
                evaluations = [evaluate_record(r, rules, day) for r in records]
                evaluate_s = time.perf_counter() - t
                conn.rollback()  # the reads' transaction; the store is timed in its own
                with conn.begin() as tx:
                    t = time.perf_counter()
                    _store(conn, evaluations, chosen.set_id, day)
                    store_s = time.perf_counter() - t
                    tx.rollback()  # the bench leaves the district as it found it
        finally:
            as_nurse.dispose()
    finally:
        bench.dispose()
    per_second = len(records) / evaluate_s if evaluate_s else None
    statuses = sum(len(e.groups) for e in evaluations)
    return {"name": "immunizations", "login": NURSE, "rls": rls, "school": school, "students": len(records),
            "doses": doses, "statuses": statuses,
            "students_per_second": round(per_second, 1) if per_second else None,
            "evaluate_s": round(evaluate_s, 3), "store_s": round(store_s, 3),
            "baseline": f"reading the same {len(records)} students' records as {NURSE}, same run",
            "baseline_read_s": round(read_s, 3),
            "ratio": round(evaluate_s / read_s, 2) if read_s else None, "better": "lower",
            "goal": f"a {SCHOOL_SIZE}-student school evaluated in under 30 s off the UI thread",
            "goal_met": evaluate_s + read_s + store_s < 30}


BENCHES = {"immunizations": Bench(run, needs_dynamo=False)}
