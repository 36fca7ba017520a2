"""Counts in sentences people read: "1 incident", "3 incidents". Plain Python, so the domain's own
sentences (the activity timeline) and the screens (through ui.text) word counts the same way."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# English nouns the app counts whose plural is not noun + "s".
_IRREGULAR = {"child": "children", "person": "people"}


def plural_noun(n, noun: str, plural_form: str | None = None) -> str:
    """The noun alone, singular for exactly one: plural_noun(1, 'day') == 'day'."""
    if _is_one(n):
        return noun
    if plural_form is not None:
        return plural_form
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if noun.endswith(("s", "sh", "ch", "x", "z")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


def plural(n, noun: str, plural_form: str | None = None) -> str:
    """'1 incident', '0 incidents', '2 students'; n may be a number or a number as text ('1.0')."""
    return f"{n} {plural_noun(n, noun, plural_form)}"


def _is_one(n) -> bool:
    try:
        return Decimal(str(n).strip()) == 1
    except (InvalidOperation, ValueError):
        return False
