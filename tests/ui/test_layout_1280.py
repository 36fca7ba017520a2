"""Issue 16, item 11: at 1280x720 (the smallest screen we lay out for) nothing needs scrolling
sideways, nothing is cut off, and the student profile panel can be closed (Escape or its button)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import text


from tests.conftest import DEMO_AS_OF
from tests.ui.helpers import on_the_demo_day, sign_in_as

pytestmark = pytest.mark.ui
SHOTS = os.environ.get("LAYOUT_SHOTS")  # a folder to look at the screens in, when set


@pytest.fixture
def window(demo_window, run_async):
    demo_window.resize(1280, 720)
    demo_window.show()
    assert run_async(demo_window.start())
    return demo_window


def settle(w, name: str) -> None:
    QApplication.processEvents()
    assert (w.width(), w.height()) == (1280, 720)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        w.grab().save(str(Path(SHOTS) / f"{name}.png"))



def a_student(w) -> int:
    with w.user_engine.connect() as c:
        return c.execute(text("SELECT studentusi FROM edfi.student ORDER BY studentusi LIMIT 1")).scalar_one()


def fits_in(label) -> bool:
    """The label's whole text fits the room it was given (wrapped, not cut off)."""
    r = label.contentsRect()
    if label.wordWrap():
        return label.heightForWidth(label.width()) <= label.height()
    return label.sizeHint().width() <= r.width() and label.sizeHint().height() <= r.height()


def test_the_profile_panel_closes_with_escape_and_with_its_button(window, qtbot, run_async):
    assert sign_in_as(window, "demo_admin", run_async)
    window.open_desk("front_office")
    assert run_async(window.open_profile(a_student(window)))
    panel = window.profile_panel
    assert panel.isVisible()
    settle(window, "profile-open")
    close = panel.close_button
    assert close.isVisible() and close.accessibleName() == "Close the student profile"
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not panel.isVisible()

    assert run_async(window.open_profile(a_student(window)))
    assert panel.isVisible()
    panel.timeline.setFocus()
    QTest.keyClick(panel.timeline, Qt.Key.Key_Escape)
    assert not panel.isVisible()
    settle(window, "profile-closed")


def test_the_registration_form_fits_1280_by_720_beside_the_profile(window, qtbot, run_async):
    assert sign_in_as(window, "demo_admin", run_async)
    window.open_desk("front_office")
    assert run_async(window.open_profile(a_student(window)))
    fo = window.front_office
    fo.tabs.setCurrentIndex(0)
    settle(window, "registration-with-profile")
    form = fo.form
    assert form.races.count() > 3
    assert not form.races.horizontalScrollBar().isVisible()
    room = form.races.viewport().width()
    for i in range(form.races.count()):  # each name is whole: wrapped within the list, not cut off
        r = form.races.visualItemRect(form.races.item(i))
        assert r.right() < room
        text_ = form.races.item(i).text()
        need = form.races.fontMetrics().boundingRect(QRect(0, 0, r.width() - 30, 1000), Qt.TextFlag.TextWordWrap,
                                                     text_)
        assert need.height() <= r.height(), text_
    longest = max((form.school.itemText(i) for i in range(form.school.count())), key=len)
    assert form.school.width() >= form.school.fontMetrics().horizontalAdvance(longest)  # school names whole
    assert not fo.register_scroll.horizontalScrollBar().isVisible()
    # the submit button is within the visible width: scrolling down reaches it, never sideways
    inside = fo.save_button.mapTo(fo.register_scroll.viewport(), fo.save_button.rect().topLeft())
    assert 0 <= inside.x() and inside.x() + fo.save_button.width() <= fo.register_scroll.viewport().width()
    fo.register_scroll.ensureWidgetVisible(fo.save_button)
    settle(window, "registration-submit")
    assert fo.save_button.visibleRegion().boundingRect().size() == fo.save_button.size()


def test_the_attendance_desk_fits_1280_by_720(window, qtbot, run_async):
    assert sign_in_as(window, "demo_admin", run_async)
    assert run_async(window.open_profile(a_student(window)))  # the panel takes its room beside the desk
    on_the_demo_day(window)
    window.open_desk("attendance")
    assert window.profile_panel.isVisible()
    page = window.attendance
    page.mine_only.setChecked(False)
    for _ in range(14):  # the latest school day
        if run_async(page.load_sections()) > 0:
            break
        page.day.blockSignals(True)
        page.day.setDate(page.day.date().addDays(-1))
        page.day.blockSignals(False)
    assert page.sections
    settle(window, "attendance-take")
    picker = page.section
    shown = picker.currentText()
    assert picker.fontMetrics().horizontalAdvance(shown) <= picker.text_room(), shown  # a usual name is whole
    assert picker.toolTip() == shown
    longest = max((picker.itemText(i) for i in range(picker.count())), key=len)
    assert picker.itemData(picker.findText(longest), Qt.ItemDataRole.ToolTipRole) == longest

    page.tabs.setCurrentIndex(1)
    page.office_day.setDate(page.day.date())
    assert run_async(page.refresh_office())[0] > 0  # sections not taken yet today
    wide_enough(window, page, page.due_view, 0)
    # a past school day with absences on file: the test district's attendance ends the day before DEMO_AS_OF
    # (counting back from today stopped finding it once today was more than 14 days later)
    page.office_day.setDate(DEMO_AS_OF)
    for _ in range(14):
        page.office_day.setDate(page.office_day.date().addDays(-1))
        if run_async(page.refresh_office())[1] > 0:
            break
    wide_enough(window, page, page.absence_view, 1)


def wide_enough(window, page, view, tab: int) -> None:
    """Every column of the office list is in view: none cut off on the right, no sideways scrolling."""
    page.office_tabs.setCurrentIndex(tab)
    settle(window, f"attendance-office-{tab}")
    assert view.model().rowCount() > 0
    header = view.horizontalHeader()
    last = view.model().columnCount() - 1
    assert not view.horizontalScrollBar().isVisible()
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= view.viewport().width()
    assert view.mapTo(window, view.rect().topRight()).x() < window.width()
    assert not page.tabs.currentWidget().horizontalScrollBar().isVisible()


def test_the_lock_out_message_wraps_at_1280_by_720(window, qtbot, run_async):
    form = window.sign_in_form
    for _ in range(5):
        form.login.setText("demo_admin")
        form.password.setText("wrong")
        run_async(form.attempt())
    assert form.is_locked()
    settle(window, "sign-in-locked")
    assert form.message.text().startswith("Five sign-ins in a row failed")
    assert form.message.wordWrap()
    assert fits_in(form.message)


def test_the_discipline_history_fits_1280_by_720_beside_the_profile(window, qtbot, run_async):
    assert sign_in_as(window, "demo_admin", run_async)
    with window.user_engine.connect() as c:
        usi, name = c.execute(text(
            "SELECT s.studentusi, s.firstname || ' ' || s.lastsurname FROM edfi.disciplineaction a "
            "JOIN edfi.student s ON s.studentusi = a.studentusi ORDER BY 1 LIMIT 1")).one()
    assert run_async(window.open_profile(usi))
    window.open_desk("discipline")
    run_async(window.discipline.load_lists())
    run_async(window.discipline.show_history(usi, name))
    window.discipline.tabs.setCurrentIndex(2)
    settle(window, "discipline-history")
    view = window.discipline.history_view
    assert view.model().rowCount() > 0
    header = view.horizontalHeader()
    last = view.model().columnCount() - 1
    sizes = [header.sectionSize(i) for i in range(last + 1)]
    assert not view.horizontalScrollBar().isVisible(), (sizes, view.viewport().width())
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= view.viewport().width()
