"""The Attendance desk: take a section's (or a homeroom's) attendance from the keyboard, and the
office's views: sections not taken yet (each opens its roster), the day's absences, ADA/ADM by
school and chronic absence."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.domain.attendance_keys import PREFERRED, keys_for
from app.domain.attendance_rollup import PRESENT, RollupRule
from app.services.attendance import Roster, load_roster, save_roster
from app.services.attendance_office import averages_by_school, chronic_absence, daily_absences, sections_for_day
from ui.ops import OpFailed, run_op, spawn
from ui.screens.attendance.office_table_models import (AbsenceModel, AveragesModel, ChronicModel, DayActivityModel,
                                                      SectionDayModel)
from ui.screens.attendance.office_mark_question import confirm_office_overwrite
from ui.screens.attendance.roster_table_model import RosterTableModel
from ui.screens.desk_context import DeskContext
from ui.screens.tabbed_desk import TabbedDesk
from ui.text import plural
from ui.widgets import combo, fill, scrolled, selected_row, status, table


def qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def date_edit(name: str, d: date) -> QDateEdit:
    w = QDateEdit(qdate(d), calendarPopup=True)
    w.setDisplayFormat("ddd MM/dd/yyyy")
    w.setAccessibleName(name)
    return w


class ElidedCombo(QComboBox):
    """A picker that fits the room it has: a name too long for it ends in "…", and the full name is
    its tooltip (and each entry's in the list), instead of being cut off mid-letter."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setAccessibleName(name)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(30)  # a usual "RHS · Period 2 · Algebra I (28)" whole
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.currentIndexChanged.connect(lambda _i: self.setToolTip(self.currentText()))
        self.model().rowsInserted.connect(self._tooltips)

    def _tooltips(self, *_a) -> None:
        for i in range(self.count()):
            self.setItemData(i, self.itemText(i), Qt.ItemDataRole.ToolTipRole)
        self.setToolTip(self.currentText())

    def text_room(self) -> int:
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        return self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                           QStyle.SubControl.SC_ComboBoxEditField, self).width()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt naming)
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        opt.currentText = self.fontMetrics().elidedText(opt.currentText, Qt.TextElideMode.ElideRight,
                                                        self.text_room())
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)


