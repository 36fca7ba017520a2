"""Load a validated OneRoster package: COPY into staging tables, then set-based SQL.

One transaction: every file's rows are COPYed into a temporary staging table shaped like its
OneRoster table, then one INSERT ... ON CONFLICT per table upserts them (a row changes, and its
dateLastModified moves, only when a value differs), bulk files mark what they no longer list as
`tobedeleted`, and app.services.interchange.oneroster_edfi maps the rows to the Ed-Fi tables.
The tables' per-row audit triggers are suspended for the load and the import is written to the
FERPA audit trail as one entry (what was loaded, from which package, by whom).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from app.domain import oneroster_ids as orid
from app.services.interchange import oneroster_spec as S
from app.services.interchange.oneroster_sqlcheck import create_stage, exists, stage_columns, stage_records
from app.services.interchange.oneroster_validate import Validation

log = logging.getLogger(__name__)

# 1.1 roles that 1.2 words differently (users.role -> roles.role; enrollments.role)
ROLE_11 = {"administrator": "siteAdministrator"}
ENROLLMENT_ROLE_11 = {"aide": "proctor"}  # 1.2 keeps administrator, proctor, student, teacher
PEOPLE_ONLY_11 = {"parent", "guardian", "relative"}  # 1.1 class "enrollments" of family: not class members in 1.2


@dataclass(frozen=True)
class LoadReport:
    changed: dict  # table -> rows inserted or updated (or marked tobedeleted)
    total_rows: int

    @property
    def changed_rows(self) -> int:
        return sum(self.changed.values())


def _rows_12(val: Validation) -> dict[str, list[dict]]:
    """The package's records in OneRoster 1.2 shape (1.1 users give roles rows, etc.)."""
    out = {name: list(fd.records) for name, fd in val.files.items()}
    if val.version != "1.1":
        return out
    roles = []
    for u in out.get("users", []):
        role = ROLE_11.get(u.get("role"), u.get("role"))
        for i, org in enumerate(u.get("orgSourcedIds") or ()):
            roles.append({"sourcedId": orid.role_id(u["sourcedId"], org, role), "status": u.get("status"),
                          "dateLastModified": u.get("dateLastModified"), "userSourcedId": u["sourcedId"],
                          "roleType": "primary" if i == 0 else "secondary", "role": role, "orgSourcedId": org,
                          "_mode": val.files["users"].mode})
        if u.get("orgSourcedIds"):
            u["primaryOrgSourcedId"] = u["orgSourcedIds"][0]
    if roles:
        out["roles"] = roles
    enr = []
    for e in out.get("enrollments", []):
        if e.get("role") in PEOPLE_ONLY_11:
            continue
        e["role"] = ENROLLMENT_ROLE_11.get(e.get("role"), e.get("role"))
        enr.append(e)
    if "enrollments" in out:
        out["enrollments"] = enr
    for li in out.get("lineItems", []):
        li["academicSessionSourcedId"] = li.pop("gradingPeriodSourcedId", None)
    return out


