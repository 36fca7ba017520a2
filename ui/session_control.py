"""Who is at the window: signing out, locking, a session that ends on its own (12 hours passed, or
the sign-in turned off by an administrator), and each user's own desk.

A mixin of MainWindow (kept out of main_window.py so the window stays a frame). Rules it keeps:
- a session that has ended hands out no database connection, and the window returns to the
  sign-in form with one sentence;
- one user's unsaved work is saved, kept for that same user, or explicitly discarded: never shown
  to the next person who signs in (their desks are built afresh);
- a kiosk never pre-fills anyone's sign-in name.
"""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from ui.ops import get_executor

log = logging.getLogger(__name__)

LOCK_KEYS = "Ctrl+L"
SIGN_OUT_KEYS = "Ctrl+Shift+L"


class SessionControl:
    """Expects of the window: user, user_engine, settings, kiosk, screens, workspace, sign_in_form,
    lock_screen, desk_pages(), _reset_workspace(), progress_label, user_label, session_ended (a
    Signal(str)), _now (wall clock)."""

    # -- menu and shortcuts ------------------------------------------------------------------------
    def _setup_session_actions(self) -> None:
        menu = self.menuBar().addMenu("&Session")
        self.lock_action = QAction("&Lock this station", self, shortcut=QKeySequence(LOCK_KEYS))
        self.lock_action.triggered.connect(self.lock_by_hand)
        self.sign_out_action = QAction("Sign &out", self, shortcut=QKeySequence(SIGN_OUT_KEYS))
        self.sign_out_action.triggered.connect(self.sign_out)
        for action in (self.lock_action, self.sign_out_action):
            menu.addAction(action)
            self.addAction(action)  # the shortcut works with the menu bar hidden (kiosk)
        self._update_session_actions()
        self.session_ended.connect(self._on_session_ended)

    def _update_session_actions(self) -> None:
        signed_in = self.user is not None and not self.is_locked()
        for action in (getattr(self, "lock_action", None), getattr(self, "sign_out_action", None)):
            if action is not None:
                action.setEnabled(signed_in)

    # -- unsaved work ------------------------------------------------------------------------------
    def _unsaved(self) -> list[tuple[object, str]]:
        found = []
        for page in self.desk_pages():
            probe = getattr(page, "unsaved_work", None)
            what = probe() if callable(probe) else None
            if what:
                found.append((page, what))
        return found

    def _discard_unsaved(self) -> None:
        for page, _what in self._unsaved():
            discard = getattr(page, "discard_unsaved", None)
            if callable(discard):
                discard()

    def _settle_unsaved(self, then) -> str:
        """'go' (nothing unsaved, or discarded), 'saving' (then() runs once saved) or 'stay'."""
        from ui.unsaved import settle

        return settle(self, self.desk_pages(), then)

    # -- signing out ---------------------------------------------------------------------------------
    def sign_out(self) -> bool:
        """Sign out by the user's own choice: unsaved work is saved or discarded first (or the
        user cancels and stays). True when signed out now."""
        if self.user is None or self.sign_in_form is None or self.leaving_refused("signing out"):
            return False
        outcome = self._settle_unsaved(then=self._finish_sign_out)
        if outcome == "go":
            self._finish_sign_out()
            return True
        return False

    def _finish_sign_out(self, message: str = "") -> None:
        if self.user is None:
            return
        user, engine = self.user, self.user_engine
        self._previous_login = user.login
        self.user, self.user_engine = None, None
        if engine is not None:
            from ui.main_window import _end_session_and_dispose

            get_executor().submit(_end_session_and_dispose, engine, user)
        self._reset_workspace()
        self._show_sign_in(message)

    def _show_sign_in(self, message: str = "") -> None:
        form = self.sign_in_form
        form.reset(None if self.kiosk is not None else self.settings.last_login)
        form.message.setText(message)
        self.user_label.setText("Not signed in")
        if self.kiosk is not None and getattr(self, "idle_watcher", None) is not None:
            self.idle_watcher.timer.stop()
        self.screens.setCurrentWidget(form)
        form.focus_first_field()
        self._update_session_actions()

    # -- a session that ended on its own -------------------------------------------------------------
    def _watch(self, engine) -> None:
        from app.security.session import watch_session

        # called on whichever thread noticed; the signal delivers on the UI thread
        watch_session(engine, self.session_ended.emit)

    def check_session(self) -> bool:
        """True while the signed-in session may go on; past its 12 hours it ends here."""
        if self.user is None:
            return False
        now: datetime = self._now()
        if now >= self.user.expires_at:
            self._on_session_ended("expired")
            return False
        return True

    def _on_session_ended(self, reason: str) -> None:
        """Expired or turned off: nobody is asked anything (the person may have left). The work on
        screen is kept for the same user's next sign-in and discarded for anyone else's."""
        from app.security.session import EXPIRED, TURNED_OFF

        if self.user is None:
            return
        user, engine = self.user, self.user_engine
        log.info("session of %s ended: %s", user.login, reason)
        self._previous_login = user.login
        self.user, self.user_engine = None, None
        if engine is not None:
            get_executor().submit(engine.dispose)  # no SQL can run on it any more; drop the pool
        if not self._unsaved():
            self._reset_workspace()
        self._show_sign_in(TURNED_OFF if reason == "turned_off" else EXPIRED)

    def leaving_refused(self, action: str) -> bool:
        """True (and the sentence on the status bar) while a desk holds what only this session can
        deliver, such as the cafeteria's unsent sales."""
        from ui.unsaved import refused_to_leave

        why = refused_to_leave(self.desk_pages(), action)
        if why:
            self.progress_label.setText(why)
        return why is not None

    # -- locking ----------------------------------------------------------------------------------------
    def lock_by_hand(self) -> None:
        """Ctrl+L. (The idle lock of a kiosk still locks: the sender keeps sending meanwhile.)"""
        if not self.leaving_refused("locking"):
            self.lock()

    def lock(self) -> None:
        if self.user is None or getattr(self, "lock_screen", None) is None:
            return
        self.screens.setCurrentWidget(self.lock_screen)
        self.lock_screen.lock_for(self.user.login, self.user.display_name)
        self._update_session_actions()

    def is_locked(self) -> bool:
        return getattr(self, "lock_screen", None) is not None and self.screens.currentWidget() is self.lock_screen

    def _unlocked(self) -> None:
        if self.user is None or not self.check_session():
            return
        self.screens.setCurrentWidget(self.workspace)
        if self.kiosk is not None:
            self.idle_watcher.start()
        self._update_session_actions()

    def confirm_switch_user(self, holder: str, what: list[str]) -> bool:
        """The next person asks to sign in while the first one's work is unsaved: it is discarded
        only when they say so (replaceable in tests)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Sign in as someone else",
                          f"{holder} has unsaved work: {'; '.join(what)}.", parent=self)
        box.setInformativeText("Signing in as someone else discards it. Do that?")
        discard = box.addButton("Discard it and sign in", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is discard

    def switch_user(self) -> bool:
        """From the lock screen: end the locked user's session and open the sign-in form. Their
        unsaved work is discarded only after an explicit yes; no yes, nothing changes."""
        if self.user is None or self.leaving_refused("signing in as someone else"):
            return False
        unsaved = self._unsaved()
        if unsaved:
            if not self.confirm_switch_user(self.user.display_name, [w for _p, w in unsaved]):
                return False
            self._discard_unsaved()
        self._finish_sign_out()
        return True

    # -- each user's own desk -----------------------------------------------------------------------------
    def _remember_desk(self, key: str) -> None:
        if self.user is not None:
            self.settings.set_desk_for(self.user.login, key)
        else:
            self.settings.last_desk = key

    def _desk_for(self, login: str) -> str | None:
        return self.settings.desk_for(login)
