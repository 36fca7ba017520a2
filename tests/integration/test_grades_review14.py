"""Defects found by the review of #14, each checked against the figure a registrar would work out by
hand (not re-derived from the stored rows): the report card's period GPA, the transcript's letter for an
averaged score, repeats across terms, corrections after a reopening, and the release log's integrity."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.errors import UserError
from app.services.grades import entry, report_cards, term_end
from app.services.grades.entry import PeriodKey
from app.services.grades.transcripts import ordinal

pytestmark = pytest.mark.integration
RHS = 255950003
GRADE_KEY = ("begindate, gradingperioddescriptorid, gradingperiodname, gradingperiodschoolyear, localcoursecode, "
             "schoolid, schoolyear, sectionidentifier, sessionname, studentusi")


@contextmanager
def rolled_back(engine):
    with engine.connect() as c:
        tx = c.begin()
        try:
            yield c
        finally:
            tx.rollback()


def refused(c, sql, **p) -> str:
    """Run one statement in a savepoint, the way a user with psql would; the error text, or ''."""
    try:
        with c.begin_nested():
            c.execute(text(sql), p)
    except DBAPIError as exc:
        return str(exc.orig).splitlines()[0]
    return ""


def descriptor(c, kind: str, code: str) -> int:
    return c.execute(text("SELECT descriptorid FROM edfi.descriptor WHERE discriminator = :k AND codevalue = :c"),
                     {"k": f"edfi.{kind}", "c": code}).scalar_one()


def period(c, suffix: str) -> PeriodKey:
    return PeriodKey(*c.execute(text(
        "SELECT gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear FROM edfi.gradingperiod "
        "WHERE schoolid = :s AND gradingperiodname LIKE :n ORDER BY schoolyear DESC LIMIT 1"),
        {"s": RHS, "n": f"%{suffix}"}).one())


def ninth_grader_period_grades(c, q1: PeriodKey) -> tuple[int, list]:
    """A ninth grader with no transcript yet and their Q1 grading-period grades in credit courses."""
    usi = c.execute(text(
        "SELECT g.studentusi FROM edfi.grade g JOIN edfi.studentschoolassociation ssa USING (studentusi) "
        "JOIN edfi.descriptor gl ON gl.descriptorid = ssa.entrygradeleveldescriptorid AND gl.codevalue = 'Ninth grade' "
        "WHERE g.schoolid = :s AND g.gradingperiodname = :gp AND NOT EXISTS (SELECT 1 FROM edfi.coursetranscript t "
        "WHERE t.studentusi = g.studentusi) GROUP BY g.studentusi HAVING count(*) = 6 ORDER BY 1 LIMIT 1"),
        {"s": RHS, "gp": q1.name}).scalar_one()
    rows = c.execute(text(
        f"SELECT {GRADE_KEY}, s.availablecredits FROM edfi.grade g "
        "JOIN edfi.descriptor d ON d.descriptorid = g.gradetypedescriptorid AND d.codevalue = 'Grading Period' "
        "JOIN edfi.section s USING (localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname) "
        "WHERE g.studentusi = :u AND g.gradingperiodname = :gp AND s.availablecredits IS NOT NULL "
        "ORDER BY g.localcoursecode"), {"u": usi, "gp": q1.name}).all()
    assert len(rows) == 6
    return usi, rows


def put_grade(c, row, gp: PeriodKey, gtype: int, letter: str, numeric=None) -> None:
    """Upsert one grade of the row's section and student for the grading period (as the owner)."""
    c.execute(text(
        f"INSERT INTO edfi.grade ({GRADE_KEY}, gradetypedescriptorid, lettergradeearned, numericgradeearned) "
        "VALUES (:begindate, :gpd, :gpname, :gpsy, :localcoursecode, :schoolid, :schoolyear, :sectionidentifier, "
        "  :sessionname, :studentusi, :gt, :letter, :numeric) "
        "ON CONFLICT ON CONSTRAINT pk_grade DO UPDATE SET lettergradeearned = EXCLUDED.lettergradeearned, "
        "  numericgradeearned = EXCLUDED.numericgradeearned"),
        {**row._mapping, "gpd": gp.descriptor_id, "gpname": gp.name, "gpsy": gp.school_year, "gt": gtype,
         "letter": letter, "numeric": numeric})


