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


def test_an_it_person_scripts_the_set_up_and_bad_input_saves_nothing(demo_engine, tmp_path):
    steps = [
        ("bus", "save", "CLI-21", "--seats", "24", "--wheelchair", "2", "--equipment", "lift", "harness"),
        ("route", "save", "Route CLI", "--description", "scripted", "--runs", "AM", "PM", "Activity"),
        ("run", "set", "Route CLI AM", "--bus", "CLI-21", "--driver", "Pat Lee"),
        ("bell", "set", "Route CLI AM", "--school", "255950001", "--bell", "07:45", "--at-school", "07:35"),
        ("hazard", "save", "CLI crossing", "--lat", "30.27", "--lon", "-97.74", "--radius", "0.3"),
        ("settings", "--speed", "22", "--walking-limit", "0.4"),
        ("band", "elementary", "--miles", "1.2"),
    ]
    try:
        for step in steps:
            out = admin(demo_engine, tmp_path, *step)
            assert out.returncode == 0, (step, out.stderr)
        assert out.stdout.strip() == "Saved grade band elementary."
        with demo_engine.connect() as c:
            assert c.execute(text(
                "SELECT b.bus_number, b.equipment, u.driver_name, rs.bell_time::text FROM transportation.runs u "
                "JOIN transportation.bus_routes r USING (route_id) JOIN transportation.buses b USING (bus_id) "
                "JOIN transportation.run_schools rs ON rs.run_id = u.run_id "
                "WHERE r.route_number = 'Route CLI' AND u.run_kind = 'AM'")).one() == (
                "CLI-21", ["lift", "harness"], "Pat Lee", "07:45:00")
            assert c.execute(text("SELECT speed_mph::float, walking_limit_miles::float FROM transportation.settings")
                             ).one() == (22.0, 0.4)
        bad = admin(demo_engine, tmp_path, "bell", "set", "Route CLI AM", "--school", "255950001", "--bell", "07:45",
                    "--at-school", "08:05")
        assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1] == (
            "The bus would reach the school at 08:05, after the bell at 07:45; make it arrive before the bell.")
        bad = admin(demo_engine, tmp_path, "settings", "--speed", "fast")
        assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1] == (
            "The bus speed \"fast\" is not a number; enter miles per hour from 1 to 70.")
        with demo_engine.connect() as c:
            assert c.execute(text("SELECT speed_mph::float FROM transportation.settings")).scalar() == 22.0
            assert c.execute(text("SELECT school_time::text FROM transportation.run_schools rs JOIN transportation.runs"
                                  " u USING (run_id) JOIN transportation.bus_routes r USING (route_id) "
                                  "WHERE r.route_number = 'Route CLI'")).scalar() == "07:35:00"
    finally:
        with demo_engine.begin() as c:  # the shared demo district as it was
            c.execute(text("UPDATE transportation.settings SET speed_mph = 20, walking_limit_miles = 0.5"))
            c.execute(text("UPDATE transportation.grade_bands SET eligibility_miles = 1.0 WHERE band = 'elementary'"))
            c.execute(text("DELETE FROM transportation.hazard_zones WHERE zone_name = 'CLI crossing'"))
            c.execute(text("DELETE FROM transportation.runs WHERE route_id IN (SELECT route_id FROM "
                           "transportation.bus_routes WHERE route_number = 'Route CLI')"))
            c.execute(text("DELETE FROM transportation.bus_routes WHERE route_number = 'Route CLI'"))
            c.execute(text("DELETE FROM transportation.buses WHERE bus_number = 'CLI-21'"))


def test_the_daily_timer_brings_edfi_in_step_with_an_iep_that_ended_without_anyone_opening_the_desk(
        demo_engine, tmp_path):
    unit = (ROOT / "packaging/systemd/school-office-transport-edfi.service").read_text()
    timer = (ROOT / "packaging/systemd/school-office-transport-edfi.timer").read_text()
    assert "OnCalendar=*-*-* 00:10:00" in timer and "Persistent=true" in timer
    assert "Unit=school-office-transport-edfi.service" in timer and "WantedBy=timers.target" in timer
    [exec_start] = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
    assert exec_start.endswith("school-office-admin transport sync-edfi") and "Type=oneshot" in unit
    kind = ("SELECT d.codevalue FROM edfi.studenttransportation t JOIN edfi.descriptor d "
            "ON d.descriptorid = t.transportationtypedescriptorid WHERE t.studentusi = :u")
    with demo_engine.connect() as c:
        iep, usi = c.execute(text("SELECT t.iep_id, t.student_usi FROM transportation.iep_transport t "
                                  "JOIN specialed.iep i ON i.iep_id = t.iep_id WHERE i.exit_date IS NULL "
                                  "ORDER BY 1 LIMIT 1")).one()
        assert c.execute(text(kind), {"u": usi}).scalar() == "Special Needs Bus"
        # the IEP's exit date passes: yesterday's data, today's date (no write fires a trigger)
        c.execute(text("SET session_replication_role = replica"))
        c.execute(text("UPDATE specialed.iep SET exit_date = current_date - 1 WHERE iep_id = :i"), {"i": iep})
        c.execute(text("RESET session_replication_role"))
        c.commit()
        try:
            assert c.execute(text(kind), {"u": usi}).scalar() == "Special Needs Bus"  # stale
            out = admin(demo_engine, tmp_path, *exec_start.split("school-office-admin transport ")[1].split())
            assert out.returncode == 0, out.stderr
            assert out.stdout.strip().startswith("Ed-Fi StudentTransportation re-derived for ")
            c.rollback()
            assert c.execute(text(kind), {"u": usi}).scalar() == "School Bus"
            assert c.execute(text("SELECT specialaccomodationrequirements FROM edfi.studenttransportation "
                                  "WHERE studentusi = :u"), {"u": usi}).scalar() is None
        finally:
            c.rollback()
            c.execute(text("UPDATE specialed.iep SET exit_date = NULL WHERE iep_id = :i"), {"i": iep})
            c.commit()
        assert c.execute(text(kind), {"u": usi}).scalar() == "Special Needs Bus"
