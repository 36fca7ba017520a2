"""The nurse's lists: expiring medications and authorizations (30 days ahead) and refills due,
screening referrals still open (parent letter, follow-up, close), controlled-substance counts and
discrepancy reports; with the daily visit log and the lists to print."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from datetime import datetime

from app.domain.nurse_rules import parse_schedule
from app.domain.typed_input import parse_date
from app.errors import UserError
from app.services.nurse.common import (EXPIRING_PRINTED, REFERRALS_PRINTED, VISIT_LOG_PRINTED,
                                       school_name as _school_name)
from app.services.nurse import controlled, delegations as D, medications as meds, screenings as S, trips, visits as V
from app.services.nurse.witness import signer
from reports import nurse_documents, nurse_lists
from ui.ops import OpFailed, run_op
from ui.printing import Printing, Printout
from ui.screens.desk_context import DeskContext
from ui.screens.nurse.models import DiscrepancyModel, ListModel, ReferralsModel
from ui.widgets import combo, fill, line, selected_row, status, table


COUNT_CHOICES = ("Periodic count", "Received (new supply)", "Signed out for a field trip", "Back from a field trip")


class ListsTab(QWidget):
    def __init__(self, ctx: DeskContext, school_id, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.school_id = school_id
        self.message = status("Lists message")
        self.printing = Printing(self, self.message.setText)
        self.expiring_model = ListModel(self)
        self.expiring_view = table("Expiring in 30 days and refills due", self.expiring_model)
        self.referrals_model = ReferralsModel(self)
        self.referrals_view = table("Screening referrals still open", self.referrals_model)
        self.follow = line("Follow-up", "what the family or provider reported")
        self.note_b = QPushButton("Add &follow-up")
        self.close_b = QPushButton("&Close referral")
        self.letter_b = QPushButton("Parent &letter…")
        self.printing.attach(self.letter_b, self.letter_printout, "the parent letter")
        self.note_b.clicked.connect(lambda: self.follow_up(False))
        self.close_b.clicked.connect(lambda: self.follow_up(True))
        self.disc_model = DiscrepancyModel(self)
        self.disc_view = table("Open discrepancy reports", self.disc_model)
        self.controlled = combo("Controlled medication")
        self.controlled.setSizeAdjustPolicy(self.controlled.SizeAdjustPolicy.AdjustToContents)
        self.count_kind = combo("What is counted", COUNT_CHOICES)
        self.counted = line("Number", "number counted / received / signed out / returned")
        self.trip = line("Field trip name, or the times doses were given on it",
                         "trip name (out) or times given, like 10:30, 13:00 (back)")
        self.trip_by = combo("Doses given on the trip by (staff delegated for field trips)")
        self.witness = line("Second signer's sign-in name", "second signer: sign-in name")
        self.witness_password = line("Second signer's password", "second signer: password")
        self.witness_password.setEchoMode(self.witness_password.EchoMode.Password)
        self.count_b = QPushButton("Record c&ount")
        self.count_b.clicked.connect(self.record_count)
        self.disc_note = line("Discrepancy note", "what was found and done")
        self.disc_close = QPushButton("Close &report")
        self.disc_close.clicked.connect(self.close_report)
        self.log_b = QPushButton("Today's visit lo&g…")
        self.expiring_b = QPushButton("E&xpiring list…")
        self.referrals_b = QPushButton("Open &referrals…")
        self.printing.attach(self.log_b, self.log_printout, "today's visit log")
        self.printing.attach(self.expiring_b, self.expiring_printout, "the expiring list")
        self.printing.attach(self.referrals_b, self.referrals_printout, "the open referrals")
        self.ft_class = combo("Class going on the field trip")
        self.ft_class.setSizeAdjustPolicy(self.ft_class.SizeAdjustPolicy.AdjustToContents)
        self.ft_name = line("Field trip", "where the class is going")
        self.ft_day = line("Field trip date", "MM/DD/YYYY (today if empty)")
        self.ft_b = QPushButton("Field-&trip health list…")
        self.ft_b.setAccessibleName("Print the class's field-trip health list")
        self.printing.attach(self.ft_b, self.field_trip_printout, "the field-trip health list")

        refs = QGroupBox("Referrals")
        rv = QVBoxLayout(refs)
        rv.addWidget(self.referrals_view, 1)
        row = QHBoxLayout()
        for w in (self.follow, self.note_b, self.close_b, self.letter_b):
            row.addWidget(w)
        rv.addLayout(row)
        counts = QGroupBox("Controlled substances")
        cv = QVBoxLayout(counts)
        row = QHBoxLayout()
        for w in (self.controlled, self.count_kind, self.counted, self.trip, self.trip_by):
            row.addWidget(w)
        cv.addLayout(row)
        row = QHBoxLayout()
        for w in (self.witness, self.witness_password, self.count_b):
            row.addWidget(w)
        cv.addLayout(row)
        cv.addWidget(self.disc_view, 1)
        row = QHBoxLayout()
        for w in (self.disc_note, self.disc_close):
            row.addWidget(w)
        cv.addLayout(row)
        v = QVBoxLayout(self)
        prints = QHBoxLayout()
        for w in (self.log_b, self.expiring_b, self.referrals_b):
            prints.addWidget(w)
        prints.addStretch(1)
        for w in (self.ft_class, self.ft_name, self.ft_day, self.ft_b):
            prints.addWidget(w)
        v.addLayout(prints)
        v.addWidget(self.expiring_view, 1)
        v.addWidget(refs, 1)
        v.addWidget(counts, 1)
        v.addWidget(self.message)

    @asyncSlot()
    async def refresh(self) -> bool:
        school, today = self.school_id(), self.ctx.today()
        if school is None:
            return False

        def work(c):
            orders = meds.school_orders(c, school, today, controlled_only=True)
            givers = [d for d in D.delegations(c, school) if d.scope in D.TRIP_SCOPES and d.in_force(today)]
            return (meds.expiring(c, school, today), S.open_referrals(c, school), controlled.discrepancies(c, school),
                    orders, givers, S.classes_to_screen(c, school, None, today))
        try:
            expiring, referrals, disc, orders, givers, classes = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.expiring_model.set_rows(expiring)
        self.referrals_model.set_rows(referrals)
        self.disc_model.set_rows(disc)
        fill(self.controlled, [f"{o.name}: {o.label} ({o.count_on_hand.normalize():f} on record)" for o in orders],
             data=[o.medication_id for o in orders])
        fill(self.trip_by, [""] + [d.name for d in givers], data=[None] + [d.staff_usi for d in givers])
        fill(self.ft_class, [k.title for k in classes], self.ft_class.currentText(), data=[k.key for k in classes])
        return True

    @asyncSlot()
    async def follow_up(self, close: bool) -> bool:
        r = self.referrals_model.row(selected_row(self.referrals_view))
        if r is None:
            self.message.setText("Pick a referral in the list first.")
            return False
        note, day = self.follow.text(), self.ctx.today()
        try:
            await run_op(self.ctx.run_in(lambda c: S.follow_up(c, r.referral_id, note, close=close, day=day)))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.follow.clear()
        self.message.setText(f"{r.name}'s referral {'closed' if close else 'updated'}.")
        return await self.refresh()

    @asyncSlot()
    async def record_count(self) -> bool:
        return await self.record_count_now()

    async def record_count_now(self) -> bool:
        """The second signer signs with their own sign-in name and password: their own connection writes the
        witness token for this count, which the count entry cites (the database checks it)."""
        mid, kind, number, trip, by = (self.controlled.currentData(), self.count_kind.currentIndex(),
                                       self.counted.text(), self.trip.text(), self.trip_by.currentData())
        login, password, now = self.witness.text(), self.witness_password.text(), self.ctx.now()
        if mid is None:
            self.message.setText("There is no controlled medication at your school to count.")
            return False
        engine = self.ctx.engine()

        def work():
            with engine.begin() as c:
                witness = signer(engine.url, login, password)
                if kind == 0:
                    return controlled.count(c, mid, number, witness=witness, now=now)
                if kind == 1:
                    return controlled.receive(c, mid, number, witness=witness, now=now)
                if kind == 2:
                    return controlled.trip_out(c, mid, number, trip=trip, witness=witness, now=now)
                given = tuple(datetime.combine(now.date(), t) for t in parse_schedule(
                    [x for x in trip.replace(";", ",").split(",") if x.strip()]))
                return controlled.trip_in(c, mid, number, given, given_by=by, witness=witness, now=now)
        try:
            got = await run_op(work, disable=(self.count_b,))
        except OpFailed as err:
            self.message.setText(err.message + " Nothing was saved.")
            return False
        finally:
            self.witness_password.clear()
        for w in (self.counted, self.trip):
            w.clear()
        self.message.setText(f"{COUNT_CHOICES[kind]} recorded; {got.on_hand.normalize():f} on hand."
                             + (" The count does not match the record: a discrepancy report is open below."
                                if got.discrepancy_id is not None else ""))
        return await self.refresh()

    @asyncSlot()
    async def close_report(self) -> bool:
        d = self.disc_model.row(selected_row(self.disc_view))
        if d is None:
            self.message.setText("Pick a discrepancy report first.")
            return False
        note, now = self.disc_note.text(), self.ctx.now()
        try:
            await run_op(self.ctx.run_in(lambda c: controlled.close_discrepancy(c, d.discrepancy_id, note, now=now)))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.disc_note.clear()
        self.message.setText("Discrepancy report closed with your note.")
        return await self.refresh()

    # -- printouts: each reads what it prints on the worker thread -----------------------------------
    def _build(self, fn):
        def build() -> bytes:
            with self.ctx.engine().begin() as c:
                return fn(c)
        return build

    def log_printout(self) -> Printout:
        school, day = self.school_id(), self.ctx.today()
        return Printout("health", f"Visit log {day:%m/%d/%Y}", f"visit-log-{day:%Y-%m-%d}.pdf", self._build(
            lambda c: nurse_lists.daily_visit_log(day, _school_name(c, school),
                                                  V.visits_for_day(c, school, day, reason=VISIT_LOG_PRINTED),
                                                  today=day)))

    def expiring_printout(self) -> Printout:
        school, day = self.school_id(), self.ctx.today()
        return Printout("health", "Expiring medications", f"expiring-{day:%Y-%m-%d}.pdf", self._build(
            lambda c: nurse_lists.expiring_list(_school_name(c, school),
                                                meds.expiring(c, school, day, reason=EXPIRING_PRINTED), day)))

    def referrals_printout(self) -> Printout:
        school, day = self.school_id(), self.ctx.today()
        return Printout("health", "Open referrals", f"open-referrals-{day:%Y-%m-%d}.pdf", self._build(
            lambda c: nurse_lists.open_referrals_list(
                _school_name(c, school), S.open_referrals(c, school, reason=REFERRALS_PRINTED), today=day)))

    def field_trip_printout(self) -> Printout | None:
        key, klass, trip = self.ft_class.currentData(), self.ft_class.currentText(), self.ft_name.text().strip()
        school, today = self.school_id(), self.ctx.today()
        try:
            day = parse_date(self.ft_day.text(), "Field trip date", required=False) or today
        except UserError as err:
            self.message.setText(err.message)
            return None
        if key is None or not trip:
            self.message.setText("Pick the class and type where the field trip goes first.")
            return None
        return Printout("health", f"Field-trip health list: {klass}", f"field-trip-{day:%Y-%m-%d}.pdf", self._build(
            lambda c: nurse_lists.field_trip_list(_school_name(c, school), klass, day, trip,
                                                  trips.trip_list(c, key, day), today=today)))

    def letter_printout(self) -> Printout | None:
        r = self.referrals_model.row(selected_row(self.referrals_view))
        if r is None:
            self.message.setText("Pick a referral in the list first.")
            return None
        school, day, user = self.school_id(), self.ctx.today(), self.ctx.user()
        nurse = getattr(user, "display_name", "") or "School nurse"

        def build(c) -> bytes:
            data = nurse_documents.screening_letter(S.get_referral(c, r.referral_id), nurse, _school_name(c, school),
                                                    today=day)
            S.letter_sent(c, r.referral_id, day)
            return data
        return Printout("health", f"Screening letter for {r.name}", f"screening-letter-{r.student_unique_id}.pdf",
                        self._build(build))
