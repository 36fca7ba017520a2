"""`school-office` against a PostgreSQL server (DATABASE_URL set), as a workstation meets it: the
window starts without any database credential, and everything after the sign-in runs as the
staff member (issue 8, item 10)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.bootstrap import start_workstation
from app.config import load_settings
from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


def test_a_workstation_window_holds_no_credential_until_someone_signs_in(qtbot, tmp_path, platform, demo_engine,
                                                                         run_async):
    create_demo_logins(demo_engine)
    url = make_url(platform.embedded_pg.superuser_url).set(database="demo_test")._replace(username=None,
                                                                                         password=None)
    settings = load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path),
                              "DATABASE_URL": url.render_as_string(hide_password=False)})
    started = []

    def start():  # what ui/main.py starts, without DynamoDB to keep the test lean
        started.append(start_workstation(settings, start_dynamo=False))
        return started[-1]

    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   start, sign_in=lambda p, login, pw: p.sign_in(login, pw), owns_platform=True)
    qtbot.addWidget(w)
    w.show()
    try:
        assert run_async(w.start())
        assert w.platform.engine is None and w.platform.shipper is None
        assert w.db_label.text() == "PostgreSQL: local/demo_test"
        assert run_async(w.check_connection())  # nothing to watch yet, and no error either
        w.sign_in_form.login.setText("demo_front_office")
        w.sign_in_form.password.setText(DEMO_PASSWORD)
        assert run_async(w.sign_in_form.attempt())
        with w.user_engine.connect() as c:
            assert c.execute(text("SELECT session_user")).scalar() == "demo_front_office"
        hits = run_async(w.search_box.search_now("ma")) or w.search_box.model.rowCount()
        assert hits > 0  # the desk works, as the clerk
    finally:
        w.close()
