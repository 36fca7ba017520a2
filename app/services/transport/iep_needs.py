"""The transport an IEP requires (wheelchair position, lift, car seat, harness, an aide, door-to-door
service), recorded by the staff who keep special-education plans on this system: the nurse of the
student's school (row-level security: her own schools' IEPs only) or an administrator. The bus desk
reads the needs, never the IEP, and only while the IEP is in force (Active, begun, not exited).
Every change re-derives the student's Ed-Fi StudentTransportation by trigger (migration 0028)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.domain.transport_rules import EQUIPMENT
from app.errors import UserError
from app.services.transport.common import needs_in_force
from app.services.transport.fit import check_rider_needs


@dataclass(frozen=True)
class IepTransportRow:
    iep_id: int
    student_usi: int
    iep_number: str
    effective_date: date
    exit_date: date | None
    status: str
    in_force: bool
    recorded: bool  # transport needs are on file for this IEP
    wheelchair: bool
    equipment: tuple[str, ...]
    aide_required: bool
    door_to_door: bool

    def describe(self) -> str:
        if not self.recorded:
            return "no transport recorded"
        parts = [p for p in ("wheelchair position" if self.wheelchair else "", *self.equipment,
                             "aide" if self.aide_required else "", "door to door" if self.door_to_door else "") if p]
        return ", ".join(parts) or "special transport"


def ieps_of(conn: Connection, student_usi: int, day: date) -> list[IepTransportRow]:
    """The student's IEPs the caller may see, newest first, with the transport recorded for each."""
    return [IepTransportRow(r[0], r[1], r[2] or f"IEP {r[0]}", r[3], r[4], r[5] or "", bool(r[6]), r[7] is not None,
                            bool(r[8]), tuple(r[9] or ()), bool(r[10]), bool(r[11])) for r in conn.execute(text(
        "SELECT i.iep_id, i.student_usi, i.iep_number, i.effective_date, i.exit_date, i.iep_status, "
        "i.iep_status = 'Active' AND i.effective_date <= :d AND (i.exit_date IS NULL OR i.exit_date >= :d), "
        "t.iep_id, t.wheelchair, t.equipment, t.aide_required, t.door_to_door "
        "FROM specialed.iep i LEFT JOIN transportation.iep_transport t ON t.iep_id = i.iep_id "
        "WHERE i.student_usi = :u ORDER BY i.effective_date DESC, i.iep_id DESC"), {"u": student_usi, "d": day})]


def record_iep_transport(conn: Connection, iep_id: int, wheelchair: bool, equipment: tuple[str, ...],
                         aide_required: bool, door_to_door: bool, *, confirm_overload: bool = False) -> None:
    """The transport the IEP requires; saving again replaces it (the same answer twice changes nothing).
    The runs the student rides must carry the needs in force after the save, as for a plan: a bus
    without the lift or wheelchair position is refused, an overload is asked about (OverloadWarning
    unless confirm_overload); nothing is saved then."""
    unknown = [e for e in equipment if e not in EQUIPMENT]
    if unknown:
        raise UserError(f"Equipment \"{unknown[0]}\" is not known; choose from {', '.join(EQUIPMENT)}.")
    if not conn.execute(text("SELECT 1 FROM specialed.iep WHERE iep_id = :i"), {"i": iep_id}).first():
        raise UserError("That IEP is not on file or not one of your schools'; look the student up again.")
    step = conn.begin_nested()
    conn.execute(text(
        "INSERT INTO transportation.iep_transport (iep_id, student_usi, wheelchair, equipment, aide_required, "
        "door_to_door) SELECT i.iep_id, i.student_usi, :w, CAST(:e AS text[]), :a, :d FROM specialed.iep i "
        "WHERE i.iep_id = :i ON CONFLICT (iep_id) DO UPDATE SET wheelchair = EXCLUDED.wheelchair, "
        "equipment = EXCLUDED.equipment, aide_required = EXCLUDED.aide_required, door_to_door = EXCLUDED.door_to_door"),
        {"i": iep_id, "w": wheelchair, "e": [e for e in EQUIPMENT if e in equipment], "a": aide_required,
         "d": door_to_door})
    try:
        _check_the_rides(conn, iep_id, confirm_overload)
    except UserError:
        step.rollback()
        raise
    step.commit()


def _check_the_rides(conn: Connection, iep_id: int, confirm_overload: bool) -> None:
    """From the day the IEP is in force (today at the earliest), the student's runs against the needs
    in force then (the IEP's just saved and the plan's own)."""
    row = conn.execute(text(
        "SELECT student_usi, greatest(current_date, effective_date) FROM specialed.iep WHERE iep_id = :i "
        "AND iep_status = 'Active' AND (exit_date IS NULL OR exit_date >= greatest(current_date, effective_date))"),
        {"i": iep_id}).first()
    if row is None:
        return  # not in force today or later: nothing rides on it
    needs = needs_in_force(conn, [row[0]], row[1]).get(row[0])
    if needs is not None and (needs.wheelchair or needs.equipment):
        check_rider_needs(conn, row[0], row[1], needs.wheelchair, needs.equipment, confirm_overload=confirm_overload)


def remove_iep_transport(conn: Connection, iep_id: int) -> None:
    """The IEP no longer requires special transport."""
    if conn.execute(text("DELETE FROM transportation.iep_transport WHERE iep_id = :i"), {"i": iep_id}).rowcount == 0:
        raise UserError("No transport is recorded for that IEP; nothing was removed.")
