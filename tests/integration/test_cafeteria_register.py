"""The register through the real services, journal and database, signed in as the demo cashier:
prices without overt identification, one reimbursable meal per service (re-derived on the server when
sales arrive late), allergy alerts, the charge policy, tenders, deposits, bad input, cold start offline,
and the till's blind count."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from app.domain.cafeteria_rules import is_low_balance, pin_for
from app.errors import UserError
from app.services.cafeteria.dto import (
    AlertNotAcknowledged, DepositDraft, NoteRequired, OverLimit, RepeatScan, SaleDraft,
)
from app.services.cafeteria.register import Register
from tests.conftest import DEMO_AS_OF

pytestmark = pytest.mark.integration
RES, RMS, RHS = 255950001, 255950002, 255950003


def at(hour, minute=0):
    return lambda: datetime.combine(DEMO_AS_OF, datetime.min.time()).replace(hour=hour, minute=minute).astimezone()


@pytest.fixture
def open_register(login_engine, tmp_path):
    made = []

    def make(terminal="T1", login="demo_cashier", school=None, clock=at(11, 45), engine=None):
        reg = Register.open(engine or login_engine(login), tmp_path / "journals", terminal, school, clock=clock)
        made.append(reg)
        return reg
    yield make
    for reg in made:
        reg.stop()


def item(reg, code):
    return next(i.item_id for i in reg.setup().items if i.code == code)


def students(reg, rich=True, **want):
    return [s for s in reg.snapshot.content["students"].values()
            if all(s.get(k) == v for k, v in want.items()) and not s["allergies"] and s["has_account"]
            and (not rich or Decimal(s["balance"]) >= 8)]


def sale(reg, s, codes, service="lunch", **kw):
    return reg.record_sale(SaleDraft(str(uuid.uuid4()), s["usi"], service, tuple(item(reg, c) for c in codes), **kw))


def owner(demo_engine, sql, **p):
    with demo_engine.connect() as c:
        return c.execute(text(sql), p).all()


def test_every_eligibility_sees_the_same_screen_and_a_cep_site_feeds_everyone_free(open_register):
    reg = open_register()
    lunch, milk = item(reg, "L200"), item(reg, "A100")
    quotes = {e: reg.quote(students(reg, rich=False, eligibility=e)[0]["usi"], "lunch", (lunch, milk))
              for e in ("free", "reduced", "paid")}
    assert {tuple(ln.name for ln in q.lines) for q in quotes.values()} == {("Lunch: chicken and rice", "Milk")}
    assert [quotes[e].lines[0].amount for e in ("free", "reduced", "paid")] == [Decimal("0.00"), Decimal("0.40"),
                                                                               Decimal("3.10")]
    card = reg.identify(students(reg, rich=False, eligibility="free")[0]["uid"])
    assert not any(word in repr(card).lower() for word in ("free", "reduced", "eligib"))
    cep = open_register("RES-1", login="demo_admin", school=RES)
    paid = students(cep, eligibility="paid")[0]
    q = cep.quote(paid["usi"], "lunch", (item(cep, "L200"), item(cep, "A100")))
    assert [ln.amount for ln in q.lines] == [Decimal("0.00"), Decimal("0.60")]  # a la carte still charged


def test_one_reimbursable_meal_per_service_and_the_server_rederives_late_sales(open_register, demo_engine):
    a = open_register("RMS-A", clock=at(11, 40))
    b = open_register("RMS-B", clock=at(11, 50))
    kid = students(a, eligibility="paid")[1]
    first = sale(a, kid, ["L200"])  # rung up first, but this terminal is offline for a while
    second = sale(b, kid, ["L500"])  # the other terminal does not know: it sells a reimbursable meal too
    assert b.send_now().applied == 1
    assert a.send_now().applied == 1  # arrives late
    claims = dict(owner(demo_engine, "SELECT t.sale_uuid::text, c.reimbursable FROM cafeteria.meal_claims c JOIN "
                        "cafeteria.meal_transactions t ON t.transaction_id = c.transaction_id WHERE t.sale_uuid IN "
                        "(CAST(:x AS uuid), CAST(:y AS uuid))", x=first.sale_id, y=second.sale_id))
    assert claims == {first.sale_id: True, second.sale_id: False}  # by time sold, not by arrival
    # the same terminal knows: a second lunch is sold as a second meal, at its price
    q = a.quote(kid["usi"], "lunch", (item(a, "L100"),))
    assert q.lines[0].name.endswith("(second meal)") and q.lines[0].amount == Decimal("4.25")


def test_an_item_that_conflicts_with_an_allergy_needs_the_cashier_to_acknowledge_it(open_register, demo_engine):
    reg = open_register()
    kid = next(s for s in reg.snapshot.content["students"].values()
               if any(a[0] == "Milk" for a in s["allergies"]) and s["has_account"])
    q = reg.quote(kid["usi"], "lunch", (item(reg, "L100"),))
    assert [a.label for a in q.alerts if "Milk" in a.label]
    with pytest.raises(AlertNotAcknowledged, match="Milk"):
        sale(reg, kid, ["L100"])
    done = sale(reg, kid, ["L100"], acknowledged=tuple(a.label for a in q.alerts), confirm_repeat=True)
    reg.send_now()
    assert owner(demo_engine, "SELECT alert_acknowledged FROM cafeteria.sales WHERE sale_uuid = CAST(:u AS uuid)",
                 u=done.sale_id) == [(True,)]


def test_the_charge_policy_feeds_a_child_past_the_limit_and_never_lets_a_la_carte_go_negative(open_register):
    reg = open_register()
    kid = students(reg, eligibility="paid", grade=7)[2]
    kid["balance"] = "-9.00"  # last known; the policy for paid grades 6-12 allows meals to -10.00
    with pytest.raises(OverLimit, match="past its -\\$10.00 limit") as refused:
        sale(reg, kid, ["L200"])
    assert refused.value.alternate_item_id == item(reg, "L900")
    alt = sale(reg, kid, ["L900"])  # the alternate meal costs nothing
    assert alt.total == Decimal("0.00")
    approved = sale(reg, kid, ["B100"], service="breakfast", confirm_repeat=True,
                    override_by="demo_cafeteria_manager", override_reason="Parent paying tomorrow")
    assert approved.total == Decimal("1.75")
    rich = students(reg, eligibility="paid", grade=8)[0]
    rich["balance"] = "0.30"
    with pytest.raises(UserError, match="not enough for the a la carte"):
        sale(reg, rich, ["A300"])


def test_tenders_change_split_and_the_till_blind_count(open_register, login_engine, demo_engine):
    reg = open_register("RMS-TILL")
    with pytest.raises(UserError, match="Open the till"):
        reg.record_deposit(DepositDraft(str(uuid.uuid4()), students(reg)[0]["usi"], "20.00"))
    till = reg.open_till("50.00", str(uuid.uuid4()))
    kid = students(reg, eligibility="paid")[3]
    paid = sale(reg, kid, ["L200", "A100"], tenders=(_T("cash", Decimal("3.70"), Decimal("5.00")),))
    assert paid.change_due == Decimal("1.30")
    split = sale(reg, students(reg, eligibility="paid")[4], ["L200"], tenders=(
        _T("account", Decimal("2.00")), _T("cash", Decimal("1.10"), Decimal("1.10"))))
    assert split.total == Decimal("3.10")
    for bad, words in (("-5", "more than \\$0.00"), ("abc", "number of dollars"), ("5000", "more than the"),
                       ("0", "more than \\$0.00"), ("2.555", "two decimal")):
        with pytest.raises(UserError, match=words):
            reg.record_deposit(DepositDraft(str(uuid.uuid4()), kid["usi"], bad))
    assert reg.record_deposit(DepositDraft(str(uuid.uuid4()), kid["usi"], "20.00")) is not None
    reg.send_now()
    expected = Decimal("50.00") + Decimal("3.70") + Decimal("1.10") + Decimal("20.00")
    with pytest.raises(NoteRequired) as short:
        reg.close_till({"20": 3, "5": 2, "1": 4}, "")
    assert short.value.close.expected == expected and short.value.close.counted == Decimal("74.00")
    closed = reg.close_till({"20": 3, "5": 2, "1": 4}, "A dollar short after the rush")
    assert closed.over_short == Decimal("74.00") - expected
    with pytest.raises(Exception, match="permission denied"), login_engine("demo_cashier").begin() as c:
        c.execute(text("SELECT cafeteria.finalize_till(CAST(:t AS uuid))"), {"t": till.till_id})
    with login_engine("demo_cafeteria_manager").begin() as c:
        c.execute(text("SELECT cafeteria.finalize_till(CAST(:t AS uuid))"), {"t": till.till_id})
    assert owner(demo_engine, "SELECT finalized_by FROM cafeteria.tills WHERE till_id = CAST(:t AS uuid)",
                 t=till.till_id) == [("demo_cafeteria_manager",)]


class _T:
    def __init__(self, kind, amount, tendered=None, check_number=None):
        self.kind, self.amount, self.tendered, self.check_number = kind, amount, tendered, check_number


def test_bad_input_at_the_register_gets_one_sentence(open_register, demo_engine):
    reg = open_register()
    with pytest.raises(UserError, match="No student has the id 999999"):
        reg.identify("999999")
    kid = students(reg)[5]
    assert reg.identify(pin_for(kid["uid"]), how="pin").student_usi == kid["usi"]
    with pytest.raises(UserError, match="check"):
        reg.identify(kid["uid"] + str((int(pin_for(kid["uid"])[-1]) + 1) % 10), how="pin")
    gone = students(reg)[6]
    gone["withdrawn"] = "2026-11-02"
    with pytest.raises(UserError, match="withdrew from this school on 2026-11-02"):
        reg.identify(gone["uid"])
    sale(reg, kid, ["L200"])
    assert reg.identify(kid["uid"]).recent_sale_seconds is not None
    with pytest.raises(RepeatScan, match="seconds ago"):
        sale(reg, kid, ["A500"])
    sale(reg, kid, ["A500"], confirm_repeat=True)
    # a student of another school: the narrow look-up, and the sale is written at this site
    uid = owner(demo_engine, "SELECT s.studentuniqueid FROM edfi.student s JOIN edfi.studentschoolassociation a "
                "ON a.studentusi = s.studentusi JOIN cafeteria.student_meal_plans p ON p.student_usi = s.studentusi "
                "AND p.is_active WHERE a.schoolid = :h AND p.account_balance > 5 ORDER BY 1 LIMIT 1", h=RHS)[0][0]
    card = reg.identify(uid)
    assert card.visiting_school == "Riverbend High School"
    done = reg.record_sale(SaleDraft(str(uuid.uuid4()), card.student_usi, "lunch", (item(reg, "A500"),),
                                     acknowledged=tuple(a.label for a in card.alerts)))
    assert reg.send_now().held == 0
    assert owner(demo_engine, "SELECT school_id FROM cafeteria.sales WHERE sale_uuid = CAST(:u AS uuid)",
                 u=done.sale_id) == [(RMS,)]


def test_a_cold_start_with_no_network_sells_from_the_saved_snapshot_and_refuses_to_leave(open_register, tmp_path,
                                                                                           demo_engine):
    online = open_register("RMS-COLD")
    kid = students(online, eligibility="paid")[7]
    known = Decimal(kid["balance"])
    online.stop()
    dead = create_engine("postgresql+psycopg://demo_cashier:x@/demo_test?host=/nonexistent&connect_timeout=1")
    reg = open_register("RMS-COLD", engine=dead)
    assert reg.setup().offline
    s1 = sale(reg, kid, ["L200"])
    s2 = sale(reg, kid, ["A500", "A600"], confirm_repeat=True)
    assert s2.balance_after == known - Decimal("3.10") - Decimal("1.85")  # last known minus pending
    assert reg.send_now().error is not None
    assert "not yet sent" in reg.may_close()
    back = open_register("RMS-COLD")
    assert back.send_now().applied == 2 and back.may_close() is None
    assert owner(demo_engine, "SELECT count(*) FROM cafeteria.sales WHERE sale_uuid IN (CAST(:a AS uuid), "
                 "CAST(:b AS uuid)) AND offline", a=s1.sale_id, b=s2.sale_id) == [(2,)]


def test_the_card_counts_unsent_sales_down_and_a_repeated_submit_rings_nothing_twice(open_register, demo_engine):
    """The register keeps a student's journal entries between the scan, the ticket and the sale; what it kept is
    read again once the journal changes, so the card's count of unsent sales falls when the sender applies them."""
    reg = open_register("RMS-CARD")
    kid = [s for s in students(reg, eligibility="paid")[10:] if s.get("grade") == 6][-1]  # a student no other test serves
    assert reg.identify(kid["uid"]).unsynced_sales == 0
    draft = SaleDraft(str(uuid.uuid4()), kid["usi"], "lunch", (item(reg, "L200"),))
    first = reg.record_sale(draft)
    assert reg.identify(kid["uid"]).unsynced_sales == 1
    again = reg.record_sale(draft)  # the same ticket submitted twice (a double Enter): the sale already rung up
    assert again.sale_id == first.sale_id and again.total == first.total
    assert len(reg.journal.entries_for(f"student:{kid['usi']}")) == 1
    assert reg.send_now().applied == 1
    assert reg.identify(kid["uid"]).unsynced_sales == 0
    assert reg.record_sale(draft).sale_id == first.sale_id  # and after it was sent
    assert reg.send_now().applied == 0
    assert owner(demo_engine, "SELECT count(*) FROM cafeteria.sales WHERE sale_uuid = CAST(:u AS uuid)",
                 u=first.sale_id) == [(1,)]


