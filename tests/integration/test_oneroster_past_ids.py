"""An Ed-Fi unique id a user gave up stays theirs (issue #15, left open in session 12): when an import changes a
user's identifier, Ed-Fi gets the new id as a new person and the old id keeps the person's records (enrollments,
history, the DynamoDB timeline keyed by it). A later package that gave the old id to someone else handed them all of
it. The import now keeps each id given up (compliance.person_past_ids) and every check path refuses it to anyone else;
the user themself may take it back. Only the import writes the table; administrators read it for the Import tab's
check; nobody else reads it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.security.demo_logins import DEMO_LOGINS
from app.services.interchange.oneroster_import import import_oneroster
from tests.integration.test_oneroster_firstload import databases  # noqa: F401 - fixture
from tests.integration.test_oneroster_person_ids import delta, loaded, notes, one, problems, roles_for  # noqa: F401
from tests.integration.test_oneroster_untried import package, read, write
from tests.integration.test_security import denied, scalar

pytestmark = pytest.mark.integration


def past(db) -> list[tuple[str, str]]:
    with db.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT unique_id, user_sourced_id FROM compliance.person_past_ids ORDER BY 1"))]


def change_lucas(db, tmp_path, version, ident="S4444444", name="change"):
    """stu-4 (S0000004 in the sample) is given another identifier, and the name Lucas Brown: read, with its note."""
    folder = delta(tmp_path, version, [["stu-4", "active", "Lucas", "Brown", ident]], roles_for(version, "stu-4"),
                   name=name)
    assert len(notes(db, folder)) == 1
    assert problems(db, folder) == []


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_later_package_cannot_give_a_changed_id_to_someone_else(loaded, tmp_path, version):
    name = one(loaded, "SELECT firstname, lastsurname FROM edfi.student WHERE studentuniqueid = 'S0000004'")
    change_lucas(loaded, tmp_path, version)
    assert past(loaded) == [("S0000004", "stu-4")]
    when = one(loaded, "SELECT given_up::date FROM compliance.person_past_ids")[0]
    later = delta(tmp_path, version, [["stu-new", "active", "Nora", "New", "S0000004"]], roles_for(version, "stu-new"),
                  name="later")
    assert problems(loaded, later) == [
        f'users.csv, row 2, identifier: identifier "S0000004" was user "stu-4"\'s Ed-Fi unique id until an import on '
        f'{when:%Y-%m-%d}, and Ed-Fi keeps "stu-4"\'s records under it, so this user would take them over; give this '
        'person their own identifier, or mark "stu-4" tobedeleted in this delta if this user replaces them.']
    # the old Ed-Fi record and its enrollments are still stu-4's, and nobody else's
    assert one(loaded, "SELECT firstname, lastsurname FROM edfi.student WHERE studentuniqueid = 'S0000004'") == name
    assert one(loaded, "SELECT count(*) FROM oneroster.users WHERE sourced_id = 'stu-new'") == (0,)


def test_a_user_without_an_identifier_is_refused_a_sourced_id_given_up(loaded, tmp_path):
    """The id Ed-Fi takes from the sourcedId (no identifier) is guarded the same way, worded as such."""
    change_lucas(loaded, tmp_path, "1.2")
    later = delta(tmp_path, "1.2", [["S0000004", "active", "Sid", "Only", ""]], roles_for("1.2", "S0000004"),
                  name="later")
    [said] = problems(loaded, later)
    assert said.startswith('users.csv, row 2, identifier: sourcedId "S0000004" (the user\'s Ed-Fi unique id, as they '
                           'have no identifier Ed-Fi takes) was user "stu-4"\'s Ed-Fi unique id until')


def test_a_bulk_package_cannot_give_it_either(loaded, tmp_path):
    change_lucas(loaded, tmp_path, "1.2")
    again = package(tmp_path, "again")  # the whole district again, a new pupil given Lucas's old id
    rows = read(again / "users.csv")
    head = rows[0]
    for r in rows[1:]:
        if r[head.index("sourcedId")] == "stu-4":
            r[head.index("identifier")] = "S4444444"
    extra = list(next(r for r in rows[1:] if r[head.index("sourcedId")] == "stu-5"))
    extra[head.index("sourcedId")], extra[head.index("identifier")] = "stu-late", "S0000004"
    extra[head.index("username")], extra[head.index("primaryOrgSourcedId")] = "stu-late", ""
    write(again / "users.csv", rows + [extra])
    said = problems(loaded, again)
    assert len(said) == 1 and said[0].startswith(f'users.csv, row {len(rows) + 1}, identifier: identifier '
                                                 '"S0000004" was user "stu-4"\'s Ed-Fi unique id until')


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_the_user_may_take_their_own_id_back_and_then_the_other_is_kept(loaded, tmp_path, version):
    change_lucas(loaded, tmp_path, version)
    change_lucas(loaded, tmp_path, version, ident="S0000004", name="back")
    assert past(loaded) == [("S4444444", "stu-4")]
    taker = delta(tmp_path, version, [["stu-new", "active", "Nora", "New", "S4444444"]],
                  roles_for(version, "stu-new"), name="taker")
    assert ' was user "stu-4"\'s Ed-Fi unique id until ' in problems(loaded, taker)[0]
    # the same package read twice changes nothing the second time
    same = delta(tmp_path, version, [["stu-4", "active", "Lucas", "Brown", "S0000004"]], roles_for(version, "stu-4"),
                 name="same")
    assert import_oneroster(loaded, same).changed.get("compliance.person_past_ids", 0) == 0


def test_a_replacement_holding_a_retired_users_id_keeps_it_when_the_retired_one_changes(loaded, tmp_path):
    """A district that changed systems sent stu-0 again as stu-new (same state id, stu-0 retired). The retired user
    later arriving with another id gives up nothing: the active replacement holds S0000000."""
    swap = delta(tmp_path, "1.2", [["stu-0", "tobedeleted", "Mia", "Müller", "S0000000"],
                                   ["stu-new", "active", "Mia", "Müller", "S0000000"]], roles_for("1.2", "stu-new"),
                 born={"stu-new": "2010-01-01"})
    assert problems(loaded, swap) == []
    back = delta(tmp_path, "1.2", [["stu-0", "active", "Mia", "Old", "S7777777"]], roles_for("1.2", "stu-0"),
                 name="back")
    assert problems(loaded, back) == []
    assert past(loaded) == []
    again = delta(tmp_path, "1.2", [["stu-new", "active", "Mia", "Müller-Ortiz", "S0000000"]],
                  roles_for("1.2", "stu-new"), name="again")
    assert problems(loaded, again) == []


def test_an_empty_district_with_ids_given_up_is_loaded_the_usual_way(databases, tmp_path):
    """The one-pass first load neither reads nor keeps past ids: with any kept, it leaves the package to the usual
    path. A bulk users.csv leaving their holder out retires them, so their id is given to the package's user, and
    freed."""
    db = databases()
    with db.begin() as c:
        c.execute(text("INSERT INTO compliance.person_past_ids VALUES ('S0000003', 'stu-gone', now())"))
    assert problems(db, package(tmp_path)) == []
    assert past(db) == []


@pytest.mark.parametrize("login", sorted(DEMO_LOGINS))
def test_only_the_import_writes_past_ids_and_only_administrators_read_them(login_engine, demo_engine, login):
    with demo_engine.begin() as c:
        c.execute(text("INSERT INTO compliance.person_past_ids VALUES ('T-PAST-1', 'stu-past', now()) "
                       "ON CONFLICT DO NOTHING"))
    eng = login_engine(login)
    for sql in ("INSERT INTO compliance.person_past_ids VALUES ('T-PAST-2', 'me', now())",
                "UPDATE compliance.person_past_ids SET user_sourced_id = 'me'",
                "DELETE FROM compliance.person_past_ids"):
        assert denied(eng, sql), (login, sql)
    if DEMO_LOGINS[login][0] == ("so_admin",):
        assert scalar(eng, "SELECT count(*) FROM compliance.person_past_ids WHERE unique_id = 'T-PAST-1'") == 1
    else:
        assert denied(eng, "SELECT unique_id FROM compliance.person_past_ids"), login


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_retired_users_id_is_kept_too_and_given_only_to_a_replacement_sent_with_them(loaded, tmp_path, version):
    """(Review of 53a920c, HIGH.) A delta retiring stu-4 left S0000004 free: any later package could give it to a new
    person, who took over stu-4's Ed-Fi record. Kept now; a replacement is sent with stu-4 retired again, as a district
    changing systems does."""
    retire = delta(tmp_path, version, [["stu-4", "tobedeleted", "Lucas", "Brown", "S0000004"]], name="retire")
    assert problems(loaded, retire) == []
    name = one(loaded, "SELECT firstname FROM edfi.student WHERE studentuniqueid = 'S0000004'")
    assert past(loaded) == [("S0000004", "stu-4")]
    taker = delta(tmp_path, version, [["stu-new", "active", "Nora", "New", "S0000004"]], roles_for(version, "stu-new"),
                  name="taker", born={"stu-new": "2011-02-03"})
    said = problems(loaded, taker)
    assert len(said) == 1 and said[0].startswith(
        'users.csv, row 2, identifier: identifier "S0000004" was user "stu-4"\'s Ed-Fi unique id until an import on ')
    assert one(loaded, "SELECT firstname FROM edfi.student WHERE studentuniqueid = 'S0000004'") == name
    replace = delta(tmp_path, version, [["stu-4", "tobedeleted", "Lucas", "Brown", "S0000004"],
                                        ["stu-4b", "active", "Lucas", "Brown-Ortiz", "S0000004"]],
                    roles_for(version, "stu-4b"), name="replace", born={"stu-4b": "2011-02-03"})
    assert problems(loaded, replace) == []
    assert past(loaded) == []  # (stu-4b holds it now)


def test_a_retired_replacement_and_its_returning_original_with_new_ids_keep_the_old_id(loaded, tmp_path):
    """(Review of 53a920c, HIGH K and MEDIUM E.) stu-new replaced stu-0 (S0000000). Then one delta brings stu-0 back
    under S7777777 and retires stu-new, or gives both new ids: S0000000 is held by nobody active afterwards, so it is
    kept (it was read before the users changed, and written once: two users gave it up in one delta, which stopped the
    import with a database error), and nobody else may take it."""
    swap = delta(tmp_path, "1.2", [["stu-0", "tobedeleted", "Mia", "Müller", "S0000000"],
                                   ["stu-new", "active", "Mia", "Müller", "S0000000"]], roles_for("1.2", "stu-new"),
                 born={"stu-new": "2010-01-01"})
    assert problems(loaded, swap) == []
    both = delta(tmp_path, "1.2", [["stu-0", "active", "Mia", "Old", "S7777777"],
                                   ["stu-new", "active", "Mia", "New", "S8888888"]], roles_for("1.2", "stu-0", "stu-new"),
                 name="both", born={"stu-0": "2010-01-01", "stu-new": "2010-01-01"})
    assert problems(loaded, both) == []
    assert [u for u, _ in past(loaded)] == ["S0000000"]
    taker = delta(tmp_path, "1.2", [["stu-x", "active", "Other", "Kid", "S0000000"]], roles_for("1.2", "stu-x"),
                  name="taker", born={"stu-x": "2012-01-01"})
    assert len(problems(loaded, taker)) == 1


def test_the_office_may_send_an_old_ids_person_as_a_replacement_retiring_its_holder(loaded, tmp_path):
    """(Review of 53a920c, MEDIUM D.) stu-4 gave S0000004 up; a delta retiring stu-4 may send stu-4b with it."""
    change_lucas(loaded, tmp_path, "1.2")
    folder = delta(tmp_path, "1.2", [["stu-4", "tobedeleted", "Lucas", "Brown", "S4444444"],
                                     ["stu-4b", "active", "Lucas", "Brown", "S0000004"]], roles_for("1.2", "stu-4b"),
                   name="swap", born={"stu-4b": "2011-02-03"})
    assert problems(loaded, folder) == []
    assert past(loaded) == [("S4444444", "stu-4")]


def student(db, uid):
    return one(db, "SELECT firstname, lastsurname FROM edfi.student WHERE studentuniqueid = :u", u=uid)


def test_a_retired_row_never_lands_on_an_id_another_user_gave_up(loaded, tmp_path):
    """(The stateful fuzzer of session 13, HIGH.) The checks leave a tobedeleted row's identifier alone, but the
    Ed-Fi mapping still wrote a retired user onto any id nobody active held: stu-9 retired with stu-4's old id
    renamed stu-4's Ed-Fi record; stu-0 retired long ago and sent again renamed its replacement's old record."""
    change_lucas(loaded, tmp_path, "1.2")
    before = student(loaded, "S0000004")
    assert problems(loaded, delta(tmp_path, "1.2", [["stu-9", "tobedeleted", "Other", "Person", "S0000004"]],
                                  name="retire")) == []
    assert student(loaded, "S0000004") == before
    swap = delta(tmp_path, "1.2", [["stu-0", "tobedeleted", "Mia", "Müller", "S0000000"],
                                   ["stu-new", "active", "Nora", "New", "S0000000"]], roles_for("1.2", "stu-new"),
                 born={"stu-new": "2010-03-03"}, name="swap")
    assert problems(loaded, swap) == [] and student(loaded, "S0000000")[0] == "Nora"
    assert problems(loaded, delta(tmp_path, "1.2", [["stu-new", "active", "Nora", "New", "N777"]],
                                  roles_for("1.2", "stu-new"), name="moves")) == []
    assert problems(loaded, delta(tmp_path, "1.2", [["stu-0", "tobedeleted", "Mia", "Müller-X", "S0000000"]],
                                  name="again")) == []
    assert student(loaded, "S0000000") == ("Nora", "New")


def bulk_users_giving_stu3s_id_to_a_new_user(tmp_path):
    """A bulk package of users.csv alone, which leaves stu-3 out and gives S0000003 (stu-3's) to a new user stu-new;
    returns the package and stu-new's row."""
    full = package(tmp_path, "bulk")
    rows = [r for r in read(full / "users.csv") if r[0] != "stu-3"]
    h = rows[0]
    new = list(next(r for r in rows if r[0] == "stu-5"))
    new[0], new[h.index("username")], new[h.index("identifier")] = "stu-new", "stu-new", "S0000003"
    new[h.index("primaryOrgSourcedId")] = new[h.index("agentSourcedIds")] = new[h.index("userIds")] = ""
    write(full / "users.csv", rows + [new])
    for f in full.iterdir():
        if f.name not in ("users.csv", "manifest.csv"):
            f.unlink()
    manifest = read(full / "manifest.csv")
    write(full / "manifest.csv", [[k, "absent" if k.startswith("file.") and k != "file.users" else v]
                                  for k, v in manifest])
    return full, len(rows) + 1


def test_a_bulk_file_leaving_out_someone_retired_long_ago_does_not_free_their_id(loaded, tmp_path):
    """(The stateful fuzzer, MEDIUM.) Leaving a user out of a bulk users.csv retires them, which frees their past ids
    for a replacement in that package; a user retired in an earlier package was freed nothing by it."""
    assert problems(loaded, delta(tmp_path, "1.2", [["stu-3", "tobedeleted", "X", "Y", "S0000003"]],
                                  name="retire")) == []
    full, row = bulk_users_giving_stu3s_id_to_a_new_user(tmp_path)
    said = problems(loaded, full)
    assert len(said) == 1 and ' was user "stu-3"\'s Ed-Fi unique id until ' in said[0]


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_row_retiring_a_user_under_a_new_id_retires_the_person_they_were(loaded, tmp_path, version):
    """(Left open in session 13.) A delta retiring stu-4 (S0000004) whose row also carries a brand-new identifier made
    a new Ed-Fi student under it, enrolled at stu-4's school from stu-4's role, while S0000004 stayed as it was: two
    people at the school for one who left. The retiring row now maps onto the person the user was; the new id makes
    nobody, stays free, and S0000004 stays stu-4's."""
    with loaded.connect() as c:
        people = c.execute(text("SELECT count(*) FROM edfi.student")).scalar()
    retire = delta(tmp_path, version, [["stu-4", "tobedeleted", "Lucas", "Brown", "S5555555"]], name="retire")
    assert problems(loaded, retire) == []
    with loaded.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.student WHERE studentuniqueid = 'S5555555'")).scalar() == 0
        assert c.execute(text("SELECT count(*) FROM edfi.student")).scalar() == people
    assert student(loaded, "S0000004") == ("Lucas", "Brown")
    assert past(loaded) == [("S0000004", "stu-4")]
    # the new id is free: another person may be given it
    taker = delta(tmp_path, version, [["stu-new", "active", "Nora", "New", "S5555555"]], roles_for(version, "stu-new"),
                  name="taker", born={"stu-new": "2011-02-03"})
    assert problems(loaded, taker) == []
    assert student(loaded, "S5555555") == ("Nora", "New")



@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_row_retiring_a_user_under_a_new_id_while_a_replacement_takes_the_old_one_makes_nobody(
        loaded, tmp_path, version):
    """(Review of 1642019, MEDIUM.) stu-0 retired under S9999999 while stu-new takes S0000000 in the same delta: the
    old id is stu-new's now, so stu-0 had no id to fall back on and S9999999 became a new student, enrolled from
    stu-0's role. Now the retired row makes nobody."""
    with loaded.connect() as c:
        people = c.execute(text("SELECT count(*) FROM edfi.student")).scalar()
    swap = delta(tmp_path, version, [["stu-0", "tobedeleted", "Mia", "Retired", "S9999999"],
                                     ["stu-new", "active", "Mia", "New", "S0000000"]], roles_for(version, "stu-new"),
                 born={"stu-new": "2010-01-01"})
    for _ in range(2):  # (the stateful fuzzer, session 14: the same package read again made S9999999 a student)
        assert problems(loaded, swap) == []
        with loaded.connect() as c:
            assert c.execute(text("SELECT count(*) FROM edfi.student WHERE studentuniqueid = 'S9999999'")).scalar() == 0
            assert c.execute(text("SELECT count(*) FROM edfi.student")).scalar() == people
        assert student(loaded, "S0000000") == ("Mia", "New")


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_row_retiring_a_user_under_another_persons_id_retires_the_person_they_were(loaded, tmp_path, version):
    """(Review of 1642019, LOW 7.) stu-4 retired with stu-5's id: the row was left out of Ed-Fi, so S0000004 never heard
    of the retirement (and stu-5's record must not either). Now it maps onto S0000004, stu-4's own."""
    before = student(loaded, "S0000005")
    retire = delta(tmp_path, version, [["stu-4", "tobedeleted", "Lucas", "Retired", "S0000005"]], name="retire")
    assert problems(loaded, retire) == []
    assert student(loaded, "S0000005") == before
    assert student(loaded, "S0000004") == ("Lucas", "Retired")
    assert past(loaded) == [("S0000004", "stu-4")]

def _taken_note(row, sid, uid, holder, *, was=False, left_out=False):
    how = (f'this bulk users.csv leaves "{holder}" out, which retires them' if left_out else
           f'this package marks "{holder}" tobedeleted')
    return (f'users.csv, row {row}, identifier: user "{sid}" is given identifier "{uid}", which {"was" if was else "is"} '
            f'user "{holder}"\'s Ed-Fi unique id, and {how}: Ed-Fi takes them for one person, so '
            f'"{sid}" takes over "{holder}"\'s Ed-Fi record (enrollments, history); if they are two people, give this '
            'user their own identifier.')


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_replacement_given_a_retired_users_id_is_said_in_a_note(loaded, tmp_path, version):
    """(The stateful fuzzer's one remaining finding, session 13.) A package may give a user the Ed-Fi id of a user it
    retires (a district changing systems sends its people again under new sourcedIds): the new user then is that Ed-Fi
    person, with their records. Allowed, as before, and now said, so the office sees it in the dry run."""
    swap = delta(tmp_path, version, [["stu-0", "tobedeleted", "Mia", "Müller", "S0000000"],
                                     ["stu-new", "active", "Mia", "Müller", "S0000000"]], roles_for(version, "stu-new"),
                 born={"stu-new": "2010-01-01"})
    assert notes(loaded, swap) == [_taken_note(3, "stu-new", "S0000000", "stu-0")]
    result = import_oneroster(loaded, swap)
    assert result.ok and [str(w) for w in result.warnings] == [_taken_note(3, "stu-new", "S0000000", "stu-0")]


def test_a_replacement_given_an_id_its_retired_holder_gave_up_is_said_too(loaded, tmp_path):
    change_lucas(loaded, tmp_path, "1.2")
    swap = delta(tmp_path, "1.2", [["stu-4", "tobedeleted", "Lucas", "Brown", "S4444444"],
                                   ["stu-4b", "active", "Lucas", "Brown", "S0000004"]], roles_for("1.2", "stu-4b"),
                 name="swap", born={"stu-4b": "2011-02-03"})
    assert notes(loaded, swap) == [_taken_note(3, "stu-4b", "S0000004", "stu-4", was=True)]


def test_a_bulk_file_giving_a_left_out_users_id_to_another_says_so(loaded, tmp_path):
    """Leaving stu-3 out of a bulk users.csv retires them; the stu-new the file gives S0000003 takes over stu-3's
    Ed-Fi record, and the note says the file leaves stu-3 out."""
    full, row = bulk_users_giving_stu3s_id_to_a_new_user(tmp_path)
    assert notes(loaded, full) == [_taken_note(row, "stu-new", "S0000003", "stu-3", left_out=True)]



@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_two_rows_taking_a_retired_users_id_are_refused_without_the_note(loaded, tmp_path, version):
    """(Review of 9bdf9fd, LOW 4.) Two users given stu-0's id while stu-0 retires: the second is refused for sharing the
    first's identifier, and neither is told it takes over stu-0's record."""
    both = delta(tmp_path, version, [["stu-0", "tobedeleted", "Mia", "Müller", "S0000000"],
                                     ["stu-a", "active", "A", "A", "S0000000"], ["stu-b", "active", "B", "B", "S0000000"]],
                 roles_for(version, "stu-a", "stu-b"), born={"stu-a": "2010-01-01", "stu-b": "2010-01-01"})
    result = import_oneroster(loaded, both, dry_run=True)
    assert [p.row for p in result.problems] == [4]
    assert not any("takes over" in str(w) for w in result.warnings)


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_mover_among_two_rows_taking_a_retired_users_id_is_not_told_of_a_new_person(loaded, tmp_path, version):
    """(Session 14's open item.) stu-5 (S0000005) and stu-b are both given stu-0's id while stu-0 retires: the package
    is refused for the shared id, and stu-5's row no longer carries the id-change note, which said Ed-Fi would make
    S0000000 a new person (it is stu-0's, and the package is refused in any case)."""
    both = delta(tmp_path, version, [["stu-0", "tobedeleted", "Mia", "Müller", "S0000000"],
                                     ["stu-5", "active", "Five", "Moved", "S0000000"],
                                     ["stu-b", "active", "B", "B", "S0000000"]],
                 roles_for(version, "stu-5", "stu-b"), born={"stu-b": "2010-01-01"})
    result = import_oneroster(loaded, both, dry_run=True)
    assert [p.row for p in result.problems] == [4]
    assert [str(w) for w in result.warnings if "S0000000" in str(w)] == []


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_user_moving_onto_a_retired_users_id_gets_the_replacement_note_only(loaded, tmp_path, version):
    """(Review of 9bdf9fd, LOW 5.) stu-5 (S0000005) is given stu-0's id while stu-0 retires: the id-change note said Ed-Fi
    would make S0000000 a new person, which is not so (stu-5 takes over stu-0's); only the replacement note is said."""
    move = delta(tmp_path, version, [["stu-0", "tobedeleted", "Mia", "Müller", "S0000000"],
                                     ["stu-5", "active", "Five", "Moved", "S0000000"]], roles_for(version, "stu-5"))
    assert notes(loaded, move) == [_taken_note(3, "stu-5", "S0000000", "stu-0").replace(
        "(enrollments, history);", '(enrollments, history), and "S0000005", "stu-5"\'s Ed-Fi unique id until now, '
        'keeps the records it has and stays theirs;')]


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_a_long_retired_user_sent_again_under_a_new_id_takes_nothing_from_their_replacement(loaded, tmp_path, version):
    """(Review of 77dffbc, MEDIUM.) stu-new replaced stu-0 on S0000000. A later delta sends stu-0 tobedeleted as S7777777
    and moves stu-new to S8888888: S0000000 is stu-new's old id (their Ed-Fi record stays under it), not stu-0's, and
    stu-0 is mapped onto nobody; before, stu-0 won S0000000 (by sourcedId order) and renamed stu-new's record."""
    swap = delta(tmp_path, version, [["stu-0", "tobedeleted", "Mia", "Müller", "S0000000"],
                                     ["stu-new", "active", "Nora", "New", "S0000000"]], roles_for(version, "stu-new"),
                 born={"stu-new": "2010-01-01"}, name="swap")
    assert problems(loaded, swap) == []
    later = delta(tmp_path, version, [["stu-0", "tobedeleted", "Mia", "Gone", "S7777777"],
                                      ["stu-new", "active", "Nora", "New", "S8888888"]], roles_for(version, "stu-new"),
                  born={"stu-new": "2010-01-01"}, name="later")
    assert problems(loaded, later) == []
    assert student(loaded, "S0000000") == ("Nora", "New")
    assert ("S0000000", "stu-new") in past(loaded)
    back = delta(tmp_path, version, [["stu-new", "active", "Nora", "New", "S0000000"]], roles_for(version, "stu-new"),
                 born={"stu-new": "2010-01-01"}, name="back")
    assert problems(loaded, back) == []


def test_an_id_that_never_was_a_person_is_not_kept_for_a_retired_user(loaded, tmp_path):
    """(Review of 77dffbc, LOW.) stu-4 retired under S5555555 (mapped onto S0000004, S5555555 left free), then retired
    again under S6666666: S5555555 was kept as stu-4's, and a later user given it was told Ed-Fi keeps stu-4's records
    under it, which it does not."""
    for n, ident in enumerate(("S5555555", "S6666666")):
        assert problems(loaded, delta(tmp_path, "1.2", [["stu-4", "tobedeleted", "Lucas", "Brown", ident]],
                                      name=f"retire{n}")) == []
    assert past(loaded) == [("S0000004", "stu-4")]
    taker = delta(tmp_path, "1.2", [["stu-x", "active", "Other", "Kid", "S5555555"]], roles_for("1.2", "stu-x"),
                  name="taker", born={"stu-x": "2012-01-01"})
    assert problems(loaded, taker) == []


def test_a_retired_user_whose_id_went_to_a_replacement_maps_onto_nobody_whatever_id_the_row_carries(loaded, tmp_path):
    """(Review of 77dffbc, LOW.) stu-4 moved from S0000004 to S4444444; a delta retires stu-4 and gives S4444444 to
    stu-4b. Whether the retiring row says S4444444 or S9999999, stu-4 is mapped onto nobody: the person they were until
    now is stu-4b's, and their older record (S0000004) is not renamed by the retiring row."""
    change_lucas(loaded, tmp_path, "1.2")
    older = student(loaded, "S0000004")
    swap = delta(tmp_path, "1.2", [["stu-4", "tobedeleted", "Lucas", "Moved", "S9999999"],
                                   ["stu-4b", "active", "Lucas", "Brown", "S4444444"]], roles_for("1.2", "stu-4b"),
                 name="swap", born={"stu-4b": "2011-02-03"})
    assert problems(loaded, swap) == []
    assert student(loaded, "S0000004") == older
    with loaded.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.student WHERE studentuniqueid = 'S9999999'")).scalar() == 0


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_the_id_notes_come_in_row_order_and_a_mover_hears_their_old_id_stays_theirs(loaded, tmp_path, version):
    """(Review of 98f0739, LOW.) An id change on row 2 and a replacement on row 4 were said in the order 4, 2; and the
    replacement note of a user moving onto a retired user's id no longer said the mover's old id stays theirs."""
    pkg = delta(tmp_path, version, [["stu-5", "active", "Five", "Changed", "S5050505"],
                                    ["stu-0", "tobedeleted", "Mia", "Müller", "S0000000"],
                                    ["stu-6", "active", "Six", "Moved", "S0000000"]], roles_for(version, "stu-5", "stu-6"))
    said = notes(loaded, pkg)
    assert [w.split(",")[1] for w in said] == [" row 2", " row 4"]
    assert said[1] == _taken_note(4, "stu-6", "S0000000", "stu-0").replace(
        "(enrollments, history);", '(enrollments, history), and "S0000006", "stu-6"\'s Ed-Fi unique id until now, '
        'keeps the records it has and stays theirs;')
