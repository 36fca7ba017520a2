"""Check a OneRoster 1.2 package in the database: each file's bytes are COPYed as they are (PostgreSQL
parses the CSV: quoting, commas, quotes and line breaks in values) into a text table, every cell is
checked there with one set-based predicate per file, and the rows are converted into a typed staging
table `stage_<table>` (what oneroster_load then upserts from). The cross-record rules (references to
the package or the database, school orgs, duplicate primary roles, result ranges, ...) are joins over
the staging tables.

The sentences stay in one place: a row the predicate does not pass (a bad cell, a duplicate sourcedId,
a bulk/delta status rule) is read back and checked by the row-by-row code (oneroster_validate), which
reports it exactly as it always has and gives its typed record; the joins report through the same
Validator methods. A file PostgreSQL cannot read as CSV of its header's width (ragged rows, blank
lines, broken quoting, not UTF-8) is read row by row as before. OneRoster 1.1 packages (small, and
mapped to 1.2 on the way in) are read row by row.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from app.domain.oneroster_ids import edfi_org_id_sql, edfi_person_id_sql
from app.services.interchange import oneroster_spec as S
from app.services.interchange.copy_text import copy_rows
from app.services.interchange.oneroster_validate import LONG, PAST, FileData, Validator, edfi_person_id

log = logging.getLogger(__name__)

_ID = "[0-9A-Za-z./@_-]+"  # with length(cell) <= 255 (a bounded repeat is ~100 times slower in PostgreSQL)
EXT = "ext:_%"  # an extension value: ext: and at least one character
_GRADE = "(IT|PR|PK|TK|KG|0[1-9]|1[0-3]|PS|UG|Other)"
_PAIR_LIST = r"\{[^{}:,]+:[^{},]*\}"  # a userIds item: {type:id}
_SSV = r"\{[^{}:]+:[^{}]*\}"  # a scoreScaleValue item: {A:94}
# what Python's str.strip() removes: a list item with it at either end goes the row-by-row way
# a person's unique id in Ed-Fi (oneroster_edfi's tmp_person; oneroster_validate.edfi_person_id)
EDFI_PERSON_ID = edfi_person_id_sql()
# a school's or district's EducationOrganizationId (oneroster_edfi's tmp_org; oneroster_validate.edfi_org_id)
EDFI_ORG_ID = edfi_org_id_sql()
_WS = r"[\t\n\x0b\x0c\r\x1c-\x1f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


# a quote inside an unquoted value (Good "work") or after a closing one ("a"b): Python's reader keeps
# the first as it is and refuses the second, PostgreSQL's COPY would take both as quoting; such a file
# is read row by row (a quote neither doubled nor at a value's edge; a literal first, so it is fast)
STRAY_QUOTE = re.compile(rb'"(?![,\r\n"])(?<=[^,\n"]")')


def _first_record(body: str) -> str:
    """The text the header row is read from: up to the first line break, when no quoted value runs past it
    (an even number of quotes before it), else all of it. (A reader over a whole district's file copies
    it, 4 bytes a character, to read one row.)"""
    end = body.find("\n")
    return body if end < 0 or body.count('"', 0, end) % 2 else body[:end + 1]


def _lit(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def _digits(c: str) -> str:
    """The cell with every ASCII digit written 9 (a format check without a regular expression)."""
    return f"translate({c}, '012345678', '999999999')"


def _ok(kind: str, c: str) -> str:
    """A SQL condition on a non-empty cell `c` that holds only when the row-by-row check accepts the
    value as it is (so the plain conversion below gives the same typed value); stricter is fine."""
    if kind in ("str", "list"):
        return "TRUE" if kind == "str" else f"{c} !~ '(^|,){_WS}|{_WS}(,|$)'"
    if kind == "id" or kind.startswith("ref:"):
        return f"(length({c}) <= 255 AND {c} ~ '^{_ID}$')"
    if kind.startswith("refs:"):
        return f"(length({c}) <= 255 AND {c} ~ '^{_ID}(,{_ID})*$')"
    if kind == "status":
        return f"{c} IN ({', '.join(map(_lit, S.STATUSES))})"
    if kind == "date":
        return f"({_digits(c)} = '9999-99-99' AND left({c}, 4) <> '0000' AND pg_input_is_valid({c}, 'date'))"
    if kind == "datetime":
        return (f"({_digits(c)} = '9999-99-99T99:99:99.999Z' AND substr({c}, 12, 2) <= '23' "
                f"AND substr({c}, 15, 2) <= '59' AND substr({c}, 18, 2) <= '59' AND left({c}, 4) <> '0000' "
                f"AND pg_input_is_valid(left({c}, 10), 'date'))")
    if kind == "year":
        return f"{_digits(c)} = '9999'"
    if kind == "bool":
        return f"{c} IN ('true', 'false')"
    if kind == "int":
        return f"(length({c}) <= 9 AND {c} ~ '^[+-]?[0-9]+$')"
    if kind == "dec":
        return f"(length({c}) <= 30 AND {c} ~ '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$')"
    if kind.startswith("enum:"):
        values, ext = S.ENUMS[kind[5:]]
        return f"({c} IN ({', '.join(map(_lit, values))}){f' OR {c} LIKE {_lit(EXT)}' if ext else ''})"
    if kind == "grades":
        return f"{c} ~ '^{_GRADE}(,{_GRADE})*$'"
    if kind == "userids":
        return f"{c} ~ '^{_PAIR_LIST}(,{_PAIR_LIST})*$'"
    if kind == "ssv":
        return f"{c} ~ '^{_SSV}(,{_SSV})*$'"
    raise AssertionError(kind)


def _fast_ok(kind: str, c: str) -> str:
    """_ok for the one-pass first load (oneroster_firstload), where a conversion that fails is as good as
    a check that fails (the statement's error sends the package the usual way): a date is one that
    PostgreSQL reads and writes back exactly as sent (YYYY-MM-DD, years 1-9999)."""
    if kind == "date":
        return f"(octet_length({c}) = 10 AND CAST({c} AS date)::text = {c})"
    return _ok(kind, c)


def _convert(kind: str, c: str, sql_type: str) -> str:
    """The typed value of a cell that passed _ok (NULL when empty), as the row-by-row check gives it."""
    v = f"NULLIF({c}, '')"
    if kind.startswith("refs:") or kind in ("grades", "list"):
        return f"string_to_array({v}, ',')"
    if kind == "ssv":
        return (f"(SELECT jsonb_object_agg(m[1], m[2]) FROM regexp_matches({c}, "
                f"'\\{{([^{{}}:]+):([^{{}}]*)\\}}', 'g') m)")
    if kind == "datetime":
        return f"CAST(left({v}, 23) AS {sql_type})"
    if sql_type.startswith(("character", "text")):
        return v  # the column's own (assignment) cast: a value too long is refused, never cut
    return f"CAST({v} AS {sql_type})"


def create_stage(conn: Connection, table: str) -> str:
    """A staging table with the columns of oneroster.<table> (no constraints: a checked file's rows land
    there with their bad cells empty), the file's row and the userIds pairs."""
    stage = f"stage_{table}"
    conn.execute(text(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT * FROM oneroster.{table} WITH NO DATA"))
    # numbers as the file wrote them (a message quotes a score as sent); the upsert casts to the table's scale
    alter = [f"ALTER COLUMN {c} TYPE numeric" for c in conn.execute(text(
        "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 "
        "AND format_type(atttypid, atttypmod) LIKE 'numeric(%'"), {"t": stage}).scalars()]
    conn.execute(text(f"ALTER TABLE {stage} {', '.join(alter + ['ADD COLUMN _row int', 'ADD COLUMN _pairs jsonb'])}"))
    return stage


def stage_columns(spec: S.FileSpec) -> list[str]:
    return [h for h in spec.headers if h != "userIds"]


def stage_records(conn: Connection, table: str, spec: S.FileSpec, records: list[dict]) -> int:
    """Rows checked (and typed) in Python into the staging table."""
    cols = stage_columns(spec)

    def value(v):
        return dict(v) if isinstance(v, list) and v and isinstance(v[0], tuple) else v  # scoreScaleValue pairs

    rows = ([value(r.get(h)) for h in cols]
            + [r.get("_meta") or None, r.get("_row"), json.dumps(r["userIds"]) if r.get("userIds") else None]
            for r in records)
    return copy_rows(conn, f"stage_{table}", [S.db_column(h) for h in cols] + ["metadata", "_row", "_pairs"], rows)


def exists(conn: Connection, table: str) -> bool:
    return conn.execute(text("SELECT to_regclass(:t)"), {"t": f"pg_temp.{table}"}).scalar() is not None


def column_types(conn: Connection, table: str) -> dict[str, str]:
    return dict(conn.execute(text(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"), {"t": table}).all())


def row_sql(conn: Connection, table: str, spec: S.FileSpec, mode: str, header: list[str], col_at: dict[str, int],
            *, final: bool = False, looked_up: frozenset[str] = frozenset()) -> tuple[str, list[str], list[str]]:
    """(condition, select list, target columns) that check a raw_<table> row's cells and convert them into
    `table`: the staging table (the file's values, its row and userIds pairs), or with `final` the
    OneRoster table itself (a bulk file's records active, dateLastModified :now, numbers only when the
    column's scale holds them exactly). A reference to a file in `looked_up` is not checked here: the
    caller finds it among that file's (checked) identifiers, or fails."""
    types = column_types(conn, table)
    # the OneRoster table's numbers (a staging table's are unconstrained): a value must fit once rounded
    held = {k: v for k, v in column_types(conn, f"oneroster.{spec.table}").items() if v.startswith("numeric(")}
    conds, values, ids = [], [], []
    for h, kind, req in spec.columns:
        at = col_at.get(h)
        c = f"c{at}"
        if h in ("status", "dateLastModified"):  # the bulk/delta rules
            if mode == "bulk":
                conds.append("TRUE" if at is None else f"coalesce({c}, '') = ''")
            else:
                conds.append("FALSE" if at is None else f"coalesce({c}, '') <> ''")
        sql_type = types.get(S.db_column(h), "")
        scale = re.fullmatch(r"numeric\(\d+,(\d+)\)", sql_type)
        if final and at is not None and (kind == "id" or kind.startswith("ref:")):
            if kind[4:] not in looked_up:
                ids.append(c)  # all of a row's identifiers checked at once, below
            if req:
                conds.append(f"{c} <> ''")
        elif at is not None and not (mode == "bulk" and h in ("status", "dateLastModified")):  # (blank, above)
            ok = _fast_ok(kind, c) if final else _ok(kind, c)
            width = re.fullmatch(r"character varying\((\d+)\)", sql_type)
            if width and (kind == "str" or kind.startswith("enum:")):  # (a longer value: the row-by-row message)
                ok = f"{ok} AND (octet_length({c}) <= {width.group(1)} OR length({c}) <= {width.group(1)})"
            fits = re.fullmatch(r"numeric\((\d+),(\d+)\)", held.get(S.db_column(h), ""))
            if fits and kind == "dec":  # (the row-by-row message for a number too large)
                p, s = int(fits.group(1)), int(fits.group(2))
                ok = f"CASE WHEN {ok} THEN abs(round(CAST({c} AS numeric), {s})) < 1e{p - s} ELSE false END"
            if scale:  # (a staging table's numbers are unconstrained)
                ok = f"{ok} AND CAST({c} AS numeric) = round(CAST({c} AS numeric), {scale.group(1)})"
            conds.append(f"{c} <> '' AND {ok}" if req else f"(coalesce({c}, '') = '' OR {ok})")
        if kind == "userids":
            continue
        if final and h == "dateLastModified":
            values.append("CAST(:now AS timestamp)")
        elif final and h == "status" and mode == "bulk":
            values.append("'active'")
        else:
            values.append("NULL" if at is None else _convert(kind, c, "numeric" if scale else sql_type))
    if len(ids) == 1:  # (only ASCII passes, so bytes count characters; concat() would copy the value)
        conds.append(f"octet_length({ids[0]}) <= 255 AND coalesce({ids[0]}, '') ~ '^[0-9A-Za-z./@_-]*$'")
    elif ids:
        conds.append(f"greatest({', '.join(f'octet_length({c})' for c in ids)}) <= 255 "
                     f"AND concat({', '.join(ids)}) ~ '^[0-9A-Za-z./@_-]*$'")
    meta = [(h[9:], i) for i, h in enumerate(header) if h.startswith("metadata.")]
    values.append("NULLIF(jsonb_strip_nulls(jsonb_build_object(" + ", ".join(
        f"{_lit(k)}, NULLIF(c{i}, '')" for k, i in meta) + ")), '{}')" if meta else "NULL")
    targets = [S.db_column(h) for h in stage_columns(spec)] + ["metadata"]
    if not final:
        values.append("rn + 1")
        uid_at = col_at.get("userIds")
        values.append("NULL" if uid_at is None else
                      f"(SELECT jsonb_agg(jsonb_build_array(m[1], m[2])) FROM regexp_matches(c{uid_at}, "
                      f"'{PAIRS}', 'g') m)")
        targets += ["_row", "_pairs"]
    return " AND ".join(f"({c})" for c in conds) or "TRUE", values, targets


PAIRS = "\\{([^{}:,]+):([^{},]*)\\}"  # a userIds pair's type and id


class SqlValidator(Validator):
    def _file(self, name: str, mode: str) -> None:
        if self.v.version != "1.2":
            return super()._file(name, mode)
        started = time.perf_counter()
        spec = S.FILES_12[name]
        if not self._copied(name, spec, mode):
            log.debug("%s.csv read row by row", name)
            super()._file(name, mode)
            fd = self.v.files.get(name)
            if fd is not None:
                create_stage(self.conn, spec.table)
                stage_records(self.conn, spec.table, spec, fd.records)
        log.debug("%s.csv checked in %.2f s", name, time.perf_counter() - started)

    def _copied(self, name: str, spec: S.FileSpec, mode: str) -> bool:
        """COPY the file and check it in SQL; False (and nothing left behind) when PostgreSQL cannot read
        it as CSV of its header's width."""
        got = self.copy_raw(name, spec)
        if got is None:
            return False
        header, raw, total = got
        fd = FileData(spec, mode)
        self.v.files[name] = fd
        check = self._start_file(fd, header, total)
        self._stage(name, spec, mode, header, fd.col_at, raw, total, check)
        fd.count = total
        self.v.rows += total
        return True

    def copy_raw(self, name: str, spec: S.FileSpec, *, numbered: bool = True) -> tuple[list[str], str, int] | None:
        """COPY the file's bytes into a text table raw_<table> (rn if numbered, c0, c1, ...): (header, table,
        rows), or None (and nothing left behind) when PostgreSQL cannot read it as CSV of its header's width."""
        fname = f"{name}.csv"
        data = self.pkg.raw(fname)
        try:
            body = data.decode("utf-8-sig")
            header = next(csv.reader(io.StringIO(_first_record(body), newline=""), strict=True))
        except (UnicodeDecodeError, csv.Error, StopIteration):
            return None
        if not header or b"\n\\." in data or len(header) > 1000:  # "\." would end a COPY early
            return None
        if b'"' in data and STRAY_QUOTE.search(data):
            return None  # PostgreSQL would read it otherwise than RFC 4180's (and Python's) reading
        raw = f"raw_{spec.table}"
        cols = [f"c{i}" for i in range(len(header))]
        sp = self.conn.begin_nested()
        try:
            self.conn.execute(text(f"CREATE TEMP TABLE {raw} ({'rn int GENERATED ALWAYS AS IDENTITY, ' * numbered}"
                                   f"{', '.join(c + ' text' for c in cols)}) ON COMMIT DROP"))
            pg = self.conn.connection.driver_connection
            with pg.cursor() as cur:
                with cur.copy(f"COPY {raw} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv, HEADER true)") as cp:
                    cp.write(data)
                total = cur.rowcount
            sp.commit()
        except Exception as exc:  # noqa: BLE001 - any COPY error: the row-by-row reader says what is wrong
            log.debug("%s: COPY refused (%s)", fname, str(exc).splitlines()[0])
            sp.rollback()
            return None
        log.debug("%s: %d rows COPYed", fname, total)
        return header, raw, total

    def _stage(self, name, spec, mode, header, col_at, raw, total, check) -> None:
        stage = create_stage(self.conn, spec.table)
        ok, values, targets = row_sql(self.conn, stage, spec, mode, header, col_at)
        passed = self.conn.execute(text(
            f"INSERT INTO {stage} ({', '.join(targets)}) SELECT {', '.join(values)} FROM {raw} "
            f"WHERE coalesce({ok}, false)")).rowcount
        log.debug("%s: %d rows passed and staged", name, passed)
        # the rows the predicate did not pass are checked row by row (the sentences of oneroster_validate)
        # and their records staged from there; the staging table's unique index then finds any sourcedId
        # used twice, and only then are those rows (and the others again) checked knowing it
        marks = len(self.v.problems), len(self.v.warnings)
        self._recheck(stage, spec, header, raw, ok, f"NOT coalesce({ok}, false)" if passed < total else None,
                      check, {})
        sp = self.conn.begin_nested()
        try:
            self.conn.execute(text(f"CREATE UNIQUE INDEX {stage}_sid ON {stage} (sourced_id)"))
            sp.commit()
            return
        except IntegrityError:
            sp.rollback()
        del self.v.problems[marks[0]:], self.v.warnings[marks[1]:]
        self.conn.execute(text(
            f"DELETE FROM {stage} WHERE _row IN (SELECT rn + 1 FROM {raw} WHERE NOT coalesce({ok}, false))"))
        sid = f"c{col_at['sourcedId']}"
        seen = dict(self.conn.execute(text(
            f"SELECT {sid}, min(rn) + 1 FROM {raw} WHERE {_ok('id', sid)} GROUP BY 1 HAVING count(*) > 1")).all())
        log.debug("%s: sourcedIds used twice: %d", name, len(seen))
        self._recheck(stage, spec, header, raw, ok, f"NOT coalesce({ok}, false) OR {sid} = ANY(:dups)", check, seen)

    def _recheck(self, stage, spec, header, raw, ok, which, check, seen) -> None:
        if which is None:
            return
        redo = []
        for r in self.conn.execute(text(
                f"SELECT rn + 1, NOT coalesce({ok}, false), {', '.join(f'c{i}' for i in range(len(header)))} "
                f"FROM {raw} WHERE {which} ORDER BY rn"), {"dups": list(seen)}):
            rec = check(r[0], [c or "" for c in r[2:]], seen)
            if r[1] and rec is not None:  # a row that passed is staged already
                redo.append(rec)
        stage_records(self.conn, spec.table, spec, redo)

    def _q(self, statement, params=None) -> list:
        started = time.perf_counter()
        rows = self.conn.execute(statement, params).all()
        log.debug("%.2f s: %s", time.perf_counter() - started, " ".join(str(statement).split())[:110])
        return rows

    def _cross_records(self) -> None:
        if self.v.version != "1.2":
            return super()._cross_records()
        started = time.perf_counter()
        staged = {n: f"stage_{S.FILES_12[n].table}" for n in self.v.files
                  if exists(self.conn, f"stage_{S.FILES_12[n].table}")}
        for name in staged:
            self.conn.execute(text(f"ANALYZE {staged[name]}"))

        def unknown(entity: str, col: str, retiring: str = "false") -> str:
            """A condition: the id in `col` is neither a record of the package nor an active one of the
            database, nor (for a row where `retiring` holds: one marked tobedeleted) a retired one (two NOT
            EXISTS, so each is an anti-join, not a subquery per row)."""
            pkg = (f"NOT EXISTS (SELECT 1 FROM {staged[entity]} p WHERE p.sourced_id = {col}) AND "
                   if entity in staged else "")
            # (a bulk file retires every record it leaves out: its active ones do not count, Validator._cross_records)
            active = "false" if entity in staged and self.v.files[entity].mode == "bulk" else "d.status = 'active'"
            return f"({pkg}NOT EXISTS (SELECT 1 FROM oneroster.{S.FILES_12[entity].table} d " \
                   f"WHERE d.sourced_id = {col} AND ({active} OR {retiring})))"

        retiring = "s.status IS NOT DISTINCT FROM 'tobedeleted'"  # (a row that may name a retired record)
        for name, fd in self.v.files.items():
            if name not in staged:
                continue
            for h, kind, _req in fd.spec.columns:
                if not kind.startswith(("ref:", "refs:")):
                    continue
                target, col = kind.split(":", 1)[1], S.db_column(h)
                items = f"s.{col}" if kind.startswith("refs:") else f"ARRAY[s.{col}]"
                for row, sid in self._q(text(
                        f"SELECT s._row, x.v FROM {staged[name]} s CROSS JOIN LATERAL unnest({items}) "
                        f"WITH ORDINALITY x(v, i) WHERE x.v IS NOT NULL "
                        f"AND {unknown(target, 'x.v', retiring)} "
                        f"ORDER BY s._row, x.i")):
                    self.no_record(f"{name}.csv", row, h, target, sid)
            if name == "demographics":
                for row, sid in self._q(text(
                        f"SELECT s._row, s.sourced_id FROM {staged[name]} s WHERE s.sourced_id IS NOT NULL "
                        f"AND {unknown('users', 's.sourced_id')} ORDER BY s._row")):
                    self.no_user(row, sid)
        self._sql_school_refs(staged)
        for name in ("courses", "classes"):
            if name in staged:
                for row, a, b in self._q(text(
                        f"SELECT _row, cardinality(subjects), cardinality(subject_codes) FROM {staged[name]} "
                        "WHERE cardinality(subjects) <> cardinality(subject_codes) ORDER BY _row")):
                    self.codes_mismatch(name, row, a, b)
        self._sql_roles(staged)
        self._sql_results(staged)
        if "users" in staged:  # (Validator._db_person_ids; first, as there)
            self._sql_db_person_ids(self.v.files["users"].mode == "delta")
        if "users" in staged:  # (the users any two of whom share an identifier or an Ed-Fi id: worded there)
            self.person_ids(self._q(text(
                f"SELECT _row, sourced_id, identifier, status FROM stage_users WHERE identifier IN "
                f"(SELECT identifier FROM stage_users GROUP BY 1 HAVING count(*) > 1) "
                f"OR (sourced_id IS NOT NULL AND {EDFI_PERSON_ID} IN "
                f"(SELECT {EDFI_PERSON_ID} FROM stage_users WHERE sourced_id IS NOT NULL GROUP BY 1 "
                f"HAVING count(*) > 1)) OR sourced_id IN (SELECT sourced_id FROM stage_users GROUP BY 1 "
                f"HAVING count(*) > 1) ORDER BY _row")))
        if "courses" in staged:  # (a district's courses: a few thousand rows at most)
            self.course_codes(self._q(text("SELECT _row, sourced_id, course_code, org_sourced_id, title, status "
                                           "FROM stage_courses ORDER BY _row")))
        if "orgs" in staged:
            self.org_ids(self._q(text("SELECT _row, sourced_id, identifier, type, status FROM stage_orgs "
                                      "ORDER BY _row")),
                         self._db_org_ids)
        log.debug("cross-record rules checked in %.2f s", time.perf_counter() - started)

    def _sql_db_person_ids(self, delta: bool) -> None:
        s_id, u_id, x_id = (edfi_person_id_sql(a) for a in ("s.", "u.", "x."))
        # (a new id two of the package's rows take is refused, person_ids: no note on what Ed-Fi would make of it)
        changes = self._q(text(
            f"SELECT s._row, s.sourced_id, {u_id}, {s_id} FROM stage_users s "
            f"JOIN oneroster.users u ON u.sourced_id = s.sourced_id WHERE s.status IS DISTINCT FROM 'tobedeleted' "
            f"AND u.status IS DISTINCT FROM 'tobedeleted' AND {u_id} <> {s_id} AND {s_id} NOT IN "
            f"(SELECT {edfi_person_id_sql('o.')} FROM stage_users o WHERE o.sourced_id IS NOT NULL "
            f"AND o.status IS DISTINCT FROM 'tobedeleted' GROUP BY 1 HAVING count(*) > 1) ORDER BY s._row"))
        # the database's user: one the package gives another id, or (a delta) one it does not send
        other = (f"((x.sourced_id IS NULL{'' if delta else ' AND false'}) OR "
                 f"(x.status IS DISTINCT FROM 'tobedeleted' AND {x_id} <> {u_id}))")
        clashes = [(row, sid, uid, edfi_person_id(sid, ident)[1], db_sid, db_ident, to)
                   for row, sid, ident, uid, db_sid, db_ident, to in self._q(text(
                       f"SELECT s._row, s.sourced_id, s.identifier, {s_id}, u.sourced_id, u.identifier, "
                       f"CASE WHEN x.sourced_id IS NOT NULL THEN {x_id} END "
                       f"FROM stage_users s JOIN oneroster.users u ON {u_id} = {s_id} "
                       f"LEFT JOIN stage_users x ON x.sourced_id = u.sourced_id "
                       f"WHERE s.sourced_id IS NOT NULL AND s.status IS DISTINCT FROM 'tobedeleted' "
                       f"AND u.status IS DISTINCT FROM 'tobedeleted' AND u.sourced_id <> s.sourced_id AND {other}"))]
        if delta:
            clashes += [(row, sid, ident, LONG, db_sid, ident, None) for row, sid, ident, db_sid in self._q(text(
                "SELECT s._row, s.sourced_id, s.identifier, u.sourced_id FROM stage_users s "
                "JOIN oneroster.users u ON u.identifier = s.identifier "
                "WHERE length(s.identifier) > 32 AND s.sourced_id IS NOT NULL "
                "AND s.status IS DISTINCT FROM 'tobedeleted' AND u.status IS DISTINCT FROM 'tobedeleted' "
                "AND NOT EXISTS (SELECT 1 FROM stage_users x WHERE x.sourced_id = u.sourced_id)"))]
        # an id a user gave up in an earlier import (Validator._db_person_ids)
        clashes += [(row, sid, uid, edfi_person_id(sid, ident)[1], holder, None, PAST, until)
                    for row, sid, ident, uid, holder, until in self._q(text(
                        f"SELECT s._row, s.sourced_id, s.identifier, {s_id}, p.user_sourced_id, p.given_up "
                        f"FROM stage_users s JOIN compliance.person_past_ids p ON p.unique_id = {s_id} "
                        f"LEFT JOIN stage_users x ON x.sourced_id = p.user_sourced_id "
                        f"LEFT JOIN oneroster.users h ON h.sourced_id = p.user_sourced_id "
                        f"WHERE s.sourced_id IS NOT NULL AND s.status IS DISTINCT FROM 'tobedeleted' "
                        f"AND p.user_sourced_id <> s.sourced_id AND "
                        + ("x.status IS DISTINCT FROM 'tobedeleted'" if delta else
                           "CASE WHEN x.sourced_id IS NULL THEN h.status IS NOT DISTINCT FROM 'tobedeleted' "
                           "ELSE x.status IS DISTINCT FROM 'tobedeleted' END")))]
        self.db_person_clashes(clashes)
        # a user given the id of one the package retires (Validator._db_person_ids): allowed, said in a note
        o_id = edfi_person_id_sql("o.")
        # (two of the package's rows with one id are refused, not said: person_ids)
        alone = (f"NOT EXISTS (SELECT 1 FROM stage_users o WHERE o.sourced_id IS NOT NULL AND o._row <> s._row "
                 f"AND o.status IS DISTINCT FROM 'tobedeleted' AND {o_id} = {s_id})")
        left_out = "false" if delta else "x.sourced_id IS NULL"
        retired = f"(x.status IS NOT DISTINCT FROM 'tobedeleted' AND x.sourced_id IS NOT NULL OR {left_out})"
        self.person_notes(changes, [(row, sid, uid, edfi_person_id(sid, ident)[1], holder, was, gone)
                           for row, sid, ident, uid, holder, was, gone in self._q(text(
                               f"SELECT s._row, s.sourced_id, s.identifier, {s_id}, u.sourced_id, false, "
                               f"{left_out} FROM stage_users s JOIN oneroster.users u ON {u_id} = {s_id} "
                               f"LEFT JOIN stage_users x ON x.sourced_id = u.sourced_id "
                               f"WHERE s.sourced_id IS NOT NULL AND s.status IS DISTINCT FROM 'tobedeleted' "
                               f"AND u.status IS DISTINCT FROM 'tobedeleted' AND u.sourced_id <> s.sourced_id "
                               f"AND {retired} AND {alone} "
                               f"UNION ALL "
                               f"SELECT s._row, s.sourced_id, s.identifier, {s_id}, p.user_sourced_id, true, "
                               f"{left_out} FROM stage_users s JOIN compliance.person_past_ids p ON p.unique_id = {s_id} "
                               f"LEFT JOIN stage_users x ON x.sourced_id = p.user_sourced_id "
                               f"LEFT JOIN oneroster.users h ON h.sourced_id = p.user_sourced_id "
                               f"WHERE s.sourced_id IS NOT NULL AND s.status IS DISTINCT FROM 'tobedeleted' "
                               f"AND p.user_sourced_id <> s.sourced_id AND {alone} AND "
                               + ("x.status IS NOT DISTINCT FROM 'tobedeleted' AND x.sourced_id IS NOT NULL" if delta
                                  else "CASE WHEN x.sourced_id IS NULL THEN h.status IS DISTINCT FROM 'tobedeleted' "
                                       "ELSE x.status IS NOT DISTINCT FROM 'tobedeleted' END")))])

    def _package_orgs(self) -> list[tuple[str, str | None, str | None]]:
        if "orgs" not in self.v.files or not exists(self.conn, "stage_orgs"):
            return []
        return [tuple(r) for r in self._q(text("SELECT sourced_id, type, identifier FROM stage_orgs "
                                               "WHERE sourced_id IS NOT NULL ORDER BY _row"))]

    def _package_classes(self) -> list[tuple[str, str | None, str | None, str | None]]:
        if "classes" not in self.v.files or not exists(self.conn, "stage_classes"):
            return []
        return [tuple(r) for r in self._q(text("SELECT sourced_id, course_sourced_id, school_sourced_id, status "
                                               "FROM stage_classes WHERE sourced_id IS NOT NULL ORDER BY _row"))]

    def _sql_school_refs(self, staged: dict[str, str]) -> None:
        pkg_orgs = ("(SELECT DISTINCT ON (sourced_id) sourced_id, type FROM stage_orgs "
                    "WHERE sourced_id IS NOT NULL ORDER BY sourced_id, _row DESC)") if "orgs" in staged else None
        for name in ("classes", "enrollments", "lineItems"):
            if name not in staged:
                continue
            o = f"LEFT JOIN {pkg_orgs} o ON o.sourced_id = s.school_sourced_id " if pkg_orgs else ""
            kind = "CASE WHEN o.sourced_id IS NOT NULL THEN o.type ELSE d.type END" if pkg_orgs else "d.type"
            for row, sid, org_type in self._q(text(
                    f"SELECT * FROM (SELECT s._row, s.school_sourced_id, {kind} AS t FROM {staged[name]} s {o}"
                    f"LEFT JOIN oneroster.orgs d ON d.sourced_id = s.school_sourced_id AND d.status = 'active' "
                    f"WHERE s.school_sourced_id IS NOT NULL) x WHERE t <> 'school' ORDER BY _row")):
                self.not_school(name, row, "schoolSourcedId", sid, org_type)

    def _sql_roles(self, staged: dict[str, str]) -> None:
        if "roles" in staged:
            for row, u, o, first in self._q(text(
                    "SELECT _row, user_sourced_id, org_sourced_id, first FROM (SELECT _row, user_sourced_id, "
                    "org_sourced_id, min(_row) OVER (PARTITION BY user_sourced_id, org_sourced_id) AS first "
                    "FROM stage_roles WHERE role_type = 'primary' AND status IS DISTINCT FROM 'tobedeleted') x "
                    "WHERE _row > first AND user_sourced_id IS NOT NULL AND org_sourced_id IS NOT NULL "
                    "ORDER BY _row")):
                self.second_primary(row, u, o, first)
            # a role's userProfile is its own user's (Validator._role_profiles)
            mine = ("(SELECT p.user_sourced_id FROM stage_user_profiles p WHERE p.sourced_id = r.user_profile_sourced_id "
                    "ORDER BY p._row DESC LIMIT 1), " if "userProfiles" in staged else "")
            for row, profile, owner, user in self._q(text(
                    f"SELECT * FROM (SELECT r._row, r.user_profile_sourced_id, COALESCE({mine}(SELECT p.user_sourced_id "
                    "FROM oneroster.user_profiles p WHERE p.sourced_id = r.user_profile_sourced_id)) AS owner, "
                    "r.user_sourced_id FROM stage_roles r WHERE r.user_profile_sourced_id IS NOT NULL "
                    "AND r.user_sourced_id IS NOT NULL AND r.status IS DISTINCT FROM 'tobedeleted') x "
                    "WHERE owner <> user_sourced_id ORDER BY _row")):
                self.profile_of_another(row, profile, owner, user)
        if "userProfiles" in staged and not self._roles_bulk():  # (Validator._role_profiles)
            sent = "AND NOT EXISTS (SELECT 1 FROM stage_roles x WHERE x.sourced_id = r.sourced_id) " \
                if "roles" in staged else ""
            self.profiles_moved(self._q(text(
                "SELECT p._row, p.sourced_id, p.user_sourced_id, r.sourced_id, r.user_sourced_id "
                "FROM stage_user_profiles p JOIN oneroster.roles r ON r.user_profile_sourced_id = p.sourced_id "
                "AND r.status = 'active' WHERE p.status IS DISTINCT FROM 'tobedeleted' AND p.sourced_id IS NOT NULL "
                f"AND r.user_sourced_id <> p.user_sourced_id {sent}ORDER BY p._row, r.sourced_id COLLATE \"C\"")))
        if "users" not in staged:
            return
        pkg = ("NOT EXISTS (SELECT 1 FROM stage_roles r WHERE r.user_sourced_id = u.sourced_id "
               "AND r.org_sourced_id = u.primary_org_sourced_id) AND " if "roles" in staged else "")
        for row, user, org in self._q(text(
                f"SELECT u._row, u.sourced_id, u.primary_org_sourced_id FROM stage_users u "
                f"WHERE u.primary_org_sourced_id IS NOT NULL AND u.sourced_id IS NOT NULL AND {pkg}"
                f"NOT EXISTS (SELECT 1 FROM oneroster.roles r WHERE r.user_sourced_id = u.sourced_id "
                f"AND r.org_sourced_id = u.primary_org_sourced_id AND r.status = 'active') ORDER BY u._row")):
            self.no_primary_role(row, user, org)

    def _sql_results(self, staged: dict[str, str]) -> None:
        if "results" not in staged:
            return
        li = ("(SELECT DISTINCT ON (sourced_id) sourced_id, result_value_min, result_value_max, class_sourced_id "
              "FROM stage_line_items WHERE sourced_id IS NOT NULL ORDER BY sourced_id, _row DESC)"
              if "lineItems" in staged else
              "(SELECT NULL::varchar AS sourced_id, NULL::numeric AS result_value_min, "
              "NULL::numeric AS result_value_max, NULL::varchar AS class_sourced_id LIMIT 0)")
        unenrolled = ("NOT EXISTS (SELECT 1 FROM stage_enrollments e WHERE e.sourced_id IS NOT NULL "
                      "AND e.user_sourced_id = x.stu AND e.class_sourced_id = x.cls "
                      "AND e.status IS DISTINCT FROM 'tobedeleted') AND " if "enrollments" in staged else "")
        limited = f"""
            SELECT r._row, r.score, r.student_sourced_id AS stu,
                   CASE WHEN p.sourced_id IS NOT NULL THEN p.result_value_min ELSE d.result_value_min END AS lo,
                   CASE WHEN p.sourced_id IS NOT NULL THEN p.result_value_max ELSE d.result_value_max END AS hi,
                   CASE WHEN p.sourced_id IS NOT NULL THEN p.class_sourced_id ELSE d.class_sourced_id END AS cls
              FROM stage_results r LEFT JOIN {li} p ON p.sourced_id = r.line_item_sourced_id
              LEFT JOIN oneroster.line_items d ON p.sourced_id IS NULL AND d.sourced_id = r.line_item_sourced_id
             WHERE p.sourced_id IS NOT NULL OR d.sourced_id IS NOT NULL"""
        found = [(row, 0, (score, lo, hi)) for row, score, lo, hi in self._q(text(
            f"SELECT _row, score, lo, hi FROM ({limited}) x WHERE score IS NOT NULL "
            f"AND (score < lo OR score > hi) IS TRUE"))]
        # in WHERE, each NOT EXISTS is an anti-join (in a select list it would be a subquery per row)
        found += [(row, 1, (stu, cls)) for row, stu, cls in self._q(text(
            f"SELECT _row, stu, cls FROM ({limited}) x WHERE x.stu IS NOT NULL AND x.cls IS NOT NULL "
            f"AND {unenrolled}NOT EXISTS (SELECT 1 FROM oneroster.enrollments d WHERE d.user_sourced_id = x.stu "
            f"AND d.class_sourced_id = x.cls AND d.status = 'active')"))]
        for row, what, args in sorted(found, key=lambda f: f[:2]):
            (self.not_enrolled if what else self.score_range)(row, *args)
