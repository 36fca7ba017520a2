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


def test_the_baseline_tables_keep_a_columns_collation(platform, tmp_path):
    """The baseline's tables are of the OneRoster tables' shape, collations included: a key column compared
    bytewise (COLLATE "C") in oneroster.* is compared bytewise in the baseline too (format_type() alone
    would drop it)."""
    from app.bench.desks.interchange import _raw_tables

    (tmp_path / "orgs.csv").write_text("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n")
    (tmp_path / "classes.csv").write_text("sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
                                          "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,"
                                          "periods\n")
    with platform.engine.connect() as c:
        c.execute(text('ALTER TABLE oneroster.orgs ALTER COLUMN identifier TYPE varchar(255) COLLATE "C"'))
        made = dict(_raw_tables(c, tmp_path, temporary=True))
        assert set(made) == {"raw_orgs", "raw_classes"}
        cols = dict(c.execute(text(
            "SELECT attrelid::regclass::text || '.' || attname, format_type(atttypid, atttypmod) || ' ' || "
            "CAST(CAST(attcollation AS regcollation) AS text) FROM pg_attribute WHERE attrelid IN "
            "(CAST('raw_orgs' AS regclass), CAST('raw_classes' AS regclass)) AND attnum > 0")).all())
        c.rollback()
    assert cols["raw_orgs.identifier"] == 'character varying(255) "C"'
    assert cols["raw_orgs.sourced_id"] == 'character varying(255) "default"'
    assert cols["raw_classes.term_sourced_ids"] == 'text "default"'  # a list arrives as one cell of text
