"""The roster grid: one row per student with the mark being entered and its arrival time.

The model holds what is on screen (marks not yet saved are shaded) and what was saved, so the
page knows what changed; data() does no I/O.

A day the office already recorded (a suspension written by the dean, a call from home) is shown
in the Office column and proposed as the student's mark; Mark all present leaves it alone, and
changing it is the page's question to ask first (`needs_confirmation`)."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from app.domain.attendance_rollup import ABSENCES
from app.services.attendance import Mark, Roster, office_period_mark
from ui.table_model import DtoTableModel

UNSAVED = QColor("#fff4cc")
ABSENT_TEXT = QColor("#9b1c1c")
OFFICE = QColor("#e3ecf7")  # a mark proposed from the office's record: not the teacher's own change


class RosterTableModel(DtoTableModel):
    HEADERS = ("Student", "Student id", "Mark", "Arrival", "Office")
    COL_NAME, COL_ID, COL_MARK, COL_ARRIVAL, COL_OFFICE = range(5)
    problem = Signal(str)  # a sentence about something typed into the grid

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.roster: Roster | None = None
        self.marks: dict[int, Mark | None] = {}

    def load(self, roster: Roster) -> None:
        self.roster = roster
        self.marks = {line.student_usi: line.mark or (office_period_mark(line.office) if line.office else None)
                      for line in roster.lines}
        self.set_rows(roster.lines)

    def proposed(self, line) -> bool:
        """The mark on screen is only the office's record carried over, not typed by the teacher."""
        return line.mark is None and line.office is not None and \
            self.marks.get(line.student_usi) == office_period_mark(line.office)

    def needs_confirmation(self, row: int, code: str) -> bool:
        """Whether setting `code` would go against what the office recorded for the student's day."""
        line = self.row(row)
        return line is not None and line.office is not None and code != office_period_mark(line.office).code \
            and (self.marks.get(line.student_usi) or Mark("")).code != code

    def office_note(self, row: int) -> str:
        line = self.rows[row]
        return f"{line.office.code}: {line.office.reason}" if line.office else ""

    def saved(self, usi: int) -> Mark | None:
        return next((line.mark for line in self.rows if line.student_usi == usi), None)

    def set_mark(self, row: int, code: str, arrival: time | None = None) -> None:
        line = self.rows[row]
        keep = self.marks.get(line.student_usi)
        if arrival is None and keep is not None and keep.code == code:
            arrival = keep.arrival
        self.marks[line.student_usi] = Mark(code, arrival if code == "Tardy" else None)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def set_arrival(self, row: int, arrival: time | None) -> None:
        usi = self.rows[row].student_usi
        current = self.marks.get(usi)
        self.marks[usi] = Mark("Tardy", arrival) if current is None or current.code != "Tardy" else \
            Mark(current.code, arrival)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def mark_all_present(self, present: str) -> int:
        """Unmarked students become present; marks already entered stay, and so does the day of a
        student the office recorded. Returns how many changed."""
        n = 0
        for line in self.rows:
            if line.office is not None and self.marks.get(line.student_usi) is None:
                self.marks[line.student_usi] = office_period_mark(line.office)
            elif self.marks.get(line.student_usi) is None:
                self.marks[line.student_usi] = Mark(present)
                n += 1
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, self.columnCount() - 1))
        return n

    def unmarked(self) -> list[str]:
        return [line.name for line in self.rows if self.marks.get(line.student_usi) is None]

    def changed(self) -> int:
        """Marks the teacher changed and has not saved (the office's record carried over is not one)."""
        return sum(1 for line in self.rows if self.marks.get(line.student_usi) != line.mark and not self.proposed(line))

    def cell(self, line, column: int) -> str:
        mark = self.marks.get(line.student_usi)
        if column == self.COL_NAME:
            return line.name
        if column == self.COL_ID:
            return line.student_unique_id
        if column == self.COL_MARK:
            return mark.code if mark else "—"
        if column == self.COL_OFFICE:
            return f"{line.office.code} ({line.office.reason})" if line.office else ""
        return f"{mark.arrival:%H:%M}" if mark and mark.arrival else ""

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        line = self.rows[index.row()]
        mark = self.marks.get(line.student_usi)
        if role == Qt.ItemDataRole.BackgroundRole and self.proposed(line):
            return OFFICE
        if role == Qt.ItemDataRole.BackgroundRole and mark != line.mark:
            return UNSAVED
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == self.COL_MARK and mark \
                and mark.code in ABSENCES:
            return ABSENT_TEXT
        if role == Qt.ItemDataRole.AccessibleTextRole:
            office = f"; the office recorded {line.office.code} ({line.office.reason})" if line.office else ""
            return f"{line.name}: {self.cell(line, self.COL_MARK)}" + (" (not saved)" if mark != line.mark else "") \
                + office
        if role == Qt.ItemDataRole.EditRole and index.column() == self.COL_ARRIVAL:
            return self.cell(line, self.COL_ARRIVAL)
        return super().data(index, role)

    def flags(self, index: QModelIndex):
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == self.COL_ARRIVAL else base

    def setData(self, index: QModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """Typing an arrival time makes the mark Tardy with that time."""
        from app.domain.typed_input import parse_time
        from app.errors import UserError

        if role != Qt.ItemDataRole.EditRole or index.column() != self.COL_ARRIVAL:
            return False
        try:
            arrival = parse_time(str(value), "Arrival time")
        except UserError as err:
            self.problem.emit(err.message)
            return False
        line = self.rows[index.row()]
        if self.needs_confirmation(index.row(), "Tardy"):
            self.problem.emit(f"The office recorded {line.name}'s day as {line.office.code} ({line.office.reason}); "
                              "press T on the mark to change it first.")
            return False
        self.set_arrival(index.row(), arrival)
        return True
