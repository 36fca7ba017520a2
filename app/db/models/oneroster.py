"""OneRoster 1.2 rostering, gradebook and resources tables.

The design document's ten tables, brought up to the OneRoster 1.2 CSV binding (columns it added
or renamed since 1.1), plus the 1.2 tables the design document omits. Every record is keyed by
its sourcedId; lists (grades, subjects, terms) are TEXT[]; extra `metadata.*` columns land in
the metadata JSONB.
"""

from sqlalchemy import Index

from app.db.dsl import CK, FK, IX, UQ, C, table  # noqa: F401

courses = table(
    "oneroster", "courses", "OneRoster Courses: Course templates",
    C("sourced_id", "VARCHAR(255)", comment="Unique course identifier"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)", nn=True, comment="Course name"),
    C("school_year_sourced_id", "VARCHAR(255)", comment="Academic year reference"),
    C("course_code", "VARCHAR(100)", comment="Official course code"),
    C("grades", "TEXT[]", comment="Grade levels (K, 1, 2, etc.)"),
    C("subjects", "TEXT[]", comment="Subject areas"),
    C("subject_codes", "TEXT[]", comment="SCED or other subject codes, one per subject"),
    C("org_sourced_id", "VARCHAR(255)", nn=True, comment="School/district offering"),
    C("metadata", "JSONB", comment="Additional course data"),
    FK(("school_year_sourced_id",), "oneroster.academic_sessions", ("sourced_id",)),
    FK(("org_sourced_id",), "oneroster.orgs", ("sourced_id",)),
    pk=("sourced_id",),
)

classes = table(
    "oneroster", "classes", "OneRoster Classes: Actual course sections",
    C("sourced_id", "VARCHAR(255)", comment="Unique class identifier"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)", nn=True, comment="Class name"),
    C("class_code", "VARCHAR(100)", comment="Section number"),
    C("class_type", "VARCHAR(50)", default="'scheduled'", comment="scheduled, homeroom"),
    C("location", "VARCHAR(255)", comment="Room number"),
    C("grades", "TEXT[]", comment="Grade levels in class"),
    C("subjects", "TEXT[]", comment="Subjects taught"),
    C("course_sourced_id", "VARCHAR(255)", nn=True, comment="Parent course"),
    C("school_sourced_id", "VARCHAR(255)", nn=True, comment="School location"),
    C("term_sourced_ids", "TEXT[]", nn=True, comment="Academic terms"),
    C("subject_codes", "TEXT[]", comment="Subject codes, one per subject"),
    C("periods", "TEXT[]", comment="Periods the class meets"),
    C("metadata", "JSONB", comment="Additional class data"),
    FK(("course_sourced_id",), "oneroster.courses", ("sourced_id",)),
    FK(("school_sourced_id",), "oneroster.orgs", ("sourced_id",)),
    pk=("sourced_id",),
)

enrollments = table(
    "oneroster", "enrollments", "OneRoster Enrollments: User-class relationships",
    C("sourced_id", "VARCHAR(255)", comment="Unique enrollment ID"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("user_sourced_id", "VARCHAR(255)", nn=True, comment="Student or teacher"),
    C("class_sourced_id", "VARCHAR(255)", nn=True, comment="Class enrolled in"),
    C("school_sourced_id", "VARCHAR(255)", nn=True, comment="School context"),
    C("role", "VARCHAR(50)", nn=True, comment="student, teacher, aide"),
    C("primary_enrollment", "BOOLEAN", default="TRUE", comment="Main teacher/student"),
    C("begin_date", "DATE", comment="Enrollment start"),
    C("end_date", "DATE", comment="Enrollment end"),
    C("metadata", "JSONB", comment="Additional enrollment data"),
    FK(("user_sourced_id",), "oneroster.users", ("sourced_id",)),
    FK(("class_sourced_id",), "oneroster.classes", ("sourced_id",)),
    FK(("school_sourced_id",), "oneroster.orgs", ("sourced_id",)),
    pk=("sourced_id",),
)

academic_sessions = table(
    "oneroster", "academic_sessions", "OneRoster Academic Sessions: Terms and years",
    C("sourced_id", "VARCHAR(255)", comment="Unique session ID"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)", nn=True, comment="\"2025-26 School Year\""),
    C("type", "VARCHAR(50)", nn=True, comment="schoolYear, term"),
    C("start_date", "DATE", nn=True, comment="Session start"),
    C("end_date", "DATE", nn=True, comment="Session end"),
    C("parent_sourced_id", "VARCHAR(255)", comment="Parent session (term->year)"),
    C("school_year", "VARCHAR(10)", comment="\"2025-26\""),
    C("metadata", "JSONB", comment="Additional session data"),
    FK(("parent_sourced_id",), "oneroster.academic_sessions", ("sourced_id",)),
    pk=("sourced_id",),
)

