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
from tests.ui.helpers import on_the_demo_day, sign_in_as, until
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
