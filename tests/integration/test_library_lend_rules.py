"""library.lend decides by the rules (migration 0059), and only the lending school's librarians change
its loans. Attacked the way a librarian with psql would: a forged due date is not used, an override of
a block the rules do not raise is refused, a lend past a real block without an override (or without
a reason) is refused, a loan dated next month is refused; a librarian of another school who shares the
student cannot stretch this school's loan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.domain.library_rules import LoanSituation, decide_checkout
from app.services.library import circulation as circ
from tests.integration.test_library_circulation import RHS, RMS, copies, lib, students  # noqa: F401
from tests.integration.test_library_security import rms_librarian  # noqa: F401

pytestmark = pytest.mark.integration

LEND = ("SELECT library.lend(CAST(:i AS integer), CAST(:u AS integer), NULL, CAST(:s AS bigint), CAST(:d AS date), "
        "CAST(:due AS date), now(), NULL, NULL, NULL, false, CAST(:codes AS text[]), :why)")


def _copy(c, barcode):
    return c.execute(text("SELECT item_id, item_type FROM library.items WHERE barcode = :b"), {"b": barcode}).one()


def _lend(c, item_id, usi, *, due=None, codes=None, why=None, day=None):
    return c.execute(text(LEND), {"i": item_id, "u": usi, "s": RHS, "d": day or date.today(), "due": due,
                                  "codes": codes, "why": why}).scalar_one()


def _refused(c, **kw) -> str:
    c.execute(text("SAVEPOINT try"))
    try:
        _lend(c, **kw)
    except DBAPIError as exc:
        c.execute(text("ROLLBACK TO SAVEPOINT try"))
        return exc.orig.diag.message_primary
    raise AssertionError(f"library.lend accepted {kw}")


def test_a_forged_due_date_is_not_used_the_rules_set_it(lib):
    p = students(lib, 1)[0]
    item_id, item_type = _copy(lib, copies(lib, 1)[0])
    k = _lend(lib, item_id, p.student_usi, due=date.today() + timedelta(days=3650))
    due = lib.execute(text("SELECT due_date FROM library.checkouts WHERE checkout_id = :k"), {"k": k}).scalar()
    rules = circ.load_rules(lib)
    expected = decide_checkout(LoanSituation(date.today(), RHS, p.category, item_type, "available", {}, 0,
                                             rules=rules)).due
    assert due == expected and due < date.today() + timedelta(days=120)
    assert lib.execute(text("SELECT count(*) FROM library.overrides WHERE item_id = :i"), {"i": item_id}).scalar() == 0


def test_an_override_of_a_block_the_rules_do_not_raise_is_refused(lib):
    p = students(lib, 1)[0]
    item_id, _ = _copy(lib, copies(lib, 1)[0])
    msg = _refused(lib, item_id=item_id, usi=p.student_usi, codes=["too_many_items"], why="class project")
    assert "no rule blocks this loan with too_many_items" in msg
    assert lib.execute(text("SELECT status FROM library.items WHERE item_id = :i"), {"i": item_id}).scalar() == "available"


def test_a_real_block_needs_its_override_and_a_reason(lib):
    p = students(lib, 1)[0]
    item_id, _ = _copy(lib, copies(lib, 1)[0])
    lib.execute(text("UPDATE library.items SET status = 'lost' WHERE item_id = :i"), {"i": item_id})
    assert "the rules block this loan (not_loanable)" in _refused(lib, item_id=item_id, usi=p.student_usi)
    assert "the rules block this loan (not_loanable)" in _refused(
        lib, item_id=item_id, usi=p.student_usi, codes=["too_many_overdue"], why="found it")
    assert "needs a reason" in _refused(lib, item_id=item_id, usi=p.student_usi, codes=["not_loanable"], why=" ")
    assert lib.execute(text("SELECT count(*) FROM library.checkouts WHERE item_id = :i AND return_date IS NULL"),
                       {"i": item_id}).scalar() == 0
    _lend(lib, item_id, p.student_usi, codes=["not_loanable", "not_loanable"], why="found on the returns cart")
    assert lib.execute(text("SELECT block_code, reason, approved_by FROM library.overrides WHERE item_id = :i"),
                       {"i": item_id}).all() == [("not_loanable", "found on the returns cart", "demo_librarian")]


def test_too_many_items_is_raised_by_the_database_as_by_the_desk(lib):
    """Lend books until the desk's rules say the limit is reached: the database raises too_many_items
    itself at the same loan (refused without its override, lent with it)."""
    p = students(lib, 1)[0]
    rules = circ.load_rules(lib)
    codes = copies(lib, 40)
    for n, code in enumerate(codes):
        item_id, item_type = _copy(lib, code)
        d = decide_checkout(LoanSituation(date.today(), RHS, p.category, item_type, "available", {item_type: n}, 0,
                                          rules=rules))
        if not d.ok:
            break
        _lend(lib, item_id, p.student_usi)
    else:
        pytest.fail("no limit within 40 books")
    assert [b.code for b in d.blocks] == ["too_many_items"] and n > 0
    assert "the rules block this loan (too_many_items)" in _refused(lib, item_id=item_id, usi=p.student_usi)
    _lend(lib, item_id, p.student_usi, codes=["too_many_items"], why="research project")


def test_a_loan_dated_next_month_or_years_ago_is_refused(lib):
    p = students(lib, 1)[0]
    item_id, _ = _copy(lib, copies(lib, 1)[0])
    for day in (date.today() + timedelta(days=30), date(2019, 1, 2)):
        assert "a loan is dated the day it is made" in _refused(lib, item_id=item_id, usi=p.student_usi, day=day)


def test_the_desk_says_so_in_words_when_the_database_refuses_a_lend(lib, monkeypatch):
    """Should the desk's rules say less than the database's (changed meanwhile), the desk shows one
    sentence and nothing is lent."""
    from app.errors import UserError
    from app.services.library.patrons import desk_school

    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    item_id, _ = _copy(lib, code)
    lib.execute(text("UPDATE library.items SET status = 'damaged' WHERE item_id = :i"), {"i": item_id})
    monkeypatch.setattr(circ, "decide_checkout", lambda s: decide_checkout(
        LoanSituation(s.today, s.school_id, s.category, s.item_type, "available", s.open_loans_by_type,
                      s.overdue_loans, rules=s.rules)))  # the desk does not see the damage
    lib.execute(text("SAVEPOINT desk"))
    with pytest.raises(UserError, match="The rules block this loan \\(not_loanable\\).*nothing was lent"):
        circ.check_out(lib, desk, p, code, override=circ.Override(frozenset(), ""))
    lib.execute(text("ROLLBACK TO SAVEPOINT desk"))


@pytest.fixture
def shared_loan(demo_engine):
    """A loan made by the high school's library to a student the middle school also serves."""
    with demo_engine.connect() as c:
        usi, grade = c.execute(text(
            "SELECT a.studentusi, a.entrygradeleveldescriptorid FROM edfi.studentschoolassociation a "
            "WHERE a.schoolid = :h AND a.exitwithdrawdate IS NULL AND NOT EXISTS (SELECT 1 FROM compliance.student_scope "
            "x WHERE x.studentusi = a.studentusi AND x.schoolid = :m) ORDER BY 1 LIMIT 1"), {"h": RHS, "m": RMS}).one()
        c.execute(text("INSERT INTO edfi.studentschoolassociation (studentusi, schoolid, entrydate, "
                       "entrygradeleveldescriptorid) VALUES (:u, :m, current_date - 30, :g)"),
                  {"u": usi, "m": RMS, "g": grade})
        item, resource = c.execute(text(
            "SELECT item_id, resource_id FROM library.items i WHERE school_id = :h AND status = 'available' AND NOT "
            "EXISTS (SELECT 1 FROM library.checkouts k WHERE k.item_id = i.item_id AND k.return_date IS NULL) "
            "ORDER BY item_id LIMIT 1"), {"h": RHS}).one()
        k = c.execute(text("INSERT INTO library.checkouts (student_usi, resource_id, item_id, school_id, checkout_date, "
                           "due_date) VALUES (:u, :r, :i, :h, current_date, current_date + 14) RETURNING checkout_id"),
                      {"u": usi, "r": resource, "i": item, "h": RHS}).scalar()
        c.commit()
        assert c.execute(text("SELECT count(*) FROM compliance.student_scope WHERE studentusi = :u AND schoolid IN "
                              "(:h, :m)"), {"u": usi, "h": RHS, "m": RMS}).scalar() == 2
    yield k
    with demo_engine.begin() as c:
        c.execute(text("DELETE FROM library.checkouts WHERE checkout_id = :k"), {"k": k})
        c.execute(text("DELETE FROM edfi.studentschoolassociation WHERE studentusi = :u AND schoolid = :m"),
                  {"u": usi, "m": RMS})


