"""Grading scales and GPA policy as data, and the GPA arithmetic (no database, no Qt).

A school's grading scale is a list of bands (letter, score range, points). A GPA policy names the
base scale and how course levels (honors, AP, IB, dual credit) are weighted: an additive bonus
(AP A = 4.0 + 1.0) or a multiplicative factor (AP A = 4.0 x 1.25), earned only at or above a
minimum grade. Which attempts count: pass/fail grades and courses marked "Not Applicable" do not;
repeats follow the Ed-Fi CourseRepeatCodeDescriptor (a "Replaced NotCounted" or "Repeat NotCounted"
attempt drops out). GPAs are credit-weighted and an F stays in the divisor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.errors import UserError

ZERO = Decimal("0")
THREE_PLACES = Decimal("0.001")


class GradeOutOfScale(UserError):
    """A grade that the section's grading scale does not know."""


@dataclass(frozen=True)
class Band:
    """One row of a grading scale: 'B' is 80-89.99 and is worth 3 points."""

    symbol: str
    min_score: Decimal | None = None
    max_score: Decimal | None = None
    points: Decimal | None = None  # None: the grade earns no GPA points (P, NA, work habits)
    passing: bool = True
    description: str = ""


@dataclass(frozen=True)
class GradingScale:
    name: str
    kind: str  # "letter", "standards" (4/3/2/1), "work_habits"; numeric scores map onto letter bands
    bands: tuple[Band, ...]
    max_points: Decimal = Decimal("4")

    def band(self, symbol: str) -> Band | None:
        key = symbol.strip().upper()
        return next((b for b in self.bands if b.symbol.upper() == key), None)

    def band_for_score(self, score: Decimal) -> Band | None:
        """The band with the highest minimum at or below the score (89.995 is a B when A starts at 90)."""
        ranged = sorted((b for b in self.bands if b.min_score is not None and b.max_score is not None),
                        key=lambda b: b.min_score, reverse=True)
        if not ranged or score > ranged[0].max_score:
            return None
        return next((b for b in ranged if b.min_score <= score), None)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(b.symbol for b in self.bands)

    def read(self, text: str) -> tuple[str, Decimal | None]:
        """A teacher's entry ('B+', '87', '87.5', '3') as (letter, numeric score or None).

        Raises GradeOutOfScale with one sentence when the scale does not know it."""
        raw = (text or "").strip()
        if not raw:
            raise GradeOutOfScale("Type a grade, or leave the cell empty to enter none.")
        band = self.band(raw)
        if band is not None:
            return band.symbol, None
        try:
            score = Decimal(raw)
        except InvalidOperation:
            score = None
        if score is not None and score.is_finite():
            band = self.band_for_score(score)
            if band is not None:
                return band.symbol, score
            lo = min((b.min_score for b in self.bands if b.min_score is not None), default=None)
            hi = max((b.max_score for b in self.bands if b.max_score is not None), default=None)
            if lo is not None:
                raise GradeOutOfScale(f"{raw} is outside the {self.name} scale; type a score from {plain(lo)} to "
                                      f"{plain(hi)} or one of {', '.join(self.symbols)}.")
        raise GradeOutOfScale(f"{raw!r} is not on the {self.name} scale; type one of {', '.join(self.symbols)}.")


def plain(v: Decimal) -> str:
    """100.00 -> '100', 59.50 -> '59.5'."""
    t = f"{v:f}"
    return t.rstrip("0").rstrip(".") if "." in t else t


def _d(v) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(str(v))


def letter_scale(name: str, rows: Iterable[tuple]) -> GradingScale:
    """Build a letter scale from (symbol, min, max, points[, passing]) rows."""
    bands = []
    for row in rows:
        sym, lo, hi, pts, *rest = row
        bands.append(Band(sym, None if lo is None else _d(lo), None if hi is None else _d(hi),
                          None if pts is None else _d(pts), rest[0] if rest else True))
    return GradingScale(name, "letter", tuple(bands))


# The district default: A-F on 100 points, 4-point GPA; P/F earns credit but no points.
STANDARD_LETTER_SCALE = letter_scale("A-F (4.0)", [
    ("A", 90, 100, 4), ("B", 80, "89.99", 3), ("C", 70, "79.99", 2), ("D", 60, "69.99", 1),
    ("F", 0, "59.99", 0, False), ("P", None, None, None), ("I", None, None, None, False),
])
STANDARDS_SCALE = GradingScale("Standards 4-1", "standards", (
    Band("4", points=None, description="Exceeds the standard"),
    Band("3", points=None, description="Meets the standard"),
    Band("2", points=None, description="Approaching the standard"),
    Band("1", points=None, description="Beginning", passing=False),
    Band("NA", points=None, description="Not assessed this period"),
))
WORK_HABITS_SCALE = GradingScale("Work habits", "work_habits", (
    Band("E", description="Excellent"), Band("S", description="Satisfactory"),
    Band("N", description="Needs improvement"), Band("U", description="Unsatisfactory", passing=False),
))


