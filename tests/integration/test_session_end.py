"""A session ends for good (issue 8, item 13): after its 12 hours, or when an administrator turns
the sign-in off, pooled connections hand out nothing more. The clock is injected; the database is real."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.logins import create_staff_login, disable_login, enable_login
from app.security.session import (
    EXPIRED,
    SESSION_HOURS,
    TURNED_OFF,
    SessionEnded,
    session_ended,
    sign_in,
    watch_session,
)

pytestmark = pytest.mark.integration

START = datetime(2026, 12, 3, 7, 30, tzinfo=timezone.utc)


def test_a_session_hands_out_no_connection_after_its_hours(demo_engine):
    create_demo_logins(demo_engine)
    now = {"t": START}
    user, engine = sign_in(demo_engine.url, "demo_teacher", DEMO_PASSWORD, clock=lambda: now["t"])
    heard = []
    watch_session(engine, heard.append)
    try:
        assert user.expires_at == START + timedelta(hours=SESSION_HOURS)
        now["t"] = START + timedelta(hours=SESSION_HOURS, seconds=-1)
        with engine.connect() as c:  # a pooled connection, still within the 12 hours
            assert c.execute(text("SELECT session_user")).scalar() == "demo_teacher"
        now["t"] = START + timedelta(hours=SESSION_HOURS)
        with pytest.raises(SessionEnded) as err:
            with engine.connect() as c:
                c.execute(text("SELECT 1"))
        assert err.value.message == EXPIRED and err.value.reason == "expired"
        assert heard == ["expired"]
        assert session_ended(engine) == "expired"
        with pytest.raises(SessionEnded):  # and stays ended
            engine.connect()
        assert heard == ["expired"]  # told once
    finally:
        engine.dispose()


def test_turning_a_sign_in_off_ends_its_open_session(demo_engine, login_engine):
    create_demo_logins(demo_engine)
    with demo_engine.begin() as c:
        staff = c.execute(text("SELECT staffusi FROM edfi.staff ORDER BY staffusi DESC LIMIT 1 OFFSET 2")).scalar()
        create_staff_login(c, "t_leaving_clerk", "a-long-password", staff, ("so_front_office",))
    user, engine = sign_in(demo_engine.url, "t_leaving_clerk", "a-long-password")
    heard = []
    watch_session(engine, heard.append)
    try:
        with engine.connect() as c:  # the pool now holds a live connection of hers
            assert c.execute(text("SELECT session_user")).scalar() == "t_leaving_clerk"
        with login_engine("demo_admin").begin() as admin:  # the administrator turns her sign-in off
            disable_login(admin, "t_leaving_clerk")
        with pytest.raises(SessionEnded) as err:
            with engine.connect() as c:
                c.execute(text("SELECT count(*) FROM edfi.student"))
        assert err.value.message == TURNED_OFF
        assert heard == ["turned_off"]
    finally:
        engine.dispose()
        with login_engine("demo_admin").begin() as admin:
            enable_login(admin, "t_leaving_clerk")
