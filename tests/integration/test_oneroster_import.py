"""OneRoster import on the reference samples and on packages written here: valid ones load into
the OneRoster and Ed-Fi tables in one transaction; invalid ones are refused with every defect
listed and nothing written; re-importing changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db.migrate import migrate
from app.services.interchange.oneroster_import import import_oneroster

SAMPLES = "oneroster/samples"


@pytest.fixture
def db(new_database):
    eng = new_database()
    migrate(eng)
    return eng


def counts(eng) -> dict:
    tables = ("oneroster.orgs", "oneroster.users", "oneroster.enrollments", "oneroster.roles", "edfi.student",
              "edfi.staff", "edfi.section", "edfi.studentsectionassociation", "compliance.audit_logs")
    with eng.connect() as c:
        return {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def scalar(eng, sql: str, **params):
    with eng.connect() as c:
        return c.execute(text(sql), params).scalar_one()


@pytest.mark.reference
def test_grand_bend_11_package_loads_into_oneroster_and_edfi(db, shared_dir):
    before = counts(db)
    r = import_oneroster(db, shared_dir / SAMPLES / "edfi-lmstoolkit-or11-grandbend")
    assert r.ok, [str(p) for p in r.problems]
    assert r.version == "1.1"
    # its known deviations are read, and said
    assert any("19 cells for 18 columns" in w.message for w in r.warnings)
    # 1.1 users.role/orgSourcedIds became 1.2 roles rows
    assert scalar(db, "SELECT count(*) FROM oneroster.roles WHERE org_sourced_id = '255901001'") == 10
    assert scalar(db, "SELECT nameofinstitution FROM edfi.educationorganization WHERE educationorganizationid = "
                      "255901001") == "Grand Bend High School"
    assert scalar(db, "SELECT localeducationagencyid FROM edfi.school WHERE schoolid = 255901001") == 255901
    assert scalar(db, "SELECT count(*) FROM edfi.student") == 8
    assert scalar(db, "SELECT birthdate::text FROM edfi.student WHERE studentuniqueid = '604863'") == "1997-05-30"
    assert scalar(db, "SELECT count(*) FROM edfi.studentschoolassociation WHERE schoolid = 255901001") == 8
    assert scalar(db, "SELECT count(*) FROM edfi.section") == 2
    assert scalar(db, "SELECT count(*) FROM edfi.studentsectionassociation") == 20
    assert scalar(db, "SELECT count(*) FROM edfi.staff") == 2
    assert scalar(db, """SELECT d.codevalue FROM edfi.staffsectionassociation a JOIN edfi.staff s USING (staffusi)
                         JOIN edfi.descriptor d ON d.descriptorid = a.classroompositiondescriptorid
                         WHERE s.staffuniqueid = '207270' LIMIT 1""") == "Teacher of Record"
    assert scalar(db, """SELECT d.codevalue FROM edfi.studenteducationorganizationassociationrace r
                         JOIN edfi.student s USING (studentusi) JOIN edfi.descriptor d
                           ON d.descriptorid = r.racedescriptorid WHERE s.studentuniqueid = '604863'""") == "Asian"
    # the FERPA audit trail shows one import, not a row per record
    after = counts(db)
    assert after["compliance.audit_logs"] - before["compliance.audit_logs"] == 1
    assert scalar(db, "SELECT operation FROM compliance.audit_logs ORDER BY id DESC LIMIT 1") == "IMPORT"
    # importing the same package again changes nothing
    again = import_oneroster(db, shared_dir / SAMPLES / "edfi-lmstoolkit-or11-grandbend")
    assert again.ok and again.changed_rows == 0, again.changed
    assert counts(db) == after


@pytest.mark.reference
def test_small_12_delta_package_loads(db, shared_dir):
    r = import_oneroster(db, shared_dir / SAMPLES / "moodle-or12-delta-small")
    assert r.ok, [str(p) for p in r.problems]
    assert [w.column for w in r.warnings] == ["enabledUser"]  # TRUE in capitals, read as true
    assert scalar(db, "SELECT status FROM oneroster.users WHERE sourced_id = 'USER_0'") == "active"
    assert scalar(db, "SELECT firstname FROM edfi.student WHERE studentuniqueid = 'bruce.wayne'") == "Bruce"
    assert scalar(db, "SELECT count(*) FROM edfi.studentsectionassociation") == 1


@pytest.mark.reference
@pytest.mark.parametrize("sample, expected", [
    ("moodle-or11-bulk-full", [
        ("academicSessions.csv", 4, "status", 'status "inactive" is not allowed'),
        ("users.csv", 2, "dateLastModified", '"2023-05-01" is not a date and time'),
        ("classes.csv", 2, "classType", '"Scheduled" is not a classType value'),
        ("classes.csv", 2, "courseSourcedId", "in neither the package nor the database"),
        ("orgs.csv", 2, "parentSourcedId", "in neither the package nor the database"),
        ("orgs.csv", 2, "status", "must be blank in a bulk file"),
        ("classes.csv", 2, "subjectCodes", "3 subjects but 2 subject codes"),
        ("enrollments.csv", 2, "schoolSourcedId", "is a department, not a school"),
    ]),
    ("moodle-or11-bulk-minimal", [
        ("classes.csv", 2, "courseSourcedId", "in neither the package nor the database"),
        ("classes.csv", 3, "schoolSourcedId", "is a department, not a school"),
    ]),
    ("moodle-or12-malformed-edgecases", [
        ("manifest.csv", 21, "value", "file.scoreScales is blank"),
        ("userprofiles.csv", None, None, "must be named exactly userProfiles.csv"),
        ("users.csv", 1, None, "lacks preferredGivenName, preferredMiddleName, preferredFamilyName"),
        ("users.csv", 1, "prefferedGivenName", "is not a 1.2 users column"),
        ("users.csv", 7, "dateLastModified", '"15/06/2023" is not a date and time'),
        ("roles.csv", 1, "dataLastModified", "is not a 1.2 roles column"),
        ("roles.csv", 2, None, "9 cells but the header has 11 columns"),
        ("academicSessions.csv", 4, "status", 'status "inactive" is not allowed'),
        ("orgs.csv", 2, "parentSourcedId", '"org-sch-222-3456" is in neither'),
    ]),
    ("oat-oneroster-import-or11-nonconformant", [
        ("users.csv", 1, None, "out of order"),
        ("enrollments.csv", 1, None, "out of order"),
        ("orgs.csv", 1, "metadata.classification", "metadata.* columns go last"),
        ("orgs.csv", 1, "ext_imagineLearning_databaseId", "must be named metadata.<name>"),
        ("orgs.csv", 2, "dateLastModified", '"2017-05-06 08:01:05" is not a date and time'),
        ("academicSessions.csv", None, None, "no data rows"),
        ("demographics.csv", 1, None, "lacks sourcedId, birthDate"),
        ("classes.csv", 2, "courseSourcedId", "courseSourcedId is required"),
    ]),
])
def test_invalid_samples_are_refused_with_every_defect_and_nothing_written(db, shared_dir, sample, expected):
    before = counts(db)
    r = import_oneroster(db, shared_dir / SAMPLES / sample)
    assert not r.ok
    for file, row, column, words in expected:
        assert any(p.file == file and p.row == row and p.column == column and words in p.message
                   for p in r.problems), (file, row, column, words, [str(p) for p in r.problems])
    assert counts(db) == before


def test_a_bulk_file_marks_what_it_no_longer_lists_tobedeleted_and_ends_the_edfi_link(db, tmp_path):
    import csv

    from app.services.interchange.oneroster_sample import write_package

    write_package(tmp_path, students=30, schools=3)
    assert import_oneroster(db, tmp_path).ok
    path = tmp_path / "enrollments.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    dropped = [r for r in rows if r[5] == "stu-0"][-1]  # its last class (no result names it)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(r for r in rows if r is not dropped)
    r = import_oneroster(db, tmp_path)
    assert r.ok, [str(p) for p in r.problems]
    assert r.changed["oneroster.enrollments"] == 1
    assert scalar(db, "SELECT status FROM oneroster.enrollments WHERE sourced_id = :s", s=dropped[0]) == "tobedeleted"
    assert scalar(db, "SELECT count(*) FROM oneroster.enrollments WHERE status = 'tobedeleted'") == 1
    assert scalar(db, "SELECT count(*) FROM edfi.studentsectionassociation a JOIN edfi.student s USING (studentusi) "
                      "WHERE s.studentuniqueid = 'S0000000' AND a.sectionidentifier = :c AND a.enddate IS NOT NULL",
                  c=dropped[3]) == 1
    assert import_oneroster(db, tmp_path).changed_rows == 0  # and once is enough
