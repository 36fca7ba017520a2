"""Taking attendance against the real demo district (each test rolls its changes back)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from app.errors import UserError
from app.services.attendance import Mark, SectionKey, load_roster, present_marks, save_roster
from app.services.attendance_office import sections_for_day
from tests.conftest import DEMO_AS_OF, rolled_back

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 14, 5, tzinfo=timezone.utc)


@pytest.fixture
def conn(demo_engine):
    yield from rolled_back(demo_engine)


def section(conn, school_short: str, period: str) -> SectionKey:
    row = conn.execute(text(
        "SELECT s.localcoursecode, s.schoolid, s.schoolyear, s.sectionidentifier, s.sessionname FROM edfi.section s "
        "JOIN edfi.sectionclassperiod p USING (localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname) "
        "JOIN edfi.educationorganization eo ON eo.educationorganizationid = s.schoolid "
        "WHERE eo.shortnameofinstitution = :s AND p.classperiodname = :p AND s.sessionname LIKE '%Fall%' "
        "ORDER BY (SELECT count(*) FROM edfi.studentsectionassociation a WHERE a.sectionidentifier = "
        "s.sectionidentifier AND a.schoolid = s.schoolid AND a.sessionname = s.sessionname) DESC, "
        "s.sectionidentifier LIMIT 1"), {"s": school_short, "p": period}).one()
    return SectionKey(*row)


def test_a_past_day_reopens_with_what_was_saved(conn):
    key = section(conn, "RHS", "Period 2")
    roster = load_roster(conn, key, date(2026, 11, 19))
    assert 10 <= len(roster.lines) <= 28
    assert all(line.mark is not None for line in roster.lines) and roster.taken
    assert {"In Attendance", "Excused Absence", "Unexcused Absence", "Tardy"} <= set(roster.codes)
    assert [line.name for line in roster.lines] == sorted(line.name for line in roster.lines)


def test_saving_a_roster_marks_rolls_up_and_queues_records(conn):
    key = section(conn, "RHS", "Period 1")
    roster = load_roster(conn, key, DEMO_AS_OF)
    assert not roster.taken
    marks = present_marks(roster)
    absent, late = roster.lines[0].student_usi, roster.lines[1].student_usi
    marks[absent] = Mark("Unexcused Absence")
    marks[late] = Mark("Tardy", time(8, 12))
    result = save_roster(conn, key, DEMO_AS_OF, marks, actor="S00042", now=NOW, today=DEMO_AS_OF)
    assert result.saved == len(roster.lines) and result.changed == len(roster.lines)
    again = load_roster(conn, key, DEMO_AS_OF)
    assert {line.student_usi: line.mark.code for line in again.lines} == {u: m.code for u, m in marks.items()}
    assert next(line for line in again.lines if line.student_usi == late).mark.arrival == time(8, 12)
    # one period missed out of six is a partial day; the late student's day is Tardy
    assert result.daily[absent] == "Partial" and result.daily[late] == "Tardy"
    daily = dict(conn.execute(text(
        "SELECT e.studentusi, d.codevalue FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d "
        "ON d.descriptorid = e.attendanceeventcategorydescriptorid WHERE e.eventdate = :d AND e.studentusi = ANY(:u)"),
        {"d": DEMO_AS_OF, "u": [absent, late]}).all())
    assert daily == {absent: "Partial", late: "Tardy"}
    activities = conn.execute(text("SELECT count(*) FROM sync.items_of_this_transaction() WHERE target_table = 'StudentActivityLogs' "
                                   "AND item->'Details'->>'date' = :d AND item->'Details'->>'section' = :s"),
                              {"d": DEMO_AS_OF.isoformat(), "s": key.section_identifier}).scalar()
    assert activities == 2  # the absence and the tardy: a first "present" is no news for the timeline
    # recorded as exceptions: the day is taken (by the signed-in teacher, if any), the presents have no row
    taken = conn.execute(text(
        "SELECT eventdate, calendarcode FROM edfi.sectionattendancetakenevent WHERE date = :d AND "
        "localcoursecode = :lcc AND schoolid = :sid AND schoolyear = :sy AND sectionidentifier = :sec "
        "AND sessionname = :sess"), {**key.params(), "d": DEMO_AS_OF}).all()
    assert len(taken) == 1 and taken[0][0] == DEMO_AS_OF
    stored = conn.execute(text(
        "SELECT studentusi FROM edfi.studentsectionattendanceevent WHERE eventdate = :d AND localcoursecode = :lcc "
        "AND schoolid = :sid AND sectionidentifier = :sec"), {**key.params(), "d": DEMO_AS_OF}).scalars().all()
    assert sorted(stored) == sorted([absent, late])


def test_finishing_a_half_taken_roster_updates_and_adds_in_one_save(conn):
    """The save writes only the parts that have rows; a roster half taken earlier needs them all:
    changed marks and daily statuses updated, the rest of the class added."""
    key = section(conn, "RHS", "Period 1")
    roster = load_roster(conn, key, DEMO_AS_OF)
    assert not roster.taken
    first_half = [line.student_usi for line in roster.lines[:4]]
    save_roster(conn, key, DEMO_AS_OF, {u: Mark("In Attendance") for u in first_half}, now=NOW, today=DEMO_AS_OF)
    marks = present_marks(load_roster(conn, key, DEMO_AS_OF))
    changed, newcomer = first_half[0], roster.lines[-1].student_usi
    marks[changed] = Mark("Excused Absence")
    marks[newcomer] = Mark("Unexcused Absence")
    result = save_roster(conn, key, DEMO_AS_OF, marks, now=NOW, today=DEMO_AS_OF)
    # the first save took the day: everyone it did not name was present from then on (exceptions), so
    # the second save's news are the two absences
    assert result.changed == 2
    again = load_roster(conn, key, DEMO_AS_OF)
    assert {line.student_usi: line.mark.code for line in again.lines} == {u: m.code for u, m in marks.items()}
    daily = dict(conn.execute(text(
        "SELECT e.studentusi, d.codevalue FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d "
        "ON d.descriptorid = e.attendanceeventcategorydescriptorid WHERE e.eventdate = :d AND e.studentusi = ANY(:u)"),
        {"d": DEMO_AS_OF, "u": [u for u, _ in marks.items()]}).all())
    assert daily[changed] == daily[newcomer] == "Partial"  # one of six periods missed: the update and the insert
    assert len(daily) == 2  # a present day has no daily row: it is implied by the taken event
    assert all(line.mark == Mark("In Attendance") for line in again.lines if line.student_usi not in daily)


def test_a_homeroom_absence_notifies_the_primary_contact_once(conn):
    key = section(conn, "RES", "Homeroom")
    roster = load_roster(conn, key, DEMO_AS_OF)
    marks = present_marks(roster)
    absent = roster.lines[3].student_usi
    marks[absent] = Mark("Excused Absence")
    result = save_roster(conn, key, DEMO_AS_OF, marks, now=NOW, today=DEMO_AS_OF)
    assert result.daily[absent] == "Excused Absence"
    save_roster(conn, key, DEMO_AS_OF, marks, now=NOW, today=DEMO_AS_OF)  # saved again: same notification key
    items = conn.execute(text("SELECT item FROM sync.items_of_this_transaction() WHERE target_table = 'NotificationQueue'")).scalars()
    mine = [i for i in items if i["Date"] == DEMO_AS_OF.isoformat()]
    assert len({(i["PK"], i["SK"]) for i in mine}) == 1
    primary = conn.execute(text(
        "SELECT c.contactuniqueid FROM edfi.studentcontactassociation a JOIN edfi.contact c USING (contactusi) "
        "WHERE a.studentusi = :u ORDER BY a.primarycontactstatus DESC, a.contactpriority LIMIT 1"), {"u": absent}).scalar()
    assert mine[0]["PK"] == f"USER#{primary}" and "excused absence" in mine[0]["Message"]


def test_a_late_change_is_allowed_and_audited(conn):
    key = section(conn, "RMS", "Period 3")
    day = date(2026, 11, 18)
    roster = load_roster(conn, key, day)
    student = next(line for line in roster.lines if line.mark == Mark("In Attendance"))
    marks = {line.student_usi: line.mark for line in roster.lines}
    codes = dict(conn.execute(text("SELECT codevalue, descriptorid FROM edfi.descriptor "
                                   "WHERE namespace LIKE '%AttendanceEventCategoryDescriptor'")).all())

    def trail():
        return conn.execute(text(
            "SELECT operation, (old_values->>'attendanceeventcategorydescriptorid')::int, "
            "(new_values->>'attendanceeventcategorydescriptorid')::int FROM compliance.audit_logs "
            "WHERE table_name = 'edfi.studentsectionattendanceevent' AND timestamp >= now() - interval '1 minute' "
            "AND coalesce(old_values, new_values)->>'studentusi' = :u ORDER BY id"),
            {"u": str(student.student_usi)}).all()
    marks[student.student_usi] = Mark("Excused Absence")
    assert save_roster(conn, key, day, marks, now=NOW, today=DEMO_AS_OF).changed == 1
    # present -> excused: the exception is written, audited as an insert
    assert trail() == [("INSERT", None, codes["Excused Absence"])]
    marks[student.student_usi] = Mark("Tardy", time(8, 20))
    save_roster(conn, key, day, marks, now=NOW, today=DEMO_AS_OF)
    marks[student.student_usi] = Mark("In Attendance")
    result = save_roster(conn, key, day, marks, now=NOW, today=DEMO_AS_OF)
    assert result.changed == 1 and result.daily[student.student_usi] == "In Attendance"
    # excused -> tardy is an update; back to present deletes the exception (the old mark is in the trail)
    assert trail() == [("INSERT", None, codes["Excused Absence"]),
                       ("UPDATE", codes["Excused Absence"], codes["Tardy"]), ("DELETE", codes["Tardy"], None)]
    line = next(x for x in load_roster(conn, key, day).lines if x.student_usi == student.student_usi)
    assert line.mark == Mark("In Attendance")
    teacher_rows = conn.execute(text(
        "SELECT count(*) FROM edfi.studentschoolattendanceevent WHERE studentusi = :u AND eventdate = :d "
        "AND attendanceeventreason IS NULL"), {"u": student.student_usi, "d": day}).scalar()
    assert teacher_rows == 0  # the day became a present one again: its roll-up row is gone


@pytest.mark.parametrize("day,today,expected", [
    (date(2026, 11, 21), date(2026, 11, 30), "Saturday, November 21, 2026 is not a school day"),
    (date(2026, 11, 26), date(2026, 11, 30), "Thursday, November 26, 2026 is not a school day"),  # Thanksgiving
    (date(2026, 11, 23), DEMO_AS_OF, "cannot be taken before the day comes"),
])
def test_days_that_cannot_be_taken(conn, day, today, expected):
    key = section(conn, "RHS", "Period 1")
    roster = load_roster(conn, key, date(2026, 11, 19))
    with pytest.raises(UserError, match=expected):
        save_roster(conn, key, day, present_marks(roster), now=NOW, today=today)


def test_a_student_not_in_the_section_is_named_and_nothing_is_saved(conn):
    key = section(conn, "RHS", "Period 1")
    roster = load_roster(conn, key, DEMO_AS_OF)
    outsider = conn.execute(text("SELECT studentusi, firstname || ' ' || lastsurname FROM edfi.student "
                                 "WHERE studentusi <> ALL(:u) ORDER BY studentusi LIMIT 1"),
                            {"u": [line.student_usi for line in roster.lines]}).one()
    marks = present_marks(roster)
    marks[outsider[0]] = Mark("In Attendance")
    with pytest.raises(UserError) as err:
        save_roster(conn, key, DEMO_AS_OF, marks, now=NOW, today=DEMO_AS_OF)
    assert err.value.message == f"{outsider[1]} is not enrolled in this section on November 20; remove them from the roster."
    assert not load_roster(conn, key, DEMO_AS_OF).taken


def test_an_unknown_code_is_named(conn):
    key = section(conn, "RHS", "Period 1")
    roster = load_roster(conn, key, DEMO_AS_OF)
    marks = present_marks(roster)
    marks[roster.lines[0].student_usi] = Mark("Sleeping")
    with pytest.raises(UserError, match="Sleeping is not an attendance code"):
        save_roster(conn, key, DEMO_AS_OF, marks, now=NOW, today=DEMO_AS_OF)


def test_a_day_outside_the_sections_term_is_refused_and_nothing_is_saved(conn):
    key = section(conn, "RHS", "Period 1")  # a Fall section
    roster = load_roster(conn, key, DEMO_AS_OF)
    spring_day = conn.execute(text(
        "SELECT min(e.date) FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d "
        "ON d.descriptorid = e.calendareventdescriptorid WHERE e.schoolid = :s AND d.codevalue = 'Instructional day' "
        "AND e.date > (SELECT enddate FROM edfi.session WHERE schoolid = :s AND sessionname = :n)"),
        {"s": key.school_id, "n": key.session_name}).scalar()
    with pytest.raises(UserError) as err:
        save_roster(conn, key, spring_day, present_marks(roster), now=NOW, today=spring_day)
    assert err.value.message == (
        f"{roster.title} meets from August 17, 2026 to December 18, 2026 ({key.session_name}), so attendance for "
        f"{spring_day:%A, %B %d, %Y} cannot be saved for it; pick a day in that term.")
    saved = conn.execute(text("SELECT count(*) FROM edfi.studentsectionattendanceevent WHERE eventdate = :d"),
                         {"d": spring_day}).scalar()
    assert saved == 0


def _suspend(conn, student_usi: int, school_id: int, day: date) -> str:
    """The dean's suspension, written into the day's attendance by the discipline service."""
    from app.services import discipline as D

    staff = conn.execute(text("SELECT staffusi FROM edfi.staff ORDER BY 1 LIMIT 1")).scalar()
    ident = D.record_incident(conn, D.NewIncident(
        school_id=school_id, incident_date=day, incident_time=time(8, 5), location="Cafeteria area",
        description="Pushed a student in the hallway.", reporter_description="Staff", reporter_name="Ms. Rivera",
        reported_to_law_enforcement=False, cost="",
        students=(D.InvolvedStudent(student_usi, "Perpetrator", ("School Code of Conduct",)),),
        weapons=(), staff_usis=(staff,)), now=NOW, today=day)
    action = D.record_action(conn, D.NewAction(student_usi, ident, school_id, "School Code of Conduct",
                                               "Out of School Suspension", day, "1", generate_attendance=True), now=NOW)
    return action.identifier


def test_the_roster_shows_the_offices_suspension_and_the_save_keeps_it(conn):
    key = section(conn, "RHS", "Period 1")
    suspended = load_roster(conn, key, DEMO_AS_OF).lines[2]
    ident = _suspend(conn, suspended.student_usi, key.school_id, DEMO_AS_OF)
    roster = load_roster(conn, key, DEMO_AS_OF)
    line = next(x for x in roster.lines if x.student_usi == suspended.student_usi)
    assert line.mark is None and line.office.code == "Excused Absence" and ident in line.office.reason
    assert all(x.office is None for x in roster.lines if x is not line)
    marks = present_marks(roster)  # Mark all present leaves the suspended student absent
    assert marks[line.student_usi] == Mark("Excused Absence")
    assert sum(m == Mark("In Attendance") for m in marks.values()) == len(roster.lines) - 1
    # the teacher overrides it (the screen asked first): the period mark is hers, the day stays the office's
    marks[line.student_usi] = Mark("In Attendance")
    save_roster(conn, key, DEMO_AS_OF, marks, now=NOW, today=DEMO_AS_OF)
    day = conn.execute(text(
        "SELECT d.codevalue, e.attendanceeventreason FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d "
        "ON d.descriptorid = e.attendanceeventcategorydescriptorid WHERE e.studentusi = :u AND e.eventdate = :d"),
        {"u": line.student_usi, "d": DEMO_AS_OF}).all()
    assert [(c, ident in r) for c, r in day] == [("Excused Absence", True)]
    again = next(x for x in load_roster(conn, key, DEMO_AS_OF).lines if x.student_usi == line.student_usi)
    assert again.mark == Mark("In Attendance") and again.office.code == "Excused Absence"


def test_a_students_term_calendar_as_the_clerk(login_engine, demo_engine):
    from app.services.attendance import student_attendance_calendar
    from tests.integration.attendance_recount import recorded_days

    with demo_engine.connect() as c:  # a student of another school only, found as the owner
        other = c.execute(text(
            "SELECT a.studentusi FROM edfi.studentschoolassociation a JOIN edfi.educationorganization eo "
            "ON eo.educationorganizationid = a.schoolid WHERE eo.shortnameofinstitution = 'RHS' "
            "AND a.studentusi NOT IN (SELECT studentusi FROM edfi.studentschoolassociation x "
            "JOIN edfi.educationorganization o ON o.educationorganizationid = x.schoolid "
            "WHERE o.shortnameofinstitution = 'RES') ORDER BY 1 LIMIT 1")).scalar()
    assert other is not None
    with login_engine("demo_front_office").connect() as c:
        usi = c.execute(text("SELECT a.studentusi FROM edfi.studentschoolassociation a "
                             "JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid "
                             "WHERE eo.shortnameofinstitution = 'RES' ORDER BY 1 LIMIT 1")).scalar()
        cal = student_attendance_calendar(c, usi, today=DEMO_AS_OF)
        # the days a class of the student was taken are present ones, unless a daily row says otherwise
        recorded = recorded_days(c, usi)
        spring = student_attendance_calendar(c, usi, cal.sessions[-1], today=DEMO_AS_OF)
        with pytest.raises(UserError, match="no school enrollment you can see"):
            student_attendance_calendar(c, other, today=DEMO_AS_OF)
    assert cal.session_name.endswith("Fall Semester")
    assert (cal.begins, cal.ends) == (date(2026, 8, 17), date(2026, 12, 18))
    by_day = {d.day: d for d in cal.days}
    assert all(d.day.weekday() < 5 for d in cal.days) and len(cal.days) == 90
    assert not by_day[date(2026, 11, 26)].school_day  # Thanksgiving
    # every school day so far shows what was recorded, and nothing after it
    in_term = {k: v for k, v in recorded.items() if cal.begins <= k <= cal.ends}
    assert {d.day: d.status for d in cal.days if d.status} == in_term
    assert all(d.status is None for d in cal.days if d.day >= DEMO_AS_OF)
    assert sum(cal.counts().values()) == len([k for k in recorded if cal.begins <= k <= cal.ends])
    # the clerk sees present days that have no row of their own: most of the term so far
    assert cal.counts()["In Attendance"] > 40
    assert spring.session_name.endswith("Spring Semester") and all(d.status is None for d in spring.days)


def test_the_roster_check_reads_only_what_its_caller_may_read(login_engine, demo_engine):
    """edfi.attendance_roster_check (migration 0054) runs as its caller: a teacher who names another
    teacher's section and its students gets no student back (a SECURITY DEFINER version would list them:
    review s7 LOW 1), their own section reads as usual, and a cashier may not call it."""
    teacher, day = login_engine("demo_teacher"), date(2026, 11, 19)
    with demo_engine.connect() as c:
        # a section of the same term none of whose students the demo teacher teaches, and its students that day
        other = SectionKey(*c.execute(text(
            "SELECT s.localcoursecode, s.schoolid, s.schoolyear, s.sectionidentifier, s.sessionname "
            "FROM edfi.section s JOIN edfi.session t USING (schoolid, schoolyear, sessionname) "
            "WHERE :d BETWEEN t.begindate AND t.enddate AND EXISTS (SELECT 1 FROM edfi.studentsectionassociation a "
            "  WHERE (a.localcoursecode, a.schoolid, a.schoolyear, a.sectionidentifier, a.sessionname) = "
            "        (s.localcoursecode, s.schoolid, s.schoolyear, s.sectionidentifier, s.sessionname)) "
            "AND NOT EXISTS (SELECT 1 FROM edfi.studentsectionassociation a JOIN compliance.teacher_scope ts "
            "  ON ts.studentusi = a.studentusi JOIN edfi.staff st ON st.staffusi = ts.staffusi "
            "  WHERE st.loginid = 'demo_teacher' AND (a.localcoursecode, a.schoolid, a.schoolyear, "
            "  a.sectionidentifier, a.sessionname) = (s.localcoursecode, s.schoolid, s.schoolyear, "
            "  s.sectionidentifier, s.sessionname)) ORDER BY s.sectionidentifier LIMIT 1"), {"d": day}).one())
        theirs = c.execute(text(
            "SELECT studentusi FROM edfi.studentsectionassociation WHERE localcoursecode = :lcc AND schoolid = :sid "
            "AND schoolyear = :sy AND sectionidentifier = :sec AND sessionname = :sess AND begindate <= :d "
            "AND (enddate IS NULL OR enddate >= :d) ORDER BY 1"), {**other.params(), "d": day}).scalars().all()
        definer = c.execute(text("SELECT prosecdef FROM pg_proc WHERE oid = 'edfi.attendance_roster_check'::regproc")
                            ).scalar()
    assert theirs and definer is False
    with teacher.connect() as c:
        key = sections_for_day(c, day, mine_only=True)[0].key
        mine = [line.student_usi for line in load_roster(c, key, day).lines]
    call = ("SELECT studentusi, name FROM edfi.attendance_roster_check(:lcc, CAST(:sid AS bigint), "
            "CAST(:sy AS smallint), :sec, :sess, :day, CAST(:marks AS json), ARRAY['Excused Absence'], "
            "CAST(:usis AS int[])) WHERE studentusi IS NOT NULL")

    def params(section: SectionKey, usis: list[int]) -> dict:
        return {**section.params(), "day": day, "usis": usis,
                "marks": json.dumps([{"u": u, "code": "Excused Absence"} for u in usis])}
    with teacher.begin() as c:
        assert c.execute(text(call), params(other, theirs)).all() == []  # nobody of another teacher's class
        assert sorted(c.execute(text(call), params(key, mine)).scalars()) == sorted(mine)
    cashier = login_engine("demo_cashier")
    with pytest.raises(ProgrammingError, match="permission denied for function attendance_roster_check"):
        with cashier.begin() as c:
            c.execute(text(call), params(key, mine))


def test_converting_a_district_already_recorded_as_exceptions_changes_nothing(conn):
    """Migration 0068's conversion (also run after an Ed-Fi XML import) on a district that holds
    exceptions already: no taken day added, no mark or daily status removed."""
    from app.services.attendance_days import record_as_exceptions

    counts = ("SELECT (SELECT count(*) FROM edfi.sectionattendancetakenevent), "
              "(SELECT count(*) FROM edfi.studentsectionattendanceevent), "
              "(SELECT count(*) FROM edfi.studentschoolattendanceevent)")
    before = conn.execute(text(counts)).one()
    assert before[0] > 0 and before[1] > 0
    record_as_exceptions(conn)
    assert conn.execute(text(counts)).one() == before
