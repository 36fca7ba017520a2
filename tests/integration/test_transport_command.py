"""`school-office-admin transport packet|lists` on the server: the files it writes, and one sentence
for a run that does not exist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import DEMO_AS_OF
from tests.reports.test_printouts import pdf_text

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def admin(demo_engine, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=demo_engine.url.render_as_string(hide_password=False),
               SCHOOL_OFFICE_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "app.cli", "transport", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=240)


def test_the_packet_and_the_lists_are_written_as_pdf_files(demo_engine, tmp_path):
    with demo_engine.connect() as c:
        run = c.execute(text("SELECT r.route_number || ' ' || u.run_kind FROM transportation.runs u "
                             "JOIN transportation.bus_routes r ON r.route_id = u.route_id ORDER BY u.run_id LIMIT 1")
                        ).scalar()
    out = admin(demo_engine, tmp_path, "packet", run, "--day", DEMO_AS_OF.isoformat(), "--kind", "substitute",
                "--out", str(tmp_path / "packet.pdf"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(f"Wrote the substitute packet of {run} for 11/20/2026 (")
    _pages, body = pdf_text((tmp_path / "packet.pdf").read_bytes())
    assert f"Substitute driver's packet — {run}" in body and "Turn notes:" in body
    out = admin(demo_engine, tmp_path, "lists", "--day", DEMO_AS_OF.isoformat(), "--out", str(tmp_path / "lists.pdf"))
    assert out.returncode == 0, out.stderr
    assert "Rider counts by run, school and grade" in pdf_text((tmp_path / "lists.pdf").read_bytes())[1]
    bad = admin(demo_engine, tmp_path, "packet", "Route 99 AM", "--out", str(tmp_path / "x.pdf"))
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1] == (
        "There is no active run called \"Route 99 AM\"; name it as the desk does, e.g. \"Route 5 AM\".")
    assert not (tmp_path / "x.pdf").exists()
