"""`bench import`: rows per second importing a generated OneRoster 1.2 package (100,000 students
by default) with full validation, next to a raw COPY of the same files' rows into tables of the
same shape, in the same run. The importer runs as the schema owner (the role `school-office-admin
import` needs), in a scratch database `<database>_bench_import` it creates and drops."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

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
    return create_engine(engine.url.set(database=name), hide_parameters=True)


def _raw_copy(engine: Engine, folder: Path) -> tuple[int, float]:
    """COPY every data file as it is (server-side CSV parsing, no checks) into a table of its table's shape."""
    from app.services.interchange.oneroster_spec import FILES_12, db_column

    rows, elapsed = 0, 0.0
    with engine.begin() as conn:
        pg = conn.connection.driver_connection
        for name, spec in FILES_12.items():
            path = folder / f"{name}.csv"
            if not path.exists():
                continue
            typed = dict(conn.execute(text(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"),
                {"t": f"oneroster.{spec.table}"}).all())
            # the header's order; lists arrive as one quoted cell, so their columns take text
            types = ", ".join("user_ids text" if h == "userIds" else
                              f"{db_column(h)} {'text' if typed[db_column(h)].endswith('[]') else typed[db_column(h)]}"
                              for h in spec.headers)
            data = path.read_bytes()
            conn.execute(text(f"CREATE TEMP TABLE raw_{spec.table} ({types}, PRIMARY KEY (sourced_id)) "
                              "ON COMMIT DROP"))
            started = time.perf_counter()
            with pg.cursor() as cur, cur.copy(f"COPY raw_{spec.table} FROM STDIN WITH (FORMAT csv, HEADER true)") as cp:
                cp.write(data)
            elapsed += time.perf_counter() - started
            rows += data.count(b"\r\n") - 1
    return rows, elapsed


def bench_import(platform, args) -> dict:
    from app.db.migrate import migrate
    from app.services.interchange.oneroster_import import import_oneroster
    from app.services.interchange.oneroster_sample import write_package

    students = args.students
    folder = Path(tempfile.mkdtemp(prefix="so-bench-import-"))
    scratch = _scratch(platform.engine)
    try:
        counts = write_package(folder, students=students, schools=max(3, students // 2000))
        migrate(scratch)
        raw_rows, raw_s = _raw_copy(scratch, folder)
        result = import_oneroster(scratch, folder)
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
    rate = result.rows / result.seconds
    baseline = raw_rows / raw_s
    ratio = round(rate / baseline, 3)
    return {"name": "import", "students": students, "rows": result.rows, "files": counts,
            "seconds": round(result.seconds, 2), "rows_per_s": round(rate), "edfi_students": edfi_students,
            "rows_changed": result.changed_rows, "login": login, "rls": False,
            "baseline": "raw COPY (FORMAT csv) of the same files into tables of the same columns and primary keys, no checks, same run",
            "baseline_rows_per_s": round(baseline), "baseline_seconds": round(raw_s, 2), "ratio": ratio,
            "better": "higher", "goal": ">= 0.25", "goal_met": ratio >= 0.25}


BENCHES = {"import": Bench(bench_import, needs_dynamo=False)}
