"""A delta that brings a new person whose Ed-Fi unique id is already an active person's in the database (issue
#15): Ed-Fi knows a person by that id alone, so the import would have handed the old person's Ed-Fi record, and
with it their enrollments and history, to the new one without a word. It is refused at the cell, in the 1.2
checks in the database and in the 1.1 checks row by row, unless the same delta marks the old user tobedeleted
(a district changing systems sends its people again under new sourcedIds, with the same state ids)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.services.interchange import oneroster_spec as S
from app.services.interchange.oneroster_import import import_oneroster
from tests.integration.test_oneroster_firstload import databases  # noqa: F401 - fixture
from tests.integration.test_oneroster_untried import (  # noqa: F401 - db: fixture
    counts, db, delta_manifest, package, read, write)

pytestmark = pytest.mark.integration
WHEN = "2026-11-01T00:00:00.000Z"


def delta(tmp_path, version: str, users: list[list[str]], roles: list[list[str]] = (), name="delta",
          born: dict[str, str] | None = None):
    """A delta package of users (sourcedId, status, givenName, familyName, identifier) and, in 1.2, their roles
    (sourcedId, status, userSourcedId, role, orgSourcedId); 1.1 users carry their role and org themselves."""
    folder = tmp_path / name
    folder.mkdir()
    files = S.FILES_12 if version == "1.2" else S.FILES_11
    head = list(files["users"].headers)
    out = [head]
    for sid, status, given, family, ident, *rest in users:
        row = dict.fromkeys(head, "")
        row.update(sourcedId=sid, status=status, dateLastModified=WHEN, enabledUser="true", username=sid,
                   givenName=given, familyName=family, identifier=ident)
        if version == "1.1":
            row.update(role=rest[0] if rest else "student", orgSourcedIds="sch-1")
        out.append([row[h] for h in head])
    write(folder / "users.csv", out)
    present = {"users"}
    if roles:
        rhead = list(S.FILES_12["roles"].headers)
        rout = [rhead]
        for sid, status, user, role, org in roles:
            row = dict.fromkeys(rhead, "")
            row.update(sourcedId=sid, status=status, dateLastModified=WHEN, userSourcedId=user, roleType="primary",
                       role=role, orgSourcedId=org)
            rout.append([row[h] for h in rhead])
        write(folder / "roles.csv", rout)
        present.add("roles")
    if born:  # sourcedId -> birthDate
        dhead = list(files["demographics"].headers)
        write(folder / "demographics.csv", [dhead] + [[{"sourcedId": sid, "status": "active", "dateLastModified": WHEN,
                                                        "birthDate": day}.get(h, "") for h in dhead]
                                                      for sid, day in born.items()])
        present.add("demographics")
    delta_manifest(folder, *present, version=version)
    return folder


def problems(db, folder) -> list[str]:
    """The dry run and the import say the same (returned); a refused package writes nothing."""
    before = counts(db)
    found = [[str(p) for p in import_oneroster(db, folder, dry_run=d).problems] for d in (True, False)]
    assert found[0] == found[1]
    if found[0]:
        assert counts(db) == before
    return found[0]


def one(db, sql, **kw):
    with db.connect() as c:
        return c.execute(text(sql), kw).one()


@pytest.fixture
def loaded(databases, tmp_path):
    db = databases()
    assert import_oneroster(db, package(tmp_path, "before")).ok
    return db


def roles_for(version, *users):
    return [[f"role-{u}", "active", u, "student", "sch-1"] for u in users] if version == "1.2" else []


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_new_student_with_a_students_state_id_is_refused(loaded, tmp_path, version):
    folder = delta(tmp_path, version, [["stu-new", "active", "Noah", "Other", "S0000000"]], roles_for(version, "stu-new"))
    assert problems(loaded, folder) == [
        'users.csv, row 2, identifier: identifier "S0000000" is the identifier of user "stu-0", already in the '
        'database: Ed-Fi would know both people by it; give this person their own identifier, or mark "stu-0" '
        'tobedeleted in this delta if this user replaces them.']
    assert one(loaded, "SELECT firstname FROM edfi.student WHERE studentuniqueid = 'S0000000'") == ("Mia",)


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_every_way_to_take_an_active_persons_edfi_id_is_refused(loaded, tmp_path, version):
    """A person known by their sourcedId (no identifier), one who changes their identifier to another's, and a
    person whose identifier is a database user's sourcedId: every one at its row, in row order."""
    with loaded.begin() as c:  # a parent in the database without an identifier: Ed-Fi knows them by "par-0"
        assert c.execute(text("SELECT identifier FROM oneroster.users WHERE sourced_id = 'par-0'")).scalar() is None
    folder = delta(tmp_path, version, [
        ["S0000001", "active", "Ava", "Sid", ""],  # stu-1's identifier as a sourcedId
        ["stu-2", "active", "Liam", "Changed", "S0000003"],  # stu-2 takes stu-3's
        ["stu-new", "active", "Zoe", "New", "par-0"],  # par-0's sourcedId as an identifier
        ["stu-ok", "active", "Eli", "Fine", "S9999999"],  # nobody's: read
    ], roles_for(version, "S0000001", "stu-2", "stu-new", "stu-ok"))
    assert problems(loaded, folder) == [
        'users.csv, row 2, identifier: The user has no identifier, so Ed-Fi would know them by their sourcedId '
        '"S0000001", which is the identifier of user "stu-1", already in the database; give this person their own '
        'identifier, or mark "stu-1" tobedeleted in this delta if this user replaces them.',
        'users.csv, row 3, identifier: identifier "S0000003" is the identifier of user "stu-3", already in the '
        'database: Ed-Fi would know both people by it; give this person their own identifier, or mark "stu-3" '
        'tobedeleted in this delta if this user replaces them.',
        'users.csv, row 4, identifier: identifier "par-0" is the sourcedId of user "par-0", already in the database, '
        'who has no identifier: Ed-Fi would know both people by it; give this person their own identifier, or mark '
        '"par-0" tobedeleted in this delta if this user replaces them.']


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_student_sent_again_under_a_new_sourced_id_keeps_their_edfi_record(loaded, tmp_path, version):
    """The same delta retires the old user: the new one is the same Ed-Fi student (their enrollments and history
    stay theirs); once the old user is retired, a later delta may send the new one alone."""
    usi = one(loaded, "SELECT studentusi FROM edfi.student WHERE studentuniqueid = 'S0000000'")[0]
    folder = delta(tmp_path, version, [["stu-0", "tobedeleted", "Mia", "Müller (retired)", "S0000000"],
                                       ["stu-new", "active", "Mia", "Müller-Ortiz", "S0000000"]],
                   roles_for(version, "stu-new"), born={"stu-0": "2010-01-01", "stu-new": "2010-01-01"})
    assert problems(loaded, folder) == []
    assert one(loaded, "SELECT studentusi, lastsurname FROM edfi.student WHERE studentuniqueid = 'S0000000'") == (
        usi, "Müller-Ortiz")
    later = delta(tmp_path, version, [["stu-new", "active", "Mia", "Müller", "S0000000"]],
                  roles_for(version, "stu-new"), name="later")
    assert problems(loaded, later) == []
    # a third user taking the id the new one holds now is refused
    third = delta(tmp_path, version, [["stu-third", "active", "Mia", "Müller", "S0000000"]],
                  roles_for(version, "stu-third"), name="third")
    assert [p.split(":")[1] for p in problems(loaded, third)] == [' identifier "S0000000" is the identifier of user "stu-new", already in the database']


