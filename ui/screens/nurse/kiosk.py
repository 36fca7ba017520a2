"""The health-office sign-in kiosk: a student types or scans their ID and picks what is wrong from
big buttons; the visit waits, pre-filled, on the nurse's list. Nothing of anyone's record shows."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.domain.nurse_rules import COMPLAINTS
from app.services.nurse.visits import kiosk_sign_in
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext

# short words a first grader reads, in the order of the keys 1-9, A-C
KIOSK_COMPLAINTS = {"headache": "Headache", "stomach": "Stomach ache", "nausea": "Feel sick", "fever": "Feel hot",
                    "injury": "Hurt myself", "breathing": "Hard to breathe", "dizzy": "Dizzy", "toothache": "Toothache",
                    "rash": "Itchy / rash", "medication": "My medicine", "tired": "Tired", "other": "Something else"}


class SignInKiosk(QWidget):
    signed_in = Signal(int)  # visit id

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setAccessibleName("Health office sign-in")
        v = QVBoxLayout(self)
        v.setContentsMargins(40, 24, 40, 24)
        title = QLabel("Welcome to the health office", objectName="deskTitle")
        self.student_id = QLineEdit()
        self.student_id.setAccessibleName("Your student ID")
        self.student_id.setPlaceholderText("Type or scan your student ID")
        self.student_id.setMinimumHeight(44)
        font = self.student_id.font()
        font.setPointSize(font.pointSize() + 6)
        self.student_id.setFont(font)
        ask = QLabel("Then pick what is wrong:")
        ask.setFont(font)
        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for i, (code, words) in enumerate(KIOSK_COMPLAINTS.items()):
            b = QPushButton(f"&{i + 1 if i < 9 else chr(ord('A') + i - 9)}  {words}")
            b.setAccessibleName(COMPLAINTS[code])
            b.setMinimumHeight(56)
            b.setFont(font)
            b.clicked.connect(lambda _c=False, code=code: self.pick(code))
            grid.addWidget(b, i // 3, i % 3)
            self.buttons[code] = b
        self.message = QLabel("", objectName="statusLine")
        self.message.setAccessibleName("Sign-in message")
        self.message.setWordWrap(True)
        self.message.setFont(font)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for w in (title, self.student_id, ask):
            v.addWidget(w)
        v.addLayout(grid)
        v.addWidget(self.message)
        v.addStretch(1)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt naming): digits pick a complaint once the ID is in
        key = event.text()
        if key.isdigit() and key != "0" and self.student_id.text().strip() and not self.student_id.hasFocus():
            idx = int(key) - 1
            if idx < len(KIOSK_COMPLAINTS):
                self.pick(list(KIOSK_COMPLAINTS)[idx])
                return
        super().keyPressEvent(event)

    @asyncSlot()
    async def pick(self, code: str) -> int | None:
        uid = self.student_id.text().strip()
        now = self.ctx.now()
        try:
            visit_id, first = await run_op(self.ctx.run_in(lambda c: kiosk_sign_in(c, uid, code, now=now)),
                                           disable=tuple(self.buttons.values()))
        except OpFailed as err:
            self.message.setText(err.message)
            self.student_id.setFocus()
            return None
        self.message.setText(f"Thank you, {first}. Have a seat; the nurse will see you soon.")
        self.student_id.clear()
        self.student_id.setFocus()
        QTimer.singleShot(8000, self.message, self.message.clear)  # the next student sees no name
        self.signed_in.emit(visit_id)
        return visit_id
