"""The Riders tab: find a student, see whether they are eligible and the stops suggested, give them
an AM and PM run and stop by day (an alternate address for one afternoon), record a parent's
temporary change, and work through the students who need an assignment. An overload is asked
about first (No is the default), never saved silently."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.domain.transport_rules import DAYS, EQUIPMENT
from app.domain.typed_input import parse_date, show_date
from app.errors import UserError
from app.services.student_search import search_students
from app.services.transport import riders, routes
from ui.ops import OpFailed, run_op
from ui.screens.transportation.asking import ask_yes_no, save_asking
from ui.screens.transportation.models import NeedsModel
from ui.screens.transportation.week_plan import WeekPlan
from ui.widgets import combo, fill, form, line, scrolled, selected_row, side_by_side, status, table

NOT_RIDING = "Not riding (no bus)"


class RidersTab(QWidget):
    def __init__(self, desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.ctx = desk.ctx
        self.choices: list[routes.RunChoice] = []
        self.student: riders.Suggestion | None = None
        self.confirm = self._confirm  # replaced by tests with an immediate answer
        self.find = line("Student to assign", "student id or name; Enter finds")
        self.find_button = QPushButton("Find student")
        self.about = QLabel("Find a student, or pick one from the list of students who need an assignment.")
        self.about.setWordWrap(True)
        self.about.setAccessibleName("The student's eligibility and rides")
        self.am_run, self.am_stop = combo("Run to school"), combo("Stop in the morning")
        self.am_stop.setMinimumWidth(280)
        self.pm_run, self.pm_stop = combo("Run home"), combo("Stop in the afternoon")
        self.pm_stop.setMinimumWidth(280)
        self.days = [QCheckBox(d[:3]) for d in DAYS[:5]]
        for box, d in zip(self.days, DAYS):
            box.setChecked(True)
            box.setAccessibleName(f"Rides on {d}")
        self.plan_on_file: riders.PlanOnFile | None = None
        self.clear_button = QPushButton("Clear")
        self.clear_button.setAccessibleName("Drop the changes to the plan")
        self.fill_button = QPushButton("Fill the week")
        self.fill_button.setToolTip("Put the usual runs and stops on every ticked day, both ways")
        self.week = WeekPlan()
        self.wheelchair = QCheckBox("Rides in a wheelchair position")
        self.wheelchair.setAccessibleName("Rides in a wheelchair position")
        self.needs = {e: QCheckBox(e) for e in EQUIPMENT}
        for e, box in self.needs.items():
            box.setAccessibleName(f"Needs a {e}")
        self.release = QCheckBox("Release only to a designated adult (kindergarten always)")
        self.release.setAccessibleName("Release only to a designated adult")
        self.from_day = line("Plan starts on", "MM/DD/YYYY")
        self.assign_button = QPushButton("Assign")
        self.assign_button.setAccessibleName("Assign the plan to the student")
        self.message = status("Rider message")
        self.tc_from, self.tc_to = line("Change from", "MM/DD/YYYY"), line("Change to", "MM/DD/YYYY")
        self.tc_direction = combo("Change applies", ["from school", "to school", "both ways"])
        self.tc_run, self.tc_stop = combo("Run during the change"), combo("Stop during the change")
        self.tc_note = line("Parent's note", "what the parent asked for")
        self.tc_button = QPushButton("Save change")
        self.tc_button.setAccessibleName("Save the temporary change")
        self.needs_model = NeedsModel(self)
        self.needs_view = table("Students who need an assignment", self.needs_model)
        self.needs_refresh = QPushButton("Refresh list")

        inner = QWidget()
        v = QVBoxLayout(inner)
        top = QHBoxLayout()
        top.addWidget(self.find, 1)
        top.addWidget(self.find_button)
        v.addLayout(top)
        v.addWidget(self.about)
        plan = QGroupBox("Plan by day and direction")
        days = QHBoxLayout()
        for b in self.days:
            days.addWidget(b)
        days.addWidget(self.fill_button)
        days.addStretch(1)
        needs = QHBoxLayout()
        needs.addWidget(self.wheelchair)
        for b in self.needs.values():
            needs.addWidget(b)
        needs.addStretch(1)
        form(plan, [("Usually to school", side_by_side(self.am_run, self.am_stop, stretch_first=True)),
                    ("Usually home", side_by_side(self.pm_run, self.pm_stop, stretch_first=True)), ("Days", days),
                    (None, self.week), ("Needs besides the IEP's", needs), ("", self.release),
                    ("Starts on", side_by_side(self.from_day, self.assign_button, self.clear_button))])
        v.addWidget(plan)
        v.addWidget(self.message)
        change = QGroupBox("Temporary change (a parent's note)")
        form(change, [("Dates", side_by_side(self.tc_from, self.tc_to)), ("Applies", self.tc_direction),
                      ("Instead", side_by_side(self.tc_run, self.tc_stop, stretch_first=True)),
                      ("Note", side_by_side(self.tc_note, self.tc_button, stretch_first=True))])
        v.addWidget(change)
        head = QHBoxLayout()
        head.addWidget(QLabel("Eligible students with no assignment"), 1)
        head.addWidget(self.needs_refresh)
        v.addLayout(head)
        v.addWidget(self.needs_view, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolled(inner, "Riders"))
        self.find.returnPressed.connect(self.find_student)
        self.find_button.clicked.connect(self.find_student)
        self.am_run.currentIndexChanged.connect(lambda _i: self._fill_stops(self.am_run, self.am_stop))
        self.pm_run.currentIndexChanged.connect(lambda _i: self._fill_stops(self.pm_run, self.pm_stop))
        self.tc_run.currentIndexChanged.connect(lambda _i: self._fill_stops(self.tc_run, self.tc_stop))
        self.tc_direction.currentIndexChanged.connect(lambda _i: self._fill_change_runs())
        self.assign_button.clicked.connect(self.assign)
        self.fill_button.clicked.connect(self.fill_week)
        self.clear_button.clicked.connect(self.clear_plan)
        for w in (self.wheelchair, self.release, *self.needs.values()):
            w.clicked.connect(self.week._touched)
        self.tc_button.clicked.connect(self.save_change)
        self.needs_refresh.clicked.connect(self.load_needs)
        self.needs_view.doubleClicked.connect(lambda _i: self.pick_needed())
        self.needs_view.activated.connect(lambda _i: self.pick_needed())

    # -- loading --------------------------------------------------------------------------------------
    def set_choices(self, choices: list[routes.RunChoice]) -> None:
        self.choices = choices
        day = show_date(self.desk.day())
        for w in (self.from_day, self.tc_from, self.tc_to):
            if not w.text():
                w.setText(day)
        self._fill_runs()

    def _runs_for(self, direction: str) -> list[routes.RunChoice]:
        school = self.student.school_id if self.student else None
        return [c for c in self.choices if c.direction == direction and (school is None or school in c.school_ids)]

    def _fill_runs(self) -> None:
        am, pm = self._runs_for("to_school"), self._runs_for("from_school")
        fill(self.am_run, [c.name for c in am], data=[c.run_id for c in am])
        fill(self.pm_run, [c.name for c in pm], data=[c.run_id for c in pm])
        self.week.set_choices(am, pm, {c.run_id: c.name for c in self.choices})
        self._fill_change_runs()
        s = self.student
        for run_box, stop_box, run_id, stop_id in ((self.am_run, self.am_stop, s and s.am_run_id, s and s.am_stop_id),
                                                   (self.pm_run, self.pm_stop, s and s.pm_run_id, s and s.pm_stop_id)):
            i = run_box.findData(run_id) if run_id else -1
            if i >= 0:
                run_box.setCurrentIndex(i)
            self._fill_stops(run_box, stop_box)
            j = stop_box.findData(stop_id) if stop_id else -1
            if j >= 0:
                stop_box.setCurrentIndex(j)

    def _fill_change_runs(self) -> None:
        direction = "to_school" if self.tc_direction.currentText() == "to school" else "from_school"
        tc = self._runs_for(direction)
        fill(self.tc_run, [NOT_RIDING] + [c.name for c in tc], data=[None] + [c.run_id for c in tc])
        self._fill_stops(self.tc_run, self.tc_stop)

    def _fill_stops(self, run_box, stop_box) -> None:
        run = next((c for c in self.choices if c.run_id == run_box.currentData()), None)
        stops = run.stops if run else ()
        fill(stop_box, [f"{name} ({t:%H:%M})" for _i, name, t in stops], data=[i for i, _n, _t in stops])

    @asyncSlot()
    async def load_needs(self) -> bool:
        day = self.desk.day()
        try:
            needs = await run_op(self.ctx.run_in(lambda c: riders.needing_assignment(c, day)),
                                 disable=(self.needs_refresh,))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.needs_model.set_rows(needs)
        return True

    # -- the student ----------------------------------------------------------------------------------
    @asyncSlot()
    async def find_student(self) -> bool:
        q, day = self.find.text().strip(), self.desk.day()
        if not q:
            self.message.setText("Type a student id or part of a name first.")
            return False
        if not self._may_replace():
            return False

        def work(c):
            hits = search_students(c, q, limit=2)
            if not hits:
                raise UserError(f"No student matches \"{q}\"; check the spelling or the id.")
            usi = hits[0].student_usi
            return riders.suggestions(c, day, [usi]), riders.rides_on(c, usi, day), riders.plan_of(c, usi, day)
        try:
            found, rides, plan = await run_op(self.ctx.run_in(work), disable=(self.find_button,))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        if not found:
            self.message.setText("That student is not enrolled on that day; the front office enrolls them first.")
            return False
        self.show_student(found[0], rides, plan)
        return True

    def pick_needed(self) -> None:
        s = self.needs_model.row(selected_row(self.needs_view))
        if s is not None and self._may_replace():
            self.show_student(s, ())

    def _may_replace(self) -> bool:
        """Another student while this one's week is edited and not assigned: say so, keep the typing."""
        if self.unsaved_work():
            self.message.setText(f"Assign {self.student.name}'s plan first, or press Clear to drop the changes.")
            return False
        return True

    def show_student(self, s: riders.Suggestion, rides, plan: riders.PlanOnFile | None = None) -> None:
        self.student = s
        now = "; ".join(f"{'to school' if r.direction == 'to_school' else 'home'}: {r.run_name or 'not riding'}"
                        f"{' at ' + r.stop_name if r.stop_name else ''}" for r in rides) or "no bus today"
        self.about.setText(f"{s.name} ({s.student_id}) · {s.grade or ''} · {s.school or ''} · "
                           f"{'eligible' if s.eligible else 'not eligible'}: {s.reason}"
                           f"{' · IEP: ' + s.needs if s.needs else ''}"
                           f"{' · release to a designated adult only' if s.release_to_adult else ''} · today {now}")
        self.plan_on_file = plan
        self._fill_runs()
        self._show_plan()
        self.message.setText("" if plan is None else self.week.problems() or f"Plan on file from "
                             f"{show_date(plan.effective_date)}; change any day and direction, then Assign.")

    def _show_plan(self) -> None:
        """The plan on file, or a week filled from the suggested stops; the needs it carries itself."""
        plan, s = self.plan_on_file, self.student
        self.release.setChecked(bool(plan and plan.release_to_adult))
        # the plan's own needs only: the IEP's count while it is in force, never copied into the plan
        self.wheelchair.setChecked(bool(plan and plan.wheelchair))
        for e, box in self.needs.items():
            box.setChecked(bool(plan and e in plan.equipment))
        if plan is not None:
            self.week.load(plan.legs)
        else:
            self.fill_week()
            self.week.dirty = False

    def clear_plan(self) -> None:
        """Drop the changes: the week shows the plan on file again (or the suggestion)."""
        self._show_plan()
        self.message.setText("Changes dropped.")

    # -- saving ---------------------------------------------------------------------------------------
    async def _confirm(self, warnings: list[str]) -> bool:
        return await ask_yes_no(self, "Overload the run?", "\n\n".join(warnings),
                                "Save it anyway? The run will show as overloaded until it is fixed.")

    async def _save(self, make, button, done: str) -> bool:
        """Run make(confirm) in a transaction; on an overload ask, then run it again confirmed."""
        if not await save_asking(self.ctx, make, button, self.confirm, self.message.setText):
            return False
        self.message.setText(done)
        self.desk.changed()
        return True

    def fill_week(self) -> None:
        """The usual runs and stops on every ticked day, both ways."""
        days = tuple(i + 1 for i, b in enumerate(self.days) if b.isChecked())
        self.week.fill_week(days, (self.am_run.currentData(), self.am_stop.currentData()),
                            (self.pm_run.currentData(), self.pm_stop.currentData()))

    def _plan(self) -> riders.RiderPlan:
        s = self.student
        if s is None:
            raise UserError("Find the student first.")
        start = parse_date(self.from_day.text(), "Plan start")
        legs = self.week.legs()
        if not legs:
            raise UserError("The week has no rides; pick a run for at least one day, or press Fill the week.")
        return riders.RiderPlan(s.student_usi, legs, start, self.release.isChecked(), self.wheelchair.isChecked(),
                                tuple(e for e, b in self.needs.items() if b.isChecked()))

    @asyncSlot()
    async def assign(self) -> bool:
        return await self._assign()

    async def _assign(self) -> bool:
        try:
            plan = self._plan()
        except UserError as err:
            self.message.setText(err.message)
            return False
        name = self.student.name
        ok = await self._save(lambda c, confirmed: riders.assign_rider(c, plan, confirm_overload=confirmed),
                              self.assign_button, f"Assigned {name} from {show_date(plan.effective_date)}.")
        if ok:
            self.week.dirty = False
            self.needs_model.set_rows([r for r in self.needs_model.rows if r.student_usi != plan.student_usi])
        return ok

    @asyncSlot()
    async def save_change(self) -> bool:
        s = self.student
        try:
            if s is None:
                raise UserError("Find the student first.")
            start = parse_date(self.tc_from.text(), "Change from")
            end = parse_date(self.tc_to.text(), "Change to")
        except UserError as err:
            self.message.setText(err.message)
            return False
        direction = {"from school": "from_school", "to school": "to_school"}.get(self.tc_direction.currentText(),
                                                                               "both")
        run_id = self.tc_run.currentData()
        stop_id = self.tc_stop.currentData() if run_id is not None else None
        note = self.tc_note.text()
        return await self._save(
            lambda c, confirmed: riders.add_temporary_change(c, s.student_usi, start, end, direction, run_id, stop_id,
                                                             note, confirm_overload=confirmed),
            self.tc_button, f"Saved the change for {s.name}: {show_date(start)} to {show_date(end)}.")

    # -- unsaved work (the plan form) ------------------------------------------------------------------
    def unsaved_work(self) -> str | None:
        if self.student is None or not self.week.dirty:
            return None
        return f"The bus plan of {self.student.name}, not assigned yet"

    async def save_unsaved(self) -> bool:
        return await self._assign()

    def discard_unsaved(self) -> None:
        if self.student is not None:
            self._show_plan()
