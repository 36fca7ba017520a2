"""The nurse office's rules (issue 11), each as the demo nurse signed in (row-level security on),
in a transaction rolled back afterwards."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.errors import UserError
from app.services.nurse import controlled, medications as meds, plans, screenings, visits
from app.services.nurse import immunizations as imm
from tests.conftest import DEMO_AS_OF
from tests.integration.nurse_witness import witness_of

pytestmark = pytest.mark.integration
RES = 255950001


def at(hh: int, mm: int = 0, day: date = DEMO_AS_OF) -> datetime:
    return datetime.combine(day, time(hh, mm)).astimezone()


NOW = at(12, 10)


@pytest.fixture
def conn(login_engine):
    with login_engine("demo_nurse").connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def refused(conn, fn, *args, match: str, **kw):
    """The call is refused with one sentence and leaves nothing behind (a savepoint shows it)."""
    before = conn.execute(text("SELECT (SELECT count(*) FROM health.medication_administrations), "
                               "(SELECT count(*) FROM health.visits), (SELECT count(*) FROM health.controlled_counts)"
                               )).one()
    with pytest.raises(UserError, match=match) as err:
        with conn.begin_nested():
            fn(conn, *args, **kw)
    msg = str(err.value)
    assert msg.count(". ") == 0 and msg.endswith((".", "?")) and "Traceback" not in msg, msg
    after = conn.execute(text("SELECT (SELECT count(*) FROM health.medication_administrations), "
                              "(SELECT count(*) FROM health.visits), (SELECT count(*) FROM health.controlled_counts)"
                              )).one()
    assert before == after


def order(conn, name: str) -> meds.Order:
    mid = conn.execute(text("SELECT medication_id FROM health.medications WHERE school_id = :s AND medication_name = :n "
                            "AND is_active ORDER BY medication_id LIMIT 1"), {"s": RES, "n": name}).scalar()
    assert mid is not None, name
    return meds.get_order(conn, mid)


def as_needed_order(conn) -> meds.Order:
    student = conn.execute(text("SELECT studentusi FROM edfi.studentschoolassociation WHERE schoolid = :s "
                                "ORDER BY studentusi LIMIT 1"), {"s": RES}).scalar()
    mid = meds.save_order(conn, meds.OrderForm(
        student, "Ibuprofen", "200 mg", "tablet", "1", "tablet", "oral", "Dr. Rivera", date(2026, 9, 1),
        date(2026, 8, 30), as_needed=True, min_interval_minutes=360), today=DEMO_AS_OF)
    return meds.get_order(conn, mid)


# -- the medication administration record -----------------------------------------------------------------
def test_due_now_lists_todays_unrecorded_doses_and_a_recorded_one_leaves_it(conn):
    due = meds.due_now(conn, RES, NOW)
    ritalin = [d for d in due if d.medication.startswith("Methylphenidate")]
    assert ritalin and all(d.due_at == at(12) and d.status == "due" for d in ritalin)
    assert all(d.due_at <= NOW + timedelta(hours=1) for d in due)
    first = ritalin[0]
    meds.record_dose(conn, meds.DoseForm(first.medication_id, "given", at(12, 5), "1", scheduled_for=first.due_at),
                     now=NOW)
    assert first.medication_id not in {d.medication_id for d in meds.due_now(conn, RES, NOW)
                                       if d.due_at == first.due_at}


def test_missed_doses_are_the_days_doses_with_no_entry(conn):
    late = at(15, 30)
    missed = meds.missed_doses(conn, RES, DEMO_AS_OF, late)
    lunch = [d for d in missed if d.due_at == at(12)]
    assert lunch and all(d.due_at < late for d in missed)
    assert not [d for d in meds.missed_doses(conn, RES, DEMO_AS_OF, at(12, 10)) if d.due_at == at(12)]  # not yet
    first = lunch[0]
    meds.record_dose(conn, meds.DoseForm(first.medication_id, "missed", late, scheduled_for=first.due_at,
                                         note="Student did not come to the office"), now=late)
    assert (first.medication_id, first.due_at) not in {(d.medication_id, d.due_at)
                                                       for d in meds.missed_doses(conn, RES, DEMO_AS_OF, late)}


def test_a_dose_time_in_the_future_is_refused(conn):
    o = order(conn, "Cetirizine")
    refused(conn, meds.record_dose, meds.DoseForm(o.medication_id, "given", at(14), "1"), now=NOW,
            match="later than now")


def test_a_dose_above_the_order_is_refused(conn):
    o = as_needed_order(conn)
    refused(conn, meds.record_dose, meds.DoseForm(o.medication_id, "given", at(8, 5), "2"), now=NOW,
            match="more than ordered")


def test_a_second_as_needed_dose_too_soon_needs_a_reason(conn):
    o = as_needed_order(conn)
    meds.record_dose(conn, meds.DoseForm(o.medication_id, "given", at(9), "1"), now=NOW)
    refused(conn, meds.record_dose, meds.DoseForm(o.medication_id, "given", at(11), "1"), now=NOW,
            match="allows the next dose at 15:00")
    saved = meds.record_dose(conn, meds.DoseForm(o.medication_id, "given", at(11), "1",
                                                 override_reason="Prescriber called: one more dose allowed"), now=NOW)
    assert saved.administration_id
    assert meds.as_needed_next(conn, o.medication_id) == at(17)


def test_an_expired_medication_or_one_without_consent_is_not_given(conn):
    o = as_needed_order(conn)
    conn.execute(text("UPDATE health.medications SET expires_on = :d WHERE medication_id = :m"),
                 {"d": DEMO_AS_OF - timedelta(days=1), "m": o.medication_id})
    refused(conn, meds.record_dose, meds.DoseForm(o.medication_id, "given", at(9), "1"), now=NOW, match="expired on")


def test_a_controlled_dose_lowers_the_count_and_a_voiding_correction_puts_it_back(conn):
    o = order(conn, "Methylphenidate")
    saved = meds.record_dose(conn, meds.DoseForm(o.medication_id, "given", at(12, 2), "1", scheduled_for=at(12)),
                             now=NOW)
    assert saved.count_on_hand == o.count_on_hand - 1
    meds.correct_entry(conn, saved.administration_id, reason="Recorded for the wrong student", now=NOW)
    assert meds.get_order(conn, o.medication_id).count_on_hand == o.count_on_hand
    log = meds.entries(conn, medication_id=o.medication_id, start=at(0), end=at(23))
    assert [(e.outcome, e.corrected) for e in log[-2:]] == [("given", True), ("voided", False)]
    # the slot is due again: the void answers nothing
    assert (o.medication_id, at(12)) in {(d.medication_id, d.due_at) for d in meds.due_now(conn, RES, NOW)}
    with pytest.raises(UserError, match="already corrected"):
        meds.correct_entry(conn, saved.administration_id, reason="again", now=NOW)


def test_a_repeated_submit_records_one_dose(conn):
    o = order(conn, "Methylphenidate")
    form = meds.DoseForm(o.medication_id, "given", at(12, 2), "1", scheduled_for=at(12),
                         request_id="0b7f6f0e-2a6c-4c51-9f4e-6a0f0d2b9c11")
    assert meds.record_dose(conn, form, now=NOW).administration_id == meds.record_dose(conn, form, now=NOW).administration_id


def test_the_nurse_cannot_change_or_delete_an_administration_entry(conn):
    """The nurse's own connection (no UPDATE or DELETE granted); the owner is refused by the trigger in
    test_nurse_security.test_even_the_owner_changes_no_dose_given."""
    row = conn.execute(text("SELECT administration_id FROM health.medication_administrations LIMIT 1")).scalar()
    for sql in ("UPDATE health.medication_administrations SET dose_amount = 9 WHERE administration_id = :a",
                "DELETE FROM health.medication_administrations WHERE administration_id = :a"):
        with pytest.raises(DBAPIError, match="permission denied"):
            with conn.begin_nested():
                conn.execute(text(sql), {"a": row})


# -- controlled substances --------------------------------------------------------------------------------
def test_counts_need_a_second_signer_and_a_mismatch_opens_a_report_closed_only_with_a_note(conn):
    o = order(conn, "Methylphenidate")
    refused(conn, controlled.receive, o.medication_id, "30", witness=witness_of(conn, ""), now=NOW,
            match="needs a second signer")
    refused(conn, controlled.receive, o.medication_id, "30", witness=witness_of(conn, "demo_nurse"), now=NOW,
            match="someone other")
    got = controlled.receive(conn, o.medication_id, "30", witness=witness_of(conn), now=NOW)
    assert got.on_hand == o.count_on_hand + 30
    same = controlled.count(conn, o.medication_id, str(got.on_hand), witness=witness_of(conn), now=NOW)
    assert same.discrepancy_id is None
    short = controlled.count(conn, o.medication_id, str(got.on_hand - 2), witness=witness_of(conn), now=NOW)
    assert short.discrepancy_id is not None
    assert [d.discrepancy_id for d in controlled.discrepancies(conn, RES)] == [short.discrepancy_id]
    with pytest.raises(UserError, match="without a note"):
        controlled.close_discrepancy(conn, short.discrepancy_id, "  ", now=NOW)
    with pytest.raises(DBAPIError, match="closed_with_note"):  # the database holds the line too
        with conn.begin_nested():
            conn.execute(text("UPDATE health.count_discrepancies SET closed_at = now(), closed_by = 1 "
                              "WHERE discrepancy_id = :d"), {"d": short.discrepancy_id})
    controlled.close_discrepancy(conn, short.discrepancy_id, "Two tablets dropped and wasted, witnessed", now=NOW)
    assert controlled.discrepancies(conn, RES) == []


def trip_giver(conn) -> int:
    """A colleague the demo nurse trained and checked to give medication on field trips."""
    return conn.execute(text("SELECT staff_usi FROM health.medication_delegations WHERE school_id = :s "
                             "AND scope = 'field_trips' AND revoked_on IS NULL LIMIT 1"), {"s": RES}).scalar()


def test_field_trip_doses_go_out_come_back_adding_up_and_are_in_the_administration_log(conn):
    o = order(conn, "Methylphenidate")
    giver = trip_giver(conn)
    name = conn.execute(text("SELECT firstname || ' ' || lastsurname FROM edfi.staff WHERE staffusi = :s"),
                        {"s": giver}).scalar()
    untrained = conn.execute(text("SELECT compliance.my_staff_usi()")).scalar()
    out = controlled.trip_out(conn, o.medication_id, "2", trip="Science museum", witness=witness_of(conn), now=at(8))
    assert out.on_hand == o.count_on_hand - 2
    refused(conn, controlled.trip_in, o.medication_id, "2", (at(12, 5),), given_by=giver, witness=witness_of(conn),
            now=at(15), match="do not add up")
    refused(conn, controlled.trip_in, o.medication_id, "1", (at(12, 5),), witness=witness_of(conn), now=at(15),
            match="who gave the doses")
    refused(conn, controlled.trip_in, o.medication_id, "1", (at(12, 5),), given_by=untrained, witness=witness_of(conn),
            now=at(15), match="no current delegation")
    back = controlled.trip_in(conn, o.medication_id, "1", (at(12, 5),), given_by=giver, witness=witness_of(conn),
                              now=at(15))
    assert back.on_hand == o.count_on_hand - 1 == meds.get_order(conn, o.medication_id).count_on_hand
    # the dose given on the trip is in the MAR, answering the noon dose, and was not taken off the count twice
    trip = [e for e in meds.entries(conn, medication_id=o.medication_id, start=at(0), end=at(23)) if e.on_trip]
    assert [(e.outcome, e.scheduled_for, e.administered_at) for e in trip] == [("given", at(12), at(12, 5))]
    assert "Science museum" in trip[0].note and name in trip[0].note
    assert (o.medication_id, at(12)) not in {(d.medication_id, d.due_at) for d in meds.due_now(conn, RES, at(12, 30))}
    refused(conn, controlled.trip_in, o.medication_id, "1", (), witness=witness_of(conn), now=at(15),
            match="No doses .* are signed out")


# -- visits -------------------------------------------------------------------------------------------------
def a_student(conn) -> int:
    return conn.execute(text(
        "SELECT a.studentusi FROM edfi.studentschoolassociation a WHERE a.schoolid = :s AND EXISTS (SELECT 1 FROM "
        "edfi.studentcontactassociation c WHERE c.studentusi = a.studentusi) ORDER BY 1 OFFSET 3 LIMIT 1"),
        {"s": RES}).scalar()


@pytest.fixture
def school_open_today(demo_engine):
    """The elementary school in session on the server's date (the early departure is today's only, by the
    database's clock): the demo's school year is extended to today if the tests run after it ended."""
    with demo_engine.begin() as c:
        today, end = c.execute(text("SELECT current_date, max(enddate) FROM edfi.session WHERE schoolid = :s"),
                               {"s": RES}).one()
        if end < today:
            c.execute(text("UPDATE edfi.session SET enddate = current_date WHERE schoolid = :s AND enddate = :e"),
                      {"s": RES, "e": end})
    yield today
    if end < today:
        with demo_engine.begin() as c:
            c.execute(text("UPDATE edfi.session SET enddate = :e WHERE schoolid = :s AND enddate = current_date"),
                      {"s": RES, "e": end})


def test_sent_home_records_an_early_departure_and_notifies_the_primary_contact(conn, school_open_today):
    u = a_student(conn)
    now = conn.execute(text("SELECT now()")).scalar().astimezone()  # the server's clock: today's visit
    left = now.replace(microsecond=0) - timedelta(minutes=1)
    saved = visits.record_visit(conn, visits.VisitForm(u, "fever", left - timedelta(minutes=1), left,
                                                       temperature="101.2", assessment="Flushed", treatment="Rest",
                                                       disposition="sent_home"), now=now)
    assert saved.sent_home and saved.notified
    day = conn.execute(text(
        "SELECT d.codevalue, e.departuretime, e.attendanceeventreason FROM edfi.studentschoolattendanceevent e "
        "JOIN edfi.descriptor d ON d.descriptorid = e.attendanceeventcategorydescriptorid "
        "WHERE e.studentusi = :u AND e.eventdate = :d"), {"u": u, "d": school_open_today}).all()
    assert len(day) == 1 and day[0][0] == "Early departure" and day[0][1] == left.time()
    items = conn.execute(text("SELECT target_table, item FROM sync.items_of_this_transaction()")).all()
    notes = [i for t, i in items if t == "NotificationQueue"]
    primary = conn.execute(text(
        "SELECT c.contactuniqueid FROM edfi.studentcontactassociation a JOIN edfi.contact c USING (contactusi) "
        "WHERE a.studentusi = :u ORDER BY a.primarycontactstatus DESC NULLS LAST, a.contactpriority NULLS LAST "
        "LIMIT 1"), {"u": u}).scalar()
    assert len(notes) == 1 and notes[0]["PK"] == f"USER#{primary}" and "sent home" in notes[0]["Message"]
    timeline = [i for t, i in items if t == "StudentActivityLogs"]
    assert timeline[0]["ActivityType"] == "health.visit"
    # no assessment, treatment, complaint or disposition leaves PostgreSQL for DynamoDB (no RLS there)
    assert not {"Flushed", "Rest", "fever", "Sent home", "sent home"} & set(str(timeline[0]).split("'"))
    assert set(timeline[0]["Details"]) == {"visit", "timeIn", "timeOut"}


def test_the_kiosk_sign_in_prefills_the_visit_the_nurse_completes(conn):
    u = a_student(conn)
    uid = conn.execute(text("SELECT studentuniqueid FROM edfi.student WHERE studentusi = :u"), {"u": u}).scalar()
    visit_id, first = visits.kiosk_sign_in(conn, uid, "headache", now=at(9, 30))
    assert visits.kiosk_sign_in(conn, uid, "headache", now=at(9, 31))[0] == visit_id  # signed in twice: one visit
    waiting = {v.visit_id: v for v in visits.waiting_visits(conn, RES, DEMO_AS_OF)}
    assert waiting[visit_id].complaint == "headache" and waiting[visit_id].via_kiosk
    visits.record_visit(conn, visits.VisitForm(u, "headache", at(9, 30), at(9, 50), treatment="Water, rest",
                                               disposition="rested_returned", visit_id=visit_id), now=NOW)
    assert visit_id not in {v.visit_id for v in visits.waiting_visits(conn, RES, DEMO_AS_OF)}
    with pytest.raises(UserError, match="not one of this school's students"):
        visits.kiosk_sign_in(conn, "NO-SUCH-ID", "headache", now=at(9, 30))


def test_visit_times_out_of_order_or_in_the_future_are_refused(conn):
    u = a_student(conn)
    refused(conn, visits.record_visit, visits.VisitForm(u, "injury", at(11), at(10, 30), disposition="returned_to_class"),
            now=NOW, match="before time in")
    refused(conn, visits.record_visit, visits.VisitForm(u, "injury", at(13)), now=NOW, match="later than now")
    refused(conn, visits.record_visit, visits.VisitForm(u, "sore elbow", at(11)), now=NOW, match="not a complaint")


# -- plans, self-carry, the record view ---------------------------------------------------------------------
def test_an_expired_self_carry_authorization_is_refused(conn):
    u = a_student(conn)
    form = plans.SelfCarryForm(u, "Albuterol inhaler", "inhaler", "Dr. Chen", date(2026, 8, 1), date(2026, 8, 2),
                               date(2027, 6, 15))
    with pytest.raises(UserError, match="expired on"):
        plans.authorize_self_carry(conn, form, today=date(2027, 6, 16))
    auth = plans.authorize_self_carry(conn, form, today=DEMO_AS_OF)
    assert not plans.self_carry(conn, u)[0].in_force(DEMO_AS_OF)  # competency not yet shown
    plans.record_competency(conn, auth, today=DEMO_AS_OF)
    assert plans.self_carry(conn, u)[0].in_force(DEMO_AS_OF)
    listed = meds.expiring(conn, RES, date(2027, 5, 20))
    assert any(e.kind == "self-carry" and e.student_usi == u for e in listed)


def test_opening_a_health_record_needs_a_reason_and_the_nurse_cannot_read_the_view_log(conn):
    """The view entry itself is read back (as the administrator) in test_nurse_review's log tests."""
    u = a_student(conn)
    with pytest.raises(UserError, match="why you need"):
        plans.open_health_record(conn, u, " ", today=DEMO_AS_OF)
    record = plans.open_health_record(conn, u, "Student in the office with a fever", today=DEMO_AS_OF)
    assert record.student.student_usi == u and record.contacts
    with pytest.raises(DBAPIError, match="permission denied"):
        with conn.begin_nested():
            conn.execute(text("SELECT count(*) FROM compliance.audit_logs"))


