"""The nurse office's rules held by the database, attacked the way the reviewer of issue 11 did: as
demo_nurse with psql, each misuse the desk refuses is refused by the database too (migration 0032)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.nurse_witness import token_for, witness_of
from tests.integration.test_nurse_office import school_open_today  # noqa: F401 (fixture)
from tests.integration.test_security import denied, run
from tests.integration.test_security_attacks import refused, students_at

pytestmark = pytest.mark.integration

ME = "(SELECT compliance.my_staff_usi())"
CONTROLLED = ("SELECT medication_id, student_usi, school_id FROM health.medications "
              "WHERE is_controlled AND count_on_hand > 2 ORDER BY medication_id LIMIT 1")


def _count(kind: str, quantity: str, counted_by: str, token: str | None) -> str:
    tok = f"'{token}'" if token else "NULL"
    return (f"WITH m AS ({CONTROLLED}) INSERT INTO health.controlled_counts (medication_id, student_usi, school_id, "
            f"kind, quantity, on_hand_after, counted_by, witness, witness_token) SELECT medication_id, student_usi, "
            f"school_id, '{kind}', {quantity}, 0, {counted_by}, 'typed by the nurse', {tok} FROM m RETURNING count_id")


def _controlled_id(engine) -> int:
    return run(engine, CONTROLLED)[0][0]


def test_a_recount_that_does_not_match_opens_a_discrepancy_report_in_the_database(login_engine):
    nurse = login_engine("demo_nurse")
    mid = _controlled_id(nurse)
    with nurse.connect() as c, c.begin():
        before = c.execute(text("SELECT m.count_on_hand FROM health.medications m JOIN (" + CONTROLLED
                                + ") x USING (medication_id)")).scalar()
        cid = c.execute(text(_count("counted", "0", ME, token_for(c, "counted", 0, mid)))).scalar()
        d = c.execute(text("SELECT expected, counted, closed_at FROM health.count_discrepancies WHERE count_id = :c"),
                      {"c": cid}).one()
        assert (d.expected, d.counted, d.closed_at) == (before, 0, None)
        c.rollback()
    with nurse.connect() as c, c.begin():  # a count that matches opens none
        before = c.execute(text("SELECT m.count_on_hand FROM health.medications m JOIN (" + CONTROLLED
                                + ") x USING (medication_id)")).scalar()
        cid = c.execute(text(_count("counted", str(before), ME, token_for(c, "counted", before, mid)))).scalar()
        assert c.execute(text("SELECT count(*) FROM health.count_discrepancies WHERE count_id = :c"),
                         {"c": cid}).scalar() == 0
        c.rollback()


def test_a_count_is_signed_by_the_nurse_herself(login_engine):
    nurse = login_engine("demo_nurse")
    someone_else = ("(SELECT min(staffusi) FROM edfi.staff WHERE staffusi <> compliance.my_staff_usi())")
    with nurse.connect() as c:
        token = token_for(c, "wasted", 2, _controlled_id(nurse))
    assert refused(nurse, _count("wasted", "2", someone_else, token), "your own staff record")
    # (the witness: tests/integration/test_nurse_witness.py)


DOSE = ("INSERT INTO health.medication_administrations (medication_id, student_usi, school_id, outcome, "
        "administered_at, dose_amount, given_by) SELECT medication_id, student_usi, school_id, 'given', {at}, "
        "dose_amount * {times}, {by} FROM health.medications WHERE dose_amount IS NOT NULL AND count_on_hand IS NULL "
        "AND school_id IS NOT NULL ORDER BY medication_id LIMIT 1 RETURNING administration_id")


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
    controlled.count(conn, c.medication_id, "0", witness=witness_of(conn), now=NOW)
    with pytest.raises(UserError, match="on hand"):
        with conn.begin_nested():
            meds.correct_entry(conn, r.administration_id, reason="given after all", now=NOW, outcome="given")


VISIT = ("INSERT INTO health.visits (student_usi, school_id, time_in, time_out, complaint, disposition, created_at) "
         "VALUES (:u, :s, {t} - interval '20 minutes', {t}, 'headache', 'sent_home', {t}) "
         "RETURNING visit_id, created_at")


def test_a_back_dated_sent_home_visit_does_not_change_that_days_attendance(login_engine, demo_engine,
                                                                           school_open_today):
    """Attack as the nurse with psql: a sent-home visit written today but dated three days ago (its
    creation time forged too) records no early departure for that day; today's does."""
    nurse = login_engine("demo_nurse")
    u = min(students_at(demo_engine, "demo_nurse"))
    attendance = ("SELECT count(*) FROM edfi.studentschoolattendanceevent WHERE studentusi = :u "
                  "AND attendanceeventreason LIKE 'Sent home by the health office (visit ' || :v || ')'")
    with nurse.connect() as c, c.begin():
        school = c.execute(text("SELECT (compliance.my_school_ids())[1]")).scalar()
        v, created = c.execute(text(VISIT.format(t="now() - interval '3 days'")), {"u": u, "s": school}).one()
        server_now = c.execute(text("SELECT now()")).scalar()
        assert created == server_now  # the creation time is the server's, not what the nurse wrote
        with pytest.raises(DBAPIError, match="only for today's sent-home visit"):
            with c.begin_nested():
                c.execute(text("SELECT health.record_early_departure(:v)"), {"v": v})
        # nor by rewriting the creation time afterwards
        c.execute(text("UPDATE health.visits SET created_at = now() - interval '3 days' WHERE visit_id = :v"), {"v": v})
        assert c.execute(text("SELECT created_at FROM health.visits WHERE visit_id = :v"), {"v": v}).scalar() == created
        assert c.execute(text(attendance), {"u": u, "v": v}).scalar() == 0
        # today's sent-home visit records today's early departure
        v, _ = c.execute(text(VISIT.format(t="now() - interval '1 minute'")), {"u": u, "s": school}).one()
        c.execute(text("SELECT health.record_early_departure(:v)"), {"v": v})
        assert c.execute(text(attendance + " AND eventdate = current_date"), {"u": u, "v": v}).scalar() == 1
        c.rollback()
