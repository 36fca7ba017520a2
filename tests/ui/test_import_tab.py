"""The Administration desk's Import tab: a check as the signed-in administrator, an import with
the owner's connection, a progress bar that moves, every problem listed, and what a workstation
without the owner's sign-in is told."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from app.db.migrate import migrate
from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in
from app.services.interchange.oneroster_sample import write_package
from ui.screens.administration.administration_page import AdministrationPage

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def admin_engine(demo_engine):
    create_demo_logins(demo_engine)
    _, engine = sign_in(demo_engine.url, "demo_admin", DEMO_PASSWORD)
    yield engine
    engine.dispose()


@pytest.fixture
def package(tmp_path):
    write_package(tmp_path / "pkg", students=40)
    return tmp_path / "pkg"


def make_page(qtbot, admin_engine, owner):
    page = AdministrationPage(lambda: admin_engine, owner_engine=lambda: owner)
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    page.tabs.setCurrentWidget(page.import_tab)
    return page


def check(qtbot, admin_engine, package, run_async):
    """The page, the result of checking the package at the desk, and the first listed row's cells."""
    page = make_page(qtbot, admin_engine, None)
    page.import_tab.path.setText(str(package))
    result = run_async(page.import_tab.run_import())
    m = page.import_tab.problems_model
    return page, result, [m.data(m.index(0, c)) for c in range(m.columnCount())]


def test_check_then_import_with_a_moving_progress_bar(qtbot, admin_engine, new_database, package, run_async,
                                                      tmp_path):
    owner = new_database()
    migrate(owner)
    page = make_page(qtbot, admin_engine, owner)
    tab = page.import_tab
    seen = []
    original = tab._show_progress
    tab._show_progress = lambda what, f: (seen.append((what, f)), original(what, f))
    tab.path.setText(str(package))
    assert tab.check_only.isChecked() and tab.import_button.text() == "Check"  # a first click only checks
    result = run_async(tab.run_import())
    assert result.ok and result.dry_run
    assert "nothing was written" in tab.message.text()
    with owner.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.student")).scalar_one() == 0
    assert seen[-1] == ("Done", 1.0)
    seen.clear()
    tab.check_only.setChecked(False)
    assert tab.import_button.text() == "Import"
    result = run_async(tab.run_import())
    assert result.ok and not result.dry_run and result.changed_rows > 0
    qtbot.waitUntil(lambda: tab.progress.value() == 100)
    assert [w for w, _ in seen][:3] == ["Reading the package", "Checking every file", "Loading"]
    assert sorted(f for _, f in seen) == [f for _, f in seen]  # it only moves forward
    assert tab.message.text().startswith("Imported OneRoster 1.2")
    with owner.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.student")).scalar_one() == 40
        audit = c.execute(text("SELECT user_id, application_user FROM compliance.audit_logs "
                               "WHERE operation = 'IMPORT'")).all()
    with admin_engine.connect() as c:
        admin = c.execute(text("SELECT current_setting('school_office.app_user')")).scalar_one()
    # one entry: the owner's login wrote it, the administrator at the desk started it
    assert len(audit) == 1 and audit[0].application_user == admin and admin
    page.grab().save(str(tmp_path / "import-tab.png"))


def test_problems_are_listed_with_file_row_and_column(qtbot, admin_engine, package, run_async):
    users = (package / "users.csv").read_text("utf-8").replace("stu-2,,,true", "stu-2,,,maybe", 1)
    (package / "users.csv").write_text(users, "utf-8")
    page, result, row = check(qtbot, admin_engine, package, run_async)
    tab, m = page.import_tab, page.import_tab.problems_model
    assert not result.ok
    assert row[m.COL_KIND] == "Problem"
    assert row[m.COL_FILE] == "users.csv" and row[m.COL_COLUMN] == "enabledUser"
    assert row[m.COL_MESSAGE] == '"maybe" is not a boolean; write true or false.'
    assert tab.message.text().startswith("The package was refused: 1 problem found; nothing was written.")


def test_a_workstation_without_the_owner_sign_in_is_told_where_to_import(qtbot, admin_engine, package, run_async):
    page = make_page(qtbot, admin_engine, None)
    tab = page.import_tab
    tab.path.setText(str(package))
    tab.check_only.setChecked(False)
    assert run_async(tab.run_import()) is None
    assert "school-office-admin import oneroster PATH" in tab.message.text()


def test_notes_are_told_apart_from_problems_and_shown_whole(qtbot, admin_engine, package, run_async):
    """A package that is read with a note (two courses that would be one Ed-Fi course): the note is listed as a
    note, the result line points to it, and its row is tall enough for the whole sentence."""
    courses = (package / "courses.csv").read_text("utf-8").replace(",C001,", ",C000,", 1)
    (package / "courses.csv").write_text(courses, "utf-8")
    page, result, row = check(qtbot, admin_engine, package, run_async)
    tab, m = page.import_tab, page.import_tab.problems_model
    assert result.ok and len(result.warnings) == 1
    assert row[m.COL_KIND] == "Note" and row[m.COL_FILE] == "courses.csv" and row[m.COL_COLUMN] == "courseCode"
    assert tab.message.text().endswith("nothing was written (dry run). Read the note below.")
    view = tab.problems

    def needed() -> int:  # the height of the sentence wrapped in its column
        return view.fontMetrics().boundingRect(0, 0, view.columnWidth(m.COL_MESSAGE) - 8, 10_000,
                                               int(Qt.TextFlag.TextWordWrap), row[m.COL_MESSAGE]).height()

    for width in (800, 600):  # a narrow window: three lines and more; the row grows to every line
        page.resize(width, 720)
        qtbot.waitUntil(lambda: needed() > 2 * view.fontMetrics().height())
        qtbot.waitUntil(lambda: view.rowHeight(0) >= needed())


def test_the_result_line_counts_notes_in_words():
    from ui.screens.administration.import_tab import notes_words

    assert notes_words(0, False) == ""
    assert notes_words(1, False) == " Read the note below."
    assert notes_words(3, True) == " Read the 3 notes after the problems too."
