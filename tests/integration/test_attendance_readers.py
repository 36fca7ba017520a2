"""Every attendance figure a user reads, on a day built mark by mark (attendance recorded as exceptions).

Riverbend Elementary's Friday (DEMO_AS_OF, nothing taken yet in the demo district): one homeroom is taken
with an unexcused and an excused absence and a tardy, a second is taken all present while the dean has
recorded an out-of-school suspension for one of its students, a third is not taken but the dean has an
in-school suspension for one of its students (the office's explicit "In Attendance"). Each figure is the
one the old model (a row for every mark, a daily row for every taken day) gave for the same day: the
section list of who has not taken attendance, the day's absence list, ADA/ADM for the day and the week,
chronic absence, the students' calendars, the report card's totals and the nurse's "absent" flag. Then the
teacher corrects the unexcused absence back to present (the exception is deleted) and every figure follows.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.domain.attendance_rates import ChronicRule
from app.services import discipline as D
from app.services.attendance import Mark, SectionKey, load_roster, save_roster, student_attendance_calendar
from app.services.attendance_office import averages_by_school, chronic_absence, daily_absences, sections_for_day
from app.services.grades import report_cards
from app.services.grades.entry import PeriodKey
from app.services.nurse import medications as meds
from tests.conftest import DEMO_AS_OF, rolled_back

pytestmark = pytest.mark.integration
RES, RHS = 255950001, 255950003
DAY = DEMO_AS_OF  # Friday, November 20: no attendance taken yet
NOW = datetime(2026, 11, 20, 14, 5, tzinfo=timezone.utc)


@pytest.fixture
def conn(demo_engine):
    yield from rolled_back(demo_engine)


def homeroom(conn, ident: str):
    key = conn.execute(text(
        "SELECT localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname FROM edfi.section "
        "WHERE schoolid = :s AND sectionidentifier = :i"), {"s": RES, "i": ident}).one()
    key = SectionKey(*key)
    return key, [line.student_usi for line in load_roster(conn, key, DAY).lines]


def q2(conn, school: int) -> PeriodKey:
    return PeriodKey(*conn.execute(text(
        "SELECT gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear FROM edfi.gradingperiod "
        "WHERE schoolid = :s AND gradingperiodname LIKE '%Q2'"), {"s": school}).one())


def suspend(conn, usi: int, discipline: str) -> None:
    """What the dean's desk records: an incident, then a one-day suspension with its attendance."""
    ident = D.record_incident(conn, D.NewIncident(
        RES, DAY, time(8, 5), "Classroom", "Pushed a classmate in line.", "Staff", "Ms. Rivera", False, "",
        (D.InvolvedStudent(usi, "Perpetrator", ("School Code of Conduct",)),)), now=NOW, today=DAY)
    D.record_action(conn, D.NewAction(usi, ident, RES, "School Code of Conduct", discipline, DAY, "1",
                                      generate_attendance=True), now=NOW)


def order_at_nine(conn, usi: int) -> None:
    """A daily 09:00 medication order, as the nurse's order form writes it."""
    conn.execute(text(
        "INSERT INTO health.medications (student_usi, medication_name, dosage, frequency, start_date, prescribed_by, "
        "is_active, school_id, dose_amount, dose_unit, route, schedule_times, as_needed, parent_consent_on) "
        "VALUES (:u, 'Methylphenidate', '5 mg', '09:00', '2026-09-01', 'Dr. Rivera', true, :s, 5, 'mg', 'oral', "
        "ARRAY['09:00'], false, '2026-08-30')"), {"u": usi, "s": RES})