# -- screenings -------------------------------------------------------------------------------------------
def test_a_failed_screen_in_the_grid_opens_a_referral_closed_only_with_a_follow_up(conn):
    from app.domain.nurse_rules import ScreeningEntry

    classes = screenings.classes_to_screen(conn, RES, "vision", DEMO_AS_OF)
    assert classes
    grid = screenings.screening_grid(conn, classes[0].key, "vision", DEMO_AS_OF)
    assert grid
    before = {r.referral_id for r in screenings.open_referrals(conn, RES)}
    rows = [ScreeningEntry(g.student_usi, "pass", {"right": "20/20", "left": "20/20"}) for g in grid]
    rows[0] = ScreeningEntry(grid[0].student_usi, "fail", {"right": "20/20", "left": "20/60"})
    conn.execute(text("UPDATE health.referrals SET status = 'closed', closed_on = :d, follow_up = 'old' "
                      "WHERE student_usi = :u"), {"d": DEMO_AS_OF, "u": grid[0].student_usi})
    saved = screenings.save_screening_grid(conn, RES, "vision", DEMO_AS_OF, rows, today=DEMO_AS_OF)
    assert saved.saved == len(rows) and len(saved.referrals) == 1
    new = [r for r in screenings.open_referrals(conn, RES) if r.referral_id not in before]
    assert [r.student_usi for r in new] == [grid[0].student_usi]
    with pytest.raises(UserError, match="closes only with"):
        screenings.follow_up(conn, new[0].referral_id, "", close=True, day=DEMO_AS_OF)
    screenings.follow_up(conn, new[0].referral_id, "Glasses prescribed", close=True, day=DEMO_AS_OF)
    assert new[0].referral_id not in {r.referral_id for r in screenings.open_referrals(conn, RES)}
    with pytest.raises(UserError, match="not a screening result"):
        screenings.save_screening_grid(conn, RES, "vision", DEMO_AS_OF, [ScreeningEntry(grid[0].student_usi, "ok", {})],
                                       today=DEMO_AS_OF)


