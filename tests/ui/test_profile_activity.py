"""The profile panel's activity timeline (DynamoDB, newest first, paged) and the one-click
discipline history, as a clerk and as a dean would meet them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from boto3.dynamodb.types import TypeSerializer
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD
from app.sync.outbox import student_activity_item
from tests.ui.test_sign_in_form import logins, type_and_sign_in, window  # noqa: F401 (fixtures)

pytestmark = pytest.mark.ui
_ser = TypeSerializer()


def put_timeline(dynamo, uid: str, n: int) -> None:
    """n attendance records a minute apart, and one discipline record older than all of them."""
    pk = f"STUDENT#{uid}"
    old = dynamo.query(TableName="StudentActivityLogs", KeyConditionExpression="PK = :p",
                       ExpressionAttributeValues={":p": {"S": pk}})["Items"]
    for item in old:
        dynamo.delete_item(TableName="StudentActivityLogs", Key={"PK": item["PK"], "SK": item["SK"]})
    start = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    items = [student_activity_item(uid, "INC-T-1", start - timedelta(days=1), "discipline.incident",
                                   {"incident": "INC-T-1", "date": "2026-11-01", "role": "Perpetrator"}, "S1")]
    items += [student_activity_item(uid, f"ATT-T-{i}", start + timedelta(minutes=i), "attendance.marked",
                                    {"section": "HR-1", "date": f"2026-11-{2 + i:02d}", "mark": "Tardy",
                                     "previous": None, "daily": "Tardy"}, "S1") for i in range(n)]
    for item in items:
        dynamo.put_item(TableName="StudentActivityLogs",
                        Item={k: _ser.serialize(v) for k, v in item.items() if v is not None})


def a_student_with_discipline_served_by(demo_engine, login: str) -> tuple[int, str]:
    """The first student with a discipline action at a school where that demo login works."""
    with demo_engine.connect() as c:
        return tuple(c.execute(text(
            "SELECT s.studentusi, s.studentuniqueid FROM edfi.student s JOIN edfi.disciplineaction a "
            "USING (studentusi) JOIN edfi.studentschoolassociation x USING (studentusi) "
            "WHERE x.schoolid IN (SELECT w.schoolid FROM edfi.staffschoolassociation w JOIN edfi.staff st "
            "USING (staffusi) WHERE st.loginid = :login) ORDER BY 1 LIMIT 1"), {"login": login}).one())


def a_res_student(demo_engine) -> tuple[int, str]:
    return a_student_with_discipline_served_by(demo_engine, "demo_front_office")


def test_a_clerk_pages_through_the_timeline_without_discipline_entries(window, qtbot, run_async, run_until,
                                                                       demo_engine, dynamo):
    usi, uid = a_res_student(demo_engine)
    put_timeline(dynamo, uid, 11)
    assert type_and_sign_in(qtbot, window, "demo_front_office", DEMO_PASSWORD, run_async)
    assert run_async(window.open_profile(usi))
    panel = window.profile_panel
    run_until(lambda: panel.timeline_model.rowCount() == 10)
    texts = [panel.timeline_model.text(i) for i in range(10)]
    assert texts[0].startswith("2026-11-02 08:10") and "on 2026-11-12" in texts[0]  # newest first
    assert panel.older.isVisibleTo(panel)  # more pages wait in DynamoDB
    assert not any(b.text() == "Discipline history" for b in panel.badge_buttons)
    panel.older.click()
    run_until(lambda: panel.timeline_model.rowCount() == 11)
    run_until(lambda: not panel.older.isVisibleTo(panel))
    assert all("iscipline" not in panel.timeline_model.text(i) for i in range(11))
    assert panel.timeline_model.text(10).startswith("2026-11-02 08:00")
    assert window.front_office.current.text().startswith("Working on ")  # the front office follows the profile


def test_a_dean_opens_the_discipline_history_from_the_profile(window, qtbot, run_async, run_until, demo_engine,
                                                             dynamo):
    usi, uid = a_student_with_discipline_served_by(demo_engine, "demo_dean")
    put_timeline(dynamo, uid, 2)
    assert type_and_sign_in(qtbot, window, "demo_dean", DEMO_PASSWORD, run_async)
    assert run_async(window.open_profile(usi))
    panel = window.profile_panel
    run_until(lambda: panel.timeline_model.rowCount() == 3)
    assert "Discipline incident INC-T-1 on 2026-11-01: Perpetrator" in panel.timeline_model.text(2)
    badge = next(b for b in panel.badge_buttons if b.text() == "Discipline history")
    assert badge.accessibleName() == "Discipline history (opens the discipline desk)"
    asked = []
    window.ask_reason = lambda name, kind: asked.append(kind) or "Preparing the parent conference"
    assert run_async(window.open_sensitive_record(usi, "discipline", "discipline"))
    assert asked == ["discipline"] and window.current_desk_key() == "discipline"
    page = window.discipline
    run_until(lambda: page.history_model.rowCount() > 0)
    assert page.tabs.currentIndex() == 2 and page.history_title.text().startswith(
        f"Discipline history of {panel.name.text()}")
    with demo_engine.connect() as c:
        view = c.execute(text("SELECT user_id, justification, data_categories FROM compliance.audit_logs "
                              "WHERE operation = 'VIEW' AND record_id = :r ORDER BY id DESC LIMIT 1"),
                         {"r": f'{{"studentusi": {usi}}}'}).one()
    assert view == ("demo_dean", "Preparing the parent conference", ["discipline"])


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1000)])
def test_with_a_student_open_the_search_field_stays_at_the_top(window, qtbot, run_async, run_until, demo_engine,
                                                               size):
    usi, _uid = a_res_student(demo_engine)
    with demo_engine.connect() as c:
        last = c.execute(text("SELECT lastsurname FROM edfi.student WHERE studentusi = :u"), {"u": usi}).scalar()
    window.resize(*size)
    assert type_and_sign_in(qtbot, window, "demo_front_office", DEMO_PASSWORD, run_async)
    box, panel = window.search_box, window.profile_panel
    field = box.field

    frame = window.centralWidget()  # below whatever menu bar the window has

    def field_top() -> int:
        return field.mapTo(frame, field.rect().topLeft()).y()

    def gap_below_field() -> int:  # from the field's bottom to the top of the desk page
        return window.pages.mapTo(frame, window.pages.rect().topLeft()).y() - (field_top() + field.height())

    field.setText(last)  # typing would also start the debounced search; one search is enough here
    run_async(box.search_now(last))
    # the results list sits between them, with room for the first five matches (or all, when fewer)
    rows = min(box.model.rowCount(), 5) * box.results.sizeHintForRow(0)
    assert box.results.isVisible() and gap_below_field() >= box.results.height() >= rows > 0
    chosen = box.model.hit(box.results.currentIndex().row()).student_usi
    qtbot.keyClick(field, Qt.Key.Key_Return)
    # at once, before the event loop turns again: the results are gone and so is their band
    assert not box.results.isVisible()
    assert field_top() < 30 and field.height() == field.sizeHint().height() and 0 <= gap_below_field() < 20
    run_until(lambda: panel.isVisible() and getattr(panel, "student_usi", None) == chosen)
    assert field_top() < 30 and field.height() == field.sizeHint().height() and 0 <= gap_below_field() < 20
    assert window.pages.height() > size[1] - 150  # the desk page takes the spare height


def test_a_demo_students_recent_activity_shows_the_seeded_absences(window, qtbot, run_async, run_until, demo_engine,
                                                                   dynamo, tmp_path):
    from app.sync.shipper import OutboxShipper

    skip, _ = a_res_student(demo_engine)  # the other tests here replace that student's timeline
    with demo_engine.connect() as c:
        usi, day, mark = c.execute(text(
            "SELECT a.studentusi, a.eventdate, d.codevalue FROM edfi.studentschoolattendanceevent a "
            "JOIN edfi.descriptor d ON d.descriptorid = a.attendanceeventcategorydescriptorid "
            "WHERE a.schoolid = 255950001 AND d.codevalue = 'Unexcused Absence' AND a.studentusi <> :skip "
            "ORDER BY a.eventdate DESC, a.studentusi LIMIT 1"), {"skip": skip}).one()
    shipper = OutboxShipper(demo_engine, lambda: dynamo)  # what the app's shipper does after the first start
    while shipper.ship_once(ignore_backoff=True).delivered:
        pass
    assert type_and_sign_in(qtbot, window, "demo_front_office", DEMO_PASSWORD, run_async)
    assert run_async(window.open_profile(usi))
    panel = window.profile_panel
    run_until(lambda: panel.timeline_model.rowCount() > 0)
    texts = [panel.timeline_model.text(i) for i in range(panel.timeline_model.rowCount())]
    window.grab().save(str(tmp_path / "profile-with-activity.png"))
    assert sum(f"Marked {mark} in " in t and f" on {day.isoformat()};" in t for t in texts) == 1
    assert panel.timeline_note.text() == ""  # not "No activity recorded yet."
