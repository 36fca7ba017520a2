"""School-year calendar rules: which dates are school days, sessions and grading periods.

Plain functions, no database: the demo district and later the attendance desk use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


def school_year_for(day: date) -> int:
    """Ed-Fi stores a school year by its ending year: 2026-08-17 belongs to 2027."""
    return day.year + 1 if day.month >= 7 else day.year


def school_year_label(school_year: int) -> str:
    return f"{school_year - 1}-{school_year}"


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def _last_weekday(year: int, month: int, weekday: int) -> date:
    d = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


@dataclass(frozen=True)
class Term:
    name: str
    term_code: str  # TermDescriptor code value
    begin: date
    end: date


@dataclass(frozen=True)
class GradingPeriodSpec:
    name: str
    descriptor_code: str  # GradingPeriodDescriptor code value
    sequence: int
    begin: date
    end: date
    term_name: str


@dataclass(frozen=True)
class SchoolYearCalendar:
    school_year: int
    first_day: date
    last_day: date
    holidays: dict[date, str]  # weekday holidays and breaks, with their names
    terms: tuple[Term, ...]
    grading_periods: tuple[GradingPeriodSpec, ...]

    def is_school_day(self, d: date) -> bool:
        return (d.weekday() < 5 and d not in self.holidays
                and any(t.begin <= d <= t.end for t in self.terms))

    def school_days(self, begin: date | None = None, end: date | None = None) -> list[date]:
        d = max(begin or self.first_day, self.first_day)
        last = min(end or self.last_day, self.last_day)
        out = []
        while d <= last:
            if self.is_school_day(d):
                out.append(d)
            d += timedelta(days=1)
        return out

    def term_of(self, d: date) -> Term | None:
        return next((t for t in self.terms if t.begin <= d <= t.end), None)


def standard_calendar(school_year: int) -> SchoolYearCalendar:
    """A typical US calendar: mid-August to late May, two semesters, four nine-week periods."""
    y0, y1 = school_year - 1, school_year
    first = _nth_weekday(y0, 8, 0, 3)  # third Monday of August
    holidays: dict[date, str] = {}

    def span(a: date, b: date, name: str) -> None:
        d = a
        while d <= b:
            if d.weekday() < 5:
                holidays[d] = name
            d += timedelta(days=1)

    holidays[_nth_weekday(y0, 9, 0, 1)] = "Labor Day"
    thanksgiving = _nth_weekday(y0, 11, 3, 4)
    span(thanksgiving - timedelta(days=1), thanksgiving + timedelta(days=1), "Thanksgiving break")
    fall_end = _nth_weekday(y0, 12, 4, 3)  # third Friday of December
    spring_begin = _nth_weekday(y1, 1, 0, 1) + timedelta(days=1)  # Tuesday after the first Monday
    if spring_begin.day < 5:
        spring_begin += timedelta(days=7)
    holidays[_nth_weekday(y1, 1, 0, 3)] = "Martin Luther King Jr. Day"
    holidays[_nth_weekday(y1, 2, 0, 3)] = "Presidents' Day"
    spring_break = _nth_weekday(y1, 3, 0, 2)
    span(spring_break, spring_break + timedelta(days=4), "Spring break")
    last = _last_weekday(y1, 5, 0) - timedelta(days=3)  # Friday before Memorial Day
    holidays.setdefault(_last_weekday(y1, 5, 0), "Memorial Day")
    span(fall_end + timedelta(days=1), spring_begin - timedelta(days=1), "Winter break")
    terms = (
        Term(f"{school_year_label(school_year)} Fall Semester", "Fall Semester", first, fall_end),
        Term(f"{school_year_label(school_year)} Spring Semester", "Spring Semester", spring_begin, last),
    )
    cal = SchoolYearCalendar(school_year, first, last, holidays, terms, ())
    periods = []
    codes = ["First Nine Weeks", "Second Nine Weeks", "Third Nine Weeks", "Fourth Nine Weeks"]
    for half, term in enumerate(terms):
        days = cal.school_days(term.begin, term.end)
        mid = len(days) // 2
        for k, (a, b) in enumerate(((days[0], days[mid - 1]), (days[mid], days[-1]))):
            seq = half * 2 + k + 1
            periods.append(GradingPeriodSpec(f"{school_year_label(school_year)} Q{seq}", codes[seq - 1], seq, a, b,
                                             term.name))
    return SchoolYearCalendar(school_year, first, last, holidays, terms, tuple(periods))
