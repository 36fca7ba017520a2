"""`school-office --kiosk nurse`: the health office's sign-in station shows the sign-in kiosk and
nothing of anyone's record, even though the nurse's own sign-in opened it (issue 11)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in as open_session
from app.security.session import verify_credentials
from tests.ui.helpers import until
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.screens.nurse.page import NursePage
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


def test_the_nurse_kiosk_shows_only_the_sign_in(qtbot, tmp_path, platform, demo_engine, run_async):
    create_demo_logins(demo_engine)
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform, sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw),
                   kiosk="nurse", verify=lambda p, login, pw: verify_credentials(demo_engine.url, login, pw),
                   owns_platform=False)
    qtbot.addWidget(w)
    w.showFullScreen()
    try:
        assert run_async(w.start())
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
        page.grab().save("/tmp/nurse-desk/kiosk-mode.png")
    finally:
        if w.platform and w.platform.shipper:
            w.platform.shipper.stop()
        w.platform = None
        w._may_close = True
        if w.user_engine is not None:
            w.user_engine.dispose()
