"""The global student search: type part of a name, a student id or a birth date; results appear
as you type (searched off the UI thread); Down/Up choose, Enter opens the profile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QSizePolicy, QVBoxLayout, QWidget

from ui.ops import OpFailed, run_op
from ui.screens.student.student_hits_model import StudentHitsModel

DEBOUNCE_MS = 150


class StudentSearchBox(QWidget):
    student_chosen = Signal(int)  # StudentUSI
    searched = Signal(str, int)  # query, number of hits (after the list is shown)

    def __init__(self, search: Callable[[str], list], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self._generation = 0
        self.field = QLineEdit(placeholderText="Find a student: name, id or birth date (Ctrl+F)")
        self.field.setAccessibleName("Find a student")
        self.field.setClearButtonEnabled(True)
        self.model = StudentHitsModel(self)
        self.results = QListView()
        self.results.setModel(self.model)
        self.results.setAccessibleName("Matching students")
        self.results.setVisible(False)
        self.results.setMaximumHeight(240)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the field
        # The box is exactly as tall as what it shows (the field, and the results when there are any)
        # and keeps its items at the top: the page below takes all the spare height.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.field)
        layout.addWidget(self.results)
        # A search that finds nobody says so (an empty space looks like a search still running).
        self.no_match = QLabel("", objectName="deskNote", wordWrap=True)
        self.no_match.setAccessibleName("Search result")
        self.no_match.setVisible(False)
        layout.addWidget(self.no_match)
        self.no_match.installEventFilter(self)
        self.results.installEventFilter(self)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._start_search)
        self.field.textEdited.connect(lambda _t: self._timer.start())
        self.field.returnPressed.connect(self.choose_current)
        self.results.activated.connect(lambda idx: self._choose_row(idx.row()))
        self.field.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if obj in (self.results, self.no_match) and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self._relayout()
            return False
        if obj is self.field and event.type() == QEvent.Type.KeyPress and self.model.rowCount():
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(event.key())
            if step:
                row = max(0, min(self.model.rowCount() - 1, self.results.currentIndex().row() + step))
                self.results.setCurrentIndex(self.model.index(row))
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.results.setVisible(False)
                return True
        return super().eventFilter(obj, event)

    def _relayout(self) -> None:
        """Resize the box and the column holding it now, not one event-loop turn later: until then
        the box keeps the height of the results just hidden, and the field floats in that band."""
        own = self.layout()
        own.invalidate()
        own.activate()
        self.updateGeometry()
        parent = self.parentWidget()
        if parent is not None and parent.layout() is not None:
            parent.layout().invalidate()
            parent.layout().activate()

    def _start_search(self) -> None:
        asyncio.ensure_future(self.search_now(self.field.text()))

    async def search_now(self, query: str) -> None:
        self._generation += 1
        mine = self._generation
        failed = None
        try:
            hits = await run_op(self._search, query) if query.strip() else []
        except OpFailed as err:
            self.field.setToolTip(err.message)
            hits, failed = [], err.message
        if mine != self._generation:  # a newer keystroke already asked again
            return
        self.model.set_hits(hits)
        if hits:  # a busy desk below may squeeze the column: the first five matches always show
            rows = min(len(hits), 5) * max(self.results.sizeHintForRow(0), 1)
            self.results.setMinimumHeight(rows + 2 * self.results.frameWidth())
        self.results.setVisible(bool(hits))
        self.no_match.setText(failed or (f"No students match '{query.strip()}'." if query.strip() and not hits
                                         else ""))
        self.no_match.setVisible(bool(self.no_match.text()))
        if hits:
            self.results.setCurrentIndex(self.model.index(0))
        self.searched.emit(query, len(hits))

    def choose_current(self) -> None:
        idx = self.results.currentIndex()
        if idx.isValid():
            self._choose_row(idx.row())

    def _choose_row(self, row: int) -> None:
        self.results.setVisible(False)
        self.no_match.setVisible(False)
        self.student_chosen.emit(self.model.hit(row).student_usi)
