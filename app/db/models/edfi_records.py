"""Ed-Fi 5.2 records: attendance events, discipline, grades, report cards and academic records.

Column types, keys and references follow the Ed-Fi 5.2 ODS (edfi52_core_columns.csv); comments are
the design document's. See docs/schema-deviations.md for where the two differ.
"""

from sqlalchemy import Index

from app.db.dsl import CK, FK, IX, UQ, C, table  # noqa: F401

studentschoolattendanceevent = table(
    "edfi", "studentschoolattendanceevent", "Student School Attendance Event: Daily attendance",
    C("attendanceeventcategorydescriptorid", "INT", comment="Present, absent, tardy"),
    C("eventdate", "DATE", comment="Date of attendance event"),
    C("schoolid", "BIGINT", comment="School attended"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("sessionname", "VARCHAR(60)"),
    C("studentusi", "INT", comment="Student identifier"),
    C("arrivaltime", "TIME", comment="When arrived"),
    C("attendanceeventreason", "VARCHAR(255)", comment="Why absent/tardy"),
    C("departuretime", "TIME", comment="When left"),
    C("educationalenvironmentdescriptorid", "INT", comment="Where instruction occurred"),
    C("eventduration", "DECIMAL(3, 2)", comment="Portion of day"),
    C("schoolattendanceduration", "INT", comment="Minutes attended"),
    FK(("attendanceeventcategorydescriptorid",), "edfi.attendanceeventcategorydescriptor", ("attendanceeventcategorydescriptorid",)),
    # no schoolid -> school key of its own: the session's key implies it (migration 0037)
    FK(("schoolid", "schoolyear", "sessionname",), "edfi.session", ("schoolid", "schoolyear", "sessionname",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("educationalenvironmentdescriptorid",), "edfi.educationalenvironmentdescriptor", ("educationalenvironmentdescriptorid",)),
    pk=("attendanceeventcategorydescriptorid", "eventdate", "schoolid", "schoolyear", "sessionname", "studentusi",),
    kind="root",
)

studentsectionattendanceevent = table(
    "edfi", "studentsectionattendanceevent", "Student Section Attendance Event: Period-by-period attendance",
    C("attendanceeventcategorydescriptorid", "INT", comment="Present, absent, tardy"),
    C("eventdate", "DATE", comment="Date of event"),
    C("localcoursecode", "VARCHAR(60)", comment="Course code"),
    C("schoolid", "BIGINT", comment="School"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("sectionidentifier", "VARCHAR(255)", comment="Class section"),
    C("sessionname", "VARCHAR(60)"),
    C("studentusi", "INT", comment="Student identifier"),
    C("arrivaltime", "TIME", comment="Arrival time"),
    C("attendanceeventreason", "VARCHAR(255)", comment="Reason if absent"),
    C("departuretime", "TIME", comment="Departure time"),
    C("educationalenvironmentdescriptorid", "INT", comment="Location of instruction"),
    C("eventduration", "DECIMAL(3, 2)", comment="Portion of period"),
    C("sectionattendanceduration", "INT", comment="Minutes in class"),
    FK(("attendanceeventcategorydescriptorid",), "edfi.attendanceeventcategorydescriptor", ("attendanceeventcategorydescriptorid",)),
    FK(("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",), "edfi.section", ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("educationalenvironmentdescriptorid",), "edfi.educationalenvironmentdescriptor", ("educationalenvironmentdescriptorid",)),
    pk=("attendanceeventcategorydescriptorid", "eventdate", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname", "studentusi",),
    kind="root",
)

# Ed-Fi 5.2 SectionAttendanceTakenEvent: the section's attendance was taken that day (migration 0068).
# Attendance is recorded as exceptions: a student enrolled in the section on a taken day with no
# studentsectionattendanceevent row was In Attendance (app/services/attendance_days.py).
sectionattendancetakenevent = table(
    "edfi", "sectionattendancetakenevent", "Section Attendance Taken Event: a section's attendance was taken that day",
    C("calendarcode", "VARCHAR(60)", comment="The school calendar of the day"),
    C("date", "DATE", comment="The day whose attendance was taken"),
    C("localcoursecode", "VARCHAR(60)", comment="Course code"),
    C("schoolid", "BIGINT", comment="School"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("sectionidentifier", "VARCHAR(255)", comment="Class section"),
    C("sessionname", "VARCHAR(60)"),
    C("eventdate", "DATE", nn=True, comment="When the attendance was taken"),
    C("staffusi", "INT", comment="Who took it"),
    FK(("calendarcode", "date", "schoolid", "schoolyear",), "edfi.calendardate", ("calendarcode", "date", "schoolid", "schoolyear",)),
    FK(("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",), "edfi.section", ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",)),
    FK(("staffusi",), "edfi.staff", ("staffusi",)),
    pk=("calendarcode", "date", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",),
    kind="root",
)

disciplineincident = table(
    "edfi", "disciplineincident", "Discipline Incident: Behavioral incidents",
    C("incidentidentifier", "VARCHAR(36)", comment="Unique incident ID"),
    C("schoolid", "BIGINT", comment="Where incident occurred"),
    C("casenumber", "VARCHAR(20)", comment="Police case number"),
    C("incidentcost", "MONEY", comment="Property damage cost"),
    C("incidentdate", "DATE", nn=True, comment="When it happened"),
    C("incidentdescription", "VARCHAR(1024)", comment="What happened"),
    C("incidentlocationdescriptorid", "INT"),
    C("incidenttime", "TIME", comment="Specific time"),
    C("reportedtolawenforcement", "BOOLEAN", comment="Police involved?"),
    C("reporterdescriptiondescriptorid", "INT", comment="Type of reporter"),
    C("reportername", "VARCHAR(75)", comment="Who reported it"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("incidentlocationdescriptorid",), "edfi.incidentlocationdescriptor", ("incidentlocationdescriptorid",)),
    FK(("reporterdescriptiondescriptorid",), "edfi.reporterdescriptiondescriptor", ("reporterdescriptiondescriptorid",)),
    pk=("incidentidentifier", "schoolid",),
    kind="root",
)

disciplineincidentbehavior = table(
    "edfi", "disciplineincidentbehavior", None,
    C("incidentidentifier", "VARCHAR(36)"),
    C("schoolid", "BIGINT"),
    C("behaviordescriptorid", "INT"),
    C("behaviordetaileddescription", "VARCHAR(1024)"),
    FK(("incidentidentifier", "schoolid",), "edfi.disciplineincident", ("incidentidentifier", "schoolid",)),
    FK(("behaviordescriptorid",), "edfi.behaviordescriptor", ("behaviordescriptorid",)),
    pk=("incidentidentifier", "schoolid", "behaviordescriptorid",),
    kind="child",
)

disciplineincidentweapon = table(
    "edfi", "disciplineincidentweapon", "Weapons involved in a discipline incident (Ed-Fi 5.2 DisciplineIncidentWeapon)",
    C("incidentidentifier", "VARCHAR(36)"),
    C("schoolid", "BIGINT"),
    C("weapondescriptorid", "INT"),
    FK(("incidentidentifier", "schoolid",), "edfi.disciplineincident", ("incidentidentifier", "schoolid",)),
    FK(("weapondescriptorid",), "edfi.weapondescriptor", ("weapondescriptorid",)),
    pk=("incidentidentifier", "schoolid", "weapondescriptorid",),
    kind="child",
)

staffdisciplineincidentassociation = table(
    "edfi", "staffdisciplineincidentassociation",
    "Staff involved in a discipline incident (Ed-Fi 5.2 StaffDisciplineIncidentAssociation)",
    C("incidentidentifier", "VARCHAR(36)"),
    C("schoolid", "BIGINT"),
    C("staffusi", "INT"),
    FK(("incidentidentifier", "schoolid",), "edfi.disciplineincident", ("incidentidentifier", "schoolid",)),
    FK(("staffusi",), "edfi.staff", ("staffusi",)),
    pk=("incidentidentifier", "schoolid", "staffusi",),
    kind="root",
)

disciplineaction = table(
    "edfi", "disciplineaction", "Discipline Action: Consequences assigned",
    C("disciplineactionidentifier", "VARCHAR(36)", comment="Unique action ID"),
    C("disciplinedate", "DATE", comment="When action starts"),
    C("studentusi", "INT", comment="Student receiving action"),
    C("actualdisciplineactionlength", "DECIMAL(5, 2)", comment="Actual days served"),
    C("assignmentschoolid", "BIGINT", comment="Alternative placement school"),
    C("disciplineactionlength", "DECIMAL(5, 2)", comment="Original length assigned"),
    C("disciplineactionlengthdifferencereasondescriptorid", "INT", comment="Why different"),
    C("iepplacementmeetingindicator", "BOOLEAN", comment="IEP team involved?"),
    C("relatedtozerotolerancepolicy", "BOOLEAN", comment="Zero tolerance policy?"),
    C("responsibilityschoolid", "BIGINT", nn=True, comment="School responsible"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("assignmentschoolid",), "edfi.school", ("schoolid",)),
    FK(("responsibilityschoolid",), "edfi.school", ("schoolid",)),
    FK(("disciplineactionlengthdifferencereasondescriptorid",), "edfi.disciplineactionlengthdifferencereasondescriptor", ("disciplineactionlengthdifferencereasondescriptorid",)),
    pk=("disciplineactionidentifier", "disciplinedate", "studentusi",),
    kind="root",
)

disciplineactiondiscipline = table(
    "edfi", "disciplineactiondiscipline", None,
    C("disciplineactionidentifier", "VARCHAR(36)"),
    C("disciplinedate", "DATE"),
    C("studentusi", "INT"),
    C("disciplinedescriptorid", "INT"),
    FK(("disciplineactionidentifier", "disciplinedate", "studentusi",), "edfi.disciplineaction", ("disciplineactionidentifier", "disciplinedate", "studentusi",)),
    FK(("disciplinedescriptorid",), "edfi.disciplinedescriptor", ("disciplinedescriptorid",)),
    pk=("disciplineactionidentifier", "disciplinedate", "studentusi", "disciplinedescriptorid",),
    kind="child",
)

disciplineactionstaff = table(
    "edfi", "disciplineactionstaff", None,
    C("disciplineactionidentifier", "VARCHAR(36)"),
    C("disciplinedate", "DATE"),
    C("studentusi", "INT"),
    C("staffusi", "INT"),
    FK(("disciplineactionidentifier", "disciplinedate", "studentusi",), "edfi.disciplineaction", ("disciplineactionidentifier", "disciplinedate", "studentusi",)),
    FK(("staffusi",), "edfi.staff", ("staffusi",)),
    pk=("disciplineactionidentifier", "disciplinedate", "studentusi", "staffusi",),
    kind="child",
)

disciplineactionstudentdisciplineincidentbehaviorassociation = table(
    "edfi", "disciplineactionstudentdisciplineincidentbehaviorassociation", None,
    C("disciplineactionidentifier", "VARCHAR(36)"),
    C("disciplinedate", "DATE"),
    C("studentusi", "INT"),
    C("behaviordescriptorid", "INT"),
    C("incidentidentifier", "VARCHAR(36)"),
    C("schoolid", "BIGINT"),
    FK(("disciplineactionidentifier", "disciplinedate", "studentusi",), "edfi.disciplineaction", ("disciplineactionidentifier", "disciplinedate", "studentusi",)),
    FK(("studentusi", "behaviordescriptorid", "incidentidentifier", "schoolid",), "edfi.studentdisciplineincidentbehaviorassociation", ("studentusi", "behaviordescriptorid", "incidentidentifier", "schoolid",)),
    pk=("disciplineactionidentifier", "disciplinedate", "studentusi", "behaviordescriptorid", "incidentidentifier", "schoolid",),
    kind="child",
)

studentdisciplineincidentbehaviorassociation = table(
    "edfi", "studentdisciplineincidentbehaviorassociation", "Student Discipline Incident Behavior Association: Specific behaviors",
    C("behaviordescriptorid", "INT", comment="Type of behavior"),
    C("incidentidentifier", "VARCHAR(36)", comment="Incident"),
    C("schoolid", "BIGINT", comment="School"),
    C("studentusi", "INT", comment="Student"),
    C("behaviordetaileddescription", "VARCHAR(1024)", comment="Specific details"),
    FK(("behaviordescriptorid",), "edfi.behaviordescriptor", ("behaviordescriptorid",)),
    FK(("incidentidentifier", "schoolid",), "edfi.disciplineincident", ("incidentidentifier", "schoolid",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    pk=("behaviordescriptorid", "incidentidentifier", "schoolid", "studentusi",),
    kind="root",
)

studentdisciplineincidentbehaviorassociationdisciplinein_ae6a21 = table(
    "edfi", "studentdisciplineincidentbehaviorassociationdisciplinein_ae6a21", None,
    C("behaviordescriptorid", "INT"),
    C("incidentidentifier", "VARCHAR(36)"),
    C("schoolid", "BIGINT"),
    C("studentusi", "INT"),
    C("disciplineincidentparticipationcodedescriptorid", "INT"),
    FK(("behaviordescriptorid", "incidentidentifier", "schoolid", "studentusi",), "edfi.studentdisciplineincidentbehaviorassociation", ("behaviordescriptorid", "incidentidentifier", "schoolid", "studentusi",)),
    FK(("disciplineincidentparticipationcodedescriptorid",), "edfi.disciplineincidentparticipationcodedescriptor", ("disciplineincidentparticipationcodedescriptorid",)),
    pk=("behaviordescriptorid", "incidentidentifier", "schoolid", "studentusi", "disciplineincidentparticipationcodedescriptorid",),
    kind="child",
)

grade = table(
    "edfi", "grade", "Grade: Individual course grades",
    C("begindate", "DATE", comment="When enrolled"),
    C("gradetypedescriptorid", "INT", comment="Final, progress, exam"),
    C("gradingperioddescriptorid", "INT", comment="Grading period"),
    C("gradingperiodname", "VARCHAR(60)"),
    C("gradingperiodschoolyear", "SMALLINT", comment="Year for period"),
    C("localcoursecode", "VARCHAR(60)", comment="Course"),
    C("schoolid", "BIGINT", comment="School"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("sectionidentifier", "VARCHAR(255)", comment="Section"),
    C("sessionname", "VARCHAR(60)"),
    C("studentusi", "INT", comment="Student"),
    C("currentgradeasofdate", "DATE"),
    C("currentgradeindicator", "BOOLEAN"),
    C("diagnosticstatement", "VARCHAR(1024)", comment="Teacher comments"),
    C("gradeearneddescription", "VARCHAR(64)"),
    C("lettergradeearned", "VARCHAR(20)", comment="Letter grade"),
    C("numericgradeearned", "DECIMAL(9, 2)", comment="Numeric grade"),
    C("performancebaseconversiondescriptorid", "INT"),
    FK(("begindate", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname", "studentusi",), "edfi.studentsectionassociation", ("begindate", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname", "studentusi",)),
    FK(("gradetypedescriptorid",), "edfi.gradetypedescriptor", ("gradetypedescriptorid",)),
    FK(("gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolyear", "schoolid",), "edfi.gradingperiod", ("gradingperioddescriptorid", "gradingperiodname", "schoolyear", "schoolid",)),
    FK(("performancebaseconversiondescriptorid",), "edfi.performancebaseconversiondescriptor", ("performancebaseconversiondescriptorid",)),
    pk=("begindate", "gradetypedescriptorid", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolyear", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname", "studentusi",),
    kind="root",
)

reportcard = table(
    "edfi", "reportcard", "Report Card: Official grade reports",
    C("educationorganizationid", "BIGINT", comment="School or district"),
    C("gradingperioddescriptorid", "INT", comment="Which grading period"),
    C("gradingperiodname", "VARCHAR(60)"),
    C("gradingperiodschoolid", "BIGINT", comment="School for grading period"),
    C("gradingperiodschoolyear", "SMALLINT", comment="Academic year"),
    C("studentusi", "INT", comment="Student"),
    C("numberofdaysabsent", "DECIMAL(18, 4)", comment="Absences this period"),
    C("numberofdaysinattendance", "DECIMAL(18, 4)", comment="Days attended"),
    C("numberofdaystardy", "INT", comment="Tardies this period"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear",), "edfi.gradingperiod", ("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    pk=("educationorganizationid", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear", "studentusi",),
    kind="root",
)

reportcardgrade = table(
    "edfi", "reportcardgrade", None,
    C("educationorganizationid", "BIGINT"),
    C("gradingperioddescriptorid", "INT"),
    C("gradingperiodname", "VARCHAR(60)"),
    C("gradingperiodschoolid", "BIGINT"),
    C("gradingperiodschoolyear", "SMALLINT"),
    C("studentusi", "INT"),
    C("begindate", "DATE"),
    C("gradetypedescriptorid", "INT"),
    C("localcoursecode", "VARCHAR(60)"),
    C("schoolid", "BIGINT"),
    C("schoolyear", "SMALLINT"),
    C("sectionidentifier", "VARCHAR(255)"),
    C("sessionname", "VARCHAR(60)"),
    FK(("educationorganizationid", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear", "studentusi",), "edfi.reportcard", ("educationorganizationid", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear", "studentusi",)),
    FK(("gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolyear", "studentusi", "begindate", "gradetypedescriptorid", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",), "edfi.grade", ("gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolyear", "studentusi", "begindate", "gradetypedescriptorid", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",)),
    pk=("educationorganizationid", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear", "studentusi", "begindate", "gradetypedescriptorid", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",),
    kind="child",
)

reportcardgradepointaverage = table(
    "edfi", "reportcardgradepointaverage", None,
    C("educationorganizationid", "BIGINT"),
    C("gradingperioddescriptorid", "INT"),
    C("gradingperiodname", "VARCHAR(60)"),
    C("gradingperiodschoolid", "BIGINT"),
    C("gradingperiodschoolyear", "SMALLINT"),
    C("studentusi", "INT"),
    C("gradepointaveragetypedescriptorid", "INT"),
    C("gradepointaveragevalue", "DECIMAL(18, 4)", nn=True),
    C("iscumulative", "BOOLEAN"),
    C("maxgradepointaveragevalue", "DECIMAL(18, 4)"),
    FK(("educationorganizationid", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear", "studentusi",), "edfi.reportcard", ("educationorganizationid", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear", "studentusi",)),
    FK(("gradepointaveragetypedescriptorid",), "edfi.gradepointaveragetypedescriptor", ("gradepointaveragetypedescriptorid",)),
    pk=("educationorganizationid", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear", "studentusi", "gradepointaveragetypedescriptorid",),
    kind="child",
)

coursetranscript = table(
    "edfi", "coursetranscript", None,
    C("courseattemptresultdescriptorid", "INT"),
    C("coursecode", "VARCHAR(60)"),
    C("courseeducationorganizationid", "BIGINT"),
    C("educationorganizationid", "BIGINT"),
    C("schoolyear", "SMALLINT"),
    C("studentusi", "INT"),
    C("termdescriptorid", "INT"),
    C("alternativecoursetitle", "VARCHAR(60)"),
    C("assigningorganizationidentificationcode", "VARCHAR(60)"),
    C("attemptedcreditconversion", "DECIMAL(9, 2)"),
    C("attemptedcredits", "DECIMAL(9, 3)"),
    C("attemptedcredittypedescriptorid", "INT"),
    C("coursecatalogurl", "VARCHAR(255)"),
    C("courserepeatcodedescriptorid", "INT"),
    C("coursetitle", "VARCHAR(60)"),
    C("earnedcreditconversion", "DECIMAL(9, 2)"),
    C("earnedcredits", "DECIMAL(9, 3)"),
    C("earnedcredittypedescriptorid", "INT"),
    C("externaleducationorganizationid", "BIGINT"),
    C("externaleducationorganizationnameofinstitution", "VARCHAR(75)"),
    C("finallettergradeearned", "VARCHAR(20)"),
    C("finalnumericgradeearned", "DECIMAL(9, 2)"),
    C("methodcreditearneddescriptorid", "INT"),
    C("responsibleteacherstaffusi", "INT"),
    C("whentakengradeleveldescriptorid", "INT"),
    FK(("courseattemptresultdescriptorid",), "edfi.courseattemptresultdescriptor", ("courseattemptresultdescriptorid",)),
    FK(("coursecode", "courseeducationorganizationid",), "edfi.course", ("coursecode", "educationorganizationid",)),
    FK(("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid",), "edfi.studentacademicrecord", ("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid",)),
    FK(("attemptedcredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    FK(("earnedcredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    FK(("courserepeatcodedescriptorid",), "edfi.courserepeatcodedescriptor", ("courserepeatcodedescriptorid",)),
    FK(("externaleducationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("methodcreditearneddescriptorid",), "edfi.methodcreditearneddescriptor", ("methodcreditearneddescriptorid",)),
    FK(("responsibleteacherstaffusi",), "edfi.staff", ("staffusi",)),
    FK(("whentakengradeleveldescriptorid",), "edfi.gradeleveldescriptor", ("gradeleveldescriptorid",)),
    pk=("courseattemptresultdescriptorid", "coursecode", "courseeducationorganizationid", "educationorganizationid", "schoolyear", "studentusi", "termdescriptorid",),
    kind="root",
)

studentacademicrecord = table(
    "edfi", "studentacademicrecord", None,
    C("educationorganizationid", "BIGINT"),
    C("schoolyear", "SMALLINT"),
    C("studentusi", "INT"),
    C("termdescriptorid", "INT"),
    C("cumulativeattemptedcreditconversion", "DECIMAL(9, 2)"),
    C("cumulativeattemptedcredits", "DECIMAL(9, 3)"),
    C("cumulativeattemptedcredittypedescriptorid", "INT"),
    C("cumulativeearnedcreditconversion", "DECIMAL(9, 2)"),
    C("cumulativeearnedcredits", "DECIMAL(9, 3)"),
    C("cumulativeearnedcredittypedescriptorid", "INT"),
    C("projectedgraduationdate", "DATE"),
    C("sessionattemptedcreditconversion", "DECIMAL(9, 2)"),
    C("sessionattemptedcredits", "DECIMAL(9, 3)"),
    C("sessionattemptedcredittypedescriptorid", "INT"),
    C("sessionearnedcreditconversion", "DECIMAL(9, 2)"),
    C("sessionearnedcredits", "DECIMAL(9, 3)"),
    C("sessionearnedcredittypedescriptorid", "INT"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("schoolyear",), "edfi.schoolyeartype", ("schoolyear",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("termdescriptorid",), "edfi.termdescriptor", ("termdescriptorid",)),
    FK(("cumulativeattemptedcredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    FK(("cumulativeearnedcredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    FK(("sessionattemptedcredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    FK(("sessionearnedcredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    pk=("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid",),
    kind="root",
)

studentacademicrecordreportcard = table(
    "edfi", "studentacademicrecordreportcard", None,
    C("educationorganizationid", "BIGINT"),
    C("schoolyear", "SMALLINT"),
    C("studentusi", "INT"),
    C("termdescriptorid", "INT"),
    C("gradingperioddescriptorid", "INT"),
    C("gradingperiodname", "VARCHAR(60)"),
    C("gradingperiodschoolid", "BIGINT"),
    C("gradingperiodschoolyear", "SMALLINT"),
    FK(("educationorganizationid", "studentusi", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear",), "edfi.reportcard", ("educationorganizationid", "studentusi", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear",)),
    FK(("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid",), "edfi.studentacademicrecord", ("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid",)),
    pk=("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid", "gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear",),
    kind="child",
)

studentacademicrecordgradepointaverage = table(
    "edfi", "studentacademicrecordgradepointaverage", None,
    C("educationorganizationid", "BIGINT"),
    C("schoolyear", "SMALLINT"),
    C("studentusi", "INT"),
    C("termdescriptorid", "INT"),
    C("gradepointaveragetypedescriptorid", "INT"),
    C("gradepointaveragevalue", "DECIMAL(18, 4)", nn=True),
    C("iscumulative", "BOOLEAN"),
    C("maxgradepointaveragevalue", "DECIMAL(18, 4)"),
    FK(("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid",), "edfi.studentacademicrecord", ("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid",)),
    FK(("gradepointaveragetypedescriptorid",), "edfi.gradepointaveragetypedescriptor", ("gradepointaveragetypedescriptorid",)),
    pk=("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid", "gradepointaveragetypedescriptorid",),
    kind="child",
)

credential = table(
    "edfi", "credential", "Credential: Teaching licenses and certifications",
    C("credentialidentifier", "VARCHAR(60)", nn=True, comment="License number"),
    C("stateofissuestateabbreviationdescriptorid", "INTEGER", nn=True, comment="Issuing state"),
    C("credentialfielddescriptorid", "INTEGER", comment="Subject area certified"),
    C("credentialtypedescriptorid", "INTEGER", nn=True, comment="License, endorsement, etc."),
    C("teachingcredentialdescriptorid", "INTEGER", comment="Specific teaching credential type"),
    C("issuancedate", "DATE", nn=True, comment="When issued"),
    C("expirationdate", "DATE", comment="When expires"),
    C("teachingcredentialbasisdescriptorid", "INTEGER", comment="How credential was earned"),
    FK(("stateofissuestateabbreviationdescriptorid",), "edfi.stateabbreviationdescriptor", ("stateabbreviationdescriptorid",)),
    FK(("credentialfielddescriptorid",), "edfi.credentialfielddescriptor", ("credentialfielddescriptorid",)),
    FK(("credentialtypedescriptorid",), "edfi.credentialtypedescriptor", ("credentialtypedescriptorid",)),
    FK(("teachingcredentialdescriptorid",), "edfi.teachingcredentialdescriptor", ("teachingcredentialdescriptorid",)),
    FK(("teachingcredentialbasisdescriptorid",), "edfi.teachingcredentialbasisdescriptor", ("teachingcredentialbasisdescriptorid",)),
    pk=("credentialidentifier", "stateofissuestateabbreviationdescriptorid",),
    kind="root",
)

studentdisciplineincidentnonoffenderassociation = table(
    "edfi", "studentdisciplineincidentnonoffenderassociation",
    "Student Discipline Incident Association: Students involved other than as offenders (Ed-Fi 5.2 replaced "
    "StudentDisciplineIncidentAssociation with this table and the behavior association)",
    C("incidentidentifier", "VARCHAR(36)", nn=True, comment="Incident reference"),
    C("schoolid", "BIGINT", nn=True, comment="School reference"),
    C("studentusi", "INT", nn=True, comment="Student involved"),
    FK(("incidentidentifier", "schoolid"), "edfi.disciplineincident", ("incidentidentifier", "schoolid")),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    pk=("incidentidentifier", "schoolid", "studentusi"),
    kind="root",
)

studentdisciplineincidentnonoffenderassociationparticipation = table(
    "edfi", "studentdisciplineincidentnonoffenderassociationparticipation",
    "Participation codes (victim, witness, reporter) of a student involved in an incident as a non-offender",
    C("incidentidentifier", "VARCHAR(36)", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("studentusi", "INT", nn=True),
    C("disciplineincidentparticipationcodedescriptorid", "INT", nn=True, comment="Perpetrator, victim, witness"),
    FK(("incidentidentifier", "schoolid", "studentusi"), "edfi.studentdisciplineincidentnonoffenderassociation",
       ("incidentidentifier", "schoolid", "studentusi"), ondelete="CASCADE"),
    FK(("disciplineincidentparticipationcodedescriptorid",), "edfi.disciplineincidentparticipationcodedescriptor",
       ("disciplineincidentparticipationcodedescriptorid",)),
    pk=("disciplineincidentparticipationcodedescriptorid", "incidentidentifier", "schoolid", "studentusi"),
    kind="child",
)

studentacademicrecorddiploma = table(
    "edfi", "studentacademicrecorddiploma",
    "Diploma: Graduation records (Ed-Fi 5.2 keeps diplomas under StudentAcademicRecord)",
    C("educationorganizationid", "BIGINT", nn=True),
    C("schoolyear", "SMALLINT", nn=True),
    C("studentusi", "INT", nn=True, comment="Graduate"),
    C("termdescriptorid", "INT", nn=True),
    C("diplomatypedescriptorid", "INTEGER", nn=True, comment="Regular, honors, IB"),
    C("diplomaawarddate", "DATE", nn=True, comment="Graduation date"),
    C("achievementcategorydescriptorid", "INTEGER", comment="Summa, magna, cum laude"),
    C("diplomaleveldescriptorid", "INTEGER", comment="Level of diploma"),
    C("ctecompleter", "BOOLEAN", comment="Career/Tech Ed completer"),
    C("diplomadescription", "VARCHAR(80)", comment="Additional details"),
    C("diplomaawardexpiresdate", "DATE", comment="For temporary diplomas"),
    FK(("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid"), "edfi.studentacademicrecord",
       ("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid")),
    FK(("diplomatypedescriptorid",), "edfi.diplomatypedescriptor", ("diplomatypedescriptorid",)),
    FK(("achievementcategorydescriptorid",), "edfi.achievementcategorydescriptor", ("achievementcategorydescriptorid",)),
    FK(("diplomaleveldescriptorid",), "edfi.diplomaleveldescriptor", ("diplomaleveldescriptorid",)),
    pk=("diplomaawarddate", "diplomatypedescriptorid", "educationorganizationid", "schoolyear", "studentusi",
        "termdescriptorid"),
    kind="child",
)

studentcompetencyobjective = table(
    "edfi", "studentcompetencyobjective", "Student Competency Objective: Standards mastery",
    C("studentusi", "INTEGER", nn=True, comment="Student"),
    C("gradingperioddescriptorid", "INTEGER", nn=True, comment="When assessed"),
    C("gradingperiodschoolid", "BIGINT", nn=True, comment="School"),
    C("gradingperiodschoolyear", "SMALLINT", nn=True, comment="Year"),
    C("gradingperiodname", "VARCHAR(60)", nn=True),
    C("objective", "VARCHAR(60)", nn=True, comment="Learning objective"),
    C("objectiveeducationorganizationid", "BIGINT", nn=True, comment="Who defined objective"),
    C("objectivegradeleveldescriptorid", "INTEGER", nn=True, comment="Grade level of objective"),
    C("competencyleveldescriptorid", "INTEGER", nn=True, comment="Mastery level achieved"),
    C("diagnosticstatement", "VARCHAR(1024)", comment="Additional feedback"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear"),
       "edfi.gradingperiod", ("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear")),
    FK(("objectivegradeleveldescriptorid",), "edfi.gradeleveldescriptor", ("gradeleveldescriptorid",)),
    FK(("competencyleveldescriptorid",), "edfi.competencyleveldescriptor", ("competencyleveldescriptorid",)),
    pk=("gradingperioddescriptorid", "gradingperiodname", "gradingperiodschoolid", "gradingperiodschoolyear",
        "objective", "objectiveeducationorganizationid", "objectivegradeleveldescriptorid", "studentusi"),
    kind="root",
)


# Design document section 14: attendance tracking.
# A form's request id is the record's Ed-Fi Id: a repeated submit finds what it made (migration 0007).
Index("ux_disciplineincident_id", disciplineincident.c.id, unique=True)
Index("ux_disciplineaction_id", disciplineaction.c.id, unique=True)
Index("idx_attendance_student_date", studentschoolattendanceevent.c.studentusi, studentschoolattendanceevent.c.eventdate)
Index("idx_attendance_school_date", studentschoolattendanceevent.c.schoolid, studentschoolattendanceevent.c.eventdate)
# A student's marks on a day (the daily roll-up, the student's own history).
Index("ix_studentsectionattendanceevent_student_date", studentsectionattendanceevent.c.studentusi,
      studentsectionattendanceevent.c.eventdate)
# A school's taken sections on a day (who has not taken attendance; a student's taken days).
Index("ix_sectionattendancetakenevent_school_date_section", sectionattendancetakenevent.c.schoolid,
      sectionattendancetakenevent.c.date, sectionattendancetakenevent.c.sectionidentifier)
Index("ix_studentsectionattendanceevent_section_date", studentsectionattendanceevent.c.schoolid,
      studentsectionattendanceevent.c.sectionidentifier, studentsectionattendanceevent.c.eventdate)
