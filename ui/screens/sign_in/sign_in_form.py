"""The sign-in form: each staff member signs in with their own database login.

Five failed attempts in a row lock the form for a minute. "Remember me" keeps the password only
in the OS keyring. The work itself (connecting as the user) runs off the UI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.ops import OpFailed, run_op

log = logging.getLogger(__name__)

MAX_FAILURES = 5
LOCK_SECONDS = 60
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
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sign_in = sign_in
        self._passwords = passwords or PasswordStore()
        self._clock = clock
        self.failures = 0
        self.locked_until = 0.0
        self.setAccessibleName("Sign in")

        card = QFrame(objectName="signInCard")
        title = QLabel("Sign in to School Office", objectName="signInTitle")
        self.login = QLineEdit(placeholderText="e.g. jsmith")
        self.login.setAccessibleName("Sign-in name")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.remember = QCheckBox("Remember me on this computer")
        self.remember.setAccessibleName("Remember me")
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
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
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
        if remembered_login:
            self.login.setText(remembered_login)
            saved = self._passwords.get(remembered_login)
            if saved:
                self.password.setText(saved)
                self.remember.setChecked(True)

    def focus_first_field(self) -> None:
        (self.password if self.login.text() else self.login).setFocus()

    def is_locked(self) -> bool:
        return self._clock() < self.locked_until

    def _submit_clicked(self) -> None:
        import asyncio

        asyncio.ensure_future(self.attempt())

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
            self.failures += 1
            self.password.clear()
            if self.failures >= MAX_FAILURES:
                self.failures = 0
                self.locked_until = self._clock() + LOCK_SECONDS
                self._lock()
            else:
                self.message.setText(err.message)
                self.password.setFocus()
            return False
        self.failures = 0
        if self.remember.isChecked():
            self._passwords.set(login, password)
        else:
            self._passwords.forget(login)
        self.password.clear()
        self.message.setText("")
        self.signed_in.emit(user, engine)
        return True

    def _lock(self) -> None:
        for w in (self.login, self.password, self.remember, self.submit):
            w.setEnabled(False)
        self._say_locked()
        self._unlock_timer.start(int(LOCK_SECONDS * 1000))

    def _say_locked(self) -> None:
        self.message.setText(f"Five sign-ins in a row failed, so this form is locked for a minute; "
                             f"then try again or ask an administrator to reset your password.")

    def _unlock(self) -> None:
        self.locked_until = 0.0
        for w in (self.login, self.password, self.remember, self.submit):
            w.setEnabled(True)
        self.message.setText("")
        self.focus_first_field()
