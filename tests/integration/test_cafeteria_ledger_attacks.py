"""Migration 0034, attacked the way a curious cashier or manager with psql would: nobody INSERTs a sale
or a ledger line directly any more (a cashier, a cafeteria manager, another school's manager, an
administrator); a manager's void, refund or NSF reversal goes through `cafeteria.apply_reversal`, which
builds the reversal from the original and refuses an over-refund, an NSF on a cash sale, another school's
sale, a missing reason and a cashier, writing nothing; and the real reversals still apply exactly once."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.security.demo_logins import DEMO_PASSWORD
from app.security.logins import create_staff_login
from app.services.cafeteria import manager as M
from tests.integration.test_pos_sale_function import apply as apply_sale
from tests.integration.test_pos_sale_function import balance
from tests.integration.test_pos_sale_function import cashier_till  # noqa: F401 (autouse: cash goes into it)
from tests.integration.test_pos_sale_function import sale as pos_sale
from tests.integration.test_security import denied
from tests.integration.test_security_attacks import owner_scalar, refused, students_at

pytestmark = pytest.mark.integration
RMS, RHS = 255950002, 255950003
REVERSE = ("SELECT cafeteria.apply_reversal(CAST(:r AS uuid), :k, CAST(:s AS uuid), :why, CAST(:amount AS numeric), "
           ":to)")
SALE_SQL = ("INSERT INTO cafeteria.sales (sale_uuid, kind, terminal_id, terminal_seq, school_id, service_date, "
            "student_usi, total, account_amount, sold_at) VALUES (gen_random_uuid(), 'sale', 'T', 1, :school, "
            "current_date, :s, 0.01, 50, now())")
LINE_SQL = ("INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, "
            "amount, sale_uuid, line_no, entry_kind, school_id, price) VALUES (:s, current_date, '11:30', 'Lunch', "
            "50, CAST(:u AS uuid), 9, 'refund', :school, 0)")
RHS_MANAGER = "t_rhs_cafeteria_manager"


def sale(student, **kw) -> dict:
    """A register's sale of an a la carte item (no meal: the other modules' lunches are not re-billed)."""
    return pos_sale(student, **{"entry_kind": "item", "meal_service": None, **kw})


@pytest.fixture(scope="module")
def rhs_manager(demo_engine, login_engine):
    """A cafeteria manager of the other school (a staff member there and not at RMS)."""
    with demo_engine.begin() as c:
        staff = c.execute(text("SELECT w.staffusi FROM edfi.staffschoolassociation w JOIN edfi.staff st "
                               "ON st.staffusi = w.staffusi WHERE w.schoolid = :h "
                               "AND NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = st.loginid) "
                               "AND NOT EXISTS (SELECT 1 FROM edfi.staffschoolassociation o "
                               "WHERE o.staffusi = w.staffusi AND o.schoolid = :m) ORDER BY 1 LIMIT 1"),
                          {"h": RHS, "m": RMS}).scalar()
        create_staff_login(c, RHS_MANAGER, DEMO_PASSWORD, staff, ("so_cafeteria_manager",))
    return login_engine(RHS_MANAGER)


def _kids_at(demo_engine, school: int, n: int) -> list[int]:
    with demo_engine.connect() as c:
        return c.execute(text(
            "SELECT p.student_usi FROM cafeteria.student_meal_plans p JOIN edfi.studentschoolassociation a "
            "ON a.studentusi = p.student_usi AND a.schoolid = :sch WHERE p.is_active AND NOT EXISTS "
            "(SELECT 1 FROM cafeteria.meal_transactions t WHERE t.student_usi = p.student_usi "
            "AND t.transaction_date = current_date) GROUP BY p.student_usi ORDER BY p.student_usi LIMIT :n"),
            {"sch": school, "n": n}).scalars().all()


@pytest.fixture(scope="module")
def rms_kids(demo_engine):
    kids = [k for k in _kids_at(demo_engine, RMS, 12) if k in students_at(demo_engine, "demo_cafeteria_manager")]
    assert len(kids) >= 4
    return kids


def reverse(engine, kind, sale_id, why="wrong student", amount=None, to="account", request=None):
    with engine.begin() as c:
        return c.execute(text(REVERSE), {"r": request or str(uuid.uuid4()), "k": kind, "s": sale_id, "why": why,
                                         "amount": amount, "to": to}).scalar()


def reversals_of(demo_engine, *sale_ids) -> int:
    return owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.sales WHERE reverses_sale_uuid = ANY("
                        "CAST(:u AS uuid[]))", u=list(sale_ids))


def ledger_total(demo_engine, student) -> Decimal:
    return owner_scalar(demo_engine, "SELECT coalesce(sum(amount), 0) FROM cafeteria.meal_transactions "
                        "WHERE student_usi = :s", s=student)


def test_no_login_inserts_a_sale_or_a_ledger_line_directly(login_engine, demo_engine, rhs_manager, rms_kids):
    kid = rms_kids[0]
    p = sale(kid)
    assert apply_sale(login_engine("demo_cashier"), p, terminal="LEDGER-ATTACK")["outcome"] == "new"
    before, sales = balance(demo_engine, kid), owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.sales")
    for engine in (login_engine("demo_cashier"), login_engine("demo_cafeteria_manager"), rhs_manager,
                   login_engine("demo_admin")):
        for school in (RMS, RHS):
            assert denied(engine, SALE_SQL, school=school, s=kid)
            # a credit "line" on an existing sale of the cashier's own site
            assert denied(engine, LINE_SQL, s=kid, u=p["sale_uuid"], school=school)
    for role in ("so_cashier", "so_cafeteria_manager", "so_admin"):
        for table in ("cafeteria.sales", "cafeteria.meal_transactions"):
            for priv in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                assert not owner_scalar(demo_engine, "SELECT has_table_privilege(:r, :t, :p)", r=role, t=table,
                                        p=priv), (role, table, priv)
    assert balance(demo_engine, kid) == before
    assert owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.sales") == sales


def test_forged_reversals_are_refused_and_write_nothing(login_engine, demo_engine, rhs_manager, rms_kids):
    cashier, manager = login_engine("demo_cashier"), login_engine("demo_cafeteria_manager")
    kid, payer = rms_kids[1], rms_kids[2]
    cash = sale(kid, amount="0.00", account="0.00", cash="3.10")  # paid in cash
    on_account = sale(payer)
    check = sale(payer, kind="deposit", meal_service=None, price=None, amount="20.00", total="20.00",
                 account="20.00", cash="0.00", check_amount="20.00", check_number="1001", entry_kind="deposit")
    cash_deposit = sale(payer, kind="deposit", meal_service=None, price=None, amount="5.00", total="5.00",
                        account="5.00", cash="5.00", entry_kind="deposit")
    for seq, p in enumerate((cash, on_account, check, cash_deposit), 1):
        assert apply_sale(cashier, p, terminal="LEDGER-FORGE", seq=seq)["outcome"] == "new"
    rhs_kid = _kids_at(demo_engine, RHS, 1)[0]
    theirs = sale(rhs_kid, school=RHS)
    assert apply_sale(login_engine("demo_admin"), theirs, terminal="LEDGER-RHS")["outcome"] == "new"
    ids = [p["sale_uuid"] for p in (cash, on_account, check, cash_deposit, theirs)]
    balances = {s: balance(demo_engine, s) for s in (kid, payer, rhs_kid)}

    attempts = [
        (manager, "refund", on_account["sale_uuid"], "cookie was stale", "3.11", "larger than what is left"),
        (manager, "refund", on_account["sale_uuid"], "cookie was stale", "-1.00", "more than $0.00"),
        (manager, "nsf", cash["sale_uuid"], "check bounced", None, "deposit paid by check"),
        (manager, "nsf", cash_deposit["sale_uuid"], "check bounced", None, "deposit paid by check"),
        (manager, "void", theirs["sale_uuid"], "wrong student", None, "not among your schools"),
        (manager, "refund", theirs["sale_uuid"], "wrong student", "1.00", "not among your schools"),
        (rhs_manager, "void", on_account["sale_uuid"], "wrong student", None, "not among your schools"),
        (rhs_manager, "nsf", check["sale_uuid"], "check bounced", None, "not among your schools"),
        (manager, "void", on_account["sale_uuid"], "", None, "reason"),
        (manager, "nsf", check["sale_uuid"], "   ", None, "reason"),
        (manager, "refund", on_account["sale_uuid"], None, "1.00", "reason"),
        (manager, "adjustment", on_account["sale_uuid"], "free money", None, "void, refund or nsf"),
        (cashier, "void", on_account["sale_uuid"], "wrong student", None, "permission denied"),
        (cashier, "refund", cash["sale_uuid"], "stale", "1.00", "permission denied"),
    ]
    for engine, kind, sid, why, amount, match in attempts:
        assert refused(engine, REVERSE, match, r=str(uuid.uuid4()), k=kind, s=sid, why=why, amount=amount,
                       to="account"), (kind, why, amount, match)
    # the service says the same in one sentence
    with pytest.raises(UserError, match="larger than what is left of this sale"):
        M.refund_sale(manager, on_account["sale_uuid"], "9.99", "stale", str(uuid.uuid4()))
    with pytest.raises(UserError, match="Only a deposit paid by check"):
        M.nsf_reversal(manager, cash["sale_uuid"], "bounced", str(uuid.uuid4()))
    with pytest.raises(UserError, match="not among your schools"):
        M.void_sale(manager, theirs["sale_uuid"], "wrong student", str(uuid.uuid4()))
    # nothing written
    assert reversals_of(demo_engine, *ids) == 0
    assert {s: balance(demo_engine, s) for s in balances} == balances


def test_real_reversals_apply_once_and_keep_the_balance_equal_to_the_ledger(login_engine, demo_engine, rms_kids):
    cashier, manager = login_engine("demo_cashier"), login_engine("demo_cafeteria_manager")
    kid = rms_kids[3]
    bought = sale(kid, price="3.10", amount="-3.10")
    check = sale(kid, kind="deposit", meal_service=None, price=None, amount="20.00", total="20.00",
                 account="20.00", cash="0.00", check_amount="20.00", check_number="1002", entry_kind="deposit")
    for seq, p in enumerate((bought, check), 1):
        assert apply_sale(cashier, p, terminal="LEDGER-REAL", seq=seq)["outcome"] == "new"
    start = balance(demo_engine, kid)

    rid = str(uuid.uuid4())
    assert reverse(manager, "refund", bought["sale_uuid"], amount="1.00", request=rid) == "new"
    assert reverse(manager, "refund", bought["sale_uuid"], amount="1.00", request=rid) == "applied"  # resubmit
    assert balance(demo_engine, kid) == start + Decimal("1.00")
    # the same request id cannot be reused for another sale
    assert refused(manager, REVERSE, "request id was used for another sale", r=rid, k="nsf", s=check["sale_uuid"],
                   why="bounced", amount=None, to="account")
    # what is left is 2.10: no more; no void once partly refunded
    assert refused(manager, REVERSE, "larger than what is left", r=str(uuid.uuid4()), k="refund",
                   s=bought["sale_uuid"], why="again", amount="2.11", to="account")
    assert refused(manager, REVERSE, "refunded already", r=str(uuid.uuid4()), k="void", s=bought["sale_uuid"],
                   why="again", amount=None, to="account")
    assert reverse(manager, "refund", bought["sale_uuid"], amount="2.10") == "new"
    assert balance(demo_engine, kid) == start + Decimal("3.10")

    nsf = str(uuid.uuid4())
    M.nsf_reversal(manager, check["sale_uuid"], "returned unpaid", nsf)
    M.nsf_reversal(manager, check["sale_uuid"], "returned unpaid", nsf)  # a repeated submit: once
    with pytest.raises(UserError, match="already been voided"):
        M.nsf_reversal(manager, check["sale_uuid"], "returned unpaid", str(uuid.uuid4()))
    assert balance(demo_engine, kid) == start + Decimal("3.10") - Decimal("20.00")
    assert reversals_of(demo_engine, bought["sale_uuid"], check["sale_uuid"]) == 3
    assert owner_scalar(demo_engine, "SELECT array_agg(DISTINCT cashier) FROM cafeteria.sales WHERE "
                        "reverses_sale_uuid = ANY(CAST(:u AS uuid[]))",
                        u=[bought["sale_uuid"], check["sale_uuid"]]) == ["demo_cafeteria_manager"]
    assert balance(demo_engine, kid) == ledger_total(demo_engine, kid)
