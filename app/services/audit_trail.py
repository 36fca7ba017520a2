"""Reading the FERPA audit trail: changes and views of student records, filtered and exported.

Only administrators may read compliance.audit_logs (the database grants it to so_admin alone);
nobody may change it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, text

from app.errors import UserError


@dataclass(frozen=True)
class AuditFilter:
    student_unique_id: str | None = None
    user: str | None = None  # database login or the app user (StaffUniqueId)
    table_name: str | None = None
    operation: str | None = None  # INSERT, UPDATE, DELETE, VIEW
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    timestamp: datetime
    user_id: str
    application_user: str | None
    workstation: str | None
    table_name: str
    record_id: str | None
    operation: str
    justification: str | None
    changes: str  # a short "field: old → new" summary


COLUMNS = ("When", "Database user", "App user", "Workstation", "Table", "Record", "Action", "Justification",
           "Changes")


HOUSEKEEPING = {"createdate", "lastmodifieddate", "created_at", "updated_at", "id", "discriminator"}


def _summary(old: dict | None, new: dict | None) -> str:
    """What changed, for a person: changed fields on an update, the filled-in fields otherwise."""
    if old and new:
        diffs = [f"{k}: {old.get(k)} → {new.get(k)}" for k in new
                 if old.get(k) != new.get(k) and k not in HOUSEKEEPING]
        return "; ".join(diffs)[:500]
    row = new or old or {}
    return ", ".join(f"{k}={v}" for k, v in row.items() if v is not None and k not in HOUSEKEEPING)[:500]


def _where(conn: Connection, f: AuditFilter) -> tuple[str, dict]:
    clauses, params = [], {}
    if f.student_unique_id:
        usi = conn.execute(text("SELECT studentusi FROM edfi.student WHERE studentuniqueid = :u"),
                           {"u": f.student_unique_id.strip()}).scalar()
        if usi is None:
            raise UserError(f"There is no student with id {f.student_unique_id}; check the number.")
        params["usi"] = str(usi)
        clauses.append("(old_values->>'studentusi' = :usi OR new_values->>'studentusi' = :usi "
                       "OR old_values->>'student_usi' = :usi OR new_values->>'student_usi' = :usi "
                       "OR record_id = jsonb_build_object('studentusi', CAST(:usi AS int))::text)")
    if f.user:
        params["user"] = f.user.strip()
        clauses.append("(user_id = :user OR application_user = :user)")
    if f.table_name:
        params["table"] = f.table_name.strip()
        clauses.append("table_name = :table")
    if f.operation:
        params["op"] = f.operation.upper()
        clauses.append("operation = :op")
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise UserError("The 'to' date is before the 'from' date; swap them or pick another range.")
    if f.date_from:
        params["d0"] = datetime.combine(f.date_from, datetime.min.time())
        clauses.append('"timestamp" >= :d0')
    if f.date_to:
        params["d1"] = datetime.combine(f.date_to + timedelta(days=1), datetime.min.time())
        clauses.append('"timestamp" < :d1')
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_audit(conn: Connection, f: AuditFilter, limit: int = 500, offset: int = 0) -> list[AuditEntry]:
    where, params = _where(conn, f)
    rows = conn.execute(text(
        'SELECT id, "timestamp", user_id, application_user, workstation, table_name, record_id, operation, '
        f"justification, old_values, new_values FROM compliance.audit_logs{where} "
        'ORDER BY "timestamp" DESC, id DESC LIMIT :limit OFFSET :offset'), {**params, "limit": limit, "offset": offset})
    return [AuditEntry(*r[:9], changes=_summary(r.old_values, r.new_values)) for r in rows]


def export_csv(conn: Connection, f: AuditFilter) -> bytes:
    """Every matching entry (not just the first page), as UTF-8 CSV with full old/new values."""
    where, params = _where(conn, f)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["id", "timestamp", "database_user", "app_user", "workstation", "table", "record", "operation",
                "justification", "old_values", "new_values"])
    for r in conn.execute(text(
            'SELECT id, "timestamp", user_id, application_user, workstation, table_name, record_id, operation, '
            f'justification, old_values, new_values FROM compliance.audit_logs{where} ORDER BY "timestamp", id'),
            params):
        w.writerow([r.id, r.timestamp.isoformat(), r.user_id, r.application_user or "", r.workstation or "",
                    r.table_name, r.record_id or "", r.operation, r.justification or "",
                    json.dumps(r.old_values) if r.old_values is not None else "",
                    json.dumps(r.new_values) if r.new_values is not None else ""])
    return out.getvalue().encode("utf-8")


def audited_tables(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger "
                                  "WHERE tgname = 'audit_upd' ORDER BY 1")).scalars())
