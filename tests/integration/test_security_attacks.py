"""Issue 8's privilege holes, each attempted the way a curious staff member with psql would,
signed in as the role concerned against the real server, and refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from app.security.demo_logins import DEMO_PASSWORD
from tests.integration.test_security import denied, run, scalar

pytestmark = pytest.mark.integration
RES, RMS, RHS = 255950001, 255950002, 255950003


def refused(engine, sql, match: str, **params) -> bool:
    try:
        run(engine, sql, **params)
    except DBAPIError as exc:
        return match in str(exc.orig)
    return False


def owner_scalar(demo_engine, sql, **params):
    with demo_engine.connect() as c:
        return c.execute(text(sql), params).scalar()


def students_at(demo_engine, login: str) -> set[int]:
    """Students ever enrolled at the schools the login's staff member serves, computed without RLS."""
    with demo_engine.connect() as c:
        schools = c.execute(text("SELECT schoolid FROM edfi.staffschoolassociation w JOIN edfi.staff st "
                                 "ON st.staffusi = w.staffusi WHERE st.loginid = :l"), {"l": login}).scalars().all()
        return set(c.execute(text("SELECT DISTINCT studentusi FROM edfi.studentschoolassociation "
                                  "WHERE schoolid = ANY(:s)"), {"s": list(schools)}).scalars())


def foreign_student(demo_engine, login: str) -> int:
    """A student the login must not see: never enrolled at any of its schools."""
    mine = students_at(demo_engine, login)
    with demo_engine.connect() as c:
        return next(u for u in c.execute(text("SELECT studentusi FROM edfi.student ORDER BY 1")).scalars()
                    if u not in mine)


# -- 1, 2: sign-in management touches only School Office sign-ins --------------------------------
@pytest.fixture(scope="module")
def outsider_roles(demo_engine):
    with demo_engine.connect() as c:
        c.execute(text("DROP ROLE IF EXISTS t_reporting_app"))
        c.execute(text("DROP ROLE IF EXISTS t_unrecorded_teacher"))
        c.execute(text("CREATE ROLE t_reporting_app LOGIN PASSWORD 'reporting-secret-1'"))
        c.execute(text("CREATE ROLE t_unrecorded_teacher LOGIN PASSWORD 'unrecorded-secret' IN ROLE so_teacher"))
        c.execute(text("DROP ROLE IF EXISTS t_shipper_service"))
        c.execute(text("CREATE ROLE t_shipper_service LOGIN PASSWORD 'shipper-secret-1' IN ROLE so_shipper"))
        c.execute(text("INSERT INTO compliance.staff_logins (login) VALUES ('t_shipper_service') ON CONFLICT DO NOTHING"))
        c.commit()
    yield ("t_reporting_app", "t_unrecorded_teacher", "t_shipper_service")
    with demo_engine.connect() as c:
        c.execute(text("DROP ROLE IF EXISTS t_reporting_app"))
        c.execute(text("DROP ROLE IF EXISTS t_unrecorded_teacher"))
        c.execute(text("DELETE FROM compliance.staff_logins WHERE login = 't_shipper_service'"))
        c.execute(text("DROP ROLE IF EXISTS t_shipper_service"))
        c.commit()


@pytest.mark.parametrize("call", [
    "SELECT compliance.set_login_password(:l, 'taken-over-now')",
    "SELECT compliance.set_login_enabled(:l, false)",
    "SELECT compliance.create_staff_login(:l, 'taken-over-now', 1, ARRAY['so_admin'])",
])
def test_an_administrator_cannot_touch_logins_school_office_did_not_make(login_engine, outsider_roles, call):
    admin = login_engine("demo_admin")
    for login in (*outsider_roles, "postgres"):
        assert refused(admin, call, "is not a School Office sign-in", l=login), (call, login)


def test_an_administrator_still_manages_the_sign_ins_the_app_made(login_engine):
    admin = login_engine("demo_admin")
    assert len(run(admin, "SELECT compliance.set_login_password('demo_teacher', 'a-new-password-1')")) == 1


