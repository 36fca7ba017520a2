"""Signing in with a staff member's own database login."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.logins import create_staff_login, disable_login
from app.security.session import sign_in

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo_logins(demo_engine):
    return create_demo_logins(demo_engine)


def test_signing_in_learns_who_the_user_is(demo_engine, demo_logins):
    user, engine = sign_in(demo_engine.url, "demo_nurse", DEMO_PASSWORD, workstation="NURSE-PC-1")
    try:
        assert user.groups == ("so_nurse",)
        assert user.staff_usi == demo_logins["demo_nurse"]
        assert user.staff_unique_id.startswith("S") and user.display_name.count(" ") >= 1
        assert len(user.school_ids) == 1
        with engine.connect() as c:
            assert c.execute(text("SELECT session_user")).scalar() == "demo_nurse"
            assert c.execute(text("SELECT current_setting('school_office.workstation')")).scalar() == "NURSE-PC-1"
            assert c.execute(text("SELECT current_setting('school_office.app_user')")).scalar() == user.staff_unique_id
    finally:
        engine.dispose()
    with demo_engine.connect() as c:
        item = c.execute(text("SELECT item FROM sync.dynamo_outbox WHERE target_table = 'UserSessions' "
                              "AND item->>'SessionId' = :s"), {"s": user.session_id}).scalar()
    assert item["UserId"] == "demo_nurse" and item["ExpirationTime"] == int(user.expires_at.timestamp())


def test_a_wrong_password_gets_one_plain_sentence(demo_engine, demo_logins):
    with pytest.raises(UserError) as err:
        sign_in(demo_engine.url, "demo_nurse", "wrong-password-1")
    assert err.value.message == "The sign-in name or the password is not right; check them and try again."


def test_a_disabled_login_is_told_so(demo_engine, demo_logins):
    with demo_engine.begin() as c:
        staff = c.execute(text("SELECT staffusi FROM edfi.staff ORDER BY staffusi DESC LIMIT 1")).scalar()
        create_staff_login(c, "t_disabled_clerk", "a-long-password", staff, ("so_front_office",))
        disable_login(c, "t_disabled_clerk")
    with pytest.raises(UserError, match="This sign-in is turned off"):
        sign_in(demo_engine.url, "t_disabled_clerk", "a-long-password")


def test_bad_login_requests_are_refused_before_reaching_the_database(demo_engine):
    with demo_engine.begin() as c:
        with pytest.raises(UserError, match="is not valid"):
            create_staff_login(c, "Robert'); DROP TABLE x;--", "a-long-password", 1, ("so_teacher",))
        with pytest.raises(UserError, match="too short"):
            create_staff_login(c, "t_short", "short", 1, ("so_teacher",))
        with pytest.raises(UserError, match="is not one"):
            create_staff_login(c, "t_badrole", "a-long-password", 1, ("superuser",))


def test_an_expired_password_is_told_so(demo_engine, demo_logins):
    with demo_engine.begin() as c:
        staff = c.execute(text("SELECT staffusi FROM edfi.staff ORDER BY staffusi DESC LIMIT 1 OFFSET 1")).scalar()
        create_staff_login(c, "t_expired_clerk", "a-long-password", staff, ("so_front_office",))
        c.execute(text("ALTER ROLE t_expired_clerk VALID UNTIL '2020-01-01'"))
    with pytest.raises(UserError) as err:
        sign_in(demo_engine.url, "t_expired_clerk", "a-long-password", lookup=demo_engine)
    assert err.value.message == "Your password has expired; ask an administrator to set a new one."
