"""The register's rules on their own: the PIN's check digit, prices (never naming the category), the
charge policy and tenders."""

from decimal import Decimal as D

import pytest

from app.domain import cafeteria_rules as R
from app.errors import UserError

GROUPS = [R.PriceGroup("lunch", 6, 8, e, D(p), D("4.25")) for e, p in (("free", "0"), ("reduced", "0.40"),
                                                                      ("paid", "3.10"))]
GROUPS.append(R.PriceGroup("lunch", -1, 12, "adult", D("4.50"), D("4.50")))
LUNCH = R.Item(1, "L1", "Lunch", "meal", "lunch", None, ("Milk",))
MILK = R.Item(2, "A1", "Milk", "a_la_carte", None, D("0.60"), ("Milk",))


def test_the_pin_is_the_id_and_a_luhn_digit():
    assert R.pin_for("604007") == "604007" + R.luhn_digit("604007") and R.luhn_digit("7992739871") == "3"
    assert R.student_id_from_pin(R.pin_for("604007")) == "604007"
    with pytest.raises(UserError, match="does not check"):
        R.student_id_from_pin("604007" + str((int(R.luhn_digit("604007")) + 1) % 10))


def test_first_meal_is_reimbursable_then_second_meal_price_and_a_cep_site_is_free():
    lines = R.price_lines([LUNCH, LUNCH, MILK], service="lunch", groups=GROUPS, grade=7, eligibility="reduced",
                          adult=False, cep=False, had_reimbursable=False)
    assert [(ln.name, ln.entry_kind, ln.price) for ln in lines] == [
        ("Lunch", "meal", D("0.40")), ("Lunch (second meal)", "second_meal", D("4.25")), ("Milk", "item", D("0.60"))]
    cep = R.price_lines([LUNCH, MILK], service="lunch", groups=GROUPS, grade=7, eligibility="paid", adult=False,
                        cep=True, had_reimbursable=False)
    assert [ln.price for ln in cep] == [D("0.00"), D("0.60")]
    adult = R.price_lines([LUNCH], service="lunch", groups=GROUPS, grade=None, eligibility="paid", adult=True,
                          cep=True, had_reimbursable=False)
    assert adult[0].price == D("4.50") and adult[0].entry_kind == "item"


def test_charges_meal_to_the_limit_never_a_la_carte_below_zero():
    lines = [R.PricedLine(1, 1, "Lunch", "meal", D("3.10")), R.PricedLine(2, 2, "Milk", "item", D("0.60"))]
    limits = R.Limits(D("10.00"), D("0.00"))
    assert R.decide_charge(D("5.00"), lines, D("3.70"), limits).ok
    assert not R.decide_charge(D("0.30"), lines, D("3.70"), limits).ok  # milk would go negative
    past = R.decide_charge(D("-8.00"), lines[:1], D("3.10"), limits)
    assert past.needs_override and "limit" in past.message
    assert R.decide_charge(D("-8.00"), lines[:1], D("3.10"), limits, overridden=True).ok
    assert R.allocate_account(lines, D("1.00")) == [D("-0.40"), D("-0.60")]  # a la carte paid first


class T:
    def __init__(self, kind, amount, tendered=None, check_number=None):
        self.kind, self.amount, self.tendered, self.check_number = kind, D(amount), tendered, check_number


def test_tenders_cover_the_total_and_cash_gives_change():
    t = R.settle_tenders(D("3.70"), [T("cash", "3.70", D("5.00"))], has_account=True)
    assert (t.cash, t.change) == (D("3.70"), D("1.30"))
    t = R.settle_tenders(D("3.70"), [T("account", "2.00"), T("check", "1.70", check_number="1042")], has_account=True)
    assert (t.account, t.check, t.check_number) == (D("2.00"), D("1.70"), "1042")
    with pytest.raises(UserError, match="add up to"):
        R.settle_tenders(D("3.70"), [T("account", "2.00")], has_account=True)
    with pytest.raises(UserError, match="no meal account"):
        R.settle_tenders(D("3.70"), [T("account", "3.70")], has_account=False)
    with pytest.raises(UserError, match="check number"):
        R.settle_tenders(D("3.70"), [T("check", "3.70")], has_account=True)
