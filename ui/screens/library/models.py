"""The library desk's lists: Qt table models over the services' DTOs (no I/O in data())."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from app.domain.typed_input import show_date
from ui.table_model import DtoTableModel

_AVATAR_COLOURS = ("#1f3a5f", "#6b3fa0", "#1e6b52", "#8a4b08", "#7a2e3a", "#2f5d8a")


def initials_picture(name: str, initials: str, size: int = 64) -> QPixmap:
    """The patron's picture: until photos are on file, their initials on a colour of their name."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(_AVATAR_COLOURS[sum(map(ord, name)) % len(_AVATAR_COLOURS)]))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(0, 0, size, size)
    p.setPen(QColor("white"))
    f = QFont()
    f.setPixelSize(size // 3)
    f.setBold(True)
    p.setFont(f)
    p.drawText(pm.rect(), Qt.AlignmentFlag.AlignCenter, initials)
    p.end()
    return pm


class PatronHitsModel(DtoTableModel):
    HEADERS = ("", "Name", "Grade", "Homeroom", "Student id")
    COL_PHOTO, COL_NAME, COL_GRADE, COL_HOMEROOM, COL_ID = range(5)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._icons: dict[str, QIcon] = {}

    def set_rows(self, rows) -> None:
        self._icons = {p.key: QIcon(initials_picture(p.name, p.initials, 40)) for p in rows}
        super().set_rows(rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if index.isValid() and index.column() == self.COL_PHOTO and role == Qt.ItemDataRole.DecorationRole:
            return self._icons.get(self.rows[index.row()].key)
        if index.isValid() and index.column() == self.COL_PHOTO and role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Picture of {self.rows[index.row()].name}"
        return super().data(index, role)

    def cell(self, p, column: int) -> str:
        return ["", p.name + (" (withdrawn)" if p.withdrawn else ""), p.grade_level or "", p.homeroom or "",
                p.card][column]


class LoansModel(DtoTableModel):
    HEADERS = ("Title", "Barcode", "Out", "Due", "Renewed", "Overdue")
    COL_TITLE, COL_BARCODE, COL_OUT, COL_DUE, COL_RENEWED, COL_OVERDUE = range(6)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole and self.rows[index.row()].overdue:
            return QColor("#a11d2a")
        return super().data(index, role)

    def cell(self, loan, column: int) -> str:
        return [loan.title, loan.barcode, show_date(loan.checked_out), show_date(loan.due), str(loan.renewals),
                f"{loan.overdue_days} days" if loan.overdue else ""][column]


class PullListModel(DtoTableModel):
    HEADERS = ("Call number", "Title", "Barcode", "For", "Placed")
    COL_CALL, COL_TITLE, COL_BARCODE, COL_FOR, COL_PLACED = range(5)

    def cell(self, x, column: int) -> str:
        return [x.call_number or "", x.title, x.barcode, x.patron_name, show_date(x.placed)][column]


class ConflictsModel(DtoTableModel):
    HEADERS = ("Recorded", "What", "Patron", "Title", "Desk recorded", "Database held")
    COL_AT, COL_KIND, COL_PATRON, COL_TITLE, COL_OFFLINE, COL_SERVER = range(6)
    KINDS = {"already_out": "Copy was lent elsewhere meanwhile", "hold_placed": "A hold was placed meanwhile",
             "blocked_now": "A block applies now", "lent_after_checkin": "Lent again after this check-in",
             "renewal_refused_now": "Renewal refused now"}

    def cell(self, x, column: int) -> str:
        server = "; ".join(p["message"] for p in x.server_side.get("problems", [])) or \
            (f"open loan {x.server_side['open_loan'].get('checkout_id')}" if "open_loan" in x.server_side else "")
        side = x.offline_side
        offline = f"{x.action} of {side.get('barcode', '')}" + (f", due {side['due']}" if side.get("due") else "") + \
            (f", at {side['workstation']}" if side.get("workstation") else "")
        return [f"{x.recorded_at:%m/%d %H:%M}", self.KINDS.get(x.kind, x.kind), x.patron or "", x.title or "",
                offline, server][column]
