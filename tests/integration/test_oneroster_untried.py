"""Packages nobody had tried (issue #15: "the same must hold on packages you have not seen"), found by
mutating valid packages: each is refused with its file, row, column and one sentence, or read, and
never stops the import with a database error; a refused one writes nothing."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from app.services.interchange import oneroster_spec as S
from app.services.interchange.oneroster_import import import_oneroster
from app.services.interchange.oneroster_sample import write_package
from app.services.interchange.oneroster_validate import Validator, edfi_org_id
from app.services.interchange.package import Package
from tests.integration.test_oneroster_firstload import databases  # noqa: F401 - fixture

pytestmark = pytest.mark.integration

TABLES = ("oneroster.orgs", "oneroster.users", "oneroster.roles", "oneroster.enrollments", "oneroster.results",
          "edfi.student", "edfi.staff", "compliance.audit_logs")


def counts(eng) -> dict:
    with eng.connect() as c:
        return {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def read(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def write(path, rows, tail: bytes = b"") -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode() + tail)


def package(tmp_path, name="pkg"):
    folder = tmp_path / name
    write_package(folder, students=12, schools=2)
    return folder


def set_cell(folder, file, row, column, value, tail: bytes = b"") -> None:
    rows = read(folder / file)
    rows[row - 1][rows[0].index(column)] = value
    write(folder / file, rows, tail)


def delta_manifest(folder, *present: str, version: str = "1.2") -> None:
    """A delta package's manifest: the files named are delta, the others absent."""
    files = S.FILES_12 if version == "1.2" else S.FILES_11
    write(folder / "manifest.csv", [["propertyName", "value"], ["manifest.version", "1.0"],
                                    ["oneroster.version", version]]
          + [[f"file.{n}", "delta" if n in present else "absent"] for n in files])


@pytest.fixture(params=["first load", "loaded district"])
def db(request, databases, tmp_path):
    """An empty district (the one-pass first load checks) or one already holding a package (the usual
    checks in the database)."""
    eng = databases()
    if request.param == "loaded district":
        assert import_oneroster(eng, package(tmp_path, "before")).ok
    return eng


@pytest.mark.parametrize("file, column, width", [("users.csv", "givenName", 255), ("orgs.csv", "type", 50)])
@pytest.mark.parametrize("ragged", [False, True], ids=["plain", "read row by row"])
def test_a_value_longer_than_its_column_is_refused_at_its_cell(db, tmp_path, file, column, width, ragged):
    folder = package(tmp_path)
    long = ("ext:" if column == "type" else "") + "é" * (width + 1)
    # a ragged last row keeps PostgreSQL from reading the file: it is checked row by row
    set_cell(folder, file, 3, column, long, tail=b"x,y\r\n" if ragged else b"")
    before = counts(db)
    for dry_run in (True, False):
        r = import_oneroster(db, folder, dry_run=dry_run)
        assert not r.ok
        found = [p for p in r.problems if p.column == column and p.row == 3]
        assert [(p.file, p.row, p.message) for p in found] == [
            (file, 3, f"{column} is {len(long)} characters long; shorten it to at most {width}.")], \
            [str(p) for p in r.problems]
    assert counts(db) == before
    # the checks without a database say the same
    v = Validator(Package(folder), None).run()
    assert [str(p) for p in v.problems if p.column == column and p.row == 3] == [str(p) for p in found]


def test_a_value_that_fits_exactly_is_read(databases, tmp_path):
    db = databases()
    folder = package(tmp_path)
    set_cell(folder, "users.csv", 3, "pronouns", "é" * 255)
    r = import_oneroster(db, folder)
    assert r.ok, [str(p) for p in r.problems]
    with db.connect() as c:
        assert c.execute(text("SELECT max(length(pronouns)) FROM oneroster.users")).scalar() == 255


