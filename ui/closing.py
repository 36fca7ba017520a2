"""Closing the app: the built-in servers take seconds to stop, so the window goes at once and a
small "Closing School Office…" note stays on screen while a worker thread stops them.

The thread is not a daemon: the interpreter waits for it at exit, so the servers are always
released even if the application quits first. The note is a top-level window, so the app quits
(last window closed) only once it is gone, that is once the servers are stopped.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtWidgets import QLabel

log = logging.getLogger(__name__)

CLOSING_TEXT = "Closing School Office…"


class ClosingNote(QLabel):
    """A frameless note; `finished` (emitted from any thread) closes it on the UI thread."""

    finished = Signal()

    def __init__(self) -> None:
        super().__init__(CLOSING_TEXT)
        self.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint
                            | Qt.WindowType.WindowStaysOnTopHint)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAccessibleName("Closing")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("QLabel { background: #ffffff; color: #1a1a1a; border: 1px solid #5a5a5a;"
                           " padding: 14px 22px; font-size: 15px; }")
        self.finished.connect(self.close)  # queued when emitted from the worker thread

    def show_over(self, area: QRect) -> None:
        self.adjustSize()
        self.move(area.center() - self.rect().center())
        self.show()


def close_in_background(close: Callable[[], object], area: QRect) -> tuple[ClosingNote, threading.Thread]:
    """Show the note over `area` and run close() on a worker thread; the note goes when it is done
    (failed or not: a failure is logged, the user can do nothing about it now)."""
    from ui import ops

    note = ClosingNote()
    note.show_over(area)
    done: concurrent.futures.Future = concurrent.futures.Future()
    ops._outstanding.add(done)  # ops.wait_idle() waits for it too (tests, before their loop closes)
    done.add_done_callback(ops._outstanding.discard)

    def work() -> None:
        try:
            close()
        except Exception:
            log.exception("stopping the built-in servers failed")
        finally:
            try:
                note.finished.emit()
            except RuntimeError:  # the note is already gone (the application has quit)
                pass
            done.set_result(None)

    thread = threading.Thread(target=work, name="close-platform", daemon=False)
    thread.start()
    return note, thread
