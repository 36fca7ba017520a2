import asyncio

import pytest
import qasync


@pytest.fixture
def run_async(qapp):
    """Run a coroutine to completion on a qasync loop over the test's QApplication, the way
    ui.main runs the app: Qt events (timers, signals) keep flowing while it awaits."""
    def run(coro, timeout: float = 60):
        loop = qasync.QEventLoop(qapp)
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(asyncio.wait_for(coro, timeout))
        finally:
            asyncio.set_event_loop(None)
            loop.close()
    return run