@pytest.mark.parametrize("file, column, value, words", [
    ("results.csv", "score", "1e999999", "takes numbers above -1000000 and below 1000000"),
    ("results.csv", "score", "1e-999999", "takes numbers above -1000000 and below 1000000"),
    ("results.csv", "score", "999999.99995", "takes numbers above -1000000 and below 1000000"),
    ("lineItems.csv", "resultValueMax", "99999999999999999999999", "takes numbers above -100000000 and below"),
    ("categories.csv", "weight", "99999999999", "takes numbers above -2147483648 and below 2147483648"),
    ("categories.csv", "weight", "1" * 40, "takes numbers above -2147483648"),
])
def test_a_number_too_large_for_its_column_is_refused_at_its_cell(db, tmp_path, file, column, value, words):
    for message in refused_at_one_cell(db, tmp_path, file, column, value):
        assert message.startswith(f'"{value[:57]}') and words in message


def refused_at_one_cell(db, tmp_path, file: str, column: str, value: str) -> list[str]:
    """Row 2's `column` of `file` set to `value`: the dry run and the import each report that one cell, and
    nothing is written. Returns the two messages."""
    folder = package(tmp_path)
    set_cell(folder, file, 2, column, value)
    before = counts(db)
    messages = []
    for dry_run in (True, False):
        r = import_oneroster(db, folder, dry_run=dry_run)
        assert [(p.file, p.row, p.column) for p in r.problems] == [(file, 2, column)], [str(p) for p in r.problems]
        messages.append(r.problems[0].message)
    assert counts(db) == before
    return messages


@pytest.mark.parametrize("file, column, value, words", [
    ("academicSessions.csv", "schoolYear", "２０２７", "is not a year"),  # full-width digits
    ("academicSessions.csv", "startDate", "２０２６-08-17", "is not a date"),
    ("results.csv", "score", "٨٥", "is not a number"),  # Arabic-Indic digits
    ("results.csv", "score", "8_5", "is not a number"),
    ("categories.csv", "weight", "١", "is not a whole number"),
])
def test_digits_of_other_scripts_are_not_numbers(db, tmp_path, file, column, value, words):
    for message in refused_at_one_cell(db, tmp_path, file, column, value):
        assert words in message


def test_a_nul_character_is_reported_at_its_cell_and_nothing_is_written(db, tmp_path):
    folder = package(tmp_path)
    set_cell(folder, "users.csv", 3, "givenName", "Zo\x00ë")
    before = counts(db)
    for dry_run in (True, False):
        r = import_oneroster(db, folder, dry_run=dry_run)
        assert [str(p) for p in r.problems] == ["users.csv, row 3, givenName: The value contains a NUL character "
                                                "(byte 0); remove it and send the file again."]
    assert counts(db) == before


def test_blank_lines_are_not_rows(db, tmp_path):
    """An editor's empty last line (or one between rows) is no record: the package is read as without it."""
    folder = package(tmp_path)
    clean = tmp_path / "clean"
    write_package(clean, students=12, schools=2)
    users = (folder / "users.csv").read_bytes()
    (folder / "users.csv").write_bytes(users.replace(b"\r\n", b"\r\n\r\n", 3) + b"\r\n")
    (folder / "orgs.csv").write_bytes((folder / "orgs.csv").read_bytes() + b"\n\n")
    dry = import_oneroster(db, folder, dry_run=True)
    assert dry.ok, [str(p) for p in dry.problems]
    assert dry.rows == import_oneroster(db, clean, dry_run=True).rows
    r = import_oneroster(db, folder)
    assert r.ok, [str(p) for p in r.problems]
    assert import_oneroster(db, clean).changed_rows == 0


def zipped(folder, zpath, extra=()):
    import zipfile

    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.iterdir()):
            z.write(p, f"district/{p.name}")
        for name, data in extra:
            z.writestr(name, data)
    return zpath


