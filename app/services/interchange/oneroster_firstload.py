"""A district's first load: a OneRoster 1.2 package checked and written in one pass.

When every OneRoster table the package loads is empty, the rows need no upsert and no staging copy:
each file is COPYed as it is into a text table (oneroster_sqlcheck), and one INSERT ... SELECT checks
every cell and writes the typed rows straight into oneroster.<table>, whose keys and indexes are
dropped for the load. The keys are then made again, in one pass each: the primary keys find any
sourcedId used twice, the foreign keys any reference to a record the package does not hold. The other
cross-record rules of the binding (oneroster_validate) are asked as set-based queries over the loaded
tables, which hold exactly the package's rows.

All of it runs under a savepoint. If anything at all is not clean (a file PostgreSQL cannot read as
CSV, a header, a cell, a duplicate, a reference, a rule), the savepoint is rolled back, leaving
nothing behind, and the package is checked the usual way (oneroster_sqlcheck), which reports every
problem with its file, row, column and sentence. A clean package is never refused here, and a refused
one is never loaded here: this path only accepts.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from app.domain.oneroster_ids import edfi_org_id_sql
from app.services.interchange import oneroster_spec as S
from app.services.interchange.oneroster_sqlcheck import EDFI_ORG_ID, EDFI_PERSON_ID, SqlValidator, row_sql
from app.services.interchange.oneroster_validate import FileData, Validation

log = logging.getLogger(__name__)

# the temporary names oneroster_edfi reads the package's people from (on this path: the loaded tables)
PEOPLE_VIEWS = {"users": "stage_users", "roles": "stage_roles", "enrollments": "stage_enrollments",
                "demographics": "stage_demographics"}


class NotClean(Exception):
    """Something the usual checks must look at (and word)."""


def try_first_load(package, conn: Connection, *, now: datetime) -> Validation | None:
    """The package checked and loaded into its empty tables (val.first_load: rows per table), or None
    (nothing left behind) when this path does not apply or found anything to report."""
    sv = SqlValidator(package, conn)
    modes = sv._manifest()
    if sv.v.problems or sv.v.version != "1.2" or not modes:
        return None
    tables = [S.FILES_12[n].table for n in S.LOAD_ORDER if n in modes]
    if "users" in modes:
        tables.append("user_ids")
    started = time.perf_counter()
    # sorts and hashes of a district's rows stay in memory (the default 4 MB spills them to disk), and so
    # do the keys' sorts when they are made again
    conn.execute(text("SET LOCAL work_mem = '64MB'"))
    conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    sp = conn.begin_nested()
    try:
        # another import waits here until this one ends (readers do not), so the tables stay as empty as
        # found (a login that may not lock them, such as an administrator's check, goes the usual way)
        conn.execute(text(f"LOCK TABLE {', '.join(f'oneroster.{t}' for t in tables)} IN SHARE ROW EXCLUSIVE MODE"))
        held = " OR ".join(f"EXISTS (SELECT 1 FROM oneroster.{t})" for t in tables)
        if conn.execute(text(f"SELECT {held}")).scalar():
            raise NotClean("the tables hold records already")
        if conn.execute(text("SELECT EXISTS (SELECT 1 FROM compliance.person_past_ids)")).scalar():
            raise NotClean("ids given up earlier are kept: the usual checks read them")
        loaded = _load(sv, conn, modes, tables, now)
    except (NotClean, DBAPIError) as exc:
        sp.rollback()
        log.debug("first load: not taken (%s); checking the usual way", str(exc).splitlines()[0][:200])
        return None
    sp.commit()
    # (oneroster_edfi may read it: every person in the OneRoster tables is the package's, and new)
    conn.execute(text("SELECT set_config('school_office.oneroster_first_load', 'on', true)"))
    sv.v.first_load = loaded
    log.debug("first load checked and written in %.2f s", time.perf_counter() - started)
    return sv.v


def _load(sv: SqlValidator, conn: Connection, modes: dict[str, str], tables: list[str], now: datetime) -> dict:
    from app.services.interchange import oneroster_load as L

    L.suspend_audit(conn, [f"oneroster.{t}" for t in tables])
    keys = _drop_keys(conn, tables)
    loaded: dict[str, int] = {}
    for name in S.LOAD_ORDER:
        if name not in modes:
            continue
        spec, mode = S.FILES_12[name], modes[name]
        started = time.perf_counter()
        got = sv.copy_raw(name, spec, numbered=False)
        if got is None:
            raise NotClean(f"{name}.csv is not plain CSV")
        header, raw, total = got
        fd = FileData(spec, mode)
        sv.v.files[name] = fd
        sv._start_file(fd, header, total)
        if sv.v.problems:
            raise NotClean(f"{name}.csv header")
        # a reference to another file of the package is found among that file's identifiers (its foreign
        # key made again, or _rules), so it needs no check of its characters here
        ok, values, targets = row_sql(conn, f"oneroster.{spec.table}", spec, mode, header, fd.col_at, final=True,
                                      looked_up=frozenset(modes))
        passed = conn.execute(text(
            f"INSERT INTO oneroster.{spec.table} ({', '.join(targets)}) SELECT {', '.join(values)} FROM {raw} "
            f"WHERE coalesce({ok}, false)"), {"now": now}).rowcount
        if passed < total:
            raise NotClean(f"{name}.csv: {total - passed} rows need a closer look")
        fd.count = total
        sv.v.rows += total
        loaded[f"oneroster.{spec.table}"] = passed
        log.debug("%s: %d rows checked and written in %.2f s", name, total, time.perf_counter() - started)
        if name == "users" and fd.col_at.get("userIds") is not None:
            loaded["oneroster.user_ids"] = _user_ids(conn, raw, fd.col_at)
    _restore_keys(conn, keys)
    _rules(conn, set(modes))
    return loaded


def _drop_keys(conn: Connection, tables: list[str]) -> dict:
    """Drop the tables' foreign keys (both ways), secondary indexes and primary keys; returns what makes
    them again."""
    from app.services.interchange import oneroster_load as L

    names = [f"oneroster.{t}" for t in tables]
    fks = [fk for t in names for fk in L.drop_foreign_keys(conn, t)]
    inbound = conn.execute(text(  # from tables the package does not load (empty too: they need these rows)
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
        "AND confrelid = ANY(CAST(:t AS regclass[]))"), {"t": names}).all()
    for table, name, _ in inbound:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    fks += inbound
    indexes = [ddl for t in names for ddl in L.drop_secondary_indexes(conn, t)]
    pks = conn.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype IN ('p', 'u') AND conrelid = ANY(CAST(:t AS regclass[]))"), {"t": names}).all()
    for table, name, _ in pks:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    return {"fks": fks, "indexes": indexes, "pks": pks, "tables": names}


def _restore_keys(conn: Connection, keys: dict) -> None:
    """Primary keys first (a sourcedId used twice fails here), then indexes and statistics, then the foreign keys
    (each one checked in one pass: a reference to a record the tables do not hold fails here)."""
    for table, name, definition in keys["pks"]:
        _timed(conn, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for ddl in keys["indexes"]:
        _timed(conn, ddl)
    started = time.perf_counter()
    # the checks below (and the Ed-Fi mapping) planned for the tables' real size: a small sample is enough
    # for that, and the tables' full statistics follow (autovacuum analyzes them again once the import's
    # rows are committed: they count as changed since this ANALYZE)
    target = conn.execute(text("SELECT current_setting('default_statistics_target')")).scalar()
    conn.execute(text("SET LOCAL default_statistics_target = 10"))
    for table in keys["tables"]:
        conn.execute(text(f"ANALYZE {table}"))
    conn.execute(text("SELECT set_config('default_statistics_target', :t, true)"), {"t": target})
    log.debug("analyzed in %.2f s", time.perf_counter() - started)
    for table, name, definition in keys["fks"]:
        started = time.perf_counter()
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        log.debug("%s %s checked in %.2f s", table, name, time.perf_counter() - started)


def _timed(conn: Connection, ddl: str) -> None:
    started = time.perf_counter()
    conn.execute(text(ddl))
    log.debug("%s in %.2f s", ddl[:90], time.perf_counter() - started)


def _user_ids(conn: Connection, raw: str, col_at: dict[str, int]) -> int:
    """users.userIds ({type:id},...; a type given twice keeps its last id), as oneroster_load does. The
    cells passed the pairs' pattern (no braces or commas inside a pair, no colon in a type), so the
    pairs are what lies between "},{" and a type is what comes before a pair's first colon. A cell of
    one pair (nearly every one) has no type given twice: it is written as it is, and only the cells of
    several pairs are split and sorted to keep each type's last id (a district's sort of every user
    was a tenth of its users' load)."""
    sid, uid = f"c{col_at['sourcedId']}", f"c{col_at['userIds']}"
    return conn.execute(text(
        f"INSERT INTO oneroster.user_ids (user_sourced_id, type, identifier) "
        f"SELECT {sid}, split_part(p, ':', 1), substr(p, strpos(p, ':') + 1) "
        f"FROM (SELECT {sid}, substr({uid}, 2, length({uid}) - 2) AS p FROM {raw} "
        f"WHERE {uid} <> '' AND strpos({uid}, '}},{{') = 0) one "
        f"UNION ALL "
        f"SELECT * FROM (SELECT DISTINCT ON ({sid}, split_part(p, ':', 1)) {sid}, split_part(p, ':', 1), "
        f"substr(p, strpos(p, ':') + 1) FROM {raw} "
        f"CROSS JOIN LATERAL unnest(string_to_array(substr({uid}, 2, length({uid}) - 2), '}},{{')) "
        f"WITH ORDINALITY x(p, i) WHERE strpos({uid}, '}},{{') > 0 "
        f"ORDER BY {sid}, split_part(p, ':', 1), x.i DESC) several")).rowcount


