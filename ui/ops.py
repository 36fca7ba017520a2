"""Running work off the UI thread.

Every database or DynamoDB call from a widget goes through `run_op`: it runs the function in a
worker thread, disables the given widgets meanwhile, shows a busy cursor after a short delay,
and routes errors to one place (a UserError's sentence; anything else is logged and replaced by
a plain sentence). Tests replace the executor to run work inline or to observe it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from app.errors import UserError

log = logging.getLogger(__name__)

_executor: concurrent.futures.Executor = concurrent.futures.ThreadPoolExecutor(max_workers=4,
                                                                                thread_name_prefix="op")


def set_executor(executor: concurrent.futures.Executor) -> None:
    global _executor
    _executor = executor


def get_executor() -> concurrent.futures.Executor:
    return _executor


_outstanding: set[concurrent.futures.Future] = set()


def wait_idle(timeout: float = 30) -> bool:
    """Wait until no operation is running on a worker thread (tests call this before closing an
    event loop, so no worker reports back to a loop that is gone). True when idle."""
    done, not_done = concurrent.futures.wait(list(_outstanding), timeout=timeout)
    return not not_done


class OpFailed(Exception):
    """Raised by run_op with a sentence fit for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def run_op(fn: Callable[..., Any], *args, disable: Iterable[QWidget] = (), busy_after_ms: int = 300) -> Any:
    widgets = [w for w in disable if w is not None]
    for w in widgets:
        w.setEnabled(False)
    busy = {"on": False}

    def show_busy() -> None:
        busy["on"] = True
        QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)

    # An asyncio timer, not a QTimer: a QTimer held by a coroutine that is dropped unfinished can
    # be destroyed by the garbage collector on another thread, leaving Qt a dangling timer.
    # The loop set for this thread, not "the running loop": qasync also runs coroutine steps while Qt
    # processes events outside run_forever (a modal dialog, a test's event processing).
    timer = asyncio.get_event_loop().call_later(busy_after_ms / 1000, show_busy)
    try:
        job = _executor.submit(fn, *args)
        _outstanding.add(job)
        job.add_done_callback(_outstanding.discard)
        return await asyncio.wrap_future(job)
    except UserError as err:
        raise OpFailed(err.message) from err
    except Exception as exc:
        log.exception("operation %s failed", getattr(fn, "__name__", fn))
        raise OpFailed("That did not work because of an unexpected problem; the details are in the log file.") from exc
    finally:
        timer.cancel()
        if busy["on"]:
            QApplication.restoreOverrideCursor()
        for w in widgets:
            w.setEnabled(True)


_running: set = set()


def spawn(coro) -> asyncio.Task:
    """Start a coroutine from a Qt signal; keep a reference until it ends (a dropped task can be
    collected mid-flight) and log anything it failed to handle."""
    task = asyncio.ensure_future(coro)
    _running.add(task)

    def done(t: asyncio.Task) -> None:
        _running.discard(t)
        if not t.cancelled() and t.exception() is not None:
            log.error("a screen task failed", exc_info=t.exception())

    task.add_done_callback(done)
    return task