def load(conn: Connection, val: Validation, *, now: datetime, package_label: str, package_digest: str) -> LoadReport:
    from app.services.interchange import oneroster_edfi

    rows = _rows_12(val)
    changed: dict[str, int] = {}
    # sorts and hashes of a district's rows stay in memory (the default 4 MB spills them to disk)
    conn.execute(text("SET LOCAL work_mem = '64MB'"))
    touched = ([f"oneroster.{S.FILES_12[n].table}" for n in S.LOAD_ORDER if n in rows]
               + ["oneroster.user_ids", "compliance.person_past_ids"])
    edfi_tables = list(oneroster_edfi.TABLES)
    suspend_audit(conn, touched + edfi_tables)
    if val.first_load is not None:  # checked and written in one pass (oneroster_firstload)
        from app.services.interchange.oneroster_firstload import people_views

        changed.update(val.first_load)  # (its tables analyzed there)
        people_views(conn, set(rows))
        changed.update(oneroster_edfi.map_to_edfi(conn, set(rows), now=now))
        people_views(conn, set(rows), drop=True)
    else:
        _upsert_files(conn, val, rows, changed, now)
        changed.update(oneroster_edfi.map_to_edfi(conn, set(rows), now=now))
    suspend_audit(conn, touched + edfi_tables, enable=True)
    changed = {k: v for k, v in changed.items() if v}
    if changed:
        conn.execute(text(
            "INSERT INTO compliance.audit_logs (user_id, application_user, table_name, record_id, operation, "
            "new_values, user_agent, justification, data_categories) "
            "VALUES (session_user, nullif(current_setting('school_office.app_user', true), ''), 'oneroster.*', "
            ":rec, 'IMPORT', CAST(:summary AS jsonb), 'school-office-admin', :why, ARRAY['rostering'])"),
            {"rec": package_label[:200], "why": "OneRoster package import",
             "summary": json.dumps({"package": package_label, "sha256": package_digest,
                                    "oneroster_version": val.version, "rows": val.rows,
                                    "source": val.manifest.get("source.systemName"),
                                    "modes": {n: fd.mode for n, fd in val.files.items()}, "changed": changed})})
    return LoadReport(changed, val.rows)


def _upsert_files(conn: Connection, val: Validation, rows: dict[str, list[dict]], changed: dict, now: datetime) -> None:
    dropped: list[tuple[str, str, str]] = []
    indexes: list[str] = []
    for name in S.LOAD_ORDER:
        if name not in rows:
            continue
        spec = S.FILES_12[name]
        fd = val.files.get(name)
        mode = fd.mode if fd else val.files["users"].mode  # 1.1: roles come from users
        db_cols = [S.db_column(h) for h in stage_columns(spec)] + ["metadata"]
        stage = f"stage_{spec.table}"
        started = time.perf_counter()
        if not exists(conn, stage):  # read row by row (OneRoster 1.1): its records staged here
            create_stage(conn, spec.table)
            stage_records(conn, spec.table, spec, rows[name])
            conn.execute(text(f"ANALYZE {stage}"))  # (the SQL checks analyzed theirs)
        if (fd.count if fd else len(rows[name])) >= BIG and not conn.execute(text(
                f"SELECT EXISTS (SELECT 1 FROM oneroster.{spec.table})")).scalar():  # a first load only
            dropped += drop_foreign_keys(conn, f"oneroster.{spec.table}")
            indexes += drop_secondary_indexes(conn, f"oneroster.{spec.table}")
        conn.execute(text(f"CREATE UNIQUE INDEX IF NOT EXISTS {stage}_sid ON {stage} (sourced_id)"))
        copied = time.perf_counter()
        gone = 0
        if name == "users":  # (before the users change: the ids they hold now)
            _ids_given_up(conn, bulk=mode == "bulk")
        if mode == "bulk":  # before the upsert: on a first load there is nothing to look through
            gone = conn.execute(text(
                f"UPDATE oneroster.{spec.table} t SET status = 'tobedeleted', date_last_modified = :now "
                f"WHERE t.status = 'active' AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.sourced_id = t.sourced_id)"),
                {"now": now}).rowcount
        changed[f"oneroster.{spec.table}"] = gone + _upsert(conn, spec.table, stage, db_cols, bulk=mode == "bulk",
                                                            now=now)
        log.debug("%s: staged in %.2f s, upserted in %.2f s", name, copied - started, time.perf_counter() - copied)
        # fresh statistics: later references to this table (foreign keys checked again, the Ed-Fi
        # mapping) are planned for its real size, not for the empty table it was
        conn.execute(text(f"ANALYZE oneroster.{spec.table}"))
        if name == "users":
            changed["oneroster.user_ids"] = _user_ids(conn)
            changed["compliance.person_past_ids"] = _past_ids(conn, now)
    for ddl in indexes:
        conn.execute(text(ddl))
    restore_foreign_keys(conn, dropped)


