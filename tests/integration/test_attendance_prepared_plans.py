"""A roster save plans its two big statements once per pooled connection (app.services.attendance:
_planned_once); the window's regular connection check must not throw those plans away. psycopg
forgets every prepared statement of a connection at a ROLLBACK, and the check ran every 5 s as a
rolled-back read, so in the app each save planned everything again (about 5 ms of server time)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import StaticPool

from app.security.session import ping
from app.services.attendance import present_marks, save_roster
from tests.integration.test_attendance_concurrency import NOW, teacher_day  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


def test_the_windows_connection_check_keeps_the_saves_plans(teacher_day):  # noqa: F811 - fixture
    teacher, key, day, roster = teacher_day
    one = create_engine(teacher.url, poolclass=StaticPool, hide_parameters=True)  # one pooled connection

    def prepared() -> int:
        with one.begin() as c:
            return c.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    try:
        with one.begin() as c:
            save_roster(c, key, day, present_marks(roster), now=NOW, today=day)
        planned = prepared()
        assert planned >= 2  # the check and the write
        ping(one)
        assert prepared() == planned
        with one.connect() as c:  # what the check did before: a read that is rolled back
            c.execute(text("SELECT 1"))
        assert prepared() == 0
    finally:
        one.dispose()
