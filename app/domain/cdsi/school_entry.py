"""School-entry compliance: a state's or district's requirements (data) judged on the CDSi evaluation.

A requirement is one way to satisfy a vaccine group for a range of grades: "5 valid doses", "4 valid
doses, at least one on or after the 4th birthday", "1 dose of Tdap on or after the 10th birthday".
Several rows for the same vaccine group and grade are alternatives: meeting any one is enough. Only
doses the CDSi evaluation judged valid count, so a dose given too early never satisfies a requirement.

Per student and vaccine group the outcome is one of
- compliant       a requirement is met (or laboratory evidence of immunity is on file);
- in progress     started, not met, and the next dose cannot be given yet (its earliest date is later);
- provisional     not met, but a provisional enrollment covering the group is open and in time;
- exempt          not met, and a medical or religious/personal exemption is in force;
- not compliant   not met, nothing overrides it (a provisional deadline that has passed included);
with one sentence saying why and the date the next dose is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

from app.domain.cdsi import model as m
from app.domain.cdsi.data import cvx_code
from app.domain.cdsi.dates import date_or

COMPLIANT, IN_PROGRESS, PROVISIONAL, EXEMPT, NOT_COMPLIANT = (
    "compliant", "in_progress", "provisional", "exempt", "not_compliant")
STATUSES = (COMPLIANT, IN_PROGRESS, PROVISIONAL, EXEMPT, NOT_COMPLIANT)
STATUS_LABELS = {COMPLIANT: "Compliant", IN_PROGRESS: "In progress", PROVISIONAL: "Provisional",
                 EXEMPT: "Exempt", NOT_COMPLIANT: "Not compliant"}
# the worst status first: a student's overall status is the worst of the groups
SEVERITY = (NOT_COMPLIANT, PROVISIONAL, IN_PROGRESS, EXEMPT, COMPLIANT)

GRADES = {"Infant/toddler": -2, "Preschool": -1, "Prekindergarten": -1, "Transitional Kindergarten": -1,
          "Kindergarten": 0, "First grade": 1, "Second grade": 2, "Third grade": 3, "Fourth grade": 4,
          "Fifth grade": 5, "Sixth grade": 6, "Seventh grade": 7, "Eighth grade": 8, "Ninth grade": 9,
          "Tenth grade": 10, "Eleventh grade": 11, "Twelfth grade": 12}
GRADE_SHORT = {-2: "Infant", -1: "Pre-K", 0: "K"}


def grade_number(code_value: str | None) -> int | None:
    """Ed-Fi GradeLevelDescriptor code value ('Kindergarten', 'Seventh grade') or 'K'/'7' -> -1..12."""
    text = (code_value or "").strip()
    if text in GRADES:
        return GRADES[text]
    if text.upper() in ("K", "KG"):
        return 0
    if text.upper() in ("PK", "PRE-K"):
        return -1
    return int(text) if text.lstrip("-").isdigit() else None


def grade_label(number: int) -> str:
    return GRADE_SHORT.get(number, str(number))


@dataclass(frozen=True)
class Requirement:
    requirement_id: int
    name: str                           # what must be met ('DTaP/Tdap/Td', 'Tdap booster'); rows with the same
    vaccine_group: str                  # name are alternatives. vaccine_group: the CDSi group whose doses count
    grade_from: int
    grade_to: int
    doses_required: int
    description: str
    doses_on_or_after_age: str = ""     # e.g. '4 years': at least `doses_after_age_count` doses on/after it
    doses_after_age_count: int = 1
    applies_from_age: str = ""          # the student's age from which the row applies (e.g. '7 years')
    applies_until_age: str = ""         # ... and before which
    vaccine_cvx: tuple[str, ...] = ()   # only these vaccines count (e.g. Tdap 115); empty: any in the group


@dataclass(frozen=True)
class Exemption:
    vaccine_group: str | None           # None: every group
    exemption_type: str                 # medical, religious, personal, immunity
    granted_on: date
    expires_on: date | None = None
    revoked_on: date | None = None

    def in_force(self, day: date) -> bool:
        return (self.granted_on <= day and (self.expires_on is None or self.expires_on >= day)
                and (self.revoked_on is None or self.revoked_on > day))


@dataclass(frozen=True)
class Provisional:
    vaccine_groups: tuple[str, ...] | None   # None: every group that is short
    starts_on: date
    deadline: date
    closed_on: date | None = None

    def open_on(self, day: date) -> bool:
        return self.closed_on is None and self.starts_on <= day


@dataclass(frozen=True)
class GroupCompliance:
    requirement: str
    vaccine_group: str
    status: str
    reason: str
    next_due: date | None
    valid_doses: int
    doses_required: int
    provisional_deadline: date | None = None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def applicable(requirements: Iterable[Requirement], grade: int | None, birth: date, day: date) -> list[Requirement]:
    """The requirement rows for this grade and the student's age on `day`."""
    if grade is None:
        return []
    out = []
    for r in requirements:
        if not (r.grade_from <= grade <= r.grade_to):
            continue
        if r.applies_from_age and day < date_or(birth, r.applies_from_age, birth):
            continue
        if r.applies_until_age and day >= date_or(birth, r.applies_until_age, birth):
            continue
        out.append(r)
    return out


