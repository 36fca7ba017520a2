"""Requirement sets (per state or district and school year) as data: load a CSV, read, edit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, text

from app.domain.cdsi.data import supporting_data
from app.domain.cdsi.school_entry import Requirement, RequirementError, check_requirement, read_requirements
from app.domain.school_calendar import school_year_for
from app.errors import UserError

EXAMPLE_SET = Path(__file__).resolve().parents[3] / "resources" / "cdsi" / "requirements" / "texas-2025-2026.csv"
EXAMPLE_SOURCE = ("Texas Department of State Health Services, 2025-2026 Texas Minimum State Vaccine Requirements "
                  "for Students Grades K-12 (25 TAC §§97.61-97.72)")


@dataclass(frozen=True)
class RequirementSet:
    set_id: int
    state_code: str
    district_id: int | None
    name: str
    school_year: int
    source: str
    is_active: bool


def load_requirement_set(conn: Connection, rows: list[Requirement], *, state_code: str, school_year: int, name: str,
                         source: str = "", district_id: int | None = None) -> int:
    """Store a set, replacing the rows of the set with the same state, district and year. Returns its id."""
    state_code = state_code.strip().upper()
    if len(state_code) != 2 or not state_code.isalpha():
        raise UserError(f"'{state_code}' is not a state's two-letter code; use e.g. TX.")
    set_id = conn.execute(text(
        "SELECT set_id FROM health.immunization_requirement_sets WHERE state_code = :s AND school_year = :y "
        "AND district_id IS NOT DISTINCT FROM :d"), {"s": state_code, "y": school_year, "d": district_id}).scalar()
    if set_id is None:
        set_id = conn.execute(text(
            "INSERT INTO health.immunization_requirement_sets (state_code, district_id, name, school_year, source) "
            "VALUES (:s, :d, :n, :y, :src) RETURNING set_id"),
            {"s": state_code, "d": district_id, "n": name, "y": school_year, "src": source}).scalar_one()
    else:
        conn.execute(text("UPDATE health.immunization_requirement_sets SET name = :n, source = :src, "
                          "updated_at = now() WHERE set_id = :id"), {"n": name, "src": source, "id": set_id})
        conn.execute(text("DELETE FROM health.immunization_requirements WHERE set_id = :id"), {"id": set_id})
    for r in rows:
        save_requirement(conn, set_id, r)
    return set_id


def load_example_set(conn: Connection, school_year: int) -> int:
    """The shipped Texas K-12 set, for the demo district and a first start."""
    with EXAMPLE_SET.open(newline="", encoding="utf-8") as f:
        rows = read_requirements(f, supporting_data().vaccine_groups)
    return load_requirement_set(conn, rows, state_code="TX", school_year=school_year,
                                name="Texas minimum state vaccine requirements, grades K-12", source=EXAMPLE_SOURCE)


def requirement_sets(conn: Connection) -> list[RequirementSet]:
    return [RequirementSet(r.set_id, r.state_code, r.district_id, r.name, r.school_year, r.source or "", r.is_active)
            for r in conn.execute(text(
                "SELECT set_id, state_code, district_id, name, school_year, source, is_active "
                "FROM health.immunization_requirement_sets ORDER BY school_year DESC, state_code, district_id"))]


def requirements_of(conn: Connection, set_id: int) -> list[Requirement]:
    return [Requirement(r.requirement_id, r.name, r.vaccine_group, r.grade_from, r.grade_to, r.doses_required,
                        r.description, r.doses_on_or_after_age or "", r.doses_after_age_count,
                        r.applies_from_age or "", r.applies_until_age or "", tuple(r.vaccine_cvx or ()))
            for r in conn.execute(text(
                "SELECT * FROM health.immunization_requirements WHERE set_id = :s "
                "ORDER BY grade_from, name, doses_required DESC, requirement_id"), {"s": set_id})]


def active_set_for_school(conn: Connection, school_id: int, day: date) -> RequirementSet | None:
    """The district's own set if it has one, else the state's: the newest active one in effect on `day`."""
    row = conn.execute(text(
        "SELECT r.set_id FROM health.immunization_requirement_sets r "
        "LEFT JOIN edfi.school s ON s.schoolid = :school "
        "WHERE r.is_active AND r.school_year <= :y AND (r.district_id IS NULL OR r.district_id = s.localeducationagencyid) "
        "ORDER BY (r.district_id IS NULL), r.school_year DESC LIMIT 1"),
        {"school": school_id, "y": school_year_for(day)}).scalar()
    if row is None:
        return None
    return next(s for s in requirement_sets(conn) if s.set_id == row)


def save_requirement(conn: Connection, set_id: int, r: Requirement) -> int:
    """Insert (requirement_id 0) or update one row, checked first (one sentence if wrong)."""
    try:
        check_requirement(r, supporting_data().vaccine_groups)
    except RequirementError as err:
        raise UserError(str(err)) from err
    params = {"set": set_id, "name": r.name.strip(), "group": r.vaccine_group, "gf": r.grade_from, "gt": r.grade_to,
              "doses": r.doses_required, "after": r.doses_on_or_after_age or None, "count": r.doses_after_age_count,
              "afrom": r.applies_from_age or None, "auntil": r.applies_until_age or None,
              "cvx": list(r.vaccine_cvx) or None, "desc": r.description.strip(), "id": r.requirement_id}
    columns = ("set_id = :set, name = :name, vaccine_group = :group, grade_from = :gf, grade_to = :gt, "
               "doses_required = :doses, doses_on_or_after_age = :after, doses_after_age_count = :count, "
               "applies_from_age = :afrom, applies_until_age = :auntil, vaccine_cvx = :cvx, description = :desc")
    _touch(conn, set_id)
    if r.requirement_id:
        done = conn.execute(text(f"UPDATE health.immunization_requirements SET {columns} "
                                 "WHERE requirement_id = :id AND set_id = :set"), params).rowcount
        if not done:
            raise UserError("That requirement no longer exists (someone deleted it); reload the list.")
        return r.requirement_id
    return conn.execute(text(
        "INSERT INTO health.immunization_requirements (set_id, name, vaccine_group, grade_from, grade_to, "
        "doses_required, doses_on_or_after_age, doses_after_age_count, applies_from_age, applies_until_age, "
        "vaccine_cvx, description) VALUES (:set, :name, :group, :gf, :gt, :doses, :after, :count, :afrom, :auntil, "
        ":cvx, :desc) RETURNING requirement_id"), params).scalar_one()


def _touch(conn: Connection, set_id: int) -> None:
    """A changed rule makes every status evaluated with the set out of date (compliance re-evaluates)."""
    conn.execute(text("UPDATE health.immunization_requirement_sets SET updated_at = now() WHERE set_id = :s"),
                 {"s": set_id})


def delete_requirement(conn: Connection, set_id: int, requirement_id: int) -> None:
    _touch(conn, set_id)
    conn.execute(text("DELETE FROM health.immunization_requirements WHERE requirement_id = :id AND set_id = :s"),
                 {"id": requirement_id, "s": set_id})
