"""Attendance recorded as exceptions (migration 0068), attacked the way a curious staff member with
psql would: the taken-event table and the new DELETE privileges, signed in as each role concerned."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.test_security import denied, run

pytestmark = pytest.mark.integration
RES, RMS, RHS = 255950001, 255950002, 255950003
TAKEN = "edfi.sectionattendancetakenevent"


def owner_rows(demo_engine, sql, **params):
    with demo_engine.connect() as c:
        return c.execute(text(sql), params).all()


def _copy_taken(demo_engine, where: str, staff: str = "(SELECT compliance.my_staff_usi())",
                day: str | None = None) -> str:
    """An INSERT of a taken event with the values of an existing one (read as the owner) on the
    calendar's next day that section has not taken (or `day`), taken by `staff` (the signed-in one)."""
    row = owner_rows(demo_engine, f"""
        SELECT cd.calendarcode, cd.date, t.localcoursecode, t.schoolid, t.schoolyear, t.sectionidentifier,
               t.sessionname FROM {TAKEN} t JOIN edfi.calendardate cd ON cd.calendarcode = t.calendarcode
           AND cd.schoolid = t.schoolid AND cd.schoolyear = t.schoolyear AND cd.date > t.date
         WHERE {where} AND NOT EXISTS (SELECT 1 FROM {TAKEN} x WHERE x.date = cd.date
               AND x.sectionidentifier = t.sectionidentifier AND x.schoolid = t.schoolid)
         ORDER BY cd.date LIMIT 1""")[0]
    values = ["'" + str(v).replace("'", "''") + "'" for v in row]
    if day is not None:
        values[1] = day
    return (f"INSERT INTO {TAKEN} (calendarcode, date, localcoursecode, schoolid, schoolyear, sectionidentifier, "
            f"sessionname, eventdate, staffusi) VALUES ({', '.join(values)}, current_date, {staff})")


@pytest.mark.parametrize("login", ["demo_cashier", "demo_librarian", "demo_transportation"])
def test_roles_without_an_attendance_desk_cannot_read_or_write_taken_days(login_engine, login):
    eng = login_engine(login)
    assert denied(eng, f"SELECT count(*) FROM {TAKEN}")
    assert denied(eng, f"DELETE FROM {TAKEN}")
    assert denied(eng, "DELETE FROM edfi.studentsectionattendanceevent")


def test_a_teacher_cannot_mark_another_teachers_section_taken(login_engine, demo_engine):
    teacher = login_engine("demo_teacher")
    others = owner_rows(demo_engine, f"""
        SELECT t.sectionidentifier FROM {TAKEN} t WHERE NOT EXISTS (
            SELECT 1 FROM edfi.staffsectionassociation ssa JOIN edfi.staff st ON st.staffusi = ssa.staffusi
             WHERE st.loginid = 'demo_teacher' AND ssa.sectionidentifier = t.sectionidentifier
               AND ssa.schoolid = t.schoolid AND ssa.sessionname = t.sessionname) LIMIT 1""")
    assert others
    with pytest.raises(Exception, match="row-level security"):
        run(teacher, _copy_taken(demo_engine, f"t.sectionidentifier = '{others[0][0]}'"))
    # nor may a teacher take back a day they took, move it or say someone else took it: the registrar's
    # correction (review s8 MEDIUM 2)
    assert denied(teacher, f"DELETE FROM {TAKEN}")
    assert denied(teacher, f"UPDATE {TAKEN} SET date = date + 1")
    assert denied(teacher, f"UPDATE {TAKEN} SET staffusi = 1")
    mine = owner_rows(demo_engine, f"""
        SELECT t.sectionidentifier, (SELECT min(staffusi) FROM edfi.staff WHERE loginid IS DISTINCT FROM 'demo_teacher')
          FROM {TAKEN} t JOIN edfi.staffsectionassociation ssa ON ssa.sectionidentifier = t.sectionidentifier
           AND ssa.schoolid = t.schoolid AND ssa.sessionname = t.sessionname
          JOIN edfi.staff st ON st.staffusi = ssa.staffusi AND st.loginid = 'demo_teacher' LIMIT 1""")[0]
    own = f"t.sectionidentifier = '{mine[0]}'"
    with pytest.raises(Exception, match="row-level security"):  # "taken by" another staff member
        run(teacher, _copy_taken(demo_engine, own, staff=str(mine[1])))
    with pytest.raises(Exception, match="row-level security"):  # a day next month marked taken ahead
        run(teacher, _copy_taken(demo_engine, own, day="current_date + 30"))
    assert run(teacher, _copy_taken(demo_engine, own)) == 1  # as herself, a day that has come: the save's insert


