"""A student's health record on the nurse desk: opened only with a reason (logged), then allergies,
plans, contacts, IEP/504 accommodations (read only), medication orders with the month's record,
immunizations, a correction of an administration entry (a new entry pointing at it), and the
printouts (emergency action plan, 911 card, monthly MAR), each printing logged as a view with the
reason the record was opened for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.domain.nurse_rules import OUTCOMES, fmt_amount
from app.domain.typed_input import show_date
from app.errors import UserError
from app.services.nurse import immunizations as imm, medications as meds, plans
from app.services.record_views import log_view
from reports import nurse_documents, nurse_lists
from ui.ops import OpFailed, run_op
from ui.printing import Printing, Printout
from ui.screens.desk_context import DeskContext
from ui.screens.nurse.models import EntriesModel, OrdersModel
from ui.widgets import combo, line, selected_row, status, table

CORRECT_TO = {k: v for k, v in OUTCOMES.items() if k != "given"}  # a wrong entry becomes one of these


@dataclass(frozen=True)
class Opened:
    record: plans.HealthRecord
    orders: tuple
    entries: tuple
    doses: tuple
    provisional: tuple = ()


def _month(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day.replace(day=1), time(0)).astimezone()
    nxt = day.replace(day=28).toordinal() + 4
    end = datetime.combine(date.fromordinal(nxt).replace(day=1), time(0)).astimezone()
    return start, end


def open_record(conn, usi: int, reason: str | None, today: date) -> Opened:
    """reason None: the view was logged by the caller (the profile's badge asked for the reason)."""
    record = plans.open_health_record(conn, usi, reason, today=today) if reason is not None \
        else plans.reread_health_record(conn, usi, today=today)
    start, end = _month(today)
    return Opened(record, tuple(meds.student_orders(conn, usi)),
                  tuple(meds.entries(conn, student_usi=usi, start=start, end=end)),
                  tuple(imm.immunization_history(conn, usi)), tuple(imm.provisional(conn, usi)))


class RecordTab(QWidget):
    opened_student = Signal(int)  # student_usi, once the record is open (the view logged)

    def __init__(self, ctx: DeskContext, school_id, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.school_id = school_id
        self.opened: Opened | None = None
        self.opened_reason = ""  # why the record was opened: its printouts are logged with it
        self.find = line("Student", "student id or name")
        self.reason = line("Reason for opening the record", "e.g. in the office with a fever")
        self.open_b = QPushButton("&Open record")
        self.open_b.clicked.connect(self.open)
        self.reason.returnPressed.connect(self.open)
        self.find.returnPressed.connect(lambda: self.reason.setFocus())
        self.summary = QLabel("Open a student's record: type the student and the reason (every opening is logged).")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Health record summary")
        self.summary.setTextFormat(self.summary.textFormat().RichText)
        self.orders_model = OrdersModel(self)
        self.orders_view = table("Medication orders", self.orders_model)
        self.entries_model = EntriesModel(self)
        self.entries_view = table("This month's administration record", self.entries_model)
        self.prn_dose = line("As-needed dose", "amount")
        self.override = line("Override reason", "only inside the minimum interval")
        self.give_prn = QPushButton("&Give as-needed dose")
        self.give_prn.clicked.connect(self.give_as_needed)
        self.correct_to = combo("Correct the selected entry to", CORRECT_TO.values())
        self.correct_reason = line("Reason for the correction", "e.g. recorded for the wrong student")
        self.correct_b = QPushButton("&Correct selected entry")
        self.correct_b.clicked.connect(self.correct_selected)
        self.message = status("Record message")
        self.printing = Printing(self, self.message.setText)
        self.print_plan = QPushButton("Action &plan…")
        self.print_card = QPushButton("&911 card…")
        self.print_mar = QPushButton("Month's M&AR…")
        self.printing.attach(self.print_plan, self.plan_printout, "the emergency action plan")
        self.printing.attach(self.print_card, self.card_printout, "the emergency card")
        self.printing.attach(self.print_mar, self.mar_printout, "the medication administration record")

        top = QHBoxLayout()
        for w in (self.find, self.reason, self.open_b):
            top.addWidget(w)
        prn = QHBoxLayout()
        for w in (self.prn_dose, self.override, self.give_prn):
            prn.addWidget(w)
        prints = QHBoxLayout()
        for w in (self.print_plan, self.print_card, self.print_mar):
            prints.addWidget(w)
        prints.addStretch(1)
        meds_box = QGroupBox("Medications")
        mv = QVBoxLayout(meds_box)
        mv.addWidget(self.orders_view, 1)
        mv.addLayout(prn)
        mv.addWidget(self.entries_view, 1)
        fix = QHBoxLayout()
        for w in (self.correct_to, self.correct_reason, self.correct_b):
            fix.addWidget(w)
        mv.addLayout(fix)
        split = QSplitter()
        split.addWidget(self.summary)
        split.addWidget(meds_box)
        split.setSizes([420, 560])
        v = QVBoxLayout(self)
        v.addLayout(top)
        v.addWidget(split, 1)
        v.addLayout(prints)
        v.addWidget(self.message)

    @asyncSlot()
    async def open(self) -> bool:
        from ui.screens.nurse.page import find_student

        reason, today = self.reason.text(), self.ctx.today()
        if not reason.strip():
            self.message.setText("Say in a few words why you need this record (the legitimate educational interest).")
            self.reason.setFocus()
            return False
        try:
            hit = await find_student(self.ctx, self.find.text())
            opened = await run_op(self.ctx.run_in(lambda c: open_record(c, hit.student_usi, reason, today)),
                                  disable=(self.open_b,))
        except (UserError, OpFailed) as err:
            self.message.setText(getattr(err, "message", str(err)))
            return False
        self.opened_reason = reason.strip()
        self.show_record(opened)
        return True

    async def show_student(self, usi: int) -> bool:
        """Open a student whose view the window has logged already (the profile's health badge)."""
        today = self.ctx.today()
        try:
            opened = await run_op(self.ctx.run_in(lambda c: open_record(c, usi, None, today)))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.find.setText(opened.record.student.student_unique_id)
        window_reasons = getattr(self.window(), "justifications", None)
        self.opened_reason = (window_reasons.reason_for(usi) if window_reasons else None) \
            or "Opened from the student's health badge"
        self.show_record(opened)
        return True

    def show_record(self, o: Opened) -> None:
        self.opened = o
        r = o.record
        esc = lambda s: (s or "").replace("&", "&amp;").replace("<", "&lt;")  # noqa: E731
        allergies = "".join(f"<li><b>{esc(a.allergen)}</b> ({esc(a.severity)}): {esc(a.reaction)}</li>"
                            for a in r.allergies) or "<li>None known</li>"
        plan_list = "".join(f"<li>{p.type_label}: {esc(p.condition)}</li>" for p in r.plans) or "<li>None</li>"
        carry = "".join(f"<li>{esc(s.medication_name)} ({s.device}) until {show_date(s.expires_on)}"
                        f"{'' if s.in_force(self.ctx.today()) else ' — NOT IN FORCE'}</li>" for s in r.self_carry) \
            or "<li>None</li>"
        acc = "".join(f"<li>{esc(a)}</li>" for a in r.accommodations) or "<li>None</li>"
        contacts = "".join(f"<li>{esc(c.name)} ({esc(c.relation)}) {esc(c.phone)}</li>" for c in r.contacts)
        shots = ", ".join(f"{d.vaccine} {d.date_administered:%m/%d/%y}" for d in o.doses[-12:]) or "none on file"
        self.summary.setText(
            f"<h3>{esc(r.student.name)}</h3><p>{esc(r.student.grade)} · {esc(r.student.school)} · "
            f"{r.student.student_unique_id}</p><b>Allergies</b><ul>{allergies}</ul><b>Emergency action plans</b>"
            f"<ul>{plan_list}</ul><b>Self-carry</b><ul>{carry}</ul><b>IEP/504 accommodations (read only)</b>"
            f"<ul>{acc}</ul><b>Contacts</b><ul>{contacts}</ul><b>Immunizations ({len(o.doses)})</b><p>{esc(shots)}</p>")
        self.orders_model.set_rows(o.orders)
        self.entries_model.set_rows(o.entries)
        self.message.setText(f"Opened {r.student.name}'s record; the view is logged with your reason.")
        self.opened_student.emit(r.student.student_usi)

    def current_student(self) -> tuple[int, str] | None:
        return (self.opened.record.student.student_usi, self.opened.record.student.name) if self.opened else None

    @asyncSlot()
    async def refresh(self) -> None:
        """The open record read again after a change (the same opening: its reason is already logged)."""
        if self.opened is None:
            return
        usi, today = self.opened.record.student.student_usi, self.ctx.today()

        try:
            opened = await run_op(self.ctx.run_in(lambda c: open_record(c, usi, None, today)))
        except OpFailed as err:
            self.message.setText(err.message)
            return
        message = self.message.text()
        self.show_record(opened)
        self.message.setText(message)

    def _selected_order(self) -> meds.Order | None:
        return self.orders_model.row(selected_row(self.orders_view))

    @asyncSlot()
    async def give_as_needed(self) -> int | None:
        o = self._selected_order()
        if o is None or not o.as_needed:
            self.message.setText("Pick an as-needed order in the list first.")
            return None
        now = self.ctx.now()
        f = meds.DoseForm(o.medication_id, "given", now, self.prn_dose.text() or fmt_amount(o.dose_amount),
                          override_reason=self.override.text(), request_id=str(uuid.uuid4()))
        try:
            saved = await run_op(self.ctx.run_in(lambda c: meds.record_dose(c, f, now=now)), disable=(self.give_prn,))
        except OpFailed as err:
            self.message.setText(err.message + " Nothing was saved.")
            return None
        self.override.clear()
        self.message.setText(f"{o.medication} given at {now:%H:%M}.")
        await self._reload()
        return saved.administration_id

    async def _reload(self) -> None:
        if self.opened is None:
            return
        usi, today = self.opened.record.student.student_usi, self.ctx.today()
        start, end = _month(today)

        def work(c):
            return (tuple(meds.student_orders(c, usi)), tuple(meds.entries(c, student_usi=usi, start=start, end=end)))
        try:
            orders, entries = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.message.setText(err.message)
            return
        self.opened = Opened(self.opened.record, orders, entries, self.opened.doses, self.opened.provisional)
        self.orders_model.set_rows(orders)
        self.entries_model.set_rows(entries)

    @asyncSlot()
    async def correct_selected(self) -> int | None:
        """A wrong entry is never changed: a new entry points at it (voided, or the right outcome)."""
        e = self.entries_model.row(selected_row(self.entries_view))
        if e is None:
            self.message.setText("Pick the wrong entry in this month's record first.")
            return None
        outcome = next(k for k, v in CORRECT_TO.items() if v == self.correct_to.currentText())
        reason, now = self.correct_reason.text(), self.ctx.now()
        try:
            new_id = await run_op(self.ctx.run_in(
                lambda c: meds.correct_entry(c, e.administration_id, reason=reason, now=now, outcome=outcome)),
                disable=(self.correct_b,))
        except OpFailed as err:
            self.message.setText(err.message + " Nothing was saved.")
            return None
        self.correct_reason.clear()
        self.message.setText(f"The {e.outcome_label.lower()} entry of {e.administered_at.astimezone():%m/%d %H:%M} "
                             f"is corrected to {CORRECT_TO[outcome].lower()}.")
        await self._reload()
        return new_id

    # -- printouts (built from what is on screen, each printing logged with the opening's reason) -----
    def _logged(self, o: Opened, what: str, build):
        usi, reason, engine = o.record.student.student_usi, self.opened_reason, self.ctx.engine()

        def run() -> bytes:
            data = build()
            with engine.begin() as c:
                log_view(c, usi, "health", f"{reason} (printed {what})")
            return data
        return run

    def _need_record(self) -> Opened | None:
        if self.opened is None:
            self.message.setText("Open a student's record first.")
        return self.opened

    def plan_printout(self) -> Printout | None:
        o, today = self._need_record(), self.ctx.today()
        return o and Printout("health", f"{o.record.student.name}'s emergency action plan",
                              f"action-plan-{o.record.student.student_unique_id}.pdf",
                              self._logged(o, "the emergency action plan",
                                           lambda: nurse_documents.emergency_action_plan(o.record, today=today)))

    def card_printout(self) -> Printout | None:
        o, today = self._need_record(), self.ctx.today()
        return o and Printout("health", f"{o.record.student.name}'s emergency card",
                              f"911-card-{o.record.student.student_unique_id}.pdf",
                              self._logged(o, "the emergency card",
                                           lambda: nurse_documents.emergency_card(o.record, list(o.orders), today=today)))

    def mar_printout(self) -> Printout | None:
        o, today = self._need_record(), self.ctx.today()
        return o and Printout("health", f"{o.record.student.name}'s medication record",
                              f"MAR-{o.record.student.student_unique_id}-{today:%Y-%m}.pdf",
                              self._logged(o, "the medication administration record",
                                           lambda: nurse_lists.medication_administration_record(
                                               o.record.student, list(o.orders), list(o.entries), today,
                                               school=o.record.student.school or "", today=today)))
