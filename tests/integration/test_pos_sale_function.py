"""cafeteria.apply_sale_entry (migration 0031), the register's sale in one call, attacked the way a curious
staff member with psql would: only cafeteria staff may call it, only for the schools they serve, only
sales and deposits whose amounts add up (no account credited by a "sale", no balance written); a sale
applies once, a resend is acknowledged, another content under the same id is flagged; the meal is
classified as the full re-derivation would; and the compiled audit writes what the generic one writes."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.services.audit_trail import AuditFilter, export_csv
from app.sync.journal import canonical_json, payload_sha256
from tests.integration.test_security import denied
from tests.integration.test_security_attacks import owner_scalar, refused, students_at

pytestmark = pytest.mark.integration
RMS, RHS = 255950002, 255950003
CALL = "SELECT cafeteria.apply_sale_entry(CAST(:id AS uuid), :t, :seq, :sha, CAST(:p AS jsonb))"


@pytest.fixture(scope="module")
def kids(demo_engine):
    """Paid students of the cashier's school (a middle school: lunch $3.10, a second one $4.25) with an active meal
    account, none of them with a meal today: the sales below are priced as the register prices theirs."""
    mine = students_at(demo_engine, "demo_cashier")
    with demo_engine.connect() as c:
        rows = c.execute(text("SELECT p.student_usi FROM cafeteria.student_meal_plans p WHERE p.is_active "
                              "AND lower(coalesce(p.free_reduced_status, 'paid')) NOT IN ('free', 'reduced') "
                              "AND p.student_usi = ANY(:s) AND NOT EXISTS (SELECT 1 FROM cafeteria.meal_transactions t "
                              "WHERE t.student_usi = p.student_usi AND t.transaction_date = current_date) "
                              "ORDER BY p.student_usi DESC LIMIT 8"), {"s": sorted(mine)}).scalars().all()
    assert len(rows) == 8
    return rows


TILLS: dict[str, str] = {}  # login -> an open till of theirs (cash and checks go only into one, migration 0051)


@pytest.fixture(scope="module", autouse=True)
def cashier_till(login_engine):
    """An open till of demo_cashier's at RMS, named by every sale of this module that takes cash or a check."""
    till = str(uuid.uuid4())
    with login_engine("demo_cashier").begin() as c:
        c.execute(text("SELECT cafeteria.open_till(CAST(:t AS uuid), :s, 'TEST-TILL', 100, now())"),
                  {"t": till, "s": RMS})
    TILLS["demo_cashier"] = till
    yield till
    TILLS.pop("demo_cashier", None)


def sale(student, *, school=RMS, price="3.10", amount="-3.10", total=None, account=None, cash="0.00",
         kind="sale", entry_kind="meal", sold_at=None, **extra) -> dict:
    p = {"sale_uuid": str(uuid.uuid4()), "kind": kind, "school_id": school, "service_date": date.today().isoformat(),
         "meal_service": "lunch", "student_usi": student, "customer": "student", "till_id": None,
         "total": total or price, "account_amount": account or amount, "cash_amount": cash, "cash_tendered": cash,
         "change_given": "0.00", "check_amount": "0.00", "check_number": None, "snapshot_version": "test",
         "decided_balance": "10.00", "offline": False,
         "sold_at": (sold_at or datetime.now(timezone.utc)).isoformat(), "local_time": "11:45:00",
         "cashier": "demo_cashier", "needs_account": False,
         "lines": [{"line_no": 1, "entry_kind": entry_kind, "item_id": None, "price": price, "amount": amount,
                    "eligibility": "paid"}]}
    p.update(extra)
    if p["till_id"] is None and "till_id" not in extra and (Decimal(p["cash_amount"] or 0) != 0
                                                            or Decimal(p["check_amount"] or 0) != 0):
        p["till_id"] = TILLS.get(p["cashier"])
    return p


def params(p: dict, terminal="ATTACK-1", seq=1) -> dict:
    return {"id": p["sale_uuid"], "t": terminal, "seq": seq, "sha": payload_sha256("cafeteria.sale", canonical_json(p)),
            "p": canonical_json(p)}


def apply(engine, p: dict, **kw):
    with engine.begin() as c:
        return c.execute(text(CALL), params(p, **kw)).scalar()


