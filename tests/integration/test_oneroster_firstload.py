"""A district's first load is checked and written in one pass (oneroster_firstload): what it writes must
be exactly what the usual path (staging tables, then upserts) writes, and any package with something to
report, or anything the one pass cannot vouch for, must get exactly the usual answer: the same problems
and warnings, nothing written, or the same rows."""

from __future__ import annotations

import csv
import shutil
import uuid
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from app.db.migrate import migrate
from app.services.interchange import oneroster_firstload
from app.services.interchange import oneroster_spec as S
from app.services.interchange.oneroster_import import import_oneroster
from app.services.interchange.oneroster_sample import write_package

pytestmark = pytest.mark.integration

WHEN = datetime(2026, 9, 1, 7, 30)
EDFI = {  # what the Ed-Fi side holds, by natural keys
    "student": "SELECT studentuniqueid, firstname, lastsurname, birthdate FROM edfi.student",
    "school": "SELECT s.studentuniqueid, a.schoolid, a.entrydate FROM edfi.studentschoolassociation a "
              "JOIN edfi.student s USING (studentusi)",
    "section": "SELECT s.studentuniqueid, a.sectionidentifier, a.begindate FROM edfi.studentsectionassociation a "
               "JOIN edfi.student s USING (studentusi)",
    "staff": "SELECT f.staffuniqueid, a.sectionidentifier FROM edfi.staffsectionassociation a "
             "JOIN edfi.staff f USING (staffusi)",
    "scope": "SELECT s.studentuniqueid, x.schoolid FROM compliance.student_scope x "
             "JOIN edfi.student s USING (studentusi)",
}
KEYS = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
 WHERE c.connamespace = 'oneroster'::regnamespace OR c.confrelid::regclass::text LIKE 'oneroster.%'
UNION ALL
SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
  JOIN pg_class r ON r.oid = i.indrelid WHERE r.relnamespace = 'oneroster'::regnamespace
UNION ALL
SELECT tgrelid::regclass::text, tgname, tgenabled::text FROM pg_trigger
 WHERE NOT tgisinternal AND tgrelid::regclass::text LIKE 'oneroster.%'
ORDER BY 1, 2"""


@pytest.fixture(scope="module")
def databases(platform):
    """A factory of freshly migrated, empty databases (copies of one migrated template)."""
    admin = create_engine(platform.engine.url, isolation_level="AUTOCOMMIT")
    template = f"t_tpl_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {template}"))
    eng = create_engine(platform.engine.url.set(database=template))
    migrate(eng)
    eng.dispose()
    made = []

    def make():
        name = f"t_{uuid.uuid4().hex[:10]}"
        with admin.connect() as c:
            c.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
        e = create_engine(platform.engine.url.set(database=name))
        made.append((name, e))
        return e

    yield make
    for name, e in made:
        e.dispose()
    with admin.connect() as c:
        for name in [n for n, _ in made] + [template]:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    pkg = tmp_path_factory.mktemp("clean")
    write_package(pkg, students=30, bom=True)
    return pkg


def copy_with(clean, tmp_path, edits: dict) -> str:
    """The clean package with some cells changed: {file: [(row index (1 = first data row) or "+" for a new
    row copied from row 1, header, value), ...]}."""
    out = tmp_path / "pkg"
    shutil.copytree(clean, out)
    for name, changes in edits.items():
        path = out / f"{name}.csv"
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
        for row, header, value in changes:
            if row == "+":
                rows.append(list(rows[1]))
                row = len(rows) - 1
            rows[row][rows[0].index(header)] = value
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\r\n").writerows(rows)
    return str(out)


def state(eng) -> dict:
    with eng.connect() as c:
        out = {t: sorted(map(tuple, c.execute(text(f"SELECT * FROM oneroster.{t}")).all()), key=repr)
               for t in sorted({s.table for s in S.FILES_12.values()} | {"user_ids"})}
        out.update({k: sorted(c.execute(text(q)).all()) for k, q in EDFI.items()})
        out["keys"] = c.execute(text(KEYS)).all()
        out["audit"] = c.execute(text(
            "SELECT operation, count(*) FROM compliance.audit_logs WHERE table_name LIKE 'oneroster%' "
            "OR table_name LIKE 'edfi.%' GROUP BY 1 ORDER BY 1")).all()
    return out


def both(databases, path, monkeypatch):
    """(one pass, usual path): the import's answer and what each database then holds."""
    got = []
    for one_pass in (True, False):
        eng = databases()
        with monkeypatch.context() as m:
            if not one_pass:
                m.setattr(oneroster_firstload, "try_first_load", lambda *a, **k: None)
            spy = []
            real = oneroster_firstload._load

            def seen(*a, **k):
                spy.append(1)
                return real(*a, **k)
            m.setattr(oneroster_firstload, "_load", seen)
            r = import_oneroster(eng, path, now=WHEN)
        got.append(({"ok": r.ok, "problems": [str(p) for p in r.problems], "warnings": [str(p) for p in r.warnings],
                     "rows": r.rows, "changed": r.changed}, state(eng), bool(spy)))
    return got