line_items = table(
    "oneroster", "line_items", "OneRoster Line Items: Gradebook assignments",
    C("sourced_id", "VARCHAR(255)", comment="Unique assignment ID"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)", nn=True, comment="Assignment name"),
    C("description", "TEXT", comment="Assignment details"),
    C("assign_date", "DATE", comment="When assigned"),
    C("due_date", "DATE", comment="When due"),
    C("class_sourced_id", "VARCHAR(255)", nn=True, comment="Class context"),
    C("category_sourced_id", "VARCHAR(255)", comment="Grade category"),
    C("academic_session_sourced_id", "VARCHAR(255)", comment="Term/semester (OneRoster 1.2 name of gradingPeriodSourcedId)"),
    C("school_sourced_id", "VARCHAR(255)", comment="School of the class"),
    C("result_value_min", "DECIMAL(10,2)", comment="Minimum score"),
    C("result_value_max", "DECIMAL(10,2)", comment="Maximum score"),
    C("metadata", "JSONB", comment="Additional assignment data"),
    FK(("class_sourced_id",), "oneroster.classes", ("sourced_id",)),
    FK(("category_sourced_id",), "oneroster.categories", ("sourced_id",)),
    FK(("academic_session_sourced_id",), "oneroster.academic_sessions", ("sourced_id",)),
    FK(("school_sourced_id",), "oneroster.orgs", ("sourced_id",)),
    pk=("sourced_id",),
)

results = table(
    "oneroster", "results", "OneRoster Results: Student scores",
    C("sourced_id", "VARCHAR(255)", comment="Unique result ID"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("line_item_sourced_id", "VARCHAR(255)", nn=True, comment="Assignment reference"),
    C("student_sourced_id", "VARCHAR(255)", nn=True, comment="Student who completed"),
    C("score_status", "VARCHAR(50)", comment="exempt, submitted, graded"),
    C("score", "DECIMAL(10,4)", comment="Numeric score"),
    C("score_date", "DATE", comment="When scored"),
    C("comment", "TEXT", comment="Teacher feedback"),
    C("text_score", "VARCHAR(255)", comment="Score as text (e.g. a letter or a scale value)"),
    C("class_sourced_id", "VARCHAR(255)", comment="Class of the result"),
    C("in_progress", "BOOLEAN"),
    C("incomplete", "BOOLEAN"),
    C("late", "BOOLEAN"),
    C("missing", "BOOLEAN"),
    C("metadata", "JSONB", comment="Additional score data"),
    FK(("line_item_sourced_id",), "oneroster.line_items", ("sourced_id",)),
    FK(("student_sourced_id",), "oneroster.users", ("sourced_id",)),
    pk=("sourced_id",),
)

categories = table(
    "oneroster", "categories", "OneRoster Categories: Grade categories",
    C("sourced_id", "VARCHAR(255)", comment="Unique category ID"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)", nn=True, comment="\"Homework\", \"Tests\", \"Quizzes\""),
    C("weight", "INT", comment="Weight of the category in the final grade"),
    C("metadata", "JSONB", comment="Additional category data"),
    pk=("sourced_id",),
)

