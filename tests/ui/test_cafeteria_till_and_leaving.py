"""Issue 9 at the till and at the door: the blind count by denomination, over/short with a required
note; and signing out, locking, quitting or closing the till refused, in one sentence, while the
terminal's journal holds sales the server has not applied."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.cafeteria_double import PortDouble
from tests.ui.helpers import sign_in_as
from tests.ui.test_sign_out_and_lock import window  # noqa: F401 (the started demo window)
from ui.screens.cafeteria import page as P
from ui.screens.desk_context import DeskContext

pytestmark = pytest.mark.ui


@pytest.fixture
def port():
    double = PortDouble()
    P.set_port_factory(lambda ctx: double)
    yield double
    P.set_port_factory(None)


def make_page(qtbot, run_async, groups=("so_cashier",)):
    page = P.CafeteriaPage(DeskContext(engine=lambda: None, user=lambda: SimpleNamespace(groups=groups)))
    qtbot.addWidget(page)
    page.resize(1280, 760)
    page.show()
    assert run_async(page.load_lists())
    return page


def type_into(field, text):
    field.setFocus()
    QTest.keyClicks(field, text)


def test_blind_count_closes_the_till_and_over_short_needs_a_note(qtbot, port, run_async, run_until):
    page = make_page(qtbot, run_async)
    till = page.till
    assert not till.count_box.isEnabled()
    type_into(till.starting, "fifty")
    QTest.keyClick(till.starting, Qt.Key.Key_Return)
    run_until(lambda: till.message.text() != "")
    assert till.message.text() == ("The starting cash must be a number of dollars, for example 5.00; "
                                   "\"fifty\" is not.")
    till.starting.clear()
    type_into(till.starting, "50")
    QTest.keyClick(till.starting, Qt.Key.Key_Return)
    run_until(lambda: till.is_open)
    assert port.till_opened == [Decimal("50.00")] and page.register.till_open
    assert all("expected" not in w.text().lower() for w in till.findChildren(type(till.counted)))  # a blind count
    type_into(till.counts["20"], "2")
    type_into(till.counts["5"], "1")
    type_into(till.counts["0.25"], "x")
    assert till.counted.text() == "–"
    till.counts["0.25"].clear()
    type_into(till.counts["0.25"], "4")
    assert till.counted.text() == "$46.00"
    till.close_button.setFocus()
    QTest.keyClick(till.close_button, Qt.Key.Key_Space)
    run_until(lambda: till.dialog is not None)
    dlg = till.dialog
    assert dlg.question.text() == "The count is $4.00 short. Write a note for the manager before closing."
    QTest.keyClick(dlg.reason, Qt.Key.Key_Return)  # no note: refused, the dialog stays
    assert dlg.message.text() == "Type the reason in a few words; it is kept with the entry." and port.closed == []
    type_into(dlg.reason, "Gave $4 too much change to a parent")
    QTest.keyClick(dlg.reason, Qt.Key.Key_Return)
    run_until(lambda: not till.is_open)
    assert port.closed[0][1] == "Gave $4 too much change to a parent"
    assert port.closed[0][0]["20"] == 2 and port.closed[0][0]["0.25"] == 4
    assert till.outcome.text() == ("The till is closed. Counted $46.00, expected $50.00: $4.00 short. "
                                   "A cafeteria manager finalizes it.")
    assert not page.register.till_open
    page.retire()


def test_closing_the_till_waits_for_unsent_sales(qtbot, port, run_async):
    page = make_page(qtbot, run_async)
    port.till = True
    page.till.show_state(True)
    port.pending = 2
    page.till.counts["20"].setText("2")
    assert not run_async(page.till.close_till())
    assert page.till.message.text() == (
        "2 sales have not reached the server yet, so closing the till must wait: they are safe on this terminal "
        "and are sent as soon as the server answers (the status bar counts them).")
    assert port.closed == []
    page.retire()


def test_manager_screens_only_for_a_cafeteria_manager(qtbot, port, run_async):
    cashier = make_page(qtbot, run_async)
    assert [cashier.tabs.tabText(i) for i in range(cashier.tabs.count())] == ["&Register", "&Till"]
    assert cashier.manager is None
    manager = make_page(qtbot, run_async, groups=("so_cafeteria_manager",))
    assert [manager.tabs.tabText(i) for i in range(manager.tabs.count())] == ["&Register", "&Till", "&Manager"]
    cashier.retire()
    manager.retire()


def test_signing_out_locking_and_quitting_wait_for_unsent_sales(port, window, run_async, run_until):  # noqa: F811
    assert sign_in_as(window, "demo_cashier", run_async)
    assert window.current_desk_key() == "cafeteria"
    page = window.pages.currentWidget()
    assert isinstance(page, P.CafeteriaPage)
    run_until(lambda: page._loaded)
    assert page.status_label in window.statusBar().findChildren(type(page.status_label))
    reg = page.register
    assert run_async(reg.identify("604102", "id")) and run_async(reg.add_item_at(0)) and run_async(reg.pay("account"))
    run_until(lambda: page.status_label.text().startswith("1 sale unsent · last sync"))
    sentence = ("1 sale has not reached the server yet, so {} must wait: they are safe on this terminal and are "
                "sent as soon as the server answers (the status bar counts them).")
    assert not window.sign_out()
    assert window.user is not None and window.progress_label.text() == sentence.format("signing out")
    window.lock_action.trigger()
    assert not window.is_locked() and window.progress_label.text() == sentence.format("locking")
    assert not window.close()
    assert window.isVisible() and window.progress_label.text() == sentence.format("quitting")
    port.pending = 0  # the sender delivered it
    assert window.sign_out()
    assert window.user is None
    assert page.status_label not in window.statusBar().findChildren(type(page.status_label)) \
        or not page.status_label.isVisible()
