"""Library records are confidential: each role that must not read them tries, the way a curious
user with psql would, and is refused; a librarian of another school sees none of this school's
students' loans and cannot change its copies, rules or inventories."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.security.demo_logins import DEMO_PASSWORD
from tests.integration.test_security import denied, run, scalar

pytestmark = pytest.mark.integration
RHS, RMS = 255950003, 255950002
CONFIDENTIAL = ("library.checkouts", "library.holds", "library.overrides", "library.sync_conflicts")
NOT_LIBRARIANS = ("demo_front_office", "demo_teacher", "demo_dean", "demo_nurse", "demo_cashier",
                  "demo_transportation", "demo_registrar")


@pytest.fixture(scope="module")
def rms_librarian(demo_engine, login_engine):
    """A second librarian, at the middle school, signed in with a real password."""
    from app.security.logins import create_staff_login

    with demo_engine.connect() as c:
        staff = c.execute(text(
            "SELECT a.staffusi FROM edfi.staffeducationorganizationassignmentassociation a "
            "WHERE a.educationorganizationid = :s AND a.positiontitle = 'Librarian' LIMIT 1"), {"s": RMS}).scalar()
        create_staff_login(c, "t_librarian_rms", DEMO_PASSWORD, staff, ("so_librarian",))
        c.commit()
    return login_engine("t_librarian_rms")


@pytest.mark.parametrize("login", NOT_LIBRARIANS)
def test_no_other_desk_reads_or_writes_library_records(login_engine, login):
    e = login_engine(login)
    for t in CONFIDENTIAL:
        assert denied(e, f"SELECT * FROM {t} LIMIT 1"), (login, t)
        assert denied(e, f"UPDATE {t} SET student_usi = student_usi"), (login, t)
        assert denied(e, f"DELETE FROM {t}"), (login, t)
    assert denied(e, "SELECT * FROM library.items LIMIT 1"), login
    assert denied(e, "SELECT * FROM library.check_in_elsewhere('31003000000013', 255950003)"), login


def test_another_schools_librarian_sees_none_of_this_schools_students_loans(login_engine, rms_librarian, demo_engine):
    with demo_engine.connect() as c:
        rhs_only = c.execute(text(
            "SELECT k.student_usi FROM library.checkouts k WHERE k.school_id = :h AND k.student_usi IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM edfi.studentschoolassociation a WHERE a.studentusi = k.student_usi "
            "AND a.schoolid = :m) LIMIT 1"), {"h": RHS, "m": RMS}).scalar()
    assert rhs_only is not None
    assert scalar(login_engine("demo_librarian"), "SELECT count(*) FROM library.checkouts WHERE student_usi = :u",
                  u=rhs_only) > 0
    assert scalar(rms_librarian, "SELECT count(*) FROM library.checkouts WHERE student_usi = :u", u=rhs_only) == 0
    assert scalar(rms_librarian, "SELECT count(*) FROM library.checkouts WHERE school_id = :h AND staff_usi IS NOT NULL",
                  h=RHS) == 0
    # ... and cannot lend to them, nor place a hold for them
    with pytest.raises(DBAPIError, match="permission denied"):  # (no librarian inserts a loan: migration 0062)
        run(rms_librarian, "INSERT INTO library.checkouts (student_usi, resource_id, item_id, school_id, checkout_date, "
                           "due_date) SELECT :u, resource_id, item_id, school_id, current_date, current_date + 7 "
                           "FROM library.items WHERE school_id = :m AND status = 'available' LIMIT 1", u=rhs_only, m=RMS)
    with pytest.raises(DBAPIError, match="row-level security"):
        run(rms_librarian, "INSERT INTO library.holds (resource_id, student_usi, pickup_school_id) VALUES (1, :u, :m)",
            u=rhs_only, m=RMS)


def test_a_librarian_changes_only_their_own_schools_copies_rules_and_inventories(rms_librarian):
    assert scalar(rms_librarian, "SELECT count(*) FROM library.items WHERE school_id = :h", h=RHS) > 0  # union catalogue
    assert run(rms_librarian, "UPDATE library.items SET status = 'withdrawn' WHERE school_id = :h", h=RHS) == 0
    assert run(rms_librarian, "UPDATE library.items SET status = 'missing' WHERE school_id = :m "
                              "AND status = 'available'", m=RMS) > 0
    assert denied(rms_librarian, "DELETE FROM library.items WHERE school_id = :m", m=RMS)
    for sql in ("INSERT INTO library.items (resource_id, barcode, school_id) VALUES (1, 'SNEAKY-1', :h)",
                "INSERT INTO library.loan_rules (school_id, patron_category, loan_days, max_items, max_renewals) "
                "VALUES (:h, '9-12', 99, 99, 99)",
                "INSERT INTO library.loan_rules (school_id, patron_category, loan_days, max_items, max_renewals) "
                "VALUES (NULL, '9-12', 99, 99, 99)",
                "INSERT INTO library.inventories (school_id) VALUES (:h)"):
        with pytest.raises(DBAPIError, match="row-level security"):
            run(rms_librarian, sql, h=RHS)
    assert run(rms_librarian, "UPDATE library.loan_rules SET max_items = 99 WHERE school_id IS NULL") == 0


def test_the_default_rule_cannot_be_removed(demo_engine):
    with pytest.raises(DBAPIError, match="default row"):
        run(demo_engine, "DELETE FROM library.loan_rules WHERE school_id IS NULL AND patron_category IS NULL "
                         "AND item_type IS NULL")


def test_an_override_is_signed_by_whoever_makes_it(login_engine):
    lib = login_engine("demo_librarian")
    with pytest.raises(DBAPIError, match="row-level security"):
        run(lib, "INSERT INTO library.overrides (student_usi, school_id, action, block_code, reason, approved_by) "
                 "SELECT studentusi, :h, 'checkout', 'too_many_items', 'forged approval', 'demo_admin' "
                 "FROM edfi.student LIMIT 1", h=RHS)
    assert denied(lib, "UPDATE library.overrides SET reason = 'changed later'")
    assert denied(lib, "DELETE FROM library.checkouts")


def test_check_in_elsewhere_is_only_for_a_school_the_librarian_serves(rms_librarian):
    with pytest.raises(DBAPIError, match="do not work at school"):
        run(rms_librarian, "SELECT * FROM library.check_in_elsewhere('31003000000013', :h)", h=RHS)


def test_library_functions_are_not_public(demo_engine):
    rows = run(demo_engine, "SELECT p.proname, p.proacl::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                            "WHERE n.nspname = 'library'")
    assert rows and all(acl is not None and not acl.startswith("{=X") and ",=X" not in acl for _, acl in rows), rows
