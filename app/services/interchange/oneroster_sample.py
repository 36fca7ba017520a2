"""A generated OneRoster 1.2 bulk package of any size: for the import bench and the tests.

Names carry accents, titles carry commas, quotes and line breaks, so the generated files exercise
the CSV quoting a real package has.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from app.services.interchange import oneroster_spec as S

FIRST = ("Zoë", "José", "Amélie", "Łukasz", "Søren", "Chloé", "Noah", "Liam", "Emma", "Mateo", "Añaya", "Björn",
         "Renée", "Olivia", "Ava", "Eli", "Inés", "François", "Mia", "Jürgen")
LAST = ("García", "Müller", "O'Brien", "Nguyễn", "Smith", "Johnson", "Brown", "López", "Dvořák", "Østergaard",
        "Martínez", "Lee", "Walker", "Hernández", "Young", "Kowalski", "Çelik", "Fernández", "Clark", "Wright")
SUBJECTS = (("English Language Arts", "01001"), ("Algebra I", "02052"), ("Biology", "03051"),
            ("World History", "04052"), ("Spanish I", "06101"), ("Physical Education", "08001"))


def write_package(folder: str | Path, *, students: int = 100, schools: int = 3, classes_per_student: int = 4,
                  seed: int = 7, results: bool = True, bom: bool = False) -> dict[str, int]:
    """Write a valid bulk package into `folder`; returns the data rows per file."""
    rng = random.Random(seed)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[list]] = {n: [] for n in S.FILES_12}
    year = 2027
    rows["orgs"].append(["dist-1", "", "", "Riverside Unified, District", "district", "9900", ""])
    school_ids = [f"sch-{i + 1}" for i in range(schools)]
    for i, s in enumerate(school_ids):
        rows["orgs"].append([s, "", "", f"Riverside École {i + 1}", "school", f"99{i + 1:04d}", "dist-1"])
    rows["academicSessions"] += [
        ["sy-2027", "", "", "2026-2027", "schoolYear", "2026-08-17", "2027-05-28", "", str(year)],
        ["fall-2027", "", "", "Fall Semester", "semester", "2026-08-17", "2026-12-18", "sy-2027", str(year)],
        ["spring-2027", "", "", "Spring Semester", "semester", "2027-01-04", "2027-05-28", "sy-2027", str(year)]]
    rows["categories"].append(["cat-hw", "", "", "Homework", "1"])
    per_class = 25
    n_classes_school = max(len(SUBJECTS), (students // schools + 1) * classes_per_student // per_class + 1)
    classes: dict[str, list[str]] = {}
    teachers = []
    for si, s in enumerate(school_ids):
        for k, (subject, code) in enumerate(SUBJECTS):
            rows["courses"].append([f"crs-{si}-{k}", "", "", "sy-2027", f"{subject} ({si + 1})", f"C{k:03d}",
                                    "09,10", s, subject, code])
        classes[s] = []
        for c in range(n_classes_school):
            k = c % len(SUBJECTS)
            cid = f"cls-{si}-{c}"
            classes[s].append(cid)
            title = f'{SUBJECTS[k][0]} "section {c}"' + ("\nmeets in the annex" if c % 7 == 0 else "")
            rows["classes"].append([cid, "", "", title, "09", f"crs-{si}-{k}", f"{k}-{c}", "scheduled",
                                    f"Room {100 + c}", s, "fall-2027", SUBJECTS[k][0], SUBJECTS[k][1], "1"])
            if c % 5 == 0:
                tid = f"tch-{si}-{c // 5}"
                teachers.append((tid, s))
            rows["enrollments"].append([f"enr-{cid}-{teachers[-1][0]}", "", "", cid, s, teachers[-1][0], "teacher",
                                        "true", "2026-08-17", ""])
            if results:
                rows["lineItems"].append([f"li-{cid}", "", "", "Essay, part 1", "", "2026-09-01", "2026-09-08", cid,
                                          "cat-hw", "fall-2027", "0", "100", s])
    for tid, s in teachers:
        rows["users"].append([tid, "", "", "true", tid, "", rng.choice(FIRST), rng.choice(LAST), "", f"T{tid}",
                              f"{tid}@example.org", "", "", "", "", "", "", "", "", "", s, ""])
        rows["roles"].append([f"role-{tid}", "", "", tid, "primary", "teacher", "", "", s, ""])
    born = date(2010, 1, 1)
    for n in range(students):
        s = school_ids[n % schools]
        uid = f"stu-{n}"
        parent = f"par-{n}" if n % 10 == 0 else ""
        rows["users"].append([uid, "", "", "true", f"s{n}", f"{{LDAP:{n}}}", rng.choice(FIRST), rng.choice(LAST),
                              "", f"S{n:07d}", f"s{n}@example.org", "", "", parent, "09", "", "", "", "", "", s, ""])
        rows["roles"].append([f"role-{uid}", "", "", uid, "primary", "student", "2026-08-17", "", s, ""])
        rows["demographics"].append([uid, "", "", (born + timedelta(days=n % 1500)).isoformat(),
                                     ("female", "male")[n % 2], "false", str(n % 3 == 0).lower(), "false", "false",
                                     str(n % 3 != 0).lower(), "false", str(n % 4 == 0).lower(), "", "", "", ""])
        if parent:
            rows["users"].append([parent, "", "", "true", parent, "", rng.choice(FIRST), rng.choice(LAST), "", "",
                                  "", "", "", uid, "", "", "", "", "", "", s, ""])
            rows["roles"].append([f"role-{parent}", "", "", parent, "primary", "parent", "", "", s, ""])
        pool = classes[s]
        start = (n // schools) * classes_per_student
        for j in range(classes_per_student):
            cid = pool[(start + j) % len(pool)]
            rows["enrollments"].append([f"enr-{cid}-{uid}", "", "", cid, s, uid, "student", "false", "2026-08-17",
                                        ""])
            if results and j == 0:
                rows["results"].append([f"res-{cid}-{uid}", "", "", f"li-{cid}", uid, "fully graded",
                                        str(60 + n % 41), "2026-09-10", "Good, \"clear\" work", "", cid, "false",
                                        "false", "false", "false"])
    counts = {}
    for name, data in rows.items():
        if not data:
            continue
        with open(out / f"{name}.csv", "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(S.FILES_12[name].headers)
            w.writerows(data)
        counts[name] = len(data)
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerows([("propertyName", "value"), ("manifest.version", "1.0"), ("oneroster.version", "1.2")])
        for name in S.FILES_12:
            w.writerow((f"file.{name}", "bulk" if name in counts else "absent"))
        w.writerows([("source.systemName", "Generated"), ("source.systemCode", "bench")])
    return counts
