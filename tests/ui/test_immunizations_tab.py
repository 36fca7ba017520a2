"""The nurse desk's Immunizations tab, signed in as the demo nurse: the school's short list, a
student's status at a glance with the forecast and what to tell the family, the requirement editor
read-only for a nurse, and the screen looked at (rendered offscreen to a PNG)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.conftest import DEMO_AS_OF
from ui.screens.desk_context import DeskContext

pytestmark = [pytest.mark.ui, pytest.mark.integration]


@pytest.fixture
def tab(qtbot, login_engine):
    from ui.screens.immunizations.tab import ImmunizationsTab

    engine = login_engine("demo_nurse")
    user = SimpleNamespace(groups=("so_nurse",), school_ids=(255950001,), display_name="Demo Nurse")
    ctx = DeskContext(engine=lambda: engine, user=lambda: user, today=lambda: DEMO_AS_OF)
    w = ImmunizationsTab(ctx)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    return w


def test_the_tab_lists_students_short_and_shows_one_at_a_glance(tab, run_async, run_until, tmp_path):
    assert run_async(tab.load_lists())
    assert tab.school.currentText() == "Riverbend Elementary School"
    assert "students:" in tab.summary.text() and tab.short.rowCount() > 0
    first = tab.short.row(0)
    tab.short_view.selectRow(0)
    run_until(lambda: tab.student.view is not None and tab.student.view.student_usi == first.student_usi)
    view = tab.student.view
    assert tab.student.badge.text() == view.status_label != "Compliant"
    assert tab.student.requirements.rowCount() >= 6 and tab.student.forecast.rowCount() >= 5
    assert tab.student.family.toPlainText().startswith(view.tell_family[0])
    assert tab.student.letter.isEnabled()
    tab.grab().save(str(tmp_path / "immunizations_tab.png"))
    import os
    if os.environ.get("SO_SCREENSHOT_DIR"):
        tab.grab().save(os.path.join(os.environ["SO_SCREENSHOT_DIR"], "immunizations_tab.png"))


def test_a_nurse_reads_the_requirements_but_may_not_change_them(tab, run_async, qtbot):
    from ui.screens.immunizations.requirements_editor import RequirementsEditor

    editor = RequirementsEditor(tab.ctx, 255950001, tab)
    qtbot.addWidget(editor)
    assert run_async(editor.load())
    assert editor.model.rowCount() == 13 and "Texas" in editor.title.text()
    assert not editor.save.isEnabled() and not editor.delete.isEnabled()
    assert "Only a district administrator" in editor.message.text()
    assert editor.close_button.isDefault()


def test_the_nurse_desk_has_the_immunizations_tab(qtbot, demo_engine, run_until, tmp_path):
    from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
    from app.security.session import sign_in
    from ui.screens.immunizations.tab import ImmunizationsTab
    from ui.screens.nurse.page import NursePage

    create_demo_logins(demo_engine)
    user, eng = sign_in(demo_engine.url, "demo_nurse", DEMO_PASSWORD)
    try:
        page = NursePage(DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF))
        qtbot.addWidget(page)
        page.resize(1280, 720)
        page.show()
        page.activate()
        run_until(lambda: page._loaded, timeout=60)
        labels = [page.tabs.tabText(i).replace("&", "") for i in range(page.tabs.count())]
        assert "Immunizations" in labels
        tab = page.immunizations  # the nurse page shows it in a scroll area, so the desk fits 1280x720
        assert isinstance(tab, ImmunizationsTab)
        assert page.tabs.widget(labels.index("Immunizations")).isAncestorOf(tab)
        run_until(lambda: tab.short.rowCount() > 0, timeout=60)
        page.tabs.setCurrentIndex(labels.index("Immunizations"))
        tab.short_view.selectRow(0)
        run_until(lambda: tab.student.view is not None, timeout=60)
        page.grab().save(str(tmp_path / "nurse_immunizations.png"))
        import os
        if os.environ.get("SO_SCREENSHOT_DIR"):
            page.grab().save(os.path.join(os.environ["SO_SCREENSHOT_DIR"], "nurse_immunizations.png"))
    finally:
        eng.dispose()
