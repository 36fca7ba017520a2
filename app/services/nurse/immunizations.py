"""Immunization records (CVX code, date, lot, provider, source), exemptions and provisional
enrollment. The compliance evaluation is issue 12's (app/services/immunization*): this desk stores
the records and shows the status that evaluation returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.errors import UserError
from app.services.nurse.common import me, student_brief
from app.services.nurse.cvx import cvx_codes, normalise_cvx

SOURCES = {"record": "Provider record", "registry": "State registry", "parent": "Parent-reported"}
CLOSE_REASONS = {"caught_up": "Caught up", "excluded": "Excluded", "withdrawn": "Withdrawn"}
EXEMPTIONS = {"medical": "Medical", "religious": "Religious", "personal": "Personal belief",
              "immunity": "Laboratory evidence of immunity"}


@dataclass(frozen=True)
class Dose:
    immunization_id: int
    cvx_code: str | None
    vaccine: str
    date_administered: date
    lot_number: str | None
    provider: str | None
    source: str


@dataclass(frozen=True)
class DoseForm:
    student_usi: int
    cvx_code: str
    date_administered: date | None
    lot_number: str = ""
    provider: str = ""
    source: str = "record"
    mvx_code: str = ""


def record_immunization(conn: Connection, f: DoseForm, *, today: date) -> int:
    code = normalise_cvx(f.cvx_code)
    known = cvx_codes().get(code)
    if known is None:
        raise UserError(f"CVX {f.cvx_code or '(empty)'} is not on the CDC's list; pick the vaccine from the list.")
    if f.date_administered is None:
        raise UserError("Enter the date the vaccine was given.")
    if f.date_administered > today:
        raise UserError(f"{f.date_administered:%B %d, %Y} has not come yet; enter the date the vaccine was given.")
    if f.source not in SOURCES:
        raise UserError(f"\"{f.source}\" is not a source; pick provider record, state registry or parent-reported.")
    student = student_brief(conn, f.student_usi, today)
    birth = conn.execute(text("SELECT birthdate FROM edfi.student WHERE studentusi = :u"), {"u": f.student_usi}).scalar()
    if birth is not None and f.date_administered < birth:
        raise UserError(f"{f.date_administered:%B %d, %Y} is before {student.name}'s birth date; check the date.")
    return conn.execute(text(
        "INSERT INTO health.immunizations (student_usi, vaccine_type, date_administered, administered_by, lot_number, "
        "cvx_code, mvx_code, source, recorded_by) VALUES (:u, :v, :d, :p, :l, :c, :m, :s, compliance.my_staff_usi()) "
        "RETURNING immunization_id"),
        {"u": f.student_usi, "v": known.short_description, "d": f.date_administered, "p": f.provider.strip() or None,
         "l": f.lot_number.strip() or None, "c": code, "m": f.mvx_code.strip() or None, "s": f.source}).scalar()


def immunization_history(conn: Connection, student_usi: int) -> list[Dose]:
    return [Dose(*r) for r in conn.execute(text(
        "SELECT immunization_id, cvx_code, vaccine_type, date_administered, lot_number, administered_by, source "
        "FROM health.immunizations WHERE student_usi = :u ORDER BY date_administered, immunization_id"),
        {"u": student_usi})]


@dataclass(frozen=True)
class Exemption:
    exemption_id: int
    vaccine_group: str | None
    exemption_type: str
    granted_on: date
    expires_on: date | None
    signed_by: str | None
    revoked_on: date | None

    def in_force(self, day: date) -> bool:
        return self.granted_on <= day and (self.expires_on is None or self.expires_on >= day) \
            and (self.revoked_on is None or self.revoked_on > day)


def vaccine_groups() -> list[str]:
    return sorted({g for c in cvx_codes().values() for g in c.vaccine_groups})


def record_exemption(conn: Connection, student_usi: int, exemption_type: str, vaccine_group: str | None,
                     granted_on: date | None, expires_on: date | None, signed_by: str, note: str = "", *,
                     today: date) -> int:
    if exemption_type not in EXEMPTIONS:
        raise UserError(f"\"{exemption_type}\" is not an exemption type; pick medical, religious, personal belief or "
                        "laboratory immunity.")
    group = (vaccine_group or "").strip() or None
    if group is not None and group not in vaccine_groups():
        raise UserError(f"\"{group}\" is not a vaccine group; pick one from the list, or leave it empty for all.")
    if granted_on is None or granted_on > today:
        raise UserError("Enter the date the exemption was signed (today or earlier).")
    if expires_on is not None and expires_on <= granted_on:
        raise UserError("The exemption expires before it was signed; correct the expiry date.")
    if exemption_type == "medical" and not (signed_by or "").strip():
        raise UserError("A medical exemption is signed by a physician; enter the physician's name.")
    student_brief(conn, student_usi, today)
    return conn.execute(text(
        "INSERT INTO health.immunization_exemptions (student_usi, vaccine_group, exemption_type, granted_on, expires_on, "
        "signed_by, note) VALUES (:u, :g, :t, :a, :e, :s, :n) RETURNING exemption_id"),
        {"u": student_usi, "g": group, "t": exemption_type, "a": granted_on, "e": expires_on,
         "s": signed_by.strip() or None, "n": note.strip() or None}).scalar()


def exemptions(conn: Connection, student_usi: int) -> list[Exemption]:
    return [Exemption(*r) for r in conn.execute(text(
        "SELECT exemption_id, vaccine_group, exemption_type, granted_on, expires_on, signed_by, revoked_on "
        "FROM health.immunization_exemptions WHERE student_usi = :u ORDER BY granted_on DESC"), {"u": student_usi})]


@dataclass(frozen=True)
class Provisional:
    provisional_id: int
    school_id: int
    vaccine_groups: tuple[str, ...]
    starts_on: date
    deadline: date
    closed_on: date | None
    closed_reason: str | None


def start_provisional(conn: Connection, student_usi: int, deadline: date | None, groups: list[str], note: str = "",
                      *, today: date) -> int:
    if deadline is None or deadline <= today:
        raise UserError("A provisional enrollment needs a deadline after today; enter the date the doses are due.")
    unknown = [g for g in groups if g not in vaccine_groups()]
    if unknown:
        raise UserError(f"{', '.join(unknown)} is not a vaccine group; pick from the list.")
    s = student_brief(conn, student_usi, today)
    if s.school_id is None or s.school_id not in me(conn).school_ids:
        raise UserError(f"{s.name} is not enrolled at your school today; check the student.")
    if conn.execute(text("SELECT 1 FROM health.provisional_enrollments WHERE student_usi = :u AND closed_on IS NULL"),
                    {"u": student_usi}).first():
        raise UserError(f"{s.name} already has an open provisional enrollment; close it before starting another.")
    return conn.execute(text(
        "INSERT INTO health.provisional_enrollments (student_usi, school_id, vaccine_groups, starts_on, deadline, note) "
        "VALUES (:u, :s, :g, :a, :d, :n) RETURNING provisional_id"),
        {"u": student_usi, "s": s.school_id, "g": groups or None, "a": today, "d": deadline,
         "n": note.strip() or None}).scalar()


def close_provisional(conn: Connection, provisional_id: int, reason: str, *, today: date) -> None:
    if reason not in CLOSE_REASONS:
        raise UserError("Close a provisional enrollment as caught up, excluded or withdrawn.")
    done = conn.execute(text("UPDATE health.provisional_enrollments SET closed_on = :d, closed_reason = :r "
                             "WHERE provisional_id = :p AND closed_on IS NULL RETURNING 1"),
                        {"d": today, "r": reason, "p": provisional_id}).scalar()
    if done is None:
        raise UserError("That provisional enrollment is already closed; refresh the student.")


def provisional(conn: Connection, student_usi: int) -> list[Provisional]:
    return [Provisional(r[0], r[1], tuple(r[2] or ()), *r[3:]) for r in conn.execute(text(
        "SELECT provisional_id, school_id, vaccine_groups, starts_on, deadline, closed_on, closed_reason "
        "FROM health.provisional_enrollments WHERE student_usi = :u ORDER BY starts_on DESC"), {"u": student_usi})]