def test_a_day_built_mark_by_mark_reads_the_same_in_every_figure(conn):
    hr1, room1 = homeroom(conn, "HR1-F01")
    hr2, room2 = homeroom(conn, "HR2-F01")
    hr3, room3 = homeroom(conn, "HR3-F01")
    unexcused, excused, late, present = room1[:4]
    suspended_out, suspended_in, untaken = room2[0], room3[0], room3[1]
    watched = [unexcused, excused, late, present, suspended_out, suspended_in, untaken]
    period = q2(conn, RES)
    enrolled = conn.execute(text(
        "SELECT count(*) FROM edfi.studentschoolassociation WHERE schoolid = :s AND entrydate <= :d "
        "AND (exitwithdrawdate IS NULL OR exitwithdrawdate >= :d)"), {"s": RES, "d": DAY}).scalar()
    monday = DAY - timedelta(days=4)
    week_before = {a.school_id: a.averages for a in averages_by_school(conn, monday, DAY - timedelta(days=1))}
    cards_before = {c.student_id: c for c in report_cards.report_cards(conn, RES, watched, period)}
    assert all(d.status is None for u in watched for d in student_attendance_calendar(conn, u, today=DAY).days
               if d.day == DAY)
    for u in (unexcused, present):
        order_at_nine(conn, u)

    # the office first (a suspension each), then two teachers take their homerooms; the third does not
    suspend(conn, suspended_out, "Out of School Suspension")
    suspend(conn, suspended_in, "In School Suspension")
    marks = {u: Mark("In Attendance") for u in room1}
    marks[unexcused], marks[excused], marks[late] = (Mark("Unexcused Absence"), Mark("Excused Absence"),
                                                    Mark("Tardy", time(8, 20)))
    save_roster(conn, hr1, DAY, marks, now=NOW, today=DAY)
    save_roster(conn, hr2, DAY, {u: Mark("In Attendance") for u in room2}, now=NOW, today=DAY)

    # who has not taken attendance: every homeroom but the two
    sections = sections_for_day(conn, DAY, school_id=RES)
    assert {s.key.section_identifier for s in sections if s.taken} == {"HR1-F01", "HR2-F01"}
    assert len(sections) == 12 and hr3 in {s.key for s in sections if not s.taken}
    # the day's absence list: the two absences and the suspension (the tardy and the present are not on it)
    absences = daily_absences(conn, DAY, RES)
    assert {(a.student_usi, a.status) for a in absences} == {
        (unexcused, "Unexcused Absence"), (excused, "Excused Absence"), (suspended_out, "Excused Absence")}
    assert next(a.reason for a in absences if a.student_usi == suspended_out).startswith("Out of School Suspension")
    # ADA and ADM: the day, and the week it ends
    day = {a.school_id: a.averages for a in averages_by_school(conn, DAY, DAY)}[RES]
    assert (day.school_days, day.enrolled_days, day.absent_days) == (1, enrolled, Decimal(3))
    assert (day.adm, day.ada) == (Decimal(enrolled), Decimal(enrolled - 3))
    week = {a.school_id: a.averages for a in averages_by_school(conn, monday, DAY)}[RES]
    before = week_before[RES]
    assert (week.school_days, week.enrolled_days, week.absent_days) == (
        before.school_days + 1, before.enrolled_days + enrolled, before.absent_days + 3)
    # chronic absence over the day (a one-day minimum): the three absent, at 100%; the rule's 10 days: nobody
    chronic = chronic_absence(conn, RES, DAY, DAY, ChronicRule(minimum_days=1))
    assert {(c.student_usi, c.enrolled_days, c.rate) for c in chronic} == {
        (u, 1, Decimal("100.0")) for u in (unexcused, excused, suspended_out)}
    assert chronic_absence(conn, RES, DAY, DAY) == []
    # each student's calendar: the day's status (a present day implied by the taken homeroom), the office's reason
    shown = {}
    for u in watched:
        d = next(d for d in student_attendance_calendar(conn, u, today=DAY).days if d.day == DAY)
        shown[u] = (d.status, (d.reason or "").split(" (")[0] or None)
    assert shown == {unexcused: ("Unexcused Absence", None), excused: ("Excused Absence", None),
                     late: ("Tardy", None), present: ("In Attendance", None),
                     suspended_out: ("Excused Absence", "Out of School Suspension"),
                     suspended_in: ("In Attendance", "In School Suspension"), untaken: (None, None)}
    # the report card's days present / absent / tardies: one more of the day's kind, nothing for the untaken day
    cards = {c.student_id: c for c in report_cards.report_cards(conn, RES, watched, period)}
    uid = dict(conn.execute(text("SELECT studentusi, studentuniqueid FROM edfi.student WHERE studentusi = ANY(:u)"),
                            {"u": watched}).all())

    def moved(u: int) -> tuple[int, int, int]:
        a, b = cards[uid[u]], cards_before[uid[u]]
        return a.days_present - b.days_present, a.days_absent - b.days_absent, a.tardies - b.tardies
    assert {u: moved(u) for u in watched} == {
        unexcused: (0, 1, 0), excused: (0, 1, 0), late: (1, 0, 1), present: (1, 0, 0),
        suspended_out: (0, 1, 0), suspended_in: (1, 0, 0), untaken: (0, 0, 0)}
    # the nurse's 09:00 list flags the absent student, not the present one
    due = {d.student_usi: d.absent for d in meds.due_now(conn, RES, datetime.combine(DAY, time(9, 5)).astimezone())
           if d.medication == "Methylphenidate"}
    assert due == {unexcused: True, present: False}

    # the teacher corrects the unexcused absence: the student was there (the exception is deleted)
    marks[unexcused] = Mark("In Attendance")
    assert save_roster(conn, hr1, DAY, marks, now=NOW, today=DAY).changed == 1
    assert unexcused not in {a.student_usi for a in daily_absences(conn, DAY, RES)}
    assert {a.school_id: a.averages for a in averages_by_school(conn, DAY, DAY)}[RES].absent_days == 2
    assert unexcused not in {c.student_usi for c in chronic_absence(conn, RES, DAY, DAY, ChronicRule(minimum_days=1))}
    assert next(d.status for d in student_attendance_calendar(conn, unexcused, today=DAY).days if d.day == DAY) \
        == "In Attendance"
    card = next(c for c in report_cards.report_cards(conn, RES, [unexcused], period))
    before = cards_before[uid[unexcused]]
    assert (card.days_present, card.days_absent) == (before.days_present + 1, before.days_absent)
    assert {d.student_usi: d.absent for d in meds.due_now(conn, RES, datetime.combine(DAY, time(9, 5)).astimezone())
            if d.medication == "Methylphenidate"} == {unexcused: False, present: False}


