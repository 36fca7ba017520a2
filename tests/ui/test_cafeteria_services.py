"""The cafeteria desk over the real back end (issue 9): the demo cashier scans a Riverbend Middle
student, rings up a meal from the keyboard and presses Enter twice; the sale goes through the
terminal's journal to PostgreSQL exactly once, the status bar counts it down, and a bad id gets
the service's one sentence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from tests.ui.helpers import sign_in_as
from tests.ui.test_kiosk import clock, kiosk  # noqa: F401 (the cafeteria kiosk window)
from tests.ui.test_sign_out_and_lock import window  # noqa: F401 (the started demo window)
from ui.ops import spawn
from ui.screens.cafeteria.page import CafeteriaPage

pytestmark = pytest.mark.ui


def middle_school_student(engine, nth: int = 0) -> tuple[int, str]:
    with engine.connect() as c:
        return tuple(c.execute(text(
            "SELECT s.studentusi, s.studentuniqueid FROM edfi.student s "
            "JOIN edfi.studentschoolassociation ssa USING (studentusi) JOIN edfi.educationorganization o "
            "ON o.educationorganizationid = ssa.schoolid "
            "LEFT JOIN health.allergies a ON a.student_usi = s.studentusi "
            # money on the account, and no sale yet from another test of this shared district (the suite's
            # earlier tests ring up dozens of sales for the first such student and take them over the limit)
            "JOIN cafeteria.student_meal_plans p ON p.student_usi = s.studentusi AND p.is_active "
            "AND p.account_balance >= 10 "
            "WHERE o.shortnameofinstitution = 'RMS' AND ssa.exitwithdrawdate IS NULL AND a.student_usi IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM cafeteria.meal_transactions t WHERE t.student_usi = s.studentusi "
            "AND t.recorded_by LIKE 'demo\\_%') "
            "ORDER BY s.studentusi OFFSET :n LIMIT 1"), {"n": nth}).one())


def test_a_scanned_sale_reaches_the_ledger_once(window, demo_engine, run_async, run_until):  # noqa: F811
    assert sign_in_as(window, "demo_cashier", run_async)
    page = window.pages.currentWidget()
    assert isinstance(page, CafeteriaPage)
    run_until(lambda: page._loaded, timeout=60)
    reg = page.register
    usi, uid = middle_school_student(demo_engine)
    reg.scan.setFocus()
    QTest.keyClicks(reg.scan, "999999")
    QTest.keyClick(reg.scan, Qt.Key.Key_Return)
    run_until(lambda: reg.message.text() != "", timeout=30)
    assert "999999" in reg.message.text() and reg.card is None
    QTest.keyClicks(reg.scan, uid)  # the scanner's burst
    QTest.keyClick(reg.scan, Qt.Key.Key_Return)
    run_until(lambda: reg.card is not None, timeout=30)
    assert reg.card.student_usi == usi
    QTest.keyClick(reg.scan, Qt.Key.Key_F1)
    run_until(lambda: len(reg.ticket_model.rows) == 1, timeout=30)
    sold = []
    reg.sale_recorded.connect(sold.append)
    QTest.keyClick(reg.scan, Qt.Key.Key_Return)
    QTest.keyClick(reg.scan, Qt.Key.Key_Return)
    run_until(lambda: sold, timeout=30)
    sale_id = sold[0].sale_id
    run_until(lambda: page.journal.pending == 0 and page.journal.last_sync is not None, timeout=60)
    assert page.status_label.text().startswith("Sales all sent · last sync")
    with demo_engine.connect() as c:
        n = c.execute(text("SELECT count(*) FROM cafeteria.sales WHERE sale_uuid = :s"), {"s": sale_id}).scalar()
        balance, total = c.execute(text(
            "SELECT p.account_balance, (SELECT sum(amount) FROM cafeteria.meal_transactions t "
            "WHERE t.student_usi = p.student_usi) FROM cafeteria.student_meal_plans p "
            "WHERE p.student_usi = :u AND p.is_active"), {"u": usi}).one()
    assert n == 1 and balance == total
    assert window.sign_out()  # nothing unsent: signing out is allowed


def test_the_cafeteria_kiosk_opens_the_register_full_screen(kiosk, demo_engine, run_async, run_until):  # noqa: F811
    assert sign_in_as(kiosk, "demo_cashier", run_async)
    page = kiosk.pages.currentWidget()
    assert kiosk.isFullScreen() and isinstance(page, CafeteriaPage)
    assert not kiosk.search_box.isVisible() and not kiosk.profile_panel.isVisible()  # no student profiles here
    run_until(lambda: page._loaded, timeout=60)
    assert page.status_label.isVisible() and page.status_label.text().startswith("Sales all sent")
    _usi, uid = middle_school_student(demo_engine, 1)  # not the one just served (that would ask first)
    QTest.keyClicks(page.register.scan, uid)
    QTest.keyClick(page.register.scan, Qt.Key.Key_Return)
    run_until(lambda: page.register.card is not None, timeout=30)
    assert page.register.card_view.name.text() == page.register.card.name


def test_the_manager_voids_a_sale_and_reads_counts_and_history(window, demo_engine, run_async,  # noqa: F811
                                                                 run_until):
    assert sign_in_as(window, "demo_cafeteria_manager", run_async)
    page = window.pages.currentWidget()
    assert isinstance(page, CafeteriaPage) and page.manager is not None
    run_until(lambda: page._loaded, timeout=60)
    reg, view = page.register, page.manager
    usi, uid = middle_school_student(demo_engine, 2)
    assert run_async(reg.identify(uid, "id")) and run_async(reg.add_item_at(0))
    sold = []
    reg.sale_recorded.connect(sold.append)
    assert run_async(reg.pay("account"))
    run_until(lambda: page.journal.pending == 0 and page.journal.last_sync is not None, timeout=60)
    page.tabs.setCurrentWidget(view)
    view.sale_find.setText(uid)
    assert run_async(view.load_sales()) >= 1
    row = next(i for i, r in enumerate(view.sales_model.rows) if r.sale_id == sold[0].sale_id)
    view.sales.selectRow(row)
    task = spawn(view.void_selected())
    run_until(lambda: view.dialog is not None)
    view.dialog.reason.setText("Rang up the wrong student")
    QTest.keyClick(view.dialog.reason, Qt.Key.Key_Return)
    run_until(task.done, timeout=30)
    assert task.result() and view.message.text().endswith("sale is voided.")
    with demo_engine.connect() as c:
        voids = c.execute(text("SELECT count(*) FROM cafeteria.sales WHERE kind = 'void' AND reverses_sale_uuid = :s"),
                          {"s": sold[0].sale_id}).scalar()
        balance, total = c.execute(text(
            "SELECT p.account_balance, (SELECT sum(amount) FROM cafeteria.meal_transactions t "
            "WHERE t.student_usi = p.student_usi) FROM cafeteria.student_meal_plans p "
            "WHERE p.student_usi = :u AND p.is_active"), {"u": usi}).one()
    assert voids == 1 and balance == total
    assert run_async(view.load_counts()) >= 0
    printout = view._counts_printout()
    assert printout.build().startswith(b"%PDF")
    view.account_find.setText(uid)
    assert run_async(view.load_history()) >= 2  # the sale and its void
    assert f"({uid}): balance" in view.account_title.text()
    view.own_meal_limit.setText("12.50")
    view.own_ala_limit.setText("0")
    view.own_reason.setText("Family on a payment plan")
    assert run_async(view.set_student_limits()), view.message.text()
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT meal_charge_limit, reason FROM cafeteria.charge_overrides WHERE student_usi = :u"),
                         {"u": usi}).one() == (Decimal("12.50"), "Family on a payment plan")


def test_a_sale_still_in_the_journal_holds_the_cashier_at_the_register(window, demo_engine, run_async,  # noqa: F811
                                                                      run_until):
    assert sign_in_as(window, "demo_cashier", run_async)
    page = window.pages.currentWidget()
    run_until(lambda: page._loaded, timeout=60)
    sender = page.port().register().sender
    sender.stop()  # the network is away: the sale stays in the terminal's journal
    _usi, uid = middle_school_student(demo_engine, 3)
    reg = page.register
    assert run_async(reg.identify(uid, "id")) and run_async(reg.add_item_at(0)) and run_async(reg.pay("account"))
    run_until(lambda: page.journal.pending == 1, timeout=30)
    assert page.status_label.text().startswith("1 sale unsent")
    assert not window.sign_out()
    assert window.user is not None and window.progress_label.text().startswith(
        "1 sale has not reached the server yet, so signing out must wait")
    sender.start()  # the network is back
    sender.wake()
    run_until(lambda: page.journal.pending == 0, timeout=60)
    assert window.sign_out()