def test_which_grades_are_screened_is_data_per_school_and_the_grid_follows_it(conn, login_engine):
    before = screenings.screened_grades(conn, RES, "hearing")
    assert before and "Fourth grade" not in before
    assert screenings.set_screened_grades(conn, RES, "hearing", ["Fourth grade"]) == (1, len(before))
    assert screenings.screened_grades(conn, RES, "hearing") == ["Fourth grade"]
    assert screenings.set_screened_grades(conn, RES, "hearing", ["Fourth grade"]) == (0, 0)  # a repeat changes nothing
    classes = screenings.classes_to_screen(conn, RES, "hearing", DEMO_AS_OF)
    assert classes
    grid = screenings.screening_grid(conn, classes[0].key, "hearing", DEMO_AS_OF)
    assert grid and {r.grade for r in grid} == {"Fourth grade"}  # the grid lists only the grades screened
    for bad, match in ((["Grade 4"], "not a grade level"),):
        refused(conn, screenings.set_screened_grades, RES, "hearing", bad, match=match)
    rhs = conn.execute(text("SELECT schoolid FROM edfi.school WHERE schoolid <> :s ORDER BY 1 LIMIT 1"),
                       {"s": RES}).scalar()
    refused(conn, screenings.set_screened_grades, rhs, "hearing", ["Fourth grade"], match="only of a school you serve")
    refused(conn, screenings.set_screened_grades, RES, "eyes", ["Fourth grade"], match="not a screening")
    # with psql, another school's schedule is neither read nor written by this nurse (row-level security)
    assert conn.execute(text("SELECT count(*) FROM health.screening_schedule WHERE school_id = :s"),
                        {"s": rhs}).scalar() == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        with conn.begin_nested():
            conn.execute(text("INSERT INTO health.screening_schedule (school_id, screening_type, grade_level) "
                              "VALUES (:s, 'hearing', 'Fourth grade')"), {"s": rhs})
    # the administrator sets any school's
    with login_engine("demo_admin").connect() as admin:
        assert screenings.set_screened_grades(admin, rhs, "scoliosis", ["Fourth grade"])[0] == 1
        assert screenings.screened_grades(admin, rhs, "scoliosis") == ["Fourth grade"]
        admin.rollback()


