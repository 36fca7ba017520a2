"""The bus desk's questions: asked without nesting the event loop, No the default (a stray Enter
changes nothing)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


async def ask_yes_no(parent: QWidget, title: str, text: str, informative: str) -> bool:
    from ui.dialogs import run_message_box

    box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setAccessibleName(title)
    box.setInformativeText(informative)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setEscapeButton(QMessageBox.StandardButton.No)
    answer = await run_message_box(box)
    box.deleteLater()
    return answer is box.button(QMessageBox.StandardButton.Yes)


async def save_asking(ctx, make, button, confirm, report) -> bool:
    """Run make(conn, confirmed) in a transaction; on an OverloadWarning ask with confirm(warnings)
    (No: nothing saved), then run it again confirmed. report(sentence) shows a refusal. True: saved."""
    import inspect

    from app.services.transport.fit import OverloadWarning
    from ui.ops import OpFailed, run_op

    for confirmed in (False, True):
        try:
            await run_op(ctx.run_in(lambda c: make(c, confirmed)), disable=(button,))
        except OpFailed as err:
            cause = err.__cause__
            if isinstance(cause, OverloadWarning) and not confirmed:
                go = confirm(cause.warnings)
                if inspect.isawaitable(go):
                    go = await go
                if go:
                    continue
                report("Not saved: " + cause.warnings[0])
                return False
            report(err.message)
            return False
        return True
    return False