# Ed-Fi CourseRepeatCodeDescriptor code values whose attempt counts in the GPA.
COUNTED_REPEAT_CODES = frozenset({"Repeat Counted", "Replacement Counted", "Repeat Other Institution"})
NOT_COUNTED_REPEAT_CODES = frozenset({"Repeat NotCounted", "Replaced NotCounted", "Not Counted Other"})


@dataclass(frozen=True)
class GpaPolicy:
    scale: GradingScale = STANDARD_LETTER_SCALE
    weighting: str = "additive"  # or "multiplicative"
    # Course level (Ed-Fi CourseLevelCharacteristicDescriptor) -> bonus points (additive) or factor.
    level_weights: dict = field(default_factory=lambda: {
        "Honors": Decimal("0.5"), "Advanced Placement": Decimal("1.0"),
        "International Baccalaureate": Decimal("1.0"), "Dual Credit": Decimal("1.0")})
    min_points_for_bonus: Decimal = Decimal("2")  # a C or better earns the weight; a D does not
    ranks: bool = True

    def __post_init__(self) -> None:
        if self.weighting not in ("additive", "multiplicative"):
            raise ValueError(f"unknown weighting {self.weighting!r}")

    def weighted_points(self, base: Decimal, level: str | None) -> Decimal:
        w = self.level_weights.get(level) if level else None
        if w is None or base < self.min_points_for_bonus:
            return base
        return base + w if self.weighting == "additive" else base * w


@dataclass(frozen=True)
class Attempt:
    """One course attempt as the GPA sees it (a CourseTranscript row, or a final grade this term)."""

    course_code: str
    letter: str
    credits: Decimal
    term: tuple = ()  # sortable (school year, term sequence): which term GPA it belongs to
    level: str | None = None  # CourseLevelCharacteristic: "Honors", "Advanced Placement", ...
    gpa_applicable: bool = True  # False for Course.CourseGPAApplicability "Not Applicable"
    repeat_code: str | None = None  # CourseRepeatCodeDescriptor code value


@dataclass(frozen=True)
class Gpa:
    unweighted: Decimal | None
    weighted: Decimal | None
    gpa_credits: Decimal  # the divisor
    attempted_credits: Decimal
    earned_credits: Decimal


def counts_in_gpa(a: Attempt, policy: GpaPolicy) -> bool:
    if not a.gpa_applicable or (a.repeat_code and a.repeat_code not in COUNTED_REPEAT_CODES):
        return False
    band = policy.scale.band(a.letter)
    return band is not None and band.points is not None


def earns_credit(a: Attempt, policy: GpaPolicy) -> bool:
    band = policy.scale.band(a.letter)
    return band is not None and band.passing and band.symbol != "I"


def _round(v: Decimal) -> Decimal:
    return v.quantize(THREE_PLACES, rounding=ROUND_HALF_UP)


def compute_gpa(attempts: Iterable[Attempt], policy: GpaPolicy) -> Gpa:
    """Credit-weighted GPA: sum(points x credits) / sum(credits) over the attempts that count."""
    attempts = list(attempts)
    num_u = num_w = div = attempted = earned = ZERO
    for a in attempts:
        credits = _d(a.credits)
        attempted += credits
        # A replaced or not-counted attempt stays on the transcript but earns no second credit.
        if earns_credit(a, policy) and a.repeat_code not in NOT_COUNTED_REPEAT_CODES:
            earned += credits
        if not counts_in_gpa(a, policy):
            continue
        base = policy.scale.band(a.letter).points
        num_u += base * credits
        num_w += policy.weighted_points(base, a.level) * credits
        div += credits
    if div == 0:
        return Gpa(None, None, ZERO, attempted, earned)
    return Gpa(_round(num_u / div), _round(num_w / div), div, attempted, earned)


def term_and_cumulative(attempts: Iterable[Attempt], policy: GpaPolicy) -> dict[tuple, tuple[Gpa, Gpa]]:
    """For each term (in order): (that term's GPA, the cumulative GPA through it)."""
    attempts = list(attempts)
    out = {}
    for term in sorted({a.term for a in attempts}):
        out[term] = (compute_gpa([a for a in attempts if a.term == term], policy),
                     compute_gpa([a for a in attempts if a.term <= term], policy))
    return out
