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
    admin = create_engine(u, isolation_level="AUTOCOMMIT", hide_parameters=True)
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
    return create_engine(u.set(database=name), hide_parameters=True)


def open_bench_database(engine: Engine) -> Engine:
    from app.db.migrate import migrate

    bench = create_engine(engine.url.set(database=f"{engine.url.database}_bench"), hide_parameters=True)
    try:
        with bench.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM edfi.student")).scalar_one()
    except Exception as exc:
        bench.dispose()
        raise UserError("There is no benchmark district yet; run school-office-admin bench seed first.") from exc
    if n == 0:
        raise UserError("The benchmark district is empty; run school-office-admin bench seed first.")
    migrate(bench)  # a district seeded by an older version gets the newest schema first
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
        # no timeline: its outbox records are not COPY rows, and nobody ships the bench district
        report = seed_demo(bench, students=students, seed=seed, as_of=as_of, timeline=False)
        rate = report.rows / report.seconds
    finally:
        bench.dispose()
    return {"name": "seed", "students": students, "rows": report.rows, "seconds": round(report.seconds, 2),
            "rows_per_s": round(rate), "baseline": "raw COPY of pre-rendered rows, same server",
            "baseline_rows_per_s": round(baseline), "ratio": round(rate / baseline, 3), "better": "higher",
            "goal": ">= 0.30"}


def _timed(login: str, what: str, fn, *args, meter=None, cpu: list | None = None):
    """(seconds, result) of one call; a statement cancelled by the bench's timeout says so. With a
    CpuMeter, the call's CPU seconds are appended to `cpu`."""
    from sqlalchemy.exc import OperationalError

    out = []
    t = time.perf_counter()
    try:
        if meter is None:
            out.append(fn(*args))
        else:
            seconds, cpu_s = meter.measure(lambda: out.append(fn(*args)))
            cpu.append(cpu_s)
            return seconds, out[0]
    except OperationalError as exc:
        if "statement timeout" in str(exc):
            from app.bench.bench_logins import too_slow

            raise too_slow(login, what, exc) from exc
        raise
    return time.perf_counter() - t, out[0]


def bench_search(engine: Engine, samples: int = 300, seed: int = 11) -> dict:
    """Type-ahead search and a primary-key fetch, both as the demo clerk of the first school."""
    from app.bench.bench_logins import login_engine, rls_active, sign_in_clerk
    from app.bench.report import summary_ms
    from app.services.student_search import fetch_student, search_students

    bench = open_bench_database(engine)
    rng = random.Random(seed)
    try:
        with bench.begin() as conn:
            clerk = sign_in_clerk(conn)
            total = conn.execute(text("SELECT count(*) FROM edfi.student")).scalar_one()
            # the clerk looks for the students of her own school (read as the owner: untimed)
            people = conn.execute(text(
                "SELECT DISTINCT s.studentusi, s.studentuniqueid, s.firstname, s.lastsurname FROM edfi.student s "
                "JOIN edfi.studentschoolassociation a ON a.studentusi = s.studentusi "
                "WHERE a.schoolid = ANY(:schools) ORDER BY s.studentusi"), {"schools": list(clerk.school_ids)}).all()
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
        as_clerk = login_engine(bench, clerk.login)
        try:
            with as_clerk.connect() as conn:
                rls = rls_active(conn)
                for q in name_queries[:20]:  # warm the cache the same way for both measurements
                    _timed(clerk.login, f"The name search {q!r}", search_students, conn, q)
                name_t, id_t, pk_t, found = [], [], [], 0
                for nq, iq, p in zip(name_queries, id_queries, picks):
                    name_t.append(_timed(clerk.login, f"The name search {nq!r}", search_students, conn, nq)[0])
                    id_t.append(_timed(clerk.login, f"The id search {iq!r}", search_students, conn, iq)[0])
                    seconds, hit = _timed(clerk.login, "A primary-key fetch", fetch_student, conn, p.studentusi)
                    pk_t.append(seconds)
                    found += hit is not None
        finally:
            as_clerk.dispose()
    finally:
        bench.dispose()
    if found < len(picks):
        raise UserError(f"{clerk.login} could not read {len(picks) - found} students of their own school; the bench "
                        "measured the wrong thing. Check the login's staff record in the bench district.")
    name, sid, pk = summary_ms(name_t), summary_ms(id_t), summary_ms(pk_t)
    return {"name": "search", "login": clerk.login, "rls": rls, "students": total,
            "login_school_students": len(people), "name_search": name, "id_search": sid,
            "baseline": f"primary-key fetch of one student (same query shape), as {clerk.login}, same run",
            "baseline_fetch": pk,
            "ratio": round(name["p95_ms"] / pk["p95_ms"], 2) if pk["p95_ms"] else None, "better": "lower",
            "goal": "name_search p95_ms < 20", "goal_met": name["p95_ms"] < 20}


