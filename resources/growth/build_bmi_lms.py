"""Rebuild cdc_bmi_for_age_lms.csv from rcpchgrowth's copy of the CDC 2000 tables (see README.md).

    python resources/growth/build_bmi_lms.py .../rcpchgrowth/data_tables/cdc2-20.json
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path


def build(source: Path, out: Path) -> int:
    data = json.loads(source.read_text(encoding="utf-8"))["measurement"]["bmi"]
    rows = [(sex, round(r["decimal_age"] * 12, 1), r["L"], r["M"], r["S"])
            for sex, key in ((1, "male"), (2, "female")) for r in data[key]]
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("sex", "agemos", "L", "M", "S"))
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    print(build(Path(sys.argv[1]), Path(__file__).with_name("cdc_bmi_for_age_lms.csv")), "rows")
