"""OneRoster packages written here (no reference material needed): quoting, BOM and accents;
export and round trip; delta upserts and tobedeleted; directory opt-outs; the command's exit
status and --json."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from datetime import date, datetime

import pytest
from sqlalchemy import text

from app.db.migrate import migrate
from app.services.interchange.oneroster_export import export_oneroster
from app.services.interchange.oneroster_import import import_oneroster
from app.services.interchange.oneroster_sample import write_package

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def loaded(new_database_module, tmp_path_factory):
    """A database holding a generated 60-student package (BOM, quoted line breaks, accents)."""
    pkg = tmp_path_factory.mktemp("pkg")
    write_package(pkg, students=60, bom=True)
    eng = new_database_module()
    migrate(eng)
    result = import_oneroster(eng, pkg, now=datetime(2026, 9, 1))
    assert result.ok, [str(p) for p in result.problems]
    eng.new_db = new_database_module
    return eng, pkg


def one(eng, sql, **params):
    with eng.connect() as c:
        return c.execute(text(sql), params).scalar_one()


def rows_of(folder) -> dict[str, set]:
    out = {}
    for p in sorted(folder.glob("*.csv")):
        rows = list(csv.reader(io.StringIO(p.read_text("utf-8-sig"), newline="")))
        out[p.name] = (tuple(rows[0]), {tuple(r) for r in rows[1:]})
    return out


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def test_quoting_bom_and_accents_survive_and_map_to_edfi(loaded):
    eng, _ = loaded
    assert one(eng, "SELECT count(*) FROM oneroster.classes WHERE title LIKE '%\"section 0\"\nmeets in the annex'") == 3
    assert one(eng, "SELECT count(*) FROM edfi.student") == 60
    names = {r for r in (one(eng, "SELECT string_agg(lastsurname, '|') FROM edfi.student")).split("|")}
    assert names & {"García", "Müller", "O'Brien", "Nguyễn", "Dvořák", "Østergaard", "Çelik"}
    assert one(eng, "SELECT nameofinstitution FROM edfi.educationorganization WHERE educationorganizationid = 990001") \
        == "Riverside École 1"
    assert one(eng, "SELECT count(*) FROM edfi.contact") == 6  # every tenth student has a parent (agentSourcedIds)
    assert one(eng, "SELECT count(*) FROM edfi.studentcontactassociation") == 6
    assert one(eng, "SELECT count(*) FROM oneroster.results WHERE comment = 'Good, \"clear\" work'") == 60


def test_export_then_import_into_an_empty_database_then_export_gives_the_same_files(loaded, tmp_path):
    eng, _ = loaded
    first = export_oneroster(eng, tmp_path / "first")
    assert first.files["users.csv"] == 60 + 6 + one(eng, "SELECT count(*) FROM oneroster.users WHERE sourced_id LIKE 'tch-%'")
    empty = eng.new_db()
    migrate(empty)
    again = import_oneroster(empty, tmp_path / "first")
    assert again.ok, [str(p) for p in again.problems]
    export_oneroster(empty, tmp_path / "second")
    a, b = rows_of(tmp_path / "first"), rows_of(tmp_path / "second")
    assert a == b
    assert "{LDAP:0}" in {r[5] for r in a["users.csv"][1]}


def test_nightly_feed_is_a_dated_zip(loaded, tmp_path):
    eng, _ = loaded
    r = export_oneroster(eng, tmp_path, nightly=True, today=date(2026, 12, 3))
    with zipfile.ZipFile(tmp_path / "oneroster-2026-12-03.zip") as z:
        assert {"manifest.csv", "users.csv", "enrollments.csv"} <= set(z.namelist())
        assert b"file.users,bulk" in z.read("manifest.csv")
    assert r.path.endswith("oneroster-2026-12-03.zip")
    # the feed's zip is itself an importable package (checked only: nothing written)
    check = import_oneroster(eng, tmp_path / "oneroster-2026-12-03.zip", dry_run=True)
    assert check.ok and check.dry_run and check.rows == sum(r.files.values()), [str(p) for p in check.problems]


def test_a_directory_opt_out_leaves_the_student_out_of_the_feed(loaded, tmp_path):
    eng, _ = loaded
    with eng.begin() as c:
        c.execute(text("INSERT INTO compliance.privacy_consents (student_id, consent_type, consent_status, consent_date) "
                       "VALUES ('S0000000', 'Directory', 'Denied', now())"))
    try:
        r = export_oneroster(eng, tmp_path)
        assert r.withheld == 1
        text_ = {p.name: p.read_text("utf-8") for p in tmp_path.glob("*.csv")}
        for name in ("users.csv", "demographics.csv", "roles.csv", "enrollments.csv", "results.csv"):
            assert "stu-0," not in text_[name] and ",stu-0," not in text_[name], name
        parent = [r for r in csv.reader(io.StringIO(text_["users.csv"])) if r[0] == "par-0"][0]
        assert parent[13] == ""  # its agentSourcedIds no longer name the student
    finally:
        with eng.begin() as c:
            c.execute(text("DELETE FROM compliance.privacy_consents WHERE student_id = 'S0000000'"))


def delta_package(folder, users_rows, enrollment_rows, result_rows=()):
    folder.mkdir()
    write_csv(folder / "manifest.csv", ["propertyName", "value"],
              [["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
              + [[f"file.{n}", "delta" if n in ("users", "enrollments") or (n == "results" and result_rows)
                  else "absent"] for n in
                 ("academicSessions", "categories", "classResources", "classes", "courseResources", "courses",
                  "demographics", "enrollments", "lineItemLearningObjectiveIds", "lineItemScoreScales", "lineItems",
                  "orgs", "resources", "resultLearningObjectiveIds", "resultScoreScales", "results", "roles",
                  "scoreScales", "userProfiles", "userResources", "users")])
    from app.services.interchange.oneroster_spec import FILES_12

    write_csv(folder / "users.csv", FILES_12["users"].headers, users_rows)
    write_csv(folder / "enrollments.csv", FILES_12["enrollments"].headers, enrollment_rows)
    if result_rows:
        write_csv(folder / "results.csv", FILES_12["results"].headers, result_rows)


def test_delta_upserts_by_sourced_id_handles_tobedeleted_and_refuses_a_bad_score(loaded, tmp_path):
    eng, _ = loaded
    when = "2026-10-01T12:00:00.000Z"
    stu1 = ["stu-1", "active", when, "true", "s1", "{LDAP:1}", "Zoë", "Renamed", "", "S0000001", "s1@example.org",
            "", "", "", "09", "", "", "", "", "", "sch-2", ""]
    cls = one(eng, "SELECT class_sourced_id FROM oneroster.enrollments WHERE user_sourced_id = 'stu-1' "
                   "ORDER BY sourced_id LIMIT 1")
    other = one(eng, "SELECT sourced_id FROM oneroster.classes WHERE school_sourced_id = 'sch-2' AND sourced_id NOT IN "
                     "(SELECT class_sourced_id FROM oneroster.enrollments WHERE user_sourced_id = 'stu-1') LIMIT 1")
    drop = ["enr-" + cls + "-stu-1", "tobedeleted", when, cls, "sch-2", "stu-1", "student", "false", "2026-08-17", ""]
    add = ["enr-new-stu-1", "active", when, other, "sch-2", "stu-1", "student", "false", "2026-10-01", ""]
    bad = tmp_path / "bad"
    delta_package(bad, [stu1], [drop, add, ["enr-x", "active", when, "cls-nowhere", "sch-2", "stu-1", "student",
                                            "", "", ""]],
                  [["res-x", "active", when, f"li-{cls}", "stu-1", "fully graded", "140", "2026-10-01", "", "", "",
                    "", "", "", ""]])
    refused = import_oneroster(eng, bad)
    assert {(p.file, p.row, p.column) for p in refused.problems} == {
        ("enrollments.csv", 4, "classSourcedId"), ("results.csv", 2, "score")}
    assert "outside its line item's range 0.00 to 100.00" in [p for p in refused.problems if p.column == "score"][0].message
    assert one(eng, "SELECT family_name FROM oneroster.users WHERE sourced_id = 'stu-1'") != "Renamed"

    good = tmp_path / "good"
    delta_package(good, [stu1], [drop, add])
    r = import_oneroster(eng, good, now=datetime(2026, 10, 1, 12))
    assert r.ok, [str(p) for p in r.problems]
    assert one(eng, "SELECT lastsurname FROM edfi.student WHERE studentuniqueid = 'S0000001'") == "Renamed"
    assert one(eng, "SELECT date_last_modified FROM oneroster.users WHERE sourced_id = 'stu-1'") == \
        datetime(2026, 10, 1, 12, 0)
    assert one(eng, "SELECT status FROM oneroster.enrollments WHERE sourced_id = :s", s=drop[0]) == "tobedeleted"
    assert one(eng, """SELECT enddate::text FROM edfi.studentsectionassociation a JOIN edfi.student s USING (studentusi)
                       WHERE s.studentuniqueid = 'S0000001' AND a.sectionidentifier = :c""", c=cls) == "2026-10-01"
    assert one(eng, """SELECT begindate::text FROM edfi.studentsectionassociation a JOIN edfi.student s USING (studentusi)
                       WHERE s.studentuniqueid = 'S0000001' AND a.sectionidentifier = :c""", c=other) == "2026-10-01"
    assert import_oneroster(eng, good, now=datetime(2026, 10, 2)).changed_rows == 0
    # a delta export since just before shows exactly these changes, with status and dateLastModified
    since = datetime(2026, 9, 30)
    export_oneroster(eng, tmp_path / "delta", delta_since=since)
    got = rows_of(tmp_path / "delta")
    assert {r[0] for r in got["enrollments.csv"][1]} == {drop[0], add[0]}
    assert {r[1] for r in got["enrollments.csv"][1]} == {"tobedeleted", "active"}
    assert "file.users,delta" in (tmp_path / "delta" / "manifest.csv").read_text()


def test_the_command_lists_problems_as_json_and_exits_non_zero(loaded, tmp_path, platform, settings, monkeypatch,
                                                                capsys):
    from app.cli import main

    eng, pkg = loaded
    broken = tmp_path / "broken"
    shutil.copytree(pkg, broken)
    users = (broken / "users.csv").read_text("utf-8-sig").replace("stu-3,,,true", "stu-3,,,yes", 1)
    (broken / "users.csv").write_text(users, "utf-8")
    for key, value in {"SCHOOL_OFFICE_DATA_DIR": str(settings.data_dir), "HOME": str(settings.data_dir),
                       "SCHOOL_OFFICE_DYNAMODB_PORT": str(settings.dynamodb_port),
                       "DATABASE_URL": eng.url.render_as_string(hide_password=False)}.items():
        monkeypatch.setenv(key, value)
    assert main(["import", "oneroster", str(broken), "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert problems == [{"file": "users.csv", "row": problems[0]["row"], "column": "enabledUser",
                         "message": '"yes" is not a boolean; write true or false.'}]
    assert main(["import", "oneroster", str(pkg), "--dry-run"]) == 0
    assert "nothing" in capsys.readouterr().out
    # a package that cannot be read at all is still a JSON list with --json (and one sentence without)
    missing = str(tmp_path / "no-such-package")
    assert main(["import", "oneroster", missing, "--json"]) == 1
    assert json.loads(capsys.readouterr().out) == [
        {"file": missing, "row": None, "column": None, "message": f"There is no file or folder {missing}; check the path."}]
    assert main(["import", "edfi", missing, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["file"] == missing
    assert main(["import", "oneroster", missing]) == 2
    assert capsys.readouterr().err.endswith(f"There is no file or folder {missing}; check the path.\n")
