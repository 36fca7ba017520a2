"""Grades, report cards and transcripts: what Ed-Fi 5.2 has but the core extract lacked, and what
Ed-Fi leaves to the school (migration 0019).

Ed-Fi 5.2 tables (same keys as the ODS): a student academic record's class ranking, a course's
level characteristics (honors, AP, IB, dual credit) and a grade's per-standard grades
(GradeLearningStandardGrade, for elementary standards-based report cards).

School Office's own tables, in the `grades` schema: grading scales with their bands, comment codes,
posting windows per grading period, a GPA policy per school with its course-level weights, the
standards each grade level reports, corrections of posted grades with their reason, the registry
of issued documents (document number and SHA-256 of the file) and the FERPA release log.
"""

from sqlalchemy import Index

from app.db.dsl import CK, FK, UQ, C, table

# -- Ed-Fi 5.2 ------------------------------------------------------------------------------------
studentacademicrecordclassranking = table(
    "edfi", "studentacademicrecordclassranking",
    "Class rank of a student academic record (Ed-Fi 5.2 StudentAcademicRecordClassRanking)",
    C("educationorganizationid", "BIGINT", nn=True),
    C("schoolyear", "SMALLINT", nn=True),
    C("studentusi", "INT", nn=True),
    C("termdescriptorid", "INT", nn=True),
    C("classrank", "INT", nn=True, comment="Rank in class; tied students share a rank"),
    C("classrankingdate", "DATE", comment="When the rank was computed"),
    C("percentageranking", "INT", comment="Share of the class at or below the student"),
    C("totalnumberinclass", "INT", nn=True, comment="Students ranked"),
    FK(("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid"), "edfi.studentacademicrecord",
       ("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid"), ondelete="CASCADE"),
    pk=("educationorganizationid", "schoolyear", "studentusi", "termdescriptorid"),
    kind="child",
)

courselevelcharacteristic = table(
    "edfi", "courselevelcharacteristic", "Levels of a course: honors, AP, IB, dual credit (Ed-Fi 5.2)",
    C("coursecode", "VARCHAR(60)", nn=True),
    C("educationorganizationid", "BIGINT", nn=True),
    C("courselevelcharacteristicdescriptorid", "INT", nn=True),
    FK(("coursecode", "educationorganizationid"), "edfi.course", ("coursecode", "educationorganizationid"),
       ondelete="CASCADE"),
    FK(("courselevelcharacteristicdescriptorid",), "edfi.courselevelcharacteristicdescriptor",
       ("courselevelcharacteristicdescriptorid",)),
    pk=("coursecode", "courselevelcharacteristicdescriptorid", "educationorganizationid"),
    kind="child",
)

_GRADE_KEY = ("begindate", "gradetypedescriptorid", "gradingperioddescriptorid", "gradingperiodname",
              "gradingperiodschoolyear", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier",
              "sessionname", "studentusi")

