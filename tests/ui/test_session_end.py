"""The window ends a session that is over (issue 8, item 13): after 12 hours it signs the user out
and drops the engine; when an administrator turns the sign-in off it returns to the sign-in form
with one sentence. The wall clock is injected; the database is real."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QSettings
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.logins import create_staff_login, disable_login, enable_login
from app.security.session import EXPIRED, SESSION_HOURS, TURNED_OFF, SessionEnded
from app.security.session import sign_in as open_session
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.settings import UiSettings

pytestmark = pytest.mark.ui

START = datetime(2026, 12, 3, 7, 15, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return {"t": START}


@pytest.fixture
def window(qtbot, tmp_path, platform, demo_engine, run_async, clock):
    create_demo_logins(demo_engine)
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform,
                   sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw, clock=lambda: clock["t"]),
                   owns_platform=False, now=lambda: clock["t"])
    qtbot.addWidget(w)
    w.show()
    assert run_async(w.start())
    yield w
    if w.platform and w.platform.shipper:
        w.platform.shipper.stop()
    w.platform = None
    if w.user_engine is not None:
        w.user_engine.dispose()


def sign_in_as(w, login, run_async, password=DEMO_PASSWORD):
    w.sign_in_form.login.setText(login)
    w.sign_in_form.password.setText(password)
    return run_async(w.sign_in_form.attempt())


def test_after_twelve_hours_the_user_is_signed_out_and_the_engine_dropped(window, run_async, clock):
    assert sign_in_as(window, "demo_teacher", run_async)
    engine = window.user_engine
    clock["t"] = START + timedelta(hours=SESSION_HOURS - 1)
    assert window.check_session() and window.screens.currentWidget() is window.workspace
    clock["t"] = START + timedelta(hours=SESSION_HOURS, minutes=1)
    assert not window.check_session()  # what the window's timer does every few seconds
    assert window.screens.currentWidget() is window.sign_in_form
    assert window.sign_in_form.message.text() == EXPIRED
    assert window.user is None and window.user_engine is None
    assert window.user_label.text() == "Not signed in"
    with pytest.raises(SessionEnded):  # the old engine hands out nothing, whoever still holds it
        engine.connect()


def test_an_op_after_the_twelve_hours_does_not_run_and_the_window_signs_out(window, run_async, run_until, clock,
                                                                              demo_engine):
    assert sign_in_as(window, "demo_teacher", run_async)
    with demo_engine.connect() as c:
        usi = c.execute(text("SELECT studentusi FROM edfi.student ORDER BY studentusi LIMIT 1")).scalar()
    clock["t"] = START + timedelta(hours=SESSION_HOURS, seconds=5)  # before the timer notices
    assert not run_async(window.open_profile(usi))
    assert window.progress_label.text() == EXPIRED
    run_until(lambda: window.screens.currentWidget() is window.sign_in_form)
    assert window.sign_in_form.message.text() == EXPIRED
    assert window.profile is None


def test_a_sign_in_turned_off_returns_to_the_form_with_one_sentence(window, run_async, run_until, demo_engine,
                                                                    login_engine):
    with demo_engine.begin() as c:
        staff = c.execute(text("SELECT staffusi FROM edfi.staff ORDER BY staffusi DESC LIMIT 1 OFFSET 3")).scalar()
        create_staff_login(c, "t_window_clerk", "a-long-password", staff, ("so_front_office",))
    try:
        assert sign_in_as(window, "t_window_clerk", run_async, "a-long-password")
        assert run_async(window.check_connection())  # her pooled connection is live
        with login_engine("demo_admin").begin() as admin:
            disable_login(admin, "t_window_clerk")
        run_async(window.check_connection())  # the window's regular look at its connection
        run_until(lambda: window.screens.currentWidget() is window.sign_in_form)
        assert window.sign_in_form.message.text() == TURNED_OFF
        assert window.user is None and window.user_engine is None
        assert window.db_label.text() == "PostgreSQL: built-in"  # not reported as a lost connection
    finally:
        with login_engine("demo_admin").begin() as admin:
            enable_login(admin, "t_window_clerk")
