"""Every bench command runs end to end and ends with one JSON line (figures are not asserted:
speed lives in the benches, not in tests)."""

import json

import pytest

from app.cli import main

pytestmark = pytest.mark.integration


def test_bench_commands_print_one_json_object_last(platform, settings, monkeypatch, capsys):
    for key, value in {"SCHOOL_OFFICE_DATA_DIR": str(settings.data_dir), "HOME": str(settings.data_dir),
                       "SCHOOL_OFFICE_DYNAMODB_PORT": str(settings.dynamodb_port)}.items():
        monkeypatch.setenv(key, value)
    results = {}
    for args in (["bench", "seed", "--students", "300", "--json"], ["bench", "search", "--json"],
                 ["bench", "attendance", "--json"], ["bench", "timeline", "--json"]):
        assert main(args) == 0, args
        last = capsys.readouterr().out.strip().splitlines()[-1]
        result = json.loads(last)
        results[result["name"]] = result
        assert result["better"] in ("higher", "lower") and result["ratio"] > 0
    assert set(results) == {"seed", "search", "attendance", "timeline"}
    assert results["seed"]["students"] == 300 and results["seed"]["baseline_rows_per_s"] > 0
    assert results["attendance"]["roster_students"] == 35
