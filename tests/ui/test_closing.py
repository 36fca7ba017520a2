"""Issue 16.15: closing the app took 5-10 s with no sign of progress. The window now goes at once,
"Closing…" is said, and the built-in servers stop on a worker thread; they are still released,
and unsaved work is still asked about first."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from ui import unsaved
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.settings import UiSettings

pytestmark = pytest.mark.ui

SLOW = 2.0  # what stopping the embedded servers costs on a slow machine


class SlowlyClosingPlatform:
    """Stands in for the embedded servers (outside the UI's control): close() takes SLOW seconds."""

    shipper = None

    def __init__(self) -> None:
        self.closed_on: int | None = None
        self.calls = 0

    def close(self) -> None:
        self.calls += 1
        time.sleep(SLOW)
        self.closed_on = threading.get_ident()


@pytest.fixture
def window(qtbot, tmp_path):
    other = QWidget()  # another window stays open, so the test application does not quit with this one
    qtbot.addWidget(other)
    other.show()
    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    w = MainWindow(AppEvents(), settings, lambda: None, owns_platform=True)
    qtbot.addWidget(w)
    w.show()
    w.platform = SlowlyClosingPlatform()
    yield w
    unsaved.set_asker(None)
    thread = getattr(w, "closing_thread", None)
    if thread is not None:
        thread.join(10)


def test_the_window_closes_at_once_says_closing_and_the_servers_stop_in_the_background(window, run_until):
    platform = window.platform
    started = time.monotonic()
    assert window.close()
    took = time.monotonic() - started
    assert took < 0.5, f"closeEvent blocked the UI thread for {took:.1f} s"
    assert not window.isVisible()
    note = window.closing_note
    assert note.isVisible() and note.text() == "Closing School Office…"
    assert window.progress_label.text() == "Closing…"
    assert platform.closed_on is None  # still stopping
    run_until(lambda: not note.isVisible(), timeout=SLOW + 8)
    assert platform.calls == 1 and platform.closed_on not in (None, threading.get_ident())
    assert not window.closing_thread.daemon  # the process waits for it at exit: always released


def test_unsaved_work_is_still_asked_about_before_anything_stops(window, run_until):
    platform = window.platform
    page = window.pages.widget(0)
    page.unsaved_work = lambda: "The unfinished registration (Mia Okafor)"
    asked = []
    unsaved.set_asker(lambda parent, what: asked.append(what) or "cancel")
    assert not window.close()
    assert asked == ["The unfinished registration (Mia Okafor)"]
    assert window.isVisible() and platform.calls == 0 and getattr(window, "closing_note", None) is None
    page.unsaved_work = lambda: None
    assert window.close() and not window.isVisible()
    run_until(lambda: not window.closing_note.isVisible(), timeout=SLOW + 8)
    assert platform.calls == 1


def test_waiting_for_idle_workers_includes_the_closing(window):
    """Tests wait for workers before closing their loop; the closing thread counts as one."""
    from ui.ops import wait_idle

    platform = window.platform
    assert window.close()
    assert wait_idle(SLOW + 8) and platform.calls == 1 and platform.closed_on is not None
