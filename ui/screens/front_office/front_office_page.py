"""The Front office desk: register a student (duplicate check first), enroll, transfer and
withdraw, build the class schedule, and print the schedule and the ID card.

The desk works on the student open in the profile panel (Ctrl+F to find one); a student just
registered becomes that student."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.domain.typed_input import parse_date, show_date
from app.errors import UserError
from app.services import enrollment as E
from app.services import schedule as S
from ui.ops import OpFailed, run_op, spawn
from ui.printing import Printing, Printout
from ui.settings import UiSettings
from ui.screens.desk_context import DeskContext
from ui.screens.tabbed_desk import TabbedDesk
from ui.screens.front_office.dialogs import ask_contact, confirm_duplicates
from ui.screens.front_office.registration_form import RegistrationForm
from ui.table_model import DtoTableModel
from ui.text import plural
from ui.widgets import combo, fill, form, line, scrolled, selected_row, status, table

ACTIONS = ("Enroll", "Transfer", "Withdraw")


class HistoryModel(DtoTableModel):
    HEADERS = ("School", "Grade", "Entry date", "Entry type", "Exit date", "Exit type")
    COL_SCHOOL, COL_GRADE, COL_ENTRY, COL_ENTRY_TYPE, COL_EXIT, COL_EXIT_TYPE = range(6)

    def cell(self, h: E.EnrollmentRecord, column: int) -> str:
        return [h.school, h.grade_level, show_date(h.entry_date), h.entry_type or "", show_date(h.exit_date),
                h.exit_type or ("(enrolled)" if h.is_open else "")][column]


class SectionsModel(DtoTableModel):
    HEADERS = ("Period", "Time", "Course", "Section", "Teacher", "Room", "Seats taken")
    COL_PERIOD, COL_TIME, COL_COURSE, COL_SECTION, COL_TEACHER, COL_ROOM, COL_SEATS = range(7)

    def cell(self, s: S.SectionInfo, column: int) -> str:
        seats = "" if s.capacity is None else f"{s.enrolled}/{s.capacity}"
        return [s.period or "", s.times, s.course, s.key.section_identifier, s.teacher or "", s.room or "",
                seats][column]


class FrontOfficePage(TabbedDesk):
    student_registered = Signal(int)  # StudentUSI
    enrollment_changed = Signal(int)
    schedule_changed = Signal(int)
    open_student_requested = Signal(int)

    def __init__(self, ctx: DeskContext, *, ask_contact_fn: Callable | None = None,
                 confirm_duplicates_fn: Callable | None = None, confirm_warnings_fn: Callable | None = None,
                 choose_pdf_path: Callable[[str], str | None] | None = None, ask_printer_fn: Callable | None = None,
                 open_preview_fn: Callable | None = None, print_settings: UiSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Front office", parent)
        self.student: tuple[int, str, str] | None = None  # usi, name, unique id
        self.register_request = str(uuid.uuid4())  # this registration: a repeated submit returns its student
        self._suggested_id = ""
        self.choices: E.EnrollmentChoices | None = None
        self.ask_contact = ask_contact_fn or (lambda relations: ask_contact(self, relations))
        self.confirm_duplicates = confirm_duplicates_fn or (
            lambda new, school, cands: confirm_duplicates(self, new, school, cands))
        self.confirm_warnings = confirm_warnings_fn or self._confirm_warnings
        self.choose_pdf_path = choose_pdf_path or self._ask_pdf_path
        self.current = QLabel("No student open. Press Ctrl+F to find one, or register a new student.")
        self.current.setObjectName("deskPurpose")
        self.current.setWordWrap(True)
        self.current.setAccessibleName("Student being worked on")
        self.body.addWidget(self.current)
        # "New student", not "Register": with a student open, the form is not about them
        self.finish((self._register_tab(), "New student"), (self._enrollment_tab(), "Enrollment"),
                    (self._schedule_tab(), "Schedule and printouts"))
        # Print… / Preview… / Save as PDF… on each print button (ui/printing.py)
        self.printing = Printing(self, self.schedule_message.setText, settings=print_settings,
                                 ask_printer_fn=ask_printer_fn, choose_pdf_path=self.choose_pdf_path,
                                 open_preview_fn=open_preview_fn, busy=(self.print_schedule, self.print_card))
        self.printing.attach(self.print_schedule, lambda: self._printout("schedule"), "the schedule")
        self.printing.attach(self.print_card, lambda: self._printout("id card"), "the ID card")

    async def load_lists(self) -> bool:
        def work(c):
            return E.enrollment_choices(c), E.suggest_student_id(c)
        try:
            self.choices, suggested = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.register_message.setText(err.message)
            return False
        self._loaded = True
        self._suggested_id = suggested
        self.form.set_choices(self.choices, suggested, self.ctx.today())
        fill(self.school, [s.name for s in self.choices.schools], data=[s.school_id for s in self.choices.schools])
        self._school_changed()
        self._action_changed()
        return True

    # -- register ------------------------------------------------------------------------------
    def _register_tab(self) -> QWidget:
        self.form = RegistrationForm()
        self.save_button = QPushButton("Check for duplicates and register")
        self.save_button.setAccessibleName("Check for duplicates and register")
        self.register_message = status("Registration message")
        self.register_note = QLabel(wordWrap=True, visible=False)  # names the open student, who is elsewhere
        self.register_note.setAccessibleName("What this form is for")
        inner = QWidget()
        v = QVBoxLayout(inner)
        v.addWidget(self.register_note)
        v.addWidget(self.form)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.register_message, 1)
        v.addLayout(row)
        self.register_scroll = scroll = scrolled(inner, "New student registration form")
        self.form.add_contact.clicked.connect(self._add_contact)
        self.form.link_family.clicked.connect(self.link_family)
        self.form.sibling.returnPressed.connect(self.link_family)
        self.save_button.clicked.connect(self.register)
        self.save_button.setToolTip("Enter in any field of the form does the same (so does Ctrl+S).")
        self.register_message.setText("Enter in any field checks for duplicates and registers.")
        for w in self.form.findChildren(QLineEdit):  # Enter submits, as in any form
            if w is not self.form.sibling:
                w.returnPressed.connect(self.register)
        QShortcut(QKeySequence.StandardKey.Save, inner, activated=self.register)
        return scroll

    # -- unsaved work: a registration being typed (ui/unsaved.py asks before it is lost) ---------
    def unsaved_work(self) -> str | None:
        if not self.form.has_typing():
            return None
        name = self.form.typed_name()
        return "An unfinished registration" + (f" for {name}" if name else "")

    async def save_unsaved(self) -> bool:
        return await self._register() is not None

    def discard_unsaved(self) -> None:
        self.form.reset(self._suggested_id, self.ctx.today())
        self.register_request = str(uuid.uuid4())
        self.register_message.setText("The unfinished registration was discarded.")

    def _add_contact(self) -> None:
        c = self.ask_contact(self.choices.relations if self.choices else ())
        if c is not None:
            self.form.add_new_contact(c)

    @asyncSlot()
    async def link_family(self) -> int:
        uid = self.form.sibling.text().strip()
        if not uid:
            self.register_message.setText("Sibling's student id is empty; type the brother's or sister's id.")
            return 0

        def work(c):
            from sqlalchemy import text

            usi = c.execute(text("SELECT studentusi FROM edfi.student WHERE studentuniqueid = :u"), {"u": uid}).scalar()
            if usi is None:
                raise UserError(f"No student with id {uid} is on file for you; check the sibling's id.")
            return E.family_contacts(c, usi)
        try:
            family = await run_op(self.ctx.run_in(work), disable=(self.form.link_family,))
        except OpFailed as err:
            self.register_message.setText(err.message)
            return 0
        added = self.form.add_family(family)
        self.register_message.setText(f"Linked {plural(added, 'contact')} of the family of student {uid}." if family else
                                      f"Student {uid} has no contacts on file to link.")
        return added

    @asyncSlot()
    async def register(self) -> int | None:
        return await self._register()

    async def _register(self) -> int | None:
        usi = await self._register_steps()
        if not any(e.isVisible() for e in self.form.errors.values()):
            # the outcome line sits under the form: bring it into view (field problems show by their fields)
            self.register_scroll.ensureWidgetVisible(self.register_message)
        return usi

    async def _register_steps(self) -> int | None:
        """Check everything (every problem shown at once, next to its field), then the duplicates,
        then save with this form's request id."""
        today = self.ctx.today()
        typed = self.form.problems_typed(today)
        new, _unread = self.form.draft_with_problems()

        def check(c):
            seen = {p.field for p in typed}
            problems = typed + [p for p in E.registration_problems(c, new, today) if p.field not in seen]
            if problems:
                return problems, []
            return [], E.find_duplicates(c, new.first_name, new.last_name, new.birth_date, new.student_unique_id)
        try:
            problems, candidates = await run_op(self.ctx.run_in(check), disable=(self.save_button,))
        except OpFailed as err:
            self.register_message.setText(err.message)
            return None
        first = self.form.show_problems(problems)
        if first is not None:
            self.register_scroll.ensureWidgetVisible(first, 50, 80)
            first.setFocus()
            n = len({p.field for p in problems})
            self.register_message.setText(f"Not registered: {plural(n, 'field')} to correct, marked in red "
                                          "under each; nothing was saved.")
            return None
        if candidates:
            choice = self.confirm_duplicates(new, self.form.school_name(), candidates)
            if inspect.isawaitable(choice):  # the real dialog is awaited; a test answers at once
                choice = await choice
            if choice is None:
                self.register_message.setText("Not registered: nothing was saved.")
                return None
            if choice[0] == "open":
                self.open_student_requested.emit(choice[1])
                self.register_message.setText("Not registered: the student on file is open instead.")
                return None
        actor, now, rid = self.ctx.actor(), None, self.register_request
        try:
            usi = await run_op(self.ctx.run_in(lambda c: E.register_student(c, new, actor=actor, now=now, today=today,
                                                                            request_id=rid)),
                               disable=(self.save_button,))
        except OpFailed as err:
            self.register_message.setText(err.message + " Nothing was saved.")
            return None
        name = f"{new.first_name.strip()} {new.last_name.strip()}"
        self.register_message.setText(f"{name} is registered at {self.form.school_name()} ({new.grade_level}), "
                                      f"student id {new.student_unique_id.strip()}.")
        self.set_student(usi, name, new.student_unique_id.strip())
        # The form is for the next student at once (a new request id); the next free id follows.
        self.form.reset("", self.ctx.today())
        self.register_request = str(uuid.uuid4())
        self.student_registered.emit(usi)
        spawn(self._next_id())
        return usi

    async def _next_id(self) -> None:
        try:
            suggested = await run_op(self.ctx.run_in(E.suggest_student_id))
        except OpFailed:
            return
        self._suggested_id = suggested
        if not self.form.has_typing():
            self.form.student_id.setText(suggested)

    # -- the student being worked on -------------------------------------------------------------
    def set_student(self, usi: int, name: str, uid: str) -> None:
        self.student = (usi, name, uid)
        self.current.setText(f"Working on {name} (student id {uid})")
        self.register_note.setText(f"This form registers a new student; {name}'s record is on the Enrollment tab.")
        self.register_note.setVisible(True)
        self.refresh_student()

    @asyncSlot()
    async def refresh_student(self) -> bool:
        if self.student is None:
            return False
        usi = self.student[0]
        on = self._schedule_day()

        def work(c):
            return E.enrollment_history(c, usi), S.student_schedule(c, usi, on), S.available_sections(c, usi, on)
        try:
            history, mine, offers = await run_op(self.ctx.run_in(work))
        except (OpFailed, UserError) as err:
            self.enroll_message.setText(getattr(err, "message", str(err)))
            return False
        self.history_model.set_rows(history)
        if history:  # start the enrollment form from where the student is now
            self.school.setCurrentText(history[0].school)
            self.grade.setCurrentText(history[0].grade_level)
        self.schedule_model.set_rows(mine)
        self.offers_model.set_rows(offers)
        return True

    def _need_student(self, label: QLabel) -> int | None:
        if self.student is None:
            label.setText("Open a student first: press Ctrl+F and type a name or student id.")
            return None
        return self.student[0]

    # -- enrollment ------------------------------------------------------------------------------
    def _enrollment_tab(self) -> QWidget:
        tab = QWidget()
        self.history_model = HistoryModel(self)
        self.history_view = table("Enrollment history", self.history_model)
        self.action = combo("Enrollment action", ACTIONS)
        self.school = combo("School")
        self.grade = combo("Grade level")
        self.action_date = line("Action date", "MM/DD/YYYY")
        self.entry_type = combo("Entry type")
        self.exit_type = combo("Exit or withdrawal type")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setAccessibleName("Apply the enrollment action")
        self.enroll_message = status("Enrollment message")
        box = QGroupBox("Enroll, transfer or withdraw")
        form(box, [("Action", self.action), ("School", self.school), ("Grade level", self.grade),
                   ("Date", self.action_date), ("Entry type", self.entry_type), ("Exit type", self.exit_type),
                   (None, self.apply_button)])
        layout = QVBoxLayout(tab)
        layout.addWidget(QLabel("Enrollment history (every school, newest first)"))
        layout.addWidget(self.history_view, 1)
        layout.addWidget(box)
        layout.addWidget(self.enroll_message)
        self.school.currentIndexChanged.connect(self._school_changed)
        self.action.currentIndexChanged.connect(self._action_changed)
        self.apply_button.clicked.connect(self.apply_enrollment)
        self._action_changed()
        return scrolled(tab, "Enrollment")

    def _school_changed(self, *_a) -> None:
        if self.choices:
            fill(self.grade, self.choices.grades_at(self.school.currentData()))

    def _action_changed(self, *_a) -> None:
        act = self.action.currentText()
        for w in (self.school, self.grade, self.entry_type):
            w.setEnabled(act != "Withdraw")
        self.exit_type.setEnabled(act != "Enroll")
        if self.choices:
            fill(self.entry_type, self.choices.entry_types, "Transfer" if act == "Transfer" else "Re-entry")
            fill(self.exit_type, self.choices.exit_types, "Transferred" if act == "Transfer" else "Withdrawn")

    @asyncSlot()
    async def apply_enrollment(self) -> bool:
        usi = self._need_student(self.enroll_message)
        if usi is None:
            return False
        act = self.action.currentText()
        try:
            day = parse_date(self.action_date.text(), "Withdrawal date" if act == "Withdraw" else f"{act} date")
        except UserError as err:
            self.enroll_message.setText(err.message)
            return False
        school, grade, school_name = self.school.currentData(), self.grade.currentText(), self.school.currentText()
        entry_type, exit_type = self.entry_type.currentText(), self.exit_type.currentText()
        actor, today = self.ctx.actor(), self.ctx.today()

        def work(c):
            if act == "Enroll":
                E.enroll_student(c, usi, school, grade, day, entry_type, actor=actor, today=today)
                return f"Enrolled at {school_name} from {day:%m/%d/%Y}."
            if act == "Transfer":
                E.transfer_student(c, usi, school, grade, day, exit_type, entry_type, actor=actor, today=today)
                return f"Transferred to {school_name} from {day:%m/%d/%Y}."
            ended = E.withdraw_student(c, usi, day, exit_type, actor=actor)
            return f"Withdrawn on {day:%m/%d/%Y}; {plural(ended, 'class enrollment')} ended the same day."
        try:
            done = await run_op(self.ctx.run_in(work), disable=(self.apply_button,))
        except OpFailed as err:
            self.enroll_message.setText(err.message + " Nothing was changed.")
            return False
        await self.refresh_student()
        self.enroll_message.setText(done)
        self.enrollment_changed.emit(usi)
        return True

    # -- schedule and printouts ------------------------------------------------------------------
    def _schedule_tab(self) -> QWidget:
        tab = QWidget()
        self.schedule_day = line("Schedule on", "MM/DD/YYYY", show_date(self.ctx.today()))
        self.show_schedule = QPushButton("Show")
        self.schedule_model = SectionsModel(self)
        self.schedule_view = table("Current classes", self.schedule_model)
        self.offers_model = SectionsModel(self)
        self.offers_view = table("Sections that can be added", self.offers_model)
        self.add_button = QPushButton("Add selected section")
        self.drop_button = QPushButton("Drop selected class")
        self.print_schedule = QPushButton("Print schedule…")
        self.print_card = QPushButton("Print ID card…")
        self.schedule_message = status("Schedule message")
        top = QHBoxLayout()
        for w in (QLabel("Classes on"), self.schedule_day, self.show_schedule, self.print_schedule, self.print_card):
            top.addWidget(w)
        top.addStretch(1)
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addWidget(QLabel("Current classes"))
        layout.addWidget(self.schedule_view, 1)
        layout.addWidget(self.drop_button)
        layout.addWidget(QLabel("Sections at the student's school that can be added"))
        layout.addWidget(self.offers_view, 1)
        layout.addWidget(self.add_button)
        layout.addWidget(self.schedule_message)
        self.show_schedule.clicked.connect(self.refresh_student)
        self.add_button.clicked.connect(self.add_selected)
        self.drop_button.clicked.connect(self.drop_selected)
        return scrolled(tab, "Schedule and printouts")

    def _schedule_day(self) -> date:
        try:
            return parse_date(self.schedule_day.text(), "Schedule day")
        except UserError:
            return self.ctx.today()

    async def _confirm_warnings(self, warnings: list[str]) -> bool:
        from ui.widgets import dialog_result

        box = QMessageBox(QMessageBox.Icon.Warning, "Add this section?", "\n\n".join(warnings),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setInformativeText("Add it anyway?")
        box.setDefaultButton(QMessageBox.StandardButton.No)  # a stray Enter adds nothing
        box.setEscapeButton(QMessageBox.StandardButton.No)
        await dialog_result(box)  # asked from a coroutine: no nested event loop
        yes = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        box.deleteLater()
        return yes

    @asyncSlot()
    async def add_selected(self) -> bool:
        usi = self._need_student(self.schedule_message)
        offer = self.offers_model.row(selected_row(self.offers_view))
        if usi is None:
            return False
        if offer is None:
            self.schedule_message.setText("Pick a section in the lower list first.")
            return False
        day, actor = self._schedule_day(), self.ctx.actor()
        try:
            warnings = await run_op(self.ctx.run_in(lambda c: S.schedule_warnings(c, usi, offer.key, day)))
            go = self.confirm_warnings(warnings) if warnings else True
            if inspect.isawaitable(go):  # the real question is awaited; a test answers at once
                go = await go
            if not go:
                self.schedule_message.setText("Not added.")
                return False
            await run_op(self.ctx.run_in(lambda c: S.add_section(c, usi, offer.key, day, confirmed=bool(warnings),
                                                                 actor=actor)), disable=(self.add_button,))
        except OpFailed as err:
            self.schedule_message.setText(err.message)
            return False
        self.schedule_message.setText(f"Added {offer.course} ({offer.key.section_identifier}) from {day:%m/%d/%Y}."
                                      + (" Noted: " + " ".join(warnings) if warnings else ""))
        await self.refresh_student()
        self.schedule_changed.emit(usi)
        return True

    @asyncSlot()
    async def drop_selected(self) -> bool:
        usi = self._need_student(self.schedule_message)
        mine = self.schedule_model.row(selected_row(self.schedule_view))
        if usi is None:
            return False
        if mine is None:
            self.schedule_message.setText("Pick a class in the upper list first.")
            return False
        day, actor = self._schedule_day(), self.ctx.actor()
        try:
            await run_op(self.ctx.run_in(lambda c: S.drop_section(c, usi, mine.key, day, actor=actor)),
                         disable=(self.drop_button,))
        except OpFailed as err:
            self.schedule_message.setText(err.message)
            return False
        self.schedule_message.setText(f"Dropped {mine.course}; {day:%m/%d/%Y} is the last day in it.")
        await self.refresh_student()
        self.schedule_changed.emit(usi)
        return True

    def _ask_pdf_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the PDF", str(Path.home() / suggested), "PDF (*.pdf)")
        return path or None

    def _printout(self, what: str) -> Printout | None:
        """The open student's schedule or ID card, built off the UI thread when printed."""
        usi = self._need_student(self.schedule_message)
        if usi is None:
            return None
        name, uid = self.student[1], self.student[2]
        day, today, engine = self._schedule_day(), self.ctx.today(), self.ctx.engine

        def build() -> bytes:
            from app.services.printouts import id_card, schedule_document
            from reports import id_card as card_pdf
            from reports import student_schedule

            with engine().connect() as c:
                return student_schedule.build(schedule_document(c, usi, day), today=today) \
                    if what == "schedule" else card_pdf.build(id_card(c, usi, day))
        if what == "schedule":
            return Printout("schedule", f"{name}'s schedule", f"schedule-{uid}.pdf", build)
        return Printout("id_card", f"{name}'s ID card", f"id-card-{uid}.pdf", build)

    async def print_pdf(self, what: str) -> str | None:
        """Save as PDF: the report's own file, where the clerk chooses."""
        printout = self._printout(what)
        path = self.choose_pdf_path(printout.file_name) if printout else None
        return await self.printing.save(printout, path) if path else None
