"""Inventory at the desk: name a shelf's call-number range, scan the shelf left to right (or load a
handheld scanner's file), see each copy that is out of order or does not belong, then finalize:
copies of the range that were never scanned are marked missing (asked first; Cancel is the default)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.services.library import inventory as INV
from ui.dialogs import answered, ask_file
from ui.dialogs import confirm as confirm_dialog
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext
from ui.table_model import DtoTableModel
from ui.widgets import line, status, table


class ScansModel(DtoTableModel):
    HEADERS = ("Barcode", "Title", "Call number", "Problem")
    COL_BARCODE, COL_TITLE, COL_CALL, COL_PROBLEM = range(4)

    def cell(self, x, column: int) -> str:
        return [x.barcode, x.title or "", x.call_number or "", x.problem or ""][column]


class InventoryView(QWidget):
    def __init__(self, ctx: DeskContext, desk: Callable, *, confirm: Callable[[str], bool] | None = None,
                 choose_file: Callable[[], str | None] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.desk = ctx, desk
        # asked from coroutines (the slots below): awaited dialogs (ui/dialogs.py), never exec()ed
        self.confirm = confirm or (lambda q: confirm_dialog(self, "Finalize inventory", q, "Mark them missing"))
        self.choose_file = choose_file or (lambda: ask_file(self, "Scanner file"))
        self.inventory_id: int | None = None
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.call_from = line("First call number of the shelf", "e.g. 500")
        self.call_to = line("Last call number of the shelf", "e.g. 599.9 ZZZ")
        self.start_button = QPushButton("&Start inventory")
        for w in (self.call_from, self.call_to, self.start_button):
            row.addWidget(w)
        lay.addLayout(row)
        self.scan_box = line("Shelf scan", "Scan each copy, left to right")
        self.scan_box.setEnabled(False)
        lay.addWidget(self.scan_box)
        self.scans = ScansModel(self)
        lay.addWidget(table("Copies scanned", self.scans), 1)
        buttons = QHBoxLayout()
        self.file_button = QPushButton("&Load scanner file…")
        self.finalize_button = QPushButton("&Finalize (mark unseen missing)…")
        for b in (self.file_button, self.finalize_button):
            b.setEnabled(False)
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.message = status("Inventory message")
        lay.addWidget(self.message)
        self.start_button.clicked.connect(self.start)
        self.scan_box.returnPressed.connect(self.scan)
        self.file_button.clicked.connect(self.load_file)
        self.finalize_button.clicked.connect(self.finalize)

    @asyncSlot()
    async def start(self) -> None:
        desk, a, b = self.desk(), self.call_from.text().strip(), self.call_to.text().strip()
        if not a or not b:
            self.message.setText("Type the first and last call numbers of the shelf.")
            return
        try:
            self.inventory_id = await run_op(self.ctx.run_in(lambda c: INV.start_inventory(c, desk, a, b)))
        except OpFailed as err:
            self.message.setText(err.message)
            return
        self.scans.set_rows([])
        for w in (self.scan_box, self.file_button, self.finalize_button):
            w.setEnabled(True)
        self.scan_box.setFocus()
        self.message.setText(f"Inventory of {a} – {b} started: scan the shelf.")

    async def _record(self, fn) -> None:
        try:
            results = await run_op(self.ctx.run_in(fn))
        except OpFailed as err:
            self.message.setText(err.message)
            return
        self.scans.set_rows(self.scans.rows + list(results))
        problems = sum(1 for r in self.scans.rows if r.problem)
        self.message.setText(f"{len(self.scans.rows)} scanned, {problems} to look at.")

    @asyncSlot()
    async def scan(self) -> None:
        code, inv = self.scan_box.text().strip(), self.inventory_id
        if code and inv is not None:
            self.scan_box.clear()
            await self._record(lambda c: INV.scan_shelf(c, inv, [code]))

    @asyncSlot()
    async def load_file(self) -> None:
        path, inv = await answered(self.choose_file()), self.inventory_id
        if not path or inv is None:
            return
        try:
            content = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self.message.setText(f"Cannot read {path}: {exc.strerror}.")
            return
        await self._record(lambda c: INV.load_scanner_file(c, inv, content))

    @asyncSlot()
    async def finalize(self) -> None:
        inv = self.inventory_id
        if inv is None or not await answered(self.confirm("Mark every copy of this range that was not scanned as "
                                                          "missing?")):
            return
        try:
            r = await run_op(self.ctx.run_in(lambda c: INV.finalize_inventory(c, inv)))
        except OpFailed as err:
            self.message.setText(err.message)
            return
        self.inventory_id = None
        for w in (self.scan_box, self.file_button, self.finalize_button):
            w.setEnabled(False)
        self.message.setText(f"Inventory finished: {r.scanned} scanned, {r.problems} to look at, "
                             f"{len(r.marked_missing)} marked missing.")
