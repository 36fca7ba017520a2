"""Scan first, keyboard only: find the patron (scan a card, or type a name and pick by picture),
scan items to lend, scan returns in the check-in box. Problems come back as one question: the
warnings to confirm and the blocks to override with a reason (never at the self-check kiosk).

Keys: F2 patron, F3 item, F4 check-in, Ctrl+R renew the selected loan, Esc next patron.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)
from qasync import asyncSlot

from app.services.library import circulation as circ
from app.services.library.patrons import DeskSchool, Patron, find_patrons, patron_account, patron_by_card
from ui.dialogs import run_dialog
from ui.ops import OpFailed, run_op
from ui.screens.desk_context import DeskContext
from ui.screens.library.models import LoansModel, PatronHitsModel, initials_picture
from ui.widgets import line, selected_row, status, table


def connection_lost(err: OpFailed) -> bool:
    """The operation failed because PostgreSQL is out of reach (not because of what was asked)."""
    from app.sync.journal_sender import is_transient

    cause = err.__cause__
    return cause is not None and is_transient(cause)


class ProblemsDialog(QDialog):
    """The blocks and warnings of one checkout; Cancel is the default (Enter does not lend)."""

    def __init__(self, result, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check this loan")
        self.setAccessibleName("Checkout problems")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"<b>{result.title}</b> ({result.barcode})"))
        for p in result.blocks:
            lay.addWidget(QLabel(f"Blocked: {p.message}", wordWrap=True))
        for p in result.warnings:
            lay.addWidget(QLabel(f"Warning: {p.message}", wordWrap=True))
        self.reason = line("Override reason", "Why lend it anyway (needed to override a block)")
        self.reason.setVisible(bool(result.blocks))
        lay.addWidget(self.reason)
        buttons = QDialogButtonBox()
        self.lend = buttons.addButton("Lend anyway" if result.blocks else "Confirm and lend",
                                      QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        self.lend.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


class CirculationView(QWidget):
    lent = Signal(str)       # barcode
    returned = Signal(str)   # barcode

    def __init__(self, ctx: DeskContext, desk: Callable[[], DeskSchool | None], *, kiosk: bool = False,
                 ask: Callable[[QDialog], object] | None = None, on_hold_slip: Callable | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.desk, self.kiosk = ctx, desk, kiosk
        self.ask = ask or (lambda dlg: run_dialog(dlg))
        self.on_hold_slip = on_hold_slip
        self.patron: Patron | None = None
        self.request_id = str(uuid.uuid4())
        self.offline = None  # app.services.library.offline.OfflineDesk, once the desk has a cached copy
        lay = QVBoxLayout(self)
        self.patron_box = line("Patron", "Scan the library card" + ("" if kiosk else ", or type a name and press Enter"))
        self.hits = PatronHitsModel(self)
        self.hits_view = table("Matching students", self.hits)
        self.hits_view.setVisible(False)
        self.hits_view.setMaximumHeight(180)
        top = QHBoxLayout()
        self.picture = QLabel(objectName="photo")
        self.picture.setFixedSize(72, 72)
        self.picture.setAccessibleName("Patron picture")
        self.patron_label = QLabel("No patron yet: scan a card.", wordWrap=True)
        self.patron_label.setAccessibleName("Patron")
        top.addWidget(self.picture)
        top.addWidget(self.patron_label, 1)
        self.item_box = line("Item barcode", "Scan an item to lend it")
        self.item_box.setEnabled(False)
        self.loans = LoansModel(self)
        self.loans_view = table("Items out", self.loans)
        self.renew_button = QPushButton("&Renew selected")
        self.renew_button.setEnabled(False)
        self.done_button = QPushButton("&Next patron")
        self.loans_view.setMinimumHeight(70)
        self.buttons = buttons = QHBoxLayout()
        buttons.addWidget(self.renew_button)
        buttons.addWidget(self.done_button)
        buttons.addStretch(1)
        self.checkin_box = line("Check in", "Returns: scan returned items here (F4)")
        self.checkin_box.setVisible(not kiosk)
        self.message = status("Circulation message")
        for w in (self.patron_box, self.hits_view):
            lay.addWidget(w)
        lay.addLayout(top)
        lay.addWidget(self.item_box)
        lay.addWidget(self.loans_view, 1)
        lay.addLayout(buttons)
        if not kiosk:
            lay.addWidget(self.checkin_box)
        lay.addWidget(self.message)
        self.patron_box.returnPressed.connect(self.find_patron)
        self.hits_view.activated.connect(self.choose_hit)
        self.item_box.returnPressed.connect(self.lend_scanned)
        self.checkin_box.returnPressed.connect(self.return_scanned)
        self.renew_button.clicked.connect(self.renew_selected)
        self.done_button.clicked.connect(self.next_patron)
        for keys, fn in (("F2", self.patron_box.setFocus), ("F3", self.item_box.setFocus),
                         ("F4", self.checkin_box.setFocus), ("Ctrl+R", self.renew_button.click),
                         ("Escape", self.next_patron)):
            QShortcut(QKeySequence(keys), self, activated=fn)

    # -- patron ------------------------------------------------------------------------------------
    @asyncSlot()
    async def find_patron(self) -> None:
        q = self.patron_box.text().strip()
        if not q:
            return
        try:
            try:
                card = await run_op(self.ctx.run_in(lambda c: patron_by_card(c, q)), disable=[self.patron_box])
            except OpFailed as err:
                card = self._offline_patron(q) if connection_lost(err) else None
                if card is None:
                    raise
            if card is not None:
                await self.show_patron(card)
                return
            if self.kiosk:
                self.message.setText("That card is not known here: please see the librarian.")
                return
            hits = await run_op(self.ctx.run_in(lambda c: find_patrons(c, q)), disable=[self.patron_box])
        except OpFailed as err:
            self.message.setText(err.message)
            return
        self.hits.set_rows(hits)
        self.hits_view.setVisible(bool(hits))
        if hits:
            self.hits_view.setFocus()
            self.hits_view.selectRow(0)
            self.message.setText(f"{len(hits)} match(es): pick the student by name and picture, then press Enter.")
        else:
            self.message.setText(f"No student matches {q!r}: try the last name.")

    @asyncSlot()
    async def choose_hit(self, *_args) -> None:
        row = selected_row(self.hits_view)
        p = self.hits.row(row)
        if p is not None:
            await self.show_patron(p)

    async def show_patron(self, p: Patron) -> None:
        self.patron = p
        self.hits_view.setVisible(False)
        self.patron_box.clear()
        self.picture.setPixmap(initials_picture(p.name, p.initials, 72))
        self.picture.setAccessibleDescription(f"Picture of {p.name}")
        await self.refresh_account()
        self.item_box.setEnabled(True)
        self.item_box.setFocus()

    async def refresh_account(self) -> None:
        if self.patron is None:
            return
        p = self.patron
        try:
            acct = await run_op(self.ctx.run_in(lambda c: patron_account(c, p, self.ctx.today())))
        except OpFailed as err:
            if not connection_lost(err):
                self.message.setText(err.message)
            self.patron_label.setText(f"<b>{p.name}</b> · {p.grade_level or ''}<br>Offline: loans are recorded "
                                      "here and sent when the network is back.")
            return
        self.loans.set_rows(acct.loans)
        self.renew_button.setEnabled(bool(acct.loans))
        bits = [f"<b>{p.name}</b>", p.grade_level or ("Staff" if p.staff_usi else ""), p.homeroom or "",
                p.school_name or ""]
        summary = f"{len(acct.loans)} out, {acct.overdue_count} overdue, {len(acct.holds)} hold(s)"
        if acct.holds and any(h.status == "ready" for h in acct.holds):
            summary += " · a hold is waiting on the hold shelf"
        if p.withdrawn:
            summary += " · withdrawn"
        self.patron_label.setText(" · ".join(b for b in bits if b) + "<br>" + summary)

    def _offline_patron(self, card: str) -> Patron | None:
        if self.offline is None:
            return None
        for key, p in self.offline.cache["patrons"].items():
            if p["card"] == card:
                kind, _, num = key.partition(":")
                return Patron(int(num) if kind == "student" else None, int(num) if kind == "staff" else None,
                              p["name"], card, None, None)
        return None

    async def _lend_offline(self, p: Patron, code: str, rid: str, override):
        """PostgreSQL is away: decide with the cached rules and journal the loan (sent later, once)."""
        off = self.offline
        codes = override.codes if override else frozenset()
        reason = override.reason if override else ""
        try:
            r = await run_op(lambda: off.check_out(p.key, code, datetime.now(timezone.utc), codes, reason,
                                                   entry_id=uuid.UUID(rid)))
        except OpFailed as err:
            self.message.setText(err.message)
            return None
        if r.done:
            self.request_id = str(uuid.uuid4())
            self.item_box.clear()
            self.message.setText(f"Lent (offline, sent when the network is back): {r.title}, due {r.due:%A %m/%d}.")
            self.lent.emit(code)
            return None
        return circ.CheckoutResult(False, r.title, r.barcode, r.due, r.decision.blocks, r.decision.warnings)

    def next_patron(self) -> None:
        self.patron = None
        self.loans.set_rows([])
        self.picture.clear()
        self.patron_label.setText("No patron yet: scan a card.")
        self.item_box.clear()
        self.item_box.setEnabled(False)
        self.renew_button.setEnabled(False)
        self.hits_view.setVisible(False)
        self.patron_box.setFocus()

    # -- lending, returning, renewing ----------------------------------------------------------------
    @asyncSlot()
    async def lend_scanned(self) -> None:
        code = self.item_box.text().strip()
        if not code or self.patron is None:
            return
        await self.lend(code)

    async def lend(self, code: str, override: circ.Override | None = None) -> None:
        desk, p, rid = self.desk(), self.patron, self.request_id
        if desk is None:
            self.message.setText("The desk is still starting: scan again in a moment.")
            return
        try:
            r = await run_op(self.ctx.run_in(lambda c: circ.check_out(c, desk, p, code, request_id=rid,
                                                                       override=override, kiosk=self.kiosk)),
                             disable=[self.item_box])
        except OpFailed as err:
            if not (connection_lost(err) and self.offline is not None):
                self.message.setText(err.message)
                return
            r = await self._lend_offline(p, code, rid, override)
            if r is None:
                return
        if r.done:
            self.request_id = str(uuid.uuid4())
            self.item_box.clear()
            self.message.setText(f"Lent: {r.title}, due {r.due:%A %m/%d}.")
            self.lent.emit(code)
            await self.refresh_account()
            self.item_box.setFocus()
            return
        if self.kiosk:
            self.item_box.clear()
            self.message.setText(" ".join(x.message for x in r.problems) + " Please see the librarian.")
            return
        dlg = ProblemsDialog(r, self)
        if await self.ask(dlg) != QDialog.DialogCode.Accepted:
            self.message.setText(f"Not lent: {r.title}.")
            self.item_box.clear()
            return
        await self.lend(code, circ.Override(frozenset(x.code for x in r.problems), dlg.reason.text()))

    @asyncSlot()
    async def return_scanned(self) -> None:
        code = self.checkin_box.text().strip()
        desk = self.desk()
        if not code or desk is None:
            return
        try:
            r = await run_op(self.ctx.run_in(lambda c: circ.check_in(c, desk, code)), disable=[self.checkin_box])
        except OpFailed as err:
            if connection_lost(err) and self.offline is not None:
                off = self.offline
                await run_op(lambda: off.check_in(code, datetime.now(timezone.utc)))
                self.checkin_box.clear()
                self.message.setText(f"Returned (offline, sent when the network is back): {code}.")
                self.returned.emit(code)
                return
            self.message.setText(err.message)
            return
        self.checkin_box.clear()
        late = f", {r.days_late} day(s) late" if r.days_late else ""
        text = f"Returned: {r.title}{late}. Put it: {r.route}."
        if r.hold_slip is not None:
            text += f" Hold for {r.hold_slip.patron_name}: print the slip."
            if self.on_hold_slip:
                self.on_hold_slip(r.hold_slip)
        self.message.setText(text + (" " + " ".join(r.notes) if r.notes else ""))
        self.returned.emit(code)
        if self.patron is not None:
            await self.refresh_account()
        self.checkin_box.setFocus()

    @asyncSlot()
    async def renew_selected(self) -> None:
        loan = self.loans.row(selected_row(self.loans_view)) or (self.loans.rows[0] if len(self.loans.rows) == 1
                                                                 else None)
        desk, p = self.desk(), self.patron
        if loan is None or p is None or desk is None:
            self.message.setText("Select the item to renew first.")
            return
        try:
            r = await run_op(self.ctx.run_in(lambda c: circ.renew(c, desk, p, loan.barcode, kiosk=self.kiosk,
                                                                   request_id=str(uuid.uuid4()))),
                             disable=[self.renew_button])
        except OpFailed as err:
            self.message.setText(err.message)
            return
        self.message.setText(f"Renewed: {r.title}, now due {r.due:%A %m/%d}." if r.done else
                             f"Not renewed: {' '.join(b.message for b in r.blocks)}")
        await self.refresh_account()
