"""Rebuild cvx.csv from the CDC's CDSi schedule supporting data (ScheduleSupportingData.xml).

    python resources/cvx/build_cvx_csv.py ../shared/health/cdsi/supporting-data/ScheduleSupportingData.xml

One row per CVX code the CDC maps to antigens: code, the CDC's short description, the antigens it
protects against and the CDSi vaccine groups those antigens belong to.
"""

from __future__ import annotations

import csv
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def build(xml_path: Path, out: Path) -> int:
    root = ET.parse(xml_path).getroot()
    group_of = {}
    for m in root.iter("vaccineGroupMap"):
        for a in m.findall("antigen"):
            group_of[a.text] = m.findtext("name")
    rows = []
    for m in root.iter("cvxMap"):
        antigens = sorted({a.findtext("antigen") for a in m.findall("association")})
        groups = sorted({group_of.get(a, a) for a in antigens})
        rows.append((m.findtext("cvx").strip(), m.findtext("shortDescription").strip(), ";".join(antigens),
                     ";".join(groups)))
    rows.sort(key=lambda r: int(r[0]))
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("cvx", "short_description", "antigens", "vaccine_groups"))
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    print(build(Path(sys.argv[1]), Path(__file__).with_name("cvx.csv")), "codes")
