"""Type-ahead look-up on the demo district: partial names, id prefixes, birth dates."""

import pytest

from app.services.student_search import fetch_student, search_students

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def someone(demo_engine):
    from sqlalchemy import text

    with demo_engine.connect() as c:
        return c.execute(text("SELECT studentusi, studentuniqueid, firstname, lastsurname, birthdate "
                              "FROM edfi.student WHERE studentusi = 137")).one()


def test_partial_last_name_finds_the_student(demo_engine, someone):
    prefix = someone.lastsurname[:3].lower()
    with demo_engine.connect() as c:
        every = search_students(c, prefix, limit=1000)  # no cut-off: the student must be among them
        hits = search_students(c, prefix)
    assert someone.studentusi in [h.student_usi for h in every]
    assert hits == every[:20]  # the list shows the first 20 in name order
    assert all(h.last_name.lower().startswith(someone.lastsurname[:3].lower()) or
               h.first_name.lower().startswith(someone.lastsurname[:3].lower()) for h in hits)


def test_first_and_last_name_prefixes_together(demo_engine, someone):
    with demo_engine.connect() as c:
        hits = search_students(c, f"{someone.firstname[:2]} {someone.lastsurname[:2]}")
    assert someone.studentusi in [h.student_usi for h in hits]
    hit = next(h for h in hits if h.student_usi == someone.studentusi)
    assert hit.school_name.startswith("Riverbend") and hit.grade_level


def test_student_id_prefix_and_birth_date(demo_engine, someone):
    with demo_engine.connect() as c:
        by_id = search_students(c, someone.studentuniqueid)
        by_birth = search_students(c, someone.birthdate.strftime("%m/%d/%Y"))
        by_iso = search_students(c, someone.birthdate.isoformat())
    assert [h.student_usi for h in by_id] == [someone.studentusi]
    assert someone.studentusi in [h.student_usi for h in by_birth]
    assert [h.student_usi for h in by_birth] == [h.student_usi for h in by_iso]


def test_wildcards_typed_by_the_user_are_taken_literally(demo_engine):
    with demo_engine.connect() as c:
        assert search_students(c, "%") == []
        assert search_students(c, "_a") == []
        assert search_students(c, "   ") == []


def test_fetch_by_key(demo_engine, someone):
    with demo_engine.connect() as c:
        assert fetch_student(c, someone.studentusi).student_unique_id == someone.studentuniqueid
        assert fetch_student(c, -1) is None
