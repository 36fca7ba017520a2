"""Attendance rates: average daily attendance and membership, and the chronic-absence rule.

ADM (average daily membership) is the student-days enrolled divided by the school days; ADA
(average daily attendance) is the student-days present divided by the same days. An absence
counts one day, a partial day half. A student is chronically absent when they missed at least
10% of the days they were enrolled, once they have been enrolled at least 10 days (both are
parameters: states set their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.domain.attendance_rollup import ABSENCES, PARTIAL

# How much of a day each daily status takes away.
ABSENCE_WEIGHT = {**{code: Decimal(1) for code in ABSENCES}, PARTIAL: Decimal("0.5")}


def absence_weight(code: str) -> Decimal:
    return ABSENCE_WEIGHT.get(code, Decimal(0))


@dataclass(frozen=True)
class Averages:
    school_days: int
    enrolled_days: int  # student-days of membership
    absent_days: Decimal  # student-days absent (partial days count half)

    @property
    def adm(self) -> Decimal:
        return _round(Decimal(self.enrolled_days) / self.school_days) if self.school_days else Decimal(0)

    @property
    def ada(self) -> Decimal:
        return _round((self.enrolled_days - self.absent_days) / self.school_days) if self.school_days else Decimal(0)

    @property
    def attendance_rate(self) -> Decimal:
        """ADA as a share of ADM, in percent."""
        if not self.enrolled_days:
            return Decimal(0)
        return _round(100 * (self.enrolled_days - self.absent_days) / self.enrolled_days, "0.1")


@dataclass(frozen=True)
class ChronicRule:
    threshold: Decimal = Decimal("0.10")
    minimum_days: int = 10

    def applies(self, absent_days: Decimal, enrolled_days: int) -> bool:
        return enrolled_days >= self.minimum_days and absent_days >= self.threshold * enrolled_days


def absence_rate(absent_days: Decimal, enrolled_days: int) -> Decimal:
    """Percent of enrolled days missed, one decimal."""
    return _round(100 * Decimal(absent_days) / enrolled_days, "0.1") if enrolled_days else Decimal(0)


def _round(value: Decimal, places: str = "0.01") -> Decimal:
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)