def _refs_by_foreign_key(conn: Connection) -> set[tuple[str, str, str]]:
    """(table, column, referenced table) of the OneRoster tables' single-column foreign keys."""
    return {(t.split(".")[-1], c, r.split(".")[-1]) for t, c, r in conn.execute(text(
        "SELECT conrelid::regclass::text, a.attname, confrelid::regclass::text FROM pg_constraint k "
        "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] "
        "WHERE k.contype = 'f' AND cardinality(k.conkey) = 1 AND k.connamespace = 'oneroster'::regnamespace"))}


def _rules(conn: Connection, names: set[str]) -> None:
    """The cross-record rules the keys do not already enforce, each as one question: is any row against
    it? The tables of the package's files hold exactly its records (any status); others, the database's
    active records (oneroster_sqlcheck's reading of "in neither the package nor the database")."""
    fk = _refs_by_foreign_key(conn)

    def known(entity: str, alias: str = "d") -> str:
        table = S.FILES_12[entity].table
        return f"oneroster.{table} {alias}" + ("" if entity in names else f" WHERE {alias}.status = 'active'")

    def org_type() -> str:  # the org the package or the database says (the package's when both do)
        return f"(SELECT sourced_id, type FROM {known('orgs')})"

    asks: list[tuple[str, str]] = []
    for name in names:
        spec = S.FILES_12[name]
        t = f"oneroster.{spec.table}"
        for h, kind, _req in spec.columns:
            if not kind.startswith(("ref:", "refs:")):
                continue
            target, col = kind.split(":", 1)[1], S.db_column(h)
            if kind.startswith("ref:") and target in names and (spec.table, col, S.FILES_12[target].table) in fk:
                continue  # checked when the foreign key was made again
            found = (f"{t} s CROSS JOIN LATERAL unnest(s.{col}) x(v) WHERE x.v IS NOT NULL AND x.v"
                     if kind.startswith("refs:") else f"{t} s WHERE s.{col} IS NOT NULL AND s.{col}")
            asks.append((f"{name}.{h}", f"SELECT 1 FROM {found} NOT IN (SELECT d.sourced_id FROM {known(target)})"))
        if name == "demographics" and not ("users" in names and ("demographics", "sourced_id", "users") in fk):
            asks.append(("demographics user", f"SELECT 1 FROM {t} s WHERE s.sourced_id NOT IN "
                                              f"(SELECT d.sourced_id FROM {known('users')})"))
    for name in ("classes", "enrollments", "lineItems"):
        if name in names:
            asks.append((f"{name} school", f"SELECT 1 FROM oneroster.{S.FILES_12[name].table} s "
                                           f"JOIN {org_type()} o ON o.sourced_id = s.school_sourced_id "
                                           f"WHERE o.type <> 'school'"))
    for name in ("courses", "classes"):
        if name in names:
            asks.append((f"{name} codes", f"SELECT 1 FROM oneroster.{S.FILES_12[name].table} "
                                          f"WHERE cardinality(subjects) <> cardinality(subject_codes)"))
    if "roles" in names:
        asks.append(("second primary", "SELECT 1 FROM oneroster.roles WHERE role_type = 'primary' "
                                       "AND status IS DISTINCT FROM 'tobedeleted' "
                                       "GROUP BY user_sourced_id, org_sourced_id HAVING count(*) > 1"))
        asks.append(("role's profile", f"SELECT 1 FROM oneroster.roles r JOIN (SELECT d.sourced_id, d.user_sourced_id "
                                       f"FROM {known('userProfiles')}) p ON p.sourced_id = r.user_profile_sourced_id "
                                       f"WHERE p.user_sourced_id <> r.user_sourced_id "
                                       f"AND r.status IS DISTINCT FROM 'tobedeleted'"))
    if "users" in names:
        asks.append(("primary org role", f"SELECT 1 FROM oneroster.users u WHERE u.primary_org_sourced_id "
                                         f"IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {known('roles', 'r')} "
                                         f"{'AND' if 'roles' not in names else 'WHERE'} r.user_sourced_id = "
                                         f"u.sourced_id AND r.org_sourced_id = u.primary_org_sourced_id)"))
        # two people with one identifier, or whom Ed-Fi would know by one unique id (an identifier of up to 32
        # characters is their unique id: one look at the users for both); a retired one gives theirs up
        live = "status IS DISTINCT FROM 'tobedeleted'"
        asks.append(("same identifier or Ed-Fi id", f"SELECT 1 FROM oneroster.users WHERE {live} "
                                                    f"GROUP BY {EDFI_PERSON_ID} HAVING count(*) > 1 UNION ALL "
                                                    f"SELECT 1 FROM oneroster.users WHERE {live} AND "
                                                    f"length(identifier) > 32 GROUP BY identifier HAVING count(*) > 1"))
    if "courses" in names:  # (two titles for one Ed-Fi course: a note the usual checks word)
        # (one Ed-Fi course: one code at one Ed-Fi organization, Validator._course_orgs: a school's or district's
        # Ed-Fi id, else the schools of the course's classes, else the org itself)
        org_id, school_id = (f"CAST({edfi_org_id_sql(a)} AS text)" for a in ("o.", "so."))
        live = "status IS DISTINCT FROM 'tobedeleted'"
        of_course = f"o.sourced_id IS NULL AND cl.course_sourced_id = c.sourced_id AND cl.{live}"
        asks.append(("one course code, two titles", f"""
            SELECT 1 FROM oneroster.courses c
              LEFT JOIN oneroster.orgs o ON o.sourced_id = c.org_sourced_id AND o.type IN ('district', 'school')
             CROSS JOIN LATERAL (
                   SELECT {org_id} AS k WHERE o.sourced_id IS NOT NULL
                   UNION SELECT COALESCE({school_id}, 'org ' || cl.school_sourced_id) FROM oneroster.classes cl
                           LEFT JOIN oneroster.orgs so ON so.sourced_id = cl.school_sourced_id
                            AND so.type IN ('district', 'school')
                          WHERE {of_course}
                   UNION SELECT 'org ' || c.org_sourced_id WHERE o.sourced_id IS NULL
                     AND NOT EXISTS (SELECT 1 FROM oneroster.classes cl WHERE {of_course})) k
             WHERE c.{live}
             GROUP BY left(COALESCE(NULLIF(c.course_code, ''), c.sourced_id), 60), k.k
            HAVING count(DISTINCT c.title) > 1"""))
    if "orgs" in names:
        asks.append(("same Ed-Fi org id", f"SELECT 1 FROM oneroster.orgs WHERE type IN ('district', 'school') "
                                          f"AND status IS DISTINCT FROM 'tobedeleted' "
                                          f"GROUP BY {EDFI_ORG_ID} HAVING count(*) > 1"))
    if "results" in names:
        enrolled = ("oneroster.enrollments e WHERE e.status IS DISTINCT FROM 'tobedeleted'" if "enrollments" in names
                    else "oneroster.enrollments e WHERE e.status = 'active'")
        asks.append(("score range", "SELECT 1 FROM oneroster.results r JOIN oneroster.line_items li "
                                    "ON li.sourced_id = r.line_item_sourced_id WHERE r.score IS NOT NULL "
                                    "AND (r.score < li.result_value_min OR r.score > li.result_value_max) IS TRUE"))
        asks.append(("not enrolled", f"SELECT 1 FROM oneroster.results r JOIN oneroster.line_items li "
                                     f"ON li.sourced_id = r.line_item_sourced_id WHERE r.student_sourced_id IS NOT NULL "
                                     f"AND li.class_sourced_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {enrolled} "
                                     f"AND e.user_sourced_id = r.student_sourced_id "
                                     f"AND e.class_sourced_id = li.class_sourced_id)"))
    for what, query in asks:
        started = time.perf_counter()
        # (a count, not EXISTS: on a clean package every row is looked at either way, and a count is planned
        # for that, with hash joins, where EXISTS plans for an early find: a look-up in an index a row)
        found = conn.execute(text(f"SELECT count(*) > 0 FROM ({query}) q")).scalar()
        log.debug("%.2f s: %s", time.perf_counter() - started, what)
        if found:
            raise NotClean(what)


def people_views(conn: Connection, names: set[str], *, drop: bool = False) -> None:
    """What oneroster_edfi reads the package's people from: on a first load, the loaded tables. With
    users.csv in the package, its users are all of them: every person a role, an enrollment or
    demographics name is one of them (their foreign keys were made again)."""
    for name, view in PEOPLE_VIEWS.items():
        if name in names and (name == "users" or "users" not in names):
            conn.execute(text(f"DROP VIEW {view}" if drop else
                              f"CREATE TEMP VIEW {view} AS SELECT * FROM oneroster.{S.FILES_12[name].table}"))