def test_a_bulk_users_file_may_send_everyone_again_under_new_sourced_ids(loaded, tmp_path):
    """A bulk users.csv marks every user it leaves out tobedeleted: people sent again under new sourcedIds with
    their identifiers are the same Ed-Fi people."""
    with loaded.connect() as c:
        students = c.execute(text("SELECT count(*) FROM edfi.student")).scalar_one()
    again = package(tmp_path, "again")
    for f in again.iterdir():
        f.write_bytes(f.read_bytes().replace(b"stu-", b"pupil-"))
    assert problems(loaded, again) == []
    with loaded.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.student")).scalar_one() == students


def test_a_retired_user_sharing_an_active_ones_id_is_left_out_of_edfi_on_every_path(db, tmp_path):
    """A users.csv delta (first load into an empty district, or the usual path) in which a retired user carries an
    active one's identifier: read, and the Ed-Fi person is the active user's."""
    folder = package(tmp_path)
    rows = read(folder / "users.csv")
    h = rows[0]
    for r in rows[1:]:
        r[h.index("status")], r[h.index("dateLastModified")] = "active", WHEN
    stu1 = next(r for r in rows if r[0] == "stu-1")
    stu1[h.index("status")], stu1[h.index("identifier")], stu1[h.index("familyName")] = "tobedeleted", "S0000000", "X"
    write(folder / "users.csv", rows)
    manifest = (folder / "manifest.csv").read_text(encoding="utf-8").replace("file.users,bulk", "file.users,delta")
    (folder / "manifest.csv").write_text(manifest, encoding="utf-8")
    assert problems(db, folder) == []
    assert one(db, "SELECT firstname, lastsurname FROM edfi.student WHERE studentuniqueid = 'S0000000'") == (
        "Mia", "Müller")


