"""The Cafeteria desk: the register (also the `--kiosk cafeteria` screen), the cashier's till, and
the manager's screens for those who hold so_cafeteria_manager (or so_admin).

The terminal's journal (app.sync.journal) holds each sale first; the status bar shows how many
are not yet on the server and when the last sync was. While any are unsent, signing out, locking,
closing the till and quitting are refused with one sentence (ui/unsaved.refused_to_leave).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from ui.ops import OpFailed, run_op, spawn
from ui.screens.cafeteria import backend as B
from ui.screens.cafeteria.manager_view import ManagerView
from ui.screens.cafeteria.register_view import RegisterView
from ui.screens.cafeteria.till_view import TillView
from ui.screens.desk_context import DeskContext
from ui.screens.tabbed_desk import TabbedDesk
from ui.text import plural

log = logging.getLogger(__name__)

MANAGER_ROLES = ("so_cafeteria_manager", "so_admin")
POLL_MS = 3000


def _service_port(ctx: DeskContext) -> B.CafeteriaPort:
    from ui.screens.cafeteria.service_port import ServicePort

    return ServicePort(ctx)


_port_factory: Callable[[DeskContext], B.CafeteriaPort] = _service_port


def set_port_factory(factory: Callable[[DeskContext], B.CafeteriaPort] | None) -> None:
    """Replace how the desk reaches the back end (tests); None puts the services back."""
    global _port_factory
    _port_factory = factory or _service_port


def describe_journal(s: B.JournalStatus, now: datetime | None = None) -> str:
    """The status bar's few words: "3 sales unsent · last sync 11:42 AM"."""
    unsent = f"{plural(s.pending, 'sale')} unsent" if s.pending else "Sales all sent"
    if s.last_sync is None:
        when = "no sync yet"
    else:
        local = s.last_sync.astimezone() if s.last_sync.tzinfo else s.last_sync
        when = "last sync " + local.strftime("%I:%M %p").lstrip("0")
    offline = " (offline)" if not s.online else ""
    return f"{unsent} · {when}{offline}"


class CafeteriaPage(TabbedDesk):
    journal_changed = Signal(object)  # B.JournalStatus, from whichever thread saw it (queued to the UI)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Cafeteria", parent)
        self._port: B.CafeteriaPort | None = None
        self.journal = B.JournalStatus(0, None)
        self.register = RegisterView(self.port)
        self.till = TillView(self.port, lambda: self.leave_refused("closing the till"))
        self.manager = None
        self.finish((self.register, "&Register"), (self.till, "&Till"))
        self._add_manager_tab()
        self.status_label = QLabel("Sales: –")
        self.status_label.setAccessibleName("Cafeteria sales not yet sent")
        self.journal_changed.connect(self.show_journal)
        self.register.sale_recorded.connect(lambda r: spawn(self.refresh_journal()))
        self.register.deposit_recorded.connect(lambda _u: spawn(self.refresh_journal()))
        self.till.till_changed.connect(self._till_changed)
        self.poll = QTimer(self, interval=POLL_MS)
        self.poll.timeout.connect(lambda: spawn(self.refresh_journal()))

    def _add_manager_tab(self) -> None:
        """The manager's tab, for a cafeteria manager (the page may be built before anyone signs in:
        it is added when the desk is first opened by someone who may use it)."""
        if self.manager is None and self.may_manage():
            self.manager = ManagerView(self.port, self.ctx.today)
            self.tabs.addTab(self.manager, "&Manager")

    def may_manage(self) -> bool:
        return any(g in MANAGER_ROLES for g in self.ctx.groups())

    def port(self) -> B.CafeteriaPort:
        """The back end, made on first use (on a worker thread: the journal file is opened there)."""
        if self._port is None:
            self._port = _port_factory(self.ctx)
            watch = getattr(self._port, "watch", None)
            if callable(watch):
                watch(self._journal_reported)  # the sender reports from its own thread
            # a page deleted without retire() (a window closed in a test) still stops its sender
            self.destroyed.connect(functools.partial(_close_port, self._port))
        return self._port

    def _journal_reported(self, status: B.JournalStatus) -> None:
        try:
            self.journal_changed.emit(status)  # queued to the UI thread
        except RuntimeError:  # the page is gone; its sender is being stopped
            pass

    def status_widgets(self) -> tuple[QWidget, ...]:
        return (self.status_label,)

    async def load_lists(self) -> bool:
        self._add_manager_tab()
        try:
            setup = await run_op(self.port().setup)
        except OpFailed as err:
            self.register.refuse(err.message)
            return False
        self._loaded = True
        self.register.show_setup(setup)
        self.till.show_state(setup.till_open)
        self.poll.start()
        await self.refresh_journal()
        return True

    def _till_changed(self, is_open: bool) -> None:
        self.register.till_open = is_open

    async def refresh_journal(self) -> B.JournalStatus | None:
        if self._port is None:
            return None
        try:
            s = await run_op(self._port.journal_status)
        except OpFailed:
            return None
        self.show_journal(s)
        return s

    def show_journal(self, s: B.JournalStatus) -> None:
        self.journal = s
        self.status_label.setText(describe_journal(s))
        self.status_label.setStyleSheet("color: #7a4b00; font-weight: 600;" if s.pending else "")

    # -- leaving ------------------------------------------------------------------------------------
    def leave_refused(self, action: str) -> str | None:
        """One sentence when `action` ("signing out", "quitting") must wait for unsent sales. Reads
        the local journal file (no network), so the answer is current."""
        if self._port is None:
            return None
        try:
            s = self._port.journal_status()
        except Exception:
            log.exception("could not read the journal's state")
            s = self.journal
        self.show_journal(s)
        if not s.pending:
            return None
        return (f"{plural(s.pending, 'sale')} {'has' if s.pending == 1 else 'have'} not reached the server yet, "
                f"so {action} must wait: they are safe on this terminal and are sent as soon as the server "
                "answers (the status bar counts them).")

    def unsaved_work(self) -> str | None:
        return self.register.unsaved_work() or (self.manager.unsaved_work() if self.manager else None)

    async def save_unsaved(self) -> bool:
        if self.register.unsaved_work() or self.manager is None:
            self.tabs.setCurrentWidget(self.register)
            self.register.refuse("Choose how this ticket is paid (Enter charges the account), or press Esc to "
                                 "cancel it.")
            return False
        self.tabs.setCurrentWidget(self.manager)
        return await self.manager.save_unsaved()

    def discard_unsaved(self) -> None:
        self.register.cancel_ticket()
        if self.manager is not None:
            self.manager.discard_unsaved()

    def retire(self) -> None:
        """The window is done with this page (sign-out, closing): stop the journal's sender."""
        self.poll.stop()
        self.register.scanner.stop()
        close = getattr(self._port, "close", None)
        if callable(close):
            try:
                close()
            except Exception:
                log.exception("stopping the cafeteria journal's sender failed")


def _services_installed() -> bool:
    try:
        return importlib.util.find_spec("app.services.cafeteria.register") is not None
    except ModuleNotFoundError:
        return False


def _close_port(port, *_args) -> None:
    close = getattr(port, "close", None)
    if callable(close):
        close()


def build_page(ctx: DeskContext) -> QWidget:
    if _port_factory is _service_port and not _services_installed():
        # until the cafeteria services land, the desk keeps saying plainly that it is not built yet
        from ui.screens.desk_page import DESKS, DeskPage

        return DeskPage(next(d for d in DESKS if d.key == "cafeteria"))
    return CafeteriaPage(ctx)