def test_shadowing_the_catalog_with_temporary_tables_does_not_pass_the_checks(login_engine):
    """pg_temp first in a definer's search_path would let these fake rows answer its questions."""
    admin = login_engine("demo_admin")
    with admin.connect() as c:
        tx = c.begin()
        try:
            c.execute(text("CREATE TEMP TABLE pg_roles (rolname name, rolsuper bool, rolreplication bool, "
                           "rolbypassrls bool, rolcreaterole bool, rolcreatedb bool, oid oid)"))
            c.execute(text("CREATE TEMP TABLE pg_auth_members (member oid, roleid oid)"))
            c.execute(text("INSERT INTO pg_roles VALUES ('postgres', false, false, false, false, false, 10)"))
            with pytest.raises(DBAPIError, match="is not a School Office sign-in"):
                c.execute(text("SELECT compliance.set_login_password('postgres', 'taken-over-now')"))
        finally:
            tx.rollback()


def test_privileged_functions_are_not_callable_by_everyone(login_engine):
    cashier = login_engine("demo_cashier")
    assert denied(cashier, "SELECT compliance.ensure_audit_partition(current_date + 400)")
    assert denied(cashier, "SELECT compliance.attach_audit('cafeteria.meal_transactions')")
    assert denied(cashier, "SELECT compliance.find_student_duplicates('100001', '', '', NULL)")
    assert denied(cashier, "SELECT compliance.assign_staff_schools(1, ARRAY[255950001]::bigint[], 2027::smallint)")


# -- 3: who works where is not writable by the people it scopes ----------------------------------
@pytest.mark.parametrize("login", ["demo_front_office", "demo_registrar", "demo_teacher", "demo_admin"])
def test_no_one_adds_themselves_to_another_school_or_section(login_engine, demo_engine, login):
    e = login_engine(login)
    me = owner_scalar(demo_engine, "SELECT staffusi FROM edfi.staff WHERE loginid = :l", l=login)
    for sql in (
        f"INSERT INTO edfi.staffschoolassociation (staffusi, schoolid, programassignmentdescriptorid, schoolyear) "
        f"SELECT {me}, {RMS}, programassignmentdescriptorid, schoolyear FROM edfi.staffschoolassociation LIMIT 1",
        f"UPDATE edfi.staffschoolassociation SET schoolid = {RMS} WHERE staffusi = {me}",
        f"UPDATE edfi.staff SET loginid = '{login}' WHERE staffusi <> {me}",
        f"INSERT INTO edfi.staffsectionassociation (begindate, localcoursecode, schoolid, schoolyear, "
        f"sectionidentifier, sessionname, staffusi) SELECT begindate, localcoursecode, schoolid, schoolyear, "
        f"sectionidentifier, sessionname, {me} FROM edfi.staffsectionassociation LIMIT 1",
        f"DELETE FROM edfi.staffeducationorganizationassignmentassociation WHERE staffusi = {me}",
    ):
        assert denied(e, sql), (login, sql)


def test_administrators_change_who_works_where_through_an_audited_function(login_engine, demo_engine):
    admin = login_engine("demo_admin")
    staff = owner_scalar(demo_engine, "SELECT staffusi FROM edfi.staff WHERE loginid = 'demo_nurse'")
    with admin.connect() as c:
        tx = c.begin()
        try:
            c.execute(text("SELECT compliance.assign_staff_schools(:s, ARRAY[:school]::bigint[], 2027::smallint)"),
                      {"s": staff, "school": RHS})
            entry = c.execute(text(
                "SELECT user_id, operation, new_values->>'schoolid' FROM compliance.audit_logs "
                "WHERE table_name = 'edfi.staffschoolassociation' ORDER BY id DESC LIMIT 1")).one()
        finally:
            tx.rollback()
    assert tuple(entry) == ("demo_admin", "INSERT", str(RHS))


# -- 4, 5, 9: each role sees the students of the schools it serves ------------------------------
@pytest.mark.parametrize("login", ["demo_front_office", "demo_nurse", "demo_cashier", "demo_librarian",
                                   "demo_dean", "demo_registrar"])
def test_school_staff_see_exactly_their_schools_students(login_engine, demo_engine, login):
    expected = students_at(demo_engine, login)
    assert 0 < len(expected) < 400
    seen = {r[0] for r in run(login_engine(login), "SELECT studentusi FROM edfi.student")}
    assert seen == expected


