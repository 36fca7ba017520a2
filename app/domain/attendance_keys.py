"""One key per attendance code, so a teacher marks a roster from the keyboard.

The usual letters are kept for the usual codes (P present, A absent, E excused, T tardy);
any other code a district adds gets the first free letter of its name.
"""

from __future__ import annotations

PREFERRED = {"In Attendance": "P", "Unexcused Absence": "A", "Excused Absence": "E", "Tardy": "T",
             "Early departure": "D", "Partial": "H"}

# Ed-Fi ships "Present" next to "In Attendance" with the same meaning; two keys for one mark (P and
# R) only make a teacher wonder which is right, so the synonym gets no key when its twin is there.
SYNONYMS = {"Present": "In Attendance"}


def keys_for(codes: list[str] | tuple[str, ...]) -> dict[str, str]:
    """key letter -> code, for every code (a code with no free letter gets a digit)."""
    out: dict[str, str] = {}
    codes = [c for c in codes if SYNONYMS.get(c) not in codes]
    for code in sorted(codes, key=lambda c: (c not in PREFERRED, c)):
        wanted = [PREFERRED[code]] if code in PREFERRED else []
        wanted += [ch.upper() for ch in code if ch.isalpha()]
        wanted += [str(d) for d in range(1, 10)]
        out[next(k for k in wanted if k not in out)] = code
    return out