def test_two_retired_users_with_one_id_and_no_active_holder_are_read(loaded, tmp_path):
    """(Review of 672df83, HIGH.) Retired users give their id up, so two retired ones may share it, with their roles
    still active: the check passed them, then the Ed-Fi mapping upserted one staff member twice and stopped with a
    database error. Now it maps one of them (one upsert a person)."""
    folder = delta(tmp_path, "1.2", [["tch-a", "tobedeleted", "Ann", "A", "DUPX"],
                                     ["tch-b", "tobedeleted", "Bob", "B", "DUPX"]],
                   [["r-a", "active", "tch-a", "teacher", "sch-1"], ["r-b", "active", "tch-b", "teacher", "sch-1"]])
    assert problems(loaded, folder) == []
    assert one(loaded, "SELECT count(*) FROM edfi.staff WHERE staffuniqueid = 'DUPX'") == (1,)


def test_a_first_load_with_two_retired_students_sharing_an_id_loads(db, tmp_path):
    """(Review of 672df83, HIGH: the first load's rules passed it, then the mapping stopped with a database error.)"""
    folder = package(tmp_path)
    rows = read(folder / "users.csv")
    h = rows[0]
    for r in rows[1:]:
        r[h.index("status")], r[h.index("dateLastModified")] = "active", WHEN
        if r[0] in ("stu-1", "stu-2"):
            r[h.index("status")], r[h.index("identifier")] = "tobedeleted", "S0000001"
    write(folder / "users.csv", rows)
    manifest = (folder / "manifest.csv").read_text(encoding="utf-8").replace("file.users,bulk", "file.users,delta")
    (folder / "manifest.csv").write_text(manifest, encoding="utf-8")
    assert problems(db, folder) == []
    assert one(db, "SELECT count(*) FROM edfi.student WHERE studentuniqueid = 'S0000001'") == (1,)