def _ids_given_up(conn: Connection, *, bulk: bool) -> None:
    """tmp_ids_given_up: the Ed-Fi unique ids the package's users may give up, read before they change: an active
    user's when the package gives them another one or retires them (a bulk users.csv retires everyone it leaves out),
    and a retired user's when it brings them back under another one, if that id is an Ed-Fi person no active user
    holds (else it was never theirs to keep, or a replacement took it over: review of 77dffbc)."""
    old, new = orid.edfi_person_id_sql("u."), orid.edfi_person_id_sql("s.")
    held = orid.edfi_person_id_sql("a.")
    theirs = (f"(u.status IS DISTINCT FROM 'tobedeleted' OR (NOT EXISTS (SELECT 1 FROM oneroster.users a "
              f"WHERE a.status IS DISTINCT FROM 'tobedeleted' AND a.sourced_id <> u.sourced_id AND {held} = {old}) "
              f"AND {orid.edfi_person_sql(old)}))")
    left_out = (f" UNION ALL SELECT u.sourced_id, {old} FROM oneroster.users u WHERE u.status IS DISTINCT FROM "
                "'tobedeleted' AND NOT EXISTS (SELECT 1 FROM stage_users s WHERE s.sourced_id = u.sourced_id)"
                if bulk else "")
    # the users of the database the package marks tobedeleted, with the id they had: the Ed-Fi mapping keeps each the
    # person they were until now, or nobody, never a new person (oneroster_edfi, tmp_person)
    conn.execute(text(
        f"CREATE TEMP TABLE tmp_retiring ON COMMIT DROP AS SELECT s.sourced_id, {old} AS unique_id "
        f"FROM stage_users s JOIN oneroster.users u ON u.sourced_id = s.sourced_id WHERE s.status = 'tobedeleted'"))
    conn.execute(text(
        f"CREATE TEMP TABLE tmp_ids_given_up ON COMMIT DROP AS "
        f"SELECT u.sourced_id, {old} AS unique_id FROM stage_users s JOIN oneroster.users u ON u.sourced_id = s.sourced_id "
        f"WHERE ({old} <> {new} OR (s.status = 'tobedeleted' AND u.status IS DISTINCT FROM 'tobedeleted')) "
        f"AND {theirs}{left_out}"))


def _past_ids(conn: Connection, now: datetime) -> int:
    """After the users changed: each id given up (tmp_ids_given_up) that no active user holds now is kept with whose
    it was, since Ed-Fi keeps that person's records under it; no later package may give it to someone else (the
    checks read it) unless it retires that person in the same delta. An id an active user of the package holds now
    (their own taken back, or a retired person's replacement) is freed. Returns the rows changed."""
    held = orid.edfi_person_id_sql("u.")
    freed = conn.execute(text(
        f"DELETE FROM compliance.person_past_ids p USING stage_users s JOIN oneroster.users u "
        f"ON u.sourced_id = s.sourced_id WHERE u.status IS DISTINCT FROM 'tobedeleted' AND p.unique_id = {held}"
    )).rowcount
    given = conn.execute(text(
        f"INSERT INTO compliance.person_past_ids AS p (unique_id, user_sourced_id, given_up) "
        f"SELECT DISTINCT ON (g.unique_id) g.unique_id, g.sourced_id, :now FROM tmp_ids_given_up g "
        f"WHERE NOT EXISTS (SELECT 1 FROM oneroster.users u WHERE u.status IS DISTINCT FROM 'tobedeleted' "
        f"AND {held} = g.unique_id) ORDER BY g.unique_id, g.sourced_id "
        f"ON CONFLICT (unique_id) DO UPDATE SET user_sourced_id = EXCLUDED.user_sourced_id, "
        f"given_up = EXCLUDED.given_up WHERE p.user_sourced_id <> EXCLUDED.user_sourced_id"), {"now": now}).rowcount
    conn.execute(text("DROP TABLE tmp_ids_given_up"))
    return freed + given


# A file this large, loaded into its empty table (a first load; never a re-import or a delta), loads
# with the table's foreign keys and secondary indexes dropped and made again afterwards in the same
# transaction: PostgreSQL then checks every reference in one pass and builds
# each index with one sort instead of one look-up and one insertion per row.
BIG = 20_000


