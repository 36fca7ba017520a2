"""Class sets and textbooks: a set of copies lent to a teacher, a textbook title issued to every
student of a section, and the students still missing an assigned textbook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from app.errors import UserError
from app.services.library.circulation import CheckoutResult, Override, check_out
from app.services.library.patrons import DeskSchool, staff_patron, student_patron


def lend_class_set(conn: Connection, desk: DeskSchool, staff_usi: int, barcodes: list[str], *,
                   override: Override | None = None, at: datetime | None = None) -> list[CheckoutResult]:
    """Check every scanned copy of a class set out to the teacher (the teacher's rules apply)."""
    teacher = staff_patron(conn, staff_usi)
    return [check_out(conn, desk, teacher, b, override=override, at=at) for b in barcodes]


@dataclass(frozen=True)
class SectionRef:
    localcoursecode: str
    schoolid: int
    schoolyear: int
    sectionidentifier: str
    sessionname: str

    def params(self) -> dict:
        return {"lc": self.localcoursecode, "sc": self.schoolid, "sy": self.schoolyear, "si": self.sectionidentifier,
                "sn": self.sessionname}


_ROSTER = ("SELECT x.studentusi FROM edfi.studentsectionassociation x WHERE x.localcoursecode = :lc "
           "AND x.schoolid = :sc AND x.schoolyear = :sy AND x.sectionidentifier = :si AND x.sessionname = :sn "
           "AND (x.enddate IS NULL OR x.enddate >= current_date) ORDER BY x.studentusi")


def assign_textbook(conn: Connection, section: SectionRef, isbn_or_resource: str | int) -> int:
    rid = _resource(conn, isbn_or_resource)
    existing = conn.execute(text(
        "SELECT assignment_id FROM library.textbook_assignments WHERE resource_id = :r AND localcoursecode = :lc "
        "AND schoolid = :sc AND schoolyear = :sy AND sectionidentifier = :si AND sessionname = :sn"),
        {"r": rid, **section.params()}).scalar()
    if existing is not None:
        return existing
    return conn.execute(text(
        "INSERT INTO library.textbook_assignments (resource_id, localcoursecode, schoolid, schoolyear, "
        "sectionidentifier, sessionname) VALUES (:r, :lc, :sc, :sy, :si, :sn) RETURNING assignment_id"),
        {"r": rid, **section.params()}).scalar()


def _resource(conn: Connection, isbn_or_resource: str | int) -> int:
    if isinstance(isbn_or_resource, int):
        return isbn_or_resource
    from app.domain.library_codes import normalize_isbn
    try:
        isbn = normalize_isbn(isbn_or_resource)
    except ValueError as exc:
        raise UserError(f"{exc}: type the textbook's ISBN again.") from None
    rid = conn.execute(text("SELECT min(resource_id) FROM library.resources WHERE isbn = :i"), {"i": isbn}).scalar()
    if rid is None:
        raise UserError(f"No title in the catalogue has ISBN {isbn}: import its record first.")
    return rid


@dataclass(frozen=True)
class IssueLine:
    student_name: str
    barcode: str | None
    note: str


def issue_textbooks(conn: Connection, desk: DeskSchool, section: SectionRef, isbn_or_resource: str | int,
                    at: datetime | None = None) -> list[IssueLine]:
    """Check a copy of the title out to each student of the section who has none (copies by barcode order)."""
    rid = _resource(conn, isbn_or_resource)
    assign_textbook(conn, section, rid)
    roster = conn.execute(text(_ROSTER), section.params()).scalars().all()
    if not roster:
        raise UserError("That section has no students enrolled.")
    have = set(conn.execute(text("SELECT student_usi FROM library.checkouts WHERE resource_id = :r "
                                 "AND return_date IS NULL AND student_usi = ANY(:u)"), {"r": rid, "u": roster}).scalars())
    free = conn.execute(text("SELECT barcode FROM library.items WHERE resource_id = :r AND school_id = :s "
                             "AND status = 'available' ORDER BY barcode"), {"r": rid, "s": desk.school_id}).scalars().all()
    out = []
    for usi in roster:
        p = student_patron(conn, usi)
        if usi in have:
            out.append(IssueLine(p.name, None, "already has a copy"))
            continue
        if not free:
            out.append(IssueLine(p.name, None, "no copy left"))
            continue
        code = free.pop(0)
        r = check_out(conn, desk, p, code, override=Override(frozenset({"too_many_items", "too_many_overdue"}),
                                                             "textbook issued to the whole class"), at=at)
        out.append(IssueLine(p.name, code if r.done else None,
                             "issued" if r.done else "; ".join(x.message for x in r.problems)))
    return out


@dataclass(frozen=True)
class MissingTextbook:
    section: str
    title: str
    student_name: str
    student_card: str


def missing_textbooks(conn: Connection, desk: DeskSchool) -> list[MissingTextbook]:
    rows = conn.execute(text("""
        SELECT coalesce(sec.sectionname, a.localcoursecode || ' ' || a.sectionidentifier), r.title,
               s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), s.studentuniqueid
          FROM library.textbook_assignments a
          JOIN library.resources r ON r.resource_id = a.resource_id
          JOIN edfi.section sec ON sec.localcoursecode = a.localcoursecode AND sec.schoolid = a.schoolid
               AND sec.schoolyear = a.schoolyear AND sec.sectionidentifier = a.sectionidentifier
               AND sec.sessionname = a.sessionname
          JOIN edfi.studentsectionassociation x ON x.localcoursecode = a.localcoursecode AND x.schoolid = a.schoolid
               AND x.schoolyear = a.schoolyear AND x.sectionidentifier = a.sectionidentifier
               AND x.sessionname = a.sessionname AND (x.enddate IS NULL OR x.enddate >= current_date)
          JOIN edfi.student s ON s.studentusi = x.studentusi
         WHERE a.schoolid = :s
           AND NOT EXISTS (SELECT 1 FROM library.checkouts c WHERE c.student_usi = x.studentusi
                            AND c.resource_id = a.resource_id AND c.return_date IS NULL)
         ORDER BY 1, 2, 3"""), {"s": desk.school_id}).all()
    return [MissingTextbook(*r) for r in rows]
