"""The cafeteria's lists: Qt models over the frozen DTOs of ui.screens.cafeteria.backend.
data() does no I/O: photos arrive as bytes in the DTOs and are turned into pixmaps once."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap

from app.domain.pos_entry import money
from ui.screens.cafeteria import backend as B
from ui.screens.cafeteria.student_card import initials
from ui.table_model import DtoTableModel

TILE = QSize(96, 112)


def _when(d) -> str:
    return d.strftime("%m/%d %I:%M %p").lstrip("0") if d else ""


class TicketModel(DtoTableModel):
    HEADERS = ("Item", "Amount")
    COL_ITEM, COL_AMOUNT = range(2)

    def cell(self, r: B.QuoteLine, column: int) -> str:
        return [r.name, money(r.amount)][column]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if index.isValid() and role == Qt.ItemDataRole.TextAlignmentRole and index.column() == self.COL_AMOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().data(index, role)


class HitsModel(DtoTableModel):
    HEADERS = ("Name", "Grade", "Student id")
    COL_NAME, COL_GRADE, COL_ID = range(3)

    def cell(self, r: B.StudentHit, column: int) -> str:
        return [r.name, r.grade, r.student_unique_id][column]


def tile_pixmap(photo: bytes | None, name: str, size: QSize = TILE) -> QPixmap:
    pix = QPixmap()
    if photo and pix.loadFromData(photo):
        return pix.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    pix = QPixmap(size)
    pix.fill(QColor("#e3e8ee"))
    p = QPainter(pix)
    p.setPen(QColor("#4a5763"))
    f = QFont()
    f.setPointSize(22)
    p.setFont(f)
    p.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, initials(name))
    p.end()
    return pix


class RosterGridModel(QAbstractListModel):
    """A homeroom's students as tiles (photo and name), for a list view in icon mode."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[B.StudentHit] = []
        self._pixmaps: list[QPixmap] = []

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._pixmaps = [tile_pixmap(r.photo, r.name) for r in self.rows]
        self.endResetModel()

    def row(self, i: int) -> B.StudentHit | None:
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return r.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmaps[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{r.name}, grade {r.grade}"
        return None


class TillsModel(DtoTableModel):
    HEADERS = ("Cashier", "Terminal", "Opened", "Starting cash", "Expected", "Counted", "Over/short", "Note", "Status")

    def cell(self, r: B.TillRow, column: int) -> str:
        diff = "" if r.expected is None or r.counted is None else money(r.counted - r.expected)
        return [r.cashier, r.terminal, _when(r.opened_at), money(r.starting_cash),
                "" if r.expected is None else money(r.expected), "" if r.counted is None else money(r.counted),
                diff, r.note, r.status][column]


class SalesModel(DtoTableModel):
    HEADERS = ("When", "Student", "What", "Amount", "Paid by", "Kind")

    def cell(self, r: B.SaleRow, column: int) -> str:
        return [_when(r.when), r.student_name, r.description, money(r.amount), r.tender, r.kind][column]


class HistoryModel(DtoTableModel):
    HEADERS = ("When", "What", "Amount", "Balance after")

    def cell(self, r: B.HistoryRow, column: int) -> str:
        return [_when(r.when), r.description, money(r.amount),
                "" if r.balance_after is None else money(r.balance_after)][column]


class OverLimitModel(DtoTableModel):
    HEADERS = ("Student", "Student id", "Balance", "Limit", "Sale", "When")

    def cell(self, r: B.OverLimitRow, column: int) -> str:
        return [r.student_name, r.student_unique_id, money(r.balance), money(r.limit), r.sale_id[:8],
                _when(r.when)][column]


class PriceFlagsModel(DtoTableModel):
    """Meals sold at another eligibility or price than the student's own (the manager's view: eligibility shows
    here, never at the register)."""
    HEADERS = ("Day", "Meal", "Student", "Student id", "Sold as", "Student's own", "Sold at", "Billed at", "Sale")

    def cell(self, r: B.PriceFlagRow, column: int) -> str:
        return [r.service_date.isoformat(), r.meal_service.capitalize(), r.student_name, r.student_unique_id,
                (r.line_eligibility or "none").capitalize(), r.student_eligibility.capitalize(),
                "" if r.line_price is None else money(r.line_price), "" if r.due_price is None else money(r.due_price),
                r.sale_id[:8]][column]


class MealCountsModel(DtoTableModel):
    HEADERS = ("Meal service", "Category", "Reimbursable", "Not reimbursable")

    def cell(self, r: B.MealCountRow, column: int) -> str:
        return [r.service, r.category, str(r.reimbursable), str(r.non_reimbursable)][column]


class PricesModel(DtoTableModel):
    HEADERS = ("Meal service", "Price group", "Meal", "Second meal", "Set by")

    def cell(self, r, column: int) -> str:
        return [r.service, r.group, money(r.price), money(r.second_meal_price),
                "This school" if r.site else "District"][column]


class PoliciesModel(DtoTableModel):
    """The manager's view of the charge policies (eligibility shows here, never at the register)."""
    HEADERS = ("Who", "Grades", "Meals down to", "A la carte down to", "Set by")

    def cell(self, r, column: int) -> str:
        grades = f"{r.grade_from}–{r.grade_to}".replace("-1", "PK").replace("0–", "K–")
        return [(r.eligibility or "everyone").capitalize(), grades, money(-r.meal_charge_limit),
                money(-r.a_la_carte_limit), "This school" if r.site else "District"][column]
