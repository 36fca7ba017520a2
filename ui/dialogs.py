"""Modal dialogs asked from a coroutine, without nesting the event loop.

`dialog.exec()` runs a second Qt event loop. Called from inside an asyncio task (a qasync slot),
qasync then steps other tasks inside it, and asyncio refuses ("Cannot enter into task … while
another task … is being executed"): the other work stalls and the log fills with errors. Here the
dialog is open()ed (still modal for its window) and the coroutine awaits its finished signal, so
the one event loop keeps running everything else.

Plain synchronous slots (a button's clicked, a key press, closeEvent) may still use exec(): no task
is running there, so nothing is re-entered.
"""

from __future__ import annotations

import asyncio
import inspect

from PySide6.QtWidgets import QAbstractButton, QDialog, QFileDialog, QInputDialog, QMessageBox


async def run_dialog(dialog: QDialog) -> int:
    """Show `dialog` window-modally and return its result code once it closes (as exec() would).
    If the waiting coroutine is cancelled, the dialog is closed with Cancel's answer."""
    answer = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not answer.done():
            answer.set_result(result)

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await answer
    except asyncio.CancelledError:
        dialog.reject()
        raise
    finally:
        try:
            dialog.finished.disconnect(finished)
        except (RuntimeError, TypeError):  # the dialog is already gone
            pass


async def run_message_box(box: QMessageBox) -> QAbstractButton | None:
    """Show a question and return the button that answered it (None: closed another way)."""
    await run_dialog(box)
    return box.clickedButton()


async def confirm(owner, title: str, text: str, yes: str) -> bool:
    """Ask `text` with a `yes` button and Cancel (the default and Escape: a stray Enter changes
    nothing). `owner.dialog` holds the box while it is open, where tests answer it. True: yes."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=owner)
    box.setAccessibleName(title)
    go = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    owner.dialog = box
    try:
        return await run_message_box(box) is go
    finally:
        owner.dialog = None


async def answered(value):
    """What a replaceable question returned: a test's plain answer as it is, a dialog's coroutine awaited."""
    return await value if inspect.isawaitable(value) else value


async def ask_file(owner, title: str, *, save: bool = False, suggested: str = "", filters: str = "") -> str | None:
    """A file chosen in the workstation's file dialog (to save to, or to open), or None when cancelled."""
    dialog = QFileDialog(owner, title, "", filters)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile if save else QFileDialog.FileMode.ExistingFile)
    if suggested:
        dialog.selectFile(suggested)
    files = dialog.selectedFiles() if await _accepted(owner, dialog) else []
    return files[0] if files else None


async def ask_text(owner, title: str, label: str) -> str | None:
    """One line typed in answer to `label`, or None when cancelled."""
    dialog = QInputDialog(owner)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    return dialog.textValue() if await _accepted(owner, dialog) else None


async def _accepted(owner, dialog: QDialog) -> bool:
    """Whether the dialog was accepted; `owner.dialog` holds it while it is open, where tests answer it."""
    owner.dialog = dialog
    try:
        return await run_dialog(dialog) == QDialog.DialogCode.Accepted
    finally:
        owner.dialog = None
