"""Class rank by grade level: ties share a rank and the next rank skips (1, 2, 2, 4).

Percentage rank is the share of the class at or below the student, rounded to a whole percent
(Ed-Fi StudentAcademicRecordClassRanking.PercentageRanking is an integer): the top student of 4
is at 100, the last at 25. Students without a GPA are not ranked and not counted in the class size.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Rank:
    rank: int
    class_size: int
    percentage: int  # share of the class ranked at or below this student


def rank_class(gpas: Mapping[Hashable, Decimal | None]) -> dict[Hashable, Rank]:
    """Competition ranking ("1224") of one class (one grade level of one school) by GPA, highest first."""
    ranked = sorted(((g, k) for k, g in gpas.items() if g is not None), key=lambda t: t[0], reverse=True)
    size = len(ranked)
    out: dict[Hashable, Rank] = {}
    prev, prev_rank = None, 0
    for i, (g, k) in enumerate(ranked, start=1):
        r = prev_rank if g == prev else i
        prev, prev_rank = g, r
        at_or_below = size - r + 1
        out[k] = Rank(r, size, int((Decimal(at_or_below) * 100 / size).to_integral_value(rounding="ROUND_HALF_UP")))
    return out