def test_only_the_lending_schools_librarian_changes_its_loan(shared_loan, rms_librarian, login_engine):
    """The UPDATE policy is the lending school's: what a librarian may still write on a loan by hand (its
    status: a copy marked lost marks its loan; dates only through the library's functions, 0060)."""
    with rms_librarian.connect() as c:
        tx = c.begin()
        seen = c.execute(text("SELECT due_date FROM library.checkouts WHERE checkout_id = :k"), {"k": shared_loan}).scalar()
        n = c.execute(text("UPDATE library.checkouts SET checkout_status = 'Lost' WHERE checkout_id = :k"),
                      {"k": shared_loan}).rowcount
        tx.rollback()
    assert seen is not None and n == 0  # the middle school sees the loan (they share the student) but cannot change it
    with login_engine("demo_librarian").connect() as c:
        tx = c.begin()
        n = c.execute(text("UPDATE library.checkouts SET checkout_status = 'Lost' WHERE checkout_id = :k"),
                      {"k": shared_loan}).rowcount
        renewed = c.execute(text("SELECT library.renew_loan(:k, current_date, NULL)"), {"k": shared_loan}).scalar()
        tx.rollback()
    assert n == 1 and renewed > seen  # the high school's librarian marks it and renews it


# -- security review of session 7: loans are written only by the library's functions (migration 0062) -------
def test_a_librarian_cannot_insert_a_loan_or_a_fine(login_engine):
    """The reviewer's two INSERTs as the librarian: a ten-year loan, and a returned loan with a made-up fine."""
    from tests.integration.test_security import denied

    e = login_engine("demo_librarian")
    assert denied(e, "INSERT INTO library.checkouts (student_usi, resource_id, item_id, school_id, checkout_date, "
                     "due_date, checked_out_at) SELECT 10, i.resource_id, i.item_id, i.school_id, current_date, "
                     "current_date + 3650, now() FROM library.items i WHERE i.school_id = :s LIMIT 1", s=RHS)
    assert denied(e, "INSERT INTO library.checkouts (student_usi, resource_id, item_id, school_id, checkout_date, "
                     "due_date, return_date, checked_out_at, fine) SELECT 11, i.resource_id, i.item_id, i.school_id, "
                     "current_date - 30, current_date - 20, current_date, now(), 250.00 FROM library.items i "
                     "WHERE i.school_id = :s LIMIT 1", s=RHS)


