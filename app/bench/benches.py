"""`school-office-admin bench ...`: speed figures next to a baseline measured in the same run.

Benches work in a scratch database `<database>_bench` on the same server, so the district the
app uses is never touched. `bench seed` creates it; `bench search` uses it.
"""

from __future__ import annotations

import io
import random
import time
from datetime import date

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.errors import UserError


def bench_database_url(url: str) -> str:
    u = make_url(url)
    return u.set(database=f"{u.database}_bench").render_as_string(hide_password=False)


def recreate_bench_database(engine: Engine) -> Engine:
    u = engine.url
    name = f"{u.database}_bench"
    admin = create_engine(u, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise UserError(
            f"The benchmark needs its own scratch database {name}, but it could not be created "
            f"({str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}); run it as a user who may create databases."
        ) from exc
    finally:
        admin.dispose()
    return create_engine(u.set(database=name))


def open_bench_database(engine: Engine) -> Engine:
    bench = create_engine(engine.url.set(database=f"{engine.url.database}_bench"))
    try:
        with bench.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM edfi.student")).scalar_one()
    except Exception as exc:
        bench.dispose()
        raise UserError("There is no benchmark district yet; run school-office-admin bench seed first.") from exc
    if n == 0:
        raise UserError("The benchmark district is empty; run school-office-admin bench seed first.")
    return bench


def raw_copy_rate(engine: Engine, rows: int = 300_000) -> float:
    """Rows per second of a plain COPY of pre-rendered rows into a table shaped like the largest
    seeded table (same columns and indexes, no foreign keys): what the server does with no
    application work at all."""
    buf = io.StringIO()
    for i in range(rows):
        buf.write(f"{i % 5}\t2026-09-{1 + i % 28:02d}\tALG1\t255950003\t2027\tALG1-F{i % 40:02d}\t"
                  f"2026-2027 Fall Semester\t{i}\n")
    data = buf.getvalue().encode()
    cols = ("attendanceeventcategorydescriptorid, eventdate, localcoursecode, schoolid, schoolyear, "
            "sectionidentifier, sessionname, studentusi")
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE raw_copy_bench (LIKE edfi.studentsectionattendanceevent "
                          "INCLUDING DEFAULTS INCLUDING INDEXES) ON COMMIT DROP"))
        pg = conn.connection.driver_connection
        started = time.perf_counter()
        with pg.cursor() as cur, cur.copy(f"COPY raw_copy_bench ({cols}) FROM STDIN") as cp:
            cp.write(data)
        elapsed = time.perf_counter() - started
    return rows / elapsed


def bench_seed(engine: Engine, students: int, seed: int = 7, school_days: int = 21) -> dict:
    from app.db.migrate import migrate
    from app.domain.school_calendar import school_year_for, standard_calendar
    from app.services.demo_seed import seed_demo

    bench = recreate_bench_database(engine)
    try:
        migrate(bench)
        # About a month of attendance: the first `school_days` school days of the current year.
        cal = standard_calendar(school_year_for(date.today()))
        days = cal.school_days()
        as_of = days[min(school_days, len(days) - 1)] if days else date.today()
        baseline = raw_copy_rate(bench)
        report = seed_demo(bench, students=students, seed=seed, as_of=as_of)
        rate = report.rows / report.seconds
    finally:
        bench.dispose()
    return {"name": "seed", "students": students, "rows": report.rows, "seconds": round(report.seconds, 2),
            "rows_per_s": round(rate), "baseline": "raw COPY of pre-rendered rows, same server",
            "baseline_rows_per_s": round(baseline), "ratio": round(rate / baseline, 3), "better": "higher",
            "goal": ">= 0.30"}


def bench_search(engine: Engine, samples: int = 300, seed: int = 11) -> dict:
    from app.services.student_search import fetch_student, search_students

    bench = open_bench_database(engine)
    rng = random.Random(seed)
    try:
        with bench.connect() as conn:
            people = conn.execute(text("SELECT studentusi, studentuniqueid, firstname, lastsurname FROM edfi.student "
                                       "ORDER BY studentusi")).all()
            picks = [people[rng.randrange(len(people))] for _ in range(samples)]
            name_queries, id_queries = [], []
            for p in picks:
                kind = rng.randrange(3)
                if kind == 0:
                    name_queries.append(p.lastsurname[: rng.randint(2, 4)])
                elif kind == 1:
                    name_queries.append(p.firstname[: rng.randint(2, 4)])
                else:
                    name_queries.append(f"{p.firstname[:3]} {p.lastsurname[:3]}")
                id_queries.append(p.studentuniqueid[: rng.randint(4, len(p.studentuniqueid))])
            for q in name_queries[:20]:  # warm the cache the same way for both measurements
                search_students(conn, q)
            name_t, id_t, pk_t = [], [], []
            for nq, iq, p in zip(name_queries, id_queries, picks):
                t = time.perf_counter()
                hits = search_students(conn, nq)
                name_t.append(time.perf_counter() - t)
                t = time.perf_counter()
                search_students(conn, iq)
                id_t.append(time.perf_counter() - t)
                t = time.perf_counter()
                fetch_student(conn, p.studentusi)
                pk_t.append(time.perf_counter() - t)
                assert hits is not None
    finally:
        bench.dispose()
    from app.bench.report import summary_ms

    name, sid, pk = summary_ms(name_t), summary_ms(id_t), summary_ms(pk_t)
    return {"name": "search", "students": len(people), "name_search": name, "id_search": sid,
            "baseline": "primary-key fetch of one student (same query shape), same run", "baseline_fetch": pk,
            "ratio": round(name["p95_ms"] / pk["p95_ms"], 2) if pk["p95_ms"] else None, "better": "lower",
            "goal": "name_search p95_ms < 20"}


