"""Reference data the nurse office reads as data, not code: which IEP/504 accommodations are health-
related (resources/nurse/health_accommodations.json), the CDC's BMI-for-age percentiles
(resources/growth/) and the vision referral criteria by age (resources/nurse/vision_referral.csv).
No database, no Qt."""

from __future__ import annotations

import csv
import json
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