def balance(demo_engine, student) -> Decimal:
    return owner_scalar(demo_engine, "SELECT account_balance FROM cafeteria.student_meal_plans "
                                     "WHERE student_usi = :s AND is_active", s=student)


def test_only_cafeteria_staff_may_call_it(login_engine, kids):
    for login in ("demo_teacher", "demo_front_office", "demo_nurse", "demo_librarian", "demo_dean",
                  "demo_transportation", "demo_registrar"):
        assert denied(login_engine(login), CALL, **params(sale(kids[0]))), login
    for login in ("demo_cashier", "demo_cafeteria_manager", "demo_admin"):
        with login_engine(login).connect() as c:
            assert c.execute(text("SELECT has_function_privilege('cafeteria.apply_sale_entry(uuid, text, bigint, "
                                  "text, jsonb)', 'EXECUTE')")).scalar(), login


def test_a_cashier_sells_only_for_the_schools_they_serve(login_engine, kids):
    cashier = login_engine("demo_cashier")
    assert refused(cashier, CALL, "which your sign-in does not serve", **params(sale(kids[0], school=RHS)))


FORGERIES = {
    "a sale that credits the account": dict(amount="20.00", account="20.00", price="0.00", total="0.00"),
    "a line paid past its price": dict(amount="-50.00", account="-50.00"),
    "a total that is not the lines' prices": dict(total="0.10", account="-0.10", amount="-0.10"),
    "an account part that is not the lines'": dict(account="-0.01"),
    "tenders that do not pay the total": dict(amount="0.00", account="0.00", cash="0.00"),
    "negative cash": dict(amount="0.00", account="0.00", cash="-3.10"),
    "a deposit with no money": dict(kind="deposit", entry_kind="deposit", price=None, amount="100.00",
                                    account="100.00", total="100.00"),
    "a deposit past the district's maximum": dict(kind="deposit", entry_kind="deposit", price=None,
                                                  amount="90000.00", account="90000.00", total="90000.00",
                                                  cash="90000.00"),
    "a line that is a reversal": dict(entry_kind="refund"),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_amounts_are_refused_and_nothing_is_written(login_engine, demo_engine, kids, forgery):
    p = sale(kids[1], **FORGERIES[forgery])
    if p["kind"] == "deposit":
        p["lines"][0]["price"] = None
    before = balance(demo_engine, kids[1])
    assert refused(login_engine("demo_cashier"), CALL, "do not add up", **params(p)), forgery
    with pytest.raises(Exception, match="do not add up"):
        apply(login_engine("demo_cashier"), p)
    assert balance(demo_engine, kids[1]) == before
    assert owner_scalar(demo_engine, "SELECT count(*) FROM sync.journal_receipts WHERE entry_id = :e",
                        e=p["sale_uuid"]) == 0


def test_reversals_and_false_overrides_are_refused(login_engine, kids):
    cashier = login_engine("demo_cashier")
    assert refused(cashier, CALL, "voids and refunds are made online by a manager",
                   **params(sale(kids[1], kind="void", reverses_sale_uuid=str(uuid.uuid4()))))
    for who in ("demo_cashier", "nobody_at_all"):
        assert refused(cashier, CALL, "approved by a cafeteria manager", **params(sale(kids[1], override_by=who)))
    assert refused(cashier, CALL, "carries its own sale id", **{**params(sale(kids[1])), "id": str(uuid.uuid4())})


def test_a_forged_balance_is_ignored_the_ledger_computes_it(login_engine, demo_engine, kids):
    before = balance(demo_engine, kids[2])
    p = sale(kids[2], account_balance="999.00", decided_balance="999.00")
    p["lines"][0]["account_balance"] = "999.00"
    assert apply(login_engine("demo_cashier"), p) == {"outcome": "new", "lines": 1}
    assert balance(demo_engine, kids[2]) == before - Decimal("3.10")
    assert owner_scalar(demo_engine, "SELECT account_balance FROM cafeteria.meal_transactions WHERE sale_uuid = :u",
                        u=p["sale_uuid"]) == before - Decimal("3.10")
    assert owner_scalar(demo_engine, "SELECT cashier FROM cafeteria.sales WHERE sale_uuid = :u",
                        u=p["sale_uuid"]) == "demo_cashier"


def test_a_sale_applies_once_a_resend_is_acknowledged_another_content_is_flagged(login_engine, demo_engine, kids):
    cashier = login_engine("demo_cashier")
    before = balance(demo_engine, kids[3])
    p = sale(kids[3])
    assert apply(cashier, p, seq=41) == {"outcome": "new", "lines": 1}
    assert apply(cashier, p, seq=41) == {"outcome": "applied"}
    other = {**p, "total": "0.40", "account_amount": "-0.40",
             "lines": [{**p["lines"][0], "price": "0.40", "amount": "-0.40"}]}
    assert apply(cashier, other, seq=41) == {"outcome": "conflict"}
    assert balance(demo_engine, kids[3]) == before - Decimal("3.10")
    assert owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.meal_transactions WHERE sale_uuid = :u",
                        u=p["sale_uuid"]) == 1
    assert owner_scalar(demo_engine, "SELECT reason FROM sync.journal_flags WHERE entry_id = :u",
                        u=p["sale_uuid"]) == "this entry id was already applied with another content"