def test_two_new_users_with_a_database_users_id_are_each_said_once_in_row_order(loaded, tmp_path):
    """(Review of 672df83, LOW: row 3 was said twice, once as sharing row 2's identifier, and out of row order.)"""
    folder = delta(tmp_path, "1.2", [["stu-a", "active", "A", "A", "S0000000"], ["stu-b", "active", "B", "B", "S0000000"]],
                   roles_for("1.2", "stu-a", "stu-b"))
    said = problems(loaded, folder)
    assert [p.split(":")[0] for p in said] == ["users.csv, row 2, identifier", "users.csv, row 3, identifier"]
    assert all('user "stu-0", already in the database' in p for p in said)


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_an_identifier_longer_than_edfi_takes_is_still_one_persons(databases, tmp_path, version):
    """(Review of 672df83, LOW.) Two users of a package may not share an identifier, even one longer than the 32
    characters of an Ed-Fi id; a delta user sharing one with a database user was read."""
    db = databases()
    long_id = "L" * 40
    folder = package(tmp_path, "before")
    rows = read(folder / "users.csv")
    next(r for r in rows if r[0] == "stu-7")[rows[0].index("identifier")] = long_id
    write(folder / "users.csv", rows)
    assert import_oneroster(db, folder).ok
    new = delta(tmp_path, version, [["stu-new", "active", "Nia", "New", long_id]], roles_for(version, "stu-new"))
    assert problems(db, new) == [
        f'users.csv, row 2, identifier: identifier "{long_id}" is also the identifier of user "stu-7", already in '
        'the database; each person needs their own, or mark "stu-7" tobedeleted in this delta if this user replaces '
        'them.']


def notes(db, folder) -> list[str]:
    return [str(w) for w in import_oneroster(db, folder, dry_run=True).warnings]


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_changed_state_id_is_said_and_nobody_takes_the_old_one(loaded, tmp_path, version):
    """A delta that changes a user's identifier makes them a new Ed-Fi person, and their records stay under the
    old id: said in a note. A new user sent with the old id in the same delta would have taken those records and
    that history (review of 672df83, LOW): refused."""
    folder = delta(tmp_path, version, [["stu-4", "active", "Lucas", "Brown", "S4444444"],
                                       ["stu-new", "active", "Nora", "New", "S0000004"]],
                   roles_for(version, "stu-4", "stu-new"))
    assert problems(loaded, folder) == [
        'users.csv, row 3, identifier: identifier "S0000004" is user "stu-4"\'s Ed-Fi unique id in the database, and '
        'this package gives "stu-4" "S4444444": Ed-Fi keeps "stu-4"\'s records under "S0000004", so this user would '
        'take them over; give this person another identifier.']
    change = ('users.csv, row 2, identifier: user "stu-4"\'s Ed-Fi unique id changes from "S0000004" to "S4444444", '
              'and Ed-Fi knows a person by it: Ed-Fi gets "S4444444" as a new person, and "S0000004" keeps the records '
              '(enrollments, history) it has and stays "stu-4"\'s: no other user may be given it.')
    assert notes(loaded, folder) == [change]
    alone = delta(tmp_path, version, [["stu-4", "active", "Lucas", "Brown", "S4444444"]], roles_for(version, "stu-4"),
                  name="alone")
    assert notes(loaded, alone) == [change]
    assert problems(loaded, alone) == []  # (imported: the id has changed)


def test_two_students_whose_ids_trade_places_are_refused_in_bulk_too(loaded, tmp_path):
    """Each would take the other's Ed-Fi records and history: refused at both rows, in a delta and in a bulk
    users.csv (which retires everyone it leaves out, but still holds these two)."""
    swap = {"S0000005": "S0000006", "S0000006": "S0000005"}
    folder = delta(tmp_path, "1.2", [["stu-5", "active", "A", "Five", "S0000006"],
                                     ["stu-6", "active", "B", "Six", "S0000005"]], roles_for("1.2", "stu-5", "stu-6"))
    said = problems(loaded, folder)
    assert [p.split(" is user ")[0] for p in said] == ['users.csv, row 2, identifier: identifier "S0000006"',
                                                        'users.csv, row 3, identifier: identifier "S0000005"']
    again = package(tmp_path, "again")
    rows = read(again / "users.csv")
    at = rows[0].index("identifier")
    for r in rows[1:]:
        r[at] = swap.get(r[at], r[at])
    write(again / "users.csv", rows)
    said = problems(loaded, again)
    assert len(said) == 2 and all("would take them over" in p for p in said)
    assert len(notes(loaded, again)) == 2
