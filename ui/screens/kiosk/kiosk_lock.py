"""Kiosk mode: one desk, full screen, no window controls; locks itself when nobody touches it.

The lock screen (also used by Lock in the normal window) opens again for the signed-in user's
password or, in a kiosk, an administrator's sign-in, and lets the next person sign in as
themselves; leaving kiosk mode (Ctrl+Shift+Q) needs an administrator's sign-in. Credential checks
run off the UI thread against the database itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import qasync

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFormLayout, QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.sync import system_events
from ui.ops import OpFailed, run_op
from ui.screens.sign_in.attempt_limiter import AttemptLimiter, describe_lock

KIOSK_DESKS = ("cafeteria", "library", "attendance", "nurse")
DEFAULT_IDLE_SECONDS = 120
INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.TouchBegin,
                QEvent.Type.Wheel}


class IdleWatcher(QObject):
    """Notices user input anywhere in the application and says when it has been idle too long."""

    idle = Signal()

    def __init__(self, idle_seconds: float, clock: Callable[[], float] = time.monotonic, parent=None) -> None:
        super().__init__(parent)
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.last_input = clock()
        self.timer = QTimer(self, interval=1000)
        self.timer.timeout.connect(self.check)
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt naming)
        if event.type() in INPUT_EVENTS:
            self.last_input = self.clock()
        return False

    def start(self) -> None:
        self.last_input = self.clock()
        self.timer.start()

    def check(self) -> bool:
        if self.clock() - self.last_input >= self.idle_seconds:
            self.timer.stop()
            self.idle.emit()
            return True
        return False


class LockScreen(QWidget):
    """'Locked' card: the signed-in user's password opens it (in a kiosk, an administrator's
    sign-in too); "Sign in as someone else" hands the station to the next person. Failed attempts
    back off like the sign-in form's, and each message names only what the card asked for."""

    unlocked = Signal()
    switch_user_requested = Signal()

    def __init__(self, verify: Callable[[str, str], tuple], parent: QWidget | None = None, *,
                 admin_unlock: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._verify = verify
        self.user_login: str | None = None
        self.limiter = AttemptLimiter(clock)
        self.setAccessibleName("Locked")
        card = QFrame(objectName="signInCard")
        self.title = QLabel("This station is locked", objectName="signInTitle")
        self.who = QLabel("", wordWrap=True)
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Your password")
        self.unlock_button = QPushButton("Unlock", default=True)
        self.unlock_button.setAccessibleName("Unlock")
        self.admin_login = QLineEdit(placeholderText="administrator sign-in")
        self.admin_login.setAccessibleName("Administrator sign-in name")
        self.admin_password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.admin_password.setAccessibleName("Administrator password")
        self.admin_button = QPushButton("Unlock as administrator")
        self.admin_button.setAccessibleName("Unlock as administrator")
        self.switch_button = QPushButton("Sign in as someone else")
        self.switch_button.setAccessibleName("Sign in as someone else")
        self.message = QLabel("", objectName="signInMessage", wordWrap=True)
        self.message.setAccessibleName("Lock screen message")
        form = QFormLayout()
        form.addRow("&Password", self.password)
        box = QVBoxLayout(card)
        for w in (self.title, self.who):
            box.addWidget(w)
        box.addLayout(form)
        box.addWidget(self.unlock_button)
        self.admin_widgets = [QLabel("Or an administrator may unlock it:"), self.admin_login, self.admin_password,
                              self.admin_button]
        if admin_unlock:
            admin = QFormLayout()
            admin.addRow("Administrator", self.admin_login)
            admin.addRow("Password", self.admin_password)
            box.addWidget(self.admin_widgets[0])
            box.addLayout(admin)
            box.addWidget(self.admin_button)
        else:
            for w in self.admin_widgets:
                w.hide()
        box.addWidget(self.switch_button)
        box.addWidget(self.message)
        card.setFixedWidth(440)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self._relock = QTimer(self, singleShot=True)
        self._relock.timeout.connect(self._lock_over)
        self.password.returnPressed.connect(self._user_clicked)
        self.unlock_button.clicked.connect(self._user_clicked)
        self.admin_password.returnPressed.connect(self._admin_clicked)
        self.admin_button.clicked.connect(self._admin_clicked)
        self.switch_button.clicked.connect(self.switch_user_requested)

    @qasync.asyncSlot()
    async def _user_clicked(self) -> None:
        await self.unlock_as_user()

    @qasync.asyncSlot()
    async def _admin_clicked(self) -> None:
        await self.unlock_as_admin()

    def lock_for(self, login: str, display_name: str) -> None:
        self.user_login = login
        self.who.setText(f"Signed in: {display_name}. Type your password to continue.")
        self.message.setText(self._locked_sentence() if self.limiter.is_locked() else "")
        self.password.clear()
        self.admin_password.clear()
        self.password.setFocus()

    async def unlock_as_user(self) -> bool:
        return await self._try(self.user_login or "", self.password.text(), admin=False)

    async def unlock_as_admin(self) -> bool:
        return await self._try(self.admin_login.text(), self.admin_password.text(), admin=True)

    def _locked_sentence(self) -> str:
        return (f"Five tries in a row failed, so unlocking waits {describe_lock(self.limiter.remaining())}; "
                "or sign in as someone else.")

    def _set_inputs_enabled(self, on: bool) -> None:
        for w in (self.password, self.unlock_button, self.admin_login, self.admin_password, self.admin_button):
            w.setEnabled(on)

    async def _try(self, login: str, password: str, *, admin: bool) -> bool:
        if self.limiter.is_locked():
            self.message.setText(self._locked_sentence())
            return False
        if not password:
            self.message.setText("Type the administrator's sign-in name and password." if admin
                                 else "Type your password.")
            return False
        try:
            groups = await run_op(self._verify, login, password,
                                  disable=(self.unlock_button, self.admin_button, self.switch_button))
        except OpFailed as err:
            self.password.clear()
            self.admin_password.clear()
            seconds = self.limiter.failed()
            if seconds:
                system_events.report_lock_out(login, failures=self.limiter.max_failures, seconds=seconds,
                                              where="lock screen")
                self._set_inputs_enabled(False)
                self._relock.start(int(seconds * 1000))
                self.message.setText(self._locked_sentence())
            elif "not right" in err.message:
                # name only what this card asked for
                self.message.setText("That administrator sign-in name or password is not right; try again." if admin
                                     else "That password is not right; try again.")
            else:
                self.message.setText(err.message)
            return False
        if admin and "so_admin" not in groups:
            self.message.setText(f"{login} is not an administrator; ask one to unlock this station.")
            self.admin_password.clear()
            return False
        self.limiter.succeeded()
        self.password.clear()
        self.admin_password.clear()
        self.message.setText("")
        self.unlocked.emit()
        return True

    def _lock_over(self) -> None:
        self.limiter.locked_until = 0.0  # the back-off is kept: the next wait is longer
        self._set_inputs_enabled(True)
        self.message.setText("")
        self.password.setFocus()
