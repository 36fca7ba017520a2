"""Small wording helpers shared by the screens, so counts read "1 incident" and "3 incidents"."""

from __future__ import annotations

# English nouns the screens count whose plural is not noun + "s".
_IRREGULAR = {"child": "children", "person": "people", "class": "classes", "match": "matches",
              "absence": "absences", "entry": "entries", "activity": "activities", "day": "days"}


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """'1 incident', '0 incidents', '2 students'; pass plural_form for a noun not covered here."""
    if n == 1:
        return f"{n} {noun}"
    if plural_form is None:
        plural_form = _IRREGULAR.get(noun)
    if plural_form is None:
        if noun.endswith(("s", "sh", "ch", "x", "z")):
            plural_form = noun + "es"
        elif noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
            plural_form = noun[:-1] + "ies"
        else:
            plural_form = noun + "s"
    return f"{n} {plural_form}"
