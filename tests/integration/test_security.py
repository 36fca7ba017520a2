"""The database is the guard: each role's grants, row-level security, the audit trail and
password sign-in, proven by connecting as each demo login to the real server."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.security.demo_logins import DEMO_LOGINS, create_demo_logins

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def logins(demo_engine, login_engine):
    assert set(create_demo_logins(demo_engine)) == set(DEMO_LOGINS)
    return login_engine


def run(engine, sql, **params):
    """Run in a transaction that is always rolled back: tests leave the shared district as they found it."""
    with engine.connect() as c:
        tx = c.begin()
        try:
            result = c.execute(text(sql), params)
            return result.all() if result.returns_rows else result.rowcount
        finally:
            tx.rollback()


def denied(engine, sql, **params) -> bool:
    try:
        run(engine, sql, **params)
    except ProgrammingError as exc:
        return "permission denied" in str(exc.orig)
    return False


def scalar(engine, sql, **params):
    return run(engine, sql, **params)[0][0]


def refused_by_policy(engine, sql, **params) -> bool:
    try:
        run(engine, sql, **params)
    except ProgrammingError as exc:
        return "row-level security" in str(exc.orig) or "permission denied" in str(exc.orig)
    return False


def test_a_wrong_password_is_refused(logins):
    with pytest.raises(OperationalError, match="password authentication failed"):
        with logins("demo_teacher", "not-the-password").connect():
            pass


def own_school_students(demo_engine, login: str) -> list[int]:
    """The students of the schools the login's staff member works at, read as the owner."""
    with demo_engine.connect() as c:
        return c.execute(text(
            "SELECT DISTINCT a.studentusi FROM edfi.studentschoolassociation a JOIN edfi.staffschoolassociation w "
            "ON w.schoolid = a.schoolid JOIN edfi.staff st ON st.staffusi = w.staffusi WHERE st.loginid = :l "
            "ORDER BY 1"), {"l": login}).scalars().all()


def test_cashier_reads_directory_meal_account_and_allergy_flag_only(logins, demo_engine):
    e = logins("demo_cashier")
    mine = own_school_students(demo_engine, "demo_cashier")
    assert 0 < len(mine) < 400
    assert scalar(e, "SELECT count(*) FROM edfi.student WHERE firstname IS NOT NULL") == len(mine)
    assert scalar(e, "SELECT count(DISTINCT student_usi) FROM cafeteria.student_meal_plans") == len(mine)
    assert scalar(e, "SELECT count(*) FROM health.student_alert_flags") > 0
    # a ledger line only as part of a sale at the cashier's site (tests/integration/test_cafeteria_ledger.py)
    assert refused_by_policy(e, "INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, "
                             "transaction_time, meal_type, amount, payment_method) VALUES (:u, current_date, '11:30', "
                             "'Lunch', -3.25, 'Account')", u=mine[0])
    for sql in ("SELECT birthdate FROM edfi.student", "SELECT * FROM health.allergies",
                "SELECT * FROM health.student_health_records", "SELECT * FROM edfi.disciplineincident",
                "SELECT * FROM specialed.iep", "SELECT * FROM edfi.studentcontactassociation",
                "SELECT * FROM library.checkouts"):
        assert denied(e, sql), sql


def test_nurse_reads_and_writes_health_but_not_discipline(logins):
    e = logins("demo_nurse")
    assert scalar(e, "SELECT count(*) FROM health.allergies") > 0
    assert run(e, "INSERT INTO health.allergies (student_usi, allergen_name, severity) VALUES (2, 'Latex', 'Mild')") == 1
    assert scalar(e, "SELECT count(*) FROM specialed.iep") > 0
    assert denied(e, "SELECT * FROM edfi.disciplineincident")
    assert denied(e, "SELECT * FROM cafeteria.meal_transactions")


