"""The Immunizations tab of the nurse desk: the school's students not fully compliant (refreshed in
the background when records changed), the reports a state survey asks for, letters and the
exclusion list; beside it the chosen student's status, forecast and what to tell the family."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.services.immunizations import reports as imm_reports
from app.services.nurse.common import (IMMUNIZATION_EXCLUSIONS_PRINTED, IMMUNIZATION_LETTERS_PRINTED,
                                       IMMUNIZATION_LIST, IMMUNIZATION_SURVEY_PRINTED, logged)
from ui.ops import OpFailed, run_op
from ui.printing import Printing, Printout
from ui.screens.desk_context import DeskContext
from ui.screens.immunizations.models import ShortListModel
from ui.screens.immunizations.student_status import StudentImmunizationStatus
from ui.widgets import combo, fill, selected_row, status, table


class ImmunizationsTab(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.survey = None
        self.setAccessibleName("Immunizations")
        self.school = combo("School")
        self.school.currentIndexChanged.connect(lambda _i: self.on_refresh())
        self.refresh = QPushButton("&Refresh statuses")
        self.refresh.clicked.connect(self.on_refresh)
        self.summary = status("School immunization summary")
        self.short = ShortListModel(self)
        self.short_view = table("Students not fully compliant", self.short)
        self.short_view.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._open(cur.row()))
        self.survey_button = QPushButton("State survey report…")
        self.letters_button = QPushButton("Letters to families…")
        self.exclusions_button = QPushButton("Exclusion list…")
        self.rules_button = QPushButton("Requirements…")
        self.rules_button.clicked.connect(self.on_rules)
        self.student = StudentImmunizationStatus(ctx)
        self.printing = Printing(self, self.summary.setText,
                                 busy=(self.survey_button, self.letters_button, self.exclusions_button))
        self.printing.attach(self.survey_button, lambda: self._printout("survey"), "the survey report")
        self.printing.attach(self.letters_button, lambda: self._printout("letters"), "the letters")
        self.printing.attach(self.exclusions_button, lambda: self._printout("exclusions"), "the exclusion list")
        left = QWidget()
        top = QHBoxLayout()
        top.addWidget(QLabel("School"))
        top.addWidget(self.school, 1)
        top.addWidget(self.refresh)
        printouts = QHBoxLayout()
        for b in (self.survey_button, self.letters_button, self.exclusions_button, self.rules_button):
            printouts.addWidget(b)
        col = QVBoxLayout(left)
        col.addLayout(top)
        col.addWidget(self.summary)
        col.addWidget(self.short_view, 1)
        col.addLayout(printouts)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.student)
        split.setStretchFactor(1, 1)
        QVBoxLayout(self).addWidget(split)

    # -- what the nurse page calls -------------------------------------------------------------
    def show_student(self, usi: int) -> None:
        self.student.show_student(usi)

    def record_changed(self, usi: int) -> None:
        self.student.record_changed(usi)

    async def load_lists(self) -> bool:
        """The user's schools, then the first school's statuses."""
        def work(c):
            from app.services.enrollment import enrollment_choices

            return [(s.school_id, s.name) for s in enrollment_choices(c).schools]
        try:
            schools = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.summary.setText(err.message)
            return False
        mine = set(getattr(self.ctx.user(), "school_ids", ()) or ())
        schools = [s for s in schools if not mine or s[0] in mine] or schools
        fill(self.school, [n for _i, n in schools], data=[i for i, _n in schools])
        return await self.load_school()

    def school_id(self) -> int | None:
        return self.school.currentData()

    async def load_school(self) -> bool:
        school, day = self.school_id(), self.ctx.today()
        if school is None:
            return False
        self.summary.setText("Evaluating the school's immunizations…")
        try:
            survey = await run_op(self.ctx.run_in(lambda c: _survey(c, school, day, IMMUNIZATION_LIST)),
                                  disable=(self.refresh,))
        except OpFailed as err:
            self.summary.setText(err.message)
            return False
        if school != self.school_id():
            return False  # another school was chosen meanwhile
        self.survey = survey
        totals = [sum(getattr(g, f) for g in survey.grades) for f in
                  ("enrolled", "compliant", "in_progress", "provisional", "not_compliant")]
        exempt = sum(g.exempt_medical + g.exempt_conscience for g in survey.grades)
        self.summary.setText(f"{totals[0]} students: {totals[1]} complete, {totals[2]} in progress, {totals[3]} "
                             f"provisional, {exempt} exempt, {totals[4]} not compliant.")
        self.short.set_rows(survey.students)
        return True

    @asyncSlot()
    async def on_refresh(self) -> None:
        await self.load_school()

    def _open(self, row: int) -> None:
        r = self.short.row(row)
        if r is not None:
            self.student.show_student(r.student_usi)

    @asyncSlot()
    async def on_rules(self) -> None:
        from ui.dialogs import run_dialog
        from ui.screens.immunizations.requirements_editor import RequirementsEditor

        school = self.school_id()
        if school is None:
            self.summary.setText("Choose a school first.")
            return
        editor = RequirementsEditor(self.ctx, school, self)
        await editor.load()
        await run_dialog(editor)
        await self.load_school()

    def _printout(self, what: str) -> Printout | None:
        school, day, engine = self.school_id(), self.ctx.today(), self.ctx.engine
        if school is None:
            self.summary.setText("Choose a school first.")
            return None
        name = self.school.currentText()
        nurse = getattr(self.ctx.user(), "display_name", "") or ""

        def build() -> bytes:
            from app.errors import UserError
            from reports import immunization_exclusions, immunization_letter, immunization_survey

            with engine().begin() as c:
                if what == "survey":
                    return immunization_survey.build(_survey(c, school, day, IMMUNIZATION_SURVEY_PRINTED), today=day)
                if what == "exclusions":  # each student listed: a view entry with the printout's reason
                    listed = imm_reports.exclusion_list(c, school, day)
                    logged(c, list(listed.rows), IMMUNIZATION_EXCLUSIONS_PRINTED)
                    return immunization_exclusions.build(listed, today=day)
                found = logged(c, imm_reports.letters(c, school, day, nurse=nurse), IMMUNIZATION_LETTERS_PRINTED)
            if not found:
                raise UserError("Every student meets the requirements or is in progress; there are no letters.")
            return immunization_letter.build(found, today=day)
        titles = {"survey": f"{name} immunization survey", "letters": f"{name} immunization letters",
                  "exclusions": f"{name} exclusion list"}
        return Printout(f"immunization_{what}", titles[what], f"immunization-{what}-{school}.pdf", build)



def _survey(c, school: int, day, reason: str):
    """The school's survey; each student listed on it (shown or printed) gets a view entry with the reason."""
    survey = imm_reports.school_survey(c, school, day)
    logged(c, list(survey.students), reason)
    return survey
