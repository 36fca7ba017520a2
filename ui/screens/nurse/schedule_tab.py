"""Which grades are screened: per school and screening, the grades the mass-screening grid lists
(health.screening_schedule, migration 0038). A nurse sets her schools', an administrator any school's.
Ticks are kept until saved: switching school or screening with unsaved ticks is refused with a
sentence (save or undo first), and the desk's unsaved-work guard asks before leaving."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.domain.nurse_rules import SCREENING_TYPES
from app.services.nurse import screenings
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext
from ui.widgets import checked, checklist, combo, fill, fill_checklist, form, set_checked, status


class ScheduleTab(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.loaded: tuple[str, ...] = ()  # what the database has for the school and screening shown
        self.shown: tuple[int | None, str] = (None, "")
        self.school = combo("School whose screening schedule is shown")
        self.kind = combo("Screening", SCREENING_TYPES.values())
        self.grades = checklist("Grades screened (Space ticks a grade)", ())
        self.save_b = QPushButton("&Save the screened grades")
        self.undo_b = QPushButton("&Undo changes")
        self.undo_b.setAccessibleName("Undo the unsaved changes to the screened grades")
        self.message = status("Screening schedule message")
        self.school.currentIndexChanged.connect(lambda _i: self.load())
        self.kind.currentIndexChanged.connect(lambda _i: self.load())
        self.save_b.clicked.connect(self.save)
        self.undo_b.clicked.connect(self.undo)
        box = QGroupBox("Which grades each screening is given to")
        form(box, [("S&chool", self.school), ("&Type of screening", self.kind), ("&Grades", self.grades)])
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_b)
        buttons.addWidget(self.undo_b)
        buttons.addStretch(1)
        v = QVBoxLayout(self)
        v.addWidget(box, 1)
        v.addLayout(buttons)
        v.addWidget(self.message)

    def kind_code(self) -> str:
        return next(k for k, label in SCREENING_TYPES.items() if label == self.kind.currentText())

    def unsaved_work(self) -> str | None:
        if self.shown[0] is None or checked(self.grades) == self.loaded:
            return None
        return f"The screened grades for {SCREENING_TYPES[self.shown[1]].lower()} not saved"

    def _back_to_shown(self) -> None:
        school, kind = self.shown
        for w, i in ((self.school, self.school.findData(school)), (self.kind, list(SCREENING_TYPES).index(kind))):
            w.blockSignals(True)
            w.setCurrentIndex(i)
            w.blockSignals(False)

    @asyncSlot()
    async def refresh(self) -> bool:
        return await self.refresh_now()

    async def refresh_now(self) -> bool:
        """The schools this user schedules and the grade levels; then the shown school's schedule."""
        try:
            schools, grades = await run_op(self.ctx.run_in(
                lambda c: (screenings.schedule_schools(c), screenings.grade_levels(c))))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        keep = self.school.currentData()
        fill(self.school, [n for _s, n in schools], data=[s for s, _n in schools])
        if keep is not None and self.school.findData(keep) >= 0:
            self.school.setCurrentIndex(self.school.findData(keep))
        if self.grades.count() != len(grades):
            fill_checklist(self.grades, grades)
        return await self.load_now()

    @asyncSlot()
    async def load(self) -> bool:
        return await self.load_now()

    async def load_now(self) -> bool:
        if self.unsaved_work():
            what = self.unsaved_work()
            self._back_to_shown()
            self.message.setText(f"{what}; save them or undo the changes first.")
            return False
        school, kind = self.school.currentData(), self.kind_code()
        if school is None:
            self.message.setText("You serve no school, so there is no screening schedule to set.")
            return False
        try:
            grades = await run_op(self.ctx.run_in(lambda c: screenings.screened_grades(c, school, kind)))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.loaded, self.shown = tuple(grades), (school, kind)
        set_checked(self.grades, grades)
        self.message.setText(f"{self.school.currentText()} screens {SCREENING_TYPES[kind].lower()} in: "
                             f"{', '.join(grades) or 'no grade'}.")
        return True

    def undo(self) -> None:
        set_checked(self.grades, self.loaded)
        self.message.setText("The screened grades are back as saved.")

    @asyncSlot()
    async def save(self) -> bool:
        return await self.save_now()

    async def save_now(self) -> bool:
        school, kind = self.shown
        if school is None:
            self.message.setText("Pick a school first.")
            return False
        grades = list(checked(self.grades))
        try:
            added, removed = await run_op(self.ctx.run_in(
                lambda c: screenings.set_screened_grades(c, school, kind, grades)), disable=(self.save_b, self.undo_b))
        except OpFailed as err:
            self.message.setText(err.message + " Nothing was saved.")
            return False
        self.loaded = tuple(grades)
        name = self.school.itemText(self.school.findData(school))
        self.message.setText(f"Saved: {name} screens {SCREENING_TYPES[kind].lower()} in "
                             f"{', '.join(grades) or 'no grade'} ({added} added, {removed} removed).")
        return True