# -- immunization records ------------------------------------------------------------------------------------
def test_immunizations_are_recorded_by_cvx_with_exemptions_and_provisional_enrollment(conn):
    u = a_student(conn)
    iid = imm.record_immunization(conn, imm.DoseForm(u, "3", date(2026, 10, 1), "LOT77", "County clinic", "registry"),
                                  today=DEMO_AS_OF)
    dose = next(d for d in imm.immunization_history(conn, u) if d.immunization_id == iid)
    assert (dose.cvx_code, dose.vaccine, dose.source) == ("03", "MMR", "registry")
    with pytest.raises(UserError, match="not on the CDC's list"):
        imm.record_immunization(conn, imm.DoseForm(u, "9999", date(2026, 10, 1)), today=DEMO_AS_OF)
    with pytest.raises(UserError, match="has not come yet"):
        imm.record_immunization(conn, imm.DoseForm(u, "03", DEMO_AS_OF + timedelta(days=1)), today=DEMO_AS_OF)
    imm.record_exemption(conn, u, "medical", "MMR", date(2026, 9, 1), date(2027, 3, 1), "Dr. Haddad", today=DEMO_AS_OF)
    assert imm.exemptions(conn, u)[0].in_force(DEMO_AS_OF)
    with pytest.raises(UserError, match="not a vaccine group"):
        imm.record_exemption(conn, u, "religious", "Measles-ish", date(2026, 9, 1), None, "Parent", today=DEMO_AS_OF)
    conn.execute(text("UPDATE health.provisional_enrollments SET closed_on = :d, closed_reason = 'caught_up' "
                      "WHERE student_usi = :u"), {"d": DEMO_AS_OF, "u": u})
    pid = imm.start_provisional(conn, u, DEMO_AS_OF + timedelta(days=30), ["DTaP/Tdap/Td"], today=DEMO_AS_OF)
    with pytest.raises(UserError, match="already has an open"):
        imm.start_provisional(conn, u, DEMO_AS_OF + timedelta(days=30), [], today=DEMO_AS_OF)
    imm.close_provisional(conn, pid, "caught_up", today=DEMO_AS_OF)
    assert imm.provisional(conn, u)[0].closed_reason == "caught_up"


