"""The cafeteria's pictures for `school-office --screenshot`: the register with a student scanned
and a ticket rung up (not paid: nothing is journaled), the allergy alert over it, and the till's
count form, and the manager's menu items, meal services and site settings. Always the same files, at
the window's size."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter
from sqlalchemy import text

from ui.screens.cafeteria import backend as B
from ui.screens.cafeteria.register_dialogs import AlertDialog



async def capture(window, grab) -> None:
    window.open_desk("cafeteria")
    window.profile_panel.setVisible(False)  # the register as the lunch line sees it, not an earlier profile
    window.search_box.field.clear()
    window.resize(1280, 720)  # as small as the README's other pictures, with the profile panel gone
    page = window.pages.currentWidget()
    reg = page.register
    for _ in range(200):
        if page._loaded:
            break
        await asyncio.sleep(0.05)

    def with_allergies() -> list[str]:
        school = reg.setup.school_id if reg.setup else None
        with window.user_engine.connect() as c:
            return list(c.execute(text(
                "SELECT s.studentuniqueid FROM edfi.student s "
                "WHERE EXISTS (SELECT 1 FROM health.allergies a WHERE a.student_usi = s.studentusi) "
                "AND EXISTS (SELECT 1 FROM edfi.studentschoolassociation ssa WHERE ssa.studentusi = s.studentusi "
                "AND ssa.schoolid = :school AND ssa.exitwithdrawdate IS NULL) ORDER BY s.studentusi LIMIT 40"),
                {"school": school}).scalars())

    # a student whose allergy runs into something on today's menu (the alert is the point of the picture)
    for uid in await asyncio.to_thread(with_allergies) if reg.setup else ():
        for index in range(reg.service.count()):
            reg.service.setCurrentIndex(index)
            if await reg.identify(uid, "scan") and any(B.conflicts(reg.card.alerts, i) for i in reg.service_items() if i):
                break
            reg.cancel_ticket()
        else:
            continue
        break
    if reg.card is not None:
        items = [i for i in reg.service_items() if i]
        safe = [i for i in items if not B.conflicts(reg.card.alerts, i)]
        for item in [i for i in safe if i.reimbursable][:1] + [i for i in safe if not i.reimbursable][:1]:
            await reg.add_item(item)
    await grab("cafeteria-register")
    risky = next((i for i in reg.service_items() if i and reg.card and B.conflicts(reg.card.alerts, i)), None)
    dialog = AlertDialog(window, reg.card.name, risky, B.conflicts(reg.card.alerts, risky)) if risky else None
    await grab("cafeteria-allergy-alert", over=dialog)
    reg.cancel_ticket()
    page.tabs.setCurrentWidget(page.till)
    was_open = page.till.is_open
    page.till.show_state(True)  # the count form as a cashier fills it at closing time (nothing is sent)
    for key, n in (("20", "3"), ("5", "2"), ("1", "9"), ("0.25", "14"), ("0.10", "6")):
        page.till.counts[key].setText(n)
    await grab("cafeteria-till")
    for field in page.till.counts.values():
        field.clear()
    page.till.show_state(was_open)
    await manager_views(page, grab)
    page.tabs.setCurrentWidget(page.register)


async def manager_views(page, grab) -> None:
    """The manager's menu screens: the site's items with one chosen, a day's meal services, the
    site's settings (nothing is saved)."""
    view = page.manager
    if view is None:
        return
    page.tabs.setCurrentWidget(view)
    view.tabs.setCurrentWidget(view.menu_items)
    await view.menu_items.load()
    lunch = next((n for n, r in enumerate(view.menu_items.model.rows) if r.code.startswith("L2")), 0)
    view.menu_items.list.selectRow(lunch)
    await grab("cafeteria-manager-menu")
    view.tabs.setCurrentWidget(view.meal_services)
    await view.meal_services.load()
    for _ in range(200):  # the tab's own load (spawned when it opened) may finish after ours: wait for its summary
        if view.meal_services.summary.text():
            break
        await asyncio.sleep(0.05)
    view.meal_services.service.setCurrentIndex(1)  # lunch
    await grab("cafeteria-manager-services")
    view.tabs.setCurrentWidget(view.site_settings)
    await view.site_settings.load()
    await grab("cafeteria-manager-settings")
    view.message.setText("")
    view.tabs.setCurrentIndex(0)


async def settle() -> None:
    """Let the event loop lay out and paint what changed (and run the tasks a change started) before a picture.
    Not QApplication.processEvents(): called from a coroutine, it re-enters the loop, whose tasks then cannot resume
    ("Cannot enter into task ... while another task is being executed") and are lost."""
    await asyncio.sleep(0.05)


async def with_dialog_over(window, dialog):
    """The window's picture with a dialog painted in its middle, as the cashier sees it."""
    shot = window.grab()
    if dialog is None:
        return shot
    dialog.show()
    await settle()
    over = dialog.grab()
    dialog.close()
    painter = QPainter(shot)
    painter.drawPixmap(QPoint((shot.width() - over.width()) // 2, (shot.height() - over.height()) // 3), over)
    painter.end()
    return shot
