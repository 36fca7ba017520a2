"""Every control of the Nurse desk is named for a screen reader and reachable by keyboard, and the
desk fits beside the desk list in a 1280x720 window (issue 11)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHeaderView, QPushButton

from tests.ui.test_desk_accessibility import CONTROLS, part_of_composite
from ui.screens.desk_context import DeskContext
from ui.screens.nurse.page import NursePage

pytestmark = pytest.mark.ui


def test_every_nurse_control_is_named_and_reachable_by_keyboard(qtbot):
    page = NursePage(DeskContext(engine=lambda: None))
    qtbot.addWidget(page)
    unnamed, unreachable = [], []
    for w in dict.fromkeys(w for cls in CONTROLS for w in page.findChildren(cls)):
        if w.objectName().startswith("qt_") or isinstance(w, QHeaderView) or part_of_composite(w):
            continue
        name = w.accessibleName() or (w.text() if isinstance(w, (QPushButton, QCheckBox)) else "")
        if not name.strip():
            unnamed.append(f"{type(w).__name__} near {w.parent().objectName() or type(w.parent()).__name__}")
        if not (w.focusPolicy() & Qt.FocusPolicy.TabFocus):
            unreachable.append(name or type(w).__name__)
    assert unnamed == []
    assert unreachable == []


def test_the_nurse_desk_fits_beside_the_desk_list_at_1280_by_720(qtbot):
    page = NursePage(DeskContext(engine=lambda: None))
    qtbot.addWidget(page)
    hint = page.minimumSizeHint()
    assert hint.width() <= 1280 - 240 and hint.height() <= 720 - 80, hint
