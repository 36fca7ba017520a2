"""Reference data the nurse office reads as data, not code: which IEP/504 accommodations are health-
related (resources/nurse/health_accommodations.json), the CDC's BMI-for-age percentiles
(resources/growth/) and the vision referral criteria by age (resources/nurse/vision_referral.csv).
No database, no Qt."""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


@cache
def _accommodation_terms() -> tuple[re.Pattern, re.Pattern]:
    data = json.loads((RESOURCES / "nurse" / "health_accommodations.json").read_text(encoding="utf-8"))

    def words(terms: list[str]) -> re.Pattern:
        return re.compile(r"\b(" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + r")\b",
                          re.IGNORECASE)
    return words(data["health_conditions"]), words(data["keywords"])


def health_condition(text: str | None) -> bool:
    """A plan's disability or condition is a health condition (diabetes, asthma, seizures, ...)."""
    return bool(text) and _accommodation_terms()[0].search(text) is not None


def health_related(accommodation_type: str | None, description: str | None, setting: str | None = None,
                   plan_condition: str | None = None) -> bool:
    """An IEP/504 accommodation the health office needs to know about."""
    if health_condition(plan_condition):
        return True
    words = _accommodation_terms()[1]
    return any(t and words.search(t) for t in (accommodation_type, description, setting))


# -- BMI-for-age (CDC 2000, 2 to 20 years) -------------------------------------------------------------------
@cache
def _bmi_lms() -> dict[tuple[int, float], tuple[float, float, float]]:
    with (RESOURCES / "growth" / "cdc_bmi_for_age_lms.csv").open(encoding="utf-8", newline="") as f:
        return {(int(r["sex"]), float(r["agemos"])): (float(r["L"]), float(r["M"]), float(r["S"]))
                for r in csv.DictReader(f)}


@cache
def _bmi_categories() -> dict:
    return json.loads((RESOURCES / "growth" / "bmi_categories.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class BmiForAge:
    bmi: float
    percentile: float
    category: str
    refer: bool


def bmi_for_age(bmi: float, sex: str | None, age_months: float) -> BmiForAge | None:
    """The CDC BMI-for-age percentile and category; None outside 2 to 20 years or without the sex."""
    code = {"m": 1, "male": 1, "f": 2, "female": 2}.get((sex or "").strip().lower())
    if code is None or not 24 <= age_months < 241:
        return None
    whole = int(age_months)
    lms = _bmi_lms().get((code, 24.0 if whole < 24 or age_months < 24.5 else whole + 0.5))
    if lms is None:
        return None
    L, M, S = lms
    z = ((bmi / M) ** L - 1) / (L * S)
    percentile = 50 * (1 + math.erf(z / math.sqrt(2)))
    data = _bmi_categories()
    category = next(c["name"] for c in data["categories"] if c["below"] is None or percentile < c["below"])
    return BmiForAge(round(bmi, 1), round(percentile, 1), category, category in data["refer"])


# -- vision acuity by age (AAP/AAPOS) --------------------------------------------------------------------
@cache
def _vision_rows() -> tuple[tuple[int, int | None, int], ...]:
    with (RESOURCES / "nurse" / "vision_referral.csv").open(encoding="utf-8", newline="") as f:
        return tuple((int(r["min_months"]), int(r["max_months"]) if r["max_months"] else None,
                      int(r["worst_passing_denominator"])) for r in csv.DictReader(f))


def worst_passing_acuity(age_months: float | None) -> int:
    """The largest Snellen denominator (20/x) that still passes at this age; the oldest row without an age."""
    rows = _vision_rows()
    if age_months is not None:
        for low, high, worst in rows:
            if age_months >= low and (high is None or age_months <= high):
                return worst
        if age_months < rows[0][0]:
            return rows[0][2]
    return rows[-1][2]
