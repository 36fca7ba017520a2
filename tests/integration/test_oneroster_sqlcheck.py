"""The database checks of a OneRoster 1.2 package (oneroster_sqlcheck: files COPYed as they are, cells
and cross-record rules in SQL) report exactly what the row-by-row checks report: the same problems and
warnings, in the same order, with the same file, row, column and sentence; and the rows they stage for
the load are the records the row-by-row checks make."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import text

from app.db.migrate import migrate
from app.services.interchange import oneroster_spec as S
from app.services.interchange.oneroster_sqlcheck import SqlValidator, create_stage, stage_records
from app.services.interchange.oneroster_validate import Validator
from app.services.interchange.package import Package

DT = "2026-10-01T08:00:00.000Z"
SAMPLES = "oneroster/samples"


@pytest.fixture(scope="module")
def db(new_database_module):
    eng = new_database_module()
    migrate(eng)
    return eng


def write(folder, name, rows, *, header=None, bom=False, raw=None):
    if raw is not None:
        (folder / name).write_bytes(raw)
        return
    with open(folder / name, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header or S.FILES_12[name[:-4]].headers)
        w.writerows(rows)


def manifest(folder, modes: dict):
    rows = [["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
    rows += [[f"file.{n}", modes.get(n, "absent")] for n in S.FILES_12]
    write(folder, "manifest.csv", rows, header=["propertyName", "value"])


def staged_rows(conn, names) -> dict:
    out = {}
    for n in names:
        t = f"stage_{S.FILES_12[n].table}"
        if conn.execute(text("SELECT to_regclass(:t)"), {"t": f"pg_temp.{t}"}).scalar() is not None:
            out[n] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY _row"))]
    return out


def both(eng, folder):
    """(SQL checks, row-by-row checks): problems, warnings and staged rows of each."""
    pkg = Package(folder)
    got = []
    for sql in (True, False):
        with eng.connect() as conn:
            tx = conn.begin()
            v = (SqlValidator if sql else Validator)(pkg, conn).run()
            if not sql:
                for n, fd in v.files.items():
                    create_stage(conn, fd.spec.table)
                    stage_records(conn, fd.spec.table, fd.spec, fd.records)
            got.append(([str(p) for p in v.problems], [str(p) for p in v.warnings], v.rows,
                        staged_rows(conn, v.files)))
            tx.rollback()
    return got


def defects_package(folder):
    """Every kind of cell and cross-record defect, and values the row-by-row reader accepts only after
    a second look (capital booleans, spaces in lists and pairs, exponents), in files big enough to
    matter and small enough to read."""
    manifest(folder, {"orgs": "bulk", "academicSessions": "bulk", "users": "delta", "roles": "delta",
                      "courses": "bulk", "classes": "bulk", "enrollments": "bulk", "categories": "bulk",
                      "lineItems": "bulk", "results": "bulk", "scoreScales": "bulk", "demographics": "bulk",
                      "resources": "bulk"})
    write(folder, "orgs.csv", [
        ["dist", "", "", "District, North", "district", "77", "", ""],
        ["sch", "", "", "École Saint-Éloi", "school", "78", "dist", "west"],
        ["sch", "active", DT, "Again", "campus", "", "", ""],
        ["dep", "", "", "Maths", "department", "", "nowhere", ""],
        ["x1", "", "", "Ext", "ext:campus", "", "dist", ""],
        ["x2", "", "", "Case", "School", "", "dist", ""]],
        header=list(S.FILES_12["orgs"].headers) + ["metadata.region"])
    with open(folder / "orgs.csv", "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\r\n").writerow(["x3", "", "", "Meta", "school", "", "dist", "north"])
    write(folder, "academicSessions.csv", [
        ["t1", "", "", "Fall", "semester", "2026-08-17", "2026-12-18", "", "2027"],
        ["t2", "", "", "Bad", "term", "2026-02-30", "0000-01-01", "t9", "27"]])
    u = ["", "active", DT, "true", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""]

    def user(sid, **kw):
        r = list(u)
        r[0], r[4], r[6], r[7] = sid, sid, "Zoë", "Ångström"
        for k, val in kw.items():
            r[S.FILES_12["users"].headers.index(k)] = val
        return r
    write(folder, "users.csv", [
        user("s1", userIds="{LDAP:1}, {SIS:2}", grades="09,10", primaryOrgSourcedId="sch", identifier="A1"),
        user("s2", enabledUser="TRUE", userIds="{LDAP12}", grades="9", agentSourcedIds="p1, p9"),
        user("s3", enabledUser="yes", dateLastModified="2026-10-01", identifier="A1"),
        user("s4", status="", primaryOrgSourcedId="dist"),
        user("bad id", preferredGivenName="Zed"),
        user("p1", userIds="{LDAP:9},{LDAP:10}"),
        user("t1x", email="t@example.org")])
    write(folder, "roles.csv", [
        ["r1", "active", DT, "s1", "primary", "student", "", "", "sch", ""],
        ["r2", "active", DT, "s1", "primary", "teacher", "", "", "sch", ""],
        ["r3", "tobedeleted", DT, "s1", "primary", "teacher", "", "", "sch", ""],
        ["r4", "active", DT, "s2", "secondary", "student", "2026-13-01", "", "sch", ""],
        ["r5", "active", DT, "t1x", "primary", "teacher", "", "", "sch", ""]])
    write(folder, "courses.csv", [["c1", "", "", "t1", "Maths", "M1", "09", "sch", "Math, Art", "1"]])
    write(folder, "classes.csv", [
        ["k1", "", "", "Maths \"A\"\nannex", "09", "c1", "", "scheduled", "", "sch", "t1,t2", "Math", "1", " 1 ,2"],
        ["k2", "", "", "Art", "", "c9", "", "Scheduled", "", "dep", "t1,t7", "Art,Music", "1", ""]])
    write(folder, "enrollments.csv", [
        ["e1", "", "", "k1", "sch", "s1", "student", "TRUE", "", ""],
        ["e2", "", "", "k1", "sch", "nobody", "student", "false", "", ""],
        ["e3", "", "", "k2", "dep", "t1x", "teacher", "true", "2026-08-17", ""]])
    # a quote inside an unquoted value: read as it is (PostgreSQL's COPY would take it as quoting)
    write(folder, "categories.csv", [], raw=b'sourcedId,status,dateLastModified,title,weight\r\n'
                                            b'cat,,,Home "work",+3\r\ncat2,,,Tests,x\r\n')
    write(folder, "lineItems.csv", [
        ["li1", "", "", "Essay, part 1", "", "2026-09-01", "2026-09-08", "k1", "cat", "t1", "0", "100.5", "sch"],
        ["li2", "", "", "Quiz", "", "2026-09-01", "2026-09-08", "k2", "cat", "t1", "1,5", "10", "sch"]])
    write(folder, "results.csv", [
        ["r1", "", "", "li1", "s1", "fully graded", "150", "2026-09-10", "Good, \"clear\"", "", "k1", "", "", "", ""],
        ["r2", "", "", "li1", "s2", "fully graded", "1e2", "2026-09-10", "", "", "k1", "", "", "", ""],
        ["r3", "", "", "li1", "s1", "graded", "-5", "2026-09-10", "", "", "k1", "false", "", "", ""]])
    write(folder, "scoreScales.csv", [
        ["ss1", "", "", "Letters", "letter", "sch", "c1", "k1", "{A:90},{B:80}"],
        ["ss2", "", "", "Letters", "letter", "sch", "c1", "k1", "{A:90}, {B:80}"],
        ["ss3", "", "", "Letters", "letter", "sch", "c1", "k1", "A:90"]])
    write(folder, "demographics.csv", [
        ["s1", "", "", "2010-01-01", "female", "false", "true", "", "", "", "", "", "", "", "", ""],
        ["ghost", "", "", "2010-02-30", "Male", "", "", "", "", "", "", "", "", "", "", ""]])
    # a ragged row and a blank line: PostgreSQL cannot COPY it, the row-by-row reader reads it
    write(folder, "resources.csv", [], raw=(",".join(S.FILES_12["resources"].headers)
                                            + "\r\nres1,,,v1,Book,,,v,a\r\n\r\nres2,,,v2\r\nres3,,,v3,,,,,,\r\n")
          .encode())


def test_sql_checks_report_exactly_what_the_row_by_row_checks_report(db, tmp_path):
    defects_package(tmp_path)
    sql, rows = both(db, tmp_path)
    assert sql[0] == rows[0]
    assert sql[1] == rows[1] and sql[1], sql[1]  # the capital booleans and the extra empty cells warn
    assert sql[2] == rows[2]
    assert sql[3] == rows[3]
    # the defects are really found (not two empty lists)
    problems = "\n".join(sql[0])
    for words in ('orgs.csv, row 4, sourcedId: sourcedId "sch" is already used on row 3.',
                  'orgs.csv, row 4, type: "campus" is not a type value',
                  '(values are case-sensitive: "school")',
                  'academicSessions.csv, row 3, startDate: "2026-02-30" is not a date',
                  'users.csv, row 3, userIds: "{LDAP12}" is not a list of pairs',
                  'users.csv, row 4, enabledUser: "yes" is not a boolean',
                  'users.csv, row 5, status: status is required in a delta file.',
                  'users.csv, row 6, sourcedId: "bad id" is not a valid identifier',
                  'users.csv, row 4, identifier: identifier "A1" is also on row 2',
                  'users.csv, row 3, agentSourcedIds: users record "p9" is in neither',
                  'users.csv, row 5, primaryOrgSourcedId: User "s4" has no role at org "dist"',
                  'roles.csv, row 3, roleType: User "s1" already has a primary role at org "sch" (row 2).',
                  'classes.csv, row 3, schoolSourcedId: org "dep" is a department, not a school.',
                  'classes.csv, row 3, termSourcedIds: academicSessions record "t7" is in neither',
                  'courses.csv, row 2, subjectCodes: There are 2 subjects but 1 subject codes',
                  'enrollments.csv, row 3, userSourcedId: users record "nobody"',
                  'categories.csv, row 3, weight: "x" is not a whole number.',
                  'lineItems.csv, row 3, resultValueMin: "1,5" is not a number.',
                  "results.csv, row 2, score: Score 150 is outside its line item's range 0 to 100.5.",
                  'results.csv, row 3, studentSourcedId: Student "s2" is not enrolled',
                  'scoreScales.csv, row 4, scoreScaleValue: "A:90" is not a list of pairs',
                  'demographics.csv, row 3, sourcedId: demographics are for user "ghost"',
                  'resources.csv, row 4: The row has 4 cells but the header has 9 columns.'):
        assert words in problems, (words, sql[0])
    # values accepted on a second look are staged as the row-by-row reader types them
    users = {r[0]: r for r in sql[3]["users"]}
    assert users["s1"][-1] == [["LDAP", "1"], ["SIS", "2"]]
    assert sql[3]["classes"][0][-3] == ["1", "2"] or ["1", "2"] in sql[3]["classes"][0]
    assert sql[3]["categories"][0][3] == 'Home "work"'



@pytest.mark.reference
@pytest.mark.parametrize("sample", ["moodle-or12-malformed-edgecases", "moodle-or12-delta-small"])
def test_sql_checks_match_on_the_12_samples(db, shared_dir, sample):
    sql, rows = both(db, shared_dir / SAMPLES / sample)
    assert sql == rows


def test_a_generated_package_is_staged_exactly_as_read_row_by_row(db, tmp_path):
    from app.services.interchange.oneroster_sample import write_package

    write_package(tmp_path, students=60, schools=3, bom=True)
    sql, rows = both(db, tmp_path)
    assert sql[0] == [] and rows[0] == []
    assert sql[2] == rows[2] > 500
    assert sql[3] == rows[3]