def test_a_new_order_needs_consent_and_a_schedule_or_as_needed_interval(conn):
    u = a_student(conn)
    base = dict(student_usi=u, medication_name="Ibuprofen", strength="200 mg", form="tablet", dose_amount="1",
                dose_unit="tablet", route="oral", prescriber="Dr. Rivera", start_date=DEMO_AS_OF)
    with pytest.raises(UserError, match="parent's signed consent"):
        meds.save_order(conn, meds.OrderForm(**base, parent_consent_on=None, schedule_times=("08:00",)),
                        today=DEMO_AS_OF)
    with pytest.raises(UserError, match="minimum interval"):
        meds.save_order(conn, meds.OrderForm(**base, parent_consent_on=DEMO_AS_OF, as_needed=True), today=DEMO_AS_OF)
    with pytest.raises(UserError, match="not a time of day"):
        meds.save_order(conn, meds.OrderForm(**base, parent_consent_on=DEMO_AS_OF, schedule_times=("8 am",)),
                        today=DEMO_AS_OF)
    mid = meds.save_order(conn, meds.OrderForm(**base, parent_consent_on=DEMO_AS_OF, schedule_times=("13:00",)),
                          today=DEMO_AS_OF)
    assert meds.get_order(conn, mid).schedule_times == ("13:00",)
    assert Decimal(meds.get_order(conn, mid).dose_amount) == 1
