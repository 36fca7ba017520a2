"""A clean checkout is lent in one call (migrations 0036, 0048): the database compares the patron's
counts with the limits of the rules it resolves itself (library.rule_for, held to resolve_rule in
test_library_fines.py), which app.domain.library_rules.checkout_terms states in Python. These tests
hold the two to the same answer: the database lends only what decide_checkout (the Python decision,
which the offline desk runs too) allows, with the same due date, and lends whatever clean case it
allows; the desk refuses a lend the rules would not have made; a checkout the rules stop goes the
long way and lends nothing; and nobody but the owner may call the internal parts."""

from __future__ import annotations

import dataclasses
import json
import random
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from app.domain.library_rules import NOT_LOANABLE, PATRON_CATEGORIES, LoanSituation, Rule, checkout_terms, \
    decide_checkout
from app.services.library import circulation as circ
from app.services.library.patrons import desk_school
from tests.integration.test_library_circulation import RHS, copies, students
from tests.integration.test_library_security import rms_librarian  # noqa: F401
from tests.integration.test_security import denied, run

pytestmark = pytest.mark.integration
TYPES = ("book", "magazine", "device", "textbook")
CLEAN = text("SELECT library.checkout_clean(CAST(:cat AS jsonb), :t, :st, CAST(:loans AS jsonb), :d)")


def random_rules(rng: random.Random) -> list[Rule]:
    rules = [Rule(1, None, None, None, rng.choice((7, 14, 21)), rng.choice((0, 1, 3, 5)), 1, True, rng.choice((0, 1, 2)))]
    for n in range(2, rng.randint(2, 9)):
        rules.append(Rule(n, rng.choice((None, RHS, 255950002)), rng.choice((None,) + PATRON_CATEGORIES),
                          rng.choice((None,) + TYPES), rng.choice((1, 3, 7, 14, 28)), rng.choice((0, 1, 2, 4, 6)),
                          rng.choice((0, 1, 2)), True, rng.choice((0, 1, 3))))
    return rules


def test_the_database_lends_exactly_the_clean_cases_the_rules_allow_with_the_same_due_date(demo_engine):
    rng = random.Random(2026)
    today = date(2026, 12, 3)
    checked = lent = 0
    with demo_engine.connect() as c:
        for _ in range(60):
            rules = random_rules(rng)
            terms = checkout_terms(rules, RHS)
            for _ in range(12):
                cat = rng.choice(PATRON_CATEGORIES)
                item_type = rng.choice(TYPES + ("map",))  # "map": a type no rule names
                status = rng.choice(("available",) * 4 + ("on_hold_shelf", "in_transit") + tuple(NOT_LOANABLE))
                loans = [(rng.choice(TYPES), today + timedelta(days=rng.randint(-5, 10))) for _ in range(rng.randint(0, 6))]
                by_type: dict[str, int] = {}
                for t, _ in loans:
                    by_type[t] = by_type.get(t, 0) + 1
                d = decide_checkout(LoanSituation(today, RHS, cat, item_type, status, by_type,
                                                  sum(due < today for _, due in loans), rules=rules))
                days = c.execute(CLEAN, {"cat": json.dumps(terms["categories"][cat]), "t": item_type, "st": status,
                                         "loans": json.dumps([[t, due.isoformat()] for t, due in loans]),
                                         "d": today}).scalar()
                checked += 1
                if days is not None:
                    lent += 1
                    assert d.ok and d.due == today + timedelta(days=days), (rules, cat, item_type, status, loans, d)
                else:
                    # the database declines what the rules stop, and the cases it leaves to the desk
                    # on purpose: a copy on the hold shelf or in transit (someone may be waiting)
                    assert not d.ok or status != "available", (rules, cat, item_type, status, loans, d)
    assert checked == 720 and 50 < lent < checked  # both answers were exercised


@pytest.fixture
def lib(login_engine):
    with login_engine("demo_librarian").connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def clean_copies(demo_engine, n: int) -> list[str]:
    """Copies nobody has on hold, at any school (what the librarian sees, and what they do not)."""
    with demo_engine.connect() as c:
        return c.execute(text(
            "SELECT DISTINCT ON (i.resource_id) i.barcode FROM library.items i WHERE i.school_id = :s "
            "AND i.status = 'available' AND i.item_type = 'book' AND NOT EXISTS (SELECT 1 FROM library.holds h "
            "WHERE h.resource_id = i.resource_id AND h.status IN ('waiting', 'ready')) ORDER BY i.resource_id, i.item_id "
            "LIMIT :n"), {"s": RHS, "n": n}).scalars().all()


