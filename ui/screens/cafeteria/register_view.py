"""The register: find the student (scan, typed id, PIN keypad, name search with photos, homeroom
grid), see their card, ring up items of the meal service, pay (account, cash, check, split) or
take a deposit. Keyboard first: the scan field keeps the focus, F1-F12 add items, Enter charges
the account, Esc cancels the ticket; every button also has its Alt key.

Every sale carries a UUID made when its ticket starts: Enter pressed twice, a double click or a
retry after a timeout all name the same sale, which the journal and the server apply once. The
screen never learns whether a student's meals are free, reduced or paid.
"""

from __future__ import annotations

import textwrap
import time
import uuid
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QHBoxLayout,
    QLabel,
    QListView,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.pos_entry import TenderPart, money
from ui.dialogs import run_dialog, run_message_box
from ui.ops import OpFailed, run_op, spawn
from ui.screens.cafeteria import backend as B
from ui.screens.cafeteria.models import HitsModel, RosterGridModel, TicketModel
from ui.screens.cafeteria.register_dialogs import AlertDialog, DepositDialog, OverrideDialog, PinKeypad, TenderDialog
from ui.screens.cafeteria.scanner import ScanWatcher
from ui.screens.cafeteria.student_card import StudentCardView, balance_words
from ui.text import plural
from ui.widgets import combo, fill, line, selected_row, status, table

ITEM_KEYS = 12  # F1 .. F12
TENDER_NAMES = {"account": "from the account", "cash": "in cash", "check": "by check"}


