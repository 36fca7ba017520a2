"""School-entry immunization compliance (issue 12): requirements as data per state or district, and
the statuses they give each student, stored per school and refreshed when a record changes.

The requirement tables hold no student data (reference data: nurses read them, administrators edit
them). The statuses and the refresh queue are keyed by student: row-level security as the nurse's
tables (migration 0022), audit triggers, grants to the nurse and administrators only.
"""

from app.db.dsl import CK, FK, IX, C, table

requirement_sets = table(
    "health", "immunization_requirement_sets",
    "School-entry immunization requirement sets: one per state (or district) and school year",
    C("set_id", "SERIAL", comment="Unique set ID"),
    C("state_code", "VARCHAR(2)", nn=True, comment="State (USPS code) whose rules these are"),
    C("district_id", "BIGINT", comment="Local education agency with its own stricter set; NULL for the state's"),
    C("name", "VARCHAR(200)", nn=True, comment="e.g. Texas minimum state vaccine requirements, grades K-12"),
    C("school_year", "SMALLINT", nn=True, comment="School year it takes effect (Ed-Fi style: 2026 = 2025-2026)"),
    C("source", "TEXT", comment="Where the rules come from (publication, rule numbers)"),
    C("is_active", "BOOLEAN", nn=True, default="TRUE", comment="Used for evaluation"),
    C("updated_at", "TIMESTAMPTZ", nn=True, default="now()"),
    CK("state_code ~ '^[A-Z]{2}$'", "state_code_usps"),
    CK("school_year BETWEEN 2000 AND 2100", "school_year_plausible"),
    IX("ux_immunization_requirement_sets_scope", "state_code", "district_id", "school_year", unique=True),
    pk=("set_id",),
)

requirements = table(
    "health", "immunization_requirements",
    "One way to meet a school-entry requirement for a range of grades; rows with the same name are alternatives",
    C("requirement_id", "BIGSERIAL", comment="Unique requirement ID"),
    C("set_id", "INTEGER", nn=True, comment="The requirement set"),
    C("name", "VARCHAR(60)", nn=True, comment="What must be met (DTaP/Tdap/Td, Tdap booster, MMR, ...)"),
    C("vaccine_group", "VARCHAR(40)", nn=True, comment="CDC CDSi vaccine group whose valid doses count"),
    C("grade_from", "SMALLINT", nn=True, comment="First grade it applies to (-1 pre-K, 0 K, 1-12)"),
    C("grade_to", "SMALLINT", nn=True, comment="Last grade it applies to"),
    C("doses_required", "SMALLINT", nn=True, comment="Valid doses required"),
    C("doses_on_or_after_age", "VARCHAR(40)", comment="At least doses_after_age_count of them on or after this age "
                                                      "(CDSi words: '4 years - 4 days')"),
    C("doses_after_age_count", "SMALLINT", nn=True, default="1", comment="How many doses on or after that age"),
    C("applies_from_age", "VARCHAR(40)", comment="Applies from this age of the student (e.g. '7 years')"),
    C("applies_until_age", "VARCHAR(40)", comment="Applies before this age of the student (e.g. '18 years')"),
    C("vaccine_cvx", "TEXT[]", comment="Only these CVX codes count (e.g. {115} for Tdap); NULL for any"),
    C("description", "TEXT", nn=True, comment="One sentence, as printed on letters to families"),
    FK(("set_id",), "health.immunization_requirement_sets", ("set_id",), ondelete="CASCADE"),
    CK("grade_from BETWEEN -1 AND 12 AND grade_to BETWEEN grade_from AND 12", "grades_in_range"),
    CK("doses_required BETWEEN 1 AND 10", "doses_plausible"),
    CK("doses_after_age_count BETWEEN 1 AND doses_required", "after_age_count_within_required"),
    IX("ix_immunization_requirements_set", "set_id"),
    pk=("requirement_id",),
)

statuses = table(
    "health", "immunization_statuses",
    "Each student's school-entry immunization status per requirement, stored for the whole school",
    C("student_usi", "INTEGER", nn=True, comment="Student"),
    C("requirement", "VARCHAR(60)", nn=True, comment="Requirement name (health.immunization_requirements.name)"),
    C("school_id", "BIGINT", nn=True, comment="School the student is enrolled at"),
    C("set_id", "INTEGER", nn=True, comment="Requirement set used"),
    C("vaccine_group", "VARCHAR(40)", nn=True, comment="CDC CDSi vaccine group"),
    C("grade", "SMALLINT", nn=True, comment="Grade at evaluation (-1 pre-K, 0 K, 1-12)"),
    C("status", "VARCHAR(16)", nn=True, comment="compliant, in_progress, provisional, exempt, not_compliant"),
    C("reason", "TEXT", nn=True, comment="Why, in one sentence"),
    C("next_due", "DATE", comment="When the next dose is due (may be given from)"),
    C("valid_doses", "SMALLINT", nn=True, comment="Valid doses counted"),
    C("doses_required", "SMALLINT", nn=True, comment="Valid doses required"),
    C("provisional_deadline", "DATE", comment="Deadline of the provisional enrollment that applies"),
    C("evaluated_on", "DATE", nn=True, comment="The day the status is for"),
    C("evaluated_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    FK(("set_id",), "health.immunization_requirement_sets", ("set_id",), ondelete="CASCADE"),
    CK("status IN ('compliant', 'in_progress', 'provisional', 'exempt', 'not_compliant')", "status_known"),
    IX("ix_immunization_statuses_school_status", "school_id", "status"),
    pk=("student_usi", "requirement"),
)

status_stale = table(
    "health", "immunization_status_stale",
    "Students whose immunization records changed since their statuses were stored (filled by triggers)",
    C("student_usi", "INTEGER", nn=True, comment="Student"),
    C("marked_at", "TIMESTAMPTZ", nn=True, default="now()", comment="First change not yet evaluated"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    pk=("student_usi",),
)