# 1 -------------------------------------------------------------------------------------------------
def test_report_card_gpa_uses_the_period_grades_not_the_progress_grades_and_skips_not_applicable(demo_engine):
    with rolled_back(demo_engine) as c:
        c.execute(text("SELECT set_config('school_office.correction_reason', 'review 14 test', true)"))
        q1 = period(c, "Q1")
        usi, rows = ninth_grader_period_grades(c, q1)
        progress = descriptor(c, "GradeTypeDescriptor", "Progress Report")
        graded = descriptor(c, "GradeTypeDescriptor", "Grading Period")
        for row, letter in zip(rows, "BCCDCD"):
            put_grade(c, row, q1, progress, letter)
            put_grade(c, row, q1, graded, "A", Decimal(95))
        doc = report_cards.report_cards(c, RHS, [usi], q1)[0]
        # six A's over equal credits: 4.000 (the progress grades B C C D C D are not GPA grades)
        assert doc.gpa.startswith(f"{q1.name} GPA 4.000 "), doc.gpa
        assert all(cm.marks[list(doc.period_names).index(q1.name)] == "A" for cm in doc.courses)
        # a course the district marks "Not Applicable" does not count, even with an F
        na = c.execute(text("SELECT descriptorid FROM edfi.descriptor WHERE discriminator = "
                            "'edfi.CourseGPAApplicabilityDescriptor' AND codevalue = 'Not Applicable'")).scalar()
        assert na is not None
        c.execute(text("UPDATE edfi.course SET coursegpaapplicabilitydescriptorid = :na WHERE coursecode = "
                       "(SELECT coursecode FROM edfi.courseoffering WHERE localcoursecode = :l AND schoolid = :s "
                       "AND sessionname = :sess LIMIT 1)"),
                  {"na": na, "l": rows[0].localcoursecode, "s": RHS, "sess": rows[0].sessionname})
        put_grade(c, rows[0], q1, graded, "F", Decimal(40))
        doc = report_cards.report_cards(c, RHS, [usi], q1)[0]
        assert doc.gpa.startswith(f"{q1.name} GPA 4.000 "), doc.gpa


# 2 -------------------------------------------------------------------------------------------------
def test_averaged_periods_give_the_scales_letter_for_the_average_and_the_gpa_uses_it(demo_engine):
    with rolled_back(demo_engine) as c:
        c.execute(text("SELECT set_config('school_office.correction_reason', 'review 14 test', true)"))
        q1, q2 = period(c, "Q1"), period(c, "Q2")
        usi, rows = ninth_grader_period_grades(c, q1)
        assert len({r.availablecredits for r in rows}) == 1  # equal credits: the GPA is a plain mean
        graded = descriptor(c, "GradeTypeDescriptor", "Grading Period")
        put_grade(c, rows[0], q1, graded, "A", Decimal(95))
        put_grade(c, rows[0], q2, graded, "D", Decimal(61))
        for row in rows[1:]:
            put_grade(c, row, q1, graded, "A", Decimal(92))
            put_grade(c, row, q2, graded, "A", Decimal(94))
        term_end.close_term(c, RHS, q1.school_year, rows[0].sessionname, date(2026, 12, 20))
        line = c.execute(text(
            "SELECT t.finallettergradeearned, t.finalnumericgradeearned FROM edfi.coursetranscript t "
            "JOIN edfi.courseoffering o ON o.coursecode = t.coursecode AND o.localcoursecode = :l AND o.schoolid = :s "
            "AND o.sessionname = :sess WHERE t.studentusi = :u"),
            {"l": rows[0].localcoursecode, "s": RHS, "sess": rows[0].sessionname, "u": usi}).one()
        # (95 + 61) / 2 = 78, a C on the A-F scale (70-79.99)
        assert (line[0], line[1]) == ("C", Decimal("78.00"))
        term = c.execute(text(
            "SELECT g.gradepointaveragevalue FROM edfi.reportcardgradepointaverage g JOIN edfi.descriptor d "
            "ON d.descriptorid = g.gradepointaveragetypedescriptorid AND d.codevalue = 'Unweighted' "
            "WHERE g.studentusi = :u AND NOT g.iscumulative"), {"u": usi}).scalar_one()
        # C (2) and five A's (4) over equal credits: 22 / 6
        assert term == Decimal("3.667")