def drop_foreign_keys(conn: Connection, table: str) -> list[tuple[str, str, str]]:
    fks = conn.execute(text("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                            "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"), {"t": table}).all()
    for name, _ in fks:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    return [(table, name, definition) for name, definition in fks]


def drop_secondary_indexes(conn: Connection, table: str) -> list[str]:
    """Drop the indexes no constraint needs; returns the statements that make them again."""
    found = conn.execute(text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = CAST(:t AS regclass) AND NOT i.indisunique AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"), {"t": table}).all()
    for name, _ in found:
        conn.execute(text(f"DROP INDEX {name}"))
    return [ddl for _, ddl in found]


def restore_foreign_keys(conn: Connection, dropped: list[tuple[str, str, str]]) -> None:
    for table, name, definition in dropped:  # checked again, set-based, in this transaction
        started = time.perf_counter()
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        log.debug("%s %s checked again in %.2f s", table, name, time.perf_counter() - started)


def _upsert(conn: Connection, table: str, stage: str, cols: list[str], *, bulk: bool, now: datetime) -> int:
    """dateLastModified is when this database changed the record (what a delta export since the last
    pull must find), not the sender's time; a bulk file's records are active."""
    data = [c for c in cols if c not in ("sourced_id", "date_last_modified")]
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in data + ["date_last_modified"])
    old = ", ".join(f"t.{c}" for c in data)
    new = ", ".join(f"EXCLUDED.{c}" for c in data)
    picked = ", ".join("'active'" if c == "status" and bulk else "CAST(:now AS timestamp)" if c == "date_last_modified"
                       else c for c in cols)
    return conn.execute(text(
        f"INSERT INTO oneroster.{table} AS t ({', '.join(cols)}) SELECT {picked} FROM {stage} "
        f"ON CONFLICT (sourced_id) DO UPDATE SET {sets} WHERE ({old}) IS DISTINCT FROM ({new})"), {"now": now}).rowcount


def _user_ids(conn: Connection) -> int:
    """users.userIds ({type:id},...; a type given twice keeps its last id) into oneroster.user_ids."""
    conn.execute(text("CREATE TEMP TABLE stage_user_ids (LIKE oneroster.user_ids) ON COMMIT DROP"))
    conn.execute(text(
        "INSERT INTO stage_user_ids (user_sourced_id, type, identifier) "
        "SELECT DISTINCT ON (s.sourced_id, p.e->>0) s.sourced_id, p.e->>0, p.e->>1 "
        "FROM stage_users s CROSS JOIN LATERAL jsonb_array_elements(s._pairs) WITH ORDINALITY p(e, i) "
        "ORDER BY s.sourced_id, p.e->>0, p.i DESC"))
    conn.execute(text("CREATE INDEX ON stage_user_ids (user_sourced_id)"))
    conn.execute(text("ANALYZE stage_user_ids"))
    gone = conn.execute(text(
        "DELETE FROM oneroster.user_ids u USING stage_users s WHERE u.user_sourced_id = s.sourced_id "
        "AND NOT EXISTS (SELECT 1 FROM stage_user_ids x WHERE x.user_sourced_id = u.user_sourced_id "
        "AND x.type = u.type AND x.identifier = u.identifier)")).rowcount
    return gone + conn.execute(text(
        "INSERT INTO oneroster.user_ids SELECT * FROM stage_user_ids ON CONFLICT DO NOTHING")).rowcount


def suspend_audit(conn: Connection, tables: list[str], *, enable: bool = False) -> None:
    """Suspend (or restore) only the audit triggers, in this transaction; the owner alone may."""
    for t in tables:
        for trig in conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal "
                "AND tgname IN ('audit_ins', 'audit_upd', 'audit_del')"), {"t": t}).scalars():
            conn.execute(text(f"ALTER TABLE {t} {'ENABLE' if enable else 'DISABLE'} TRIGGER {trig}"))


def digest(package) -> str:
    h = hashlib.sha256()
    for n in sorted(package.names()):
        h.update(n.encode())
        h.update(package._files[n])
    return h.hexdigest()


_audit_triggers = suspend_audit  # (the Ed-Fi XML import's name for it)
