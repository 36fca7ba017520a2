"""The Library desk: circulation (scan first), the holds pull list, printouts (overdues by
homeroom, slips, clearance, spine and barcode labels) and the offline-sync review list. With
`--kiosk library-selfcheck` the same scan view runs as a self-check station: checkout and renew
only, no overrides, no check-in (started by a staff sign-in, locked to that workstation)."""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from app.errors import UserError
from app.services.library import holds as H
from app.services.library import lists as L
from app.services.library.offline import resolve_conflict, review_list
from app.services.library.patrons import DeskSchool, desk_school
from reports import library_labels, library_lists
from ui.ops import OpFailed, run_op
from ui.printing import Printing, Printout
from ui.screens.desk_context import DeskContext
from ui.screens.library.circulation_view import CirculationView
from ui.screens.library.inventory_view import InventoryView
from ui.screens.library.models import ConflictsModel, PullListModel
from ui.screens.tabbed_desk import TabbedDesk
from ui.widgets import line, scrolled, selected_row, status, table

SELF_CHECK = False  # set by ui.main for `--kiosk library-selfcheck`
log = logging.getLogger(__name__)


class LibraryPage(TabbedDesk):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None, *, self_check: bool = False,
                 journal_dir: Path | None = None, terminal: str | None = None) -> None:
        super().__init__(ctx, "Library self-check" if self_check else "Library", parent)
        self._journal_dir, self._terminal = journal_dir, terminal
        self.sender = None
        self.school: DeskSchool | None = None
        self._slip = None
        self.self_check = self_check
        self._retired = False
        self.school_label = QLabel("", objectName="deskPurpose")
        self.body.addWidget(self.school_label)
        self.circulation = CirculationView(ctx, lambda: self.school, kiosk=self_check, on_hold_slip=self._hold_slip)
        if self_check:
            self.finish((self.circulation, "&Check out and renew"))
            self.tabs.tabBar().setVisible(False)
            return
        self.printing = Printing(self, self._printed)
        self.slip_button = QPushButton("Print &hold slip")
        self.slip_button.setEnabled(False)
        self.printing.attach(self.slip_button, self._slip_printout, "the hold slip")
        self.circulation.buttons.addWidget(self.slip_button)
        self.finish((self.circulation, "&Circulation"), (self._holds_tab(), "&Holds"),
                    (self._lists_tab(), "&Lists and labels"), (self._inventory_tab(), "&Inventory"),
                    (self._review_tab(), "Re&view"))

    # -- tabs -------------------------------------------------------------------------------------------
    def _holds_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        self.pull = PullListModel(self)
        self.pull_view = table("Copies to pull for holds", self.pull)
        self.refresh_pull = QPushButton("&Refresh pull list")
        self.expire_button = QPushButton("&Expire lapsed holds")
        row = QHBoxLayout()
        row.addWidget(self.refresh_pull)
        row.addWidget(self.expire_button)
        row.addStretch(1)
        self.holds_message = status("Holds message")
        lay.addLayout(row)
        lay.addWidget(self.pull_view, 1)
        lay.addWidget(self.holds_message)
        self.refresh_pull.clicked.connect(self.load_pull_list)
        self.expire_button.clicked.connect(self.expire)
        return w

    def _lists_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.addWidget(QLabel("Overdue lists go to teachers with counts only (library records are confidential); "
                             "the titles version is for the library.", wordWrap=True))
        self.lists_message = status("Printouts message")
        buttons = []
        for label, what, build in (
                ("Homeroom overdues (&counts)", "the homeroom overdue lists", lambda: self._homeroom(False)),
                ("Homeroom overdues (&titles)", "the homeroom overdue lists with titles", lambda: self._homeroom(True)),
                ("Overdue &slips", "the overdue slips", self._slips),
                ("&Clearance list (seniors)", "the clearance list", self._clearance)):
            b = QPushButton(label)
            self.printing.attach(b, build, what)
            buttons.append(b)
            lay.addWidget(b)
        lay.addWidget(QLabel("Labels: scan or type barcodes, one per line"))
        self.label_codes = QPlainTextEdit()
        self.label_codes.setAccessibleName("Barcodes for labels")
        self.label_codes.setTabChangesFocus(True)
        lay.addWidget(self.label_codes, 1)
        self.label_skip = line("Labels already used on the sheet", "0", "0")
        lay.addWidget(self.label_skip)
        for label, what, kind in (("Spine labels", "spine labels", "spine"), ("Barcode labels", "barcode labels",
                                                                               "barcode")):
            b = QPushButton(label)
            self.printing.attach(b, lambda k=kind: self._labels(k), what)
            lay.addWidget(b)
        lay.addWidget(self.lists_message)
        return scrolled(w, "Lists and labels")

    def _inventory_tab(self) -> QWidget:
        self.inventory = InventoryView(self.ctx, lambda: self.school)
        return self.inventory

    def _review_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.addWidget(QLabel("Loans recorded while the desk was offline that the database saw differently. "
                             "Each was applied as recorded; check the book and say what you did.", wordWrap=True))
        self.conflicts = ConflictsModel(self)
        self.conflicts_view = table("Offline conflicts to review", self.conflicts)
        self.resolution = line("What you did", "e.g. called the other student; book is with Ana")
        self.resolve_button = QPushButton("&Mark reviewed")
        lay.addWidget(self.conflicts_view, 1)
        lay.addWidget(self.resolution)
        lay.addWidget(self.resolve_button)
        self.review_message = status("Review message")
        lay.addWidget(self.review_message)
        self.resolve_button.clicked.connect(self.resolve)
        return w

    # -- loading ------------------------------------------------------------------------------------------
    async def load_lists(self) -> bool:
        try:
            self.school = await run_op(self.ctx.run_in(lambda c: desk_school(c)))
        except OpFailed as err:
            self.circulation.message.setText(err.message)
            return False
        self._loaded = True
        self.school_label.setText(f"{self.school.name} · barcodes: "
                                  f"{'14-digit Codabar' if self.school.barcode_scheme == 'codabar14' else 'any'}")
        self.circulation.patron_box.setFocus()
        try:
            offline = await run_op(self._open_offline)
        except OpFailed as err:
            self.circulation.message.setText(f"Offline copy not refreshed: {err.message}")
        else:
            if self._retired:  # let go while the copy was made: the sender it may have started stops too
                self.retire()
                return True
            self.circulation.offline = offline
        if not self.self_check:
            await self.load_pull_list()
            await self.load_review()
        return True

    def _open_offline(self):
        """Cache the rules, copies, loans and holds here and open this terminal's journal and sender,
        so circulation keeps going (and is sent exactly once) if PostgreSQL goes away."""
        from app.services.library.offline import OfflineDesk, build_cache, load_cache, save_cache
        from app.sync.journal import Journal
        from app.sync.journal_sender import JournalSender
        from ui.screens.cafeteria.service_port import journal_dir, terminal_id

        folder = self._journal_dir or journal_dir(self.ctx)
        folder.mkdir(parents=True, exist_ok=True)
        terminal = f"{self._terminal or terminal_id()}-LIBRARY"
        cache_path = folder / f"{terminal}.cache.json"
        with self.ctx.engine().begin() as c:
            save_cache(cache_path, build_cache(c, self.school, self.ctx.today()))
        if self._retired:  # (the window let this page go while the copy was being made: no sender for it)
            raise UserError("The library desk was closed.")
        if self.sender is None:
            journal = Journal(folder / f"{terminal}.journal", terminal)
            self.sender = JournalSender(journal, self.ctx.engine())
            self.sender.start()
        return OfflineDesk(self.sender.journal, load_cache(cache_path), terminal)

    def retire(self) -> None:
        """The window is done with this page (sign-out, another user's sign-in, closing): its sender stops and its
        journal closes, on a worker thread (stopping waits for a pass under way, which may be waiting on the
        network; the window must not). Unsent loans stay in the journal; the next sign-in's desk sends them. Before,
        the signed-out librarian's sender went on sending with their sign-in, one more with each sign-in."""
        self._retired = True
        sender, self.sender = self.sender, None
        self.circulation.offline = None
        if sender is None:
            return

        def stop() -> None:
            try:
                sender.stop()
                sender.journal.close()
            except Exception:  # noqa: BLE001 - logged; the window goes on
                log.exception("stopping the library journal's sender failed")
        threading.Thread(target=stop, name="library-journal-stop", daemon=False).start()

    def unsaved_work(self) -> str | None:
        """Loans recorded offline and not yet sent: signing out or quitting waits for them."""
        n = self.sender.journal.pending_count() if self.sender is not None else 0
        return f"{n} library loan(s) recorded offline, not yet sent" if n else None

    async def save_unsaved(self) -> bool:
        if self.sender is None:
            return True
        report = await run_op(self.sender.send_pending)
        return report.pending == 0

    @asyncSlot()
    async def load_pull_list(self) -> None:
        desk = self.school
        if desk is None:
            return
        try:
            self.pull.set_rows(await run_op(self.ctx.run_in(lambda c: H.pull_list(c, desk))))
            self.holds_message.setText(f"{len(self.pull.rows)} copies to pull for holds.")
        except OpFailed as err:
            self.holds_message.setText(err.message)

    @asyncSlot()
    async def expire(self) -> None:
        desk = self.school
        try:
            n = await run_op(self.ctx.run_in(lambda c: H.expire_holds(c, desk, self.ctx.today())))
            self.holds_message.setText(f"{n} lapsed hold(s) closed; their copies go back to the shelf.")
        except OpFailed as err:
            self.holds_message.setText(err.message)

    async def load_review(self) -> None:
        desk = self.school
        try:
            self.conflicts.set_rows(await run_op(self.ctx.run_in(lambda c: review_list(c, desk))))
        except OpFailed as err:
            self.review_message.setText(err.message)

    @asyncSlot()
    async def resolve(self) -> None:
        x = self.conflicts.row(selected_row(self.conflicts_view))
        if x is None:
            self.review_message.setText("Select a conflict first.")
            return
        what = self.resolution.text()
        try:
            await run_op(self.ctx.run_in(lambda c: resolve_conflict(c, x.conflict_id, what)))
        except OpFailed as err:
            self.review_message.setText(err.message)
            return
        self.resolution.clear()
        await self.load_review()
        self.review_message.setText("Marked reviewed.")

    # -- printouts ------------------------------------------------------------------------------------------
    def _printed(self, sentence: str) -> None:
        self.lists_message.setText(sentence)

    def _run(self, fn):
        def build():
            with self.ctx.engine().begin() as c:
                return fn(c)
        return build

    def _homeroom(self, titles: bool) -> Printout | None:
        desk, today = self.school, self.ctx.today()
        return Printout("library_list", "Homeroom overdue lists", f"overdues-{today:%Y-%m-%d}.pdf", self._run(
            lambda c: library_lists.build_homeroom_overdues(desk.name, L.overdue_lines(c, desk, today), titles=titles,
                                                            today=today))) if desk else None

    def _slips(self) -> Printout | None:
        desk, today = self.school, self.ctx.today()
        return Printout("library_list", "Overdue slips", f"overdue-slips-{today:%Y-%m-%d}.pdf", self._run(
            lambda c: library_lists.build_overdue_slips(desk.name, L.overdue_lines(c, desk, today),
                                                        today=today))) if desk else None

    def _clearance(self) -> Printout | None:
        desk, today = self.school, self.ctx.today()
        return Printout("library_list", "Clearance list", f"clearance-{today:%Y}.pdf", self._run(
            lambda c: library_lists.build_clearance_list(desk.name, L.clearance_lines(c, desk),
                                                         grade="Twelfth grade", today=today))) if desk else None

    def _labels(self, kind: str) -> Printout | None:
        codes = [x.strip() for x in self.label_codes.toPlainText().splitlines() if x.strip()]
        if not codes or self.school is None:
            self.lists_message.setText("Scan or type the barcodes of the copies to label first.")
            return None
        try:
            skip = max(0, int(self.label_skip.text() or "0"))
        except ValueError:
            self.lists_message.setText("Labels already used must be a number (0 for a new sheet).")
            return None
        school = self.school.name

        def build(c):
            from sqlalchemy import text
            rows = {r[0]: r for r in c.execute(text(
                "SELECT i.barcode, i.call_number, r.title FROM library.items i JOIN library.resources r "
                "USING (resource_id) WHERE i.barcode = ANY(:b)"), {"b": codes})}
            copies = [library_labels.LabelCopy(b, rows[b][1], rows[b][2], school) for b in codes if b in rows]
            return (library_labels.build_spine_labels if kind == "spine" else library_labels.build_barcode_labels)(
                copies, skip=skip)
        return Printout("library_labels", f"{kind.title()} labels", f"{kind}-labels.pdf", self._run(build))

    def _hold_slip(self, slip) -> None:
        """A returned copy someone waits for: its slip is ready to print (the button says so)."""
        self._slip = slip
        if hasattr(self, "slip_button"):
            self.slip_button.setEnabled(True)
            self.slip_button.setText(f"Print &hold slip for {slip.patron_name}")

    def _slip_printout(self) -> Printout | None:
        slip = self._slip
        if slip is None:
            return None
        return Printout("library_slip", f"Hold slip for {slip.patron_name}", "hold-slip.pdf",
                        lambda: library_lists.build_hold_slip(slip, today=date.today()))


def build_page(ctx: DeskContext) -> QWidget:
    return LibraryPage(ctx, self_check=SELF_CHECK)