def _bench_section(conn) -> tuple:
    """A 35-student section in the bench district (made once): the roster the goal speaks of."""
    from app.services.attendance import SectionKey

    row = conn.execute(text(
        "SELECT schoolid, schoolyear, sessionname, begindate, enddate FROM edfi.session "
        "WHERE sessionname LIKE '%Fall%' ORDER BY schoolid DESC LIMIT 1")).one()
    key = SectionKey("ALG1", row.schoolid, row.schoolyear, "BENCH-35", row.sessionname)
    exists = conn.execute(text("SELECT 1 FROM edfi.section WHERE sectionidentifier = 'BENCH-35'")).first()
    if not exists:
        conn.execute(text("INSERT INTO edfi.section (localcoursecode, schoolid, schoolyear, sectionidentifier, "
                          "sessionname, sectionname) VALUES ('ALG1', :s, :y, 'BENCH-35', :n, 'Benchmark roster')"),
                     {"s": row.schoolid, "y": row.schoolyear, "n": row.sessionname})
        conn.execute(text("INSERT INTO edfi.sectionclassperiod (localcoursecode, schoolid, schoolyear, "
                          "sectionidentifier, sessionname, classperiodname) VALUES ('ALG1', :s, :y, 'BENCH-35', :n, "
                          "'Period 1')"), {"s": row.schoolid, "y": row.schoolyear, "n": row.sessionname})
        conn.execute(text(
            "INSERT INTO edfi.studentsectionassociation (begindate, localcoursecode, schoolid, schoolyear, "
            "sectionidentifier, sessionname, studentusi) SELECT :b, 'ALG1', :s, :y, 'BENCH-35', :n, studentusi "
            "FROM edfi.studentschoolassociation WHERE schoolid = :s ORDER BY studentusi LIMIT 35"),
            {"b": row.begindate, "s": row.schoolid, "y": row.schoolyear, "n": row.sessionname})
    return key, row.begindate, row.enddate


def _bench_days(conn, key, begin: date, end: date, usis: list[int]) -> tuple[list[date], date]:
    """School days of the term on which none of the roster's students has any mark yet (the
    morning case: a new day), and one already-marked day for the baseline inserts."""
    days = list(conn.execute(text(
        "SELECT e.date FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d "
        "ON d.descriptorid = e.calendareventdescriptorid WHERE e.schoolid = :s AND d.codevalue = 'Instructional day' "
        "AND e.date BETWEEN :b AND :e ORDER BY e.date"), {"s": key.school_id, "b": begin, "e": end}).scalars())
    # attendance is recorded as exceptions: a day was taken when a section of the school has a taken event
    marked = set(conn.execute(text(
        "SELECT DISTINCT eventdate FROM edfi.studentschoolattendanceevent WHERE studentusi = ANY(:u) "
        "UNION SELECT DISTINCT eventdate FROM edfi.studentsectionattendanceevent WHERE studentusi = ANY(:u) "
        "UNION SELECT DISTINCT date FROM edfi.sectionattendancetakenevent WHERE schoolid = :s"),
        {"u": usis, "s": key.school_id}).scalars())
    fresh = [d for d in days if d not in marked]
    seeded = [d for d in days if d in marked]
    if len(fresh) < 13 or not seeded:
        raise UserError("The benchmark district has too few unmarked school days left; run "
                        "school-office-admin bench seed again.")
    return fresh, seeded[0]