def test_a_damaged_zip_is_refused_in_one_sentence(databases, tmp_path):
    from app.errors import UserError

    db = databases()
    z = zipped(package(tmp_path), tmp_path / "district.zip")
    data = bytearray(z.read_bytes())
    at = data.find(b"district/users.csv") + 80  # inside users.csv's compressed bytes
    data[at:at + 20] = bytes(b ^ 0xFF for b in data[at:at + 20])
    z.write_bytes(bytes(data))
    with pytest.raises(UserError) as refused:
        import_oneroster(db, z, dry_run=True)
    assert refused.value.message == ("district/users.csv in the zip district.zip cannot be read (the zip is damaged, "
                                     "encrypted or uses an unusual compression); make the zip again.")


def test_a_zip_holding_a_file_twice_is_refused_not_read_half(databases, tmp_path):
    from app.errors import UserError

    db = databases()
    z = zipped(package(tmp_path), tmp_path / "district.zip", [("old/users.csv", b"sourcedId\r\nx\r\n")])
    with pytest.raises(UserError) as refused:
        import_oneroster(db, z, dry_run=True)
    assert refused.value.message == ("The zip district.zip holds users.csv twice (district/users.csv and "
                                     "old/users.csv); make it again with one copy of each file.")
    # a Mac's zip: its __MACOSX resource forks are not package files
    z = zipped(package(tmp_path, "mac"), tmp_path / "mac.zip",
               [("__MACOSX/district/._users.csv", b"\x00\x05\x16\x07"), ("__MACOSX/district/._orgs.csv", b"\x00")])
    r = import_oneroster(db, z, dry_run=True)
    assert r.ok and not r.warnings, [str(p) for p in r.problems + r.warnings]


def test_a_value_longer_than_the_csv_reader_takes_is_said_as_such(databases, tmp_path):
    db = databases()
    folder = package(tmp_path)
    set_cell(folder, "users.csv", 3, "givenName", "x" * 200_000, tail=b"x,y\r\n")
    r = import_oneroster(db, folder, dry_run=True)
    assert "users.csv, row 3: A value near line 3 is longer than 131,072 characters, more than any column holds; " \
           "check the file's quoting." in [str(p) for p in r.problems], [str(p) for p in r.problems]


@pytest.mark.parametrize("tail, words", [
    (b'"x,y\r\n', "a quoted value is not closed before the file ends"),
    (b'"x"y,z\r\n', "a closing quote is followed by more characters before the comma"),
])
def test_broken_quoting_is_said_in_the_users_words(databases, tmp_path, tail, words):
    db = databases()
    folder = package(tmp_path)
    (folder / "orgs.csv").write_bytes((folder / "orgs.csv").read_bytes() + tail)
    r = import_oneroster(db, folder, dry_run=True)
    [p] = [p for p in r.problems if p.file == "orgs.csv"]
    assert p.message.startswith("The CSV quoting is broken near line ") and words in p.message, p.message
    assert "expected" not in p.message.replace("followed", "") and "unexpected" not in p.message


def test_a_manifest_row_with_more_than_a_name_and_a_value_is_refused(databases, tmp_path):
    db = databases()
    folder = package(tmp_path)
    rows = read(folder / "manifest.csv")
    at = next(i for i, r in enumerate(rows) if r[0] == "file.users")
    rows[at] = ["file.users", "bulk", "delta"]
    write(folder / "manifest.csv", rows)
    before = counts(db)
    r = import_oneroster(db, folder)
    assert ("manifest.csv", at + 1) in [(p.file, p.row) for p in r.problems], [str(p) for p in r.problems]
    assert "holds a property name and a value only; this one has 3 cells" in " ".join(p.message for p in r.problems)
    assert counts(db) == before
    rows[at] = ["file.users", "bulk", ""]  # an empty cell after the value is read, as in the data files
    write(folder / "manifest.csv", rows)
    assert import_oneroster(db, folder, dry_run=True).ok


