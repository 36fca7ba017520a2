"""Delegated medication administration: the staff members a school nurse has trained and whose
competency she checked, who may give medication when she is not there (on a field trip above all),
until the check expires. A dose given on a field trip names one of them (app.services.nurse.controlled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, text

from app.errors import UserError
from app.services.nurse.common import me

SCOPES = {"field_trips": "Field trips", "daily_doses": "Daily doses in the office",
          "emergency": "Emergency medication (epinephrine, glucagon, rescue inhaler)", "all": "All medication"}
TRIP_SCOPES = ("field_trips", "all")


@dataclass(frozen=True)
class Delegation:
    delegation_id: int
    staff_usi: int
    name: str
    scope: str
    trained_on: date
    competency_checked_on: date
    expires_on: date
    revoked_on: date | None
    checked_by: str | None

    @property
    def scope_label(self) -> str:
        return SCOPES.get(self.scope, self.scope)

    def in_force(self, day: date) -> bool:
        return self.competency_checked_on <= day <= self.expires_on and (self.revoked_on is None
                                                                          or self.revoked_on > day)


_LIST = """
SELECT d.delegation_id, d.staff_usi, st.firstname || ' ' || st.lastsurname, d.scope, d.trained_on,
       d.competency_checked_on, d.expires_on, d.revoked_on,
       (SELECT n.firstname || ' ' || n.lastsurname FROM edfi.staff n WHERE n.staffusi = d.checked_by)
  FROM health.medication_delegations d JOIN edfi.staff st ON st.staffusi = d.staff_usi"""


def delegations(conn: Connection, school_id: int, *, include_revoked: bool = False) -> list[Delegation]:
    """The school's delegations, soonest to expire first."""
    return [Delegation(*r) for r in conn.execute(text(
        _LIST + " WHERE d.school_id = :s AND (:r OR d.revoked_on IS NULL) ORDER BY d.expires_on, 3"),
        {"s": school_id, "r": include_revoked})]


def school_staff(conn: Connection, school_id: int, day: date) -> list[tuple[int, str]]:
    """Who works at the school (the people a nurse may train), by name."""
    return [tuple(r) for r in conn.execute(text(
        "SELECT DISTINCT st.staffusi, st.lastsurname || ', ' || st.firstname FROM edfi.staffschoolassociation w "
        "JOIN edfi.staff st ON st.staffusi = w.staffusi WHERE w.schoolid = :s ORDER BY 2"), {"s": school_id})]


def delegate(conn: Connection, staff_usi: int | None, school_id: int, scope: str, trained_on: date | None,
             checked_on: date | None, expires_on: date | None, note: str = "", *, today: date) -> int:
    """The nurse records that she trained a staff member and watched them give medication correctly."""
    if staff_usi is None:
        raise UserError("Pick the staff member you trained.")
    if scope not in SCOPES:
        raise UserError("Pick what the staff member may give: field trips, daily doses, emergency medication or all.")
    nurse = me(conn)
    if school_id not in nurse.school_ids:
        raise UserError("You delegate only at the schools you serve; pick your school.")
    if staff_usi == nurse.staff_usi:
        raise UserError("A nurse does not delegate to herself; pick the staff member you trained.")
    if trained_on is None or checked_on is None or expires_on is None:
        raise UserError("Enter the training date, the date you checked their competency and when it expires.")
    if checked_on > today or trained_on > checked_on:
        raise UserError("The competency check is after the training and not later than today; correct the dates.")
    if expires_on <= today:
        raise UserError(f"That competency expired on {expires_on:%B %d, %Y}; check it again and enter the new "
                        "expiry date.")
    if expires_on > checked_on + timedelta(days=366):
        raise UserError("A competency check lasts a year at most; enter an expiry date within a year of the check.")
    return conn.execute(text(
        "INSERT INTO health.medication_delegations (staff_usi, school_id, scope, trained_on, competency_checked_on, "
        "checked_by, expires_on, note) VALUES (:u, :s, :sc, :t, :c, compliance.my_staff_usi(), :e, :n) "
        "RETURNING delegation_id"),
        {"u": staff_usi, "s": school_id, "sc": scope, "t": trained_on, "c": checked_on, "e": expires_on,
         "n": note.strip() or None}).scalar()


def revoke(conn: Connection, delegation_id: int, *, today: date) -> None:
    done = conn.execute(text("UPDATE health.medication_delegations SET revoked_on = :d WHERE delegation_id = :i "
                             "AND revoked_on IS NULL RETURNING 1"), {"d": today, "i": delegation_id}).scalar()
    if done is None:
        raise UserError("That delegation is already revoked or is not your school's; refresh the list.")


def trip_delegate(conn: Connection, staff_usi: int | None, school_id: int, day: date) -> Delegation:
    """The staff member who gave doses on a field trip: delegated for trips and in force that day."""
    if staff_usi is None:
        raise UserError("Say who gave the doses on the trip; pick a staff member delegated for field trips.")
    for d in delegations(conn, school_id):
        if d.staff_usi == staff_usi and d.scope in TRIP_SCOPES and d.in_force(day):
            return d
    raise UserError("That staff member has no current delegation to give medication on field trips; check their "
                    "competency and record it first.")