class _GridKeys(QObject):
    """Letters on the grid set the current student's mark and move to the next student."""

    def __init__(self, page: AttendancePage) -> None:
        super().__init__(page)
        self.page = page

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.KeyPress and event.text() and event.modifiers() in (
                Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            return self.page.key_pressed(event.text().upper())
        return False


class AttendancePage(TabbedDesk):
    attendance_saved = Signal(int)  # marks changed
    roster_loaded = Signal(int)  # students on the roster

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Attendance", parent)
        self.keys: dict[str, str] = {}
        self.sections = []
        self.finish((self._take_tab(), "Take attendance"), (self._office_tab(), "Office"))
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        self._made_on = self.ctx.today()

    def activate(self) -> None:
        self._follow_today()
        super().activate()

    def _follow_today(self) -> None:
        """A desk made on an earlier day opens on today: the window makes the desks at a sign-out and keeps them
        over a lock or a session's end, so a teacher signing in the next morning found yesterday's sections (and
        marks saved to yesterday). A day someone chose on the desk, and a roster with unsaved marks, stay."""
        today, made_on = self.ctx.today(), self._made_on
        if today == made_on or self.unsaved_work():
            return
        self._made_on = today
        shift = today - made_on
        for edit in (self.day, self.office_day, self.avg_from, self.avg_to):
            before = edit.date().toPython()
            if before in (made_on, made_on - timedelta(days=30)):  # as made, not as chosen
                edit.blockSignals(True)
                edit.setDate(qdate(before + shift))
                edit.blockSignals(False)
        self._day_shown = self.day.date()
        if self._loaded and self.day.date().toPython() == today:
            spawn(self.load_sections())

    # -- taking attendance --------------------------------------------------------------------
    def _take_tab(self) -> QWidget:
        tab = QWidget()
        self.day = date_edit("Attendance day", self.ctx.today())
        self.mine_only = QCheckBox("Only my sections")
        self.mine_only.setAccessibleName("Only my sections")
        self.section = ElidedCombo("Section")
        self.open_button = QPushButton("Open roster")
        self.open_button.setAccessibleName("Open roster")
        self.legend = QLabel("")
        self.legend.setObjectName("deskNote")
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName("Attendance keys")
        self.roster_model = RosterTableModel(self)
        self.grid = table("Roster", self.roster_model)
        self.grid.installEventFilter(_GridKeys(self))
        self.all_present = QPushButton("Mark all present")
        self.all_present.setAccessibleName("Mark all present")
        self.save_button = QPushButton("Save attendance")
        self.save_button.setAccessibleName("Save attendance")
        self.save_button.setDefault(True)
        self.message = status("Attendance message")
        top = QHBoxLayout()
        for w in (QLabel("Day"), self.day, self.mine_only):
            top.addWidget(w)
        top.addStretch(1)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Section"))
        pick.addWidget(self.section, 1)  # as wide as the row allows: long section names stay readable
        pick.addWidget(self.open_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.all_present)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.message, 1)
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addLayout(pick)
        layout.addWidget(self.legend)
        layout.addWidget(self.grid, 1)
        layout.addLayout(bottom)
        self._day_shown = self.day.date()
        self.day.dateChanged.connect(self._day_or_filter_changed)
        self.mine_only.toggled.connect(self._day_or_filter_changed)
        self.open_button.clicked.connect(self.ask_then_open_roster)
        self.all_present.clicked.connect(self.mark_all_present)
        self.save_button.clicked.connect(self.save)
        self.roster_model.problem.connect(self.message.setText)
        return scrolled(tab, "Take attendance")

    async def load_lists(self) -> bool:
        """The first time the desk opens: a teacher starts with their own sections."""
        self.mine_only.blockSignals(True)
        self.mine_only.setChecked("so_teacher" in self.ctx.groups())
        self.mine_only.blockSignals(False)
        return await self.load_sections() >= 0

    def selected_day(self) -> date:
        return self.day.date().toPython()

    # -- unsaved marks (ui/unsaved.py asks before they are lost) ---------------------------------
    def unsaved_work(self) -> str | None:
        roster = self.roster_model.roster
        n = self.roster_model.changed() if roster is not None else 0
        return f"{plural(n, 'unsaved mark')} for {roster.title}" if n else None

    async def save_unsaved(self) -> bool:
        return await self._save()

    def discard_unsaved(self) -> None:
        if self.roster_model.roster is not None:
            self.roster_model.load(self.roster_model.roster)  # back to the marks as saved

    def ask_then_open_roster(self) -> None:
        """Open roster (the button): a roster with unsaved marks on screen is not replaced without asking.
        The section picked now is the one opened, also after saving the other one first."""
        i = self.section.currentIndex()
        if i < 0 or i >= len(self.sections):
            self.message.setText("Pick a section first.")
            return
        key, day = self.sections[i].key, self.selected_day()

        def go() -> None:
            self.choose_section(key)
            spawn(self._load_roster(key, day))
        if self.settle_unsaved(then=go) == "go":
            go()

    def _day_or_filter_changed(self, *_a) -> None:
        """A new day (or the "only my sections" filter) lists other sections: ask about unsaved marks
        first; Cancel puts the day and the filter back as they were."""
        answer = self.settle_unsaved(then=lambda: spawn(self.load_sections()))
        if answer == "stay":
            for w in (self.day, self.mine_only):
                w.blockSignals(True)
            self.day.setDate(self._day_shown)
            if self._mine_shown is not None:
                self.mine_only.setChecked(self._mine_shown)
            for w in (self.day, self.mine_only):
                w.blockSignals(False)
            return
        self._day_shown = self.day.date()
        if answer == "go":
            spawn(self.load_sections())

    _mine_shown: bool | None = None

    @asyncSlot()
    async def load_sections(self) -> int:
        return await self._read_sections(announce=True)

    async def _read_sections(self, announce: bool) -> int:
        """List the day's sections; the section picked stays picked when it is still listed.
        announce=False keeps the message line as it is (a save's confirmation stays visible)."""
        day, mine = self.selected_day(), self.mine_only.isChecked()
        self._day_shown, self._mine_shown = self.day.date(), mine
        i = self.section.currentIndex()
        keep = self.sections[i].key if 0 <= i < len(self.sections) else None
        try:
            own = tuple(getattr(self.ctx.user(), "school_ids", ()) or ())  # the user's own schools first
            sections = await run_op(self.ctx.run_in(
                lambda c: sections_for_day(c, day, mine_only=mine, first_schools=own)))
        except OpFailed as err:
            self.message.setText(err.message)
            return -1
        self._loaded = True
        self.sections = sections
        fill(self.section, [f"{s.school} · {s.period or ''} · {s.title} ({s.students})"
                            + (" ✓ taken" if s.taken else "") for s in self.sections])
        if keep is not None:
            self.choose_section(keep)
        if not announce:
            return len(self.sections)
        if not self.sections:
            self.message.setText(f"No sections meet on {day:%A, %B %d}" + (" that you teach." if mine else "."))
        else:
            self.message.setText(f"{plural(len(self.sections), 'section')} "
                                 f"{'meets' if len(self.sections) == 1 else 'meet'} on {day:%A, %B %d}; "
                                 f"{sum(1 for s in self.sections if not s.taken)} not taken yet.")
        return len(self.sections)

    def choose_section(self, key) -> bool:
        for i, s in enumerate(self.sections):
            if s.key == key:
                self.section.setCurrentIndex(i)
                return True
        return False

    @asyncSlot()
    async def open_roster(self) -> Roster | None:
        i = self.section.currentIndex()
        if i < 0 or i >= len(self.sections):
            self.message.setText("Pick a section first.")
            return None
        return await self._load_roster(self.sections[i].key, self.selected_day())

    async def _load_roster(self, key, day: date) -> Roster | None:
        try:
            roster = await run_op(self.ctx.run_in(lambda c: load_roster(c, key, day)), disable=(self.open_button,))
        except OpFailed as err:
            self.message.setText(err.message)
            return None
        self.roster_model.load(roster)
        self.keys = keys_for(roster.codes)
        order = {c: i for i, c in enumerate(PREFERRED)}
        shown = sorted(self.keys.items(), key=lambda kc: (order.get(kc[1], 99), kc[1]))
        self.legend.setText("Keys: " + " · ".join(f"{k} {c}" for k, c in shown) +
                            ". Type a time in Arrival for a tardy student.")
        state = "Attendance was taken; changes are a late correction and are audited." if roster.taken \
            else "Not taken yet: press Mark all present, then type the exceptions."
        self.message.setText(f"{roster.title}, {day:%A, %B %d}: {plural(len(roster.lines), 'student')}. {state}")
        self.grid.setFocus()
        if roster.lines:
            self.grid.setCurrentIndex(self.roster_model.index(0, RosterTableModel.COL_MARK))
        self.roster_loaded.emit(len(roster.lines))
        return roster

    def key_pressed(self, key: str) -> bool:
        if key not in self.keys or self.roster_model.roster is None:
            return False
        row = max(self.grid.currentIndex().row(), 0)
        code = self.keys[key]
        arrival = None
        if code == "Tardy" and self.selected_day() == self.ctx.today():
            arrival = self.ctx.now().time().replace(second=0, microsecond=0)
        if self.roster_model.needs_confirmation(row, code) and not confirm_office_overwrite(  # a suspension, say
                self, self.roster_model.rows[row].name, self.roster_model.office_note(row), code):
            return True
        self.roster_model.set_mark(row, code, arrival)
        nxt = min(row + 1, self.roster_model.rowCount() - 1)
        self.grid.setCurrentIndex(self.roster_model.index(nxt, RosterTableModel.COL_MARK))
        return True

    def mark_all_present(self) -> None:
        if self.roster_model.roster is None:
            self.message.setText("Open a roster first.")
            return
        before = len(self.roster_model.unmarked())
        n = self.roster_model.mark_all_present(PRESENT)
        had = self.roster_model.rowCount() - before  # saved or typed marks are kept as they are
        if n == 0:
            self.message.setText(f"Every student already has a mark ({plural(had, 'student')}); nothing was "
                                 "changed. Type a key on a student to change their mark.")
            return
        self.message.setText(f"{plural(n, 'student')} without a mark now marked present"
                             + (f"; {had} already had a mark and keep it" if had else "")
                             + "; type the exceptions, then save.")

    @asyncSlot()
    async def save(self) -> bool:
        return await self._save()

    async def _save(self) -> bool:
        roster = self.roster_model.roster
        if roster is None:
            self.message.setText("Open a roster first.")
            return False
        missing = self.roster_model.unmarked()
        if missing:
            names = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            self.message.setText(f"{names} {'has' if len(missing) == 1 else 'have'} no mark yet; mark them or press "
                                 "Mark all present.")
            return False
        marks = dict(self.roster_model.marks)
        key, day, actor, today = roster.section, roster.day, self.ctx.actor(), self.ctx.today()
        now = datetime.now(timezone.utc)
        rule = self.ctx.rollup_rule() or RollupRule()
        try:
            result = await run_op(self.ctx.run_in(
                lambda c: save_roster(c, key, day, marks, actor=actor, now=now, today=today, rule=rule)),
                disable=(self.save_button, self.all_present))
        except OpFailed as err:
            self.message.setText(err.message + " Nothing was saved; the marks stay on screen.")
            return False
        self.choose_section(key)  # the picker shows the section just saved, whatever it showed before
        await self._load_roster(key, day)
        # The confirmation stays until the next action: the list refresh below keeps the picker on
        # this section and leaves the message line alone.
        self.message.setText(f"Saved: {plural(result.saved, 'student')}, {plural(result.changed, 'mark')} changed.")
        self.attendance_saved.emit(result.changed)
        await self._read_sections(announce=False)
        return True

    # -- the office ------------------------------------------------------------------------------
    def _office_tab(self) -> QWidget:
        tab = QWidget()
        self.office_day = date_edit("Office day", self.ctx.today())
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setAccessibleName("Refresh the office lists")
        self.office_message = status("Office message")
        self.due_model = SectionDayModel(self)
        self.due_view = table("Sections not taken", self.due_model)
        self.open_due = QPushButton("Take attendance for this section")
        self.open_due.setAccessibleName("Take attendance for the selected section")
        self.absence_model = AbsenceModel(self)
        self.absence_view = table("Absences", self.absence_model)
        self.avg_from = date_edit("ADA from", self.ctx.today() - timedelta(days=30))
        self.avg_to = date_edit("ADA to", self.ctx.today())
        self.avg_button = QPushButton("Compute ADA and ADM")
        self.avg_model = AveragesModel(self)
        self.avg_view = table("ADA and ADM by school", self.avg_model)
        self.chronic_school = combo("School for chronic absence")
        self.chronic_button = QPushButton("Find chronic absence")
        self.chronic_model = ChronicModel(self)
        self.chronic_view = table("Chronically absent students", self.chronic_model)
        self.activity_model = DayActivityModel(self)
        self.activity_view = table("The day's activity", self.activity_model)
        self.office_tabs = QTabWidget()
        self.office_tabs.setAccessibleName("Office lists")
        # Beside the profile panel at 1280x720 the lists get ~600 px: the long text column shares the
        # room left (elided, the cell's tooltip has it whole), so the last column is never off to the right
        for view, col in ((self.due_view, SectionDayModel.HEADERS.index("Section")),
                          (self.absence_view, AbsenceModel.HEADERS.index("Reason")),
                          (self.chronic_view, ChronicModel.HEADERS.index("Student")),
                          (self.activity_view, DayActivityModel.HEADERS.index("What happened"))):
            view.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)

        due = QWidget()
        v = QVBoxLayout(due)
        v.addWidget(QLabel("Sections that meet today and have no attendance yet. Open one to take it.", wordWrap=True))
        v.addWidget(self.due_view, 1)
        v.addWidget(self.open_due)
        self.office_tabs.addTab(due, "Not taken")
        absent = QWidget()
        QVBoxLayout(absent).addWidget(self.absence_view)
        self.office_tabs.addTab(absent, "Absences")
        avg = QWidget()
        v = QVBoxLayout(avg)
        row = QHBoxLayout()
        for w in (QLabel("From"), self.avg_from, QLabel("to"), self.avg_to, self.avg_button):
            row.addWidget(w)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self.avg_view, 1)
        self.office_tabs.addTab(avg, "ADA and ADM")
        chronic = QWidget()
        v = QVBoxLayout(chronic)
        row = QHBoxLayout()
        for w in (QLabel("School"), self.chronic_school, self.chronic_button):
            row.addWidget(w)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(QLabel("Absent 10% or more of enrolled days, after at least 10 days enrolled, this school year.",
                           wordWrap=True))
        v.addWidget(self.chronic_view, 1)
        self.office_tabs.addTab(chronic, "Chronic absence")
        activity = QWidget()
        v = QVBoxLayout(activity)
        v.addWidget(QLabel("Every attendance mark, enrollment change and discipline entry of the day, across "
                           "students (from DynamoDB; new entries appear once delivered).", wordWrap=True))
        v.addWidget(self.activity_view, 1)
        self.office_tabs.addTab(activity, "Activity")

        layout = QVBoxLayout(tab)
        top = QHBoxLayout()
        for w in (QLabel("Day"), self.office_day, self.refresh_button):
            top.addWidget(w)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addWidget(self.office_tabs, 1)
        layout.addWidget(self.office_message)
        self.refresh_button.clicked.connect(self.refresh_office)
        self.open_due.clicked.connect(self.ask_then_take_selected_due)
        self.due_view.activated.connect(self.ask_then_take_selected_due)
        self.avg_button.clicked.connect(self.compute_averages)
        self.chronic_button.clicked.connect(self.find_chronic)
        self.tabs.currentChanged.connect(lambda i: self.refresh_office() if i == 1 else None)
        return scrolled(tab, "Office")

    @asyncSlot()
    async def refresh_office(self) -> tuple[int, int]:
        day = self.office_day.date().toPython()
        # a school's office sees its own schools' sections; the district office sees them all
        district = bool({"so_admin", "so_registrar"} & set(self.ctx.groups()))
        schools = set(getattr(self.ctx.user(), "school_ids", ()) or ()) if not district else set()

        def work(c):
            from app.services.enrollment import enrollment_choices

            due = [s for s in sections_for_day(c, day) if not s.taken and (not schools or s.key.school_id in schools)]
            return due, daily_absences(c, day), [(s.name, s.school_id) for s in enrollment_choices(c).schools]
        try:
            due, absences, schools = await run_op(self.ctx.run_in(work), disable=(self.refresh_button,))
        except OpFailed as err:
            self.office_message.setText(err.message)
            return -1, -1
        self.due_model.set_rows(due)
        self.absence_model.set_rows(absences)
        if self.chronic_school.count() == 0:
            fill(self.chronic_school, [n for n, _ in schools], data=[i for _, i in schools])
        self.office_message.setText(f"{day:%A, %B %d}: {plural(len(due), 'section')} not taken yet; "
                                    f"{plural(len(absences), 'student')} absent or partly absent.")
        await self.load_day_activity(day)
        return len(due), len(absences)

    async def load_day_activity(self, day: date) -> int:
        """The day's activity through DynamoDB GSI1; discipline entries only for those who may read them."""
        from app.domain.activity_text import is_sensitive
        from app.dynamo.timeline import day_activity

        client = self.ctx.dynamo()
        if client is None:
            self.activity_model.set_rows([])
            return -1
        try:
            page = await run_op(day_activity, client, day.isoformat())
        except OpFailed:
            self.activity_model.set_rows([])
            return -1
        discipline = bool({"so_dean", "so_admin", "so_registrar"} & set(self.ctx.groups()))
        rows = [a for a in page.items if discipline or not is_sensitive(a.activity_type)]
        self.activity_model.set_rows(sorted(rows, key=lambda a: a.timestamp, reverse=True))
        return len(rows)

    def ask_then_take_selected_due(self, *_a) -> None:
        if self.settle_unsaved(then=lambda: spawn(self.take_selected_due())) == "go":
            spawn(self.take_selected_due())

    @asyncSlot()
    async def take_selected_due(self) -> bool:
        s = self.due_model.row(selected_row(self.due_view))
        if s is None:
            self.office_message.setText("Pick a section in the list first.")
            return False
        self.tabs.setCurrentIndex(0)
        self.day.blockSignals(True)
        self.day.setDate(self.office_day.date())
        self.day.blockSignals(False)
        self.mine_only.blockSignals(True)
        self.mine_only.setChecked(False)
        self.mine_only.blockSignals(False)
        await self.load_sections()
        if not self.choose_section(s.key):
            return False
        return await self.open_roster() is not None

    @asyncSlot()
    async def compute_averages(self) -> int:
        a, b = self.avg_from.date().toPython(), self.avg_to.date().toPython()
        if b < a:
            self.office_message.setText("The end date is before the start date; swap them.")
            return -1
        try:
            rows = await run_op(self.ctx.run_in(lambda c: averages_by_school(c, a, b)), disable=(self.avg_button,))
        except OpFailed as err:
            self.office_message.setText(err.message)
            return -1
        self.avg_model.set_rows(rows)
        self.office_message.setText(f"ADA and ADM from {a:%m/%d/%Y} to {b:%m/%d/%Y}.")
        return len(rows)

    @asyncSlot()
    async def find_chronic(self) -> int:
        school = self.chronic_school.currentData()
        if school is None:
            await self.refresh_office()
            school = self.chronic_school.currentData()
        today = self.ctx.today()
        start = date(today.year if today.month >= 7 else today.year - 1, 7, 1)
        try:
            rows = await run_op(self.ctx.run_in(lambda c: chronic_absence(c, school, start, today)),
                                disable=(self.chronic_button,))
        except OpFailed as err:
            self.office_message.setText(err.message)
            return -1
        self.chronic_model.set_rows(rows)
        self.office_message.setText(f"{plural(len(rows), 'student')} at {self.chronic_school.currentText()} "
                                    f"{'is' if len(rows) == 1 else 'are'} chronically absent.")
        return len(rows)
