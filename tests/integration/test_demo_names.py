"""The demo district's people keep surnames of several words whole: "De la Cruz" is one surname, never a
student called "la" (the library desk showed "la, Emilia"); and such a student is found by typing the
surname as it is written ("De la Cruz", "Ana De la Cruz")."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.services import demo_names as N

pytestmark = pytest.mark.integration

PIECES = ("De", "la", "Del", "Van", "der", "Von")  # what a several-word surname split on spaces leaves


def test_several_word_surnames_are_one_name_each():
    several = [n for n in N.LAST_NAMES if " " in n]
    assert "De la Cruz" in several
    assert not set(PIECES) & set(N.LAST_NAMES)


def test_the_demo_seed_has_no_surname_pieces_and_the_desk_shows_the_whole_surname(demo_engine, login_engine):
    from app.services.library.patrons import find_patrons, student_patron

    with demo_engine.connect() as c:
        pieces = c.execute(text(
            "SELECT 'student', firstname, lastsurname FROM edfi.student WHERE lastsurname = ANY (:p) OR firstname = ANY (:p) "
            "UNION ALL SELECT 'contact', firstname, lastsurname FROM edfi.contact WHERE lastsurname = ANY (:p) "
            "UNION ALL SELECT 'staff', firstname, lastsurname FROM edfi.staff WHERE lastsurname = ANY (:p)"),
            {"p": list(PIECES)}).all()
        whole = c.execute(text("SELECT s.studentusi, s.lastsurname, s.studentuniqueid FROM edfi.student s "
                               "WHERE s.lastsurname LIKE 'De la %' AND EXISTS (SELECT 1 FROM compliance.student_scope sc "
                               "WHERE sc.studentusi = s.studentusi AND sc.schoolid = 255950003) ORDER BY 1")).all()
    assert pieces == []
    assert whole, "the demo seed has students named De la Cruz or De la Rosa"
    with login_engine("demo_librarian").connect() as c:  # the high school's librarian
        for usi, surname, card in whole[:3]:
            p = student_patron(c, usi)
            assert p.name.startswith(f"{surname}, ") and len(p.name.split(", ")) == 2, p.name
            assert [x.name for x in find_patrons(c, card)] == [p.name]
            first = p.name.split(", ")[1]
            for typed in (surname, surname.lower(), f"{first} {surname}", f"{surname}, {first[:2]}", surname[:5]):
                assert p.name in [x.name for x in find_patrons(c, typed, limit=50)], typed  # found by name
