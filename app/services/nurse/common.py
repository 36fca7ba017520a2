"""What every nurse service needs: who is signed in, which student and school, the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, text

from app.errors import UserError
from app.services.record_views import log_views

# Why a list shows students' health records: each list's view is logged with its reason.
VISIT_LIST = "Health office: the day's visit list"
VISIT_LOG_PRINTED = "Health office: printed the daily visit log"
DUE_LIST = "Health office: medications due now"
MISSED_LIST = "Health office: doses missed today"
ORDER_LIST = "Health office: the school's medication orders"
EXPIRING_LIST = "Health office: expiring medications and refills"
EXPIRING_PRINTED = "Health office: printed the expiring medications list"
REFERRALS_PRINTED = "Health office: printed the open referrals list"
REFERRAL_LIST = "Health office: open screening referrals"
REFERRAL_LETTER = "Health office: printed a screening letter to the parents"
IMMUNIZATION_LIST = "Health office: the school's immunization compliance list"
IMMUNIZATION_STATUS = "Health office: a student's immunization status"
IMMUNIZATION_SURVEY_PRINTED = "Health office: printed the immunization survey report"
IMMUNIZATION_LETTERS_PRINTED = "Health office: printed immunization letters to families"
IMMUNIZATION_LETTER_PRINTED = "Health office: printed the student's immunization letter"
IMMUNIZATION_EXCLUSIONS_PRINTED = "Health office: printed the immunization exclusion list"
COUNT_LIST = "Health office: controlled-substance counts and discrepancy reports"
FIELD_TRIP_PRINTED = "Health office: printed a class's field-trip health list"
SCREENING_GRID = "Health office: class screening grid"


def logged(conn: Connection, rows: list, reason: str) -> list:
    """The rows of a list as shown: each student on it gets a view entry with the list's reason."""
    log_views(conn, (r.student_usi for r in rows), "health", reason)
    return rows


def aware(at: datetime) -> datetime:
    """A wall-clock time as the workstation means it (desks pass naive local times)."""
    return at if at.tzinfo is not None else at.astimezone()


@dataclass(frozen=True)
class Me:
    staff_usi: int | None
    name: str
    school_ids: tuple[int, ...]


def me(conn: Connection) -> Me:
    row = conn.execute(text(
        "SELECT st.staffusi, coalesce(st.firstname || ' ' || st.lastsurname, session_user::text), "
        "compliance.my_school_ids() FROM (SELECT 1) one LEFT JOIN edfi.staff st "
        "ON st.staffusi = compliance.my_staff_usi()")).one()
    return Me(row[0], row[1], tuple(row[2] or ()))


@dataclass(frozen=True)
class StudentBrief:
    student_usi: int
    student_unique_id: str
    name: str
    first_name: str
    grade: str | None
    school_id: int | None
    school: str | None


_BRIEF = """
SELECT s.studentusi, s.studentuniqueid, s.firstname || ' ' || s.lastsurname, coalesce(s.preferredfirstname, s.firstname),
       g.codevalue, a.schoolid, eo.nameofinstitution
  FROM edfi.student s
  LEFT JOIN LATERAL (SELECT x.schoolid, x.entrygradeleveldescriptorid FROM edfi.studentschoolassociation x
                      WHERE x.studentusi = s.studentusi AND x.entrydate <= :day
                        AND (x.exitwithdrawdate IS NULL OR x.exitwithdrawdate >= :day)
                      ORDER BY x.entrydate DESC LIMIT 1) a ON true
  LEFT JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
  LEFT JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid
 WHERE s.studentusi = :u"""


def student_brief(conn: Connection, student_usi: int, day: date) -> StudentBrief:
    row = conn.execute(text(_BRIEF), {"u": student_usi, "day": day}).first()
    if row is None:  # no such student, or row-level security hides them from this login
        raise UserError("That student is not one of the students of your schools; search again.")
    return StudentBrief(*row)


def enrolled_school(conn: Connection, student_usi: int, day: date, my_schools: tuple[int, ...]) -> StudentBrief:
    """The student, enrolled on `day` at one of the signed-in nurse's schools."""
    s = student_brief(conn, student_usi, day)
    if s.school_id is None or (my_schools and s.school_id not in my_schools):
        raise UserError(f"{s.name} is not enrolled at your school on {day:%B %d}; check the student and the date.")
    return s


def required(value: str | None, what: str) -> str:
    v = (value or "").strip()
    if not v:
        raise UserError(f"{what} is empty; fill it in.")
    return v


def school_name(conn: Connection, school_id: int) -> str:
    return conn.execute(text("SELECT nameofinstitution FROM edfi.educationorganization WHERE educationorganizationid "
                             "= :s"), {"s": school_id}).scalar() or ""


def staff_name(conn: Connection, login: str) -> str:
    """The name of the staff member a sign-in belongs to (the second signer of a count), or the sign-in."""
    return conn.execute(text("SELECT firstname || ' ' || lastsurname FROM edfi.staff WHERE loginid = :l"),
                        {"l": login}).scalar() or login
