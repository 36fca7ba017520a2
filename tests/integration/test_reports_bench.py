"""`bench reports` on the small demo district: report cards per second as the registrar with
row-level security on, next to the bare-canvas baseline of the same pages from the same run."""

import pytest

from app.bench.desks.reports import run_reports_bench
from app.bench.registry import bench_names

pytestmark = pytest.mark.integration


def test_bench_reports_prints_cards_per_second_next_to_the_same_run_baseline(demo_engine, login_engine):
    login_engine("demo_registrar")
    assert "reports" in bench_names()
    r = run_reports_bench(demo_engine, students=60, rounds=1)
    assert r["login"] == "demo_registrar" and r["rls"] is True and r["students"] == 60
    assert r["report_cards_per_s"] > 0 and r["baseline_pages_per_s"] > 0 and len(r["ratio_each_round"]) == 1
    assert r["ratio"] == r["ratio_each_round"][0] > 0  # one round: its batch time against its baseline time
    # the print file holds the logo and fonts once per chunk of 25 cards, not once per student
    assert r["merged_print_file_bytes"] < 60 * r["per_student_file_bytes_avg"] / 5
