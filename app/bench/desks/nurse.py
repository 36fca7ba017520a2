"""`bench mar`: the nurse's "due now" list for the benchmark district's school nearest 2,000 students
(the issue's size; seed a district large enough to have one) with 300 active scheduled medication
orders, as the demo nurse signed in with her own login (row-level security on), next to a primary-key
fetch of one order by the same login in the same run. The orders the bench adds are removed afterwards: the district is left as it was found."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import text

from app.bench.registry import Bench

NURSE = "demo_nurse"
ORDERS = 300
SCHOOL_STUDENTS = 2000


def _sign_in_nurse(conn, school: int) -> int:
    """As the owner: demo_nurse becomes the nurse of `school` (a staff member of it)."""
    from app.security.demo_logins import DEMO_LOGINS, DEMO_PASSWORD
    from app.security.logins import create_staff_login

    staff = conn.execute(text(
        "SELECT w.staffusi FROM edfi.staffschoolassociation w "
        "LEFT JOIN edfi.staffeducationorganizationassignmentassociation a ON a.staffusi = w.staffusi "
        " AND a.educationorganizationid = w.schoolid "
        "WHERE w.schoolid = :s ORDER BY (a.positiontitle = 'Nurse') DESC NULLS LAST, w.staffusi LIMIT 1"),
        {"s": school}).scalar_one()
    create_staff_login(conn, NURSE, DEMO_PASSWORD, staff, DEMO_LOGINS[NURSE][0])
    return staff


def _add_orders(conn, school: int, day, rng: random.Random) -> list[int]:
    """Top the school up to ORDERS active scheduled orders (a lunch-time rush like a real office's)."""
    have = conn.execute(text("SELECT count(*) FROM health.medications WHERE school_id = :s AND is_active "
                             "AND schedule_times IS NOT NULL"), {"s": school}).scalar_one()
    students = list(conn.execute(text(
        "SELECT studentusi FROM edfi.studentschoolassociation WHERE schoolid = :s AND exitwithdrawdate IS NULL"),
        {"s": school}).scalars())
    need = max(0, ORDERS - have)
    times = (["08:00"], ["11:30"], ["12:00"], ["12:00", "15:00"], ["09:00", "13:00"])
    rows = [{"u": rng.choice(students), "t": rng.choice(times), "s": school, "d": day - timedelta(days=30),
             "c": rng.random() < 0.1} for _ in range(need)]
    return [conn.execute(text(
        "INSERT INTO health.medications (student_usi, medication_name, dosage, frequency, start_date, is_active, "
        "school_id, strength, form, dose_amount, dose_unit, route, schedule_times, parent_consent_on, is_controlled, "
        "count_on_hand, prescribed_by) VALUES (:u, 'Bench medication', '1 tablet', 'scheduled', :d, true, :s, "
        "'10 mg', 'tablet', 1, 'tablet', 'oral', :t, :d, :c, CASE WHEN :c THEN 30 END, 'Dr. Bench') "
        "RETURNING medication_id"), r).scalar_one() for r in rows]


def bench_mar(platform, args, samples: int = 200, warmup: int = 10) -> dict:
    from app.bench.bench_logins import login_engine, rls_active
    from app.bench.benches import _timed, open_bench_database
    from app.bench.report import summary_ms
    from app.services.nurse.medications import due_now, get_order

    bench = open_bench_database(platform.engine)
    rng = random.Random(5)
    try:
        with bench.begin() as conn:
            school, students = conn.execute(text(  # the school nearest the 2,000 students
                "SELECT schoolid, count(*) FROM edfi.studentschoolassociation WHERE exitwithdrawdate IS NULL "
                "GROUP BY schoolid ORDER BY abs(count(*) - :n), count(*) DESC LIMIT 1"), {"n": SCHOOL_STUDENTS}).one()
            day = conn.execute(text("SELECT max(date) FROM edfi.calendardatecalendarevent WHERE schoolid = :s"),
                               {"s": school}).scalar_one()
            _sign_in_nurse(conn, school)
            added = _add_orders(conn, school, day, rng)
            orders = conn.execute(text("SELECT count(*) FROM health.medications WHERE school_id = :s AND is_active "
                                       "AND schedule_times IS NOT NULL"), {"s": school}).scalar_one()
            ids = list(conn.execute(text("SELECT medication_id FROM health.medications WHERE school_id = :s"),
                                    {"s": school}).scalars())
        nurse = login_engine(bench, NURSE)
        due_t, pk_t, listed = [], [], 0
        try:
            with nurse.connect() as conn:
                rls = rls_active(conn)
                for i in range(samples + warmup):
                    now = datetime.combine(day, time(11, 45)).astimezone() + timedelta(minutes=i % 60)
                    seconds, rows = _timed(NURSE, "The due-now list", due_now, conn, school, now)
                    conn.rollback()
                    if i >= warmup:
                        due_t.append(seconds)
                        listed = max(listed, len(rows))
                    seconds, _ = _timed(NURSE, "A primary-key fetch of an order", get_order, conn, rng.choice(ids))
                    conn.rollback()
                    if i >= warmup:
                        pk_t.append(seconds)
        finally:
            nurse.dispose()
        with bench.begin() as conn:
            conn.execute(text("DELETE FROM health.medications WHERE medication_id = ANY(:m)"), {"m": added})
    finally:
        bench.dispose()
    due, pk = summary_ms(due_t), summary_ms(pk_t)
    return {"name": "mar", "login": NURSE, "row_level_security": rls, "school_students": students,
            "active_scheduled_orders": orders, "doses_listed_max": listed, "due_now": due,
            "baseline": "primary-key fetch of one order, same login, same run", "primary_key_fetch": pk,
            "ratio": round(due["p95_ms"] / pk["p95_ms"], 2) if pk["p95_ms"] else None, "better": "lower",
            "goal": "due now p95 < 100 ms"}


BENCHES = {"mar": Bench(bench_mar, needs_dynamo=False)}
