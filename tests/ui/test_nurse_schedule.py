"""The nurse desk's screening schedule: which grades each screening is given to at a school, set with
the keyboard alone, saved once however often it is submitted, guarded while unsaved (issue 11)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QListWidget, QPushButton
from sqlalchemy import text

from tests.ui.test_nurse_desk import page, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui
RES = 255950001


@pytest.fixture
def hearing_schedule(demo_engine):
    """The elementary school's hearing schedule, put back after the test."""
    q = "SELECT grade_level FROM health.screening_schedule WHERE school_id = :s AND screening_type = 'hearing'"
    with demo_engine.connect() as c:
        before = sorted(c.execute(text(q), {"s": RES}).scalars())
    yield lambda: sorted(demo_engine.connect().execute(text(q), {"s": RES}).scalars())
    with demo_engine.begin() as c:
        c.execute(text("DELETE FROM health.screening_schedule WHERE school_id = :s AND screening_type = 'hearing'"),
                  {"s": RES})
        c.execute(text("INSERT INTO health.screening_schedule (school_id, screening_type, grade_level) "
                       "SELECT :s, 'hearing', unnest(CAST(:g AS text[]))"), {"s": RES, "g": before})


def _tick_with_keys(grades: QListWidget, name: str) -> None:
    grades.setFocus()
    QTest.keyClick(grades, Qt.Key.Key_Home)
    for _ in range(grades.count()):
        if grades.currentItem().text() == name:
            break
        QTest.keyClick(grades, Qt.Key.Key_Down)
    assert grades.currentItem().text() == name
    QTest.keyClick(grades, Qt.Key.Key_Space)


def test_the_nurse_sets_the_grades_screened_with_the_keyboard(qtbot, page, run_async, run_until, hearing_schedule):
    before = hearing_schedule()
    assert before and "Fourth grade" not in before
    page.screening.kind.setCurrentText("Hearing")
    assert run_async(page.screening.load_classes())
    classes_before = page.screening.klass.count()
    QTest.keyClick(page, Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)  # Alt+H: the Screening schedule tab
    sched = page.schedule
    assert page.tabs.currentWidget() is sched
    run_until(lambda: sched.shown[0] is not None)
    for kind in (QComboBox, QListWidget, QPushButton):
        for w in sched.findChildren(kind):
            assert w.accessibleName() or w.text(), w
    sched.kind.setCurrentText("Hearing")
    run_until(lambda: sched.shown[1] == "hearing")
    assert sched.school.currentData() == RES and "screens hearing in" in sched.message.text()
    _tick_with_keys(sched.grades, "Fourth grade")
    assert "screened grades for hearing not saved" in (page.unsaved_work() or "")
    # switching screening with unsaved ticks is refused in one sentence, the ticks stay
    sched.kind.setCurrentText("Vision")
    run_until(lambda: "save them or undo" in sched.message.text())
    assert sched.kind.currentText() == "Hearing" and sched.unsaved_work()
    assert sched.message.text().count(". ") == 0
    shot(page, "screening-schedule")
    QTest.keyClick(page, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)  # Alt+S saves
    run_until(lambda: sched.message.text().startswith("Saved"))
    assert "(1 added, 0 removed)" in sched.message.text()
    assert hearing_schedule() == sorted(before + ["Fourth grade"]) and page.unsaved_work() is None
    assert run_async(sched.save_now()) and "(0 added, 0 removed)" in sched.message.text()  # a repeat: nothing more
    assert hearing_schedule() == sorted(before + ["Fourth grade"])
    # undo puts back what is saved; another screening then loads
    _tick_with_keys(sched.grades, "Fourth grade")
    QTest.keyClick(page, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # a mnemonic clicks after a moment
    run_until(lambda: sched.unsaved_work() is None)
    assert "back as saved" in sched.message.text()
    sched.kind.setCurrentText("Vision")
    run_until(lambda: sched.shown[1] == "vision")
    # the mass-screening grid now offers the hearing screening to the fourth-grade classes too
    page.tabs.setCurrentWidget(page.screening)
    assert run_async(page.screening.load_classes())
    assert page.screening.klass.count() > classes_before