_BASELINE_INSERT = text(
    "INSERT INTO edfi.studentsectionattendanceevent (attendanceeventcategorydescriptorid, eventdate, "
    "localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi) "
    "VALUES (:c, :d, 'ALG1', :s, :y, 'BENCH-35', :n, :u)")


def bench_attendance(engine: Engine, samples: int = 50, resaves: int = 60, warmup: int = 3) -> dict:
    """As the demo teacher: the first save of a new day for a 35-student roster (each sample a
    school day with no marks yet), a re-save that changes three marks, and a single-row insert
    into the same table as the baseline, all under the same login with row-level security on."""
    from app.bench.bench_logins import login_engine, rls_active, sign_in_teacher
    from app.bench.report import summary_ms
    from app.bench.cpu import CpuMeter, cpu_figures
    from app.services.attendance import Mark, save_roster

    bench = open_bench_database(engine)
    try:
        with bench.begin() as conn:
            key, begin, end = _bench_section(conn)
            teacher = sign_in_teacher(conn, key)
            usis = list(conn.execute(text(
                "SELECT studentusi FROM edfi.studentsectionassociation WHERE sectionidentifier = 'BENCH-35' "
                "ORDER BY studentusi")).scalars())
            present = conn.execute(text("SELECT descriptorid FROM edfi.descriptor WHERE codevalue = 'In Attendance' "
                                        "AND discriminator = 'edfi.AttendanceEventCategoryDescriptor'")).scalar()
            fresh, baseline_day = _bench_days(conn, key, begin, end, usis)
            outbox_mark = conn.execute(text("SELECT coalesce(max(outbox_id), 0) FROM sync.dynamo_outbox")).scalar()
        n_first = min(samples, len(fresh) - warmup)
        used = fresh[:warmup + n_first]
        # The same first save as the schema owner, whom no policy applies to, on further fresh days:
        # what row-level security itself adds to the teacher's figure.
        owner_days = fresh[len(used):len(used) + 20]
        state: dict[date, dict[int, Mark]] = {}
        first_t, resave_t, insert_t, owner_t = [], [], [], []
        first_cpu, insert_cpu, sample_cpu = [], [], []
        as_teacher = login_engine(bench, teacher.login)
        meter = CpuMeter(as_teacher)
        try:
            with as_teacher.connect() as conn:
                rls = rls_active(conn)
                conn.rollback()
            for i, day in enumerate(used):
                marks = {u: Mark("In Attendance") for u in usis}
                for u in usis[i % 7::11]:  # a few absences, as on a real morning
                    marks[u] = Mark("Unexcused Absence")
                state[day] = marks
                seconds = _timed_tx(as_teacher, teacher.login, "The first save of a roster",
                                    lambda c: save_roster(c, key, day, marks, today=day), meter, sample_cpu)
                if i >= warmup:
                    first_t.append(seconds)
                    first_cpu.append(sample_cpu[-1])
                seconds = _timed_tx(as_teacher, teacher.login, "A single-row insert", lambda c: c.execute(
                    _BASELINE_INSERT, {"c": present, "d": baseline_day, "s": key.school_id, "y": key.school_year,
                                       "n": key.session_name, "u": usis[i % len(usis)]}), meter, sample_cpu)
                if i >= warmup:
                    insert_t.append(seconds)
                    insert_cpu.append(sample_cpu[-1])
                with bench.begin() as conn:  # the owner clears the baseline row (outside the timing)
                    conn.execute(text("DELETE FROM edfi.studentsectionattendanceevent "
                                      "WHERE sectionidentifier = 'BENCH-35' AND eventdate = :d"), {"d": baseline_day})
            for day in owner_days:
                marks = {u: Mark("In Attendance") for u in usis}
                for u in usis[len(owner_t) % 7::11]:
                    marks[u] = Mark("Unexcused Absence")
                owner_t.append(_timed_tx(bench, "the owner", "The first save of a roster as the owner",
                                         lambda c: save_roster(c, key, day, marks, today=day)))
            saved_days = used[warmup:]
            for i in range(resaves):
                day = saved_days[i % len(saved_days)]
                marks = dict(state[day])
                for u in (usis[(3 * i + j) % len(usis)] for j in range(3)):  # exactly three marks change
                    marks[u] = Mark("In Attendance" if marks[u].code != "In Attendance" else "Excused Absence")
                state[day] = marks
                resave_t.append(_timed_tx(as_teacher, teacher.login, "A re-save of a roster",
                                          lambda c: save_roster(c, key, day, marks, today=day)))
        finally:
            as_teacher.dispose()
            with bench.begin() as conn:  # leave the days unmarked for the next run
                conn.execute(text("DELETE FROM edfi.studentsectionattendanceevent "
                                  "WHERE sectionidentifier = 'BENCH-35'"))
                conn.execute(text("DELETE FROM edfi.sectionattendancetakenevent WHERE sectionidentifier = 'BENCH-35'"))
                conn.execute(text("DELETE FROM edfi.studentschoolattendanceevent WHERE studentusi = ANY(:u) "
                                  "AND eventdate = ANY(:d)"), {"u": usis, "d": used + owner_days})
                conn.execute(text("DELETE FROM sync.dynamo_outbox WHERE outbox_id > :m"), {"m": outbox_mark})
    finally:
        bench.dispose()
    first, resave, single = summary_ms(first_t), summary_ms(resave_t), summary_ms(insert_t)
    ratio = round(first["p50_ms"] / single["p50_ms"], 2)
    return {"name": "attendance", "login": teacher.login, "rls": rls, "roster_students": len(usis),
            "first_save": first, "resave_3_changes": resave,
            "baseline": f"single-row insert into the same table (with its audit trigger), as {teacher.login}, "
                        "same run",
            "baseline_insert": single, "ratio": ratio, "better": "lower",
            "resave_ratio": round(resave["p50_ms"] / single["p50_ms"], 2),
            "first_save_as_owner": summary_ms(owner_t) if owner_t else None,
            "cpu": cpu_figures(meter, first_cpu, insert_cpu, "a first save / a single-row insert"),
            "goal": "ratio <= 5 (the first save of a day within 5 single-row inserts, p50)", "goal_met": ratio <= 5}


