"""Edit the school-entry requirement set (administrators; nurses read it). One row at a time: pick it
in the list (or New), change the fields, Save. Each save is checked and stored in its own
transaction off the UI thread; the statuses then re-evaluate when next viewed."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QMessageBox, QPushButton, QSpinBox, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.domain.cdsi.data import supporting_data
from app.domain.cdsi.school_entry import Requirement
from app.services.immunizations import requirements as R
from ui.dialogs import run_message_box
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext
from ui.screens.immunizations.models import RequirementsModel
from ui.widgets import combo, fill, form, line, selected_row, side_by_side, status, table


def _spin(name: str, low: int, high: int, value: int) -> QSpinBox:
    w = QSpinBox()
    w.setRange(low, high)
    w.setValue(value)
    w.setAccessibleName(name)
    return w


class RequirementsEditor(QDialog):
    def __init__(self, ctx: DeskContext, school_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.school_id = school_id
        self.set_id: int | None = None
        self.editing = 0  # requirement_id of the row in the fields (0: a new row)
        self.may_edit = "so_admin" in ctx.groups()
        self.setWindowTitle("Immunization requirements")
        self.setAccessibleName("Immunization requirements")
        self.resize(980, 620)
        self.title = status("Requirement set")
        self.model = RequirementsModel(self)
        self.view = table("Requirements", self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._pick(cur.row()))
        self.name = line("Requirement name", "e.g. MMR, Tdap booster")
        self.group = combo("Vaccine group", sorted(supporting_data().vaccine_groups))
        self.grade_from = _spin("First grade (-1 pre-K, 0 K)", -1, 12, 0)
        self.grade_to = _spin("Last grade", -1, 12, 12)
        self.doses = _spin("Valid doses required", 1, 10, 1)
        self.after_age = line("At least some doses on or after age", "e.g. 4 years - 4 days (empty: any age)")
        self.after_count = _spin("How many doses on or after that age", 1, 10, 1)
        self.from_age = line("Applies from the student's age", "e.g. 7 years (empty: any)")
        self.until_age = line("Applies until the student's age", "e.g. 18 years (empty: any)")
        self.cvx = line("Only these CVX codes count", "e.g. 115 (empty: any vaccine of the group)")
        self.description = line("Description printed on letters", "One sentence for the family")
        self.message = status("Requirements message")
        self.new = QPushButton("&New requirement")
        self.save = QPushButton("&Save requirement")
        self.delete = QPushButton("&Delete requirement")
        self.close_button = QPushButton("&Close")
        self.close_button.setDefault(True)  # Enter closes; saving and deleting need their own key
        for b in (self.new, self.save, self.delete):
            b.setAutoDefault(False)
            b.setEnabled(self.may_edit)
        self.new.clicked.connect(self._new)
        self.save.clicked.connect(self.on_save)
        self.delete.clicked.connect(self.on_delete)
        self.close_button.clicked.connect(self.accept)
        fields = QWidget()
        form(fields, [("Requirement", self.name), ("Vaccine group", self.group),
                      ("Grades", side_by_side(self.grade_from, self.grade_to)), ("Valid doses", self.doses),
                      ("On or after age", side_by_side(self.after_age, self.after_count, stretch_first=True)),
                      ("Student's age", side_by_side(self.from_age, self.until_age)), ("Only CVX", self.cvx),
                      ("Description", self.description)])
        buttons = QHBoxLayout()
        for b in (self.new, self.save, self.delete):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addWidget(fields)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        if not self.may_edit:
            self.message.setText("Only a district administrator may change the requirements; you can read them.")

    async def load(self) -> bool:
        school, day = self.school_id, self.ctx.today()

        def work(c):
            chosen = R.active_set_for_school(c, school, day)
            return chosen, (R.requirements_of(c, chosen.set_id) if chosen else [])
        try:
            chosen, rows = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        if chosen is None:
            self.title.setText("No requirement set is in effect for this school; load one with "
                               "'school-office-admin immunizations load-requirements'.")
            return False
        self.set_id = chosen.set_id
        self.title.setText(f"{chosen.name} (school year {chosen.school_year - 1}-{chosen.school_year})")
        self.model.set_rows(rows)
        return True

    def _pick(self, row: int) -> None:
        r = self.model.row(row)
        if r is None:
            return
        self.editing = r.requirement_id
        self.name.setText(r.name)
        fill(self.group, sorted(supporting_data().vaccine_groups), r.vaccine_group)
        self.grade_from.setValue(r.grade_from)
        self.grade_to.setValue(r.grade_to)
        self.doses.setValue(r.doses_required)
        self.after_age.setText(r.doses_on_or_after_age)
        self.after_count.setValue(r.doses_after_age_count)
        self.from_age.setText(r.applies_from_age)
        self.until_age.setText(r.applies_until_age)
        self.cvx.setText("; ".join(r.vaccine_cvx))
        self.description.setText(r.description)

    def _new(self) -> None:
        self.view.clearSelection()
        self.editing = 0
        for w in (self.name, self.after_age, self.from_age, self.until_age, self.cvx, self.description):
            w.clear()
        self.doses.setValue(1)
        self.after_count.setValue(1)
        self.name.setFocus()
        self.message.setText("A new requirement: fill in the fields and choose Save.")

    def requirement(self) -> Requirement:
        return Requirement(
            self.editing, self.name.text().strip(), self.group.currentText(), self.grade_from.value(),
            self.grade_to.value(), self.doses.value(), self.description.text().strip(), self.after_age.text().strip(),
            self.after_count.value(), self.from_age.text().strip(), self.until_age.text().strip(),
            tuple(c.strip() for c in self.cvx.text().replace(",", ";").split(";") if c.strip()))

    @asyncSlot()
    async def on_save(self) -> None:
        if self.set_id is None:
            return
        r, set_id = self.requirement(), self.set_id
        try:
            self.editing = await run_op(self.ctx.run_in(lambda c: R.save_requirement(c, set_id, r)),
                                        disable=(self.save, self.delete))
        except OpFailed as err:
            self.message.setText(err.message)
            return
        await self.load()
        self.message.setText(f"Saved '{r.name}'. Statuses are re-evaluated when next viewed.")

    @asyncSlot()
    async def on_delete(self) -> None:
        row = self.model.row(selected_row(self.view))
        if self.set_id is None or row is None:
            self.message.setText("Choose the requirement to delete in the list first.")
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Delete requirement",
                          f"Delete '{row.name}': {row.description}", parent=self)
        keep = box.addButton("Keep it", QMessageBox.ButtonRole.RejectRole)
        gone = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(keep)  # Enter keeps it
        if await run_message_box(box) is not gone:
            self.message.setText("Nothing was deleted.")
            return
        set_id = self.set_id
        try:
            await run_op(self.ctx.run_in(lambda c: R.delete_requirement(c, set_id, row.requirement_id)),
                         disable=(self.save, self.delete))
        except OpFailed as err:
            self.message.setText(err.message)
            return
        await self.load()
        self._new()
        self.message.setText(f"Deleted '{row.name}' ({row.description})")
