"""The cafeteria manager's menu screens over the real back end (issue 9): the demo manager, from the
keyboard, changes an a la carte item's price and key (a negative price and a key another item holds
are refused in one sentence, nothing saved), is asked before unsaved changes are lost, sets the
site's balance display, and decides that a snack service runs on a day; each save is a real row
written under the manager's row-level security."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from tests.conftest import DEMO_AS_OF
from tests.ui.helpers import sign_in_as
from tests.ui.test_sign_out_and_lock import window  # noqa: F401 (the started demo window)
from ui.screens.cafeteria.page import CafeteriaPage

pytestmark = pytest.mark.ui
RMS = 255950002


def owner(engine, sql, **p):
    with engine.connect() as c:
        return c.execute(text(sql), p).all()


def press(widget, key=Qt.Key.Key_Space):
    widget.setFocus()
    QTest.keyClick(widget, key)


def test_the_manager_keeps_the_sites_menu_from_the_keyboard(window, demo_engine, run_async, run_until,  # noqa: F811
                                                            answers):
    asked, queue = answers
    assert sign_in_as(window, "demo_cafeteria_manager", run_async)
    assert window.open_desk("cafeteria")
    page = window.pages.currentWidget()
    assert isinstance(page, CafeteriaPage)
    run_until(lambda: page._loaded, timeout=60)
    view = page.manager
    page.tabs.setCurrentWidget(view)
    tab = view.menu_items
    view.tabs.setCurrentWidget(tab)
    # the site's 16 demo items (a test elsewhere may have retired one of its own beside them)
    run_until(lambda: tab.model.rowCount() >= 16, timeout=60)
    tab.list.setFocus()
    QTest.keyClick(tab.list, Qt.Key.Key_Home)
    for _ in range(20):
        if tab.code.text() == "A200":
            break
        QTest.keyClick(tab.list, Qt.Key.Key_Down)
    assert (tab.name.text(), tab.price.text(), tab.fkey.currentText()) == ("Bottled water", "1.00", "F8")
    # bad input: one sentence, nothing written; Enter in a field saves nothing (no default button)
    tab.price.selectAll()
    QTest.keyClicks(tab.price, "-1")
    QTest.keyClick(tab.price, Qt.Key.Key_Return)
    assert view.message.text() == ""
    press(tab.save_button)
    run_until(lambda: view.message.text() != "", timeout=30)
    assert view.message.text() == "The a la carte price cannot be negative; type the amount without a minus sign."
    tab.price.selectAll()
    QTest.keyClicks(tab.price, "1.15")
    tab.fkey.setFocus()
    QTest.keyClick(tab.fkey, Qt.Key.Key_Up)  # F8 -> F7, Milk's key
    press(tab.save_button)
    run_until(lambda: "F7" in view.message.text(), timeout=30)
    assert view.message.text() == "F7 already holds Milk at every service; choose another key or move Milk first."
    assert owner(demo_engine, "SELECT a_la_carte_price, fkey FROM cafeteria.menu_items WHERE school_id = :s "
                 "AND code = 'A200'", s=RMS) == [(Decimal("1.00"), 8)]
    QTest.keyClick(tab.fkey, Qt.Key.Key_Down)
    press(tab.save_button)
    run_until(lambda: "is saved" in view.message.text(), timeout=30)
    assert owner(demo_engine, "SELECT a_la_carte_price, fkey FROM cafeteria.menu_items WHERE school_id = :s "
                 "AND code = 'A200'", s=RMS) == [(Decimal("1.15"), 8)]
    assert owner(demo_engine, "SELECT count(*) FROM compliance.audit_logs WHERE user_id = 'demo_cafeteria_manager' "
                 "AND table_name = 'cafeteria.menu_items'")[0][0] >= 1
    # unsaved work: moving to another item asks first; Cancel stays, Discard moves on
    QTest.keyClicks(tab.name, " (small)")
    tab.list.setFocus()
    QTest.keyClick(tab.list, Qt.Key.Key_Down)
    assert asked == ["Unsaved changes to this menu item"] and tab.name.text() == "Bottled water (small)"
    assert page.unsaved_work() == "Unsaved changes to this menu item"
    queue.append("discard")
    QTest.keyClick(tab.list, Qt.Key.Key_Down)
    assert tab.code.text() != "A200" and page.unsaved_work() is None
    # ... and so does leaving the tab
    QTest.keyClicks(tab.name, " (new)")
    view.tabs.setCurrentIndex(0)
    assert len(asked) == 3 and view.tabs.currentWidget() is tab
    queue.append("discard")
    view.tabs.setCurrentIndex(0)
    assert view.tabs.currentIndex() == 0 and not tab.name.text().endswith(" (new)")

    # the site's settings
    settings = view.site_settings
    view.tabs.setCurrentWidget(settings)
    run_until(lambda: settings.alternate.count() > 1, timeout=30)
    assert settings.alternate.currentText() == "Alternate meal: cheese sandwich"
    settings.display.setCurrentIndex(settings.display.findData("never"))
    press(settings.save_button)
    run_until(lambda: "settings are saved" in view.message.text(), timeout=30)
    assert owner(demo_engine, "SELECT balance_display FROM cafeteria.site_settings WHERE school_id = :s",
                 s=RMS) == [("never",)]

    # a snack service runs on a day (the middle school has none in the demo)
    services = view.meal_services
    view.tabs.setCurrentWidget(services)
    run_until(lambda: services.shown_day is not None, timeout=30)  # today's, shown on opening the tab
    day = DEMO_AS_OF + timedelta(days=3)  # a Monday
    services.day.setText(day.strftime("%m/%d/%Y"))
    QTest.keyClick(services.day, Qt.Key.Key_Return)
    run_until(lambda: services.summary.text().startswith(day.strftime("%m/%d/%Y")), timeout=30)
    assert services.summary.text().endswith("Breakfast, Lunch run.")
    services.service.setCurrentIndex(2)
    assert not services.runs.isChecked() and services.items.count() == 7  # the snack and six a la carte items
    press(services.runs)
    services.starts.setText("14:45")
    services.ends.setText("16:00")
    press(services.save_button)
    run_until(lambda: view.message.text().startswith("Tick"), timeout=30)
    assert view.message.text().startswith("Tick at least one item")
    services.items.setFocus()
    services.items.setCurrentRow(0)
    QTest.keyClick(services.items, Qt.Key.Key_Space)
    press(services.save_button)
    run_until(lambda: "is saved" in view.message.text(), timeout=30)
    assert owner(demo_engine, "SELECT item_codes FROM cafeteria.meal_services WHERE school_id = :s AND "
                 "service_date = :d AND meal_service = 'snack'", s=RMS, d=day) == [(["S100"],)]
    # as it was, for the other tests
    with demo_engine.begin() as c:
        c.execute(text("DELETE FROM cafeteria.meal_services WHERE school_id = :s AND service_date = :d AND "
                       "meal_service = 'snack'"), {"s": RMS, "d": day})
        c.execute(text("UPDATE cafeteria.site_settings SET balance_display = 'always' WHERE school_id = :s"),
                  {"s": RMS})
        c.execute(text("UPDATE cafeteria.menu_items SET a_la_carte_price = 1.00 WHERE school_id = :s AND "
                       "code = 'A200'"), {"s": RMS})
