"""Meals are claimed and billed at the student's own eligibility and price (migration 0055; security review of
session 6, cafperf MEDIUM 3). A cashier with psql who writes a sale whose meal line says "free" for a paid
student, or carries another price, changes neither the claim's category (what the district claims from the
federal program) nor what the student's account is billed: the server claims and bills the meal at the
student's own eligibility, and lists the line for the cafeteria manager, on the sale's fast path, in a batch
and through the full re-derivation (a second meal). Only the manager (and an administrator) reads that list;
nobody writes it by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.services.cafeteria import manager as M
from tests.integration.test_pos_sale_function import CALL, RMS, _written, apply, apply_batch, balance, params, sale
from tests.integration.test_security import denied
from tests.integration.test_security_attacks import refused, students_at

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
    kids = _fresh(demo_engine, "paid", 12)
    assert len(kids) == 12
    return kids


def _free_lunch(student) -> dict:
    """A sale written by hand: the paid student's lunch, its line saying "free", at $0.00."""
    p = sale(student, price="0.00", amount="0.00", total="0.00", account="0.00")
    p["lines"][0]["eligibility"] = "free"
    return p


def billed(demo_engine, student, day: date | None = None) -> Decimal:
    """What the student's account was charged for a day's lunch (the meal lines and their adjustments)."""
    with demo_engine.connect() as c:
        return c.execute(text("SELECT coalesce(sum(t.amount), 0) FROM cafeteria.meal_transactions t JOIN cafeteria.sales s "
                              "ON s.sale_uuid = t.sale_uuid WHERE t.student_usi = :s AND s.service_date = :d "
                              "AND s.meal_service = 'lunch'"), {"s": student, "d": day or date.today()}).scalar()


def claims(demo_engine, student, day: date | None = None) -> list[tuple]:
    with demo_engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT eligibility, reimbursable FROM cafeteria.meal_claims WHERE student_usi = :s "
            "AND service_date = :d AND meal_service = 'lunch' ORDER BY transaction_id"),
            {"s": student, "d": day or date.today()})]


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
    # the derivation again (as the owner: no login calls it by hand): nothing more billed, flagged once
    with demo_engine.begin() as c:
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


# -- review of session 7 (cafperf MEDIUM 1, LOW 3) ------------------------------------------------------------
def _on(day: date, **kw) -> dict:
    """A sale of an earlier day (an offline register's, reaching the server late), honestly priced."""
    return sale(kw.pop("student"), service_date=day.isoformat(),
                sold_at=datetime.combine(day, datetime.min.time(), timezone.utc).replace(hour=11, minute=45), **kw)


def test_a_new_eligibility_leaves_the_meals_of_earlier_days_as_they_were(login_engine, demo_engine, paid):
    """A paid student's application is approved today: the lunches of the days before stay paid (billed and
    claimed), a late offline sale of one of those days is claimed and billed as paid without a flag, today's
    lunch is free, and nobody can re-derive a day by hand to move money."""
    cashier, kid = login_engine("demo_cashier"), paid[8]
    days = [date.today() - timedelta(days=n) for n in (4, 3, 2)]
    for day in days[:2]:
        apply(cashier, _on(day, student=kid))
    before = balance(demo_engine, kid)
    with login_engine("demo_cafeteria_manager").begin() as c:  # the approved application, recorded today
        assert c.execute(text("UPDATE cafeteria.student_meal_plans SET free_reduced_status = 'Free' "
                              "WHERE student_usi = :s AND is_active"), {"s": kid}).rowcount == 1
    for login in ("demo_cashier", "demo_cafeteria_manager", "demo_admin"):
        assert denied(login_engine(login), "SELECT cafeteria.rederive_meals(:s, :d, 'lunch')", s=kid, d=days[0]), login
    with demo_engine.begin() as c:  # what a void or a late sale of those days runs, as the owner
        for day in days[:2]:
            c.execute(text("SELECT cafeteria.rederive_meals(:s, :d, 'lunch')"), {"s": kid, "d": day})
    apply(cashier, _on(days[2], student=kid))  # the offline register's sale of the day before yesterday
    apply(cashier, _free_lunch(kid))  # today: free, at $0.00, as the register now sells it
    for day in days:
        assert claims(demo_engine, kid, day) == [("paid", True)], day
        assert billed(demo_engine, kid, day) == -PAID_LUNCH, day
    assert claims(demo_engine, kid) == [("free", True)] and billed(demo_engine, kid) == 0
    assert flags(demo_engine, kid) == []
    assert balance(demo_engine, kid) == before - PAID_LUNCH
    with login_engine("demo_admin").connect() as c:  # the history the administrator can read
        assert [r[0] for r in c.execute(text("SELECT eligibility FROM cafeteria.eligibility_history "
                                              "WHERE student_usi = :s ORDER BY effective_from"), {"s": kid})][-1] == "free"
    assert denied(cashier, "SELECT count(*) FROM cafeteria.eligibility_history")
    assert denied(login_engine("demo_cafeteria_manager"), "INSERT INTO cafeteria.eligibility_history "
                  "(student_usi, eligibility, effective_from, recorded_by) VALUES (:s, 'paid', now(), 'x')", s=kid)


