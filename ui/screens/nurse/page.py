"""The Nurse desk: a nurse sees 30+ students an hour, so every common action is a few keys.

F2 a new quick visit (student, complaint, Enter); F3 the day's visits; F4 medications due now, where
F5 records the selected dose given (R refused, A absent); F6 a student's record (asks the reason
first: every opening is logged); F7 the screening grid; F8 the lists to print. The health-office
sign-in kiosk is its own tab, and the whole desk in kiosk mode (`--kiosk nurse`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget)
from qasync import asyncSlot

from app.domain.nurse_rules import COMPLAINTS, DISPOSITIONS
from app.domain.typed_input import parse_time, show_date
from app.errors import UserError
from app.services.nurse import medications as meds, visits as V
from app.services.student_search import search_students
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext
from ui.screens.nurse.delegations_tab import DelegationsTab
from ui.screens.nurse.schedule_tab import ScheduleTab
from ui.screens.nurse.entry_forms import EntryForms
from ui.screens.nurse.kiosk import SignInKiosk
from ui.screens.nurse.lists_tab import ListsTab
from ui.screens.nurse.models import DueModel, VisitsModel
from ui.screens.nurse.record_tab import RecordTab
from ui.screens.nurse.screening_grid import ScreeningTab
from ui.screens.tabbed_desk import TabbedDesk
from ui.screens.transportation.iep_transport_tab import IepTransportTab
from ui.text import plural
from ui.widgets import combo, form, line, scrolled, selected_row, status, table


async def find_student(ctx: DeskContext, query: str):
    """One student from an id or a name, or the sentence saying why not."""
    q = query.strip()
    if not q:
        raise UserError("Type a student id or name.")
    hits = await run_op(ctx.run_in(lambda c: search_students(c, q)))
    exact = [h for h in hits if h.student_unique_id == q]
    hits = exact or hits
    if len(hits) != 1:
        raise UserError(f"No student matches \"{q}\"; check the id." if not hits else
                        f"{len(hits)} students match \"{q}\"; type more of the name or the student id.")
    return hits[0]


class NursePage(TabbedDesk):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Nurse", parent)
        self.visit_request = str(uuid.uuid4())
        self.visit_student: tuple[int, str] | None = None
        self.waiting_visit: int | None = None
        self.shortcuts: list[QShortcut] = []
        self.kiosk = SignInKiosk(ctx)
        self.kiosk.signed_in.connect(lambda _v: self.load_visits())
        self.record = RecordTab(ctx, self.school_id)
        self.screening = ScreeningTab(ctx, self.school_id)
        self.lists = ListsTab(ctx, self.school_id)
        self.delegations = DelegationsTab(ctx, self.school_id)
        self.schedule = ScheduleTab(ctx)
        self.entries = EntryForms(ctx, self.record.current_student, self.record_changed)
        self.immunizations = immunizations_tab(ctx)
        self.bus_needs = IepTransportTab(ctx)  # issue 13: the IEP's transport, which the bus desk reads
        self.record.opened_student.connect(self._student_opened)
        tabs = [(self._visits_tab(), "&Visits"), (self._meds_tab(), "&Medications"), (self.record, "Stu&dent"),
                (self.entries, "Add to &record"), (self.screening, "Scree&nings"), (self.lists, "&Lists"),
                (self.delegations, "Staff &who give medication"), (self.schedule, "Screening sc&hedule")]
        if self.immunizations is not None:  # scrolled: the desk still fits beside the desk list at 1280x720
            tabs.append((scrolled(self.immunizations, "Immunization compliance"), "&Immunizations"))
        tabs.append((self.bus_needs, "IEP &bus needs"))
        self.finish(*tabs, (self.kiosk, "Sign-in &kiosk"))
        for key, slot in (("F2", self.new_visit), ("F3", lambda: self.tabs.setCurrentIndex(0)),
                          ("F4", self.show_due), ("F5", lambda: self.dose_for_selected("given")),
                          ("F6", lambda: self.tabs.setCurrentWidget(self.record)),
                          ("F7", lambda: self.tabs.setCurrentWidget(self.screening)),
                          ("F8", lambda: self.tabs.setCurrentWidget(self.lists)),
                          ("Ctrl+Return", self.save_visit)):
            # a kiosk station's keys reach nothing but the sign-in (review of #11, defect 1)
            self.shortcuts.append(QShortcut(QKeySequence(key), self,
                                            activated=lambda s=slot: None if self.kiosk_station() else s()))
        self.tabs.currentChanged.connect(self._tab_changed)

    async def show_student(self, usi: int) -> bool:
        """The window opened this desk from the student's health badge (and logged the view)."""
        if self.kiosk_station():
            return False
        self.tabs.setCurrentWidget(self.record)
        return await self.record.show_student(usi)

    def _student_opened(self, usi: int) -> None:
        o = self.record.opened
        if o is not None:
            self.entries.show_choices(o.record.self_carry, o.provisional)
        if self.immunizations is not None:
            self.immunizations.show_student(usi)

    def record_changed(self, usi: int, what: str) -> None:
        """After a save on the Add to record tab: the record shown again, and its compliance status."""
        self.record.refresh()
        if self.immunizations is not None and what in ("dose", "exemption", "provisional", "close-provisional"):
            self.immunizations.record_changed(usi)

    def school_id(self) -> int | None:
        mine = getattr(self.ctx.user(), "school_ids", ()) or ()
        return mine[0] if mine else None

    def kiosk_station(self) -> bool:
        return getattr(self.window(), "kiosk", None) == "nurse"

    def kiosk_only(self) -> None:
        """In kiosk mode the station shows the sign-in kiosk and nothing of anyone's record: the other
        tabs are disabled, the desk's keys are off, and a switch to another tab comes back to the kiosk."""
        for i in range(self.tabs.count() - 1):  # the kiosk is the last tab
            self.tabs.setTabEnabled(i, False)
        for sc in self.shortcuts:
            sc.setEnabled(False)
        self.tabs.setCurrentWidget(self.kiosk)
        self.tabs.tabBar().hide()

    async def load_lists(self) -> bool:
        if self.kiosk_station():
            self.kiosk_only()
            self._loaded = True
            return True
        ok = await self._load_visits()
        self._loaded = ok
        if ok:
            await self._load_due()
            await self.screening.load_classes()
            if self.immunizations is not None:
                await self.immunizations.load_lists()
        return ok

    def _tab_changed(self, i: int) -> None:
        if self.kiosk_station():
            if self.tabs.widget(i) is not self.kiosk:
                self.tabs.setCurrentWidget(self.kiosk)
            return
        if i == 1:
            self.show_due()
        elif self.tabs.widget(i) is self.lists:
            self.lists.refresh()
        elif self.tabs.widget(i) is self.delegations:
            self.delegations.refresh()
        elif self.tabs.widget(i) is self.schedule:
            self.schedule.refresh()

    # -- visits ---------------------------------------------------------------------------------------
    def _visits_tab(self) -> QWidget:
        self.visits_model = VisitsModel(self)
        self.visits_view = table("Today's visits (waiting first)", self.visits_model)
        self.visits_view.activated.connect(lambda _i: self.take_waiting())
        self.take = QPushButton("&Take selected")
        self.take.setAccessibleName("Take the selected waiting student into the visit form")
        self.take.clicked.connect(self.take_waiting)
        self.student = line("Student", "student id or name, Enter")
        self.student.returnPressed.connect(self.pick_visit_student)
        self.student_label = QLabel("")
        self.student_label.setAccessibleName("Student in the visit form")
        self.complaint = combo("Complaint", COMPLAINTS.values())
        self.complaint_text = line("Complaint in words")
        self.time_in = line("Time in", "now")
        self.temperature = line("Temperature °F")
        self.assessment = line("Assessment")
        self.treatment = line("Treatment")
        self.disposition = combo("Disposition", DISPOSITIONS.values(), "Returned to class")
        self.save_visit_button = QPushButton("&Save visit (Ctrl+Enter)")
        self.save_visit_button.setAccessibleName("Save visit")
        self.save_visit_button.clicked.connect(self.save_visit)
        self.visit_message = status("Visit message")
        box = QGroupBox("Quick visit (F2)")
        form(box, [("Student", self.student), ("", self.student_label), ("Complaint", self.complaint),
                   ("In words", self.complaint_text), ("Time in", self.time_in), ("Temperature", self.temperature),
                   ("Assessment", self.assessment), ("Treatment", self.treatment), ("Disposition", self.disposition),
                   ("", self.save_visit_button), ("", self.visit_message)])
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.visits_view, 1)
        lv.addWidget(self.take)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(box)
        split.setSizes([520, 420])
        return split

    def new_visit(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.clear_visit()
        self.student.setFocus()

    def clear_visit(self) -> None:
        self.visit_request = str(uuid.uuid4())
        self.visit_student = None
        self.waiting_visit = None
        for w in (self.student, self.complaint_text, self.time_in, self.temperature, self.assessment, self.treatment):
            w.clear()
        self.student_label.setText("")
        self.complaint.setCurrentIndex(0)
        self.disposition.setCurrentText("Returned to class")

    def unsaved_work(self) -> str | None:
        parts = []
        if self.visit_student is not None and (self.treatment.text().strip() or self.assessment.text().strip()):
            parts.append(f"A visit for {self.visit_student[1]} not saved")
        for other in (self.screening.unsaved_work(), self.schedule.unsaved_work(), self.bus_needs.unsaved_work()):
            if other:
                parts.append(other)
        return "; ".join(parts) or None

    async def save_unsaved(self) -> bool:
        ok = True
        if self.visit_student is not None and (self.treatment.text().strip() or self.assessment.text().strip()):
            ok = await self._save_visit() is not None
        if ok and self.screening.unsaved_work():
            ok = await self.screening.save_now()
        if ok and self.schedule.unsaved_work():
            ok = await self.schedule.save_now()
        if ok and self.bus_needs.unsaved_work():
            ok = await self.bus_needs.save_now()
        return ok

    def discard_unsaved(self) -> None:
        self.clear_visit()
        self.screening.model.set_grid(self.screening.kind_code(), [])
        self.schedule.undo()
        self.bus_needs.discard()

    @asyncSlot()
    async def pick_visit_student(self) -> bool:
        try:
            hit = await find_student(self.ctx, self.student.text())
        except (UserError, OpFailed) as err:
            self.visit_message.setText(getattr(err, "message", str(err)))
            return False
        self.visit_student = (hit.student_usi, f"{hit.first_name} {hit.last_name}")
        self.student_label.setText(f"{hit.first_name} {hit.last_name} · {hit.grade_level or ''} · {hit.student_unique_id}")
        self.complaint.setFocus()
        return True

    def take_waiting(self) -> None:
        v = self.visits_model.row(selected_row(self.visits_view))
        if v is None or v.disposition is not None:
            self.visit_message.setText("Pick a waiting student (the rows marked Waiting).")
            return
        self.clear_visit()
        self.waiting_visit = v.visit_id
        self.visit_student = (v.student_usi, v.name)
        self.student.setText(v.student_unique_id)
        self.student_label.setText(f"{v.name} · {v.grade or ''} · signed in at {v.time_in.astimezone():%H:%M}")
        self.complaint.setCurrentText(v.complaint_label)
        self.time_in.setText(v.time_in.astimezone().strftime("%H:%M"))
        self.treatment.setFocus()

    def visit_form(self) -> V.VisitForm:
        if self.visit_student is None:
            raise UserError("Pick the student first: type the id or name and press Enter.")
        now = self.ctx.now()
        t = parse_time(self.time_in.text(), "Time in") if self.time_in.text().strip() else None
        time_in = datetime.combine(now.date(), t) if t else now
        return V.VisitForm(self.visit_student[0], self.complaint.currentText(), time_in, None,
                           self.complaint_text.text(), self.assessment.text(), self.treatment.text(),
                           self.disposition.currentText(), self.temperature.text(), self.waiting_visit,
                           self.visit_request)

    @asyncSlot()
    async def save_visit(self) -> int | None:
        return await self._save_visit()

    async def _save_visit(self) -> int | None:
        try:
            f = self.visit_form()
        except UserError as err:
            self.visit_message.setText(err.message)
            return None
        now, actor = self.ctx.now(), self.ctx.actor()
        try:
            saved = await run_op(self.ctx.run_in(lambda c: V.record_visit(c, f, now=now, actor=actor)),
                                 disable=(self.save_visit_button,))
        except OpFailed as err:
            self.visit_message.setText(err.message + " Nothing was saved.")
            return None
        name = self.visit_student[1]
        extra = ""
        if saved.sent_home:
            extra = " Early departure recorded; " + ("the primary contact is notified." if saved.notified
                                                     else "no contact on file to notify: call home.")
        self.clear_visit()
        self.visit_message.setText(f"Saved {name}'s visit.{extra}")
        self.student.setFocus()
        await self._load_visits()
        return saved.visit_id

    @asyncSlot()
    async def load_visits(self) -> bool:
        return await self._load_visits()

    async def _load_visits(self) -> bool:
        school, day = self.school_id(), self.ctx.today()
        if school is None:
            self.visit_message.setText("Your sign-in serves no school, so there is no health office to show.")
            return False
        try:
            rows = await run_op(self.ctx.run_in(lambda c: V.visits_for_day(c, school, day)))
        except OpFailed as err:
            self.visit_message.setText(err.message)
            return False
        rows.sort(key=lambda v: (v.disposition is not None, v.time_in))
        self.visits_model.set_rows(rows)
        waiting = sum(1 for v in rows if v.disposition is None)
        self.take.setText(f"&Take selected ({waiting} waiting)")
        return True

    # -- medications due -----------------------------------------------------------------------------------
    def _meds_tab(self) -> QWidget:
        self.due_model = DueModel(self)
        self.due_view = table("Medications due now", self.due_model)
        self.due_view.activated.connect(lambda _i: self.dose_for_selected("given"))
        self.given = QPushButton("&Given (F5)")
        self.refused_b = QPushButton("&Refused")
        self.absent_b = QPushButton("&Absent")
        self.missed_b = QPushButton("Show &missed today")
        self.given.clicked.connect(lambda: self.dose_for_selected("given"))
        self.refused_b.clicked.connect(lambda: self.dose_for_selected("refused"))
        self.absent_b.clicked.connect(lambda: self.dose_for_selected("absent"))
        self.missed_b.clicked.connect(self.show_missed)
        self.due_message = status("Medication message")
        w = QWidget()
        v = QVBoxLayout(w)
        v.addWidget(self.due_view, 1)
        row = QHBoxLayout()
        for b in (self.given, self.refused_b, self.absent_b, self.missed_b):
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self.due_message)
        return w

    def show_due(self) -> None:
        self.tabs.setCurrentIndex(1)
        self.due_view.setFocus()
        self.refresh_due()

    @asyncSlot()
    async def refresh_due(self) -> bool:
        return await self._load_due()

    async def _load_due(self, missed: bool = False) -> bool:
        school, now, day = self.school_id(), self.ctx.now(), self.ctx.today()
        if school is None:
            return False
        # only the newest look-up's answer is shown: an older one (the desk's first load, a tab switch) that comes
        # back later would put back the list before a dose, and write over "... given at 12:10."
        self._due_asked = asked = getattr(self, "_due_asked", 0) + 1
        try:
            rows = await run_op(self.ctx.run_in(
                lambda c: meds.missed_doses(c, school, day, now) if missed else meds.due_now(c, school, now)))
        except OpFailed as err:
            if asked == self._due_asked:
                self.due_message.setText(err.message)
            return False
        if asked != self._due_asked:
            return False
        self.due_model.set_rows(rows)
        if rows:
            self.due_view.selectRow(0)
        what = "missed today" if missed else "due now or overdue"
        self.due_message.setText(f"{plural(len(rows), 'dose')} {what}." + ("" if rows else " Nothing to give."))
        return True

    @asyncSlot()
    async def show_missed(self) -> bool:
        return await self._load_due(missed=True)

    @asyncSlot()
    async def dose_for_selected(self, outcome: str) -> int | None:
        d = self.due_model.row(selected_row(self.due_view))
        if d is None:
            self.due_message.setText("Pick a dose in the list first (arrow keys), then F5.")
            return None
        now = self.ctx.now()
        form_ = meds.DoseForm(d.medication_id, outcome, now, "", scheduled_for=d.due_at, request_id=str(uuid.uuid4()))
        try:
            saved = await run_op(self.ctx.run_in(lambda c: meds.record_dose(c, form_, now=now)),
                                 disable=(self.given, self.refused_b, self.absent_b))
        except OpFailed as err:
            self.due_message.setText(err.message + " Nothing was saved.")
            return None
        left = f" {saved.count_on_hand.normalize():f} left." if saved.count_on_hand is not None else ""
        refill = " Ask the family for a refill." if saved.refill_due else ""
        await self._load_due()
        self.due_message.setText(f"{d.student}: {d.medication} {outcome} at {now:%H:%M}.{left}{refill}")
        return saved.administration_id


def immunizations_tab(ctx: DeskContext):
    """Issue 12's compliance tab (status at a glance, forecast, what to tell the family), when present."""
    try:
        from ui.screens.immunizations.tab import ImmunizationsTab
    except ModuleNotFoundError as err:
        if err.name not in ("ui.screens.immunizations", "ui.screens.immunizations.tab"):
            raise
        return None
    return ImmunizationsTab(ctx)


def build_page(ctx: DeskContext) -> QWidget:
    return NursePage(ctx)


__all__ = ["build_page", "NursePage", "find_student", "show_date"]
