"""Reading what a person typed into a date, time or number field, with one sentence when it
cannot be read (naming the field and the expected form)."""

from __future__ import annotations

from datetime import date, datetime, time

from app.errors import UserError

_DATES = ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y", "%m-%d-%Y")
_TIMES = ("%H:%M", "%I:%M %p", "%I:%M%p", "%H:%M:%S")


def parse_date(typed: str, field: str, *, required: bool = True) -> date | None:
    value = typed.strip()
    if not value:
        if required:
            raise UserError(f"{field} is empty; type it as MM/DD/YYYY.")
        return None
    for fmt in _DATES:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise UserError(f"{field} \"{value}\" is not a date; type it as MM/DD/YYYY.")


def parse_time(typed: str, field: str) -> time | None:
    value = typed.strip().upper()
    if not value:
        return None
    for fmt in _TIMES:
        try:
            return datetime.strptime(value, fmt).time()
        except ValueError:
            continue
    raise UserError(f"{field} \"{typed.strip()}\" is not a time; type it as 8:15 or 1:30 PM.")


def show_date(d: date | None) -> str:
    return f"{d:%m/%d/%Y}" if d else ""
