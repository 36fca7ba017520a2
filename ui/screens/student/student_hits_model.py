"""The search results list: a Qt model over StudentHit DTOs; data() does no I/O."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt

from app.services.student_search import StudentHit


class StudentHitsModel(QAbstractListModel):
    HitRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._hits: list[StudentHit] = []

    def set_hits(self, hits: list[StudentHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def hit(self, row: int) -> StudentHit:
        return self._hits[row]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        h = self._hits[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            parts = [h.display_name, h.student_unique_id, h.grade_level or "", h.school_name or ""]
            if h.birth_date:
                parts.insert(2, f"born {h.birth_date:%m/%d/%Y}")
            return " · ".join(p for p in parts if p)
        if role == self.HitRole:
            return h
        return None
