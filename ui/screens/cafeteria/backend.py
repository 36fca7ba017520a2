"""What the cafeteria screens need from the back end, as frozen DTOs and one port.

The screens call a `CafeteriaPort` (every method runs on a worker thread through run_op, never on
the UI thread); `service_port(ctx)` adapts the cafeteria services and the terminal's journal
(app.services.cafeteria, app.sync.journal) to it. The screens never learn a student's eligibility
category: prices arrive already decided, with the same labels for everyone (7 CFR 245.8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from app.domain.pos_entry import TenderPart
from app.errors import UserError

BALANCE_ALWAYS, BALANCE_ON_REQUEST, BALANCE_NEVER = "always", "on_request", "never"


@dataclass(frozen=True)
class Alert:
    kind: str  # "allergy" or "diet"
    label: str  # "Peanut allergy (severe)", "Vegetarian"
    tags: tuple[str, ...] = ()  # what an item must not contain: ("peanut",), ("meat",)


@dataclass(frozen=True)
class StudentHit:
    student_usi: int
    student_unique_id: str
    name: str
    grade: str
    photo: bytes | None = None


@dataclass(frozen=True)
class StudentCard:
    student_usi: int
    student_unique_id: str
    name: str
    grade: str
    photo: bytes | None
    balance: Decimal | None  # None when the site's policy never shows it
    alerts: tuple[Alert, ...] = ()
    unsynced_sales: int = 0  # this student's sales still in the journal
    visiting_school: str | None = None  # a student of another school, served through the narrow look-up
    recent_sale_seconds: int | None = None  # sold to at this terminal this many seconds ago


@dataclass(frozen=True)
class Homeroom:
    homeroom_id: str
    name: str  # "Room 104 — Ms Alvarez"


@dataclass(frozen=True)
class MealService:
    key: str  # "breakfast", "lunch", "snack"
    name: str


@dataclass(frozen=True)
class MenuItem:
    item_id: int
    name: str
    services: tuple[str, ...]  # the meal services it is sold in
    reimbursable: bool  # a reimbursable meal (one per student per service) or a la carte
    tags: tuple[str, ...] = ()  # allergens and diet conflicts: "peanut", "milk", "meat", "gluten"


@dataclass(frozen=True)
class RegisterSetup:
    school_id: int
    school_name: str
    terminal_id: str
    services: tuple[MealService, ...]
    items: tuple[MenuItem, ...]
    balance_display: str = BALANCE_ALWAYS
    duplicate_scan_seconds: int = 30
    till_open: bool = False
    current_service: str | None = None  # the one serving now, by the clock


@dataclass(frozen=True)
class QuoteLine:
    item_id: int
    name: str  # "Lunch" for everyone; "Lunch (second meal)" for the second one
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    total: Decimal


@dataclass(frozen=True)
class SaleDraft:
    sale_id: str  # made by the screen when the ticket starts: a repeated submit is the same sale
    student_usi: int
    service: str
    item_ids: tuple[int, ...]
    tenders: tuple[TenderPart, ...]
    acknowledged: tuple[str, ...] = ()  # alert labels the cashier acknowledged
    override_reason: str | None = None
    override_by: str | None = None  # the manager who allowed a charge past the limit
    confirm_repeat: bool = False  # the cashier confirmed serving the same student again


@dataclass(frozen=True)
class SaleResult:
    sale_id: str
    total: Decimal
    change_due: Decimal
    balance_after: Decimal | None
    pending: int  # sales of this terminal not yet applied on the server


@dataclass(frozen=True)
class DepositDraft:
    deposit_id: str
    student_usi: int
    amount: Decimal
    kind: str  # "cash" or "check"
    check_number: str | None = None


@dataclass(frozen=True)
class JournalStatus:
    pending: int
    last_sync: datetime | None
    online: bool = True


@dataclass(frozen=True)
class TillClose:
    till_id: str
    expected: Decimal
    counted: Decimal

    @property
    def over_short(self) -> Decimal:
        return self.counted - self.expected


@dataclass(frozen=True)
class TillRow:
    till_id: str
    cashier: str
    terminal: str
    opened_at: datetime
    starting_cash: Decimal
    expected: Decimal | None
    counted: Decimal | None
    note: str = ""
    status: str = "open"  # open, counted, finalized


@dataclass(frozen=True)
class SaleRow:
    sale_id: str
    when: datetime
    student_name: str
    description: str  # "Lunch, Milk"; "Deposit (cash)"
    amount: Decimal
    tender: str
    kind: str = "sale"  # sale, deposit, void, refund, nsf
    reversible: bool = True


@dataclass(frozen=True)
class HistoryRow:
    when: datetime
    description: str
    amount: Decimal
    balance_after: Decimal | None


@dataclass(frozen=True)
class StudentHistory:
    student: StudentHit
    balance: Decimal
    rows: tuple[HistoryRow, ...]


@dataclass(frozen=True)
class OverLimitRow:
    student_name: str
    student_unique_id: str
    balance: Decimal
    limit: Decimal
    sale_id: str
    when: datetime


@dataclass(frozen=True)
class MealCountRow:
    service: str
    category: str  # free / reduced / paid: the office report, never the register
    reimbursable: int
    non_reimbursable: int


@dataclass(frozen=True)
class MealCounts:
    school_name: str
    day: date
    rows: tuple[MealCountRow, ...]


@dataclass(frozen=True)
class PriceRow:
    price_id: int
    service: str
    group: str  # "Grades 6-8 paid", "Adult": the manager's screen, never the register
    price: Decimal
    second_meal_price: Decimal


@dataclass(frozen=True)
class ChargePolicy:
    policy_id: int
    eligibility: str | None  # None: everyone
    grade_from: int
    grade_to: int
    meal_charge_limit: Decimal  # how far below zero a reimbursable meal may charge
    a_la_carte_limit: Decimal


class OverLimit(UserError):
    """A reimbursable meal on account would pass the charge limit: the screen offers the policy's
    alternate meal or a supervisor's override with a reason (never a refusal to feed)."""

    def __init__(self, message: str, alternate_item_id: int | None = None) -> None:
        super().__init__(message)
        self.alternate_item_id = alternate_item_id


class RepeatScan(UserError):
    """The same student was sold to moments ago (by this terminal): the cashier confirms first."""

    def __init__(self, message: str, seconds: int) -> None:
        super().__init__(message)
        self.seconds = seconds


class NoteRequired(UserError):
    """A till count that differs from what is expected: nothing is closed until a note explains it."""

    def __init__(self, message: str, close: TillClose) -> None:
        super().__init__(message)
        self.close = close


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
    def set_price(self, price_id: int, price: Decimal, second_meal_price: Decimal) -> None: ...
    def policies(self) -> list[ChargePolicy]: ...
    def save_policy(self, policy: ChargePolicy) -> None: ...
    def meal_counts(self, day: date) -> MealCounts: ...
    def meal_counts_pdf(self, day: date) -> bytes: ...
    def monthly_claim_pdf(self, month: date) -> bytes: ...
    def over_limit(self) -> list[OverLimitRow]: ...
    def student_history(self, student_usi: int) -> StudentHistory: ...


def conflicts(alerts: tuple[Alert, ...], item: MenuItem) -> tuple[Alert, ...]:
    """The student's alerts an item runs into (by tag)."""
    tags = set(item.tags)
    return tuple(a for a in alerts if tags.intersection(a.tags))