@pytest.mark.parametrize("column", ["days_late = 400", "due_date = current_date + 3650", "return_date = current_date + 400",
                                    "renewal_count = 0", "checkout_date = current_date - 900"])
def test_a_librarian_cannot_write_the_dates_a_fine_is_counted_from(lib, column):
    from sqlalchemy.exc import ProgrammingError

    p = students(lib, 1)[0]
    item_id, _ = _copy(lib, copies(lib, 1)[0])
    k = _lend(lib, item_id, p.student_usi)
    lib.execute(text("SAVEPOINT w"))
    with pytest.raises(ProgrammingError, match="permission denied"):
        lib.execute(text(f"UPDATE library.checkouts SET {column} WHERE checkout_id = :k"), {"k": k})
    lib.execute(text("ROLLBACK TO SAVEPOINT w"))


def test_the_database_closes_and_renews_a_loan_by_its_dates_and_the_rules(lib, demo_engine):
    """Check-in and renewal through library.close_loan / library.renew_loan: days late and the fine
    from the loan's own dates, the new due date from the rules; not for a date out of range."""
    p = students(lib, 1)[0]
    item_id, item_type = _copy(lib, copies(lib, 2)[0])
    k = _lend(lib, item_id, p.student_usi, day=date.today() - timedelta(days=20))
    due = lib.execute(text("SELECT due_date FROM library.checkouts WHERE checkout_id = :k"), {"k": k}).scalar()
    rules = circ.load_rules(lib)
    rule_days = decide_checkout(LoanSituation(date.today(), RHS, p.category, item_type, "available", {}, 0,
                                              rules=rules)).rule.loan_days
    assert due == date.today() - timedelta(days=20) + timedelta(days=rule_days)
    renewed = lib.execute(text("SELECT library.renew_loan(:k, current_date, NULL)"), {"k": k}).scalar()
    assert renewed == max(date.today() + timedelta(days=rule_days), due)
    for day in (date.today() + timedelta(days=30), date.today() - timedelta(days=200)):
        lib.execute(text("SAVEPOINT d"))
        with pytest.raises(DBAPIError, match="closed or renewed on the day it happens"):
            lib.execute(text("SELECT library.close_loan(:k, :d, now(), 'Returned')"), {"k": k, "d": day})
        lib.execute(text("ROLLBACK TO SAVEPOINT d"))
    late_by = (date.today() - renewed).days  # (not late: renewed into the future)
    assert lib.execute(text("SELECT library.close_loan(:k, current_date, now(), 'Returned')"), {"k": k}).scalar() == \
        max(late_by, 0) == 0
    assert lib.execute(text("SELECT library.charge_fine(:k)"), {"k": k}).scalar() == 0
    lib.execute(text("SAVEPOINT again"))
    with pytest.raises(DBAPIError, match="already returned"):
        lib.execute(text("SELECT library.close_loan(:k, current_date, now(), 'Returned')"), {"k": k})
    lib.execute(text("ROLLBACK TO SAVEPOINT again"))


def test_another_schools_librarian_cannot_close_or_renew_the_loan(shared_loan, rms_librarian):
    from tests.integration.test_security import run

    for sql in ("SELECT library.close_loan(:k, current_date, now(), 'Returned')",
                "SELECT library.renew_loan(:k, current_date, NULL)"):
        with pytest.raises(DBAPIError, match="not one of your school's loans"):
            run(rms_librarian, sql, k=shared_loan)