def test_a_forged_sale_to_a_visiting_student_reaches_the_managers_list(login_engine, demo_engine):
    """A student of another school served here (the narrow look-up): the manager may not see their name, but
    the line sold at another eligibility is on the manager's list."""
    mine = students_at(demo_engine, "demo_cafeteria_manager")
    with demo_engine.connect() as c:
        visitor = c.execute(text(
            "SELECT p.student_usi FROM cafeteria.student_meal_plans p WHERE p.is_active AND p.student_usi <> ALL(:m) "
            "AND lower(coalesce(p.free_reduced_status, 'paid')) NOT IN ('free', 'reduced') AND NOT EXISTS ("
            "SELECT 1 FROM cafeteria.meal_transactions t WHERE t.student_usi = p.student_usi "
            "AND t.transaction_date = current_date) ORDER BY p.student_usi DESC LIMIT 1"), {"m": sorted(mine)}).scalar()
    assert visitor is not None
    forged = _free_lunch(visitor)
    apply(login_engine("demo_cashier"), forged)
    [row] = managers_list(login_engine, forged["sale_uuid"])
    assert (row.student_name, row.line_eligibility, row.student_eligibility, row.line_price) == (
        "A student of another school", "free", "paid", Decimal("0.00"))


# -- review of session 7 (cafperf LOW 2): a meal rung as an a la carte item ----------------------------------
def _item_sale(student, item_id, price: str) -> dict:
    amount = "-" + price if Decimal(price) else "0.00"
    return sale(student, entry_kind="item", price=price, amount=amount, lines=[
        {"line_no": 1, "entry_kind": "item", "item_id": item_id, "price": price, "amount": amount,
         "eligibility": "paid"}])


def test_a_meal_rung_as_an_a_la_carte_item_is_refused_and_an_item_at_another_price_is_listed(
        login_engine, demo_engine, paid):
    cashier, kid = login_engine("demo_cashier"), paid[9]
    with demo_engine.connect() as c:
        lunch = c.execute(text("SELECT item_id FROM cafeteria.menu_items WHERE category = 'meal' AND meal_service = "
                               "'lunch' AND (school_id IS NULL OR school_id = :s) ORDER BY item_id LIMIT 1"),
                          {"s": RMS}).scalar()
        snack, price = c.execute(text("SELECT item_id, a_la_carte_price FROM cafeteria.menu_items WHERE category = "
                                      "'a_la_carte' AND is_active AND (school_id IS NULL OR school_id = :s) "
                                      "AND a_la_carte_price > 0.10 ORDER BY item_id LIMIT 1"), {"s": RMS}).one()
    before = balance(demo_engine, kid)
    free_lunch = _item_sale(kid, lunch, "0.00")  # the paid student's lunch written as a $0.00 "item"
    assert refused(cashier, CALL, "rung up as a meal", **params(free_lunch))
    assert _written(demo_engine, [free_lunch]) == 0 and balance(demo_engine, kid) == before
    cheap = _item_sale(kid, snack, "0.10")  # an a la carte item at ten cents: kept, listed for the manager
    honest = _item_sale(kid, snack, str(price))
    apply(cashier, cheap)
    apply(cashier, honest)
    assert balance(demo_engine, kid) == before - Decimal("0.10") - price
    assert flags(demo_engine, kid) == [("paid", "paid", Decimal("0.10"), price)]
    assert [r.due_price for r in managers_list(login_engine, cheap["sale_uuid"])] == [price]
    assert managers_list(login_engine, honest["sale_uuid"]) == []


# -- review of session 7 (cafperf LOW 4): the day ends in the district's time zone ----------------------------
def test_the_day_of_a_meal_ends_in_the_districts_time_zone_whatever_the_cashier_sets(login_engine, demo_engine, paid):
    """Two paid students approved for free meals now; for each, an offline "free" $0.00 lunch of the day whose end
    (UTC midnight) is nearest to now, sent by the cashier with the session's TimeZone set half a day east and half
    a day west: both are judged by the same day's end (the district's), so both get the same claim, bill and flag."""
    from datetime import datetime as dt

    now = dt.now(timezone.utc)
    day = (now + timedelta(hours=12)).date() - timedelta(days=1)  # its end is within 12 hours of now
    east, west = paid[10], paid[11]
    with login_engine("demo_cafeteria_manager").begin() as c:
        for kid in (east, west):
            c.execute(text("UPDATE cafeteria.student_meal_plans SET free_reduced_status = 'Free' "
                           "WHERE student_usi = :s AND is_active"), {"s": kid})
    for kid, zone in ((east, "Etc/GMT-14"), (west, "Etc/GMT+12")):
        forged = _on(day, student=kid, price="0.00", amount="0.00", total="0.00", account="0.00")
        forged["lines"][0]["eligibility"] = "free"
        with login_engine("demo_cashier").begin() as c:
            c.execute(text(f"SET LOCAL TimeZone = '{zone}'"))
            c.execute(text(CALL), params(forged))
    assert claims(demo_engine, east, day) == claims(demo_engine, west, day)
    assert billed(demo_engine, east, day) == billed(demo_engine, west, day)
    assert [f[1:] for f in flags(demo_engine, east)] == [f[1:] for f in flags(demo_engine, west)]
