"""The main window: one entry per desk, the desk's page, and a status bar that always says where
the data is (PostgreSQL, DynamoDB) and how many records wait for DynamoDB.

The window appears at once; the platform (embedded servers, migrations) starts in a worker
thread and reports progress through AppEvents.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.app_events import AppEvents
from ui.ops import OpFailed, run_op, spawn
from ui.screens.desk_page import DESKS, DeskPage, desk_page_for
from ui.session_control import SessionControl
from ui.settings import UiSettings

log = logging.getLogger(__name__)

STYLE = """
QMainWindow { background: #f6f7f9; }
QListWidget#deskList { background: #1f3a5f; color: #ffffff; border: none; font-size: 11pt; padding-top: 8px;
                       outline: 0; }
QListWidget#deskList::item { padding: 10px 16px; border-left: 4px solid transparent; }
QListWidget#deskList::item:selected { background: #ffffff; color: #1f3a5f; border-left: 4px solid #ffd166; }
QLabel#deskTitle { font-size: 20pt; font-weight: 600; color: #1b2733; }
QLabel#deskPurpose { font-size: 12pt; color: #33414e; }
QLabel#deskNote { font-size: 11pt; color: #4a5763; padding-top: 12px; }
QFrame#signInCard { background: #ffffff; border: 1px solid #c9d1da; border-radius: 8px; padding: 18px; }
QLabel#signInTitle { font-size: 16pt; font-weight: 600; color: #1b2733; }
QLabel#signInMessage { color: #9b1c1c; }
QFrame#profilePanel { background: #ffffff; border-left: 1px solid #c9d1da; }
QLabel#profileName { font-size: 15pt; font-weight: 600; color: #1b2733; }
QLabel#photo { background: #e3e8ee; color: #4a5763; qproperty-alignment: AlignCenter; }
QLabel#sectionTitle { font-weight: 600; color: #1b2733; padding-top: 10px; }
QStatusBar QLabel { color: #1b2733; padding: 0 10px; }
"""


class MainWindow(SessionControl, QMainWindow):
    session_ended = Signal(str)  # 'expired' or 'turned_off', from whichever thread noticed

    def __init__(self, events: AppEvents, settings: UiSettings, start_platform: Callable[[], object],
                 sign_in: Callable[[object, str, str], tuple] | None = None, *, kiosk: str | None = None,
                 verify: Callable[[object, str, str], tuple] | None = None,
                 idle_seconds: float = 120, clock: Callable[[], float] | None = None,
                 owns_platform: bool = True, now: Callable[[], datetime] | None = None) -> None:
        """sign_in(platform, login, password) -> (SignedIn, Engine); None runs without sign-in
        (tools and tests that work as the platform's own database user; the app always signs in).
        kiosk: one desk's key for kiosk mode; verify(platform, login, password) -> roles checks
        credentials to unlock a locked station. now: the wall clock sessions expire on (tests)."""
        super().__init__()
        from app.security.session import utc_now

        self._now = now or utc_now
        self._previous_login: str | None = None
        self.events = events
        self.settings = settings
        self._start_platform = start_platform
        self._owns_platform = owns_platform  # False: the platform outlives the window (tests, tools)
        self._sign_in = sign_in
        self.platform = None
        self.user = None
        self.user_engine = None
        self.setWindowTitle("School Office")
        self.setStyleSheet(STYLE)
        self.resize(1100, 720)

        self.desk_list = QListWidget(objectName="deskList")
        self.desk_list.setAccessibleName("Desks")
        self.desk_list.setFixedWidth(220)
        self.pages = QStackedWidget()
        self.pages.currentChanged.connect(self._only_the_open_desk_sizes_the_window)
        self.pages.setAccessibleName("Desk page")
        from ui.screens.desk_context import DeskContext

        self.desk_context = DeskContext(engine=self._engine, user=lambda: self.user,
                                        dynamo=lambda: self.platform.dynamo_client if self.platform else None,
                                        rollup_rule=self._rollup_rule,
                                        data_dir=lambda: getattr(getattr(self.platform, "settings", None),
                                                                 "data_dir", None))
        for desk in DESKS:
            item = QListWidgetItem(desk.title)
            item.setData(Qt.ItemDataRole.UserRole, desk.key)
            self.desk_list.addItem(item)
        self._build_desks()
        self.desk_list.currentRowChanged.connect(self._desk_changed)
        for i in range(min(9, len(DESKS))):  # Ctrl+N: the N-th desk in the list the user sees
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, activated=lambda i=i: self.open_visible_desk(i))

        from ui.screens.student.student_profile_panel import StudentProfilePanel
        from ui.screens.student.student_search_box import StudentSearchBox

        self.search_box = StudentSearchBox(self._search_students)
        self.search_box.student_chosen.connect(lambda usi: asyncio.ensure_future(self.open_profile(usi)))
        self.profile_panel = StudentProfilePanel()
        self.profile_panel.attendance_context = self.desk_context  # "Attendance…" for the dean and the clerk
        self.profile_panel.desk_requested.connect(self.open_desk)
        self.profile_panel.record_requested.connect(
            lambda usi, kind, desk: asyncio.ensure_future(self.open_sensitive_record(usi, kind, desk)))
        self.profile_panel.older_requested.connect(lambda: spawn(self.load_timeline(append=True)))
        self.profile = None
        self._timeline_next = None
        self.ask_reason = self._ask_reason  # replaceable in tests (a dialog is outside their control)
        from app.services.record_views import ViewJustifications

        self.justifications = ViewJustifications()
        self.find_shortcut = QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search_box.field.setFocus)
        middle = QWidget()
        column = QVBoxLayout(middle)
        column.setContentsMargins(16, 12, 16, 0)
        column.addWidget(self.search_box)
        column.addWidget(self.pages, 1)
        self.workspace = QWidget()
        row = QHBoxLayout(self.workspace)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.desk_list)
        row.addWidget(middle, 1)
        row.addWidget(self.profile_panel)
        self.screens = QStackedWidget()
        self.screens.addWidget(self.workspace)
        self.sign_in_form = None
        if sign_in is not None:
            from ui.screens.sign_in.sign_in_form import SignInForm

            # A kiosk is shared by everyone: it never shows the last person's name nor keeps a password.
            self.sign_in_form = SignInForm(lambda login, pw: self._sign_in(self.platform, login, pw),
                                           remembered_login=None if kiosk else settings.last_login,
                                           kiosk=kiosk is not None)
            self.sign_in_form.setEnabled(False)  # until the database is up
            self.sign_in_form.signed_in.connect(self.on_signed_in)
            self.screens.addWidget(self.sign_in_form)
            self.screens.setCurrentWidget(self.sign_in_form)
        self.setCentralWidget(self.screens)
        QWidget.setTabOrder(self.desk_list, self.search_box.field)  # desks, then search, then the page
        self.kiosk = kiosk
        self._may_close = True
        self._verify = verify
        self.lock_screen = None
        if sign_in is not None:
            self._setup_lock_screen(clock)
            self._setup_session_actions()
        if kiosk is not None:
            self._setup_kiosk(idle_seconds, clock)

        self.db_label = QLabel("PostgreSQL: starting…")
        self.dynamo_label = QLabel("DynamoDB: starting…")
        self.outbox_label = QLabel("Outbox: –")
        self.user_label = QLabel("Not signed in")
        self.progress_label = QLabel("")
        for label, name in ((self.user_label, "Signed-in user"), (self.db_label, "Database connection"),
                            (self.dynamo_label, "DynamoDB connection"),
                            (self.outbox_label, "Records waiting for DynamoDB"), (self.progress_label, "Progress")):
            label.setAccessibleName(name)
            self.statusBar().addPermanentWidget(label) if label is not self.progress_label \
                else self.statusBar().addWidget(label, 1)

        events.startup_progressed.connect(self.progress_label.setText)
        events.outbox_counted.connect(self._show_outbox)
        events.dynamo_status_changed.connect(self.dynamo_label.setText)
        self._restore()

    # -- state -----------------------------------------------------------------------------
    def _restore(self) -> None:
        if self.settings.geometry is not None:
            self.restoreGeometry(self.settings.geometry)
        keys = [d.key for d in DESKS]
        last = self.settings.last_desk
        self.desk_list.setCurrentRow(keys.index(last) if last in keys else 0)

    def _build_desks(self) -> None:
        """The desk pages, built afresh for each new user: nothing one user read or typed stays
        in a widget the next user could see."""
        from ui.screens.administration.administration_page import AdministrationPage
        from ui.screens.attendance.attendance_page import AttendancePage
        from ui.screens.discipline.discipline_page import DisciplinePage
        from ui.screens.front_office.front_office_page import FrontOfficePage

        row = self.pages.currentIndex()
        # A page may still be reading its lists: retire it (hidden, silent) rather than delete it
        # under the running coroutine; the set retired before this one has long finished.
        for old in getattr(self, "_retired_pages", []):
            old.deleteLater()
        self._retired_pages = [self.pages.widget(i) for i in range(self.pages.count())]
        for old in self._retired_pages:
            self.pages.removeWidget(old)
            self._retire(old)
            old.blockSignals(True)
            old.hide()
        self.front_office = FrontOfficePage(self.desk_context)
        self.attendance = AttendancePage(self.desk_context)
        self.discipline = DisciplinePage(self.desk_context)
        built = {"front_office": self.front_office, "attendance": self.attendance, "discipline": self.discipline}
        for desk in DESKS:
            if desk.key == "administration":
                self.administration = AdministrationPage(
                    self._engine, dynamo=lambda: self.platform.dynamo_client if self.platform else None,
                    owner_engine=lambda: self.platform.engine if self.platform else None)
                self.pages.addWidget(self.administration)
            else:
                self.pages.addWidget(built.get(desk.key) or desk_page_for(desk, self.desk_context))
        for signal in (self.front_office.student_registered, self.front_office.open_student_requested,
                       self.front_office.enrollment_changed, self.front_office.schedule_changed):
            signal.connect(lambda usi: spawn(self.open_profile(usi)))
        for page in self.desk_pages():  # a desk's own status (the cafeteria's unsent sales)
            for w in getattr(page, "status_widgets", tuple)():
                self.statusBar().addPermanentWidget(w)
        if row >= 0:
            self.pages.setCurrentIndex(row)
        self._only_the_open_desk_sizes_the_window(self.pages.currentIndex())

    def _retire(self, page: QWidget) -> None:
        """A page the window is done with: its status widgets go, its background work stops."""
        for w in getattr(page, "status_widgets", tuple)():
            self.statusBar().removeWidget(w)
            w.hide()
        retire = getattr(page, "retire", None)
        if callable(retire):
            retire()

    def desk_pages(self) -> list[QWidget]:
        return [self.pages.widget(i) for i in range(self.pages.count())]

    def _reset_workspace(self) -> None:
        """Forget everything the last user had on screen: the open student, the search, the desks."""
        self.profile = None
        self._timeline_next = None
        self.profile_panel.setVisible(False)
        self.search_box.field.clear()
        self.search_box.model.set_hits([])
        self.search_box.results.setVisible(False)
        self._build_desks()

    def _desk_changed(self, row: int) -> None:
        if row < 0:
            return
        self.pages.setCurrentIndex(row)
        self._remember_desk(DESKS[row].key)
        self._activate_current()

    def _only_the_open_desk_sizes_the_window(self, index: int) -> None:
        """A stack is as wide as its widest page: a desk nobody has open (the Reports grid) must not
        push the window past a 1280-pixel screen. Hidden pages ignore their size hints."""
        for i in range(self.pages.count()):
            page = self.pages.widget(i)
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)

    def _activate_current(self) -> None:
        """A desk reads its lists when it is opened by someone signed in (or, without sign-in,
        once the platform is up)."""
        page = self.pages.currentWidget()
        ready = self.platform is not None and (self.user is not None or self._sign_in is None)
        if ready and hasattr(page, "activate"):
            page.activate()

    def open_visible_desk(self, index: int) -> bool:
        """Open the index-th desk the signed-in user sees (hidden desks do not count)."""
        rows = [r for r in range(self.desk_list.count()) if not self.desk_list.item(r).isHidden()]
        if index >= len(rows):
            self.progress_label.setText(f"Ctrl+{index + 1} opens nothing: your desk list has {len(rows)} desks.")
            return False
        return self.open_desk(DESKS[rows[index]].key)

    def _may_use(self, key: str) -> bool:
        """Whether the signed-in user's role includes that desk."""
        return self.user is not None and next(d for d in DESKS if d.key == key).allowed_for(self.user.groups)

    def open_desk(self, key: str) -> bool:
        """Switch to a desk; a desk the signed-in role may not use gets a plain message instead."""
        row = [d.key for d in DESKS].index(key)
        if self.desk_list.item(row).isHidden():
            self.progress_label.setText(f"Your role does not include the {DESKS[row].title} desk.")
            return False
        self.desk_list.setCurrentRow(row)
        return True

    # -- lock screen and kiosk mode ---------------------------------------------------------------
    def _setup_lock_screen(self, clock) -> None:
        import time as _time

        from ui.screens.kiosk.kiosk_lock import LockScreen

        def verify(login, pw):
            if self._verify is not None:
                return self._verify(self.platform, login, pw)
            return self.platform.verify(login, pw)

        self.lock_screen = LockScreen(verify, admin_unlock=self.kiosk is not None, clock=clock or _time.monotonic)
        self.lock_screen.unlocked.connect(self._unlocked)
        self.lock_screen.switch_user_requested.connect(self.switch_user)
        self.screens.addWidget(self.lock_screen)

    def _setup_kiosk(self, idle_seconds: float, clock) -> None:
        import time as _time

        from ui.screens.kiosk.kiosk_lock import IdleWatcher

        self._may_close = False
        self.desk_list.setVisible(False)
        self.menuBar().setVisible(False)  # full screen, one desk: the session keys still work
        from ui.screens.library import page as library_page

        # a shared station's screen shows no student profiles: the lunch line, the health office's sign-in, and the
        # library's self-check machine, which main.py makes a library kiosk with the desk's page in self-check mode
        if self.kiosk in ("cafeteria", "nurse") or (self.kiosk == "library" and library_page.SELF_CHECK):
            self.search_box.setVisible(False)
            self.search_box.setEnabled(False)
            self.find_shortcut.setEnabled(False)
        self.setWindowFlags(self.windowFlags() | Qt.WindowType.FramelessWindowHint
                            | Qt.WindowType.WindowStaysOnTopHint)
        self.idle_watcher = IdleWatcher(idle_seconds, clock or _time.monotonic, self)
        self.idle_watcher.idle.connect(self.lock)
        QShortcut(QKeySequence("Ctrl+Shift+Q"), self, activated=self._ask_to_leave_kiosk)

    async def leave_kiosk(self, login: str, password: str) -> bool:
        """Kiosk mode ends only for an administrator's sign-in."""
        try:
            groups = await run_op(self._verify, self.platform, login, password)
        except OpFailed as err:
            self.progress_label.setText(err.message)
            return False
        if "so_admin" not in groups:
            self.progress_label.setText("Only an administrator may leave kiosk mode.")
            return False
        self._may_close = True
        # Closed from a plain callback right after this task's step, not inside it: closing may ask
        # about unsaved work in a modal dialog, and exec() inside a task re-enters the event loop
        # (ui/dialogs.py). Not awaited: closing the last window stops the loop itself.
        asyncio.get_running_loop().call_soon(self.close)
        return True

    def _ask_to_leave_kiosk(self) -> None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        login, ok = QInputDialog.getText(self, "Leave kiosk mode", "Administrator sign-in name:")
        if not ok:
            return
        password, ok = QInputDialog.getText(self, "Leave kiosk mode", "Administrator password:",
                                            QLineEdit.EchoMode.Password)
        if ok:
            asyncio.ensure_future(self.leave_kiosk(login, password))

    def on_signed_in(self, user, engine) -> None:
        from app.services.record_views import ViewJustifications

        if self.kiosk is not None:
            desk = next(d for d in DESKS if d.key == self.kiosk)
            if not desk.allowed_for(user.groups):
                engine.dispose()
                self.sign_in_form.message.setText(
                    f"This station is the {desk.title} kiosk; sign in with a sign-in that may use that desk.")
                return
        if self._previous_login is not None and self._previous_login != user.login:
            # work the last user left unsaved (their session ended on its own) is never handed on
            self._discard_unsaved()
            self._reset_workspace()
        self._previous_login = user.login
        self.user, self.user_engine = user, engine
        self._watch(engine)
        self.justifications = ViewJustifications()  # reasons are asked again in each sign-in session
        if self.kiosk is None:
            self.settings.last_login = user.login
        allowed = [d.allowed_for(user.groups) for d in DESKS]
        for row, ok in enumerate(allowed):
            self.desk_list.item(row).setHidden(not ok)
        roles = ", ".join(g.removeprefix("so_").replace("_", " ") for g in user.groups)
        self.user_label.setText(f"{user.display_name} ({roles})")
        own = self._desk_for(user.login)  # each user returns to their own desk, not the last user's
        keys = [d.key for d in DESKS]
        target = self.kiosk if self.kiosk is not None else \
            own if own in keys and allowed[keys.index(own)] else keys[allowed.index(True)]
        self.desk_list.setCurrentRow(keys.index(target))
        if self.kiosk is not None:
            for row, d in enumerate(DESKS):
                self.desk_list.item(row).setHidden(d.key != self.kiosk)
            self.desk_list.setCurrentRow([d.key for d in DESKS].index(self.kiosk))
            self.idle_watcher.start()
        self.screens.setCurrentWidget(self.workspace)
        self.desk_list.setFocus()
        self._activate_current()
        self._update_session_actions()
        self.events.signed_in.emit(user)
        if self.platform is not None and self.platform.shipper is None:  # server mode: no shipper reports here
            spawn(self.count_outbox(engine))

    def _rollup_rule(self):
        """The school's minute thresholds for rolling period marks up to a day (config.ini [attendance])."""
        from app.domain.attendance_rollup import RollupRule

        settings = getattr(self.platform, "settings", None)
        if settings is None:
            return None
        return RollupRule(settings.absent_minutes, settings.half_day_minutes)

    def _engine(self):
        """The signed-in user's engine. Only a window built without sign-in (tools, tests) works
        as the platform's own user; the app never falls back to the owner."""
        from app.errors import UserError
        from app.security.session import SessionEnded, session_ended

        engine = self.user_engine
        if engine is not None:
            ended = session_ended(engine)  # checked before every op, on whichever thread runs it
            if ended is not None:
                raise SessionEnded(ended)
            return engine
        if self._sign_in is None and self.platform is not None and self.platform.engine is not None:
            return self.platform.engine
        raise UserError("Nobody is signed in at this window; sign in first.")

    def _search_students(self, query: str):  # runs on a worker thread (through run_op)
        from app.services.student_search import search_students

        if self.platform is None or (self.user_engine is None and self._sign_in is not None):
            return []
        with self._engine().begin() as conn:  # committed, not rolled back: see app.security.session.ping
            return search_students(conn, query)

    async def open_profile(self, student_usi: int) -> bool:
        from app.services.student_profile import load_profile

        def load():
            with self._engine().begin() as conn:
                return load_profile(conn, student_usi)

        try:
            profile = await run_op(load)
        except OpFailed as err:
            self.progress_label.setText(err.message)
            return False
        if profile is None:
            self.progress_label.setText("That student is not one you may see.")
            return False
        self.profile = profile
        self.profile_panel.show_profile(profile)
        # the front office works on the student opened, for a user who has that desk (anyone else's sign-in may not
        # read its tables: a nurse's profile opened the front office's enrolment queries, refused and logged)
        if self._may_use("front_office") and (self.front_office.student is None
                                              or self.front_office.student[0] != profile.student_usi):
            self.front_office.set_student(profile.student_usi, profile.name, profile.student_unique_id)
        self.discipline.student_opened(profile.student_usi)  # no other student's history left on show
        spawn(self.load_timeline())
        return True

    TIMELINE_PAGE = 10

    async def load_timeline(self, append: bool = False) -> int:
        """The open student's activity, newest first, a page at a time, from DynamoDB. Discipline
        entries show only to those who may read discipline records."""
        from dataclasses import replace

        from app.domain.activity_text import is_sensitive, without_health_details
        from app.dynamo.timeline import student_timeline

        profile = self.profile
        client = self.platform.dynamo_client if self.platform else None
        if profile is None or client is None:
            self.profile_panel.show_timeline([], False, note="Activity is not available without DynamoDB.")
            return 0
        start = self._timeline_next if append else None
        try:
            page = await run_op(student_timeline, client, profile.student_unique_id, self.TIMELINE_PAGE, start)
        except OpFailed:
            self.profile_panel.show_timeline([], False, append=append, note="DynamoDB did not answer; the activity "
                                             "list will be back when it does.")
            return 0
        if self.profile is not profile:  # another student was opened meanwhile
            return 0
        items = [a for a in page.items if profile.may_see_discipline or not is_sensitive(a.activity_type)]
        if not profile.may_see_health:  # a health-office visit shows, its details do not
            items = [replace(a, details=without_health_details(a.activity_type, a.details)) for a in items]
        self._timeline_next = page.next_key
        self.profile_panel.show_timeline(items, page.next_key is not None, append=append)
        return len(items)

    async def _ask_reason(self, student_name: str, record_type: str) -> str | None:
        """Asked from the open_sensitive_record coroutine: awaited (ui/dialogs.py), never exec()ed, or the event
        loop's other tasks (the profile's timeline, the connection check, a desk's load) could not resume."""
        from ui.dialogs import ask_text

        label = {"health": "health record", "specialed": "special-education record",
                 "discipline": "discipline record"}[record_type]
        return await ask_text(self, "Why do you need this record?",
                              f"Opening {student_name}'s {label}. In one line, the legitimate educational interest:")

    async def open_sensitive_record(self, student_usi: int, record_type: str, desk: str) -> bool:
        """Record the view (asking for the reason on the first view in this sign-in), then open the desk."""
        from app.services.record_views import log_view

        reason = self.justifications.reason_for(student_usi)
        if reason is None:
            from ui.dialogs import answered

            reason = await answered(self.ask_reason(self.profile_panel.name.text(), record_type))
            if not reason or not reason.strip():
                self.progress_label.setText("The record was not opened: a reason is needed to open it.")
                return False

        def record():
            with self._engine().begin() as conn:
                log_view(conn, student_usi, record_type, reason)

        try:
            await run_op(record)
        except OpFailed as err:
            self.progress_label.setText(err.message)
            return False
        self.justifications.remember(student_usi, reason)
        opened = self.open_desk(desk)
        if opened and record_type == "discipline":
            spawn(self.discipline.show_history(student_usi, self.profile_panel.name.text()))
        elif opened and desk == "nurse" and hasattr(self.pages.currentWidget(), "show_student"):
            spawn(self.pages.currentWidget().show_student(student_usi))  # the view is logged above
        return opened

    def current_desk_key(self) -> str:
        return DESKS[self.desk_list.currentRow()].key

    def _show_outbox(self, waiting: int, dead: int = 0) -> None:
        text = f"Outbox: {waiting} waiting" if waiting else "Outbox: all delivered"
        if dead:  # refused by DynamoDB and set aside: only IT can fix the cause
            text += f"; {dead} could not be sent (tell IT)"
        self.outbox_label.setText(text)
        self.outbox_label.setToolTip(f"DynamoDB refused {dead} record(s); IT sees which and why with "
                                     "'school-office-admin status'." if dead else "")

    async def count_outbox(self, engine) -> None:
        """Counts only, through sync.outbox_summary(): no role may read the records themselves."""
        from app.sync.outbox import outbox_summary

        try:
            summary = await run_op(outbox_summary, engine)
        except OpFailed as err:
            log.warning("could not count the outbox: %s", err.message)
            return
        self.events.outbox_counted.emit(summary.waiting, summary.dead_lettered)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        if not self._may_close:
            event.ignore()
            self.progress_label.setText("Leaving kiosk mode needs an administrator: press Ctrl+Shift+Q.")
            return
        # Unsaved work (attendance marks, a form being typed) is saved, discarded or kept: ui/unsaved.py
        from ui.unsaved import settle

        if self.leaving_refused("quitting"):
            event.ignore()
            return
        answer = settle(self, [self.pages.widget(i) for i in range(self.pages.count())], then=self.close)
        if answer != "go":
            event.ignore()
            if answer == "stay" and self.kiosk is not None:
                self._may_close = False  # still a kiosk: leaving asks for the administrator again
            return
        if getattr(self, "_monitor", None) is not None:
            self._monitor.stop()
        for page in self.desk_pages():
            self._retire(page)
        self.settings.geometry = self.saveGeometry()
        self.settings.sync()
        if self.user_engine is not None:
            # Recording the end of the session is database work: it runs on a worker thread (which
            # the interpreter lets finish at exit), never on the UI thread while the window closes.
            from ui.ops import get_executor

            get_executor().submit(_end_session_and_dispose, self.user_engine, self.user)
            self.user_engine = None
        if self.platform is not None:
            if self._owns_platform:
                # Stopping the built-in servers takes seconds: never on the UI thread (ui/closing.py).
                from ui.closing import close_in_background

                self.progress_label.setText("Closing…")
                self.closing_note, self.closing_thread = close_in_background(self.platform.close,
                                                                             self.frameGeometry())
            elif self.platform.shipper is not None:
                self.platform.shipper.stop()
            self.platform = None
        super().closeEvent(event)

    # -- startup ---------------------------------------------------------------------------
    async def start(self) -> bool:
        """Start the platform off the UI thread; on failure say why in one sentence."""
        try:
            platform = await run_op(self._start_platform)
        except OpFailed as err:
            self.progress_label.setText("Could not start")
            self.db_label.setText("PostgreSQL: not connected")
            self.events.platform_failed.emit(err.message)
            return False
        self.platform = platform
        self.db_online = True
        self._monitor = QTimer(self, interval=5000)
        self._monitor.timeout.connect(self._check_connection_soon)
        self._monitor.timeout.connect(self.check_session)
        self._monitor.start()
        if self.sign_in_form is not None:
            self.sign_in_form.setEnabled(True)
            self.sign_in_form.focus_first_field()
        self.db_label.setText(platform.database_label)
        self.dynamo_label.setText(platform.dynamo_status.describe())
        self.progress_label.setText("Ready")
        platform.start_shipper(on_result=self._shipper_reported)  # none in server mode: the server ships
        self.events.platform_started.emit(platform)
        self._activate_current()
        if platform.engine is not None:
            await self.count_outbox(platform.engine)
        return True

    def _check_connection_soon(self) -> None:
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return
        if not loop.is_closed():
            loop.create_task(self.check_connection())

    async def check_connection(self) -> bool:
        """Ping the database off the UI thread. When it goes away the status bar says so and
        nothing typed on screen is touched; pooled connections are re-made when it returns."""
        from ui.ops import get_executor

        if self.platform is None:
            return False
        engine = self.user_engine if self.user_engine is not None else \
            self.platform.engine if self._sign_in is None else None
        if engine is None:  # nobody signed in: this window holds no connection to watch
            return self.db_online
        from app.security.session import SessionEnded, ping

        try:
            await asyncio.get_running_loop().run_in_executor(get_executor(), ping, engine)
        except SessionEnded:
            return self.db_online  # the window has been told (session_ended) and returns to sign-in
        except Exception as exc:
            return self._connection_lost(exc)
        return self._connection_back()

    def _connection_lost(self, exc: Exception) -> bool:
        if self.db_online:
            log.warning("database connection lost", exc_info=exc)
            self.db_online = False
            self.db_label.setText("PostgreSQL: connection lost; reconnecting…")
            self.progress_label.setText("The database cannot be reached. What you typed stays on screen; "
                                        "try saving again once the connection is back.")
            self.events.connection_changed.emit(False)
        return False

    def _connection_back(self) -> bool:
        if not self.db_online:
            self.db_online = True
            self.db_label.setText(self.platform.database_label)
            self.progress_label.setText("Connection to the database is back.")
            self.events.connection_changed.emit(True)
        return True

    def _shipper_reported(self, result) -> None:
        # Called on the shipper's thread: emit only (Qt queues the delivery to the UI thread).
        self.events.outbox_counted.emit(result.waiting, result.dead_lettered)
        if result.error:
            self.events.dynamo_status_changed.emit(
                f"DynamoDB: unavailable; {result.waiting} records wait safely in the outbox")
        elif result.delivered and self.platform is not None:
            self.events.dynamo_status_changed.emit(f"DynamoDB: connected ({self.platform.dynamo_status.endpoint})")


def _end_session_and_dispose(engine, user) -> None:
    from app.security.session import end_session

    try:
        end_session(engine, user)
    except Exception:
        log.warning("could not record the end of the session", exc_info=True)
    finally:
        engine.dispose()


def show_startup_failure(parent: QWidget, message: str, then: Callable[[], object] | None = None) -> QMessageBox:
    """Say why the app could not start; then() runs once the box is closed. Opened, not exec()'d:
    it is reached from the start() coroutine, where a nested event loop re-enters asyncio tasks."""
    box = QMessageBox(QMessageBox.Icon.Critical, "School Office could not start", message,
                      QMessageBox.StandardButton.Close, parent)
    box.setAccessibleName("Start-up problem")
    if then is not None:
        box.finished.connect(lambda _result: then())
    box.open()
    return box
