import asyncio
import gc

import pytest
import qasync


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
