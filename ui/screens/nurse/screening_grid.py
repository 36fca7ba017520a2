"""Mass screening: pick the screening and a class; one row per student; type the result (or the
acuity, hearing, height and weight, which give the result); save the whole grid at once. A failed
screen opens a referral with a parent letter."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from datetime import date

from app.domain.health_reference import bmi_for_age, worst_passing_acuity
from app.domain.nurse_rules import SCREENING_TYPES, ScreeningEntry, age_in_months, bmi, hearing_result, vision_result
from app.errors import UserError
from app.services.nurse import screenings as S
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext
from ui.table_model import DtoTableModel
from ui.text import plural
from ui.widgets import combo, fill, status, table

# the columns a nurse types in, per screening
MEASURES = {"vision": ("right", "left"), "hearing": ("right", "left"), "scoliosis": ("finding",),
            "bmi": ("height_cm", "weight_kg")}
LABELS = {"right": "Right", "left": "Left", "finding": "Finding", "height_cm": "Height cm", "weight_kg": "Weight kg"}


class GridModel(DtoTableModel):
    """Editable: each row is [GridRow, measures dict, result]."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.kind = "vision"
        self.day = date.today()
        self.HEADERS = ("Student", "Grade")

    def set_grid(self, kind: str, rows: list[S.GridRow], day: date | None = None) -> None:
        self.kind, self.day = kind, day or self.day
        self.HEADERS = ("Student", "Grade") + tuple(LABELS[m] for m in MEASURES[kind]) + ("Result", "Earlier")
        self.set_rows([[r, {}, ""] for r in rows])

    def cell(self, r, column: int) -> str:
        g, measures, result = r
        keys = MEASURES[self.kind]
        if column == 0:
            return g.name
        if column == 1:
            return g.grade or ""
        if column < 2 + len(keys):
            return measures.get(keys[column - 2], "")
        if column == 2 + len(keys):
            if result and measures.get("bmi_category"):  # what the CDC chart says, beside pass/fail
                return (f"{result}: BMI {measures['bmi']}, {float(measures['bmi_percentile']):.0f}th percentile, "
                        f"{measures['bmi_category']}")
            return result
        return g.last_result or ""

    def flags(self, index: QModelIndex):
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if 2 <= index.column() <= 2 + len(MEASURES[self.kind]) else base

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.EditRole:
            role = Qt.ItemDataRole.DisplayRole
        return super().data(index, role)

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 (Qt naming)
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row = self.rows[index.row()]
        keys = MEASURES[self.kind]
        text = str(value).strip()
        if index.column() < 2 + len(keys):
            row[1][keys[index.column() - 2]] = text
            row[2] = derived_result(self.kind, row[1], row[0], self.day) or row[2]
        else:
            row[2] = {"p": "pass", "f": "fail", "a": "absent", "r": "refused"}.get(text[:1].lower(), text.lower())
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), self.columnCount() - 1))
        return True

    def entries(self) -> list[ScreeningEntry]:
        return [ScreeningEntry(g.student_usi, result, dict(measures)) for g, measures, result in self.rows if result]


def derived_result(kind: str, m: dict, student: S.GridRow | None = None, day: date | None = None) -> str | None:
    """The result the measures give, once all of them are typed (None until then, or when unclear), by
    the student's age (and sex for BMI): the criteria are data (app.domain.health_reference)."""
    months = age_in_months(student.birth_date, day or date.today()) if student is not None else None
    try:
        if kind == "vision" and m.get("right") and m.get("left"):
            return vision_result(m["right"], m["left"], worst_passing_acuity(months))
        if kind == "hearing" and m.get("right") and m.get("left"):
            ok = lambda v: v.lower().startswith("p")  # noqa: E731
            return hearing_result(ok(m["right"]), ok(m["left"]))
        if kind == "bmi" and m.get("height_cm") and m.get("weight_kg"):
            value = bmi(Decimal(m["height_cm"]), Decimal(m["weight_kg"]))
            m["bmi"] = str(value)
            graded = bmi_for_age(float(value), student.sex if student else None, months) if months else None
            if graded is None:  # no birth date or sex on file: the nurse types the result
                return None
            m["bmi_percentile"], m["bmi_category"] = str(graded.percentile), graded.category
            return "fail" if graded.refer else "pass"
        if kind == "scoliosis" and m.get("finding"):
            return "pass" if m["finding"].lower() in ("none", "no", "normal") else "fail"
    except (UserError, InvalidOperation):
        return None
    return None


