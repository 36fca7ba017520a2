"""A terminal's run of sales sent together (cafeteria.apply_sale_entries) writes ONE audit entry a sale, as a lone
sale does (migration 0076), checked the way the people who read the trail would: each sale's entry carries the
header, the lines the batch wrote (with the balance after each) and the claims it made; what cafeteria.rederive_meals
writes for a second meal is audited row by row as before; and a session's own SET of the audit switch, a list of
sale ids included, hides no row."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.sync.journal import canonical_json, payload_sha256
from tests.integration.test_pos_sale_function import CALL, balance, params, sale
from tests.integration.test_pos_sale_function import cashier_till, kids  # noqa: F401 - fixtures
from tests.integration.test_pos_sale_one_call import _entries

pytestmark = pytest.mark.integration
BATCH = "SELECT b.entry_no, b.outcome FROM cafeteria.apply_sale_entries(:t, CAST(:e AS jsonb)) AS b ORDER BY 1"


def _run(sales: list[dict], first_seq: int = 1) -> str:
    """The batch function's argument: the entries as a terminal's sender sends them."""
    return "[" + ",".join(
        f'{{"id":"{p["sale_uuid"]}","seq":{n},"sha":"{payload_sha256("cafeteria.sale", canonical_json(p))}",'
        f'"payload":{canonical_json(p)}}}' for n, p in enumerate(sales, start=first_seq)) + "]"


def _batch(engine, sales: list[dict], terminal: str = "BATCH-AUDIT-1") -> list[dict]:
    with engine.begin() as c:
        return [r.outcome for r in c.execute(text(BATCH), {"t": terminal, "e": _run(sales)})]


def _deposit(kid, amount="5.00") -> dict:
    return sale(kid, kind="deposit", price=None, amount=amount, total=amount, account=amount, cash=amount,
                meal_service=None, lines=[{"line_no": 1, "entry_kind": "deposit", "item_id": None, "price": None,
                                           "amount": amount, "eligibility": None}])


def test_a_batch_of_sales_is_one_audit_entry_a_sale_with_its_lines_and_claims(
        login_engine, demo_engine, kids):  # noqa: F811
    a, b, d, e = kids[0], kids[1], kids[2], kids[7]
    before = {k: balance(demo_engine, k) for k in (a, b, d, e)}
    first, second = sale(a), sale(b)
    deposit = _deposit(d)
    # a student's lunch and a second meal in the same run: neither is alone, so both are re-derived
    e_first = sale(e)
    e_second = sale(e, price="4.25", amount="-4.25", entry_kind="second_meal")
    run = [first, deposit, second, e_first, e_second]
    assert _batch(login_engine("demo_cashier"), run) == [{"outcome": "new", "lines": 1}] * 5

    assert balance(demo_engine, a) == before[a] - Decimal("3.10")
    assert balance(demo_engine, d) == before[d] + Decimal("5.00")
    for p, kid in ((first, a), (second, b)):  # a clean first meal: one entry, its line and its claim
        trail = _entries(demo_engine, p)
        assert [(t.table_name, t.operation, t.user_id) for t in trail] == [("cafeteria.sales", "INSERT",
                                                                          "demo_cashier")], trail
        whole = trail[0].new_values
        assert whole["sale_uuid"] == p["sale_uuid"] and whole["student_usi"] == kid
        [line] = whole["lines"]
        assert (line["entry_kind"], line["price"], line["amount"]) == ("meal", 3.10, -3.10)
        assert Decimal(str(line["account_balance"])) == before[kid] - Decimal("3.10")  # the balance after it
        [claim] = whole["claims"]
        assert (claim["reimbursable"], claim["transaction_id"], claim["meal_service"]) == (
            True, line["transaction_id"], "lunch")
    trail = _entries(demo_engine, deposit)
    assert [(t.table_name, t.operation) for t in trail] == [("cafeteria.sales", "INSERT")]
    [line] = trail[0].new_values["lines"]
    assert line["entry_kind"] == "deposit" and Decimal(str(line["account_balance"])) == before[d] + Decimal("5.00")
    assert trail[0].new_values["claims"] == []

    # the re-derived meals: each sale's one entry has its line, and what rederive_meals wrote (the claims) is
    # audited row by row as it always was
    with demo_engine.connect() as c:
        claims = c.execute(text(
            "SELECT c.transaction_id, c.reimbursable, t.sale_uuid::text FROM cafeteria.meal_claims c "
            "JOIN cafeteria.meal_transactions t ON t.transaction_id = c.transaction_id "
            "WHERE t.sale_uuid IN (CAST(:x AS uuid), CAST(:y AS uuid)) ORDER BY 1"),
            {"x": e_first["sale_uuid"], "y": e_second["sale_uuid"]}).all()
    assert {(r.sale_uuid, r.reimbursable) for r in claims} == {(e_first["sale_uuid"], True),
                                                               (e_second["sale_uuid"], False)}
    for p in (e_first, e_second):
        trail = _entries(demo_engine, p)
        sales_entries = [t for t in trail if t.table_name == "cafeteria.sales"]
        assert len(sales_entries) == 1 and sales_entries[0].new_values["claims"] == []
        assert [ln["sale_uuid"] for ln in sales_entries[0].new_values["lines"]] == [p["sale_uuid"]]
        # no entry of its own for the line the batch wrote
        batch_line = sales_entries[0].new_values["lines"][0]["transaction_id"]
        assert not [t for t in trail if t.table_name == "cafeteria.meal_transactions" and t.operation == "INSERT"
                    and t.new_values.get("transaction_id") == batch_line]
        claim = next(r for r in claims if r.sale_uuid == p["sale_uuid"])
        assert [t.operation for t in trail if t.table_name == "cafeteria.meal_claims"
                and t.new_values.get("transaction_id") == claim.transaction_id][:1] == ["INSERT"]


def test_a_forged_list_in_the_audit_switch_hides_no_row(login_engine, demo_engine, kids):  # noqa: F811
    """A session that sets the switch to a list of sale ids (its own deposit's among them) before sending the deposit
    through the general path, or before a batch: every row is audited, row by row or as the batch's one entry."""
    cashier = login_engine("demo_cashier")
    lone = _deposit(kids[5], "2.00")
    with cashier.begin() as c:
        c.execute(text("SELECT set_config('cafeteria.audited_sale', :u, false)"),
                  {"u": f"{uuid.uuid4()},{lone['sale_uuid']},{uuid.uuid4()}"})
        assert c.execute(text(CALL), params(lone)).scalar()["outcome"] == "new"
    assert {("cafeteria.sales", "INSERT"), ("cafeteria.meal_transactions", "INSERT")} <= {
        (t.table_name, t.operation) for t in _entries(demo_engine, lone)}

    run = [_deposit(kids[5], "1.00"), _deposit(kids[6], "1.00")]
    with cashier.begin() as c:
        c.execute(text("SELECT set_config('cafeteria.audited_sale', :u, false)"),
                  {"u": ",".join(p["sale_uuid"] for p in run)})
        assert [r.outcome["outcome"] for r in c.execute(text(BATCH), {"t": "BATCH-AUDIT-2", "e": _run(run, 10)})] == [
            "new", "new"]
    for p in run:
        trail = _entries(demo_engine, p)
        assert [(t.table_name, t.operation) for t in trail] == [("cafeteria.sales", "INSERT")]
        assert len(trail[0].new_values["lines"]) == 1


def test_a_batch_of_more_than_256_entries_is_refused_before_anything_is_written(
        login_engine, demo_engine, kids):  # noqa: F811
    """The row audits look each new row's sale id up in the batch's list (0076), so a batch's work grows with the
    square of its size: a login sending thousands by hand is refused (a terminal's sender sends at most 64)."""
    run = [_deposit(kids[4], "0.50") for _ in range(257)]
    with demo_engine.connect() as c:
        before = c.execute(text("SELECT count(*) FROM cafeteria.sales WHERE student_usi = :s"), {"s": kids[4]}).scalar()
    with pytest.raises(Exception, match="a batch holds at most 256 journal entries"):
        _batch(login_engine("demo_cashier"), run)
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM cafeteria.sales WHERE student_usi = :s"),
                         {"s": kids[4]}).scalar() == before
    assert _batch(login_engine("demo_cashier"), run[:2], terminal="BATCH-AUDIT-3") == [{"outcome": "new", "lines": 1}] * 2
