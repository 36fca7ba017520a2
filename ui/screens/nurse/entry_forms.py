"""Adding to the open student's record: an immunization (by CVX code), an exemption or a provisional
enrollment, an emergency action plan, a medication order (a count on hand is counted in with a second
signer), a self-carry authorization; and changes to it: a self-carry competency shown, a provisional
enrollment closed. Each form acts on the student opened (with a reason) on the Student tab; each save
is one transaction."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.domain.typed_input import parse_date
from app.errors import UserError
from app.services.nurse import immunizations as imm, medications as meds, plans
from app.services.nurse.cvx import cvx_codes
from app.services.nurse.witness import signer
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext
from ui.widgets import combo, fill, form, line, scrolled, status

SAVED = {"competency": "Recorded today's self-carry competency", "close-provisional": "Closed the provisional enrollment"}


def _text(name: str, height: int = 54) -> QPlainTextEdit:
    t = QPlainTextEdit()
    t.setAccessibleName(name)
    t.setTabChangesFocus(True)
    t.setMaximumHeight(height)
    return t


class EntryForms(QWidget):
    def __init__(self, ctx: DeskContext, student: Callable[[], tuple[int, str] | None],
                 changed: Callable[[int, str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.student = student  # (usi, name) of the record open on the Student tab
        self.changed = changed  # (usi, what) after a save
        self.message = status("Record entry message")
        codes = sorted(cvx_codes().values(), key=lambda c: c.short_description.lower())
        # immunization
        self.cvx = combo("Vaccine (CVX)")
        self.cvx.setEditable(True)
        self.cvx.setMinimumContentsLength(26)
        self.cvx.setSizeAdjustPolicy(self.cvx.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for c in codes:
            self.cvx.addItem(f"{c.short_description} (CVX {c.code})", c.code)
        self.shot_date = line("Date given", "MM/DD/YYYY")
        self.lot = line("Lot number")
        self.provider = line("Provider")
        self.source = combo("Source", imm.SOURCES.values())
        self.add_shot = QPushButton("Add &dose")
        # exemption / provisional
        groups = [""] + imm.vaccine_groups()
        self.ex_type = combo("Exemption type", imm.EXEMPTIONS.values())
        self.ex_group = combo("Vaccine group (empty: all)", groups)
        self.ex_from = line("Signed on", "MM/DD/YYYY")
        self.ex_until = line("Expires on", "MM/DD/YYYY or empty")
        self.ex_by = line("Signed by")
        self.add_ex = QPushButton("Add &exemption")
        self.prov_deadline = line("Provisional deadline", "MM/DD/YYYY")
        self.prov_group = combo("Vaccine group being caught up", groups)
        self.add_prov = QPushButton("Start &provisional")
        # action plan
        self.plan_type = combo("Plan type", plans.PLAN_TYPES.values())
        self.plan_condition = line("Condition")
        self.plan_signs = _text("Signs of an emergency")
        self.plan_actions = _text("What to do, in order", 80)
        self.plan_meds = line("Emergency medication and where it is kept")
        self.plan_doctor = line("Physician and phone")
        self.add_plan = QPushButton("Save action p&lan")
        # medication order
        self.med_name = line("Medication")
        self.med_strength = line("Strength", "e.g. 10 mg")
        self.med_dose = line("Dose", "amount")
        self.med_unit = line("Unit", "tablet, mL, puff")
        self.med_route = line("Route", "oral")
        self.med_times = line("Times", "e.g. 08:00, 12:00")
        self.med_prn = QCheckBox("As needed")
        self.med_interval = line("Minimum minutes between as-needed doses")
        self.med_prescriber = line("Prescriber")
        self.med_consent = line("Parent consent signed", "MM/DD/YYYY")
        self.med_controlled = QCheckBox("Controlled substance")
        self.med_count = line("Count on hand")
        self.med_expires = line("Expires", "MM/DD/YYYY")
        self.med_form = line("Form", "tablet, liquid, inhaler, auto-injector")
        self.med_end = line("Order ends", "MM/DD/YYYY or empty")
        self.med_refill = line("Refill at", "ask the family at this count")
        self.med_instructions = line("Special instructions", "e.g. give with food")
        self.med_witness = line("Second signer's sign-in name for the count on hand", "second signer: sign-in name")
        self.med_witness_password = line("Second signer's password for the count on hand", "second signer: password")
        self.med_witness_password.setEchoMode(self.med_witness_password.EchoMode.Password)
        self.add_med = QPushButton("Save &order")
        # self-carry
        self.sc_device = combo("Device", plans.DEVICES.values())
        self.sc_med = line("Medication carried")
        self.sc_prescriber = line("Prescriber")
        self.sc_signed = line("Prescriber signed", "MM/DD/YYYY")
        self.sc_parent = line("Parent signed", "MM/DD/YYYY")
        self.sc_expires = line("Expires", "MM/DD/YYYY")
        self.sc_competent = QCheckBox("Student showed me they can use it today")
        self.add_sc = QPushButton("Authorize &self-carry")
        # changes to what is on file
        self.sc_pick = combo("Self-carry authorization")
        self.competency_b = QPushButton("Competency shown &today")
        self.competency_b.setAccessibleName("Record that the student showed competency with the self-carry today")
        self.prov_pick = combo("Open provisional enrollment")
        self.prov_close_as = combo("Close the provisional enrollment as", imm.CLOSE_REASONS.values())
        self.close_prov = QPushButton("&Close provisional")

        boxes = []
        for title, rows, button in (
            ("Immunization", [("Vaccine", self.cvx), ("Date", self.shot_date), ("Lot", self.lot),
                              ("Provider", self.provider), ("Source", self.source)], self.add_shot),
            ("Exemption", [("Type", self.ex_type), ("Vaccine group", self.ex_group), ("Signed on", self.ex_from),
                           ("Expires", self.ex_until), ("Signed by", self.ex_by)], self.add_ex),
            ("Provisional enrollment", [("Deadline", self.prov_deadline), ("Vaccine group", self.prov_group)],
             self.add_prov),
            ("Emergency action plan", [("Type", self.plan_type), ("Condition", self.plan_condition),
                                       ("Signs", self.plan_signs), ("What to do", self.plan_actions),
                                       ("Medication", self.plan_meds), ("Physician", self.plan_doctor)], self.add_plan),
            ("Medication order", [("Medication", self.med_name), ("Strength", self.med_strength),
                                  ("Form", self.med_form), ("Dose", self.med_dose), ("Unit", self.med_unit),
                                  ("Route", self.med_route), ("Times", self.med_times), ("", self.med_prn),
                                  ("Interval", self.med_interval), ("Prescriber", self.med_prescriber),
                                  ("Consent", self.med_consent), ("Ends", self.med_end),
                                  ("Instructions", self.med_instructions), ("", self.med_controlled),
                                  ("On hand", self.med_count), ("Refill at", self.med_refill),
                                  ("Second signer", self.med_witness), ("Their password", self.med_witness_password),
                                  ("Expires", self.med_expires)], self.add_med),
            ("Self-carry", [("Device", self.sc_device), ("Medication", self.sc_med),
                            ("Prescriber", self.sc_prescriber), ("Prescriber signed", self.sc_signed),
                            ("Parent signed", self.sc_parent), ("Expires", self.sc_expires),
                            ("", self.sc_competent)], self.add_sc),
            ("Self-carry competency", [("Authorization", self.sc_pick)], self.competency_b),
            ("Close a provisional enrollment", [("Enrollment", self.prov_pick), ("Close as", self.prov_close_as)],
             self.close_prov)):
            box = QGroupBox(title)
            form(box, rows + [("", button)])
            boxes.append(box)
        inner = QWidget()
        grid = QGridLayout(inner)
        for i, box in enumerate(boxes):
            grid.addWidget(box, i // 2, i % 2)
        v = QVBoxLayout(self)
        v.addWidget(scrolled(inner, "Add to the record"), 1)
        v.addWidget(self.message)
        self.add_shot.clicked.connect(lambda: self.save("dose"))
        self.add_ex.clicked.connect(lambda: self.save("exemption"))
        self.add_prov.clicked.connect(lambda: self.save("provisional"))
        self.add_plan.clicked.connect(lambda: self.save("plan"))
        self.add_med.clicked.connect(lambda: self.save("order"))
        self.add_sc.clicked.connect(lambda: self.save("self-carry"))
        self.competency_b.clicked.connect(lambda: self.save("competency"))
        self.close_prov.clicked.connect(lambda: self.save("close-provisional"))

    def show_choices(self, self_carry, provisional) -> None:
        """The open student's self-carry authorizations and open provisional enrollments, to act on."""
        fill(self.sc_pick, [f"{a.medication_name} ({plans.DEVICES.get(a.device, a.device)}), until "
                            f"{a.expires_on:%m/%d/%Y}" for a in self_carry], data=[a.authorization_id for a in self_carry])
        open_ = [p for p in provisional if p.closed_on is None]
        fill(self.prov_pick, [f"{', '.join(p.vaccine_groups) or 'All vaccines short'}: due {p.deadline:%m/%d/%Y}"
                              for p in open_], data=[p.provisional_id for p in open_])

    def _key(self, mapping: dict, label: str) -> str:
        return next(k for k, v in mapping.items() if v == label)

    def _work(self, what: str, usi: int):
        """The service call for a form, built from what is typed (parse errors surface as one sentence)."""
        today = self.ctx.today()
        d = lambda w, name, required=True: parse_date(w.text(), name, required=required)  # noqa: E731
        if what == "dose":
            f = imm.DoseForm(usi, self.cvx.currentData() or self.cvx.currentText(), d(self.shot_date, "Date given"),
                             self.lot.text(), self.provider.text(), self._key(imm.SOURCES, self.source.currentText()))
            return lambda c: imm.record_immunization(c, f, today=today)
        if what == "exemption":
            args = (usi, self._key(imm.EXEMPTIONS, self.ex_type.currentText()), self.ex_group.currentText(),
                    d(self.ex_from, "Signed on"), d(self.ex_until, "Expires on", False), self.ex_by.text())
            return lambda c: imm.record_exemption(c, *args, today=today)
        if what == "provisional":
            deadline, groups = d(self.prov_deadline, "Deadline"), [g for g in [self.prov_group.currentText()] if g]
            return lambda c: imm.start_provisional(c, usi, deadline, groups, today=today)
        if what == "plan":
            doctor = self.plan_doctor.text().rsplit(" ", 1) if any(ch.isdigit() for ch in self.plan_doctor.text()) \
                else [self.plan_doctor.text(), ""]
            f = plans.PlanForm(usi, self._key(plans.PLAN_TYPES, self.plan_type.currentText()), self.plan_condition.text(),
                               self.plan_signs.toPlainText(), self.plan_actions.toPlainText(), self.plan_meds.text(),
                               doctor[0], doctor[-1] if len(doctor) > 1 else "")
            return lambda c: plans.save_plan(c, f, today=today)
        if what == "order":
            times = tuple(t.strip() for t in self.med_times.text().split(",") if t.strip())
            interval = self.med_interval.text().strip()
            if interval and not interval.isdigit():
                raise UserError("The minimum interval is a whole number of minutes, like 240.")
            f = meds.OrderForm(usi, self.med_name.text(), self.med_strength.text(), self.med_form.text(),
                               self.med_dose.text(), self.med_unit.text(), self.med_route.text(),
                               self.med_prescriber.text(), today, d(self.med_consent, "Parent consent signed", False),
                               times, self.med_prn.isChecked(), int(interval) if interval else None,
                               d(self.med_end, "Order ends", False), self.med_controlled.isChecked(),
                               self.med_count.text(), self.med_refill.text(), d(self.med_expires, "Expires", False),
                               self.med_instructions.text())
            url, login, password, now = (self.ctx.engine().url, self.med_witness.text(),
                                         self.med_witness_password.text(), self.ctx.now())
            self.med_witness_password.clear()

            def order(c):
                witness = signer(url, login, password) if f.count_on_hand.strip() else None
                return meds.save_order(c, f, today=today, witness=witness, now=now)
            return order
        if what == "competency":
            auth = self.sc_pick.currentData()
            if auth is None:
                raise UserError("The open student has no self-carry authorization; authorize one first.")
            return lambda c: plans.record_competency(c, auth, today=today)
        if what == "close-provisional":
            pid, reason = self.prov_pick.currentData(), self._key(imm.CLOSE_REASONS, self.prov_close_as.currentText())
            if pid is None:
                raise UserError("The open student has no open provisional enrollment to close.")
            return lambda c: imm.close_provisional(c, pid, reason, today=today)
        f = plans.SelfCarryForm(usi, self.sc_med.text(), self._key(plans.DEVICES, self.sc_device.currentText()),
                                self.sc_prescriber.text(), d(self.sc_signed, "Prescriber signed", False),
                                d(self.sc_parent, "Parent signed", False), d(self.sc_expires, "Expires", False),
                                today if self.sc_competent.isChecked() else None)
        return lambda c: plans.authorize_self_carry(c, f, today=today)

    @asyncSlot()
    async def save(self, what: str) -> bool:
        return await self.save_now(what)

    async def save_now(self, what: str) -> bool:
        who = self.student()
        if who is None:
            self.message.setText("Open a student's record on the Student tab first (F6).")
            return False
        try:
            work = self._work(what, who[0])
            await run_op(self.ctx.run_in(work))
        except UserError as err:
            self.message.setText(err.message)
            return False
        except OpFailed as err:
            self.message.setText(err.message + " Nothing was saved.")
            return False
        self.message.setText(f"{SAVED[what]} for {who[1]}." if what in SAVED else
                             f"Saved the {what.replace('-', ' ')} for {who[1]}.")
        self.changed(who[0], what)
        return True
