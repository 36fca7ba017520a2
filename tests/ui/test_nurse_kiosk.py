"""`school-office --kiosk nurse`: the health office's sign-in station shows the sign-in kiosk and
nothing of anyone's record, even though the nurse's own sign-in opened it (issue 11)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.security.demo_logins import DEMO_PASSWORD
from tests.ui.helpers import kiosk_window, until
from ui.screens.nurse.page import NursePage

pytestmark = pytest.mark.ui


def test_the_nurse_kiosk_shows_only_the_sign_in(qtbot, tmp_path, platform, demo_engine, run_async):
    with kiosk_window(qtbot, tmp_path, platform, demo_engine, run_async, "nurse") as w:
        w.sign_in_form.login.setText("demo_nurse")
        w.sign_in_form.password.setText(DEMO_PASSWORD)
        assert run_async(w.sign_in_form.attempt())
        assert w.current_desk_key() == "nurse"
        page = next(p for p in (w.pages.widget(i) for i in range(w.pages.count())) if isinstance(p, NursePage))
        run_async(until(lambda: page._loaded))
        assert page.tabs.currentWidget() is page.kiosk
        assert not page.tabs.tabBar().isVisible()
        assert [page.tabs.isTabEnabled(i) for i in range(page.tabs.count())][-1] is True
        assert not any(page.tabs.isTabEnabled(i) for i in range(page.tabs.count() - 1))
        assert page.visits_model.rowCount() == 0  # no list of anyone was read onto this station
        # the way a curious student tries it (review of #11, defect 1): the desk's keys and the window's
        # student search, with the focus off the ID field
        assert not w.search_box.isVisible() and not w.search_box.isEnabled()
        page.kiosk.student_id.clearFocus()
        for key in (Qt.Key.Key_F8, Qt.Key.Key_F6, Qt.Key.Key_F3, Qt.Key.Key_F7, Qt.Key.Key_F4, Qt.Key.Key_F2):
            page.activateWindow()
            QTest.keyClick(page.kiosk, key)
            qtbot.wait(100)
            assert page.tabs.currentWidget() is page.kiosk, key
        page.tabs.setCurrentWidget(page.lists)  # even a switch made in code comes back to the kiosk
        assert page.tabs.currentWidget() is page.kiosk
        QTest.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        qtbot.wait(300)
        assert not w.search_box.field.hasFocus() and not w.search_box.isVisible()
        assert not run_async(page.show_student(1))  # a profile's health badge cannot open a record here
        qtbot.wait(500)
        assert page.lists.referrals_model.rowCount() == 0 and page.lists.expiring_model.rowCount() == 0
        assert page.record.opened is None and page.visits_model.rowCount() == 0
        page.grab().save("/tmp/nurse-desk/kiosk-mode.png")
