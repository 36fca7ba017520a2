"""A stand-in for the cafeteria back end, for the register's interaction tests only: what the
screen sends is recorded so a test can check that one Enter made one sale with the right tender.
(The services and the journal are tested against real PostgreSQL and a real SQLite journal in
tests/integration; tests/ui/test_cafeteria_services.py drives the screens over the real ones.)"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from app.domain.pos_entry import count_total
from app.errors import UserError
from ui.screens.cafeteria import backend as B

ITEMS = (B.MenuItem(1, "Lunch", ("lunch",), True), B.MenuItem(2, "Milk", ("lunch", "breakfast"), False, ("milk",)),
         B.MenuItem(3, "PB&J sandwich", ("lunch",), False, ("peanut",)),
         B.MenuItem(4, "Breakfast", ("breakfast",), True), B.MenuItem(5, "Cookie", ("lunch",), False, ("gluten",)),
         B.MenuItem(6, "Alternate meal", ("lunch",), True))
PRICES = {1: Decimal("3.25"), 2: Decimal("0.75"), 3: Decimal("2.50"), 4: Decimal("2.00"), 5: Decimal("1.00"),
          6: Decimal("0.00")}


class PortDouble:
    def __init__(self, ctx=None, balance_display=B.BALANCE_ALWAYS):
        self.balance_display = balance_display
        self.sales: dict[str, B.SaleDraft] = {}
        self.deposits: list[B.DepositDraft] = []
        self.pending = 0
        self.till = False
        self.till_opened: list[Decimal] = []
        self.closed: list[tuple[dict, str]] = []
        self.expected = Decimal("50.00")
        self.over_limit_for: set[int] = set()
        self.asked: list[tuple[str, str]] = []
        self.cards = {
            "604101": B.StudentCard(101, "604101", "Maya Lopez", "7", None, Decimal("12.50"),
                                    (B.Alert("allergy", "Peanut allergy (severe)", ("peanut",)),), 0),
            "604102": B.StudentCard(102, "604102", "Theo Marsh", "8", None, Decimal("-3.25"), (), 1),
        }

    def setup(self):
        return B.RegisterSetup(2, "Riverbend Middle", "RMS-POS-1",
                               (B.MealService("breakfast", "Breakfast"), B.MealService("lunch", "Lunch")),
                               ITEMS, self.balance_display, 30, self.till, "lunch")

    def identify(self, code, how):
        self.asked.append((code, how))
        key = code[:-1] if how == "pin" else code
        if how == "pin" and not code.endswith("7"):
            raise UserError("That PIN is not right; type the student id and its check digit again.")
        if key not in self.cards:
            raise UserError(f"No student of this school has the id {code}; check the card and scan it again.")
        return self.cards[key]

    def search(self, text):
        return [B.StudentHit(c.student_usi, c.student_unique_id, c.name, c.grade) for c in self.cards.values()
                if text.lower() in c.name.lower()]

    def homerooms(self):
        return [B.Homeroom("104", "Room 104 — Ms Alvarez")]

    def roster(self, homeroom_id):
        return [B.StudentHit(c.student_usi, c.student_unique_id, c.name, c.grade) for c in self.cards.values()]

    def quote(self, usi, service, items):
        lines = tuple(B.QuoteLine(i, next(x.name for x in ITEMS if x.item_id == i), PRICES[i]) for i in items)
        return B.Quote(lines, sum((line.amount for line in lines), Decimal("0.00")))

    def record_sale(self, draft):
        if draft.student_usi in self.over_limit_for and draft.override_reason is None and 6 not in draft.item_ids \
                and any(p.kind == "account" for p in draft.tenders):
            raise B.OverLimit("Theo Marsh's account is at its charge limit for meals.", alternate_item_id=6)
        if draft.sale_id not in self.sales:
            self.sales[draft.sale_id] = draft
            self.pending += 1
        total = self.quote(draft.student_usi, draft.service, draft.item_ids).total
        change = sum(((p.tendered or p.amount) - p.amount for p in draft.tenders), Decimal("0.00"))
        return B.SaleResult(draft.sale_id, total, change, Decimal("9.25"), self.pending)

    def record_deposit(self, draft):
        self.deposits.append(draft)
        self.pending += 1
        return Decimal("32.50")

    def journal_status(self):
        return B.JournalStatus(self.pending, datetime(2026, 12, 3, 17, 42, tzinfo=timezone.utc))

    def open_till(self, amount, request_id):
        self.till = True
        self.till_opened.append(amount)

    def close_till(self, counts, note, request_id):
        result = B.TillClose(1, self.expected, count_total(counts))
        if result.over_short and not note:
            raise B.NoteRequired("A note is needed.", result)
        self.closed.append((counts, note))
        self.till = False
        return result