def test_a_clean_first_load_writes_what_the_usual_path_writes(databases, clean, monkeypatch):
    (fast, fast_db, tried), (usual, usual_db, _) = both(databases, clean, monkeypatch)
    assert tried and fast["ok"] and fast == usual
    assert fast_db == usual_db  # every OneRoster row and column, user ids, Ed-Fi rows, scope, keys, triggers, audit
    assert len(fast_db["users"]) > 30 and len(fast_db["enrollments"]) >= 120 and len(fast_db["section"]) == 120
    assert ("IMPORT", 1) in fast_db["audit"] and len(fast_db["audit"]) == 1  # one entry for the whole import
    assert all(state == "O" for _t, name, state in fast_db["keys"] if name.startswith("audit_"))


@pytest.mark.parametrize("edits, expect", [
    ({"enrollments": [(2, "classSourcedId", "cls-9-9")]}, "classes record \"cls-9-9\" is in neither"),
    ({"classes": [(1, "termSourcedIds", "fall-2027,winter-2027")]}, "\"winter-2027\" is in neither"),
    ({"enrollments": [(2, "classSourcedId", "cls 0-0")]}, "\"cls 0-0\" is not a valid identifier"),
    ({"results": [(2, "studentSourcedId", "stu-1" + "9" * 260)]}, "is not a valid identifier"),
    ({"users": [("+", "username", "again")]}, "is already used on row 2"),
    ({"enrollments": [(3, "schoolSourcedId", "dist-1")]}, "is a district, not a school"),
    ({"roles": [("+", "sourcedId", "role-twice")]}, "already has a primary role"),
    ({"results": [(1, "score", "100.5")]}, "outside its line item's range"),
    ({"results": [(1, "score", "100.00004")]}, "Score 100.00004 is outside"),  # (the column would round it to 100)
    ({"results": [(1, "studentSourcedId", "stu-1")]}, "is not enrolled in the line item's class"),
    ({"users": [(2, "identifier", "Ttch-0-0")]}, "each person needs their own"),
    ({"users": [(3, "primaryOrgSourcedId", "sch-3")]}, "add a roles.csv row for it"),
    ({"demographics": [(1, "sourcedId", "ghost-1")]}, "who is in neither the package nor the database"),
    ({"users": [(1, "agentSourcedIds", "nobody")]}, "users record \"nobody\" is in neither"),
    ({"courses": [(1, "subjectCodes", "01001,01002")]}, "subject codes"),
    ({"demographics": [(1, "birthDate", "2010-02-30")]}, "is not a date"),
    ({"roles": [(1, "beginDate", "2026-8-17")]}, "is not a date"),
    ({"enrollments": [(1, "status", "active")]}, "must be blank in a bulk file"),
])
def test_anything_to_report_gets_the_usual_answer_and_nothing_is_written(databases, clean, tmp_path, monkeypatch,
                                                                        edits, expect):
    (fast, fast_db, tried), (usual, usual_db, _) = both(databases, copy_with(clean, tmp_path, edits), monkeypatch)
    assert tried and not fast["ok"] and any(expect in p for p in fast["problems"]), fast["problems"]
    assert fast == usual  # the same problems and warnings, in the same order, with file, row, column and sentence
    assert fast_db == usual_db and not fast_db["users"] and not fast_db["student"]  # nothing written


