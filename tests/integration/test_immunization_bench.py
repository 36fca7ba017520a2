"""`bench immunizations --json` runs end to end as the nurse (row-level security on) and prints its
figure next to the same-run baseline (figures are not asserted: speed lives in the bench)."""

import json

import pytest

from app.cli import main

pytestmark = pytest.mark.integration


def test_bench_immunizations_prints_students_per_second_beside_the_read_time(platform, settings, monkeypatch,
                                                                             capsys):
    for key, value in {"SCHOOL_OFFICE_DATA_DIR": str(settings.data_dir), "HOME": str(settings.data_dir),
                       "SCHOOL_OFFICE_DYNAMODB_PORT": str(settings.dynamodb_port)}.items():
        monkeypatch.setenv(key, value)
    assert main(["bench", "seed", "--students", "300", "--json"]) == 0
    capsys.readouterr()
    assert main(["bench", "immunizations", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["name"], result["login"], result["rls"]) == ("immunizations", "demo_nurse", True)
    assert result["students"] > 50 and result["statuses"] >= 6 * result["students"]
    assert result["students_per_second"] > 0 and result["baseline_read_s"] > 0 and result["better"] == "lower"
    assert result["ratio"] == pytest.approx(result["evaluate_s"] / result["baseline_read_s"], rel=0.05)


def test_admin_commands_load_a_requirement_set_and_refresh(platform, settings, monkeypatch, capsys, tmp_path):
    from app.services.immunizations.requirements import EXAMPLE_SET

    for key, value in {"SCHOOL_OFFICE_DATA_DIR": str(settings.data_dir), "HOME": str(settings.data_dir),
                       "SCHOOL_OFFICE_DYNAMODB_PORT": str(settings.dynamodb_port)}.items():
        monkeypatch.setenv(key, value)
    assert main(["immunizations", "load-requirements", str(EXAMPLE_SET), "--state", "TX", "--school-year", "2027"]) == 0
    assert "Loaded 13 requirements" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(EXAMPLE_SET.read_text().replace(",MMR,0,12,", ",Measles shots,0,12,"))
    assert main(["immunizations", "load-requirements", str(bad), "--state", "TX", "--school-year", "2027"]) == 2
    assert "is not a CDC vaccine group" in capsys.readouterr().err
    assert main(["immunizations", "refresh", "--as-of", "2026-11-20"]) == 0
    assert capsys.readouterr().out.startswith("Evaluated ")
