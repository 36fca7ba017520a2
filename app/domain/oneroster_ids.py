"""OneRoster sourcedIds formed from Ed-Fi natural keys, as the Ed-Fi community mapping does:
md5 of the key parts joined with '-' (class keys lower-cased); users prefixed STU-/STA-/PAR-."""

from __future__ import annotations

import hashlib


def edfi_org_id_sql(alias: str = "") -> str:
    """SQL for the EducationOrganizationId a OneRoster school or district gets in Ed-Fi (`alias`: "o." or ""): its
    numeric identifier, else its numeric sourcedId, else a number made from the sourcedId's md5. The import's
    mapping and its checks use this one expression (oneroster_validate.edfi_org_id is the same rule in Python)."""
    a = alias
    return (f"CASE WHEN {a}identifier ~ '^[0-9]{{1,18}}$' THEN {a}identifier::bigint "
            f"WHEN {a}sourced_id ~ '^[0-9]{{1,18}}$' THEN {a}sourced_id::bigint "
            f"ELSE ('x' || substr(md5({a}sourced_id), 1, 15))::bit(60)::bigint END")


def edfi_person_id_sql(alias: str = "") -> str:
    """SQL for a OneRoster user's unique id in Ed-Fi: the identifier (up to 32 characters), else the sourcedId
    (up to 32), else its md5 (oneroster_validate.edfi_person_id is the same rule in Python)."""
    a = alias
    return (f"CASE WHEN {a}identifier <> '' AND length({a}identifier) <= 32 THEN {a}identifier "
            f"WHEN length({a}sourced_id) <= 32 THEN {a}sourced_id ELSE md5({a}sourced_id) END")


# An Ed-Fi person of each kind a OneRoster user maps to (1 student, 2 staff, 3 contact) under an id: SQL.
EDFI_PERSON_OF_KIND = {1: "EXISTS (SELECT 1 FROM edfi.student p WHERE p.studentuniqueid = {id})",
                       2: "EXISTS (SELECT 1 FROM edfi.staff p WHERE p.staffuniqueid = {id})",
                       3: "EXISTS (SELECT 1 FROM edfi.contact p WHERE p.contactuniqueid = {id})"}


def edfi_person_sql(id_sql: str, kind_sql: str | None = None) -> str:
    """SQL: whether an Ed-Fi person has the unique id `id_sql`, of the kind `kind_sql` (1-3) or of any kind."""
    if kind_sql is None:
        return "(" + " OR ".join(sql.format(id=id_sql) for sql in EDFI_PERSON_OF_KIND.values()) + ")"
    return f"CASE {kind_sql} " + " ".join(f"WHEN {k} THEN {sql.format(id=id_sql)}"
                                          for k, sql in EDFI_PERSON_OF_KIND.items()) + " END"


def _md5(*parts: object) -> str:
    return hashlib.md5("-".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def org_id(education_organization_id: int) -> str:
    return _md5(education_organization_id)


def school_year_session_id(school_year: int) -> str:
    return _md5(school_year)


def session_id(school_id: int, school_year: int, session_name: str) -> str:
    return _md5(school_id, school_year, session_name.lower())


def grading_period_id(school_id: int, school_year: int, grading_period_name: str) -> str:
    return _md5(school_id, school_year, grading_period_name.lower())


def course_id(course_code: str, education_organization_id: int) -> str:
    return _md5(course_code.lower(), education_organization_id)


def class_id(local_course_code: str, school_id: int, school_year: int, section_identifier: str,
             session_name: str) -> str:
    return _md5(*(str(p).lower() for p in (local_course_code, school_id, school_year, section_identifier, session_name)))


def student_user_id(student_unique_id: str) -> str:
    return _md5(f"STU-{student_unique_id}")


def staff_user_id(staff_unique_id: str) -> str:
    return _md5(f"STA-{staff_unique_id}")


def contact_user_id(contact_unique_id: str) -> str:
    return _md5(f"PAR-{contact_unique_id}")


def enrollment_id(class_sourced_id: str, user_sourced_id: str) -> str:
    return _md5(class_sourced_id, user_sourced_id)


def role_id(user_sourced_id: str, org_sourced_id: str, role: str) -> str:
    return _md5(user_sourced_id, org_sourced_id, role)


# Ed-Fi grade level descriptor code -> CEDS grade code used by OneRoster.
GRADE_CODES = {
    "Infant/toddler": "IT", "Preschool": "PR", "Prekindergarten": "PK", "Transitional Kindergarten": "TK",
    "Kindergarten": "KG", "First grade": "01", "Second grade": "02", "Third grade": "03", "Fourth grade": "04",
    "Fifth grade": "05", "Sixth grade": "06", "Seventh grade": "07", "Eighth grade": "08", "Ninth grade": "09",
    "Tenth grade": "10", "Eleventh grade": "11", "Twelfth grade": "12", "Grade 13": "13",
    "Postsecondary": "PS", "Ungraded": "UG", "Other": "Other",
}
