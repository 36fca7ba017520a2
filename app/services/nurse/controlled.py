"""Controlled substances: counted in on receipt with a witness, counted periodically with a second
signer, signed out for a field trip and back. Each count is an append-only entry (migration 0011);
a count that differs from the record opens a discrepancy report that closes only with a note.

The database works out each entry's expected and after figures from the count on record and sets
the order's count on hand (migration 0024): no application role writes the count directly. A
supply counted in (the order form's starting count, or a refill) is such an entry too, witnessed.
The doses given on a field trip go into the administration log when the trip's doses come back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, text

from app.domain.nurse_rules import COUNT_KINDS, fmt_amount, not_in_future, parse_amount, trip_return_adds_up
from app.errors import UserError
from app.services.nurse.common import COUNT_LIST, aware, logged, me, required
from app.services.nurse.delegations import trip_delegate
from app.services.nurse.medications import Order, get_order, record_trip_doses
from app.services.nurse.witness import Signer


@dataclass(frozen=True)
class CountSaved:
    count_id: int
    on_hand: Decimal
    discrepancy_id: int | None


def _controlled(conn: Connection, medication_id: int, *, any_order: bool = False) -> Order:
    conn.execute(text("SELECT 1 FROM health.medications WHERE medication_id = :m FOR UPDATE"), {"m": medication_id})
    o = get_order(conn, medication_id)
    if not o.is_controlled and not any_order:
        raise UserError(f"{o.medication} is not a controlled substance; its doses are not counted.")
    return o


def _write(conn: Connection, o: Order, kind: str, quantity: Decimal, expected: Decimal | None, after: Decimal,
           witness: Signer, note: str, at: datetime, *, new_order: bool = False) -> int:
    """One count entry, citing the token the witness signed for exactly it from their own session (a
    supply counted in with a new order: for the student, as the witness cannot see the unsaved order).
    The database checks the token and the entry against the count on record and sets the order's count."""
    w = witness(kind=kind, quantity=quantity, medication_id=None if new_order else o.medication_id,
                student_usi=o.student_usi, school_id=o.school_id, medication_label=o.label if new_order else None)
    return conn.execute(text(
        "INSERT INTO health.controlled_counts (medication_id, student_usi, school_id, kind, quantity, expected, "
        "on_hand_after, counted_by, witness, witness_token, note, counted_at) VALUES (:m, :u, :s, :k, :q, :e, :a, "
        "compliance.my_staff_usi(), :w, :tok, :n, :t) RETURNING count_id"),
        {"m": o.medication_id, "u": o.student_usi, "s": o.school_id, "k": kind, "q": quantity, "e": expected,
         "a": after, "w": w.name, "tok": w.token, "n": note.strip() or None, "t": at}).scalar()


def _signed_in_staff(conn: Connection) -> None:
    if me(conn).staff_usi is None:
        raise UserError("Your sign-in is not linked to a staff record, so counts cannot be signed; ask an "
                        "administrator to link it.")


def receive(conn: Connection, medication_id: int, quantity: str, *, witness: Signer, note: str = "",
            now: datetime, new_order: bool = False) -> CountSaved:
    """A new supply counted in with a witness (any order that keeps a count; controlled ones must)."""
    o = _controlled(conn, medication_id, any_order=True)
    _signed_in_staff(conn)
    q = parse_amount(quantity, "Quantity received")
    on_hand = o.count_on_hand or Decimal(0)
    cid = _write(conn, o, "received", q, on_hand, on_hand + q, witness, note, aware(now), new_order=new_order)
    return CountSaved(cid, on_hand + q, None)


def count(conn: Connection, medication_id: int, counted: str, *, witness: Signer, note: str = "",
          now: datetime) -> CountSaved:
    """The periodic count with a second signer. A count that differs from the record opens a discrepancy."""
    o = _controlled(conn, medication_id)
    _signed_in_staff(conn)
    try:
        c = Decimal(str(counted).strip())
    except Exception:
        raise UserError(f"Count \"{counted}\" is not a number; count again and enter the number.") from None
    if not c.is_finite() or c < 0:
        raise UserError("A count cannot be below zero; count again and enter the number.")
    expected = o.count_on_hand or Decimal(0)
    at = aware(now)
    cid = _write(conn, o, "counted", c, expected, c, witness, note, at)
    # the database opens the discrepancy report of a count that differs from the record (migration 0032)
    disc = conn.execute(text("SELECT discrepancy_id FROM health.count_discrepancies WHERE count_id = :c"),
                        {"c": cid}).scalar()
    return CountSaved(cid, c, disc)


def _outstanding_on_trips(conn: Connection, medication_id: int) -> Decimal:
    """Signed out and not yet accounted for: a return's `expected` is what it settled."""
    return conn.execute(text(
        "SELECT coalesce(sum(CASE kind WHEN 'trip_out' THEN quantity WHEN 'trip_in' THEN -expected END), 0) "
        "FROM health.controlled_counts WHERE medication_id = :m"), {"m": medication_id}).scalar()


