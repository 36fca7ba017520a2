"""Table models of the Reports desk: the teacher's grade grid (editable from the keyboard), the
batch's report cards and the release log."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from app.services.grades.entry import GradeSheet
from ui.table_model import DtoTableModel


class GradeGridModel(DtoTableModel):
    """Rows are students; columns: name, then the grade and comment codes, or (elementary) one
    column per standard. Edits are kept here until saved; `dirty` holds what changed."""

    COL_NAME, COL_GRADE, COL_COMMENTS = 0, 1, 2

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.sheet: GradeSheet | None = None
        self.columns: list[tuple[str, str]] = []  # (kind, key): ("grade", ""), ("comments", ""), ("std", id)
        self.values: dict[tuple[int, str, str], str] = {}
        self.dirty: set[tuple[int, str, str]] = set()

    def load(self, sheet: GradeSheet) -> None:
        self.beginResetModel()
        self.sheet = sheet
        self.rows = list(sheet.rows)
        if sheet.standards:
            self.columns = [("std", s.standard_id) for s in sheet.standards]
        else:
            self.columns = [("grade", ""), ("comments", "")]
        self.values = {}
        for r in sheet.rows:
            shown = r.letter or ""
            if r.numeric is not None:
                shown = f"{r.numeric.normalize():f}"
            self.values[(r.student_usi, "grade", "")] = shown
            self.values[(r.student_usi, "comments", "")] = r.comments
        for (usi, std), mark in sheet.marks.items():
            self.values[(usi, "std", std)] = mark or ""
        self.dirty = set()
        self.endResetModel()

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else 1 + len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 (Qt naming)
        if orientation != Qt.Orientation.Horizontal or role not in (Qt.ItemDataRole.DisplayRole,
                                                                     Qt.ItemDataRole.ToolTipRole):
            return None
        if section == 0:
            return "Student"
        kind, key = self.columns[section - 1]
        if kind == "std" and self.sheet is not None:
            std = next(s for s in self.sheet.standards if s.standard_id == key)
            return std.description if role == Qt.ItemDataRole.ToolTipRole else key.split(".")[-1]
        return {"grade": "Grade", "comments": "Comment codes"}[kind]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.AccessibleTextRole and index.column() > 0:
            return f"{row.name}, {self.headerData(index.column(), Qt.Orientation.Horizontal)}: " \
                   f"{self.data(index) or 'empty'}"
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if index.column() == 0:
            return row.name
        kind, key = self.columns[index.column() - 1]
        return self.values.get((row.student_usi, kind, key), "")

    def flags(self, index: QModelIndex):
        base = super().flags(index)
        if index.column() > 0 and self.sheet is not None and self.sheet.can_write:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 (Qt naming)
        if role != Qt.ItemDataRole.EditRole or index.column() == 0:
            return False
        row = self.rows[index.row()]
        kind, key = self.columns[index.column() - 1]
        value = str(value).strip()
        if self.values.get((row.student_usi, kind, key), "") == value:
            return False
        self.values[(row.student_usi, kind, key)] = value
        self.dirty.add((row.student_usi, kind, key))
        self.dataChanged.emit(index, index)
        return True

    def changed_students(self) -> set[int]:
        return {usi for usi, _k, _s in self.dirty}


class CardsModel(DtoTableModel):
    HEADERS = ("Student", "Student id", "Size")
    COL_NAME, COL_ID, COL_SIZE = range(3)

    def cell(self, row, column: int) -> str:
        return (row.student_name, row.student_id, f"{len(row.pdf) // 1024} KB")[column]


class ReleasesModel(DtoTableModel):
    HEADERS = ("Date", "Document", "Official", "Who asked", "Recipient", "Legal basis", "Released by", "SHA-256")

    def cell(self, row, column: int) -> str:
        return (f"{row.released_on:%m/%d/%Y}", row.document_number, "yes" if row.official else "no",
                row.requested_by, row.recipient, row.legal_basis, row.released_by, row.sha256[:16] + "…")[column]
