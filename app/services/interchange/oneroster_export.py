"""`export oneroster`: the OneRoster tables as a 1.2 CSV package (bulk, or delta since a time).

Bulk: every active record, status and dateLastModified blank. Delta: every record changed since
the given time, active or tobedeleted, with both filled. Students whose directory information is
withheld (a Directory consent denied or withdrawn in compliance.privacy_consents) are left out of
every file that would name them (users, demographics, roles, enrollments, results, user profiles,
user resources) and out of other users' agentSourcedIds. The nightly feed zips the same files
into oneroster-YYYY-MM-DD.zip.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from app.errors import UserError
from app.services.interchange import oneroster_spec as S

# Files whose rows name a user, and the column that does.
USER_COLUMN = {"users": "sourced_id", "demographics": "sourced_id", "roles": "user_sourced_id",
               "enrollments": "user_sourced_id", "results": "student_sourced_id", "userProfiles": "user_sourced_id",
               "userResources": "user_sourced_id"}

WITHHELD_SQL = """
SELECT u.sourced_id FROM oneroster.users u
 WHERE EXISTS (SELECT 1 FROM compliance.privacy_consents pc
                WHERE pc.student_id IN (u.sourced_id, u.identifier)
                  AND pc.consent_type ILIKE 'directory%'
                  AND (lower(pc.consent_status) IN ('denied', 'withdrawn', 'opted out', 'opt-out', 'refused')
                       OR pc.withdrawal_date IS NOT NULL))
"""


@dataclass(frozen=True)
class ExportResult:
    path: str
    files: dict  # file name -> data rows
    delta: bool
    withheld: int

    def summary(self) -> str:
        rows = sum(self.files.values())
        kind = "delta" if self.delta else "bulk"
        held = f"; {self.withheld} students left out (directory information withheld)" if self.withheld else ""
        return f"Wrote a OneRoster 1.2 {kind} package to {self.path}: {len(self.files)} files, {rows} rows{held}."


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    if isinstance(v, dict):
        return ",".join(f"{{{k}:{x}}}" for k, x in v.items())
    return str(v)


def build_package(conn: Connection, *, delta_since: datetime | None = None) -> tuple[dict[str, bytes], dict, int]:
    """The package's files (name -> CSV bytes), the data rows per file and the students withheld."""
    withheld = set(conn.execute(text(WITHHELD_SQL)).scalars())
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    modes: dict[str, str] = {}
    user_ids: dict[str, str] = {}
    for uid, t, ident in conn.execute(text(
            "SELECT user_sourced_id, type, identifier FROM oneroster.user_ids ORDER BY 1, 2, 3")):
        user_ids[uid] = (user_ids[uid] + "," if uid in user_ids else "") + f"{{{t}:{ident}}}"
    for name in S.FILES_12:
        spec = S.FILES_12[name]
        cols = [S.db_column(h) for h in spec.headers if h != "userIds"]
        where, params = ("status = 'active'", {}) if delta_since is None else ("date_last_modified > :since",
                                                                               {"since": delta_since})
        rows = conn.execute(text(f"SELECT {', '.join(cols)}, metadata FROM oneroster.{spec.table} WHERE {where} "
                                 "ORDER BY sourced_id"), params).all()
        ucol = USER_COLUMN.get(name)
        if ucol and withheld:
            at = cols.index(ucol)
            rows = [r for r in rows if r[at] not in withheld]
        if not rows:
            continue
        meta_keys = sorted({k for r in rows if r[-1] for k in r[-1]})
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(list(spec.headers) + [f"metadata.{k}" for k in meta_keys])
        agents_at = cols.index("agent_sourced_ids") if name == "users" else None
        for r in rows:
            vals = list(r[:-1])
            if delta_since is None:
                vals[1] = vals[2] = None
            if agents_at is not None and vals[agents_at] and withheld:
                vals[agents_at] = [a for a in vals[agents_at] if a not in withheld] or None
            cells = [_fmt(v) for v in vals]
            if name == "users":
                cells.insert(spec.headers.index("userIds"), user_ids.get(r[0], ""))
            meta = r[-1] or {}
            w.writerow(cells + [_fmt(meta.get(k)) for k in meta_keys])
        files[f"{name}.csv"] = out.getvalue().encode("utf-8")
        counts[f"{name}.csv"] = len(rows)
        modes[name] = "delta" if delta_since is not None else "bulk"
    man = io.StringIO()
    w = csv.writer(man, lineterminator="\r\n")
    w.writerows([("propertyName", "value"), ("manifest.version", "1.0"), ("oneroster.version", "1.2")])
    for name in S.FILES_12:
        w.writerow((f"file.{name}", modes.get(name, "absent")))
    w.writerows([("source.systemName", "School Office"), ("source.systemCode", "school-office")])
    files["manifest.csv"] = man.getvalue().encode("utf-8")
    return files, counts, len(withheld)


def export_oneroster(engine: Engine, directory: str | Path, *, delta_since: datetime | None = None,
                     nightly: bool = False, today: date | None = None) -> ExportResult:
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"The folder {target} cannot be created ({exc.strerror}); choose another.") from exc
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        files, counts, withheld = build_package(conn, delta_since=delta_since)
    if nightly:
        day = (today or datetime.now(timezone.utc).date()).isoformat()
        path = target / f"oneroster-{day}{'-delta' if delta_since else ''}.zip"
        tmp = path.with_suffix(".zip.part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for n, data in files.items():
                z.writestr(n, data)
        tmp.replace(path)  # a feed reader never sees half a zip
    else:
        path = target
        for old in target.glob("*.csv"):
            if old.name == "manifest.csv" or old.stem in S.FILES_12:
                old.unlink()  # a file left from an earlier export would contradict the manifest
        for n, data in files.items():
            (target / n).write_bytes(data)
    return ExportResult(str(path), counts, delta_since is not None, withheld)
