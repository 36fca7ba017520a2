"""Audit entries and staff sign-ins as Qt table models over DTOs; data() does no I/O."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from app.dynamo.sessions import ActiveSession
from app.services.audit_trail import COLUMNS, AuditEntry
from app.services.staff_logins import LoginRow


class _DtoTableModel(QAbstractTableModel):
    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list = []

    def set_rows(self, rows: list) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 (Qt naming)
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return self.cell(self.rows[index.row()], index.column())

    def cell(self, row, column: int) -> str:
        raise NotImplementedError


class AuditTableModel(_DtoTableModel):
    HEADERS = COLUMNS
    COL_WHEN, COL_DB_USER, COL_APP_USER, COL_WORKSTATION, COL_TABLE, COL_RECORD, COL_ACTION, COL_WHY, COL_CHANGES = \
        range(9)

    def cell(self, e: AuditEntry, column: int) -> str:
        return [f"{e.timestamp:%Y-%m-%d %H:%M:%S}", e.user_id, e.application_user or "", e.workstation or "",
                e.table_name, e.record_id or "", e.operation, e.justification or "", e.changes][column]


class LoginsTableModel(_DtoTableModel):
    HEADERS = ("Sign-in", "Staff member", "Staff id", "Roles", "Can sign in")
    COL_LOGIN, COL_STAFF, COL_STAFF_ID, COL_ROLES, COL_ENABLED = range(5)

    def cell(self, r: LoginRow, column: int) -> str:
        return [r.login, r.staff_name or "(not linked)", r.staff_unique_id or "",
                ", ".join(g.removeprefix("so_").replace("_", " ") for g in r.roles),
                "yes" if r.can_sign_in else "turned off"][column]


class SessionsTableModel(_DtoTableModel):
    HEADERS = ("Sign-in", "Staff id", "Workstation", "Signed in (UTC)", "Expires (UTC)")
    COL_LOGIN, COL_STAFF_ID, COL_WORKSTATION, COL_STARTED, COL_EXPIRES = range(5)

    def cell(self, s: ActiveSession, column: int) -> str:
        import datetime as _dt

        expires = _dt.datetime.fromtimestamp(s.expires_at, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
        return [s.login, s.staff_unique_id or "", s.workstation or "", (s.started_at or "")[:16].replace("T", " "),
                expires][column]
