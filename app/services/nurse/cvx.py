"""The CDC's CVX codes (vaccine administered), shipped as data in resources/cvx/cvx.csv."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CVX_CSV = Path(__file__).resolve().parents[3] / "resources" / "cvx" / "cvx.csv"


@dataclass(frozen=True)
class CvxCode:
    code: str
    short_description: str
    antigens: tuple[str, ...]
    vaccine_groups: tuple[str, ...]


@cache
def cvx_codes() -> dict[str, CvxCode]:
    with CVX_CSV.open(encoding="utf-8", newline="") as f:
        return {r["cvx"]: CvxCode(r["cvx"], r["short_description"], tuple(filter(None, r["antigens"].split(";"))),
                                  tuple(filter(None, r["vaccine_groups"].split(";")))) for r in csv.DictReader(f)}


def normalise_cvx(code: str) -> str:
    """'3' and ' 03 ' are both CVX 03: the list writes one- and two-digit codes with a leading zero."""
    c = (code or "").strip()
    return c.zfill(2) if c.isdigit() and len(c) < 2 else c