gradelearningstandardgrade = table(
    "edfi", "gradelearningstandardgrade",
    "A grade's mark on one learning standard (Ed-Fi 5.2 GradeLearningStandardGrade)",
    C("begindate", "DATE", nn=True),
    C("gradetypedescriptorid", "INT", nn=True),
    C("gradingperioddescriptorid", "INT", nn=True),
    C("gradingperiodname", "VARCHAR(60)", nn=True),
    C("gradingperiodschoolyear", "SMALLINT", nn=True),
    C("localcoursecode", "VARCHAR(60)", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("schoolyear", "SMALLINT", nn=True),
    C("sectionidentifier", "VARCHAR(255)", nn=True),
    C("sessionname", "VARCHAR(60)", nn=True),
    C("studentusi", "INT", nn=True),
    C("learningstandardid", "VARCHAR(60)", nn=True),
    C("diagnosticstatement", "VARCHAR(1024)"),
    C("lettergradeearned", "VARCHAR(20)", comment="4, 3, 2, 1 or NA (work habits: E, S, N, U)"),
    C("numericgradeearned", "DECIMAL(9, 2)"),
    C("performancebaseconversiondescriptorid", "INT"),
    FK(_GRADE_KEY, "edfi.grade", _GRADE_KEY, ondelete="CASCADE"),
    FK(("learningstandardid",), "edfi.learningstandard", ("learningstandardid",)),
    FK(("performancebaseconversiondescriptorid",), "edfi.performancebaseconversiondescriptor",
       ("performancebaseconversiondescriptorid",)),
    pk=(*_GRADE_KEY, "learningstandardid"),
    kind="child",
)

# -- School Office: scales, policy, windows -------------------------------------------------------
grading_scale = table(
    "grades", "grading_scale", "A grading scale: letter (with points), standards (4-1, NA) or work habits",
    C("scale_id", "SERIAL"),
    C("schoolid", "BIGINT", comment="The school using it; NULL: the district's"),
    C("name", "VARCHAR(60)", nn=True),
    C("kind", "VARCHAR(20)", nn=True),
    C("max_points", "DECIMAL(5, 2)", nn=True, default="4"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    UQ("schoolid", "name"),
    CK("kind IN ('letter', 'standards', 'work_habits')", "kind"),
    pk=("scale_id",),
)

grading_scale_band = table(
    "grades", "grading_scale_band", "One mark of a scale: its score range and its points (unweighted)",
    C("scale_id", "INT", nn=True),
    C("symbol", "VARCHAR(8)", nn=True),
    C("sort_order", "INT", nn=True),
    C("min_score", "DECIMAL(6, 2)"),
    C("max_score", "DECIMAL(6, 2)"),
    C("points", "DECIMAL(5, 3)", comment="NULL: the mark earns no GPA points (P, I, NA)"),
    C("passing", "BOOLEAN", nn=True, default="true"),
    C("description", "VARCHAR(100)"),
    FK(("scale_id",), "grades.grading_scale", ("scale_id",), ondelete="CASCADE"),
    pk=("scale_id", "symbol"),
)

gpa_policy = table(
    "grades", "gpa_policy", "A school's GPA policy: base scale, weighting of course levels, ranking",
    C("schoolid", "BIGINT", nn=True),
    C("scale_id", "INT", nn=True, comment="Base (letter) scale"),
    C("standards_scale_id", "INT", comment="Elementary standards-based scale; no GPA"),
    C("work_habits_scale_id", "INT"),
    C("weighting", "VARCHAR(16)", nn=True, default="'additive'"),
    C("min_points_for_bonus", "DECIMAL(5, 3)", nn=True, default="2",
      comment="Unweighted points a grade needs to earn the course-level weight"),
    C("ranks", "BOOLEAN", nn=True, default="true", comment="Whether the school ranks its classes"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("scale_id",), "grades.grading_scale", ("scale_id",)),
    FK(("standards_scale_id",), "grades.grading_scale", ("scale_id",)),
    FK(("work_habits_scale_id",), "grades.grading_scale", ("scale_id",)),
    CK("weighting IN ('additive', 'multiplicative')", "weighting"),
    pk=("schoolid",),
)

gpa_level_weight = table(
    "grades", "gpa_level_weight", "Bonus points (additive) or factor (multiplicative) per course level",
    C("schoolid", "BIGINT", nn=True),
    C("courselevelcharacteristicdescriptorid", "INT", nn=True),
    C("weight", "DECIMAL(5, 3)", nn=True),
    FK(("schoolid",), "grades.gpa_policy", ("schoolid",), ondelete="CASCADE"),
    FK(("courselevelcharacteristicdescriptorid",), "edfi.courselevelcharacteristicdescriptor",
       ("courselevelcharacteristicdescriptorid",)),
    pk=("schoolid", "courselevelcharacteristicdescriptorid"),
)

comment_code = table(
    "grades", "comment_code", "Report card comment codes of a school",
    C("schoolid", "BIGINT", nn=True),
    C("code", "VARCHAR(8)", nn=True),
    C("comment_text", "VARCHAR(200)", nn=True),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    pk=("schoolid", "code"),
)

posting_window = table(
    "grades", "posting_window", "When teachers may post grades for a grading period (opened and closed by the office)",
    C("gradingperioddescriptorid", "INT", nn=True),
    C("gradingperiodname", "VARCHAR(60)", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("schoolyear", "SMALLINT", nn=True),
    C("opened_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("closes_at", "TIMESTAMPTZ", comment="Deadline; NULL: until closed"),
    C("closed_at", "TIMESTAMPTZ", comment="Closed (posted) by the office"),
    C("opened_by", "VARCHAR(63)", nn=True, default="session_user"),
    C("closed_by", "VARCHAR(63)"),
    C("reopened_at", "TIMESTAMPTZ",
      comment="Last time the posted period was opened again: grades created before it are posted grades"),
    FK(("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear"), "edfi.gradingperiod",
       ("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear")),
    pk=("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear"),
)

reported_standard = table(
    "grades", "reported_standard", "Standards (and work habits) a grade level's standards-based report card shows",
    C("schoolid", "BIGINT", nn=True),
    C("gradeleveldescriptorid", "INT", nn=True),
    C("learningstandardid", "VARCHAR(60)", nn=True),
    C("area", "VARCHAR(40)", nn=True, comment="Reading, Mathematics, ... or Work habits"),
    C("scale_id", "INT", nn=True),
    C("sort_order", "INT", nn=True),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("gradeleveldescriptorid",), "edfi.gradeleveldescriptor", ("gradeleveldescriptorid",)),
    FK(("learningstandardid",), "edfi.learningstandard", ("learningstandardid",)),
    FK(("scale_id",), "grades.grading_scale", ("scale_id",)),
    pk=("schoolid", "gradeleveldescriptorid", "learningstandardid"),
)

# -- School Office: per-student records ------------------------------------------------------------
grade_correction = table(
    "grades", "grade_correction", "A change to a posted grade: old and new mark and the reason (audited)",
    C("correction_id", "BIGSERIAL"),
    C("studentusi", "INT", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("sectionidentifier", "VARCHAR(255)", nn=True),
    C("localcoursecode", "VARCHAR(60)", nn=True),
    C("schoolyear", "SMALLINT", nn=True),
    C("sessionname", "VARCHAR(60)", nn=True),
    C("gradingperiodname", "VARCHAR(60)", nn=True),
    C("gradetypedescriptorid", "INT", nn=True),
    C("old_letter", "VARCHAR(20)"),
    C("old_numeric", "DECIMAL(9, 2)"),
    C("new_letter", "VARCHAR(20)"),
    C("new_numeric", "DECIMAL(9, 2)"),
    C("reason", "VARCHAR(500)", nn=True),
    C("corrected_by", "VARCHAR(63)", nn=True, default="session_user"),
    C("corrected_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    CK("length(btrim(reason)) > 0", "reason"),
    pk=("correction_id",),
)

issued_document = table(
    "grades", "issued_document", "Every transcript and report card issued: document number and SHA-256 of the file",
    C("document_number", "VARCHAR(24)", nn=True),
    C("studentusi", "INT", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("kind", "VARCHAR(20)", nn=True),
    C("official", "BOOLEAN", nn=True),
    C("sha256", "VARCHAR(64)", nn=True),
    C("pages", "INT", nn=True),
    C("issued_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("issued_by", "VARCHAR(63)", nn=True, default="session_user"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    CK("kind IN ('transcript', 'report_card')", "kind"),
    CK("sha256 ~ '^[0-9a-f]{64}$'", "sha256"),
    pk=("document_number",),
)

transcript_release = table(
    "grades", "transcript_release", "FERPA 34 CFR 99.32 record of each disclosure of a transcript",
    C("release_id", "BIGSERIAL"),
    C("studentusi", "INT", nn=True),
    C("document_number", "VARCHAR(24)", nn=True),
    C("requested_by", "VARCHAR(120)", nn=True, comment="Who asked"),
    C("recipient", "VARCHAR(200)", nn=True),
    C("legal_basis", "VARCHAR(60)", nn=True),
    C("released_on", "DATE", nn=True, default="CURRENT_DATE"),
    C("released_by", "VARCHAR(63)", nn=True, default="session_user"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("document_number",), "grades.issued_document", ("document_number",)),
    CK("legal_basis IN ('Written consent', 'School of intended enrollment', 'Eligible student', "
       "'Parent of dependent student', 'Subpoena or court order', 'Financial aid', 'Accrediting organization', "
       "'Health or safety emergency', 'School official')", "legal_basis"),
    pk=("release_id",),
)

Index("ix_issued_document_studentusi", issued_document.c.studentusi)
Index("ix_transcript_release_studentusi", transcript_release.c.studentusi)
Index("ix_grade_correction_studentusi", grade_correction.c.studentusi)
