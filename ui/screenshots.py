"""`school-office --screenshot DIR`: render every screen offscreen to PNG files, then exit.

Signs in as the demo administrator on the demo district (loading it first if the database is
empty), so every desk is visible; writes sign-in.png, one desk-<key>.png per desk,
student-profile.png, and the working views in WORKING (a roster being taken, the office's
lists, a schedule, enrollment history, a discipline history), all at SIZE (1280x720). Used for
the README and to look at what we build.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text


SIZE = (1280, 720)  # the smallest screen we lay out for: the README shows what that user sees


async def capture(window, out_dir: Path) -> list[Path]:
    from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
    from ui.screens.desk_page import DESKS

    out_dir.mkdir(parents=True, exist_ok=True)
    window.resize(*SIZE)
    written: list[Path] = []

    async def grab(name: str, over=None) -> None:
        from ui.screens.cafeteria.screenshot import settle, with_dialog_over

        await settle()
        path = out_dir / f"{name}.png"
        (await with_dialog_over(window, over)).save(str(path))
        written.append(path)

    if not await window.start():
        raise SystemExit(2)
    if window.platform.engine is not None:  # the built-in database; a server's demo logins are IT's
        await asyncio.to_thread(create_demo_logins, window.platform.engine)
    await grab("sign-in")
    form = window.sign_in_form
    form.login.setText("demo_admin")
    form.password.setText(DEMO_PASSWORD)
    if not await form.attempt():
        raise SystemExit(f"could not sign in as demo_admin: {form.message.text()}")
    for desk in DESKS:
        window.open_desk(desk.key)
        page = window.pages.currentWidget()
        for _ in range(100):  # a desk reads its lists when opened: show it with them
            if getattr(page, "_loaded", True):
                break
            await asyncio.sleep(0.05)
        await grab(f"desk-{desk.key}")
    from ui.screens.cafeteria.screenshot import capture as cafeteria_views

    await cafeteria_views(window, grab)  # before a profile is opened: the register as the lunch line sees it

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
    await window.load_timeline()
    window.search_box.results.setVisible(False)
    await grab("student-profile")
    await _working_views(window, grab, usi)
    await _nurse_finds_a_student(window, grab)
    return written


WORKING = ("front-office-enrollment", "front-office-schedule", "attendance-roster", "attendance-office",
           "discipline-history", "main-window", "cafeteria-register", "cafeteria-allergy-alert", "cafeteria-till",
           "cafeteria-manager-menu", "cafeteria-manager-services", "cafeteria-manager-settings")


async def _nurse_finds_a_student(window, grab) -> None:
    """The README's first picture: the nurse signed in, a search's hits, and the profile with the
    badges a nurse may see (allergy, IEP) beside her one desk."""
    from app.security.demo_logins import DEMO_PASSWORD

    window._discard_unsaved()  # the roster marked for its picture is not saved
    window._finish_sign_out()
    form = window.sign_in_form
    form.login.setText("demo_nurse")
    form.password.setText(DEMO_PASSWORD)
    if not await form.attempt():
        raise SystemExit(f"could not sign in as demo_nurse: {form.message.text()}")

    def someone() -> tuple[int, str]:
        with window.user_engine.connect() as c:
            return tuple(c.execute(text(
                "SELECT s.studentusi, s.lastsurname FROM edfi.student s JOIN health.allergies a "
                "ON a.student_usi = s.studentusi ORDER BY s.lastsurname, s.studentusi LIMIT 1")).one())

    usi, last = await asyncio.to_thread(someone)
    window.open_desk("nurse")
    window.search_box.field.setText(last[:3])
    await window.search_box.search_now(last[:3])
    await window.open_profile(usi)
    await window.load_timeline()
    results = window.search_box.results
    results.setVisible(True)  # the hits the nurse chose from, her choice highlighted
    uid = window.profile.student_unique_id
    for row in range(results.model().rowCount()):
        if uid in str(results.model().index(row, 0).data()):
            results.setCurrentIndex(results.model().index(row, 0))
    await grab("main-window")


async def _working_views(window, grab, usi: int) -> None:
    fo = window.front_office
    await fo.refresh_student()
    fo.tabs.setCurrentIndex(1)
    await grab("front-office-enrollment")
    fo.tabs.setCurrentIndex(2)
    await grab("front-office-schedule")
    window.open_desk("attendance")
    page = window.attendance
    page.mine_only.setChecked(False)
    for _ in range(14):  # the latest school day (a screenshot taken on a weekend shows Friday's)
        if await page.load_sections() > 0:
            break
        page.day.blockSignals(True)
        page.day.setDate(page.day.date().addDays(-1))
        page.day.blockSignals(False)
    wanted = next((i for i, s in enumerate(page.sections) if s.school == "RHS" and s.period == "Period 2"), 0)
    page.section.setCurrentIndex(wanted)
    await page.open_roster()
    page.mark_all_present()
    for row, key in ((1, "A"), (4, "T"), (6, "E")):
        page.grid.setCurrentIndex(page.roster_model.index(row, 2))
        page.key_pressed(key)
    await grab("attendance-roster")
    page.tabs.setCurrentIndex(1)
    page.office_day.setDate(page.day.date())
    due, _absent = await page.refresh_office()
    page.office_tabs.setCurrentIndex(0 if due else 1)  # the absences when every section is taken
    await grab("attendance-office")
    window.open_desk("discipline")

    def offender() -> tuple[int, str]:
        with window.user_engine.connect() as c:
            return tuple(c.execute(text(
                "SELECT s.studentusi, s.firstname || ' ' || s.lastsurname FROM edfi.student s "
                "JOIN edfi.disciplineaction a USING (studentusi) ORDER BY s.studentusi LIMIT 1")).one())

    who, name = await asyncio.to_thread(offender)
    await window.open_profile(who)  # the desk shows only the history of the student whose profile is open
    await window.load_timeline()
    await window.discipline.load_lists()
    await window.discipline.show_history(who, name)
    await grab("discipline-history")