def _valid_dates(result: m.VaccineGroupResult, patient: m.Patient, cvx: Sequence[str]) -> list[date]:
    by_position = {d.position: d for d in patient.doses}
    dates = []
    for position, (status, _reason) in result.dose_status.items():
        dose = by_position.get(position)
        if status == m.VALID and dose is not None and (not cvx or dose.cvx in cvx):
            dates.append(dose.date_administered)
    return sorted(dates)


def _met(r: Requirement, dates: list[date], birth: date) -> bool:
    if len(dates) < r.doses_required:
        return False
    if r.doses_on_or_after_age:
        since = date_or(birth, r.doses_on_or_after_age, birth)
        return sum(1 for d in dates if d >= since) >= r.doses_after_age_count
    return True


def _missing(r: Requirement, dates: list[date], birth: date) -> int:
    """Doses still needed for this alternative (a dose after an age counts as one more when none is)."""
    short = max(0, r.doses_required - len(dates))
    if r.doses_on_or_after_age:
        since = date_or(birth, r.doses_on_or_after_age, birth)
        short = max(short, r.doses_after_age_count - sum(1 for d in dates if d >= since))
    return short


def _day(d: date) -> str:
    """'December 3, 2026' (strftime's %-d is not portable to Windows)."""
    return f"{d:%B} {d.day}, {d.year}"


def judge_group(rows: Sequence[Requirement], result: m.VaccineGroupResult, patient: m.Patient,
                exemptions: Sequence[Exemption], provisionals: Sequence[Provisional], day: date) -> GroupCompliance:
    """One requirement for one student on `day` (rows: its alternatives that apply, same vaccine group)."""
    birth = patient.birth_date
    name, group = rows[0].name, rows[0].vaccine_group
    counted = [(r, _valid_dates(result, patient, r.vaccine_cvx)) for r in rows]
    # what to report when nothing is met: the alternative with the fewest doses missing, the main one on a tie
    best_row, best_dates = min(counted, key=lambda rd: (_missing(rd[0], rd[1], birth), -rd[0].doses_required))
    valid, required = len(best_dates), best_row.doses_required
    have = f"{valid} of {required} valid {'dose' if required == 1 else 'doses'} of {name}"
    if any(_met(r, d, birth) for r, d in counted):
        met = next(r for r, d in counted if _met(r, d, birth))
        return GroupCompliance(name, group, COMPLIANT, f"Meets the requirement: {met.description}", None, valid, required)
    in_force = [e for e in exemptions if e.in_force(day) and e.vaccine_group in (None, group)]
    if any(e.exemption_type == "immunity" for e in in_force):
        return GroupCompliance(name, group, COMPLIANT, "Laboratory evidence of immunity is on file.", None, valid, required)
    forecast = result.forecast
    next_due = forecast.earliest if result.status == m.NOT_COMPLETE else None
    if next_due is None and valid < required:
        next_due = day  # the state asks for more than the CDC schedule still forecasts: due now
    due_text = (f"the next dose can be given from {_day(next_due)}" if next_due and next_due > day
                else "the next dose is due now")
    if in_force:
        e = in_force[0]
        until = f" until {_day(e.expires_on)}" if e.expires_on else ""
        kind = {"medical": "A medical", "religious": "A religious", "personal": "A personal-belief"}.get(
            e.exemption_type, "An")
        return GroupCompliance(name, group, EXEMPT, f"{kind} exemption is in force{until} ({have}).", next_due, valid,
                               required)
    covering = [p for p in provisionals if p.open_on(day) and (p.vaccine_groups is None or group in p.vaccine_groups)]
    if covering:
        p = max(covering, key=lambda p: p.deadline)
        if p.deadline >= day:
            return GroupCompliance(name, group, PROVISIONAL, f"Enrolled provisionally until {_day(p.deadline)}: "
                                   f"{have}; {due_text}.", next_due, valid, required, p.deadline)
        return GroupCompliance(name, group, NOT_COMPLIANT, f"The provisional enrollment ended {_day(p.deadline)} "
                               f"with {have}; {due_text}.", next_due, valid, required, p.deadline)
    if valid > 0 and next_due is not None and next_due > day:
        return GroupCompliance(name, group, IN_PROGRESS, f"In progress: {have}; {due_text}.", next_due, valid, required)
    if valid == 0:
        return GroupCompliance(name, group, NOT_COMPLIANT, f"No valid dose of {name} is on record; {due_text}.",
                               next_due, valid, required)
    return GroupCompliance(name, group, NOT_COMPLIANT, f"Has {have}; {due_text}.", next_due, valid, required)


