"""What a cashier types at the register and the till: each slip gets one sentence, never a number
silently taken the wrong way."""

from decimal import Decimal

import pytest

from app.domain.pos_entry import (
    change_due,
    count_total,
    money,
    parse_amount,
    parse_count,
    split_parts,
)
from app.errors import UserError


def test_amounts_typed_the_usual_ways():
    assert parse_amount("5", "deposit") == Decimal("5.00")
    assert parse_amount(" $1,020.5 ", "deposit", maximum=Decimal("2000")) == Decimal("1020.50")


@pytest.mark.parametrize("typed, words", [
    ("", "Type the deposit"),
    ("twenty", "must be a number"),
    ("-5", "cannot be negative"),
    ("0", "more than $0.00"),
    ("5.255", "two decimal places"),
    ("5000", "more than $500.00"),
    ("NaN", "must be a number"),
])
def test_bad_deposits_are_refused_in_one_sentence(typed, words):
    with pytest.raises(UserError) as err:
        parse_amount(typed, "deposit", maximum=Decimal("500"))
    assert words in err.value.message
    assert err.value.message.count(". ") == 0  # one sentence


def test_change_and_cash_that_does_not_cover_the_total():
    assert change_due(Decimal("3.25"), Decimal("5.00")) == Decimal("1.75")
    with pytest.raises(UserError, match="does not cover"):
        change_due(Decimal("3.25"), Decimal("3.00"))


def test_blind_count_by_denomination():
    assert count_total({"20": 2, "1": 3, "0.25": 5, "0.01": 7}) == Decimal("44.32")
    assert parse_count("", "Quarters") == 0
    with pytest.raises(UserError, match="whole number"):
        parse_count("3.5", "Quarters")


def test_split_puts_the_rest_on_the_account():
    parts = split_parts(Decimal("4.00"), "1.00", "", "")
    assert [(p.kind, p.amount) for p in parts] == [("cash", Decimal("1.00")), ("account", Decimal("3.00"))]
    parts = split_parts(Decimal("4.00"), "1.50", "2.50", "1042")
    assert [(p.kind, p.amount) for p in parts] == [("cash", Decimal("1.50")), ("check", Decimal("2.50"))]
    with pytest.raises(UserError, match="check number"):
        split_parts(Decimal("4.00"), "", "2.00", "")
    with pytest.raises(UserError, match="more than the"):
        split_parts(Decimal("4.00"), "3.00", "2.00", "7")
    with pytest.raises(UserError, match="at least two"):
        split_parts(Decimal("4.00"), "4.00", "", "")


def test_money_shows_debts_with_the_sign_first():
    assert money(Decimal("-3.5")) == "-$3.50"
    assert money(Decimal("1234.5")) == "$1,234.50"
