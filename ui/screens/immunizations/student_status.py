"""One student's immunizations at a glance: the school-entry status (per requirement, with why and the
next dose), the CDC forecast per vaccine group, and what to tell the family, with a letter to print.

Evaluated off the UI thread (ui.ops.run_op); the nurse page calls show_student(usi) when a student is
opened and record_changed(usi) after it saved a dose, an exemption or a provisional enrollment.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.services.immunizations import compliance as C
from app.services.nurse.common import IMMUNIZATION_LETTER_PRINTED, IMMUNIZATION_STATUS, logged
from app.services.record_views import log_views
from ui.ops import OpFailed, run_op, spawn
from ui.printing import Printing, Printout
from ui.screens.desk_context import DeskContext
from ui.screens.immunizations.models import ForecastModel, RequirementStatusModel
from ui.widgets import side_by_side, status, table

# text and background of the status badge: readable contrast (WCAG AA) on each
BADGE = {"compliant": ("#0b3d1e", "#cdebd6"), "in_progress": ("#1f3a5f", "#d8e4f2"),
         "provisional": ("#5a3b00", "#fbe7bd"), "exempt": ("#3b3b3b", "#e4e4e4"),
         "not_compliant": ("#6b0d0d", "#f6d2d2")}


class StudentImmunizationStatus(QWidget):
    evaluated = Signal(int, str)  # student usi, overall status: after each evaluation shown

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None, *, printing: Printing | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.usi: int | None = None
        self.view: C.StudentCompliance | None = None
        self._asked = 0  # the latest evaluation asked for: an older answer arriving late is dropped
        self.setAccessibleName("Student immunization status")
        self.heading = QLabel("Open a student to see their immunizations.", objectName="sectionTitle")
        self.heading.setWordWrap(True)
        self.badge = QLabel("")
        self.badge.setAccessibleName("Immunization status")
        self.requirements = RequirementStatusModel(self)
        self.requirements_view = table("School requirements", self.requirements)
        self.forecast = ForecastModel(self)
        self.forecast_view = table("CDC forecast", self.forecast)
        self.family = QPlainTextEdit()
        self.family.setReadOnly(True)
        self.family.setAccessibleName("What to tell the family")
        self.family.setMaximumHeight(110)
        self.family.setTabChangesFocus(True)
        self.message = status("Immunization message")
        self.letter = QPushButton("Letter to the family…")
        self.letter.setEnabled(False)
        self.printing = printing or Printing(self, self.message.setText, busy=(self.letter,))
        self.printing.attach(self.letter, self._letter, "the letter to the family")
        layout = QVBoxLayout(self)
        layout.addLayout(side_by_side(self.heading, self.badge, stretch_first=True))
        layout.addWidget(QLabel("School requirements"))
        layout.addWidget(self.requirements_view, 2)
        layout.addWidget(QLabel("CDC forecast (earliest, recommended and past-due dates of the next dose)"))
        layout.addWidget(self.forecast_view, 2)
        layout.addWidget(QLabel("What to tell the family"))
        layout.addWidget(self.family)
        layout.addLayout(side_by_side(self.message, self.letter, stretch_first=True))

    def show_student(self, usi: int) -> None:
        """Evaluate and show this student (in the background)."""
        self.usi = usi
        spawn(self.load())

    def record_changed(self, usi: int) -> None:
        """A dose, exemption or provisional enrollment of this student was saved: evaluate again."""
        if usi == self.usi:
            spawn(self.load())

    async def load(self) -> bool:
        if self.usi is None:
            return False
        self._asked += 1
        asked, usi, day = self._asked, self.usi, self.ctx.today()
        self.message.setText("Evaluating…")
        try:
            view = await run_op(self.ctx.run_in(lambda c: _status(c, usi, day)))
        except OpFailed as err:
            if asked == self._asked:
                self.message.setText(err.message)
            return False
        if asked != self._asked:
            return False
        self.display(view)
        return True

    def display(self, view: C.StudentCompliance) -> None:
        self.view = view
        self.heading.setText(f"{view.name} · {view.grade_code} · {view.set_name}")
        fg, bg = BADGE[view.status]
        self.badge.setText(view.status_label)
        self.badge.setStyleSheet(f"color: {fg}; background: {bg}; padding: 4px 10px; border-radius: 4px; "
                                 "font-weight: bold;")
        self.badge.setAccessibleDescription(f"Overall immunization status: {view.status_label}")
        self.requirements.set_rows(view.requirements)
        self.forecast.set_rows(view.forecast)
        self.family.setPlainText("\n".join(view.tell_family))
        self.letter.setEnabled(view.status != "compliant")
        self.message.setText(f"Evaluated by the CDC's CDSi rules on {self.ctx.today():%m/%d/%Y}.")
        self.evaluated.emit(view.student_usi, view.status)

    def _letter(self) -> Printout | None:
        view = self.view
        if view is None:
            self.message.setText("Open a student first.")
            return None
        usi, day, engine = view.student_usi, self.ctx.today(), self.ctx.engine
        nurse = getattr(self.ctx.user(), "display_name", "") or ""

        def build() -> bytes:
            from app.services.immunizations.reports import letters
            from reports import immunization_letter

            with engine().begin() as c:
                found = logged(c, letters(c, None, day, nurse=nurse, student_usis=[usi]), IMMUNIZATION_LETTER_PRINTED)
            if not found:
                from app.errors import UserError
                raise UserError("This student meets every requirement; there is no letter to print.")
            return immunization_letter.build(found, today=day)
        return Printout("immunization_letter", f"{view.name}'s immunization letter",
                        f"immunization-letter-{usi}.pdf", build)


def _status(c, usi: int, day):
    """The student's status, its view logged (every view of a health record is, issue 11)."""
    view = C.student_compliance(c, usi, day)
    log_views(c, (usi,), "health", IMMUNIZATION_STATUS)
    return view
