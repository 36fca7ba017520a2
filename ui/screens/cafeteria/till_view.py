"""The cashier's till: open it with the starting cash; close it with a blind count by denomination
(the cashier never sees what the till should hold before counting). When the count differs from
what is expected, a note is required before the till is closed; a manager finalizes it.

Closing is refused while the terminal's journal still holds sales the server has not applied:
the expected cash is computed from the ledger, so it would be wrong."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.pos_entry import DENOMINATIONS, MAX_STARTING_CASH, count_total, money, parse_amount, parse_count
from app.errors import UserError
from ui.dialogs import run_dialog
from ui.ops import OpFailed, run_op, spawn
from ui.screens.cafeteria import backend as B
from ui.screens.cafeteria.register_dialogs import ReasonDialog
from ui.widgets import line, status


class TillView(QWidget):
    till_changed = Signal(bool)  # open now?

    def __init__(self, port: Callable[[], B.CafeteriaPort], leave_refused: Callable[[], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.port = port
        self.leave_refused = leave_refused
        self.setAccessibleName("Till")
        self.is_open = False
        self.open_request = str(uuid.uuid4())
        self.close_request = str(uuid.uuid4())
        self.dialog = None
        self.result: B.TillClose | None = None

        self.open_box = QGroupBox("Open the till")
        self.starting = line("Starting cash", "e.g. 50.00")
        self.open_button = QPushButton("&Open the till")
        self.open_button.setAutoDefault(False)
        row = QHBoxLayout(self.open_box)
        row.addWidget(QLabel("Starting cash"))
        row.addWidget(self.starting)
        row.addWidget(self.open_button)
        row.addStretch(1)

        self.count_box = QGroupBox("Close the till: count the drawer")
        grid = QGridLayout(self.count_box)
        self.counts: dict[str, object] = {}
        self.subtotals: dict[str, QLabel] = {}
        half = (len(DENOMINATIONS) + 1) // 2
        for i, d in enumerate(DENOMINATIONS):
            field = line(f"Number of {d.label.lower()}", "0")
            field.setMaximumWidth(90)
            field.textChanged.connect(self._show_total)
            sub = QLabel("")
            sub.setMinimumWidth(80)
            r, c = i % half, (i // half) * 3
            grid.addWidget(QLabel(d.label), r, c)
            grid.addWidget(field, r, c + 1)
            grid.addWidget(sub, r, c + 2)
            self.counts[d.key] = field
            self.subtotals[d.key] = sub
        self.counted = QLabel(money(0))
        self.counted.setAccessibleName("Counted")
        self.counted.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.close_button = QPushButton("&Close the till")
        self.close_button.setAutoDefault(False)
        r = half + 1
        grid.addWidget(QLabel("Counted"), r, 0)
        grid.addWidget(self.counted, r, 1, 1, 2)
        grid.addWidget(self.close_button, r, 3, 1, 2)
        grid.setColumnStretch(6, 1)  # the count stays together on the left of a wide screen
        grid.setHorizontalSpacing(14)

        self.message = status("Till message")
        self.message.setStyleSheet("font-size: 12pt; color: #9b1c1c;")
        self.outcome = status("Till result")
        self.outcome.setStyleSheet("font-size: 13pt; color: #1b2733;")
        v = QVBoxLayout(self)
        v.addWidget(self.open_box)
        v.addWidget(self.count_box)
        v.addWidget(self.message)
        v.addWidget(self.outcome)
        v.addStretch(1)
        self.open_button.clicked.connect(lambda: spawn(self.open_till()))
        self.starting.returnPressed.connect(lambda: spawn(self.open_till()))
        self.close_button.clicked.connect(lambda: spawn(self.close_till()))
        self.show_state(False)

    def show_state(self, is_open: bool) -> None:
        self.is_open = is_open
        self.open_box.setEnabled(not is_open)
        self.count_box.setEnabled(is_open)

    def typed_counts(self) -> dict[str, int]:
        return {d.key: parse_count(self.counts[d.key].text(), d.label) for d in DENOMINATIONS}

    def _show_total(self) -> None:
        try:
            counts = self.typed_counts()
        except UserError:
            self.counted.setText("–")
            return
        for d in DENOMINATIONS:
            n = counts[d.key]
            self.subtotals[d.key].setText(money(d.value * n) if n else "")
        self.counted.setText(money(count_total(counts)))

    async def open_till(self) -> bool:
        if self.is_open:
            self.message.setText("The till is already open.")
            return False
        try:
            amount = parse_amount(self.starting.text(), "starting cash", allow_zero=True, maximum=MAX_STARTING_CASH)
        except UserError as err:
            self.message.setText(err.message)
            return False
        try:
            await run_op(self.port().open_till, amount, self.open_request, disable=(self.open_button,))
        except OpFailed as err:
            self.message.setText(err.message)
            return False
        self.message.setText("")
        self.outcome.setText(f"The till is open with {money(amount)} of starting cash.")
        self.close_request = str(uuid.uuid4())
        self.show_state(True)
        self.till_changed.emit(True)
        return True

    async def close_till(self, note: str = "") -> bool:
        if not self.is_open:
            self.message.setText("The till is not open.")
            return False
        refused = self.leave_refused()
        if refused:
            self.message.setText(refused)
            return False
        try:
            counts = self.typed_counts()
        except UserError as err:
            self.message.setText(err.message)
            return False
        if not any(counts.values()) and not note:
            self.message.setText("Type how many of each bill and coin are in the drawer, then close the till.")
            return False
        try:
            result = await run_op(self.port().close_till, counts, note, self.close_request,
                                  disable=(self.close_button,))
        except OpFailed as err:
            if isinstance(err.__cause__, B.NoteRequired):
                return await self._explain(err.__cause__)
            self.message.setText(err.message)
            return False
        self.result = result
        self.message.setText("")
        diff = result.over_short
        word = "over" if diff > 0 else "short" if diff < 0 else "even"
        self.outcome.setText(f"The till is closed. Counted {money(result.counted)}, expected {money(result.expected)}: "
                             + (f"{money(abs(diff))} {word}." if diff else "it balances.")
                             + " A cafeteria manager finalizes it.")
        for field in self.counts.values():
            field.clear()
        self.open_request = str(uuid.uuid4())
        self.show_state(False)
        self.till_changed.emit(False)
        return True

    async def _explain(self, need: B.NoteRequired) -> bool:
        diff = need.close.over_short
        dlg = ReasonDialog(self, "Over or short", f"The count is {money(abs(diff))} "
                           f"{'over' if diff > 0 else 'short'}. Write a note for the manager before closing.",
                           "Close the till")
        dlg.reason.setAccessibleName("Note")
        self.dialog = dlg
        try:
            ok = await run_dialog(dlg)
        finally:
            self.dialog = None
        if not ok:
            self.message.setText("The till stays open: a note is needed when the count is over or short.")
            return False
        return await self.close_till(dlg.value[0])
