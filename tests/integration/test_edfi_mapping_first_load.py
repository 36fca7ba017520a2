"""A first load of many students takes the Ed-Fi mapping's first-load path (oneroster_edfi_bulk: keys
dropped and made again, the scope triggers' work done set-based). It must leave exactly what the
ordinary path (the triggers) leaves: the same Ed-Fi rows, the same rows in the security scope tables
(what decides which students a teacher or a clerk sees), every key, index and trigger back as it was
(also when the import fails), and one FERPA audit entry. The threshold is lowered so a 60-student
package takes the path; a second, larger package then grows the district on both databases."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import text

from app.db.migrate import migrate
from app.services.interchange import oneroster_edfi, oneroster_edfi_bulk
from app.services.interchange.oneroster_import import import_oneroster
from app.services.interchange.oneroster_sample import write_package
from tests.integration.nurse_witness import staff_login

pytestmark = pytest.mark.integration

WHEN = datetime(2026, 9, 1)
PASSWORD = "first-load-test-2026"
TABLES = oneroster_edfi_bulk.BULK_TABLES + oneroster_edfi_bulk.SCOPE_TABLES + oneroster_edfi_bulk.CHECKED_AT_END + (
    "edfi.grade", "edfi.studenteducationorganizationassociationaddress")
SHAPE = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
 WHERE c.conrelid = ANY (CAST(:t AS regclass[])) OR c.confrelid = ANY (CAST(:t AS regclass[]))
UNION ALL
SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
 WHERE i.indrelid = ANY (CAST(:t AS regclass[]))
UNION ALL
SELECT t.tgrelid::regclass::text, t.tgname, t.tgenabled::text FROM pg_trigger t
 WHERE t.tgrelid = ANY (CAST(:t AS regclass[])) AND NOT t.tgisinternal
ORDER BY 1, 2, 3"""
ROWS = {  # by natural keys: generated ids differ between databases
    "teacher scope": "SELECT f.staffuniqueid, s.studentuniqueid FROM compliance.teacher_scope x "
                     "JOIN edfi.staff f USING (staffusi) JOIN edfi.student s USING (studentusi)",
    "student scope": "SELECT s.studentuniqueid, x.schoolid FROM compliance.student_scope x "
                     "JOIN edfi.student s USING (studentusi)",
    "student keys": "SELECT x.sourced_id, s.studentuniqueid FROM compliance.student_keys x "
                    "JOIN edfi.student s USING (studentusi)",
    "students": "SELECT studentuniqueid, firstname, lastsurname, birthdate FROM edfi.student",
    "schools": "SELECT s.studentuniqueid, a.schoolid, a.entrydate, a.exitwithdrawdate, a.entrygradeleveldescriptorid "
               "FROM edfi.studentschoolassociation a JOIN edfi.student s USING (studentusi)",
    "edorgs": "SELECT s.studentuniqueid, a.educationorganizationid, a.sexdescriptorid, a.hispaniclatinoethnicity "
              "FROM edfi.studenteducationorganizationassociation a JOIN edfi.student s USING (studentusi)",
    "races": "SELECT s.studentuniqueid, a.racedescriptorid "
             "FROM edfi.studenteducationorganizationassociationrace a JOIN edfi.student s USING (studentusi)",
    "sections": "SELECT s.studentuniqueid, a.sectionidentifier, a.begindate, a.enddate "
                "FROM edfi.studentsectionassociation a JOIN edfi.student s USING (studentusi)",
    "staff sections": "SELECT f.staffuniqueid, a.sectionidentifier, a.begindate, a.enddate, "
                      "a.classroompositiondescriptorid FROM edfi.staffsectionassociation a JOIN edfi.staff f "
                      "USING (staffusi)",
    "contacts": "SELECT c.contactuniqueid, s.studentuniqueid, a.relationdescriptorid FROM edfi.studentcontactassociation a "
                "JOIN edfi.contact c USING (contactusi) JOIN edfi.student s USING (studentusi)",
}
V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def shape(eng):
    with eng.connect() as c:
        return c.execute(text(SHAPE), {"t": "{" + ",".join(TABLES) + "}"}).all()


def data(eng):
    with eng.connect() as c:
        return {k: sorted(c.execute(text(q)).all()) for k, q in ROWS.items()}


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    first, grown = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("grown")
    write_package(first, students=60)
    # 30 more students, more classes each: the first 60 move classes (old ones end), staff and sections grow
    write_package(grown, students=90, classes_per_student=5)
    return first, grown


@pytest.fixture(scope="module")
def loaded(new_database_module, packages):
    """(ordinary, first-load) databases after the same two imports, and what the first-load path did."""
    ordinary, bulk = new_database_module(), new_database_module()
    migrate(ordinary)
    migrate(bulk)
    empty = shape(bulk)
    mp = pytest.MonkeyPatch()
    taken = []
    start = oneroster_edfi_bulk.FirstLoad.start

    def spy(self):
        taken.append((self.rebuild, self.every_student_new))
        return start(self)

    try:
        mp.setattr(oneroster_edfi, "BULK_STUDENTS", 10 ** 9)
        assert import_oneroster(ordinary, packages[0], now=WHEN).ok
        ordinary_first = data(ordinary)
        assert import_oneroster(ordinary, packages[1], now=WHEN).ok
        mp.setattr(oneroster_edfi, "BULK_STUDENTS", 10)
        mp.setattr(oneroster_edfi_bulk.FirstLoad, "start", spy)
        first = import_oneroster(bulk, packages[0], now=WHEN)
        after_first = (shape(bulk), data(bulk), ordinary_first)
        grown = import_oneroster(bulk, packages[1], now=WHEN)
    finally:
        mp.undo()
    assert first.ok and grown.ok, [str(p) for p in first.problems + grown.problems]
    return ordinary, bulk, empty, after_first, taken


