"""Date arithmetic the way the CDSi logic specification does it (chapter 'Calculating dates').

A duration is text such as "6 weeks - 4 days", "3 months + 4 weeks" or "4 years - 4 days". Each
part is applied in turn:
- years change only the year field and months only the month field (rolling into the year); if the
  day does not exist in the resulting month (Feb 29 in a common year, Apr 31) the date moves to the
  first of the next month;
- weeks are 7 days, days are days.
Empty attributes have the specification's defaults: a missing minimum is 01/01/1900 (no limit), a
missing maximum is 12/31/2999.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)

_PART = re.compile(r"([+-]?)\s*(\d+)\s*(year|month|week|day)s?", re.IGNORECASE)


class DurationError(ValueError):
    """A duration text the specification does not allow (the supporting data is wrong)."""


@lru_cache(maxsize=4096)
def parse_duration(text: str) -> tuple[tuple[int, str], ...]:
    """'6 weeks - 4 days' -> ((6, 'week'), (-4, 'day')). Empty text -> ()."""
    text = (text or "").strip()
    if not text:
        return ()
    parts: list[tuple[int, str]] = []
    pos = 0
    for match in _PART.finditer(text):
        between = text[pos:match.start()].strip()
        if between:
            raise DurationError(f"cannot read the duration {text!r}")
        sign = -1 if match.group(1) == "-" else 1
        parts.append((sign * int(match.group(2)), match.group(3).lower()))
        pos = match.end()
    if text[pos:].strip() or not parts:
        raise DurationError(f"cannot read the duration {text!r}")
    return tuple(parts)


def _with_year_month(d: date, year: int, month: int) -> date:
    """The date with these year/month fields; an impossible day moves to the first of the next month."""
    try:
        return date(year, month, d.day)
    except ValueError:
        if month == 12:
            return date(year + 1, 1, 1)
        return date(year, month + 1, 1)


@lru_cache(maxsize=200_000)
def add_duration(start: date, text: str) -> date:
    """start + duration, by the specification's rules."""
    result = start
    for amount, unit in parse_duration(text):
        if unit == "year":
            result = _with_year_month(result, result.year + amount, result.month)
        elif unit == "month":
            months = result.year * 12 + (result.month - 1) + amount
            result = _with_year_month(result, months // 12, months % 12 + 1)
        elif unit == "week":
            result = result + timedelta(days=7 * amount)
        else:
            result = result + timedelta(days=amount)
    return result


def date_or(start: date | None, text: str, default: date | None) -> date | None:
    """start + text, or `default` when the attribute (or the reference date) is empty."""
    if start is None or not (text or "").strip():
        return default
    return add_duration(start, text)


def parse_yyyymmdd(text: str, default: date) -> date:
    """Supporting-data dates are written 20161216; empty means `default`."""
    text = (text or "").strip()
    if not text:
        return default
    if "/" in text:  # 01/01/1980 (the immunity birth dates)
        month, day, year = (int(p) for p in text.split("/"))
        return date(year, month, day)
    return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))


def minus_one_day(d: date | None) -> date | None:
    return None if d is None else d - timedelta(days=1)
