"""A first load of many students takes the bulk path (the student tables' foreign keys and secondary
indexes dropped, made again at the end, in the same transaction): it must write exactly what the
ordinary path writes and leave every constraint and index as it found them. The threshold is
lowered so a 60-student package takes the path."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

from app.db.migrate import migrate
from app.services.interchange import oneroster_edfi, oneroster_load
from app.services.interchange.oneroster_import import import_oneroster
from app.services.interchange.oneroster_sample import write_package

pytestmark = pytest.mark.integration

WHEN = datetime(2026, 9, 1)
SHAPE = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
 WHERE c.conrelid = ANY (CAST(:t AS regclass[]))
UNION ALL
SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
 WHERE i.indrelid = ANY (CAST(:t AS regclass[]))
ORDER BY 1, 2"""
ROWS = {  # what the Ed-Fi side holds, by natural keys (no generated ids or timestamps)
    "student": "SELECT studentuniqueid, firstname, lastsurname, birthdate FROM edfi.student",
    "school": "SELECT s.studentuniqueid, a.schoolid, a.entrydate, a.entrygradeleveldescriptorid "
              "FROM edfi.studentschoolassociation a JOIN edfi.student s USING (studentusi)",
    "edorg": "SELECT s.studentuniqueid, a.educationorganizationid, a.sexdescriptorid "
             "FROM edfi.studenteducationorganizationassociation a JOIN edfi.student s USING (studentusi)",
    "race": "SELECT s.studentuniqueid, a.racedescriptorid "
            "FROM edfi.studenteducationorganizationassociationrace a JOIN edfi.student s USING (studentusi)",
    "section": "SELECT s.studentuniqueid, a.sectionidentifier, a.begindate, a.enddate "
               "FROM edfi.studentsectionassociation a JOIN edfi.student s USING (studentusi)",
    "scope": "SELECT s.studentuniqueid, x.schoolid FROM compliance.student_scope x JOIN edfi.student s "
             "USING (studentusi)",
}


ONEROSTER = ("oneroster.users", "oneroster.roles", "oneroster.enrollments", "oneroster.demographics",
             "oneroster.results")


def snapshot(eng):
    with eng.connect() as c:
        shape = c.execute(text(SHAPE), {"t": "{" + ",".join(oneroster_edfi.BULK_TABLES + ONEROSTER) + "}"}).all()
        data = {k: sorted(c.execute(text(q)).all()) for k, q in ROWS.items()}
    return shape, data


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    pkg = tmp_path_factory.mktemp("pkg")
    write_package(pkg, students=60)
    return pkg


def test_the_bulk_path_writes_what_the_row_path_writes_and_restores_every_key(new_database, package, monkeypatch):
    ordinary, bulk = new_database(), new_database()
    migrate(ordinary)
    migrate(bulk)
    empty_shape, _ = snapshot(bulk)
    assert import_oneroster(ordinary, package, now=WHEN).ok

    monkeypatch.setattr(oneroster_edfi, "BULK_STUDENTS", 10)
    monkeypatch.setattr(oneroster_load, "BIG", 50)  # the OneRoster files of 50+ rows too
    dropped = []
    drop = oneroster_load.drop_foreign_keys

    def spy(conn, table):
        found = drop(conn, table)
        dropped.extend(f"{t}:{name}" for t, name, _ in found)
        return found

    monkeypatch.setattr(oneroster_load, "drop_foreign_keys", spy)
    result = import_oneroster(bulk, package, now=WHEN)
    assert result.ok, [str(p) for p in result.problems]
    assert any(name.startswith("edfi.studentsectionassociation:fk_") for name in dropped)  # it took the path
    assert any(name.startswith("oneroster.enrollments:") for name in dropped)

    shape, data = snapshot(bulk)
    assert shape == empty_shape  # every foreign key and index is back, with its name and definition
    assert data == snapshot(ordinary)[1] and len(data["student"]) == 60 and len(data["section"]) == 240
    # a re-import of the same package keeps the keys in place and changes nothing
    dropped.clear()
    again = import_oneroster(bulk, package, now=WHEN)
    assert again.ok and again.changed_rows == 0 and dropped == []
