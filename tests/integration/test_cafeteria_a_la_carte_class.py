"""An a la carte line is 'A la carte', never 'Deposit' (migration 0044): sold outside a meal service or
during one, and its void; and an a la carte sale is not a deposit (nor a meal) in any report: the day's
meal counts, the month's claim, a student's history, the manager's sales list."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.services.cafeteria import manager as M
from app.services.cafeteria import office
from tests.integration.test_cafeteria_ledger_attacks import _kids_at
from tests.integration.test_pos_sale_function import apply as apply_sale
from tests.integration.test_pos_sale_function import sale as pos_sale
from tests.integration.test_security_attacks import owner_scalar

pytestmark = pytest.mark.integration
RMS = 255950002


def item_sale(kid: int, item: int, price: Decimal, service: str | None) -> dict:
    amount = str(-price)
    return pos_sale(kid, entry_kind="item", meal_service=service, price=str(price), amount=amount,
                    lines=[{"line_no": 1, "entry_kind": "item", "item_id": item, "price": str(price), "amount": amount,
                            "eligibility": "paid"}])


def test_an_a_la_carte_sale_is_not_a_deposit_in_any_report(login_engine, demo_engine):
    cashier, mgr = login_engine("demo_cashier"), login_engine("demo_cafeteria_manager")
    kid = _kids_at(demo_engine, RMS, 40)[-1]
    with demo_engine.connect() as c:
        item, name, price = c.execute(text(
            "SELECT item_id, name, a_la_carte_price FROM cafeteria.menu_items WHERE school_id = :s "
            "AND category = 'a_la_carte' AND is_active ORDER BY code LIMIT 1"), {"s": RMS}).one()
    today = date.today()
    counts = office.daily_meal_counts(mgr, RMS, today, today)
    claim = office.monthly_claim(mgr, RMS, today)
    outside, at_lunch = item_sale(kid, item, price, None), item_sale(kid, item, price, "lunch")
    for p in (outside, at_lunch):
        assert apply_sale(cashier, p, terminal="ALC-1", seq=int(uuid.uuid4().int % 10**9))["outcome"] == "new"
    M.void_sale(mgr, outside["sale_uuid"], "Rang up twice", str(uuid.uuid4()))
    labels = [r[0] for r in owner_rows(demo_engine, """
        SELECT t.meal_type FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
         WHERE t.student_usi = :k AND (s.sale_uuid IN (CAST(:a AS uuid), CAST(:b AS uuid))
               OR s.reverses_sale_uuid = CAST(:a AS uuid)) ORDER BY t.transaction_id""",
        k=kid, a=outside["sale_uuid"], b=at_lunch["sale_uuid"])]
    assert labels == ["A la carte", "A la carte", "A la carte"]  # the sale, the one at lunch, the void
    # not a meal: the day's counts and the month's claim are what they were
    assert office.daily_meal_counts(mgr, RMS, today, today) == counts
    after = office.monthly_claim(mgr, RMS, today)
    assert (after.lines, after.non_reimbursable) == (claim.lines, claim.non_reimbursable)
    # not a deposit: the student's history and the manager's sales list name the item
    history = office.student_history(mgr, kid).rows
    mine = [r.description for r in history[:3]]
    assert sorted(mine) == sorted([name, name, f"Voided: {name}"])
    assert not any("Deposit" in d for d in mine)
    listed = {r.sale_id: r for r in M.recent_sales(mgr, "", RMS, today, limit=500)}
    assert listed[outside["sale_uuid"]].description == name and listed[outside["sale_uuid"]].kind == "sale"
    # and nowhere in the ledger is an a la carte line labelled anything else, nor a deposit line
    assert owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.meal_transactions WHERE entry_kind = 'item' "
                                     "AND meal_type <> 'A la carte'") == 0
    assert owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.meal_transactions "
                                     "WHERE entry_kind = 'deposit' AND meal_type <> 'Deposit'") == 0


def owner_rows(demo_engine, sql, **params):
    with demo_engine.connect() as c:
        return c.execute(text(sql), params).all()
