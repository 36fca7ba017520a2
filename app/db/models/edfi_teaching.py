"""Ed-Fi 5.2 teaching and learning: courses, offerings, sections, rosters, gradebook, assessments.

Column types, keys and references follow the Ed-Fi 5.2 ODS (edfi52_core_columns.csv); comments are
the design document's. See docs/schema-deviations.md for where the two differ.
"""

from sqlalchemy import Index, text

from app.db.dsl import CK, FK, IX, UQ, C, table  # noqa: F401

studentsectionassociation = table(
    "edfi", "studentsectionassociation", None,
    C("begindate", "DATE"),
    C("localcoursecode", "VARCHAR(60)"),
    C("schoolid", "BIGINT"),
    C("schoolyear", "SMALLINT"),
    C("sectionidentifier", "VARCHAR(255)"),
    C("sessionname", "VARCHAR(60)"),
    C("studentusi", "INT"),
    C("attemptstatusdescriptorid", "INT"),
    C("dualcrediteducationorganizationid", "BIGINT"),
    C("dualcreditindicator", "BOOLEAN"),
    C("dualcreditinstitutiondescriptorid", "INT"),
    C("dualcredittypedescriptorid", "INT"),
    C("dualhighschoolcreditindicator", "BOOLEAN"),
    C("enddate", "DATE"),
    C("homeroomindicator", "BOOLEAN"),
    C("repeatidentifierdescriptorid", "INT"),
    C("teacherstudentdatalinkexclusion", "BOOLEAN"),
    FK(("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",), "edfi.section", ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("attemptstatusdescriptorid",), "edfi.attemptstatusdescriptor", ("attemptstatusdescriptorid",)),
    FK(("dualcrediteducationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("dualcreditinstitutiondescriptorid",), "edfi.dualcreditinstitutiondescriptor", ("dualcreditinstitutiondescriptorid",)),
    FK(("dualcredittypedescriptorid",), "edfi.dualcredittypedescriptor", ("dualcredittypedescriptorid",)),
    FK(("repeatidentifierdescriptorid",), "edfi.repeatidentifierdescriptor", ("repeatidentifierdescriptorid",)),
    # migration 0075: led by the section's key and the student (it answers a section's students: no second index)
    pk=("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname", "studentusi", "begindate",),
    kind="root",
)

staffsectionassociation = table(
    "edfi", "staffsectionassociation", "Staff Section Association: Teacher assignments to classes",
    C("begindate", "DATE", comment="Start of assignment"),
    C("localcoursecode", "VARCHAR(60)", comment="Course code"),
    C("schoolid", "BIGINT", comment="School"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("sectionidentifier", "VARCHAR(255)", comment="Section they teach"),
    C("sessionname", "VARCHAR(60)"),
    C("staffusi", "INT", comment="Teacher/aide"),
    C("classroompositiondescriptorid", "INT", nn=True, comment="Teacher of record, assistant, aide"),
    C("enddate", "DATE", comment="End of assignment (null if ongoing)"),
    C("highlyqualifiedteacher", "BOOLEAN", comment="Federal HQT status"),
    C("percentagecontribution", "DECIMAL(5, 4)", comment="For co-teaching scenarios"),
    C("teacherstudentdatalinkexclusion", "BOOLEAN"),
    FK(("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",), "edfi.section", ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",)),
    FK(("staffusi",), "edfi.staff", ("staffusi",)),
    FK(("classroompositiondescriptorid",), "edfi.classroompositiondescriptor", ("classroompositiondescriptorid",)),
    pk=("begindate", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname", "staffusi",),
    kind="root",
)

section = table(
    "edfi", "section", "Section: Individual class instances where instruction occurs",
    C("localcoursecode", "VARCHAR(60)", comment="Links to CourseOffering"),
    C("schoolid", "BIGINT", comment="School where section is taught"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("sectionidentifier", "VARCHAR(255)", comment="Unique section ID (e.g., \"MATH101-01-FALL2025-P3\")"),
    C("sessionname", "VARCHAR(60)"),
    C("availablecreditconversion", "DECIMAL(9, 2)"),
    C("availablecredits", "DECIMAL(9, 3)", comment="Credit hours offered"),
    C("availablecredittypedescriptorid", "INT", comment="Type of credit (Carnegie, semester hour)"),
    C("educationalenvironmentdescriptorid", "INT", comment="In-person, virtual, hybrid"),
    C("instructionlanguagedescriptorid", "INT"),
    C("locationclassroomidentificationcode", "VARCHAR(60)"),
    C("locationschoolid", "BIGINT"),
    C("mediumofinstructiondescriptorid", "INT", comment="Language of instruction"),
    C("officialattendanceperiod", "BOOLEAN"),
    C("populationserveddescriptorid", "INT", comment="Regular, gifted, special ed"),
    C("sectionname", "VARCHAR(100)", comment="Human-readable section name"),
    C("sectiontypedescriptorid", "INT"),
    C("sequenceofcourse", "INT", comment="Order for multi-part courses (1, 2, 3...)"),
    FK(("localcoursecode", "schoolid", "schoolyear", "sessionname",), "edfi.courseoffering", ("localcoursecode", "schoolid", "schoolyear", "sessionname",)),
    FK(("availablecredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    FK(("educationalenvironmentdescriptorid",), "edfi.educationalenvironmentdescriptor", ("educationalenvironmentdescriptorid",)),
    FK(("instructionlanguagedescriptorid",), "edfi.languagedescriptor", ("languagedescriptorid",)),
    FK(("locationclassroomidentificationcode", "locationschoolid",), "edfi.location", ("classroomidentificationcode", "schoolid",)),
    FK(("locationschoolid",), "edfi.school", ("schoolid",)),
    FK(("mediumofinstructiondescriptorid",), "edfi.mediumofinstructiondescriptor", ("mediumofinstructiondescriptorid",)),
    FK(("populationserveddescriptorid",), "edfi.populationserveddescriptor", ("populationserveddescriptorid",)),
    FK(("sectiontypedescriptorid",), "edfi.sectiontypedescriptor", ("sectiontypedescriptorid",)),
    pk=("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",),
    kind="root",
)

courseoffering = table(
    "edfi", "courseoffering", "Course Offering: Links courses to specific schools and terms",
    C("localcoursecode", "VARCHAR(60)", comment="School's internal course code (e.g., \"MATH101-01\")"),
    C("schoolid", "BIGINT", comment="Reference to school offering the course"),
    C("schoolyear", "SMALLINT", comment="Academic year (e.g., 2025)"),
    C("sessionname", "VARCHAR(60)"),
    C("coursecode", "VARCHAR(60)", nn=True, comment="Reference to master course catalog"),
    C("educationorganizationid", "BIGINT", nn=True, comment="District or LEA managing course"),
    C("instructionaltimeplanned", "INT", comment="Total planned instructional minutes"),
    C("localcoursetitle", "VARCHAR(60)", comment="School-specific course name"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("schoolid", "schoolyear", "sessionname",), "edfi.session", ("schoolid", "schoolyear", "sessionname",)),
    FK(("coursecode", "educationorganizationid",), "edfi.course", ("coursecode", "educationorganizationid",)),
    pk=("localcoursecode", "schoolid", "schoolyear", "sessionname",),
    kind="root",
)

course = table(
    "edfi", "course", "Course: Master course catalog defining curriculum",
    C("coursecode", "VARCHAR(60)", comment="District-wide course identifier"),
    C("educationorganizationid", "BIGINT", comment="District/LEA owning the course"),
    C("careerpathwaydescriptorid", "INT"),
    C("coursedefinedbydescriptorid", "INT", comment="SEA, LEA, School, National org"),
    C("coursedescription", "VARCHAR(1024)", comment="Detailed course description"),
    C("coursegpaapplicabilitydescriptorid", "INT", comment="Weighted, unweighted, not applicable"),
    C("coursetitle", "VARCHAR(60)", nn=True, comment="Official course name"),
    C("datecourseadopted", "DATE"),
    C("highschoolcourserequirement", "BOOLEAN"),
    C("maxcompletionsforcredit", "INT", comment="How many times for credit"),
    C("maximumavailablecreditconversion", "DECIMAL(9, 2)"),
    C("maximumavailablecredits", "DECIMAL(9, 3)", comment="Maximum credits possible"),
    C("maximumavailablecredittypedescriptorid", "INT"),
    C("minimumavailablecreditconversion", "DECIMAL(9, 2)"),
    C("minimumavailablecredits", "DECIMAL(9, 3)", comment="Minimum credits possible"),
    C("minimumavailablecredittypedescriptorid", "INT"),
    C("numberofparts", "INT", nn=True, comment="For multi-semester courses"),
    C("timerequiredforcompletion", "INT"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("careerpathwaydescriptorid",), "edfi.careerpathwaydescriptor", ("careerpathwaydescriptorid",)),
    FK(("coursedefinedbydescriptorid",), "edfi.coursedefinedbydescriptor", ("coursedefinedbydescriptorid",)),
    FK(("coursegpaapplicabilitydescriptorid",), "edfi.coursegpaapplicabilitydescriptor", ("coursegpaapplicabilitydescriptorid",)),
    FK(("maximumavailablecredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    FK(("minimumavailablecredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    pk=("coursecode", "educationorganizationid",),
    kind="root",
)

sectionclassperiod = table(
    "edfi", "sectionclassperiod", None,
    C("localcoursecode", "VARCHAR(60)"),
    C("schoolid", "BIGINT"),
    C("schoolyear", "SMALLINT"),
    C("sectionidentifier", "VARCHAR(255)"),
    C("sessionname", "VARCHAR(60)"),
    C("classperiodname", "VARCHAR(60)"),
    FK(("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",), "edfi.section", ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",)),
    FK(("schoolid", "classperiodname",), "edfi.classperiod", ("schoolid", "classperiodname",)),
    pk=("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname", "classperiodname",),
    kind="child",
)

learningstandard = table(
    "edfi", "learningstandard", "Learning Standards: State/national standards alignment",
    C("learningstandardid", "VARCHAR(60)", nn=True, comment="Unique standard identifier"),
    C("description", "VARCHAR(1024)", nn=True, comment="Full text of the standard"),
    C("namespace", "VARCHAR(255)", nn=True, comment="Organization defining standard"),
    C("coursetitle", "VARCHAR(60)", comment="Associated course"),
    C("successcriteria", "TEXT", comment="How to measure mastery"),
    C("itemcode", "VARCHAR(50)", comment="Standard's code (e.g., \"CCSS.MATH.CONTENT.1.OA.A.1\")"),
    C("uri", "VARCHAR(255)", comment="Link to standard documentation"),
    pk=("learningstandardid",),
    kind="root",
)

learningobjective = table(
    "edfi", "learningobjective", "Learning Objectives: Specific learning goals",
    C("learningobjectiveid", "VARCHAR(60)", nn=True, comment="Unique objective identifier"),
    C("namespace", "VARCHAR(255)", nn=True, comment="Organization defining objective"),
    C("objective", "VARCHAR(60)", nn=True, comment="Short objective name"),
    C("description", "VARCHAR(1024)", comment="Detailed objective description"),
    C("nomenclature", "VARCHAR(100)", comment="Classification system used"),
    C("successcriteria", "TEXT", comment="How to measure achievement"),
    pk=("learningobjectiveid", "namespace",),
    kind="root",
)

gradebookentry = table(
    "edfi", "gradebookentry", "Grade Book Entry: Individual assignments/assessments",
    C("gradebookentryidentifier", "VARCHAR(60)", nn=True, comment="Unique assignment ID"),
    C("namespace", "VARCHAR(255)", nn=True, comment="System that created entry"),
    C("title", "VARCHAR(100)", nn=True, comment="Assignment name"),
    C("description", "VARCHAR(1024)", comment="Assignment details"),
    C("dateassigned", "DATE", nn=True, comment="When assigned to students"),
    C("duedate", "DATE", comment="When due"),
    C("duetime", "TIME", comment="Specific time if applicable"),
    C("gradebookentrytypedescriptorid", "INTEGER", comment="Homework, quiz, test, project"),
    C("sectionidentifier", "VARCHAR(255)", nn=True, comment="Which section"),
    C("localcoursecode", "VARCHAR(60)", nn=True, comment="Which course"),
    C("schoolid", "BIGINT", nn=True, comment="Which school"),
    C("schoolyear", "SMALLINT", nn=True, comment="Academic year"),
    C("sessionname", "VARCHAR(60)", nn=True),
    C("gradingperioddescriptorid", "INT"),
    C("gradingperiodname", "VARCHAR(60)"),
    C("maxpoints", "DECIMAL(9, 2)"),
    FK(("gradebookentrytypedescriptorid",), "edfi.gradebookentrytypedescriptor", ("gradebookentrytypedescriptorid",)),
    FK(("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname"), "edfi.section",
       ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname")),
    FK(("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear"), "edfi.gradingperiod",
       ("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear")),
    pk=("gradebookentryidentifier", "namespace",),
    kind="root",
)

studentgradebookentry = table(
    "edfi", "studentgradebookentry", "Student Grade Book Entry: Individual student scores",
    C("studentusi", "INTEGER", nn=True, comment="Student identifier"),
    C("gradebookentryidentifier", "VARCHAR(60)", nn=True, comment="Assignment reference"),
    C("namespace", "VARCHAR(255)", nn=True, comment="System namespace"),
    C("datefulfilled", "TIMESTAMP", comment="When student completed"),
    C("lettergradeearned", "VARCHAR(20)", comment="A, B, C, etc."),
    C("numericgradeearned", "DECIMAL(9,2)", comment="95.5, 87.0, etc."),
    C("diagnosticstatement", "VARCHAR(1024)", comment="Teacher feedback"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("gradebookentryidentifier", "namespace"), "edfi.gradebookentry", ("gradebookentryidentifier", "namespace")),
    pk=("gradebookentryidentifier", "namespace", "studentusi",),
    kind="root",
)

assessment = table(
    "edfi", "assessment", "Assessment: Test definitions",
    C("assessmentidentifier", "VARCHAR(60)", nn=True, comment="Unique test ID"),
    C("namespace", "VARCHAR(255)", nn=True, comment="Organization creating assessment"),
    C("assessmenttitle", "VARCHAR(100)", nn=True, comment="Test name"),
    C("assessmentcategorydescriptorid", "INTEGER", comment="Formative, summative, diagnostic"),
    C("assessmentform", "VARCHAR(60)", comment="Version or form of test"),
    C("assessmentversion", "INTEGER", comment="Numeric version"),
    C("revisiondate", "DATE", comment="Last revision date"),
    C("maxrawscore", "DECIMAL(15,5)", comment="Maximum possible score"),
    C("nomenclature", "VARCHAR(100)", comment="Classification system"),
    C("assessmentfamily", "VARCHAR(60)", comment="Group of related assessments"),
    C("educationorganizationid", "BIGINT", comment="Organization owning assessment"),
    C("adaptiveassessment", "BOOLEAN", comment="Whether test adapts to responses"),
    FK(("assessmentcategorydescriptorid",), "edfi.assessmentcategorydescriptor", ("assessmentcategorydescriptorid",)),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    pk=("assessmentidentifier", "namespace",),
    kind="root",
)

studentassessment = table(
    "edfi", "studentassessment", "Student Assessment: Individual test administrations",
    C("studentassessmentidentifier", "VARCHAR(60)", nn=True, comment="Unique test instance ID"),
    C("studentusi", "INTEGER", nn=True, comment="Student taking test"),
    C("assessmentidentifier", "VARCHAR(60)", nn=True, comment="Which test"),
    C("namespace", "VARCHAR(255)", nn=True, comment="Test namespace"),
    C("administrationdate", "TIMESTAMP", nn=True, comment="When test was given"),
    C("administrationenddate", "TIMESTAMP", comment="For multi-day tests"),
    C("administrationenvironmentdescriptorid", "INTEGER", comment="Testing location type"),
    C("administrationlanguagedescriptorid", "INTEGER", comment="Language of test"),
    C("serialnumber", "VARCHAR(60)", comment="Test booklet serial number"),
    C("whenassessedgradeleveldescriptorid", "INTEGER", comment="Student's grade at time of test"),
    C("eventcircumstancedescriptorid", "INTEGER", comment="Special circumstances"),
    C("eventdescription", "VARCHAR(1024)", comment="Details of circumstances"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("administrationenvironmentdescriptorid",), "edfi.administrationenvironmentdescriptor", ("administrationenvironmentdescriptorid",)),
    FK(("administrationlanguagedescriptorid",), "edfi.languagedescriptor", ("languagedescriptorid",)),
    FK(("whenassessedgradeleveldescriptorid",), "edfi.gradeleveldescriptor", ("gradeleveldescriptorid",)),
    FK(("eventcircumstancedescriptorid",), "edfi.eventcircumstancedescriptor", ("eventcircumstancedescriptorid",)),
    FK(("assessmentidentifier", "namespace"), "edfi.assessment", ("assessmentidentifier", "namespace")),
    IX("idx_student_assessment_date", "administrationdate"),
    IX("idx_student_assessment_student", "studentusi"),
    pk=("assessmentidentifier", "namespace", "studentassessmentidentifier", "studentusi",),
    kind="root",
)

studentassessmentscoreresult = table(
    "edfi", "studentassessmentscoreresult", "Student Assessment Score Result: Test scores",
    C("studentassessmentidentifier", "VARCHAR(60)", nn=True, comment="Test instance"),
    C("studentusi", "INTEGER", nn=True, comment="Student"),
    C("assessmentidentifier", "VARCHAR(60)", nn=True, comment="Test"),
    C("namespace", "VARCHAR(255)", nn=True, comment="Namespace"),
    C("assessmentreportingmethoddescriptorid", "INTEGER", nn=True, comment="Scale score, percentile, etc."),
    C("result", "VARCHAR(35)", nn=True, comment="The actual score"),
    C("resultdatatypetypedescriptorid", "INTEGER", nn=True, comment="Integer, decimal, level"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("assessmentreportingmethoddescriptorid",), "edfi.assessmentreportingmethoddescriptor", ("assessmentreportingmethoddescriptorid",)),
    FK(("resultdatatypetypedescriptorid",), "edfi.resultdatatypetypedescriptor", ("resultdatatypetypedescriptorid",)),
    FK(("assessmentidentifier", "namespace", "studentassessmentidentifier", "studentusi"), "edfi.studentassessment",
       ("assessmentidentifier", "namespace", "studentassessmentidentifier", "studentusi"), ondelete="CASCADE"),
    pk=("assessmentidentifier", "assessmentreportingmethoddescriptorid", "namespace", "studentassessmentidentifier",
        "studentusi",),
    kind="child",
)

objectiveassessment = table(
    "edfi", "objectiveassessment", "Objective Assessment: Sub-scores within assessments",
    C("assessmentidentifier", "VARCHAR(60)", nn=True, comment="Parent assessment"),
    C("identificationcode", "VARCHAR(60)", nn=True, comment="Sub-test code"),
    C("namespace", "VARCHAR(255)", nn=True, comment="Namespace"),
    C("maxrawscore", "DECIMAL(15,5)", comment="Max score for this section"),
    C("percentofassessment", "DECIMAL(5,4)", comment="Weight in overall score"),
    C("nomenclature", "VARCHAR(100)", comment="Classification"),
    C("description", "VARCHAR(1024)", comment="What this section measures"),
    C("parentidentificationcode", "VARCHAR(60)", comment="For nested objectives"),
    FK(("assessmentidentifier", "namespace"), "edfi.assessment", ("assessmentidentifier", "namespace")),
    pk=("assessmentidentifier", "identificationcode", "namespace",),
    kind="root",
)


courseacademicsubject = table(
    "edfi", "courseacademicsubject",
    "Subjects of a course (Ed-Fi 5.2 moved Course.AcademicSubjectDescriptorId into this collection)",
    C("coursecode", "VARCHAR(60)", nn=True),
    C("educationorganizationid", "BIGINT", nn=True),
    C("academicsubjectdescriptorid", "INT", nn=True, comment="Math, Science, English, etc."),
    FK(("coursecode", "educationorganizationid"), "edfi.course", ("coursecode", "educationorganizationid"),
       ondelete="CASCADE"),
    FK(("academicsubjectdescriptorid",), "edfi.academicsubjectdescriptor", ("academicsubjectdescriptorid",)),
    pk=("academicsubjectdescriptorid", "coursecode", "educationorganizationid"),
    kind="child",
)


# A student's schedule (attendance roll-up, row-level security) and a teacher's sections.
Index("ix_studentsectionassociation_studentusi", studentsectionassociation.c.studentusi)
# Migration 0066: a student's homeroom (the library's patron row, every homeroom look-up by student)
Index("ix_studentsectionassociation_homeroom", studentsectionassociation.c.studentusi,
      studentsectionassociation.c.begindate.desc(), postgresql_where=text("homeroomindicator"))
# Migration 0007: the section's students and teachers by the section's key (row-level security's teacher_scope);
# a section's students since 0075 by the primary key, which the section's key and the student lead
Index("ix_staffsectionassociation_staffusi", staffsectionassociation.c.staffusi)
Index("ix_staffsectionassociation_section", *(staffsectionassociation.c[k] for k in (
    "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname", "staffusi")))
