"""The cafeteria manager's menu rules, without a database: what a menu item may be, which register
key (F1-F12) it may take, and a meal service's hours. Each refusal is one sentence naming the field
and what to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from app.domain.cafeteria_rules import SERVICE_NAMES, SERVICES
from app.domain.pos_entry import parse_amount
from app.errors import UserError

MAX_ITEM_PRICE = Decimal("100.00")
KEYS = 12
BALANCE_DISPLAYS = ("always", "on_request", "never")


@dataclass(frozen=True)
class MenuItemDraft:
    """What the manager typed for one item (item_id None: a new one)."""
    item_id: int | None
    code: str
    name: str
    category: str  # meal (reimbursable) or a_la_carte
    meal_service: str | None  # breakfast, lunch, snack; None: an a la carte item sold at every service
    price: str | Decimal | None  # a la carte price; None for a meal (its price comes from the price groups)
    allergens: tuple[str, ...] = ()
    diet_flags: tuple[str, ...] = ()
    fkey: int | None = None


@dataclass(frozen=True)
class CleanItem:
    code: str
    name: str
    category: str
    meal_service: str | None
    price: Decimal | None
    allergens: tuple[str, ...]
    diet_flags: tuple[str, ...]
    fkey: int | None


def tags(typed: str | Iterable[str]) -> tuple[str, ...]:
    """'Milk, Wheat/gluten' -> ('Milk', 'Wheat/gluten'): trimmed, blanks and repeats dropped."""
    parts = typed.split(",") if isinstance(typed, str) else list(typed)
    seen: dict[str, str] = {}
    for p in parts:
        p = " ".join(str(p).split())
        if p and p.lower() not in seen:
            seen[p.lower()] = p
    return tuple(seen.values())


def clean_item(d: MenuItemDraft) -> CleanItem:
    name = " ".join((d.name or "").split())
    code = (d.code or "").strip().upper()
    if not name:
        raise UserError("Type the item's name: it is what the register's key shows.")
    if len(name) > 100:
        raise UserError("The item's name is longer than 100 characters; shorten it.")
    if not code:
        raise UserError("Type the item's code (its PLU or barcode), for example L600.")
    if len(code) > 20 or not all(c.isalnum() or c in "-_" for c in code):
        raise UserError(f"The code \"{code}\" must be up to 20 letters or digits, for example L600.")
    if d.category not in ("meal", "a_la_carte"):
        raise UserError("Choose whether the item is a reimbursable meal or a la carte.")
    service = d.meal_service or None
    if service is not None and service not in SERVICES:
        raise UserError("Choose breakfast, lunch or snack for the meal service.")
    if d.category == "meal":
        if service is None:
            raise UserError("Choose the meal service this meal is sold at (breakfast, lunch or snack).")
        if d.price not in (None, "") and str(d.price).strip():
            raise UserError("A meal's price comes from the price groups (the Prices tab); leave its a la carte "
                            "price empty.")
        price = None
    else:
        price = parse_amount(str(d.price or ""), "a la carte price", allow_zero=True, maximum=MAX_ITEM_PRICE)
    allergens, diet = tags(d.allergens), tags(d.diet_flags)
    if any(len(t) > 40 for t in allergens + diet):
        raise UserError("An allergen or diet tag is longer than 40 characters; separate tags with commas.")
    fkey = d.fkey or None
    if fkey is not None and not 1 <= int(fkey) <= KEYS:
        raise UserError(f"The register key must be F1 to F{KEYS}, or none.")
    return CleanItem(code, name, d.category, service, price, allergens, diet, int(fkey) if fkey else None)


def share_a_service(a: str | None, b: str | None) -> bool:
    """Two items are on the register at the same time when their services meet (None: every service)."""
    return a is None or b is None or a == b


def key_taken_by(item: CleanItem, item_id: int | None, others: Iterable) -> object | None:
    """The other active item of the site already on this item's key at a service they share."""
    if item.fkey is None:
        return None
    return next((o for o in others if o.item_id != item_id and o.is_active and o.fkey == item.fkey
                 and share_a_service(o.meal_service, item.meal_service)), None)


def service_hours(service: str, starts: str, ends: str) -> tuple[time, time]:
    """'7:00' and '8:15' -> times; a service must end after it starts."""
    name = SERVICE_NAMES.get(service, service)

    def one(typed: str, what: str) -> time:
        t = (typed or "").strip().lower().replace(".", "")
        for fmt in ("%H:%M", "%I:%M %p", "%I:%M%p", "%I %p", "%I%p"):
            try:
                return datetime.strptime(t, fmt).time()
            except ValueError:
                continue
        raise UserError(f"Type the time {name.lower()} {what} as hours and minutes, for example 11:30.")

    start, end = one(starts, "starts"), one(ends, "ends")
    if end <= start:
        raise UserError(f"{name} must end after it starts; check the two times.")
    return start, end