def _claims(demo_engine, student):
    with demo_engine.connect() as c:
        return c.execute(text("SELECT s.sold_at, c.reimbursable FROM cafeteria.meal_claims c "
                              "JOIN cafeteria.meal_transactions t ON t.transaction_id = c.transaction_id "
                              "JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid WHERE c.student_usi = :s "
                              "AND c.service_date = current_date ORDER BY s.sold_at"), {"s": student}).all()


def test_the_first_meal_is_reimbursable_a_second_is_not_and_a_late_earlier_sale_takes_its_place(
        login_engine, demo_engine, kids):
    cashier, kid = login_engine("demo_cashier"), kids[4]
    noon = datetime.now(timezone.utc).replace(microsecond=0)
    apply(cashier, sale(kid, sold_at=noon))
    assert [c.reimbursable for c in _claims(demo_engine, kid)] == [True]
    apply(cashier, sale(kid, sold_at=noon + timedelta(minutes=5), entry_kind="second_meal"))
    assert [c.reimbursable for c in _claims(demo_engine, kid)] == [True, False]
    # another terminal's sale, sold before both, arrives late: it is the reimbursable one now
    apply(cashier, sale(kid, sold_at=noon - timedelta(minutes=5)), terminal="ATTACK-2")
    assert [c.reimbursable for c in _claims(demo_engine, kid)] == [True, False, False]
    # a deposit is no meal: no claim
    dep = sale(kid, kind="deposit", entry_kind="deposit", price=None, amount="5.00", account="5.00", total="5.00",
               cash="5.00", meal_service=None)
    assert apply(cashier, dep) == {"outcome": "new", "lines": 1}
    assert len(_claims(demo_engine, kid)) == 3


def _audited(demo_engine, p: dict) -> set:
    """The sale's audit entries: (table, operation, the row's key) for its header, ledger line, claim and balance."""
    with demo_engine.connect() as c:
        rows = c.execute(text(
            "SELECT table_name, operation, record_id FROM compliance.audit_logs "
            "WHERE \"timestamp\" > now() - interval '1 hour' AND user_id = 'demo_cashier' AND ("
            "(table_name = 'cafeteria.sales' AND record_id = :r) OR new_values->>'sale_uuid' = :u "
            "OR (table_name = 'cafeteria.student_meal_plans' AND new_values->>'student_usi' = :s) "
            "OR (table_name = 'cafeteria.meal_claims' AND new_values->>'student_usi' = :s))"),
            {"r": f'{{"sale_uuid": "{p["sale_uuid"]}"}}', "u": p["sale_uuid"], "s": str(p["student_usi"])}).all()
    return {(r.table_name, r.operation) for r in rows if r.record_id}


def test_a_sale_leaves_its_audit_rows(login_engine, demo_engine, kids):
    """A lone lunch sale is one entry holding its header, line and claim (0065), and so is each sale of a batch of
    two (0076; tests/integration/test_pos_batch_audit.py reads them whole); the balance's update is carried by the
    ledger line's entry (its balance after). Rows written any other way keep the row-level audit (0058)."""
    p = sale(kids[5])
    apply(login_engine("demo_cashier"), p)
    assert _audited(demo_engine, p) == {("cafeteria.sales", "INSERT")}
    one, two = sale(kids[0]), sale(kids[1])
    apply_batch(login_engine("demo_cashier"), one, two, terminal="ATTACK-AUDIT")
    assert _audited(demo_engine, one) == _audited(demo_engine, two) == {("cafeteria.sales", "INSERT")}
    with demo_engine.connect() as c:
        triggers = c.execute(text("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'audit_row' "
                                  "AND tgrelid::regclass::text LIKE 'cafeteria.%' ORDER BY 1")).scalars().all()
    assert triggers == ["cafeteria.meal_claims", "cafeteria.meal_transactions", "cafeteria.sales",
                        "cafeteria.student_meal_plans"]