def test_district_staff_see_the_district(login_engine):
    assert scalar(login_engine("demo_transportation"), "SELECT count(*) FROM edfi.student") == 400
    assert scalar(login_engine("demo_admin"), "SELECT count(*) FROM edfi.student") == 400


def test_allergy_flags_follow_the_callers_row_level_security(login_engine, demo_engine):
    with demo_engine.connect() as c:
        flagged = set(c.execute(text("SELECT student_usi FROM health.student_alert_flags")).scalars())
    for login in ("demo_teacher", "demo_cashier", "demo_front_office"):
        e = login_engine(login)
        mine = {r[0] for r in run(e, "SELECT studentusi FROM edfi.student")}
        seen = {r[0] for r in run(e, "SELECT student_usi FROM health.student_alert_flags")}
        assert seen == flagged & mine, login
    teacher = login_engine("demo_teacher")
    assert denied(teacher, "SELECT reaction, treatment_plan FROM health.allergies")


def test_oneroster_people_follow_the_student_tables(login_engine, demo_engine):
    clerk = login_engine("demo_front_office")
    outsider = foreign_student(demo_engine, "demo_front_office")
    uid = owner_scalar(demo_engine, "SELECT studentuniqueid FROM edfi.student WHERE studentusi = :u", u=outsider)
    for table, col in (("users", "sourced_id"), ("demographics", "sourced_id"), ("enrollments", "user_sourced_id"),
                       ("roles", "user_sourced_id")):
        assert scalar(clerk, f"SELECT count(*) FROM oneroster.{table} WHERE {col} = md5('STU-' || :uid)",
                      uid=uid) == 0, table
    visible = students_at(demo_engine, "demo_front_office")
    assert scalar(clerk, "SELECT count(*) FROM oneroster.demographics") == len(visible)
    # the staff directory of OneRoster stays readable
    staff_users = owner_scalar(demo_engine, "SELECT count(*) FROM oneroster.users u WHERE NOT EXISTS (SELECT 1 FROM "
                                            "edfi.student s WHERE md5('STU-' || s.studentuniqueid) = u.sourced_id)")
    assert scalar(clerk, "SELECT count(*) FROM oneroster.users") == len(visible) + staff_users


def test_contacts_of_other_schools_families_are_hidden(login_engine, demo_engine):
    clerk = login_engine("demo_front_office")
    mine = students_at(demo_engine, "demo_front_office")
    with demo_engine.connect() as c:
        links = c.execute(text("SELECT contactusi, array_agg(studentusi) FROM edfi.studentcontactassociation "
                               "GROUP BY 1 ORDER BY 1")).all()
    contact = next((cu for cu, students in links if not set(students) & mine), None)
    assert contact is not None
    for table in ("contact", "contacttelephone", "contactelectronicmail", "contactaddress"):
        assert scalar(clerk, f"SELECT count(*) FROM edfi.{table} WHERE contactusi = :c", c=contact) == 0, table


def test_a_cashier_serves_a_visiting_student_through_a_narrow_logged_look_up(login_engine, demo_engine):
    cashier = login_engine("demo_cashier")
    visitor = foreign_student(demo_engine, "demo_cashier")
    uid = owner_scalar(demo_engine, "SELECT studentuniqueid FROM edfi.student WHERE studentusi = :u", u=visitor)
    assert scalar(cashier, "SELECT count(*) FROM edfi.student WHERE studentusi = :u", u=visitor) == 0
    with cashier.connect() as c:
        with c.begin():
            result = c.execute(text("SELECT * FROM cafeteria.visiting_student(:uid)"), {"uid": uid})
            cols, rows = list(result.keys()), result.all()
    assert cols == ["studentusi", "studentuniqueid", "name", "grade", "school", "photo_url", "food_allergy",
                    "severe_allergy", "allergens", "balance"]
    assert len(rows) == 1 and rows[0].studentuniqueid == uid
    logged = scalar(login_engine("demo_admin"), "SELECT count(*) FROM compliance.audit_logs WHERE user_id = "
                    "'demo_cashier' AND operation = 'LOOKUP' AND record_id LIKE '%' || :uid || '%'", uid=uid)
    assert logged >= 1
    assert refused(login_engine("demo_librarian"), "SELECT * FROM cafeteria.visiting_student('100001')",
                   "permission denied")


