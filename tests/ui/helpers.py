"""Helpers for screen tests."""

from __future__ import annotations

import asyncio


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
