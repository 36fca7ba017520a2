"""The register's rules, without Qt or a database: prices by grade band and eligibility (never shown),
one reimbursable meal per student per meal service, the charge policy, tenders and change, allergy
and diet conflicts, the PIN's check digit. Unit-tested on their own (tests/unit/test_cafeteria_rules.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.errors import UserError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SERVICES = ("breakfast", "lunch", "snack")
SERVICE_NAMES = {"breakfast": "Breakfast", "lunch": "Lunch", "snack": "Snack"}
ELIGIBILITIES = ("free", "reduced", "paid")


def money(value) -> str:
    d = Decimal(value).quantize(CENT, ROUND_HALF_UP)
    return f"-${-d:,.2f}" if d < 0 else f"${d:,.2f}"


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def is_low_balance(balance: Decimal | None, threshold: Decimal | None) -> bool:
    """A balance under the district's low-balance line (the line of the families' low-balance notices)."""
    return balance is not None and threshold is not None and balance < threshold


def normalize_eligibility(status: str | None) -> str:
    s = (status or "").strip().lower()
    return s if s in ELIGIBILITIES else "paid"


# -- the PIN: student id + a Luhn check digit -----------------------------------------------------
def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def pin_for(student_unique_id: str) -> str:
    return student_unique_id + luhn_digit(student_unique_id)


def student_id_from_pin(pin: str) -> str:
    """The student id in a PIN typed at the keypad; one sentence when the check digit is wrong."""
    p = (pin or "").strip()
    if not p.isdigit() or len(p) < 2:
        raise UserError("A PIN is the student id followed by its check digit, digits only; type it again.")
    sid, check = p[:-1], p[-1]
    if luhn_digit(sid) != check:
        raise UserError(f"The PIN {p} is not right (its last digit does not check); type it again or scan the card.")
    return sid


# -- prices ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PriceGroup:
    meal_service: str
    grade_from: int
    grade_to: int
    eligibility: str  # free, reduced, paid, adult
    price: Decimal
    second_meal_price: Decimal


@dataclass(frozen=True)
class Item:
    item_id: int
    code: str
    name: str
    category: str  # meal, a_la_carte
    meal_service: str | None
    a_la_carte_price: Decimal | None
    allergens: tuple[str, ...] = ()
    diet_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PricedLine:
    line_no: int
    item_id: int
    name: str  # the same words for everyone: "Lunch", "Lunch (second meal)", "Milk"
    entry_kind: str  # meal (reimbursable), second_meal, item (a la carte or adult)
    price: Decimal


def price_group(groups: Iterable[PriceGroup], service: str, grade: int | None, eligibility: str) -> PriceGroup:
    for g in groups:
        if g.meal_service != service or g.eligibility != eligibility:
            continue
        if eligibility == "adult" or grade is None or g.grade_from <= grade <= g.grade_to:
            return g
    raise UserError(f"No {SERVICE_NAMES.get(service, service).lower()} price is set for this student's grade; "
                    "ask the cafeteria manager to set the prices.")


def price_lines(items: Sequence[Item], *, service: str, groups: Sequence[PriceGroup], grade: int | None,
                eligibility: str, adult: bool, cep: bool, had_reimbursable: bool,
                alternate_item_id: int | None = None) -> list[PricedLine]:
    """Price a ticket. The first meal of the service is the reimbursable one (free at a CEP site);
    any further meal is a second meal at the second-meal price; a la carte has one price for all.
    The charge policy's alternate meal, given when an account is past its limit, costs nothing."""
    lines: list[PricedLine] = []
    reimbursable_taken = had_reimbursable
    for n, item in enumerate(items, start=1):
        if item.category == "a_la_carte":
            lines.append(PricedLine(n, item.item_id, item.name, "item", cents(item.a_la_carte_price or 0)))
            continue
        if item.meal_service and item.meal_service != service:
            raise UserError(f"{item.name} is not sold at {SERVICE_NAMES.get(service, service).lower()}; "
                            "take it off the ticket.")
        if adult:
            g = price_group(groups, service, None, "adult")
            lines.append(PricedLine(n, item.item_id, item.name, "item", cents(g.price)))
            continue
        g = price_group(groups, service, grade, eligibility)
        if not reimbursable_taken:
            reimbursable_taken = True
            free = cep or item.item_id == alternate_item_id
            lines.append(PricedLine(n, item.item_id, item.name, "meal", ZERO if free else cents(g.price)))
        else:
            lines.append(PricedLine(n, item.item_id, f"{item.name} (second meal)", "second_meal",
                                    cents(g.second_meal_price)))
    return lines


# -- the charge policy (SP 46-2016) ---------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    meal: Decimal  # how far below zero a reimbursable meal may take the account
    a_la_carte: Decimal  # how far below zero a la carte may (0: never negative)


@dataclass(frozen=True)
class ChargeDecision:
    ok: bool
    needs_override: bool = False  # a reimbursable meal past the meal limit: alternate meal or override
    message: str | None = None


