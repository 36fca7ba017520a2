"""Copies at the desk: look one up, set its status (lost, damaged, missing, claims returned,
withdrawn, not for loan, back to available), count in-house use, receive a copy in transit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.errors import UserError
from app.services.library.circulation import item_by_barcode
from app.services.library.patrons import DeskSchool

SETTABLE = ("available", "lost", "damaged", "missing", "claims_returned", "withdrawn", "not_for_loan")
STATUS_LABELS = {"available": "Available", "checked_out": "Checked out", "on_hold_shelf": "On the hold shelf",
                 "in_transit": "In transit", "lost": "Lost", "damaged": "Damaged", "missing": "Missing",
                 "claims_returned": "Claims returned", "withdrawn": "Withdrawn", "not_for_loan": "Not for loan"}


@dataclass(frozen=True)
class ItemInfo:
    barcode: str
    title: str
    author: str | None
    isbn: str | None
    call_number: str | None
    item_type: str
    status: str
    school: str
    due: date | None
    in_house_uses: int
    holds_waiting: int

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def item_info(conn: Connection, barcode: str) -> ItemInfo:
    r = conn.execute(text(
        "SELECT i.barcode, r.title, r.author, r.isbn, i.call_number, i.item_type, i.status, eo.nameofinstitution, "
        "(SELECT c.due_date FROM library.checkouts c WHERE c.item_id = i.item_id AND c.return_date IS NULL), "
        "i.in_house_uses, (SELECT count(*) FROM library.holds h WHERE h.resource_id = i.resource_id "
        "AND h.status = 'waiting')::int FROM library.items i JOIN library.resources r ON r.resource_id = i.resource_id "
        "JOIN edfi.educationorganization eo ON eo.educationorganizationid = i.school_id WHERE i.barcode = :b"),
        {"b": barcode.strip()}).first()
    if r is None:
        raise UserError(f"No copy has barcode {barcode.strip()!r}: check the label.")
    return ItemInfo(*r)


def set_item_status(conn: Connection, desk: DeskSchool, barcode: str, status: str, note: str = "") -> ItemInfo:
    if status not in SETTABLE:
        raise UserError(f"{status!r} is not a status a copy can be given here.")
    item = item_by_barcode(conn, barcode, lock=True)
    if item.school_id != desk.school_id:
        raise UserError("This copy belongs to another school: only its own library changes its status.")
    open_loan = conn.execute(text("SELECT checkout_id FROM library.checkouts WHERE item_id = :i AND return_date IS NULL"),
                             {"i": item.item_id}).scalar()
    if status == "available" and open_loan is not None:
        raise UserError("This copy is checked out: check it in instead.")
    if open_loan is not None and status in ("lost", "claims_returned"):
        # the loan stays open (the patron still owes it) but is marked
        conn.execute(text("UPDATE library.checkouts SET checkout_status = :s WHERE checkout_id = :c"),
                      {"s": STATUS_LABELS[status], "c": open_loan})
    elif open_loan is not None and status in ("withdrawn", "missing"):
        raise UserError("This copy is checked out: check it in first, or mark it lost.")
    conn.execute(text("UPDATE library.items SET status = :s, status_changed_at = now(), status_note = :n "
                      "WHERE item_id = :i"), {"s": status, "n": note.strip() or None, "i": item.item_id})
    return item_info(conn, barcode)


def record_in_house_use(conn: Connection, desk: DeskSchool, barcode: str) -> int:
    """A copy used in the library and left on the reshelving cart: counted, not lent."""
    item = item_by_barcode(conn, barcode, lock=True)
    if item.school_id != desk.school_id:
        raise UserError("This copy belongs to another school: check it in to send it home.")
    return conn.execute(text("UPDATE library.items SET in_house_uses = in_house_uses + 1, last_seen_at = now() "
                             "WHERE item_id = :i RETURNING in_house_uses"), {"i": item.item_id}).scalar()
