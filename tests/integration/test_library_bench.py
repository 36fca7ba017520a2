"""`bench checkout` on the small demo district: the figures come out next to their same-run
baselines, as the librarian with row-level security on, and the district is left as it was."""

import pytest
from sqlalchemy import text

from app.bench.desks.library import run_checkout_bench
from app.bench.registry import bench_names

pytestmark = pytest.mark.integration


def test_bench_checkout_reports_figures_next_to_baselines(demo_engine, login_engine):
    login_engine("demo_librarian")
    assert "checkout" in bench_names()
    with demo_engine.connect() as c:
        before = c.execute(text("SELECT count(*) FROM library.checkouts WHERE return_date IS NULL")).scalar()
        titles = c.execute(text("SELECT count(*) FROM library.resources")).scalar()
    r = run_checkout_bench(demo_engine, samples=20, warmup=2, marc_records=200)
    assert r["row_level_security"] is True and r["checkouts_committed"] == 22
    assert r["scan_to_committed_checkout"]["samples"] == 20 and r["single_row_insert"]["p50_ms"] > 0
    assert r["ratio_p50"] > 0 and r["marc_import"]["records"] == 200 and r["marc_import"]["ratio"] > 0
    # the lead's baselines: a durable committed insert; a COPY of the same rows into the catalogue itself
    assert r["ratio_p50"] == round(r["scan_to_committed_checkout"]["p50_ms"] / r["single_row_insert"]["p50_ms"], 2)
    cpu = r["cpu"]  # CPU time next to the wall clock: the embedded server runs on this machine
    assert cpu["operation_ms"] > cpu["baseline_ms"] > 0  # a checkout reads rules and writes a loan and a copy
    assert cpu["ratio"] == round(cpu["operation_ms"] / cpu["baseline_ms"], 2)
    assert r["goal_met_by_figure"] == {"checkout": r["ratio_p50"] <= 3, "marc_import": r["marc_import"]["ratio"] >= 0.25}
    assert r["goal_met"] == all(r["goal_met_by_figure"].values())
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM library.checkouts WHERE return_date IS NULL")).scalar() == before
        assert c.execute(text("SELECT count(*) FROM library.resources")).scalar() == titles
