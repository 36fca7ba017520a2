"""The cafeteria's boundary in the database (migration 0013), attempted the way a curious staff member
with psql would: an append-only ledger written only through the checked functions (0031, 0034; the
attacks on them: test_pos_sale_function.py, test_cafeteria_ledger_attacks.py), a balance no client
writes, each role's rows and nothing more; and the balance kept right under concurrent terminals."""

from __future__ import annotations

import threading
from decimal import Decimal
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.test_pos_sale_function import apply as apply_sale
from tests.integration.test_pos_sale_function import sale as pos_sale
from tests.integration.test_security import denied, run, scalar
from tests.integration.test_security_attacks import foreign_student, owner_scalar, students_at

pytestmark = pytest.mark.integration
RMS, RHS = 255950002, 255950003


@pytest.fixture(scope="module")
def rms_student(demo_engine):
    return sorted(students_at(demo_engine, "demo_cashier"))[0]


def balance(demo_engine, student):
    return owner_scalar(demo_engine, "SELECT account_balance FROM cafeteria.student_meal_plans "
                                     "WHERE student_usi = :s AND is_active", s=student)


def test_a_sale_moves_the_balance_in_the_same_transaction_and_the_ledger_is_append_only(login_engine, demo_engine,
                                                                                        rms_student):
    cashier = login_engine("demo_cashier")
    before = balance(demo_engine, rms_student)
    p = pos_sale(rms_student, entry_kind="item", meal_service=None)  # no meal: nobody else's lunch re-billed
    u = p["sale_uuid"]
    assert apply_sale(cashier, p)["outcome"] == "new"  # the register's one way in (0031; no direct INSERT, 0034)
    assert balance(demo_engine, rms_student) == before - Decimal("3.10")
    line = owner_scalar(demo_engine, "SELECT account_balance FROM cafeteria.meal_transactions WHERE sale_uuid = :u",
                        u=u)
    assert line == before - Decimal("3.10")  # the balance after, written by the trigger
    for sql in ("UPDATE cafeteria.meal_transactions SET amount = 0 WHERE sale_uuid = CAST(:u AS uuid)",
                "DELETE FROM cafeteria.meal_transactions WHERE sale_uuid = CAST(:u AS uuid)",
                "UPDATE cafeteria.sales SET total = 0 WHERE sale_uuid = CAST(:u AS uuid)",
                "DELETE FROM cafeteria.sales WHERE sale_uuid = CAST(:u AS uuid)",
                "TRUNCATE cafeteria.meal_transactions", "TRUNCATE cafeteria.sales"):
        for login in ("demo_cashier", "demo_cafeteria_manager", "demo_admin"):
            assert denied(login_engine(login), sql, u=u), (login, sql)
        if not sql.startswith("TRUNCATE"):  # the owner too: the trigger refuses
            with pytest.raises(DBAPIError, match="append-only"), demo_engine.begin() as c:
                c.execute(text(sql), {"u": u})
    # the same sale UUID applies once: a resend is acknowledged and writes nothing
    assert apply_sale(cashier, p)["outcome"] == "applied"
    assert balance(demo_engine, rms_student) == before - Decimal("3.10")


def test_no_application_role_writes_a_balance_or_an_account(login_engine, rms_student):
    for login in ("demo_cashier", "demo_cafeteria_manager", "demo_front_office", "demo_admin"):
        e = login_engine(login)
        assert denied(e, "UPDATE cafeteria.student_meal_plans SET account_balance = 1000 WHERE student_usi = :s",
                      s=rms_student), login
    assert denied(login_engine("demo_cashier"), "INSERT INTO cafeteria.student_meal_plans (student_usi, meal_plan_id, "
                  "effective_date, account_balance) VALUES (:s, 1, current_date, 500)", s=rms_student)
    assert denied(login_engine("demo_cashier"), "UPDATE cafeteria.student_meal_plans SET free_reduced_status = 'Free'")
    # the manager changes eligibility, never the balance
    assert run(login_engine("demo_cafeteria_manager"), "UPDATE cafeteria.student_meal_plans SET free_reduced_status "
               "= 'Reduced' WHERE student_usi = :s", s=rms_student) == 1


