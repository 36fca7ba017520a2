"""Each demo role signs in to the window as a person does and opens every desk its role includes, each desk
loading what it shows on opening (its lists, its offline copy, its journal), then a student's profile where the
role looks students up. Nothing may fail along the way: a
look-up the role may not make, a desk built differently from the tests' own (the library's offline copy, December
3 to 5), a task lost to the event loop. The tests of each desk build it with their own settings; this one goes
the way the window does."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from app.security.demo_logins import DEMO_LOGINS
from tests.ui.helpers import kiosk_window, on_the_demo_day, sign_in_as, until
from ui.screens.desk_page import DESKS

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("login", sorted(DEMO_LOGINS))
def test_a_role_opens_each_of_its_desks_and_nothing_fails(demo_window, run_async, caplog, login):
    w = demo_window
    w.show()
    assert run_async(w.start())
    caplog.set_level(logging.WARNING)
    assert sign_in_as(w, login, run_async)
    on_the_demo_day(w)
    opened = []
    for row, desk in enumerate(DESKS):
        if w.desk_list.item(row).isHidden():
            continue
        assert w.open_desk(desk.key)
        page = w.pages.currentWidget()
        run_async(until(lambda: getattr(page, "_loaded", True), timeout=60))
        run_async(asyncio.sleep(0.3))  # the tabs' own first loads
        opened.append(desk.key)
    assert opened  # every role has a desk
    # and a student's profile, for a role that looks students up (each desk reacts to the student opened)
    if w.search_box.isVisible():
        with w.user_engine.connect() as c:
            usi = c.execute(text("SELECT studentusi FROM edfi.student ORDER BY studentusi LIMIT 1")).scalar()
        assert run_async(w.open_profile(usi))
        run_async(w.load_timeline())
        run_async(asyncio.sleep(0.5))
    failed = [f"{r.name}: {r.getMessage()[:300]}" for r in caplog.records if r.levelno >= logging.ERROR]
    assert failed == [], f"{login} opened {opened}"


KIOSKS = {"cafeteria": "demo_cashier", "library": "demo_librarian", "attendance": "demo_teacher",
          "nurse": "demo_nurse"}


@pytest.mark.parametrize("desk", sorted(KIOSKS))
def test_each_kiosk_opens_its_desk_for_its_role_and_nothing_fails(qtbot, tmp_path, platform, demo_engine, run_async,
                                                                   caplog, desk):
    """`school-office --kiosk <desk>` as main.py builds it: the one desk full screen, loaded for its role."""
    with kiosk_window(qtbot, tmp_path, platform, demo_engine, run_async, desk) as w:
        caplog.set_level(logging.WARNING)
        assert sign_in_as(w, KIOSKS[desk], run_async)
        on_the_demo_day(w)
        assert w.current_desk_key() == desk
        page = w.pages.currentWidget()
        run_async(until(lambda: getattr(page, "_loaded", True), timeout=60))
        run_async(asyncio.sleep(0.5))
        failed = [f"{r.name}: {r.getMessage()[:300]}" for r in caplog.records if r.levelno >= logging.ERROR]
        assert failed == []


def test_the_library_self_check_station_shows_no_student_search(qtbot, tmp_path, platform, demo_engine, run_async,
                                                                 monkeypatch):
    """`--kiosk library-selfcheck` is a library kiosk whose page is in self-check mode (main.py): a station any
    student walks up to. Like the lunch line's, it has no student search and no Ctrl+F to a profile."""
    from ui.screens.library import page as library_page

    monkeypatch.setattr(library_page, "SELF_CHECK", True)  # what main.py sets for library-selfcheck
    with kiosk_window(qtbot, tmp_path, platform, demo_engine, run_async, "library") as w:
        assert sign_in_as(w, "demo_librarian", run_async)
        assert w.current_desk_key() == "library" and w.pages.currentWidget().self_check
        assert not w.search_box.isVisible() and not w.search_box.isEnabled() and not w.find_shortcut.isEnabled()


def test_signing_out_stops_the_library_desks_sender(demo_window, run_async):
    """The library desk's journal sender works with the signed-in librarian's connection: when she signs out, it
    stops (before, it went on sending as her, and each sign-in added another on the same journal file)."""
    w = demo_window
    w.show()
    assert run_async(w.start())
    assert sign_in_as(w, "demo_librarian", run_async)
    assert w.open_desk("library")
    page = w.pages.currentWidget()
    run_async(until(lambda: page.sender is not None, timeout=60))
    sender = page.sender
    assert sender._thread is not None and sender._thread.is_alive()
    assert w.sign_out()
    run_async(until(lambda: sender._thread is None, timeout=30))
    assert page.sender is None and page.circulation.offline is None
