"""The register from the keyboard alone (issue 9): scan, PIN keypad, name search; items by F-key;
the allergy acknowledgement; account, cash and split; deposits; the same card twice; one-sentence
refusals; and one sale however often Enter is pressed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui.cafeteria_double import PortDouble
from ui.screens.cafeteria import page as P
from ui.screens.desk_context import DeskContext

pytestmark = pytest.mark.ui


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def port():
    return PortDouble()


@pytest.fixture
def desk(qtbot, port, run_async):
    P.set_port_factory(lambda ctx: port)
    ctx = DeskContext(engine=lambda: None, user=lambda: SimpleNamespace(groups=("so_cashier",),
                                                                         staff_unique_id="S1"))
    page = P.build_page(ctx)
    qtbot.addWidget(page)
    page.resize(1280, 760)
    page.show()
    page.activateWindow()
    qtbot.waitActive(page) if hasattr(qtbot, "waitActive") else None
    assert run_async(page.load_lists())
    yield page
    page.retire()
    P.set_port_factory(None)


def key(widget, k, mod=Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(widget, k, mod)


def scan(qtbot, reg, code):
    """A keyboard-wedge scanner: the digits at once, then Enter, into whatever has the focus."""
    target = QApplication.focusWidget() or reg.scan
    QTest.keyClicks(target, code)
    QTest.keyClick(target, Qt.Key.Key_Return)


def alt(reg, letter):
    """Alt+letter, the button's mnemonic, typed in the register's window (it clicks the button)."""
    reg.window().activateWindow()
    for _ in range(100):
        if reg.window().isActiveWindow():
            break
        QTest.qWait(20)
    QTest.keyClick(QApplication.focusWidget() or reg.scan, letter, Qt.KeyboardModifier.AltModifier)


def open_deposit(reg, run_until):
    """Maya Lopez scanned, the till open, Alt+D: the deposit dialog."""
    reg.till_open = True
    scan(None, reg, "604101")
    run_until(lambda: reg.card is not None)
    alt(reg, Qt.Key.Key_D)
    run_until(lambda: reg.dialog is not None)
    return reg.dialog


def test_scan_f1_enter_sells_once_from_the_account(desk, port, qtbot, run_until):
    reg = desk.register
    assert reg.scan.hasFocus()
    scan(qtbot, reg, "604102")
    run_until(lambda: reg.card is not None)
    assert port.asked[-1] == ("604102", "scan")
    assert reg.card_view.name.text() == "Theo Marsh"
    # under the district's low-balance line: said in words, not by the colour alone
    assert reg.card_view.balance.text() == "Balance -$3.25  ·  low, under $5.00"
    assert reg.card_view.balance.accessibleName() == "Balance, low"
    assert reg.card_view.unsynced.text() == "1 sale not yet synced"
    key(reg.scan, Qt.Key.Key_F1)
    run_until(lambda: reg.total.text() == "$3.25")
    key(reg.scan, Qt.Key.Key_Return)  # Enter on the empty field: charge the account
    key(reg.scan, Qt.Key.Key_Return)  # pressed twice: still one sale
    run_until(lambda: reg.done.text() != "")
    assert reg.done.text() == "Theo Marsh: $3.25 paid from the account. Balance $9.25."
    # the card is empty again, and the last student's "low" went with it (for a screen reader too)
    assert reg.card_view.balance.text() == "" and reg.card_view.balance.accessibleName() == "Balance"
    assert len(port.sales) == 1
    (sale,) = port.sales.values()
    assert sale.item_ids == (1,) and [(p.kind, p.amount) for p in sale.tenders] == [("account", Decimal("3.25"))]
    key(reg.scan, Qt.Key.Key_Return)  # and once more after the sale: nobody on the card, nothing sold
    run_until(lambda: reg.message.text() == "Scan a card or type a student id, then press Enter.")
    assert len(port.sales) == 1
    run_until(lambda: desk.status_label.text().startswith("1 sale unsent · last sync"))


def test_a_repeated_submit_of_the_same_ticket_is_the_same_sale(desk, port, run_async):
    reg = desk.register
    assert run_async(reg.identify("604102", "id"))
    assert run_async(reg.add_item_at(0))
    sale_id = reg.sale_id
    # the first submit timed out on the way back: the ticket and its sale id stay, paying again is safe
    draft_ids = []
    original = port.record_sale

    def flaky(draft):
        draft_ids.append(draft.sale_id)
        original(draft)
        if len(draft_ids) == 1:
            raise TimeoutError("no answer")
        return original(draft)
    port.record_sale = flaky
    assert not run_async(reg.pay("account"))
    assert reg.items == [1] and reg.sale_id == sale_id
    assert run_async(reg.pay("account"))
    assert draft_ids == [sale_id, sale_id] and len(port.sales) == 1


def test_pin_keypad_and_name_search_from_the_keyboard(desk, port, qtbot, run_until):
    reg = desk.register
    alt(reg, Qt.Key.Key_P)
    run_until(lambda: reg.dialog is not None)
    pad = reg.dialog
    QTest.keyClicks(pad.pin, "12")
    key(pad.pin, Qt.Key.Key_Return)
    assert pad.message.text() == "That PIN is too short; type the student id with its check digit, or the PIN."
    pad.pin.clear()
    for digit in "604101":  # typed by a person, one digit at a time: not a scan
        QTest.keyClick(pad.pin, digit)
        qtbot.wait(50)
    QTest.keyClick(pad.pin, "7")
    qtbot.wait(80)
    key(pad.pin, Qt.Key.Key_Return)
    run_until(lambda: reg.card is not None)
    assert port.asked[-1] == ("6041017", "pin") and reg.card.name == "Maya Lopez"
    reg.cancel_ticket()
    alt(reg, Qt.Key.Key_N)
    run_until(reg.name_search.hasFocus)
    QTest.keyClicks(reg.name_search, "mar")
    key(reg.name_search, Qt.Key.Key_Return)
    run_until(lambda: reg.hits_model.rowCount() == 1)
    assert reg.hits.hasFocus()
    key(reg.hits, Qt.Key.Key_Return)
    run_until(lambda: reg.card is not None)
    assert reg.card.name == "Theo Marsh" and reg.scan.hasFocus()


def test_homeroom_grid_opens_a_student(desk, run_until):
    reg = desk.register
    alt(reg, Qt.Key.Key_H)
    run_until(lambda: reg.grid_model.rowCount() == 2)
    assert reg.grid.hasFocus()
    key(reg.grid, Qt.Key.Key_Right)
    key(reg.grid, Qt.Key.Key_Return)
    run_until(lambda: reg.card is not None)
    assert reg.card.name == "Theo Marsh"


def test_an_allergy_alert_must_be_acknowledged_before_the_item_is_sold(desk, port, run_until):
    reg = desk.register
    scan(None, reg, "604101")
    run_until(lambda: reg.card is not None)
    assert reg.card_view.alerts.isVisible() and "Peanut allergy (severe)" in reg.card_view.alerts.text()
    key(reg.scan, Qt.Key.Key_F3)  # PB&J sandwich
    run_until(lambda: reg.dialog is not None)
    key(reg.dialog, Qt.Key.Key_Return)  # the default takes it off the ticket
    run_until(lambda: reg.dialog is None)
    assert reg.items == [] and reg.message.text() == "PB&J sandwich was not added: Peanut allergy (severe)."
    key(reg.scan, Qt.Key.Key_F3)
    run_until(lambda: reg.dialog is not None)
    dlg = reg.dialog
    dlg.serve.setFocus()
    key(dlg.serve, Qt.Key.Key_Space)  # "I checked: serve it"
    run_until(lambda: reg.items == [3])
    key(reg.scan, Qt.Key.Key_Return)
    run_until(lambda: len(port.sales) == 1)
    (sale,) = port.sales.values()
    assert sale.acknowledged == ("Peanut allergy (severe)",)


def test_cash_with_change_and_split_need_an_open_till(desk, port, run_until, run_async):
    reg = desk.register
    scan(None, reg, "604101")
    run_until(lambda: reg.card is not None)
    key(reg.scan, Qt.Key.Key_F1)
    key(reg.scan, Qt.Key.Key_F2)
    run_until(lambda: reg.total.text() == "$4.00")
    alt(reg, Qt.Key.Key_C)
    run_until(lambda: reg.message.text() != "")
    assert reg.message.text() == ("Open the till first (Till tab) to take cash or checks; the account can "
                                  "still be charged.")
    desk.tabs.setCurrentWidget(desk.till)
    desk.till.starting.setFocus()
    QTest.keyClicks(desk.till.starting, "50")
    key(desk.till.starting, Qt.Key.Key_Return)
    run_until(lambda: reg.till_open)
    desk.tabs.setCurrentWidget(reg)
    reg.scan.setFocus()
    alt(reg, Qt.Key.Key_C)
    run_until(lambda: reg.dialog is not None)
    dlg = reg.dialog
    dlg.tendered.selectAll()
    QTest.keyClicks(dlg.tendered, "3")
    key(dlg.tendered, Qt.Key.Key_Return)
    assert dlg.message.text() == "$3.00 does not cover the $4.00 due; take more cash or pay the rest another way (Split)."
    dlg.tendered.selectAll()
    QTest.keyClicks(dlg.tendered, "5")
    assert dlg.change.text() == "$1.00"
    key(dlg.tendered, Qt.Key.Key_Return)
    run_until(lambda: len(port.sales) == 1)
    run_until(lambda: reg.done.text() != "")
    assert reg.done.text() == "Maya Lopez: $4.00 paid in cash. Change $1.00. Balance $9.25."
    # a split: one dollar cash, the rest on the account
    reg.last_served.clear()
    assert run_async(reg.identify("604101", "id"))
    key(reg.scan, Qt.Key.Key_F1)
    run_until(lambda: reg.total.text() == "$3.25")
    alt(reg, Qt.Key.Key_L)
    run_until(lambda: reg.dialog is not None)
    dlg = reg.dialog
    QTest.keyClicks(dlg.cash, "1")
    assert dlg.rest.text() == "$2.25"
    key(dlg.cash, Qt.Key.Key_Return)
    run_until(lambda: len(port.sales) == 2)
    last = list(port.sales.values())[-1]
    assert [(p.kind, p.amount) for p in last.tenders] == [("cash", Decimal("1.00")), ("account", Decimal("2.25"))]


@pytest.mark.parametrize("typed, sentence", [
    ("-5", "The deposit cannot be negative; type the amount without a minus sign."),
    ("ten", "The deposit must be a number of dollars, for example 5.00; \"ten\" is not."),
    ("2500", "The deposit of $2,500.00 is more than $500.00; check the amount and type it again."),
])
def test_bad_deposits_get_one_sentence_and_nothing_is_written(desk, port, run_until, typed, sentence):
    reg = desk.register
    dlg = open_deposit(reg, run_until)
    QTest.keyClicks(dlg.amount, typed)
    key(dlg.amount, Qt.Key.Key_Return)
    assert dlg.message.text() == sentence and port.deposits == []
    dlg.amount.clear()
    QTest.keyClicks(dlg.amount, "20")
    key(dlg.amount, Qt.Key.Key_Return)
    run_until(lambda: len(port.deposits) == 1)
    assert port.deposits[0].amount == Decimal("20.00") and port.deposits[0].kind == "cash"
    run_until(lambda: reg.done.text() != "")
    assert reg.done.text() == "Deposited $20.00 (cash) for Maya Lopez. Balance $32.50."


def test_the_same_card_twice_within_seconds_asks_first(qtbot, port, run_async, run_until):
    clock = Clock()
    P.set_port_factory(lambda ctx: port)
    try:
        page = P.CafeteriaPage(DeskContext(engine=lambda: None, user=lambda: SimpleNamespace(groups=("so_cashier",))))
        page.register.clock = clock
        page.register.scanner.timer.clock = clock  # the scan timing keeps its own clock
        qtbot.addWidget(page)
        page.show()
        assert run_async(page.load_lists())
        reg = page.register
        assert run_async(reg.identify("604102", "id"))
        assert run_async(reg.add_item_at(0)) and run_async(reg.pay("account"))
        clock.t += 5
        reg.scan.setText("604102")
        key(reg.scan, Qt.Key.Key_Return)
        run_until(lambda: reg.dialog is not None)
        assert reg.dialog.text() == "Theo Marsh was served 5 seconds ago. Serve Theo Marsh again?"
        key(reg.dialog, Qt.Key.Key_Return)  # the default: no, next in line
        run_until(lambda: reg.dialog is None)
        assert reg.card is None and reg.message.text() == "Not served again: Theo Marsh was just served."
        clock.t += 60  # after the window, the same card is simply served
        assert run_async(reg.identify("604102", "id")) and reg.card.name == "Theo Marsh"
        page.retire()
    finally:
        P.set_port_factory(None)


def test_refusals_are_one_sentence(desk, port, run_until, run_async):
    reg = desk.register
    reg.scan.setText("604999")
    key(reg.scan, Qt.Key.Key_Return)
    run_until(lambda: reg.message.text() != "")
    assert reg.message.text() == "No student of this school has the id 604999; check the card and scan it again."
    reg.scan.setText("maya")
    key(reg.scan, Qt.Key.Key_Return)
    run_until(lambda: reg.message.text().startswith("\"maya\""))
    assert reg.message.text() == ("\"maya\" is not a student id (digits only); to find a student by name use "
                                  "Name search (Alt+N).")
    key(reg.scan, Qt.Key.Key_F1)
    run_until(lambda: reg.message.text().startswith("Scan a card or find"))
    assert run_async(reg.identify("604101", "id"))
    assert not run_async(reg.pay("account"))
    assert reg.message.text() == "Add an item first (F1 … F12), then choose how to pay."
    key(reg.scan, Qt.Key.Key_F1)
    run_until(lambda: reg.items == [1])
    assert not run_async(reg.identify("604102", "id"))
    assert reg.message.text() == "Finish Maya Lopez's ticket first: pay it, or press Esc to cancel it."
    assert desk.unsaved_work() == "Maya Lopez's ticket (1 item) is not paid"
    key(reg.scan, Qt.Key.Key_Escape)
    assert reg.card is None and reg.done.text() == "Maya Lopez's ticket was cancelled; nothing was charged."
    assert port.sales == {}


def test_a_scan_into_an_open_dialog_never_becomes_an_amount(desk, port, run_until):
    reg = desk.register
    dlg = open_deposit(reg, run_until)
    dlg.amount.setFocus()
    scan(None, reg, "604102")  # the next student scans while the deposit is being typed
    assert dlg.amount.text() == "" and dlg.isVisible() and port.deposits == []
    assert reg.message.text() == "A card was scanned while a question is open; answer it first, then scan again."
    key(dlg.amount, Qt.Key.Key_Escape)
    run_until(lambda: reg.dialog is None)


def test_the_charge_limit_offers_the_alternate_meal_by_default(desk, port, run_until):
    reg = desk.register
    port.over_limit_for.add(102)
    scan(None, reg, "604102")
    run_until(lambda: reg.card is not None)
    key(reg.scan, Qt.Key.Key_F1)
    run_until(lambda: reg.items == [1] and reg.total.text() == "$3.25")
    key(reg.scan, Qt.Key.Key_Return)
    run_until(lambda: reg.dialog is not None)
    assert reg.dialog.text() == "Theo Marsh's account is at its charge limit for meals."
    key(reg.dialog, Qt.Key.Key_Return)  # the default: serve the alternate meal
    run_until(lambda: len(port.sales) == 1)
    (sale,) = port.sales.values()
    assert sale.item_ids == (6,) and sale.override_by is None


def test_a_manager_signs_in_at_the_register_to_override_the_limit(desk, port, run_until):
    reg = desk.register
    port.over_limit_for.add(102)
    scan(None, reg, "604102")
    run_until(lambda: reg.card is not None)
    key(reg.scan, Qt.Key.Key_F1)
    run_until(lambda: reg.total.text() == "$3.25")
    key(reg.scan, Qt.Key.Key_Return)
    run_until(lambda: reg.dialog is not None)
    override = next(b for b in reg.dialog.buttons() if b.text() == "Manager override…")
    override.setFocus()
    key(override, Qt.Key.Key_Space)
    run_until(lambda: reg.dialog is not None and reg.dialog.windowTitle() == "Manager override")
    dlg = reg.dialog
    QTest.keyClicks(dlg.login, "demo_cafeteria_manager")
    dlg.password.setFocus()
    QTest.keyClicks(dlg.password, "wrong")
    dlg.reason.setFocus()
    QTest.keyClicks(dlg.reason, "Parent paying tomorrow")
    key(dlg.reason, Qt.Key.Key_Return)
    run_until(lambda: dlg.message.text() != "")
    assert dlg.message.text() == "That sign-in name or password is not right, or it is not a cafeteria manager's."
    assert dlg.password.text() == "" and port.sales == {}
    dlg.password.setFocus()
    QTest.keyClicks(dlg.password, "right")
    key(dlg.password, Qt.Key.Key_Return)
    run_until(lambda: len(port.sales) == 1)
    (sale,) = port.sales.values()
    assert (sale.item_ids, sale.override_by, sale.override_reason) == ((1,), "demo_cafeteria_manager",
                                                                        "Parent paying tomorrow")


def test_balance_on_request_is_shown_only_when_asked(qtbot, run_async):
    port = PortDouble(balance_display="on_request")
    port.cards["604101"] = replace(port.cards["604101"], balance=None)
    P.set_port_factory(lambda ctx: port)
    try:
        page = P.CafeteriaPage(DeskContext(engine=lambda: None, user=lambda: SimpleNamespace(groups=("so_cashier",))))
        qtbot.addWidget(page)
        page.show()
        assert run_async(page.load_lists())
        reg = page.register
        assert run_async(reg.identify("604101", "id"))
        assert reg.card_view.balance.text() == "" and reg.card_view.show_balance.isVisible()
        assert run_async(reg.reveal_balance())
        assert reg.card_view.balance.text() == "Balance $12.50" and not reg.card_view.show_balance.isVisible()
        assert reg.card_view.balance.accessibleName() == "Balance"  # above the line: nothing more said
        port.cards["604102"] = replace(port.cards["604102"], balance=None)
        assert run_async(reg.identify("604102", "id"))
        assert reg.card_view.balance.text() == "" and reg.card_view.show_balance.isVisible()
        assert run_async(reg.reveal_balance())  # "low" only once the balance is shown
        assert reg.card_view.balance.text() == "Balance -$3.25  ·  low, under $5.00"
        page.retire()
    finally:
        P.set_port_factory(None)


def test_the_register_never_shows_the_eligibility_category(desk, run_until):
    reg = desk.register
    scan(None, reg, "604101")
    run_until(lambda: reg.card is not None)
    texts = " ".join(w.text() for w in desk.findChildren(type(reg.total)) if hasattr(w, "text")).lower()
    for word in ("free", "reduced", "paid status", "eligib"):
        assert word not in texts


def test_a_sale_that_leaves_the_balance_under_the_line_says_low_when_it_is_done(desk, port, run_async):
    reg = desk.register
    port.balance_after = Decimal("1.75")
    assert run_async(reg.identify("604101", "id"))
    assert reg.card_view.balance.text() == "Balance $12.50"  # above the line: nothing more said
    assert run_async(reg.add_item_at(0)) and run_async(reg.pay("account"))
    assert reg.done.text() == "Maya Lopez: $3.25 paid from the account. Balance $1.75  ·  low, under $5.00."
