"""The Reports desk: the teacher's grade grid (keyboard only), report cards in batches (school,
grade level or homeroom) built in the background with a progress bar, and transcripts (official or
unofficial) with the FERPA release log. Registrars and the front office use the office parts;
teachers see their own sections."""

from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemDelegate, QAbstractItemView, QStyledItemDelegate, QCheckBox, QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel,
                               QProgressBar, QPushButton, QVBoxLayout, QWidget)

from app.domain.typed_input import parse_date, show_date
from app.errors import UserError
from app.services.grades import entry, report_cards, term_end, transcripts
from app.services.grades.report_card_batch import Batch, CardRenderer
from ui.ops import OpFailed, run_op, spawn
from ui.printing import Printing, Printout
from ui.screens.desk_context import DeskContext
from ui.screens.reports.models import CardsModel, GradeGridModel, ReleasesModel
from ui.screens.tabbed_desk import TabbedDesk
from ui.widgets import combo, fill, form, line, scrolled, selected_row, side_by_side, status, table

OFFICE = ("so_registrar", "so_front_office", "so_admin")


def build_page(ctx: DeskContext) -> QWidget:
    return ReportsPage(ctx)


class _GradeDelegate(QStyledItemDelegate):
    """Enter in a cell being typed commits it and moves to the next student, as in a spreadsheet."""

    def eventFilter(self, editor, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.commitData.emit(editor)
            self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            view = self.parent()
            idx = view.currentIndex()
            if idx.isValid() and idx.row() + 1 < view.model().rowCount():
                view.setCurrentIndex(idx.sibling(idx.row() + 1, idx.column()))
            return True
        return super().eventFilter(editor, event)


class _EnterMovesDown(QObject):
    """In the grade grid Enter saves the cell and moves to the next student, as in a spreadsheet."""

    def __init__(self, view) -> None:
        super().__init__(view)
        self.view = view

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and self.view.state() != QAbstractItemView.State.EditingState:
            idx = self.view.currentIndex()
            if idx.isValid() and idx.row() + 1 < self.view.model().rowCount():
                self.view.setCurrentIndex(idx.sibling(idx.row() + 1, idx.column()))
            return True
        return False


class ReportsPage(TabbedDesk):
    grades_saved = Signal(int)
    batch_progress = Signal(int, int)  # done, total (emitted from the worker, queued to the UI)
    batch_ready = Signal(int)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Reports", parent)
        self.sections: tuple[entry.SectionChoice, ...] = ()
        self.periods: tuple[entry.PeriodChoice, ...] = ()
        self.schools: list[tuple[int, str]] = []
        self.batch: Batch | None = None
        self.issued: transcripts.IssuedTranscript | None = None
        self.student_usi: int | None = None
        self.printing = Printing(self, report=lambda s: self.card_message.setText(s))
        self.transcript_printing = Printing(self, report=lambda s: self.transcript_message.setText(s))
        self.finish((self._grades_tab(), "Grade entry"), (self._cards_tab(), "Report cards"),
                    (self._transcripts_tab(), "Transcripts"))
        QShortcut(QKeySequence.StandardKey.Save, self, activated=lambda: spawn(self.save_grades()))
        self.batch_progress.connect(self._progress)

    def office(self) -> bool:
        return any(g in OFFICE for g in self.ctx.groups())

    async def load_lists(self) -> bool:
        def work(c):
            from sqlalchemy import text
            schools = c.execute(text(
                "SELECT e.educationorganizationid, e.nameofinstitution FROM edfi.educationorganization e "
                "WHERE e.educationorganizationid = ANY (compliance.my_school_ids()) ORDER BY 1")).all()
            return entry.my_sections(c), [(r[0], r[1]) for r in schools]
        try:
            self.sections, self.schools = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.grade_message.setText(err.message)
            return False
        self._loaded = True
        fill(self.section, [s.title for s in self.sections])
        fill(self.card_school, [n for _i, n in self.schools], data=[i for i, _n in self.schools])
        fill(self.transcript_school, [n for _i, n in self.schools], data=[i for i, _n in self.schools])
        for w in (self.office_box, self.cards_box, self.transcripts_box, self.transfer_box, self.diploma_box):
            w.setVisible(self.office())
        if not self.office():
            self.card_message.setText("Report cards are printed by the office.")
            self.transcript_message.setText("Transcripts are issued by the registrar.")
        self.grade_message.setText(f"{len(self.sections)} sections. Pick one and its grading period, then Open grades."
                                   if self.sections else "You have no sections to grade.")
        await self.section_changed()
        await self.card_school_changed()
        return True

    # -- grade entry ------------------------------------------------------------------------------
    def _grades_tab(self) -> QWidget:
        tab = QWidget()
        self.section = combo("Section")
        self.section.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.section.setMinimumContentsLength(28)
        self.period = combo("Grading period")
        self.period.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.period.setMinimumContentsLength(34)  # "2026-2027 Q2 (open until Dec 25)" whole
        self.grade_type = combo("Grade type", entry.GRADE_TYPES, "Grading Period")
        self.open_button = QPushButton("&Open grades")
        self.grid_model = GradeGridModel(self)
        self.grid = table("Grades", self.grid_model)
        self.grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.DoubleClicked)
        self.grid.installEventFilter(_EnterMovesDown(self.grid))
        self.grid.setItemDelegate(_GradeDelegate(self.grid))
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName("Grading scale and comment codes")
        self.reason = line("Reason for the correction", "needed only for a posted grading period")
        self.save_button = QPushButton("&Save grades")
        self.grade_message = status("Grade entry message")
        self.office_box = QGroupBox("Posting windows and end of term (office)")
        self.closes_on = line("Window closes on", "MM/DD/YYYY")
        self.open_window_button = QPushButton("Open &window")
        self.close_window_button = QPushButton("&Post (close window)")
        self.close_term_button = QPushButton("Close &term: transcripts, GPA, rank")
        office = QVBoxLayout(self.office_box)
        office.addLayout(side_by_side(QLabel("Closes on:"), self.closes_on, self.open_window_button,
                                      self.close_window_button))
        office.addLayout(side_by_side(self.close_term_button))
        layout = QVBoxLayout(tab)
        layout.addLayout(side_by_side(self.section, self.period, self.grade_type, self.open_button, stretch_first=True))
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.legend)
        reason_label = QLabel("&Reason for a correction:")
        reason_label.setBuddy(self.reason)
        layout.addLayout(side_by_side(reason_label, self.reason, self.save_button))
        layout.addWidget(self.grade_message)
        layout.addWidget(self.office_box)
        self.section.currentIndexChanged.connect(lambda _i: spawn(self.section_changed()))
        self.open_button.clicked.connect(lambda *_: spawn(self.open_grades()))
        self.save_button.clicked.connect(lambda *_: spawn(self.save_grades()))
        self.open_window_button.clicked.connect(lambda *_: spawn(self.open_window()))
        self.close_window_button.clicked.connect(lambda *_: spawn(self.close_window()))
        self.close_term_button.clicked.connect(lambda *_: spawn(self.close_term()))
        return tab

    def current_section(self) -> entry.SectionChoice | None:
        i = self.section.currentIndex()
        return self.sections[i] if 0 <= i < len(self.sections) else None

    def current_period(self) -> entry.PeriodChoice | None:
        i = self.period.currentIndex()
        return self.periods[i] if 0 <= i < len(self.periods) else None

    async def section_changed(self) -> None:
        sec = self.current_section()
        if sec is None:
            return
        try:
            self.periods = await run_op(self.ctx.run_in(lambda c: entry.periods_of(c, sec.key)))
        except OpFailed as err:
            self.grade_message.setText(err.message)
            return
        today = self.ctx.today()
        current = next((i for i, p in enumerate(self.periods) if p.begin <= today <= p.end), 0)
        fill(self.period, [f"{p.key.name} ({p.window})" for p in self.periods])
        self.period.setCurrentIndex(current)

    async def open_grades(self) -> None:
        sec, per = self.current_section(), self.current_period()
        if sec is None or per is None:
            self.grade_message.setText("Pick a section and a grading period first.")
            return
        gtype = self.grade_type.currentText()
        try:
            sheet = await run_op(self.ctx.run_in(lambda c: entry.grade_sheet(c, sec, per, gtype)),
                                 disable=(self.open_button,))
        except OpFailed as err:
            self.grade_message.setText(err.message)
            return
        self.grid_model.load(sheet)
        self.grid.resizeColumnsToContents()
        if sheet.standards:
            self.legend.setText(" · ".join(f"{s.standard_id.split('.')[-1]}: {s.description}" for s in sheet.standards)
                                + " — marks: " + ", ".join(sorted({b for s in sheet.standards for b in s.scale.symbols})))
        else:
            self.legend.setText(f"Scale {sheet.scale.name}: " + ", ".join(sheet.scale.symbols)
                                + " or a score. Comment codes: "
                                + " · ".join(f"{k} {v}" for k, v in sheet.comment_codes.items()))
        state = ("read only: the posting window is not open" if not sheet.can_write else
                 "posted: changes are corrections and need a reason" if sheet.posted else
                 "reopened: changes to grades posted before need a reason" if per.window.endswith(entry.REOPENED)
                 else "open for grades")
        self.grade_message.setText(f"{len(sheet.rows)} students · {per.key.name} · {gtype} · {state}.")
        self.grid.setFocus()
        if sheet.rows:
            self.grid.setCurrentIndex(self.grid_model.index(0, 1))

    def unsaved_work(self) -> str | None:
        n = len(self.grid_model.changed_students())
        return f"{n} unsaved grade{'s' if n != 1 else ''}" if n else None

    async def save_unsaved(self) -> bool:
        return await self._save()

    def discard_unsaved(self) -> None:
        if self.grid_model.sheet is not None:
            self.grid_model.load(self.grid_model.sheet)

    async def save_grades(self) -> bool:
        return await self._save()

    async def _save(self) -> bool:
        sheet = self.grid_model.sheet
        if sheet is None or not self.grid_model.dirty:
            self.grade_message.setText("There are no changed grades to save.")
            return True
        m = self.grid_model
        changed = m.changed_students()
        if sheet.standards:
            cmd = entry.SaveGrades(sheet.section.key, sheet.period.key, sheet.grade_type,
                                   marks=tuple((u, key, m.values.get((u, "std", key), ""))
                                               for (u, kind, key) in sorted(m.dirty) if kind == "std"),
                                   reason=self.reason.text())
        else:
            cmd = entry.SaveGrades(sheet.section.key, sheet.period.key, sheet.grade_type, tuple(
                entry.GradeEntry(u, m.values.get((u, "grade", ""), ""), m.values.get((u, "comments", ""), ""))
                for u in sorted(changed)), reason=self.reason.text())
        try:
            result = await run_op(self.ctx.run_in(lambda c: entry.save_grades(c, cmd)), disable=(self.save_button,))
        except OpFailed as err:
            self.grade_message.setText(err.message)
            return False
        m.dirty = set()
        self.reason.clear()
        extra = f"; {result.corrections} logged as corrections" if result.corrections else ""
        self.grade_message.setText(f"Saved {result.saved} grade{'s' if result.saved != 1 else ''}{extra}.")
        self.grades_saved.emit(result.saved)
        await self._reload(sheet)
        return True

    async def _reload(self, sheet: entry.GradeSheet) -> None:
        """Show what was stored ("s" typed is "S" saved, "87" is "87" with its letter), on the same cell."""
        at = self.grid.currentIndex()
        try:
            fresh = await run_op(self.ctx.run_in(lambda c: entry.grade_sheet(c, sheet.section, sheet.period,
                                                                              sheet.grade_type)))
        except OpFailed:
            return  # saved all the same; the grid keeps what was typed
        if self.grid_model.sheet is sheet and not self.grid_model.dirty:
            self.grid_model.load(fresh)
            if at.isValid():
                self.grid.setCurrentIndex(self.grid_model.index(at.row(), at.column()))

    async def open_window(self) -> None:
        per = self.current_period()
        if per is None:
            return
        try:
            closes = parse_date(self.closes_on.text(), "Window closes on", required=False)
        except UserError as err:
            self.grade_message.setText(err.message)
            return
        at = datetime.combine(closes, time(23, 59), tzinfo=timezone.utc) if closes else None
        try:
            await run_op(self.ctx.run_in(lambda c: entry.open_window(c, per.key, at)),
                         disable=(self.open_window_button,))
        except OpFailed as err:
            self.grade_message.setText(err.message)
            return
        self.grade_message.setText(f"The posting window for {per.key.name} is open"
                                   + (f" until {show_date(closes)}." if closes else "."))
        await self.section_changed()

    async def close_window(self) -> None:
        per = self.current_period()
        if per is None:
            return
        try:
            await run_op(self.ctx.run_in(lambda c: entry.close_window(c, per.key)), disable=(self.close_window_button,))
        except OpFailed as err:
            self.grade_message.setText(err.message)
            return
        self.grade_message.setText(f"{per.key.name} is posted; changes from now on are corrections with a reason.")
        await self.section_changed()

    async def close_term(self) -> None:
        sec = self.current_section()
        if sec is None:
            return
        k, today = sec.key, self.ctx.today()
        try:
            done = await run_op(self.ctx.run_in(lambda c: term_end.close_term(c, k.school_id, k.school_year,
                                                                              k.session_name, today)),
                                disable=(self.close_term_button,))
        except OpFailed as err:
            self.grade_message.setText(err.message)
            return
        self.grade_message.setText(f"{k.session_name} closed: {done.transcript_rows} transcript lines for "
                                   f"{done.students} students; {done.ranked} ranked.")

    # -- report cards -----------------------------------------------------------------------------
    def _cards_tab(self) -> QWidget:
        inner = QWidget()
        self.cards_box = QGroupBox("Batch")
        self.card_school = combo("School")
        self.card_batch = combo("Students")
        self.card_period = combo("Grading period")
        self.build_button = QPushButton("&Build report cards")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Report cards built")
        self.progress.setFormat("%v of %m report cards")
        self.cards_model = CardsModel(self)
        self.cards_view = table("Report cards built", self.cards_model)
        self.print_button = QPushButton("&Print all…")
        self.print_one_button = QPushButton("Print &selected…")
        self.save_all_button = QPushButton("Save one PDF per student…")
        self.card_message = status("Report card message")
        form(self.cards_box, [("School:", self.card_school), ("Students:", self.card_batch),
                              ("Grading period:", self.card_period), (None, self.build_button)])
        layout = QVBoxLayout(inner)
        layout.addWidget(self.cards_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.cards_view, 1)
        layout.addLayout(side_by_side(self.print_button, self.print_one_button, self.save_all_button))
        layout.addWidget(self.card_message)
        self.printing.attach(self.print_button, self._all_cards, "every report card of the batch (one print job)")
        self.printing.attach(self.print_one_button, self._one_card, "the selected student's report card")
        self.card_school.currentIndexChanged.connect(lambda _i: spawn(self.card_school_changed()))
        self.build_button.clicked.connect(lambda *_: spawn(self.build_cards()))
        self.save_all_button.clicked.connect(self.save_all_cards)
        return scrolled(inner, "Report cards")

    async def card_school_changed(self) -> None:
        school = self.card_school.currentData()
        if school is None:
            return

        def work(c):
            from sqlalchemy import text
            periods = c.execute(text(
                "SELECT gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear, begindate FROM "
                "edfi.gradingperiod WHERE schoolid = :s AND begindate <= :d ORDER BY begindate"),
                {"s": school, "d": self.ctx.today()}).all()
            return report_cards.batch_choices(c, school), [entry.PeriodKey(*r[:4]) for r in periods]
        try:
            choices, periods = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.card_message.setText(err.message)
            return
        fill(self.card_batch, [b.label for b in choices], data=list(choices))
        fill(self.card_period, [p.name for p in periods], data=periods)
        self.card_period.setCurrentIndex(max(0, len(periods) - 1))

    async def build_cards(self) -> None:
        school, choice, period = (self.card_school.currentData(), self.card_batch.currentData(),
                                  self.card_period.currentData())
        if school is None or choice is None or period is None:
            self.card_message.setText("Pick a school, the students and a grading period first.")
            return
        today = self.ctx.today()
        self.progress.setRange(0, 0)
        self.card_message.setText("Reading grades and attendance…")

        def work(c):
            # a homeroom is one chunk; a school or grade level starts its workers while it is read
            with CardRenderer(1 if choice.homeroom else self.processes) as renderer:
                usis = report_cards.batch_students(c, school, choice)
                if not usis:
                    raise UserError(f"No students are enrolled in {choice.label}; pick other students.")
                docs = report_cards.report_cards(c, school, usis, period)
                self.batch_progress.emit(0, len(docs))
                return renderer.render(docs, today, progress=lambda done, total: self.batch_progress.emit(done, total))
        try:
            self.batch = await run_op(self.ctx.run_in(work), disable=(self.build_button,))
        except OpFailed as err:
            self.progress.setRange(0, 1)
            self.card_message.setText(err.message)
            return
        self.cards_model.set_rows(self.batch.cards)
        self.card_message.setText(f"{len(self.batch.cards)} report cards for {choice.label}, {period.name}: "
                                  "print them all as one job, preview, or save one PDF per student.")
        self.batch_ready.emit(len(self.batch.cards))

    processes = 2  # both cores; the batch renders in worker processes

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _all_cards(self) -> Printout | None:
        if self.batch is None or not self.batch.cards:
            self.card_message.setText("Build the report cards first.")
            return None
        period = self.card_period.currentText()
        merged = self.batch.merged
        return Printout("report_card", f"Report cards {self.card_batch.currentText()} {period}",
                        f"report_cards_{period.replace(' ', '_')}.pdf", lambda: merged)

    def _one_card(self) -> Printout | None:
        row = self.cards_model.row(selected_row(self.cards_view))
        if row is None:
            self.card_message.setText("Pick a student's report card in the list first.")
            return None
        return Printout("report_card", f"{row.student_name}'s report card",
                        self.batch.file_name(row, self.card_period.currentText()), lambda: row.pdf)

    def save_all_cards(self) -> None:
        if self.batch is None or not self.batch.cards:
            self.card_message.setText("Build the report cards first.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder for the report cards")
        if folder:
            self.write_cards(Path(folder))

    def write_cards(self, folder: Path) -> None:
        period = self.card_period.currentText()
        for card in self.batch.cards:
            (folder / self.batch.file_name(card, period)).write_bytes(card.pdf)
        (folder / f"report_cards_{period.replace(' ', '_')}_all.pdf").write_bytes(self.batch.merged)
        self.card_message.setText(f"Saved {len(self.batch.cards)} report cards and the print file in {folder}.")

    # -- transcripts ------------------------------------------------------------------------------
    def _transcripts_tab(self) -> QWidget:
        inner = QWidget()
        self.transcripts_box = QGroupBox("Issue a transcript")
        self.transcript_school = combo("School")
        self.student_id = line("Student id", "student id, e.g. 604013")
        self.official = QCheckBox("Official copy (signature, seal, document number)")
        self.official.setAccessibleName("Official copy")
        self.issue_button = QPushButton("&Issue transcript")
        self.print_transcript_button = QPushButton("Print transcript…")
        self.transcript_message = status("Transcript message")
        self.requested_by = line("Who asked", "the student, a parent, the requesting school")
        self.recipient = line("Recipient", "e.g. Admissions, State University")
        self.legal_basis = combo("Legal basis", transcripts.LEGAL_BASES)
        self.release_on = line("Release date", "MM/DD/YYYY", show_date(self.ctx.today()))
        self.release_button = QPushButton("&Record release")
        self.releases_model = ReleasesModel(self)
        self.releases_view = table("Release log", self.releases_model)
        form(self.transcripts_box, [("School:", self.transcript_school), ("Student id:", self.student_id),
                                    (None, self.official),
                                    (None, side_by_side(self.issue_button, self.print_transcript_button)),
                                    ("Who asked:", self.requested_by), ("Recipient:", self.recipient),
                                    ("Legal basis:", self.legal_basis), ("Release date:", self.release_on),
                                    (None, self.release_button)])
        self.transfer_box = QGroupBox("Transfer credit from another school (for the student id above)")
        self.transfer_from = line("From school", "e.g. Lakeside High School (Austin, TX)")
        self.transfer_year = line("School year ending", "e.g. 2026 for 2025-2026")
        self.transfer_term = combo("Term", ("Fall Semester", "Spring Semester", "Summer Semester", "Year Round"))
        self.transfer_course = line("Counts as course", "district course code, e.g. ALG1")
        self.transfer_title = line("Title there", "the course's title on their transcript")
        self.transfer_grade = line("Grade", "A-F")
        self.transfer_credits = line("Credits", "e.g. 0.5")
        self.transfer_button = QPushButton("Add &transfer credit")
        form(self.transfer_box, [("From school:", self.transfer_from),
                                 ("School year:", side_by_side(self.transfer_year, self.transfer_term)),
                                 ("Counts as:", side_by_side(self.transfer_course, self.transfer_title)),
                                 ("Grade, credits:", side_by_side(self.transfer_grade, self.transfer_credits)),
                                 (None, self.transfer_button)])
        self.transfer_button.clicked.connect(lambda *_: spawn(self.add_transfer()))
        self.diploma_box = QGroupBox("Graduation (for the student id above)")
        self.diploma_type = combo("Diploma type", transcripts.DIPLOMA_TYPES)
        self.graduated_on = line("Graduation date", "MM/DD/YYYY")
        self.diploma_button = QPushButton("Record &diploma")
        form(self.diploma_box, [("Diploma:", side_by_side(self.diploma_type, self.graduated_on)),
                                (None, self.diploma_button)])
        self.diploma_button.clicked.connect(lambda *_: spawn(self.award_diploma()))
        layout = QVBoxLayout(inner)
        layout.addWidget(self.transcripts_box)
        layout.addWidget(self.transfer_box)
        layout.addWidget(self.diploma_box)
        layout.addWidget(QLabel("Release log (FERPA 34 CFR 99.32) of this student:"))
        layout.addWidget(self.releases_view, 1)
        layout.addWidget(self.transcript_message)
        self.transcript_printing.attach(self.print_transcript_button, self._transcript_printout, "the transcript")
        self.issue_button.clicked.connect(lambda *_: spawn(self.issue()))
        self.release_button.clicked.connect(lambda *_: spawn(self.record_release()))
        self.student_id.returnPressed.connect(lambda *_: spawn(self.show_releases()))
        return scrolled(inner, "Transcripts")

    async def _student(self) -> int | None:
        uid = self.student_id.text().strip()
        if not uid:
            self.transcript_message.setText("Type the student's id first.")
            return None

        def work(c):
            from sqlalchemy import text
            usi = c.execute(text("SELECT studentusi FROM edfi.student WHERE studentuniqueid = :u"), {"u": uid}).scalar()
            if usi is None:
                raise UserError(f"No student with id {uid} is one of your school's; check the id.")
            return usi
        try:
            return await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.transcript_message.setText(err.message)
            return None

    async def show_releases(self) -> None:
        usi = await self._student()
        if usi is not None:
            await self._load_releases(usi)

    async def _load_releases(self, usi: int) -> None:
        self.student_usi = usi
        try:
            rows = await run_op(self.ctx.run_in(lambda c: transcripts.releases_for_student(c, usi)))
        except OpFailed as err:
            self.transcript_message.setText(err.message)
            return
        self.releases_model.set_rows(rows)

    async def issue(self) -> None:
        usi = await self._student()
        school = self.transcript_school.currentData()
        if usi is None or school is None:
            return
        official, today = self.official.isChecked(), self.ctx.today()
        try:
            self.issued = await run_op(self.ctx.run_in(
                lambda c: transcripts.issue_transcript(c, usi, school, official, today)), disable=(self.issue_button,))
        except OpFailed as err:
            self.transcript_message.setText(err.message)
            return
        kind = "Official" if official else "Unofficial"
        self.transcript_message.setText(f"{kind} transcript {self.issued.document_number} issued ({self.issued.pages} "
                                        f"pages, SHA-256 {self.issued.sha256[:16]}…). Print it, then record the release.")
        await self._load_releases(usi)

    def _transcript_printout(self) -> Printout | None:
        if self.issued is None:
            self.transcript_message.setText("Issue the transcript first.")
            return None
        issued = self.issued
        return Printout("transcript", f"Transcript {issued.document_number}", f"transcript_{issued.document_number}.pdf",
                        lambda: issued.pdf)

    async def record_release(self) -> None:
        if self.issued is None or self.student_usi is None:
            self.transcript_message.setText("Issue the transcript first; a release names the document sent.")
            return
        try:
            day = parse_date(self.release_on.text(), "Release date") or self.ctx.today()
        except UserError as err:
            self.transcript_message.setText(err.message)
            return
        release = transcripts.Release(self.student_usi, self.issued.document_number, self.requested_by.text(),
                                      self.recipient.text(), self.legal_basis.currentText(), day)
        try:
            await run_op(self.ctx.run_in(lambda c: transcripts.record_release(c, release)),
                         disable=(self.release_button,))
        except OpFailed as err:
            self.transcript_message.setText(err.message)
            return
        self.transcript_message.setText(f"Release of {release.document_number} to {release.recipient.strip()} recorded.")
        self.requested_by.clear()
        self.recipient.clear()
        await self._load_releases(self.student_usi)


    async def add_transfer(self) -> None:
        usi = await self._student()
        school = self.transcript_school.currentData()
        if usi is None or school is None:
            return
        try:
            year = int(self.transfer_year.text().strip())
        except ValueError:
            self.transcript_message.setText("Type the school year as the year it ends, e.g. 2026 for 2025-2026.")
            return
        tc = term_end.TransferCredit(usi, school, self.transfer_from.text(), year, self.transfer_term.currentText(),
                                     self.transfer_course.text().strip().upper(), self.transfer_title.text(),
                                     self.transfer_grade.text(), self.transfer_credits.text())
        today = self.ctx.today()
        try:
            await run_op(self.ctx.run_in(lambda c: term_end.enter_transfer_credit(c, tc, today)),
                         disable=(self.transfer_button,))
        except OpFailed as err:
            self.transcript_message.setText(err.message)
            return
        self.transcript_message.setText(f"Transfer credit {tc.course_code} from {tc.from_institution.strip()} added; "
                                        "GPA and rank recomputed.")
        for w in (self.transfer_course, self.transfer_title, self.transfer_grade, self.transfer_credits):
            w.clear()

    async def award_diploma(self) -> None:
        usi = await self._student()
        school = self.transcript_school.currentData()
        if usi is None or school is None:
            return
        try:
            on = parse_date(self.graduated_on.text(), "Graduation date")
        except UserError as err:
            self.transcript_message.setText(err.message)
            return
        kind, today = self.diploma_type.currentText(), self.ctx.today()
        try:
            said = await run_op(self.ctx.run_in(lambda c: transcripts.award_diploma(c, usi, school, kind, on, today)),
                                disable=(self.diploma_button,))
        except OpFailed as err:
            self.transcript_message.setText(err.message)
            return
        self.transcript_message.setText(f"{said}: recorded; transcripts issued from now on say so.")
