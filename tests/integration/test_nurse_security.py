"""The nurse office's tables attacked the way a curious staff member with psql would: each role that
must not read or change a table is refused by the database itself (issue 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.nurse_witness import staff_login
from tests.integration.test_security import denied, run, scalar
from tests.integration.test_security_attacks import refused, students_at

pytestmark = pytest.mark.integration

HEALTH_ONLY = ("visits", "medication_administrations", "controlled_counts", "count_discrepancies",
               "self_carry_authorizations", "screenings", "referrals", "immunization_exemptions",
               "provisional_enrollments", "immunizations", "medications", "student_health_records")
NOT_HEALTH_STAFF = ("demo_teacher", "demo_cashier", "demo_transportation", "demo_front_office", "demo_librarian",
                    "demo_dean", "demo_registrar")
RHS = 255950003


@pytest.mark.parametrize("login", NOT_HEALTH_STAFF)
def test_only_the_nurse_reads_or_writes_health_records(login_engine, login):
    e = login_engine(login)
    for t in HEALTH_ONLY:
        assert denied(e, f"SELECT * FROM health.{t} LIMIT 1"), (login, t)
        assert denied(e, f"DELETE FROM health.{t}"), (login, t)
    assert denied(e, "INSERT INTO health.emergency_action_plans (student_usi, plan_type, condition, signs, actions, "
                     "effective_on) SELECT studentusi, 'other', 'x', 'x', 'x', current_date FROM edfi.student LIMIT 1")
    assert denied(e, "UPDATE health.emergency_action_plans SET actions = 'nothing'")


@pytest.mark.parametrize("login", ["demo_teacher", "demo_cashier", "demo_transportation", "demo_front_office"])
def test_staff_with_the_student_read_only_flags_and_action_plans_of_their_students(login_engine, demo_engine, login):
    e = login_engine(login)
    mine = {r[0] for r in run(e, "SELECT studentusi FROM edfi.student")}
    with demo_engine.connect() as c:
        planned = set(c.execute(text("SELECT student_usi FROM health.emergency_action_plans")).scalars())
    seen = {r[0] for r in run(e, "SELECT student_usi FROM health.emergency_action_plans")}
    assert seen == planned & mine
    assert planned - mine or login == "demo_transportation"  # someone's plans stay out of sight
    assert denied(e, "SELECT reaction, treatment_plan FROM health.allergies")


def test_the_librarian_dean_and_registrar_do_not_read_action_plans(login_engine):
    for login in ("demo_librarian", "demo_dean", "demo_registrar"):
        assert denied(login_engine(login), "SELECT * FROM health.emergency_action_plans"), login


@pytest.fixture(scope="module")
def other_nurse(login_engine, demo_engine):
    """A nurse of the high school (the demo nurse serves the elementary school)."""
    with demo_engine.connect() as c:
        staff = c.execute(text(
            "SELECT a.staffusi FROM edfi.staffeducationorganizationassignmentassociation a WHERE "
            "a.educationorganizationid = :s AND a.positiontitle = 'Nurse' LIMIT 1"), {"s": RHS}).scalar()
    with staff_login(demo_engine, "t_nurse_rhs", "rhs-nurse-password-1", staff) as eng:
        yield eng


def test_a_nurse_of_another_school_reads_nothing_of_the_elementary_schools_students(other_nurse, demo_engine):
    elementary_only = students_at(demo_engine, "demo_nurse") - students_at(demo_engine, "t_nurse_rhs")
    assert elementary_only
    for t in HEALTH_ONLY + ("emergency_action_plans", "allergies"):
        with demo_engine.connect() as c:
            there = c.execute(text(f"SELECT count(*) FROM health.{t} WHERE student_usi = ANY(:u)"),
                              {"u": list(elementary_only)}).scalar()
        seen = scalar(other_nurse, f"SELECT count(*) FROM health.{t} WHERE student_usi = ANY(:u)",
                      u=list(elementary_only))
        assert seen == 0 and (there > 0 or t in ("count_discrepancies", "provisional_enrollments",
                                                 "immunization_exemptions", "self_carry_authorizations",
                                                 "student_health_records")), t
    # ... and cannot write one in, nor change one
    u = min(elementary_only)
    assert refused(other_nurse, "INSERT INTO health.visits (student_usi, school_id, time_in, complaint) "
                                f"VALUES ({u}, 255950001, now(), 'headache')", "row-level security")
    assert scalar(other_nurse, f"WITH x AS (UPDATE health.medications SET dosage = 'x' WHERE student_usi = {u} "
                               "RETURNING 1) SELECT count(*) FROM x") == 0


def test_a_nurse_writes_only_for_her_own_schools(login_engine, demo_engine):
    nurse = login_engine("demo_nurse")
    mine = students_at(demo_engine, "demo_nurse")
    u = min(mine)
    # her student, but a visit booked at another school's office
    assert refused(nurse, "INSERT INTO health.visits (student_usi, school_id, time_in, complaint) "
                          f"VALUES ({u}, {RHS}, now(), 'headache')", "row-level security")


@pytest.mark.parametrize("login", ["demo_nurse", "demo_admin"])
def test_the_administration_log_and_counts_are_append_only_for_every_application_role(login_engine, login):
    e = login_engine(login)
    for t in ("medication_administrations", "controlled_counts"):
        assert denied(e, f"UPDATE health.{t} SET note = 'changed'"), (login, t)
        assert denied(e, f"DELETE FROM health.{t}"), (login, t)
        assert denied(e, f"TRUNCATE health.{t}"), (login, t)


def test_even_the_owner_changes_no_dose_given(demo_engine):
    """As the tables' owner (SET LOCAL ROLE: past every grant), not as the nurse: the trigger refuses."""
    with demo_engine.connect() as c:
        owner = c.execute(text("SELECT tableowner FROM pg_tables WHERE schemaname = 'health' "
                               "AND tablename = 'medication_administrations'")).scalar()
        c.rollback()
        for sql in ("UPDATE health.medication_administrations SET dose_amount = 9",
                    "DELETE FROM health.controlled_counts"):
            tx = c.begin()
            c.execute(text(f'SET LOCAL ROLE "{owner}"'))
            assert c.execute(text("SELECT current_user")).scalar() == owner
            with pytest.raises(DBAPIError, match="append-only"):
                c.execute(text(sql))
            tx.rollback()


