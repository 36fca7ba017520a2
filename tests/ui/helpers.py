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
