"""Validate a whole OneRoster package in one pass and turn its rows into typed records.

Every check that can still be made is made, however many fail: the manifest, each file's header
(by name, so rows are still checked when a column is misplaced), every cell, duplicate
sourcedIds, bulk and delta rules, references to records in neither the package nor the database,
and the cross-record rules of the binding. Nothing here writes to the database.

A few unambiguous deviations that real exports carry are read, not refused, and reported as
warnings: TRUE/FALSE in capitals, trailing empty cells beyond the header, manifest.version "1".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, text

from app.domain.oneroster_ids import edfi_person_id_sql
from app.services.interchange import oneroster_spec as S
from app.services.interchange.package import Package, Problem

log = logging.getLogger(__name__)
ID_RE = re.compile(r"[0-9A-Za-z./@_-]{1,255}\Z")
# (ASCII digits: \d would also take other scripts' digits, which the database does not read as numbers)
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z", re.ASCII)
YEAR_RE = re.compile(r"\d{4}\Z", re.ASCII)
PAIR_RE = re.compile(r"\{([^{}:]+):([^{}]*)\}")
INT_RE = re.compile(r"[+-]?\d+\Z", re.ASCII)
DEC_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z", re.ASCII)
# what Python's CSV reader (strict) says, in the user's words
_QUOTING = {"unexpected end of data": "a quoted value is not closed before the file ends",
            "',' expected after '\"'": "a closing quote is followed by more characters before the comma"}
PAST = "given up"  # (db_person_clashes: an id its user gave up in an earlier import)
LONG = "long identifier"  # (db_person_clashes: two users share an identifier longer than an Ed-Fi id)
EDFI_PERSON_ID = edfi_person_id_sql()  # (a user's Ed-Fi unique id in SQL: edfi_person_id below)
EDORG_ID_RE = re.compile(r"[0-9]{1,18}\Z")  # (oneroster_edfi's tmp_org: '^[0-9]{1,18}$')
PG_MIN_EXPONENT = -16383  # PostgreSQL's numeric holds at most 16383 digits after the decimal point


@dataclass
class FileData:
    spec: S.FileSpec
    mode: str  # bulk or delta
    headers: list[str] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)  # header -> typed value, "_row", "_meta"
    col_at: dict[str, int] = field(default_factory=dict)  # header -> its (first) position in the file
    count: int = 0  # data rows read (the records, or the rows staged in the database by the SQL checks)


@dataclass
class Validation:
    version: str = "1.2"
    files: dict[str, FileData] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    manifest: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    first_load: dict[str, int] | None = None  # rows written per table when checked and loaded in one pass

    @property
    def ok(self) -> bool:
        return not self.problems


def _q(v: str) -> str:
    return f'"{v}"' if len(v) <= 60 else f'"{v[:57]}..."'


class Validator:
    def __init__(self, package: Package, conn: Connection | None) -> None:
        self.pkg = package
        self.conn = conn
        self.v = Validation()
        self._db_ids: dict[str, dict[str, str | None]] = {}
        self._bad_cols: set[str | None] = set()  # columns of the current row already reported
        self._nul_files: set[str] = set()  # files (by name without .csv) holding a NUL character
        self._person_rows: set[int] = set()  # users.csv rows said to share an active database user's Ed-Fi id
        self._replaced_rows: set[int] = set()  # users.csv rows given a retired user's Ed-Fi id (a note each)

    # -- reporting
    def err(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.v.problems.append(Problem(file, row, column, message))
        self._bad_cols.add(column)

    def warn(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.v.warnings.append(Problem(file, row, column, message))

    # -- the whole package
    def run(self) -> Validation:
        modes = self._manifest()
        for name, mode in modes.items():
            self._file(name, mode)
        self._cross_records()
        return self.v

    def _manifest(self) -> dict[str, str]:
        m = "manifest.csv"
        if not self.pkg.has(m):
            self.err(m, None, None, "The package has no manifest.csv; every OneRoster package starts with one.")
            return {}
        rows = self._records(m)
        if rows is None:
            return {}
        if not rows or rows[0] != ["propertyName", "value"]:
            self.err(m, 1, None, 'The header must be "propertyName,value".')
        props: dict[str, str] = {}
        for i, r in enumerate(rows[1:], start=2):
            if len(r) < 2:
                self.err(m, i, None, "A manifest row needs a property name and a value.")
                continue
            if any(c.strip() for c in r[2:]):  # (empty cells after the value are read as the data files' are)
                self.err(m, i, None, f"A manifest row holds a property name and a value only; this one has {len(r)} "
                                     "cells (a comma inside a value is written in quotes).")
                continue
            if r[0] in props:
                self.err(m, i, "propertyName", f"{r[0]} appears twice.")
            props[r[0]] = r[1].strip()
        self.v.manifest = props
        ver = props.get("oneroster.version")
        if ver not in ("1.1", "1.2"):
            self.err(m, None, "oneroster.version",
                     f"oneroster.version is {_q(ver) if ver else 'missing'}; this importer reads 1.1 and 1.2 packages.")
            ver = "1.2"
        self.v.version = ver
        mv = props.get("manifest.version")
        if mv == "1":
            self.warn(m, None, "manifest.version", 'manifest.version is "1"; read as "1.0".')
        elif mv != "1.0":
            self.err(m, None, "manifest.version", f"manifest.version is {_q(mv) if mv else 'missing'}; it must be 1.0.")
        specs = S.files_for(ver)
        modes: dict[str, str] = {}
        row_of = {r[0]: i for i, r in enumerate(rows[1:], start=2) if r}
        for key, mode in props.items():
            if not key.startswith("file."):
                continue
            name = key[5:]
            row = row_of.get(key)
            if name not in specs:
                if not (name in S.FILES_12 and mode == "absent"):  # a 1.2 file said absent in 1.1 is harmless
                    self.err(m, row, "propertyName", f"{key} is not a OneRoster {ver} file.")
                continue
            if mode not in S.MODES:
                self.err(m, row, "value", f"{key} is {_q(mode) if mode else 'blank'}; it must be absent, bulk or delta.")
                continue
            present = self.pkg.has(f"{name}.csv")
            if mode == "absent":
                if present:
                    self.err(f"{name}.csv", None, None, f"The manifest says {name} is absent, but the file is there.")
            elif not present:
                other = [n for n in self.pkg.names() if n.lower() == f"{name}.csv".lower()]
                hint = f" (there is {other[0]}: the name must be exactly {name}.csv)" if other else ""
                self.err(f"{name}.csv", None, None, f"The manifest declares {name} as {mode} but the file is missing{hint}.")
            else:
                modes[name] = mode
        for name in specs:
            if f"file.{name}" not in props:
                self.err(m, None, None, f"file.{name} is missing; the manifest lists every file as absent, bulk or delta.")
        known = {f"{n}.csv" for n in specs} | {m}
        for n in self.pkg.names():
            if not n.lower().endswith(".csv") or n in known:
                continue
            same = [k for k in known if n.lower() == k.lower()]
            if same:
                self.err(n, None, None, f"The file must be named exactly {same[0]} (names are case-sensitive).")
            else:
                self.warn(n, None, None, "This file is not part of OneRoster and was not read.")
        return modes

    def _records(self, name: str) -> list[list[str]] | None:
        try:
            text_ = self.pkg.text(name)
        except UnicodeDecodeError as exc:
            self.err(name, None, None, f"The file is not UTF-8 (byte {exc.start}); save it as UTF-8 and send it again.")
            return None
        if "\x00" in text_:
            self._nul_files.add(name[:-4])
        reader = csv.reader(io.StringIO(text_, newline=""), strict=True)
        rows = []
        try:
            for r in reader:
                rows.append(r)
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                self.err(name, len(rows) + 1, None, f"A value near line {reader.line_num} is longer than "
                         f"{csv.field_size_limit():,} characters, more than any column holds; check the file's quoting.")
            else:
                log.info("%s: csv reader stopped near line %d: %s", name, reader.line_num, exc)
                self.err(name, len(rows) + 1, None, f"The CSV quoting is broken near line {reader.line_num}: "
                                                    f"{_QUOTING.get(str(exc), 'a row the CSV format does not allow')}; "
                                                    'a value with a comma, a quote or a line break is written in quotes, '
                                                    'and a quote inside it twice ("").')
            return None
        return rows

    # -- one file
    def _file(self, name: str, mode: str) -> None:
        spec = S.files_for(self.v.version)[name]
        fname = f"{name}.csv"
        rows = self._records(fname)
        if rows is None:
            return
        fd = FileData(spec, mode)
        self.v.files[name] = fd
        if not rows:
            self.err(fname, None, None, "The file is empty; a declared file needs a header and data rows.")
            return
        if name in self._nul_files:
            rows[0] = self._no_nul(fname, 1, rows[0], rows[0])
        check = self._start_file(fd, rows[0], len(rows) - 1)
        seen: dict[str, int] = {}
        for rn, cells in enumerate(rows[1:], start=2):
            rec = check(rn, cells, seen)
            if rec is not None:
                fd.records.append(rec)
        fd.count = len(fd.records)
        self.v.rows += fd.count

    def _start_file(self, fd: FileData, header: list[str], data_rows: int):
        """Check the header; returns the check of one data row: (row number, cells, sourcedIds seen so
        far -> their row) -> the typed record, or None for a blank line."""
        spec, mode = fd.spec, fd.mode
        fname = f"{spec.name}.csv"
        fd.headers = header
        col_at = fd.col_at = self._header(fname, spec, header)
        if data_rows == 0:
            self.err(fname, None, None, f"The file has no data rows although the manifest declares it {mode}; "
                                        "declare it absent or send its rows.")
        # the common cases take a fast path in the row loop; everything else (and every error) goes
        # through _cell, so the messages come from one place
        fast_kind = {"str": 1, "id": 2, "bool": 3, "date": 4}
        widths, ranges = text_widths(spec), number_ranges(spec)
        checks = [(h, kind, req, col_at.get(h), fast_kind.get("id" if kind.startswith("ref:") else kind, 0),
                   widths.get(h, 0)) for h, kind, req in spec.columns]
        nul = fd.spec.name in self._nul_files
        id_match, date_match, from_iso = ID_RE.match, DATE_RE.match, date.fromisoformat
        meta_at = [(h[9:], i) for i, h in enumerate(header) if h.startswith("metadata.")]
        width = len(header)

        def check(rn: int, cells: list[str], seen: dict[str, int]) -> dict | None:
            if not cells or (len(cells) == 1 and cells[0] == "" and width > 1):
                return None  # a blank line
            if nul:
                cells = self._no_nul(fname, rn, header, cells)
            if len(cells) != width:
                if len(cells) > width and not any(cells[width:]):
                    self.warn(fname, rn, None, f"The row has {len(cells)} cells for {width} columns; "
                                               "the empty extra cells were ignored.")
                else:
                    self.err(fname, rn, None, f"The row has {len(cells)} cells but the header has {width} columns.")
            rec: dict = {"_row": rn}
            self._bad_cols = set()
            n = len(cells)
            for h, kind, req, at, fast, most in checks:
                if at is None:
                    rec[h] = None
                    continue
                raw = cells[at] if at < n else ""
                if raw:
                    if fast == 1 and (not most or len(raw) <= most):
                        rec[h] = raw
                        continue
                    if fast == 2 and id_match(raw):
                        rec[h] = raw
                        continue
                    if fast == 3 and (raw == "true" or raw == "false"):
                        rec[h] = raw == "true"
                        continue
                    if fast == 4 and date_match(raw):
                        try:
                            rec[h] = from_iso(raw)
                            continue
                        except ValueError:
                            pass
                elif not req:
                    rec[h] = None
                    continue
                value = rec[h] = self._cell(fname, rn, h, kind, req, raw, mode)
                if most and isinstance(value, str) and len(value) > most:
                    self.err(fname, rn, h, f"{h} is {len(value)} characters long; shorten it to at most {most}.")
                    rec[h] = None
                elif h in ranges and value is not None and not in_range(value, *ranges[h]):
                    self.err(fname, rn, h, f"{_q(raw)} is out of range; {h} takes numbers above -{ranges[h][0]} "
                                           f"and below {ranges[h][0]}.")
                    rec[h] = None
            if meta_at:
                meta = {k: cells[i] for k, i in meta_at if i < len(cells) and cells[i] != ""}
                rec["_meta"] = meta or None
            sid = rec.get("sourcedId")
            if sid:
                first = seen.setdefault(sid, rn)
                if first != rn:
                    self.err(fname, rn, "sourcedId", f"sourcedId {_q(sid)} is already used on row {first}.")
            self._status_rules(fname, rn, rec, mode)
            return rec
        return check

    def _no_nul(self, fname: str, rn: int, header: list[str], cells: list[str]) -> list[str]:
        """The cells without NUL characters (which no database text holds), each one found reported."""
        for i, cell in enumerate(cells):
            if "\x00" in cell:
                name = header[i].replace("\x00", "") if i < len(header) and rn > 1 else f"column {i + 1}"
                self.err(fname, rn, name, f"The {'column name' if rn == 1 else 'value'} contains a NUL character "
                                          "(byte 0); remove it and send the file again.")
        return [c.replace("\x00", "") for c in cells]

    def _header(self, fname: str, spec: S.FileSpec, header: list[str]) -> dict[str, int]:
        expected = list(spec.headers)
        col_at: dict[str, int] = {}
        for i, h in enumerate(header):
            if h in expected and h not in col_at:
                col_at[h] = i
        missing = [h for h in expected if h not in col_at]
        if missing:
            self.err(fname, 1, None, f"The header lacks {', '.join(missing)}; the columns must be exactly: "
                                     f"{','.join(expected)} (then any metadata.* columns).")
        present_order = [h for h in header if h in col_at]
        if present_order != [h for h in expected if h in col_at]:
            self.err(fname, 1, None, f"The columns are out of order; they must be: {','.join(expected)}.")
        last_spec = max(col_at.values(), default=-1)
        for i, h in enumerate(header):
            if h in expected:
                if header.index(h) != i:
                    self.err(fname, 1, h, f"Column {h} appears twice.")
            elif h.startswith("metadata.") and len(h) > 9:
                if i < last_spec:
                    self.err(fname, 1, h, f"Column {h} comes before the OneRoster columns; metadata.* columns go last.")
            else:
                self.err(fname, 1, h or f"column {i + 1}",
                         f"Column {_q(h) if h else 'with no name'} is not a {self.v.version} {spec.name} column; "
                         "extra columns must be named metadata.<name>.")
        return col_at

    def _cell(self, f: str, r: int, col: str, kind: str, req: bool, raw: str, mode: str):
        if raw == "":
            if req:
                self.err(f, r, col, f"{col} is required.")
            return None
        if kind == "str":
            return raw
        if kind == "id" or kind.startswith("ref:"):
            if not ID_RE.match(raw):
                self.err(f, r, col, f"{_q(raw)} is not a valid identifier (1-255 letters, digits or ./@_-).")
                return None
            return raw
        if kind.startswith("refs:"):
            items = [x.strip() for x in raw.split(",")]
            bad = [x for x in items if not ID_RE.match(x)]
            if bad:
                self.err(f, r, col, f"{_q(bad[0])} is not a valid identifier (1-255 letters, digits or ./@_-).")
                return None
            return items
        if kind == "status":
            if raw not in S.STATUSES:
                self.err(f, r, col, f"status {_q(raw)} is not allowed; use active or tobedeleted.")
                return None
            return raw
        if kind == "date":
            if DATE_RE.match(raw):
                try:
                    return date.fromisoformat(raw)
                except ValueError:
                    pass
            self.err(f, r, col, f"{_q(raw)} is not a date; write YYYY-MM-DD.")
            return None
        if kind == "datetime":
            if DATETIME_RE.match(raw):
                try:
                    return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%fZ")
                except ValueError:
                    pass
            self.err(f, r, col, f"{_q(raw)} is not a date and time; write YYYY-MM-DDTHH:MM:SS.sssZ (UTC).")
            return None
        if kind == "year":
            if YEAR_RE.match(raw):
                return raw
            self.err(f, r, col, f"{_q(raw)} is not a year; write YYYY.")
            return None
        if kind == "bool":
            if raw == "true":
                return True
            if raw == "false":
                return False
            if raw.lower() in ("true", "false"):
                self.warn(f, r, col, f"{_q(raw)} read as {raw.lower()}; OneRoster writes booleans in lower case.")
                return raw.lower() == "true"
            self.err(f, r, col, f"{_q(raw)} is not a boolean; write true or false.")
            return None
        if kind == "int":
            if INT_RE.match(raw):
                return int(raw)
            self.err(f, r, col, f"{_q(raw)} is not a whole number.")
            return None
        if kind == "dec":
            if DEC_RE.match(raw):  # (Decimal alone would also take "1_000", " 5" and other scripts' digits)
                try:
                    d = Decimal(raw)
                    if d.is_finite():
                        return d
                except InvalidOperation:
                    pass
            self.err(f, r, col, f"{_q(raw)} is not a number.")
            return None
        if kind.startswith("enum:"):
            values, ext = S.ENUMS[kind[5:]]
            if raw in values or (ext and raw.startswith("ext:") and len(raw) > 4):
                return raw
            hint = [v for v in values if v.lower() == raw.lower()]
            extra = f' (values are case-sensitive: "{hint[0]}")' if hint else ""
            self.err(f, r, col, f"{_q(raw)} is not a {col} value; use one of {', '.join(values)}"
                                f"{' or ext:...' if ext else ''}{extra}.")
            return None
        if kind == "grades":
            items = [x.strip() for x in raw.split(",")]
            bad = [x for x in items if x not in S.GRADES]
            if bad:
                self.err(f, r, col, f"{_q(bad[0])} is not a CEDS grade code (IT, PR, PK, TK, KG, 01-13, PS, UG, Other).")
                return None
            return items
        if kind == "list":
            return [x.strip() for x in raw.split(",")]
        if kind in ("userids", "ssv"):
            items = [x.strip() for x in raw.split(",")] if kind == "userids" else re.findall(r"\{[^{}]*\}", raw)
            pairs = [PAIR_RE.fullmatch(x) for x in items]
            rebuilt = ",".join(items).replace(" ", "")
            if not items or not all(pairs) or (kind == "ssv" and rebuilt != raw.replace(" ", "")):
                form = "{type:id},{type:id}" if kind == "userids" else "{A:94},{B:84}"
                self.err(f, r, col, f"{_q(raw)} is not a list of pairs like {form}.")
                return None
            return [(p.group(1), p.group(2)) for p in pairs]
        raise AssertionError(kind)

    def _status_rules(self, f: str, r: int, rec: dict, mode: str) -> None:
        if mode == "bulk":
            for col in ("status", "dateLastModified"):
                if rec.get(col) is not None:
                    self.err(f, r, col, f"{col} must be blank in a bulk file (the manifest declares this file bulk).")
        else:
            for col in ("status", "dateLastModified"):
                if rec.get(col) is None and col not in self._bad_cols:
                    self.err(f, r, col, f"{col} is required in a delta file.")

    # -- the cross-record problems' sentences (also reported by the SQL checks, oneroster_sqlcheck)
    def no_record(self, f: str, row: int, col: str, target: str, sid: str) -> None:
        self.err(f, row, col, f"{target} record {_q(sid)} is in neither the package nor the database.")

    def no_user(self, row: int, sid: str) -> None:
        self.err("demographics.csv", row, "sourcedId",
                 f"demographics are for user {_q(sid)}, who is in neither the package nor the database.")

    def not_school(self, name: str, row: int, col: str, sid: str, org_type: str) -> None:
        self.err(f"{name}.csv", row, col, f"org {_q(sid)} is a {org_type}, not a school.")

    def codes_mismatch(self, name: str, row: int, subjects: int, codes: int) -> None:
        self.err(f"{name}.csv", row, "subjectCodes",
                 f"There are {subjects} subjects but {codes} subject codes; give one code per subject.")

    def second_primary(self, row: int, user: str, org: str, first: int) -> None:
        self.err("roles.csv", row, "roleType",
                 f"User {_q(user)} already has a primary role at org {_q(org)} (row {first}).")

    def no_primary_role(self, row: int, user: str, org: str) -> None:
        self.err("users.csv", row, "primaryOrgSourcedId",
                 f"User {_q(user)} has no role at org {_q(org)}; add a roles.csv row for it.")

    def profile_of_another(self, row: int, profile: str, owner: str, user: str) -> None:
        self.err("roles.csv", row, "userProfileSourcedId",
                 f"userProfile {_q(profile)} is user {_q(owner)}'s, not this role's user {_q(user)}; name one of "
                 f"{_q(user)}'s profiles or leave it empty.")

    def score_range(self, row: int, score, lo, hi) -> None:
        self.err("results.csv", row, "score",
                 f"Score {score} is outside its line item's range {lo if lo is not None else '…'} to "
                 f"{hi if hi is not None else '…'}.")

    def not_enrolled(self, row: int, student: str, cls: str) -> None:
        self.err("results.csv", row, "studentSourcedId",
                 f"Student {_q(student)} is not enrolled in the line item's class {_q(cls)}.")

    def same_identifier(self, row: int, ident: str, first: int | None, mine: str = "identifier",
                        theirs: str = "identifier", db_user: str | None = None) -> None:
        """Two users Ed-Fi would know by one unique id (`ident`); `mine`/`theirs`: where each one's came from
        (edfi_person_id: their identifier, or their sourcedId as they have none / a longer one). The other is the
        user on row `first`, or `db_user`, an active user already in the database (whom a delta may retire)."""
        other = f"user {_q(db_user)}, already in the database" if db_user else f"the user on row {first}"
        fix = (f"give this person their own identifier, or mark {_q(db_user)} tobedeleted in this delta if this user "
               "replaces them." if db_user else "give each person their own identifier.")
        if mine == theirs == "identifier":
            self.err("users.csv", row, "identifier",
                     f"identifier {_q(ident)} is the identifier of {other}: Ed-Fi would know both people by it; {fix}"
                     if db_user else f"identifier {_q(ident)} is also on row {first}; each person needs their own.")
        elif mine == "identifier":
            who = ("who has no identifier" if theirs == "none" else
                   "whose identifier is longer than the 32 characters Ed-Fi takes")
            self.err("users.csv", row, "identifier",
                     f"identifier {_q(ident)} is the sourcedId of {other}, {who}: Ed-Fi would know both people by "
                     f"it; {fix}")
        else:
            has = ("The user has no identifier" if mine == "none" else
                   "The user's identifier is longer than the 32 characters Ed-Fi takes")
            self.err("users.csv", row, "identifier",
                     f"{has}, so Ed-Fi would know them by their sourcedId {_q(ident)}, which is the identifier of "
                     f"{other}; {fix}")

    def same_course_code(self, row: int, sid: str, code: str, org: str, title: str, other: tuple,
                         key: tuple = ("org", None), by_class: bool = False) -> None:
        """`other`: the first course with that code at that Ed-Fi organization (sourcedId, title, where, its org, ...);
        `key`: that organization (_course_orgs); `by_class`: one of them is there as its classes' school."""
        at = (f"education organization {key[1]} (the school of classes of both: a course at a department is the "
              "course of its classes' schools)" if by_class else f"org {_q(org)}" if other[3] == org else
              f"education organization {key[1]} (orgs {_q(org)} and {_q(other[3])} are that one Ed-Fi organization)")
        self.warn("courses.csv", row, "courseCode",
                  f"course {_q(sid)} and course {_q(other[0])} ({other[2]}) would be one Ed-Fi course {_q(code)} at "
                  f"{at}, with two titles ({_q(title)} and {_q(other[1])}), whose classes would all be its "
                  "sections; give this course its own courseCode if it is another course.")

    def same_edfi_org(self, row: int, sid: str, other: str, where: str, edorg_id: int,
                      written: tuple[str | None, str | None] = (None, None)) -> None:
        """`written`: the two numbers as the files write them (when they differ only by leading zeros, say so)."""
        same = f" ({_q(written[0])} and {_q(written[1])} are the same number)" if None not in written and \
            written[0] != written[1] else ""
        self.err("orgs.csv", row, "identifier",
                 f"org {_q(sid)} and org {_q(other)} ({where}) would both be Ed-Fi education organization "
                 f"{edorg_id}{same}; give each school and district its own number, or mark the other one "
                 "tobedeleted if this replaces it.")


    # -- references and cross-record rules
    def _db(self, entity: str) -> dict[str, str | None]:
        """sourcedId -> a type (orgs: type; others: None) of the records already in the database."""
        if entity not in self._db_ids:
            ids: dict[str, str | None] = {}
            if self.conn is not None:
                table = S.FILES_12[entity].table
                extra = "type" if entity == "orgs" else "NULL"
                ids = dict(self.conn.execute(text(
                    f"SELECT sourced_id, {extra} FROM oneroster.{table} WHERE status = 'active'")).all())
            self._db_ids[entity] = ids
        return self._db_ids[entity]

    def _db_any(self, entity: str, sids: set[str]) -> set[str]:
        """The ones of `sids` the database holds as records of `entity`, retired or not."""
        if not sids or self.conn is None:
            return set()
        return set(self.conn.execute(text(
            f"SELECT sourced_id FROM oneroster.{S.FILES_12[entity].table} WHERE sourced_id = ANY(:s)"),
            {"s": list(sids)}).scalars())

    def _pkg(self, entity: str) -> dict[str, dict]:
        fd = self.v.files.get(entity)
        return {r["sourcedId"]: r for r in fd.records if r.get("sourcedId")} if fd else {}

    def _cross_records(self) -> None:
        pkg = {name: self._pkg(name) for name in S.FILES_12}

        # a bulk file retires every record it leaves out: a reference to one of those would point at a retired record
        # once read (and the same package be refused the next time), so only the file's records count
        bulk = {n for n, fd in self.v.files.items() if fd.mode == "bulk"}

        def exists(entity: str, sid: str) -> bool:
            return sid in pkg[entity] or (entity not in bulk and sid in self._db(entity))

        def org_type(sid: str) -> str | None:
            rec = pkg["orgs"].get(sid)
            return rec.get("type") if rec else self._db("orgs").get(sid)

        for name, fd in self.v.files.items():
            f = f"{name}.csv"
            for h, kind, _req in fd.spec.columns:
                if not kind.startswith(("ref:", "refs:")):
                    continue
                target = kind.split(":", 1)[1]
                missing = [(rec, sid) for rec in fd.records if rec.get(h) is not None
                           for sid in (rec[h] if isinstance(rec[h], list) else (rec[h],)) if not exists(target, sid)]
                # (a row marking a record tobedeleted may name a retired one: a sender retires a user in one
                # package and the user's roles in the next)
                retired = self._db_any(target, {sid for rec, sid in missing if rec.get("status") == "tobedeleted"})
                for rec, sid in missing:
                    if not (rec.get("status") == "tobedeleted" and sid in retired):
                        self.no_record(f, rec["_row"], h, target, sid)
            if name == "demographics":
                for rec in fd.records:
                    sid = rec.get("sourcedId")
                    if sid and not exists("users", sid):
                        self.no_user(rec["_row"], sid)
        self._school_refs(org_type)
        self._lists_match()
        self._org_lists_11()
        self._roles(pkg)
        self._results(pkg)
        self._identifiers()
        fd = self.v.files.get("courses")
        self.course_codes([(r["_row"], r.get("sourcedId"), r.get("courseCode"), r.get("orgSourcedId"), r.get("title"),
                            r.get("status")) for r in (fd.records if fd else ())])

    def _school_refs(self, org_type) -> None:
        for name, col in (("classes", "schoolSourcedId"), ("enrollments", "schoolSourcedId"),
                          ("lineItems", "schoolSourcedId")):
            fd = self.v.files.get(name)
            for rec in fd.records if fd else ():
                sid = rec.get(col)
                t = org_type(sid) if sid else None
                if t is not None and t != "school":
                    self.not_school(name, rec["_row"], col, sid, t)

    def _lists_match(self) -> None:
        for name in ("courses", "classes"):
            fd = self.v.files.get(name)
            for rec in fd.records if fd else ():
                a, b = rec.get("subjects"), rec.get("subjectCodes")
                if a is not None and b is not None and len(a) != len(b):
                    self.codes_mismatch(name, rec["_row"], len(a), len(b))

    def _org_lists_11(self) -> None:
        """A 1.1 user's orgSourcedIds become one roles row each (oneroster_load): an org listed twice is
        read once (two rows would be one role twice)."""
        fd = self.v.files.get("users") if self.v.version == "1.1" else None
        for rec in fd.records if fd else ():
            orgs = rec.get("orgSourcedIds")
            if orgs and len(set(orgs)) < len(orgs):
                for org in dict.fromkeys(o for i, o in enumerate(orgs) if o in orgs[:i]):
                    self.warn("users.csv", rec["_row"], "orgSourcedIds", f"org {_q(org)} is listed twice; it was read once.")
                rec["orgSourcedIds"] = list(dict.fromkeys(orgs))

    def _roles(self, pkg) -> None:
        fd = self.v.files.get("roles")
        pairs: set[tuple[str, str]] = set()
        primary: dict[tuple[str, str], int] = {}
        for rec in fd.records if fd else ():
            u, o = rec.get("userSourcedId"), rec.get("orgSourcedId")
            pairs.add((u, o))
            if rec.get("roleType") == "primary" and rec.get("status") != "tobedeleted":
                if (u, o) in primary:
                    self.second_primary(rec["_row"], u, o, primary[u, o])
                else:
                    primary[u, o] = rec["_row"]
        self._role_profiles(pkg, fd.records if fd else [])
        users = self.v.files.get("users")
        if users is None or self.v.version == "1.1":
            return
        db_pairs = None
        for rec in users.records:
            org = rec.get("primaryOrgSourcedId")
            if not org or not rec.get("sourcedId") or (rec["sourcedId"], org) in pairs:  # (a bad sourcedId: said)
                continue
            if db_pairs is None:
                db_pairs = set(self.conn.execute(text(
                    "SELECT user_sourced_id, org_sourced_id FROM oneroster.roles WHERE status = 'active'")).all()
                ) if self.conn is not None else set()
            if (rec["sourcedId"], org) not in db_pairs:
                self.no_primary_role(rec["_row"], rec["sourcedId"], org)

    def _role_profiles(self, pkg, roles: list[dict]) -> None:
        """A role's userProfile is its own user's (the package's profile, else the database's)."""
        owner = {sid: r.get("userSourcedId") for sid, r in pkg["userProfiles"].items()}
        need = {r.get("userProfileSourcedId") for r in roles} - set(owner) - {None}
        if need and self.conn is not None:
            owner.update(self.conn.execute(text(
                "SELECT sourced_id, user_sourced_id FROM oneroster.user_profiles WHERE sourced_id = ANY(:ids)"),
                {"ids": list(need)}).all())
        for rec in roles:
            p, u = rec.get("userProfileSourcedId"), rec.get("userSourcedId")
            if p and u and owner.get(p) not in (None, u) and rec.get("status") != "tobedeleted":
                self.profile_of_another(rec["_row"], p, owner[p], u)
        profiles = self.v.files.get("userProfiles")
        mine = {r["sourcedId"]: r for r in (profiles.records if profiles else ())
                if r.get("sourcedId") and r.get("userSourcedId") and r.get("status") != "tobedeleted"}
        if not mine or self.conn is None or self._roles_bulk():
            return
        sent = {r.get("sourcedId") for r in roles}
        self.profiles_moved(sorted(
            (mine[p]["_row"], p, mine[p]["userSourcedId"], role, user) for role, user, p in self.conn.execute(text(
                "SELECT sourced_id, user_sourced_id, user_profile_sourced_id FROM oneroster.roles "
                "WHERE status = 'active' AND user_profile_sourced_id = ANY(:ids)"), {"ids": list(mine)})
            if role not in sent and user != mine[p]["userSourcedId"]))

    def _roles_bulk(self) -> bool:
        """A bulk roles.csv retires every role it leaves out: none of the database's stays."""
        fd = self.v.files.get("roles")
        return fd is not None and fd.mode == "bulk"

    def profiles_moved(self, found) -> None:
        """(row, profile, its new user, a database role naming it, that role's user), in row order: each
        profile once, with the first such role."""
        said: set[int] = set()
        for row, profile, new_user, role, user in found:
            if row not in said:
                said.add(row)
                self.err("userProfiles.csv", row, "userSourcedId",
                         f"userProfile {_q(profile)} is named by role {_q(role)} of user {_q(user)}, already in the "
                         f"database, and a role's profile is its own user's; keep {_q(user)} as its user, or send "
                         "that role in this delta without it.")

    def _results(self, pkg) -> None:
        fd = self.v.files.get("results")
        if fd is None:
            return
        limits = {sid: (r.get("resultValueMin"), r.get("resultValueMax"), r.get("classSourcedId"))
                  for sid, r in pkg["lineItems"].items()}
        need = {r.get("lineItemSourcedId") for r in fd.records} - set(limits)
        if need and self.conn is not None:
            for sid, lo, hi, cls in self.conn.execute(text(
                    "SELECT sourced_id, result_value_min, result_value_max, class_sourced_id FROM oneroster.line_items "
                    "WHERE sourced_id = ANY(:ids)"), {"ids": list(need)}):
                limits[sid] = (lo, hi, cls)
        enrolled = {(r.get("userSourcedId"), r.get("classSourcedId")) for r in pkg["enrollments"].values()
                    if r.get("status") != "tobedeleted"}
        db_enrolled = None
        for rec in fd.records:
            li = limits.get(rec.get("lineItemSourcedId"))
            if li is None:
                continue
            lo, hi, cls = li
            score = rec.get("score")
            if score is not None and ((lo is not None and score < lo) or (hi is not None and score > hi)):
                self.score_range(rec["_row"], score, lo, hi)
            stu = rec.get("studentSourcedId")
            if stu and cls and (stu, cls) not in enrolled:
                if db_enrolled is None:
                    db_enrolled = set(self.conn.execute(text(
                        "SELECT user_sourced_id, class_sourced_id FROM oneroster.enrollments WHERE status = 'active'"
                    )).all()) if self.conn is not None else set()
                if (stu, cls) not in db_enrolled:
                    self.not_enrolled(rec["_row"], stu, cls)

    def _identifiers(self) -> None:
        fd = self.v.files.get("users")
        self._db_person_ids()  # (first: a row that clashes with the database is said once, so)
        self.person_ids((rec["_row"], rec.get("sourcedId"), rec.get("identifier"), rec.get("status"))
                        for rec in (fd.records if fd else ()))
        self.org_ids([(rec["_row"], rec.get("sourcedId"), rec.get("identifier"), rec.get("type"), rec.get("status"))
                      for rec in self._org_records()], self._db_org_ids)

    def _db_person_ids(self) -> None:
        """The package's active users against the database's: Ed-Fi knows a person by their unique id alone, so a
        user with an active database user's would take over that one's Ed-Fi record, enrollments and history.
        Refused, unless the package retires that user; in a bulk users.csv, which retires every user it leaves
        out, only when the package gives that user another id (a delta: also when it does not send them). A user
        whose own id changes is said in a note: Ed-Fi gets a new person, and the old id keeps its records."""
        fd = self.v.files.get("users")
        if self.conn is None or fd is None:
            return
        delta = fd.mode == "delta"
        sent: dict[str, tuple[int, str | None, str]] = {}  # sourcedId -> (row, status, Ed-Fi id)
        mine: dict[str, list[tuple[int, str, str]]] = {}
        for rec in fd.records:
            sid = rec.get("sourcedId")
            if not sid:
                continue
            uid, src = edfi_person_id(sid, rec.get("identifier"))
            sent.setdefault(sid, (rec["_row"], rec.get("status"), uid))
            if rec.get("status") != "tobedeleted":
                mine.setdefault(uid, []).append((rec["_row"], sid, src))
        if not mine:
            return
        live = [sid for sid, (_, status, _) in sent.items() if status != "tobedeleted"]
        moving = {sid: old for sid, old in self.conn.execute(text(
            f"SELECT sourced_id, {EDFI_PERSON_ID} FROM oneroster.users "
            f"WHERE status IS DISTINCT FROM 'tobedeleted' AND sourced_id = ANY(:sids)"), {"sids": live}).all()
            if old != sent[sid][2]}
        # (a new id two of the package's rows take is refused, person_ids: no note on what Ed-Fi would make of it)
        changes = sorted((sent[sid][0], sid, old, sent[sid][2]) for sid, old in moving.items()
                         if len(mine[sent[sid][2]]) == 1)
        clashes, taken = [], []
        for uid, db_sid, db_ident in self.conn.execute(text(
                f"SELECT {EDFI_PERSON_ID}, sourced_id, identifier FROM oneroster.users "
                f"WHERE status IS DISTINCT FROM 'tobedeleted' AND {EDFI_PERSON_ID} = ANY(:ids)"),
                {"ids": list(mine)}).all():
            if db_sid in moving:  # (the package gives them another id: this one keeps their records)
                to = sent[db_sid][2]
            elif db_sid in sent or not delta:  # (retired, or sent with it: the package's own rule)
                # (retired: a replacement, said; two of the package's rows with one id are refused: person_ids)
                if (db_sid not in sent or sent[db_sid][1] == "tobedeleted") and len(mine[uid]) == 1:
                    taken += [(row, sid, uid, src, db_sid, False, db_sid not in sent)
                              for row, sid, src in mine[uid] if sid != db_sid]
                continue
            else:
                to = None
            clashes += [(row, sid, uid, src, db_sid, db_ident, to) for row, sid, src in mine[uid] if sid != db_sid]
        # an identifier longer than Ed-Fi takes is no Ed-Fi id, but still one person's (as person_ids says)
        long = {}
        for rec in fd.records:
            ident = rec.get("identifier")
            if rec.get("sourcedId") and ident and len(ident) > 32 and rec.get("status") != "tobedeleted":
                long.setdefault(ident, []).append((rec["_row"], rec["sourcedId"]))
        if long and delta:
            clashes += [(row, sid, ident, LONG, db_sid, ident, None)
                        for ident, db_sid in self.conn.execute(text(
                            "SELECT identifier, sourced_id FROM oneroster.users "
                            "WHERE status IS DISTINCT FROM 'tobedeleted' AND identifier = ANY(:ids)"),
                            {"ids": list(long)}).all() if db_sid not in sent
                        for row, sid in long[ident]]
        # an id a user gave up in an earlier import (Ed-Fi keeps that person's records under it), unless this package
        # retires them (a bulk users.csv: also by leaving them out, if they were active until now)
        past = self.conn.execute(text(
            "SELECT p.unique_id, p.user_sourced_id, p.given_up, h.status IS NOT DISTINCT FROM 'tobedeleted' "
            "FROM compliance.person_past_ids p LEFT JOIN oneroster.users h ON h.sourced_id = p.user_sourced_id "
            "WHERE p.unique_id = ANY(:ids)"), {"ids": list(mine)}).all()
        clashes += [(row, sid, uid, src, holder, None, PAST, until)
                    for uid, holder, until, retired in past
                    if (sent[holder][1] != "tobedeleted" if holder in sent else delta or retired)
                    for row, sid, src in mine[uid] if sid != holder]
        taken += [(row, sid, uid, src, holder, True, holder not in sent)
                  for uid, holder, until, retired in past
                  if not (sent[holder][1] != "tobedeleted" if holder in sent else delta or retired)
                  and len(mine[uid]) == 1
                  for row, sid, src in mine[uid] if sid != holder]
        self.db_person_clashes(clashes)
        self.person_notes(changes, taken)

    def id_changes(self, changes) -> None:
        """(row, sourcedId, old Ed-Fi id, new one) of users already in the database, in row order: a note each
        (a user given a retired user's id has the replacement's note instead: they take over a person, not a new
        one)."""
        for row, sid, old, new in changes:
            if row in self._replaced_rows:
                continue
            self.warn("users.csv", row, "identifier",
                      f"user {_q(sid)}'s Ed-Fi unique id changes from {_q(old)} to {_q(new)}, and Ed-Fi knows a "
                      f"person by it: Ed-Fi gets {_q(new)} as a new person, and {_q(old)} keeps the records "
                      f"(enrollments, history) it has and stays {_q(sid)}'s: no other user may be given it.")

    def person_notes(self, changes, taken) -> None:
        """The notes on users.csv rows that change a user's Ed-Fi id (`id_changes`) or give a user a retired one's
        (`replacements`), in row order."""
        start = len(self.v.warnings)
        self.replacements(taken, {row: old for row, _sid, old, _new in changes})
        self.id_changes(changes)
        self.v.warnings[start:] = sorted(self.v.warnings[start:], key=lambda w: w.row or 0)

    def replacements(self, taken, moving: dict[int, str] | None = None) -> None:
        """(row, sourcedId, unique id, where it came from, the database user who has (or had: `was`) it, whether this
        bulk users.csv retires them by leaving them out): a user given the Ed-Fi id of a user the package retires
        becomes that Ed-Fi person, with their records (a district changing systems sends its people again under new
        sourcedIds). Allowed, and said in a note, one a row: if they are two people, the office sees it before it
        is written. `moving`: row -> the Ed-Fi id the row's user had until now, for a user the package moves."""
        moving = moving or {}
        said = self._replaced_rows
        for row, sid, uid, src, holder, was, left_out in sorted(taken, key=lambda t: (t[0], t[4])):
            if row in said or row in self._person_rows:
                continue
            said.add(row)
            mine = (f"identifier {_q(uid)}" if src == "identifier" else
                    f"sourcedId {_q(uid)} (their Ed-Fi unique id, as they have no identifier Ed-Fi takes)")
            self.warn("users.csv", row, "identifier",
                      f"user {_q(sid)} is given {mine}, which {'was' if was else 'is'} user {_q(holder)}'s Ed-Fi "
                      f"unique id, and "
                      + (f"this bulk users.csv leaves {_q(holder)} out, which retires them"
                         if left_out else f"this package marks {_q(holder)} tobedeleted")
                      + f": Ed-Fi takes them for one person, so {_q(sid)} takes over {_q(holder)}'s Ed-Fi record "
                      "(enrollments, history)"
                      + (f", and {_q(moving[row])}, {_q(sid)}'s Ed-Fi unique id until now, keeps the records it has "
                         "and stays theirs" if row in moving else "")
                      + "; if they are two people, give this user their own identifier.")

    def db_person_clashes(self, clashes) -> None:
        """(row, sourcedId, unique id, where it came from, the database user's sourcedId and identifier, the id this
        package gives that user or None, and when that user gave the id up), one sentence each in row order; a user
        who clashes with two is named with the first. `to` is PAST for an id its user gave up in an earlier import
        (compliance.person_past_ids), with the time in `until`."""
        said = self._person_rows
        for row, _sid, uid, src, db_sid, db_ident, to, *until in sorted(clashes, key=lambda c: (c[0], c[4])):
            if row in said:
                continue
            said.add(row)
            mine = (f"identifier {_q(uid)}" if src == "identifier" else
                    f"sourcedId {_q(uid)} (the user's Ed-Fi unique id, as they have no identifier Ed-Fi takes)")
            if src == LONG:  # (one identifier, longer than Ed-Fi takes)
                self.err("users.csv", row, "identifier",
                         f"identifier {_q(uid)} is also the identifier of user {_q(db_sid)}, already in the database; "
                         f"each person needs their own, or mark {_q(db_sid)} tobedeleted in this delta if this user "
                         "replaces them.")
            elif to is PAST:
                self.err("users.csv", row, "identifier",
                         f"{mine} was user {_q(db_sid)}'s Ed-Fi unique id until an import on "
                         f"{until[0]:%Y-%m-%d}, and Ed-Fi keeps {_q(db_sid)}'s records under it, so this user would "
                         f"take them over; give this person their own identifier, or mark {_q(db_sid)} tobedeleted "
                         "in this delta if this user replaces them.")
            elif to is not None:
                self.err("users.csv", row, "identifier",
                         f"{mine} is user {_q(db_sid)}'s Ed-Fi unique id in the database, and this package gives "
                         f"{_q(db_sid)} {_q(to)}: Ed-Fi keeps {_q(db_sid)}'s records under {_q(uid)}, so this user "
                         "would take them over; give this person another identifier.")
            else:
                self.same_identifier(row, uid, None, src, edfi_person_id(db_sid, db_ident)[1], db_user=db_sid)

    def person_ids(self, users) -> None:
        """Ed-Fi keeps one unique id per person (edfi_person_id): two users (row, sourcedId, identifier, status),
        in row order, may not share an identifier, nor may one's identifier be the sourcedId Ed-Fi knows
        another by (the import would stop at the second). A user marked tobedeleted gives theirs up: a delta may
        retire a person and send them again under a new sourcedId (oneroster_edfi maps the active one)."""
        seen: dict[str, int] = {}
        ids: dict[str, tuple[int, str]] = {}
        sids: set[str] = set()
        for row, sid, ident, status in users:
            if status == "tobedeleted":
                continue
            said = row in self._person_rows  # (against the database's: one sentence a cell)
            if ident:
                if ident in seen:
                    if not said:
                        self.same_identifier(row, ident, seen[ident])
                    continue
                seen[ident] = row
            if not sid or sid in sids:  # (a sourcedId used twice is reported as such)
                continue
            sids.add(sid)
            uid, src = edfi_person_id(sid, ident)
            if uid in ids:
                if not said:
                    self.same_identifier(row, uid, ids[uid][0], src, ids[uid][1])
            else:
                ids[uid] = (row, src)

    def course_codes(self, rows) -> None:
        """Ed-Fi knows a course by its code (the courseCode, else the sourcedId; 60 characters) and its education
        organization (its org's Ed-Fi id when the org is a school or district: two orgs with one number are one): two
        active courses (row, sourcedId, courseCode, orgSourcedId, title, status) with one code at one, in the
        package or with one of the database's, become one Ed-Fi course. Said (a note, not a refusal: a course sent
        once a year under one code is one course) when their titles differ."""
        sids = {r[1] for r in rows if r[1]}  # (the package's courses, retired ones too: the database's give way)
        rows = [(row, sid, (code or sid)[:60], org, title) for row, sid, code, org, title, status in rows
                if sid and org and title and status != "tobedeleted"]
        if not rows:
            return
        theirs = []
        fd = self.v.files.get("courses")
        if self.conn is not None and fd is not None and fd.mode == "delta":  # (bulk: every other course retires)
            theirs = [r for r in self.conn.execute(text(
                "SELECT sourced_id, left(COALESCE(NULLIF(course_code, ''), sourced_id), 60), org_sourced_id, "
                "title FROM oneroster.courses WHERE status IS DISTINCT FROM 'tobedeleted' AND "
                "left(COALESCE(NULLIF(course_code, ''), sourced_id), 60) = ANY(:codes) ORDER BY sourced_id"),
                {"codes": list({r[2] for r in rows})}) if r[0] not in sids]
        key = self._course_orgs({r[3] for r in rows} | {r[2] for r in theirs})
        # a course at another kind of org (a department) is, in Ed-Fi, a course of each school its classes are at
        elsewhere = ({sid for sid, _code, org, _title in theirs if key[org][0] == "org"}
                     | {r[1] for r in rows if key[r[3]][0] == "org"})
        at_schools = self._class_schools(elsewhere) if elsewhere else {}
        school_key = self._course_orgs(set().union(*at_schools.values())) if at_schools else {}

        def keys(sid: str, org: str) -> list[tuple[tuple, bool]]:  # (Ed-Fi organization, by its classes' school)
            if at_schools.get(sid):
                return [(k, True) for k in dict.fromkeys(school_key[s] for s in sorted(at_schools[sid]))]
            return [(key[org], False)]

        first: dict[tuple[str, tuple], tuple[str, str, str, str, bool]] = {}
        for sid, code, org, title in theirs:
            for k, by_class in keys(sid, org):
                first.setdefault((code, k), (sid, title, "already in the database", org, by_class))
        seen: set[str] = set()
        for row, sid, code, org, title in rows:
            if sid in seen:  # (a sourcedId used twice is said as such)
                continue
            seen.add(sid)
            for k, by_class in keys(sid, org):
                other = first.setdefault((code, k), (sid, title, f"row {row}", org, by_class))
                if other[0] != sid and other[1] != title:
                    self.same_course_code(row, sid, code, org, title, other, k, by_class or other[4])
                    break

    def _class_schools(self, courses: set[str]) -> dict[str, set[str]]:
        """course sourcedId -> the schools (org sourcedIds) of its active classes: the package's classes, and the
        database's that the package does not send."""
        out: dict[str, set[str]] = {}
        sent = set()
        for cls, course, school, status in self._package_classes():
            sent.add(cls)
            if course in courses and school and status != "tobedeleted":
                out.setdefault(course, set()).add(school)
        if self.conn is not None:
            for cls, course, school in self.conn.execute(text(
                    "SELECT sourced_id, course_sourced_id, school_sourced_id FROM oneroster.classes "
                    "WHERE course_sourced_id = ANY(:c) AND status IS DISTINCT FROM 'tobedeleted'"),
                    {"c": list(courses)}):
                if cls not in sent:
                    out.setdefault(course, set()).add(school)
        return out

    def _package_classes(self) -> list[tuple[str, str | None, str | None, str | None]]:
        """(sourcedId, courseSourcedId, schoolSourcedId, status) of the package's classes."""
        fd = self.v.files.get("classes")
        return [(r["sourcedId"], r.get("courseSourcedId"), r.get("schoolSourcedId"), r.get("status"))
                for r in (fd.records if fd else ()) if r.get("sourcedId")]

    def _course_orgs(self, orgs: set[str]) -> dict[str, tuple]:
        """orgSourcedId -> the Ed-Fi organization a course at it belongs to: ("edfi", id) for a school or district
        (the package's org, else the database's), else ("org", sourcedId) (a department: its classes' schools)."""
        found = {sid: (kind, ident) for sid, kind, ident in self._package_orgs() if sid in orgs}
        rest = orgs - found.keys()
        if rest and self.conn is not None:
            for sid, kind, ident in self.conn.execute(text(
                    "SELECT sourced_id, type, identifier FROM oneroster.orgs WHERE sourced_id = ANY(:s)"),
                    {"s": list(rest)}):
                found[sid] = (kind, ident)
        return {sid: ("edfi", edfi_org_id(sid, found[sid][1])) if found.get(sid, (None,))[0] in ("district", "school")
                else ("org", sid) for sid in orgs}

    def _package_orgs(self) -> list[tuple[str, str | None, str | None]]:
        """(sourcedId, type, identifier) of the package's orgs."""
        return [(r["sourcedId"], r.get("type"), r.get("identifier")) for r in self._org_records() if r.get("sourcedId")]

    def _org_records(self) -> list[dict]:
        fd = self.v.files.get("orgs")
        return fd.records if fd else []

    def _db_org_ids(self, package_ids: set[str]) -> list[tuple[str, str | None]]:
        """(sourcedId, identifier) of the database's schools and districts that stay active after this import and
        that the package does not hold: none when orgs.csv is bulk (it marks every org it leaves out tobedeleted),
        and never a tobedeleted one (a district changing systems sends its schools again under new sourcedIds, with
        the same numbers: they are the same Ed-Fi schools)."""
        fd = self.v.files.get("orgs")
        if self.conn is None or (fd is not None and fd.mode == "bulk"):
            return []
        return [(sid, ident) for sid, ident in self.conn.execute(text(
            "SELECT sourced_id, identifier FROM oneroster.orgs WHERE type IN ('district', 'school') "
            "AND status IS DISTINCT FROM 'tobedeleted'")).all()
            if sid not in package_ids]

    def org_ids(self, orgs, db_orgs) -> None:
        """Each active school and district (row, sourcedId, identifier, type, status) is one Ed-Fi education
        organization (edfi_org_id): two with one id, in the package or with one of the database's, are refused. (A
        tobedeleted one gives its number up: oneroster_edfi writes the active one's.)"""
        orgs = list(orgs)
        if not orgs:
            return
        taken: dict[int, tuple[str, str, str | None]] = {}
        for sid, ident in db_orgs({o[1] for o in orgs if o[1]}):
            taken.setdefault(edfi_org_id(sid, ident), (sid, "already in the database", org_number(sid, ident)))
        mine: dict[int, tuple[str, str, str | None]] = {}
        sids: set[str] = set()
        for row, sid, ident, kind, status in orgs:
            if not sid or kind not in ("district", "school") or sid in sids or status == "tobedeleted":
                continue
            sids.add(sid)
            n = edfi_org_id(sid, ident)
            other = mine.get(n) or taken.get(n)
            if other:
                self.same_edfi_org(row, sid, other[0], other[1], n, (org_number(sid, ident), other[2]))
            else:
                mine[n] = (sid, f"row {row}", org_number(sid, ident))