def test_a_correction_must_point_at_an_entry_of_the_same_order(login_engine):
    nurse = login_engine("demo_nurse")
    rows = run(nurse, "SELECT administration_id, medication_id FROM health.medication_administrations "
                      "ORDER BY medication_id, administration_id")
    a = rows[0]
    other = next(r for r in rows if r[1] != a[1])
    assert refused(nurse, "INSERT INTO health.medication_administrations (medication_id, student_usi, school_id, outcome, "
                          "administered_at, given_by, note, corrects_id) SELECT medication_id, student_usi, school_id, "
                          f"'voided', now(), compliance.my_staff_usi(), 'fix', {a[0]} FROM health.medication_administrations "
                          f"WHERE administration_id = {other[0]}", "same order")


def test_a_closed_discrepancy_report_stays_as_it_was_closed(login_engine, demo_engine):
    nurse = login_engine("demo_nurse")
    with nurse.connect() as c:
        tx = c.begin()
        try:
            cid, mid, usi, school = c.execute(text(
                "SELECT count_id, medication_id, student_usi, school_id FROM health.controlled_counts LIMIT 1")).one()
            d = c.execute(text("INSERT INTO health.count_discrepancies (count_id, medication_id, student_usi, school_id, "
                               "expected, counted) VALUES (:c, :m, :u, :s, 10, 8) RETURNING discrepancy_id"),
                          {"c": cid, "m": mid, "u": usi, "s": school}).scalar()
            c.execute(text("UPDATE health.count_discrepancies SET closed_at = now(), closed_by = 1, "
                           "resolution_note = 'found' WHERE discrepancy_id = :d"), {"d": d})
            for sql in ("UPDATE health.count_discrepancies SET counted = 10 WHERE discrepancy_id = :d",
                        "UPDATE health.count_discrepancies SET resolution_note = 'rewritten' WHERE discrepancy_id = :d"):
                with pytest.raises(DBAPIError, match="only closes, once"):
                    with c.begin_nested():
                        c.execute(text(sql), {"d": d})
            with pytest.raises(DBAPIError, match="permission denied"):
                with c.begin_nested():
                    c.execute(text("DELETE FROM health.count_discrepancies WHERE discrepancy_id = :d"), {"d": d})
        finally:
            tx.rollback()


def test_every_view_of_a_health_record_is_in_the_audit_trail_with_its_reason(login_engine):
    from app.services.nurse.plans import open_health_record
    from tests.conftest import DEMO_AS_OF

    nurse = login_engine("demo_nurse")
    with nurse.connect() as c:
        with c.begin():
            u = c.execute(text("SELECT studentusi FROM edfi.student ORDER BY 1 LIMIT 1")).scalar()
            open_health_record(c, u, "Checking the allergy plan before the field trip", today=DEMO_AS_OF)
    logged = scalar(login_engine("demo_admin"), "SELECT justification FROM compliance.audit_logs WHERE operation = "
                    "'VIEW' AND user_id = 'demo_nurse' AND 'health' = ANY(data_categories) AND record_id LIKE :k "
                    "ORDER BY id DESC LIMIT 1", k=f'%"studentusi": {u}%')
    assert logged == "Checking the allergy plan before the field trip"


@pytest.mark.parametrize("login", ["demo_teacher", "demo_cashier", "demo_transportation", "demo_front_office",
                                   "demo_librarian", "demo_dean", "demo_registrar"])
def test_only_health_staff_read_or_write_medication_delegations(login_engine, login):
    e = login_engine(login)
    assert denied(e, "SELECT * FROM health.medication_delegations LIMIT 1"), login
    assert denied(e, "UPDATE health.medication_delegations SET expires_on = expires_on + 365"), login


def test_a_nurse_of_another_school_neither_reads_nor_writes_the_elementary_schools_delegations(other_nurse):
    assert scalar(other_nurse, "SELECT count(*) FROM health.medication_delegations WHERE school_id = 255950001") == 0
    assert refused(other_nurse, "INSERT INTO health.medication_delegations (staff_usi, school_id, scope, trained_on, "
                                "competency_checked_on, expires_on) SELECT staffusi, 255950001, 'all', current_date, "
                                "current_date, current_date + 300 FROM edfi.staff LIMIT 1", "row-level security")
