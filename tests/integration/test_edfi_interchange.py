"""Ed-Fi 5.2 XML import of the Grand Bend sample (validate first, every problem with file, element
path and line) and Ed-Fi API resource JSON export."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import text

from app.db.migrate import migrate
from app.services.interchange.edfi_xml import import_edfi

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def grand_bend(new_database_module, shared_dir):
    eng = new_database_module()
    migrate(eng)
    result = import_edfi(eng, shared_dir / "edfi" / "samples")
    eng.result = result
    return eng


def one(eng, sql, **p):
    with eng.connect() as c:
        return c.execute(text(sql), p).scalar_one()


@pytest.mark.reference
def test_grand_bend_sample_loads(grand_bend):
    r = grand_bend.result
    assert r.ok, [str(p) for p in r.problems[:20]]
    assert one(grand_bend, "SELECT count(*) FROM edfi.school WHERE localeducationagencyid = 255901") == 3
    assert one(grand_bend, "SELECT count(*) FROM edfi.student") == 960
    assert one(grand_bend, "SELECT count(*) FROM edfi.contact") == 1873
    assert one(grand_bend, "SELECT count(*) FROM edfi.studentcontactassociation") == 1872
    assert one(grand_bend, "SELECT count(*) FROM edfi.staff") == 68
    assert one(grand_bend, "SELECT count(*) FROM edfi.course") == 84
    # 169 CourseOffering elements, one of them twice (MasterSchedule.xml lines 32 and 844): an upsert
    assert one(grand_bend, "SELECT count(*) FROM edfi.courseoffering") == 168
    assert one(grand_bend, "SELECT count(*) FROM edfi.section") == 532
    assert one(grand_bend, "SELECT count(*) FROM edfi.session") == 6
    assert one(grand_bend, "SELECT count(*) FROM edfi.gradingperiod") == 18
    assert one(grand_bend, "SELECT count(*) FROM edfi.staffsectionassociation") == 528
    assert one(grand_bend, "SELECT count(*) FROM edfi.studentschoolattendanceevent") == 1917
    assert one(grand_bend, "SELECT count(*) FROM edfi.studentsectionattendanceevent") == 66
    assert one(grand_bend, "SELECT count(*) FROM edfi.gradebookentry") == 10
    assert one(grand_bend, "SELECT count(*) FROM edfi.studentgradebookentry") == 250
    assert one(grand_bend, "SELECT count(*) FROM edfi.calendardatecalendarevent") == 2
    assert one(grand_bend, "SELECT schoolyear FROM edfi.session LIMIT 1") == 2022  # XML "2021-2022"
    assert one(grand_bend, "SELECT count(*) FROM compliance.audit_logs WHERE operation = 'IMPORT'") == 1
    # elements outside the import are said, not refused
    assert any(w.column == "DisciplineIncident" for w in r.warnings)


@pytest.mark.reference
def test_reimporting_the_sample_changes_nothing(grand_bend, shared_dir):
    again = import_edfi(grand_bend, shared_dir / "edfi" / "samples")
    assert again.ok and again.changed_rows == 0, again.changed


@pytest.mark.reference
def test_a_broken_interchange_is_refused_with_every_problem_and_nothing_written(new_database, shared_dir, tmp_path):
    eng = new_database()
    migrate(eng)
    src = shared_dir / "edfi" / "samples"
    for name in ("EducationOrganization.xml", "EducationOrgCalendar.xml", "Student.xml", "StudentSchoolAttendance.xml"):
        shutil.copy(src / name, tmp_path / name)
    student = (tmp_path / "Student.xml").read_text("utf-8")
    student = student.replace("<BirthDate>2014-11-13</BirthDate>", "<BirthDate>13/11/2014</BirthDate>", 1)
    student = student.replace("<LastSurname>Woods</LastSurname>", "", 1)
    (tmp_path / "Student.xml").write_text(student, "utf-8")
    att = (tmp_path / "StudentSchoolAttendance.xml").read_text("utf-8")
    att = att.replace("AttendanceEventCategoryDescriptor#Excused Absence", "AttendanceEventCategoryDescriptor#Nap", 1)
    (tmp_path / "StudentSchoolAttendance.xml").write_text(att, "utf-8")
    (tmp_path / "Broken.xml").write_text("<InterchangeStudent><Student>\n<oops></InterchangeStudent>", "utf-8")
    r = import_edfi(eng, tmp_path)
    assert any(p.file == "Student.xml" and p.column == "/InterchangeStudent/Student[1]/BirthData/BirthDate"
               and "is not a date" in p.message and p.row == 13 for p in r.problems), r.problems
    assert any(p.file == "Student.xml" and "LastSurname is required" in p.message
               and p.column.startswith("/InterchangeStudent/Student[2]") for p in r.problems)
    assert any(p.file == "StudentSchoolAttendance.xml" and "#Nap" in p.message for p in r.problems)
    assert any(p.file == "Broken.xml" and p.message.startswith("The XML is broken at column 9 of this line: an element is closed with "
               "another name") and p.row == 2 for p in r.problems)
    # the attendance of a student whose record is refused points at a student in neither place
    assert any(p.file == "StudentSchoolAttendance.xml" and p.message == "The student 604822 is in neither the files "
               "nor the database." and p.row and p.column.startswith("/InterchangeStudentAttendance/") for p in r.problems)
    assert one(eng, "SELECT count(*) FROM edfi.student") == 0
    assert one(eng, "SELECT count(*) FROM edfi.school") == 0


@pytest.mark.reference
def test_export_writes_api_resource_json_in_the_example_shapes(grand_bend, shared_dir, tmp_path):
    from app.services.interchange.edfi_json import export_edfi

    r = export_edfi(grand_bend, tmp_path)
    assert r.counts["students"] == 960 and r.counts["sections"] == 532
    assert r.counts["studentSchoolAttendanceEvents"] == 1917 and r.counts["studentSectionAttendanceEvents"] == 66
    examples = shared_dir / "edfi" / "api-examples"
    # the attendance example was derived from this very sample record: the export holds it as is
    event = json.loads((examples / "studentSchoolAttendanceEvents.json").read_text())
    assert event in json.loads((tmp_path / "studentSchoolAttendanceEvents.json").read_text())
    # every exported body has the example's required fields, named and typed the same
    student_example = json.loads((examples / "students.json").read_text())
    students = json.loads((tmp_path / "students.json").read_text())
    for body in students:
        assert {"studentUniqueId", "birthDate", "firstName", "lastSurname"} <= set(body)
        assert set(body) <= set(student_example) | {"birthCity", "preferredFirstName", "preferredLastSurname",
                                                     "generationCodeSuffix"}
    tardy = json.loads((tmp_path / "studentSectionAttendanceEvents.json").read_text())[0]
    assert tardy["attendanceEventCategoryDescriptor"] == "uri://ed-fi.org/AttendanceEventCategoryDescriptor#Tardy"
    assert set(tardy["sectionReference"]) == {"localCourseCode", "schoolId", "schoolYear", "sectionIdentifier",
                                              "sessionName"}
    assert "studentUSI" not in json.dumps(students[:5])
