"""ISBN check digits and item barcode schemes: plain rules, no database.

ISBN-10: weights 10..1, sum divisible by 11, the last digit may be X (10). ISBN-13: weights 1,3
alternating, sum divisible by 10. Item barcodes: 'none' accepts any printable code; 'codabar14'
is the 14-digit Codabar most US school libraries print (1 type digit, 4 digits of institution,
8 digits of item number, 1 check digit), checked with the Luhn-style mod-10 that library systems use.
"""

from __future__ import annotations

import re

BARCODE_SCHEMES = ("none", "codabar14")


def isbn_digits(raw: str) -> str:
    """The ISBN without hyphens, spaces or trailing qualifiers such as '(pbk.)'."""
    m = re.match(r"\s*([0-9Xx][0-9Xx\- ]{8,20})", raw or "")
    return re.sub(r"[\- ]", "", m.group(1)).upper() if m else ""


def isbn10_ok(d: str) -> bool:
    if not re.fullmatch(r"\d{9}[\dX]", d):
        return False
    total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(d))
    return total % 11 == 0


def isbn13_ok(d: str) -> bool:
    if not re.fullmatch(r"97[89]\d{10}", d):
        return False
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(d)) % 10 == 0


def isbn10_to_13(d: str) -> str:
    body = "978" + d[:9]
    check = (10 - sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def isbn_problem(raw: str) -> str | None:
    """None when the ISBN is valid, else one sentence saying what is wrong."""
    d = isbn_digits(raw)
    if len(d) == 10:
        return None if isbn10_ok(d) else f"ISBN {raw.strip()} has a wrong check digit (ISBN-10)"
    if len(d) == 13:
        return None if isbn13_ok(d) else f"ISBN {raw.strip()} has a wrong check digit (ISBN-13)"
    return f"ISBN {raw.strip()!r} is neither 10 nor 13 digits"


def normalize_isbn(raw: str) -> str:
    """The ISBN-13 of a valid ISBN-10 or -13 (raises ValueError with the reason otherwise)."""
    problem = isbn_problem(raw)
    if problem:
        raise ValueError(problem)
    d = isbn_digits(raw)
    return isbn10_to_13(d) if len(d) == 10 else d


def mod10_check_digit(body: str) -> int:
    """The check digit library Codabar barcodes use: from the right, double every other digit."""
    total = 0
    for i, c in enumerate(reversed(body)):
        v = int(c)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return (10 - total % 10) % 10


def codabar14(kind: int, institution: int, number: int) -> str:
    """A 14-digit library barcode: kind (3 item, 2 patron), 4-digit institution, 8-digit number."""
    body = f"{kind}{institution:04d}{number:08d}"
    return body + str(mod10_check_digit(body))


def barcode_problem(code: str, scheme: str) -> str | None:
    """None when `code` is a valid item barcode under `scheme`, else one sentence saying why not."""
    code = (code or "").strip()
    if not code:
        return "The barcode is empty: scan the copy's barcode"
    if scheme == "none":
        if len(code) > 32 or not code.isprintable() or " " in code:
            return f"Barcode {code!r} is not usable: at most 32 characters, no spaces"
        return None
    if scheme == "codabar14":
        if not re.fullmatch(r"\d{14}", code):
            return f"Barcode {code} is not a 14-digit library barcode"
        if code[0] != "3":
            return f"Barcode {code} is not an item barcode (item barcodes start with 3)"
        if mod10_check_digit(code[:13]) != int(code[13]):
            return f"Barcode {code} has a wrong check digit: rescan it or type it again"
        return None
    raise ValueError(f"unknown barcode scheme {scheme!r}")