def refused_everywhere(db, folder) -> list[str]:
    """The dry run and the import report the same problems (returned), and nothing is written."""
    before = counts(db)
    found = []
    for dry_run in (True, False):
        r = import_oneroster(db, folder, dry_run=dry_run)
        found.append([str(p) for p in r.problems])
    assert found[0] == found[1]
    assert counts(db) == before
    if not before["oneroster.users"]:  # an empty district: the checks without a database say the same
        assert [str(p) for p in Validator(Package(folder), None).run().problems] == found[0]
    return found[0]


@pytest.mark.parametrize("identifier, same", [("990001", ""),
                                              ("0990001", ' ("0990001" and "990001" are the same number)')])
def test_two_orgs_with_one_edfi_id_are_refused_at_the_second(db, tmp_path, identifier, same):
    """Two schools whose identifiers make one Ed-Fi EducationOrganizationId passed the dry run, then the
    import stopped with a database error (ON CONFLICT ... cannot affect row a second time)."""
    folder = package(tmp_path)
    set_cell(folder, "orgs.csv", 4, "identifier", identifier)  # sch-2 takes sch-1's 990001
    assert refused_everywhere(db, folder) == [
        'orgs.csv, row 4, identifier: org "sch-2" and org "sch-1" (row 3) would both be Ed-Fi education '
        f"organization 990001{same}; give each school and district its own number, "
        'or mark the other one tobedeleted if this replaces it.']


def test_an_org_whose_edfi_id_is_taken_in_the_database_is_refused(databases, tmp_path):
    db = databases()
    assert import_oneroster(db, package(tmp_path)).ok
    folder = tmp_path / "delta"
    folder.mkdir()
    write(folder / "orgs.csv", [["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
                                 "parentSourcedId"],
                                ["sch-9", "active", "2026-11-01T00:00:00.000Z", "Annex", "school", "990002", "dist-1"]])
    delta_manifest(folder, "orgs")
    before = counts(db)
    for dry_run in (True, False):
        r = import_oneroster(db, folder, dry_run=dry_run)
        assert [str(p) for p in r.problems] == [
            'orgs.csv, row 2, identifier: org "sch-9" and org "sch-2" (already in the database) would both be Ed-Fi '
            "education organization 990002; give each school and district its own number, or mark the other one "
            'tobedeleted if this replaces it.']
    assert counts(db) == before
    # the same school sent once it has been marked tobedeleted (it gives its number up): read
    write(folder / "orgs.csv", [["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
                                 "parentSourcedId"],
                                ["sch-2", "tobedeleted", "2026-11-01T00:00:00.000Z", "Old", "school", "990002",
                                 "dist-1"]])
    assert import_oneroster(db, folder).ok
    write(folder / "orgs.csv", [["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
                                 "parentSourcedId"],
                                ["sch-9", "active", "2026-11-02T00:00:00.000Z", "Annex", "school", "990002", "dist-1"]])
    r = import_oneroster(db, folder)
    assert r.ok, [str(p) for p in r.problems]
    with db.connect() as c:
        assert c.execute(text("SELECT nameofinstitution FROM edfi.educationorganization "
                              "WHERE educationorganizationid = 990002")).scalar_one() == "Annex"


def test_a_district_that_sends_its_schools_again_under_new_sourced_ids_is_read(databases, tmp_path):
    """A district changing systems sends its schools again, in bulk, under new sourcedIds but with their numbers:
    the same Ed-Fi schools, named as the new package names them (the bulk file marks the old orgs tobedeleted)."""
    db = databases()
    assert import_oneroster(db, package(tmp_path)).ok
    with db.connect() as c:
        schools = c.execute(text("SELECT count(*) FROM edfi.school")).scalar_one()
    again = package(tmp_path, "again")
    for f in again.iterdir():
        f.write_bytes(f.read_bytes().replace(b"sch-", b"school-"))
    rows = read(again / "orgs.csv")
    for r in rows[1:]:
        r[rows[0].index("name")] += " (renamed)"
    write(again / "orgs.csv", rows)
    for dry_run in (True, False):
        r = import_oneroster(db, again, dry_run=dry_run)
        assert r.ok, [str(p) for p in r.problems]
    with db.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.school")).scalar_one() == schools
        assert c.execute(text("SELECT nameofinstitution FROM edfi.educationorganization "
                              "WHERE educationorganizationid = 990001")).scalar_one().endswith(" (renamed)")