# -- 6: the duplicate check answers a duplicate question, nothing more --------------------------
def test_the_duplicate_check_returns_only_directory_facts_for_exact_matches(login_engine, demo_engine):
    clerk = login_engine("demo_front_office")
    outsider = foreign_student(demo_engine, "demo_front_office")
    with demo_engine.connect() as c:
        s = c.execute(text("SELECT studentuniqueid, firstname, lastsurname, birthdate FROM edfi.student "
                           "WHERE studentusi = :u"), {"u": outsider}).one()
    with clerk.connect() as c:
        with c.begin():
            by_id = c.execute(text("SELECT * FROM compliance.find_student_duplicates(:u, '', '', NULL)"),
                              {"u": s.studentuniqueid})
            cols, rows = list(by_id.keys()), by_id.all()
            by_name = c.execute(text("SELECT studentusi FROM compliance.find_student_duplicates('', :f, :l, :b)"),
                                {"f": s.firstname, "l": s.lastsurname, "b": s.birthdate}).scalars().all()
            walks = [c.execute(text("SELECT count(*) FROM compliance.find_student_duplicates(:u, :f, :l, :b)"),
                               p).scalar() for p in (
                {"u": "", "f": "", "l": s.lastsurname, "b": None},             # a name alone
                {"u": "", "f": s.firstname, "l": s.lastsurname, "b": None},    # no birth date
                {"u": "%", "f": "%", "l": "%", "b": s.birthdate},              # wildcards are not patterns
                {"u": s.studentuniqueid[:-1], "f": "", "l": "", "b": None},    # a prefix of an id
            )]
    assert cols == ["studentusi", "studentuniqueid", "name", "birthdate", "school", "grade", "same_id"]
    assert len(rows) == 1 and rows[0].studentusi == outsider and rows[0].same_id
    assert outsider in by_name
    assert walks == [0, 0, 0, 0]
    logged = scalar(login_engine("demo_admin"), "SELECT count(*) FROM compliance.audit_logs WHERE user_id = "
                    "'demo_front_office' AND operation = 'LOOKUP' AND justification LIKE 'duplicate check%'")
    assert logged >= 6


# -- 7: writes are limited to students the writer already serves ---------------------------------
def test_a_clerk_cannot_enroll_a_student_of_another_school_to_see_them(login_engine, demo_engine):
    clerk = login_engine("demo_front_office")
    outsider = foreign_student(demo_engine, "demo_front_office")
    grade = owner_scalar(demo_engine, "SELECT entrygradeleveldescriptorid FROM edfi.studentschoolassociation "
                                      "WHERE schoolid = :s LIMIT 1", s=RES)
    for sql in (
        f"INSERT INTO edfi.studentschoolassociation (entrydate, schoolid, studentusi, entrygradeleveldescriptorid) "
        f"VALUES (current_date, {RES}, {outsider}, {grade})",
        f"INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid, "
        f"schoolyear, sessionname, studentusi) SELECT attendanceeventcategorydescriptorid, eventdate + 1, schoolid, "
        f"schoolyear, sessionname, {outsider} FROM edfi.studentschoolattendanceevent LIMIT 1",
        f"INSERT INTO edfi.studentcontactassociation (contactusi, studentusi) "
        f"SELECT contactusi, {outsider} FROM edfi.contact LIMIT 1",
    ):
        assert refused(clerk, sql, "violates row-level security policy"), sql


