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


# Attendance is recorded as exceptions (migration 0068): deleting a mark (or a teacher's daily roll-up)
# means the student is In Attendance again, so the trail shows the old mark -> present.
EXCEPTION_TABLES = {"edfi.studentsectionattendanceevent", "edfi.studentschoolattendanceevent"}


def _summary(old: dict | None, new: dict | None, table: str | None = None) -> str:
    """What changed, for a person: changed fields on an update, the filled-in fields otherwise."""
    if table in EXCEPTION_TABLES and old and not new and "attendanceeventcategorydescriptorid" in old:
        key = ", ".join(f"{k}={v}" for k, v in old.items() if v is not None and k not in HOUSEKEEPING
                        and k != "attendanceeventcategorydescriptorid")
        return (f"attendanceeventcategorydescriptorid: {old['attendanceeventcategorydescriptorid']} → "
                f"In Attendance (the mark was removed: present); {key}")[:500]
    if old and new:
        diffs = [f"{k}: {old.get(k)} → {new.get(k)}" for k in new
                 if old.get(k) != new.get(k) and k not in HOUSEKEEPING]
        return "; ".join(diffs)[:500]
    row = new or old or {}
    return ", ".join(f"{k}={v}" for k, v in row.items() if v is not None and k not in HOUSEKEEPING)[:500]


# A statement that changed several rows left ONE entry (migration 0052): old_values/new_values =
# {"key": [key columns], "rows": [row images]}, aligned for an update. Every reader sees it as one
# line per row, with the record key and the images that row's own entry would have had.
_LINES = """
SELECT a.id, a."timestamp", a.user_id, a.application_user, a.workstation, a.table_name,
       coalesce(l.record, a.record_id) AS record_id, a.operation, a.justification, l.old_values, l.new_values
  FROM {entries} a
 CROSS JOIN LATERAL (SELECT coalesce(coalesce(a.new_values, a.old_values) ?& ARRAY['key', 'rows'], false)
                            AS grouped) AS g
 CROSS JOIN LATERAL (
       SELECT NULL::text AS record, a.old_values, a.new_values, 0::bigint AS line WHERE NOT g.grouped
       UNION ALL
       -- each image array read once (ROWS FROM pairs old and new row i; a missing side is NULL)
       SELECT (SELECT jsonb_object_agg(k, coalesce(r.n -> k, r.o -> k)) FROM unnest(keys.k) AS k)::text,
              nullif(r.o, 'null'), nullif(r.n, 'null'), r.i
         FROM (SELECT ARRAY(SELECT jsonb_array_elements_text(coalesce(a.new_values, a.old_values) -> 'key'))
                      AS k) AS keys,
              ROWS FROM (jsonb_array_elements(a.old_values -> 'rows'), jsonb_array_elements(a.new_values -> 'rows'))
                   WITH ORDINALITY AS r(o, n, i)
        WHERE g.grouped) AS l"""


def _where(conn: Connection, f: AuditFilter) -> tuple[str, str, dict]:
    """WHERE clauses on the entries, on their lines, and their parameters. An entry that passes
    its clauses has at least one line that passes (the containment test found the student's row)."""
    clauses, line_clauses, params = [], [], {}
    if f.student_unique_id:
        usi = conn.execute(text("SELECT studentusi FROM edfi.student WHERE studentuniqueid = :u"),
                           {"u": f.student_unique_id.strip()}).scalar()
        if usi is None:
            raise UserError(f"There is no student with id {f.student_unique_id}; check the number.")
        params["usi"] = str(usi)
        params["in_rows"] = json.dumps({"rows": [{"studentusi": usi}]})
        params["in_rows2"] = json.dumps({"rows": [{"student_usi": usi}]})
        # the entry holds the student (its own images, or one of its rows: containment), then the line does
        clauses.append("(a.old_values->>'studentusi' = :usi OR a.new_values->>'studentusi' = :usi "
                       "OR a.old_values->>'student_usi' = :usi OR a.new_values->>'student_usi' = :usi "
                       "OR a.new_values @> CAST(:in_rows AS jsonb) OR a.old_values @> CAST(:in_rows AS jsonb) "
                       "OR a.new_values @> CAST(:in_rows2 AS jsonb) OR a.old_values @> CAST(:in_rows2 AS jsonb) "
                       "OR a.record_id = jsonb_build_object('studentusi', CAST(:usi AS int))::text)")
        line_clauses.append("(l.old_values->>'studentusi' = :usi OR l.new_values->>'studentusi' = :usi "
                       "OR l.old_values->>'student_usi' = :usi OR l.new_values->>'student_usi' = :usi "
                       "OR a.record_id = jsonb_build_object('studentusi', CAST(:usi AS int))::text)")
    if f.user:
        params["user"] = f.user.strip()
        clauses.append("(a.user_id = :user OR a.application_user = :user)")
    if f.table_name:
        params["table"] = f.table_name.strip()
        clauses.append("a.table_name = :table")
    if f.operation:
        params["op"] = f.operation.upper()
        clauses.append("a.operation = :op")
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise UserError("The 'to' date is before the 'from' date; swap them or pick another range.")
    if f.date_from:
        params["d0"] = datetime.combine(f.date_from, datetime.min.time())
        clauses.append('a."timestamp" >= :d0')
    if f.date_to:
        params["d1"] = datetime.combine(f.date_to + timedelta(days=1), datetime.min.time())
        clauses.append('a."timestamp" < :d1')
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", \
        (" WHERE " + " AND ".join(line_clauses)) if line_clauses else "", params


def list_audit(conn: Connection, f: AuditFilter, limit: int = 500, offset: int = 0) -> list[AuditEntry]:
    """A page of the trail, newest first: one entry per changed row (and per view)."""
    where, line_where, params = _where(conn, f)
    # the newest entries first (each has a line or more: enough of them for the page), then their lines
    entries = (f'(SELECT * FROM compliance.audit_logs a{where} ORDER BY a."timestamp" DESC, a.id DESC '
               "LIMIT :limit + :offset)")
    rows = conn.execute(text(_LINES.format(entries=entries) + f'{line_where} ORDER BY a."timestamp" DESC, a.id DESC, '
                             "l.line LIMIT :limit OFFSET :offset"), {**params, "limit": limit, "offset": offset})
    return [AuditEntry(*r[:9], changes=_summary(r.old_values, r.new_values, r.table_name)) for r in rows]


def export_csv(conn: Connection, f: AuditFilter) -> bytes:
    """Every matching entry (not just the first page), as UTF-8 CSV with full old/new values:
    one line per changed row (the lines of one statement share its id)."""
    where, line_where, params = _where(conn, f)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["id", "timestamp", "database_user", "app_user", "workstation", "table", "record", "operation",
                "justification", "old_values", "new_values"])
    lines = _LINES.format(entries=f"(SELECT * FROM compliance.audit_logs a{where})")
    for r in conn.execute(text(f'{lines}{line_where} ORDER BY a."timestamp", a.id, l.line'), params):
        w.writerow([r.id, r.timestamp.isoformat(), r.user_id, r.application_user or "", r.workstation or "",
                    r.table_name, r.record_id or "", r.operation, r.justification or "",
                    json.dumps(r.old_values) if r.old_values is not None else "",
                    json.dumps(r.new_values) if r.new_values is not None else ""])
    return out.getvalue().encode("utf-8")


def audited_tables(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger "
                                  "WHERE tgname = 'audit_upd' ORDER BY 1")).scalars())
