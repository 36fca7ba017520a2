"""Audit entries and staff sign-ins as Qt table models over DTOs; data() does no I/O."""

from __future__ import annotations


from app.dynamo.sessions import ActiveSession
from app.services.audit_trail import COLUMNS, AuditEntry
from app.services.staff_logins import LoginRow
from ui.table_model import DtoTableModel


class AuditTableModel(DtoTableModel):
    HEADERS = COLUMNS
    COL_WHEN, COL_DB_USER, COL_APP_USER, COL_WORKSTATION, COL_TABLE, COL_RECORD, COL_ACTION, COL_WHY, COL_CHANGES = \
        range(9)

    def cell(self, e: AuditEntry, column: int) -> str:
        return [f"{e.timestamp:%Y-%m-%d %H:%M:%S}", e.user_id, e.application_user or "", e.workstation or "",
                e.table_name, e.record_id or "", e.operation, e.justification or "", e.changes][column]


class LoginsTableModel(DtoTableModel):
    HEADERS = ("Sign-in", "Staff member", "Staff id", "Roles", "Can sign in")
    COL_LOGIN, COL_STAFF, COL_STAFF_ID, COL_ROLES, COL_ENABLED = range(5)

    def cell(self, r: LoginRow, column: int) -> str:
        return [r.login, r.staff_name or "(not linked)", r.staff_unique_id or "",
                ", ".join(g.removeprefix("so_").replace("_", " ") for g in r.roles),
                "yes" if r.can_sign_in else "turned off"][column]


class SessionsTableModel(DtoTableModel):
    HEADERS = ("Sign-in", "Staff id", "Workstation", "Signed in (UTC)", "Expires (UTC)")
    COL_LOGIN, COL_STAFF_ID, COL_WORKSTATION, COL_STARTED, COL_EXPIRES = range(5)

    def cell(self, s: ActiveSession, column: int) -> str:
        import datetime as _dt

        expires = _dt.datetime.fromtimestamp(s.expires_at, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
        return [s.login, s.staff_unique_id or "", s.workstation or "", (s.started_at or "")[:16].replace("T", " "),
                expires][column]
