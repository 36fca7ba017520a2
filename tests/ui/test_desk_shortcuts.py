"""Issue 16, item 13: Ctrl+1…9 open the desks the signed-in user sees, in the order they see them;
and a high school's dean finds their own school's sections first on the Attendance desk."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in as open_session
from tests.conftest import DEMO_AS_OF
from ui.screens.attendance.attendance_page import AttendancePage
from ui.screens.desk_context import DeskContext

from tests.ui.helpers import sign_in_as

pytestmark = pytest.mark.ui


@pytest.fixture
def window(demo_window, run_async):
    demo_window.show()
    assert run_async(demo_window.start())
    return demo_window



def press(w, qtbot, key):
    w.activateWindow()
    qtbot.waitActive(w)
    QTest.keyClick(w.windowHandle(), key, Qt.KeyboardModifier.ControlModifier)  # as a real key press arrives


def visible_desks(w) -> list[str]:
    return [w.desk_list.item(r).text() for r in range(w.desk_list.count()) if not w.desk_list.item(r).isHidden()]


def test_ctrl_number_opens_the_nth_desk_the_teacher_sees(window, qtbot, run_async):
    assert sign_in_as(window, "demo_teacher", run_async)
    assert visible_desks(window) == ["Attendance", "Reports"]
    press(window, qtbot, Qt.Key.Key_2)  # the full list's 2nd desk is Attendance; the teacher's 2nd is Reports
    assert window.current_desk_key() == "reports"
    assert window.desk_list.currentItem().text() == "Reports"
    press(window, qtbot, Qt.Key.Key_1)
    assert window.current_desk_key() == "attendance"
    window.resize(1280, 720)
    window.grab().save("/tmp/h13/teacher_ctrl1.png")
    press(window, qtbot, Qt.Key.Key_3)  # no third desk for a teacher: a plain word, and the desk stays
    assert window.current_desk_key() == "attendance"
    assert window.progress_label.text() == "Ctrl+3 opens nothing: your desk list has 2 desks."


def sections_listed_for(login, qtbot, demo_engine, run_until, png):
    """The Attendance desk's section list as `login` sees it on the demo school day, with the short
    names of that user's own schools (the list names schools by their short name)."""
    create_demo_logins(demo_engine)
    user, eng = open_session(demo_engine.url, login, DEMO_PASSWORD)
    try:
        with demo_engine.connect() as c:
            names = c.execute(text("SELECT nameofinstitution, shortnameofinstitution FROM edfi.educationorganization "
                                   "WHERE educationorganizationid = ANY(:s)"), {"s": list(user.school_ids)}).all()
        ctx = DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF,
                          now=lambda: datetime(2026, 11, 20, 8, 14))
        page = AttendancePage(ctx)
        qtbot.addWidget(page)
        page.resize(1280, 720)
        page.show()
        page.activate()
        run_until(lambda: page.section.count() > 0)
        assert not page.mine_only.isChecked()  # not a teacher: every section of the day is listed
        page.grab().save(png)
        return names, [s.school for s in page.sections], page.section.currentText()
    finally:
        eng.dispose()


def test_the_dean_at_the_high_school_sees_its_sections_first(qtbot, demo_engine, run_until):
    names, schools, shown = sections_listed_for("demo_dean", qtbot, demo_engine, run_until, "/tmp/h13/dean.png")
    assert names == [("Riverbend High School", "RHS")]
    assert schools[:10] == ["RHS"] * 10
    assert shown.startswith("RHS · Period 1 · ")  # the picker opens on the high school's first period


def test_someone_serving_every_school_sees_their_own_school_first(qtbot, demo_engine, run_until):
    # the principal sees the whole district's sections: alphabetically the elementary school (RES) would lead
    names, schools, shown = sections_listed_for("demo_admin", qtbot, demo_engine, run_until, "/tmp/h13/admin.png")
    assert names == [("Riverbend High School", "RHS")]
    assert {"RES", "RHS"} <= set(schools)
    own_count = schools.count("RHS")
    assert schools[:own_count] == ["RHS"] * own_count  # every RHS section before any other school's
    assert shown.startswith("RHS · ")
