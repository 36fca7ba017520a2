"""Every till write goes through a checked function (migrations 0020, 0042), attacked the way a curious
cashier with psql would: nobody INSERTs or UPDATEs a till; `cafeteria.open_till` opens a till only for
the caller, at a school the caller serves, with a sane starting cash and opening time, once per till id; a cashier counts (closes) only her own till; only a manager of
the till's school, not its cashier, finalizes it; a sale goes only into its own cashier's till."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from tests.integration.test_cafeteria_manager_scope import make_login
from tests.integration.test_pos_sale_function import CALL, params
from tests.integration.test_pos_sale_function import sale as pos_sale
from tests.integration.test_security import denied, scalar
from tests.integration.test_security_attacks import owner_scalar, refused, students_at

pytestmark = pytest.mark.integration
RMS, RHS = 255950002, 255950003
OPEN = ("SELECT cafeteria.open_till(CAST(:t AS uuid), :s, :term, CAST(:cash AS numeric), "
        "CAST(:at AS timestamptz))")
CLOSE = "SELECT * FROM cafeteria.close_till(CAST(:t AS uuid), CAST(:c AS jsonb), :n)"
FINALIZE = "SELECT cafeteria.finalize_till(CAST(:t AS uuid))"


@pytest.fixture(scope="module")
def second_cashier(demo_engine, login_engine):
    """Another cashier at the same school as demo_cashier."""
    return make_login(demo_engine, login_engine, "t_rms_cashier2", RMS, RHS, ("so_cashier",))


@pytest.fixture(scope="module")
def rhs_manager(demo_engine, login_engine):
    return make_login(demo_engine, login_engine, "t_rhs_cafmgr", RHS, RMS, ("so_cafeteria_manager",))


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def open_till(engine, *, till=None, school=RMS, terminal=None, cash="50.00", at=None):
    till = till or str(uuid.uuid4())
    with engine.begin() as c:
        out = c.execute(text(OPEN), {"t": till, "s": school, "term": terminal or f"TILL-{till[:8]}", "cash": cash,
                                     "at": at or now()}).scalar()
    return till, out


def call(engine, sql, **kw):
    with engine.begin() as c:
        return c.execute(text(sql), kw).first()


def test_nobody_writes_a_till_directly(login_engine):
    ins = ("INSERT INTO cafeteria.tills (till_id, school_id, terminal_id, cashier, opening_cash) "
           "VALUES (gen_random_uuid(), :s, 'T-X', :who, 0)")
    for login in ("demo_cashier", "demo_cafeteria_manager", "demo_admin"):
        e = login_engine(login)
        assert denied(e, ins, s=RMS, who=login), login
        assert denied(e, ins, s=RMS, who="someone_else"), login
        assert denied(e, "UPDATE cafeteria.tills SET opening_cash = 0, over_short = 0"), login
        assert denied(e, "DELETE FROM cafeteria.tills"), login
    for login in ("demo_teacher", "demo_front_office", "demo_librarian"):
        assert denied(login_engine(login), OPEN, t=str(uuid.uuid4()), s=RMS, term="T-X", cash="0", at=now())


def test_a_cashier_opens_only_her_own_till_at_her_school_with_a_sane_start(login_engine, demo_engine):
    cashier = login_engine("demo_cashier")
    before = owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.tills")
    t = str(uuid.uuid4())
    for kw, why in (
        ({"school": RHS}, "only at a school you serve"),
        ({"cash": "-5"}, "starting cash must be between"),
        ({"cash": "5000"}, "starting cash must be between"),
        ({"cash": "10.005"}, "starting cash must be between"),
        ({"at": (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()}, "cannot be in the future"),
        ({"terminal": "T 1; DROP"}, "terminal name is not valid"),
    ):
        with pytest.raises(Exception) as err:
            open_till(cashier, till=t, **kw)
        assert why in str(err.value), (kw, err.value)
    assert owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.tills") == before  # nothing written
    # the real thing: the till is hers (session_user), whatever she would have liked to write
    till, out = open_till(cashier, till=t, terminal="LANE-1-" + t[:6])
    assert out == "new"
    row = call(demo_engine, "SELECT cashier, school_id, opening_cash FROM cafeteria.tills WHERE till_id = "
                            "CAST(:t AS uuid)", t=till)
    assert (row.cashier, row.school_id, str(row.opening_cash)) == ("demo_cashier", RMS, "50.00")
    # the same till again (a resend) is acknowledged; other content under its id is refused, nothing rewritten
    assert open_till(cashier, till=t, terminal="LANE-1-" + t[:6])[1] == "applied"
    with pytest.raises(Exception, match="already used by another till"):
        open_till(cashier, till=t, terminal="LANE-1-" + t[:6], cash="900.00")
    assert str(owner_scalar(demo_engine, "SELECT opening_cash FROM cafeteria.tills WHERE till_id = CAST(:t AS uuid)",
                            t=till)) == "50.00"


def test_a_till_is_always_its_openers_own(login_engine, demo_engine, second_cashier):
    """Whatever terminal she names, the till is hers: another cashier's sales on that terminal never reach it."""
    till, _ = open_till(second_cashier, terminal="LANE-2-" + uuid.uuid4().hex[:6])
    assert owner_scalar(demo_engine, "SELECT cashier FROM cafeteria.tills WHERE till_id = CAST(:t AS uuid)",
                        t=till) == "t_rms_cashier2"
    assert scalar(login_engine("demo_cashier"), "SELECT count(*) FROM cafeteria.tills WHERE till_id = "
                                                "CAST(:t AS uuid)", t=till) == 0


