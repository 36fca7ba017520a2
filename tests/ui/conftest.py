import asyncio
import gc
import sys
import time

import pytest
import qasync

# A modal dialog nobody answers (a test failed while work was unsaved, and the window's close at
# teardown asks Save/Discard/Cancel) would block the whole run: pytest-timeout cannot interrupt
# Qt's nested event loop. The watchdog below closes a modal dialog left open this long, with
# Cancel's answer (its escape button), and says so on stderr. No test waits on a dialog this long.
MODAL_WATCHDOG_SECONDS = 20.0


class ModalWatchdog:
    """Checks twice a second (timers run inside a dialog's own event loop too) for a modal
    dialog that has stayed open longer than `limit` seconds, and rejects it."""

    def __init__(self, limit: float):
        from PySide6.QtCore import QTimer

        self.limit = limit
        self.closed: list[str] = []
        self._seen: tuple[int, float] | None = None
        self.timer = QTimer()
        self.timer.setInterval(500)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

        modal = QApplication.activeModalWidget()
        if not isinstance(modal, QDialog):
            self._seen = None
            return
        now = time.monotonic()
        if self._seen is None or self._seen[0] != id(modal):
            self._seen = (id(modal), now)
            return
        if now - self._seen[1] < self.limit:
            return
        text = modal.text() if isinstance(modal, QMessageBox) else ""
        what = f"{modal.windowTitle()!r}: {text!r}"
        self.closed.append(what)
        print(f"\nmodal watchdog: closed a dialog nobody answered for {self.limit:.0f} s, {what}",
              file=sys.stderr)
        self._seen = None
        escape = modal.escapeButton() if isinstance(modal, QMessageBox) else None
        if escape is not None:
            escape.click()
        else:
            modal.reject()


@pytest.fixture(scope="session", autouse=True)
def modal_watchdog(qapp):
    dog = ModalWatchdog(MODAL_WATCHDOG_SECONDS)
    yield dog
    dog.timer.stop()


@pytest.fixture(autouse=True)
def qasync_loop(qapp):
    """A qasync event loop over the test's QApplication, current for the whole test as it is in
    the running app: coroutines scheduled from Qt slots run whenever Qt processes events."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    # Screens start work of their own (a desk reads its lists when opened). Let the worker
    # threads finish first: a worker reporting back to a closed loop would post to a deleted Qt
    # object. Then cancel what still waits, and let the cancellations run.
    from ui.ops import wait_idle

    wait_idle()
    for t in [t for t in asyncio.all_tasks(loop) if not t.done()]:
        t.cancel()
    try:
        loop.run_until_complete(asyncio.sleep(0.05))
    except RuntimeError:  # the loop was stopped by the application quitting
        pass
    asyncio.set_event_loop(None)
    loop.close()
    # The loop's Qt timers must be destroyed here, on the GUI thread: left to the garbage
    # collector they may be freed from a worker thread, and Qt then fires a dangling timer.
    del loop
    gc.collect()


@pytest.fixture
def run_async(qasync_loop):
    """Run a coroutine to completion on that loop (Qt events keep flowing while it awaits)."""
    def run(coro, timeout: float = 60):
        return qasync_loop.run_until_complete(asyncio.wait_for(coro, timeout))
    return run


@pytest.fixture
def run_until_signal(qasync_loop):
    """Run the event loop (asyncio and Qt) until `signal` is emitted; return its arguments."""
    def run(signal, timeout: float = 15):
        future = qasync_loop.create_future()

        def fire(*args):
            if not future.done():
                future.set_result(list(args))

        signal.connect(fire)
        try:
            return qasync_loop.run_until_complete(asyncio.wait_for(future, timeout))
        finally:
            signal.disconnect(fire)
    return run


@pytest.fixture
def run_until(qasync_loop):
    """Run the event loop (asyncio and Qt) until predicate() is true, for screens that start their
    own work (a desk loading its lists when shown)."""
    def run(predicate, timeout: float = 15):
        async def wait():
            while not predicate():
                await asyncio.sleep(0.02)
        qasync_loop.run_until_complete(asyncio.wait_for(wait(), timeout))
    return run


@pytest.fixture
def demo_window(qtbot, tmp_path, platform, demo_engine, run_async):
    """The main window on the demo district, started and showing the sign-in form (sign in with
    helpers.sign_in_as). It does not own the session's platform."""
    from PySide6.QtCore import QSettings

    from app.security.demo_logins import create_demo_logins
    from app.security.session import sign_in as open_session
    from app.security.session import verify_credentials
    from ui import unsaved
    from ui.app_events import AppEvents
    from ui.main_window import MainWindow
    from ui.settings import UiSettings

    create_demo_logins(demo_engine)
    w = MainWindow(AppEvents(), UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)),
                   lambda: platform, sign_in=lambda p, login, pw: open_session(demo_engine.url, login, pw),
                   verify=lambda p, login, pw: verify_credentials(demo_engine.url, login, pw),
                   owns_platform=False)
    qtbot.addWidget(w)
    yield w
    # A test that failed half-way may leave unsaved work: closing the window at teardown discards
    # it instead of asking a question nobody is there to answer.
    unsaved.set_asker(lambda _parent, _what: unsaved.DISCARD)
    w.close()
    unsaved.set_asker(None)
    if w.platform and w.platform.shipper:
        w.platform.shipper.stop()
    w.platform = None
    if w.user_engine is not None:
        w.user_engine.dispose()


@pytest.fixture(scope="module")
def signed_in(demo_engine):
    """login -> (SignedIn, engine) for a demo sign-in, made once per module (the database enforces
    its role)."""
    from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
    from app.security.session import sign_in

    create_demo_logins(demo_engine)
    made = {}

    def get(login):
        if login not in made:
            made[login] = sign_in(demo_engine.url, login, DEMO_PASSWORD)
        return made[login]
    yield get
    for _user, eng in made.values():
        eng.dispose()


@pytest.fixture
def answers():
    """Answers the Save / Discard / Cancel question in the user's place and records what it asked:
    (asked, queue); put 'save', 'discard' or 'cancel' in queue, Cancel when it is empty."""
    from ui import unsaved

    asked: list[str] = []
    queue: list[str] = []

    def ask(_parent, description):
        asked.append(description)
        return queue.pop(0) if queue else "cancel"
    unsaved.set_asker(ask)
    yield asked, queue
    unsaved.set_asker(None)