def test_librarian_works_the_library_with_directory_information(logins, demo_engine):
    e = logins("demo_librarian")
    mine = own_school_students(demo_engine, "demo_librarian")
    # a loan is made through library.lend (the rules decide it: migration 0059), never by a plain INSERT (0060)
    assert run(e, "SELECT library.lend(i.item_id, :u, NULL, i.school_id, current_date, NULL, now(), NULL, NULL, NULL, "
                  "false, NULL, NULL) FROM library.items i WHERE i.school_id = 255950003 AND i.status = 'available' "
                  "AND NOT EXISTS (SELECT 1 FROM library.checkouts k WHERE k.item_id = i.item_id AND k.return_date IS NULL) "
                  "AND NOT EXISTS (SELECT 1 FROM library.checkouts k WHERE k.student_usi = :u AND k.return_date IS NULL) "
                  "ORDER BY i.item_id LIMIT 1", u=mine[0])[0][0] > 0
    assert denied(e, "INSERT INTO library.checkouts (student_usi, resource_id, item_id, school_id, checkout_date, due_date) "
                     "SELECT :u, i.resource_id, i.item_id, i.school_id, current_date, current_date + 14 "
                     "FROM library.items i WHERE i.school_id = 255950003 AND i.status = 'available' LIMIT 1", u=mine[0])
    assert scalar(e, "SELECT count(*) FROM edfi.student") == len(mine)
    assert denied(e, "SELECT birthdate FROM edfi.student")
    assert denied(e, "SELECT * FROM health.allergies")
    assert denied(e, "SELECT * FROM edfi.disciplineincident")


def test_dean_works_discipline(logins):
    e = logins("demo_dean")
    assert scalar(e, "SELECT count(*) FROM edfi.disciplineincident") > 0
    assert denied(e, "SELECT * FROM health.allergies")


def test_teacher_sees_only_students_in_their_own_sections(logins, demo_engine):
    e = logins("demo_teacher")
    with demo_engine.connect() as c:
        expected = c.execute(text(
            "SELECT count(DISTINCT x.studentusi) FROM edfi.studentsectionassociation x "
            "JOIN edfi.staffsectionassociation t USING (localcoursecode, schoolid, schoolyear, sectionidentifier, "
            "sessionname) JOIN edfi.staff st ON st.staffusi = t.staffusi WHERE st.loginid = 'demo_teacher'")).scalar()
        outsider = c.execute(text(
            "SELECT s.studentusi FROM edfi.student s WHERE NOT EXISTS (SELECT 1 FROM edfi.studentsectionassociation x "
            "JOIN edfi.staffsectionassociation t USING (localcoursecode, schoolid, schoolyear, sectionidentifier, "
            "sessionname) JOIN edfi.staff st ON st.staffusi = t.staffusi WHERE st.loginid = 'demo_teacher' "
            "AND x.studentusi = s.studentusi) LIMIT 1")).scalar()
    assert 0 < expected < 400
    assert scalar(e, "SELECT count(*) FROM edfi.student") == expected
    assert scalar(e, "SELECT count(*) FROM edfi.student WHERE studentusi = :u", u=outsider) == 0
    assert scalar(e, "SELECT count(*) FROM edfi.studentschoolattendanceevent WHERE studentusi = :u", u=outsider) == 0
    assert scalar(e, "SELECT count(DISTINCT studentusi) FROM edfi.studentsectionattendanceevent") == expected
    assert denied(e, "SELECT * FROM health.allergies")
    assert denied(e, "SELECT * FROM edfi.disciplineincident")
    # accommodations are readable (teachers must honour them), and only for the teacher's own students
    with demo_engine.connect() as c:
        hidden_plan = c.execute(text(
            "SELECT a.student_usi FROM specialed.accommodations a WHERE NOT EXISTS (SELECT 1 FROM "
            "edfi.studentsectionassociation x JOIN edfi.staffsectionassociation t USING (localcoursecode, schoolid, "
            "schoolyear, sectionidentifier, sessionname) JOIN edfi.staff st ON st.staffusi = t.staffusi "
            "WHERE st.loginid = 'demo_teacher' AND x.studentusi = a.student_usi) LIMIT 1")).scalar()
    assert hidden_plan is not None
    visible = {r[0] for r in run(e, "SELECT DISTINCT student_usi FROM specialed.accommodations")}
    assert hidden_plan not in visible
    assert not denied(e, "SELECT accommodation_description FROM specialed.accommodations")


