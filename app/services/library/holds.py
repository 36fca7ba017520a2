"""Holds at title level, first come first served: place, cancel, the pull list, expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, text

from app.domain.library_rules import resolve_rule
from app.errors import UserError
from app.services.library.circulation import load_rules
from app.services.library.patrons import DeskSchool, Patron, _patron_clause
from app.services.request_ids import lock_request


@dataclass(frozen=True)
class PlacedHold:
    hold_id: int
    title: str
    position: int


def place_hold(conn: Connection, desk: DeskSchool, patron: Patron, resource_id: int, *,
               request_id: str | None = None, not_needed_after: date | None = None) -> PlacedHold:
    rid = lock_request(conn, request_id)
    if rid is not None:
        prior = conn.execute(text("SELECT hold_id FROM library.holds WHERE request_id = :r"), {"r": rid}).scalar()
        if prior is not None:
            return _placed(conn, prior)
    title = conn.execute(text("SELECT title FROM library.resources WHERE resource_id = :r"), {"r": resource_id}).scalar()
    if title is None:
        raise UserError("That title is not in the catalogue.")
    types = conn.execute(text("SELECT DISTINCT item_type FROM library.items WHERE resource_id = :r "
                              "AND status <> 'withdrawn'"), {"r": resource_id}).scalars().all()
    rules = load_rules(conn)
    if types and not any(resolve_rule(rules, desk.school_id, patron.category, t).holds_allowed for t in types):
        raise UserError(f"Holds are not allowed on {title} for {patron.category} patrons.")
    cond, params = _patron_clause(patron, "h")
    if conn.execute(text(f"SELECT 1 FROM library.holds h WHERE h.resource_id = :r AND h.status IN ('waiting', 'ready') "
                         f"AND {cond}"), {**params, "r": resource_id}).first():
        raise UserError(f"{patron.name} already has a hold on {title}.")
    cond, params = _patron_clause(patron, "c")
    if conn.execute(text(f"SELECT 1 FROM library.checkouts c WHERE c.resource_id = :r AND c.return_date IS NULL "
                         f"AND {cond}"), {**params, "r": resource_id}).first():
        raise UserError(f"{patron.name} already has {title} checked out.")
    hold_id = conn.execute(text(
        "INSERT INTO library.holds (resource_id, student_usi, staff_usi, pickup_school_id, not_needed_after, request_id) "
        "VALUES (:r, :su, :tu, :s, :nn, :rid) RETURNING hold_id"),
        {"r": resource_id, "su": patron.student_usi, "tu": patron.staff_usi, "s": desk.school_id,
         "nn": not_needed_after, "rid": rid}).scalar()
    return _placed(conn, hold_id)


def _placed(conn: Connection, hold_id: int) -> PlacedHold:
    r = conn.execute(text(
        "SELECT h.hold_id, r.title, (SELECT count(*) FROM library.holds q WHERE q.resource_id = h.resource_id "
        "AND q.status IN ('waiting', 'ready') AND q.placed_at <= h.placed_at)::int "
        "FROM library.holds h JOIN library.resources r ON r.resource_id = h.resource_id WHERE h.hold_id = :h"),
        {"h": hold_id}).one()
    return PlacedHold(*r)


def cancel_hold(conn: Connection, hold_id: int) -> None:
    row = conn.execute(text("SELECT status, item_id FROM library.holds WHERE hold_id = :h FOR UPDATE"),
                       {"h": hold_id}).first()
    if row is None or row[0] not in ("waiting", "ready"):
        raise UserError("That hold is not open any more.")
    conn.execute(text("UPDATE library.holds SET status = 'cancelled', closed_at = now() WHERE hold_id = :h"),
                 {"h": hold_id})
    if row[0] == "ready" and row[1] is not None:
        conn.execute(text("UPDATE library.items SET status = 'available', status_changed_at = now() "
                          "WHERE item_id = :i AND status = 'on_hold_shelf'"), {"i": row[1]})


@dataclass(frozen=True)
class PullLine:
    """A title someone waits for, with a copy on this school's shelf to pull."""
    title: str
    call_number: str | None
    barcode: str
    patron_name: str
    placed: date


def pull_list(conn: Connection, desk: DeskSchool) -> list[PullLine]:
    """The copies to pull from the shelves for waiting holds (oldest hold first, one copy each)."""
    rows = conn.execute(text("""
        SELECT r.title, i.call_number, i.barcode,
               coalesce(coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname,
                        st.firstname || ' ' || st.lastsurname), h.placed_at::date
          FROM library.holds h
          JOIN library.resources r ON r.resource_id = h.resource_id
          LEFT JOIN edfi.student s ON s.studentusi = h.student_usi
          LEFT JOIN edfi.staff st ON st.staffusi = h.staff_usi
          JOIN LATERAL (SELECT i.call_number, i.barcode FROM library.items i
                         WHERE i.resource_id = h.resource_id AND i.school_id = :s AND i.status = 'available'
                         ORDER BY i.item_id LIMIT 1) i ON true
         WHERE h.status = 'waiting' AND h.pickup_school_id = :s
         ORDER BY i.call_number, h.placed_at"""), {"s": desk.school_id}).all()
    return [PullLine(*r) for r in rows]


def expire_holds(conn: Connection, desk: DeskSchool, today: date | None = None) -> int:
    """Close holds whose shelf time or 'not needed after' day has passed; their copies go back."""
    today = today or date.today()
    items = conn.execute(text(
        "UPDATE library.holds SET status = 'expired', closed_at = now() WHERE pickup_school_id = :s AND "
        "((status = 'ready' AND shelf_expires_on < :d) OR (status = 'waiting' AND not_needed_after < :d)) "
        "RETURNING item_id"), {"s": desk.school_id, "d": today}).scalars().all()
    back = [i for i in items if i is not None]
    if back:
        conn.execute(text("UPDATE library.items SET status = 'available', status_changed_at = now() "
                          "WHERE item_id = ANY(:i) AND status = 'on_hold_shelf'"), {"i": back})
    return len(items)


def shelf_expiry(desk: DeskSchool, today: date) -> date:
    return today + timedelta(days=desk.hold_shelf_days)
