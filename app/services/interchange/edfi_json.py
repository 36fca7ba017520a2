"""`export edfi`: Ed-Fi Resources API JSON for a state ODS, one file per resource.

Each file is a JSON array of request bodies in the shape of `POST /data/v3/ed-fi/<resource>`:
camelCase, references by natural key, descriptors as URIs (namespace#codeValue), school years as
the ending year, no USIs, empty values left out.

Attendance goes out as School Office records it, as "negative attendance" (migration 0068): the
section and school attendance events are the exceptions (absences, tardies, the office's
records), and sectionAttendanceTakenEvents says which sections took attendance on which day. A
consumer that needs who was present reads it as Ed-Fi defines it: a student enrolled in a taken
section with no event that day was In Attendance. No present events are made up for the export:
Ed-Fi's own sample district (Grand Bend) publishes only absences and tardies, the Ed-Fi 5.2 notes
(docs/edfi-5.2-notes.md) require no present rows, and SectionAttendanceTakenEvent exists so that a
consumer can tell "present" from "not taken".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from app.errors import UserError


def _desc(col: str) -> str:
    return f"(SELECT d.namespace || '#' || d.codevalue FROM edfi.descriptor d WHERE d.descriptorid = {col})"


def _section_ref(a: str) -> str:
    return (f"jsonb_build_object('localCourseCode', {a}.localcoursecode, 'schoolId', {a}.schoolid, "
            f"'schoolYear', {a}.schoolyear, 'sectionIdentifier', {a}.sectionidentifier, "
            f"'sessionName', {a}.sessionname)")


STUDENT = "jsonb_build_object('studentUniqueId', s.studentuniqueid)"

RESOURCES: dict[str, str] = {
    "students": """
SELECT jsonb_strip_nulls(jsonb_build_object('studentUniqueId', s.studentuniqueid, 'birthDate', s.birthdate,
       'birthCity', s.birthcity, 'firstName', s.firstname, 'middleName', s.middlename, 'lastSurname', s.lastsurname,
       'personalTitlePrefix', s.personaltitleprefix, 'preferredFirstName', s.preferredfirstname,
       'preferredLastSurname', s.preferredlastsurname, 'generationCodeSuffix', s.generationcodesuffix))
       || '{"identificationDocuments": [], "otherNames": [], "personalIdentificationDocuments": [], "visas": []}'
  FROM edfi.student s ORDER BY s.studentuniqueid""",
    "studentSchoolAssociations": f"""
SELECT jsonb_strip_nulls(jsonb_build_object('schoolReference', jsonb_build_object('schoolId', a.schoolid),
       'studentReference', {STUDENT}, 'entryDate', a.entrydate,
       'entryGradeLevelDescriptor', {_desc('a.entrygradeleveldescriptorid')},
       'entryTypeDescriptor', {_desc('a.entrytypedescriptorid')}, 'exitWithdrawDate', a.exitwithdrawdate,
       'exitWithdrawTypeDescriptor', {_desc('a.exitwithdrawtypedescriptorid')}, 'primarySchool', a.primaryschool,
       'schoolYearTypeReference', CASE WHEN a.schoolyear IS NOT NULL
            THEN jsonb_build_object('schoolYear', a.schoolyear) END))
  FROM edfi.studentschoolassociation a JOIN edfi.student s USING (studentusi)
 ORDER BY s.studentuniqueid, a.schoolid, a.entrydate""",
    "sections": f"""
SELECT jsonb_strip_nulls(jsonb_build_object('sectionIdentifier', x.sectionidentifier,
       'courseOfferingReference', jsonb_build_object('localCourseCode', x.localcoursecode, 'schoolId', x.schoolid,
            'schoolYear', x.schoolyear, 'sessionName', x.sessionname),
       'sectionName', x.sectionname, 'sequenceOfCourse', x.sequenceofcourse,
       'sectionTypeDescriptor', {_desc('x.sectiontypedescriptorid')},
       'educationalEnvironmentDescriptor', {_desc('x.educationalenvironmentdescriptorid')},
       'locationReference', CASE WHEN x.locationclassroomidentificationcode IS NOT NULL THEN jsonb_build_object(
            'classroomIdentificationCode', x.locationclassroomidentificationcode, 'schoolId', x.locationschoolid) END))
  FROM edfi.section x ORDER BY x.schoolid, x.schoolyear, x.sessionname, x.localcoursecode, x.sectionidentifier""",
    "studentSectionAssociations": f"""
SELECT jsonb_strip_nulls(jsonb_build_object('sectionReference', {_section_ref('a')},
       'studentReference', {STUDENT}, 'beginDate', a.begindate, 'endDate', a.enddate,
       'homeroomIndicator', a.homeroomindicator))
  FROM edfi.studentsectionassociation a JOIN edfi.student s USING (studentusi)
 ORDER BY s.studentuniqueid, a.sectionidentifier, a.begindate""",
    "studentSchoolAttendanceEvents": f"""
