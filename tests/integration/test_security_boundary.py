"""The boundary every new table must inherit, checked over the migrated schema.

Every table holding student (or family) data has row-level security with a policy, the audit
triggers, and grants only to the roles listed in tests/data/security_boundary.json; every other
table granted to an application role is listed there as reference data. A new table that is in
neither list fails here until someone decides who may touch it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.boundary import table_facts

pytestmark = pytest.mark.integration

BOUNDARY = json.loads((Path(__file__).resolve().parents[1] / "data" / "security_boundary.json").read_text())
# Derived from Ed-Fi rows by triggers and holding ids only; auditing them would double every enrollment
# entry. student_keys (a student's internal id next to md5 of the student id) must be readable whole:
# OneRoster's policies ask "is this sourcedId a student's at all?" of every row.
DERIVED = {"compliance.student_scope", "compliance.teacher_scope", "compliance.student_keys"}
IDS_ONLY_WITHOUT_RLS = {"compliance.student_keys"}


@pytest.fixture(scope="module")
def facts(new_database_module):
    from app.db.migrate import migrate

    eng = new_database_module()
    migrate(eng)
    with eng.connect() as c:
        views = {r[0]: r[1] for r in c.execute(text(
            "SELECT n.nspname || '.' || c.relname, coalesce('security_invoker=true' = ANY (c.reloptions), false) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v'"))}
        return table_facts(c), views, eng


def test_every_table_with_student_data_has_rls_audit_and_only_its_desks_grants(facts):
    rows, views, _ = facts
    problems = []
    for f in (r for r in rows if r["keyed"]):
        name = f["name"]
        if name not in BOUNDARY["student_tables"]:
            problems.append(f"{name} holds student data but is not in tests/data/security_boundary.json")
            continue
        if name in views:
            if not views[name]:
                problems.append(f"{name} is a view over student data without security_invoker")
        elif not (f["relrowsecurity"] and f["policies"] > 0) and name not in IDS_ONLY_WITHOUT_RLS:
            problems.append(f"{name} has no row-level security policy")
        elif not f["audited"] and name not in DERIVED:
            problems.append(f"{name} has no audit trigger")
        if sorted(f["grantees"]) != sorted(BOUNDARY["student_tables"][name]):
            problems.append(f"{name} is granted to {f['grantees']}, expected {BOUNDARY['student_tables'][name]}")
    assert problems == []


def test_every_other_granted_table_is_listed_reference_data(facts):
    rows, _, _ = facts
    problems = [f"{f['name']} is granted to {f['grantees']} but is not listed"
                if f["name"] not in BOUNDARY["reference_tables"] else
                f"{f['name']} is granted to {f['grantees']}, expected {BOUNDARY['reference_tables'][f['name']]}"
                for f in rows if not f["keyed"] and f["grantees"]
                and sorted(f["grantees"]) != sorted(BOUNDARY["reference_tables"].get(f["name"], []))]
    assert problems == []


def test_the_list_covers_the_tables_that_matter():
    """The list itself cannot quietly shrink: the student tables of every desk are in it."""
    for t in ("edfi.student", "edfi.studentschoolassociation", "edfi.contact", "health.allergies",
              "cafeteria.meal_transactions", "library.checkouts", "transportation.student_transportation",
              "oneroster.users", "oneroster.demographics", "specialed.iep", "edfi.studentsectionattendanceevent"):
        assert t in BOUNDARY["student_tables"], t


def test_a_new_table_starts_with_no_grants_and_a_new_function_is_not_public(facts):
    _, _, eng = facts
    with eng.connect() as c:
        tx = c.begin()
        try:
            c.execute(text("CREATE TABLE health.t_new_notes (student_usi integer, note text)"))
            c.execute(text("CREATE FUNCTION compliance.t_new_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'"))
            granted = c.execute(text(
                "SELECT count(*) FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) x "
                "WHERE c.oid = 'health.t_new_notes'::regclass AND x.grantee <> c.relowner")).scalar()
            public_exec = c.execute(text("SELECT has_function_privilege('so_cashier', 'compliance.t_new_fn()', "
                                         "'EXECUTE')")).scalar()
            new_facts = {f["name"]: f for f in table_facts(c)}
        finally:
            tx.rollback()
    assert granted == 0
    assert public_exec is False
    # ... and the boundary test would name it
    assert new_facts["health.t_new_notes"]["keyed"] and "health.t_new_notes" not in BOUNDARY["student_tables"]


def test_every_privileged_function_is_pinned_and_not_public(facts):
    _, _, eng = facts
    with eng.connect() as c:
        rows = c.execute(text(
            "SELECT p.oid::regprocedure::text, p.prosecdef, p.proconfig, "
            "EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x WHERE x.grantee = 0) "
            "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname IN ('compliance', 'sync', 'edfi', 'health', 'cafeteria', 'library', 'transportation', "
            "'specialed', 'activities', 'oneroster', 'two_hour_learning')")).all()
    definers = [r for r in rows if r[1]]
    assert len(definers) >= 15
    unpinned = [r[0] for r in definers if not any(s.startswith("search_path=") and s.rstrip().endswith("pg_temp")
                                                  for s in (r[2] or []))]
    public = [r[0] for r in rows if r[3]]
    assert unpinned == [] and public == []
