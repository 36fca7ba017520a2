"""Helpers for screen tests."""

from __future__ import annotations

import asyncio


async def until(predicate, timeout: float = 15) -> None:
    """Wait (letting the event loop run) until predicate() is true."""
    async def wait():
        while not predicate():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(wait(), timeout)
