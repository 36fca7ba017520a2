"""Attendance recorded as exceptions, in and out of the Ed-Fi interchanges: the API JSON export says
which sections took attendance on which day (sectionAttendanceTakenEvents) next to the exceptions,
and an XML interchange carrying every present mark is stored as taken days and exceptions."""
from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from sqlalchemy import text

from app.db.migrate import migrate
from app.services.interchange.edfi_json import export_edfi
from app.services.interchange.edfi_xml import import_edfi

pytestmark = pytest.mark.integration
GB_SECTION = "25590110702Trad201MATH0322011"


def test_the_export_lists_taken_days_and_only_the_exceptions(demo_engine, tmp_path):
    with demo_engine.connect() as c:
        key = c.execute(text(
            "SELECT t.sectionidentifier, st.staffuniqueid, count(*) OVER () FROM edfi.sectionattendancetakenevent t "
            "JOIN edfi.staff st ON st.staffusi = t.staffusi WHERE t.date = '2026-11-19' ORDER BY 1 LIMIT 1")).one()
        taken_days = c.execute(text("SELECT count(*) FROM edfi.sectionattendancetakenevent")).scalar()
    r = export_edfi(demo_engine, tmp_path)
    assert r.counts["sectionAttendanceTakenEvents"] == taken_days > 0
    taken = json.loads((tmp_path / "sectionAttendanceTakenEvents.json").read_text())
    mine = [t for t in taken if t["calendarDateReference"]["date"] == "2026-11-19"
            and t["sectionReference"]["sectionIdentifier"] == key[0]]
    assert len(mine) == 1 and mine[0]["staffReference"] == {"staffUniqueId": key[1]}
    assert set(mine[0]["sectionReference"]) == {"localCourseCode", "schoolId", "schoolYear", "sectionIdentifier",
                                                "sessionName"}
    marks = json.loads((tmp_path / "studentSectionAttendanceEvents.json").read_text())
    # negative attendance: no present is exported, and every exception falls on a day its section took
    assert marks and not any(m["attendanceEventCategoryDescriptor"].endswith("#In Attendance") for m in marks)
    days = {(t["sectionReference"]["sectionIdentifier"], t["calendarDateReference"]["date"]) for t in taken}
    assert all((m["sectionReference"]["sectionIdentifier"], m["eventDate"]) in days for m in marks)


@pytest.mark.reference
def test_an_interchange_with_every_present_marked_is_stored_as_exceptions(new_database, shared_dir, tmp_path):
    eng = new_database()
    migrate(eng)
    src = shared_dir / "edfi" / "samples"
    for f in src.glob("*.xml"):
        shutil.copy(f, tmp_path / f.name)
    marks = tmp_path / "StudentSectionAttendance-Tardy.xml"
    xml = marks.read_text("utf-8")
    # the first tardy becomes a present mark, as a district that records every present would send it
    xml = xml.replace("AttendanceEventCategoryDescriptor#Tardy", "AttendanceEventCategoryDescriptor#In Attendance", 1)
    marks.write_text(xml, "utf-8")
    (tmp_path / "SectionAttendanceTaken.xml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<InterchangeStudentAttendance xmlns="http://ed-fi.org/5.2.0">
 <SectionAttendanceTakenEvent>
  <CalendarDateReference><CalendarDateIdentity><Date>2021-12-17</Date><CalendarReference><CalendarIdentity>
   <CalendarCode>2010605675</CalendarCode><SchoolReference><SchoolIdentity><SchoolId>255901107</SchoolId>
   </SchoolIdentity></SchoolReference><SchoolYear>2021-2022</SchoolYear></CalendarIdentity></CalendarReference>
  </CalendarDateIdentity></CalendarDateReference>
  <EventDate>2021-12-17</EventDate>
  <SectionReference><SectionIdentity><SectionIdentifier>{GB_SECTION}</SectionIdentifier><CourseOfferingReference>
   <CourseOfferingIdentity><LocalCourseCode>MATH-03</LocalCourseCode><SchoolReference><SchoolIdentity>
   <SchoolId>255901107</SchoolId></SchoolIdentity></SchoolReference><SessionReference><SessionIdentity>
   <SessionName>2021-2022 Spring Semester</SessionName><SchoolYear>2021-2022</SchoolYear><SchoolReference>
   <SchoolIdentity><SchoolId>255901107</SchoolId></SchoolIdentity></SchoolReference></SessionIdentity>
   </SessionReference></CourseOfferingIdentity></CourseOfferingReference></SectionIdentity></SectionReference>
 </SectionAttendanceTakenEvent>
</InterchangeStudentAttendance>""", "utf-8")
    r = import_edfi(eng, tmp_path)
    assert r.ok, [str(p) for p in r.problems[:10]]
    assert not any(w.column == "SectionAttendanceTakenEvent" for w in r.warnings)  # read, not skipped
    with eng.connect() as c:
        stored = c.execute(text(
            "SELECT d.codevalue, count(*) FROM edfi.studentsectionattendanceevent e JOIN edfi.descriptor d "
            "ON d.descriptorid = e.attendanceeventcategorydescriptorid GROUP BY 1")).all()
        taken = set(c.execute(text(
            "SELECT sectionidentifier, date FROM edfi.sectionattendancetakenevent")).all())
    assert stored == [("Tardy", 65)]  # the present is not stored: its section's day is taken instead
    assert (GB_SECTION, date(2022, 3, 7)) in taken  # the day of the present mark
    assert (GB_SECTION, date(2021, 12, 17)) in taken  # the interchange's own taken event
