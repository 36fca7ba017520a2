"""Late (offline) sales re-billed (issue 9): two terminals each sell a student "the" lunch of the day
while one of them is offline; whichever order they reach the server in, the earlier one sold is the
reimbursable meal and the other is re-billed at the second-meal price by one adjusting entry that
points at it (the ledger is append-only), exactly once however often the derivation runs; a void
of the reimbursable meal re-prices the other back. The balance is always the sum of the ledger."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.services.cafeteria import manager as M
from tests.integration.test_cafeteria_register import at, open_register, owner, sale, students  # noqa: F401
from tests.conftest import DEMO_AS_OF
from tests.integration.test_security import denied

pytestmark = pytest.mark.integration
SECOND_LUNCH = Decimal("4.25")  # the demo district's second-meal price for lunch (every grade band)


def fresh_kid(reg, demo_engine):
    """A paid student with money and no sale yet on the demo day (no test has served them)."""
    served = {r[0] for r in owner(demo_engine, "SELECT DISTINCT student_usi FROM cafeteria.meal_transactions "
                                               "WHERE transaction_date = :d", d=DEMO_AS_OF)}
    return next(s for s in students(reg, eligibility="paid") if s["usi"] not in served)


def ledger(demo_engine, usi):
    return owner(demo_engine, "SELECT (SELECT account_balance FROM cafeteria.student_meal_plans WHERE student_usi = :s "
                 "AND is_active), (SELECT sum(amount) FROM cafeteria.meal_transactions WHERE student_usi = :s)",
                 s=usi)[0]


def adjustments(demo_engine, usi):
    """The student's adjusting entries of the demo day (other tests re-bill on other days)."""
    return owner(demo_engine, """
        SELECT s.reverses_sale_uuid::text, t.price, t.amount, t.reverses_transaction_id = o.transaction_id
          FROM cafeteria.sales s JOIN cafeteria.meal_transactions t ON t.sale_uuid = s.sale_uuid
          JOIN cafeteria.meal_transactions o ON o.sale_uuid = s.reverses_sale_uuid AND o.line_no = 1
         WHERE s.kind = 'adjustment' AND s.student_usi = :s AND t.entry_kind = 'adjustment' AND s.service_date = :d
         ORDER BY s.received_at, t.transaction_id""", s=usi, d=DEMO_AS_OF)


def rederive_again(demo_engine, usi, times=3):
    """The derivation again, as the owner: no login may call it by hand (migration 0060), the sale, batch and
    reversal functions call it."""
    with demo_engine.begin() as c:
        for _ in range(times):
            c.execute(text("SELECT cafeteria.rederive_meals(:s, :d, 'lunch')"), {"s": usi, "d": DEMO_AS_OF})


@pytest.mark.parametrize("late", ["earlier_sale_arrives_late", "later_sale_arrives_late"])
def test_the_second_lunch_is_rebilled_once_whatever_order_the_terminals_sync_in(late, open_register, demo_engine,
                                                                               login_engine):
    a = open_register(f"RMS-A-{late[:5]}", clock=at(11, 40))
    b = open_register(f"RMS-B-{late[:5]}", clock=at(11, 50))
    kid = fresh_kid(a, demo_engine)
    usi = kid["usi"]
    before, _ = ledger(demo_engine, usi)
    first = sale(a, kid, ["L200"])  # 11:40 on terminal A
    second = sale(b, kid, ["L500"])  # 11:50 on terminal B, which does not know: the reimbursable price again
    assert first.total == second.total == Decimal("3.10")
    order = (b, a) if late == "earlier_sale_arrives_late" else (a, b)
    for reg in order:
        assert reg.send_now().applied == 1
    claims = dict(owner(demo_engine, "SELECT t.sale_uuid::text, c.reimbursable FROM cafeteria.meal_claims c JOIN "
                        "cafeteria.meal_transactions t ON t.transaction_id = c.transaction_id WHERE t.student_usi = :s "
                        "AND c.service_date = :d", s=usi, d=DEMO_AS_OF))
    assert claims == {first.sale_id: True, second.sale_id: False}
    extra = SECOND_LUNCH - second.total
    assert adjustments(demo_engine, usi) == [(second.sale_id, extra, -extra, True)]
    # exactly once: the derivation again (as the cashier and the manager), and a resend, add nothing
    rederive_again(demo_engine, usi)
    for login in ("demo_cashier", "demo_cafeteria_manager", "demo_admin"):
        assert denied(login_engine(login), "SELECT cafeteria.rederive_meals(:s, :d, 'lunch')", s=usi, d=DEMO_AS_OF)
    assert a.send_now().applied == 0 and b.send_now().applied == 0
    assert len(adjustments(demo_engine, usi)) == 1
    balance, total = ledger(demo_engine, usi)
    assert balance == total == before - first.total - SECOND_LUNCH
    # the adjustment is not the cashier's to write by hand
    with pytest.raises(Exception, match="row-level security|permission denied"), \
            login_engine("demo_cashier").begin() as c:
        c.execute(text("INSERT INTO cafeteria.sales (sale_uuid, kind, terminal_id, terminal_seq, school_id, "
                       "service_date, student_usi, total, sold_at, reverses_sale_uuid) VALUES (gen_random_uuid(), "
                       "'adjustment', 'T', 1, 255950002, current_date, :s, -4.25, now(), CAST(:u AS uuid))"),
                  {"s": usi, "u": second.sale_id})


@pytest.mark.parametrize("voided", ["reimbursable", "rebilled"])
def test_a_void_reprices_what_is_left_and_takes_back_what_was_rebilled(voided, open_register, demo_engine,
                                                                       login_engine):
    a = open_register(f"RMS-VA-{voided[:4]}", clock=at(11, 35))
    b = open_register(f"RMS-VB-{voided[:4]}", clock=at(11, 55))
    kid = fresh_kid(a, demo_engine)
    usi = kid["usi"]
    before, _ = ledger(demo_engine, usi)
    first, second = sale(a, kid, ["L200"]), sale(b, kid, ["L100"])
    b.send_now()
    a.send_now()
    manager = login_engine("demo_cafeteria_manager")
    void_id = str(uuid.uuid4())
    gone, kept = (first, second) if voided == "reimbursable" else (second, first)
    M.void_sale(manager, gone.sale_id, "Rung up on the wrong student", void_id)
    M.void_sale(manager, gone.sale_id, "Rung up on the wrong student", void_id)  # a repeated submit
    extra = SECOND_LUNCH - second.total
    # billed as a second meal when A's sale arrived, then back: re-priced (A voided) or taken back (B voided)
    assert [(r[0], r[1], r[2]) for r in adjustments(demo_engine, usi)] == [(second.sale_id, extra, -extra),
                                                                           (second.sale_id, -extra, extra)]
    assert owner(demo_engine, "SELECT t.sale_uuid::text, c.reimbursable FROM cafeteria.meal_claims c "
                 "JOIN cafeteria.meal_transactions t ON t.transaction_id = c.transaction_id WHERE t.student_usi = :s "
                 "AND c.service_date = :d", s=usi, d=DEMO_AS_OF) == [(kept.sale_id, True)]
    rederive_again(demo_engine, usi)
    assert len(adjustments(demo_engine, usi)) == 2
    balance, total = ledger(demo_engine, usi)
    assert balance == total == before - kept.total
