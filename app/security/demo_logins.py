"""One demo login per School Office role for the demo district, with a documented password, so a
new user can try every desk. Only for the demo: real logins are made on the Administration desk."""

from __future__ import annotations

from sqlalchemy import Engine, text

from app.security.logins import create_staff_login

DEMO_PASSWORD = "riverbend-demo-2026"

# login -> (group roles, the staff record it signs in as: school short name and staff role)
DEMO_LOGINS = {
    "demo_front_office": (("so_front_office",), "RES", "Front office clerk"),
    "demo_teacher": (("so_teacher",), "RHS", "Teacher"),
    "demo_homeroom_teacher": (("so_teacher",), "RES", "Teacher"),  # an elementary homeroom: standards grading
    "demo_dean": (("so_dean",), "RHS", "Dean"),
    "demo_nurse": (("so_nurse",), "RES", "Nurse"),
    "demo_cashier": (("so_cashier",), "RMS", "Cafeteria cashier"),
    "demo_librarian": (("so_librarian",), "RHS", "Librarian"),
    "demo_transportation": (("so_transportation",), "RHS", "Transportation coordinator"),
    "demo_registrar": (("so_registrar",), "RHS", "Front office clerk"),
    "demo_admin": (("so_admin",), "RHS", "Principal"),
    "demo_cafeteria_manager": (("so_cafeteria_manager",), "RMS", "Cafeteria manager"),
}


# Serves every school of the district: row-level security gives them the district's students.
DISTRICT_WIDE = ("demo_transportation",)


def _assign_to_district(conn, staff_usi: int) -> None:
    """A district-level assignment (Ed-Fi StaffEducationOrganizationAssignmentAssociation at the LEA)."""
    conn.execute(text(
        "INSERT INTO edfi.staffeducationorganizationassignmentassociation (begindate, educationorganizationid, "
        "staffclassificationdescriptorid, staffusi, positiontitle) "
        "SELECT a.begindate, s.localeducationagencyid, a.staffclassificationdescriptorid, a.staffusi, a.positiontitle "
        "FROM edfi.staffeducationorganizationassignmentassociation a JOIN edfi.school s "
        "ON s.schoolid = a.educationorganizationid WHERE a.staffusi = :u AND s.localeducationagencyid IS NOT NULL "
        "ON CONFLICT DO NOTHING"), {"u": staff_usi})


def create_demo_logins(engine: Engine) -> dict[str, int]:
    """Create (or refresh) the demo logins and link each to a staff member of the demo district."""
    made = {}
    with engine.begin() as conn:
        for login, (groups, school_short, role) in DEMO_LOGINS.items():
            staff_usi = conn.execute(text(
                "SELECT a.staffusi FROM edfi.staffeducationorganizationassignmentassociation a "
                "JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.educationorganizationid "
                "WHERE eo.shortnameofinstitution = :school AND a.positiontitle = :role "
                "ORDER BY a.staffusi LIMIT 1"), {"school": school_short, "role": role}).scalar()
            if staff_usi is None:
                continue
            create_staff_login(conn, login, DEMO_PASSWORD, staff_usi, groups)
            made[login] = staff_usi
            if login in DISTRICT_WIDE:
                _assign_to_district(conn, staff_usi)
    return made

