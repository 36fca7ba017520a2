"""`school-office --screenshot DIR` renders every screen as the demo administrator."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from ui.screens.desk_page import DESKS
from ui.screenshots import WORKING

pytestmark = pytest.mark.ui


def test_screenshot_mode_writes_one_png_per_screen(demo_engine, settings, tmp_path):
    from app.security.demo_logins import create_demo_logins

    create_demo_logins(demo_engine)  # DATABASE_URL makes it a workstation: it signs in, creates nothing
    out = tmp_path / "shots"
    env = dict(os.environ, SCHOOL_OFFICE_DATA_DIR=str(settings.data_dir), HOME=str(settings.data_dir),
               SCHOOL_OFFICE_DYNAMODB_PORT=str(settings.dynamodb_port), QT_QPA_PLATFORM="offscreen",
               DATABASE_URL=demo_engine.url.render_as_string(hide_password=False))
    log = Path(settings.data_dir) / "logs" / "school-office.log"
    logged_before = log.stat().st_size if log.exists() else 0
    done = subprocess.run([sys.executable, "-m", "ui.main", "--screenshot", str(out)], env=env, capture_output=True,
                          text=True, timeout=240, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == sorted(["sign-in.png", "student-profile.png"] + [f"desk-{d.key}.png" for d in DESKS]
                           + [f"{w}.png" for w in WORKING])
    for p in out.glob("*.png"):
        img = QImage(str(p))
        assert img.width() >= 1000 and img.height() >= 700, p.name
    # every desk loaded as it does on screen: no task lost to a re-entered event loop, no desk's look-up failing
    with log.open(encoding="utf-8") as f:
        f.seek(logged_before)
        errors = [line for line in f if " ERROR " in line]
    assert errors == []
