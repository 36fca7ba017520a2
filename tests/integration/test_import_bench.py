"""`bench import` on a small generated package: the import's rows per second come out next to a COPY of
the very same rows (the row counts must agree) into ordinary tables of the OneRoster tables' columns and
types, same run; the scratch database is gone afterwards."""

from types import SimpleNamespace

import pytest
from sqlalchemy import text

from app.bench.desks.interchange import bench_import
from app.bench.registry import bench_names

pytestmark = pytest.mark.integration


def test_bench_import_reports_rate_next_to_a_copy_of_the_same_rows(platform):
    assert "import" in bench_names()
    r = bench_import(platform, SimpleNamespace(students=150))
    assert r["rows"] == r["baseline_rows"] == sum(r["files"].values()) > 1000
    assert r["edfi_students"] == 150 and r["rows_changed"] > r["rows"]
    assert "ordinary tables" in r["baseline"] and abs(r["ratio"] - r["rows_per_s"] / r["baseline_rows_per_s"]) < 0.01
    assert r["extra_temp_table_copy"]["rows_per_s"] > 0 and r["goal_met"] == (r["ratio"] >= 0.25)
    # the CPU seconds of the same two runs (the server process and the client): both counted, and the import
    # (every check, the OneRoster and Ed-Fi writes) costs more than copying the rows
    assert 0 < r["cpu"]["baseline_s"] < r["cpu"]["import_s"] and 0 < r["cpu"]["ratio"] < 1
    with platform.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM pg_database WHERE datname LIKE '%_bench_import'")).scalar() == 0
