"""Immunization compliance tables (migration 0022) attacked the way a curious staff member with psql
would: signed in as each role that must not read or change them, and refused."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from tests.integration.test_security import denied, run, scalar
from tests.integration.test_security_attacks import foreign_student

pytestmark = pytest.mark.integration
RES, RHS = 255950001, 255950003
OUTSIDERS = ("demo_teacher", "demo_cashier", "demo_front_office", "demo_librarian", "demo_transportation",
             "demo_dean", "demo_registrar")


@pytest.mark.parametrize("login", OUTSIDERS)
@pytest.mark.parametrize("sql", [
    "SELECT count(*) FROM health.immunization_statuses",
    "SELECT count(*) FROM health.immunization_status_stale",
    "SELECT count(*) FROM health.immunization_requirements",
    "UPDATE health.immunization_statuses SET status = 'compliant'",
    "DELETE FROM health.immunization_status_stale",
])
def test_roles_without_the_nurse_desk_cannot_read_or_change_compliance(login_engine, login, sql):
    assert denied(login_engine(login), sql), (login, sql)


@pytest.mark.parametrize("sql", [
    "INSERT INTO health.immunization_requirements (set_id, name, vaccine_group, grade_from, grade_to, doses_required, "
    "description) SELECT set_id, 'MMR', 'MMR', 0, 12, 1, 'one dose is enough' FROM health.immunization_requirement_sets",
    "UPDATE health.immunization_requirements SET doses_required = 1",
    "DELETE FROM health.immunization_requirement_sets",
    "INSERT INTO health.immunization_status_stale (student_usi) SELECT studentusi FROM edfi.student LIMIT 1",
    "SELECT health.mark_immunization_status_stale()",
])
def test_a_nurse_cannot_rewrite_the_rules_fill_the_queue_or_call_the_trigger_function(login_engine, sql):
    assert denied(login_engine("demo_nurse"), sql), sql


def test_a_nurse_sees_only_her_schools_statuses_and_cannot_store_one_for_another_school(login_engine, demo_engine):
    nurse = login_engine("demo_nurse")
    outsider = foreign_student(demo_engine, "demo_nurse")
    assert scalar(nurse, "SELECT count(*) FROM health.immunization_statuses WHERE student_usi = :u", u=outsider) == 0
    assert scalar(nurse, "SELECT count(DISTINCT school_id) FROM health.immunization_statuses") == 1
    with pytest.raises(DBAPIError, match="row-level security"):
        run(nurse, "INSERT INTO health.immunization_statuses (student_usi, requirement, school_id, set_id, "
                   "vaccine_group, grade, status, reason, valid_doses, doses_required, evaluated_on) "
                   "SELECT :u, 'MMR', :s, set_id, 'MMR', 3, 'compliant', 'forged', 2, 2, current_date "
                   "FROM health.immunization_requirement_sets LIMIT 1", u=outsider, s=RHS)
    # her own student, but filed under a school she does not serve
    mine = scalar(nurse, "SELECT min(student_usi) FROM health.immunization_statuses")
    with pytest.raises(DBAPIError, match="row-level security"):
        run(nurse, "UPDATE health.immunization_statuses SET school_id = :s WHERE student_usi = :u", s=RHS, u=mine)


def test_an_administrator_may_edit_the_rules(login_engine):
    admin = login_engine("demo_admin")
    assert run(admin, "UPDATE health.immunization_requirements SET description = description || ' ' "
                      "WHERE name = 'MMR'") >= 1
