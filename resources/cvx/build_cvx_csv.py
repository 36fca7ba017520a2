"""Rebuild cvx.csv from the CDC's CDSi schedule supporting data (ScheduleSupportingData.xml) and the
CDC's full CVX list (cdc_cvx_2025-09-03.csv beside this file).

    python resources/cvx/build_cvx_csv.py ../shared/health/cdsi/supporting-data/ScheduleSupportingData.xml

One row per CVX code: code, the CDC's short description, the antigens it protects against and the
CDSi vaccine groups those antigens belong to (from CDSi; CDSi maps 138 codes). The codes CDSi does not
map (COVID-19, RSV, newer pneumococcal and meningococcal products, non-US vaccines, ...) come from the
CDC's list; COVID-19 vaccines get the vaccine group "COVID-19", the others none.

Where the CDC's list comes from: the CDC publishes it at www2.cdc.gov (vaccines.asp?rpt=cvx), which
this project's machines cannot reach, and no PyPI or npm package carries it. HL7's SMART Health Cards
vaccination implementation guide (github.com/HL7/fhir-shc-vaccination-ig, input/fsh/value_sets.fsh,
ValueSet "immunization-all-cvx") copies the whole list "as of 2025-09-03"; cdc_cvx_2025-09-03.csv is
those 278 codes and short descriptions. CVX codes are a CDC (U.S. government) work in the public
domain. That list leaves out the retired one-digit codes 01-09, which CDSi still maps.
"""

from __future__ import annotations

import csv
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def _group_of_unmapped(description: str) -> str:
    d = description.upper()
    return "COVID-19" if "COVID" in d or "SARS-COV-2" in d else ""


def build(xml_path: Path, out: Path, cdc_list: Path | None = None) -> int:
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
    cdc_list = cdc_list or Path(__file__).with_name("cdc_cvx_2025-09-03.csv")
    mapped = {r[0] for r in rows}
    with cdc_list.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["cvx"] not in mapped:
                group = _group_of_unmapped(r["short_description"])
                rows.append((r["cvx"], r["short_description"], group, group))
    rows.sort(key=lambda r: int(r[0]))
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("cvx", "short_description", "antigens", "vaccine_groups"))
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    print(build(Path(sys.argv[1]), Path(__file__).with_name("cvx.csv")), "codes")
