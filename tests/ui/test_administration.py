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


def test_the_audit_trail_shows_who_changed_what(page, demo_engine, run_async):
    user, nurse = sign_in(demo_engine.url, "demo_nurse", DEMO_PASSWORD, workstation="NURSE-PC-2")
    with nurse.begin() as c:
        uid = c.execute(text("SELECT studentuniqueid FROM edfi.student WHERE studentusi = 11")).scalar()
        c.execute(text("INSERT INTO health.allergies (student_usi, allergen_name, severity) "
                       "VALUES (11, 'Kiwi', 'Mild')"))
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


def test_export_writes_every_matching_entry_as_csv(page, run_async, tmp_path):
    page.user.setText("demo_nurse")
    count = run_async(page.show_audit())
    path = run_async(page.export_audit())
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["id", "timestamp", "database_user", "app_user"]
    assert len(rows) - 1 == count and all(r[2] == "demo_nurse" for r in rows[1:])


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