def test_the_compiled_audit_writes_what_the_generic_one_writes(demo_engine):
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            for t in ("t_audit_generic", "t_audit_compiled"):
                c.execute(text(f"CREATE TABLE public.{t} (k integer PRIMARY KEY, v text, student_usi integer)"))
            c.execute(text("SELECT compliance.attach_audit('public.t_audit_generic')"))
            c.execute(text("SELECT compliance.attach_compiled_audit('public.t_audit_compiled')"))
            c.execute(text("SELECT set_config('school_office.app_user', 'clerk@riverbend', true), "
                           "set_config('school_office.workstation', 'WS-7', true)"))
            for t in ("t_audit_generic", "t_audit_compiled"):
                c.execute(text(f"INSERT INTO public.{t} VALUES (1, 'a', 10), (2, 'b', 11)"))
                c.execute(text(f"UPDATE public.{t} SET v = 'c' WHERE k = 1"))
                c.execute(text(f"UPDATE public.{t} SET k = 3 WHERE k = 2"))  # a key that changes
                c.execute(text(f"UPDATE public.{t} SET v = 'x' WHERE k = 99"))  # no row: no entry
                c.execute(text(f"DELETE FROM public.{t} WHERE k = 1"))
            logged = {t: c.execute(text(
                "SELECT user_id, application_user, workstation, record_id, operation, old_values, new_values, "
                "user_agent, data_categories FROM compliance.audit_logs WHERE table_name = :t ORDER BY id"),
                {"t": f"public.{t}"}).all() for t in ("t_audit_generic", "t_audit_compiled")}
            # what the audit trail shows (and exports): one line per changed row, whoever wrote the entries
            trail = {t: [r[2:5] + r[6:] for r in csv.reader(io.StringIO(
                export_csv(c, AuditFilter(table_name=f"public.{t}")).decode()))][1:]
                for t in ("t_audit_generic", "t_audit_compiled")}
            fn = c.execute(text("SELECT p.prosecdef, p.proconfig, has_function_privilege('so_cashier', p.oid, 'EXECUTE') "
                                "FROM pg_proc p WHERE p.oid = 'compliance.audit_public__t_audit_compiled'::regproc")).one()
        finally:
            tx.rollback()
    # the generic trigger writes one entry for the two-row insert (migration 0052), the compiled one two
    assert len(logged["t_audit_generic"]) == 5 and len(logged["t_audit_compiled"]) == 6
    assert logged["t_audit_compiled"][2:] == logged["t_audit_generic"][1:]  # single-row statements: the same
    assert len(trail["t_audit_generic"]) == 6  # 2 inserted, 1 updated, a changed key as 2, 1 deleted
    assert trail["t_audit_compiled"] == trail["t_audit_generic"]
    assert logged["t_audit_compiled"][0].application_user == "clerk@riverbend"
    assert fn.prosecdef and fn.proconfig == ["search_path=pg_catalog, pg_temp"] and fn[2] is False


# -- cafeteria.apply_sale_entries (migration 0041): a terminal's pending sales applied as one set -----------
BATCH = "SELECT entry_no, outcome FROM cafeteria.apply_sale_entries(:t, CAST(:entries AS jsonb))"


def batch_of(*payloads, terminal="ATTACK-B", first_seq=1) -> dict:
    return {"t": terminal, "entries": "[" + ",".join(
        f'{{"id":"{p["sale_uuid"]}","seq":{first_seq + i},"sha":"{payload_sha256("cafeteria.sale", canonical_json(p))}",'
        f'"payload":{canonical_json(p)}}}' for i, p in enumerate(payloads)) + "]"}


