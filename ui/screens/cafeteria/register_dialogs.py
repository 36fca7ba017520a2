"""The register's dialogs, each usable from the keyboard alone with a safe default button: the PIN
keypad, the allergy and diet acknowledgement, paying by cash / check / split, a deposit, and the
same-card-twice question. Each checks what was typed (app.domain.pos_entry) and says in one
sentence what is wrong, keeping the dialog open; nothing is sent until it is right."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.pos_entry import (
    MAX_CASH_TENDERED,
    MAX_DEPOSIT,
    TenderPart,
    change_due,
    money,
    parse_amount,
    split_parts,
)
from app.errors import UserError
from ui.ops import OpFailed, run_op, spawn
from ui.screens.cafeteria.backend import Alert, MenuItem
from ui.widgets import line, status


class _Form(QDialog):
    """A titled dialog with a message line, an OK button (the default: Enter) and Cancel (Escape)."""

    def __init__(self, parent: QWidget | None, title: str, ok_text: str, cancel_text: str = "Cancel") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setModal(True)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.message = status(f"{title} message")
        self.message.setStyleSheet("color: #9b1c1c;")
        self.layout_.addWidget(self.message)
        self.buttons = QDialogButtonBox(self)  # in the dialog before setDefault: it stays the default
        self.ok = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel = self.buttons.addButton(cancel_text, QDialogButtonBox.ButtonRole.RejectRole)
        self.ok.setDefault(True)
        self.ok.setAutoDefault(True)
        self.cancel.setAutoDefault(False)
        self.layout_.addWidget(self.buttons)
        self.ok.clicked.connect(self._try_accept)
        self.cancel.clicked.connect(self.reject)

    def _try_accept(self) -> None:
        try:
            self.check()
        except UserError as err:
            self.message.setText(err.message)
            return
        self.accept()

    def check(self) -> None:  # pragma: no cover - each form checks its own fields
        raise NotImplementedError


class PinKeypad(_Form):
    """Digits by keyboard or by touch; shown as dots. The student id with its check digit (or the
    student's PIN) is checked by the back end, never here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "PIN keypad", "Find student")
        self.pin = QLineEdit()
        self.pin.setAccessibleName("PIN")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(12)
        self.pin.setStyleSheet("font-size: 20pt;")
        self.form.addRow("Student id and check digit, or PIN", self.pin)
        grid = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "⌫"]
        for i, k in enumerate(keys):
            b = QPushButton(k)
            b.setAccessibleName({"⌫": "Delete last digit", "Clear": "Clear the PIN"}.get(k, f"Digit {k}"))
            b.setMinimumSize(64, 52)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the PIN field
            b.clicked.connect(lambda _=False, k=k: self.press(k))
            grid.addWidget(b, i // 3, i % 3)
        self.layout_.insertLayout(1, grid)

    def press(self, key: str) -> None:
        if key == "Clear":
            self.pin.clear()
        elif key == "⌫":
            self.pin.backspace()
        else:
            self.pin.insert(key)
        self.pin.setFocus()

    def check(self) -> None:
        value = self.pin.text().strip()
        if not value.isdigit():
            self.pin.clear()
            raise UserError("A PIN is digits only; type it again.")
        if len(value) < 4:
            raise UserError("That PIN is too short; type the student id with its check digit, or the PIN.")

    def value(self) -> str:
        return self.pin.text().strip()


class AlertDialog(_Form):
    """The cashier must say they checked before an item that conflicts with an allergy or diet is
    sold. The default (Enter, Escape) takes the item off the ticket: a stray key never serves it."""

    def __init__(self, parent: QWidget | None, student: str, item: MenuItem, alerts: tuple[Alert, ...]) -> None:
        super().__init__(parent, "Allergy or diet alert", "Take it off the ticket")
        self.setObjectName("allergyAlert")
        heading = QLabel(f"⚠  {student}: " + "; ".join(a.label for a in alerts))
        heading.setWordWrap(True)
        heading.setAccessibleName("Alert")
        heading.setStyleSheet("font-size: 15pt; font-weight: 600; color: #ffffff; background: #9b1c1c; padding: 10px;")
        what = ", ".join(sorted(set(item.tags).intersection(*[set(a.tags) for a in alerts]) or item.tags))
        body = QLabel(f"{item.name} contains {what}. Serve it only if you have checked that it is safe "
                      "for this student (a substitute, a note from the nurse).")
        body.setWordWrap(True)
        self.layout_.insertWidget(0, heading)
        self.layout_.insertWidget(1, body)
        self.serve = self.buttons.addButton("I checked: serve it", QDialogButtonBox.ButtonRole.ActionRole)
        self.serve.setAccessibleName("I checked: serve it")
        self.serve.setAutoDefault(False)
        self.cancel.hide()
        self.served = False
        self.serve.clicked.connect(self._serve)
        self.setMinimumWidth(460)

    def _serve(self) -> None:
        self.served = True
        self.accept()

    def check(self) -> None:
        self.served = False


class TenderDialog(_Form):
    """Paying the ticket with cash (change shown as the amount is typed), a check, or a split."""

    def __init__(self, parent: QWidget | None, kind: str, total: Decimal) -> None:
        title = {"cash": "Pay with cash", "check": "Pay by check", "split": "Split the payment"}[kind]
        super().__init__(parent, title, "Pay")
        self.kind, self.total = kind, total
        self.parts: tuple[TenderPart, ...] = ()
        due = QLabel(money(total))
        due.setAccessibleName("Amount due")
        due.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.form.addRow("Due", due)
        self.change = QLabel("")
        self.change.setAccessibleName("Change")
        self.change.setStyleSheet("font-size: 16pt;")
        if kind == "cash":
            self.tendered = line("Cash handed over", "e.g. 5.00", f"{total:.2f}")
            self.tendered.selectAll()
            self.tendered.textChanged.connect(self._show_change)
            self.form.addRow("Cash handed over", self.tendered)
            self.form.addRow("Change", self.change)
            self._show_change()
        elif kind == "check":
            self.check_number = line("Check number")
            self.form.addRow("Check number", self.check_number)
        else:
            self.cash = line("Cash part", "0.00")
            self.check_part = line("Check part", "0.00")
            self.check_number = line("Check number")
            self.rest = QLabel("")
            self.rest.setAccessibleName("From the account")
            for w in (self.cash, self.check_part):
                w.textChanged.connect(self._show_rest)
            self.form.addRow("Cash part", self.cash)
            self.form.addRow("Check part", self.check_part)
            self.form.addRow("Check number", self.check_number)
            self.form.addRow("From the account", self.rest)
            self._show_rest()

    def _show_change(self) -> None:
        try:
            tendered = parse_amount(self.tendered.text(), "cash handed over", allow_zero=True,
                                    maximum=MAX_CASH_TENDERED)
            self.change.setText(money(change_due(self.total, tendered)))
        except UserError:
            self.change.setText("–")

    def _show_rest(self) -> None:
        try:
            parts = split_parts(self.total, self.cash.text(), self.check_part.text(), self.check_number.text() or "-")
            rest = next((p.amount for p in parts if p.kind == "account"), Decimal("0"))
            self.rest.setText(money(rest))
        except UserError:
            self.rest.setText("–")

    def check(self) -> None:
        if self.kind == "cash":
            tendered = parse_amount(self.tendered.text(), "cash handed over", allow_zero=True,
                                    maximum=MAX_CASH_TENDERED)
            change_due(self.total, tendered)
            self.parts = (TenderPart("cash", self.total, tendered=tendered),)
        elif self.kind == "check":
            number = self.check_number.text().strip()
            if not number:
                raise UserError("Type the check number.")
            self.parts = (TenderPart("check", self.total, check_number=number),)
        else:
            self.parts = split_parts(self.total, self.cash.text(), self.check_part.text(), self.check_number.text())


class DepositDialog(_Form):
    """Money paid into a student's account at the register (cash or check)."""

    def __init__(self, parent: QWidget | None, student: str) -> None:
        super().__init__(parent, "Deposit", "Deposit")
        self.form.addRow("Student", QLabel(student))
        self.amount = line("Deposit amount", "e.g. 20.00")
        self.by_cash = QRadioButton("&Cash")
        self.by_check = QRadioButton("Chec&k")
        self.by_cash.setChecked(True)
        self.check_number = line("Check number")
        self.check_number.setEnabled(False)
        self.by_check.toggled.connect(self.check_number.setEnabled)
        self.form.addRow("Amount", self.amount)
        self.form.addRow("Paid by", self.by_cash)
        self.form.addRow("", self.by_check)
        self.form.addRow("Check number", self.check_number)
        self.value: tuple[Decimal, str, str | None] | None = None

    def check(self) -> None:
        amount = parse_amount(self.amount.text(), "deposit", maximum=MAX_DEPOSIT)
        if self.by_check.isChecked():
            number = self.check_number.text().strip()
            if not number:
                raise UserError("Type the check number, or choose Cash.")
            self.value = (amount, "check", number)
        else:
            self.value = (amount, "cash", None)


class ReasonDialog(_Form):
    """A reason typed before an override, a void, a refund: required, at least a few words."""

    def __init__(self, parent: QWidget | None, title: str, question: str, ok_text: str,
                 amount_label: str | None = None, maximum: Decimal | None = None) -> None:
        super().__init__(parent, title, ok_text)
        self.question = QLabel(question)
        self.question.setWordWrap(True)
        self.layout_.insertWidget(0, self.question)
        self.maximum = maximum
        self.amount = None
        if amount_label:
            self.amount = line(amount_label, "0.00", f"{maximum:.2f}" if maximum is not None else "")
            self.form.addRow(amount_label, self.amount)
        self.reason = line("Reason")
        self.form.addRow("Reason", self.reason)
        self.value: tuple[str, Decimal | None] | None = None

    def check(self) -> None:
        amount = None
        if self.amount is not None:
            amount = parse_amount(self.amount.text(), "refund")
            if self.maximum is not None and amount > self.maximum:
                raise UserError(f"A refund cannot be more than the sale's {money(self.maximum)}; lower it.")
        reason = self.reason.text().strip()
        if len(reason) < 4:
            raise UserError("Type the reason in a few words; it is kept with the entry.")
        self.value = (reason, amount)


class OverrideDialog(_Form):
    """A cafeteria manager allows a meal past the charge limit at this register: their own sign-in
    (checked against the database off the UI thread) and a reason, both kept with the sale."""

    def __init__(self, parent: QWidget | None, verify) -> None:
        super().__init__(parent, "Manager override", "Override")
        self.verify = verify  # (login, password) -> the manager's login; raises UserError otherwise
        q = QLabel("Charge this meal past the limit. A cafeteria manager signs in here and says why.")
        q.setWordWrap(True)
        self.layout_.insertWidget(0, q)
        self.login = line("Manager's sign-in name")
        self.password = line("Manager's password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.reason = line("Reason for the override")
        self.form.addRow("Manager's sign-in name", self.login)
        self.form.addRow("Password", self.password)
        self.form.addRow("Reason", self.reason)
        self.value: tuple[str, str] | None = None
        self.ok.clicked.disconnect()
        self.ok.clicked.connect(lambda: spawn(self.try_override()))

    def check(self) -> None:
        if not self.login.text().strip() or not self.password.text():
            raise UserError("Type the manager's sign-in name and password.")
        if len(self.reason.text().strip()) < 4:
            raise UserError("Type the reason for the override in a few words; it is kept with the sale.")

    async def try_override(self) -> bool:
        try:
            self.check()
            who = await run_op(self.verify, self.login.text().strip(), self.password.text(),
                               disable=(self.ok, self.cancel))
        except UserError as err:
            self.message.setText(err.message)
            return False
        except OpFailed as err:
            self.password.clear()
            self.message.setText(err.message)
            return False
        self.password.clear()
        self.value = (who, self.reason.text().strip())
        self.accept()
        return True
