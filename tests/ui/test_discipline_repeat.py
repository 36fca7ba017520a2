"""Issue 16 item 2 and issue 8 item 25 on the Discipline desk: a second click on Record incident
never records the incident twice (the form becomes the incident on file, "New incident" starts the
next one), and the history shown is always that of the student asked for, under their own name."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD
from app.security.session import sign_in as open_session
from tests.ui.test_discipline_desk import page, rhs_ids  # noqa: F401 (the dean's page fixture)
from ui import unsaved
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


def press(widget):
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_Space)


def test_record_incident_twice_records_one_incident_and_new_incident_clears(qtbot, page, demo_engine,  # noqa: F811
                                                                             run_until, run_async):
    asked = []
    unsaved.set_asker(lambda _p, what: asked.append(what) or "cancel")
    try:
        (offender,) = rhs_ids(demo_engine, 1)
        page.description.setFocus()
        qtbot.keyClicks(page.description, "Phone thrown in the hallway.")
        page.find.setFocus()
        qtbot.keyClicks(page.find, offender)
        page.role.setCurrentText("Perpetrator")
        page.behaviors.item(0).setCheckState(Qt.CheckState.Checked)
        page.find.setFocus()
        QTest.keyClick(page.find, Qt.Key.Key_Return)  # Enter adds the student
        run_until(lambda: page.involved_model.rowCount() == 1)
        assert page.unsaved_work() == "An incident not recorded yet (1 student listed)"
        press(page.save_incident)
        run_until(lambda: page.incident is not None)
        ident = page.incident[0]
        assert page.incident_message.text().startswith(f"Recorded incident {ident} with 1 student.")
        assert not page.save_incident.isEnabled() and not page.incident_boxes[0].isEnabled()
        press(page.save_incident)  # the second click of the dean: nothing happens
        QTest.mouseClick(page.save_incident, Qt.MouseButton.LeftButton)
        # a second submit that gets through anyway (a queued click) returns the same incident
        assert run_async(page.record_incident()) == ident
        with demo_engine.connect() as c:
            n = c.execute(text("SELECT count(*) FROM edfi.disciplineincident WHERE incidentdescription = "
                               "'Phone thrown in the hallway.'")).scalar()
        assert n == 1
        assert page.unsaved_work() is None and asked == []
        page.resize(1280, 720)
        page.grab().save("/tmp/e-discipline-recorded.png")

        # Record action clicked twice on an unchanged form: one action
        page.length.setFocus()
        qtbot.keyClicks(page.length, "1")
        press(page.save_action)
        run_until(lambda: page.action_message.text().startswith("Recorded"))
        press(page.save_action)
        run_until(lambda: page.action_message.text().startswith("Already recorded as ACT-"))
        with demo_engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM edfi.disciplineactionstudentdisciplineincidentbehaviorassociation "
                                  "WHERE incidentidentifier = :i"), {"i": ident}).scalar() == 1

        old_request = page.request_id
        press(page.new_incident)
        assert page.request_id != old_request and page.save_incident.isEnabled()
        assert page.description.toPlainText() == "" and page.involved_model.rowCount() == 0
        assert not page.actions_box.isEnabled() and asked == []
        qtbot.keyClicks(page.description, "Second incident, still being typed.")
        press(page.new_incident)  # unsaved typing: asked first; Cancel keeps it
        assert asked == ["An incident not recorded yet"]
        assert page.description.toPlainText() == "Second incident, still being typed."
    finally:
        unsaved.set_asker(None)


def students_with_history(demo_engine, n):
    with demo_engine.connect() as c:
        return c.execute(text(
            "SELECT b.studentusi, s.firstname || ' ' || s.lastsurname FROM "
            "edfi.studentdisciplineincidentbehaviorassociation b JOIN edfi.student s USING (studentusi) "
            "JOIN edfi.studentschoolassociation a USING (studentusi) WHERE a.schoolid = 255950003 "
            "GROUP BY 1, 2 ORDER BY 1 LIMIT :n"), {"n": n}).all()


def test_the_history_is_of_the_student_asked_for_never_the_one_opened_since(qtbot, tmp_path, platform, demo_engine,
                                                                           run_async, run_until):
    (a, a_name), (b, b_name) = students_with_history(demo_engine, 2)
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform, sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw),
                   owns_platform=False)
    qtbot.addWidget(w)
    w.show()
    try:
        assert run_async(w.start())
        w.sign_in_form.login.setText("demo_dean")
        w.sign_in_form.password.setText(DEMO_PASSWORD)
        assert run_async(w.sign_in_form.attempt())
        w.ask_reason = lambda name, kind: "Follow-up on a referral"
        d = w.discipline

        assert run_async(w.open_profile(a))
        badge = next(x for x in w.profile_panel.badge_buttons if x.text() == "Discipline history")
        press(badge)
        run_until(lambda: d.history_title.text().startswith(f"Discipline history of {a_name} "))
        with demo_engine.connect() as c:
            hers = set(c.execute(text("SELECT incidentidentifier FROM edfi.studentdisciplineincidentbehaviorassociation "
                                      "WHERE studentusi = :u"), {"u": a}).scalars())
        assert d.history_model.rowCount() > 0 and {r[0].incident_identifier for r in d.history_model.rows} <= hers
        n = len({r[0] for r in d.history_model.rows})  # one entry per incident, one row per action
        assert d.history_title.text().endswith(": 1 incident" if n == 1 else f": {n} incidents")
        d.grab().save("/tmp/e-discipline-history.png")

        # The dean opens B's profile: A's history does not stay on show next to B's profile
        assert run_async(w.open_profile(b))
        assert d.history_model.rowCount() == 0 and a_name not in d.history_title.text()

        # A's badge clicked, then B opened before A's history arrived: neither A's rows under B's name
        # (the panel's name by then) nor A's rows next to B's profile
        assert run_async(w.open_profile(a))
        badge = next(x for x in w.profile_panel.badge_buttons if x.text() == "Discipline history")
        press(badge)
        run_async(w.open_profile(b))
        run_until(lambda: d.history_title.text() != "Reading the discipline history…")
        run_async(asyncio.sleep(0.5))
        assert d.history_model.rowCount() == 0 and b_name not in d.history_title.text()
        assert d.history_student is None

        press(next(x for x in w.profile_panel.badge_buttons if x.text() == "Discipline history"))
        run_until(lambda: d.history_title.text().startswith(f"Discipline history of {b_name} "))
        assert d.history_student == (b, b_name)
    finally:
        w.platform = None
        w._may_close = True
        if w.user_engine is not None:
            w.user_engine.dispose()