def apply_batch(engine, *payloads, **kw) -> list:
    with engine.begin() as c:
        return [r.outcome for r in c.execute(text(BATCH), batch_of(*payloads, **kw))]


def _written(demo_engine, payloads) -> int:
    ids = [p["sale_uuid"] for p in payloads]
    return owner_scalar(demo_engine, "SELECT (SELECT count(*) FROM sync.journal_receipts WHERE entry_id::text = ANY(:i)) "
                                     "+ (SELECT count(*) FROM cafeteria.sales WHERE sale_uuid::text = ANY(:i))", i=ids)


def test_only_cafeteria_staff_may_apply_a_batch(login_engine, kids):
    for login in ("demo_teacher", "demo_front_office", "demo_nurse", "demo_librarian", "demo_dean",
                  "demo_transportation", "demo_registrar"):
        assert denied(login_engine(login), BATCH, **batch_of(sale(kids[6]))), login
    assert refused(login_engine("demo_cashier"), BATCH, "which your sign-in does not serve",
                   **batch_of(sale(kids[6]), sale(kids[7], school=RHS)))


@pytest.mark.parametrize("forgery", ["a sale that credits the account", "a line that is a reversal",
                                     "a deposit past the district's maximum"])
def test_one_forged_entry_refuses_the_whole_batch_and_nothing_is_written(login_engine, demo_engine, kids, forgery):
    good, bad = sale(kids[6]), sale(kids[7], **FORGERIES[forgery])
    if bad["kind"] == "deposit":
        bad["lines"][0]["price"] = None
    before = balance(demo_engine, kids[6]), balance(demo_engine, kids[7])
    assert refused(login_engine("demo_cashier"), BATCH, "do not add up", **batch_of(good, bad))
    assert (balance(demo_engine, kids[6]), balance(demo_engine, kids[7])) == before
    assert _written(demo_engine, [good, bad]) == 0


def test_an_entry_twice_in_a_batch_or_an_entry_without_its_id_is_refused(login_engine, demo_engine, kids):
    cashier, p = login_engine("demo_cashier"), sale(kids[6])
    assert refused(cashier, BATCH, "appears twice", **batch_of(p, p))
    wrong = batch_of(p)
    wrong["entries"] = wrong["entries"].replace(f'"id":"{p["sale_uuid"]}"', f'"id":"{uuid.uuid4()}"')
    assert refused(cashier, BATCH, "carries its own sale id", **wrong)
    assert _written(demo_engine, [p]) == 0


def test_a_batch_applies_each_sale_once_and_classifies_meals_as_one_at_a_time_would(login_engine, demo_engine, kids):
    cashier, kid, other = login_engine("demo_cashier"), kids[6], kids[7]
    noon = datetime.now(timezone.utc).replace(microsecond=0)
    before = balance(demo_engine, kid), balance(demo_engine, other)
    first = sale(kid, sold_at=noon)
    second = sale(kid, sold_at=noon + timedelta(minutes=3), entry_kind="second_meal", price="4.25", amount="-4.25")
    lone = sale(other, sold_at=noon)
    dep = sale(other, kind="deposit", entry_kind="deposit", price=None, amount="5.00", account="5.00", total="5.00",
               cash="5.00", meal_service=None)
    assert apply_batch(cashier, first, second, lone, dep) == [{"outcome": "new", "lines": 1}] * 4
    assert [c.reimbursable for c in _claims(demo_engine, kid)] == [True, False]
    assert [c.reimbursable for c in _claims(demo_engine, other)] == [True]
    assert balance(demo_engine, kid) == before[0] - Decimal("7.35")
    assert balance(demo_engine, other) == before[1] - Decimal("3.10") + Decimal("5.00")
    # the terminal resends the batch (its reply was lost): acknowledged, nothing applied twice
    assert apply_batch(cashier, first, second, lone, dep) == [{"outcome": "applied"}] * 4
    assert balance(demo_engine, kid) == before[0] - Decimal("7.35")
    # a late sale of another terminal, sold before both, with a new one: the late one is the reimbursable one
    late, fresh = sale(kid, sold_at=noon - timedelta(minutes=5)), sale(kids[0])
    assert apply_batch(cashier, late, fresh, terminal="ATTACK-C") == [{"outcome": "new", "lines": 1}] * 2
    assert [c.reimbursable for c in _claims(demo_engine, kid)] == [True, False, False]
    # the same id with another content in a batch: flagged, the rest of the batch applies
    changed = {**lone, "total": "0.40", "account_amount": "-0.40",
               "lines": [{**lone["lines"][0], "price": "0.40", "amount": "-0.40"}]}
    assert apply_batch(cashier, changed, sale(kids[1]), terminal="ATTACK-C", first_seq=9) == [
        {"outcome": "conflict"}, {"outcome": "new", "lines": 1}]
    assert owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.meal_transactions WHERE sale_uuid = :u",
                        u=lone["sale_uuid"]) == 1


