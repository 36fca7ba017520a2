"""The suite's own safety net: a modal dialog nobody answers is closed by the watchdog instead of
blocking the whole test run (pytest-timeout cannot interrupt Qt's nested event loop)."""

import time

from PySide6.QtWidgets import QMessageBox


def test_an_unanswered_modal_dialog_is_closed_instead_of_blocking_the_run(modal_watchdog, monkeypatch):
    monkeypatch.setattr(modal_watchdog, "limit", 1.0)
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes", "3 unsaved marks for Period 2.")
    keep = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.setEscapeButton(keep)
    started = time.monotonic()
    box.exec()
    assert time.monotonic() - started < 10
    assert box.clickedButton() is keep  # closed with Cancel's answer: nothing is discarded
    assert modal_watchdog.closed[-1] == "'Unsaved changes': '3 unsaved marks for Period 2.'"
