"""The audit trail of roster saves: one audit entry per statement (migration 0052), and the trail an
administrator reads still shows every student's mark: who, when, from what to what."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD
from app.security.session import sign_in
from app.services.attendance import Mark, load_roster, present_marks, save_roster
from app.services.attendance_office import sections_for_day
from app.services.audit_trail import AuditFilter, export_csv, list_audit

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)
SECTION_TABLE = "edfi.studentsectionattendanceevent"


@pytest.fixture
def room_12(demo_engine, login_engine):
    """The demo teacher signed in at ROOM-12, their first section on a school day nobody has marked
    (the second one of December: the concurrency tests use the first); committed saves are removed."""
    login_engine("demo_teacher")  # the demo sign-ins exist
    user, teacher = sign_in(demo_engine.url, "demo_teacher", DEMO_PASSWORD, workstation="ROOM-12")
    with demo_engine.connect() as c:
        day = c.execute(text(
            "SELECT e.date FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d "
            "ON d.descriptorid = e.calendareventdescriptorid JOIN edfi.educationorganization eo "
            "ON eo.educationorganizationid = e.schoolid WHERE eo.shortnameofinstitution = 'RHS' "
            "AND d.codevalue = 'Instructional day' AND e.date >= '2026-12-01' ORDER BY e.date OFFSET 1 LIMIT 1")).scalar()
    with teacher.connect() as c:
        key = sections_for_day(c, day, mine_only=True)[0].key
        roster = load_roster(c, key, day)
    assert not roster.taken and len(roster.lines) >= 4
    yield user, teacher, key, day, roster
    teacher.dispose()
    with demo_engine.begin() as c:
        usis = [line.student_usi for line in roster.lines]
        for table in ("studentsectionattendanceevent", "studentschoolattendanceevent"):
            c.execute(text(f"DELETE FROM edfi.{table} WHERE eventdate = :d AND studentusi = ANY(:u)"),
                      {"d": day, "u": usis})
        c.execute(text("DELETE FROM edfi.sectionattendancetakenevent WHERE date = :d"), {"d": day})
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->'Details'->>'date' = :d "
                       "OR item->>'Date' = :d"), {"d": day.isoformat()})


def codes(engine) -> dict[int, str]:
    with engine.connect() as c:
        return dict(c.execute(text("SELECT descriptorid, codevalue FROM edfi.descriptor "
                                   "WHERE namespace LIKE '%AttendanceEventCategoryDescriptor'")).all())


def marks_of(trail, day) -> list:
    """The trail's lines about section marks of `day` (what the audit screen lists)."""
    return [e for e in trail if e.table_name == SECTION_TABLE and json.loads(e.record_id)["eventdate"] == day.isoformat()]


def test_a_roster_save_is_one_entry_and_the_trail_shows_each_students_mark(room_12, demo_engine, login_engine):
    user, teacher, key, day, roster = room_12
    named = codes(demo_engine)
    absent, late, third = (line.student_usi for line in roster.lines[:3])
    uid = {line.student_usi: line.student_unique_id for line in roster.lines}
    started = datetime.now()
    with teacher.begin() as c:
        save_roster(c, key, day, present_marks(roster) | {absent: Mark("Unexcused Absence"),
                                                          late: Mark("Unexcused Absence")}, now=NOW, today=day)
    with demo_engine.connect() as c:  # one audit entry per statement and table, holding every row
        entries = c.execute(text(
            "SELECT table_name, operation, jsonb_array_length(new_values->'rows') FROM compliance.audit_logs "
            "WHERE user_id = 'demo_teacher' AND \"timestamp\" >= :t AND table_name LIKE 'edfi.%attendance%event' "
            "ORDER BY table_name"), {"t": started}).all()
    # attendance is recorded as exceptions: the two absences (and their days), and the day taken
    assert entries == [("edfi.sectionattendancetakenevent", "INSERT", None),
                       ("edfi.studentschoolattendanceevent", "INSERT", 2), (SECTION_TABLE, "INSERT", 2)]

    admin = login_engine("demo_admin")
    with admin.connect() as c:  # the administrator filters the trail by the absent student
        lines = marks_of(list_audit(c, AuditFilter(student_unique_id=uid[absent])), day)
        mine = AuditFilter(user="demo_teacher", table_name=SECTION_TABLE, date_from=started.date())
        everything = list_audit(c, mine, limit=1000)
        pages = [e for off in range(0, len(everything), 1) for e in list_audit(c, mine, limit=1, offset=off)]
    assert pages == everything and len(marks_of(everything, day)) == 2
    assert len(lines) == 1
    line = lines[0]
    assert (line.user_id, line.application_user, line.workstation, line.operation) == (
        "demo_teacher", user.staff_unique_id, "ROOM-12", "INSERT")
    assert abs(line.timestamp - datetime.now()) < timedelta(minutes=1)
    record = json.loads(line.record_id)  # the key this row's own entry would have had
    assert (record["studentusi"], record["sectionidentifier"]) == (absent, key.section_identifier)
    assert f"studentusi={absent}" in line.changes
    assert named[record["attendanceeventcategorydescriptorid"]] == "Unexcused Absence"

    # the re-save changes three marks: the absent student back to present (the mark deleted), the second
    # absence corrected to a tardy, a third student excused
    resaved = datetime.now()
    with teacher.begin() as c:
        result = save_roster(c, key, day, present_marks(roster) | {late: Mark("Tardy"), third: Mark("Excused Absence")},
                             now=NOW + timedelta(hours=1), today=day)
    assert result.changed == 3
    ids = {v: k for k, v in named.items()}
    with admin.connect() as c:
        changes = marks_of(list_audit(c, AuditFilter(user="demo_teacher", date_from=resaved.date())), day)
        mine = marks_of(list_audit(c, AuditFilter(student_unique_id=uid[absent])), day)
    changes = [e for e in changes if e.timestamp >= resaved]
    by_student = {json.loads(e.record_id)["studentusi"]: e for e in changes}
    assert len(changes) == 3 and set(by_student) == {absent, late, third}
    assert [by_student[u].operation for u in (absent, late, third)] == ["DELETE", "UPDATE", "INSERT"]
    unexcused = ids["Unexcused Absence"]
    # the deleted mark reads as what the teacher did: the old mark -> present
    assert by_student[absent].changes.startswith(f"attendanceeventcategorydescriptorid: {unexcused} → In Attendance")
    assert f"attendanceeventcategorydescriptorid: {unexcused} → {ids['Tardy']}" in by_student[late].changes
    # the student's own trail: the morning's mark, then the correction, newest first
    assert [e.operation for e in mine] == ["DELETE", "INSERT"]
    assert mine[0].changes == by_student[absent].changes and mine[0].application_user == user.staff_unique_id

    with admin.connect() as c:  # the CSV export has the same lines, with each row's old and new values
        rows = list(csv.DictReader(io.StringIO(export_csv(c, AuditFilter(student_unique_id=uid[absent])).decode())))
    rows = [r for r in rows if r["table"] == SECTION_TABLE and json.loads(r["record"])["eventdate"] == day.isoformat()]
    assert [r["operation"] for r in rows] == ["INSERT", "DELETE"]
    old = json.loads(rows[1]["old_values"])
    assert (old["studentusi"], old["attendanceeventcategorydescriptorid"]) == (absent, unexcused)
    assert rows[1]["new_values"] == ""


