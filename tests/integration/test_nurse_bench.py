"""`bench mar` runs end to end as the demo nurse and leaves the district as it found it (figures
are not asserted: speed lives in the bench).

This test seeds a SMALL district (300 students) so the suite stays well under its time budget: it
proves the bench's mechanics (signed in as demo_nurse with row-level security on, 300 active orders
topped up at the school nearest 2,000 students, here the largest, a same-run primary-key baseline,
the district left as found), not its figures. The figures come from the bench run on district-sized
data (a 10,000-student district, which has a school of about 2,000), recorded in the README."""

import json

import pytest
from sqlalchemy import create_engine, text

from app.cli import main

pytestmark = pytest.mark.integration


def test_bench_mar_on_a_small_300_student_district_lists_300_orders_due_next_to_a_primary_key_fetch(
        platform, settings, monkeypatch, capsys):
    for key, value in {"SCHOOL_OFFICE_DATA_DIR": str(settings.data_dir), "HOME": str(settings.data_dir),
                       "SCHOOL_OFFICE_DYNAMODB_PORT": str(settings.dynamodb_port)}.items():
        monkeypatch.setenv(key, value)
    assert main(["bench", "seed", "--students", "300", "--json"]) == 0
    capsys.readouterr()
    bench = create_engine(platform.engine.url.set(database=f"{platform.engine.url.database}_bench"))
    try:
        with bench.connect() as c:
            before = c.execute(text("SELECT count(*) FROM health.medications")).scalar()
        assert main(["bench", "mar", "--json"]) == 0
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        with bench.connect() as c:
            after = c.execute(text("SELECT count(*) FROM health.medications")).scalar()
    finally:
        bench.dispose()
    assert (result["name"], result["login"], result["row_level_security"]) == ("mar", "demo_nurse", True)
    assert result["active_scheduled_orders"] == 300 and result["doses_listed_max"] > 0
    assert result["due_now"]["samples"] == 200 and result["primary_key_fetch"]["samples"] == 200
    assert result["ratio"] > 0 and result["better"] == "lower"
    assert after == before
