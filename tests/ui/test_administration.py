"""The Administration desk as the demo administrator: audit trail and staff sign-ins."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.logins import create_staff_login
from app.security.session import sign_in
from app.errors import UserError
from ui.screens.administration.administration_page import AdministrationPage

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def admin_engine(demo_engine):
    create_demo_logins(demo_engine)
    _, engine = sign_in(demo_engine.url, "demo_admin", DEMO_PASSWORD)
    yield engine
    engine.dispose()


@pytest.fixture
def page(qtbot, admin_engine, tmp_path):
    p = AdministrationPage(lambda: admin_engine, choose_csv_path=lambda: str(tmp_path / "audit.csv"))
    qtbot.addWidget(p)
    p.show()
    return p


def nurses_students(demo_engine) -> list[int]:
    """Students of the schools the demo nurse serves (she may record allergies for those only)."""
    with demo_engine.connect() as c:
        return list(c.execute(text(
            "SELECT DISTINCT a.studentusi FROM edfi.studentschoolassociation a JOIN edfi.staffschoolassociation w "
            "USING (schoolid) JOIN edfi.staff st ON st.staffusi = w.staffusi WHERE st.loginid = 'demo_nurse' "
            "ORDER BY 1 LIMIT 2")).scalars())


def test_the_audit_trail_shows_who_changed_what(page, demo_engine, run_async):
    usi = nurses_students(demo_engine)[0]
    user, nurse = sign_in(demo_engine.url, "demo_nurse", DEMO_PASSWORD, workstation="NURSE-PC-2")
    with nurse.begin() as c:
        uid = c.execute(text("SELECT studentuniqueid FROM edfi.student WHERE studentusi = :u"), {"u": usi}).scalar()
        c.execute(text("INSERT INTO health.allergies (student_usi, allergen_name, severity) "
                       "VALUES (:u, 'Kiwi', 'Mild')"), {"u": usi})
    nurse.dispose()
    page.user.setText("demo_nurse")
    page.student.setText(uid)
    page.table.setCurrentText("health.allergies")
    assert run_async(page.show_audit()) >= 1
    m = page.audit_model
    first = [m.data(m.index(0, c)) for c in range(m.columnCount())]
    assert first[m.COL_DB_USER] == "demo_nurse" and first[m.COL_APP_USER] == user.staff_unique_id
    assert first[m.COL_WORKSTATION] == "NURSE-PC-2" and first[m.COL_ACTION] == "INSERT"
    assert "allergen_name=Kiwi" in first[m.COL_CHANGES]


def test_export_writes_every_matching_entry_as_csv(page, run_async, tmp_path, demo_engine):
    usi = nurses_students(demo_engine)[-1]
    _user, nurse = sign_in(demo_engine.url, "demo_nurse", DEMO_PASSWORD, workstation="NURSE-PC-2")
    with nurse.begin() as c:  # at least one entry to export, whatever ran before
        c.execute(text("INSERT INTO health.allergies (student_usi, allergen_name, severity) "
                       "VALUES (:u, 'Mango', 'Mild')"), {"u": usi})
    nurse.dispose()
    page.user.setText("demo_nurse")
    count = run_async(page.show_audit())
    path = run_async(page.export_audit())
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["id", "timestamp", "database_user", "app_user"]
    # every entry the list showed, and any the nurse's sessions wrote since (another test's sign-out ends hers in
    # the background)
    assert count >= 1 and len(rows) - 1 >= count and all(r[2] == "demo_nurse" for r in rows[1:])
    assert any("Mango" in ",".join(r) for r in rows[1:])


def test_a_backwards_date_range_is_named(page, run_async):
    page.date_from.setDate(page.date_to.date().addDays(3))
    assert run_async(page.show_audit()) == -1
    assert page.audit_message.text() == "The 'to' date is before the 'from' date; swap them or pick another range."


def test_staff_sign_ins_can_be_listed_and_turned_off(page, run_async, demo_engine):
    with demo_engine.begin() as c:
        staff = c.execute(text("SELECT min(staffusi) FROM edfi.staff")).scalar()
        create_staff_login(c, "t_leaving_clerk", "a-long-password", staff, ("so_front_office",))
    assert run_async(page.refresh_logins()) >= 10
    logins = [r.login for r in page.logins_model.rows]
    assert {"demo_admin", "demo_nurse", "t_leaving_clerk"} <= set(logins)
    page.logins_view.selectRow(logins.index("t_leaving_clerk"))
    assert run_async(page.disable_selected())
    assert page.logins_message.text() == "t_leaving_clerk can no longer sign in."
    row = next(r for r in page.logins_model.rows if r.login == "t_leaving_clerk")
    assert not row.can_sign_in
    with pytest.raises(UserError, match="turned off"):
        sign_in(demo_engine.url, "t_leaving_clerk", "a-long-password")


def test_only_an_administrator_may_read_the_audit_trail(qtbot, demo_engine, run_async):
    _, teacher = sign_in(demo_engine.url, "demo_teacher", DEMO_PASSWORD)
    try:
        p = AdministrationPage(lambda: teacher)
        qtbot.addWidget(p)
        assert run_async(p.show_audit()) == -1
        assert p.audit_model.rowCount() == 0
    finally:
        teacher.dispose()


def test_an_administrator_creates_a_sign_in_for_a_clerk(page, run_async, demo_engine):
    from ui.screens.administration.new_sign_in_dialog import NewSignIn, NewSignInDialog

    with demo_engine.connect() as c:
        staff_usi, school = c.execute(text(
            "SELECT st.staffusi, w.schoolid FROM edfi.staff st JOIN edfi.staffschoolassociation w USING (staffusi) "
            "WHERE NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = st.loginid) ORDER BY st.staffusi LIMIT 1")).one()
        other_school = c.execute(text("SELECT min(schoolid) FROM edfi.school WHERE schoolid <> :s"),
                                 {"s": school}).scalar()
    seen = {}

    def fill(staff, schools):  # what the administrator ticks in the dialog
        d = NewSignInDialog(staff, schools)
        seen["staff"], seen["schools"] = d.staff.count(), len(d.school_boxes)
        return NewSignIn("t_new_clerk", "first-password-1", staff_usi, ("so_front_office",), (other_school,))

    page.ask_new_sign_in = fill
    assert run_async(page.new_sign_in())
    assert seen["staff"] > 10 and seen["schools"] == 3
    assert page.logins_message.text() == "t_new_clerk can now sign in."
    user, engine = sign_in(demo_engine.url, "t_new_clerk", "first-password-1")
    try:
        assert user.groups == ("so_front_office",) and user.staff_usi == staff_usi
        assert set(user.school_ids) == {school, other_school}
    finally:
        engine.dispose()


def test_a_sign_in_needs_a_school(page, run_async):
    from ui.screens.administration.new_sign_in_dialog import NewSignIn

    assert not run_async(page.create_sign_in(NewSignIn("t_nowhere", "first-password-1", 1, ("so_teacher",), ())))
    assert page.logins_message.text() == "Tick at least one school the staff member works at."


def test_active_workstations_come_from_dynamodb_user_sessions(qtbot, admin_engine, demo_engine, platform, run_async):
    from app.security.session import end_session
    from app.sync.shipper import OutboxShipper

    page = AdministrationPage(lambda: admin_engine, dynamo=lambda: platform.dynamo_client)
    qtbot.addWidget(page)
    user, engine = sign_in(demo_engine.url, "demo_librarian", DEMO_PASSWORD, workstation="LIBRARY-DESK")
    shipper = OutboxShipper(demo_engine, lambda: platform.dynamo_client)
    while shipper.ship_once(ignore_backoff=True).delivered:
        pass
    assert run_async(page.refresh_sessions()) >= 1
    rows = [(r.login, r.workstation) for r in page.sessions_model.rows if r.session_id == user.session_id]
    assert rows == [("demo_librarian", "LIBRARY-DESK")]
    end_session(engine, user)  # signing out overwrites the item with an expiry of now
    engine.dispose()
    while shipper.ship_once(ignore_backoff=True).delivered:
        pass
    run_async(page.refresh_sessions())
    assert user.session_id not in [r.session_id for r in page.sessions_model.rows]


def test_without_dynamodb_the_page_says_so(page, run_async):
    assert run_async(page.refresh_sessions()) == -1
    assert page.sessions_message.text() == \
        "DynamoDB is not available, so active workstations cannot be listed now."


def test_an_administrator_resets_a_password(page, run_async, demo_engine):
    with demo_engine.begin() as c:
        staff = c.execute(text("SELECT max(staffusi) FROM edfi.staff")).scalar()
        create_staff_login(c, "t_forgetful", "old-password-1", staff, ("so_librarian",))
    run_async(page.refresh_logins())
    page.logins_view.selectRow([r.login for r in page.logins_model.rows].index("t_forgetful"))
    assert run_async(page.reset_selected("brand-new-password"))
    assert page.logins_message.text() == "Password changed for t_forgetful."
    with pytest.raises(UserError, match="not right"):
        sign_in(demo_engine.url, "t_forgetful", "old-password-1")
    user, engine = sign_in(demo_engine.url, "t_forgetful", "brand-new-password")
    engine.dispose()
    assert user.groups == ("so_librarian",)
    page.logins_view.selectRow([r.login for r in page.logins_model.rows].index("t_forgetful"))
    assert not run_async(page.reset_selected("short"))
    assert page.logins_message.text() == "The password is too short; use at least 10 characters."


def test_the_table_filter_is_wide_enough_to_read_a_tables_name(page, run_async):
    page.table.setCurrentText("edfi.studentsectionattendanceevent")
    page.resize(1400, 800)
    page.grab()  # laid out as on screen
    name = page.table.fontMetrics().horizontalAdvance("edfi.studentsectionattendanceevent")
    assert page.table.lineEdit().width() >= name


def test_the_audit_trails_dates_read_month_first_whatever_the_systems_locale(page):
    """A secretary reads the range as the rest of the app shows a day (a C or POSIX locale showed "5 12 2026")."""
    from datetime import date, timedelta

    assert page.date_to.text() == date.today().strftime("%a %m/%d/%Y")
    assert page.date_from.text() == (date.today() - timedelta(days=30)).strftime("%a %m/%d/%Y")
    assert page.table.currentText() == "" and page.table.lineEdit().placeholderText() == "any table"


def test_export_asks_for_the_file_in_the_pages_own_dialog_while_the_window_goes_on(qtbot, admin_engine, tmp_path,
                                                                                   run_async):
    """The page's own save dialog (no test stand-in), awaited from the export: the loop's other tasks run while it
    is open, and the trail is written where it says."""
    import asyncio

    from tests.ui.helpers import modal_closed_after, until

    p = AdministrationPage(lambda: admin_engine)
    qtbot.addWidget(p)
    p.show()

    async def the_admin_saves():
        export = asyncio.ensure_future(p.export_audit())
        await until(lambda: getattr(p, "dialog", None) is not None)
        await asyncio.sleep(0.2)  # other work of the loop goes on meanwhile
        p.dialog.setDirectory(str(tmp_path))
        p.dialog.selectFile("audit-trail.csv")  # the name it suggests, in a folder of the test's
        p.dialog.accept()
        return await export
    saved = tmp_path / "audit-trail.csv"
    with modal_closed_after(8):
        assert run_async(the_admin_saves()) == str(saved)
    assert p.audit_message.text() == f"Saved {saved}"
    assert saved.read_text(encoding="utf-8").splitlines()[0].startswith("id,timestamp,database_user")