@pytest.mark.parametrize("row2, row3, words", [
    ("", "tch-0-0", 'users.csv, row 3, identifier: identifier "tch-0-0" is the sourcedId of the user on row 2, who '
                    'has no identifier: Ed-Fi would know both people by it; give each person their own identifier.'),
    ("x" * 33, "tch-0-0", 'users.csv, row 3, identifier: identifier "tch-0-0" is the sourcedId of the user on row 2, '
                          'whose identifier is longer than the 32 characters Ed-Fi takes: Ed-Fi would know both '
                          'people by it; give each person their own identifier.'),
    ("tch-0-1", "", 'users.csv, row 3, identifier: The user has no identifier, so Ed-Fi would know them by their '
                    'sourcedId "tch-0-1", which is the identifier of the user on row 2; give each person their own '
                    'identifier.'),
    ("y" * 40, "y" * 40, f'users.csv, row 3, identifier: identifier "{"y" * 40}" is also on row 2; each person needs '
                         'their own.'),  # (longer than Ed-Fi takes: each is known by their sourcedId, still refused)
])
def test_two_people_with_one_edfi_id_are_refused_at_the_second(db, tmp_path, row2, row3, words):
    """A person's Ed-Fi unique id is their identifier (up to 32 characters), else their sourcedId: one
    person's identifier that is another's sourcedId passed the dry run, then the import stopped with a
    database error."""
    folder = package(tmp_path)
    set_cell(folder, "users.csv", 2, "identifier", row2)  # tch-0-0
    set_cell(folder, "users.csv", 3, "identifier", row3)  # tch-0-1
    assert refused_everywhere(db, folder) == [words]


def test_a_sourced_id_used_twice_and_an_identifier_naming_it_are_said_alike_in_every_check(db, tmp_path):
    """The database's checks read only the users that share an id; the checks without one read them all: both
    must see the sourcedId used twice before the identifier that names it."""
    folder = package(tmp_path)
    set_cell(folder, "users.csv", 3, "sourcedId", "tch-0-0")
    set_cell(folder, "users.csv", 3, "identifier", "")
    set_cell(folder, "users.csv", 4, "identifier", "tch-0-0")
    refused_everywhere(db, folder)


def test_a_user_whose_sourced_id_is_not_an_identifier_is_refused_in_every_check(db, tmp_path):
    """The checks without a database stopped with a TypeError (no sourcedId to name in "has no role at
    org ...") where the import refused the row."""
    folder = package(tmp_path)
    set_cell(folder, "users.csv", 3, "sourcedId", "é")
    found = refused_everywhere(db, folder)
    assert found[0] == 'users.csv, row 3, sourcedId: "é" is not a valid identifier (1-255 letters, digits or ./@_-).'


def profiles(folder, rows) -> None:
    """userProfiles.csv of (sourcedId, userSourcedId), listed in the manifest as the other files are."""
    head = list(S.FILES_12["userProfiles"].headers)
    write(folder / "userProfiles.csv", [head] + [[{"sourcedId": sid, "userSourcedId": user, "profileType": "lms",
                                                   "vendorId": "v1", "credentialType": "password",
                                                   "username": user}.get(h, "") for h in head] for sid, user in rows])
    mode = next(r[1] for r in read(folder / "manifest.csv") if r[0] == "file.users")
    manifest = [r for r in read(folder / "manifest.csv") if r[0] != "file.userProfiles"]
    write(folder / "manifest.csv", manifest + [["file.userProfiles", mode]])