def test_a_cashier_counts_only_her_own_till_and_a_manager_finalizes(login_engine, demo_engine, second_cashier,
                                                                    rhs_manager):
    cashier, manager = login_engine("demo_cashier"), login_engine("demo_cafeteria_manager")
    till, _ = open_till(cashier, cash="20.00")
    count = '{"20": 1}'
    # another cashier of the same school, and another school's manager: refused, nothing counted
    assert refused(second_cashier, CLOSE, "only the till's cashier or a cafeteria manager", t=till, c=count, n="")
    assert refused(rhs_manager, CLOSE, "only the till's cashier or a cafeteria manager", t=till, c=count, n="")
    assert owner_scalar(demo_engine, "SELECT closed_at FROM cafeteria.tills WHERE till_id = CAST(:t AS uuid)",
                        t=till) is None
    # a cashier cannot see another's till either
    assert scalar(second_cashier, "SELECT count(*) FROM cafeteria.tills WHERE till_id = CAST(:t AS uuid)",
                  t=till) == 0
    # finalizing before the count, or by a cashier, is refused
    assert denied(cashier, FINALIZE, t=till)
    assert refused(manager, FINALIZE, "still open", t=till)
    row = call(cashier, CLOSE, t=till, c=count, n="")
    assert (row.counted_total, row.expected_total, row.over_short) == (20, 20, 0)
    assert refused(cashier, CLOSE, "already closed", t=till, c=count, n="")
    assert refused(rhs_manager, FINALIZE, "only a cafeteria manager of the till's school", t=till)
    call(manager, FINALIZE, t=till)
    assert owner_scalar(demo_engine, "SELECT finalized_by FROM cafeteria.tills WHERE till_id = CAST(:t AS uuid)",
                        t=till) == "demo_cafeteria_manager"
    assert refused(manager, FINALIZE, "already finalized", t=till)
    # a manager does not finalize her own till
    own, _ = open_till(manager, cash="0")
    call(manager, CLOSE, t=own, c="{}", n="")
    assert refused(manager, FINALIZE, "other than the cashier", t=own)


def test_a_sale_goes_only_into_its_own_cashiers_till(login_engine, demo_engine, second_cashier):
    cashier = login_engine("demo_cashier")
    till, _ = open_till(cashier, cash="10.00")
    kid = sorted(students_at(demo_engine, "demo_cashier"))[3]
    before = owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.sales WHERE till_id = CAST(:t AS uuid)", t=till)
    forged = pos_sale(kid, entry_kind="item", meal_service=None, till_id=till, account="0.00", cash="1.00",
                      amount="0.00", price="1.00", cashier="t_rms_cashier2")
    assert refused(second_cashier, CALL, "only into its own cashier's open till", **params(forged, terminal="T-FORGE"))
    assert owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.sales WHERE till_id = CAST(:t AS uuid)",
                        t=till) == before
    # her own sale into her own till goes in
    own = pos_sale(kid, entry_kind="item", meal_service=None, till_id=till, account="0.00", cash="1.00",
                   amount="0.00", price="1.00")
    with cashier.begin() as c:
        assert c.execute(text(CALL), params(own, terminal="T-OWN")).scalar()["outcome"] == "new"
    assert owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.sales WHERE till_id = CAST(:t AS uuid)",
                        t=till) == before + 1


def test_cash_and_checks_go_only_into_an_open_till(login_engine, demo_engine):
    """Review of session 6, HIGH 1: a cash deposit with no till, or into a till already counted and closed
    (or finalized), credited an account with money no count would expect. Refused, one at a time or in a
    batch; nothing written, the balance unchanged."""
    from tests.integration.test_pos_sale_function import apply_batch, balance

    cashier = login_engine("demo_cashier")
    kid = sorted(students_at(demo_engine, "demo_cashier"))[4]
    before = balance(demo_engine, kid)

    def deposit(till, **kw):
        return pos_sale(kid, **{"kind": "deposit", "entry_kind": "deposit", "meal_service": None, "price": None,
                                "amount": "500.00", "account": "500.00", "total": "500.00", "cash": "0.00",
                                "till_id": till, **kw})

    no_till = deposit(None, cash_amount="500.00", cash_tendered="500.00")
    by_check = deposit(None, check_amount="500.00", check_number="77")
    for p in (no_till, by_check):
        assert refused(cashier, CALL, "only into an open till", **params(p, terminal="T-NOTILL"))
    with pytest.raises(Exception, match="only into an open till"):
        apply_batch(cashier, no_till, deposit(None, cash_amount="1.00", cash_tendered="1.00", amount="1.00",
                                              account="1.00", total="1.00"), terminal="T-NOTILL-B")
    till, _ = open_till(cashier, cash="0")
    call(cashier, CLOSE, t=till, c="{}", n="")
    closed = deposit(till, cash_amount="500.00", cash_tendered="500.00")
    assert refused(cashier, CALL, "only into its own cashier's open till", **params(closed, terminal="T-CLOSED"))
    call(login_engine("demo_cafeteria_manager"), FINALIZE, t=till)
    assert refused(cashier, CALL, "only into its own cashier's open till",
                   **params(deposit(till, cash_amount="500.00", cash_tendered="500.00"), terminal="T-FINAL"))
    assert balance(demo_engine, kid) == before
    assert owner_scalar(demo_engine, "SELECT count(*) FROM cafeteria.sales WHERE sale_uuid IN "
                                     "(CAST(:a AS uuid), CAST(:b AS uuid), CAST(:c AS uuid))",
                        a=no_till["sale_uuid"], b=by_check["sale_uuid"], c=closed["sale_uuid"]) == 0
    # the till's count stays what it was
    assert owner_scalar(demo_engine, "SELECT expected_total FROM cafeteria.tills WHERE till_id = CAST(:t AS uuid)",
                        t=till) == 0
