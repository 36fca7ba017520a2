"""The checkout's privileged functions (migration 0026) keep the library's boundary: every role
that is not a librarian is refused the way a curious user with psql would try, and a librarian
of another school can neither read this school's students through them nor lend, close a loan
or fill a hold that row-level security would have hidden from them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.test_library_security import NOT_LIBRARIANS, RHS, RMS, rms_librarian  # noqa: F401
from tests.integration.test_security import denied, run

pytestmark = pytest.mark.integration

CALLS = ("SELECT * FROM library.patron_rows('604584', NULL)",
         "SELECT library.checkout_facts('31003000000013', 1, NULL, NULL)",
         "SELECT library.checkout('604584', NULL, NULL, NULL, '31003000000013', NULL, 255950003, current_date, now(), "
         "'{}'::jsonb)",
         "SELECT library.lend(1, 1, NULL, 255950003, current_date, current_date + 14, now(), NULL, NULL, NULL, false, "
         "NULL, NULL)")
LEND = ("SELECT library.lend(:i, :su, NULL, :s, current_date, current_date + 14, now(), CAST(:r AS uuid), :reissue, "
        ":hold, false, NULL, NULL)")


@pytest.fixture(scope="module")
def people(demo_engine):
    """A student only the high school sees, one the middle school sees, and a copy of each school."""
    with demo_engine.connect() as c:
        def one(sql, **p):
            return c.execute(text(sql), p).first()
        rhs_only = one("SELECT s.studentusi, s.studentuniqueid FROM edfi.student s JOIN compliance.student_scope sc "
                       "USING (studentusi) WHERE sc.schoolid = :h AND NOT EXISTS (SELECT 1 FROM compliance.student_scope "
                       "x WHERE x.studentusi = s.studentusi AND x.schoolid = :m) ORDER BY 1 LIMIT 1", h=RHS, m=RMS)
        rms_kid = one("SELECT s.studentusi, s.studentuniqueid FROM edfi.student s JOIN compliance.student_scope sc "
                      "USING (studentusi) WHERE sc.schoolid = :m ORDER BY 1 LIMIT 1", m=RMS)
        rhs_copy = one("SELECT item_id, barcode FROM library.items WHERE school_id = :h AND status = 'available' "
                       "ORDER BY item_id LIMIT 1", h=RHS)
        rms_copy = one("SELECT item_id, barcode, resource_id FROM library.items WHERE school_id = :m "
                       "AND status = 'available' ORDER BY item_id LIMIT 1", m=RMS)
    assert rhs_only and rms_kid and rhs_copy and rms_copy
    return {"rhs_only": rhs_only, "rms_kid": rms_kid, "rhs_copy": rhs_copy, "rms_copy": rms_copy}


@pytest.mark.parametrize("login", NOT_LIBRARIANS)
def test_no_other_role_may_call_the_checkout_functions(login_engine, login):
    e = login_engine(login)
    for sql in CALLS:
        assert denied(e, sql), (login, sql)


def test_patron_rows_show_only_the_callers_students(login_engine, rms_librarian, people):
    card = people["rhs_only"][1]
    assert len(run(login_engine("demo_librarian"), "SELECT * FROM library.patron_rows(:c, NULL)", c=card)) == 1
    assert run(rms_librarian, "SELECT * FROM library.patron_rows(:c, NULL)", c=card) == []
    assert run(rms_librarian, "SELECT * FROM library.patron_rows(NULL, ARRAY[:u])", u=people["rhs_only"][0]) == []


def test_another_schools_librarian_cannot_read_or_lend_through_the_functions(rms_librarian, people):
    rhs_only, rms_kid = people["rhs_only"][0], people["rms_kid"][0]
    rhs_item, rms_item = people["rhs_copy"][0], people["rms_copy"][0]
    with pytest.raises(DBAPIError, match="not one of your schools"):
        run(rms_librarian, "SELECT library.checkout_facts(:b, :u, NULL, NULL)", b=people["rms_copy"][1], u=rhs_only)
    facts = run(rms_librarian, "SELECT library.checkout_facts(:b, :u, NULL, NULL)", b=people["rhs_copy"][1],
                u=rms_kid)[0][0]
    assert facts["locked"] is False and set(facts) == {"item", "locked"}  # the union catalogue, nothing else
    refusals = [("do not work at school", dict(i=rhs_item, su=rms_kid, s=RHS)),
                ("does not belong to school", dict(i=rhs_item, su=rms_kid, s=RMS)),
                ("not one of your schools", dict(i=rms_item, su=rhs_only, s=RMS))]
    for message, p in refusals:
        with pytest.raises(DBAPIError, match=message):
            run(rms_librarian, LEND, r=str(uuid.uuid4()), reissue=None, hold=None, **p)


def test_a_loan_or_hold_the_caller_may_not_see_stays_hidden_and_untouched(demo_engine, rms_librarian, people):
    """A middle-school copy out to a high-school-only student: the middle school's librarian gets no
    name, cannot close that loan by 'reissuing' the copy, nor fill that student's hold."""
    rhs_only = people["rhs_only"][0]
    item, code, resource = people["rms_copy"]
    with demo_engine.begin() as c:
        loan = c.execute(text(
            "INSERT INTO library.checkouts (student_usi, resource_id, item_id, school_id, checkout_date, due_date, "
            "checkout_status, request_id) VALUES (:u, :r, :i, :m, current_date, current_date + 14, 'Checked Out', "
            "CAST(:q AS uuid)) RETURNING checkout_id"), {"u": rhs_only, "r": resource, "i": item, "m": RMS,
                                                         "q": str(uuid.uuid4())}).scalar()
        hold = c.execute(text("INSERT INTO library.holds (resource_id, student_usi, pickup_school_id) "
                              "VALUES (:r, :u, :h) RETURNING hold_id"), {"r": resource, "u": rhs_only, "h": RHS}).scalar()
        request = c.execute(text("SELECT request_id::text FROM library.checkouts WHERE checkout_id = :k"),
                            {"k": loan}).scalar()
    try:
        facts = run(rms_librarian, "SELECT library.checkout_facts(:b, :u, NULL, NULL)", b=code,
                    u=people["rms_kid"][0])[0][0]
        assert facts["locked"] is True and facts["loan"] is None and facts["holds"] == []
        with pytest.raises(DBAPIError, match="not an open loan of this copy"):
            run(rms_librarian, LEND, i=item, su=people["rms_kid"][0], s=RMS, r=str(uuid.uuid4()), reissue=loan,
                hold=None)
        with pytest.raises(DBAPIError, match="not this patron's open hold"):
            run(rms_librarian, LEND, i=item, su=people["rms_kid"][0], s=RMS, r=str(uuid.uuid4()), reissue=None,
                hold=hold)
        with pytest.raises(DBAPIError, match="request id was used by another loan"):
            run(rms_librarian, "SELECT library.checkout_facts(:b, :u, NULL, CAST(:q AS uuid))", b=code,
                u=people["rms_kid"][0], q=request)
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM library.holds WHERE hold_id = :h"), {"h": hold})
            c.execute(text("DELETE FROM library.checkouts WHERE checkout_id = :k"), {"k": loan})


def test_an_administrator_lends_through_the_same_functions(login_engine, people):
    """Administrators see every school (no school list of their own): the functions let them through."""
    from app.services.library import circulation as circ
    from app.services.library.patrons import desk_school, student_patron

    with login_engine("demo_admin").connect() as c:
        tx = c.begin()
        try:
            desk = desk_school(c, RMS)
            patron = student_patron(c, people["rms_kid"][0])
            r = circ.check_out(c, desk, patron, people["rms_copy"][1], request_id=circ.new_request_id())
            assert r.done and r.checkout_id
            assert c.execute(text("SELECT status FROM library.items WHERE item_id = :i"),
                             {"i": people["rms_copy"][0]}).scalar() == "checked_out"
        finally:
            tx.rollback()