demographics = table(
    "oneroster", "demographics", "OneRoster Demographics: Extended user demographics",
    C("sourced_id", "VARCHAR(255)", comment="Links to user sourced_id"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("birth_date", "DATE", comment="Date of birth"),
    C("sex", "VARCHAR(20)", comment="male, female"),
    C("american_indian_or_alaska_native", "BOOLEAN", comment="Race/ethnicity flags"),
    C("asian", "BOOLEAN", comment="Race/ethnicity flags"),
    C("black_or_african_american", "BOOLEAN", comment="Race/ethnicity flags"),
    C("native_hawaiian_or_other_pacific_islander", "BOOLEAN", comment="Race/ethnicity flags"),
    C("white", "BOOLEAN", comment="Race/ethnicity flags"),
    C("demographic_race_two_or_more_races", "BOOLEAN", comment="Multiple races"),
    C("hispanic_or_latino_ethnicity", "BOOLEAN", comment="Ethnicity"),
    C("country_of_birth_code", "VARCHAR(10)", comment="ISO country code"),
    C("state_of_birth_abbreviation", "VARCHAR(10)", comment="State abbreviation"),
    C("city_of_birth", "VARCHAR(255)", comment="Birth city"),
    C("public_school_residence_status", "VARCHAR(50)", comment="Resident status"),
    C("metadata", "JSONB", comment="Additional demographic data"),
    FK(("sourced_id",), "oneroster.users", ("sourced_id",), ondelete="CASCADE"),
    pk=("sourced_id",),
)

resources = table(
    "oneroster", "resources", "OneRoster Resources: Learning materials",
    C("sourced_id", "VARCHAR(255)", comment="Unique resource ID"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)", nn=True, comment="Resource name"),
    C("vendor_resource_id", "VARCHAR(255)", comment="Vendor's ID"),
    C("vendor_id", "VARCHAR(255)", comment="Vendor identifier"),
    C("application_id", "VARCHAR(255)", comment="App using resource"),
    C("roles", "TEXT[]", comment="Who can access"),
    C("importance", "VARCHAR(50)", comment="primary, secondary"),
    C("metadata", "JSONB", comment="Additional resource data"),
    pk=("sourced_id",),
)

score_scales = table(
    "oneroster", "score_scales", "OneRoster Score Scales: Grading scales",
    C("sourced_id", "VARCHAR(255)", comment="Unique scale ID"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)", nn=True, comment="Scale name"),
    C("type", "VARCHAR(255)", nn=True, comment="Kind of scale"),
    C("org_sourced_id", "VARCHAR(255)", nn=True),
    C("course_sourced_id", "VARCHAR(255)"),
    C("class_sourced_id", "VARCHAR(255)"),
    C("score_scale_value", "JSONB", nn=True, comment="Scale definition (A=90-100, B=80-89)"),
    C("metadata", "JSONB", comment="Additional scale data"),
    pk=("sourced_id",),
)

orgs = table(
    "oneroster", "orgs", 'OneRoster Orgs: district, schools and other organisations',
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("name", "VARCHAR(255)", nn=True),
    C("type", "VARCHAR(50)", nn=True, comment="department, school, district, local, state, national"),
    C("identifier", "VARCHAR(255)", comment="Local or state id (e.g. the Ed-Fi SchoolId)"),
    C("parent_sourced_id", "VARCHAR(255)"),
    FK(("parent_sourced_id",), "oneroster.orgs", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

users = table(
    "oneroster", "users", 'OneRoster Users: students, teachers, guardians and administrators',
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("enabled_user", "BOOLEAN", nn=True, default="TRUE"),
    C("username", "VARCHAR(255)", nn=True),
    C("given_name", "VARCHAR(255)", nn=True),
    C("family_name", "VARCHAR(255)", nn=True),
    C("middle_name", "VARCHAR(255)"),
    C("identifier", "VARCHAR(255)", comment="The Ed-Fi unique id"),
    C("email", "VARCHAR(255)"),
    C("sms", "VARCHAR(255)"),
    C("phone", "VARCHAR(255)"),
    C("agent_sourced_ids", "TEXT[]"),
    C("grades", "TEXT[]"),
    C("password", "VARCHAR(255)"),
    C("user_master_identifier", "VARCHAR(255)"),
    C("preferred_given_name", "VARCHAR(255)"),
    C("preferred_middle_name", "VARCHAR(255)"),
    C("preferred_family_name", "VARCHAR(255)"),
    C("primary_org_sourced_id", "VARCHAR(255)"),
    C("pronouns", "VARCHAR(255)"),
    FK(("primary_org_sourced_id",), "oneroster.orgs", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

user_ids = table(
    "oneroster", "user_ids", "OneRoster users.userIds: other systems' ids of a user ({type:id})",
    C("user_sourced_id", "VARCHAR(255)", nn=True),
    C("type", "VARCHAR(255)", nn=True, comment="e.g. LDAP, LTI"),
    C("identifier", "VARCHAR(255)", nn=True),
    FK(("user_sourced_id",), "oneroster.users", ("sourced_id",), ondelete="CASCADE"),
    pk=("user_sourced_id", "type", "identifier"),
)

roles = table(
    "oneroster", "roles", "OneRoster Roles: a user's role at an org",
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("user_sourced_id", "VARCHAR(255)", nn=True),
    C("role_type", "VARCHAR(20)", nn=True, comment="primary, secondary"),
    C("role", "VARCHAR(50)", nn=True),
    C("begin_date", "DATE"),
    C("end_date", "DATE"),
    C("org_sourced_id", "VARCHAR(255)", nn=True),
    C("user_profile_sourced_id", "VARCHAR(255)"),
    FK(("user_sourced_id",), "oneroster.users", ("sourced_id",)),
    FK(("org_sourced_id",), "oneroster.orgs", ("sourced_id",)),
    FK(("user_profile_sourced_id",), "oneroster.user_profiles", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

user_profiles = table(
    "oneroster", "user_profiles", "OneRoster User Profiles: a user's credentials for one application",
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("user_sourced_id", "VARCHAR(255)", nn=True),
    C("profile_type", "VARCHAR(255)", nn=True),
    C("vendor_id", "VARCHAR(255)", nn=True),
    C("application_id", "VARCHAR(255)"),
    C("description", "TEXT"),
    C("credential_type", "VARCHAR(255)", nn=True),
    C("username", "VARCHAR(255)", nn=True),
    C("password", "VARCHAR(255)"),
    FK(("user_sourced_id",), "oneroster.users", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

class_resources = table(
    "oneroster", "class_resources", 'OneRoster class_resources: resources assigned to a class',
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)"),
    C("class_sourced_id", "VARCHAR(255)", nn=True),
    C("resource_sourced_id", "VARCHAR(255)", nn=True),
    FK(("class_sourced_id",), "oneroster.classes", ("sourced_id",)),
    FK(("resource_sourced_id",), "oneroster.resources", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

course_resources = table(
    "oneroster", "course_resources", 'OneRoster course_resources: resources assigned to a course',
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)"),
    C("course_sourced_id", "VARCHAR(255)", nn=True),
    C("resource_sourced_id", "VARCHAR(255)", nn=True),
    FK(("course_sourced_id",), "oneroster.courses", ("sourced_id",)),
    FK(("resource_sourced_id",), "oneroster.resources", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

user_resources = table(
    "oneroster", "user_resources", 'OneRoster userResources: resources assigned to a user',
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("user_sourced_id", "VARCHAR(255)", nn=True),
    C("org_sourced_id", "VARCHAR(255)"),
    C("class_sourced_id", "VARCHAR(255)"),
    C("resource_sourced_id", "VARCHAR(255)", nn=True),
    FK(("user_sourced_id",), "oneroster.users", ("sourced_id",)),
    FK(("resource_sourced_id",), "oneroster.resources", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

line_item_learning_objective_ids = table(
    "oneroster", "line_item_learning_objective_ids", 'OneRoster lineItemLearningObjectiveIds: learning objectives a line item assesses',
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("line_item_sourced_id", "VARCHAR(255)", nn=True),
    C("source", "VARCHAR(20)", nn=True, comment="case, unknown"),
    C("learning_objective_id", "VARCHAR(255)", nn=True),
    FK(("line_item_sourced_id",), "oneroster.line_items", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

result_learning_objective_ids = table(
    "oneroster", "result_learning_objective_ids", "OneRoster resultLearningObjectiveIds: a result's score per learning objective",
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("result_sourced_id", "VARCHAR(255)", nn=True),
    C("source", "VARCHAR(20)", nn=True, comment="case, unknown"),
    C("learning_objective_id", "VARCHAR(255)", nn=True),
    C("score", "DECIMAL(10, 4)"),
    C("text_score", "VARCHAR(255)"),
    FK(("result_sourced_id",), "oneroster.results", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

line_item_score_scales = table(
    "oneroster", "line_item_score_scales", 'OneRoster line_item_score_scales: score scales used by line items',
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)"),
    C("line_item_sourced_id", "VARCHAR(255)", nn=True),
    C("score_scale_sourced_id", "VARCHAR(255)", nn=True),
    FK(("line_item_sourced_id",), "oneroster.line_items", ("sourced_id",)),
    FK(("score_scale_sourced_id",), "oneroster.score_scales", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)

result_score_scales = table(
    "oneroster", "result_score_scales", 'OneRoster result_score_scales: score scales used by results',
    C("sourced_id", "VARCHAR(255)"),
    C("status", "VARCHAR(20)", nn=True, default="'active'", comment="active, tobedeleted"),
    C("date_last_modified", "TIMESTAMP", default="CURRENT_TIMESTAMP", comment="Last update"),
    C("title", "VARCHAR(255)"),
    C("result_sourced_id", "VARCHAR(255)", nn=True),
    C("score_scale_sourced_id", "VARCHAR(255)", nn=True),
    FK(("result_sourced_id",), "oneroster.results", ("sourced_id",)),
    FK(("score_scale_sourced_id",), "oneroster.score_scales", ("sourced_id",)),
    C("metadata", "JSONB"),
    pk=("sourced_id",),
)


# Design document section 14: OneRoster API queries.
Index("idx_or_enrollments_user", enrollments.c.user_sourced_id, postgresql_where=enrollments.c.status == "active")
Index("idx_or_enrollments_class", enrollments.c.class_sourced_id, postgresql_where=enrollments.c.status == "active")
Index("idx_or_classes_school", classes.c.school_sourced_id, postgresql_where=classes.c.status == "active")
Index("idx_or_metadata_gin", classes.c.metadata, postgresql_using="gin", postgresql_where=classes.c.metadata.isnot(None))
