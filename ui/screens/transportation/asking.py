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
