"""The grades boundary attacked the way a curious staff member with psql would (migration 0019)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

pytestmark = pytest.mark.integration
RES, RHS = 255950001, 255950003
SECTION_COLS = "localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname"


def run(engine, sql, **p):
    with engine.begin() as c:
        r = c.execute(text(sql), p)
        return r.rowcount if r.returns_rows is False else r.all()


def refused(engine, sql, **p) -> str:
    try:
        run(engine, sql, **p)
    except DBAPIError as exc:
        return str(exc.orig)
    return ""


def owner(demo_engine, sql, **p):
    with demo_engine.connect() as c:
        return c.execute(text(sql), p).all()


@pytest.fixture(scope="module")
def other_section_grade(demo_engine):
    """An open-period (Q2) grade of a section demo_teacher does not teach, of a student they do teach."""
    return owner(demo_engine, f"""
        SELECT g.* FROM edfi.grade g
        WHERE g.gradingperiodname LIKE '%Q2' AND g.studentusi IN (
              SELECT a.studentusi FROM edfi.studentsectionassociation a JOIN edfi.staffsectionassociation t
              USING ({SECTION_COLS}) JOIN edfi.staff st ON st.staffusi = t.staffusi WHERE st.loginid = 'demo_teacher')
          AND NOT EXISTS (SELECT 1 FROM edfi.staffsectionassociation t JOIN edfi.staff st USING (staffusi)
              WHERE st.loginid = 'demo_teacher' AND t.sectionidentifier = g.sectionidentifier
              AND t.localcoursecode = g.localcoursecode)
        LIMIT 1""")[0]._mapping


def test_a_teacher_neither_reads_nor_writes_grades_of_sections_they_do_not_teach(login_engine, other_section_grade):
    teacher = login_engine("demo_teacher")
    g = other_section_grade
    seen = run(teacher, "SELECT count(*) FROM edfi.grade WHERE sectionidentifier = :s AND studentusi = :u",
               s=g["sectionidentifier"], u=g["studentusi"])[0][0]
    assert seen == 0
    assert run(teacher, "UPDATE edfi.grade SET lettergradeearned = 'A' WHERE sectionidentifier = :s",
               s=g["sectionidentifier"]) == 0
    err = refused(teacher, "INSERT INTO edfi.grade (begindate, gradetypedescriptorid, gradingperioddescriptorid, "
                  "gradingperiodname, gradingperiodschoolyear, localcoursecode, schoolid, schoolyear, sectionidentifier, "
                  "sessionname, studentusi, lettergradeearned) VALUES (:b, (SELECT descriptorid FROM edfi.descriptor "
                  "WHERE codevalue = 'Final' AND namespace LIKE '%GradeTypeDescriptor'), :gpd, :gpn, :gpsy, :lcc, :sch, "
                  ":sy, :sec, :sess, :u, 'A')",
                  b=g["begindate"], gpd=g["gradingperioddescriptorid"], gpn=g["gradingperiodname"],
                  gpsy=g["gradingperiodschoolyear"], lcc=g["localcoursecode"], sch=g["schoolid"], sy=g["schoolyear"],
                  sec=g["sectionidentifier"], sess=g["sessionname"], u=g["studentusi"])
    assert "row-level security" in err


def test_a_teacher_cannot_change_their_own_posted_grades_behind_the_apps_back(login_engine, demo_engine):
    teacher = login_engine("demo_teacher")
    posted = run(teacher, "SELECT count(*) FROM edfi.grade WHERE gradingperiodname LIKE '%Q1'")[0][0]
    assert posted > 0  # they read them ...
    assert run(teacher, "UPDATE edfi.grade SET lettergradeearned = 'A' WHERE gradingperiodname LIKE '%Q1'") == 0
    assert "permission denied" in refused(teacher, "DELETE FROM edfi.grade WHERE gradingperiodname LIKE '%Q1'")
    assert run(teacher, "DELETE FROM edfi.gradelearningstandardgrade WHERE gradingperiodname LIKE '%Q1'") == 0
    # ... nor reopen the window themselves, nor forge the correction log
    assert "permission denied" in refused(teacher, "UPDATE grades.posting_window SET closed_at = NULL")
    assert "permission denied" in refused(teacher, "INSERT INTO grades.grade_correction (studentusi, schoolid, "
                                          "sectionidentifier, localcoursecode, schoolyear, sessionname, gradingperiodname, "
                                          "gradetypedescriptorid, reason) VALUES (1, 1, 'x', 'x', 1, 'x', 'x', 1, 'x')")


def test_the_registrar_corrects_posted_grades_only_with_a_reason(login_engine):
    registrar = login_engine("demo_registrar")
    err = refused(registrar, "UPDATE edfi.grade SET lettergradeearned = 'A' WHERE ctid = (SELECT ctid FROM edfi.grade "
                  "WHERE gradingperiodname LIKE '%Q1' AND lettergradeearned <> 'A' AND schoolid = :s LIMIT 1)", s=RHS)
    assert "needs a reason" in err
    assert "permission denied" in refused(registrar, "DELETE FROM grades.grade_correction")


def test_a_registrar_opens_only_their_own_schools_windows(login_engine):
    registrar = login_engine("demo_registrar")  # Riverbend High
    assert run(registrar, "UPDATE grades.posting_window SET closed_at = NULL WHERE schoolid = :s", s=RES) == 0
    err = refused(registrar, "INSERT INTO grades.posting_window (gradingperioddescriptorid, gradingperiodname, schoolid, "
                  "schoolyear) SELECT gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear "
                  "FROM edfi.gradingperiod WHERE schoolid = :s AND gradingperiodname LIKE '%Q4'", s=RES)
    assert "row-level security" in err


@pytest.mark.parametrize("login", ["demo_teacher", "demo_front_office", "demo_dean", "demo_nurse", "demo_cashier",
                                   "demo_librarian", "demo_transportation"])
@pytest.mark.parametrize("table", ["edfi.coursetranscript", "grades.issued_document", "grades.transcript_release",
                                   "edfi.studentacademicrecordclassranking"])
def test_transcripts_and_their_release_log_are_the_registrars(login_engine, login, table):
    assert "permission denied" in refused(login_engine(login), f"SELECT count(*) FROM {table}")


@pytest.mark.parametrize("login", ["demo_dean", "demo_nurse", "demo_cashier", "demo_librarian", "demo_transportation"])
def test_roles_without_a_reports_desk_read_no_grades(login_engine, login):
    assert "permission denied" in refused(login_engine(login), "SELECT count(*) FROM edfi.grade")
    assert "permission denied" in refused(login_engine(login), "SELECT count(*) FROM edfi.gradelearningstandardgrade")


def test_the_front_office_reads_its_schools_grades_but_changes_none(login_engine, demo_engine):
    clerk = login_engine("demo_front_office")  # Riverbend Elementary
    schools = {r[0] for r in run(clerk, "SELECT DISTINCT schoolid FROM edfi.grade")}
    assert schools == {RES}
    assert "permission denied" in refused(clerk, "UPDATE edfi.grade SET lettergradeearned = 'A'")
    assert "permission denied" in refused(clerk, "DELETE FROM edfi.gradelearningstandardgrade")
    assert "permission denied" in refused(clerk, "INSERT INTO grades.posting_window (gradingperioddescriptorid, "
                                          "gradingperiodname, schoolid, schoolyear) VALUES (1, 'x', 1, 1)")


def test_privileged_grade_functions_are_not_public(demo_engine):
    rows = owner(demo_engine, "SELECT p.proname, p.proacl::text FROM pg_proc p JOIN pg_namespace n "
                 "ON n.oid = p.pronamespace WHERE n.nspname = 'grades'")
    assert {r[0] for r in rows} == {"window_open", "period_posted", "guard_posted_grade", "grade_posted",
                                   "keep_reopened_at", "check_release"}
    for name, acl in rows:
        assert acl is not None and not acl.strip("{}").startswith("=X") and ",=X/" not in acl, name  # not PUBLIC
        assert "so_cashier" not in acl and "so_nurse" not in acl, name