def test_one_class_taken_makes_a_high_schoolers_day_taken(conn):
    """At the high school a student has six classes: once one of them is taken, the day is taken (a
    present day on the calendar and the report card); a classmate of none of the taken classes has no mark."""
    rows = conn.execute(text(
        "SELECT a.localcoursecode, a.schoolid, a.schoolyear, a.sectionidentifier, a.sessionname, a.studentusi "
        "FROM edfi.studentsectionassociation a WHERE a.schoolid = :s AND a.begindate <= :d "
        "AND (a.enddate IS NULL OR a.enddate >= :d) ORDER BY a.sectionidentifier, a.studentusi"),
        {"s": RHS, "d": DAY}).all()
    first = SectionKey(*rows[0][:5])
    taken = [r[5] for r in rows if SectionKey(*r[:5]) == first]
    other = next(r[5] for r in rows if r[5] not in taken)
    period = q2(conn, RHS)
    uid = dict(conn.execute(text("SELECT studentusi, studentuniqueid FROM edfi.student WHERE studentusi = ANY(:u)"),
                            {"u": [taken[0], other]}).all())

    def present_days() -> dict[int, int]:
        cards = report_cards.report_cards(conn, RHS, [taken[0], other], period)
        return {u: next(c.days_present for c in cards if c.student_id == uid[u]) for u in (taken[0], other)}
    before = present_days()
    save_roster(conn, first, DAY, {u: Mark("In Attendance") for u in taken}, now=NOW, today=DAY)
    status = {u: next(d.status for d in student_attendance_calendar(conn, u, today=DAY).days if d.day == DAY)
              for u in (taken[0], other)}
    assert status == {taken[0]: "In Attendance", other: None}
    after = present_days()
    assert (after[taken[0]] - before[taken[0]], after[other] - before[other]) == (1, 0)


def test_the_report_card_totals_are_the_calendars_counts(conn):
    """Over a whole grading period of the demo district, each report card's days present, absent and
    tardy are the days of its period the student's calendar shows as such (the same taken days)."""
    period = q2(conn, RES)
    begins, ends = conn.execute(text(
        "SELECT begindate, enddate FROM edfi.gradingperiod WHERE gradingperioddescriptorid = :gpd "
        "AND gradingperiodname = :gpname AND schoolid = :gpschool AND schoolyear = :gpsy"), period.params()).one()
    _, room = homeroom(conn, "HR4-F01")
    cards = {c.student_id: c for c in report_cards.report_cards(conn, RES, room, period)}
    uid = dict(conn.execute(text("SELECT studentusi, studentuniqueid FROM edfi.student WHERE studentusi = ANY(:u)"),
                            {"u": room}).all())
    for u in room:
        days = [d for d in student_attendance_calendar(conn, u, today=DAY).days if begins <= d.day <= ends]
        codes = [d.status for d in days if d.status]
        card = cards[uid[u]]
        assert (card.days_present, card.days_absent, card.tardies) == (
            sum(c in ("In Attendance", "Tardy") for c in codes), sum(c.endswith("Absence") for c in codes),
            codes.count("Tardy")), u
    assert sum(c.days_present for c in cards.values()) > 20 * len(room)  # a month and more of taken days