def _timed_tx(eng: Engine, login: str, what: str, work, meter=None, cpu: list | None = None) -> float:
    """Seconds for one transaction (begin, the work, commit) on its own pooled connection."""
    def run():
        with eng.begin() as conn:
            work(conn)
    return _timed(login, what, run, meter=meter, cpu=cpu)[0]


def bench_timeline(engine: Engine, dynamo, records: int = 300, samples: int = 100) -> dict:
    """A student's 50 newest activity records from DynamoDB, next to a single GetItem."""
    from datetime import datetime, timedelta, timezone

    from app.bench.report import summary_ms
    from app.dynamo.timeline import student_timeline
    from app.sync.outbox import student_activity_item
    from app.sync.shipper import to_dynamo

    if dynamo is None:
        raise UserError("DynamoDB is not available, so the timeline bench cannot run; start DynamoDB and try again.")
    student = "BENCH-TIMELINE"
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    items = [student_activity_item(student, f"B{i:05d}", start + timedelta(minutes=7 * i), "attendance.marked",
                                   {"n": i}) for i in range(records)]
    for i in range(0, len(items), 25):
        dynamo.batch_write_item(RequestItems={"StudentActivityLogs": [
            {"PutRequest": {"Item": to_dynamo(it)}} for it in items[i:i + 25]]})
    newest = items[-1]
    query_t, get_t = [], []
    for i in range(samples + 5):
        t = time.perf_counter()
        page = student_timeline(dynamo, student, limit=50)
        if i >= 5:
            query_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        dynamo.get_item(TableName="StudentActivityLogs", Key={"PK": {"S": newest["PK"]}, "SK": {"S": newest["SK"]}})
        if i >= 5:
            get_t.append(time.perf_counter() - t)
    assert len(page.items) == 50 and page.items[0].details["n"] == records - 1
    q, g = summary_ms(query_t), summary_ms(get_t)
    return {"name": "timeline", "records": records, "newest_50": q,
            "baseline": "GetItem of one activity record, same table, same run", "baseline_get": g,
            "ratio": round(q["p50_ms"] / g["p50_ms"], 2), "better": "lower"}
