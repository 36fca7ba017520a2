"""The OneRoster checks on small packages written here (no database: references resolve inside
the package only). Each problem names file, row (header = row 1), column and what is wrong."""

from __future__ import annotations

import csv

from app.services.interchange.oneroster_spec import FILES_12
from app.services.interchange.oneroster_validate import validate
from app.services.interchange.package import Package

DT = "2026-10-01T08:00:00.000Z"


def write(folder, name, rows, *, bom=False, header=None):
    with open(folder / name, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header or FILES_12[name[:-4]].headers)
        w.writerows(rows)


def manifest(folder, modes: dict, version="1.2"):
    rows = [["manifest.version", "1.0"], ["oneroster.version", version]]
    rows += [[f"file.{n}", modes.get(n, "absent")] for n in FILES_12]
    write(folder, "manifest.csv", rows, header=["propertyName", "value"])


ORG = ["sch", "", "", "École Saint-Éloi", "school", "", ""]
USER = ["u1", "", "", "true", "u1", "", "Zoë", "Ångström", "", "", "", "", "", "", "09", "", "", "", "", "", "", ""]


def problems(folder):
    return {(p.file, p.row, p.column): p.message for p in validate(Package(folder), None).problems}


def test_a_clean_package_with_bom_quotes_and_line_breaks_has_no_problems(tmp_path):
    manifest(tmp_path, {"orgs": "bulk", "users": "bulk"})
    write(tmp_path, "orgs.csv", [ORG, ["d", "", "", 'District "North", with\na line break', "district", "", ""]],
          bom=True)
    write(tmp_path, "users.csv", [USER])
    v = validate(Package(tmp_path), None)
    assert v.ok, [str(p) for p in v.problems]
    assert [r["name"] for r in v.files["orgs"].records][1] == 'District "North", with\na line break'


def test_manifest_files_declared_missing_and_absent_present(tmp_path):
    manifest(tmp_path, {"orgs": "bulk", "users": "delta"})
    write(tmp_path, "orgs.csv", [ORG])
    write(tmp_path, "courses.csv", [])
    got = problems(tmp_path)
    assert got[("users.csv", None, None)] == "The manifest declares users as delta but the file is missing."
    assert got[("courses.csv", None, None)] == "The manifest says courses is absent, but the file is there."


def test_cells_rows_and_bulk_delta_rules_are_all_reported(tmp_path):
    manifest(tmp_path, {"orgs": "bulk", "users": "delta", "roles": "delta"})
    write(tmp_path, "orgs.csv", [ORG, ["sch", "active", DT, "Again", "campus", "", ""]])
    user = list(USER)
    user[1:3] = ["active", "2026-10-01"]
    user[5] = "{LDAP12}"
    user[14] = "9"
    user[20] = "sch"
    write(tmp_path, "users.csv", [user, ["u2", "", "", "yes", "u2", "", "A", "B", "", "", "", "", "", "", "", "", "",
                                         "", "", "", "", ""]])
    write(tmp_path, "roles.csv", [["r1", "active", DT, "u2", "primary", "student", "", "", "sch", ""],
                                  ["r2", "active", DT, "u2", "primary", "teacher", "", "", "sch", ""]])
    got = problems(tmp_path)
    assert got[("orgs.csv", 3, "sourcedId")] == 'sourcedId "sch" is already used on row 2.'
    assert got[("orgs.csv", 3, "status")].startswith("status must be blank in a bulk file")
    assert got[("orgs.csv", 3, "type")].startswith('"campus" is not a type value; use one of department, school')
    assert got[("users.csv", 2, "dateLastModified")].startswith('"2026-10-01" is not a date and time')
    assert got[("users.csv", 2, "userIds")] == '"{LDAP12}" is not a list of pairs like {type:id},{type:id}.'
    assert got[("users.csv", 2, "grades")].startswith('"9" is not a CEDS grade code')
    assert got[("users.csv", 2, "primaryOrgSourcedId")].startswith('User "u1" has no role at org "sch"')
    assert got[("users.csv", 3, "enabledUser")] == '"yes" is not a boolean; write true or false.'
    assert got[("users.csv", 3, "status")] == "status is required in a delta file."
    assert got[("roles.csv", 3, "roleType")] == 'User "u2" already has a primary role at org "sch" (row 2).'


def test_headers_missing_misordered_and_unknown_columns(tmp_path):
    manifest(tmp_path, {"orgs": "bulk"})
    write(tmp_path, "orgs.csv", [["sch", "", "", "campus", "S", "", "", "x"]],
          header=["sourcedId", "status", "dateLastModified", "type", "name", "identifier", "parentSourcedId", "region"])
    got = problems(tmp_path)
    assert got[("orgs.csv", 1, None)].startswith("The columns are out of order")
    assert got[("orgs.csv", 1, "region")].startswith('Column "region" is not a 1.2 orgs column')
    # rows are still read by column name: the misplaced type is checked where it is
    assert ("orgs.csv", 2, "type") in got


def test_a_11_package_takes_its_own_headers(tmp_path):
    manifest(tmp_path, {"orgs": "bulk", "users": "bulk"}, version="1.1")
    write(tmp_path, "orgs.csv", [ORG])
    from app.services.interchange.oneroster_spec import FILES_11

    write(tmp_path, "users.csv", [["u1", "", "", "true", "sch", "administrator", "u1", "", "A", "B", "", "", "", "",
                                   "", "", "", ""]], header=FILES_11["users"].headers)
    v = validate(Package(tmp_path), None)
    assert v.ok and v.version == "1.1", [str(p) for p in v.problems]