@pytest.mark.parametrize("edits", [
    {"users": [(2, "enabledUser", "TRUE")]},  # read after a second look, with a warning
    {"results": [(1, "score", "93.45678")], "lineItems": [(1, "resultValueMax", "100.000")]},  # stored rounded
    {"users": [(1, "userIds", "{LDAP:1},{SIS:7},{LDAP:2}")]},  # a type given twice keeps its last id
    {"users": [(1, "userIds", "{LDAP:1},{SIS:7}"), (2, "userIds", "{SIS:8}"), (3, "userIds", "")]},  # one pair, two, none
])
def test_what_only_a_second_look_accepts_loads_exactly_as_the_usual_path_loads_it(databases, clean, tmp_path,
                                                                                  monkeypatch, edits):
    (fast, fast_db, _), (usual, usual_db, _) = both(databases, copy_with(clean, tmp_path, edits), monkeypatch)
    assert fast["ok"] and fast == usual
    assert fast_db == usual_db


def test_a_delta_first_load_keeps_the_senders_status(databases, clean, tmp_path, monkeypatch):
    path = copy_with(clean, tmp_path, {})
    rows = list(csv.reader(open(f"{path}/enrollments.csv", newline="", encoding="utf-8-sig")))
    for r in rows[1:]:
        r[1], r[2] = "active", "2026-08-30T10:00:00.000Z"
    rows[1][1] = "tobedeleted"
    with open(f"{path}/enrollments.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    manifest = open(f"{path}/manifest.csv", encoding="utf-8").read().replace("file.enrollments,bulk",
                                                                            "file.enrollments,delta")
    open(f"{path}/manifest.csv", "w", encoding="utf-8").write(manifest)
    (fast, fast_db, tried), (usual, usual_db, _) = both(databases, path, monkeypatch)
    assert tried and fast["ok"] and fast == usual and fast_db == usual_db
    assert sum(1 for e in fast_db["enrollments"] if "tobedeleted" in e) == 1


def test_a_second_import_takes_the_usual_path_and_changes_nothing(databases, clean, monkeypatch):
    eng = databases()
    assert import_oneroster(eng, clean, now=WHEN).ok
    before = state(eng)
    calls = []
    monkeypatch.setattr(oneroster_firstload, "_load", lambda *a, **k: calls.append(1))
    again = import_oneroster(eng, clean, now=datetime(2026, 9, 2))
    assert again.ok and again.changed_rows == 0 and calls == []  # the tables are not empty: upserts
    after = state(eng)
    assert after == before


def test_the_administrators_check_at_the_desk_gets_the_usual_answer_and_writes_nothing(databases, clean, tmp_path):
    """The Administration desk checks a package as the signed-in administrator (a member of so_admin), who
    may not drop keys or suspend triggers: the check is the usual one, with the owner's answer, and
    nothing is written."""
    eng = databases()
    login = f"t_admin_{uuid.uuid4().hex[:8]}"
    owner = create_engine(eng.url, isolation_level="AUTOCOMMIT")
    with owner.connect() as c:
        c.execute(text(f"CREATE ROLE {login} LOGIN PASSWORD 'check-only-2026' IN ROLE so_admin"))
    admin = create_engine(eng.url.set(username=login, password="check-only-2026"))
    try:
        bad = copy_with(clean, tmp_path, {"enrollments": [(2, "classSourcedId", "cls-9-9")]})
        for path in (clean, bad):
            by_admin = import_oneroster(admin, path, dry_run=True, now=WHEN)
            by_owner = import_oneroster(eng, path, dry_run=True, now=WHEN)
            assert by_admin.dry_run and by_admin.ok == (path == clean)
            assert [str(p) for p in by_admin.problems] == [str(p) for p in by_owner.problems]
            assert by_admin.rows == by_owner.rows > 300
    finally:
        admin.dispose()
        with owner.connect() as c:
            c.execute(text(f"DROP ROLE {login}"))
        owner.dispose()
    assert not state(eng)["users"] and not state(eng)["student"]
