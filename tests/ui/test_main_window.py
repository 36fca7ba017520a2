"""The main window as a person meets it: it appears at once, says where the data is, switches
desks by keyboard, remembers where it was, and never runs SQL on the UI thread."""

from __future__ import annotations

import re
import threading
import time

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QListWidget
from sqlalchemy import event

from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.screens.desk_page import DESKS
from ui.settings import UiSettings

pytestmark = pytest.mark.ui

DESK_TITLES = ["Front office", "Attendance", "Discipline", "Nurse", "Cafeteria", "Library", "Transportation",
               "Reports", "Administration"]


@pytest.fixture
def ui_settings(tmp_path):
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, ui_settings):
    def make(start):
        w = MainWindow(AppEvents(), ui_settings, start, owns_platform=False)  # the session's platform
        qtbot.addWidget(w)
        w.show()
        return w
    return make


def test_the_window_shows_every_desk_before_the_platform_is_ready(make_window, qtbot):
    gate = threading.Event()
    w = make_window(lambda: gate.wait(10) and None)
    assert [w.desk_list.item(i).text() for i in range(w.desk_list.count())] == DESK_TITLES
    assert w.db_label.text() == "PostgreSQL: starting…"
    assert w.isVisible()
    gate.set()


def test_startup_runs_off_the_ui_thread_and_fills_the_status_bar(make_window, qtbot, platform, run_async):
    main_thread = threading.get_ident()
    sql_threads = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        sql_threads.append(threading.get_ident())

    event.listen(platform.engine, "before_cursor_execute", on_execute)
    loop_turns = []

    def start():
        with platform.engine.connect() as c:  # a slow start: the UI must keep turning meanwhile
            c.exec_driver_sql("SELECT pg_sleep(0.6)")
        return platform

    w = make_window(start)
    tick = {"last": time.perf_counter()}

    def beat():
        now = time.perf_counter()
        loop_turns.append(now - tick["last"])
        tick["last"] = now

    from PySide6.QtCore import QTimer

    timer = QTimer(interval=20)
    timer.timeout.connect(beat)
    timer.start()
    try:
        started = run_async(w.start())
    finally:
        timer.stop()
        event.remove(platform.engine, "before_cursor_execute", on_execute)
        if w.platform and w.platform.shipper:
            w.platform.shipper.stop()
        w.platform = None  # the session's platform is closed by its fixture, not by this window
    assert started
    assert sql_threads and main_thread not in sql_threads
    # Starting the servers and migrating take seconds: a stall that long means work on the UI thread.
    # Shorter hitches come from worker threads holding the GIL on a loaded 2-core machine (0.11 s seen).
    assert max(loop_turns) < 0.5, f"the event loop stalled for {max(loop_turns):.3f} s"
    assert w.db_label.text() == "PostgreSQL: built-in"
    assert w.dynamo_label.text().startswith("DynamoDB: connected (http://127.0.0.1:")
    # the placeholder "Outbox: –" replaced by the platform's own count (the shipper may already be at work)
    assert re.fullmatch(r"Outbox: (all delivered|\d+ waiting)(; .+)?", w.outbox_label.text()), w.outbox_label.text()
    assert w.progress_label.text() == "Ready"


def test_a_failed_start_says_why_in_one_sentence(make_window, qtbot, run_async):
    from app.errors import UserError

    def start():
        raise UserError("Cannot reach the database server at db:5432/office; check that it is running and that "
                        "DATABASE_URL is right, then start again.")

    w = make_window(start)
    with qtbot.waitSignal(w.events.platform_failed) as blocker:
        assert run_async(w.start()) is False
    assert blocker.args[0].startswith("Cannot reach the database server")
    assert w.db_label.text() == "PostgreSQL: not connected"


def test_desks_switch_by_keyboard_and_the_last_desk_is_restored(make_window, qtbot, ui_settings):
    w = make_window(lambda: None)
    w.activateWindow()
    qtbot.waitActive(w)
    w.desk_list.setFocus()
    # through the window system, as a real key press arrives, so window shortcuts apply
    QTest.keyClick(w.windowHandle(), Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert w.current_desk_key() == "cafeteria"
    assert w.pages.currentIndex() == [d.key for d in DESKS].index("cafeteria")  # its page shows
    QTest.keyClick(w.windowHandle(), Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert w.current_desk_key() == "attendance"
    w.desk_list.setFocus()
    qtbot.keyClick(w.desk_list, Qt.Key.Key_Down)
    assert w.current_desk_key() == "discipline"
    # a desk whose page fits the offscreen screen (800 px wide): the size is restored as left
    target = (max(700, w.minimumSizeHint().width()) + 10, 520)
    w.resize(*target)
    w.close()
    again = make_window(lambda: None)
    assert again.current_desk_key() == "discipline"
    assert (again.size().width(), again.size().height()) == target


def test_controls_have_accessible_names(make_window):
    w = make_window(lambda: None)
    assert w.findChild(QListWidget, "deskList").accessibleName() == "Desks"
    names = {label.accessibleName() for label in w.statusBar().findChildren(QLabel)}
    assert {"Database connection", "DynamoDB connection", "Records waiting for DynamoDB"} <= names
    for i, desk in enumerate(DESKS):
        assert w.pages.widget(i).accessibleName() == f"{desk.title} desk"


def test_status_bar_follows_the_shipper(make_window, qtbot):
    from app.sync.shipper import ShipResult

    w = make_window(lambda: None)
    with qtbot.waitSignal(w.events.outbox_counted):
        threading.Thread(target=w._shipper_reported, args=(ShipResult(0, 3, 3, "EndpointConnectionError"),)).start()
    qtbot.waitUntil(lambda: w.dynamo_label.text().startswith("DynamoDB: unavailable"))
    assert w.outbox_label.text() == "Outbox: 3 waiting"


def test_main_window_tab_order_desks_then_search(make_window, qtbot):
    from PySide6.QtWidgets import QApplication

    w = make_window(lambda: None)
    w.raise_()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.desk_list.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.desk_list)
    qtbot.keyClick(w.desk_list, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is w.search_box.field
    assert w.search_box.field.accessibleName() == "Find a student"
    qtbot.keyClick(w.search_box.field, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is w.desk_list
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
