"""Kiosk mode: one desk full screen, locks when idle, leaves only for an administrator."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in as open_session
from app.security.session import verify_credentials
from tests.ui.helpers import kiosk_window
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.screens.desk_page import DESKS
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


@pytest.fixture
def clock():
    return {"t": 5000.0}


@pytest.fixture
def kiosk(qtbot, tmp_path, platform, demo_engine, run_async, clock):
    with kiosk_window(qtbot, tmp_path, platform, demo_engine, run_async, "cafeteria", idle_seconds=90,
                      clock=lambda: clock["t"]) as w:
        yield w


def sign_in_as(w, login, run_async, password=DEMO_PASSWORD):
    w.sign_in_form.login.setText(login)
    w.sign_in_form.password.setText(password)
    return run_async(w.sign_in_form.attempt())


def test_one_desk_full_screen_without_window_controls(kiosk, run_async):
    assert sign_in_as(kiosk, "demo_cashier", run_async)
    assert kiosk.isFullScreen()
    assert kiosk.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert not kiosk.desk_list.isVisible()
    assert kiosk.current_desk_key() == "cafeteria"
    assert [DESKS[i].key for i in range(kiosk.desk_list.count()) if not kiosk.desk_list.item(i).isHidden()] == \
        ["cafeteria"]


def test_a_sign_in_without_the_desk_is_refused(kiosk, run_async):
    sign_in_as(kiosk, "demo_teacher", run_async)
    assert kiosk.user is None
    assert kiosk.screens.currentWidget() is kiosk.sign_in_form
    assert kiosk.sign_in_form.message.text().startswith("This station is the Cafeteria kiosk")


def test_idle_locks_and_the_users_password_unlocks(kiosk, run_async, clock):
    assert sign_in_as(kiosk, "demo_cashier", run_async)
    clock["t"] += 60
    assert not kiosk.idle_watcher.check() and not kiosk.is_locked()
    clock["t"] += 31
    assert kiosk.idle_watcher.check() and kiosk.is_locked()
    assert not kiosk.workspace.isVisible()
    lock = kiosk.lock_screen
    lock.password.setText("not-my-password")
    assert not run_async(lock.unlock_as_user()) and kiosk.is_locked()
    assert lock.message.text() == "That password is not right; try again."  # it asked only for a password
    lock.password.setText(DEMO_PASSWORD)
    assert run_async(lock.unlock_as_user()) and not kiosk.is_locked()


def test_an_administrator_unlocks_but_another_user_does_not(kiosk, run_async):
    assert sign_in_as(kiosk, "demo_cashier", run_async)
    kiosk.lock()
    lock = kiosk.lock_screen
    lock.admin_login.setText("demo_nurse")
    lock.admin_password.setText(DEMO_PASSWORD)
    assert not run_async(lock.unlock_as_admin())
    assert lock.message.text() == "demo_nurse is not an administrator; ask one to unlock this station."
    lock.admin_login.setText("demo_admin")
    lock.admin_password.setText("not-the-password")
    assert not run_async(lock.unlock_as_admin())
    assert lock.message.text() == "That administrator sign-in name or password is not right; try again."
    lock.admin_password.setText(DEMO_PASSWORD)
    assert run_async(lock.unlock_as_admin()) and not kiosk.is_locked()


def test_leaving_kiosk_mode_needs_an_administrator(kiosk, run_async):
    assert sign_in_as(kiosk, "demo_cashier", run_async)
    kiosk.close()
    assert kiosk.isVisible()
    assert kiosk.progress_label.text() == "Leaving kiosk mode needs an administrator: press Ctrl+Shift+Q."
    assert not run_async(kiosk.leave_kiosk("demo_cashier", DEMO_PASSWORD))
    assert kiosk.isVisible()
    assert run_async(kiosk.leave_kiosk("demo_admin", DEMO_PASSWORD))
    assert not kiosk.isVisible()


def test_the_lock_screen_backs_off_after_five_wrong_passwords(kiosk, run_async, clock):
    assert sign_in_as(kiosk, "demo_cashier", run_async)
    kiosk.lock()
    lock = kiosk.lock_screen
    for _ in range(5):
        lock.password.setText("a-wrong-guess")
        assert not run_async(lock.unlock_as_user())
    assert lock.message.text() == "Five tries in a row failed, so unlocking waits a minute; or sign in as someone else."
    assert not lock.password.isEnabled() and not lock.unlock_button.isEnabled()
    lock.password.setText(DEMO_PASSWORD)  # even the right password waits
    assert not run_async(lock.unlock_as_user()) and kiosk.is_locked()
    assert lock.switch_button.isEnabled()  # the next person is not kept out
    clock["t"] += 61
    lock._lock_over()  # the timer's end, without waiting a real minute
    for _ in range(5):
        lock.password.setText("another-guess")
        run_async(lock.unlock_as_user())
    assert "waits 2 minutes" in lock.message.text()  # each further lock is longer
    clock["t"] += 121
    lock._lock_over()
    lock.password.setText(DEMO_PASSWORD)
    assert run_async(lock.unlock_as_user()) and not kiosk.is_locked()


def test_a_kiosk_never_shows_a_name_or_keeps_a_password(qtbot, tmp_path, platform, demo_engine, run_async):
    from ui.screens.sign_in.sign_in_form import PasswordStore

    create_demo_logins(demo_engine)
    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    settings.last_login = "demo_cashier"  # left by a normal-mode start on this computer
    PasswordStore().set("demo_cashier", DEMO_PASSWORD)  # and a password its owner once asked to keep
    w = MainWindow(AppEvents(), settings, lambda: platform,
                   sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw),
                   kiosk="cafeteria", verify=lambda p, login, pw: verify_credentials(demo_engine.url, login, pw),
                   owns_platform=False)
    qtbot.addWidget(w)
    try:
        assert run_async(w.start())
        form = w.sign_in_form
        assert form.login.text() == "" and form.password.text() == ""
        assert form.remember.isHidden()
        assert sign_in_as(w, "demo_cashier", run_async)
        assert w.sign_out()
        assert w.screens.currentWidget() is form
        assert form.login.text() == "" and form.password.text() == ""  # not even the one who just left
    finally:
        PasswordStore().forget("demo_cashier")
        if w.platform and w.platform.shipper:
            w.platform.shipper.stop()
        w.platform = None
        w._may_close = True