def test_the_first_load_writes_the_same_rows_and_scopes_as_the_triggers(loaded):
    ordinary, bulk, empty, (shape_first, data_first, ordinary_first), taken = loaded
    # the first import filled an empty district (keys dropped too, every section link new), the second grew it
    # by half (keys kept)
    assert taken == [(True, True), (False, False)]
    assert len(data_first["students"]) == 60 and len(data_first["sections"]) == 240
    assert len(data_first["teacher scope"]) > 0 and len(data_first["student keys"]) == 60
    for what in ROWS:  # the empty district's first load: what a teacher and a clerk see, as the triggers leave it
        assert data_first[what] == ordinary_first[what], what
    assert shape_first == empty  # every key, index, foreign key and trigger (enabled) is back
    assert shape(bulk) == empty
    ours, theirs = data(bulk), data(ordinary)
    for what in ROWS:
        assert ours[what] == theirs[what], what
    assert len(ours["students"]) == 90 and len(ours["student scope"]) == 90
    # the students who moved classes: their old sections ended, the new ones added, the scope follows
    assert any(end is not None for *_, end in ours["sections"])


def test_every_new_row_has_its_own_random_resource_id(loaded):
    _, bulk, *_ = loaded
    with bulk.connect() as c:
        for table in ("student", "studentsectionassociation", "studentschoolassociation", "staffsectionassociation",
                      "section"):
            ids = c.execute(text(f"SELECT id::text FROM edfi.{table}")).scalars().all()
            assert ids and len(set(ids)) == len(ids) and all(V4.match(i) for i in ids), table


def test_the_ferpa_trail_shows_one_entry_per_import(loaded):
    _, bulk, *_ = loaded
    with bulk.connect() as c:
        ops = c.execute(text("SELECT operation, table_name FROM compliance.audit_logs ORDER BY id")).all()
    assert ops == [("IMPORT", "oneroster.*"), ("IMPORT", "oneroster.*")]


def test_a_teacher_sees_the_students_of_their_imported_sections_and_no_others(loaded, demo_engine):
    _, bulk, *_ = loaded
    with bulk.connect() as c:
        staffusi = c.execute(text("SELECT staffusi FROM edfi.staff WHERE staffuniqueid = 'Ttch-1-0'")).scalar_one()
        mine = set(c.execute(text(
            "SELECT DISTINCT s.studentuniqueid FROM edfi.staffsectionassociation t "
            "JOIN edfi.studentsectionassociation x USING (localcoursecode, schoolid, schoolyear, sectionidentifier, "
            "sessionname) JOIN edfi.student s ON s.studentusi = x.studentusi WHERE t.staffusi = :t"),
            {"t": staffusi}).scalars())
        everyone = c.execute(text("SELECT count(*) FROM edfi.student")).scalar_one()
    assert 0 < len(mine) < everyone
    with staff_login(bulk, "first_load_teacher", PASSWORD, staffusi, roles="so_teacher") as eng:
        with eng.connect() as c:
            seen = set(c.execute(text("SELECT studentuniqueid FROM edfi.student")).scalars())
    assert seen == mine


def test_a_clerk_sees_their_schools_students_and_not_another_schools(loaded):
    _, bulk, *_ = loaded
    with bulk.connect() as c:
        staffusi = c.execute(text("SELECT staffusi FROM edfi.staff WHERE staffuniqueid = 'Ttch-2-0'")).scalar_one()
        school = c.execute(text("SELECT schoolid FROM edfi.staffschoolassociation WHERE staffusi = :s"),
                           {"s": staffusi}).scalar_one()
        ours = set(c.execute(text(
            "SELECT s.studentuniqueid FROM edfi.student s JOIN edfi.studentschoolassociation a USING (studentusi) "
            "WHERE a.schoolid = :s"), {"s": school}).scalars())
        others = set(c.execute(text(
            "SELECT s.studentuniqueid FROM edfi.student s JOIN edfi.studentschoolassociation a USING (studentusi) "
            "WHERE a.schoolid <> :s"), {"s": school}).scalars())
    assert ours and others and not ours & others
    with staff_login(bulk, "first_load_clerk", PASSWORD, staffusi, roles="so_front_office") as eng:
        with eng.connect() as c:
            seen = set(c.execute(text("SELECT studentuniqueid FROM edfi.student")).scalars())
    assert seen == ours


def test_a_failed_first_load_leaves_nothing_and_every_trigger_and_key_in_place(new_database, packages, monkeypatch):
    eng = new_database()
    migrate(eng)
    empty = shape(eng)
    monkeypatch.setattr(oneroster_edfi, "BULK_STUDENTS", 10)

    def fail(self, **_):
        # as if a key could not be made again: the triggers are still disabled, the keys dropped
        with_disabled = self.conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgenabled = 'D'")).scalar()
        assert with_disabled > 0
        raise RuntimeError("could not create unique index")

    monkeypatch.setattr(oneroster_edfi_bulk.FirstLoad, "finish", fail)
    with pytest.raises(RuntimeError):
        import_oneroster(eng, packages[0], now=WHEN)
    assert shape(eng) == empty
    with eng.connect() as c:
        assert c.execute(text("SELECT count(*) FROM pg_trigger WHERE tgenabled = 'D'")).scalar() == 0
        assert c.execute(text("SELECT count(*) FROM edfi.student")).scalar() == 0
        assert c.execute(text("SELECT count(*) FROM compliance.audit_logs")).scalar() == 0