# 3 -------------------------------------------------------------------------------------------------
def test_a_failed_course_retaken_in_another_term_is_replaced(demo_engine):
    with rolled_back(demo_engine) as c:
        q1 = period(c, "Q1")
        usi, _ = ninth_grader_period_grades(c, q1)
        sy = q1.school_year - 1
        lea = c.execute(text("SELECT educationorganizationid FROM edfi.course LIMIT 1")).scalar_one()
        applicable = descriptor(c, "CourseGPAApplicabilityDescriptor", "Applicable")
        c.execute(text("INSERT INTO edfi.course (coursecode, educationorganizationid, coursetitle, numberofparts, "
                       "coursegpaapplicabilitydescriptorid) VALUES ('RV14ONE', :eo, 'One-term course', 1, :a), "
                       "('RV14TWO', :eo, 'Two-part course', 2, :a)"), {"eo": lea, "a": applicable})
        term = {t: descriptor(c, "TermDescriptor", t) for t in ("Fall Semester", "Spring Semester", "Summer Semester")}
        res = {r: descriptor(c, "CourseAttemptResultDescriptor", r) for r in ("Pass", "Fail")}
        for t in term.values():
            c.execute(text("INSERT INTO edfi.studentacademicrecord (educationorganizationid, schoolyear, studentusi, "
                           "termdescriptorid) VALUES (:s, :sy, :u, :t)"), {"s": RHS, "sy": sy, "u": usi, "t": t})
        lines = [("RV14ONE", "Fall Semester", "F"), ("RV14ONE", "Spring Semester", "B"),  # retaken in the spring
                 ("RV14TWO", "Fall Semester", "F"), ("RV14TWO", "Spring Semester", "A"),  # spring is part two
                 ("RV14TWO", "Summer Semester", "B")]  # summer school retakes the failed fall part
        for code, t, letter in lines:
            ok = letter != "F"
            c.execute(text(
                "INSERT INTO edfi.coursetranscript (courseattemptresultdescriptorid, coursecode, "
                "  courseeducationorganizationid, educationorganizationid, schoolyear, studentusi, termdescriptorid, "
                "  attemptedcredits, earnedcredits, finallettergradeearned) "
                "VALUES (:r, :code, :eo, :s, :sy, :u, :t, 1, :earned, :letter)"),
                {"r": res["Pass" if ok else "Fail"], "code": code, "eo": lea, "s": RHS, "sy": sy, "u": usi,
                 "t": term[t], "earned": 1 if ok else 0, "letter": letter})
        term_end.mark_repeats(c, [usi])
        term_end.recompute_gpas(c, RHS, [usi], date(2026, 12, 20))
        codes = dict(((r[0], r[1]), r[2]) for r in c.execute(text(
            "SELECT t.coursecode, d.codevalue, rc.codevalue FROM edfi.coursetranscript t "
            "JOIN edfi.descriptor d ON d.descriptorid = t.termdescriptorid "
            "LEFT JOIN edfi.descriptor rc ON rc.descriptorid = t.courserepeatcodedescriptorid "
            "WHERE t.studentusi = :u"), {"u": usi}))
        assert codes == {("RV14ONE", "Fall Semester"): "Replaced NotCounted",
                         ("RV14ONE", "Spring Semester"): "Replacement Counted",
                         ("RV14TWO", "Fall Semester"): "Replaced NotCounted",
                         ("RV14TWO", "Spring Semester"): None,
                         ("RV14TWO", "Summer Semester"): "Replacement Counted"}
        cumulative = c.execute(text(
            "SELECT g.gradepointaveragevalue FROM edfi.studentacademicrecordgradepointaverage g "
            "JOIN edfi.descriptor d ON d.descriptorid = g.gradepointaveragetypedescriptorid AND d.codevalue = 'Unweighted' "
            "WHERE g.studentusi = :u AND g.schoolyear = :sy AND g.termdescriptorid = :t"),
            {"u": usi, "sy": sy, "t": term["Summer Semester"]}).scalar_one()
        # the two F's drop out: B (3), A (4), B (3) over one credit each = 10 / 3
        assert cumulative == Decimal("3.333")


