"""Reading what a person typed into a date, time or number field, with one sentence when it
cannot be read (naming the field and the expected form)."""

from __future__ import annotations

import re
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


_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)


def parse_phone(typed: str, field: str = "Phone") -> str:
    """A phone number in one form: US numbers as (512) 555-0190, an extension kept as "ext. 12";
    an international number (+ and 8-15 digits) is kept as typed. "" stays "" (no phone)."""
    value = " ".join(typed.split())
    if not value:
        return ""
    ext = None
    m = _EXTENSION.search(value)
    if m:
        ext, value = m.group(1), value[:m.start()]
    if re.search(r"[^\d\s().+\-/]", value):
        raise UserError(f"{field} \"{typed.strip()}\" is not a phone number; type it as (512) 555-0190, with "
                        "\"ext. 12\" after it for an extension.")
    digits = re.sub(r"\D", "", value)
    if value.startswith("+") and not value.startswith("+1"):
        if not 8 <= len(digits) <= 15:
            raise UserError(f"{field} \"{typed.strip()}\" is not a phone number; an international number has "
                            "8 to 15 digits after the +.")
        return value + (f" ext. {ext}" if ext else "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01":
        raise UserError(f"{field} \"{typed.strip()}\" is not a full phone number; type the area code and the "
                        "number, e.g. (512) 555-0190.")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" + (f" ext. {ext}" if ext else "")
