"""Every control of the working desks can be reached by keyboard and is named for a screen
reader: an input, list or button without a name is announced as nothing at all."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabBar,
)

from ui.screens.attendance.attendance_page import AttendancePage
from ui.screens.desk_context import DeskContext
from ui.screens.discipline.discipline_page import DisciplinePage
from ui.screens.front_office.front_office_page import FrontOfficePage
from ui.screens.transportation.iep_transport_tab import IepTransportTab
from ui.screens.transportation.page import TransportationPage

pytestmark = pytest.mark.ui
CONTROLS = (QLineEdit, QComboBox, QDateEdit, QPlainTextEdit, QAbstractItemView, QAbstractButton)


def part_of_composite(w) -> bool:
    """Qt's own parts of a composite widget: a combo's list and line edit, a table's corner."""
    a = w.parent()
    while a is not None:
        if isinstance(a, (QComboBox, QDateEdit, QAbstractItemView, QTabBar)) or \
                type(a).__name__ == "QComboBoxPrivateContainer":
            return True
        a = a.parent()
    return False


# the Transportation desk (every tab: runs, riders with the week grid, lists, set-up) and the Nurse
# desk's "IEP bus needs" tab
@pytest.mark.parametrize("page_class", [FrontOfficePage, AttendancePage, DisciplinePage, TransportationPage,
                                        IepTransportTab])
def test_every_control_is_named_and_reachable_by_keyboard(qtbot, page_class):
    page = page_class(DeskContext(engine=lambda: None))
    qtbot.addWidget(page)
    unnamed, unreachable = [], []
    controls = [w for cls in CONTROLS for w in page.findChildren(cls)]
    for w in dict.fromkeys(controls):  # a widget can match two classes; each once, in order
        if w.objectName().startswith("qt_") or isinstance(w, QHeaderView) or part_of_composite(w):
            continue  # Qt's own parts of a composite widget (a combo's line edit, tab scroll arrows)
        name = w.accessibleName() or (w.text() if isinstance(w, (QPushButton, QCheckBox)) else "")
        if not name.strip():
            unnamed.append(f"{type(w).__name__} near {w.parent().objectName() or type(w.parent()).__name__}")
        if not (w.focusPolicy() & Qt.FocusPolicy.TabFocus):
            unreachable.append(name or type(w).__name__)
    assert unnamed == []
    assert unreachable == []
