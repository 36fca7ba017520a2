"""The nurse office's rules held by the database, attacked the way the reviewer of issue 11 did: as
demo_nurse with psql, each misuse the desk refuses is refused by the database too (migration 0032)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.test_security import denied, run
from tests.integration.test_security_attacks import refused, students_at

pytestmark = pytest.mark.integration

CONTROLLED = ("SELECT medication_id, student_usi, school_id FROM health.medications "
              "WHERE is_controlled AND count_on_hand > 2 ORDER BY medication_id LIMIT 1")


def _count(kind: str, quantity: str, counted_by: str, witness: str) -> str:
    return (f"WITH m AS ({CONTROLLED}) INSERT INTO health.controlled_counts (medication_id, student_usi, school_id, "
            f"kind, quantity, on_hand_after, counted_by, witness) SELECT medication_id, student_usi, school_id, "
            f"'{kind}', {quantity}, 0, {counted_by}, '{witness}' FROM m RETURNING count_id")


def test_a_recount_that_does_not_match_opens_a_discrepancy_report_in_the_database(login_engine):
    nurse = login_engine("demo_nurse")
    with nurse.connect() as c, c.begin():
        before = c.execute(text("SELECT m.count_on_hand FROM health.medications m JOIN (" + CONTROLLED
                                + ") x USING (medication_id)")).scalar()
        cid = c.execute(text(_count("counted", "0", "(SELECT compliance.my_staff_usi())", "Nobody Really"))).scalar()
        d = c.execute(text("SELECT expected, counted, closed_at FROM health.count_discrepancies WHERE count_id = :c"),
                      {"c": cid}).one()
        assert (d.expected, d.counted, d.closed_at) == (before, 0, None)
        c.rollback()
    with nurse.connect() as c, c.begin():  # a count that matches opens none
        before = c.execute(text("SELECT m.count_on_hand FROM health.medications m JOIN (" + CONTROLLED
                                + ") x USING (medication_id)")).scalar()
        cid = c.execute(text(_count("counted", str(before), "(SELECT compliance.my_staff_usi())", "R. Lopez"))).scalar()
        assert c.execute(text("SELECT count(*) FROM health.count_discrepancies WHERE count_id = :c"),
                         {"c": cid}).scalar() == 0
        c.rollback()


def test_a_count_is_signed_by_the_nurse_herself_and_witnessed_by_someone_else(login_engine):
    nurse = login_engine("demo_nurse")
    someone_else = ("(SELECT min(staffusi) FROM edfi.staff WHERE staffusi <> compliance.my_staff_usi())")
    assert refused(nurse, _count("wasted", "2", someone_else, "Someone"), "your own staff record")
    assert refused(nurse, _count("counted", "1", "(SELECT compliance.my_staff_usi())", "demo_nurse"),
                   "someone other than the person counting")
    name = run(nurse, "SELECT firstname || ' ' || lastsurname FROM edfi.staff "
                      "WHERE staffusi = compliance.my_staff_usi()")[0][0]
    assert refused(nurse, _count("counted", "1", "(SELECT compliance.my_staff_usi())", name.upper()),
                   "someone other than the person counting")


DOSE = ("INSERT INTO health.medication_administrations (medication_id, student_usi, school_id, outcome, "
        "administered_at, dose_amount, given_by) SELECT medication_id, student_usi, school_id, 'given', {at}, "
        "dose_amount * {times}, {by} FROM health.medications WHERE dose_amount IS NOT NULL AND count_on_hand IS NULL "
        "AND school_id IS NOT NULL ORDER BY medication_id LIMIT 1 RETURNING administration_id")
ME = "(SELECT compliance.my_staff_usi())"


def test_a_dose_is_given_by_the_nurse_herself_now_and_no_more_than_ordered(login_engine):
    nurse = login_engine("demo_nurse")
    other = "(SELECT min(staffusi) FROM edfi.staff WHERE staffusi <> compliance.my_staff_usi())"
    assert refused(nurse, DOSE.format(at="now()", times=1, by=other), "your own staff record")
    assert refused(nurse, DOSE.format(at="now() + interval '3 days'", times=1, by=ME), "in the future")
    assert refused(nurse, DOSE.format(at="now()", times=50, by=ME), "no more than the order's dose")
    assert len(run(nurse, DOSE.format(at="now() - interval '1 minute'", times=1, by=ME))) == 1  # the right one


def test_a_nurse_cannot_change_attendance_only_record_a_sent_home_visits_departure(login_engine, demo_engine):
    nurse = login_engine("demo_nurse")
    assert denied(nurse, "UPDATE edfi.studentschoolattendanceevent SET eventduration = eventduration")
    assert denied(nurse, "INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, "
                         "eventdate, schoolid, schoolyear, sessionname, studentusi) SELECT "
                         "attendanceeventcategorydescriptorid, eventdate, schoolid, schoolyear, sessionname, studentusi "
                         "FROM edfi.studentschoolattendanceevent LIMIT 1")
    assert denied(nurse, "DELETE FROM edfi.studentschoolattendanceevent")
    # the function records an early departure only for a sent-home visit at her school
    u = min(students_at(demo_engine, "demo_nurse"))
    with nurse.connect() as c, c.begin():
        school = c.execute(text("SELECT (compliance.my_school_ids())[1]")).scalar()
        v = c.execute(text("INSERT INTO health.visits (student_usi, school_id, time_in, time_out, complaint, "
                           "disposition) VALUES (:u, :s, now() - interval '20 minutes', now(), 'headache', "
                           "'returned_to_class') RETURNING visit_id"), {"u": u, "s": school}).scalar()
        with pytest.raises(DBAPIError, match="sent-home visit"):
            with c.begin_nested():
                c.execute(text("SELECT health.record_early_departure(:v)"), {"v": v})
        c.rollback()
    with demo_engine.connect() as c:  # another school's visit (written by the owner) is refused too
        other = c.execute(text("SELECT v.visit_id FROM health.visits v WHERE NOT v.school_id = ANY(:s) LIMIT 1"),
                          {"s": [school]}).scalar()
    if other is not None:
        assert refused(nurse, f"SELECT health.record_early_departure({other})", "sent-home visit")
    for login in ("demo_teacher", "demo_front_office", "demo_cashier"):
        assert denied(login_engine(login), "SELECT health.record_early_departure(1)"), login


def test_a_nurse_cannot_switch_off_controlled_substance_tracking(login_engine):
    nurse = login_engine("demo_nurse")
    assert refused(nurse, "UPDATE health.medications SET is_controlled = false WHERE is_controlled",
                   "controlled substance is fixed")
    assert refused(nurse, "UPDATE health.medications SET is_controlled = true WHERE NOT is_controlled",
                   "controlled substance is fixed")
    assert run(nurse, "UPDATE health.medications SET refill_threshold = refill_threshold WHERE is_controlled") > 0


def test_the_view_log_refuses_students_the_nurse_cannot_see(login_engine, demo_engine):
    nurse = login_engine("demo_nurse")
    with demo_engine.connect() as c:
        outsiders = c.execute(text("SELECT studentusi FROM edfi.student WHERE NOT studentusi = ANY(:m) LIMIT 5"),
                              {"m": list(students_at(demo_engine, "demo_nurse"))}).scalars().all()
    assert outsiders
    assert refused(nurse, "SELECT compliance.log_record_views(:u, 'health', 'made up')",
                   "only for a student you can see", u=outsiders)
    mine = [r[0] for r in run(nurse, "SELECT studentusi FROM edfi.student ORDER BY studentusi LIMIT 3")]
    assert run(nurse, "SELECT compliance.log_record_views(:u, 'health', 'Daily visit log')", u=mine)[0][0] == 3


@pytest.fixture
def nurse_conn(login_engine):
    with login_engine("demo_nurse").connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def test_a_correction_to_given_runs_the_dose_checks(nurse_conn):
    from app.errors import UserError
    from app.services.nurse import controlled
    from app.services.nurse import medications as meds
    from tests.integration.test_nurse_office import NOW, as_needed_order, at, order

    conn = nurse_conn
    o = as_needed_order(conn)
    meds.record_dose(conn, meds.DoseForm(o.medication_id, "given", at(9), "1"), now=NOW)
    r = meds.record_dose(conn, meds.DoseForm(o.medication_id, "refused", at(10)), now=NOW)
    with pytest.raises(UserError, match="last given at 09:00"):  # one hour after a dose, no override reason
        with conn.begin_nested():
            meds.correct_entry(conn, r.administration_id, reason="she took it after all", now=NOW, outcome="given")
    meds.correct_entry(conn, r.administration_id, reason="she took it after all", now=NOW, outcome="given",
                       override_reason="Prescriber called: one more dose allowed")
    # with nothing on hand, one sentence naming the cause (not a raw database error)
    c = order(conn, "Methylphenidate")
    r = meds.record_dose(conn, meds.DoseForm(c.medication_id, "refused", at(12, 2), scheduled_for=at(12)), now=NOW)
    controlled.count(conn, c.medication_id, "0", witness="Pat Other (demo_front_office)", now=NOW)
    with pytest.raises(UserError, match="on hand"):
        with conn.begin_nested():
            meds.correct_entry(conn, r.administration_id, reason="given after all", now=NOW, outcome="given")
