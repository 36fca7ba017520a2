"""The status bar tells what waits for DynamoDB and what DynamoDB refused (issue 8, item 19), from
counts only: sync.outbox_summary(), or the shipper's own report."""

from __future__ import annotations

import threading
import uuid

import pytest
from PySide6.QtCore import QSettings
from sqlalchemy import text

from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: None, owns_platform=False)
    qtbot.addWidget(w)
    w.resize(1100, 700)
    w.show()
    return w


def test_the_status_bar_says_when_dynamodb_refused_records(window, qtbot, tmp_path):
    from app.sync.shipper import ShipResult

    with qtbot.waitSignal(window.events.outbox_counted):
        threading.Thread(target=window._shipper_reported, args=(ShipResult(12, 1, 4, None, 1, 2),)).start()
    assert window.outbox_label.text() == "Outbox: 4 waiting; 2 could not be sent (tell IT)"
    assert "school-office-admin status" in window.outbox_label.toolTip()
    qtbot.waitUntil(lambda: window.outbox_label.width() >= window.outbox_label.sizeHint().width())  # all of it shows
    window.statusBar().grab().save(str(tmp_path / "status-bar.png"))
    with qtbot.waitSignal(window.events.outbox_counted):
        threading.Thread(target=window._shipper_reported, args=(ShipResult(4, 0, 0, None, 0, 0),)).start()
    assert window.outbox_label.text() == "Outbox: all delivered" and window.outbox_label.toolTip() == ""


def test_the_count_comes_from_outbox_summary(window, qtbot, run_async, engine):
    key = f"STUDENT#T{uuid.uuid4().hex[:8]}"
    with engine.begin() as c:  # one record set aside by an earlier shipper pass
        c.execute(text("INSERT INTO sync.dynamo_outbox (target_table, item, rejections, dead_lettered_at, last_error) "
                       "VALUES ('StudentActivityLogs', CAST(:i AS jsonb), 3, now(), 'ValidationException: too big')"),
                  {"i": f'{{"PK": "{key}", "SK": "ACTIVITY#x"}}'})
    try:
        run_async(window.count_outbox(engine))
        assert "could not be sent (tell IT)" in window.outbox_label.text()
    finally:
        with engine.begin() as c:
            c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->>'PK' = :k"), {"k": key})
