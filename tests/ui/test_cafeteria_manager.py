"""The cafeteria manager's screens (issue 9): voids and refunds with a reason, a refund no larger
than its sale, NSF reversal of a check deposit only, till finalization, prices and charge limits,
the day's meal counts printed through ui/printing.py, accounts past their limit, and one
student's history."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.cafeteria_double import PortDouble
from ui.screens.cafeteria import page as P
from ui.screens.desk_context import DeskContext

pytestmark = pytest.mark.ui


@pytest.fixture
def manager(qtbot, run_async):
    port = PortDouble()
    P.set_port_factory(lambda ctx: port)
    page = P.CafeteriaPage(DeskContext(engine=lambda: None,
                                       user=lambda: SimpleNamespace(groups=("so_cafeteria_manager",))))
    qtbot.addWidget(page)
    page.resize(1280, 760)
    page.show()
    assert run_async(page.load_lists())
    page.tabs.setCurrentWidget(page.manager)
    yield page.manager, port
    page.retire()
    P.set_port_factory(None)


def answer(view, run_until, *typed):
    """Fill the reason dialog that opened (amount first when it asks one) and press Enter."""
    run_until(lambda: view.dialog is not None)
    dlg = view.dialog
    fields = ([dlg.amount] if getattr(dlg, "amount", None) is not None else []) + [dlg.reason]
    for field, text in zip(fields, typed):
        field.setFocus()
        field.selectAll()
        QTest.keyClicks(field, text)
    QTest.keyClick(dlg.reason, Qt.Key.Key_Return)
    return dlg


def test_void_refund_and_nsf_need_a_reason_and_the_right_kind_of_entry(manager, run_async, run_until):
    view, port = manager
    view.sale_find.setFocus()
    QTest.keyClick(view.sale_find, Qt.Key.Key_Return)
    run_until(lambda: view.sales_model.rowCount() == 2)
    view.sales.selectRow(1)  # the check deposit
    assert not run_async(view.void_selected())
    assert view.message.text() == "That entry is a deposit that cannot be reversed this way."
    view.sales.selectRow(0)
    task = P.spawn(view.refund_selected())
    dlg = answer(view, run_until, "5.00", "Milk was spilled")
    assert dlg.message.text() == "A refund cannot be more than the sale's $4.00; lower it."
    dlg.amount.selectAll()
    QTest.keyClicks(dlg.amount, "0.75")
    QTest.keyClick(dlg.reason, Qt.Key.Key_Return)
    run_until(task.done)
    assert port.reversals == [("refund", "s-1", Decimal("0.75"), "Milk was spilled")]
    assert view.message.text() == "Refunded $0.75 to Theo Marsh."
    view.sales.selectRow(1)
    task = P.spawn(view.nsf_selected())
    answer(view, run_until, "Returned by the bank")
    run_until(task.done)
    assert port.reversals[-1] == ("nsf", "d-1", "Returned by the bank")


def test_finalize_a_counted_till_and_see_its_over_short(manager, run_async, run_until):
    view, port = manager
    view.tabs.setCurrentIndex(1)
    run_until(lambda: view.tills_model.rowCount() == 1)
    assert view.tills_model.cell(view.tills_model.row(0), 6) == "-$4.00"
    view.tills.selectRow(0)
    task = P.spawn(view.finalize_selected())
    run_until(lambda: view.dialog is not None)
    QTest.keyClick(view.dialog, Qt.Key.Key_Return)  # the default is Cancel: a stray Enter finalizes nothing
    run_until(task.done)
    assert port.finalized == []
    task = P.spawn(view.finalize_selected())
    run_until(lambda: view.dialog is not None)
    finalize = next(b for b in view.dialog.buttons() if b.text() == "Finalize")
    finalize.setFocus()
    QTest.keyClick(finalize, Qt.Key.Key_Space)
    run_until(task.done)
    assert port.finalized == ["t-1"] and view.message.text() == "demo_cashier's till is finalized."


def test_prices_limits_counts_over_limit_and_history(manager, run_async, run_until, tmp_path):
    view, port = manager
    view.tabs.setCurrentIndex(5)
    run_until(lambda: view.prices_model.rowCount() == 1 and view.policies_model.rowCount() == 1)
    view.prices.selectRow(0)
    view.new_price.setText("-3")
    assert not run_async(view.set_selected_price())
    assert view.message.text() == "The price cannot be negative; type the amount without a minus sign."
    view.new_price.setText("3.40")
    assert run_async(view.set_selected_price())
    assert port.price_rows[0].price == Decimal("3.40") and port.price_rows[0].second_meal_price == Decimal("4.50")
    assert view.message.text().endswith(", at this school only.")  # whose row changed, said in the sentence
    assert view.prices_model.cell(view.prices_model.row(0), 4) == "This school"
    view.policies.selectRow(0)
    view._policy_chosen()
    assert view.meal_limit.text() == "10.00"
    view.meal_limit.setText("15")
    assert run_async(view.save_policy())
    assert port.policy_rows[0].meal_charge_limit == Decimal("15.00")
    assert view.message.text().startswith("The charge policy is saved for the whole district;")
    assert run_async(view.load_counts()) == 2
    assert view.counts_model.cell(view.counts_model.row(1), 2) == "210"
    printout = view._counts_printout()
    assert printout.kind == "meal_counts" and printout.build().startswith(b"%PDF")
    claim = view._claim_printout()
    assert claim.file_name.startswith("meal-claim-") and claim.build().startswith(b"%PDF-1.4 claim ")
    assert run_async(view.load_over_limit()) == 1
    view.tabs.setCurrentIndex(9)  # meals sold at another price or eligibility than the student's own
    run_until(lambda: view.flags_model.rowCount() == 1)
    assert view.tabs.tabText(9) == "Prices to check"
    row = view.flags_model.row(0)
    assert [view.flags_model.cell(row, c) for c in range(9)] == [
        "2026-12-03", "Lunch", "Theo Marsh", "604102", "Free", "Paid", "$0.00", "$3.10", "s-10"]
    view.account_find.setText("604102")
    assert run_async(view.load_history()) == 1
    assert view.account_title.text() == "Theo Marsh (604102): balance -$3.25"
    view.own_meal_limit.setText("20")
    view.own_ala_limit.setText("0")
    assert not run_async(view.set_student_limits())
    assert view.message.text() == "Type the reason for this student's own limits in a few words."
    view.own_reason.setText("Family on a payment plan")
    assert run_async(view.set_student_limits())
    assert port.overrides == [(102, Decimal("20.00"), Decimal("0.00"), "Family on a payment plan")]
    assert view.message.text() == "This student's meals may now charge down to -$20.00, a la carte down to $0.00."


def test_copy_this_week_to_the_next_asks_first_and_says_what_it_did(manager, run_async, run_until):
    from datetime import date

    view, port = manager
    services = view.meal_services
    view.tabs.setCurrentWidget(services)
    run_until(lambda: services.shown_day is not None)
    services.day.setText("12/02/2026")  # a Wednesday: its week starts Monday 11/30
    QTest.keyClick(services.day, Qt.Key.Key_Return)
    run_until(lambda: services.summary.text().startswith("12/02/2026"))
    assert services.copy_button.text() == "Cop&y this week to the next" and not services.copy_button.autoDefault()
    # a stray Enter on the question copies nothing: Cancel is the default
    task = P.spawn(services.copy_week())
    run_until(lambda: services.dialog is not None)
    assert "week of 11/30/2026" in services.dialog.text() and "week of 12/07/2026" in services.dialog.text()
    QTest.keyClick(services.dialog, Qt.Key.Key_Return)
    run_until(task.done)
    assert getattr(port, "copied", []) == []
    # Copy: one call for the whole week; the form shows the week copied to
    task = P.spawn(services.copy_week())
    run_until(lambda: services.dialog is not None)
    copy = next(b for b in services.dialog.buttons() if b.text() == "Copy")
    copy.setFocus()
    QTest.keyClick(copy, Qt.Key.Key_Space)
    run_until(task.done)
    assert port.copied == [(date(2026, 11, 30), date(2026, 12, 7))]
    assert view.message.text() == "10 meal services of the week of 11/30/2026 copied to the week of 12/07/2026."
    assert services.day.text() == "12/07/2026"
    # again, onto a week already planned: the back end's one sentence, nothing else
    services.day.setText("12/02/2026")
    task = P.spawn(services.copy_week())
    run_until(lambda: services.dialog is not None)
    copy = next(b for b in services.dialog.buttons() if b.text() == "Copy")
    QTest.keyClick(copy, Qt.Key.Key_Space)
    run_until(task.done)
    assert view.message.text().startswith("The week of 12/07/2026 already has 10 meal services planned, so nothing")