def test_the_card_marks_a_balance_that_a_sale_takes_under_the_district_low_balance_line(open_register, demo_engine):
    was = owner(demo_engine, "SELECT low_balance_threshold FROM cafeteria.district_settings")[0][0]
    line = Decimal("7.50")  # the district's own line, not the $5.00 default: it reaches the card with the snapshot
    with demo_engine.begin() as c:
        c.execute(text("UPDATE cafeteria.district_settings SET low_balance_threshold = :v"), {"v": line})
    try:
        reg = open_register()
    finally:
        with demo_engine.begin() as c:
            c.execute(text("UPDATE cafeteria.district_settings SET low_balance_threshold = :v"), {"v": was})
    kid = students(reg, eligibility="paid", grade=8)[1]
    kid["balance"] = str(line + Decimal("1.00"))  # last known: a dollar above the line
    card = reg.identify(kid["uid"])
    assert card.low_balance_threshold == line and card.balance == line + Decimal("1.00")
    assert not is_low_balance(card.balance, card.low_balance_threshold)
    lunch = sale(reg, kid, ["L200"])
    card = reg.identify(kid["uid"])  # the pending sale counts before it reaches the server
    assert card.balance == line + Decimal("1.00") - lunch.total and lunch.total > Decimal("1.00")
    assert is_low_balance(card.balance, card.low_balance_threshold)