def test_a_teacher_cannot_mark_attendance_for_a_student_outside_their_sections(login_engine, demo_engine):
    teacher = login_engine("demo_teacher")
    with demo_engine.connect() as c:
        theirs = c.execute(text(
            "SELECT s.studentusi FROM edfi.student s WHERE s.studentusi NOT IN (SELECT y.studentusi FROM "
            "edfi.studentsectionassociation y JOIN edfi.staffsectionassociation t USING (localcoursecode, schoolid, "
            "schoolyear, sectionidentifier, sessionname) JOIN edfi.staff st ON st.staffusi = t.staffusi "
            "WHERE st.loginid = 'demo_teacher') ORDER BY 1 LIMIT 1")).scalar()
    assert theirs is not None
    sql = (f"INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid, "
           f"schoolyear, sessionname, studentusi) SELECT attendanceeventcategorydescriptorid, eventdate + 1, schoolid, "
           f"schoolyear, sessionname, {theirs} FROM edfi.studentschoolattendanceevent LIMIT 1")
    assert refused(teacher, sql, "violates row-level security policy")


# -- 13: turning a sign-in off ends its open sessions ---------------------------------------------
def test_turning_a_sign_in_off_ends_the_sessions_it_has_open(login_engine, demo_engine):
    admin = login_engine("demo_admin")
    staff, old_login = demo_engine.connect().execute(text(
        "SELECT staffusi, loginid FROM edfi.staff WHERE loginid NOT LIKE 'demo\\_%' ORDER BY 1 LIMIT 1")).one()
    with admin.begin() as c:
        c.execute(text("SELECT compliance.create_staff_login('t_leaving_teacher', 'leaving-password-1', :s, "
                       "ARRAY['so_teacher'])"), {"s": staff})
    leaving = create_engine(demo_engine.url.set(username="t_leaving_teacher", password="leaving-password-1"))
    try:
        conn = leaving.connect()
        assert conn.execute(text("SELECT session_user")).scalar() == "t_leaving_teacher"
        with admin.begin() as c:
            c.execute(text("SELECT compliance.set_login_enabled('t_leaving_teacher', false)"))
        with pytest.raises(OperationalError):
            conn.execute(text("SELECT count(*) FROM edfi.student")).scalar()
        conn.invalidate()
        with pytest.raises(OperationalError, match="not permitted to log in"):
            leaving.connect()
    finally:
        leaving.dispose()
        with demo_engine.connect() as c:
            c.execute(text("UPDATE edfi.staff SET loginid = :o WHERE loginid = 't_leaving_teacher'"), {"o": old_login})
            c.execute(text("DELETE FROM compliance.staff_logins WHERE login = 't_leaving_teacher'"))
            c.execute(text("DROP ROLE IF EXISTS t_leaving_teacher"))
            c.commit()


# -- 16: a name search as a clerk stays on its index under row-level security ---------------------
def test_a_clerks_name_search_uses_the_name_index_under_row_level_security(login_engine):
    from app.services.student_search import search_students

    clerk = login_engine("demo_front_office")
    with clerk.connect() as c:
        plan = "\n".join(r[0] for r in c.execute(text(
            "EXPLAIN SELECT studentusi FROM edfi.student s WHERE starts_with(compliance.name_key(s.lastsurname), 'zh')")))
        hits = search_students(c, "a")
    assert "ix_student_lastsurname_key" in plan and "Seq Scan on student" not in plan
    assert hits and all(h.school_name == "Riverbend Elementary School" for h in hits)


def test_wrong_password_still_refused_for_demo_logins(demo_engine):
    bad = create_engine(demo_engine.url.set(username="demo_cashier", password=DEMO_PASSWORD + "x"))
    try:
        with pytest.raises(OperationalError, match="password authentication failed"):
            bad.connect()
    finally:
        bad.dispose()


# -- found by the attack review of 0007-0009 (migration 0010) --------------------------------------
def test_a_registrar_cannot_move_schools_into_a_district_to_see_them(login_engine):
    registrar = login_engine("demo_registrar")
    assert denied(registrar, "UPDATE edfi.school SET localeducationagencyid = localeducationagencyid")
    assert denied(registrar, "INSERT INTO edfi.localeducationagency (localeducationagencyid, "
                             "localeducationagencycategorydescriptorid) VALUES (255950003, 1)")


