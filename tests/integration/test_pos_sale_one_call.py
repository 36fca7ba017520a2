"""The lunch line's sale (one student, one meal) in one checked call with ONE audit entry (migration 0065),
checked the way the people who read it would: the audit trail and the manager's list still show the sale's line,
who rang it and when; logins that must not sell are refused, a cashier sells only for her school, nobody calls
the general path directly, and a session's own SET of the audit switch hides nothing."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD
from app.security.logins import create_staff_login
from app.services.audit_trail import AuditFilter, export_csv, list_audit
from app.services.cafeteria import manager
from tests.integration.test_pos_sale_function import CALL, RHS, RMS, apply, balance, params, sale
from tests.integration.test_pos_sale_function import cashier_till, kids  # noqa: F401 - fixtures
from tests.integration.test_security import denied
from tests.integration.test_security_attacks import refused

pytestmark = pytest.mark.integration
ANY = "SELECT cafeteria.apply_any_sale_entry(CAST(:id AS uuid), :t, :seq, :sha, CAST(:p AS jsonb))"
RHS_CASHIER = "t_rhs_cashier"


@pytest.fixture(scope="module")
def rhs_cashier(demo_engine, login_engine):
    """A cashier of the other school (a staff member there and not at RMS)."""
    with demo_engine.begin() as c:
        staff = c.execute(text("SELECT w.staffusi FROM edfi.staffschoolassociation w JOIN edfi.staff st "
                               "ON st.staffusi = w.staffusi WHERE w.schoolid = :h "
                               "AND NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = st.loginid) "
                               "AND NOT EXISTS (SELECT 1 FROM edfi.staffschoolassociation o "
                               "WHERE o.staffusi = w.staffusi AND o.schoolid = :m) ORDER BY 1 LIMIT 1"),
                          {"h": RHS, "m": RMS}).scalar()
        create_staff_login(c, RHS_CASHIER, DEMO_PASSWORD, staff, ("so_cashier",))
    return login_engine(RHS_CASHIER)


def _entries(demo_engine, p: dict) -> list:
    """Every audit entry naming the sale, its ledger line or its claim (by its sale id or its line's id)."""
    with demo_engine.connect() as c:
        tx = c.execute(text("SELECT transaction_id FROM cafeteria.meal_transactions WHERE sale_uuid = :u"),
                       {"u": p["sale_uuid"]}).scalars().all()
        return c.execute(text(
            "SELECT table_name, operation, user_id, \"timestamp\", record_id, new_values FROM compliance.audit_logs "
            "WHERE \"timestamp\" > now() - interval '1 hour' AND (record_id LIKE '%' || :u || '%' "
            "OR new_values->>'sale_uuid' = :u OR (new_values->>'transaction_id')::bigint = ANY(:tx)) ORDER BY id"),
            {"u": p["sale_uuid"], "tx": tx}).all()


def test_a_lunch_sale_is_one_audit_entry_that_the_trail_and_the_managers_list_show_whole(
        login_engine, demo_engine, kids):  # noqa: F811
    kid = kids[3]
    before = balance(demo_engine, kid)
    p = sale(kid)
    assert apply(login_engine("demo_cashier"), p) == {"outcome": "new", "lines": 1}
    assert balance(demo_engine, kid) == before - Decimal("3.10")
    entries = _entries(demo_engine, p)
    # one entry for the sale (before 0065: four, the header, the line, the claim and the balance's update)
    assert [(e.table_name, e.operation, e.user_id) for e in entries] == [("cafeteria.sales", "INSERT", "demo_cashier")]
    whole = entries[0].new_values
    assert whole["sale_uuid"] == p["sale_uuid"] and whole["cashier"] == "demo_cashier"
    [line] = whole["lines"]
    assert (line["entry_kind"], line["price"], line["amount"], line["eligibility"]) == ("meal", 3.10, -3.10, "paid")
    assert Decimal(str(line["account_balance"])) == before - Decimal("3.10")  # the balance after the line
    assert line["recorded_by"] == "demo_cashier"
    [claim] = whole["claims"]
    assert (claim["reimbursable"], claim["eligibility"], claim["meal_service"]) == (True, "paid", "lunch")
    with demo_engine.connect() as c:  # the balance's update is no entry of its own: the line carries it
        assert c.execute(text("SELECT count(*) FROM compliance.audit_logs WHERE \"timestamp\" >= :t "
                              "AND table_name = 'cafeteria.student_meal_plans' AND new_values->>'student_usi' = :s"),
                         {"t": entries[0].timestamp, "s": str(kid)}).scalar() == 0

    # the administrator's audit trail, filtered by the student: the sale, who rang it and when, and its line
    sid = _uid(demo_engine, kid)
    with login_engine("demo_admin").connect() as c:
        shown = [e for e in list_audit(c, AuditFilter(student_unique_id=sid)) if p["sale_uuid"] in (e.record_id or "")]
        exported = list(csv.DictReader(io.StringIO(export_csv(c, AuditFilter(student_unique_id=sid)).decode())))
    assert [(e.table_name, e.operation, e.user_id) for e in shown] == [("cafeteria.sales", "INSERT", "demo_cashier")]
    assert shown[0].timestamp == entries[0].timestamp
    row = next(r for r in exported if p["sale_uuid"] in r["record"])
    assert row["database_user"] == "demo_cashier"
    exported_line = json.loads(row["new_values"])["lines"][0]
    assert (exported_line["price"], exported_line["amount"], exported_line["meal_type"]) == (3.10, -3.10, "Lunch")

    # the manager's list of the day's sales: the sale with its item and amount, as for every sale
    listed = [r for r in manager.recent_sales(login_engine("demo_cafeteria_manager"), school_id=RMS, day=date.today())
              if r.sale_id == p["sale_uuid"]]
    assert len(listed) == 1 and listed[0].amount == Decimal("3.10") and listed[0].kind == "sale"


def _uid(demo_engine, usi: int) -> str:
    with demo_engine.connect() as c:
        return c.execute(text("SELECT studentuniqueid FROM edfi.student WHERE studentusi = :s"), {"s": usi}).scalar()


def test_only_a_cashier_sells_only_for_her_school_and_nobody_calls_the_general_path(
        login_engine, demo_engine, kids, rhs_cashier):  # noqa: F811
    p = sale(kids[4])
    for login in ("demo_teacher", "demo_nurse", "demo_librarian", "demo_front_office", "demo_registrar"):
        assert denied(login_engine(login), CALL, **params(p)), login
    # another school's cashier ringing up a sale at RMS, and the RMS cashier at the other school: refused
    assert refused(rhs_cashier, CALL, "which your sign-in does not serve", **params(p))
    assert refused(login_engine("demo_cashier"), CALL, "which your sign-in does not serve",
                   **params(sale(kids[4], school=RHS)))
    # at her own register, the other school's cashier serves an RMS student as a visiting student
    visiting = sale(kids[5], school=RHS, cashier=RHS_CASHIER)
    assert apply(rhs_cashier, visiting) == {"outcome": "new", "lines": 1}
    assert ("cafeteria.sales", "INSERT", RHS_CASHIER) == tuple(_entries(demo_engine, visiting)[0][:3])
    # the general path is called by the function only
    for login in ("demo_cashier", "demo_cafeteria_manager", "demo_admin", "demo_teacher"):
        assert denied(login_engine(login), ANY, **params(p)), login
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM cafeteria.sales WHERE sale_uuid = CAST(:u AS uuid)"),
                         {"u": p["sale_uuid"]}).scalar() == 0