class RegisterView(QWidget):
    sale_recorded = Signal(object)  # B.SaleResult, after the journal holds it
    deposit_recorded = Signal(int)  # student_usi

    def __init__(self, port: Callable[[], B.CafeteriaPort], clock: Callable[[], float] = time.monotonic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.port = port
        self.clock = clock
        self.setAccessibleName("Register")
        self.setup: B.RegisterSetup | None = None
        self.till_open = False
        self.card: B.StudentCard | None = None
        self.items: list[int] = []
        self.acknowledged: set[str] = set()
        self.quote: B.Quote | None = None
        self.sale_id = str(uuid.uuid4())
        self.confirmed_repeat = False  # the cashier said yes to serving this student again
        self.last_served: dict[int, float] = {}
        self.busy = False  # a sale or deposit is on its way: further Enters wait for it
        self.dialog = None  # the dialog open now (tests answer it from the keyboard)
        self._build()
        self.scanner = ScanWatcher(self._scanner_active, clock=clock, parent=self)
        self.scanner.scanned.connect(self.on_scanned)

    # -- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        self.scan = line("Scan a card or type a student id", "Scan or type a student id")
        self.scan.setStyleSheet("font-size: 16pt; padding: 6px;")
        self.pin_button = QPushButton("&PIN keypad")
        self.search_button = QPushButton("&Name search")
        self.homeroom_button = QPushButton("&Homeroom")
        for b, name in ((self.pin_button, "PIN keypad"), (self.search_button, "Search by name"),
                        (self.homeroom_button, "Homeroom roster")):
            b.setAccessibleName(name)
        finder = QHBoxLayout()
        finder.addWidget(self.scan, 1)
        for b in (self.pin_button, self.search_button, self.homeroom_button):
            finder.addWidget(b)

        self.card_view = StudentCardView()
        self.name_search = line("Name to search", "Part of a first or last name, then Enter")
        self.hits_model = HitsModel(self)
        self.hits = table("Students found", self.hits_model)
        self.hits.setIconSize(QSize(40, 48))
        search_page = QWidget()
        v = QVBoxLayout(search_page)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.name_search)
        v.addWidget(self.hits, 1)
        self.homeroom = combo("Homeroom")
        self.grid_model = RosterGridModel(self)
        self.grid = QListView()
        self.grid.setAccessibleName("Homeroom students")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(72, 86))
        self.grid.setGridSize(QSize(120, 124))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setWordWrap(True)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setModel(self.grid_model)
        roster_page = QWidget()
        v = QVBoxLayout(roster_page)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.homeroom)
        v.addWidget(self.grid, 1)
        self.finder_pages = QStackedWidget()
        for w in (self.card_view, search_page, roster_page):
            self.finder_pages.addWidget(w)

        self.service = combo("Meal service")
        self.service.setStyleSheet("font-size: 13pt;")
        self.item_box = QWidget()
        self.item_box.setAccessibleName("Menu items")
        self.item_grid = QGridLayout(self.item_box)
        self.item_buttons: list[QPushButton] = []

        left = QVBoxLayout()
        left.addLayout(finder)
        left.addWidget(self.finder_pages, 1)
        svc = QHBoxLayout()
        svc.addWidget(QLabel("Meal service"))
        svc.addWidget(self.service, 1)
        left.addLayout(svc)
        left.addWidget(self.item_box)

        self.ticket_model = TicketModel(self)
        self.ticket = table("Ticket", self.ticket_model)
        self.ticket.horizontalHeader().setStretchLastSection(False)
        self.ticket.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.ticket.setStyleSheet("font-size: 12pt;")
        self.total = QLabel(money(0))
        self.total.setAccessibleName("Total")
        self.total.setStyleSheet("font-size: 22pt; font-weight: 600; color: #1b2733;")
        self.pay_account = QPushButton("Account (Enter)")
        self.pay_account.setAccessibleName("Charge the account")
        self.pay_cash = QPushButton("&Cash")
        self.pay_check = QPushButton("Chec&k")
        self.pay_split = QPushButton("Sp&lit")
        self.deposit_button = QPushButton("&Deposit")
        self.cancel_button = QPushButton("Cancel (Esc)")
        self.cancel_button.setAccessibleName("Cancel the ticket")
        for b in (self.pay_account, self.pay_cash, self.pay_check, self.pay_split, self.deposit_button,
                  self.cancel_button):
            b.setMinimumHeight(44)
            b.setAutoDefault(False)
        self.pay_account.setStyleSheet("font-weight: 600;")
        self.message = status("Register message")
        self.message.setStyleSheet("font-size: 13pt; color: #9b1c1c;")
        self.done = status("Last sale")
        self.done.setStyleSheet("font-size: 13pt; color: #14532d;")
        right = QVBoxLayout()
        right.addWidget(self.ticket, 1)
        tot = QHBoxLayout()
        tot.addWidget(QLabel("Total"))
        tot.addStretch(1)
        tot.addWidget(self.total)
        right.addLayout(tot)
        pay = QGridLayout()
        for i, b in enumerate((self.pay_account, self.pay_cash, self.pay_check, self.pay_split, self.deposit_button,
                               self.cancel_button)):
            pay.addWidget(b, i // 2, i % 2)
        right.addLayout(pay)
        right.addWidget(self.message)
        right.addWidget(self.done)
        row = QHBoxLayout(self)
        row.addLayout(left, 3)
        row.addLayout(right, 2)

        self.scan.returnPressed.connect(lambda: spawn(self.identify(self.scan.text(), "id")))
        self.pin_button.clicked.connect(lambda: spawn(self.ask_pin()))
        self.search_button.clicked.connect(self.show_search)
        self.homeroom_button.clicked.connect(lambda: spawn(self.show_homerooms()))
        self.name_search.returnPressed.connect(lambda: spawn(self.search_names()))
        self.hits.activated.connect(lambda idx: spawn(self.choose_hit(self.hits_model.row(idx.row()))))
        self.grid.activated.connect(lambda idx: spawn(self.choose_hit(self.grid_model.row(idx.row()))))
        self.homeroom.activated.connect(lambda _i: spawn(self.load_roster()))
        self.card_view.show_balance.clicked.connect(lambda: spawn(self.reveal_balance()))
        self.service.currentIndexChanged.connect(self._service_changed)
        self.pay_account.clicked.connect(lambda: spawn(self.pay("account")))
        self.pay_cash.clicked.connect(lambda: spawn(self.pay("cash")))
        self.pay_check.clicked.connect(lambda: spawn(self.pay("check")))
        self.pay_split.clicked.connect(lambda: spawn(self.pay("split")))
        self.deposit_button.clicked.connect(lambda: spawn(self.deposit()))
        self.cancel_button.clicked.connect(self.cancel_ticket)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """F1-F12 add items, Esc cancels the ticket, Delete (in the ticket) removes an item: keys the
        focused field does not use arrive here, wherever the focus is on the register."""
        key = event.key()
        if Qt.Key.Key_F1 <= key <= Qt.Key.Key_F12 and not event.modifiers():
            spawn(self.add_item_at(key - Qt.Key.Key_F1))
        elif key == Qt.Key.Key_Escape:
            self.cancel_ticket()
        elif key == Qt.Key.Key_Delete and self.ticket.hasFocus():
            self.remove_selected_item()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # -- set up from the back end -----------------------------------------------------------------
    def show_setup(self, setup: B.RegisterSetup) -> None:
        self.setup = setup
        self.till_open = setup.till_open
        fill(self.service, [s.name for s in setup.services], data=[s.key for s in setup.services])
        keys = [s.key for s in setup.services]
        if setup.current_service in keys:
            self.service.setCurrentIndex(keys.index(setup.current_service))
        self._show_items()
        self.scan.setFocus()

    def service_key(self) -> str | None:
        return self.service.currentData()

    def service_items(self) -> list[B.MenuItem | None]:
        """The items of this meal service on F1-F12: each on the key its manager gave it, the rest on
        the free keys in menu order (None: a key with no item)."""
        if self.setup is None:
            return []
        key = self.service_key()
        items = [i for i in self.setup.items if key in i.services]
        slots: list[B.MenuItem | None] = [None] * ITEM_KEYS
        rest = []
        for i in items:
            if i.fkey and slots[i.fkey - 1] is None:
                slots[i.fkey - 1] = i
            else:
                rest.append(i)
        free = (n for n, x in enumerate(slots) if x is None)
        for i, n in zip(rest, free):
            slots[n] = i
        while slots and slots[-1] is None:
            slots.pop()
        return slots

    def _show_items(self) -> None:
        for b in self.item_buttons:
            self.item_grid.removeWidget(b)
            b.deleteLater()
        self.item_buttons = []
        for i, item in enumerate(self.service_items()):
            if item is None:
                continue
            label = "\n".join(textwrap.wrap(item.name, 17, max_lines=2, placeholder="…"))
            b = QPushButton(f"F{i + 1}\n{label}".replace("&", "&&"))  # "PB&J", not a mnemonic
            b.setAccessibleName(f"Add {item.name} (F{i + 1})")
            b.setMinimumHeight(56)
            b.setMinimumWidth(70)
            # long names never widen the window past a 1280-pixel screen
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            b.setAutoDefault(False)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            b.setStyleSheet("font-size: 10pt; text-align: left; padding: 2px 6px;")
            b.clicked.connect(lambda _=False, i=i: spawn(self.add_item_at(i)))
            self.item_grid.addWidget(b, i // 4, i % 4)
            self.item_buttons.append(b)

    def _service_changed(self, _index: int) -> None:
        if self.items:
            # a ticket belongs to one meal service: the meal counts are by service
            self.refuse("A ticket belongs to one meal service; pay or cancel it (Esc) before changing the service.")
        self.items, self.acknowledged, self.quote = [], set(), None
        self.ticket_model.set_rows([])
        self.total.setText(money(0))
        self._show_items()

    # -- finding the student ----------------------------------------------------------------------
    def _scanner_active(self) -> bool:
        return self.isVisible() and self.window().isActiveWindow() or (self.isVisible() and self.dialog is not None)

    async def ask(self, dialog, box: bool = False):
        """Show a dialog (window-modal, no nested event loop) and give the scan field its focus back.
        While it is open, `self.dialog` names it: a scan or a second Enter waits for the answer."""
        self.dialog = dialog
        try:
            return await (run_message_box(dialog) if box else run_dialog(dialog))
        finally:
            self.dialog = None
            self.scan.setFocus()

    def refuse(self, sentence: str) -> None:
        self.message.setText(sentence)

    def on_scanned(self, code: str) -> None:
        if self.dialog is not None:
            self.refuse("A card was scanned while a question is open; answer it first, then scan again.")
            return
        spawn(self.identify(code, "scan"))

    async def identify(self, code: str, how: str) -> bool:
        code = (code or "").strip()
        self.scan.clear()
        if not code:
            if self.card is not None and self.items:
                return await self.pay("account")  # Enter on an empty field: charge the account
            self.refuse("Scan a card or type a student id, then press Enter.")
            return False
        if self.busy:
            self.refuse("The last sale is still being saved; scan again in a moment.")
            return False
        if self.items and self.card is not None:
            self.refuse(f"Finish {self.card.name}'s ticket first: pay it, or press Esc to cancel it.")
            return False
        if how == "id" and not code.isdigit():
            self.refuse(f"\"{code}\" is not a student id (digits only); to find a student by name use Name search "
                        "(Alt+N).")
            return False
        try:
            card = await run_op(self.port().identify, code, how)
        except OpFailed as err:
            self.refuse(err.message)
            return False
        return await self.show_student(card)

    async def show_student(self, card: B.StudentCard) -> bool:
        served = self.last_served.get(card.student_usi)
        ago = [int(self.clock() - served)] if served is not None else []
        if card.recent_sale_seconds is not None:  # the terminal's own record (it outlives this screen)
            ago.append(card.recent_sale_seconds)
        window = self.setup.duplicate_scan_seconds if self.setup else 30
        confirmed = False
        if ago and min(ago) < window:
            if not await self.confirm_again(card.name, min(ago)):
                return False
            confirmed = True
        self._new_ticket(card)
        self.confirmed_repeat = confirmed
        self.finder_pages.setCurrentWidget(self.card_view)
        self.message.setText("")
        self.done.setText("")
        self.scan.setFocus()
        return True

    async def confirm_again(self, name: str, seconds: int) -> bool:
        """The same card within seconds (a second scan, a friend's card): serve again only on a yes."""
        box = QMessageBox(QMessageBox.Icon.Question, "Same card again",
                          f"{name} was served {plural(max(1, seconds), 'second')} ago. Serve {name} again?", parent=self)
        box.setAccessibleName("Same card again")
        again = box.addButton("Serve again", QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton("No, next in line", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        if await self.ask(box, box=True) is not again:
            self.refuse(f"Not served again: {name} was just served.")
            return False
        return True

    async def ask_pin(self) -> bool:
        pad = PinKeypad(self)
        ok = await self.ask(pad)
        if not ok:
            return False
        return await self.identify(pad.value(), "pin")

    def show_search(self) -> None:
        self.finder_pages.setCurrentIndex(1)
        self.name_search.setFocus()
        self.name_search.selectAll()

    async def search_names(self) -> int:
        text = self.name_search.text().strip()
        if len(text) < 2:
            self.refuse("Type at least two letters of the student's name.")
            return 0
        try:
            hits = await run_op(self.port().search, text)
        except OpFailed as err:
            self.refuse(err.message)
            return 0
        self.hits_model.set_rows(hits)
        if not hits:
            self.refuse(f"No student of this school matches \"{text}\"; check the spelling or scan the card.")
            return 0
        self.message.setText("")
        self.hits.setFocus()
        self.hits.selectRow(0)
        return len(hits)

    async def show_homerooms(self) -> int:
        try:
            rooms = await run_op(self.port().homerooms)
        except OpFailed as err:
            self.refuse(err.message)
            return 0
        fill(self.homeroom, [r.name for r in rooms], data=[r.homeroom_id for r in rooms])
        self.finder_pages.setCurrentIndex(2)
        self.homeroom.setFocus()
        if rooms:
            await self.load_roster()
        return len(rooms)

    async def load_roster(self) -> int:
        room = self.homeroom.currentData()
        if room is None:
            return 0
        try:
            students = await run_op(self.port().roster, room)
        except OpFailed as err:
            self.refuse(err.message)
            return 0
        self.grid_model.set_rows(students)
        if students:
            self.grid.setCurrentIndex(self.grid_model.index(0))
            self.grid.setFocus()
        return len(students)

    async def choose_hit(self, hit: B.StudentHit | None) -> bool:
        if hit is None:
            return False
        return await self.identify(hit.student_unique_id, "id")

    async def reveal_balance(self) -> bool:
        """Show balance (per the site's policy "on request"): asked for this student, this once."""
        card = self.card
        self.scan.setFocus()
        if card is None:
            return False
        try:
            amount = card.balance if card.balance is not None else await run_op(self.port().balance, card.student_usi)
        except OpFailed as err:
            self.refuse(err.message)
            return False
        if self.card is card:
            self.card_view.reveal_balance(amount)
        return True

    # -- the ticket -------------------------------------------------------------------------------
    async def add_item_at(self, index: int) -> bool:
        items = self.service_items()
        if index >= len(items) or items[index] is None:
            self.refuse(f"F{index + 1} has no item in this meal service.")
            return False
        return await self.add_item(items[index])

    async def add_item(self, item: B.MenuItem) -> bool:
        if self.card is None:
            self.refuse("Scan a card or find a student first, then add the items.")
            return False
        if self.busy or self.dialog is not None:
            return False
        hits = [a for a in B.conflicts(self.card.alerts, item) if a.label not in self.acknowledged]
        if hits:
            dlg = AlertDialog(self, self.card.name, item, tuple(hits))
            await self.ask(dlg)
            if not dlg.served:
                self.refuse(f"{item.name} was not added: {hits[0].label}.")
                return False
            self.acknowledged.update(a.label for a in hits)
        self.items.append(item.item_id)
        self.message.setText("")
        await self.requote()
        return True

    def remove_selected_item(self) -> None:
        row = selected_row(self.ticket)
        if 0 <= row < len(self.items):
            del self.items[row]
            spawn(self.requote())
        self.scan.setFocus()

    async def requote(self) -> bool:
        if self.card is None or not self.items:
            self.quote = None
            self.ticket_model.set_rows([])
            self.total.setText(money(0))
            return True
        asked = (self.card.student_usi, self.service_key(), tuple(self.items))
        try:
            quote = await run_op(self.port().quote, *asked)
        except OpFailed as err:
            self.refuse(err.message)
            return False
        if self.card is None or asked != (self.card.student_usi, self.service_key(), tuple(self.items)):
            return False  # the ticket changed meanwhile: the later quote counts
        self.quote = quote
        self.ticket_model.set_rows(quote.lines)
        self.total.setText(money(quote.total))
        return True

    def cancel_ticket(self) -> None:
        if self.dialog is not None or self.busy:
            return
        name = self.card.name if self.card else None
        had = bool(self.items)
        self._clear()
        if had and name:
            self.done.setText(f"{name}'s ticket was cancelled; nothing was charged.")
        self.finder_pages.setCurrentWidget(self.card_view)

    def _new_ticket(self, card: B.StudentCard | None) -> None:
        """An empty ticket for this student (or nobody), with a new sale id."""
        self.card = card
        self.items, self.acknowledged, self.quote = [], set(), None
        self.sale_id = str(uuid.uuid4())
        self.confirmed_repeat = False
        self.ticket_model.set_rows([])
        self.total.setText(money(0))
        self.card_view.show_card(card, self.setup.balance_display if self.setup and card else B.BALANCE_NEVER)

    def _clear(self) -> None:
        self._new_ticket(None)
        self.message.setText("")
        self.scan.clear()
        self.scan.setFocus()

    def unsaved_work(self) -> str | None:
        if self.card is not None and self.items:
            return f"{self.card.name}'s ticket ({plural(len(self.items), 'item')}) is not paid"
        return None

    # -- paying -----------------------------------------------------------------------------------
    async def pay(self, kind: str) -> bool:
        if self.busy or self.dialog is not None:
            return False
        if self.card is None:
            self.refuse("Scan a card or find a student first.")
            return False
        if not self.items:
            self.refuse("Add an item first (F1 … F12), then choose how to pay.")
            return False
        if kind in ("cash", "check", "split") and not self.till_open:
            self.refuse("Open the till first (Till tab) to take cash or checks; the account can still be charged.")
            return False
        self.busy = True
        try:
            if not await self.requote():
                return False
            total = self.quote.total
            if kind == "account":
                parts = (TenderPart("account", total),)
            else:
                dlg = TenderDialog(self, kind, total)
                ok = await self.ask(dlg)
                if not ok:
                    return False
                parts = dlg.parts
            return await self._submit(parts)
        finally:
            self.busy = False

    async def _submit(self, parts: tuple[TenderPart, ...], override: tuple[str, str] | None = None) -> bool:
        """Send the sale (to the terminal's journal first). override: (manager's login, reason)."""
        card = self.card
        draft = B.SaleDraft(self.sale_id, card.student_usi, self.service_key(), tuple(self.items), parts,
                            tuple(sorted(self.acknowledged)), override_reason=override[1] if override else None,
                            override_by=override[0] if override else None, confirm_repeat=self.confirmed_repeat)
        buttons = (self.pay_account, self.pay_cash, self.pay_check, self.pay_split, self.deposit_button)
        try:
            result = await run_op(self.port().record_sale, draft, disable=buttons)
        except OpFailed as err:
            cause = err.__cause__
            if isinstance(cause, B.OverLimit):
                return await self._over_limit(cause, parts)
            if isinstance(cause, B.RepeatScan) and not self.confirmed_repeat:
                if await self.confirm_again(card.name, cause.seconds):
                    self.confirmed_repeat = True
                    return await self._submit(parts, override)
                return False
            self.refuse(err.message)  # the same ticket and sale id stay: paying again is safe
            return False
        self.last_served[card.student_usi] = self.clock()
        change = f" Change {money(result.change_due)}." if result.change_due else ""
        how = " and ".join(TENDER_NAMES[p.kind] for p in parts)
        balance = ""
        if result.balance_after is not None and self.setup and self.setup.balance_display == B.BALANCE_ALWAYS:
            balance = f" {balance_words(result.balance_after, card.low_balance_threshold)}."
        self._clear()
        self.done.setText(f"{card.name}: {money(result.total)} paid {how}.{change}{balance}")
        self.sale_recorded.emit(result)
        return True

    async def _over_limit(self, err: B.OverLimit, parts) -> bool:
        """A reimbursable meal is never refused for money: the alternate meal, or an override."""
        box = QMessageBox(QMessageBox.Icon.Information, "Charge limit", err.message, parent=self)
        box.setAccessibleName("Charge limit")
        alternate = box.addButton("Serve the alternate meal", QMessageBox.ButtonRole.AcceptRole) \
            if err.alternate_item_id is not None else None
        override = box.addButton("Manager override…", QMessageBox.ButtonRole.ActionRole)
        back = box.addButton("Back to the ticket", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(alternate or back)
        box.setEscapeButton(back)
        answer = await self.ask(box, box=True)
        if answer is alternate and alternate is not None:
            self.items = [i for i in self.items if not self._reimbursable(i)] + [err.alternate_item_id]
            if not await self.requote():
                return False
            return await self._submit((TenderPart("account", self.quote.total),))
        if answer is override:
            dlg = OverrideDialog(self, self.port().verify_supervisor)
            if await self.ask(dlg):
                return await self._submit(parts, dlg.value)
        if self.card is not None:
            self.refuse(f"Not charged yet: {self.card.name}'s account is at its limit. "
                        "Take cash, or serve the alternate meal.")
        return False

    def _reimbursable(self, item_id: int) -> bool:
        return any(i.item_id == item_id and i.reimbursable for i in (self.setup.items if self.setup else ()))

    async def deposit(self) -> bool:
        if self.busy or self.dialog is not None:
            return False
        if self.card is None:
            self.refuse("Scan a card or find a student first; the deposit goes into that student's account.")
            return False
        if not self.till_open:
            self.refuse("Open the till first (Till tab) to take a deposit.")
            return False
        card = self.card
        dlg = DepositDialog(self, card.name)
        ok = await self.ask(dlg)
        if not ok:
            return False
        amount, kind, number = dlg.value
        draft = B.DepositDraft(str(uuid.uuid4()), card.student_usi, amount, kind, number)
        self.busy = True
        try:
            balance = await run_op(self.port().record_deposit, draft, disable=(self.deposit_button,))
        except OpFailed as err:
            self.refuse(err.message)
            return False
        finally:
            self.busy = False
        shown = f" Balance {money(balance)}." if balance is not None and self.setup \
            and self.setup.balance_display == B.BALANCE_ALWAYS else ""
        self.done.setText(f"Deposited {money(amount)} ({kind}) for {card.name}.{shown}")
        self.deposit_recorded.emit(card.student_usi)
        return True