def edfi_person_id(sourced_id: str, identifier: str | None) -> tuple[str, str]:
    """The unique id oneroster_edfi gives a person (its tmp_person): their identifier (up to 32 characters),
    else their sourcedId (up to 32), else its md5; and where it came from: identifier, none (they have no
    identifier) or long (theirs is longer than 32)."""
    if identifier and len(identifier) <= 32:
        return identifier, "identifier"
    uid = sourced_id if len(sourced_id) <= 32 else hashlib.md5(sourced_id.encode()).hexdigest()
    return uid, "long" if identifier else "none"


def org_number(sourced_id: str, identifier: str | None) -> str | None:
    """The number an org's EducationOrganizationId is read from, as written (edfi_org_id), or None (made from md5)."""
    if identifier and EDORG_ID_RE.match(identifier):
        return identifier
    return sourced_id if EDORG_ID_RE.match(sourced_id) else None


def edfi_org_id(sourced_id: str, identifier: str | None) -> int:
    """The EducationOrganizationId oneroster_edfi gives a school or district (its tmp_org): its numeric
    identifier, else its numeric sourcedId, else a number made from the sourcedId's md5."""
    number = org_number(sourced_id, identifier)
    return int(number) if number is not None else int(hashlib.md5(sourced_id.encode()).hexdigest()[:15], 16)


