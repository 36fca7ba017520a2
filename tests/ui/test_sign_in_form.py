"""Signing in at the window, by keyboard, as different staff members."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in as open_session
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.screens.desk_page import DESKS
from ui.screens.sign_in.sign_in_form import MAX_FAILURES, SignInForm
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


class MemoryPasswords:
    """Stands in for the OS keyring (outside our control)."""

    def __init__(self):
        self.saved = {}

    def get(self, login):
        return self.saved.get(login)

    def set(self, login, password):
        self.saved[login] = password
        return True

    def forget(self, login):
        self.saved.pop(login, None)


@pytest.fixture(scope="module")
def logins(demo_engine):
    return create_demo_logins(demo_engine)


@pytest.fixture
def window(qtbot, tmp_path, platform, demo_engine, logins, run_async):
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform, sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw))
    qtbot.addWidget(w)
    w.show()
    assert run_async(w.start())
    yield w
    if w.platform and w.platform.shipper:
        w.platform.shipper.stop()
    w.platform = None  # the session's platform belongs to its fixture
    if w.user_engine is not None:
        w.user_engine.dispose()


def visible_desks(w) -> list[str]:
    return [DESKS[i].title for i in range(w.desk_list.count()) if not w.desk_list.item(i).isHidden()]


def type_and_sign_in(qtbot, w, login, password, run_async):
    form = w.sign_in_form
    form.login.clear()
    qtbot.keyClicks(form.login, login)
    qtbot.keyClick(form.login, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is form.password or not form.isActiveWindow()
    qtbot.keyClicks(form.password, password)
    return run_async(form.attempt())


def test_the_form_is_labelled_and_in_keyboard_order(window, qtbot):
    form = window.sign_in_form
    assert window.screens.currentWidget() is form
    assert [form.login.accessibleName(), form.password.accessibleName(), form.remember.accessibleName(),
            form.submit.accessibleName()] == ["Sign-in name", "Password", "Remember me", "Sign in"]
    window.activateWindow()
    qtbot.waitActive(window)
    form.login.setFocus()
    order = [QApplication.focusWidget()]
    for _ in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == [form.login, form.password, form.remember, form.submit]
    assert not window.workspace.isVisible()


def test_a_teacher_sees_only_the_teacher_desks(window, qtbot, run_async):
    assert type_and_sign_in(qtbot, window, "demo_teacher", DEMO_PASSWORD, run_async)
    assert window.screens.currentWidget() is window.workspace
    assert visible_desks(window) == ["Attendance", "Reports"]
    assert "teacher" in window.user_label.text()
    assert not window.open_desk("discipline")
    assert window.progress_label.text() == "Your role does not include the Discipline desk."
    assert window.current_desk_key() in ("attendance", "reports")


def test_the_administrator_sees_every_desk(window, qtbot, run_async):
    assert type_and_sign_in(qtbot, window, "demo_admin", DEMO_PASSWORD, run_async)
    assert visible_desks(window) == [d.title for d in DESKS]


def test_a_nurse_sees_the_nurse_desk(window, qtbot, run_async):
    assert type_and_sign_in(qtbot, window, "demo_nurse", DEMO_PASSWORD, run_async)
    assert visible_desks(window) == ["Nurse"]


def test_a_wrong_password_says_so_and_keeps_the_name(window, qtbot, run_async):
    assert not type_and_sign_in(qtbot, window, "demo_teacher", "not-it-at-all", run_async)
    form = window.sign_in_form
    assert form.message.text() == "The sign-in name or the password is not right; check them and try again."
    assert form.login.text() == "demo_teacher" and form.password.text() == ""
    assert window.screens.currentWidget() is form


def test_five_failures_lock_the_form_for_a_minute(qtbot, run_async):
    from app.errors import UserError

    now = {"t": 1000.0}

    def refuse(login, password):
        raise UserError("The sign-in name or the password is not right; check them and try again.")

    form = SignInForm(refuse, passwords=MemoryPasswords(), clock=lambda: now["t"])
    qtbot.addWidget(form)
    for _ in range(MAX_FAILURES):
        form.login.setText("demo_teacher")
        form.password.setText("guess")
        run_async(form.attempt())
    assert form.is_locked() and not form.submit.isEnabled()
    assert "locked for a minute" in form.message.text()
    now["t"] += 61
    form._unlock()
    assert not form.is_locked() and form.submit.isEnabled()


def test_remember_me_keeps_the_password_only_in_the_keyring(qtbot, run_async, tmp_path):
    store = MemoryPasswords()
    form = SignInForm(lambda login, pw: ("user", "engine"), passwords=store)
    qtbot.addWidget(form)
    form.login.setText("demo_nurse")
    form.password.setText(DEMO_PASSWORD)
    form.remember.setChecked(True)
    with qtbot.waitSignal(form.signed_in):
        assert run_async(form.attempt())
    assert store.saved == {"demo_nurse": DEMO_PASSWORD}
    again = SignInForm(lambda login, pw: ("user", "engine"), remembered_login="demo_nurse", passwords=store)
    qtbot.addWidget(again)
    assert again.password.text() == DEMO_PASSWORD and again.remember.isChecked()
    settings_text = "".join(p.read_text() for p in tmp_path.rglob("*.ini"))
    assert DEMO_PASSWORD not in settings_text
