"""Small building blocks shared by the desks: labelled inputs with accessible names, a status
line, a table view set up the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QTableView,
    QWidget,
)


def line(name: str, placeholder: str = "", text: str = "") -> QLineEdit:
    w = QLineEdit(text)
    w.setAccessibleName(name)
    if placeholder:
        w.setPlaceholderText(placeholder)
    return w


def combo(name: str, items: Iterable[str] = (), current: str | None = None) -> QComboBox:
    w = QComboBox()
    w.setAccessibleName(name)
    fill(w, items, current)
    return w


def fill(w: QComboBox, items: Iterable[str], current: str | None = None, data: Iterable | None = None) -> None:
    w.blockSignals(True)
    w.clear()
    items = list(items)
    datas = list(data) if data is not None else [None] * len(items)
    for text_, d in zip(items, datas):
        w.addItem(text_, d)
    if current is not None and current in items:
        w.setCurrentIndex(items.index(current))
    w.blockSignals(False)


def checklist(name: str, items: Iterable[str]) -> QListWidget:
    w = QListWidget()
    w.setAccessibleName(name)
    fill_checklist(w, items)
    return w


def fill_checklist(w: QListWidget, items: Iterable[str]) -> None:
    """Items with a tick box each (Space ticks the current one)."""
    w.clear()
    for text_ in items:
        it = QListWidgetItem(text_)
        it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        it.setCheckState(Qt.CheckState.Unchecked)
        w.addItem(it)


def checked(w: QListWidget) -> tuple[str, ...]:
    return tuple(w.item(i).text() for i in range(w.count()) if w.item(i).checkState() == Qt.CheckState.Checked)


def set_checked(w: QListWidget, texts: Iterable[str]) -> None:
    wanted = set(texts)
    for i in range(w.count()):
        w.item(i).setCheckState(Qt.CheckState.Checked if w.item(i).text() in wanted else Qt.CheckState.Unchecked)


def status(name: str) -> QLabel:
    w = QLabel("")
    w.setObjectName("statusLine")
    w.setWordWrap(True)
    w.setAccessibleName(name)
    w.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return w


def table(name: str, model, parent: QWidget | None = None) -> QTableView:
    v = QTableView(parent)
    v.setModel(model)
    v.setAccessibleName(name)
    v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    v.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    v.setAlternatingRowColors(True)
    v.verticalHeader().setVisible(False)
    v.horizontalHeader().setStretchLastSection(True)
    v.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    v.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside it
    return v


def selected_row(view: QTableView) -> int:
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    if rows:
        return rows[0].row()
    idx = view.currentIndex()
    return idx.row() if idx.isValid() else -1


def scrolled(inner: QWidget, name: str) -> QScrollArea:
    """A tab's content in a scroll area, so a small screen (a 1024x768 kiosk) scrolls instead of
    forcing the window wider or taller than the screen."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(inner)
    area.setAccessibleName(name)
    return area


def form(parent: QWidget, rows) -> QFormLayout:
    """A QFormLayout on parent with (label, widget-or-layout) rows; a label of None spans the row."""
    layout = QFormLayout(parent)
    for label, w in rows:
        if label is None:
            layout.addRow(w)
        else:
            layout.addRow(label, w)
    return layout


def side_by_side(*widgets, stretch_first: bool = False) -> QHBoxLayout:
    """Two or more inputs on one form row (date and time, state and ZIP)."""
    row = QHBoxLayout()
    for i, w in enumerate(widgets):
        row.addWidget(w, 1 if stretch_first and i == 0 else 0)
    return row


async def dialog_result(dialog) -> int:
    """Show a modal dialog from a coroutine without nesting the event loop: ui/dialogs.run_dialog,
    the one helper for that (kept under this name for the front office's callers)."""
    from ui.dialogs import run_dialog

    return await run_dialog(dialog)
