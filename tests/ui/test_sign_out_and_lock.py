"""Shared workstations (issue 16, items 5 and 6): Sign out and Lock from the menu and by keyboard;
a locked station lets the next person sign in as themselves; one user's unsaved work is saved,
kept or explicitly discarded, never handed to the next; each user returns to their own desk."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.security.demo_logins import DEMO_PASSWORD
from ui import unsaved

from tests.ui.helpers import sign_in_as

pytestmark = pytest.mark.ui


@pytest.fixture
def window(demo_window, run_async):
    demo_window.show()
    assert run_async(demo_window.start())
    return demo_window



def press(w, qtbot, key, modifiers):
    w.activateWindow()
    qtbot.waitActive(w)
    QTest.keyClick(w.windowHandle(), key, modifiers)  # through the window system, as a real key press


def hold_unsaved_work(page, what="3 unsaved marks for Period 2 English"):
    """A desk holding unsaved work, as the attendance roster does after marks are changed."""
    state = {"unsaved": what, "discarded": 0, "saved": 0}
    page.unsaved_work = lambda: state["unsaved"]

    def discard():
        state["discarded"] += 1
        state["unsaved"] = None

    async def save():
        state["saved"] += 1
        state["unsaved"] = None
        return True

    page.discard_unsaved = discard
    page.save_unsaved = save
    return state


def test_the_session_menu_names_its_keys(window, run_async):
    assert sign_in_as(window, "demo_teacher", run_async)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Session")
    assert [(a.text(), a.shortcut().toString()) for a in menu.actions()] == [
        ("&Lock this station", "Ctrl+L"), ("Sign &out", "Ctrl+Shift+L")]
    assert all(a.isEnabled() for a in menu.actions())


def test_ctrl_l_locks_and_only_the_password_is_asked(window, qtbot, run_async):
    assert sign_in_as(window, "demo_teacher", run_async)
    press(window, qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    lock = window.lock_screen
    assert window.is_locked() and not window.workspace.isVisible()
    assert lock.admin_login.isHidden() and lock.admin_button.isHidden()  # not a kiosk: no administrator unlock
    assert lock.switch_button.isVisible() and lock.switch_button.text() == "Sign in as someone else"
    assert not window.lock_action.isEnabled()
    lock.password.setText("wrong-one-here")
    assert not run_async(lock.unlock_as_user())
    assert lock.message.text() == "That password is not right; try again."
    lock.password.setText(DEMO_PASSWORD)
    assert run_async(lock.unlock_as_user())
    assert window.screens.currentWidget() is window.workspace and window.user.login == "demo_teacher"


def test_sign_out_asks_about_unsaved_work_and_cancel_stays(window, qtbot, run_async):
    assert sign_in_as(window, "demo_teacher", run_async)
    state = hold_unsaved_work(window.attendance)
    asked = []
    unsaved.set_asker(lambda parent, what: asked.append(what) or "cancel")
    press(window, qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert asked == ["3 unsaved marks for Period 2 English"]
    assert window.user is not None and window.screens.currentWidget() is window.workspace
    assert state["discarded"] == 0
    unsaved.set_asker(lambda parent, what: "discard")
    assert window.sign_out()
    assert state["discarded"] == 1
    assert window.screens.currentWidget() is window.sign_in_form and window.user is None
    form = window.sign_in_form
    assert form.login.text() == "demo_teacher" and form.password.text() == ""  # the name only


def test_sign_out_can_save_first(window, run_async, run_until):
    assert sign_in_as(window, "demo_teacher", run_async)
    state = hold_unsaved_work(window.attendance)
    unsaved.set_asker(lambda parent, what: "save")
    window.sign_out()
    run_until(lambda: window.user is None)
    assert state["saved"] == 1 and state["discarded"] == 0
    assert window.screens.currentWidget() is window.sign_in_form


def test_someone_else_at_a_locked_station_never_gets_the_first_users_work(window, run_async):
    assert sign_in_as(window, "demo_teacher", run_async)
    first_desk = window.attendance
    state = hold_unsaved_work(first_desk)
    window.lock()
    answers = []
    window.confirm_switch_user = lambda holder, what: answers.append((holder, what)) or False
    window.lock_screen.switch_button.click()
    assert len(answers) == 1 and answers[0][1] == ["3 unsaved marks for Period 2 English"]
    assert window.is_locked() and window.user.login == "demo_teacher" and state["discarded"] == 0  # kept
    window.confirm_switch_user = lambda holder, what: True
    window.lock_screen.switch_button.click()
    assert state["discarded"] == 1  # explicitly discarded
    assert window.screens.currentWidget() is window.sign_in_form
    assert sign_in_as(window, "demo_dean", run_async)
    assert window.attendance is not first_desk  # the desks are built afresh for her
    assert window.user.login == "demo_dean"


def test_work_left_by_an_ended_session_waits_for_its_owner_only(window, run_async):
    assert sign_in_as(window, "demo_teacher", run_async)
    desk = window.attendance
    state = hold_unsaved_work(desk)
    window._on_session_ended("expired")  # nobody was there to answer
    assert window.screens.currentWidget() is window.sign_in_form and state["discarded"] == 0
    assert sign_in_as(window, "demo_teacher", run_async)
    assert window.attendance is desk and state["unsaved"]  # hers again, as she left it
    window._on_session_ended("expired")
    assert sign_in_as(window, "demo_dean", run_async)  # someone else: discarded, desks rebuilt
    assert state["discarded"] == 1 and window.attendance is not desk


def test_each_user_returns_to_their_own_desk(window, run_async):
    assert sign_in_as(window, "demo_teacher", run_async)
    assert window.open_desk("reports")
    assert window.sign_out()
    assert sign_in_as(window, "demo_admin", run_async)
    assert window.current_desk_key() == "front_office"  # not the teacher's Reports
    assert window.open_desk("discipline")
    assert window.sign_out()
    assert sign_in_as(window, "demo_teacher", run_async)
    assert window.current_desk_key() == "reports"
    assert window.sign_out()
    assert sign_in_as(window, "demo_admin", run_async)
    assert window.current_desk_key() == "discipline"


def test_the_lock_screen_works_by_keyboard_alone(window, qtbot, run_async, run_until):
    assert sign_in_as(window, "demo_teacher", run_async)
    window.lock()
    lock = window.lock_screen
    lock.password.setFocus()
    qtbot.keyClicks(lock.password, DEMO_PASSWORD)
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)  # Enter unlocks, as the sign-in form signs in
    run_until(lambda: not window.is_locked())
    assert window.screens.currentWidget() is window.workspace
