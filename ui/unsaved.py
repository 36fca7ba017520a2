"""Asking before unsaved work is thrown away (switching section or day, closing the window,
leaving kiosk mode, signing out or locking).

A screen that can hold unsaved work answers three questions (see TabbedDesk):
`unsaved_work() -> str | None` (a short description such as "3 unsaved marks for Period 2
English", None when nothing is unsaved), `async save_unsaved() -> bool` and `discard_unsaved()`.

The question itself is `ask_save_discard_cancel(parent, description)`, answering 'save',
'discard' or 'cancel' (Cancel is the default button and Escape: a stray Enter loses nothing).
Tests answer in its place through `set_asker`, as they do for the desks' other dialogs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtWidgets import QMessageBox, QWidget

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"

Asker = Callable[[QWidget | None, str], str]


def _ask_with_dialog(parent: QWidget | None, description: str) -> str:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unsaved changes")
    box.setAccessibleName("Unsaved changes")
    box.setText(f"{description.rstrip('.')}.")
    box.setInformativeText("Save them, discard them, or cancel and go back to them?")
    save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    return SAVE if clicked is save else DISCARD if clicked is discard else CANCEL


_asker: Asker = _ask_with_dialog


def set_asker(asker: Asker | None) -> None:
    """Replace the question (tests); None puts the real dialog back."""
    global _asker
    _asker = asker or _ask_with_dialog


def ask_save_discard_cancel(parent: QWidget | None, description: str) -> str:
    answer = _asker(parent, description)
    return answer if answer in (SAVE, DISCARD) else CANCEL


def holding_unsaved(screens: Iterable[object]) -> list[tuple[object, str]]:
    """The screens (desks) that hold unsaved work, with its description."""
    found = []
    for s in screens:
        probe = getattr(s, "unsaved_work", None)
        what = probe() if callable(probe) else None
        if what:
            found.append((s, what))
    return found


def settle(parent: QWidget | None, screens: Iterable[object], then: Callable[[], object] | None = None) -> str:
    """Ask about each screen's unsaved work before leaving it. Returns:
    'go'     nothing unsaved, or the user discarded it: go on now;
    'saving' the user chose Save: saving runs in the background and `then()` is called once every
             save succeeded (a failed save leaves its screen showing why, and nothing more happens);
    'stay'   the user cancelled: stay where you are.
    Synchronous on purpose: call it from a plain slot or closeEvent, never from inside a coroutine
    (a modal dialog there would re-enter the event loop)."""
    answers = []
    for screen, what in holding_unsaved(screens):
        answer = ask_save_discard_cancel(parent, what)
        if answer == CANCEL:  # nothing is discarded yet: every answer counts only once all are given
            return "stay"
        answers.append((screen, answer))
    to_save = [s for s, a in answers if a == SAVE]
    for screen, answer in answers:
        if answer == DISCARD:
            screen.discard_unsaved()
    if not to_save:
        return "go"
    from ui.ops import spawn

    async def save_all() -> bool:
        for screen in to_save:
            if not await screen.save_unsaved():
                return False
        if then is not None:
            then()
        return True

    spawn(save_all())
    return "saving"


def refused_to_leave(screens: Iterable[object], action: str) -> str | None:
    """The first screen that must not be left yet, in its own sentence (None: leaving is fine).
    A screen that holds something only it can deliver (the cafeteria's unsent sales) defines
    `leave_refused(action) -> str | None`, where action is "signing out", "locking", "quitting"."""
    for s in screens:
        probe = getattr(s, "leave_refused", None)
        why = probe(action) if callable(probe) else None
        if why:
            return why
    return None