def test_a_single_row_statement_keeps_its_own_entry(demo_engine):
    """One changed row: the entry it always was (the row's key as the record, its images as values)."""
    with demo_engine.connect() as c:
        tx = c.begin()
        row = c.execute(text("SELECT studentusi, eventdate, id FROM edfi.studentsectionattendanceevent LIMIT 1")).one()
        c.execute(text("UPDATE edfi.studentsectionattendanceevent SET arrivaltime = '08:07' WHERE id = :i"),
                  {"i": row.id})
        entry = c.execute(text("SELECT operation, record_id, old_values->>'arrivaltime', new_values->>'arrivaltime', "
                               "new_values->>'studentusi' FROM compliance.audit_logs ORDER BY id DESC LIMIT 1")).one()
        tx.rollback()
    assert entry[0] == "UPDATE" and entry[3] == "08:07:00" and entry[4] == str(row.studentusi)
    assert json.loads(entry[1])["studentusi"] == row.studentusi


def test_a_bulk_statement_is_audited_in_entries_of_at_most_1000_rows(demo_engine):
    """An audited bulk load (an Ed-Fi import COPYs a district) must not build one giant entry: past 255 MB
    PostgreSQL refuses the value and the load would fail (migration 0056). The trail still lists every row."""
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            c.execute(text("CREATE TABLE public.t_audit_bulk (k integer PRIMARY KEY, v text)"))
            c.execute(text("SELECT compliance.attach_audit('public.t_audit_bulk')"))
            c.execute(text("INSERT INTO public.t_audit_bulk SELECT g, 'a' FROM generate_series(1, 2500) AS g"))
            c.execute(text("UPDATE public.t_audit_bulk SET v = 'b' WHERE k <= 1200"))
            sizes = c.execute(text(
                "SELECT operation, jsonb_array_length(coalesce(new_values, old_values)->'rows') FROM compliance.audit_logs "
                "WHERE table_name = 'public.t_audit_bulk' ORDER BY id")).all()
            trail = list(csv.DictReader(io.StringIO(export_csv(c, AuditFilter(table_name="public.t_audit_bulk")).decode())))
        finally:
            tx.rollback()
    assert sizes == [("INSERT", 1000), ("INSERT", 1000), ("INSERT", 500), ("UPDATE", 1000), ("UPDATE", 200)]
    inserted = sorted(json.loads(r["record"])["k"] for r in trail if r["operation"] == "INSERT")
    assert inserted == list(range(1, 2501))
    updates = [r for r in trail if r["operation"] == "UPDATE"]
    assert len(updates) == 1200 and all(json.loads(r["old_values"])["v"] == "a" and json.loads(r["new_values"])["v"] == "b"
                                        and json.loads(r["old_values"])["k"] == json.loads(r["new_values"])["k"]
                                        for r in updates)