def test_a_role_naming_another_users_profile_is_refused_at_its_cell(db, tmp_path):
    """A role's userProfileSourcedId named a profile of another user and was read without a word: the role would
    sign its user in with someone else's credentials."""
    folder = package(tmp_path)
    profiles(folder, [("prof-0", "tch-0-0"), ("prof-1", "tch-0-1")])
    set_cell(folder, "roles.csv", 2, "userProfileSourcedId", "prof-0")  # tch-0-0's own: read
    set_cell(folder, "roles.csv", 3, "userProfileSourcedId", "prof-0")  # tch-0-1's role
    assert refused_everywhere(db, folder) == [
        'roles.csv, row 3, userProfileSourcedId: userProfile "prof-0" is user "tch-0-0"\'s, not this role\'s user '
        '"tch-0-1"; name one of "tch-0-1"\'s profiles or leave it empty.']
    set_cell(folder, "roles.csv", 3, "userProfileSourcedId", "prof-1")
    assert import_oneroster(db, folder).ok


def test_a_delta_role_naming_a_profile_in_the_database_is_checked_against_its_user(databases, tmp_path):
    db = databases()
    folder = package(tmp_path)
    profiles(folder, [("prof-0", "tch-0-0")])
    assert import_oneroster(db, folder).ok
    rows = read(folder / "roles.csv")
    h = rows[0]
    role = rows[2]  # tch-0-1's
    role[h.index("status")], role[h.index("dateLastModified")] = "active", "2026-11-01T00:00:00.000Z"
    role[h.index("userProfileSourcedId")] = "prof-0"
    delta = tmp_path / "delta"
    delta.mkdir()
    write(delta / "roles.csv", [h, role])
    delta_manifest(delta, "roles")
    before = counts(db)
    for dry_run in (True, False):
        assert [str(p) for p in import_oneroster(db, delta, dry_run=dry_run).problems] == [
            'roles.csv, row 2, userProfileSourcedId: userProfile "prof-0" is user "tch-0-0"\'s, not this role\'s '
            'user "tch-0-1"; name one of "tch-0-1"\'s profiles or leave it empty.']
    assert counts(db) == before


def test_two_courses_with_one_code_at_one_org_and_two_titles_are_said(db, tmp_path):
    """Ed-Fi knows a course by its code and org: two OneRoster courses sharing both became one Ed-Fi course,
    titled as one of them, without a word. The same title is one course sent twice (a course a year): read."""
    folder = package(tmp_path)
    set_cell(folder, "courses.csv", 3, "courseCode", "C000")  # crs-0-1 (Algebra I) takes crs-0-0's code at sch-1
    for dry_run in (True, False):
        r = import_oneroster(db, folder, dry_run=dry_run)
        assert r.ok, [str(p) for p in r.problems]
        assert [str(w) for w in r.warnings] == [
            'courses.csv, row 3, courseCode: course "crs-0-1" and course "crs-0-0" (row 2) would be one Ed-Fi course '
            '"C000" at org "sch-1", with two titles ("Algebra I (1)" and "English Language Arts (1)"), whose classes '
            "would all be its sections; give this course its own courseCode if it is another course."]
    set_cell(folder, "courses.csv", 3, "title", "English Language Arts (1)")
    assert [str(w) for w in import_oneroster(db, folder, dry_run=True).warnings] == []


