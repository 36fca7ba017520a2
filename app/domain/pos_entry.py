"""What a cashier types at the register and the till, checked before anything is sent: amounts of
money, a blind count by denomination, a split of the total between tenders. Each refusal is one
sentence naming what is wrong and what to do (no Qt, no database: unit-tested on its own)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.errors import UserError

CENT = Decimal("0.01")
# A deposit or a check above this is a typing slip (an extra zero), not a lunch account top-up.
MAX_DEPOSIT = Decimal("500.00")
MAX_CASH_TENDERED = Decimal("200.00")
MAX_STARTING_CASH = Decimal("1000.00")


@dataclass(frozen=True)
class Denomination:
    key: str  # "20", "0.25", "rolled_quarters": stored with the count
    label: str  # what the count form shows
    value: Decimal  # of one piece


DENOMINATIONS: tuple[Denomination, ...] = (
    Denomination("100", "$100 bills", Decimal("100")),
    Denomination("50", "$50 bills", Decimal("50")),
    Denomination("20", "$20 bills", Decimal("20")),
    Denomination("10", "$10 bills", Decimal("10")),
    Denomination("5", "$5 bills", Decimal("5")),
    Denomination("1", "$1 bills", Decimal("1")),
    Denomination("1.00c", "Dollar coins", Decimal("1")),
    Denomination("0.25", "Quarters", Decimal("0.25")),
    Denomination("0.10", "Dimes", Decimal("0.10")),
    Denomination("0.05", "Nickels", Decimal("0.05")),
    Denomination("0.01", "Pennies", Decimal("0.01")),
)


def money(value) -> str:
    """$1,234.50 and -$2.00 (a debt shows its minus sign before the dollar sign)."""
    d = Decimal(value).quantize(CENT, ROUND_HALF_UP)
    return f"-${-d:,.2f}" if d < 0 else f"${d:,.2f}"


def parse_amount(typed: str, what: str, *, maximum: Decimal | None = None, allow_zero: bool = False) -> Decimal:
    """A dollar amount typed as 5, 5.5, 5.50 or $5.50. `what` names the field in the sentence."""
    text = (typed or "").strip().replace("$", "").replace(",", "")
    if not text:
        raise UserError(f"Type the {what} in dollars, for example 5.00.")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UserError(f"The {what} must be a number of dollars, for example 5.00; \"{typed.strip()}\" is not.") \
            from None
    if not value.is_finite():
        raise UserError(f"The {what} must be a number of dollars, for example 5.00.")
    if value < 0:
        raise UserError(f"The {what} cannot be negative; type the amount without a minus sign.")
    if value == 0 and not allow_zero:
        raise UserError(f"The {what} must be more than $0.00.")
    if value != value.quantize(CENT):
        raise UserError(f"The {what} has more than two decimal places; type dollars and cents, for example 5.25.")
    if maximum is not None and value > maximum:
        raise UserError(f"The {what} of {money(value)} is more than {money(maximum)}; check the amount and type it again.")
    return value.quantize(CENT)


def parse_count(typed: str, label: str) -> int:
    """How many pieces of one denomination (blank is none)."""
    text = (typed or "").strip()
    if not text:
        return 0
    if not text.isdigit():
        raise UserError(f"The count of {label.lower()} must be a whole number of pieces; \"{text}\" is not.")
    n = int(text)
    if n > 100_000:
        raise UserError(f"{n:,} {label.lower()} is more than a till holds; count them again.")
    return n


def count_total(counts: Mapping[str, int], denominations: Iterable[Denomination] = DENOMINATIONS) -> Decimal:
    by_key = {d.key: d for d in denominations}
    return sum((by_key[k].value * n for k, n in counts.items() if n), Decimal("0.00")).quantize(CENT)


def change_due(total: Decimal, tendered: Decimal) -> Decimal:
    """Cash handed over minus what it pays; refused when it does not cover the total."""
    if tendered < total:
        raise UserError(f"{money(tendered)} does not cover the {money(total)} due; "
                        "take more cash or pay the rest another way (Split).")
    return (tendered - total).quantize(CENT)


@dataclass(frozen=True)
class TenderPart:
    kind: str  # "account" | "cash" | "check"
    amount: Decimal  # the part of the total it pays
    check_number: str | None = None
    tendered: Decimal | None = None  # cash handed over (change = tendered - amount)


def split_parts(total: Decimal, cash: str, check: str, check_number: str) -> tuple[TenderPart, ...]:
    """A split: the cash and check parts typed by the cashier; the account pays the rest."""
    cash_part = parse_amount(cash, "cash part", allow_zero=True, maximum=MAX_CASH_TENDERED) if cash.strip() \
        else Decimal("0.00")
    check_part = parse_amount(check, "check part", allow_zero=True, maximum=MAX_DEPOSIT) if check.strip() \
        else Decimal("0.00")
    if check_part and not check_number.strip():
        raise UserError("Type the check number for the check part.")
    if cash_part + check_part > total:
        raise UserError(f"The cash and check parts ({money(cash_part + check_part)}) are more than the "
                        f"{money(total)} due; lower one of them.")
    parts = []
    if cash_part:
        parts.append(TenderPart("cash", cash_part, tendered=cash_part))
    if check_part:
        parts.append(TenderPart("check", check_part, check_number=check_number.strip()))
    rest = (total - cash_part - check_part).quantize(CENT)
    if rest:
        parts.append(TenderPart("account", rest))
    if len(parts) < 2:
        raise UserError("A split needs at least two ways of paying; type a cash or check part smaller than the total.")
    return tuple(parts)
