"""What the cafeteria services hand to the screens: frozen dataclasses, never ORM rows.

The register's DTOs never carry a student's eligibility category: prices arrive decided, with the
same words for everyone (no overt identification, 7 CFR 245.8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.errors import UserError


@dataclass(frozen=True)
class AlertDTO:
    kind: str  # allergy, diet
    label: str
    tags: tuple[str, ...] = ()


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
    photo_url: str | None
    balance: Decimal | None  # None when the site's policy does not show it on the card
    alerts: tuple[AlertDTO, ...] = ()
    unsynced_sales: int = 0
    visiting_school: str | None = None
    recent_sale_seconds: int | None = None  # this terminal sold to them this many seconds ago
    # the district's low-balance line: a balance shown under it is marked low for the cashier (the family is told
    # by the office's notice, never the child on screen)
    low_balance_threshold: Decimal | None = None


@dataclass(frozen=True)
class HomeroomDTO:
    homeroom_id: str
    name: str


@dataclass(frozen=True)
class MealServiceDTO:
    key: str
    name: str


@dataclass(frozen=True)
class MenuItemDTO:
    item_id: int
    code: str
    name: str
    services: tuple[str, ...]
    reimbursable: bool
    a_la_carte_price: Decimal | None
    tags: tuple[str, ...] = ()
    fkey: int | None = None  # its register key (F1-F12) as the manager set it; None: the next free one


@dataclass(frozen=True)
class RegisterSetup:
    school_id: int
    school_name: str
    terminal_id: str
    services: tuple[MealServiceDTO, ...]
    items: tuple[MenuItemDTO, ...]
    balance_display: str
    duplicate_scan_seconds: int
    till_open: bool
    till_id: str | None
    current_service: str | None
    snapshot_version: str
    offline: bool


@dataclass(frozen=True)
class QuoteLine:
    item_id: int
    name: str
    amount: Decimal
    reimbursable: bool


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    total: Decimal
    alerts: tuple[AlertDTO, ...] = ()
    needs_override: bool = False
    alternate_item_id: int | None = None
    message: str | None = None


@dataclass(frozen=True)
class SaleDraft:
    sale_id: str
    student_usi: int | None
    service: str
    item_ids: tuple[int, ...]
    tenders: tuple = ()
    acknowledged: tuple[str, ...] = ()
    override_by: str | None = None
    override_reason: str | None = None
    confirm_repeat: bool = False
    adult: bool = False


@dataclass(frozen=True)
class SaleResult:
    sale_id: str
    total: Decimal
    change_due: Decimal
    balance_after: Decimal | None
    pending: int


@dataclass(frozen=True)
class DepositDraft:
    deposit_id: str
    student_usi: int
    amount: Decimal | str
    kind: str = "cash"
    check_number: str | None = None


@dataclass(frozen=True)
class JournalStatusDTO:
    pending: int
    held: int
    last_sync: datetime | None
    online: bool


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
    description: str
    amount: Decimal
    tender: str
    kind: str = "sale"
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
class PriceFlagRow:
    """A meal line sold at another eligibility or price than the student's own (migration 0055): claimed and
    billed at the student's own by the server, listed for the manager."""
    student_name: str
    student_unique_id: str
    service_date: date
    meal_service: str
    line_eligibility: str | None
    student_eligibility: str
    line_price: Decimal | None
    due_price: Decimal | None
    sale_id: str
    flagged_at: datetime


@dataclass(frozen=True)
class MealCountRow:
    school_id: int
    school_name: str
    day: date
    service: str
    category: str  # free, reduced, paid: the office's report, never the register
    reimbursable: int
    non_reimbursable: int


@dataclass(frozen=True)
class PriceRow:
    price_id: int
    service: str
    group: str  # "Grades 6-8 paid", "Adult"
    price: Decimal
    second_meal_price: Decimal
    site: bool = False  # this school's own price (its manager's); False: the district's (an administrator's)


# -- refusals the screens act on --------------------------------------------------------------
class AlertNotAcknowledged(UserError):
    def __init__(self, alerts: tuple[AlertDTO, ...]) -> None:
        names = ", ".join(a.label for a in alerts)
        super().__init__(f"Check the alert before selling: {names}. Acknowledge it to go on, or take the item off.")
        self.alerts = alerts


class OverLimit(UserError):
    def __init__(self, message: str, alternate_item_id: int | None = None) -> None:
        super().__init__(message)
        self.alternate_item_id = alternate_item_id


class RepeatScan(UserError):
    def __init__(self, name: str, seconds: int) -> None:
        super().__init__(f"{name} was served {seconds} seconds ago at this register; confirm to serve them again.")
        self.seconds = seconds


class NoteRequired(UserError):
    def __init__(self, message: str, close: TillClose) -> None:
        super().__init__(message)
        self.close = close
