"""`import edfi`: Ed-Fi 5.2 XML interchange files (a folder or zip), validated first, loaded in one
transaction.

Every file is parsed and every problem reported with its file, element path and line: XML that is
not well formed, a required value missing (the column is NOT NULL in the Ed-Fi table), a value that
is not a date/number/boolean, a descriptor URI that is neither in the database nor in the package's
own descriptor files, a duplicate record, and a reference to a school, session, section, student,
staff member, contact, course, calendar or gradebook entry that is in neither the files nor the
database. Only then are the records COPYed into staging tables and upserted set-based (students,
staff and contacts by their unique ids), with one IMPORT entry in the audit trail.
Elements the import does not read (programs, health, discipline, ...) are counted, not refused.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter, defaultdict
from datetime import date, datetime, time as dtime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.parsers import expat

from sqlalchemy import Connection, Engine, text

from app.db.base import metadata
from app.db.bulk import Copier
from app.db.descriptors import DESCRIPTOR_TABLES, DescriptorValue, load_descriptors
from app.domain.xml_words import plain_reason
from app.services.attendance_days import record_as_exceptions
from app.services.interchange import edfi_xml_spec as X
from app.services.interchange.oneroster_import import ImportResult, Progress, tag_import
from app.services.interchange.oneroster_load import _audit_triggers, digest
from app.services.interchange.package import Package, Problem
from app.services.interchange.xml_tree import MAX_DEPTH, Node, TooDeep, parse

log = logging.getLogger(__name__)
EDFI_NS = "http://ed-fi.org/5.2.0"  # the namespace of every Ed-Fi 5.2 interchange and descriptor file

SY_RE = re.compile(r"(\d{4})-(\d{4})\Z", re.ASCII)
INT_RE = re.compile(r"[+-]?\d+\Z", re.ASCII)
DEC_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z", re.ASCII)
ID_KEYS = ("LocalEducationAgencyId", "SchoolId", "EducationServiceCenterId", "ContactUniqueId", "StudentUniqueId",
           "StaffUniqueId")


EDFI_VERSION_NS = re.compile(r"http://ed-fi\.org/(\d+\.\d+(?:\.\d+)?(?:-[A-Za-z0-9]+)?)/?\Z")


def _namespace(root: Node) -> tuple[str | None, str | None]:
    """(why the file is not read, a note that it is read as Ed-Fi 5.2) by its root element's namespace. Ed-Fi 5.2's
    is read; another 5.x version's too (the 5.x versions keep the elements this import reads), with a note; an older
    version's is refused (Ed-Fi renamed and reshaped elements between major versions: a 3.x file would be misread),
    and so is a file in no namespace or in another one."""
    ns = root.ns
    version = m.group(1) if (m := EDFI_VERSION_NS.match(ns)) else None
    if version is not None and version.split(".")[0] == "5":
        note = None if ns.rstrip("/") == EDFI_NS else f"An Ed-Fi {version} file, read as Ed-Fi 5.2."
        return None, note
    if version is not None:
        return (f"This is an Ed-Fi {version} file (namespace {ns}); School Office reads Ed-Fi 5.2 ({EDFI_NS}): "
                "export it again as Ed-Fi 5.2."), None
    if not ns:
        return (f"<{root.tag}> declares no XML namespace, so it is not an Ed-Fi 5.2 file as the Ed-Fi tools write "
                f"it; if it is one, add xmlns=\"{EDFI_NS}\" to <{root.tag}>."), None
    return (f"<{root.tag}> is in the namespace {ns}, not Ed-Fi 5.2's ({EDFI_NS}); check that this is the file "
            "meant."), None


class EdFiValidator:
    def __init__(self, pkg: Package, conn: Connection) -> None:
        self.pkg, self.conn = pkg, conn
        self.problems: list[Problem] = []
        self._said: set[Problem] = set()
        self.rows: dict[str, list[dict]] = defaultdict(list)  # table -> rows (with "_where")
        self.descriptors: dict[str, int | None] = {}  # uri -> id (None: added by this package)
        self.new_descriptors: list[DescriptorValue] = []
        self.provided: dict[str, set] = defaultdict(set)
        self.ids: dict[str, str] = {}  # element id attribute -> its key value
        self.skipped: Counter = Counter()
        self.notes: list[Problem] = []  # read, but worth saying (another Ed-Fi 5.x version's file)
        self.count = 0

    def err(self, file: str, node: Node | None, path: str | None, message: str, line: int | None = None) -> None:
        problem = Problem(file, line if line is not None else (node.line if node else None), path, message)
        if problem not in self._said:  # (a value several tables read, e.g. a SchoolId, is reported once)
            self._said.add(problem)
            self.problems.append(problem)

    def run(self) -> None:
        self.descriptors = {f"{ns}#{cv}": i for ns, cv, i in self.conn.execute(text(
            "SELECT namespace, codevalue, descriptorid FROM edfi.descriptor"))}
        trees: list[tuple[str, Node]] = []
        for name in sorted(self.pkg.names()):
            if not name.lower().endswith(".xml"):
                continue
            try:
                root = parse(self.pkg._files[name])
            except expat.ExpatError as exc:
                log.info("%s: expat: %s", name, exc)
                self.err(name, None, None, f"The XML is broken at column {exc.offset + 1} of this line: "
                                           f"{plain_reason(exc.code)}. Correct it there, or export the file again.",
                         line=exc.lineno)
                continue
            except TooDeep as exc:
                self.err(name, None, None, f"The elements are nested more than {MAX_DEPTH} deep (column {exc.column}); "
                                           "no Ed-Fi interchange is, so check that this is the file meant.",
                         line=exc.line)
                continue
            refused, note = _namespace(root)
            if refused:
                self.err(name, root, f"/{root.tag}", refused)
                continue
            if note:
                self.notes.append(Problem(name, root.line, f"/{root.tag}", note))
            if root.tag.endswith("Descriptor") or any(c.tag.endswith("Descriptor") for c in root.children[:1]):
                self._descriptors(name, root)
            else:
                trees.append((name, root))
        if not trees and not self.problems:
            self.err(str(self.pkg.path), None, None, "There are no Ed-Fi interchange XML files here.")
        for _name, root in trees:
            for el in root.children:
                if "id" in el.attrib:
                    key = next((el.value(k) for k in ID_KEYS if el.value(k)), None)
                    if key:
                        self.ids[el.attrib["id"]] = key
        by_element: dict[str, list[tuple[str, Node]]] = defaultdict(list)
        for name, root in trees:
            for el in root.children:
                if el.tag in X.ELEMENTS:
                    by_element[el.tag].append((name, el))
                else:
                    self.skipped[el.tag] += 1
        seen: dict[tuple, dict] = {}
        for tag in X.ORDER:
            for name, el in by_element.get(tag, ()):
                self.count += 1
                for target in X.ELEMENTS[tag]:
                    nodes = el.findall(target.each) if target.each else [el]
                    for node in nodes:
                        row = self._row(name, el, node, target)
                        if row is None:
                            continue
                        key = self._key(target, row)
                        if key in seen:
                            first = seen[key]
                            # the same record twice is an upsert (the Ed-Fi API takes it so); different
                            # values under one key are a conflict the district must settle
                            if {k: x for k, x in first.items() if not k.startswith("_")} != \
                                    {k: x for k, x in row.items() if not k.startswith("_")}:
                                self.err(name, node, node.path, f"This {tag} has the key of the one at "
                                         f"{first['_file']} line {first['_line']} but different values.")
                            continue
                        seen[key] = row
                        self.rows[target.table].append(row)
                        if target.provides:
                            self.provided[target.provides].add(self._entity_key(target.provides, row))
        for table, rows in self.rows.items():
            target_refs = {t.table: t.refs for ts in X.ELEMENTS.values() for t in ts}
            for row in rows:
                for entity, cols in target_refs.get(table, ()):
                    self._check_ref(row, entity, cols)
        self._posted_grades()

    def _posted_grades(self) -> None:
        """A grade of a posted grading period changes only as a correction with a reason (the Grades desk)."""
        periods = {(r["gradingperioddescriptorid"], r["gradingperiodname"], r["schoolid"], r["gradingperiodschoolyear"])
                   for r in self.rows.get("edfi.grade", ())}
        posted = {p for p in periods if self.descriptors.get(p[0]) is not None and self.conn.execute(text(
            "SELECT grades.period_posted(:d, :n, :s, CAST(:y AS smallint))"),
            {"d": self.descriptors[p[0]], "n": p[1], "s": p[2], "y": p[3]}).scalar()}
        if not posted:
            return
        cols = X.KEYS["grade"][1]
        marks = {tuple(k): (letter, numeric) for *k, letter, numeric in self.conn.execute(text(
            X.DB_KEYS["grade"].replace(" FROM edfi.grade x", ", lettergradeearned, numericgradeearned FROM edfi.grade x")))}
        for r in self.rows["edfi.grade"]:
            period = (r["gradingperioddescriptorid"], r["gradingperiodname"], r["schoolid"], r["gradingperiodschoolyear"])
            if period not in posted:
                continue
            old = marks.get(tuple(r.get(c) for c in cols))
            where = f"grading period {r['gradingperiodname']} of school {r['schoolid']} is posted"
            if old is None:
                self.err(r["_file"], None, r["_path"], f"The {where}: a new grade in it is a correction; enter it on "
                         "the Grades desk with a reason.", line=r["_line"])
            elif old != (r.get("lettergradeearned"), r.get("numericgradeearned")):
                self.err(r["_file"], None, r["_path"], f"The {where} and this grade differs from the posted one "
                         f"({old[0] or old[1]}); correct it on the Grades desk with a reason.", line=r["_line"])

    def _descriptors(self, name: str, root: Node) -> None:
        for el in root.children:
            ns, cv = el.value("Namespace"), el.value("CodeValue")
            if not ns or not cv:
                self.err(name, el, el.path, "A descriptor needs a Namespace and a CodeValue.")
                continue
            if el.tag not in DESCRIPTOR_TABLES:
                self.err(name, el, el.path, f"{el.tag} is not an Ed-Fi descriptor type; check the element's name.")
                continue
            # (edfi.descriptor's columns; a ShortDescription is cut to its 75 characters on the way in)
            long = [(what, len(v), most) for what, v, most in (("Namespace", ns, 255), ("CodeValue", cv, 50),
                                                               ("Description", el.value("Description") or "", 1024))
                    if len(v) > most]
            for what, n, most in long:
                self.err(name, el.find(what), f"{el.path}/{what}", f"The {what} is {n} characters long; at most {most} fit.")
            if long:
                continue
            uri = f"{ns}#{cv}"
            if uri not in self.descriptors:
                self.descriptors[uri] = None
                self.new_descriptors.append(DescriptorValue(el.tag, ns, cv, el.value("ShortDescription") or cv,
                                                            el.value("Description")))

    def _key(self, target: X.Target, row: dict) -> tuple:
        pk = metadata.tables[target.table].primary_key.columns.keys()
        if target.table in ("edfi.student", "edfi.staff", "edfi.contact"):
            pk = [c for c in row if c.endswith("uniqueid")]
        return (target.table, *(row.get(c) for c in pk))

    @staticmethod
    def _entity_key(entity: str, row: dict) -> tuple:
        cols = X.KEYS[entity][1]
        if entity in ("student", "staff", "contact"):
            return (row[f"{entity}uniqueid"],)
        if entity == "edorg":
            return (row["educationorganizationid"],)
        return tuple(row.get(c) for c in cols)

    def _row(self, file: str, el: Node, node: Node, target: X.Target) -> dict | None:
        table = metadata.tables[target.table]
        row: dict = {"_file": file, "_line": node.line, "_path": node.path}
        ok = True
        for col, (path, kind) in target.cols.items():
            column = table.c[col] if not col.startswith("_") else None  # "_x": read only to compare (`same`)
            if path == ".":
                vnode = node
            elif path.startswith("../"):
                vnode = el.find(path[3:])
            else:
                vnode = node.find(path)
            raw = vnode.text.strip() if vnode is not None and vnode.text.strip() else None
            where = vnode.path if vnode is not None else f"{node.path}/{path}"
            if kind in ("student", "staff", "contact", "edorg_ref") and vnode is not None:
                if "ref" in vnode.attrib:
                    raw = self.ids.get(vnode.attrib["ref"])
                    if raw is None:
                        self.err(file, vnode, where, f"ref=\"{vnode.attrib['ref']}\" names no element with that id.")
                        ok = False
                        continue
                elif raw is None and vnode.children:
                    raw = next((d.text.strip() for d in _leaves(vnode) if d.text.strip()), None)
            if raw is None:
                if column is not None and not column.nullable and column.server_default is None:
                    self.err(file, node, where, f"{path.rsplit('/', 1)[-1]} is required.")
                    ok = False
                row[col] = None
                continue
            value = self._convert(file, vnode or node, where, raw, kind, column)
            if value is _BAD:
                ok = False
                continue
            row[col] = value
        for extra, col in target.same if ok else ():
            if row.get(extra) is not None and row.get(col) is not None and row[extra] != row[col]:
                path = target.cols[extra][0]
                self.err(file, node, f"{node.path}/{path}", f"{path.rsplit('/', 1)[-1]} \"{row[extra]}\" is not "
                         f"the {'report card' if target.each else 'section'}'s \"{row[col]}\"; the two must agree.")
                ok = False
        row.update(target.const)
        return row if ok else None

    def _convert(self, file: str, node: Node, where: str, raw: str, kind: str, column):
        try:
            if kind in ("text", "student", "staff", "contact"):
                n = getattr(column.type, "length", None) if column is not None else None
                if kind == "text" and n and len(raw) > n:
                    self.err(file, node, where, f"The value is {len(raw)} characters long; at most {n} fit.")
                    return _BAD
                return raw
            if kind in ("int", "edorg_ref"):
                value = int(raw) if INT_RE.match(raw) else _raise()  # (int() also takes "1_000", other scripts' digits)
                return self._in_range(file, node, where, raw, value, column)
            if kind == "dec":
                value = Decimal(raw) if DEC_RE.match(raw) else _raise()
                return self._in_range(file, node, where, raw, value, column)
            if kind == "date":
                return date.fromisoformat(raw) if len(raw) == 10 else _raise()
            if kind == "time":
                return dtime.fromisoformat(raw)
            if kind == "bool":
                if raw in ("true", "1"):
                    return True
                if raw in ("false", "0"):
                    return False
                _raise()
            if kind == "sy":
                m = SY_RE.match(raw)
                if m and int(m.group(2)) == int(m.group(1)) + 1:
                    return int(m.group(2))
                if raw.isascii() and raw.isdigit() and len(raw) == 4:
                    return int(raw)
                self.err(file, node, where, f"\"{raw}\" is not a school year; write it like 2021-2022.")
                return _BAD
            if kind == "desc":
                if raw not in self.descriptors:
                    self.err(file, node, where, f"The descriptor \"{raw}\" is neither in the database nor in the "
                                                "package's descriptor files.")
                    return _BAD
                return raw
        except (ValueError, InvalidOperation):
            pass
        word = {"int": "a whole number", "edorg_ref": "an education organization id", "dec": "a number",
                "date": "a date (YYYY-MM-DD)", "time": "a time (HH:MM:SS)", "bool": "true or false"}[kind]
        self.err(file, node, where, f"\"{raw}\" is not {word}.")
        return _BAD

    def _in_range(self, file: str, node: Node, where: str, raw: str, value, column):
        """The number, or _BAD (reported) when its column cannot hold it (INTEGER, SMALLINT, NUMERIC(p, s))."""
        bound = _bound(column.type) if column is not None else None
        if bound is None:
            return value
        limit, scale = bound
        fits = abs(value) < limit if isinstance(value, int) else (
            value.as_tuple().exponent >= -16383 and abs(value) < limit and abs(round(value, scale)) < limit)
        if fits:
            return value
        self.err(file, node, where, f"\"{raw}\" is out of range; the value must be above -{limit} and below {limit}.")
        return _BAD

    def _check_ref(self, row: dict, entity: str, cols: tuple) -> None:
        key = tuple(row.get(c) for c in cols)
        if any(k is None for k in key):
            return
        if entity == "school" and key in self.provided["school"]:
            return
        if key in self.provided[entity] or self._in_db(entity, key):
            return
        what = ", ".join(str(k) for k in key)
        self.err(row["_file"], None, row["_path"], f"The {X.NAMES.get(entity, entity)} {what} is in neither the files "
                 "nor the database.",
                 line=row["_line"])

    _db_cache: dict

    def _in_db(self, entity: str, key: tuple) -> bool:
        if not hasattr(self, "_db_cache"):
            self._db_cache = {}
        if entity not in self._db_cache:
            table, cols = X.KEYS[entity]
            sql = X.DB_KEYS.get(entity, f"SELECT {', '.join(cols)} FROM {table}")
            self._db_cache[entity] = {tuple(r) for r in self.conn.execute(text(sql))}
        return key in self._db_cache[entity]


class _Bad:
    pass


_BAD = _Bad()


def _raise():
    raise ValueError


def _bound(sql_type) -> tuple[int, int] | None:
    """(limit, scale): a column of this type holds numbers whose size, rounded to `scale` decimals, is
    below `limit`; None for a type without a limit that matters here."""
    from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger

    if isinstance(sql_type, SmallInteger):
        return 2 ** 15, 0
    if isinstance(sql_type, BigInteger):
        return 2 ** 63, 0
    if isinstance(sql_type, Integer):
        return 2 ** 31, 0
    if isinstance(sql_type, Numeric) and sql_type.precision is not None:
        return 10 ** (sql_type.precision - (sql_type.scale or 0)), sql_type.scale or 0
    return None


def _leaves(node: Node):
    for c in node.children:
        if c.children:
            yield from _leaves(c)
        else:
            yield c


def _load(conn: Connection, v: EdFiValidator, now: datetime, label: str, sha: str) -> dict[str, int]:
    if v.new_descriptors:
        load_descriptors(conn, v.new_descriptors)
    ids = {f"{ns}#{cv}": i for ns, cv, i in conn.execute(text(
        "SELECT namespace, codevalue, descriptorid FROM edfi.descriptor"))}
    tables = list(dict.fromkeys(t.table for tag in X.ORDER for t in X.ELEMENTS[tag] if v.rows.get(t.table)))
    _audit_triggers(conn, tables, enable=False)
    copier = Copier(conn)
    changed: dict[str, int] = {}
    kinds = {t.table: {c: k for c, (_p, k) in t.cols.items()} for ts in X.ELEMENTS.values() for t in ts}
    for sy in sorted({r["schoolyear"] for rows in v.rows.values() for r in rows if r.get("schoolyear")}):
        conn.execute(text("INSERT INTO edfi.schoolyeartype (schoolyear, schoolyeardescription, currentschoolyear) "
                          "VALUES (:y, :d, false) ON CONFLICT DO NOTHING"), {"y": sy, "d": f"{sy - 1}-{sy}"})
    for table in tables:
        rows = v.rows[table]
        kind = kinds[table]
        cols = [c for c in rows[0] if not c.startswith("_")]
        tbl = metadata.tables[table]
        person = {c: X.PERSON_KEY[k] for c, k in kind.items() if k in X.PERSON_KEY}
        stage = "stage_" + table.split(".")[1]
        ddl = ", ".join(f"{c} {'text' if c in person else tbl.c[c].type.compile(conn.dialect)}" for c in cols)
        conn.execute(text(f"CREATE TEMP TABLE {stage} ({ddl}) ON COMMIT DROP"))
        copier.copy(stage, cols, ([ids[r[c]] if kind.get(c) == "desc" and r[c] is not None else r[c] for c in cols]
                                  for r in rows))
        select = ", ".join(f"(SELECT p.{usi} FROM {t} p WHERE p.{uid} = s.{c})" if c in person else f"s.{c}"
                           for c in cols for t, usi, uid in [person.get(c, (None, None, None))])
        if table in ("edfi.student", "edfi.staff", "edfi.contact"):
            conflict = [c for c in cols if c.endswith("uniqueid")]
        else:
            conflict = list(tbl.primary_key.columns.keys())
        data = [c for c in cols if c not in conflict and c != "discriminator"]
        action = (f"DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in data)} WHERE "
                  f"({', '.join(f't.{c}' for c in data)}) IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in data)})"
                  if data else "DO NOTHING")
        if len(data) == 1:
            action = f"DO UPDATE SET {data[0]} = EXCLUDED.{data[0]} WHERE t.{data[0]} IS DISTINCT FROM EXCLUDED.{data[0]}"
        n = conn.execute(text(f"INSERT INTO {table} AS t ({', '.join(cols)}) SELECT {select} FROM {stage} s "
                              f"ON CONFLICT ({', '.join(conflict)}) {action}")).rowcount
        changed[table] = changed.get(table, 0) + n
    if changed.get("edfi.studentsectionattendanceevent"):
        # School Office records attendance as exceptions: an interchange with every present marked
        # becomes the sections' taken days and their exceptions (as migration 0068 converted districts)
        record_as_exceptions(conn)
    _audit_triggers(conn, tables, enable=True)
    changed = {k: n for k, n in changed.items() if n}
    if changed or v.new_descriptors:
        conn.execute(text(
            "INSERT INTO compliance.audit_logs (user_id, application_user, table_name, record_id, operation, "
            "new_values, user_agent, justification, data_categories) "
            "VALUES (session_user, nullif(current_setting('school_office.app_user', true), ''), 'edfi.*', :rec, "
            "'IMPORT', CAST(:summary AS jsonb), 'school-office-admin', 'Ed-Fi XML interchange import', "
            "ARRAY['edfi'])"),
            {"rec": label[:200], "summary": json.dumps({"package": label, "sha256": sha, "records": v.count,
                                                        "descriptors_added": len(v.new_descriptors),
                                                        "changed": changed, "at": now.isoformat()})})
    return changed


def import_edfi(engine: Engine, path: str | Path, *, dry_run: bool = False, progress: Progress | None = None,
                now: datetime | None = None, app_user: str | None = None) -> ImportResult:
    report = progress or (lambda _w, _f: None)
    started = time.perf_counter()
    now = now or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    report("Reading the interchange files", 0.0)
    pkg = Package(path)
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            tag_import(conn, app_user)
            report("Checking every element", 0.1)
            v = EdFiValidator(pkg, conn)
            v.run()
            changed: dict = {}
            if not v.problems and not dry_run:
                report("Loading", 0.5)
                changed = _load(conn, v, now, Path(path).name, digest(pkg))
                tx.commit()
            else:
                tx.rollback()
        except BaseException:
            if tx.is_active:
                tx.rollback()
            raise
    warnings = tuple(v.notes) + tuple(Problem("", None, tag, f"{n} {tag} element{'s' if n != 1 else ''} not imported "
                                              "(not part of School Office's Ed-Fi import).")
                                      for tag, n in sorted(v.skipped.items()))
    report("Done", 1.0)
    return ImportResult(str(path), "Ed-Fi 5.2", v.count, tuple(v.problems), warnings, changed, dry_run,
                        time.perf_counter() - started)
