"""Issue 16, item 12: with a student open, the Front office's registration tab is named "New student"
and says the form registers someone new, and where the open student's record is."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in as open_session
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


def test_the_new_student_tab_says_it_is_not_about_the_open_student(qtbot, tmp_path, platform, demo_engine,
                                                                     run_async):
    create_demo_logins(demo_engine)
    with demo_engine.connect() as c:  # a student of the clerk's school (Riverbend Elementary)
        usi, first, last = c.execute(text(
            "SELECT s.studentusi, s.firstname, s.lastsurname FROM edfi.student s "
            "JOIN edfi.studentschoolassociation a ON a.studentusi = s.studentusi "
            "JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid "
            "WHERE eo.shortnameofinstitution = 'RES' AND a.exitwithdrawdate IS NULL "
            "ORDER BY s.studentusi LIMIT 1")).one()
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform, sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw),
                   owns_platform=False)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    try:
        assert run_async(w.start())
        w.sign_in_form.login.setText("demo_front_office")
        w.sign_in_form.password.setText(DEMO_PASSWORD)
        assert run_async(w.sign_in_form.attempt())
        assert w.current_desk_key() == "front_office"
        fo = w.front_office
        tabs = [fo.tabs.tabText(i) for i in range(fo.tabs.count())]
        assert tabs == ["New student", "Enrollment", "Schedule and printouts"]
        assert fo.tabs.widget(0).accessibleName() == "New student registration form"
        assert not fo.register_note.isVisibleTo(fo)  # nobody open: nothing to point elsewhere

        assert run_async(w.open_profile(usi))  # as choosing the student in the search box does
        assert fo.current.text().startswith("Working on ")
        name = fo.student[1]
        assert first in name and last in name
        fo.tabs.setCurrentIndex(0)
        assert fo.register_note.isVisible()
        assert fo.register_note.text() == (
            f"This form registers a new student; {name}'s record is on the Enrollment tab.")
        assert fo.form.first.text() == "" and fo.form.last.text() == ""  # still a blank form for someone new
        w.grab().save("/tmp/h13/new_student_tab.png")
    finally:
        if w.platform and w.platform.shipper:
            w.platform.shipper.stop()
        w.platform = None
        if w.user_engine is not None:
            w.user_engine.dispose()
