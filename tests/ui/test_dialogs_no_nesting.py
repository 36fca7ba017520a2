"""Issue 16.16: a dialog asked from a coroutine must not nest the event loop. With exec() inside a
task, qasync steps other tasks inside the nested loop and asyncio refuses ("Cannot enter into task
… while another task … is being executed"), once per dialog. ui/dialogs.run_dialog opens the
dialog and awaits its answer instead; the other work keeps running meanwhile."""

from __future__ import annotations

import asyncio
import logging

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QMessageBox

from ui.dialogs import run_dialog, run_message_box

pytestmark = pytest.mark.ui

STAFF = [(101, "Ana Reyes (Front office)"), (102, "Ben Cho (Teacher)")]
SCHOOLS = [(255901001, "Riverbend High School"), (255901107, "Riverbend Elementary")]


@pytest.fixture
def loop_errors(qasync_loop, caplog):
    """Every error the loop reports (its exception handler) plus ERROR records of the asyncio log."""
    seen: list[str] = []

    def handler(loop, context):
        seen.append(str(context.get("exception") or context.get("message")))
    qasync_loop.set_exception_handler(handler)
    caplog.set_level(logging.ERROR)
    yield lambda: seen + [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    qasync_loop.set_exception_handler(None)


@pytest.fixture
def window(qtbot):
    """The window dialogs belong to (closing the only top-level window would quit the app)."""
    from PySide6.QtWidgets import QWidget

    w = QWidget()
    qtbot.addWidget(w)
    w.show()
    return w


def visible(kind):
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)


async def ask_while_other_work_runs(ask):
    """Ask while another task ticks, as the desks' own work does when a dialog opens."""
    ticks = []

    async def other_work():
        while True:
            ticks.append(1)
            await asyncio.sleep(0.01)
    worker = asyncio.ensure_future(other_work())
    try:
        answer = await ask()
    finally:
        worker.cancel()
    return answer, len(ticks)


def test_the_new_sign_in_dialog_is_awaited_without_entering_another_task(qtbot, run_async, loop_errors):
    from ui.screens.administration.administration_page import AdministrationPage
    from ui.screens.administration.new_sign_in_dialog import NewSignInDialog

    page = AdministrationPage(lambda: None)
    qtbot.addWidget(page)
    page.show()
    typed = {}

    def administrator_answers():  # what the administrator types, then OK
        d = visible(NewSignInDialog)
        if d is None:
            QTimer.singleShot(20, administrator_answers)
            return
        typed["modal"] = d.isModal()
        d.staff.setCurrentIndex(1)
        d.login.setText("t_bcho")
        d.password.setText("first-password-1")
        next(iter(d.school_boxes.values())).setChecked(True)
        QTimer.singleShot(150, d.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click)

    QTimer.singleShot(50, administrator_answers)
    value, ticks = run_async(ask_while_other_work_runs(lambda: page.ask_new_sign_in(STAFF, SCHOOLS)), timeout=15)
    assert typed["modal"]
    assert (value.login, value.staff_usi, value.school_ids) == ("t_bcho", 102, (255901001,))
    assert ticks > 5  # the other work went on while the dialog was open
    assert not [e for e in loop_errors() if "enter into task" in e.lower()], loop_errors()
    assert loop_errors() == []


def test_a_question_box_answers_with_the_button_clicked(window, run_async, loop_errors):
    box = QMessageBox(QMessageBox.Icon.Warning, "Add this section?", "It overlaps Period 2 English.",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    QTimer.singleShot(100, box.button(QMessageBox.StandardButton.Yes).click)
    clicked, _ = run_async(ask_while_other_work_runs(lambda: run_message_box(box)), timeout=15)
    assert clicked is box.button(QMessageBox.StandardButton.Yes)
    assert not box.isVisible() and loop_errors() == []


def test_cancelling_the_waiting_coroutine_closes_the_dialog(window, run_async, loop_errors):
    d = QDialog(window)

    async def give_up():
        task = asyncio.ensure_future(run_dialog(d))
        await asyncio.sleep(0.1)
        assert d.isVisible()
        task.cancel()
        await asyncio.sleep(0.05)
        return task.cancelled()
    assert run_async(give_up())
    assert not d.isVisible() and d.result() == QDialog.DialogCode.Rejected


def test_the_start_up_failure_is_shown_from_the_start_coroutine_without_nesting(window, run_async, loop_errors):
    from ui.main_window import show_startup_failure

    closed = []

    async def start_fails():
        box = show_startup_failure(window, "Cannot reach the database server at db:5432/school.",
                                   then=lambda: closed.append(1))
        await asyncio.sleep(0.1)  # start() returns at once; the box stays until read
        assert box.isVisible() and closed == []
        box.button(QMessageBox.StandardButton.Close).click()
        await asyncio.sleep(0.05)
        return box
    box = run_async(ask_while_other_work_runs(start_fails))[0]
    assert closed == [1] and not box.isVisible() and loop_errors() == []


def test_exec_from_a_coroutine_is_what_the_log_complained_about(window, run_async, loop_errors):
    """The detector above sees the old way's error (so its silence for run_dialog means something)."""
    d = QDialog(window)

    async def ask_with_exec():
        await asyncio.sleep(0)
        return d.exec()
    QTimer.singleShot(150, d.accept)
    run_async(ask_while_other_work_runs(ask_with_exec), timeout=15)
    assert any("enter into task" in e.lower() for e in loop_errors())


def test_leaving_kiosk_mode_with_unsaved_marks_asks_without_entering_another_task(
        qtbot, tmp_path, platform, demo_engine, run_async, run_until, loop_errors):
    """leave_kiosk is a coroutine; the window's close asks about the unsaved marks with the real
    dialog. The question comes after the coroutine's step, not inside it."""
    from PySide6.QtWidgets import QPushButton

    from app.security.demo_logins import DEMO_PASSWORD
    from tests.ui.test_unsaved_close import forget, mark_one_student
    from tests.ui.test_unsaved_close import window as signed_in_window

    w = signed_in_window(qtbot, tmp_path, platform, demo_engine, run_async, kiosk="attendance")
    page = mark_one_student(w, run_until)
    seen, answered = [], []

    def teacher_cancels():
        box = visible(QMessageBox)
        if box is None:
            QTimer.singleShot(20, teacher_cancels)
            return
        seen.append(box.text())
        cancel = next(b for b in box.findChildren(QPushButton) if b.text() == "Cancel")
        QTimer.singleShot(100, lambda: (cancel.click(), answered.append(1)))

    async def leave_and_answer():
        assert await w.leave_kiosk("demo_admin", DEMO_PASSWORD)
        while not answered:  # the question comes once the coroutine's step is over
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)

    QTimer.singleShot(50, teacher_cancels)
    run_async(ask_while_other_work_runs(leave_and_answer), timeout=30)
    assert seen == [f"1 unsaved mark for {page.roster_model.roster.title}."]
    assert w.isVisible() and page.unsaved_work() is not None and not w._may_close
    assert not [e for e in loop_errors() if "enter into task" in e.lower()], loop_errors()
    page.discard_unsaved()
    forget(w)
