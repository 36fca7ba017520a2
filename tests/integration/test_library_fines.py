"""Fines are charged by the database at a late check-in, never written by the desk (review of
session 6, MEDIUM 1): a librarian with psql cannot set, lower or waive a fine, on an open loan or on
another school's; the database's rule choice and patron categories are the Python ones."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from app.domain.library_rules import _GRADE_BAND, PATRON_CATEGORIES, patron_category, resolve_rule
from app.services.library import circulation as circ
from app.services.library.patrons import desk_school
from tests.integration.test_library_checkout_parity import TYPES, random_rules
from tests.integration.test_library_circulation import RHS, copies, students
from tests.integration.test_library_security import rms_librarian  # noqa: F401
from tests.integration.test_security import run

pytestmark = pytest.mark.integration


@pytest.fixture
def lib(login_engine):
    with login_engine("demo_librarian").connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def late_return_with_a_fine(lib) -> int:
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    lib.execute(text("INSERT INTO library.loan_rules (school_id, patron_category, item_type, loan_days, max_items, "
                     "max_renewals, holds_allowed, max_overdue, fine_per_day) VALUES (:s, '9-12', NULL, 21, 5, 2, true, "
                     "1, 0.25)"), {"s": RHS})
    circ.check_out(lib, desk, p, code, at=datetime.now(timezone.utc) - timedelta(days=30))
    back = circ.check_in(lib, desk, code)
    assert "Returned 9 day(s) late: fine $2.25." in back.notes
    return lib.execute(text("SELECT c.checkout_id FROM library.checkouts c JOIN library.items i USING (item_id) "
                            "WHERE i.barcode = :b ORDER BY c.checkout_id DESC LIMIT 1"), {"b": code}).scalar()


@pytest.mark.parametrize("sql", ["UPDATE library.checkouts SET fine = 0 WHERE checkout_id = :k",
                                 "UPDATE library.checkouts SET fine = -25 WHERE checkout_id = :k",
                                 "UPDATE library.checkouts SET fine = 99 WHERE checkout_id = :open"])
def test_a_librarian_cannot_write_a_fine(lib, sql):
    k = late_return_with_a_fine(lib)
    open_loan = lib.execute(text("SELECT min(checkout_id) FROM library.checkouts WHERE return_date IS NULL")).scalar()
    sp = lib.begin_nested()
    with pytest.raises(ProgrammingError, match="permission denied"):
        lib.execute(text(sql), {"k": k, "open": open_loan})
    sp.rollback()
    assert lib.execute(text("SELECT fine FROM library.checkouts WHERE checkout_id = :k"), {"k": k}).scalar() == \
        Decimal("2.25")
    # charged once: asking again changes nothing
    assert lib.execute(text("SELECT library.charge_fine(:k)"), {"k": k}).scalar() == Decimal("2.25")


def test_fines_only_on_returned_loans_never_negative_and_only_by_the_lending_school(demo_engine, rms_librarian,
                                                                                  login_engine):
    with demo_engine.connect() as c:
        open_rhs = c.execute(text("SELECT checkout_id FROM library.checkouts WHERE return_date IS NULL AND school_id = :s "
                                  "ORDER BY 1 LIMIT 1"), {"s": RHS}).scalar()
        back_rhs = c.execute(text("SELECT checkout_id FROM library.checkouts WHERE return_date IS NOT NULL "
                                  "AND school_id = :s ORDER BY 1 LIMIT 1"), {"s": RHS}).scalar()
    for sql in ("UPDATE library.checkouts SET fine = 1 WHERE checkout_id = :k",
                "UPDATE library.checkouts SET fine = -1 WHERE checkout_id = :b"):
        with pytest.raises(DBAPIError, match="ck_checkouts_fine"):  # even the owner
            run(demo_engine, sql, k=open_rhs, b=back_rhs)
    with pytest.raises(DBAPIError, match="not one of your school's loans"):
        run(rms_librarian, "SELECT library.charge_fine(:k)", k=back_rhs)
    with pytest.raises(DBAPIError, match="still out"):
        run(login_engine("demo_librarian"), "SELECT library.charge_fine(:k)", k=open_rhs)


def test_the_database_picks_the_rule_and_the_category_python_picks(demo_engine):
    rng = random.Random(45)
    with demo_engine.connect() as c:
        for grade, band in {**_GRADE_BAND, "Something else": None}.items():
            assert c.execute(text("SELECT library.patron_category(:g, false)"), {"g": grade}).scalar() == \
                patron_category(grade)
        assert c.execute(text("SELECT library.patron_category(NULL, true)")).scalar() == "staff"
        c.rollback()
        for _ in range(25):
            tx = c.begin()
            existing = circ.load_rules(c)
            top = max(r.rule_id for r in existing)
            added = random_rules(rng)[1:]
            for n, r in enumerate(added, start=1):
                c.execute(text("INSERT INTO library.loan_rules (rule_id, school_id, patron_category, item_type, loan_days, "
                               "max_items, max_renewals, holds_allowed, max_overdue, fine_per_day) VALUES (:i, :s, :c, :t, "
                               ":d, :m, :r, true, :o, :f) ON CONFLICT DO NOTHING"),
                          {"i": top + n, "s": r.school_id, "c": r.patron_category, "t": r.item_type, "d": r.loan_days,
                           "m": r.max_items, "r": r.max_renewals, "o": r.max_overdue, "f": rng.choice((0, 0.1, 0.5))})
            rules = circ.load_rules(c)
            for _ in range(12):
                cat, item_type = rng.choice(PATRON_CATEGORIES), rng.choice(TYPES + ("map",))
                school = rng.choice((RHS, 255950002))
                got = c.execute(text("SELECT (library.rule_for(:s, :c, :t)).rule_id"),
                                {"s": school, "c": cat, "t": item_type}).scalar()
                assert got == resolve_rule(rules, school, cat, item_type).rule_id, (rules, school, cat, item_type)
            tx.rollback()