def test_front_office_clerk_sees_only_their_schools_students(logins, demo_engine):
    e = logins("demo_front_office")
    with demo_engine.connect() as c:
        expected = c.execute(text(
            "SELECT count(DISTINCT a.studentusi) FROM edfi.studentschoolassociation a JOIN edfi.staffschoolassociation w "
            "ON w.schoolid = a.schoolid JOIN edfi.staff st ON st.staffusi = w.staffusi "
            "WHERE st.loginid = 'demo_front_office'")).scalar()
    assert 0 < expected < 400
    assert scalar(e, "SELECT count(*) FROM edfi.student") == expected
    assert scalar(e, "SELECT count(*) FROM edfi.studentschoolassociation") == expected
    assert denied(e, "SELECT * FROM health.allergies")
    assert denied(e, "SELECT * FROM edfi.disciplineincident")


@pytest.mark.parametrize("login", sorted(DEMO_LOGINS))
def test_no_application_role_can_alter_the_audit_trail(logins, login):
    e = logins(login)
    assert denied(e, "UPDATE compliance.audit_logs SET justification = 'x'")
    assert denied(e, "DELETE FROM compliance.audit_logs")
    assert denied(e, "INSERT INTO compliance.audit_logs (user_id, table_name, operation) VALUES ('me', 't', 'INSERT')")
    assert denied(e, "TRUNCATE compliance.audit_logs")


def test_changes_are_audited_with_database_user_app_user_and_values(logins):
    e = logins("demo_nurse")
    with e.connect() as c:
        tx = c.begin()
        c.execute(text("SELECT set_config('school_office.app_user', 'S00003', true), "
                       "set_config('school_office.workstation', 'NURSE-PC-1', true)"))
        allergy_id = c.execute(text("INSERT INTO health.allergies (student_usi, allergen_name, severity) "
                                    "VALUES (5, 'Latex', 'Mild') RETURNING allergy_id")).scalar()
        c.execute(text("UPDATE health.allergies SET severity = 'Moderate' WHERE allergy_id = :a"), {"a": allergy_id})
        tx.commit()
    admin = logins("demo_admin")
    rows = run(admin, "SELECT user_id, application_user, workstation, operation, record_id, old_values->>'severity', "
                      "new_values->>'severity' FROM compliance.audit_logs WHERE table_name = 'health.allergies' "
                      "AND record_id = :k ORDER BY id", k=f'{{"allergy_id": {allergy_id}}}')
    assert rows == [("demo_nurse", "S00003", "NURSE-PC-1", "INSERT", f'{{"allergy_id": {allergy_id}}}', None, "Mild"),
                    ("demo_nurse", "S00003", "NURSE-PC-1", "UPDATE", f'{{"allergy_id": {allergy_id}}}', "Mild",
                     "Moderate")]


def test_a_sensitive_view_is_recorded_with_its_justification(logins):
    e = logins("demo_dean")
    with e.connect() as c:
        with c.begin():
            c.execute(text("SELECT compliance.log_record_view(7, 'discipline', 'Reviewing before a parent meeting')"))
    rows = run(logins("demo_admin"), "SELECT user_id, operation, data_categories, justification, "
                                     "legitimate_educational_interest FROM compliance.audit_logs "
                                     "WHERE operation = 'VIEW' AND record_id = '{\"studentusi\": 7}'")
    assert ("demo_dean", "VIEW", ["discipline"], "Reviewing before a parent meeting", True) in rows


