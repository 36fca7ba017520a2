"""Issue 16 item 9: a search that finds nobody says so, as the clerk types it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget, QVBoxLayout

from sqlalchemy import text

from app.services.student_search import search_students
from ui.screens.student.student_search_box import StudentSearchBox

pytestmark = pytest.mark.ui


def test_a_search_with_no_match_says_so_and_the_message_goes_with_a_match(qtbot, login_engine, run_until_signal):
    eng = login_engine("demo_front_office")

    def search(query):
        with eng.connect() as c:
            return search_students(c, query)
    holder = QWidget()
    box = StudentSearchBox(search)
    QVBoxLayout(holder).addWidget(box)
    qtbot.addWidget(holder)
    holder.resize(420, 300)
    holder.show()
    box.field.setFocus()
    qtbot.keyClicks(box.field, "zzqx")
    assert run_until_signal(box.searched) == ["zzqx", 0]
    assert box.no_match.isVisible() and box.no_match.text() == "No students match 'zzqx'."
    assert not box.results.isVisible()
    holder.grab().save("/tmp/e-search-no-match.png")

    for _ in range(4):
        QTest.keyClick(box.field, Qt.Key.Key_Backspace)
    with eng.connect() as c:
        last = c.execute(text("SELECT lastsurname FROM edfi.student ORDER BY studentusi LIMIT 1")).scalar()
    qtbot.keyClicks(box.field, last)
    query, n = run_until_signal(box.searched)
    assert query == last and n > 0
    assert box.results.isVisible() and not box.no_match.isVisible()
