"""The nurse office's plain rules: complaints and dispositions, dose checks, the as-needed minimum
interval, controlled-substance arithmetic, BMI and screening results. No database, no Qt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from app.errors import UserError

# The short list a student picks from at the kiosk; the nurse can add free text.
COMPLAINTS = {
    "headache": "Headache", "stomach": "Stomach ache", "nausea": "Nausea / vomiting", "fever": "Feeling hot / fever",
    "injury": "Injury", "breathing": "Trouble breathing / asthma", "allergy": "Allergic reaction",
    "diabetes": "Diabetes care", "medication": "Scheduled medication", "toothache": "Toothache",
    "dizzy": "Dizzy / faint", "eye": "Eye problem", "rash": "Rash / itching", "menstrual": "Menstrual",
    "tired": "Tired / not feeling well", "other": "Other",
}
DISPOSITIONS = {
    "returned_to_class": "Returned to class", "rested_returned": "Rested, returned to class",
    "parent_contacted": "Parent contacted", "sent_home": "Sent home", "referred": "Referred to a provider",
    "called_911": "911 called",
}
OUTCOMES = {"given": "Given", "refused": "Refused", "missed": "Missed", "absent": "Student absent",
            "voided": "Entered in error"}
SCREENING_TYPES = {"vision": "Vision", "hearing": "Hearing", "scoliosis": "Scoliosis", "bmi": "Height / weight / BMI"}
COUNT_KINDS = {"received": "Received", "counted": "Counted", "trip_out": "Signed out for a trip",
               "trip_in": "Returned from a trip", "wasted": "Wasted"}


def complaint_code(value: str) -> str:
    v = (value or "").strip()
    for code, label in COMPLAINTS.items():
        if v.lower() in (code, label.lower()):
            return code
    raise UserError(f"\"{v}\" is not a complaint on the list; pick one (use Other and describe it if none fits).")


def disposition_code(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    v = value.strip()
    for code, label in DISPOSITIONS.items():
        if v.lower() in (code, label.lower()):
            return code
    raise UserError(f"\"{v}\" is not a disposition; pick one of {', '.join(DISPOSITIONS.values())}.")


def not_in_future(at: datetime, now: datetime, what: str) -> None:
    # a minute of grace: the workstation's clock and the nurse's watch differ a little
    if at > now + timedelta(minutes=1):
        raise UserError(f"{what} {at:%H:%M on %b %d} is later than now ({now:%H:%M}); enter the time it happened.")


def parse_amount(value, what: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except Exception:
        raise UserError(f"{what} \"{value}\" is not a number; enter it like 1 or 2.5.") from None
    if not amount.is_finite() or amount <= 0:
        raise UserError(f"{what} must be more than zero; enter the amount.")
    return amount


def fmt_amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}"


def check_dose_amount(given: Decimal, ordered: Decimal | None, unit: str | None, medication: str) -> None:
    if ordered is not None and given > ordered:
        raise UserError(f"The order for {medication} is {fmt_amount(ordered)} {unit or ''} a dose; "
                        f"{fmt_amount(given)} is more than ordered, so record no more than the order.".replace("  ", " "))


def next_as_needed_at(last_given: datetime | None, min_interval_minutes: int | None) -> datetime | None:
    if last_given is None or not min_interval_minutes:
        return None
    return last_given + timedelta(minutes=min_interval_minutes)


def check_as_needed_interval(at: datetime, last_given: datetime | None, min_interval_minutes: int | None,
                             medication: str, override_reason: str | None) -> None:
    allowed = next_as_needed_at(last_given, min_interval_minutes)
    if allowed is not None and at < allowed and not (override_reason or "").strip():
        raise UserError(f"{medication} was last given at {last_given:%H:%M}; the order allows the next dose at "
                        f"{allowed:%H:%M}, so give a reason to override or wait.")


def parse_schedule(times: list[str] | tuple[str, ...] | None) -> tuple[time, ...]:
    out = []
    for t in times or ():
        try:
            hh, mm = str(t).strip().split(":")
            out.append(time(int(hh), int(mm)))
        except (ValueError, TypeError):
            raise UserError(f"\"{t}\" is not a time of day; write times like 08:00 or 12:30.") from None
    return tuple(sorted(out))


def expiry_window(today: date, days: int = 30) -> date:
    return today + timedelta(days=days)


# -- controlled substances ------------------------------------------------------------------------------
def trip_return_adds_up(signed_out: Decimal, returned: Decimal, given_on_trip: Decimal, medication: str) -> None:
    if returned + given_on_trip != signed_out:
        raise UserError(f"{fmt_amount(signed_out)} of {medication} went on the trip, but {fmt_amount(returned)} "
                        f"returned and {fmt_amount(given_on_trip)} given do not add up to it; count again.")


# -- screenings -----------------------------------------------------------------------------------------
def bmi(height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    if height_cm <= 0 or weight_kg <= 0:
        raise UserError("Height and weight must both be more than zero; measure again.")
    m = height_cm / Decimal(100)
    return (weight_kg / (m * m)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class ScreeningEntry:
    """One row of the mass-screening grid, as typed."""
    student_usi: int
    result: str  # pass | fail | absent | refused | "" (not screened yet)
    measures: dict
    note: str = ""


def age_in_months(birth: date | None, day: date) -> float | None:
    if birth is None:
        return None
    months = (day.year - birth.year) * 12 + day.month - birth.month - (day.day < birth.day)
    return months + ((day.day - birth.day) % 31) / 31


def vision_result(right: str, left: str, worst_passing: int = 30) -> str:
    """Snellen 20/x per eye: fail when either eye is worse than 20/`worst_passing` (the age's criterion,
    app.domain.health_reference.worst_passing_acuity: 20/50 at 3, 20/40 at 4, 20/30 from 5)."""
    def denom(v: str) -> int:
        try:
            num, den = v.strip().split("/")
            if int(num) != 20:
                raise ValueError
            return int(den)
        except (ValueError, AttributeError):
            raise UserError(f"Acuity \"{v}\" is not like 20/20; enter each eye as 20/x.") from None
    return "fail" if max(denom(right), denom(left)) > worst_passing else "pass"


def hearing_result(right_pass: bool, left_pass: bool) -> str:
    return "pass" if right_pass and left_pass else "fail"
