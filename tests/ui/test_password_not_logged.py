"""A password never reaches the log file (issue 8, item 11): SQLAlchemy's error text would carry
the bound values of a failed statement, the new password among them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.logins import create_staff_login, reset_password
from app.security.session import sign_in
from ui.ops import OpFailed, run_op

pytestmark = pytest.mark.ui

NEW_PASSWORD = "Tangerine-Lighthouse-4417"


def test_a_failed_create_or_reset_writes_no_password_to_the_log(platform, settings, demo_engine, run_async):
    import logging

    create_demo_logins(demo_engine)
    log_file = settings.log_dir / "school-office.log"  # the platform fixture configured the app's logging
    user, engine = sign_in(demo_engine.url, "demo_admin", DEMO_PASSWORD)  # the engine the app would use
    with engine.connect() as c:
        staff = c.execute(text("SELECT staffusi FROM edfi.staff ORDER BY staffusi LIMIT 1")).scalar()

    def create_for_the_owner():  # 'postgres' is no School Office sign-in: the database refuses
        with engine.begin() as conn:
            create_staff_login(conn, "postgres", NEW_PASSWORD, staff, ("so_teacher",))

    def reset_the_owner():
        with engine.begin() as conn:
            reset_password(conn, "postgres", NEW_PASSWORD + "-2")

    try:
        before = log_file.stat().st_size if log_file.exists() else 0
        for op in (create_for_the_owner, reset_the_owner):
            with pytest.raises(OpFailed):
                run_async(run_op(op))  # run_op logs the failure with its traceback, as in the app
        for h in logging.getLogger().handlers:
            h.flush()
        written = log_file.read_text(encoding="utf-8")[before:]
    finally:
        engine.dispose()
    assert "operation create_for_the_owner failed" in written and "operation reset_the_owner failed" in written
    assert "compliance.create_staff_login" in written  # the failure itself is there, for whoever debugs it
    assert NEW_PASSWORD not in written
    assert "SQL parameters hidden" in written


def test_every_engine_the_code_creates_hides_its_parameters():
    """A guard for engines added later: each create_engine( call under app/ and ui/ passes
    hide_parameters=True."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    missing = []
    for path in [*root.joinpath("app").rglob("*.py"), *root.joinpath("ui").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        for m in re.finditer(r"create_engine\(", source):
            depth, i = 1, m.end()
            while depth and i < len(source):
                depth += {"(": 1, ")": -1}.get(source[i], 0)
                i += 1
            if "hide_parameters=True" not in source[m.end():i]:
                missing.append(f"{path.relative_to(root)}:{source.count(chr(10), 0, m.start()) + 1}")
    assert missing == []
