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
    # measured as the users the goals speak of, with row-level security on
    assert (results["search"]["login"], results["search"]["rls"]) == ("demo_front_office", True)
    assert (results["attendance"]["login"], results["attendance"]["rls"]) == ("demo_teacher", True)
    attendance = results["attendance"]
    assert attendance["roster_students"] == 35
    assert attendance["first_save"]["samples"] >= 10 and attendance["resave_3_changes"]["samples"] >= 10
    assert attendance["ratio"] == round(attendance["first_save"]["p50_ms"] / attendance["baseline_insert"]["p50_ms"], 2)
    assert results["search"]["login_school_students"] < results["search"]["students"]
    # the same first save as the owner (no policies) beside it, so the cost of row-level security shows
    assert attendance["first_save_as_owner"]["samples"] >= 5
    cpu = attendance["cpu"]  # CPU time next to the wall clock: the embedded server runs on this machine
    assert cpu["operation_ms"] > cpu["baseline_ms"] > 0  # 70 rows cost more than one
    assert cpu["ratio"] == round(cpu["operation_ms"] / cpu["baseline_ms"], 2)
    # a second run finds unmarked days again: the bench leaves the district as it found it
    assert main(["bench", "attendance", "--json"]) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["first_save"]["samples"] == attendance["first_save"]["samples"]
    assert again["first_save_as_owner"]["samples"] == attendance["first_save_as_owner"]["samples"]
