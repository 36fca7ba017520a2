"""Who is at the desk: the librarian's school, patrons (students and staff) and their accounts.

Library records are confidential: everything here runs as the signed-in librarian, so the
database's row-level security decides which students and loans exist for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.domain.library_rules import patron_category
from app.errors import UserError
from app.services.student_search import search_students


@dataclass(frozen=True)
class DeskSchool:
    school_id: int
    name: str
    barcode_scheme: str
    hold_shelf_days: int


def desk_school(conn: Connection, school_id: int | None = None) -> DeskSchool:
    """The school this desk serves: the given one (if the librarian works there) or their first."""
    mine = conn.execute(text("SELECT compliance.my_school_ids()")).scalar() or []
    is_admin = conn.execute(text("SELECT pg_has_role(session_user, 'so_admin', 'MEMBER')")).scalar()
    if school_id is None:
        if not mine:
            if not is_admin:
                raise UserError("Your sign-in is not assigned to any school: ask an administrator to assign you.")
            school_id = conn.execute(text("SELECT min(schoolid) FROM edfi.school")).scalar()
        else:
            school_id = mine[0]
    elif school_id not in mine and not is_admin:
        raise UserError("You do not work at that school: choose one of your own schools.")
    row = conn.execute(text(
        "SELECT eo.nameofinstitution, coalesce(s.barcode_scheme, 'none'), coalesce(s.hold_shelf_days, 7) "
        "FROM edfi.educationorganization eo LEFT JOIN library.settings s ON s.school_id = eo.educationorganizationid "
        "WHERE eo.educationorganizationid = :s"), {"s": school_id}).one()
    return DeskSchool(school_id, row[0], row[1], row[2])


@dataclass(frozen=True)
class Patron:
    """A borrower: a student (student_usi) or a staff member (staff_usi), never both."""
    student_usi: int | None
    staff_usi: int | None
    name: str
    card: str               # student id or staff id: what the card's barcode carries
    grade_level: str | None
    school_name: str | None
    homeroom: str | None = None
    withdrawn: bool = False

    @property
    def category(self) -> str:
        return patron_category(self.grade_level, is_staff=self.staff_usi is not None)

    @property
    def key(self) -> str:
        return f"student:{self.student_usi}" if self.student_usi is not None else f"staff:{self.staff_usi}"

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.replace(",", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper()


# The desk's patron rows (migration 0026): only the students the librarian may see, with grade,
# school, withdrawn and homeroom, scope checked once per call instead of once per table.
_STUDENTS = text("SELECT * FROM library.patron_rows(:c, CAST(:u AS integer[]))")


def _student_patron(row) -> Patron:
    return Patron(row[0], None, f"{row[3]}, {row[2]}", row[1], row[4], row[5], row[7], bool(row[6]))


def student_patron(conn: Connection, student_usi: int) -> Patron:
    row = conn.execute(_STUDENTS, {"c": None, "u": [student_usi]}).first()
    if row is None:
        raise UserError("That student is not one of your schools' students.")
    return _student_patron(row)


def staff_patron(conn: Connection, staff_usi: int) -> Patron:
    row = conn.execute(text("SELECT staffusi, staffuniqueid, coalesce(preferredfirstname, firstname), lastsurname "
                            "FROM edfi.staff WHERE staffusi = :u"), {"u": staff_usi}).first()
    if row is None:
        raise UserError("No staff member has that number.")
    return Patron(None, row[0], f"{row[3]}, {row[2]}", row[1], None, None)


def patron_by_card(conn: Connection, card: str) -> Patron | None:
    """The patron whose card (student id or staff id) was scanned, or None."""
    card = card.strip()
    if not card:
        return None
    row = conn.execute(_STUDENTS, {"c": card, "u": None}).first()
    if row is not None:
        return _student_patron(row)
    usi = conn.execute(text("SELECT staffusi FROM edfi.staff WHERE staffuniqueid = :c"), {"c": card}).scalar()
    return staff_patron(conn, usi) if usi is not None else None


def find_patrons(conn: Connection, query: str, limit: int = 12) -> list[Patron]:
    """Students by name or id (children rarely carry cards), with grade, school and homeroom."""
    hits = search_students(conn, query, limit=limit)
    if not hits:
        return []
    rows = conn.execute(_STUDENTS, {"c": None, "u": [h.student_usi for h in hits]}).all()
    by_usi = {r[0]: _student_patron(r) for r in rows}
    return [by_usi[h.student_usi] for h in hits if h.student_usi in by_usi]


@dataclass(frozen=True)
class LoanLine:
    checkout_id: int
    barcode: str
    title: str
    checked_out: date
    due: date
    renewals: int
    overdue_days: int

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


@dataclass(frozen=True)
class HoldLine:
    hold_id: int
    title: str
    status: str
    placed: date
    position: int
    shelf_expires_on: date | None


@dataclass(frozen=True)
class PatronAccount:
    patron: Patron
    loans: tuple[LoanLine, ...]
    holds: tuple[HoldLine, ...]

    @property
    def overdue_count(self) -> int:
        return sum(1 for loan in self.loans if loan.overdue)


def _patron_clause(p: Patron, alias: str) -> tuple[str, dict]:
    if p.student_usi is not None:
        return f"{alias}.student_usi = :pu", {"pu": p.student_usi}
    return f"{alias}.staff_usi = :pu", {"pu": p.staff_usi}


def patron_account(conn: Connection, patron: Patron, today: date | None = None) -> PatronAccount:
    today = today or date.today()
    cond, params = _patron_clause(patron, "c")
    loans = tuple(LoanLine(r[0], r[1], r[2], r[3], r[4], r[5] or 0, max((today - r[4]).days, 0)) for r in conn.execute(text(
        f"SELECT c.checkout_id, i.barcode, r.title, c.checkout_date, c.due_date, c.renewal_count "
        f"FROM library.checkouts c JOIN library.items i ON i.item_id = c.item_id "
        f"JOIN library.resources r ON r.resource_id = c.resource_id "
        f"WHERE {cond} AND c.return_date IS NULL ORDER BY c.due_date, r.title"), params))
    hcond, hparams = _patron_clause(patron, "h")
    holds = tuple(HoldLine(*r) for r in conn.execute(text(
        f"SELECT h.hold_id, r.title, h.status, h.placed_at::date, "
        f"(SELECT count(*) FROM library.holds q WHERE q.resource_id = h.resource_id AND q.status IN ('waiting', 'ready') "
        f"   AND q.placed_at <= h.placed_at)::int, h.shelf_expires_on "
        f"FROM library.holds h JOIN library.resources r ON r.resource_id = h.resource_id "
        f"WHERE {hcond} AND h.status IN ('waiting', 'ready') ORDER BY h.placed_at"), hparams))
    return PatronAccount(patron, loans, holds)
