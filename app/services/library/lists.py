"""The lists the librarian prints: overdues by homeroom (titles or counts only, for teachers),
overdue slips per student, the end-of-year clearance list (seniors with items out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.services.library.patrons import DeskSchool


@dataclass(frozen=True)
class OverdueLine:
    homeroom: str
    student_name: str
    student_card: str
    grade: str | None
    title: str
    barcode: str
    due: date
    days_overdue: int


_OVERDUE = """
SELECT coalesce((SELECT st.lastsurname || ' (' || coalesce(sec.locationclassroomidentificationcode, x.sectionidentifier) || ')'
                   FROM edfi.studentsectionassociation x
                   JOIN edfi.section sec ON sec.localcoursecode = x.localcoursecode AND sec.schoolid = x.schoolid
                        AND sec.schoolyear = x.schoolyear AND sec.sectionidentifier = x.sectionidentifier
                        AND sec.sessionname = x.sessionname
                   JOIN edfi.staffsectionassociation t ON t.localcoursecode = x.localcoursecode
                        AND t.schoolid = x.schoolid AND t.schoolyear = x.schoolyear
                        AND t.sectionidentifier = x.sectionidentifier AND t.sessionname = x.sessionname
                   JOIN edfi.staff st ON st.staffusi = t.staffusi
                  WHERE x.studentusi = s.studentusi AND x.homeroomindicator AND x.schoolid = c.school_id
                  ORDER BY x.begindate DESC LIMIT 1), 'No homeroom') AS homeroom,
       s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), s.studentuniqueid,
       (SELECT d.codevalue FROM edfi.studentschoolassociation a JOIN edfi.descriptor d
             ON d.descriptorid = a.entrygradeleveldescriptorid
         WHERE a.studentusi = s.studentusi ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1),
       r.title, i.barcode, c.due_date, (:today - c.due_date)
  FROM library.checkouts c
  JOIN edfi.student s ON s.studentusi = c.student_usi
  JOIN library.items i ON i.item_id = c.item_id
  JOIN library.resources r ON r.resource_id = c.resource_id
 WHERE c.school_id = :s AND c.return_date IS NULL AND c.due_date < :today
"""


def overdue_lines(conn: Connection, desk: DeskSchool, today: date | None = None) -> list[OverdueLine]:
    today = today or date.today()
    rows = conn.execute(text(_OVERDUE + " ORDER BY 1, 2, c.due_date"), {"s": desk.school_id, "today": today}).all()
    return [OverdueLine(*r) for r in rows]


@dataclass(frozen=True)
class ClearanceLine:
    student_name: str
    student_card: str
    title: str
    barcode: str
    due: date
    price: float | None


def clearance_lines(conn: Connection, desk: DeskSchool, grade: str = "Twelfth grade") -> list[ClearanceLine]:
    """Students of the grade (seniors by default) with items still out, with each copy's price."""
    rows = conn.execute(text("""
        SELECT s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), s.studentuniqueid, r.title,
               i.barcode, c.due_date, i.price
          FROM library.checkouts c
          JOIN edfi.student s ON s.studentusi = c.student_usi
          JOIN library.items i ON i.item_id = c.item_id
          JOIN library.resources r ON r.resource_id = c.resource_id
         WHERE c.return_date IS NULL AND i.school_id = :s
           AND EXISTS (SELECT 1 FROM edfi.studentschoolassociation a JOIN edfi.descriptor d
                         ON d.descriptorid = a.entrygradeleveldescriptorid
                        WHERE a.studentusi = s.studentusi AND a.schoolid = :s AND d.codevalue = :g)
         ORDER BY 1, r.title"""), {"s": desk.school_id, "g": grade}).all()
    return [ClearanceLine(r[0], r[1], r[2], r[3], r[4], float(r[5]) if r[5] is not None else None) for r in rows]
