"""A stand-in for the cafeteria back end, for the register's interaction tests only: what the
screen sends is recorded so a test can check that one Enter made one sale with the right tender.
(The services and the journal are tested against real PostgreSQL and a real SQLite journal in
tests/integration; tests/ui/test_cafeteria_services.py drives the screens over the real ones.)"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from app.domain.pos_entry import count_total
from app.errors import UserError
from ui.screens.cafeteria import backend as B

def _day(service, runs):
    from app.services.cafeteria.menus import ServiceDay

    return ServiceDay(service, runs, None, None, ())


def item(item_id, name, services, reimbursable, tags=()):
    return B.MenuItem(item_id, f"C{item_id}", name, services, reimbursable, None, tags)


ITEMS = (item(1, "Lunch", ("lunch",), True), item(2, "Milk", ("lunch", "breakfast"), False, ("milk",)),
         item(3, "PB&J sandwich", ("lunch",), False, ("peanut",)),
         item(4, "Breakfast", ("breakfast",), True), item(5, "Cookie", ("lunch",), False, ("gluten",)),
         item(6, "Alternate meal", ("lunch",), True))
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
        self.balance_after = Decimal("9.25")
        self.over_limit_for: set[int] = set()
        self.asked: list[tuple[str, str]] = []
        self.cards = {
            "604101": B.StudentCard(101, "604101", "Maya Lopez", "7", None, None, Decimal("12.50"),
                                    (B.Alert("allergy", "Peanut allergy (severe)", ("peanut",)),), 0,
                                    low_balance_threshold=Decimal("5.00")),
            "604102": B.StudentCard(102, "604102", "Theo Marsh", "8", None, None, Decimal("-3.25"), (), 1,
                                    low_balance_threshold=Decimal("5.00")),
        }

    def setup(self):
        return B.RegisterSetup(2, "Riverbend Middle", "RMS-POS-1",
                               (B.MealService("breakfast", "Breakfast"), B.MealService("lunch", "Lunch")),
                               ITEMS, self.balance_display, 30, self.till, None, "lunch", "v1", False)

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
        lines = tuple(B.QuoteLine(i, next(x.name for x in ITEMS if x.item_id == i), PRICES[i], i in (1, 4, 6))
                      for i in items)
        return B.Quote(lines, sum((line.amount for line in lines), Decimal("0.00")))

    def record_sale(self, draft):
        if draft.student_usi in self.over_limit_for and draft.override_by is None and 6 not in draft.item_ids \
                and any(p.kind == "account" for p in draft.tenders):
            raise B.OverLimit("Theo Marsh's account is at its charge limit for meals.", alternate_item_id=6)
        if draft.sale_id not in self.sales:
            self.sales[draft.sale_id] = draft
            self.pending += 1
        total = self.quote(draft.student_usi, draft.service, draft.item_ids).total
        change = sum(((p.tendered or p.amount) - p.amount for p in draft.tenders), Decimal("0.00"))
        return B.SaleResult(draft.sale_id, total, change, self.balance_after, self.pending)

    def record_deposit(self, draft):
        self.deposits.append(draft)
        self.pending += 1
        return Decimal("32.50")

    def balance(self, student_usi):
        return {101: Decimal("12.50"), 102: Decimal("-3.25")}[student_usi]

    def verify_supervisor(self, login, password):
        if (login, password) != ("demo_cafeteria_manager", "right"):
            raise UserError("That sign-in name or password is not right, or it is not a cafeteria manager's.")
        return login

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

    # -- the manager's side --
    def _manager_data(self):
        if not hasattr(self, "sale_rows"):
            when = datetime(2026, 12, 3, 11, 40, tzinfo=timezone.utc)
            self.sale_rows = [B.SaleRow("s-1", when, "Theo Marsh", "Lunch, Milk", Decimal("4.00"), "account"),
                              B.SaleRow("d-1", when, "Maya Lopez", "Deposit (check)", Decimal("20.00"), "check",
                                        kind="deposit")]
            self.reversals: list[tuple] = []
            self.till_rows = [B.TillRow("t-1", "demo_cashier", "RMS-POS-1", when, Decimal("50.00"), Decimal("80.00"),
                                        Decimal("76.00"), "Gave $4 too much change", "counted")]
            self.finalized: list[str] = []
            self.price_rows = [B.PriceRow(1, "lunch", "Grades 6-8 paid", Decimal("3.25"), Decimal("4.50"))]
            self.policy_rows = [B.ChargePolicy(1, None, -1, 12, Decimal("10.00"), Decimal("0.00"))]

    def recent_sales(self, text):
        self._manager_data()
        return [r for r in self.sale_rows if text.lower() in r.student_name.lower()]

    def void_sale(self, sale_id, reason, request_id):
        self._manager_data()
        self.reversals.append(("void", sale_id, reason))

    def refund(self, sale_id, amount, reason, request_id):
        self._manager_data()
        sale = next(r for r in self.sale_rows if r.sale_id == sale_id)
        if amount > sale.amount:
            raise UserError("A refund cannot be more than its sale.")
        self.reversals.append(("refund", sale_id, amount, reason))

    def nsf_reversal(self, sale_id, reason, request_id):
        self._manager_data()
        self.reversals.append(("nsf", sale_id, reason))

    def tills(self):
        self._manager_data()
        return list(self.till_rows)

    def finalize_till(self, till_id):
        self._manager_data()
        self.finalized.append(till_id)
        self.till_rows = [r if r.till_id != till_id else B.TillRow(r.till_id, r.cashier, r.terminal, r.opened_at,
                          r.starting_cash, r.expected, r.counted, r.note, "finalized") for r in self.till_rows]

    def prices(self):
        self._manager_data()
        return list(self.price_rows)

    def set_price(self, price_id, price, second):
        self._manager_data()
        self.price_rows = [B.PriceRow(r.price_id, r.service, r.group, price, second, True) for r in self.price_rows]
        return "site"  # a manager's change to a district price becomes the school's own

    def policies(self):
        self._manager_data()
        return list(self.policy_rows)

    def save_policy(self, policy):
        self.policy_rows = [policy]
        return "district" if not policy.site else "site"

    # -- the site's meal services (the week copy's screen test) --
    def menu_items(self):
        return []

    def meal_services(self, day):
        return [_day(k, k != "snack") for k in ("breakfast", "lunch", "snack")]

    def copy_meal_week(self, from_day, to_day):
        self.copied = getattr(self, "copied", []) + [(from_day, to_day)]
        if len(self.copied) > 1:
            raise UserError(f"The week of {to_day:%m/%d/%Y} already has 10 meal services planned, so nothing was "
                            "copied; change that week a day at a time, or take its services off first.")
        return 10

    def set_student_override(self, student_usi, meal_limit, a_la_carte_limit, reason):
        self.overrides = getattr(self, "overrides", []) + [(student_usi, meal_limit, a_la_carte_limit, reason)]

    def meal_counts(self, day):
        return B.MealCounts("Riverbend Middle", day, (B.MealCountRow(2, "Riverbend Middle", day, "Lunch", "Free", 120, 3),
                                                      B.MealCountRow(2, "Riverbend Middle", day, "Lunch", "Paid", 210, 9)))

    def meal_counts_pdf(self, day):
        return b"%PDF-1.4 meal counts"

    def monthly_claim_pdf(self, month):
        return b"%PDF-1.4 claim " + month.isoformat().encode()

    def over_limit(self):
        return [B.OverLimitRow("Theo Marsh", "604102", Decimal("-12.75"), Decimal("10.00"), "s-9",
                               datetime(2026, 12, 3, 12, 5, tzinfo=timezone.utc))]

    def price_flags(self):
        return [B.PriceFlagRow("Theo Marsh", "604102", date(2026, 12, 3), "lunch", "free", "paid", Decimal("0.00"),
                               Decimal("3.10"), "s-10", datetime(2026, 12, 3, 12, 6, tzinfo=timezone.utc))]

    def student_history(self, student_usi):
        hit = B.StudentHit(102, "604102", "Theo Marsh", "8")
        return B.StudentHistory(hit, Decimal("-3.25"), (
            B.HistoryRow(datetime(2026, 12, 2, 11, 40, tzinfo=timezone.utc), "Lunch", Decimal("-3.25"), Decimal("-3.25")),))