class ScreeningTab(QWidget):
    def __init__(self, ctx: DeskContext, school_id, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.school_id = school_id
        self.kind = combo("Screening", SCREENING_TYPES.values())
        self.klass = combo("Class")
        self.klass.setSizeAdjustPolicy(self.klass.SizeAdjustPolicy.AdjustToContents)
        self.open_grid = QPushButton("&Open class")
        self.save = QPushButton("Save &grid")
        self.model = GridModel(self)
        self.view = table("Screening grid, one row per student", self.model)
        self.view.setEditTriggers(self.view.EditTrigger.AnyKeyPressed | self.view.EditTrigger.DoubleClicked
                                  | self.view.EditTrigger.EditKeyPressed)
        self.message = status("Screening message")
        v = QVBoxLayout(self)
        row = QHBoxLayout()
        for w in (self.kind, self.klass, self.open_grid, self.save):
            row.addWidget(w)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self.view, 1)
        v.addWidget(self.message)
        self.kind.currentIndexChanged.connect(lambda _i: self.load_classes())
        self.open_grid.clicked.connect(self.load_grid)
        self.save.clicked.connect(self.save_grid)

    def kind_code(self) -> str:
        return list(SCREENING_TYPES)[self.kind.currentIndex()]

    @asyncSlot()
    async def load_classes(self) -> bool:
        kind, day, school = self.kind_code(), self.ctx.today(), self.school_id()
        if school is None:
            return False
        try:
            classes = await run_op(self.ctx.run_in(lambda c: S.classes_to_screen(c, school, kind, day)))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        fill(self.klass, [f"{k.title} ({plural(k.students, 'student')})" for k in classes], data=[k.key for k in classes])
        self.message.setText("" if classes else f"No class has students in a grade screened for "
                                                f"{SCREENING_TYPES[kind].lower()}; check which grades are screened.")
        return True

    @asyncSlot()
    async def load_grid(self) -> bool:
        key, kind, day = self.klass.currentData(), self.kind_code(), self.ctx.today()
        if key is None:
            self.message.setText("Pick a class first.")
            return False
        try:
            rows = await run_op(self.ctx.run_in(lambda c: S.screening_grid(c, key, kind, day)))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.model.set_grid(kind, rows, day)
        self.view.setFocus()
        self.view.setCurrentIndex(self.model.index(0, 2))
        self.message.setText(f"{plural(len(rows), 'student')}: type each measure (Tab to move); P, F, A or R "
                             "sets pass, fail, absent or refused.")
        return True

    def unsaved_work(self) -> str | None:
        n = len(self.model.entries())
        return f"{plural(n, 'screening result')} not saved" if n else None

    @asyncSlot()
    async def save_grid(self) -> bool:
        return await self.save_now()

    async def save_now(self) -> bool:
        rows, kind, day, school = self.model.entries(), self.kind_code(), self.ctx.today(), self.school_id()
        if not rows:
            self.message.setText("Nothing to save: type a result for at least one student.")
            return False
        try:
            saved = await run_op(self.ctx.run_in(lambda c: S.save_screening_grid(c, school, kind, day, rows, today=day)),
                                 disable=(self.save,))
        except OpFailed as err:
            self.message.setText(err.message + " Nothing was saved.")
            return False
        self.model.set_grid(kind, [])
        self.message.setText(f"Saved {plural(saved.saved, 'result')}; {plural(len(saved.referrals), 'referral')} "
                             "opened (print the parent letters under Lists).")
        return True
