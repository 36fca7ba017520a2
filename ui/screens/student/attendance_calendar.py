"""A student's attendance over a term, as a calendar: one row per week, Monday to Friday, each
school day lettered and coloured by its daily status, with a legend that counts each status.

Opened from the student profile panel ("Attendance…") by the dean and the front office. The
arrow keys move from day to day; each day reads out in full ("Tuesday, November 17: Excused
absence, Out of School Suspension (ACT-…)") to a screen reader. data() does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableView, QVBoxLayout, QWidget)
from qasync import asyncSlot

from app.services.attendance import AttendanceCalendar, CalendarDay, student_attendance_calendar
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext

# Who may open it: the roles whose desks read a student's daily attendance.
ROLES = ("so_dean", "so_front_office", "so_registrar", "so_admin")


@dataclass(frozen=True)
class Look:
    letter: str
    label: str
    background: str  # light tints under dark text: every pair is above 7:1 contrast


LOOKS = {
    "In Attendance": Look("P", "Present", "#e6f4ea"),
    "Tardy": Look("T", "Tardy", "#fff4cc"),
    "Partial": Look("H", "Partial day", "#ffe8cc"),
    "Early departure": Look("D", "Early departure", "#ffe8cc"),
    "Excused Absence": Look("E", "Excused absence", "#dde8f7"),
    "Unexcused Absence": Look("A", "Unexcused absence", "#f9d9d9"),
}
SUSPENSION = Look("S", "Suspension (recorded by the office)", "#eadcf5")
NOT_TAKEN = Look("·", "No mark yet", "#ffffff")
NO_SCHOOL = Look("", "No school", "#eeeeee")
TEXT = QColor("#1a1a1a")


def look_of(d: CalendarDay) -> Look:
    if not d.school_day and d.status is None:
        return NO_SCHOOL
    if d.status is None:
        return NOT_TAKEN
    if d.reason and "suspension" in d.reason.lower():
        return SUSPENSION
    return LOOKS.get(d.status, Look(d.status[:1].upper(), d.status, "#f0f0f0"))


def describe(d: CalendarDay) -> str:
    look = look_of(d)
    what = look.label if look is not SUSPENSION else f"{d.status}, {d.reason}"
    if look is not SUSPENSION and d.reason:
        what += f" ({d.reason})"
    return f"{d.day:%A, %B} {d.day.day}: {what}"


class AttendanceCalendarModel(QAbstractTableModel):
    """Weeks of the term as rows, Monday to Friday as columns."""
    HEADERS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.weeks: list[list[CalendarDay | None]] = []

    def set_calendar(self, cal: AttendanceCalendar | None) -> None:
        self.beginResetModel()
        self.weeks = []
        if cal is not None and cal.days:
            first = cal.days[0].day - timedelta(days=cal.days[0].day.weekday())
            by_day = {d.day: d for d in cal.days}
            monday = first
            while monday <= cal.days[-1].day:
                self.weeks.append([by_day.get(monday + timedelta(days=i)) for i in range(5)])
                monday += timedelta(days=7)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self.weeks)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else 5

    def day_at(self, row: int, column: int) -> CalendarDay | None:
        return self.weeks[row][column] if 0 <= row < len(self.weeks) and 0 <= column < 5 else None

    def index_of(self, day: date) -> QModelIndex:
        for r, week in enumerate(self.weeks):
            for c, d in enumerate(week):
                if d is not None and d.day == day:
                    return self.index(r, c)
        return QModelIndex()

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 (Qt naming)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        monday = next((d.day - timedelta(days=d.day.weekday()) for d in self.weeks[section] if d), None)
        return f"Week of {monday:%b} {monday.day}" if monday else ""

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        d = self.day_at(index.row(), index.column()) if index.isValid() else None
        if d is None:
            return None
        look = look_of(d)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{d.day:%b} {d.day.day}   {look.letter}".rstrip()
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return describe(d)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(look.background)
        if role == Qt.ItemDataRole.ForegroundRole:
            return TEXT
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


def legend_text(cal: AttendanceCalendar) -> str:
    """Every letter that can appear, with how many school days of the term carry it."""
    counts: dict[Look, int] = {}
    for d in cal.days:
        look = look_of(d)
        if look is not NO_SCHOOL:
            counts[look] = counts.get(look, 0) + 1
    shown = list(LOOKS.values()) + [SUSPENSION, NOT_TAKEN]
    shown += [lk for lk in counts if lk not in shown]
    return "   ".join(f"{lk.letter} {lk.label}: {counts.get(lk, 0)}" for lk in shown)


def legend_html(cal: AttendanceCalendar) -> str:
    """The same legend with each letter on its day colour; an entry never breaks across lines."""
    from html import escape

    items = []
    for entry, lk in zip(legend_text(cal).split("   "), list(LOOKS.values()) + [SUSPENSION, NOT_TAKEN] + [None] * 9):
        letter, rest = entry.split(" ", 1)
        swatch = lk.background if lk else "#f0f0f0"
        items.append(f'<span style="white-space:nowrap"><span style="background:{swatch}; color:#1a1a1a">'
                     f"&nbsp;{escape(letter)}&nbsp;</span>&nbsp;{escape(rest)}</span>")
    return " &nbsp; ".join(items)


class AttendanceCalendarDialog(QDialog):
    """The calendar of one student, a term at a time (the term picker lists the school year's terms)."""
    loaded = Signal(str)  # the term shown

    def __init__(self, ctx: DeskContext, student_usi: int, student_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.student_usi = ctx, student_usi
        self.calendar: AttendanceCalendar | None = None
        self.setWindowTitle(f"Attendance — {student_name}")
        self.setAccessibleName(f"Attendance calendar of {student_name}")
        self.title = QLabel(student_name, objectName="profileName")
        self.title.setAccessibleName("Student and school")
        self.term = QComboBox()
        self.term.setAccessibleName("Term")
        self.term.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        term_label = QLabel("&Term")
        term_label.setBuddy(self.term)
        self.model = AttendanceCalendarModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Attendance by school day; arrow keys move between days")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)  # Tab leaves the calendar, arrows move inside it
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.setMinimumSize(560, 360)
        self.day_line = QLabel("", wordWrap=True)
        self.day_line.setAccessibleName("The day selected")
        self.legend = QLabel("", wordWrap=True)
        self.legend.setObjectName("deskNote")
        self.legend.setAccessibleName("Legend")
        self.message = QLabel("", wordWrap=True)
        self.message.setAccessibleName("Calendar message")
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close the attendance calendar")
        self.close_button.clicked.connect(self.accept)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(term_label)
        top.addWidget(self.term)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.day_line)
        layout.addWidget(self.legend)
        layout.addLayout(bottom)
        self.view.selectionModel().currentChanged.connect(self._day_changed)
        self.term.activated.connect(self._term_chosen)
        self.resize(760, 560)

    @asyncSlot()
    async def load(self, session: str | None = None) -> bool:
        usi, today = self.student_usi, self.ctx.today()
        try:
            cal = await run_op(self.ctx.run_in(lambda c: student_attendance_calendar(c, usi, session, today=today)),
                               disable=(self.term,))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.show_calendar(cal)
        return True

    def show_calendar(self, cal: AttendanceCalendar) -> None:
        self.calendar = cal
        self.title.setText(f"{cal.student_name} · {cal.school}")
        self.term.blockSignals(True)
        self.term.clear()
        self.term.addItems(list(cal.sessions))
        self.term.setCurrentText(cal.session_name)
        self.term.blockSignals(False)
        self.model.set_calendar(cal)
        self.legend.setText(legend_html(cal))
        self.legend.setAccessibleDescription(legend_text(cal))
        counts = cal.counts()
        absent = counts.get("Excused Absence", 0) + counts.get("Unexcused Absence", 0)
        self.message.setText(f"{cal.session_name}, {cal.begins:%B %d} to {cal.ends:%B %d, %Y}: "
                             f"{absent} {'day' if absent == 1 else 'days'} absent so far.")
        start = self.ctx.today() if cal.begins <= self.ctx.today() <= cal.ends else cal.begins
        idx = self.model.index_of(start)
        if not idx.isValid() and self.model.rowCount():
            idx = self.model.index(0, 0)
        self.view.setCurrentIndex(idx)
        self.view.setFocus()
        self.loaded.emit(cal.session_name)

    def _day_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        d = self.model.day_at(current.row(), current.column())
        self.day_line.setText(describe(d) if d else "")

    def _term_chosen(self, i: int) -> None:
        if self.calendar is None or self.term.itemText(i) == self.calendar.session_name:
            return
        self.load(self.term.itemText(i))
