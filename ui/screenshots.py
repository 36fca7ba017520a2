"""`school-office --screenshot DIR`: render every screen offscreen to PNG files, then exit.

Signs in as the demo administrator on the demo district (loading it first if the database is
empty), so every desk is visible; writes sign-in.png, one desk-<key>.png per desk and
student-profile.png. Used for the README and to look at what we build.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text


async def capture(window, out_dir: Path) -> list[Path]:
    from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
    from ui.screens.desk_page import DESKS

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def grab(name: str) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
        path = out_dir / f"{name}.png"
        window.grab().save(str(path))
        written.append(path)

    if not await window.start():
        raise SystemExit(2)
    await asyncio.to_thread(create_demo_logins, window.platform.engine)
    grab("sign-in")
    form = window.sign_in_form
    form.login.setText("demo_admin")
    form.password.setText(DEMO_PASSWORD)
    if not await form.attempt():
        raise SystemExit(f"could not sign in as demo_admin: {form.message.text()}")
    for desk in DESKS:
        window.open_desk(desk.key)
        grab(f"desk-{desk.key}")

    def someone() -> tuple[int, str]:
        with window.user_engine.connect() as c:
            return tuple(c.execute(text(
                "SELECT s.studentusi, s.lastsurname FROM edfi.student s JOIN health.allergies a "
                "ON a.student_usi = s.studentusi ORDER BY s.studentusi LIMIT 1")).one())

    usi, last = await asyncio.to_thread(someone)
    window.open_desk("front_office")
    window.search_box.field.setText(last[:3])
    await window.search_box.search_now(last[:3])
    await window.open_profile(usi)
    grab("student-profile")
    return written