def statements(conn):
    seen: list[str] = []

    def count(*args):
        seen.append(args[2])
    event.listen(conn, "before_cursor_execute", count)
    return seen


def test_a_clean_checkout_is_one_round_trip_and_a_blocked_one_lends_nothing(lib, demo_engine, monkeypatch):
    real = circ._through_driver
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    old = datetime.now(timezone.utc) - timedelta(days=40)
    c1, c2, c3 = clean_copies(demo_engine, 3)
    assert circ.check_out(lib, desk, p, c1, at=old).done  # (the desk has read the rules matrix once)
    seen = statements(lib)
    through = []
    monkeypatch.setattr(circ, "_through_driver", lambda conn, raw, sql, values: through.append(sql) or real(
        conn, raw, sql, values))
    assert circ.check_out(lib, desk, p, c2, at=old, request_id=circ.new_request_id()).done
    # one statement: library.checkout, straight through the driver (none through SQLAlchemy)
    assert seen == [] and len(through) == 1 and "library.checkout(" in through[0]
    blocked = circ.check_out(lib, desk, p, c3)  # two overdue now
    assert [b.code for b in blocked.blocks] == ["too_many_overdue"] and not blocked.done
    assert lib.execute(text("SELECT status FROM library.items WHERE barcode = :b"), {"b": c3}).scalar() == "available"


def test_a_card_and_a_copy_scanned_together_lend_to_the_cards_student(lib):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    patron, r = circ.check_out_card(lib, desk, f"  {p.card} ", code, request_id=circ.new_request_id(), kiosk=True)
    assert patron == p and r.done
    assert lib.execute(text("SELECT c.student_usi FROM library.checkouts c JOIN library.items i USING (item_id) "
                            "WHERE i.barcode = :b AND c.return_date IS NULL"), {"b": code}).scalar() == p.student_usi
    assert circ.check_out_card(lib, desk, "no-such-card", code) == (None, None)


def test_the_desk_refuses_a_one_call_loan_the_rules_would_not_make(lib, demo_engine, monkeypatch):
    """Should the database's clean case and decide_checkout ever disagree (here the desk's rules say
    one day more), the desk checks every one-call loan and the transaction is abandoned."""
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = clean_copies(demo_engine, 1)[0]
    real = circ.decide_checkout
    monkeypatch.setattr(circ, "decide_checkout", lambda s: dataclasses.replace(real(s), due=real(s).due + timedelta(1)))
    sp = lib.begin_nested()
    with pytest.raises(RuntimeError, match="rolled back"):
        circ.check_out(lib, desk, p, code)
    sp.rollback()
    assert lib.execute(text("SELECT status FROM library.items WHERE barcode = :b"), {"b": code}).scalar() == "available"


def test_terms_a_caller_sends_do_not_change_what_the_database_lends(lib, demo_engine):
    """Review of session 6, LOW 2: a librarian with psql sends terms of their own (ten years, no
    limits, a made-up category): the database lends by the rules matrix as it reads it (21 days for
    a high-school student), or not at all."""
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = clean_copies(demo_engine, 1)[0]
    stamp = lib.execute(text("SELECT library.rules_stamp()")).scalar()
    forged = {"stamp": stamp, "categories": {"x": {"types": {}, "other": [3650, None], "max_items": 999,
                                                   "max_overdue": 999}}}
    f = lib.execute(circ._CHECKOUT, {"c": None, "su": p.student_usi, "tu": None, "cat": "x", "b": code, "r": None,
                                     "s": desk.school_id, "d": date.today(), "at": datetime.now(timezone.utc),
                                     "t": json.dumps(forged)}).scalar_one()
    assert f["lent"]["due"] == (date.today() + timedelta(days=21)).isoformat()


INTERNAL = ("SELECT * FROM library.patron_rows_of(ARRAY[1])",
            "SELECT library.checkout_clean('{}'::jsonb, 'book', 'available', '[]'::jsonb, current_date)",
            "SELECT library.lend_rows(true, NULL, 1, 1, 1, NULL, 255950003, current_date, current_date, now(), NULL, "
            "NULL, false, NULL, NULL)",
            "SELECT library.checkout_read(true, NULL, '604584', NULL, NULL, NULL, '31003000000013', NULL, 255950003, "
            "current_date, now(), NULL)")


