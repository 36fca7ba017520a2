"""School-entry compliance per student: evaluate (CDSi + the requirement set), store per school, refresh
what changed, and read it back for the nurse desk, the reports and the letters.

Every function takes a connection of the signed-in user: row-level security decides which students
it sees. Nothing here blocks a UI: the desk calls these through ui.ops.run_op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from sqlalchemy import Connection, text

from app.domain.cdsi import model as m
from app.domain.cdsi.data import supporting_data
from app.domain.cdsi.forecast import evaluate_group
from app.domain.cdsi.school_entry import (GroupCompliance, Requirement, STATUS_LABELS, applicable, judge_student,
                                          overall)
from app.services.immunizations.records import StudentRecord, load_students
from app.services.immunizations.requirements import RequirementSet, active_set_for_school, requirements_of
from app.errors import UserError

# The vaccine groups a school nurse forecasts for a school-age child (the others are travel or adult vaccines).
CHILDHOOD_GROUPS = ("DTaP/Tdap/Td", "Polio", "MMR", "HepB", "Varicella", "HepA", "Meningococcal", "HPV",
                    "Influenza", "Hib", "Pneumococcal")


@dataclass(frozen=True)
class StudentEvaluation:
    record: StudentRecord
    groups: tuple[GroupCompliance, ...]
    results: dict[str, m.VaccineGroupResult]

    @property
    def status(self) -> str:
        return overall(self.groups)


def evaluate_record(record: StudentRecord, rules: Sequence[Requirement], day: date,
                    forecast_groups: Sequence[str] = ()) -> StudentEvaluation:
    """CDSi for every vaccine group the rules (or `forecast_groups`) need, then the rules. No I/O."""
    data = supporting_data()
    needed = {r.vaccine_group for r in applicable(rules, record.grade, record.patient.birth_date, day)}
    results = {g: evaluate_group(g, record.patient, day, data) for g in sorted(needed | set(forecast_groups))}
    groups = judge_student(rules, results, record.patient, record.grade, record.exemptions, record.provisionals, day)
    return StudentEvaluation(record, tuple(groups), results)


def _store(conn: Connection, evaluations: Sequence[StudentEvaluation], set_id: int, day: date) -> None:
    usis = [e.record.student_usi for e in evaluations]
    if not usis:
        return
    conn.execute(text("DELETE FROM health.immunization_statuses WHERE student_usi = ANY(:u)"), {"u": usis})
    rows = [(e.record, g) for e in evaluations for g in e.groups if e.record.grade is not None]
    if rows:
        # one statement for the whole school: the audit triggers run per statement, not per row
        columns = {
            "u": ("integer", [r.student_usi for r, _g in rows]), "req": ("text", [g.requirement for _r, g in rows]),
            "school": ("bigint", [r.school_id for r, _g in rows]), "grp": ("text", [g.vaccine_group for _r, g in rows]),
            "grade": ("smallint", [r.grade for r, _g in rows]), "status": ("text", [g.status for _r, g in rows]),
            "reason": ("text", [g.reason for _r, g in rows]), "due": ("date", [g.next_due for _r, g in rows]),
            "valid": ("smallint", [g.valid_doses for _r, g in rows]),
            "required": ("smallint", [g.doses_required for _r, g in rows]),
            "deadline": ("date", [g.provisional_deadline for _r, g in rows])}
        arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, (kind, _v) in columns.items())
        conn.execute(text(
            "INSERT INTO health.immunization_statuses (student_usi, requirement, school_id, vaccine_group, grade, "
            "status, reason, next_due, valid_doses, doses_required, provisional_deadline, set_id, evaluated_on) "
            f"SELECT *, CAST(:set AS integer), CAST(:day AS date) FROM unnest({arrays})"),
            {**{name: values for name, (_k, values) in columns.items()}, "set": set_id, "day": day})
    conn.execute(text("DELETE FROM health.immunization_status_stale WHERE student_usi = ANY(:u)"), {"u": usis})


def _rules_for(conn: Connection, school_id: int, day: date) -> tuple[RequirementSet, list[Requirement]]:
    chosen = active_set_for_school(conn, school_id, day)
    if chosen is None:
        raise UserError("No immunization requirement set is in effect for this school; load your state's "
                        "(school-office-admin immunizations load-requirements) or add one on the nurse desk.")
    return chosen, requirements_of(conn, chosen.set_id)


def refresh_school(conn: Connection, school_id: int, day: date) -> int:
    """Evaluate every enrolled student of the school and store the statuses. Returns the students evaluated."""
    chosen, rules = _rules_for(conn, school_id, day)
    evaluations = [evaluate_record(r, rules, day) for r in load_students(conn, school_id=school_id)]
    _store(conn, evaluations, chosen.set_id, day)
    return len(evaluations)


def refresh_students(conn: Connection, student_usis: Sequence[int], day: date) -> int:
    """Evaluate these students at their current schools and store the statuses."""
    records = load_students(conn, student_usis=list(student_usis))
    by_school: dict[int, list[StudentRecord]] = {}
    for r in records:
        by_school.setdefault(r.school_id, []).append(r)
    for school_id, group in by_school.items():
        chosen, rules = _rules_for(conn, school_id, day)
        _store(conn, [evaluate_record(r, rules, day) for r in group], chosen.set_id, day)
    return len(records)


def refresh_stale(conn: Connection, day: date) -> int:
    """Evaluate the students whose records changed since (marked by the database's triggers)."""
    usis = list(conn.execute(text("SELECT student_usi FROM health.immunization_status_stale")).scalars())
    if not usis:
        return 0
    done = refresh_students(conn, usis, day)
    # students no longer enrolled anywhere: nothing to store, clear their marks
    conn.execute(text("DELETE FROM health.immunization_status_stale WHERE student_usi = ANY(:u)"), {"u": usis})
    return done


_OUT_OF_DATE = """
    SELECT EXISTS (SELECT 1 FROM edfi.studentschoolassociation a
                    WHERE a.schoolid = :s AND a.exitwithdrawdate IS NULL
                      AND NOT EXISTS (SELECT 1 FROM health.immunization_statuses t WHERE t.student_usi = a.studentusi))
        OR EXISTS (SELECT 1 FROM health.immunization_statuses t
                     JOIN health.immunization_requirement_sets r ON r.set_id = t.set_id
                    WHERE t.school_id = :s AND (t.evaluated_on < :d OR t.evaluated_at < r.updated_at))"""
_STALE_AT = """
    SELECT x.student_usi FROM health.immunization_status_stale x
      JOIN edfi.studentschoolassociation a ON a.studentusi = x.student_usi
     WHERE a.schoolid = :s AND a.exitwithdrawdate IS NULL"""


def school_needs_refresh(conn: Connection, school_id: int, day: date) -> bool:
    """True when a status is missing or older than today or the rules, or a student's record changed."""
    params = {"s": school_id, "d": day}
    return bool(conn.execute(text(_OUT_OF_DATE), params).scalar()
                or conn.execute(text(_STALE_AT + " LIMIT 1"), {"s": school_id}).first())


def ensure_school_current(conn: Connection, school_id: int, day: date) -> int:
    """Bring the school's stored statuses up to date: the whole school when the day or the rules changed
    (or a student has none), else only the students whose records changed. Returns the students evaluated."""
    if conn.execute(text(_OUT_OF_DATE), {"s": school_id, "d": day}).scalar():
        return refresh_school(conn, school_id, day)
    stale = list(conn.execute(text(_STALE_AT), {"s": school_id}).scalars())
    return refresh_students(conn, stale, day) if stale else 0


# ----------------------------------------------------------------- what the nurse desk shows for one student

@dataclass(frozen=True)
class ForecastLine:
    vaccine_group: str
    status: str                     # CDSi series status (Not complete, Complete, Immune, Aged out, ...)
    valid_doses: int
    earliest: date | None
    recommended: date | None
    past_due: date | None


@dataclass(frozen=True)
class StudentCompliance:
    student_usi: int
    name: str
    grade_code: str
    status: str                     # overall: compliant / in_progress / provisional / exempt / not_compliant
    requirements: tuple[GroupCompliance, ...]
    forecast: tuple[ForecastLine, ...]
    tell_family: tuple[str, ...]
    set_name: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def tell_family(groups: Sequence[GroupCompliance], forecast: Sequence[ForecastLine], day: date) -> tuple[str, ...]:
    """Plain sentences for the family: what is missing for school, then what the CDC schedule suggests next."""
    from app.domain.cdsi.school_entry import COMPLIANT, EXEMPT, _day

    lines = []
    for g in groups:
        if g.status in (COMPLIANT, EXEMPT):
            continue
        when = "now" if g.next_due is None or g.next_due <= day else f"on or after {_day(g.next_due)}"
        deadline = f" before {_day(g.provisional_deadline)}" if g.provisional_deadline and \
            g.provisional_deadline >= day else ""
        lines.append(f"{g.requirement}: your child has {g.valid_doses} of the {g.doses_required} doses school needs; "
                     f"the next dose can be given {when}{deadline}.")
    required = {g.vaccine_group for g in groups}
    for f in forecast:
        if f.vaccine_group in required or f.status != m.NOT_COMPLETE or f.recommended is None:
            continue
        if f.past_due and f.past_due < day:
            lines.append(f"{f.vaccine_group} (recommended by the CDC, not required for school): overdue since "
                         f"{_day(f.past_due)}; ask your child's doctor.")
    if not lines:
        lines.append("Your child's immunizations meet the school's requirements; nothing is needed now.")
    return tuple(lines)


def student_compliance(conn: Connection, student_usi: int, day: date) -> StudentCompliance:
    """Status at a glance, the CDSi forecast, and what to tell the family (evaluated now, and stored)."""
    records = load_students(conn, student_usis=[student_usi])
    if not records:
        raise UserError("That student is not enrolled at any of your schools, or you may not see their health "
                        "record.")
    record = records[0]
    chosen, rules = _rules_for(conn, record.school_id, day)
    evaluation = evaluate_record(record, rules, day, CHILDHOOD_GROUPS)
    _store(conn, [evaluation], chosen.set_id, day)
    forecast = tuple(ForecastLine(g, r.status, r.valid_doses, r.forecast.earliest, r.forecast.recommended,
                                  r.forecast.past_due)
                     for g, r in evaluation.results.items() if r.series)
    return StudentCompliance(record.student_usi, record.name, record.grade_code, evaluation.status,
                             evaluation.groups, forecast, tell_family(evaluation.groups, forecast, day), chosen.name)