def test_who_reads_what(login_engine, demo_engine):
    for login in ("demo_teacher", "demo_front_office", "demo_nurse", "demo_librarian", "demo_dean",
                  "demo_transportation", "demo_registrar"):
        e = login_engine(login)
        for t in ("sales", "meal_transactions", "meal_claims", "tills", "charge_overrides", "balance_notices",
                  "student_meal_plans", "menu_items", "meal_prices"):
            assert denied(e, f"SELECT * FROM cafeteria.{t} LIMIT 1"), (login, t)
        assert denied(e, "SELECT cafeteria.visiting_eligibility(1)")
        assert denied(e, "SELECT cafeteria.rederive_meals(1, current_date, 'lunch')")
    cashier, manager = login_engine("demo_cashier"), login_engine("demo_cafeteria_manager")
    # the cashier's screen never shows history: only today's lines of their school
    assert scalar(cashier, "SELECT count(*) FROM cafeteria.meal_transactions WHERE transaction_date < current_date") == 0
    assert scalar(manager, "SELECT count(*) FROM cafeteria.meal_transactions WHERE transaction_date < current_date") > 0
    outsider = foreign_student(demo_engine, "demo_cafeteria_manager")
    assert scalar(manager, "SELECT count(*) FROM cafeteria.meal_transactions WHERE student_usi = :s", s=outsider) == 0
    # settings, menus and prices: read by the register, written only by managers (their own schools)
    for sql in ("UPDATE cafeteria.menu_items SET a_la_carte_price = 0", "DELETE FROM cafeteria.meal_prices",
                "UPDATE cafeteria.charge_policies SET meal_charge_limit = 999",
                "UPDATE cafeteria.site_settings SET cep = true", "INSERT INTO cafeteria.meal_claims (transaction_id, "
                "student_usi, school_id, service_date, meal_service, eligibility, reimbursable) VALUES (1, 1, 1, "
                "current_date, 'lunch', 'paid', true)", "UPDATE cafeteria.tills SET over_short = 0",
                "UPDATE sync.journal_flags SET reason = ''"):
        assert denied(cashier, sql), sql
    assert run(manager, "UPDATE cafeteria.site_settings SET cep = false WHERE school_id = :s", s=RMS) == 1
    assert run(manager, "UPDATE cafeteria.site_settings SET cep = false WHERE school_id = :s", s=RHS) == 0
    assert run(manager, "UPDATE cafeteria.menu_items SET a_la_carte_price = 0.65 WHERE code = 'A100'") == 1


def test_privileged_cafeteria_functions(login_engine, demo_engine, rms_student):
    cashier, librarian = login_engine("demo_cashier"), login_engine("demo_librarian")
    assert denied(librarian, "SELECT cafeteria.open_account(:s)", s=rms_student)
    assert denied(cashier, "SELECT cafeteria.finalize_till(gen_random_uuid())")
    assert denied(cashier, "SELECT cafeteria.keep_account_balance()")
    visitor = foreign_student(demo_engine, "demo_cashier")
    with cashier.begin() as c:
        assert c.execute(text("SELECT cafeteria.visiting_eligibility(:s)"), {"s": visitor}).scalar() in (
            "free", "reduced", "paid")
    logged = scalar(login_engine("demo_admin"), "SELECT count(*) FROM compliance.audit_logs WHERE user_id = "
                    "'demo_cashier' AND table_name = 'cafeteria.student_meal_plans' AND operation = 'LOOKUP'")
    assert logged >= 1


def test_concurrent_terminals_never_lose_a_balance_update(login_engine, demo_engine, rms_student):
    cashier = login_engine("demo_cashier")
    before = balance(demo_engine, rms_student)
    per_thread, threads = 15, 4
    errors = []

    def ring():
        try:
            terminal = f"LEDGER-{uuid.uuid4().hex[:8]}"
            for seq in range(1, per_thread + 1):
                p = pos_sale(rms_student, price="0.25", amount="-0.25", entry_kind="item", meal_service=None)
                assert apply_sale(cashier, p, terminal=terminal, seq=seq)["outcome"] == "new"
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    ts = [threading.Thread(target=ring) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []

    assert balance(demo_engine, rms_student) == before - Decimal("0.25") * per_thread * threads
    # ... and every account equals the sum of its ledger (the demo's history included)
    wrong = owner_scalar(demo_engine, """
        SELECT count(*) FROM cafeteria.student_meal_plans p
         WHERE p.is_active AND p.account_balance <> (SELECT coalesce(sum(t.amount), 0)
                                                      FROM cafeteria.meal_transactions t
                                                     WHERE t.student_usi = p.student_usi)""")
    assert wrong == 0
