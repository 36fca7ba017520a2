"""Asking before a teacher's key press goes against a day the office recorded (a suspension, a
call from home). "Keep the office's mark" is the default and Escape: a stray key changes nothing.

Tests answer in its place through `set_asker`, as for the desks' other dialogs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

Asker = Callable[[QWidget | None, str, str, str], bool]  # parent, student, office note, new code -> change?


def _ask_with_dialog(parent: QWidget | None, student: str, office_note: str, code: str) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("The office recorded this day")
    box.setAccessibleName("The office recorded this day")
    box.setText(f"The office recorded {student}'s day as {office_note}.")
    box.setInformativeText(f"Mark {student} {code} for this class anyway? The office's record of the day stays.")
    change = box.addButton(f"Mark {code}", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Keep the office's mark", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is change


_asker: Asker = _ask_with_dialog


def set_asker(asker: Asker | None) -> None:
    """Replace the question (tests); None puts the real dialog back."""
    global _asker
    _asker = asker or _ask_with_dialog


def confirm_office_overwrite(parent: QWidget | None, student: str, office_note: str, code: str) -> bool:
    return bool(_asker(parent, student, office_note, code))
