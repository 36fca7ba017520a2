"""What goes into the CDSi engine (a patient and the doses given) and what comes out of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Evaluation statuses and reasons, in the words of the CDC's test cases.
VALID = "Valid"
NOT_VALID = "Not Valid"
EXTRANEOUS = "Extraneous"

TOO_YOUNG = "Age: Too Young"
TOO_OLD = "Age: Too Old"
TOO_SOON = "Interval: too short"
LIVE_VIRUS = "Live Virus Conflict"
INADVERTENT = "Inadvertent Vaccine"
NOT_ALLOWABLE = "Vaccine: Not Allowable"
SERIES_COMPLETE = "Series Already Complete"

# Patient series statuses (and vaccine-group statuses), in the test cases' words.
COMPLETE = "Complete"
NOT_COMPLETE = "Not complete"
IMMUNE = "Immune"
CONTRAINDICATED = "Contraindicated"
AGED_OUT = "Aged out"
NOT_RECOMMENDED = "Not recommended"

GENDERS = {"F": "Female", "M": "Male", "U": "Unknown", "T": "Transgender"}


@dataclass(frozen=True)
class AdministeredDose:
    """One dose the patient received. `position` is its place in the caller's list (1-based)."""
    position: int
    date_administered: date
    cvx: str
    mvx: str = ""

    def __post_init__(self) -> None:  # CVX '03' and '3' are the same vaccine
        code = (self.cvx or "").strip()
        object.__setattr__(self, "cvx", str(int(code)) if code.isdigit() else code)


@dataclass(frozen=True)
class Patient:
    birth_date: date
    gender: str                                  # Female / Male / Unknown / Transgender ('' = unknown)
    doses: tuple[AdministeredDose, ...]
    observations: frozenset[str] = frozenset()   # CDSi observation codes (indications, immunity, ...)


@dataclass(frozen=True)
class DoseEvaluation:
    """One administered dose judged against one patient series of one antigen."""
    dose: AdministeredDose
    status: str
    reason: str = ""
    target_dose: int | None = None               # the target dose it satisfied (1-based), if any


@dataclass(frozen=True)
class Forecast:
    earliest: date | None = None
    recommended: date | None = None
    past_due: date | None = None
    latest: date | None = None
    dose_number: int | None = None
    vaccine_types: tuple[str, ...] = ()          # CVX codes the forecast recommends (forecastVaccineType)


@dataclass(frozen=True)
class SeriesResult:
    """A patient series: the doses judged against it, its status and its forecast."""
    antigen: str
    series_name: str
    status: str
    evaluations: tuple[DoseEvaluation, ...]
    forecast: Forecast = field(default_factory=Forecast)
    target_satisfied: int = 0                    # target doses satisfied or skipped
    target_total: int = 0


@dataclass(frozen=True)
class VaccineGroupResult:
    """What a nurse (or the CDC test case) reads: per vaccine group, status, per-dose judgement, forecast."""
    vaccine_group: str
    status: str
    dose_status: dict[int, tuple[str, str]]      # dose position -> (status, reason)
    forecast: Forecast
    series: tuple[SeriesResult, ...]             # the best series of each antigen of the group

    @property
    def valid_doses(self) -> int:
        return sum(1 for status, _ in self.dose_status.values() if status == VALID)