# 4 -------------------------------------------------------------------------------------------------
def test_reopening_a_posted_period_keeps_the_correction_rule_for_grades_posted_before(login_engine, demo_engine):
    registrar = login_engine("demo_registrar")
    with demo_engine.connect() as o:
        section = entry.SectionKey(*o.execute(text(
            "SELECT s.localcoursecode, s.schoolid, s.schoolyear, s.sectionidentifier, s.sessionname "
            "FROM edfi.staffsectionassociation s JOIN edfi.staff st USING (staffusi) WHERE st.loginid = 'demo_teacher' "
            "AND s.sessionname LIKE '%Fall%' ORDER BY s.sectionidentifier LIMIT 1")).one())
    with rolled_back(registrar) as c:
        q1 = next(p for p in entry.periods_of(c, section) if p.key.name.endswith("Q1"))
        assert q1.window == "posted"
        entry.open_window(c, q1.key, datetime.now(timezone.utc) + timedelta(days=3))
        # a psql user cannot wipe the mark of the reopening
        c.execute(text("UPDATE grades.posting_window SET reopened_at = NULL WHERE gradingperiodname = :n "
                       "AND schoolid = :s"), {"n": q1.key.name, "s": q1.key.school_id})
        q1 = next(p for p in entry.periods_of(c, section) if p.key.name.endswith("Q1"))
        assert q1.window.startswith("open until") and "reopened" in q1.window
        choice = next(s for s in entry.my_sections(c) if s.key == section)
        row = entry.grade_sheet(c, choice, q1, "Grading Period").rows[0]
        new = "D" if row.letter != "D" else "C"
        cmd = entry.SaveGrades(section, q1.key, "Grading Period", (entry.GradeEntry(row.student_usi, new),))
        with pytest.raises(UserError) as err, c.begin_nested():
            entry.save_grades(c, cmd)
        assert str(err.value) == (f"{q1.key.name} was posted before it was opened again: a change to a grade posted "
                                  "then is a correction; type a reason for it, or leave that grade as it is.")
        assert entry.grade_sheet(c, choice, q1, "Grading Period").rows[0].letter == row.letter
        res = entry.save_grades(c, entry.SaveGrades(section, q1.key, "Grading Period", cmd.entries,
                                                    reason="Regraded after the reopening"))
        assert res.corrections == 1
        log = c.execute(text("SELECT old_letter, new_letter, reason, corrected_by FROM grades.grade_correction "
                             "WHERE studentusi = :u ORDER BY correction_id DESC LIMIT 1"), {"u": row.student_usi}).one()
        assert tuple(log) == (row.letter, new, "Regraded after the reopening", "demo_registrar")


# 5 -------------------------------------------------------------------------------------------------
def test_the_release_log_cannot_be_forged_by_a_registrar_with_psql(login_engine, demo_engine):
    registrar = login_engine("demo_registrar")
    with demo_engine.connect() as o:
        a, b = o.execute(text("SELECT DISTINCT studentusi FROM edfi.coursetranscript WHERE educationorganizationid = :s "
                              "ORDER BY 1 LIMIT 2"), {"s": RHS}).scalars().all()
    sha = "a" * 64
    with rolled_back(registrar) as c:
        doc = ("INSERT INTO grades.issued_document (document_number, studentusi, schoolid, kind, official, sha256, "
               "pages{extra}) VALUES (:n, :u, :s, 'transcript', true, :h, 1{values})")
        assert "permission denied" in refused(c, doc.format(extra=", issued_by", values=", 'someone_else'"),
                                              n="RV14-1", u=a, s=RHS, h=sha)
        assert "permission denied" in refused(c, doc.format(extra=", issued_at", values=", '2019-01-01'"),
                                              n="RV14-1", u=a, s=RHS, h=sha)
        assert refused(c, doc.format(extra="", values=""), n="RV14-1", u=a, s=RHS, h=sha) == ""
        release = ("INSERT INTO grades.transcript_release (studentusi, document_number, requested_by, recipient, "
                   "legal_basis{extra}) VALUES (:u, 'RV14-1', 'Parent', 'State University', 'Written consent'{values})")
        assert "was not issued for this student" in refused(c, release.format(extra="", values=""), u=b)
        assert "permission denied" in refused(c, release.format(extra=", released_by", values=", 'someone_else'"), u=a)
        assert refused(c, release.format(extra="", values=""), u=a) == ""
        who = c.execute(text("SELECT d.issued_by, d.issued_at > now() - interval '1 minute', r.released_by, r.studentusi "
                             "FROM grades.issued_document d JOIN grades.transcript_release r USING (document_number) "
                             "WHERE d.document_number = 'RV14-1'")).all()
        assert who == [("demo_registrar", True, "demo_registrar", a)]


# 6 -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,expected", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                        (13, "13th"), (21, "21st"), (22, "22nd"), (33, "33rd"), (100, "100th")])
def test_percentile_ordinals(n, expected):
    assert ordinal(n) == expected