def test_a_teacher_deletes_only_marks_of_sections_they_teach_and_never_the_offices_day(login_engine, demo_engine):
    """The DELETE privilege a mark going back to present needs, tried on rows the teacher can see but
    must not remove: another teacher's section mark of a shared student, the office's daily record."""
    teacher = login_engine("demo_teacher")
    mine = run(teacher, "SELECT count(*) FROM edfi.studentsectionattendanceevent")[0][0]
    theirs = run(teacher, """
        SELECT count(*) FROM edfi.studentsectionattendanceevent e WHERE NOT EXISTS (
            SELECT 1 FROM edfi.staffsectionassociation ssa JOIN edfi.staff st ON st.staffusi = ssa.staffusi
             WHERE st.loginid = 'demo_teacher' AND ssa.sectionidentifier = e.sectionidentifier
               AND ssa.schoolid = e.schoolid AND ssa.sessionname = e.sessionname)""")[0][0]
    assert mine > theirs > 0  # visible: marks of the teacher's students in other teachers' classes
    deleted = run(teacher, """
        DELETE FROM edfi.studentsectionattendanceevent e WHERE NOT EXISTS (
            SELECT 1 FROM edfi.staffsectionassociation ssa JOIN edfi.staff st ON st.staffusi = ssa.staffusi
             WHERE st.loginid = 'demo_teacher' AND ssa.sectionidentifier = e.sectionidentifier
               AND ssa.schoolid = e.schoolid AND ssa.sessionname = e.sessionname)""")
    assert deleted == 0
    # nor turned into a present (or anything else) by an update (review s8 MEDIUM 1)
    changed = run(teacher, """
        UPDATE edfi.studentsectionattendanceevent e SET arrivaltime = '08:00' WHERE NOT EXISTS (
            SELECT 1 FROM edfi.staffsectionassociation ssa JOIN edfi.staff st ON st.staffusi = ssa.staffusi
             WHERE st.loginid = 'demo_teacher' AND ssa.sectionidentifier = e.sectionidentifier
               AND ssa.schoolid = e.schoolid AND ssa.sessionname = e.sessionname)""")
    assert changed == 0
    # the office's record of a day (a reason: here a note from home the teacher can see) stays
    with demo_engine.connect() as c:
        tx = c.begin()
        c.execute(text("UPDATE edfi.studentschoolattendanceevent x SET attendanceeventreason = 'Note from home' "
                       "WHERE (x.studentusi, x.eventdate) IN (SELECT e.studentusi, e.eventdate FROM "
                       "edfi.studentschoolattendanceevent e JOIN compliance.teacher_scope ts "
                       "ON ts.studentusi = e.studentusi "
                       "JOIN edfi.staff st ON st.staffusi = ts.staffusi WHERE st.loginid = 'demo_teacher' LIMIT 1)"))
        tx.commit()
    try:
        office = run(teacher, "SELECT count(*) FROM edfi.studentschoolattendanceevent "
                              "WHERE attendanceeventreason = 'Note from home'")[0][0]
        assert office == 1
        assert run(teacher, "DELETE FROM edfi.studentschoolattendanceevent "
                            "WHERE attendanceeventreason IS NOT NULL") == 0
        # nor by first taking the reason away, nor by changing the office's status (review s8 MEDIUM 1)
        assert run(teacher, "UPDATE edfi.studentschoolattendanceevent SET attendanceeventreason = NULL "
                            "WHERE attendanceeventreason = 'Note from home'") == 0
        assert run(teacher, "UPDATE edfi.studentschoolattendanceevent SET eventduration = 0 "
                            "WHERE attendanceeventreason = 'Note from home'") == 0
        with pytest.raises(Exception, match="row-level security"):  # nor writing an office record herself
            run(teacher, "UPDATE edfi.studentschoolattendanceevent SET attendanceeventreason = 'Office' "
                         "WHERE attendanceeventreason IS NULL")
        # the teacher's own roll-ups are what it may remove (rolled back)
        assert run(teacher, "DELETE FROM edfi.studentschoolattendanceevent WHERE attendanceeventreason IS NULL") > 0
    finally:
        with demo_engine.begin() as c:
            c.execute(text("UPDATE edfi.studentschoolattendanceevent SET attendanceeventreason = NULL "
                           "WHERE attendanceeventreason = 'Note from home'"))


