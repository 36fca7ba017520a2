"""OneRoster 1.1 packages nobody had tried (issue #15), found by mutating the cells of 1.1 packages (the
generator's package written the 1.1 way): each is refused with its file, row, column and one sentence, or
read; a dry run that passes means the import succeeds; a refused one writes nothing."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import text

from app.services.interchange import oneroster_spec as S
from app.services.interchange.oneroster_import import import_oneroster
from app.services.interchange.oneroster_sample import write_package
from tests.integration.test_oneroster_firstload import databases  # noqa: F401 - fixture
from tests.integration.test_oneroster_untried import counts, read, set_cell, write

pytestmark = pytest.mark.integration


def package_11(tmp_path, name="pkg11"):
    """The generator's package as OneRoster 1.1 writes it: users carry orgSourcedIds and role (no
    roles.csv), lineItems a gradingPeriodSourcedId, categories and results their 1.1 columns."""
    src, out = tmp_path / f"{name}-12", tmp_path / name
    write_package(src, students=12, schools=2)
    out.mkdir()
    roles: dict[str, list[dict]] = {}
    with open(src / "roles.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            roles.setdefault(r["userSourcedId"], []).append(r)
    for name_, spec in S.FILES_11.items():
        if not (src / f"{name_}.csv").exists():
            continue
        with open(src / f"{name_}.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for r in rows:
            if name_ == "users":
                r["orgSourcedIds"] = ",".join(x["orgSourcedId"] for x in roles[r["sourcedId"]])
                r["role"] = roles[r["sourcedId"]][0]["role"]
            if name_ == "lineItems":
                r["gradingPeriodSourcedId"] = r["academicSessionSourcedId"]
        write(out / f"{name_}.csv", [list(spec.headers)] + [[r.get(h) or "" for h in spec.headers] for r in rows])
    write(out / "manifest.csv", [["propertyName", "value"], ["manifest.version", "1.0"], ["oneroster.version", "1.1"]]
          + [[f"file.{n}", "bulk" if (out / f"{n}.csv").exists() else "absent"] for n in S.FILES_11])
    return out


@pytest.fixture
def db(databases):
    return databases()


def test_the_11_package_loads(db, tmp_path):
    r = import_oneroster(db, package_11(tmp_path))
    assert r.ok and r.version == "1.1", [str(p) for p in r.problems]


def test_an_org_listed_twice_in_org_sourced_ids_is_read_once(db, tmp_path):
    """1.1 users.orgSourcedIds "sch-1,sch-1" passed the dry run, then the import stopped with a database
    error (the two roles it made had one sourcedId)."""
    folder = package_11(tmp_path)
    user, org = read(folder / "users.csv")[1][0], read(folder / "users.csv")[1][4]
    set_cell(folder, "users.csv", 2, "orgSourcedIds", f"{org},{org}")
    for dry_run in (True, False):
        r = import_oneroster(db, folder, dry_run=dry_run)
        assert r.ok, [str(p) for p in r.problems]
        assert [str(w) for w in r.warnings] == [
            f'users.csv, row 2, orgSourcedIds: org "{org}" is listed twice; it was read once.']
    with db.connect() as c:
        assert c.execute(text("SELECT org_sourced_id, role_type FROM oneroster.roles WHERE user_sourced_id = :u"),
                         {"u": user}).all() == [(org, "primary")]


def test_two_people_with_one_edfi_id_are_refused_in_11_too(db, tmp_path):
    """(The 1.1 checks are made row by row: the same rule as 1.2's, tests/integration/test_oneroster_untried.py.)"""
    folder = package_11(tmp_path)
    set_cell(folder, "users.csv", 2, "identifier", "")  # tch-0-0 is known to Ed-Fi by its sourcedId
    set_cell(folder, "users.csv", 3, "identifier", "tch-0-0")
    set_cell(folder, "orgs.csv", 4, "identifier", "990001")  # sch-2 takes sch-1's
    before = counts(db)
    for dry_run in (True, False):
        r = import_oneroster(db, folder, dry_run=dry_run)
        assert [str(p) for p in r.problems] == [
            'users.csv, row 3, identifier: identifier "tch-0-0" is the sourcedId of the user on row 2, who has no '
            'identifier: Ed-Fi would know both people by it; give each person their own identifier.',
            'orgs.csv, row 4, identifier: org "sch-2" and org "sch-1" (row 3) would both be Ed-Fi education '
            "organization 990001; give each school and district its own number, or mark the other one tobedeleted if "
            'this replaces it.']
    assert counts(db) == before