def trip_out(conn: Connection, medication_id: int, quantity: str, *, trip: str, witness: Signer,
             now: datetime) -> CountSaved:
    o = _controlled(conn, medication_id)
    _signed_in_staff(conn)
    what = required(trip, "The field trip")
    q = parse_amount(quantity, "Doses signed out")
    on_hand = o.count_on_hand or Decimal(0)
    if q > on_hand:
        raise UserError(f"Only {fmt_amount(on_hand)} of {o.medication} is on hand; {fmt_amount(q)} cannot be "
                        "signed out, so count again.")
    cid = _write(conn, o, "trip_out", q, on_hand, on_hand - q, witness, f"trip: {what}", aware(now))
    return CountSaved(cid, on_hand - q, None)


def trip_in(conn: Connection, medication_id: int, returned: str, given_at: tuple[datetime, ...] = (), *,
            given_by: int | None = None, witness: Signer, now: datetime) -> CountSaved:
    """Doses back from a trip: what returned plus the doses given there (one order dose at each time in
    `given_at`, by `given_by`: the StaffUSI of a staff member delegated to give medication on field trips,
    app.services.nurse.delegations) must be what went out. Each dose given on the trip goes into the
    administration log, pointing at this return."""
    o = _controlled(conn, medication_id)
    _signed_in_staff(conn)
    try:
        back = Decimal(str(returned or "0").strip() or "0")
    except Exception:
        raise UserError(f"Doses returned \"{returned}\" is not a number; count them and enter the number.") from None
    if back < 0:
        raise UserError("Doses returned cannot be below zero; count again.")
    now = aware(now)
    times = tuple(aware(t) for t in given_at)
    for t in times:
        not_in_future(t, now, "A dose given on the trip at")
    giver = trip_delegate(conn, given_by, o.school_id, times[0].date()) if times else None
    given = (o.dose_amount or Decimal(1)) * len(times)
    out = _outstanding_on_trips(conn, medication_id)
    if out <= 0:
        raise UserError(f"No doses of {o.medication} are signed out for a trip; sign them out first.")
    trip_return_adds_up(out, back, given, o.medication)
    on_hand = o.count_on_hand or Decimal(0)
    trip = conn.execute(text("SELECT note FROM health.controlled_counts WHERE medication_id = :m AND kind = 'trip_out' "
                             "ORDER BY count_id DESC LIMIT 1"), {"m": medication_id}).scalar() or "trip"
    cid = _write(conn, o, "trip_in", back, out, on_hand + back, witness, f"given on the trip: {fmt_amount(given)}", now)
    if times:
        record_trip_doses(conn, o, cid, times, f"Given on the field trip ({trip.removeprefix('trip: ')}) by "
                                               f"{giver.name}, delegated {giver.competency_checked_on:%m/%d/%Y}")
    return CountSaved(cid, on_hand + back, None)


@dataclass(frozen=True)
class CountLine:
    count_id: int
    kind: str
    quantity: Decimal
    expected: Decimal | None
    on_hand_after: Decimal
    counted_by: str
    witness: str
    note: str | None
    counted_at: datetime

    @property
    def kind_label(self) -> str:
        return COUNT_KINDS.get(self.kind, self.kind)


def count_history(conn: Connection, medication_id: int) -> list[CountLine]:
    rows = conn.execute(text(
        "SELECT c.count_id, c.kind, c.quantity, c.expected, c.on_hand_after, "
        "coalesce(st.firstname || ' ' || st.lastsurname, '?'), c.witness, c.note, c.counted_at "
        "FROM health.controlled_counts c LEFT JOIN edfi.staff st ON st.staffusi = c.counted_by "
        "WHERE c.medication_id = :m ORDER BY c.counted_at, c.count_id"), {"m": medication_id})
    return [CountLine(*r) for r in rows]


@dataclass(frozen=True)
class Discrepancy:
    discrepancy_id: int
    medication_id: int
    student: str
    medication: str
    expected: Decimal
    counted: Decimal
    opened_at: datetime
    closed_at: datetime | None
    resolution_note: str | None
    student_usi: int


def discrepancies(conn: Connection, school_id: int, *, open_only: bool = True) -> list[Discrepancy]:
    rows = conn.execute(text(
        "SELECT d.discrepancy_id, d.medication_id, s.lastsurname || ', ' || s.firstname, m.medication_name, d.expected, "
        "d.counted, d.opened_at, d.closed_at, d.resolution_note, d.student_usi FROM health.count_discrepancies d "
        "JOIN health.medications m ON m.medication_id = d.medication_id JOIN edfi.student s ON s.studentusi = d.student_usi "
        "WHERE d.school_id = :s AND (NOT :o OR d.closed_at IS NULL) ORDER BY d.opened_at"),
        {"s": school_id, "o": open_only})
    return logged(conn, [Discrepancy(*r) for r in rows], COUNT_LIST)


def close_discrepancy(conn: Connection, discrepancy_id: int, note: str, *, now: datetime) -> None:
    why = (note or "").strip()
    if not why:
        raise UserError("A discrepancy report cannot be closed without a note; say what was found and done.")
    closed = conn.execute(text(
        "UPDATE health.count_discrepancies SET closed_at = :t, closed_by = compliance.my_staff_usi(), "
        "resolution_note = :n WHERE discrepancy_id = :d AND closed_at IS NULL RETURNING 1"),
        {"t": aware(now), "n": why, "d": discrepancy_id}).scalar()
    if closed is None:
        raise UserError("That discrepancy report is already closed or is not one of your school's; refresh the list.")
