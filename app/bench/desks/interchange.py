"""`bench import`: rows per second importing a generated OneRoster 1.2 package (100,000 students
by default) with full validation, next to a raw COPY of the same files' rows into tables of the
same shape, in the same run. The importer runs as the schema owner (the role `school-office-admin
import` needs), in a scratch database `<database>_bench_import` it creates and drops."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import StaticPool

from app.bench.cpu import CpuMeter
from app.bench.registry import Bench
from app.errors import UserError


def _scratch(engine: Engine) -> Engine:
    name = f"{engine.url.database}_bench_import"
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT", hide_parameters=True)
    try:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise UserError(f"The import bench needs its own scratch database {name}, but it could not be created; run "
                        "it as a user who may create databases.") from exc
    finally:
        admin.dispose()
    # one connection for everything: one server process, whose CPU time the bench's CpuMeter reads
    return create_engine(engine.url.set(database=name), hide_parameters=True, poolclass=StaticPool)


def _raw_tables(conn, folder: Path, *, temporary: bool) -> list[tuple[str, Path]]:
    """A table per data file with its OneRoster table's columns, types and collations (in the header's order;
    lists arrive as one quoted cell, so their columns take text, in the list's collation) and its primary key."""
    from app.services.interchange.oneroster_spec import FILES_12, db_column

    made = []
    for name, spec in FILES_12.items():
        path = folder / f"{name}.csv"
        if not path.exists():
            continue
        # format_type() names no collation: a column's own (other than its type's) is added, so that the
        # baseline's keys compare text as the OneRoster tables' do
        typed = dict(conn.execute(text(
            "SELECT a.attname, CASE WHEN a.attndims > 0 OR t.typcategory = 'A' THEN 'text' "
            "ELSE format_type(a.atttypid, a.atttypmod) END "
            "|| CASE WHEN a.attcollation <> 0 AND a.attcollation <> coalesce(nullif(e.typcollation, 0), t.typcollation) "
            "THEN ' COLLATE ' || CAST(CAST(a.attcollation AS regcollation) AS text) ELSE '' END "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type e ON e.oid = t.typelem "
            "AND t.typcategory = 'A' WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped"),
            {"t": f"oneroster.{spec.table}"}).all())
        types = ", ".join("user_ids text" if h == "userIds" else f"{db_column(h)} {typed[db_column(h)]}"
                          for h in spec.headers)
        table = f"raw_{spec.table}" if temporary else f"bench_raw.{spec.table}"
        conn.execute(text(f"CREATE {'TEMP ' if temporary else ''}TABLE {table} ({types}, PRIMARY KEY (sourced_id))"
                          + (" ON COMMIT DROP" if temporary else "")))
        made.append((table, path))
    return made


def _copy(conn, table: str, path: Path) -> int:
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as cp:
            cp.write(path.read_bytes())
        return cur.rowcount


def _raw_copy(engine: Engine, folder: Path, *, temporary: bool) -> tuple[int, float]:
    """COPY every data file as it is (server-side CSV parsing, no checks): into ordinary tables, made
    beforehand, each file committed as the import commits (the baseline), or into temporary tables,
    which PostgreSQL does not write to its log (for comparison). Returns the rows COPY counted and
    the seconds the COPYs (and their commits) took."""
    rows, elapsed = 0, 0.0
    if temporary:
        with engine.begin() as conn:
            for table, path in _raw_tables(conn, folder, temporary=True):
                started = time.perf_counter()
                rows += _copy(conn, table, path)
                elapsed += time.perf_counter() - started
        return rows, elapsed
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS bench_raw CASCADE"))
        conn.execute(text("CREATE SCHEMA bench_raw"))
        tables = _raw_tables(conn, folder, temporary=False)
    started = time.perf_counter()
    with engine.begin() as conn:
        for table, path in tables:
            rows += _copy(conn, table, path)
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA bench_raw CASCADE"))
    return rows, elapsed


def bench_import(platform, args) -> dict:
    from app.db.migrate import migrate
    from app.services.interchange.oneroster_import import import_oneroster
    from app.services.interchange.oneroster_sample import write_package

    students = args.students
    folder = Path(tempfile.mkdtemp(prefix="so-bench-import-"))
    scratch = _scratch(platform.engine)
    meter = CpuMeter(scratch)
    try:
        counts = write_package(folder, students=students, schools=max(3, students // 2000))
        migrate(scratch)
        out = []
        # (the baseline's schema set-up and drop are counted in its CPU too: a little against it)
        _, raw_cpu = meter.measure(lambda: out.append(_raw_copy(scratch, folder, temporary=False)))
        raw_rows, raw_s = out.pop()
        temp_rows, temp_s = _raw_copy(scratch, folder, temporary=True)
        _, import_cpu = meter.measure(lambda: out.append(import_oneroster(scratch, folder)))
        result = out.pop()
        if not result.ok:
            raise UserError(f"The generated package was refused: {result.problems[0]}")
        with scratch.connect() as c:
            login = c.execute(text("SELECT session_user")).scalar_one()
            edfi_students = c.execute(text("SELECT count(*) FROM edfi.student")).scalar_one()
    finally:
        scratch.dispose()
        shutil.rmtree(folder, ignore_errors=True)
        admin = create_engine(platform.engine.url, isolation_level="AUTOCOMMIT", hide_parameters=True)
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{platform.engine.url.database}_bench_import" WITH (FORCE)'))
        admin.dispose()
    if raw_rows != result.rows or temp_rows != result.rows:
        raise UserError(f"The baseline COPY read {raw_rows} rows but the import {result.rows}; the figures would not "
                        "compare the same rows.")
    rate = result.rows / result.seconds
    baseline = raw_rows / raw_s
    ratio = round(rate / baseline, 3)
    return {"name": "import", "students": students, "rows": result.rows, "files": counts,
            "seconds": round(result.seconds, 2), "rows_per_s": round(rate), "edfi_students": edfi_students,
            "rows_changed": result.changed_rows, "login": login, "rls": False,
            "baseline": "raw COPY (FORMAT csv, no checks) of the same files, same run, into ordinary tables with the "
                        "OneRoster tables' columns and types (lists as text) and their primary keys, committed",
            "baseline_rows": raw_rows, "baseline_rows_per_s": round(baseline), "baseline_seconds": round(raw_s, 2),
            "ratio": ratio,
            "extra_temp_table_copy": {"rows_per_s": round(temp_rows / temp_s), "seconds": round(temp_s, 2),
                                      "ratio": round(rate / (temp_rows / temp_s), 3),
                                      "what": "the same COPY into temporary tables (not written to the log)"},
            "cpu": {"import_s": round(import_cpu, 2), "baseline_s": round(raw_cpu, 2),
                    "ratio": round(raw_cpu / import_cpu, 3),
                    "what": "CPU seconds of the database server process and this one: the same ratio, "
                            "independent of the load on the machine"} if meter.available() else None,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "better": "higher", "goal": ">= 0.25", "goal_met": ratio >= 0.25}


BENCHES = {"import": Bench(bench_import, needs_dynamo=False)}