def decide_charge(balance: Decimal, lines: Sequence[PricedLine], account_part: Decimal, limits: Limits,
                  *, overridden: bool = False) -> ChargeDecision:
    """May `account_part` of this ticket be charged to an account at `balance`?

    A la carte is paid first from the money on the account and may never take it below the a la
    carte limit; a meal is never refused for lack of money: up to the meal limit it is charged, past
    it the policy's alternate meal or a supervisor's override (with a reason) decides."""
    if account_part <= 0:
        return ChargeDecision(True)
    a_la_carte = sum((ln.price for ln in lines if ln.entry_kind == "item"), ZERO)
    charged_a_la_carte = min(a_la_carte, account_part)
    if charged_a_la_carte > 0 and balance - charged_a_la_carte < -limits.a_la_carte:
        return ChargeDecision(False, message=(
            f"The account has {money(balance)}: not enough for the a la carte items ({money(charged_a_la_carte)}); "
            "take them off the ticket or pay them in cash."))
    after = balance - account_part
    if after < -limits.meal and not overridden:
        return ChargeDecision(False, needs_override=True, message=(
            f"This meal would take the account to {money(after)}, past its {money(-limits.meal)} limit: "
            "serve the alternate meal or ask a supervisor to approve."))
    return ChargeDecision(True)


# -- tenders ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TenderTotals:
    account: Decimal
    cash: Decimal  # cash kept (after change)
    cash_tendered: Decimal
    change: Decimal
    check: Decimal
    check_number: str | None


def settle_tenders(total: Decimal, tenders: Sequence, *, has_account: bool) -> TenderTotals:
    """Split the total between tenders (objects with kind, amount, tendered, check_number)."""
    account = cash = tendered = check = ZERO
    check_number = None
    for t in tenders:
        amount = cents(getattr(t, "amount", 0) or 0)
        if amount < 0:
            raise UserError("A payment cannot be negative; type the amount without a minus sign.")
        kind = getattr(t, "kind", "")
        if kind == "account":
            if not has_account:
                raise UserError("An adult or a cash customer has no meal account; take cash or a check.")
            account += amount
        elif kind == "cash":
            given = cents(getattr(t, "tendered", None) or amount)
            if given < amount:
                raise UserError(f"{money(given)} in cash does not cover its {money(amount)} part; take more cash.")
            cash += amount
            tendered += given
        elif kind == "check":
            number = (getattr(t, "check_number", None) or "").strip()
            if not number:
                raise UserError("Type the check number for the check.")
            check += amount
            check_number = number
        else:
            raise UserError(f"'{kind}' is not a way to pay here; use the account, cash or a check.")
    if account + cash + check != cents(total):
        raise UserError(f"The payments add up to {money(account + cash + check)}, not the {money(total)} due; "
                        "change the split.")
    return TenderTotals(account, cash, tendered, tendered - cash, check, check_number)


def allocate_account(lines: Sequence[PricedLine], account: Decimal) -> list[Decimal]:
    """How much of each line the account pays (as negative ledger amounts), a la carte first."""
    left = account
    paid = {}
    for ln in sorted(lines, key=lambda x: (x.entry_kind != "item", x.line_no)):
        part = min(ln.price, left)
        paid[ln.line_no] = part
        left -= part
    return [-paid.get(ln.line_no, ZERO) for ln in lines]


# -- allergies and diets ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Alert:
    kind: str  # allergy, diet
    label: str  # "Peanuts allergy (Severe)"
    tags: tuple[str, ...]  # lower-case names an item must not carry


def _key(word: str) -> str:
    return word.strip().lower()


def conflicts(alerts: Iterable[Alert], item: Item) -> list[Alert]:
    carried = {_key(a) for a in item.allergens} | {_key(d) for d in item.diet_flags}
    return [a for a in alerts if carried.intersection(a.tags)]


def alert_for_allergy(allergen: str, severity: str | None, allergy_type: str | None) -> Alert:
    kind = "diet" if (allergy_type or "").strip().lower() in ("diet", "dietary", "religious", "preference") \
        else "allergy"
    label = f"{allergen} {'diet' if kind == 'diet' else 'allergy'}" + (f" ({severity})" if severity else "")
    tags = {_key(allergen)}
    # common spellings of the same allergen on menu items
    for family, words in ALLERGEN_FAMILIES.items():
        if _key(allergen) in words:
            tags |= words | {family}
    return Alert(kind, label, tuple(sorted(tags)))


ALLERGEN_FAMILIES = {
    "peanuts": {"peanut", "peanuts"},
    "tree nuts": {"tree nut", "tree nuts", "nuts"},
    "milk": {"milk", "dairy"},
    "eggs": {"egg", "eggs"},
    "shellfish": {"shellfish", "shrimp"},
    "wheat/gluten": {"wheat", "gluten", "wheat/gluten"},
    "pork": {"pork"},
    "meat": {"meat", "pork", "beef", "chicken"},
}
