"""Helpers for screen tests."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager


async def until(predicate, timeout: float = 15) -> None:
    """Wait (letting the event loop run) until predicate() is true."""
    async def wait():
        while not predicate():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(wait(), timeout)


def sign_in_as(window, login: str, run_async) -> bool:
    """Sign in through the window's own form with a demo login's password."""
    from app.security.demo_logins import DEMO_PASSWORD

    window.sign_in_form.login.setText(login)
    window.sign_in_form.password.setText(DEMO_PASSWORD)
    return run_async(window.sign_in_form.attempt())


def on_the_demo_day(window) -> None:
    """The window's desks work on DEMO_AS_OF, a school day of the demo district, not on the machine's today (a
    Saturday or a holiday has no sections to take attendance for). The attendance desk, made with the window, is
    moved to it before it loads anything."""
    from datetime import datetime

    from PySide6.QtCore import QDate

    from tests.conftest import DEMO_AS_OF

    window.desk_context.today = lambda: DEMO_AS_OF
    window.desk_context.now = lambda: datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day, 8, 14)
    for edit in (window.attendance.day, window.attendance.office_day):
        edit.blockSignals(True)
        edit.setDate(QDate(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day))
        edit.blockSignals(False)


@contextmanager
def kiosk_window(qtbot, tmp_path, platform, demo_engine, run_async, desk: str, **options):
    """`school-office --kiosk <desk>` as ui/main.py builds it on the demo district: full screen, started, showing
    the sign-in form; afterwards its work is let go and the session's platform is left to its fixture."""
    from PySide6.QtCore import QSettings

    from app.security.demo_logins import create_demo_logins
    from app.security.session import sign_in as open_session
    from app.security.session import verify_credentials
    from ui.app_events import AppEvents
    from ui.main_window import MainWindow
    from ui.settings import UiSettings

    create_demo_logins(demo_engine)
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform, sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw),
                   kiosk=desk, verify=lambda p, login, pw: verify_credentials(demo_engine.url, login, pw),
                   owns_platform=False, **options)
    qtbot.addWidget(w)
    w.showFullScreen()
    try:
        assert run_async(w.start())
        yield w
    finally:
        w._discard_unsaved()
        if w.platform and w.platform.shipper:
            w.platform.shipper.stop()
        w.platform = None
        w._may_close = True
        if w.user_engine is not None:
            w.user_engine.dispose()


@contextmanager
def modal_closed_after(seconds: float):
    """While a test answers a dialog itself: a dialog that blocked the event loop could never be answered, so
    whatever modal dialog is open after `seconds` is closed (and the test fails instead of hanging). Only while
    the block runs: the timer never reaches another test's dialog."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: (m := QApplication.activeModalWidget()) is not None and m.reject())
    timer.start(int(seconds * 1000))
    try:
        yield
    finally:
        timer.stop()
