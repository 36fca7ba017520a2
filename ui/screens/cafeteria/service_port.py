"""The cafeteria desk's port onto the real back end: the terminal's Register (journal first, then
PostgreSQL through one background sender; app/services/cafeteria/register.py) for the register
and the till, and the manager and office services for the manager's screens.

Made on the UI thread (cheap); the Register itself is opened on the first call, which arrives on a
worker thread through run_op. Where the terminal keeps its journal: `<data dir>/journal/`, named
by the terminal id (SCHOOL_OFFICE_TERMINAL_ID, else the computer's name)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.errors import UserError
from ui.screens.cafeteria import backend as B
from ui.screens.desk_context import DeskContext


def terminal_id() -> str:
    name = os.environ.get("SCHOOL_OFFICE_TERMINAL_ID") or socket.gethostname() or "terminal"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:60]


def journal_dir(ctx: DeskContext) -> Path:
    """<data dir>/journal: the window's data folder, else the configured one."""
    data = ctx.data_dir()
    if data is None:
        from app.config import load_settings

        data = load_settings().data_dir
    return Path(data) / "journal"


class ServicePort:
    def __init__(self, ctx: DeskContext, journal_dir: Path | None = None, terminal: str | None = None) -> None:
        self.ctx = ctx
        self._journal_dir = journal_dir
        self._terminal = terminal
        self._register = None
        self._lock = threading.Lock()
        self._watchers: list[Callable[[object], None]] = []

    # -- the terminal's register ------------------------------------------------------------------------
    def register(self):
        with self._lock:
            if self._register is None:
                from app.services.cafeteria.register import Register

                reg = Register.open(self.ctx.engine(), self._journal_dir or journal_dir(self.ctx),
                                    self._terminal or terminal_id())
                for watch in self._watchers:
                    reg.sender.on_change = watch
                reg.start()
                self._register = reg
            return self._register

    def watch(self, report: Callable[[object], None]) -> None:
        """report(JournalStatus) from the sender's thread after each pass that changed something."""
        self._watchers.append(lambda s: report(self._status(s)))

    def close(self) -> None:
        """Stop the sender and the snapshot refresh, on a worker thread: stopping waits for a pass
        under way, which may be waiting on the network, and the window must not. Unsent entries stay
        in the journal file; the next start sends them."""
        with self._lock:
            reg, self._register = self._register, None
        if reg is not None:
            threading.Thread(target=reg.stop, name="cafeteria-register-stop", daemon=False).start()

    def setup(self):
        return self.register().setup()

    def identify(self, code: str, how: str):
        return self.register().identify(code, how)

    def search(self, text: str):
        return self.register().search(text)

    def homerooms(self):
        return self.register().homerooms()

    def roster(self, homeroom_id: str):
        return self.register().roster(homeroom_id)

    def balance(self, student_usi: int) -> Decimal:
        return self.register().balance(student_usi)

    def quote(self, student_usi: int, service: str, item_ids: tuple[int, ...]):
        return self.register().quote(student_usi, service, item_ids)

    def record_sale(self, draft: B.SaleDraft):
        return self.register().record_sale(draft)

    def record_deposit(self, draft: B.DepositDraft):
        return self.register().record_deposit(draft)

    @staticmethod
    def _status(s) -> B.JournalStatus:
        """From the register's JournalStatusDTO or the sender's own JournalStatus (on_change)."""
        last = getattr(s, "last_sync", None) or getattr(s, "last_sync_at", None)
        online = getattr(s, "online", None)
        return B.JournalStatus(s.pending, last, not getattr(s, "last_error", None) if online is None else online)

    def journal_status(self) -> B.JournalStatus:
        reg = self._register  # never opens the register just to count: nothing journaled yet is nothing unsent
        return B.JournalStatus(0, None) if reg is None else self._status(reg.journal_status())

    def verify_supervisor(self, login: str, password: str) -> str:
        return self.register().verify_supervisor(login, password)

    def open_till(self, starting_cash: Decimal, request_id: str):
        return self.register().open_till(starting_cash, request_id)

    def close_till(self, counts: dict[str, int], note: str, request_id: str):
        return self.register().close_till(counts, note, request_id)

    # -- the manager's and the office's services (as the signed-in manager) ---------------------------------
    def _school(self) -> int:
        return self.register().setup().school_id

    def tills(self):
        from app.services.cafeteria import manager

        return manager.tills(self.ctx.engine(), school_id=self._school())

    def finalize_till(self, till_id: str) -> None:
        from app.services.cafeteria import manager

        manager.finalize_till(self.ctx.engine(), till_id)

    def recent_sales(self, text: str):
        from app.services.cafeteria import manager

        return manager.recent_sales(self.ctx.engine(), text, school_id=self._school())

    def void_sale(self, sale_id: str, reason: str, request_id: str) -> None:
        from app.services.cafeteria import manager

        manager.void_sale(self.ctx.engine(), sale_id, reason, request_id)

    def refund(self, sale_id: str, amount: Decimal, reason: str, request_id: str) -> None:
        from app.services.cafeteria import manager

        manager.refund_sale(self.ctx.engine(), sale_id, amount, reason, request_id)

    def nsf_reversal(self, sale_id: str, reason: str, request_id: str) -> None:
        from app.services.cafeteria import manager

        manager.nsf_reversal(self.ctx.engine(), sale_id, reason, request_id)

    def prices(self):
        from app.services.cafeteria import manager

        return manager.prices(self.ctx.engine(), self._school())

    def set_price(self, price_id: int, price: Decimal, second_meal_price: Decimal) -> str:
        from app.services.cafeteria import manager

        return manager.set_price(self.ctx.engine(), self._school(), price_id, price, second_meal_price)

    def policies(self):
        from app.services.cafeteria import manager

        return manager.charge_policies(self.ctx.engine(), self._school())

    def save_policy(self, policy) -> str:
        from app.services.cafeteria import manager

        return manager.save_charge_policy(self.ctx.engine(), self._school(), policy)

    def set_student_override(self, student_usi: int, meal_limit: Decimal, a_la_carte_limit: Decimal,
                             reason: str) -> None:
        from app.services.cafeteria import manager

        manager.set_student_override(self.ctx.engine(), student_usi, meal_limit, a_la_carte_limit, reason)

    def meal_counts(self, day: date) -> B.MealCounts:
        from app.services.cafeteria import office

        school = self.register().setup()
        rows = office.daily_meal_counts(self.ctx.engine(), school.school_id, day, day)
        return B.MealCounts(school.school_name, day, tuple(rows))

    def meal_counts_pdf(self, day: date) -> bytes:
        from app.services.cafeteria import office

        return office.meal_counts_pdf(self.ctx.engine(), self._school(), day)

    def monthly_claim_pdf(self, month: date) -> bytes:
        from app.services.cafeteria import office

        return office.monthly_claim_pdf(self.ctx.engine(), self._school(), month)

    def over_limit(self):
        from app.services.cafeteria import manager

        return manager.over_limit_sales(self.ctx.engine(), school_id=self._school())

    def price_flags(self):
        from app.services.cafeteria import manager

        return manager.price_flags(self.ctx.engine(), school_id=self._school())

    def student_history(self, student_usi: int):
        from app.services.cafeteria import office

        if not any(g in ("so_cafeteria_manager", "so_admin") for g in self.ctx.groups()):
            raise UserError("A student's account history is for the cafeteria manager.")
        return office.student_history(self.ctx.engine(), student_usi)

    # -- the site's menus, meal services and settings (the manager's, under row-level security) --------------
    def menu_items(self):
        from app.services.cafeteria import menus

        return menus.menu_items(self.ctx.engine(), self._school())

    def save_menu_item(self, draft: B.MenuItemDraft) -> int:
        from app.services.cafeteria import menus

        return menus.save_menu_item(self.ctx.engine(), self._school(), draft)

    def retire_menu_item(self, item_id: int) -> None:
        from app.services.cafeteria import menus

        menus.retire_menu_item(self.ctx.engine(), self._school(), item_id)

    def meal_services(self, day: date):
        from app.services.cafeteria import menus

        return menus.meal_services(self.ctx.engine(), self._school(), day)

    def save_meal_service(self, day: date, service: str, runs: bool, starts: str, ends: str,
                          item_codes: tuple[str, ...]) -> None:
        from app.services.cafeteria import menus

        menus.save_meal_service(self.ctx.engine(), self._school(), day, service, runs, starts, ends, item_codes)

    def copy_meal_week(self, from_day: date, to_day: date) -> int:
        from app.services.cafeteria import menus

        return menus.copy_meal_week(self.ctx.engine(), self._school(), from_day, to_day)

    def site_settings(self):
        from app.services.cafeteria import menus

        return menus.site_settings(self.ctx.engine(), self._school())

    def save_site_settings(self, balance_display: str, alternate_item_id: int | None) -> None:
        from app.services.cafeteria import menus

        menus.save_site_settings(self.ctx.engine(), self._school(), balance_display, alternate_item_id)
