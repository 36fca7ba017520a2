"""What every desk page needs from the window, passed in rather than reached for: the signed-in
user's engine, the user, DynamoDB, and the clock (replaceable in tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass
class DeskContext:
    engine: Callable[[], object]
    user: Callable[[], object | None] = lambda: None
    dynamo: Callable[[], object | None] = lambda: None
    today: Callable[[], date] = date.today
    now: Callable[[], datetime] = datetime.now
    rollup_rule: Callable[[], object | None] = lambda: None  # app.domain.attendance_rollup.RollupRule
    data_dir: Callable[[], object | None] = lambda: None  # this workstation's data folder (a terminal's journal)

    def actor(self) -> str | None:
        """The staff id recorded with each change (the database records the login as well)."""
        u = self.user()
        return getattr(u, "staff_unique_id", None) if u is not None else None

    def groups(self) -> tuple[str, ...]:
        u = self.user()
        return tuple(getattr(u, "groups", ()) or ()) if u is not None else ()

    def run_in(self, fn):
        """A function of a connection, run in one transaction on the signed-in user's engine."""
        def work():
            with self.engine().begin() as conn:
                return fn(conn)
        return work