def test_a_delta_course_taking_a_code_in_the_database_is_said(databases, tmp_path):
    db = databases()
    assert import_oneroster(db, package(tmp_path)).ok
    rows = read(tmp_path / "pkg" / "courses.csv")
    h = rows[0]
    new = list(rows[2])
    new[h.index("sourcedId")], new[h.index("status")] = "crs-new", "active"
    new[h.index("dateLastModified")], new[h.index("courseCode")] = "2026-11-01T00:00:00.000Z", "C000"
    delta = tmp_path / "delta"
    delta.mkdir()
    write(delta / "courses.csv", [h, new])
    delta_manifest(delta, "courses")
    r = import_oneroster(db, delta, dry_run=True)
    assert r.ok and [str(w) for w in r.warnings] == [
        'courses.csv, row 2, courseCode: course "crs-new" and course "crs-0-0" (already in the database) would be one '
        'Ed-Fi course "C000" at org "sch-1", with two titles ("Algebra I (1)" and "English Language Arts (1)"), whose '
        "classes would all be its sections; give this course its own courseCode if it is another course."]
    # the same delta retiring the course it replaces: one course, nothing to say (review of 6bd671e, LOW)
    old = list(rows[1])
    old[h.index("status")], old[h.index("dateLastModified")] = "tobedeleted", "2026-11-01T00:00:00.000Z"
    write(delta / "courses.csv", [h, old, new])
    r = import_oneroster(db, delta, dry_run=True)
    assert r.ok and [str(w) for w in r.warnings] == []


def test_a_profile_given_to_another_user_while_a_role_names_it_is_refused(databases, tmp_path):
    """(Review of 0b1b090, MEDIUM.) A delta userProfiles.csv giving a profile that a database role names to
    another user was read: the role then named someone else's profile."""
    db = databases()
    folder = package(tmp_path)
    profiles(folder, [("prof-0", "tch-0-0")])
    set_cell(folder, "roles.csv", 2, "userProfileSourcedId", "prof-0")
    assert import_oneroster(db, folder).ok
    head = list(S.FILES_12["userProfiles"].headers)
    delta = tmp_path / "delta"
    delta.mkdir()
    write(delta / "userProfiles.csv", [head, [{"sourcedId": "prof-0", "status": "active",
                                               "dateLastModified": "2026-11-01T00:00:00.000Z",
                                               "userSourcedId": "tch-0-1", "profileType": "lms", "vendorId": "v1",
                                               "credentialType": "password", "username": "x"}.get(h, "")
                                              for h in head]])
    delta_manifest(delta, "userProfiles")
    before = counts(db)
    for dry_run in (True, False):
        assert [str(p) for p in import_oneroster(db, delta, dry_run=dry_run).problems] == [
            'userProfiles.csv, row 2, userSourcedId: userProfile "prof-0" is named by role "role-tch-0-0" of user '
            '"tch-0-0", already in the database, and a role\'s profile is its own user\'s; keep "tch-0-0" as its '
            'user, or send that role in this delta without it.']
    with db.connect() as c:  # the row-by-row checks (a file PostgreSQL cannot COPY) say the same
        assert [p.message for p in Validator(Package(delta), c).run().problems] == [
            p.message for p in import_oneroster(db, delta, dry_run=True).problems]
    assert counts(db) == before
    # the role sent in the same delta without the profile: read
    roles = read(folder / "roles.csv")
    rh = roles[0]
    role = roles[1]
    role[rh.index("status")], role[rh.index("dateLastModified")] = "active", "2026-11-01T00:00:00.000Z"
    role[rh.index("userProfileSourcedId")] = ""
    write(delta / "roles.csv", [rh, role])
    delta_manifest(delta, "userProfiles", "roles")
    r = import_oneroster(db, delta)
    assert r.ok, [str(p) for p in r.problems]


