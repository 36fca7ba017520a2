"""What only a cafeteria manager does (the page shows this to so_cafeteria_manager and so_admin;
the database refuses it to anyone else): voids, refunds and NSF check reversals as reversing
entries with a reason; finalizing counted tills; prices and the charge policy; the day's meal
counts with printing; the accounts that went past their limit once offline sales synced; and one
student's balance and history, for a parent's question."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.pos_entry import MAX_DEPOSIT, money, parse_amount
from app.domain.typed_input import parse_date, show_date
from app.errors import UserError
from ui.dialogs import confirm, run_dialog
from ui.ops import OpFailed, run_op, spawn
from ui.printing import Printing, Printout
from ui.screens.cafeteria import backend as B
from ui.screens.cafeteria.models import (
    HistoryModel,
    MealCountsModel,
    OverLimitModel,
    PriceFlagsModel,
    PoliciesModel,
    PricesModel,
    SalesModel,
    TillsModel,
)
from ui.screens.cafeteria.manager_menus import MealServicesTab, MenuItemsTab, SiteSettingsTab, _Section
from ui.screens.cafeteria.register_dialogs import ReasonDialog
from ui.widgets import line, selected_row, status, table

FAILED = object()  # a call refused (its sentence is on the message line)
# whose row a price or policy change wrote (a manager's change to a district row becomes the school's own)
_WHERE = {"site": "at this school only", "district": "for the whole district"}


def _page(*widgets) -> QWidget:
    w = QWidget()
    v = QVBoxLayout(w)
    for x in widgets:
        if isinstance(x, QWidget):
            v.addWidget(x, 1 if x.__class__.__name__ == "QTableView" else 0)
        else:
            v.addLayout(x)
    return w


def _row(*widgets) -> QHBoxLayout:
    h = QHBoxLayout()
    for x in widgets:
        h.addWidget(x)
    h.addStretch(1)
    return h


class ManagerView(QWidget):
    def __init__(self, port: Callable[[], B.CafeteriaPort], today: Callable[[], date],
                 parent: QWidget | None = None, printing: Printing | None = None) -> None:
        super().__init__(parent)
        self.port = port
        self.today = today
        self.dialog = None
        self.setAccessibleName("Cafeteria manager")
        self.message = status("Manager message")
        self.message.setStyleSheet("font-size: 12pt; color: #9b1c1c;")
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Manager sections")
        self.tabs.addTab(self._sales_tab(), "Sales")
        self.tabs.addTab(self._tills_tab(), "Tills")
        self.tabs.addTab(self._counts_tab(), "Meal counts")
        self.tabs.addTab(self._over_tab(), "Over limit")
        self.tabs.addTab(self._account_tab(), "Student account")
        self.tabs.addTab(self._menu_tab(), "Prices and policy")
        self.menu_items = MenuItemsTab(port, self.say)
        self.meal_services = MealServicesTab(port, self.say, today)
        self.site_settings = SiteSettingsTab(port, self.say)
        self.tabs.addTab(self.menu_items, "Menu items")
        self.tabs.addTab(self.meal_services, "Meal services")
        self.tabs.addTab(self.site_settings, "Site settings")
        self.tabs.addTab(self._flags_tab(), "Prices to check")
        self._current_tab = 0
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.tabs, 1)
        v.addWidget(self.message)
        self.printing = printing or Printing(self, self.message.setText)
        self.printing.attach(self.print_counts, self._counts_printout, "the day's meal counts")
        self.printing.attach(self.print_claim, self._claim_printout, "the month's reimbursement claim")
        self.tabs.currentChanged.connect(self._tab_opened)

    def say(self, sentence: str) -> None:
        self.message.setText(sentence)

    def _tab_opened(self, index: int) -> None:
        left = self.tabs.widget(self._current_tab)
        if isinstance(left, _Section) and index != self._current_tab and not left.may_move_on():
            self.tabs.blockSignals(True)
            self.tabs.setCurrentIndex(self._current_tab)  # back to the form with the unsaved changes
            self.tabs.blockSignals(False)
            return
        self._current_tab = index
        loaders = {1: self.load_tills, 3: self.load_over_limit, 5: self.load_prices, 6: self.menu_items.load,
                   7: self.meal_services.load, 8: self.site_settings.load, 9: self.load_price_flags}
        if index in loaders:
            spawn(loaders[index]())

    # -- unsaved changes in the menu forms (ui/unsaved.py asks before they are lost) --------------------
    def _sections(self) -> tuple:
        return (self.menu_items, self.meal_services, self.site_settings)

    def unsaved_work(self) -> str | None:
        return next((w for w in (s.unsaved_work() for s in self._sections()) if w), None)

    async def save_unsaved(self) -> bool:
        for s in self._sections():
            if s.unsaved_work():
                self.tabs.setCurrentWidget(s)
                if not await s.save_unsaved():
                    return False
        return True

    def discard_unsaved(self) -> None:
        for s in self._sections():
            if s.unsaved_work():
                s.discard_unsaved()

    async def _call(self, fn, *args, disable=()) -> object:
        """Run one back-end call; its refusal goes to the message line. Returns FAILED on failure."""
        try:
            out = await run_op(fn, *args, disable=disable)
        except OpFailed as err:
            self.message.setText(err.message)
            return FAILED
        self.message.setText("")
        return out

    async def _reason(self, title: str, question: str, ok: str, **amount) -> tuple | None:
        dlg = ReasonDialog(self, title, question, ok, **amount)
        self.dialog = dlg
        try:
            accepted = await run_dialog(dlg)
        finally:
            self.dialog = None
        return dlg.value if accepted else None

    # -- sales: void, refund, NSF ---------------------------------------------------------------------
    def _sales_tab(self) -> QWidget:
        self.sale_find = line("Find sales", "student name or id, or blank for today's")
        self.sales_model = SalesModel(self)
        self.sales = table("Sales", self.sales_model)
        self.void_button = QPushButton("&Void sale…")
        self.refund_button = QPushButton("&Refund…")
        self.nsf_button = QPushButton("&NSF check reversal…")
        for b in (self.void_button, self.refund_button, self.nsf_button):
            b.setAutoDefault(False)
        self.sale_find.returnPressed.connect(lambda: spawn(self.load_sales()))
        self.void_button.clicked.connect(lambda: spawn(self.void_selected()))
        self.refund_button.clicked.connect(lambda: spawn(self.refund_selected()))
        self.nsf_button.clicked.connect(lambda: spawn(self.nsf_selected()))
        return _page(self.sale_find, self.sales, _row(self.void_button, self.refund_button, self.nsf_button))

    async def load_sales(self) -> int:
        rows = await self._call(self.port().recent_sales, self.sale_find.text().strip())
        if rows is FAILED:
            return 0
        self.sales_model.set_rows(rows)
        if not rows:
            self.message.setText("No sales match; try a student id or part of a name.")
        return len(rows)

    def _selected_sale(self, kinds: tuple[str, ...]) -> B.SaleRow | None:
        row = self.sales_model.row(selected_row(self.sales))
        if row is None:
            self.message.setText("Choose a sale in the list first (arrows, then the button).")
            return None
        if row.kind not in kinds or not row.reversible:
            self.message.setText(f"That entry is a {row.kind} that cannot be reversed this way.")
            return None
        return row

    async def void_selected(self) -> bool:
        sale = self._selected_sale(("sale",))
        if sale is None:
            return False
        answer = await self._reason("Void sale", f"Void {sale.student_name}'s {sale.description} "
                                    f"({money(sale.amount)})? A reversing entry is added; the sale stays in the ledger.",
                                    "Void the sale")
        if answer is None:
            return False
        return await self._reverse(f"{sale.student_name}'s sale is voided.", self.port().void_sale, sale.sale_id,
                                   answer[0], str(uuid.uuid4()))

    async def _reverse(self, sentence: str, fn, *args) -> bool:
        """A reversing entry (void, refund, NSF); the list is read again to show it."""
        try:
            await run_op(fn, *args)
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        await self.load_sales()
        self.message.setText(sentence)
        return True

    async def refund_selected(self) -> bool:
        sale = self._selected_sale(("sale",))
        if sale is None:
            return False
        answer = await self._reason("Refund", f"Refund part or all of {sale.student_name}'s {sale.description}.",
                                    "Refund", amount_label="Refund amount", maximum=abs(sale.amount))
        if answer is None:
            return False
        reason, amount = answer
        return await self._reverse(f"Refunded {money(amount)} to {sale.student_name}.", self.port().refund,
                                   sale.sale_id, amount, reason, str(uuid.uuid4()))

    async def nsf_selected(self) -> bool:
        sale = self._selected_sale(("deposit",))
        if sale is None:
            return False
        answer = await self._reason("NSF check reversal", f"Reverse {sale.student_name}'s check deposit of "
                                    f"{money(sale.amount)} returned by the bank?", "Reverse the deposit")
        if answer is None:
            return False
        return await self._reverse(f"{sale.student_name}'s check deposit is reversed.", self.port().nsf_reversal,
                                   sale.sale_id, answer[0], str(uuid.uuid4()))

    # -- tills ---------------------------------------------------------------------------------------
    def _tills_tab(self) -> QWidget:
        self.tills_model = TillsModel(self)
        self.tills = table("Tills", self.tills_model)
        self.finalize_button = QPushButton("&Finalize till…")
        self.finalize_button.setAutoDefault(False)
        self.finalize_button.clicked.connect(lambda: spawn(self.finalize_selected()))
        return _page(self.tills, _row(self.finalize_button))

    async def load_tills(self) -> int:
        rows = await self._call(self.port().tills)
        if rows is FAILED:
            return 0
        self.tills_model.set_rows(rows)
        return len(rows)

    async def finalize_selected(self) -> bool:
        till = self.tills_model.row(selected_row(self.tills))
        if till is None or till.status != "counted":
            self.message.setText("Choose a till that has been counted and closed.")
            return False
        if not await confirm(self, "Finalize till",
                             f"Finalize {till.cashier}'s till ({till.terminal}): counted "
                             f"{money(till.counted)}, expected {money(till.expected)}?", "Finalize"):
            return False
        if await self._call(self.port().finalize_till, till.till_id) is FAILED:
            return False
        await self.load_tills()
        self.message.setText(f"{till.cashier}'s till is finalized.")
        return True

    # -- meal counts ---------------------------------------------------------------------------------
    def _counts_tab(self) -> QWidget:
        self.counts_day = line("Day of the meal counts", "MM/DD/YYYY", show_date(self.today()))
        self.show_counts = QPushButton("&Show")
        self.show_counts.setAutoDefault(False)
        self.print_counts = QPushButton("&Print meal counts…")
        self.print_claim = QPushButton("Print monthly &claim…")
        self.counts_model = MealCountsModel(self)
        self.counts = table("Meal counts", self.counts_model)
        self.counts_title = QLabel("")
        self.counts_day.returnPressed.connect(lambda: spawn(self.load_counts()))
        self.show_counts.clicked.connect(lambda: spawn(self.load_counts()))
        self.counts_day.setMaximumWidth(120)
        return _page(_row(QLabel("Day"), self.counts_day, self.show_counts), _row(self.print_counts, self.print_claim),
                     self.counts_title, self.counts)

    def _day(self) -> date | None:
        try:
            return parse_date(self.counts_day.text(), "Day")
        except UserError as err:
            self.message.setText(err.message)
            return None

    async def load_counts(self) -> int:
        day = self._day()
        if day is None:
            return 0
        counts = await self._call(self.port().meal_counts, day)
        if counts is FAILED:
            return 0
        self.counts_model.set_rows(counts.rows)
        self.counts_title.setText(f"{counts.school_name}, {show_date(counts.day)}")
        return len(counts.rows)

    def _counts_printout(self) -> Printout | None:
        day = self._day()
        if day is None:
            return None
        port = self.port()
        return Printout("meal_counts", f"Meal counts {show_date(day)}", f"meal-counts-{day.isoformat()}.pdf",
                        lambda: port.meal_counts_pdf(day))

    def _claim_printout(self) -> Printout | None:
        day = self._day()
        if day is None:
            return None
        port = self.port()
        month = day.replace(day=1)
        return Printout("meal_claim", f"Meal claim {month:%B %Y}", f"meal-claim-{month:%Y-%m}.pdf",
                        lambda: port.monthly_claim_pdf(month))

    # -- over the limit after sync ----------------------------------------------------------------------
    def _over_tab(self) -> QWidget:
        self.over_model = OverLimitModel(self)
        self.over = table("Accounts past their charge limit", self.over_model)
        note = QLabel("Sales made offline that took an account past its limit once they reached the server. "
                      "They are kept, never voided; the family is notified by the office.")
        note.setWordWrap(True)
        return _page(note, self.over)

    async def load_over_limit(self) -> int:
        rows = await self._call(self.port().over_limit)
        if rows is FAILED:
            return 0
        self.over_model.set_rows(rows)
        return len(rows)

    # -- meals sold at another eligibility or price than the student's own ---------------------------------
    def _flags_tab(self) -> QWidget:
        self.flags_model = PriceFlagsModel(self)
        self.flags = table("Meals sold at another price or eligibility", self.flags_model)
        note = QLabel("Meals whose sale carried another eligibility or price than the student's own (a register "
                      "working from an old roster, or a sale written by hand). The school's database claimed and "
                      "billed them at the student's own; check with the cashier.")
        note.setWordWrap(True)
        return _page(note, self.flags)

    async def load_price_flags(self) -> int:
        rows = await self._call(self.port().price_flags)
        if rows is FAILED:
            return 0
        self.flags_model.set_rows(rows)
        return len(rows)

    # -- one student's account ----------------------------------------------------------------------------
    def _account_tab(self) -> QWidget:
        self.account_find = line("Student for the account", "student id, then Enter")
        self.account_title = QLabel("")
        self.account_title.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.history_model = HistoryModel(self)
        self.history = table("Account history", self.history_model)
        self.account_find.returnPressed.connect(lambda: spawn(self.load_history()))
        self.own_meal_limit = line("This student's meal charge limit", "e.g. 15.00")
        self.own_ala_limit = line("This student's a la carte charge limit", "e.g. 0.00")
        self.own_reason = line("Reason for this student's own limits")
        self.own_limits_button = QPushButton("Set this student's &limits")
        self.own_limits_button.setAutoDefault(False)
        for w in (self.own_meal_limit, self.own_ala_limit):
            w.setMaximumWidth(110)
        self.own_limits_button.clicked.connect(lambda: spawn(self.set_student_limits()))
        self.account_usi: int | None = None
        return _page(self.account_find, self.account_title, self.history,
                     _row(QLabel("Own limits: meals"), self.own_meal_limit, QLabel("a la carte"), self.own_ala_limit),
                     _row(QLabel("Why"), self.own_reason, self.own_limits_button))

    async def load_history(self) -> int:
        code = self.account_find.text().strip()
        if not code.isdigit():
            self.message.setText("Type the student id (digits), then Enter.")
            return 0
        card = await self._call(self.port().identify, code, "id")
        if card is FAILED:
            return 0
        history = await self._call(self.port().student_history, card.student_usi)
        if history is FAILED:
            return 0
        self.account_usi = history.student.student_usi
        self.account_title.setText(f"{history.student.name} ({history.student.student_unique_id}): "
                                   f"balance {money(history.balance)}")
        self.history_model.set_rows(history.rows)
        return len(history.rows)

    async def set_student_limits(self) -> bool:
        """A per-student override of the charge policy (SP 46-2016 allows it), with its reason."""
        if self.account_usi is None:
            self.message.setText("Open a student's account first (their id, then Enter).")
            return False
        try:
            meal = parse_amount(self.own_meal_limit.text(), "meal charge limit", allow_zero=True, maximum=MAX_DEPOSIT)
            ala = parse_amount(self.own_ala_limit.text(), "a la carte charge limit", allow_zero=True,
                               maximum=MAX_DEPOSIT)
        except UserError as err:
            self.message.setText(err.message)
            return False
        reason = self.own_reason.text().strip()
        if len(reason) < 4:
            self.message.setText("Type the reason for this student's own limits in a few words.")
            return False
        if await self._call(self.port().set_student_override, self.account_usi, meal, ala, reason,
                            disable=(self.own_limits_button,)) is FAILED:
            return False
        self.message.setText(f"This student's meals may now charge down to {money(-meal)}, "
                             f"a la carte down to {money(-ala)}.")
        return True

    # -- prices and the charge policy -----------------------------------------------------------------------
    def _menu_tab(self) -> QWidget:
        self.prices_model = PricesModel(self)
        self.prices = table("Meal prices", self.prices_model)
        self.new_price = line("New meal price for the chosen row", "e.g. 3.25")
        self.new_second = line("New second-meal price for the chosen row", "blank: unchanged")
        self.set_price_button = QPushButton("Set &price")
        self.set_price_button.setAutoDefault(False)
        self.policies_model = PoliciesModel(self)
        self.policies = table("Charge policies", self.policies_model)
        self.meal_limit = line("Meals may be charged down to minus", "e.g. 10.00")
        self.ala_limit = line("A la carte may be charged down to minus", "e.g. 0.00")
        self.save_policy_button = QPushButton("Save &limits")
        self.save_policy_button.setAutoDefault(False)
        policy = QGroupBox("Charge policy: how far below zero an account may go")
        f = QVBoxLayout(policy)
        f.addWidget(self.policies)
        f.addLayout(_row(QLabel("Meals"), self.meal_limit, QLabel("A la carte"), self.ala_limit,
                         self.save_policy_button))
        self.set_price_button.clicked.connect(lambda: spawn(self.set_selected_price()))
        self.new_price.returnPressed.connect(lambda: spawn(self.set_selected_price()))
        self.save_policy_button.clicked.connect(lambda: spawn(self.save_policy()))
        self.policies.clicked.connect(self._policy_chosen)
        for w in (self.new_price, self.new_second, self.meal_limit, self.ala_limit):
            w.setMaximumWidth(110)
        return _page(self.prices, _row(QLabel("Price"), self.new_price, QLabel("Second meal"), self.new_second,
                                       self.set_price_button), policy)

    async def load_prices(self) -> int:
        rows = await self._call(self.port().prices)
        if rows is FAILED:
            return 0
        self.prices_model.set_rows(rows)
        policies = await self._call(self.port().policies)
        if policies is not FAILED:
            self.policies_model.set_rows(policies)
        return len(rows)

    def _policy_chosen(self) -> None:
        p = self.policies_model.row(selected_row(self.policies))
        if p is not None:
            self.meal_limit.setText(f"{p.meal_charge_limit:.2f}")
            self.ala_limit.setText(f"{p.a_la_carte_limit:.2f}")

    async def set_selected_price(self) -> bool:
        row = self.prices_model.row(selected_row(self.prices))
        if row is None:
            self.message.setText("Choose a row in the price list first.")
            return False
        try:
            price = parse_amount(self.new_price.text(), "price", allow_zero=True, maximum=MAX_DEPOSIT)
            second = parse_amount(self.new_second.text(), "second-meal price", allow_zero=True,
                                  maximum=MAX_DEPOSIT) if self.new_second.text().strip() else row.second_meal_price
        except UserError as err:
            self.message.setText(err.message)
            return False
        whose = await self._call(self.port().set_price, row.price_id, price, second, disable=(self.set_price_button,))
        if whose is FAILED:
            return False
        self.new_price.clear()
        self.new_second.clear()
        await self.load_prices()
        self.message.setText(f"{row.group} ({row.service}) now costs {money(price)}, a second meal {money(second)}, "
                             f"{_WHERE[whose]}.")
        return True

    async def save_policy(self) -> bool:
        p = self.policies_model.row(selected_row(self.policies))
        if p is None:
            self.message.setText("Choose a policy in the list first.")
            return False
        try:
            meal = parse_amount(self.meal_limit.text(), "meal charge limit", allow_zero=True, maximum=MAX_DEPOSIT)
            ala = parse_amount(self.ala_limit.text(), "a la carte charge limit", allow_zero=True, maximum=MAX_DEPOSIT)
        except UserError as err:
            self.message.setText(err.message)
            return False
        policy = replace(p, meal_charge_limit=meal, a_la_carte_limit=ala)
        whose = await self._call(self.port().save_policy, policy, disable=(self.save_policy_button,))
        if whose is FAILED:
            return False
        await self.load_prices()
        self.message.setText(f"The charge policy is saved {_WHERE[whose]}; registers use it from their next "
                             "snapshot.")
        return True
