"""The Discipline desk: record an incident with the students involved (role, behaviors), weapons
and staff; give each offender actions that answer a behavior (suspension days can write the
attendance); a student's discipline history with corrections (audited, never deleted)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.domain.typed_input import parse_date, parse_time, show_date
from app.errors import UserError
from app.services import discipline as D
from app.services.student_search import search_students
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext
from ui.screens.tabbed_desk import TabbedDesk
from ui.table_model import DtoTableModel
from ui.text import plural
from ui.widgets import (checked, checklist, combo, fill, fill_checklist, form, line, scrolled, selected_row,
                        set_checked, side_by_side, status, table)


class InvolvedModel(DtoTableModel):
    HEADERS = ("Student", "Student id", "Role", "Behaviors")
    COL_NAME, COL_ID, COL_ROLE, COL_BEHAVIORS = range(4)

    def cell(self, r, column: int) -> str:
        involved, name, uid = r
        return [name, uid, involved.role, ", ".join(involved.behaviors)][column]


class IncidentsModel(DtoTableModel):
    HEADERS = ("Date", "Incident", "Location", "Students", "What happened")
    COL_DATE, COL_ID, COL_LOCATION, COL_STUDENTS, COL_DESCRIPTION = range(5)

    def cell(self, i: D.IncidentSummary, column: int) -> str:
        return [show_date(i.incident_date), i.incident_identifier, i.location or "", i.students,
                i.description or ""][column]


class HistoryModel(DtoTableModel):
    """One row per action (or per incident without one)."""
    # Short headers: beside the profile panel at 1280x720 every column must fit without scrolling.
    HEADERS = ("Date", "Incident", "Role", "Behaviors", "Action", "Days given", "Served", "Reason")
    COL_DATE, COL_INCIDENT, COL_ROLE, COL_BEHAVIORS, COL_ACTION, COL_ASSIGNED, COL_SERVED, COL_REASON = range(8)

    def set_history(self, entries: list[D.HistoryEntry]) -> None:
        self.set_rows([(e, a) for e in entries for a in (e.actions or (None,))])

    def cell(self, r, column: int) -> str:
        e, a = r
        n = lambda v: "" if v is None else f"{v.normalize():f}"  # noqa: E731
        return [show_date(e.incident_date), e.incident_identifier, e.role or "", ", ".join(e.behaviors),
                a.discipline if a else "", n(a.length_assigned) if a else "", n(a.length_served) if a else "",
                (a.difference_reason or "") if a else ""][column]


class DisciplinePage(TabbedDesk):
    incident_recorded = Signal(str)
    action_recorded = Signal(str)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Discipline", parent)
        self.choices: D.DisciplineChoices | None = None
        self.schools: list[tuple[int, str]] = []
        self.incident: tuple[str, int] | None = None  # the incident actions are being added to
        self.history_student: tuple[int, str] | None = None
        self._history_asked = 0  # the latest history asked for: an older answer arriving late is dropped
        self._history_usi: int | None = None  # whose history is shown or on its way
        self._profile_usi: int | None = None  # the student open in the profile panel (None: no panel)
        self.request_id = str(uuid.uuid4())  # this form's incident: a repeated submit returns it, never a second
        self.action_request = str(uuid.uuid4())  # the same for the action being typed (new once it is changed)
        self._last_action: str | None = None
        self.finish((self._incident_tab(), "Incident"), (self._recent_tab(), "Recent incidents"),
                    (self._history_tab(), "Student history"))
        self.tabs.currentChanged.connect(lambda i: self.load_recent() if i == 1 else None)

    async def load_lists(self) -> bool:
        def work(c):
            from app.services.enrollment import enrollment_choices

            return D.discipline_choices(c), [(s.school_id, s.name) for s in enrollment_choices(c).schools]
        try:
            self.choices, self.schools = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.incident_message.setText(err.message)
            return False
        self._loaded = True
        ch = self.choices
        mine = getattr(self.ctx.user(), "school_ids", ()) or ()
        fill(self.school, [n for _i, n in self.schools], data=[i for i, _n in self.schools])
        for i, (sid, _n) in enumerate(self.schools):
            if sid in mine:
                self.school.setCurrentIndex(i)
                break
        fill(self.location, ("",) + ch.locations)
        fill(self.reporter, ("",) + ch.reporters, "Staff")
        fill_checklist(self.weapons, ch.weapons)
        fill(self.staff, [n for _u, n in ch.staff], data=[u for u, _n in ch.staff])
        fill(self.role, ch.roles, "Perpetrator")
        fill_checklist(self.behaviors, ch.behaviors)
        fill(self.action, ch.actions, "In School Suspension")
        fill(self.reason, ("",) + ch.difference_reasons)
        fill(self.correct_reason, ("",) + ch.difference_reasons)
        return True

    # -- the incident ------------------------------------------------------------------------
    def _incident_tab(self) -> QWidget:
        self.school = combo("School")
        self.incident_date = line("Incident date", "MM/DD/YYYY", show_date(self.ctx.today()))
        self.incident_time = line("Incident time", "e.g. 12:10 or 1:30 PM")
        self.location = combo("Location")
        self.description = QPlainTextEdit()
        self.description.setAccessibleName("What happened")
        self.description.setTabChangesFocus(True)
        self.description.setMaximumHeight(70)
        self.reporter = combo("Reported by")
        self.reporter_name = line("Reporter's name")
        self.law = QCheckBox("Reported to law enforcement")
        self.law.setAccessibleName("Reported to law enforcement")
        self.cost = line("Cost of damage or loss", "0.00")
        self.weapons = checklist("Weapons", ())
        self.weapons.setMaximumHeight(90)
        self.staff = combo("Staff member involved")
        self.add_staff = QPushButton("Add staff")
        self.staff_list = QLabel("")
        self.staff_list.setWordWrap(True)
        self.staff_list.setAccessibleName("Staff involved")
        self.staff_usis: list[int] = []
        self.find = line("Student to add", "student id or name")
        self.role = combo("Role of the student")
        self.role.setMinimumContentsLength(11)  # "Perpetrator" in full
        self.behaviors = checklist("Behaviors of the student", ())
        self.behaviors.setMaximumHeight(90)
        self.add_student = QPushButton("Add student")
        self.add_student.setAccessibleName("Add the student to the incident")
        self.involved_model = InvolvedModel(self)
        self.involved_view = table("Students involved", self.involved_model)
        self.involved_view.setMinimumHeight(100)
        self.remove_student = QPushButton("Remove student")
        self.save_incident = QPushButton("Record incident")
        self.save_incident.setAccessibleName("Record incident")
        self.new_incident = QPushButton("New incident")
        self.new_incident.setAccessibleName("New incident: clear the form")
        self.incident_message = status("Incident message")

        what = QGroupBox("What happened")
        form(what, [("School", self.school), ("Date and time", side_by_side(self.incident_date, self.incident_time)),
                    ("Location", self.location), ("Description", self.description),
                    ("Reported by", side_by_side(self.reporter, self.reporter_name)), ("", self.law),
                    ("Cost", self.cost), ("Weapons", self.weapons),
                    ("Staff involved", side_by_side(self.staff, self.add_staff, stretch_first=True)),
                    ("", self.staff_list)])
        who = QGroupBox("Students involved")
        v = QVBoxLayout(who)
        row = QHBoxLayout()
        for w in (self.find, self.role, self.add_student, self.remove_student):
            row.addWidget(w)
        v.addLayout(row)
        v.addWidget(QLabel("Behaviors (for an offender):"))
        v.addWidget(self.behaviors)
        v.addWidget(self.involved_view)
        actions = self._actions_box()
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(what)
        layout.addWidget(who)
        self.incident_boxes = (what, who)
        row = QHBoxLayout()
        row.addWidget(self.save_incident)
        row.addWidget(self.new_incident)
        row.addWidget(self.incident_message, 1)
        layout.addLayout(row)
        layout.addWidget(actions)
        scroll = scrolled(inner, "Incident form")
        self.add_staff.clicked.connect(self._add_staff)
        self.add_student.clicked.connect(self.add_involved)
        self.find.returnPressed.connect(self.add_involved)
        self.remove_student.clicked.connect(self._remove_involved)
        self.save_incident.clicked.connect(self.record_incident)
        self.new_incident.clicked.connect(self.ask_then_new_incident)
        return scroll

    # -- one incident per form: recorded, it stays on screen read-only until "New incident" --------
    def unsaved_work(self) -> str | None:
        if self.incident is not None and not self.save_incident.isEnabled():
            return None  # recorded: the form shows the incident on file
        n = self.involved_model.rowCount()
        if not (n or self.description.toPlainText().strip()):
            return None
        return "An incident not recorded yet" + (f" ({plural(n, 'student')} listed)" if n else "")

    async def save_unsaved(self) -> bool:
        return await self._record_incident() is not None

    def discard_unsaved(self) -> None:
        self.clear_incident()

    def ask_then_new_incident(self) -> None:
        if self.settle_unsaved(then=self.clear_incident) == "go":
            self.clear_incident()

    def clear_incident(self) -> None:
        """An empty form for the next incident, with its own request id."""
        self.request_id = str(uuid.uuid4())
        self.incident = None
        for box in self.incident_boxes:
            box.setEnabled(True)
        self.save_incident.setEnabled(True)
        self.incident_time.clear()
        self.description.clear()
        self.reporter_name.clear()
        self.law.setChecked(False)
        self.cost.clear()
        self.incident_date.setText(show_date(self.ctx.today()))
        for lst in (self.weapons, self.behaviors):
            set_checked(lst, ())
        self.staff_usis = []
        self.staff_list.setText("")
        self.find.clear()
        self.involved_model.set_rows([])
        self.location.setCurrentIndex(0)
        self.actions_box.setEnabled(False)
        self.actions_box.setTitle("Actions (record the incident first)")
        fill(self.action_student, [])
        self.action_message.setText("")
        self._new_action_request()
        self.incident_message.setText("New incident: fill in what happened and the students involved.")
        self.description.setFocus()

    def _add_staff(self) -> None:
        usi = self.staff.currentData()
        if usi is not None and usi not in self.staff_usis:
            self.staff_usis.append(usi)
        names = dict(self.choices.staff) if self.choices else {}
        self.staff_list.setText("; ".join(names.get(u, str(u)) for u in self.staff_usis))

    @asyncSlot()
    async def add_involved(self) -> bool:
        query = self.find.text().strip()
        if not query:
            self.incident_message.setText("Type a student id or name to add a student.")
            return False
        try:
            hits = await run_op(self.ctx.run_in(lambda c: search_students(c, query)), disable=(self.add_student,))
        except OpFailed as err:
            self.incident_message.setText(err.message)
            return False
        exact = [h for h in hits if h.student_unique_id == query]
        hits = exact or hits
        if len(hits) != 1:
            self.incident_message.setText(f"No student matches \"{query}\"; check the id." if not hits else
                                          f"{len(hits)} students match \"{query}\"; type the student id.")
            return False
        h = hits[0]
        if any(r[0].student_usi == h.student_usi for r in self.involved_model.rows):
            self.incident_message.setText(f"{h.first_name} {h.last_name} is already listed.")
            return False
        involved = D.InvolvedStudent(h.student_usi, self.role.currentText(), checked(self.behaviors))
        self.involved_model.set_rows(self.involved_model.rows + [(involved, f"{h.first_name} {h.last_name}",
                                                                  h.student_unique_id)])
        self.find.clear()
        self.incident_message.setText(f"Added {h.first_name} {h.last_name} as {involved.role.lower()}.")
        return True

    def _remove_involved(self) -> None:
        r = selected_row(self.involved_view)
        if r >= 0:
            rows = list(self.involved_model.rows)
            del rows[r]
            self.involved_model.set_rows(rows)

    def incident_draft(self) -> D.NewIncident:
        return D.NewIncident(
            school_id=self.school.currentData(), incident_date=parse_date(self.incident_date.text(), "Incident date"),
            incident_time=parse_time(self.incident_time.text(), "Incident time"), location=self.location.currentText(),
            description=self.description.toPlainText(), reporter_description=self.reporter.currentText(),
            reporter_name=self.reporter_name.text(), reported_to_law_enforcement=self.law.isChecked(),
            cost=self.cost.text(), students=tuple(r[0] for r in self.involved_model.rows),
            weapons=checked(self.weapons), staff_usis=tuple(self.staff_usis))

    @asyncSlot()
    async def record_incident(self) -> str | None:
        return await self._record_incident()

    async def _record_incident(self) -> str | None:
        if self.incident is not None and not self.save_incident.isEnabled():
            return self.incident[0]  # already recorded: this form is that incident
        try:
            draft = self.incident_draft()
        except UserError as err:
            self.incident_message.setText(err.message)
            return None
        actor, today, now, rid = self.ctx.actor(), self.ctx.today(), datetime.now(timezone.utc), self.request_id
        try:
            ident = await run_op(self.ctx.run_in(lambda c: D.record_incident(c, draft, actor=actor, now=now,
                                                                           today=today, request_id=rid)),
                                 disable=(self.save_incident,))
        except OpFailed as err:
            self.incident_message.setText(err.message + " Nothing was saved.")
            return None
        self.incident = (ident, draft.school_id)
        # The form now shows the incident on file: read-only, Record off, "New incident" starts another.
        for box in self.incident_boxes:
            box.setEnabled(False)
        self.save_incident.setEnabled(False)
        offenders = [r for r in self.involved_model.rows if r[0].behaviors]
        fill(self.action_student, [f"{name} ({uid})" for _i, name, uid in offenders], data=[r[0] for r in offenders])
        self._action_student_changed()
        self.actions_box.setEnabled(bool(offenders))
        self.actions_box.setTitle(f"Actions for incident {ident}")
        self.action_date.setText(show_date(draft.incident_date))
        self._new_action_request()
        (self.action_student if offenders else self.new_incident).setFocus()
        self.incident_message.setText(f"Recorded incident {ident} with {plural(len(draft.students), 'student')}."
                                      + (" Add the actions below." if offenders else "")
                                      + " Press New incident for the next one.")
        self.incident_recorded.emit(ident)
        return ident

    # -- actions -----------------------------------------------------------------------------------
    def _actions_box(self) -> QGroupBox:
        self.actions_box = QGroupBox("Actions (record the incident first)")
        self.actions_box.setEnabled(False)
        self.action_student = combo("Student given the action")
        self.action_behavior = combo("Behavior the action answers")
        self.action = combo("Action")
        self.action_date = line("Action date", "MM/DD/YYYY")
        self.length = line("Days assigned", "e.g. 3")
        self.served = line("Days served", "when known")
        self.reason = combo("Reason the days differ")
        self.iep = QCheckBox("IEP placement meeting held")
        self.zero = QCheckBox("Zero-tolerance policy")
        self.make_attendance = QCheckBox("Mark attendance for the suspension days")
        self.make_attendance.setChecked(True)
        for w in (self.iep, self.zero, self.make_attendance):
            w.setAccessibleName(w.text())
        self.save_action = QPushButton("Record action")
        self.save_action.setAccessibleName("Record action")
        self.action_message = status("Action message")
        row = QHBoxLayout()
        for w in (self.length, self.served, self.reason):
            row.addWidget(w)
        form(self.actions_box, [("Student", self.action_student), ("Answers behavior", self.action_behavior),
                                ("Action", self.action), ("First day", self.action_date),
                                ("Days assigned, served, why different", row), ("", self.iep), ("", self.zero),
                                ("", self.make_attendance), (None, self.save_action), (None, self.action_message)])
        self.action_student.currentIndexChanged.connect(self._action_student_changed)
        for w in (self.action_student, self.action_behavior, self.action, self.reason):
            w.currentIndexChanged.connect(self._new_action_request)
        for w in (self.action_date, self.length, self.served):
            w.textEdited.connect(self._new_action_request)
        for w in (self.iep, self.zero, self.make_attendance):
            w.toggled.connect(self._new_action_request)
        self.save_action.clicked.connect(self.record_action)
        return self.actions_box

    def _new_action_request(self, *_a) -> None:
        """The action form changed: the next Record action is a new action (an unchanged form
        submitted twice is the same action, recorded once)."""
        self.action_request = str(uuid.uuid4())

    def _action_student_changed(self, *_a) -> None:
        involved = self.action_student.currentData()
        fill(self.action_behavior, ("",) + (involved.behaviors if involved else ()),
             involved.behaviors[0] if involved and len(involved.behaviors) == 1 else None)

    @asyncSlot()
    async def record_action(self) -> str | None:
        involved = self.action_student.currentData()
        if self.incident is None or involved is None:
            self.action_message.setText("Record the incident with an offender first.")
            return None
        try:
            day = parse_date(self.action_date.text(), "Action date")
        except UserError as err:
            self.action_message.setText(err.message)
            return None
        suspension = self.action.currentText() in D.SUSPENSIONS
        action = D.NewAction(involved.student_usi, self.incident[0], self.incident[1],
                             self.action_behavior.currentText(), self.action.currentText(), day, self.length.text(),
                             self.served.text(), self.reason.currentText(), self.iep.isChecked(),
                             self.zero.isChecked(), tuple(self.staff_usis),
                             suspension and self.make_attendance.isChecked())
        actor, rid = self.ctx.actor(), self.action_request
        try:
            result = await run_op(self.ctx.run_in(lambda c: D.record_action(c, action, actor=actor, request_id=rid)),
                                  disable=(self.save_action,))
        except OpFailed as err:
            self.action_message.setText(err.message + " Nothing was saved.")
            return None
        if result.identifier == self._last_action:  # a second click on an unchanged form
            self.action_message.setText(f"Already recorded as {result.identifier}; change the form to record "
                                        "another action.")
            return result.identifier
        self._last_action = result.identifier
        days = result.attendance_days
        self.action_message.setText(
            f"Recorded {action.discipline.lower()} ({result.identifier})"
            + (f"; attendance marked for {len(days)} school days: "
               + ", ".join(f"{d:%a %m/%d}" for d in days) + "." if days else "."))
        self.action_recorded.emit(result.identifier)
        return result.identifier

    # -- lists -----------------------------------------------------------------------------------
    def _recent_tab(self) -> QWidget:
        tab = QWidget()
        self.recent_model = IncidentsModel(self)
        self.recent_view = table("Recent incidents", self.recent_model)
        self.refresh_recent = QPushButton("Refresh")
        layout = QVBoxLayout(tab)
        layout.addWidget(self.refresh_recent)
        layout.addWidget(self.recent_view, 1)
        self.refresh_recent.clicked.connect(self.load_recent)
        return tab

    @asyncSlot()
    async def load_recent(self) -> int:
        try:
            rows = await run_op(self.ctx.run_in(D.recent_incidents))
        except OpFailed as err:
            self.incident_message.setText(err.message)
            return -1
        self.recent_model.set_rows(rows)
        return len(rows)

    def _history_tab(self) -> QWidget:
        tab = QWidget()
        self.history_title = QLabel("Open a student's discipline history from their profile (Ctrl+F).")
        self.history_title.setAccessibleName("Whose discipline history")
        self.history_model = HistoryModel(self)
        self.history_view = table("Discipline history", self.history_model)
        # Beside the profile panel at 1280x720 the table gets ~630 px: the text columns share what the
        # dates and numbers leave (elided), so nothing scrolls sideways.
        header = self.history_view.horizontalHeader()
        header.setStretchLastSection(False)
        for col in range(HistoryModel.COL_ROLE, len(HistoryModel.HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.correct_served = line("Days actually served")
        self.correct_reason = combo("Reason for the difference")
        self.correct_button = QPushButton("Record correction")
        self.correct_button.setAccessibleName("Record correction to the selected action")
        self.history_message = status("History message")
        box = QGroupBox("Correct the selected action (the change is kept in the audit trail)")
        row = QHBoxLayout(box)
        for w in (QLabel("Days served"), self.correct_served, QLabel("Reason"), self.correct_reason,
                  self.correct_button):
            row.addWidget(w)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.history_title)
        layout.addWidget(self.history_view, 1)
        layout.addWidget(box)
        layout.addWidget(self.history_message)
        self.correct_button.clicked.connect(self.correct_selected)
        return scrolled(tab, "Student history")

    async def show_history(self, student_usi: int, name: str | None = None) -> int:
        """The history of exactly this student: the name shown is read with the rows (by StudentUSI),
        never taken from whatever the profile shows by the time the answer arrives, and an answer for
        a student asked for earlier is dropped when another was asked for since."""
        self._history_asked += 1
        ticket = self._history_asked
        if self._profile_usi is not None and self._profile_usi != student_usi:
            # asked from a profile that has since moved on to another student: show neither
            self.student_opened(self._profile_usi)
            return -1
        self._history_usi = student_usi
        self.tabs.setCurrentIndex(2)
        self.history_student = None  # no correction against rows of the student shown before
        self.history_model.set_history([])
        self.history_title.setText("Reading the discipline history…")
        self.history_message.setText("")

        def work(c):
            from sqlalchemy import text

            who = c.execute(text("SELECT firstname || ' ' || lastsurname, studentuniqueid FROM edfi.student "
                                 "WHERE studentusi = :u"), {"u": student_usi}).first()
            return who, (D.discipline_history(c, student_usi) if who is not None else [])
        try:
            who, entries = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            if ticket == self._history_asked:
                self.history_title.setText("The discipline history could not be read.")
                self.history_message.setText(err.message)
            return -1
        if ticket != self._history_asked:
            return -1  # another student's history was asked for meanwhile: that one is shown
        if who is None:
            self.history_title.setText("That student is not one you may see; search for the student again.")
            return -1
        name, uid = who
        self.history_student = (student_usi, name)
        self.history_model.set_history(entries)
        self.history_title.setText(f"Discipline history of {name} (student id {uid}): "
                                   f"{plural(len(entries), 'incident')}"
                                   if entries else f"{name} (student id {uid}) has no discipline incidents on file.")
        return len(entries)

    def student_opened(self, student_usi: int) -> None:
        """Another student was opened in the profile: the history shown (of someone else) goes; the
        new student's opens from their profile badge, which records why it was opened."""
        self._profile_usi = student_usi
        if self._history_usi is not None and self._history_usi != student_usi:
            self._history_usi = None
            self._history_asked += 1  # an answer still on its way is for the student before
            self.history_student = None
            self.history_model.set_history([])
            self.history_title.setText("Open the discipline history from the student's profile (the Discipline "
                                       "badge).")
            self.history_message.setText("")

    @asyncSlot()
    async def correct_selected(self) -> bool:
        r = self.history_model.row(selected_row(self.history_view))
        if r is None or r[1] is None or self.history_student is None:
            self.history_message.setText("Pick an action in the list to correct.")
            return False
        action = r[1]
        usi, name = self.history_student
        served, reason, actor = self.correct_served.text(), self.correct_reason.currentText(), self.ctx.actor()
        try:
            await run_op(self.ctx.run_in(lambda c: D.correct_action(
                c, action.identifier, action.action_date, usi, length_served=served, difference_reason=reason,
                actor=actor)), disable=(self.correct_button,))
        except OpFailed as err:
            self.history_message.setText(err.message + " Nothing was changed.")
            return False
        await self.show_history(usi, name)
        self.history_message.setText(f"Corrected {action.identifier}: {served.strip()} "
                                     f"{'day' if served.strip() in ('1', '1.0') else 'days'} served.")
        return True