def test_a_course_at_a_replacement_school_sharing_a_retired_schools_number_is_said(databases, tmp_path):
    """Ed-Fi knows a course by its code and its education organization, and a school sent again under a new sourcedId
    with its number is the same Ed-Fi school: a course there with an old course's code and another title joins that
    Ed-Fi course (the note keyed on orgSourcedId said nothing)."""
    db = databases()
    assert import_oneroster(db, package(tmp_path)).ok
    when = "2026-11-01T00:00:00.000Z"
    orgs = read(tmp_path / "pkg" / "orgs.csv")
    oh = orgs[0]
    old = next(list(r) for r in orgs[1:] if r[oh.index("sourcedId")] == "sch-1")
    new = list(old)
    old[oh.index("status")], old[oh.index("dateLastModified")] = "tobedeleted", when
    new[oh.index("sourcedId")], new[oh.index("status")], new[oh.index("dateLastModified")] = "sch-1b", "active", when
    courses = read(tmp_path / "pkg" / "courses.csv")
    h = courses[0]
    course = list(courses[1])  # crs-0-0: "C000" at sch-1
    course[h.index("sourcedId")], course[h.index("status")], course[h.index("dateLastModified")] = "crs-b", "active", when
    course[h.index("orgSourcedId")], course[h.index("title")] = "sch-1b", "Physics"
    delta = tmp_path / "delta"
    delta.mkdir()
    write(delta / "orgs.csv", [oh, old, new])
    write(delta / "courses.csv", [h, course])
    delta_manifest(delta, "orgs", "courses")
    number = edfi_org_id("sch-1", old[oh.index("identifier")])
    for dry_run in (True, False):
        r = import_oneroster(db, delta, dry_run=dry_run)
        assert r.ok, [str(p) for p in r.problems]
        assert [str(w) for w in r.warnings] == [
            f'courses.csv, row 2, courseCode: course "crs-b" and course "crs-0-0" (already in the database) would be '
            f'one Ed-Fi course "C000" at education organization {number} (orgs "sch-1b" and "sch-1" are that one '
            'Ed-Fi organization), with two titles ("Physics" and "English Language Arts (1)"), whose classes would all '
            "be its sections; give this course its own courseCode if it is another course."]
    with db.connect() as c:  # (and so it is: one Ed-Fi course, titled as one of the two)
        assert c.execute(text("SELECT count(*) FROM edfi.course WHERE coursecode = 'C000' "
                              "AND educationorganizationid = :n"), {"n": number}).scalar() == 1


def test_two_department_courses_with_one_code_whose_classes_share_a_school_are_said(db, tmp_path):
    """Ed-Fi gives a course at a department (any org but a school or district) to the schools of its classes: two
    departments' courses with one code and classes at one school are one Ed-Fi course there (left open in session
    12: the note keyed on orgSourcedId said nothing). At two schools they are two courses: nothing to say."""
    folder = package(tmp_path)
    orgs = read(folder / "orgs.csv")
    oh = orgs[0]
    for dept in ("dept-math", "dept-lang"):
        row = dict.fromkeys(oh, "")
        row.update(sourcedId=dept, name=dept, type="department", parentSourcedId="sch-1")
        orgs.append([row[h] for h in oh])
    write(folder / "orgs.csv", orgs)
    set_cell(folder, "courses.csv", 2, "orgSourcedId", "dept-lang")  # crs-0-0, English Language Arts (1), C000
    set_cell(folder, "courses.csv", 3, "orgSourcedId", "dept-math")  # crs-0-1, Algebra I (1)
    set_cell(folder, "courses.csv", 3, "courseCode", "C000")
    for dry_run in (True, False):
        r = import_oneroster(db, folder, dry_run=dry_run)
        assert r.ok, [str(p) for p in r.problems]
        assert [str(w) for w in r.warnings] == [
            'courses.csv, row 3, courseCode: course "crs-0-1" and course "crs-0-0" (row 2) would be one Ed-Fi course '
            f'"C000" at education organization {edfi_org_id("sch-1", read(folder / "orgs.csv")[2][oh.index("identifier")])} '
            '(the school of classes of both: a course at a department is the course of its classes\' schools), with two '
            'titles ("Algebra I (1)" and "English Language Arts (1)"), whose classes would all be its sections; give '
            "this course its own courseCode if it is another course."]
