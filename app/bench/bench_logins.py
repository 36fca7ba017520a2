"""The benches measure as the users they speak of: the demo clerk and the demo teacher, signed in
with their own PostgreSQL logins, so row-level security is in every figure.

The demo logins are cluster-wide roles (app/security/demo_logins.py creates them through
compliance.create_staff_login); which staff record a login is lives in each database
(edfi.staff.loginid). In the bench district the owner links the clerk to a staff member of the
first school (the largest, about 46 % of the students) and the teacher to the teacher of the
35-student bench section, then the timed parts connect as those logins.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text

from app.errors import UserError
from app.security.demo_logins import DEMO_LOGINS, DEMO_PASSWORD
from app.security.logins import create_staff_login, link_staff_to_schools

CLERK, TEACHER = "demo_front_office", "demo_teacher"
# A statement slower than this as a login stops the bench with a sentence instead of running for
# hours (row-level security that defeats the indexes made single searches take minutes).
STATEMENT_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class BenchLogin:
    login: str
    staff_usi: int
    school_ids: tuple[int, ...]


def sign_in_clerk(conn: Connection) -> BenchLogin:
    """As the owner: demo_front_office becomes a front office clerk of the first school."""
    school = conn.execute(text("SELECT min(schoolid) FROM edfi.school")).scalar_one()
    return sign_in_at(conn, CLERK, school, "Front office clerk")


def sign_in_at(conn: Connection, login: str, school: int, position: str) -> BenchLogin:
    """As the owner: the demo `login` becomes a staff member of `school` (one with this position title
    if there is one), with the login's demo roles."""
    staff = conn.execute(text(
        "SELECT w.staffusi FROM edfi.staffschoolassociation w "
        "LEFT JOIN edfi.staffeducationorganizationassignmentassociation a ON a.staffusi = w.staffusi "
        " AND a.educationorganizationid = w.schoolid "
        "WHERE w.schoolid = :s ORDER BY (a.positiontitle = :p) DESC NULLS LAST, w.staffusi LIMIT 1"),
        {"s": school, "p": position}).scalar()
    if staff is None:
        staff = conn.execute(text("SELECT min(staffusi) FROM edfi.staff")).scalar_one()
        year = conn.execute(text("SELECT max(schoolyear) FROM edfi.session WHERE schoolid = :s"),
                            {"s": school}).scalar()
        link_staff_to_schools(conn, staff, (school,), year)
    create_staff_login(conn, login, DEMO_PASSWORD, staff, DEMO_LOGINS[login][0])
    return BenchLogin(login, staff, (school,))


def sign_in_teacher(conn: Connection, key) -> BenchLogin:
    """As the owner: demo_teacher becomes the teacher of the bench section `key` (a teacher of
    another section of that school, who keeps their own classes too)."""
    p = key.params()
    staff = conn.execute(text(
        "SELECT staffusi FROM edfi.staffsectionassociation WHERE localcoursecode = :lcc AND schoolid = :sid "
        "AND schoolyear = :sy AND sectionidentifier = :sec AND sessionname = :sess ORDER BY staffusi LIMIT 1"),
        p).scalar()
    if staff is None:
        other = conn.execute(text(
            "SELECT staffusi, classroompositiondescriptorid FROM edfi.staffsectionassociation WHERE schoolid = :sid "
            "AND sessionname = :sess ORDER BY staffusi LIMIT 1"), p).first()
        if other is None:
            raise UserError("The benchmark district has no teacher at the bench section's school; run "
                            "school-office-admin bench seed again.")
        staff = other.staffusi
        conn.execute(text(
            "INSERT INTO edfi.staffsectionassociation (begindate, localcoursecode, schoolid, schoolyear, "
            "sectionidentifier, sessionname, staffusi, classroompositiondescriptorid) "
            "SELECT ses.begindate, :lcc, ses.schoolid, ses.schoolyear, :sec, ses.sessionname, :u, :pos "
            "FROM edfi.session ses "
            "WHERE ses.schoolid = :sid AND ses.schoolyear = :sy AND ses.sessionname = :sess"),
            {**p, "u": staff, "pos": other.classroompositiondescriptorid})
    create_staff_login(conn, TEACHER, DEMO_PASSWORD, staff, DEMO_LOGINS[TEACHER][0])
    return BenchLogin(TEACHER, staff, (key.school_id,))


def login_engine(bench: Engine, login: str) -> Engine:
    return create_engine(bench.url.set(username=login, password=DEMO_PASSWORD), hide_parameters=True,
                         connect_args={"options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"})


def rls_active(conn: Connection) -> bool:
    """Whether row-level security filters edfi.student for this connection's login."""
    return bool(conn.execute(text("SELECT row_security_active('edfi.student')")).scalar())


def too_slow(login: str, what: str, exc: Exception) -> UserError:
    return UserError(f"{what} took longer than {STATEMENT_TIMEOUT_MS // 1000} s as {login}, so the bench stopped; "
                     f"run EXPLAIN (ANALYZE, BUFFERS) on it as {login} to see which row-level security policy is slow.")