# -- review of session 6 (cafperf MEDIUM 1 and 3), migration 0049 -------------------------------------------
def test_the_ledger_names_the_login_that_applied_the_sale_never_the_payloads_cashier(login_engine, demo_engine, kids):
    cashier = login_engine("demo_cashier")
    alone, in_batch, other = (sale(kids[2], cashier="somebody_else"), sale(kids[3], cashier="somebody_else"),
                              sale(kids[4], cashier="somebody_else"))
    apply(cashier, alone)
    apply_batch(cashier, in_batch, other, terminal="ATTACK-D")
    for p in (alone, in_batch, other):
        assert owner_scalar(demo_engine, "SELECT string_agg(DISTINCT cashier_id, ',') FROM cafeteria.meal_transactions "
                                         "WHERE sale_uuid = :u", u=p["sale_uuid"]) == "demo_cashier"


def test_a_meal_is_claimed_at_the_students_own_eligibility_not_the_lines(login_engine, demo_engine):
    mine = students_at(demo_engine, "demo_cashier")
    with demo_engine.connect() as c:
        paid = c.execute(text("SELECT p.student_usi FROM cafeteria.student_meal_plans p WHERE p.is_active "
                              "AND lower(coalesce(p.free_reduced_status, 'paid')) NOT IN ('free', 'reduced') "
                              "AND p.student_usi = ANY(:s) AND NOT EXISTS (SELECT 1 FROM cafeteria.meal_transactions t "
                              "WHERE t.student_usi = p.student_usi AND t.transaction_date = current_date) "
                              "ORDER BY p.student_usi LIMIT 3"), {"s": sorted(mine)}).scalars().all()
    assert len(paid) == 3
    cashier = login_engine("demo_cashier")
    free_looking = [sale(s, price="0.00", amount="0.00", total="0.00", account="0.00") for s in paid]
    for p in free_looking:
        p["lines"][0]["eligibility"] = "free"
    apply(cashier, free_looking[0])
    apply_batch(cashier, *free_looking[1:], terminal="ATTACK-E")
    for p in free_looking:
        claim = owner_scalar(demo_engine, "SELECT c.eligibility || ':' || c.reimbursable FROM cafeteria.meal_claims c "
                                          "JOIN cafeteria.meal_transactions t ON t.transaction_id = c.transaction_id "
                                          "WHERE t.sale_uuid = :u", u=p["sale_uuid"])
        assert claim == "paid:true", p["student_usi"]


# -- review of session 6 (cafperf MEDIUM 2): the till check (migration 0051) holds for a batch too ----------
def test_cash_in_a_batch_goes_only_into_an_open_till(login_engine, demo_engine, kids):
    cashier = login_engine("demo_cashier")

    def cash_deposit(till):
        p = sale(kids[5], kind="deposit", entry_kind="deposit", price=None, amount="50.00", account="50.00",
                 total="50.00", cash="50.00", meal_service=None, till_id=till)
        p["lines"][0]["price"] = None
        return p

    closed = str(uuid.uuid4())
    with cashier.begin() as c:
        c.execute(text("SELECT cafeteria.open_till(CAST(:t AS uuid), :s, 'TEST-CLOSED', 0, now())"), {"t": closed, "s": RMS})
        c.execute(text("SELECT * FROM cafeteria.close_till(CAST(:t AS uuid), CAST('{}' AS jsonb), NULL)"), {"t": closed})
    before = balance(demo_engine, kids[5])
    for till in (None, closed):
        good, bad = sale(kids[6]), cash_deposit(till)
        assert refused(cashier, BATCH, "open till", **batch_of(good, bad)), till
        assert _written(demo_engine, [good, bad]) == 0
    assert balance(demo_engine, kids[5]) == before