def test_the_office_sees_and_takes_only_its_own_schools_days(login_engine, demo_engine):
    clerk = login_engine("demo_front_office")
    schools = {r[0] for r in owner_rows(demo_engine, """
        SELECT w.schoolid FROM edfi.staffschoolassociation w JOIN edfi.staff st ON st.staffusi = w.staffusi
         WHERE st.loginid = 'demo_front_office'""")}
    seen = {r[0] for r in run(clerk, f"SELECT DISTINCT schoolid FROM {TAKEN}")}
    assert seen and seen <= schools
    other = next(s for s in (RES, RMS, RHS) if s not in schools)
    with pytest.raises(Exception, match="row-level security"):
        run(clerk, _copy_taken(demo_engine, f"t.schoolid = {other}"))
    assert denied(clerk, f"UPDATE {TAKEN} SET date = date + 1")  # un-taking a day: the registrar's correction
    # its own school's section, on a day not taken yet: the insert goes through (rolled back)
    assert run(clerk, _copy_taken(demo_engine, f"t.schoolid = {min(schools)}")) == 1


def test_the_nurse_reads_taken_days_but_cannot_take_attendance(login_engine, demo_engine):
    nurse = login_engine("demo_nurse")
    assert run(nurse, f"SELECT count(*) FROM {TAKEN}")[0][0] > 0
    assert denied(nurse, _copy_taken(demo_engine, "true"))


def test_a_dean_who_also_teaches_keeps_the_offices_attendance_work(login_engine, demo_engine):
    """Review s8 MEDIUM 3: the teacher's restrictions hold only for a sign-in without an office role. A
    sign-in made with both roles (the administration desk's checkboxes) records the office's day and
    marks a roster of a section it does not teach, as the dean desk does; demo_teacher stays refused."""
    from app.security.demo_logins import DEMO_PASSWORD
    from app.security.logins import create_staff_login
    from app.services.attendance import Mark, load_roster, present_marks, save_roster
    from app.services.attendance_office import sections_for_day
    from tests.conftest import DEMO_AS_OF

    login = "t_dean_teacher"
    with demo_engine.begin() as c:
        if not c.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :l"), {"l": login}).first():
            staff = c.execute(text(
                "SELECT w.staffusi FROM edfi.staffschoolassociation w JOIN edfi.staff st ON st.staffusi = w.staffusi "
                "WHERE w.schoolid = :s AND (st.loginid IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles r "
                "WHERE r.rolname = st.loginid)) AND EXISTS (SELECT 1 FROM edfi.staffsectionassociation "
                "a WHERE a.staffusi = w.staffusi AND a.schoolid = :s) ORDER BY 1 LIMIT 1"), {"s": RHS}).scalar()
            create_staff_login(c, login, DEMO_PASSWORD, staff, ("so_teacher", "so_dean"))
    both = login_engine(login)
    student = run(both, "SELECT a.studentusi FROM edfi.studentschoolassociation a WHERE a.schoolid = :s "
                        "ORDER BY 1 LIMIT 1", s=RHS)[0][0]
    office_day = ("INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, "
                  "schoolid, schoolyear, sessionname, studentusi, attendanceeventreason, eventduration) "
                  "SELECT d.descriptorid, :day, t.schoolid, t.schoolyear, t.sessionname, :u, "
                  "'Out of School Suspension (T-1)', 1.0 FROM edfi.descriptor d, edfi.session t "
                  "WHERE d.codevalue = 'Excused Absence' AND d.discriminator = 'edfi.AttendanceEventCategoryDescriptor' "
                  "AND t.schoolid = :s AND :day BETWEEN t.begindate AND t.enddate")
    assert run(both, office_day, day=DEMO_AS_OF, u=student, s=RHS) == 1  # the suspension day (rolled back)
    with pytest.raises(Exception, match="row-level security"):  # a plain teacher still may not
        run(login_engine("demo_teacher"), office_day, day=DEMO_AS_OF, u=student, s=RHS)
    with both.connect() as c:
        tx = c.begin()
        try:
            theirs = next(s.key for s in sections_for_day(c, DEMO_AS_OF) if s.key.school_id == RHS
                          and not c.execute(text(
                              "SELECT 1 FROM edfi.staffsectionassociation a WHERE a.staffusi = "
                              "compliance.my_staff_usi() AND a.sectionidentifier = :sec AND a.schoolid = :s"),
                              {"sec": s.key.section_identifier, "s": RHS}).first())
            roster = load_roster(c, theirs, DEMO_AS_OF)
            marks = present_marks(roster) | {roster.lines[0].student_usi: Mark("Unexcused Absence")}
            result = save_roster(c, theirs, DEMO_AS_OF, marks, today=DEMO_AS_OF)
            assert result.changed == len(roster.lines)
            assert load_roster(c, theirs, DEMO_AS_OF).lines[0].mark == Mark("Unexcused Absence")
        finally:
            tx.rollback()