def test_a_sessions_own_set_of_the_audit_switch_hides_no_row(login_engine, demo_engine, kids):  # noqa: F811
    """The switch that lets the lone-meal sale audit its rows as one entry is pinned off in every other writer: a
    deposit (the general path) sent under a forged switch is audited row by row, and a manager's update of a meal
    account under it is audited too."""
    cashier = login_engine("demo_cashier")
    deposit = sale(kids[6], kind="deposit", price=None, amount="5.00", total="5.00", account="5.00", cash="5.00",
                   meal_service=None, lines=[{"line_no": 1, "entry_kind": "deposit", "item_id": None, "price": None,
                                              "amount": "5.00", "eligibility": None}])
    with cashier.begin() as c:
        c.execute(text("SELECT set_config('cafeteria.audited_sale', :u, false)"), {"u": deposit["sale_uuid"]})
        assert c.execute(text(CALL), params(deposit)).scalar()["outcome"] == "new"
    assert ("cafeteria.meal_transactions", "INSERT") in {(e.table_name, e.operation)
                                                          for e in _entries(demo_engine, deposit)}
    with login_engine("demo_cafeteria_manager").begin() as c:
        c.execute(text("SELECT set_config('cafeteria.audited_sale', :u, false)"), {"u": str(uuid.uuid4())})
        c.execute(text("UPDATE cafeteria.student_meal_plans SET free_reduced_status = free_reduced_status "
                       "WHERE student_usi = :s AND is_active"), {"s": kids[6]})
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM compliance.audit_logs WHERE \"timestamp\" > now() - interval "
                              "'1 minute' AND table_name = 'cafeteria.student_meal_plans' AND operation = 'UPDATE' "
                              "AND user_id = 'demo_cafeteria_manager' AND new_values->>'student_usi' = :s"),
                         {"s": str(kids[6])}).scalar() == 1
        # every function that writes the sale's tables is the lone-meal sale or has the switch pinned off
        loose = c.execute(text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prosrc ~* "
            "'(insert\\s+into|update|delete\\s+from)\\s+cafeteria\\.(sales|meal_transactions|meal_claims)\\M' "
            "AND NOT coalesce('cafeteria.audited_sale=' = ANY(p.proconfig), false)")).scalars().all()
    assert loose == []