def text_widths(spec: S.FileSpec) -> dict[str, int]:
    """header -> the most characters its oneroster.<table> column holds (VARCHAR(n)), for the columns
    whose value is stored as the file wrote it (a longer one would stop the load with a database error)."""
    from app.db.base import metadata
    import app.db.models  # noqa: F401 - the tables' definitions

    table = metadata.tables.get(f"oneroster.{spec.table}")
    out: dict[str, int] = {}
    for h, kind, _req in spec.columns:
        col = table.c.get(S.db_column(h)) if table is not None else None
        n = getattr(col.type, "length", None) if col is not None else None
        if n and (kind == "str" or kind.startswith("enum:")):  # (an enumeration's ext:... values)
            out[h] = n
    return out


def number_ranges(spec: S.FileSpec) -> dict[str, tuple[int, int]]:
    """header -> (bound, scale): its column holds numbers whose size, rounded to `scale` decimals, is below
    `bound` (NUMERIC(p, s): 10^(p-s); INTEGER: 2^31)."""
    from app.db.base import metadata
    import app.db.models  # noqa: F401 - the tables' definitions

    table = metadata.tables.get(f"oneroster.{spec.table}")
    out: dict[str, tuple[int, int]] = {}
    for h, kind, _req in spec.columns:
        col = table.c.get(S.db_column(h)) if table is not None else None
        if col is None or kind not in ("int", "dec"):
            continue
        precision, scale = getattr(col.type, "precision", None), getattr(col.type, "scale", None)
        if kind == "dec" and precision is not None:
            out[h] = (10 ** (precision - (scale or 0)), scale or 0)
        elif kind == "int":
            out[h] = (2 ** 31, 0)
    return out


def in_range(value, bound: int, scale: int) -> bool:
    if isinstance(value, Decimal):
        if value.as_tuple().exponent < PG_MIN_EXPONENT:
            return False
        return abs(value) < bound and abs(round(value, scale)) < bound
    return abs(value) < bound


def validate(package: Package, conn: Connection | None, *, now: datetime | None = None) -> Validation:
    """With a database connection, a OneRoster 1.2 package is checked there (oneroster_sqlcheck: the files
    COPYed as they are, every cell and cross-record rule in SQL); without one, here, row by row. With
    `now` (an import), a clean package for empty tables is checked and written in one pass
    (oneroster_firstload; val.first_load), in the caller's transaction."""
    if conn is None:
        return Validator(package, None).run()
    from app.services.interchange.oneroster_sqlcheck import SqlValidator
    if now is not None:
        from app.services.interchange.oneroster_firstload import try_first_load
        val = try_first_load(package, conn, now=now)
        if val is not None:
            return val
    return SqlValidator(package, conn).run()


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def dumps(problems: list[Problem]) -> str:
    return json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=1)