def audited_tables(engine) -> list[tuple[str, list[str]]]:
    with engine.connect() as c:
        return [(t, list(keys)) for t, keys in c.execute(text(
            "SELECT tg.tgrelid::regclass::text, "
            "array_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum)) "
            "FROM pg_trigger tg JOIN pg_index i ON i.indrelid = tg.tgrelid AND i.indisprimary "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE tg.tgname IN ('audit_upd', 'audit_row') GROUP BY 1 ORDER BY 1")).all()]


def test_every_table_holding_student_data_is_audited(demo_engine):
    names = {t for t, _ in audited_tables(demo_engine)}
    for t in ("edfi.student", "edfi.studentschoolassociation", "edfi.studentschoolattendanceevent",
              "edfi.studentsectionattendanceevent", "edfi.disciplineaction", "edfi.grade", "edfi.contact",
              "edfi.studentcontactassociation", "health.allergies", "health.medications", "specialed.iep",
              "cafeteria.meal_transactions", "library.checkouts", "transportation.student_transportation",
              "two_hour_learning.ai_learning_sessions", "oneroster.users", "oneroster.enrollments",
              "oneroster.demographics", "activities.student_activity_participation"):
        assert t in names, t
    assert len(names) >= 60


def test_the_audit_trigger_of_every_audited_table_records_an_update(demo_engine):
    """For each audited table holding rows: touch one row and find the matching audit entry."""
    checked = 0
    with demo_engine.connect() as c:
        for table, keys in audited_tables(demo_engine):
            tx = c.begin()
            try:
                key_col = keys[0]
                row = c.execute(text(f"SELECT ctid FROM {table} LIMIT 1")).first()
                # append-only ledgers refuse every update (tests/integration/test_cafeteria_ledger.py)
                if row is None or c.execute(text("SELECT 1 FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
                                                 "AND tgname = 'append_only'"), {"t": table}).first():
                    continue
                before = c.execute(text("SELECT count(*) FROM compliance.audit_logs WHERE table_name = :t "
                                        "AND operation = 'UPDATE'"), {"t": table}).scalar()
                c.execute(text(f"UPDATE {table} SET {key_col} = {key_col} WHERE ctid = :c"), {"c": row.ctid})
                entry = c.execute(text("SELECT record_id, old_values IS NOT NULL AND new_values IS NOT NULL "
                                       "FROM compliance.audit_logs WHERE table_name = :t AND operation = 'UPDATE' "
                                       "ORDER BY id DESC LIMIT 1"), {"t": table}).one()
                after = c.execute(text("SELECT count(*) FROM compliance.audit_logs WHERE table_name = :t "
                                       "AND operation = 'UPDATE'"), {"t": table}).scalar()
                assert after == before + 1, table
                assert all(f'"{k}"' in entry[0] for k in keys) and entry[1], table
                checked += 1
            finally:
                tx.rollback()
    assert checked >= 40


def test_only_administrators_manage_sign_ins_and_never_the_superuser(logins):
    from sqlalchemy.exc import DBAPIError

    nurse, admin = logins("demo_nurse"), logins("demo_admin")
    for sql in ("SELECT compliance.set_login_enabled('demo_teacher', false)",
                "SELECT compliance.set_login_password('demo_teacher', 'taken-over-now')",
                "SELECT compliance.create_staff_login('t_sneaky', 'a-long-password', 1, ARRAY['so_admin'])"):
        assert denied(nurse, sql), sql
    for sql in ("SELECT compliance.set_login_password('postgres', 'taken-over-now')",
                "SELECT compliance.set_login_enabled('postgres', false)",
                "SELECT compliance.create_staff_login('t_x', 'a-long-password', 1, ARRAY['pg_read_all_data'])"):
        with pytest.raises(DBAPIError, match="not a School Office sign-in|unknown School Office role"):
            run(admin, sql)


def test_one_statement_touching_many_rows_audits_each_row(demo_engine):
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            n = c.execute(text("UPDATE library.checkouts SET renewal_count = 7 WHERE checkout_id <= 5")).rowcount
            rows = c.execute(text(
                "SELECT record_id, old_values->>'renewal_count', new_values->>'renewal_count' "
                "FROM compliance.audit_logs WHERE table_name = 'library.checkouts' AND operation = 'UPDATE' "
                "AND new_values->>'renewal_count' = '7' ORDER BY record_id")).all()
            deleted = c.execute(text("DELETE FROM library.checkouts WHERE checkout_id IN (6, 7, 8)")).rowcount
            gone = c.execute(text("SELECT count(*) FROM compliance.audit_logs WHERE table_name = 'library.checkouts' "
                                  "AND operation = 'DELETE' AND new_values IS NULL AND old_values IS NOT NULL")).scalar()
        finally:
            tx.rollback()
    assert n == 5 and len(rows) == 5
    assert all(old == "0" and new == "7" for _, old, new in rows)
    assert sorted(r[0] for r in rows) == sorted(f'{{"checkout_id": {i}}}' for i in range(1, 6))
    assert deleted == 3 and gone >= 3
