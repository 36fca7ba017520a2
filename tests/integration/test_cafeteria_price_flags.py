"""Meals are claimed and billed at the student's own eligibility and price (migration 0055; security review of
session 6, cafperf MEDIUM 3). A cashier with psql who writes a sale whose meal line says "free" for a paid
student, or carries another price, changes neither the claim's category (what the district claims from the
federal program) nor what the student's account is billed: the server claims and bills the meal at the
student's own eligibility, and lists the line for the cafeteria manager, on the sale's fast path, in a batch
and through the full re-derivation (a second meal). Only the manager (and an administrator) reads that list;
nobody writes it by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.services.cafeteria import manager as M
from tests.integration.test_pos_sale_function import RMS, apply, apply_batch, balance, sale
from tests.integration.test_security import denied
from tests.integration.test_security_attacks import students_at

pytestmark = pytest.mark.integration
PAID_LUNCH, SECOND_LUNCH = Decimal("3.10"), Decimal("4.25")  # a middle-school student's lunch prices, paid


def _fresh(demo_engine, eligibility: str, n: int) -> list[int]:
    """Students of the cashier's school of this eligibility, with an active meal account and no meal today."""
    mine = students_at(demo_engine, "demo_cashier")
    with demo_engine.connect() as c:
        return c.execute(text(
            "SELECT p.student_usi FROM cafeteria.student_meal_plans p WHERE p.is_active AND p.student_usi = ANY(:s) "
            "AND CASE lower(coalesce(p.free_reduced_status, '')) WHEN 'free' THEN 'free' WHEN 'reduced' THEN 'reduced' "
            "ELSE 'paid' END = :e AND NOT EXISTS (SELECT 1 FROM cafeteria.meal_transactions t "
            "WHERE t.student_usi = p.student_usi AND t.transaction_date = current_date) "
            "ORDER BY p.student_usi LIMIT :n"), {"s": sorted(mine), "e": eligibility, "n": n}).scalars().all()


@pytest.fixture(scope="module")
def paid(demo_engine):
    kids = _fresh(demo_engine, "paid", 8)
    assert len(kids) == 8
    return kids


def _free_lunch(student) -> dict:
    """A sale written by hand: the paid student's lunch, its line saying "free", at $0.00."""
    p = sale(student, price="0.00", amount="0.00", total="0.00", account="0.00")
    p["lines"][0]["eligibility"] = "free"
    return p


def billed(demo_engine, student) -> Decimal:
    """What the student's account was charged for today's lunch (the meal lines and their adjustments)."""
    with demo_engine.connect() as c:
        return c.execute(text("SELECT coalesce(sum(t.amount), 0) FROM cafeteria.meal_transactions t JOIN cafeteria.sales s "
                              "ON s.sale_uuid = t.sale_uuid WHERE t.student_usi = :s AND s.service_date = current_date "
                              "AND s.meal_service = 'lunch'"), {"s": student}).scalar()


def claims(demo_engine, student) -> list[tuple]:
    with demo_engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT eligibility, reimbursable FROM cafeteria.meal_claims WHERE student_usi = :s "
            "AND service_date = current_date AND meal_service = 'lunch' ORDER BY transaction_id"), {"s": student})]


def flags(demo_engine, student) -> list[tuple]:
    with demo_engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT line_eligibility, student_eligibility, line_price, due_price FROM cafeteria.price_flags "
            "WHERE student_usi = :s ORDER BY transaction_id"), {"s": student})]


def managers_list(login_engine, sale_id: str):
    return [r for r in M.price_flags(login_engine("demo_cafeteria_manager"), RMS) if r.sale_id == sale_id]


@pytest.mark.parametrize("how", ["alone", "in_a_batch"])
def test_a_free_lunch_written_for_a_paid_student_is_claimed_and_billed_as_paid_and_flagged(
        how, login_engine, demo_engine, paid):
    cashier = login_engine("demo_cashier")
    kid, honest_kid = (paid[0], None) if how == "alone" else (paid[1], paid[2])
    before = balance(demo_engine, kid)
    forged = _free_lunch(kid)
    if how == "alone":
        assert apply(cashier, forged) == {"outcome": "new", "lines": 1}
    else:
        honest = sale(honest_kid)
        assert apply_batch(cashier, forged, honest, terminal="FLAGS-B") == [{"outcome": "new", "lines": 1}] * 2
    assert claims(demo_engine, kid) == [("paid", True)]  # claimed at the paid rate, not the free one
    assert billed(demo_engine, kid) == -PAID_LUNCH  # the lunch costs what a paid lunch costs
    assert balance(demo_engine, kid) == before - PAID_LUNCH
    assert flags(demo_engine, kid) == [("free", "paid", Decimal("0.00"), PAID_LUNCH)]
    [row] = managers_list(login_engine, forged["sale_uuid"])
    assert (row.line_eligibility, row.student_eligibility, row.line_price, row.due_price, row.meal_service) == (
        "free", "paid", Decimal("0.00"), PAID_LUNCH, "lunch")
    # the derivation again (as the cashier and as the manager): nothing more billed, flagged once
    for login in ("demo_cashier", "demo_cafeteria_manager"):
        with login_engine(login).begin() as c:
            c.execute(text("SELECT cafeteria.rederive_meals(:s, current_date, 'lunch')"), {"s": kid})
    assert billed(demo_engine, kid) == -PAID_LUNCH and len(flags(demo_engine, kid)) == 1
    if honest_kid is not None:  # the honest sale of the same batch is claimed as sold, not flagged
        assert claims(demo_engine, honest_kid) == [("paid", True)]
        assert billed(demo_engine, honest_kid) == -PAID_LUNCH and flags(demo_engine, honest_kid) == []


