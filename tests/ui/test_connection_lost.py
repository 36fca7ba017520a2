"""A database server that goes away mid-session: the app says so, keeps what was typed, and
carries on when the server returns. Uses a server of its own, stopped and started for real."""

from __future__ import annotations

import warnings

import pytest
from PySide6.QtCore import QSettings
from sqlalchemy import create_engine

from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


class OwnServerPlatform:
    """Just enough of a Platform for the window: an engine on a server this test controls."""

    database_label = "PostgreSQL: test server"

    def __init__(self, engine):
        self.engine = engine
        self.shipper = None
        self.dynamo_status = type("S", (), {"describe": lambda self: "DynamoDB: not used here", "endpoint": None})()

    def start_shipper(self, **kw):
        return None

    def close(self):
        self.engine.dispose()


def test_the_window_rides_out_a_database_restart(qtbot, tmp_path, run_async):
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    import shutil
    import tempfile
    from pathlib import Path

    # not under tmp_path: pytest keeps its parent private to root (0700), and another run starting
    # meanwhile resets that, so the server's own OS user could not enter it
    own_dir = Path(tempfile.mkdtemp(prefix="so-test-pg-"))
    pgdata = own_dir / "pg"
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg://")
    platform = OwnServerPlatform(create_engine(url, pool_pre_ping=True))
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform)
    qtbot.addWidget(w)
    w.show()
    try:
        assert run_async(w.start())
        w.search_box.field.setText("Martinez, Sofia")  # something half-typed
        assert run_async(w.check_connection())

        server.cleanup()  # the server goes away
        assert not run_async(w.check_connection())
        assert w.db_label.text() == "PostgreSQL: connection lost; reconnecting…"
        assert w.progress_label.text().startswith("The database cannot be reached")
        assert w.search_box.field.text() == "Martinez, Sofia"

        server = pgserver.get_server(pgdata, cleanup_mode="stop")  # and comes back
        assert run_async(w.check_connection())
        assert w.db_label.text() == "PostgreSQL: test server"
        assert w.progress_label.text() == "Connection to the database is back."
        assert w.search_box.field.text() == "Martinez, Sofia"
    finally:
        w._monitor.stop()
        platform.close()
        server.cleanup()
        shutil.rmtree(own_dir, ignore_errors=True)
