"""Forged DynamoDB records (issue 8, attack review): the outbox takes from a staff login only the
kinds of record its own desks write, about students it can see, in its own name (migration 0011).
Each attempt is what a curious user with psql could type; each is refused by the database."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.sync.outbox import enqueue, student_activity_item, system_event_item

pytestmark = pytest.mark.integration

NOW = datetime.now(timezone.utc)


def visible_student(engine) -> str:
    with engine.connect() as c:
        return c.execute(text("SELECT studentuniqueid FROM edfi.student ORDER BY studentusi LIMIT 1")).scalar_one()


@pytest.fixture(scope="module")
def elementary_student(demo_engine) -> str:
    """A student of the elementary school only: no high-school teacher or dean serves them."""
    with demo_engine.connect() as c:
        return c.execute(text(
            "SELECT s.studentuniqueid FROM edfi.student s JOIN edfi.studentschoolassociation a USING (studentusi) "
            "JOIN edfi.school sc USING (schoolid) JOIN edfi.educationorganization o "
            "ON o.educationorganizationid = sc.schoolid WHERE o.shortnameofinstitution = 'RES' "
            "ORDER BY s.studentusi LIMIT 1")).scalar_one()


def queue(engine, table: str, item: dict) -> None:
    with engine.begin() as c:
        enqueue(c, table, item)


def refused(engine, table: str, item: dict) -> bool:
    try:
        queue(engine, table, item)
    except DBAPIError as exc:
        return "may not queue it" in str(exc.orig)
    return False


def activity(student: str, kind: str, actor: str | None, at: datetime = NOW) -> dict:
    return student_activity_item(student, f"X{uuid.uuid4().hex[:8]}", at, kind, {"note": "forged?"}, actor)


def test_a_cashier_cannot_put_a_discipline_entry_on_a_timeline(login_engine):
    cashier = login_engine("demo_cashier")
    assert refused(cashier, "StudentActivityLogs",
                   activity(visible_student(cashier), "discipline.incident", "demo_cashier"))


def test_a_teacher_writes_attendance_entries_only_for_students_she_teaches(login_engine, elementary_student):
    teacher = login_engine("demo_teacher")
    mine = visible_student(teacher)
    queue(teacher, "StudentActivityLogs", activity(mine, "attendance.marked", "demo_teacher"))  # her own desk's kind
    assert refused(teacher, "StudentActivityLogs", activity(elementary_student, "attendance.marked", "demo_teacher"))
    assert refused(teacher, "StudentActivityLogs", activity(mine, "enrollment.withdrawn", "demo_teacher"))


def test_nobody_writes_in_another_persons_name_or_from_the_future(login_engine):
    dean = login_engine("demo_dean")
    student = visible_student(dean)
    assert refused(dean, "StudentActivityLogs", activity(student, "discipline.incident", "demo_admin"))
    with dean.connect() as c:
        me = c.execute(text("SELECT compliance.my_staff_unique_id()")).scalar_one()
        someone_else = c.execute(text("SELECT staffuniqueid FROM edfi.staff WHERE staffuniqueid <> :me LIMIT 1"),
                                 {"me": me}).scalar_one()
    queue(dean, "StudentActivityLogs", activity(student, "discipline.incident", me))  # her staff id: what desks record
    assert refused(dean, "StudentActivityLogs", activity(student, "discipline.incident", someone_else))
    assert refused(dean, "StudentActivityLogs",
                   activity(student, "discipline.incident", "demo_dean", at=NOW + timedelta(days=3)))
    queue(dean, "StudentActivityLogs", activity(student, "discipline.incident", None))  # no actor named: allowed


def test_keys_must_agree_with_the_student_and_time_they_name(login_engine, elementary_student):
    dean = login_engine("demo_dean")
    item = activity(visible_student(dean), "discipline.incident", "demo_dean")
    # a visible student in StudentUniqueId, but the keys file it on another student's timeline
    assert refused(dean, "StudentActivityLogs", {**item, "PK": f"STUDENT#{elementary_student}",
                                                  "GSI1SK": f"STUDENT#{elementary_student}"})
    assert refused(dean, "StudentActivityLogs", {**item, "GSI1PK": "DATE#2020-01-01"})
    assert refused(dean, "StudentActivityLogs", {**item, "SK": "ACTIVITY#2020-01-01T00:00:00.000Z#x"})


def test_family_notices_only_for_students_the_writer_serves(login_engine, elementary_student):
    teacher = login_engine("demo_teacher")
    notice = {"PK": "USER#parent-1", "SK": f"NOTIFICATION#{NOW:%Y%m%d}#{uuid.uuid4().hex[:6]}", "Type": "absence",
              "StudentUniqueId": elementary_student, "Message": "Your child was absent."}
    assert refused(teacher, "NotificationQueue", notice)
    assert refused(teacher, "NotificationQueue", {**notice, "StudentUniqueId": visible_student(teacher),
                                                   "Type": "debt"})  # not a kind her desk sends


def test_system_events_and_sessions_only_of_the_writers_own_kinds(login_engine):
    clerk = login_engine("demo_front_office")
    assert refused(clerk, "SystemEvents", system_event_item("security", "e1", NOW, "login.created", {"login": "x"}))
    assert refused(clerk, "SystemEvents", system_event_item("schema", "e2", NOW, "schema.migrated", {}))
    assert refused(clerk, "UserSessions", {"SessionId": str(uuid.uuid4()), "UserId": "demo_admin"})
    queue(clerk, "UserSessions", {"SessionId": str(uuid.uuid4()), "UserId": "demo_front_office"})
    admin = login_engine("demo_admin")
    queue(admin, "SystemEvents", system_event_item("security", "e3", NOW, "login.created", {"login": "x"}))


def test_one_forged_item_refuses_the_whole_statement(login_engine, demo_engine):
    """The attendance save queues its records in one statement: a forged item among good ones
    refuses them all, so nothing of the save is written."""
    teacher = login_engine("demo_teacher")
    mine = visible_student(teacher)
    good = activity(mine, "attendance.marked", "demo_teacher")
    bad = activity(mine, "discipline.incident", "demo_teacher")
    with teacher.connect() as c:
        with pytest.raises(DBAPIError, match="may not queue it"):
            c.execute(text("INSERT INTO sync.dynamo_outbox (target_table, item) SELECT 'StudentActivityLogs', i "
                           "FROM unnest(CAST(:items AS jsonb[])) AS i"), {"items": [json.dumps(good), json.dumps(bad)]})
        c.rollback()
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM sync.dynamo_outbox WHERE item->>'SK' = :sk"),
                         {"sk": good["SK"]}).scalar() == 0


def test_an_oversized_item_is_refused(login_engine):
    teacher = login_engine("demo_teacher")
    item = activity(visible_student(teacher), "attendance.marked", "demo_teacher")
    item["Details"] = {"blob": uuid.uuid4().hex * 5000}  # 160 KB, random so TOAST cannot shrink it
    assert refused(teacher, "StudentActivityLogs", item)


def test_staff_read_the_writers_list_but_cannot_change_it(login_engine):
    admin = login_engine("demo_admin")
    with admin.connect() as c:
        assert c.execute(text("SELECT count(*) FROM sync.outbox_writers")).scalar() > 0
        for sql in ("INSERT INTO sync.outbox_writers VALUES ('StudentActivityLogs', 'x', 'so_cashier')",
                    "DELETE FROM sync.outbox_writers", "UPDATE sync.outbox_writers SET writer_role = 'so_cashier'"):
            with pytest.raises(DBAPIError, match="permission denied"):
                c.execute(text(sql))
            c.rollback()