def test_a_lunch_written_at_a_lower_price_is_billed_at_the_students_own(login_engine, demo_engine, paid):
    kid = paid[3]
    cheap = sale(kid, price="1.00", amount="-1.00")  # the right eligibility, a dollar instead of $3.10
    apply(login_engine("demo_cashier"), cheap)
    assert claims(demo_engine, kid) == [("paid", True)]
    assert billed(demo_engine, kid) == -PAID_LUNCH
    assert flags(demo_engine, kid) == [("paid", "paid", Decimal("1.00"), PAID_LUNCH)]
    assert [r.line_price for r in managers_list(login_engine, cheap["sale_uuid"])] == [Decimal("1.00")]


def test_a_second_lunch_written_as_a_free_first_one_is_billed_as_a_second_meal(login_engine, demo_engine, paid):
    cashier, kid = login_engine("demo_cashier"), paid[4]
    noon = datetime.now(timezone.utc).replace(microsecond=0)
    apply(cashier, sale(kid, sold_at=noon))  # the student's lunch, honestly sold
    again = _free_lunch(kid)
    again["sold_at"] = (noon + timedelta(minutes=4)).isoformat()
    apply(cashier, again)  # a second lunch, written as the free reimbursable one
    assert claims(demo_engine, kid) == [("paid", True), ("paid", False)]
    assert billed(demo_engine, kid) == -(PAID_LUNCH + SECOND_LUNCH)
    assert flags(demo_engine, kid) == [("free", "paid", Decimal("0.00"), SECOND_LUNCH)]


def test_honest_sales_are_claimed_as_sold_and_not_flagged(login_engine, demo_engine, paid):
    cashier = login_engine("demo_cashier")
    [free_kid] = _fresh(demo_engine, "free", 1)
    free = _free_lunch(free_kid)  # a free student's lunch, free: what the register sells
    paid_lunch = sale(paid[5])
    apply(cashier, free)
    apply(cashier, paid_lunch)
    assert claims(demo_engine, free_kid) == [("free", True)] and billed(demo_engine, free_kid) == 0
    assert claims(demo_engine, paid[5]) == [("paid", True)] and billed(demo_engine, paid[5]) == -PAID_LUNCH
    assert flags(demo_engine, free_kid) == [] and flags(demo_engine, paid[5]) == []


def test_only_the_manager_and_an_administrator_read_the_list_and_nobody_writes_it(login_engine, demo_engine, paid):
    apply(login_engine("demo_cashier"), _free_lunch(paid[6]))
    with demo_engine.connect() as c:
        line = c.execute(text("SELECT transaction_id FROM cafeteria.price_flags WHERE student_usi = :s"),
                         {"s": paid[6]}).scalar()
    assert line is not None
    for login in ("demo_cashier", "demo_teacher", "demo_front_office", "demo_nurse", "demo_librarian", "demo_dean",
                  "demo_transportation", "demo_registrar"):
        assert denied(login_engine(login), "SELECT count(*) FROM cafeteria.price_flags"), login
    for login in ("demo_cashier", "demo_cafeteria_manager", "demo_admin"):
        eng = login_engine(login)
        assert denied(eng, "DELETE FROM cafeteria.price_flags WHERE transaction_id = :t", t=line), login
        assert denied(eng, "UPDATE cafeteria.price_flags SET due_price = 0 WHERE transaction_id = :t", t=line), login
        assert denied(eng, "INSERT INTO cafeteria.price_flags (transaction_id, sale_uuid, school_id, student_usi, "
                           "service_date, meal_service, student_eligibility) SELECT :t, gen_random_uuid(), :sc, :s, "
                           "current_date, 'lunch', 'paid'", t=line + 10**9, sc=RMS, s=paid[6]), login
    # the server's helpers are not callable by hand (they run inside the sale functions, as the owner)
    cashier = login_engine("demo_cashier")
    assert denied(cashier, "SELECT cafeteria.flag_meal_line(:t, 'paid', 0)", t=line)
    assert denied(cashier, "SELECT cafeteria.claim_first_meal(gen_random_uuid())")
    assert denied(cashier, "SELECT cafeteria.meal_price_due(:s, current_date, 'lunch', 'paid', 7, NULL, true)", s=RMS)
    # the manager of the school and an administrator see it
    assert len(M.price_flags(login_engine("demo_cafeteria_manager"), RMS)) >= 1
    with login_engine("demo_admin").connect() as c:
        assert c.execute(text("SELECT count(*) FROM cafeteria.price_flags WHERE transaction_id = :t"),
                         {"t": line}).scalar() == 1