@pytest.mark.parametrize("login", ("demo_librarian", "demo_admin", "demo_nurse", "demo_cashier"))
def test_nobody_calls_the_internal_parts_directly(login_engine, login):
    """They skip the caller's checks (their callers make them): as an administrator (all schools) a
    curious librarian could otherwise lend anywhere."""
    for sql in INTERNAL:
        assert denied(login_engine(login), sql), (login, sql)


def test_another_schools_librarian_gets_no_patron_and_no_loan_by_card(rms_librarian, login_engine):
    """The middle school's librarian scans a high-school-only student's card, or names the high
    school's desk: nothing is read about the student and nothing is lent."""
    with login_engine("demo_librarian").connect() as c:
        rhs_kid = c.execute(text(
            "SELECT s.studentuniqueid FROM edfi.student s JOIN compliance.student_scope sc USING (studentusi) "
            "WHERE sc.schoolid = :h AND NOT EXISTS (SELECT 1 FROM compliance.student_scope x "
            "WHERE x.studentusi = s.studentusi AND x.schoolid <> :h) ORDER BY 1 LIMIT 1"), {"h": RHS}).scalar()
        code = copies(c, 1)[0]
        terms = "{}"
    call = ("SELECT library.checkout(:c, NULL, NULL, NULL, :b, CAST(:r AS uuid), :s, current_date, now(), "
            "CAST(:t AS jsonb))")
    f = run(rms_librarian, call, c=rhs_kid, b=code, r=str(uuid.uuid4()), s=255950002, t=terms)[0][0]
    assert f == {"patron": None}
    with pytest.raises(DBAPIError, match="do not work at school"):
        run(rms_librarian, call, c=rhs_kid, b=code, r=str(uuid.uuid4()), s=RHS, t=terms)


def test_the_terms_kept_for_each_school_are_the_rules_terms_after_every_change(demo_engine):
    """library.checkout_terms (migration 0066: what the one-call checkout lends by) is rebuilt with every
    change of the rules, in the same transaction: for random matrices, each school's kept terms are
    app.domain.library_rules.checkout_terms of the rules as the database holds them, and its stamp is
    the rules' stamp (the desk's key for the matrix it keeps)."""
    rng = random.Random(65)
    with demo_engine.connect() as c:
        tx = c.begin()
        schools = c.execute(text("SELECT schoolid FROM edfi.school ORDER BY 1")).scalars().all()
        for _ in range(8):
            rules = random_rules(rng)
            default, others = rules[0], rules[1:]
            c.execute(text("UPDATE library.loan_rules SET loan_days = :d, max_items = :m, max_renewals = :r, "
                           "max_overdue = :o WHERE school_id IS NULL AND patron_category IS NULL AND item_type IS NULL"),
                      {"d": default.loan_days, "m": default.max_items, "r": default.max_renewals,
                       "o": default.max_overdue})
            c.execute(text("DELETE FROM library.loan_rules WHERE NOT (school_id IS NULL AND patron_category IS NULL "
                           "AND item_type IS NULL)"))
            for r in others:
                c.execute(text("INSERT INTO library.loan_rules (school_id, patron_category, item_type, loan_days, "
                               "max_items, max_renewals, holds_allowed, max_overdue) VALUES (:s, :c, :t, :d, :m, :r, "
                               "true, :o)"), {"s": r.school_id, "c": r.patron_category, "t": r.item_type,
                                              "d": r.loan_days, "m": r.max_items, "r": r.max_renewals,
                                              "o": r.max_overdue})
            held = circ.load_rules(c)  # as the database holds them (its own rule ids)
            kept = dict(c.execute(text("SELECT school_id, terms FROM library.checkout_terms")).all())
            stamps = set(c.execute(text("SELECT stamp FROM library.checkout_terms")).scalars())
            assert stamps == {c.execute(text("SELECT library.rules_stamp()")).scalar()}
            assert sorted(kept) == schools
            for school in schools:
                assert kept[school] == json.loads(json.dumps(checkout_terms(held, school)["categories"])), school
        tx.rollback()


def test_the_kept_terms_are_the_databases_own(login_engine):
    for login in ("demo_librarian", "demo_admin", "demo_cashier"):
        assert denied(login_engine(login), "SELECT terms FROM library.checkout_terms")
        assert denied(login_engine(login), "SELECT library.compute_terms(1)")
