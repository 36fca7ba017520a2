"""Type-ahead student look-up: by partial first/last name, student id prefix or birth date.

Served by the prefix indexes on compliance.name_key() of first name, last name and student id
(app/db/models/edfi_people.py). name_key() is lower() marked LEAKPROOF and starts_with() is
LEAKPROOF too, so the planner may use those indexes before row-level security filters the rows;
a LIKE (not leakproof) would make it filter all 100,000 students first. Returns plain DTOs, newest school enrollment first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class StudentHit:
    student_usi: int
    student_unique_id: str
    first_name: str
    last_name: str
    birth_date: date | None  # None when the signed-in role may not read birth dates
    grade_level: str | None
    school_name: str | None

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")


def _parse_date(q: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(q, fmt).date()
        except ValueError:
            continue
    return None


def _prefix(token: str) -> str:
    return token.lower()


_ENROLLMENT = """
LEFT JOIN LATERAL (
    SELECT d.codevalue AS grade_level, eo.nameofinstitution AS school_name
    FROM edfi.studentschoolassociation ssa
    JOIN edfi.descriptor d ON d.descriptorid = ssa.entrygradeleveldescriptorid
    JOIN edfi.educationorganization eo ON eo.educationorganizationid = ssa.schoolid
    WHERE ssa.studentusi = s.studentusi
    ORDER BY (ssa.exitwithdrawdate IS NULL) DESC, ssa.entrydate DESC
    LIMIT 1
) enr ON true
"""

_SELECT = """
SELECT s.studentusi, s.studentuniqueid, s.firstname, s.lastsurname, {birth},
       enr.grade_level, enr.school_name
FROM edfi.student s
""" + _ENROLLMENT


def _may_read_birth_date(conn: Connection) -> bool:
    """Cashiers, librarians and bus staff read directory columns only (the database says which)."""
    return bool(conn.execute(text("SELECT has_column_privilege('edfi.student', 'birthdate', 'SELECT')")).scalar())


def search_students(conn: Connection, query: str, limit: int = 20) -> list[StudentHit]:
    q = " ".join(query.split())
    if not q:
        return []
    params: dict = {"limit": limit}
    birth = _parse_date(q)
    with_birth = _may_read_birth_date(conn)
    if birth is not None and not with_birth:
        return []
    if birth is not None:
        where = "s.birthdate = :birth"
        params["birth"] = birth
    elif re.fullmatch(r"[A-Za-z]?\d[\w-]*", q):
        where = "starts_with(compliance.name_key(s.studentuniqueid), :uid)"
        params["uid"] = _prefix(q)
    else:
        clauses = []
        tokens = [_prefix(t) for t in q.replace(",", " ").split()[:4]]
        for i, token in enumerate(tokens):
            params[f"t{i}"] = token
            # a surname of several words ("De la Cruz"): a word also counts when it continues the
            # words before it into the start of the surname (each alternative a prefix of the index)
            joined = []
            for j in range(i):
                params[f"t{j}_{i}"] = " ".join(tokens[j:i + 1])
                joined.append(f" OR starts_with(compliance.name_key(s.lastsurname), :t{j}_{i})")
            clauses.append(f"(starts_with(compliance.name_key(s.lastsurname), :t{i}) "
                           f"OR starts_with(compliance.name_key(s.firstname), :t{i}){''.join(joined)})")
        where = " AND ".join(clauses)
    # Left to the planner, with statistics on the name-key indexes: a rare prefix is read from the
    # prefix indexes and sorted; a common one ("ma") walks the (last, first) name index in order and
    # stops after `limit` visible students, so row-level security checks a few dozen rows, not the
    # thousands a two-letter prefix matches.
    sql = (
        "WITH top AS (SELECT studentusi, studentuniqueid, firstname, lastsurname, "
        f"{'birthdate' if with_birth else 'NULL::date AS birthdate'} "
        f"FROM edfi.student s WHERE {where} ORDER BY lastsurname, firstname, studentusi LIMIT :limit) "
        "SELECT s.studentusi, s.studentuniqueid, s.firstname, s.lastsurname, s.birthdate, "
        f"enr.grade_level, enr.school_name FROM top s {_ENROLLMENT} "
        "ORDER BY s.lastsurname, s.firstname, s.studentusi"
    )
    rows = conn.execute(text(sql), params).all()
    return [StudentHit(*r) for r in rows]


def fetch_student(conn: Connection, student_usi: int) -> StudentHit | None:
    birth = "s.birthdate" if _may_read_birth_date(conn) else "NULL::date"
    row = conn.execute(text(_SELECT.format(birth=birth) + " WHERE s.studentusi = :usi"), {"usi": student_usi}).first()
    return StudentHit(*row) if row else None
