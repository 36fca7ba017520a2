"""The student profile panel's data: name, grade, school, contacts, and badges.

Which badges appear is decided by the database, not by a role list in the app: a badge is
shown only when the signed-in login may read the table behind it (has_table_privilege), and
row-level security still applies to every row read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, text

from app.services.student_search import fetch_student

LOW_BALANCE = Decimal("5.00")


@dataclass(frozen=True)
class ContactLine:
    name: str
    relation: str | None
    phone: str | None
    emergency: bool
    pickup_restriction: str | None


@dataclass(frozen=True)
class Badge:
    key: str  # allergy | iep | plan504 | low_balance | discipline
    text: str
    desk: str  # the desk that owns it
    record_type: str | None = None  # health | specialed | discipline: opening it is a logged sensitive view


@dataclass(frozen=True)
class StudentProfile:
    student_usi: int
    student_unique_id: str
    name: str
    birth_date: object
    grade_level: str | None
    school_name: str | None
    contacts: tuple[ContactLine, ...]
    badges: tuple[Badge, ...]
    may_see_discipline: bool = False  # whether discipline entries of the timeline may be shown
    may_see_health: bool = False  # whether health-office entries of the timeline show their details
    # the FERPA release log of the student's transcripts, newest first; None for logins that may not read it
    transcript_releases: tuple | None = None  # app.services.grades.transcripts.ReleaseRow


def _may_read(conn: Connection, table: str) -> bool:
    # without USAGE on the schema, has_table_privilege itself is refused: ask about the schema first
    return bool(conn.execute(text(
        "SELECT CASE WHEN has_schema_privilege(split_part(:t, '.', 1), 'USAGE') "
        "THEN has_table_privilege(:t, 'SELECT') ELSE false END"), {"t": table}).scalar())


def load_profile(conn: Connection, student_usi: int) -> StudentProfile | None:
    hit = fetch_student(conn, student_usi)
    if hit is None:  # no such student, or row-level security hides them from this login
        return None
    contacts: list[ContactLine] = []
    if _may_read(conn, "edfi.studentcontactassociation") and _may_read(conn, "edfi.contact"):
        for r in conn.execute(text("""
            SELECT c.firstname || ' ' || c.lastsurname, d.codevalue,
                   (SELECT t.telephonenumber FROM edfi.contacttelephone t WHERE t.contactusi = c.contactusi
                     ORDER BY t.orderofpriority NULLS LAST LIMIT 1),
                   coalesce(a.emergencycontactstatus, false), a.contactrestrictions
            FROM edfi.studentcontactassociation a
            JOIN edfi.contact c ON c.contactusi = a.contactusi
            LEFT JOIN edfi.descriptor d ON d.descriptorid = a.relationdescriptorid
            WHERE a.studentusi = :u ORDER BY a.contactpriority NULLS LAST, c.lastsurname"""), {"u": student_usi}):
            contacts.append(ContactLine(*r))
    badges: list[Badge] = []
    if _may_read(conn, "health.student_alert_flags"):
        row = conn.execute(text("SELECT allergens, severe_allergy FROM health.student_alert_flags "
                                "WHERE student_usi = :u"), {"u": student_usi}).first()
        if row:
            badges.append(Badge("allergy", f"{'Severe allergy' if row[1] else 'Allergy'}: {row[0]}", "nurse", "health"))
    if _may_read(conn, "specialed.iep") and conn.execute(text(
            "SELECT 1 FROM specialed.iep WHERE student_usi = :u AND iep_status = 'Active'"), {"u": student_usi}).first():
        badges.append(Badge("iep", "IEP", "nurse", "specialed"))
    if _may_read(conn, "specialed.plan_504") and conn.execute(text(
            "SELECT 1 FROM specialed.plan_504 WHERE student_usi = :u AND plan_status = 'Active'"),
            {"u": student_usi}).first():
        badges.append(Badge("plan504", "504 plan", "nurse", "specialed"))
    if _may_read(conn, "cafeteria.student_meal_plans"):
        balance = conn.execute(text("SELECT account_balance FROM cafeteria.student_meal_plans "
                                    "WHERE student_usi = :u AND is_active"), {"u": student_usi}).scalar()
        if balance is not None and balance < LOW_BALANCE:
            badges.append(Badge("low_balance", f"Low meal balance: ${balance:.2f}", "cafeteria"))
    # Discipline is one click away for those who may read it; nothing about it (not even whether
    # there is any) shows before the reason for opening it is recorded.
    discipline = _may_read(conn, "edfi.disciplineaction") and _may_read(conn, "edfi.disciplineincident")
    if discipline:
        badges.append(Badge("discipline", "Discipline history", "discipline", "discipline"))
    releases = None
    if _may_read(conn, "grades.transcript_release") and _may_read(conn, "grades.issued_document"):
        from app.services.grades.transcripts import releases_for_student

        releases = releases_for_student(conn, student_usi)
    return StudentProfile(hit.student_usi, hit.student_unique_id, f"{hit.first_name} {hit.last_name}",
                          hit.birth_date, hit.grade_level, hit.school_name, tuple(contacts), tuple(badges),
                          discipline, _may_read(conn, "health.visits"), releases)