def judge_student(requirements: Sequence[Requirement], results: dict[str, m.VaccineGroupResult],
                  patient: m.Patient, grade: int | None, exemptions: Sequence[Exemption],
                  provisionals: Sequence[Provisional], day: date) -> list[GroupCompliance]:
    """Every requirement of this student's grade. `results`: the CDSi evaluation per vaccine group."""
    rows = applicable(requirements, grade, patient.birth_date, day)
    named: dict[str, list[Requirement]] = {}
    for r in rows:
        named.setdefault(r.name, []).append(r)
    return [judge_group(alternatives, results[alternatives[0].vaccine_group], patient, exemptions, provisionals, day)
            for alternatives in named.values()]


def overall(statuses: Iterable[GroupCompliance]) -> str:
    present = {s.status for s in statuses}
    return next((s for s in SEVERITY if s in present), COMPLIANT)


# ----------------------------------------------------------------- requirement sets as CSV (data)

REQUIREMENT_COLUMNS = ("name", "vaccine_group", "grade_from", "grade_to", "doses_required", "doses_on_or_after_age",
                       "doses_after_age_count", "applies_from_age", "applies_until_age", "vaccine_cvx", "description")


class RequirementError(ValueError):
    """A requirement row that cannot be used; the message names the row and the field and says what to do."""


def check_requirement(r: Requirement, known_groups: Iterable[str], where: str = "The requirement") -> None:
    """Refuse a row the evaluation could not use, in one sentence."""
    from app.domain.cdsi.dates import DurationError, parse_duration

    if not r.name.strip():
        raise RequirementError(f"{where} has no name; name what must be met (e.g. 'MMR').")
    if r.vaccine_group not in set(known_groups):
        raise RequirementError(f"{where}: '{r.vaccine_group}' is not a CDC vaccine group; choose one from the list "
                               "(e.g. MMR, DTaP/Tdap/Td, Polio).")
    if not (-1 <= r.grade_from <= r.grade_to <= 12):
        raise RequirementError(f"{where}: grades must run from pre-K (-1) or K (0) up to 12, the first not after "
                               "the last.")
    if not (1 <= r.doses_required <= 10):
        raise RequirementError(f"{where}: the number of doses must be between 1 and 10.")
    if not (1 <= r.doses_after_age_count <= r.doses_required):
        raise RequirementError(f"{where}: the doses needed after an age must be between 1 and the doses required.")
    for label, text in (("the age for doses", r.doses_on_or_after_age), ("the age it applies from", r.applies_from_age),
                        ("the age it applies until", r.applies_until_age)):
        try:
            parse_duration(text)
        except DurationError:
            raise RequirementError(f"{where}: {label} '{text}' is not an age like '4 years' or "
                                   "'12 months - 4 days'.") from None
    if not r.description.strip():
        raise RequirementError(f"{where} has no description; write the one sentence a letter to the family shows.")


def read_requirements(stream, known_groups: Iterable[str]) -> list[Requirement]:
    """Rows of a requirement-set CSV (resources/cdsi/requirements/README.md), checked."""
    import csv

    reader = csv.DictReader(stream)
    missing = [c for c in REQUIREMENT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RequirementError(f"The requirements file has no {', '.join(missing)} column; start from "
                               "resources/cdsi/requirements/texas-2025-2026.csv.")
    known = tuple(known_groups)
    out = []
    for n, row in enumerate(reader, start=2):
        where = f"Line {n}"
        try:
            r = Requirement(
                requirement_id=0, name=row["name"].strip(), vaccine_group=row["vaccine_group"].strip(),
                grade_from=int(row["grade_from"]), grade_to=int(row["grade_to"]),
                doses_required=int(row["doses_required"]), description=row["description"].strip(),
                doses_on_or_after_age=row["doses_on_or_after_age"].strip(),
                doses_after_age_count=int(row["doses_after_age_count"] or 1),
                applies_from_age=row["applies_from_age"].strip(), applies_until_age=row["applies_until_age"].strip(),
                vaccine_cvx=tuple(cvx_code(c) for c in row["vaccine_cvx"].split(";") if c.strip()))
        except (TypeError, ValueError):
            raise RequirementError(f"{where}: grades and dose counts must be whole numbers.") from None
        check_requirement(r, known, where)
        out.append(r)
    if not out:
        raise RequirementError("The requirements file has no rows.")
    return out
