"""Which Ed-Fi 5.2 XML interchange elements the import reads, and into which tables.

A target maps one element (or each of a repeated child, `each`) to one table: column ->
(path below the element, kind). Kinds: text, int, dec, date, time, bool, sy (SchoolYear
"2021-2022" -> 2022), desc (a descriptor URI), student/staff/contact (a unique id, stored as the
person's USI), edorg_ref (a reference by the referenced element's `id` attribute or by identity).
`provides` names the key the target adds; `refs` the keys its rows point at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHOOL = "SchoolReference/SchoolIdentity/SchoolId"
SESSION = "SessionReference/SessionIdentity/"
CO = "CourseOfferingReference/CourseOfferingIdentity/"
SEC = "SectionReference/SectionIdentity/"
STUDENT = "StudentReference/StudentIdentity/StudentUniqueId"
STAFF = "StaffReference/StaffIdentity/StaffUniqueId"
EDORG = "EducationOrganizationReference/EducationOrganizationIdentity/EducationOrganizationId"
GP = "GradingPeriodReference/GradingPeriodIdentity/"
SSA = "StudentSectionAssociationReference/StudentSectionAssociationIdentity/"
GRADE = "GradeIdentity/"


def section_ref(prefix: str = SEC) -> dict:
    return {"sectionidentifier": (prefix + "SectionIdentifier", "text"),
            "localcoursecode": (prefix + CO + "LocalCourseCode", "text"),
            "schoolid": (prefix + CO + SCHOOL, "int"),
            "schoolyear": (prefix + CO + SESSION + "SchoolYear", "sy"),
            "sessionname": (prefix + CO + SESSION + "SessionName", "text")}


KEYS = {  # entity -> key columns (and the table that holds it)
    "edorg": ("edfi.educationorganization", ("educationorganizationid",)),
    "school": ("edfi.school", ("schoolid",)),
    "student": ("edfi.student", ("studentuniqueid",)),
    "staff": ("edfi.staff", ("staffuniqueid",)),
    "contact": ("edfi.contact", ("contactuniqueid",)),
    "session": ("edfi.session", ("schoolid", "schoolyear", "sessionname")),
    "course": ("edfi.course", ("coursecode", "educationorganizationid")),
    "courseoffering": ("edfi.courseoffering", ("localcoursecode", "schoolid", "schoolyear", "sessionname")),
    "section": ("edfi.section", ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname")),
    "calendar": ("edfi.calendar", ("calendarcode", "schoolid", "schoolyear")),
    "calendardate": ("edfi.calendardate", ("calendarcode", "date", "schoolid", "schoolyear")),
    "gradebookentry": ("edfi.gradebookentry", ("gradebookentryidentifier", "namespace")),
    "gradingperiod": ("edfi.gradingperiod", ("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear")),
    "studentsectionassociation": ("edfi.studentsectionassociation", (
        "begindate", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname", "studentusi")),
    "grade": ("edfi.grade", ("begindate", "gradetypedescriptorid", "gradingperioddescriptorid", "gradingperiodname",
                             "gradingperiodschoolyear", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier",
                             "sessionname", "studentusi")),
    "learningstandard": ("edfi.learningstandard", ("learningstandardid",)),
}
NAMES = {"calendardate": "calendar date", "courseoffering": "course offering", "gradebookentry": "gradebook entry", "gradingperiod": "grading period",
         "studentsectionassociation": "student section association", "learningstandard": "learning standard"}
# Keys whose database form differs from the files' (descriptor ids as URIs, USIs as unique ids).
_URI = "(SELECT d.namespace || '#' || d.codevalue FROM edfi.descriptor d WHERE d.descriptorid = x.{0})"
_UID = "(SELECT s.studentuniqueid FROM edfi.student s WHERE s.studentusi = x.studentusi)"
DB_KEYS = {
    "gradingperiod": f"SELECT {_URI.format('gradingperioddescriptorid')}, gradingperiodname, schoolid, schoolyear "
                     "FROM edfi.gradingperiod x",
    "studentsectionassociation": f"SELECT begindate, localcoursecode, schoolid, schoolyear, sectionidentifier, "
                                 f"sessionname, {_UID} FROM edfi.studentsectionassociation x",
    "grade": f"SELECT begindate, {_URI.format('gradetypedescriptorid')}, {_URI.format('gradingperioddescriptorid')}, "
             "gradingperiodname, gradingperiodschoolyear, localcoursecode, schoolid, schoolyear, sectionidentifier, "
             f"sessionname, {_UID} FROM edfi.grade x",
}


@dataclass(frozen=True)
class Target:
    table: str
    cols: dict
    each: str | None = None
    const: dict = field(default_factory=dict)
    provides: str | None = None
    refs: tuple = ()  # (entity, (columns...)) the row points at
    same: tuple = ()  # (column read only to check, column it must equal): one key given twice in the element


def _org(idcol: str, disc: str) -> Target:
    return Target("edfi.educationorganization", {
        "educationorganizationid": (idcol, "int"), "nameofinstitution": ("NameOfInstitution", "text"),
        "shortnameofinstitution": ("ShortNameOfInstitution", "text"), "website": ("WebSite", "text"),
        "operationalstatusdescriptorid": ("OperationalStatus", "desc")}, const={"discriminator": disc},
        provides="edorg")


GRADE_KEY = {  # a Grade's identity: its student section association, type and grading period
    "begindate": (SSA + "BeginDate", "date"), "studentusi": (SSA + STUDENT, "student"), **section_ref(SSA + SEC),
    "gradetypedescriptorid": ("GradeType", "desc"), "gradingperioddescriptorid": (GP + "GradingPeriod", "desc"),
    "gradingperiodname": (GP + "GradingPeriodName", "text"), "gradingperiodschoolyear": (GP + "SchoolYear", "sy")}
REPORT_CARD_KEY = {
    "studentusi": (STUDENT, "student"), "educationorganizationid": (EDORG, "int"),
    "gradingperioddescriptorid": (GP + "GradingPeriod", "desc"), "gradingperiodname": (GP + "GradingPeriodName", "text"),
    "gradingperiodschoolid": (GP + SCHOOL, "int"), "gradingperiodschoolyear": (GP + "SchoolYear", "sy")}

PERSON = {"firstname": ("Name/FirstName", "text"), "middlename": ("Name/MiddleName", "text"),
          "lastsurname": ("Name/LastSurname", "text"), "personaltitleprefix": ("Name/PersonalTitlePrefix", "text"),
          "preferredfirstname": ("Name/PreferredFirstName", "text"),
          "preferredlastsurname": ("Name/PreferredLastSurname", "text")}

ELEMENTS: dict[str, list[Target]] = {
    "LocalEducationAgency": [
        _org("LocalEducationAgencyId", "edfi.LocalEducationAgency"),
        Target("edfi.localeducationagency", {"localeducationagencyid": ("LocalEducationAgencyId", "int"),
               "localeducationagencycategorydescriptorid": ("LocalEducationAgencyCategory", "desc")})],
    "School": [
        _org("SchoolId", "edfi.School"),
        Target("edfi.school", {"schoolid": ("SchoolId", "int"),
               "localeducationagencyid": ("LocalEducationAgencyReference", "edorg_ref"),
               "schooltypedescriptorid": ("SchoolType", "desc"), "charterstatusdescriptorid": ("CharterStatus", "desc"),
               "titleipartaschooldesignationdescriptorid": ("TitleIPartASchoolDesignation", "desc"),
               "administrativefundingcontroldescriptorid": ("AdministrativeFundingControl", "desc")},
               provides="school", refs=(("edorg", ("localeducationagencyid",)),)),
        Target("edfi.schoolgradelevel", {"schoolid": ("../SchoolId", "int"), "gradeleveldescriptorid": (".", "desc")},
               each="GradeLevel"),
        Target("edfi.schoolcategory", {"schoolid": ("../SchoolId", "int"), "schoolcategorydescriptorid": (".", "desc")},
               each="SchoolCategory")],
    "Course": [
        Target("edfi.course", {"coursecode": ("CourseCode", "text"), "educationorganizationid": (EDORG, "int"),
               "coursetitle": ("CourseTitle", "text"), "numberofparts": ("NumberOfParts", "int"),
               "coursedescription": ("CourseDescription", "text")}, provides="course",
               refs=(("edorg", ("educationorganizationid",)),)),
        Target("edfi.courseacademicsubject", {"coursecode": ("../CourseCode", "text"),
               "educationorganizationid": ("../" + EDORG, "int"), "academicsubjectdescriptorid": (".", "desc")},
               each="AcademicSubject")],
    "Session": [Target("edfi.session", {
        "schoolid": (SCHOOL, "int"), "schoolyear": ("SchoolYear", "sy"), "sessionname": ("SessionName", "text"),
        "begindate": ("BeginDate", "date"), "enddate": ("EndDate", "date"), "termdescriptorid": ("Term", "desc"),
        "totalinstructionaldays": ("TotalInstructionalDays", "int")}, provides="session",
        refs=(("school", ("schoolid",)),))],
    "GradingPeriod": [Target("edfi.gradingperiod", {
        "gradingperioddescriptorid": ("GradingPeriod", "desc"), "gradingperiodname": ("GradingPeriodName", "text"),
        "schoolid": (SCHOOL, "int"), "schoolyear": ("SchoolYear", "sy"), "begindate": ("BeginDate", "date"),
        "enddate": ("EndDate", "date"), "periodsequence": ("PeriodSequence", "int"),
        "totalinstructionaldays": ("TotalInstructionalDays", "int")}, provides="gradingperiod",
        refs=(("school", ("schoolid",)),))],
    "Calendar": [Target("edfi.calendar", {
        "calendarcode": ("CalendarCode", "text"), "schoolid": (SCHOOL, "int"), "schoolyear": ("SchoolYear", "sy"),
        "calendartypedescriptorid": ("CalendarType", "desc")}, provides="calendar", refs=(("school", ("schoolid",)),))],
    "CalendarDate": [
        Target("edfi.calendardate", {
            "calendarcode": ("CalendarReference/CalendarIdentity/CalendarCode", "text"), "date": ("Date", "date"),
            "schoolid": ("CalendarReference/CalendarIdentity/" + SCHOOL, "int"),
            "schoolyear": ("CalendarReference/CalendarIdentity/SchoolYear", "sy")},
            provides="calendardate", refs=(("calendar", ("calendarcode", "schoolid", "schoolyear")),)),
        Target("edfi.calendardatecalendarevent", {
            "calendarcode": ("../CalendarReference/CalendarIdentity/CalendarCode", "text"), "date": ("../Date", "date"),
            "schoolid": ("../CalendarReference/CalendarIdentity/" + SCHOOL, "int"),
            "schoolyear": ("../CalendarReference/CalendarIdentity/SchoolYear", "sy"),
            "calendareventdescriptorid": (".", "desc")}, each="CalendarEvent")],
    "CourseOffering": [Target("edfi.courseoffering", {
        "localcoursecode": ("LocalCourseCode", "text"), "schoolid": (SCHOOL, "int"),
        "schoolyear": (SESSION + "SchoolYear", "sy"), "sessionname": (SESSION + "SessionName", "text"),
        "coursecode": ("CourseReference/CourseIdentity/CourseCode", "text"),
        "educationorganizationid": ("CourseReference/CourseIdentity/" + EDORG, "int"),
        "localcoursetitle": ("LocalCourseTitle", "text")}, provides="courseoffering",
        refs=(("session", ("schoolid", "schoolyear", "sessionname")),
              ("course", ("coursecode", "educationorganizationid"))))],
    "Section": [Target("edfi.section", {
        "sectionidentifier": ("SectionIdentifier", "text"), **{k: (p.replace(SEC, "", 1), kind) for k, (p, kind)
                                                                in section_ref().items() if k != "sectionidentifier"},
        "sectionname": ("SectionName", "text"), "sequenceofcourse": ("SequenceOfCourse", "int"),
        "sectiontypedescriptorid": ("SectionType", "desc"),
        "educationalenvironmentdescriptorid": ("EducationalEnvironment", "desc")}, provides="section",
        refs=(("courseoffering", ("localcoursecode", "schoolid", "schoolyear", "sessionname")),))],
    "Student": [Target("edfi.student", {
        "studentuniqueid": ("StudentUniqueId", "text"), **PERSON, "birthdate": ("BirthData/BirthDate", "date"),
        "birthcity": ("BirthData/BirthCity", "text")}, provides="student")],
    "Contact": [Target("edfi.contact", {"contactuniqueid": ("ContactUniqueId", "text"), **PERSON,
                                        "sexdescriptorid": ("Sex", "desc")}, provides="contact")],
    "StudentContactAssociation": [Target("edfi.studentcontactassociation", {
        "studentusi": (STUDENT, "student"), "contactusi": ("ContactReference", "contact"),
        "relationdescriptorid": ("Relation", "desc"), "primarycontactstatus": ("PrimaryContactStatus", "bool"),
        "liveswith": ("LivesWith", "bool"), "emergencycontactstatus": ("EmergencyContactStatus", "bool"),
        "contactpriority": ("ContactPriority", "int"), "legalguardian": ("LegalGuardian", "bool")},
        refs=(("student", ("studentusi",)), ("contact", ("contactusi",))))],
    "Staff": [Target("edfi.staff", {
        "staffuniqueid": ("StaffUniqueId", "text"), **PERSON, "sexdescriptorid": ("Sex", "desc"),
        "birthdate": ("BirthDate", "date"), "hispaniclatinoethnicity": ("HispanicLatinoEthnicity", "bool"),
        "loginid": ("LoginId", "text"),
        "yearsofpriorprofessionalexperience": ("YearsOfPriorProfessionalExperience", "dec")}, provides="staff")],
    "StaffSchoolAssociation": [Target("edfi.staffschoolassociation", {
        "staffusi": (STAFF, "staff"), "schoolid": (SCHOOL, "int"),
        "programassignmentdescriptorid": ("ProgramAssignment", "desc"), "schoolyear": ("SchoolYear", "sy")},
        refs=(("staff", ("staffusi",)), ("school", ("schoolid",))))],
    "StaffEducationOrganizationAssignmentAssociation": [Target("edfi.staffeducationorganizationassignmentassociation", {
        "staffusi": (STAFF, "staff"), "educationorganizationid": (EDORG, "int"),
        "staffclassificationdescriptorid": ("StaffClassification", "desc"), "positiontitle": ("PositionTitle", "text"),
        "begindate": ("BeginDate", "date"), "enddate": ("EndDate", "date")},
        refs=(("staff", ("staffusi",)), ("edorg", ("educationorganizationid",))))],
    "StaffSectionAssociation": [Target("edfi.staffsectionassociation", {
        "staffusi": (STAFF, "staff"), **section_ref(),
        "classroompositiondescriptorid": ("ClassroomPosition", "desc"), "begindate": ("BeginDate", "date"),
        "enddate": ("EndDate", "date")}, refs=(("staff", ("staffusi",)), ("section", KEYS["section"][1])))],
    "StudentSchoolAssociation": [Target("edfi.studentschoolassociation", {
        "studentusi": (STUDENT, "student"), "schoolid": (SCHOOL, "int"), "entrydate": ("EntryDate", "date"),
        "entrygradeleveldescriptorid": ("EntryGradeLevel", "desc"), "entrytypedescriptorid": ("EntryType", "desc"),
        "exitwithdrawdate": ("ExitWithdrawDate", "date"),
        "exitwithdrawtypedescriptorid": ("ExitWithdrawType", "desc"), "schoolyear": ("SchoolYear", "sy"),
        "primaryschool": ("PrimarySchool", "bool")},
        refs=(("student", ("studentusi",)), ("school", ("schoolid",))))],
    "StudentSectionAssociation": [Target("edfi.studentsectionassociation", {
        "studentusi": (STUDENT, "student"), **section_ref(), "begindate": ("BeginDate", "date"),
        "enddate": ("EndDate", "date"), "homeroomindicator": ("HomeroomIndicator", "bool")},
        provides="studentsectionassociation", refs=(("student", ("studentusi",)), ("section", KEYS["section"][1])))],
    "StudentSchoolAttendanceEvent": [Target("edfi.studentschoolattendanceevent", {
        "studentusi": (STUDENT, "student"), "schoolid": (SCHOOL, "int"),
        "schoolyear": (SESSION + "SchoolYear", "sy"), "sessionname": (SESSION + "SessionName", "text"),
        "eventdate": ("AttendanceEvent/EventDate", "date"),
        "attendanceeventcategorydescriptorid": ("AttendanceEvent/AttendanceEventCategory", "desc"),
        "attendanceeventreason": ("AttendanceEvent/AttendanceEventReason", "text"),
        "eventduration": ("AttendanceEvent/EventDuration", "dec"), "arrivaltime": ("ArrivalTime", "time"),
        "departuretime": ("DepartureTime", "time")},
        refs=(("student", ("studentusi",)), ("session", ("schoolid", "schoolyear", "sessionname"))))],
    "StudentSectionAttendanceEvent": [Target("edfi.studentsectionattendanceevent", {
        "studentusi": (STUDENT, "student"), **section_ref(), "eventdate": ("AttendanceEvent/EventDate", "date"),
        "attendanceeventcategorydescriptorid": ("AttendanceEvent/AttendanceEventCategory", "desc"),
        "attendanceeventreason": ("AttendanceEvent/AttendanceEventReason", "text"),
        "educationalenvironmentdescriptorid": ("AttendanceEvent/EducationalEnvironment", "desc"),
        "sectionattendanceduration": ("SectionAttendanceDuration", "int"), "arrivaltime": ("ArrivalTime", "time")},
        refs=(("student", ("studentusi",)), ("section", KEYS["section"][1])))],
    # a section's day whose attendance was taken: with it, a student enrolled in the section and no
    # StudentSectionAttendanceEvent that day was In Attendance (School Office records exceptions)
    "SectionAttendanceTakenEvent": [Target("edfi.sectionattendancetakenevent", {
        **section_ref(), "calendarcode": ("CalendarDateReference/CalendarDateIdentity/CalendarReference/CalendarIdentity/CalendarCode", "text"),
        "date": ("CalendarDateReference/CalendarDateIdentity/Date", "date"), "eventdate": ("EventDate", "date"), "staffusi": (STAFF, "staff"),
        "_calschool": ("CalendarDateReference/CalendarDateIdentity/CalendarReference/CalendarIdentity/" + SCHOOL, "int"),
        "_calyear": ("CalendarDateReference/CalendarDateIdentity/CalendarReference/CalendarIdentity/SchoolYear", "sy")},
        same=(("_calschool", "schoolid"), ("_calyear", "schoolyear")),
        refs=(("section", KEYS["section"][1]), ("staff", ("staffusi",)),
              ("calendardate", ("calendarcode", "date", "schoolid", "schoolyear"))))],
    "GradebookEntry": [Target("edfi.gradebookentry", {
        "gradebookentryidentifier": ("GradebookEntryIdentifier", "text"), "namespace": ("Namespace", "text"),
        "title": ("Title", "text"), "description": ("Description", "text"), "dateassigned": ("DateAssigned", "date"),
        "duedate": ("DueDate", "date"), **section_ref(), "maxpoints": ("MaxPoints", "dec")},
        provides="gradebookentry", refs=(("section", KEYS["section"][1]),))],
    "StudentGradebookEntry": [Target("edfi.studentgradebookentry", {
        "gradebookentryidentifier": ("GradebookEntryReference/GradebookEntryIdentity/GradebookEntryIdentifier", "text"),
        "namespace": ("GradebookEntryReference/GradebookEntryIdentity/Namespace", "text"),
        "studentusi": (STUDENT, "student"), "numericgradeearned": ("NumericGradeEarned", "dec"),
        "lettergradeearned": ("LetterGradeEarned", "text"), "datefulfilled": ("DateFulfilled", "date")},
        refs=(("student", ("studentusi",)), ("gradebookentry", ("gradebookentryidentifier", "namespace"))))],
    "Grade": [
        Target("edfi.grade", {**GRADE_KEY, "lettergradeearned": ("LetterGradeEarned", "text"),
               "numericgradeearned": ("NumericGradeEarned", "dec"), "diagnosticstatement": ("DiagnosticStatement", "text"),
               "performancebaseconversiondescriptorid": ("PerformanceBaseConversion", "desc"),
               "currentgradeindicator": ("CurrentGradeIndicator", "bool"),
               "currentgradeasofdate": ("CurrentGradeAsOfDate", "date"),
               "gradeearneddescription": ("GradeEarnedDescription", "text"), "_gpschool": (GP + SCHOOL, "int")},
               provides="grade", same=(("_gpschool", "schoolid"),),
               refs=(("studentsectionassociation", KEYS["studentsectionassociation"][1]),
                     ("gradingperiod", ("gradingperioddescriptorid", "gradingperiodname", "schoolid",
                                        "gradingperiodschoolyear")))),
        Target("edfi.gradelearningstandardgrade", {
            **{k: ("../" + p, kind) for k, (p, kind) in GRADE_KEY.items()},
            "learningstandardid": ("LearningStandardReference/LearningStandardIdentity/LearningStandardId", "text"),
            "lettergradeearned": ("LetterGradeEarned", "text"), "numericgradeearned": ("NumericGradeEarned", "dec"),
            "diagnosticstatement": ("DiagnosticStatement", "text"),
            "performancebaseconversiondescriptorid": ("PerformanceBaseConversion", "desc")},
            each="GradeLearningStandardGrade", refs=(("learningstandard", ("learningstandardid",)),))],
    "ReportCard": [
        Target("edfi.reportcard", {**REPORT_CARD_KEY, "numberofdaysabsent": ("NumberOfDaysAbsent", "dec"),
               "numberofdaysinattendance": ("NumberOfDaysInAttendance", "dec"),
               "numberofdaystardy": ("NumberOfDaysTardy", "int")},
               refs=(("student", ("studentusi",)), ("edorg", ("educationorganizationid",)),
                     ("gradingperiod", ("gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid",
                                        "gradingperiodschoolyear")))),
        Target("edfi.reportcardgradepointaverage", {
            **{k: ("../" + p, kind) for k, (p, kind) in REPORT_CARD_KEY.items()},
            "gradepointaveragetypedescriptorid": ("GradePointAverageType", "desc"),
            "iscumulative": ("IsCumulative", "bool"), "gradepointaveragevalue": ("GradePointAverageValue", "dec"),
            "maxgradepointaveragevalue": ("MaxGradePointAverageValue", "dec")}, each="GradePointAverage"),
        # a report card's grades are the student's, in the card's grading period: the reference repeats both
        Target("edfi.reportcardgrade", {
            **{k: ("../" + p, kind) for k, (p, kind) in REPORT_CARD_KEY.items()},
            **{k: (GRADE + p, kind) for k, (p, kind) in GRADE_KEY.items()
               if k not in ("studentusi", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolyear")},
            "_student": (GRADE + SSA + STUDENT, "student"), "_gp": (GRADE + GP + "GradingPeriod", "desc"),
            "_gpname": (GRADE + GP + "GradingPeriodName", "text"), "_gpyear": (GRADE + GP + "SchoolYear", "sy")},
            each="GradeReference",
            same=(("_student", "studentusi"), ("_gp", "gradingperioddescriptorid"), ("_gpname", "gradingperiodname"),
                  ("_gpyear", "gradingperiodschoolyear")),
            refs=(("grade", KEYS["grade"][1]),))],
}

# Load order (a row's references first).
ORDER = ("LocalEducationAgency", "School", "Course", "Session", "GradingPeriod", "Calendar", "CalendarDate",
         "CourseOffering", "Section", "Student", "Contact", "StudentContactAssociation", "Staff",
         "StaffSchoolAssociation", "StaffEducationOrganizationAssignmentAssociation", "StaffSectionAssociation",
         "StudentSchoolAssociation", "StudentSectionAssociation", "StudentSchoolAttendanceEvent",
         "StudentSectionAttendanceEvent", "SectionAttendanceTakenEvent", "GradebookEntry", "StudentGradebookEntry", "Grade", "ReportCard")
assert set(ORDER) == set(ELEMENTS)
PERSON_KEY = {"student": ("edfi.student", "studentusi", "studentuniqueid"),
              "staff": ("edfi.staff", "staffusi", "staffuniqueid"),
              "contact": ("edfi.contact", "contactusi", "contactuniqueid")}
