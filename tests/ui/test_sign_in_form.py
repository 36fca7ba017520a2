"""Signing in at the window, by keyboard, as different staff members."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in as open_session
from ui.app_events import AppEvents
from ui.main_window import MainWindow
from ui.screens.desk_page import DESKS
from ui.screens.sign_in.sign_in_form import MAX_FAILURES, SignInForm
from ui.settings import UiSettings

pytestmark = pytest.mark.ui


class MemoryPasswords:
    """Stands in for the OS keyring (outside our control)."""

    def __init__(self):
        self.saved = {}

    def get(self, login):
        return self.saved.get(login)

    def set(self, login, password):
        self.saved[login] = password
        return True

    def forget(self, login):
        self.saved.pop(login, None)


@pytest.fixture(scope="module")
def logins(demo_engine):
    return create_demo_logins(demo_engine)


@pytest.fixture
def window(qtbot, tmp_path, platform, demo_engine, logins, run_async):
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform, sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw),
                   owns_platform=False)
    qtbot.addWidget(w)
    w.show()
    assert run_async(w.start())
    yield w
    if w.platform and w.platform.shipper:
        w.platform.shipper.stop()
    w.platform = None  # the session's platform belongs to its fixture
    if w.user_engine is not None:
        w.user_engine.dispose()


def visible_desks(w) -> list[str]:
    return [DESKS[i].title for i in range(w.desk_list.count()) if not w.desk_list.item(i).isHidden()]


def type_and_sign_in(qtbot, w, login, password, run_async):
    form = w.sign_in_form
    form.login.clear()
    qtbot.keyClicks(form.login, login)
    qtbot.keyClicks(form.password, password)  # keyboard order itself is tested in test_the_form_is_labelled...
    return run_async(form.attempt())


def test_the_form_is_labelled_and_in_keyboard_order(window, qtbot):
    form = window.sign_in_form
    assert window.screens.currentWidget() is form
    assert [form.login.accessibleName(), form.password.accessibleName(), form.remember.accessibleName(),
            form.submit.accessibleName()] == ["Sign-in name", "Password", "Remember my password", "Sign in"]
    window.activateWindow()
    qtbot.waitActive(window)
    form.login.setFocus()
    order = [QApplication.focusWidget()]
    for _ in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == [form.login, form.password, form.remember, form.submit]
    assert not window.workspace.isVisible()


def test_a_teacher_sees_only_the_teacher_desks(window, qtbot, run_async):
    assert type_and_sign_in(qtbot, window, "demo_teacher", DEMO_PASSWORD, run_async)
    assert window.screens.currentWidget() is window.workspace
    assert visible_desks(window) == ["Attendance", "Reports"]
    assert "teacher" in window.user_label.text()
    assert not window.open_desk("discipline")
    assert window.progress_label.text() == "Your role does not include the Discipline desk."
    assert window.current_desk_key() in ("attendance", "reports")


def test_the_administrator_sees_every_desk(window, qtbot, run_async):
    assert type_and_sign_in(qtbot, window, "demo_admin", DEMO_PASSWORD, run_async)
    assert visible_desks(window) == [d.title for d in DESKS]


def test_a_nurse_sees_the_nurse_desk(window, qtbot, run_async):
    assert type_and_sign_in(qtbot, window, "demo_nurse", DEMO_PASSWORD, run_async)
    assert visible_desks(window) == ["Nurse"]


def test_a_wrong_password_says_so_and_keeps_the_name(window, qtbot, run_async):
    assert not type_and_sign_in(qtbot, window, "demo_teacher", "not-it-at-all", run_async)
    form = window.sign_in_form
    assert form.message.text() == "The sign-in name or the password is not right; check them and try again."
    assert form.login.text() == "demo_teacher" and form.password.text() == ""
    assert window.screens.currentWidget() is form


def test_five_failures_lock_the_form_for_a_minute(qtbot, run_async):
    from app.errors import UserError

    now = {"t": 1000.0}

    def refuse(login, password):
        raise UserError("The sign-in name or the password is not right; check them and try again.")

    form = SignInForm(refuse, passwords=MemoryPasswords(), clock=lambda: now["t"])
    qtbot.addWidget(form)
    for _ in range(MAX_FAILURES):
        form.login.setText("demo_teacher")
        form.password.setText("guess")
        run_async(form.attempt())
    assert form.is_locked() and not form.submit.isEnabled()
    assert "locked for a minute" in form.message.text()
    now["t"] += 61
    form._unlock()
    assert not form.is_locked() and form.submit.isEnabled()
    for _ in range(MAX_FAILURES):  # the next five failures lock it for longer
        form.login.setText("demo_teacher")
        form.password.setText("guess")
        run_async(form.attempt())
    assert form.is_locked() and "locked for 2 minutes" in form.message.text()


def test_only_the_name_is_remembered_unless_the_user_asks(window, qtbot, run_async, tmp_path, platform, demo_engine):
    """The next person at a shared computer finds the last name, never the password: pressing
    Enter gets them nowhere."""
    from ui.screens.sign_in.sign_in_form import PasswordStore

    form = window.sign_in_form
    assert not form.remember.isChecked()  # not kept unless asked
    assert type_and_sign_in(qtbot, window, "demo_nurse", DEMO_PASSWORD, run_async)
    assert PasswordStore().get("demo_nurse") is None
    window.settings.sync()
    again = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                       lambda: platform, sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw),
                       owns_platform=False)
    qtbot.addWidget(again)
    assert again.sign_in_form.login.text() == "demo_nurse"
    assert again.sign_in_form.password.text() == ""
    settings_text = "".join(p.read_text() for p in tmp_path.rglob("*.ini"))
    assert DEMO_PASSWORD not in settings_text


def test_a_password_is_kept_in_the_keyring_only_when_its_owner_asks(qtbot, run_async, tmp_path):
    store = MemoryPasswords()
    form = SignInForm(lambda login, pw: ("user", "engine"), passwords=store)
    qtbot.addWidget(form)
    form.login.setText("demo_nurse")
    form.password.setText(DEMO_PASSWORD)
    qtbot.keyClick(form.remember, Qt.Key.Key_Space)  # the explicit box, ticked by keyboard
    assert form.remember.isChecked()
    with qtbot.waitSignal(form.signed_in):
        assert run_async(form.attempt())
    assert store.saved == {"demo_nurse": DEMO_PASSWORD}
    again = SignInForm(lambda login, pw: ("user", "engine"), remembered_login="demo_nurse", passwords=store)
    qtbot.addWidget(again)
    assert again.password.text() == DEMO_PASSWORD and again.remember.isChecked()
    again.remember.setChecked(False)  # changed her mind: the next sign-in forgets it
    with qtbot.waitSignal(again.signed_in):
        assert run_async(again.attempt())
    assert store.saved == {}


def test_a_kiosk_form_keeps_no_password_even_if_asked(qtbot, run_async):
    store = MemoryPasswords()
    store.saved["demo_cashier"] = DEMO_PASSWORD
    form = SignInForm(lambda login, pw: ("user", "engine"), remembered_login="demo_cashier", passwords=store,
                      kiosk=True)
    qtbot.addWidget(form)
    assert form.login.text() == "" and form.password.text() == "" and form.remember.isHidden()
    form.login.setText("demo_librarian")
    form.password.setText(DEMO_PASSWORD)
    form.remember.setChecked(True)  # hidden, but even so
    with qtbot.waitSignal(form.signed_in):
        assert run_async(form.attempt())
    assert "demo_librarian" not in store.saved


def test_type_ahead_search_and_profile_by_keyboard(window, qtbot, run_async, run_until_signal, demo_engine):
    from sqlalchemy import text

    assert type_and_sign_in(qtbot, window, "demo_nurse", DEMO_PASSWORD, run_async)
    with demo_engine.connect() as c:
        s = c.execute(text("SELECT s.studentusi, s.firstname, s.lastsurname FROM edfi.student s "
                           "JOIN health.allergies a ON a.student_usi = s.studentusi "
                           "JOIN edfi.studentschoolassociation ssa ON ssa.studentusi = s.studentusi "
                           "WHERE ssa.schoolid = ANY(:schools) ORDER BY s.studentusi LIMIT 1"),
                      {"schools": list(window.user.school_ids)}).one()  # the nurse's own school
    box = window.search_box
    box.field.setFocus()
    qtbot.keyClicks(box.field, s.lastsurname[:3])  # results come as you type, after a short pause
    query, count = run_until_signal(box.searched)
    assert query == s.lastsurname[:3] and count > 0, box.field.toolTip()
    rows = [box.model.hit(i).student_usi for i in range(box.model.rowCount())]
    if s.studentusi not in rows:  # narrow down as a user would: add the first name
        box.field.clear()
        run_async(box.search_now(f"{s.firstname} {s.lastsurname}"))
        rows = [box.model.hit(i).student_usi for i in range(box.model.rowCount())]
    for _ in range(rows.index(s.studentusi)):
        qtbot.keyClick(box.field, Qt.Key.Key_Down)
    with qtbot.waitSignal(box.student_chosen) as chosen:
        qtbot.keyClick(box.field, Qt.Key.Key_Return)
    assert chosen.args == [s.studentusi]
    run_async(window.open_profile(s.studentusi))  # what the chosen signal started, awaited here
    assert window.profile_panel.name.text() == f"{s.firstname} {s.lastsurname}"
    assert any(b.text().startswith(("Allergy", "Severe allergy")) for b in window.profile_panel.badge_buttons)
    assert "emergency contact" in window.profile_panel.contacts.text()


def test_a_cashier_sees_the_allergy_flag_but_no_contacts_or_birth_date(window, qtbot, run_async, demo_engine):
    from sqlalchemy import text

    assert type_and_sign_in(qtbot, window, "demo_cashier", DEMO_PASSWORD, run_async)
    with demo_engine.connect() as c:  # a student of a school the cashier serves (issue 8, item 9)
        usi = c.execute(text("SELECT a.student_usi FROM health.allergies a JOIN edfi.studentschoolassociation ssa "
                             "ON ssa.studentusi = a.student_usi WHERE ssa.schoolid = ANY(:schools) "
                             "ORDER BY a.student_usi LIMIT 1"), {"schools": list(window.user.school_ids)}).scalar()
    assert usi is not None
    assert run_async(window.open_profile(usi)), window.progress_label.text()
    panel = window.profile_panel
    assert [b.text().split(":")[0] for b in panel.badge_buttons if "llergy" in b.text()]
    assert not any(b.text() in ("IEP", "504 plan") for b in panel.badge_buttons)
    assert panel.contacts.text() == "No contacts you may see."
    assert "Born" not in panel.details.text()


def test_no_sql_runs_on_the_ui_thread_while_working(window, qtbot, run_async, run_until_signal, demo_engine):
    import threading

    from sqlalchemy import event

    assert type_and_sign_in(qtbot, window, "demo_front_office", DEMO_PASSWORD, run_async)
    main = threading.get_ident()
    threads = []

    def record(*_args):
        threads.append(threading.get_ident())

    event.listen(window.user_engine, "before_cursor_execute", record)
    try:
        qtbot.keyClicks(window.search_box.field, "ma")
        run_until_signal(window.search_box.searched)
        hits = window.search_box.model.rowCount()
        assert hits > 0
        run_async(window.open_profile(window.search_box.model.hit(0).student_usi))
        qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    finally:
        event.remove(window.user_engine, "before_cursor_execute", record)
    assert threads and main not in threads


def test_opening_a_health_record_asks_why_once_and_logs_every_view(window, qtbot, run_async, demo_engine):
    from sqlalchemy import text

    assert type_and_sign_in(qtbot, window, "demo_nurse", DEMO_PASSWORD, run_async)
    with demo_engine.connect() as c:  # a student of the nurse's own school (issue 8, item 9)
        usi = c.execute(text("SELECT a.student_usi FROM health.allergies a JOIN edfi.studentschoolassociation ssa "
                             "ON ssa.studentusi = a.student_usi WHERE ssa.schoolid = ANY(:schools) "
                             "ORDER BY a.student_usi DESC LIMIT 1"), {"schools": list(window.user.school_ids)}).scalar()
    asked = []
    window.ask_reason = lambda name, kind: asked.append((name, kind)) or "Student feels unwell; checking allergies"
    assert run_async(window.open_profile(usi))
    badge = next(b for b in window.profile_panel.badge_buttons if "llergy" in b.text())
    assert run_async(window.open_sensitive_record(usi, "health", "nurse"))
    assert run_async(window.open_sensitive_record(usi, "health", "nurse"))
    assert len(asked) == 1 and asked[0][1] == "health"
    assert window.current_desk_key() == "nurse"
    with demo_engine.connect() as c:
        views = c.execute(text("SELECT user_id, justification, data_categories FROM compliance.audit_logs "
                               "WHERE operation = 'VIEW' AND record_id = :r ORDER BY id"),
                          {"r": f'{{"studentusi": {usi}}}'}).all()
    # the nurse desk's lists log their own views ("Health office: ..."): the openings are the record's
    views = [v for v in views if not v[1].startswith("Health office:")]
    assert views[-2:] == [("demo_nurse", "Student feels unwell; checking allergies", ["health"])] * 2
    assert badge.accessibleName().endswith("(opens the nurse desk)")


def test_no_reason_no_record(window, qtbot, run_async, demo_engine):
    assert type_and_sign_in(qtbot, window, "demo_nurse", DEMO_PASSWORD, run_async)
    window.ask_reason = lambda name, kind: None  # the nurse cancels the question
    assert not run_async(window.open_sensitive_record(3, "health", "nurse"))
    assert window.progress_label.text() == "The record was not opened: a reason is needed to open it."
