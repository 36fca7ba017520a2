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


def _sign_in_nurse(conn: Connection) -> tuple[int, int]:
    """As the owner: demo_nurse becomes the nurse of the largest school. Returns (school, staff)."""
    from app.security.demo_logins import DEMO_LOGINS, DEMO_PASSWORD
    from app.security.logins import create_staff_login, link_staff_to_schools

    school = conn.execute(text(
        "SELECT schoolid FROM edfi.studentschoolassociation WHERE exitwithdrawdate IS NULL GROUP BY schoolid "
        "ORDER BY count(*) DESC, schoolid LIMIT 1")).scalar()
    if school is None:
        raise UserError("The benchmark district has no enrolled students; run school-office-admin bench seed again.")
    staff = conn.execute(text(
        "SELECT w.staffusi FROM edfi.staffschoolassociation w "
        "LEFT JOIN edfi.staffeducationorganizationassignmentassociation a ON a.staffusi = w.staffusi "
        " AND a.educationorganizationid = w.schoolid "
        "WHERE w.schoolid = :s ORDER BY (a.positiontitle = 'Nurse') DESC NULLS LAST, w.staffusi LIMIT 1"),
        {"s": school}).scalar()
    if staff is None:
        staff = conn.execute(text("SELECT min(staffusi) FROM edfi.staff")).scalar_one()
        year = conn.execute(text("SELECT max(schoolyear) FROM edfi.session WHERE schoolid = :s"), {"s": school}).scalar()
        link_staff_to_schools(conn, staff, (school,), year)
    create_staff_login(conn, NURSE, DEMO_PASSWORD, staff, DEMO_LOGINS[NURSE][0])
    return school, staff


def run(platform, args) -> dict:
    from app.bench.bench_logins import login_engine, rls_active
    from app.bench.benches import open_bench_database
    from app.services.immunizations.compliance import _store, evaluate_record
    from app.services.immunizations.records import load_students
    from app.services.immunizations.requirements import active_set_for_school, load_example_set, requirements_of
    from app.domain.school_calendar import school_year_for

    day = date.today()
    bench = open_bench_database(platform.engine)
    try:
        with bench.begin() as conn:
            school, _staff = _sign_in_nurse(conn)
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
