"""Kiosk mode: one desk, full screen, no window controls; locks itself when nobody touches it.

The lock screen opens again for the signed-in user's password or for an administrator's
sign-in; leaving kiosk mode (Ctrl+Shift+Q) needs an administrator's sign-in. Credential checks
run off the UI thread against the database itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFormLayout, QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ui.ops import OpFailed, run_op

KIOSK_DESKS = ("cafeteria", "library", "attendance")
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
    """'Locked' card: the signed-in user's password, or an administrator's sign-in, opens it."""

    unlocked = Signal()

    def __init__(self, verify: Callable[[str, str], tuple], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._verify = verify
        self.user_login: str | None = None
        self.setAccessibleName("Locked")
        card = QFrame(objectName="signInCard")
        self.title = QLabel("This station is locked", objectName="signInTitle")
        self.who = QLabel("")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Your password")
        self.unlock_button = QPushButton("Unlock", default=True)
        self.admin_login = QLineEdit(placeholderText="administrator sign-in")
        self.admin_login.setAccessibleName("Administrator sign-in name")
        self.admin_password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.admin_password.setAccessibleName("Administrator password")
        self.admin_button = QPushButton("Unlock as administrator")
        self.message = QLabel("", objectName="signInMessage", wordWrap=True)
        form = QFormLayout()
        form.addRow("&Password", self.password)
        admin = QFormLayout()
        admin.addRow("Administrator", self.admin_login)
        admin.addRow("Password", self.admin_password)
        box = QVBoxLayout(card)
        for w in (self.title, self.who):
            box.addWidget(w)
        box.addLayout(form)
        box.addWidget(self.unlock_button)
        box.addWidget(QLabel("Or an administrator may unlock it:"))
        box.addLayout(admin)
        box.addWidget(self.admin_button)
        box.addWidget(self.message)
        card.setFixedWidth(440)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        import asyncio

        self.password.returnPressed.connect(lambda: asyncio.ensure_future(self.unlock_as_user()))
        self.unlock_button.clicked.connect(lambda: asyncio.ensure_future(self.unlock_as_user()))
        self.admin_button.clicked.connect(lambda: asyncio.ensure_future(self.unlock_as_admin()))

    def lock_for(self, login: str, display_name: str) -> None:
        self.user_login = login
        self.who.setText(f"Signed in: {display_name}. Type your password to continue.")
        self.message.setText("")
        self.password.clear()
        self.password.setFocus()

    async def unlock_as_user(self) -> bool:
        return await self._try(self.user_login or "", self.password.text(), admin=False)

    async def unlock_as_admin(self) -> bool:
        return await self._try(self.admin_login.text(), self.admin_password.text(), admin=True)

    async def _try(self, login: str, password: str, *, admin: bool) -> bool:
        try:
            groups = await run_op(self._verify, login, password,
                                  disable=(self.unlock_button, self.admin_button))
        except OpFailed as err:
            self.message.setText(err.message)
            self.password.clear()
            self.admin_password.clear()
            return False
        if admin and "so_admin" not in groups:
            self.message.setText(f"{login} is not an administrator; ask one to unlock this station.")
            self.admin_password.clear()
            return False
        self.password.clear()
        self.admin_password.clear()
        self.unlocked.emit()
        return True