SELECT jsonb_strip_nulls(jsonb_build_object(
       'attendanceEventCategoryDescriptor', {_desc('e.attendanceeventcategorydescriptorid')},
       'eventDate', e.eventdate, 'schoolReference', jsonb_build_object('schoolId', e.schoolid),
       'sessionReference', jsonb_build_object('schoolId', e.schoolid, 'schoolYear', e.schoolyear,
            'sessionName', e.sessionname),
       'studentReference', {STUDENT}, 'attendanceEventReason', e.attendanceeventreason,
       'eventDuration', e.eventduration, 'arrivalTime', e.arrivaltime, 'departureTime', e.departuretime,
       'schoolAttendanceDuration', e.schoolattendanceduration))
  FROM edfi.studentschoolattendanceevent e JOIN edfi.student s USING (studentusi)
 ORDER BY s.studentuniqueid, e.eventdate""",
    "studentSectionAttendanceEvents": f"""
SELECT jsonb_strip_nulls(jsonb_build_object(
       'attendanceEventCategoryDescriptor', {_desc('e.attendanceeventcategorydescriptorid')},
       'eventDate', e.eventdate, 'sectionReference', {_section_ref('e')}, 'studentReference', {STUDENT},
       'attendanceEventReason', e.attendanceeventreason, 'arrivalTime', e.arrivaltime,
       'departureTime', e.departuretime, 'sectionAttendanceDuration', e.sectionattendanceduration,
       'educationalEnvironmentDescriptor', {_desc('e.educationalenvironmentdescriptorid')}))
  FROM edfi.studentsectionattendanceevent e JOIN edfi.student s USING (studentusi)
 ORDER BY s.studentuniqueid, e.eventdate, e.sectionidentifier""",
    "sectionAttendanceTakenEvents": f"""
SELECT jsonb_strip_nulls(jsonb_build_object(
       'calendarDateReference', jsonb_build_object('calendarCode', t.calendarcode, 'date', t.date,
            'schoolId', t.schoolid, 'schoolYear', t.schoolyear),
       'sectionReference', {_section_ref('t')}, 'eventDate', t.eventdate,
       'staffReference', CASE WHEN st.staffuniqueid IS NOT NULL
            THEN jsonb_build_object('staffUniqueId', st.staffuniqueid) END))
  FROM edfi.sectionattendancetakenevent t LEFT JOIN edfi.staff st ON st.staffusi = t.staffusi
 ORDER BY t.date, t.schoolid, t.sectionidentifier, t.sessionname, t.localcoursecode""",
    "grades": f"""
SELECT jsonb_strip_nulls(jsonb_build_object(
       'gradeTypeDescriptor', {_desc('g.gradetypedescriptorid')},
       'gradingPeriodReference', jsonb_build_object(
            'gradingPeriodDescriptor', {_desc('g.gradingperioddescriptorid')},
            'gradingPeriodName', g.gradingperiodname, 'schoolId', g.schoolid, 'schoolYear', g.gradingperiodschoolyear),
       'studentSectionAssociationReference', jsonb_build_object('beginDate', g.begindate,
            'localCourseCode', g.localcoursecode, 'schoolId', g.schoolid, 'schoolYear', g.schoolyear,
            'sectionIdentifier', g.sectionidentifier, 'sessionName', g.sessionname,
            'studentUniqueId', s.studentuniqueid),
       'letterGradeEarned', g.lettergradeearned, 'numericGradeEarned', g.numericgradeearned,
       'diagnosticStatement', g.diagnosticstatement))
  FROM edfi.grade g JOIN edfi.student s USING (studentusi)
 ORDER BY s.studentuniqueid, g.sectionidentifier, g.gradingperiodname""",
}


@dataclass(frozen=True)
class EdFiExport:
    path: str
    counts: dict

    def summary(self) -> str:
        parts = ", ".join(f"{n} {k}" for k, n in self.counts.items())
        return f"Wrote Ed-Fi API resource JSON to {self.path}: {parts}."


def export_edfi(engine: Engine, directory: str | Path) -> EdFiExport:
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"The folder {target} cannot be created ({exc.strerror}); choose another.") from exc
    counts = {}
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        for name, sql in RESOURCES.items():
            bodies = list(conn.execute(text(sql)).scalars())
            tmp = target / f"{name}.json.part"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(bodies, fh, ensure_ascii=False, indent=1, default=str)
            tmp.replace(target / f"{name}.json")
            counts[name] = len(bodies)
    return EdFiExport(str(target), counts)
