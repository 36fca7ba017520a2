"""IEP bus needs, on the Nurse desk (the nurse keeps special-education plans on this system): find
a student, pick one of their IEPs, tick what its transport requires, save. The bus desk then sees
the needs (never the IEP) while the IEP is in force, and its suggestions and checks follow them."""

from __future__ import annotations

import inspect

from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.domain.transport_rules import EQUIPMENT
from app.domain.typed_input import show_date
from app.errors import UserError
from app.services.student_search import search_students
from app.services.transport import iep_needs
from ui.ops import OpFailed, run_op
from ui.screens.transportation.asking import ask_yes_no, save_asking
from ui.table_model import DtoTableModel
from ui.widgets import form, line, selected_row, side_by_side, status, table


class IepModel(DtoTableModel):
    HEADERS = ("IEP", "From", "Exit", "Status", "In force", "Transport")
    COL_IEP, COL_FROM, COL_EXIT, COL_STATUS, COL_IN_FORCE, COL_TRANSPORT = range(6)

    def cell(self, r: iep_needs.IepTransportRow, column: int) -> str:
        return [r.iep_number, show_date(r.effective_date), show_date(r.exit_date), r.status,
                "yes" if r.in_force else "no", r.describe()][column]


def _box(text_: str) -> QCheckBox:
    b = QCheckBox(text_)
    b.setAccessibleName(text_)
    return b


class IepTransportTab(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.student: tuple[int, str] | None = None
        self.dirty = False
        self.confirm = lambda title, text_: ask_yes_no(self, title, text_, "No keeps it as it is.")
        # replaced by tests with an immediate answer
        self.ask_overload = lambda warnings: ask_yes_no(self, "Overload the run?", "\n\n".join(warnings),
                                                        "Save it anyway? The run will show as overloaded until the "
                                                        "transportation desk fixes it.")
        self.setAccessibleName("IEP bus needs")
        self.find = line("Student whose IEP bus needs to record", "student id or name; Enter finds")
        self.find_button = QPushButton("Find")
        self.model = IepModel(self)
        self.view = table("The student's IEPs", self.model)
        self.wheelchair = _box("Wheelchair position")
        self.equipment = {e: _box(e.capitalize()) for e in EQUIPMENT}
        self.aide = _box("Aide on the bus")
        self.door = _box("Door-to-door service")
        self.save_button, self.remove_button = QPushButton("Save bus needs"), QPushButton("No special transport…")
        self.message = status("IEP bus needs message")
        box = QGroupBox("What the selected IEP requires of the bus")
        needs = QHBoxLayout()
        for w in (self.wheelchair, *self.equipment.values(), self.aide, self.door):
            needs.addWidget(w)
            w.clicked.connect(self._touched)
        needs.addStretch(1)
        form(box, [("Needs", needs), ("", side_by_side(self.save_button, self.remove_button))])
        v = QVBoxLayout(self)
        v.addLayout(side_by_side(self.find, self.find_button, stretch_first=True))
        v.addWidget(self.view, 1)
        v.addWidget(box)
        v.addWidget(self.message)
        self.find.returnPressed.connect(self.find_student)
        self.find_button.clicked.connect(self.find_student)
        self.view.selectionModel().currentRowChanged.connect(lambda cur, _p: self._picked(cur.row()))
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)

    def _touched(self, *_a) -> None:
        self.dirty = True

    def _picked(self, row: int) -> None:
        r = self.model.row(row)
        if r is None:
            return
        self.wheelchair.setChecked(r.wheelchair)
        for e, b in self.equipment.items():
            b.setChecked(e in r.equipment)
        self.aide.setChecked(r.aide_required)
        self.door.setChecked(r.door_to_door if r.recorded else False)
        self.dirty = False

    def _selected(self) -> iep_needs.IepTransportRow | None:
        r = self.model.row(selected_row(self.view))
        if r is None:
            self.message.setText("Pick one of the student's IEPs in the list first.")
        return r

    @asyncSlot()
    async def find_student(self) -> bool:
        q, day = self.find.text().strip(), self.ctx.today()
        if not q:
            self.message.setText("Type a student id or part of a name first.")
            return False
        if self.dirty:
            self.message.setText("Save the bus needs first, or pick the IEP again to drop the changes.")
            return False

        def work(c):
            hits = search_students(c, q, limit=2)
            if not hits:
                raise UserError(f"No student matches \"{q}\"; check the spelling or the id.")
            return hits[0], iep_needs.ieps_of(c, hits[0].student_usi, day)
        try:
            hit, rows = await run_op(self.ctx.run_in(work), disable=(self.find_button,))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.student = (hit.student_usi, hit.display_name)
        self.model.set_rows(rows)
        if rows:
            self.view.selectRow(0)
        self.message.setText(f"{hit.display_name}: {len(rows)} IEPs." if rows else
                             f"{hit.display_name} has no IEP on file; special transport is recorded on an IEP.")
        return bool(rows)

    async def _reload(self) -> None:
        usi, day = self.student[0], self.ctx.today()
        rows = await run_op(self.ctx.run_in(lambda c: iep_needs.ieps_of(c, usi, day)))
        keep = selected_row(self.view)
        self.model.set_rows(rows)
        if 0 <= keep < len(rows):
            self.view.selectRow(keep)

    @asyncSlot()
    async def save(self) -> bool:
        return await self.save_now()

    async def save_now(self) -> bool:
        r = self._selected()
        if r is None:
            return False
        eq = tuple(e for e, b in self.equipment.items() if b.isChecked())
        w, a, d = self.wheelchair.isChecked(), self.aide.isChecked(), self.door.isChecked()
        if not await save_asking(
                self.ctx, lambda c, ok: iep_needs.record_iep_transport(c, r.iep_id, w, eq, a, d, confirm_overload=ok),
                self.save_button, self.ask_overload, self.message.setText):
            return False
        self.dirty = False
        await self._reload()
        self.message.setText(f"Saved the bus needs of {r.iep_number}" +
                             ("." if r.in_force else "; the IEP is not in force, so the bus desk does not use them yet."))
        return True

    @asyncSlot()
    async def remove(self) -> bool:
        r = self._selected()
        if r is None:
            return False
        go = self.confirm("No special transport?", f"{r.iep_number} no longer requires special transport?")
        if not (await go if inspect.isawaitable(go) else go):
            self.message.setText(f"{r.iep_number}: bus needs kept.")
            return False
        try:
            await run_op(self.ctx.run_in(lambda c: iep_needs.remove_iep_transport(c, r.iep_id)),
                         disable=(self.remove_button,))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.dirty = False
        await self._reload()
        self.message.setText(f"{r.iep_number} no longer requires special transport.")
        return True

    # the nurse desk asks before typing here is lost
    def unsaved_work(self) -> str | None:
        return f"IEP bus needs of {self.student[1]}, not saved" if self.dirty and self.student else None

    def discard(self) -> None:
        self._picked(selected_row(self.view))
        self.dirty = False