def test_a_clerk_cannot_link_another_familys_contact_to_read_it(login_engine, demo_engine):
    clerk = login_engine("demo_front_office")
    mine = sorted(students_at(demo_engine, "demo_front_office"))
    with demo_engine.connect() as c:
        links = c.execute(text("SELECT contactusi, array_agg(studentusi) FROM edfi.studentcontactassociation "
                               "GROUP BY 1 ORDER BY 1")).all()
    foreign = next(cu for cu, students in links if not set(students) & set(mine))
    assert refused(clerk, "INSERT INTO edfi.studentcontactassociation (contactusi, studentusi) VALUES (:c, :u)",
                   "violates row-level security policy", c=foreign, u=mine[0])
    # a sibling's family, already linked to a student the clerk serves, can still be linked
    shared = next(cu for cu, students in links if set(students) & set(mine))
    other = next(u for u in mine if (shared, u) not in {(cu, s) for cu, ss in links for s in ss})
    assert run(clerk, "INSERT INTO edfi.studentcontactassociation (contactusi, studentusi) VALUES (:c, :u)",
               c=shared, u=other) == 1


def test_a_former_school_cannot_change_or_delete_the_new_schools_enrollment(login_engine, demo_engine):
    from app.services import enrollment as E

    clerk = login_engine("demo_front_office")
    usi = sorted(students_at(demo_engine, "demo_front_office"))[0]
    with clerk.connect() as c:
        tx = c.begin()
        try:
            # the clerk transfers her student to the middle school ...
            grade = c.execute(text("SELECT d.codevalue FROM edfi.schoolgradelevel g JOIN edfi.descriptor d "
                                   "ON d.descriptorid = g.gradeleveldescriptorid WHERE g.schoolid = :s "
                                   "ORDER BY 1 LIMIT 1"), {"s": RMS}).scalar()
            E.transfer_student(c, usi, RMS, grade, date(2026, 11, 30), today=date(2026, 11, 20))
            # ... and then cannot change, nor delete, the middle school's row
            assert c.execute(text("UPDATE edfi.studentschoolassociation SET exitwithdrawdate = '2026-12-01' "
                                  "WHERE studentusi = :u AND schoolid = :s"), {"u": usi, "s": RMS}).rowcount == 0
            with pytest.raises(ProgrammingError, match="permission denied"):
                with c.begin_nested():
                    c.execute(text("DELETE FROM edfi.studentschoolassociation WHERE studentusi = :u"), {"u": usi})
        finally:
            tx.rollback()


def test_staff_rows_of_oneroster_are_read_but_not_written_by_a_clerk(login_engine, demo_engine):
    clerk = login_engine("demo_front_office")
    staff_rows = "NOT EXISTS (SELECT 1 FROM compliance.student_keys k WHERE k.sourced_id = u.sourced_id)"
    assert scalar(clerk, f"SELECT count(*) FROM oneroster.users u WHERE {staff_rows}") > 0
    assert run(clerk, f"UPDATE oneroster.users u SET email = 'attacker@example.com' WHERE {staff_rows}") == 0


def test_deans_teachers_and_nurses_stay_within_their_own_records(login_engine, demo_engine):
    dean = login_engine("demo_dean")
    with demo_engine.connect() as c:
        other_school_incidents = c.execute(text("SELECT count(*) FROM edfi.disciplineincident WHERE schoolid <> :s"),
                                           {"s": RHS}).scalar()
        all_entries = c.execute(text("SELECT count(*) FROM edfi.gradebookentry")).scalar()
        all_goals = c.execute(text("SELECT count(*) FROM specialed.iep_goals")).scalar()
    assert other_school_incidents > 0
    assert scalar(dean, "SELECT count(*) FROM edfi.disciplineincident WHERE schoolid <> :s", s=RHS) == 0
    assert run(dean, "UPDATE edfi.disciplineincident SET incidentdescription = incidentdescription "
                     "WHERE schoolid <> :s", s=RHS) == 0
    teacher_entries = scalar(login_engine("demo_teacher"), "SELECT count(*) FROM edfi.gradebookentry")
    assert 0 < teacher_entries < all_entries
    assert run(login_engine("demo_teacher"), "UPDATE edfi.gradebookentry SET title = title") == teacher_entries
    nurse_goals = scalar(login_engine("demo_nurse"), "SELECT count(*) FROM specialed.iep_goals")
    assert nurse_goals < all_goals
