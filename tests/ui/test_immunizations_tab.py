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


def test_each_student_on_printed_letters_and_the_exclusion_list_is_in_the_view_log(tab, login_engine, demo_engine,
                                                                                   run_async):
    """Printing the letters and the exclusion list logs a view of each student printed, with the
    printout's reason, as the survey does (issue 11: every view of a health record is logged)."""
    from sqlalchemy import text

    from app.services.immunizations import compliance
    from app.services.nurse.common import IMMUNIZATION_EXCLUSIONS_PRINTED, IMMUNIZATION_LETTERS_PRINTED

    nurse = login_engine("demo_nurse")
    with nurse.begin() as c:  # a student short of MMR whose provisional enrollment ended five days ago
        usi = c.execute(text("SELECT student_usi FROM health.immunization_statuses WHERE school_id = 255950001 AND "
                             "status = 'not_compliant' ORDER BY 1 LIMIT 1")).scalar()
        group = c.execute(text("SELECT requirement FROM health.immunization_statuses WHERE student_usi = :u AND "
                               "status = 'not_compliant' ORDER BY 1 LIMIT 1"), {"u": usi}).scalar()
        pid = c.execute(text(
            "INSERT INTO health.provisional_enrollments (student_usi, school_id, vaccine_groups, starts_on, deadline) "
            "VALUES (:u, 255950001, ARRAY[:g], :a, :b) RETURNING provisional_id"),
            {"u": usi, "g": group, "a": DEMO_AS_OF.replace(day=1), "b": DEMO_AS_OF.replace(day=15)}).scalar()
        compliance.refresh_students(c, [usi], DEMO_AS_OF)
    admin = login_engine("demo_admin")
    with admin.connect() as a:
        since = a.execute(text("SELECT localtimestamp")).scalar()

    def seen(reason: str) -> set[int]:  # read from the audit trail, as the administrator
        with admin.connect() as a:
            return set(a.execute(text(
                "SELECT (record_id::jsonb ->> 'studentusi')::int FROM compliance.audit_logs WHERE operation = 'VIEW' "
                "AND user_id = 'demo_nurse' AND justification = :j AND 'health' = ANY(data_categories) "
                "AND timestamp >= :t"), {"j": reason, "t": since}).scalars())
    try:
        assert run_async(tab.load_lists()) and tab.school_id() == 255950001
        assert tab._printout("exclusions").build()[:4] == b"%PDF"
        assert seen(IMMUNIZATION_EXCLUSIONS_PRINTED) == {usi}
        from app.services.immunizations import reports as imm_reports

        with nurse.connect() as c:
            lettered = {x.student_usi for x in imm_reports.letters(c, 255950001, DEMO_AS_OF)}
            c.rollback()
        assert usi in lettered and len(lettered) > 1
        assert tab._printout("letters").build()[:4] == b"%PDF"
        assert seen(IMMUNIZATION_LETTERS_PRINTED) == lettered
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM health.provisional_enrollments WHERE provisional_id = :p"), {"p": pid})
        with nurse.begin() as c:
            compliance.refresh_students(c, [usi], DEMO_AS_OF)
