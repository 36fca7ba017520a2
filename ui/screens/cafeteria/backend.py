"""What the cafeteria screens need from the back end, as frozen DTOs and one port.

The screens call a `CafeteriaPort` (every method runs on a worker thread through run_op, never on
the UI thread); ui/screens/cafeteria/service_port.py adapts the cafeteria services and the
terminal's journal (app.services.cafeteria, app.sync.journal) to it. The DTOs are the services' own. The screens never learn a student's eligibility
category: prices arrive already decided, with the same labels for everyone (7 CFR 245.8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

# The services' own DTOs: the screens read them as they are (no second copy to keep in step).
from app.services.cafeteria.dto import (  # re-exported for the screens and their tests
    AlertDTO as Alert,
    DepositDraft,
    HistoryRow,
    HomeroomDTO as Homeroom,
    MealCountRow,
    MealServiceDTO as MealService,
    MenuItemDTO as MenuItem,
    NoteRequired,
    OverLimit,
    OverLimitRow,
    PriceFlagRow,
    PriceRow,
    Quote,
    QuoteLine,
    RegisterSetup,
    RepeatScan,
    SaleDraft,
    SaleResult,
    SaleRow,
    StudentCard,
    StudentHistory,
    StudentHit,
    TillClose,
    TillRow,
)
from app.services.cafeteria.manager import ChargePolicyDTO as ChargePolicy
from app.services.cafeteria.menus import MenuItemDraft, MenuItemRow, ServiceDay, SiteSettings

__all__ = ["Alert", "DepositDraft", "HistoryRow", "Homeroom", "MealCountRow", "MealService", "MenuItem", "NoteRequired",
           "OverLimit", "OverLimitRow", "PriceFlagRow", "PriceRow", "Quote", "QuoteLine", "RegisterSetup", "RepeatScan", "SaleDraft",
           "SaleResult", "SaleRow", "StudentCard", "StudentHistory", "StudentHit", "TillClose", "TillRow",
           "ChargePolicy", "MenuItemDraft", "MenuItemRow", "ServiceDay", "SiteSettings", "JournalStatus", "MealCounts", "CafeteriaPort", "conflicts"]

BALANCE_ALWAYS, BALANCE_ON_REQUEST, BALANCE_NEVER = "always", "on_request", "never"


@dataclass(frozen=True)
class JournalStatus:
    """What the status bar shows of the terminal's journal."""
    pending: int
    last_sync: object | None  # datetime (UTC) of the last pass that reached the database
    online: bool = True


@dataclass(frozen=True)
class MealCounts:
    school_name: str
    day: date
    rows: tuple[MealCountRow, ...]


class CafeteriaPort(Protocol):
    # -- register (cashier) --
    def setup(self) -> RegisterSetup: ...
    def identify(self, code: str, how: str) -> StudentCard: ...  # how: scan, id, pin
    def search(self, text: str) -> list[StudentHit]: ...
    def homerooms(self) -> list[Homeroom]: ...
    def roster(self, homeroom_id: str) -> list[StudentHit]: ...
    def quote(self, student_usi: int, service: str, item_ids: tuple[int, ...]) -> Quote: ...
    def record_sale(self, draft: SaleDraft) -> SaleResult: ...
    def record_deposit(self, draft: DepositDraft) -> Decimal | None: ...
    def journal_status(self) -> JournalStatus: ...
    def balance(self, student_usi: int) -> Decimal: ...  # on request, per the site's policy
    def verify_supervisor(self, login: str, password: str) -> str: ...  # a manager's sign-in, for an override
    # -- till --
    def open_till(self, starting_cash: Decimal, request_id: str) -> TillRow: ...
    def close_till(self, counts: dict[str, int], note: str, request_id: str) -> TillClose: ...
    # -- manager --
    def tills(self) -> list[TillRow]: ...
    def finalize_till(self, till_id: str) -> None: ...
    def recent_sales(self, text: str) -> list[SaleRow]: ...
    def void_sale(self, sale_id: str, reason: str, request_id: str) -> None: ...
    def refund(self, sale_id: str, amount: Decimal, reason: str, request_id: str) -> None: ...
    def nsf_reversal(self, sale_id: str, reason: str, request_id: str) -> None: ...
    def prices(self) -> list[PriceRow]: ...
    def set_price(self, price_id: int, price: Decimal, second_meal_price: Decimal) -> str: ...  # "site"/"district"
    def policies(self) -> list[ChargePolicy]: ...
    def save_policy(self, policy: ChargePolicy) -> str: ...  # whose row changed: "site" or "district"
    def set_student_override(self, student_usi: int, meal_limit: Decimal, a_la_carte_limit: Decimal,
                             reason: str) -> None: ...
    def meal_counts(self, day: date) -> MealCounts: ...
    def meal_counts_pdf(self, day: date) -> bytes: ...
    def monthly_claim_pdf(self, month: date) -> bytes: ...
    def over_limit(self) -> list[OverLimitRow]: ...
    def price_flags(self) -> list[PriceFlagRow]: ...
    def student_history(self, student_usi: int) -> StudentHistory: ...
    # -- the site's menus (manager) --
    def menu_items(self) -> list[MenuItemRow]: ...
    def save_menu_item(self, draft: MenuItemDraft) -> int: ...
    def retire_menu_item(self, item_id: int) -> None: ...
    def meal_services(self, day: date) -> list[ServiceDay]: ...
    def save_meal_service(self, day: date, service: str, runs: bool, starts: str, ends: str,
                          item_codes: tuple[str, ...]) -> None: ...
    def copy_meal_week(self, from_day: date, to_day: date) -> int: ...  # meal services copied, in one transaction
    def site_settings(self) -> SiteSettings: ...
    def save_site_settings(self, balance_display: str, alternate_item_id: int | None) -> None: ...


def conflicts(alerts: tuple[Alert, ...], item: MenuItem) -> tuple[Alert, ...]:
    """The student's alerts an item runs into (by tag)."""
    tags = set(item.tags)
    return tuple(a for a in alerts if tags.intersection(a.tags))
