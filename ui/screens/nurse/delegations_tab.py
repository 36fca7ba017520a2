"""Staff who may give medication: the colleagues a nurse trained and whose competency she checked
(delegated medication administration), until the check expires; she records a new check and revokes
one here. A dose given on a field trip names one of them (the Lists tab's return of a trip's doses)."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.domain.typed_input import parse_date, show_date
from app.errors import UserError
from app.services.nurse import delegations as D
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext
from ui.table_model import DtoTableModel
from ui.widgets import combo, fill, form, line, selected_row, status, table


class DelegationsModel(DtoTableModel):
    HEADERS = ("Staff member", "May give", "Trained", "Competency checked", "Expires", "Checked by", "Status")

    def __init__(self, today, parent=None) -> None:
        super().__init__(parent)
        self.today = today

    def cell(self, d: D.Delegation, column: int) -> str:
        state = "in force" if d.in_force(self.today()) else ("revoked" if d.revoked_on else "expired")
        return [d.name, d.scope_label, show_date(d.trained_on), show_date(d.competency_checked_on),
                show_date(d.expires_on), d.checked_by or "", state][column]


class DelegationsTab(QWidget):
    def __init__(self, ctx: DeskContext, school_id, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.school_id = school_id
        self.model = DelegationsModel(ctx.today, self)
        self.view = table("Staff who may give medication", self.model)
        self.staff = combo("Staff member trained")
        self.scope = combo("May give", D.SCOPES.values())
        self.trained = line("Trained on", "MM/DD/YYYY")
        self.checked = line("Competency checked on", "MM/DD/YYYY (today if empty)")
        self.expires = line("Competency expires on", "MM/DD/YYYY, within a year")
        self.save_b = QPushButton("Save dele&gation")
        self.revoke_b = QPushButton("Revoke &selected")
        self.revoke_b.setAccessibleName("Revoke the selected staff member's delegation")
        self.message = status("Delegation message")
        self.save_b.clicked.connect(self.save)
        self.revoke_b.clicked.connect(self.revoke)
        box = QGroupBox("A competency check (delegated medication administration)")
        form(box, [("Staff member", self.staff), ("May give", self.scope), ("Trained on", self.trained),
                   ("Checked on", self.checked), ("Expires on", self.expires), ("", self.save_b)])
        row = QHBoxLayout()
        row.addWidget(self.revoke_b)
        row.addStretch(1)
        v = QVBoxLayout(self)
        v.addWidget(self.view, 1)
        v.addLayout(row)
        v.addWidget(box)
        v.addWidget(self.message)

    @asyncSlot()
    async def refresh(self) -> bool:
        return await self.refresh_now()

    async def refresh_now(self) -> bool:
        school, today = self.school_id(), self.ctx.today()
        if school is None:
            return False
        try:
            rows, staff = await run_op(self.ctx.run_in(
                lambda c: (D.delegations(c, school), D.school_staff(c, school, today))))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.model.set_rows(rows)
        fill(self.staff, [name for _u, name in staff], data=[u for u, _n in staff])
        return True

    @asyncSlot()
    async def save(self) -> bool:
        return await self.save_now()

    async def save_now(self) -> bool:
        school, today = self.school_id(), self.ctx.today()
        try:
            staff = self.staff.currentData()
            scope = next(k for k, v in D.SCOPES.items() if v == self.scope.currentText())
            trained = parse_date(self.trained.text(), "Trained on")
            checked = parse_date(self.checked.text(), "Competency checked on", required=False) or today
            expires = parse_date(self.expires.text(), "Competency expires on")
            await run_op(self.ctx.run_in(lambda c: D.delegate(c, staff, school, scope, trained, checked, expires,
                                                              today=today)), disable=(self.save_b,))
        except UserError as err:
            self.message.setText(err.message)
            return False
        except OpFailed as err:
            self.message.setText(err.message + " Nothing was saved.")
            return False
        for w in (self.trained, self.checked, self.expires):
            w.clear()
        self.message.setText(f"{self.staff.currentText()} may give medication ({self.scope.currentText().lower()}) "
                             f"until {show_date(expires)}.")
        return await self.refresh_now()

    @asyncSlot()
    async def revoke(self) -> bool:
        d = self.model.row(selected_row(self.view))
        if d is None:
            self.message.setText("Pick a staff member in the list first.")
            return False
        today = self.ctx.today()
        try:
            await run_op(self.ctx.run_in(lambda c: D.revoke(c, d.delegation_id, today=today)))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.message.setText(f"{d.name} may no longer give medication.")
        return await self.refresh_now()
