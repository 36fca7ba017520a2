"""The ID card scanner at the register. A keyboard-wedge scanner "types" the card's Code 128 value
(the student id, reports/id_card.py) as a burst of keystrokes a few milliseconds apart, then Enter.

The watcher sees every key press in the application while the register is on screen. A burst of
at least MIN_LENGTH digits, each within MAX_GAP of the one before and ended by Enter, is a scan,
wherever the focus was: the digits are taken back out of the field they landed in (a scan during
the cash dialog must not become $604,123 tendered), the Enter is swallowed, and `scanned` fires.
Anything slower is a person typing and reaches its field untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

MIN_LENGTH = 6  # student ids are six digits or more; cash amounts typed by hand are shorter
MAX_GAP = 0.035  # seconds between a scanner's keystrokes (people type 0.1-0.3 s apart)


class BurstTimer:
    """The timing rule, without Qt: feed keystrokes, ask at Enter whether it was a scan."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_gap: float = MAX_GAP,
                 min_length: int = MIN_LENGTH) -> None:
        self.clock = clock
        self.max_gap = max_gap
        self.min_length = min_length
        self.chars: list[str] = []
        self.last: float | None = None

    def key(self, char: str) -> bool:
        """A printable keystroke; True when it starts a new burst."""
        now = self.clock()
        fresh = self.last is None or now - self.last > self.max_gap or not char.isdigit()
        if fresh:
            self.chars = []
        self.last = now
        if char.isdigit():
            self.chars.append(char)
        else:
            self.chars, self.last = [], None
        return fresh and bool(self.chars)

    def enter(self) -> str | None:
        """Enter pressed: the scanned code, or None when it was typed."""
        now = self.clock()
        code = "".join(self.chars)
        quick = self.last is not None and now - self.last <= self.max_gap * 2
        self.chars, self.last = [], None
        return code if quick and len(code) >= self.min_length else None

    def reset(self) -> None:
        self.chars, self.last = [], None


class ScanWatcher(QObject):
    """Application-wide while `active()` is true (the register on screen)."""

    scanned = Signal(str)

    def __init__(self, active: Callable[[], bool], clock: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.active = active
        self.timer = BurstTimer(clock)
        self._field: QLineEdit | None = None  # where the burst is landing, and its text before it
        self._before = ""
        QApplication.instance().installEventFilter(self)

    def stop(self) -> None:
        QApplication.instance().removeEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() != QEvent.Type.KeyPress:
            return False
        # a key press reaches the window first, then the focus widget, then (if ignored) its parents:
        # look at it once, on the widget it is meant for
        if not isinstance(obj, QWidget) or obj.isWindow() and obj.focusWidget() is not None:
            return False
        focus = QApplication.focusWidget()
        if focus is not None and obj is not focus and obj.isAncestorOf(focus):
            return False
        try:
            if not self.active():
                self.timer.reset()
                return False
        except RuntimeError:  # the register is gone (a retired desk page)
            return False
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            code = self.timer.enter()
            if code is None:
                return False
            if self._field is not None:
                try:
                    self._field.setText(self._before)
                except RuntimeError:
                    pass
            self._field = None
            self.scanned.emit(code)
            return True
        text = event.text()
        if text and text.isprintable():
            if self.timer.key(text):
                self._field = obj if isinstance(obj, QLineEdit) else None
                self._before = self._field.text() if self._field is not None else ""
        return False
