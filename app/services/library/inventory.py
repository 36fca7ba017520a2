"""Shelf inventory: scan a call-number range (or load a handheld scanner's file), flag copies out
of call-number order and copies that belong elsewhere, and when finalized mark the copies of the
range that were never seen missing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from app.errors import UserError
from app.services.library.patrons import DeskSchool


def call_key(call: str | None) -> tuple:
    """Shelf order of a call number: class number as a number, then the rest (FIC and letters after)."""
    call = (call or "").strip().upper()
    m = re.match(r"^(R\s+)?(\d+(?:\.\d+)?)\s*(.*)$", call)
    if m:
        return (0, float(m.group(2)), m.group(3))
    return (1, 0.0, call)


def start_inventory(conn: Connection, desk: DeskSchool, call_from: str, call_to: str) -> int:
    if call_key(call_from) > call_key(call_to):
        raise UserError("The range is backwards: the first call number sorts after the last.")
    return conn.execute(text("INSERT INTO library.inventories (school_id, call_from, call_to) VALUES (:s, :a, :b) "
                             "RETURNING inventory_id"), {"s": desk.school_id, "a": call_from, "b": call_to}).scalar()


@dataclass(frozen=True)
class ScanResult:
    barcode: str
    title: str | None
    call_number: str | None
    problem: str | None


def scan_shelf(conn: Connection, inventory_id: int, barcodes: list[str]) -> list[ScanResult]:
    """Record barcodes in shelf order; each is checked against the previous copy's call number."""
    inv = conn.execute(text("SELECT school_id, call_from, call_to, finalized_at FROM library.inventories "
                            "WHERE inventory_id = :v"), {"v": inventory_id}).first()
    if inv is None or inv[3] is not None:
        raise UserError("That inventory is finished or does not exist: start a new one.")
    seq, prev = conn.execute(text("SELECT coalesce(max(s.seq), 0), (SELECT i.call_number FROM library.inventory_scans x "
                                  "JOIN library.items i ON i.item_id = x.item_id WHERE x.inventory_id = :v "
                                  "ORDER BY x.seq DESC LIMIT 1) FROM library.inventory_scans s "
                                  "WHERE s.inventory_id = :v"), {"v": inventory_id}).one()
    out = []
    for code in (b.strip() for b in barcodes):
        if not code:
            continue
        seq += 1
        it = conn.execute(text("SELECT i.item_id, i.call_number, i.school_id, i.status, r.title FROM library.items i "
                               "JOIN library.resources r ON r.resource_id = i.resource_id WHERE i.barcode = :b"),
                          {"b": code}).first()
        problem = None
        if it is None:
            problem = "unknown barcode"
        elif it[2] != inv[0]:
            problem = "belongs to another school"
        elif it[3] == "checked_out":
            problem = "shown as checked out: check it in"
        elif not (call_key(inv[1]) <= call_key(it[1]) <= call_key(inv[2])):
            problem = "outside the range of this shelf"
        elif prev is not None and call_key(it[1]) < call_key(prev):
            problem = f"out of order: shelved after {prev}"
        conn.execute(text("INSERT INTO library.inventory_scans (inventory_id, seq, barcode, item_id, problem) "
                          "VALUES (:v, :q, :b, :i, :p)"),
                     {"v": inventory_id, "q": seq, "b": code, "i": it[0] if it else None, "p": problem})
        if it is not None and it[2] == inv[0]:
            conn.execute(text("UPDATE library.items SET last_seen_at = now() WHERE item_id = :i"), {"i": it[0]})
            prev = it[1] if problem is None or problem.startswith("out of order") else prev
        out.append(ScanResult(code, it[4] if it else None, it[1] if it else None, problem))
    return out


def load_scanner_file(conn: Connection, inventory_id: int, content: str) -> list[ScanResult]:
    """A handheld scanner's file: one barcode per line (a CSV's first column), in shelf order."""
    return scan_shelf(conn, inventory_id, [line.split(",")[0].strip().strip('"') for line in content.splitlines()])


@dataclass(frozen=True)
class InventoryResult:
    scanned: int
    problems: int
    marked_missing: tuple[str, ...]


def finalize_inventory(conn: Connection, inventory_id: int) -> InventoryResult:
    """Copies of the range, on the shelf by their status, that were not scanned become missing."""
    inv = conn.execute(text("SELECT school_id, call_from, call_to, finalized_at FROM library.inventories "
                            "WHERE inventory_id = :v FOR UPDATE"), {"v": inventory_id}).first()
    if inv is None or inv[3] is not None:
        raise UserError("That inventory is already finalized.")
    seen = set(conn.execute(text("SELECT item_id FROM library.inventory_scans WHERE inventory_id = :v "
                                 "AND item_id IS NOT NULL"), {"v": inventory_id}).scalars())
    shelf = conn.execute(text("SELECT item_id, barcode, call_number FROM library.items WHERE school_id = :s "
                              "AND status = 'available'"), {"s": inv[0]}).all()
    lo, hi = call_key(inv[1]), call_key(inv[2])
    unseen = [(i, b) for i, b, c in shelf if lo <= call_key(c) <= hi and i not in seen]
    if unseen:
        conn.execute(text("UPDATE library.items SET status = 'missing', status_changed_at = now(), "
                          "status_note = 'not seen in inventory ' || :v WHERE item_id = ANY(:i)"),
                     {"v": inventory_id, "i": [i for i, _ in unseen]})
    counts = conn.execute(text("SELECT count(*), count(problem) FROM library.inventory_scans WHERE inventory_id = :v"),
                          {"v": inventory_id}).one()
    conn.execute(text("UPDATE library.inventories SET finalized_at = now(), marked_missing = :n WHERE inventory_id = :v"),
                 {"n": len(unseen), "v": inventory_id})
    return InventoryResult(counts[0], counts[1], tuple(sorted(b for _, b in unseen)))
