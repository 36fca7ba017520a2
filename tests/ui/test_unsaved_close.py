"""Issue 16 item 3: closing the window or leaving kiosk mode with attendance marks not saved asks
Save / Discard / Cancel (Cancel the default) instead of dropping them without a word."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in as open_session
from app.security.session import verify_credentials
from ui import unsaved
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from tests.ui.helpers import on_the_demo_day
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


def window(qtbot, tmp_path, platform, demo_engine, run_async, kiosk=None):
    create_demo_logins(demo_engine)
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform, sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw),
                   kiosk=kiosk, verify=lambda p, login, pw: verify_credentials(demo_engine.url, login, pw),
                   owns_platform=False)
    qtbot.addWidget(w)
    on_the_demo_day(w)
    w.show()
    assert run_async(w.start())
    w.sign_in_form.login.setText("demo_teacher")
    w.sign_in_form.password.setText(DEMO_PASSWORD)
    assert run_async(w.sign_in_form.attempt())
    return w


def mark_one_student(w, run_until):
    page = w.attendance
    assert w.open_desk("attendance")
    run_until(lambda: page.section.count() > 0)
    page.open_button.setFocus()
    QTest.keyClick(page.open_button, Qt.Key.Key_Space)
    run_until(lambda: page.roster_model.roster is not None and page.open_button.isEnabled())
    QTest.keyClick(page.grid, Qt.Key.Key_A)
    return page


def forget(w):
    w.platform = None  # the test session's platform outlives the window
    w._may_close = True
    if w.user_engine is not None:
        w.user_engine.dispose()
        w.user_engine = None


def test_closing_the_window_asks_and_cancel_keeps_the_marks(qtbot, tmp_path, platform, demo_engine, run_async,
                                                           run_until, answers):
    asked, queue = answers
    w = window(qtbot, tmp_path, platform, demo_engine, run_async)
    page = mark_one_student(w, run_until)
    title = page.roster_model.roster.title
    assert not w.close()  # Cancel: the window stays, the mark too
    assert asked == [f"1 unsaved mark for {title}"] and w.isVisible()
    assert page.unsaved_work() == f"1 unsaved mark for {title}"
    queue.append("discard")
    assert w.close()
    assert len(asked) == 2 and not w.isVisible() and page.unsaved_work() is None
    forget(w)


def test_leaving_kiosk_mode_asks_and_cancel_stays_a_kiosk(qtbot, tmp_path, platform, demo_engine, run_async,
                                                         run_until, answers):
    asked, _queue = answers
    w = window(qtbot, tmp_path, platform, demo_engine, run_async, kiosk="attendance")
    page = mark_one_student(w, run_until)
    run_async(w.leave_kiosk("demo_admin", DEMO_PASSWORD))
    assert asked == [f"1 unsaved mark for {page.roster_model.roster.title}"]
    assert w.isVisible() and page.unsaved_work() is not None
    assert not w._may_close  # still a kiosk: a plain close is refused again
    assert not w.close() and len(asked) == 1
    forget(w)


def test_the_real_question_defaults_to_cancel(qtbot):
    """Enter on the dialog itself never discards: Cancel is its default and Escape button."""
    from PySide6.QtCore import QTimer

    seen = {}

    def press_enter():
        box = next(b for b in qtbot_widgets() if isinstance(b, QMessageBox))
        seen["default"] = box.defaultButton().text()
        seen["escape"] = box.escapeButton().text()
        QTest.keyClick(box, Qt.Key.Key_Return)

    def qtbot_widgets():
        from PySide6.QtWidgets import QApplication
        return QApplication.topLevelWidgets()

    QTimer.singleShot(100, press_enter)
    assert unsaved.ask_save_discard_cancel(None, "3 unsaved marks for Period 2 English") == "cancel"
    assert seen == {"default": "Cancel", "escape": "Cancel"}
