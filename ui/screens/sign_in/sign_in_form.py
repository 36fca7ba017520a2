"""The sign-in form: each staff member signs in with their own database login.

Five failed attempts in a row lock the form for a minute, and each further lock for longer. The
last sign-in name is remembered (by the window, in ui/settings.py); a password only when its owner
ticks "Remember my password on this computer", and then only in the OS keyring. A kiosk offers no
such box and never shows anyone's name. Connecting as the user runs off the UI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import qasync

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.sync import system_events
from ui.ops import OpFailed, run_op
from ui.screens.sign_in.attempt_limiter import LOCK_SECONDS, MAX_FAILURES, AttemptLimiter, describe_lock

log = logging.getLogger(__name__)

__all__ = ["LOCK_SECONDS", "MAX_FAILURES", "PasswordStore", "SignInForm"]
KEYRING_SERVICE = "school-office-sign-in"


class PasswordStore:
    """The OS keyring, tolerating machines that have none (the box is then simply not offered)."""

    def get(self, login: str) -> str | None:
        try:
            import keyring

            return keyring.get_password(KEYRING_SERVICE, login)
        except Exception:
            return None

    def set(self, login: str, password: str) -> bool:
        try:
            import keyring

            keyring.set_password(KEYRING_SERVICE, login, password)
            return True
        except Exception:
            log.info("no usable keyring: the password is not remembered")
            return False

    def forget(self, login: str) -> None:
        try:
            import keyring

            keyring.delete_password(KEYRING_SERVICE, login)
        except Exception:
            pass


class SignInForm(QWidget):
    signed_in = Signal(object, object)  # (SignedIn, Engine)

    def __init__(self, sign_in: Callable[[str, str], tuple], *, remembered_login: str | None = None,
                 passwords: PasswordStore | None = None, clock: Callable[[], float] = time.monotonic,
                 kiosk: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sign_in = sign_in
        self._passwords = passwords or PasswordStore()
        self._clock = clock
        self.kiosk = kiosk
        self.limiter = AttemptLimiter(clock)
        self.setAccessibleName("Sign in")

        card = QFrame(objectName="signInCard")
        title = QLabel("Sign in to School Office", objectName="signInTitle")
        self.login = QLineEdit(placeholderText="e.g. jsmith")
        self.login.setAccessibleName("Sign-in name")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.remember = QCheckBox("Remember my password on this computer")
        self.remember.setAccessibleName("Remember my password")
        self.remember.setToolTip("Only on a computer nobody else uses: the next person could sign in as you.")
        if kiosk:  # a kiosk is shared by everyone: it keeps no password
            self.remember.hide()
        self.submit = QPushButton("Sign in", default=True)
        self.submit.setAccessibleName("Sign in")
        self.message = QLabel("", objectName="signInMessage", wordWrap=True)
        self.message.setAccessibleName("Sign-in message")
        form = QFormLayout()
        form.addRow("Sign-in &name", self.login)
        form.addRow("&Password", self.password)
        box = QVBoxLayout(card)
        box.addWidget(title)
        box.addLayout(form)
        box.addWidget(self.remember)
        box.addWidget(self.submit)
        box.addWidget(self.message)
        # Centred by stretches, not an alignment flag: an aligned item gets its plain size hint, so
        # a wrapped (lock-out) message would get one line's height and be cut off
        middle = QHBoxLayout()
        middle.addStretch(1)
        middle.addWidget(card)
        middle.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(middle)
        outer.addStretch(2)
        card.setFixedWidth(420)
        QWidget.setTabOrder(self.login, self.password)
        QWidget.setTabOrder(self.password, self.remember)
        QWidget.setTabOrder(self.remember, self.submit)

        self.submit.clicked.connect(self._submit_clicked)
        self.login.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self._submit_clicked)
        self._unlock_timer = QTimer(self, singleShot=True)
        self._unlock_timer.timeout.connect(self._unlock)
        self.reset(remembered_login)

    def reset(self, remembered_login: str | None) -> None:
        """Show the form fresh: the remembered name (never in a kiosk) and its password only if its
        owner asked this computer to keep it."""
        self.password.clear()
        self.remember.setChecked(False)
        self.login.setText("" if self.kiosk else (remembered_login or ""))
        if remembered_login and not self.kiosk:
            saved = self._passwords.get(remembered_login)
            if saved:
                self.password.setText(saved)
                self.remember.setChecked(True)

    def focus_first_field(self) -> None:
        (self.password if self.login.text() else self.login).setFocus()

    @property
    def failures(self) -> int:
        return self.limiter.failures

    @property
    def locked_until(self) -> float:
        return self.limiter.locked_until

    def is_locked(self) -> bool:
        return self.limiter.is_locked()

    @qasync.asyncSlot()
    async def _submit_clicked(self) -> None:
        await self.attempt()

    async def attempt(self) -> bool:
        if self.is_locked():
            self._say_locked()
            return False
        login, password = self.login.text().strip(), self.password.text()
        self.message.setText("Signing in…")
        try:
            user, engine = await run_op(self._sign_in, login, password,
                                        disable=(self.login, self.password, self.remember, self.submit))
        except OpFailed as err:
            self.password.clear()
            seconds = self.limiter.failed()
            if seconds:
                system_events.report_lock_out(login, failures=self.limiter.max_failures, seconds=seconds)
                self._lock(seconds)
            else:
                self.message.setText(err.message)
                self.password.setFocus()
            return False
        self.limiter.succeeded()
        if self.remember.isChecked() and not self.kiosk:
            self._passwords.set(login, password)
        else:
            self._passwords.forget(login)
        self.password.clear()
        self.message.setText("")
        self.signed_in.emit(user, engine)
        return True

    def _lock(self, seconds: float) -> None:
        for w in (self.login, self.password, self.remember, self.submit):
            w.setEnabled(False)
        self._say_locked()
        self._unlock_timer.start(int(seconds * 1000))

    def _say_locked(self) -> None:
        self.message.setText(f"Five sign-ins in a row failed, so this form is locked for "
                             f"{describe_lock(self.limiter.remaining())}; then try again or ask an administrator "
                             "to reset your password.")

    def _unlock(self) -> None:
        self.limiter.locked_until = 0.0  # the back-off is kept: the next lock lasts longer
        for w in (self.login, self.password, self.remember, self.submit):
            w.setEnabled(True)
        self.message.setText("")
        self.focus_first_field()
