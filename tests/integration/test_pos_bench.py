"""bench pos runs end to end on a small bench district, signed in as the demo cashier with row-level
security on, and prints its figures next to same-run baselines (speed is the bench's business, not the
test's)."""

import json

import pytest

from app.cli import main

pytestmark = pytest.mark.integration


def test_bench_pos_prints_its_figures_and_baselines(platform, settings, monkeypatch, capsys):
    for key, value in {"SCHOOL_OFFICE_DATA_DIR": str(settings.data_dir), "HOME": str(settings.data_dir),
                       "SCHOOL_OFFICE_DYNAMODB_PORT": str(settings.dynamodb_port)}.items():
        monkeypatch.setenv(key, value)
    assert main(["bench", "seed", "--students", "300", "--json"]) == 0
    capsys.readouterr()
    assert main(["bench", "pos", "--json"]) == 0
    r = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (r["name"], r["login"], r["rls"]) == ("pos", "demo_cashier", True)
    assert r["sale_end_to_end"]["samples"] >= 20 and r["baseline_insert"]["samples"] == r["sale_end_to_end"]["samples"]
    assert r["ratio"] == round(r["sale_end_to_end"]["p50_ms"] / r["baseline_insert"]["p50_ms"], 2)
    cpu = r["cpu"]  # CPU time next to the wall clock: the embedded server runs on this machine
    assert cpu["operation_ms"] > cpu["baseline_ms"] > 0  # a sale journals, sends and writes the ledger
    assert cpu["ratio"] == round(cpu["operation_ms"] / cpu["baseline_ms"], 2)
    assert r["journal_write"]["p50_ms"] > 0 and r["bare_sqlite_insert"]["p50_ms"] > 0
    assert r["terminals"] == 16 and r["sales_per_s"] > 0 and r["clients_single_row_inserts_per_s"] > 0
    # the throughput runs' CPU an operation, the terminals' (or clients') and the whole server's: the bound the
    # machine's cores put on the throughput ratio
    tc = r["throughput_cpu"]
    assert tc["sale_terminals_ms"] > 0 and tc["sale_server_ms"] > 0 and tc["insert_clients_ms"] > 0
    assert tc["sale_ms"] == pytest.approx(tc["sale_terminals_ms"] + tc["sale_server_ms"], abs=0.002)
    assert tc["sale_ms"] > tc["insert_ms"] > tc["insert_server_ms"] > 0  # a sale writes six rows, an insert one
    assert tc["ratio"] == round(tc["insert_ms"] / tc["sale_ms"], 2)
