"""The frame every working desk shares: its title, a line under it, its tabs, and reading its
lists once when it is first opened (not when it is built: nobody may be signed in yet)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from ui.ops import spawn
from ui.screens.desk_context import DeskContext


class TabbedDesk(QWidget):
    def __init__(self, ctx: DeskContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._loaded = False
        self._loading = False  # opened twice while the first read is under way: read once
        self.setAccessibleName(f"{title} desk")
        self.title = QLabel(title, objectName="deskTitle")
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(f"{title} sections")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(24, 16, 24, 16)
        self.body.addWidget(self.title)

    def finish(self, *tabs: tuple[QWidget, str]) -> None:
        """Add the tabs below whatever the subclass put under the title."""
        for widget, label in tabs:
            self.tabs.addTab(widget, label)
        self.body.addWidget(self.tabs, 1)

    def activate(self) -> None:
        """Called when the desk is opened: the first time, read the lists it offers."""
        if not self._loaded and not self._loading:
            self._loading = True
            spawn(self._first_load())

    async def _first_load(self) -> None:
        try:
            await self.load_lists()
        finally:
            self._loading = False

    async def load_lists(self) -> bool:  # pragma: no cover - every desk defines its own
        raise NotImplementedError

    # -- unsaved work (ui/unsaved.py asks before it is lost) -------------------------------------
    # Callers (the window on close, sign-out and lock, leaving kiosk mode, a desk switching
    # section) ask every desk; a desk that holds no unsaved work keeps these safe defaults.
    def unsaved_work(self) -> str | None:
        """A short description of what is not saved ("3 unsaved marks for Period 2 English"), or None."""
        return None

    async def save_unsaved(self) -> bool:
        """Save it; True when saved (or nothing to save). On failure the desk shows why."""
        return True

    def discard_unsaved(self) -> None:
        """Forget it: the desk shows the saved state (or an empty form) again."""

    def settle_unsaved(self, then=None) -> str:
        """Ask about this desk's own unsaved work: 'go', 'saving' (then() runs once saved) or 'stay'."""
        from ui.unsaved import settle

        return settle(self, (self,), then)
