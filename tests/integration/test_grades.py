"""Grades end to end on the demo district, signed in as the staff who do it (row-level security on)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services.grades import entry, term_end

pytestmark = pytest.mark.integration
RES, RMS, RHS = 255950001, 255950002, 255950003


@contextmanager
def rolled_back(engine):
    """A signed-in connection whose changes vanish afterwards (the demo district is shared)."""
    with engine.connect() as c:
        tx = c.begin()
        try:
            yield c
        finally:
            tx.rollback()


def owner(demo_engine, sql, **p):
    with demo_engine.connect() as c:
        return c.execute(text(sql), p).all()


def test_demo_district_has_two_grading_periods_for_every_section(demo_engine):
    missing = owner(demo_engine,
        "SELECT s.sectionidentifier FROM edfi.section s WHERE (SELECT count(DISTINCT g.gradingperiodname) "
        "FROM edfi.grade g WHERE g.sectionidentifier = s.sectionidentifier AND g.schoolid = s.schoolid "
        "AND g.sessionname = s.sessionname) < 2 AND EXISTS (SELECT 1 FROM edfi.studentsectionassociation a "
        "WHERE a.sectionidentifier = s.sectionidentifier AND a.schoolid = s.schoolid)")
    assert missing == []
    # the elementary homerooms are graded on standards, 4 to 1 or NA, and work habits on their own scale
    marks = {r[0] for r in owner(demo_engine, "SELECT DISTINCT lettergradeearned FROM edfi.gradelearningstandardgrade")}
    assert {"4", "3", "2", "NA", "E", "S"} <= marks


def test_graduating_class_has_three_years_of_transcripts_honors_ap_repeat_and_transfer(demo_engine):
    years = owner(demo_engine, "SELECT count(DISTINCT schoolyear) FROM edfi.coursetranscript")[0][0]
    assert years == 3
    levels = {r[0] for r in owner(demo_engine,
        "SELECT d.codevalue FROM edfi.coursetranscript t JOIN edfi.courselevelcharacteristic l USING (coursecode) "
        "JOIN edfi.descriptor d ON d.descriptorid = l.courselevelcharacteristicdescriptorid")}
    assert {"Honors", "Advanced Placement"} <= levels
    repeats = {r[0] for r in owner(demo_engine,
        "SELECT d.codevalue FROM edfi.coursetranscript t JOIN edfi.descriptor d "
        "ON d.descriptorid = t.courserepeatcodedescriptorid")}
    assert repeats == {"Replaced NotCounted", "Replacement Counted"}
    assert owner(demo_engine, "SELECT count(*) FROM edfi.coursetranscript "
                              "WHERE externaleducationorganizationnameofinstitution IS NOT NULL")[0][0] > 0
    ranks = owner(demo_engine, "SELECT classrank, totalnumberinclass FROM edfi.studentacademicrecordclassranking "
                               "ORDER BY classrank")
    assert ranks[0][0] == 1 and all(r[1] == ranks[0][1] for r in ranks)


# -- grade entry as the teacher and the registrar --------------------------------------------------
def _teacher_section(demo_engine, login="demo_teacher"):
    r = owner(demo_engine,
        "SELECT s.localcoursecode, s.schoolid, s.schoolyear, s.sectionidentifier, s.sessionname "
        "FROM edfi.staffsectionassociation s JOIN edfi.staff st USING (staffusi) WHERE st.loginid = :l "
        "AND s.sessionname LIKE '%Fall%' ORDER BY s.sectionidentifier LIMIT 1", l=login)[0]
    return entry.SectionKey(*r)


def _period(conn, section, name_suffix):
    return next(p for p in entry.periods_of(conn, section) if p.key.name.endswith(name_suffix))


def test_a_teacher_enters_grades_for_their_section_in_the_open_window(login_engine, demo_engine):
    teacher = login_engine("demo_teacher")
    section = _teacher_section(demo_engine)
    with rolled_back(teacher) as c:
        choice = next(s for s in entry.my_sections(c) if s.key == section)
        q2 = _period(c, section, "Q2")
        assert q2.window.startswith("open")
        sheet = entry.grade_sheet(c, choice, q2, "Progress Report")
        assert sheet.can_write and len(sheet.rows) > 5
        first, second = sheet.rows[0], sheet.rows[1]
        result = entry.save_grades(c, entry.SaveGrades(section, q2.key, "Progress Report", (
            entry.GradeEntry(first.student_usi, "93", "01, 21"), entry.GradeEntry(second.student_usi, "c"))))
        assert result.saved == 2
        again = entry.grade_sheet(c, choice, q2, "Progress Report")
        row = next(r for r in again.rows if r.student_usi == first.student_usi)
        assert (row.letter, row.numeric, row.comments) == ("A", Decimal("93.00"), "01, 21")
        assert next(r for r in again.rows if r.student_usi == second.student_usi).letter == "C"
        # Every section the teacher sees is their own
        assert {s.key.section_id for s in entry.my_sections(c)} == {r[0] for r in owner(demo_engine,
            "SELECT sectionidentifier FROM edfi.staffsectionassociation JOIN edfi.staff USING (staffusi) "
            "WHERE loginid = 'demo_teacher'")}


@pytest.mark.parametrize("typed,comments,expected", [
    ("104", "", "104 is outside the A-F (4.0) scale; type a score from 0 to 100 or one of A, B, C, D, F, P, I."),
    ("E", "", "'E' is not on the A-F (4.0) scale; type one of A, B, C, D, F, P, I."),
    ("B", "99", "comment code 99 is not one of this school's; pick codes from the list."),
])
def test_bad_grades_are_one_sentence_and_nothing_is_saved(login_engine, demo_engine, typed, comments, expected):
    teacher = login_engine("demo_teacher")
    section = _teacher_section(demo_engine)
    with teacher.begin() as c:
        q2 = _period(c, section, "Q2")
        choice = next(s for s in entry.my_sections(c) if s.key == section)
        rows = entry.grade_sheet(c, choice, q2, "Progress Report").rows
    with pytest.raises(UserError) as err, teacher.begin() as c:
        entry.save_grades(c, entry.SaveGrades(section, q2.key, "Progress Report", (
            entry.GradeEntry(rows[0].student_usi, "F"), entry.GradeEntry(rows[1].student_usi, typed, comments))))
    assert str(err.value) == f"{rows[1].name.split(', ')[1]} {rows[1].name.split(', ')[0]}: {expected}"
    with teacher.begin() as c:
        assert entry.grade_sheet(c, choice, q2, "Progress Report").rows[0] == rows[0]  # the valid F was not saved


def test_a_student_not_in_the_section_is_refused(login_engine, demo_engine):
    teacher = login_engine("demo_teacher")
    section = _teacher_section(demo_engine)
    outsider = owner(demo_engine, "SELECT studentusi, firstname || ' ' || lastsurname FROM edfi.student "
                     "WHERE studentusi NOT IN (SELECT studentusi FROM edfi.studentsectionassociation "
                     "WHERE sectionidentifier = :s) ORDER BY 1 LIMIT 1", s=section.section_id)[0]
    with teacher.begin() as c, pytest.raises(UserError) as err:
        q2 = _period(c, section, "Q2")
        entry.save_grades(c, entry.SaveGrades(section, q2.key, "Progress Report", (entry.GradeEntry(outsider[0], "A"),)))
    # row-level security hides the outsider's name from the teacher: the sentence names the student's number
    assert str(err.value) == (f"Student {outsider[0]} is not in section {section.section_id} during {q2.key.name}; "
                              "remove the grade or check the student's schedule.")


def test_a_student_who_left_the_section_before_the_period_is_refused(demo_engine):
    """Enrolled in the section, but the enrollment ended the day before the grading period began."""
    section = _teacher_section(demo_engine)
    with rolled_back(demo_engine) as c:
        q2 = _period(c, section, "Q2")
        usi, name = c.execute(text(
            "SELECT a.studentusi, st.firstname || ' ' || st.lastsurname FROM edfi.studentsectionassociation a "
            "JOIN edfi.student st USING (studentusi) WHERE a.sectionidentifier = :s AND a.localcoursecode = :l "
            "AND a.sessionname = :sess ORDER BY 1 LIMIT 1"),
            {"s": section.section_id, "l": section.local_course_code, "sess": section.session_name}).one()
        c.execute(text("UPDATE edfi.studentsectionassociation SET enddate = :d WHERE studentusi = :u "
                       "AND sectionidentifier = :s AND localcoursecode = :l AND sessionname = :sess"),
                  {"d": q2.begin - timedelta(days=1), "u": usi, "s": section.section_id,
                   "l": section.local_course_code, "sess": section.session_name})
        with pytest.raises(UserError) as err:
            entry.save_grades(c, entry.SaveGrades(section, q2.key, "Progress Report", (entry.GradeEntry(usi, "A"),)))
        assert str(err.value) == (f"{name} is not in section {section.section_id} during {q2.key.name}; "
                                  "remove the grade or check the student's schedule.")


def test_posted_grades_change_only_as_a_correction_with_a_reason(login_engine, demo_engine):
    section = _teacher_section(demo_engine)
    teacher, registrar = login_engine("demo_teacher"), login_engine("demo_registrar")
    with teacher.begin() as c, pytest.raises(UserError) as err:
        q1 = _period(c, section, "Q1")
        entry.save_grades(c, entry.SaveGrades(section, q1.key, "Grading Period", ()))
    assert "posting window is closed; ask the office to open it" in str(err.value)
    with rolled_back(registrar) as c:
        q1 = _period(c, section, "Q1")
        assert q1.window == "posted"
        choice = next(s for s in entry.my_sections(c) if s.key == section)
        row = entry.grade_sheet(c, choice, q1, "Grading Period").rows[0]
        new = "D" if row.letter != "D" else "C"
        with pytest.raises(UserError) as err:
            entry.save_grades(c, entry.SaveGrades(section, q1.key, "Grading Period", (entry.GradeEntry(row.student_usi, new),)))
        assert str(err.value) == f"{q1.key.name} is posted: type a reason for the correction, or leave its grades as they are."
        res = entry.save_grades(c, entry.SaveGrades(section, q1.key, "Grading Period",
                                                    (entry.GradeEntry(row.student_usi, new),), reason="Late work accepted"))
        assert res.corrections == 1
        log = c.execute(text("SELECT old_letter, new_letter, reason, corrected_by FROM grades.grade_correction "
                             "WHERE studentusi = :u ORDER BY correction_id DESC LIMIT 1"), {"u": row.student_usi}).one()
        assert tuple(log) == (row.letter, new, "Late work accepted", "demo_registrar")


# -- end of term, GPA, rank, transfer credit (the registrar) ---------------------------------------
def test_closing_the_fall_term_writes_transcripts_gpas_and_ranks(login_engine, demo_engine):
    from app.domain.grading import GpaPolicy, compute_gpa

    registrar = login_engine("demo_registrar")
    sy = owner(demo_engine, "SELECT max(schoolyear) FROM edfi.section")[0][0]
    fall = owner(demo_engine, "SELECT sessionname FROM edfi.session WHERE schoolid = :s AND sessionname LIKE '%Fall%'",
                 s=RHS)[0][0]
    with rolled_back(registrar) as c:
        done = term_end.close_term(c, RHS, sy, fall, date(2026, 12, 20))
        assert done.students > 50 and done.transcript_rows >= done.students * 5 and done.ranked >= done.students
        # one ninth grader: the stored cumulative GPA is the domain's figure over their transcript
        usi = c.execute(text("SELECT t.studentusi FROM edfi.coursetranscript t JOIN edfi.descriptor d "
                             "ON d.descriptorid = t.whentakengradeleveldescriptorid WHERE d.codevalue = 'Ninth grade' "
                             "AND t.schoolyear = :sy ORDER BY 1 LIMIT 1"), {"sy": sy}).scalar()
        lines = term_end.student_attempts(c, [usi])[usi]
        expected = compute_gpa([a for _, a in lines], GpaPolicy())
        stored = dict(c.execute(text(
            "SELECT d.codevalue, g.gradepointaveragevalue FROM edfi.studentacademicrecordgradepointaverage g "
            "JOIN edfi.descriptor d ON d.descriptorid = g.gradepointaveragetypedescriptorid "
            "WHERE g.studentusi = :u AND g.schoolyear = :sy AND g.iscumulative"), {"u": usi, "sy": sy}).all())
        assert stored == {"Unweighted": expected.unweighted, "Weighted": expected.weighted}
        term_gpa = c.execute(text("SELECT gradepointaveragevalue FROM edfi.reportcardgradepointaverage g "
                                  "JOIN edfi.descriptor d ON d.descriptorid = g.gradepointaveragetypedescriptorid "
                                  "WHERE g.studentusi = :u AND NOT g.iscumulative AND d.codevalue = 'Unweighted'"),
                             {"u": usi}).scalar()
        assert term_gpa == expected.unweighted  # a ninth grader's first term: term = cumulative
        # ranks of the ninth grade: competition ranking over the whole class
        ranks = c.execute(text(
            "SELECT DISTINCT r.studentusi, r.classrank, r.totalnumberinclass, g.gradepointaveragevalue "
            "FROM edfi.studentacademicrecordclassranking r "
            "JOIN edfi.studentacademicrecordgradepointaverage g USING (educationorganizationid, schoolyear, studentusi, "
            "termdescriptorid) JOIN edfi.descriptor d ON d.descriptorid = g.gradepointaveragetypedescriptorid "
            "AND d.codevalue = 'Weighted' JOIN edfi.coursetranscript t USING (educationorganizationid, schoolyear, "
            "studentusi, termdescriptorid) JOIN edfi.descriptor gl ON gl.descriptorid = t.whentakengradeleveldescriptorid "
            "AND gl.codevalue = 'Ninth grade' WHERE r.schoolyear = :sy"), {"sy": sy}).all()
        by_gpa = sorted((g for *_, g in ranks), reverse=True)
        assert len(set(by_gpa)) < len(by_gpa)  # some share a GPA, and so a rank
        for _, rank, size, gpa in ranks:
            assert rank == 1 + sum(1 for x in by_gpa if x > gpa) and size == len(by_gpa)


def test_transfer_credit_counts_in_the_gpa(login_engine, demo_engine):
    registrar = login_engine("demo_registrar")
    senior = owner(demo_engine, "SELECT g.studentusi, g.gradepointaveragevalue, g.schoolyear, g.termdescriptorid "
                   "FROM edfi.studentacademicrecordgradepointaverage g JOIN edfi.descriptor d "
                   "ON d.descriptorid = g.gradepointaveragetypedescriptorid AND d.codevalue = 'Unweighted' "
                   "ORDER BY g.schoolyear DESC, g.studentusi LIMIT 1")[0]
    sy = owner(demo_engine, "SELECT max(schoolyear) FROM edfi.section")[0][0]
    with rolled_back(registrar) as c:
        with pytest.raises(UserError) as err:
            term_end.enter_transfer_credit(c, term_end.TransferCredit(senior[0], RHS, "Summer Academy", sy - 1,
                                                                      "Summer Semester", "ECON", "Economics", "A", "lots"),
                                           date(2026, 12, 3))
        assert str(err.value) == 'Credits "lots" is not a number of credits; type e.g. 0.5 or 1.'
        term_end.enter_transfer_credit(c, term_end.TransferCredit(senior[0], RHS, "Summer Academy", sy - 1,
                                                                  "Summer Semester", "ECON", "Economics", "A", "0.5"),
                                       date(2026, 12, 3))
        with pytest.raises(UserError) as err:
            term_end.enter_transfer_credit(c, term_end.TransferCredit(senior[0], RHS, "Summer Academy", sy - 1,
                                                                      "Summer Semester", "ECON", "Economics", "B", "0.5"),
                                           date(2026, 12, 3))
        assert str(err.value).startswith(f"The transcript already has ECON for Summer Semester {sy - 2}-{sy - 1}")
        gpas = c.execute(text(
            "SELECT g.gradepointaveragevalue FROM edfi.studentacademicrecordgradepointaverage g JOIN edfi.descriptor d "
            "ON d.descriptorid = g.gradepointaveragetypedescriptorid AND d.codevalue = 'Unweighted' "
            "JOIN edfi.descriptor t ON t.descriptorid = g.termdescriptorid "
            "WHERE g.studentusi = :u AND g.schoolyear = :sy AND t.codevalue = 'Summer Semester'"),
            {"u": senior[0], "sy": sy - 1}).scalar()
    # The registrar's arithmetic: the senior's counted lines up to that summer (letters on the A-F scale,
    # credits) plus the transfer A over 0.5 credit, credit-weighted, F's in the divisor.
    points = {"A": 4, "B": 3, "C": 2, "D": 1, "F": 0}
    lines = owner(demo_engine,
        "SELECT t.finallettergradeearned, t.attemptedcredits FROM edfi.coursetranscript t "
        "LEFT JOIN edfi.descriptor rc ON rc.descriptorid = t.courserepeatcodedescriptorid "
        "WHERE t.studentusi = :u AND t.schoolyear <= :sy "
        "AND coalesce(rc.codevalue, '') NOT IN ('Replaced NotCounted', 'Repeat NotCounted')", u=senior[0], sy=sy - 1)
    lines = [(points[letter], credits) for letter, credits in lines] + [(4, Decimal("0.5"))]
    expected = (sum(p * c for p, c in lines) / sum(c for _, c in lines)).quantize(Decimal("0.001"), ROUND_HALF_UP)
    assert gpas == expected


def test_the_office_opens_and_closes_a_posting_window(login_engine, demo_engine):
    from datetime import datetime, timedelta, timezone

    registrar = login_engine("demo_registrar")
    section = _teacher_section(demo_engine)
    with rolled_back(registrar) as c:
        q1 = _period(c, section, "Q1")
        with pytest.raises(UserError) as err:
            entry.open_window(c, q1.key, datetime(2020, 1, 1, tzinfo=timezone.utc))
        assert str(err.value) == "The closing time is already past; pick a closing date after today."
        entry.open_window(c, q1.key, datetime.now(timezone.utc) + timedelta(days=3))
        assert _period(c, section, "Q1").window.startswith("open until")
        entry.close_window(c, q1.key)
        assert _period(c, section, "Q1").window == "posted"
        with pytest.raises(UserError) as err:
            entry.close_window(c, q1.key)
        assert str(err.value) == f"The posting window for {q1.key.name} is not open; there is nothing to close."


def test_standards_marks_for_an_elementary_homeroom(login_engine, demo_engine):
    """A homeroom's grid is by standard (4/3/2/1/NA) and work habit (E/S/N/U), saved as
    GradeLearningStandardGrade under the student's grade; a mark off the standard's scale is refused."""
    # as the schema owner: no demo sign-in grades an elementary homeroom (row-level security is tested above)
    with rolled_back(demo_engine) as c:
        key = c.execute(text("SELECT localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname "
                             "FROM edfi.section WHERE schoolid = :s AND localcoursecode = 'HR2' "
                             "AND sessionname LIKE '%Fall%' LIMIT 1"), {"s": RES}).one()
        room = entry.SectionChoice(entry.SectionKey(*key), "Grade 2 Homeroom", True)
        q2 = _period(c, room.key, "Q2")
        sheet = entry.grade_sheet(c, room, q2, "Progress Report")
        areas = {s.area for s in sheet.standards}
        assert {"Reading", "Mathematics", "Work habits"} <= areas and len(sheet.rows) > 10
        reading = next(s.standard_id for s in sheet.standards if s.area == "Reading")
        habit = next(s.standard_id for s in sheet.standards if s.area == "Work habits")
        kid = sheet.rows[0]
        with pytest.raises(UserError) as err:
            entry.save_grades(c, entry.SaveGrades(room.key, q2.key, "Progress Report", marks=((kid.student_usi, habit, "4"),)))
        assert "'4' is not on the Work habits scale; type one of E, S, N, U." in str(err.value)
        res = entry.save_grades(c, entry.SaveGrades(room.key, q2.key, "Progress Report",
                                                    marks=((kid.student_usi, reading, "na"), (kid.student_usi, habit, "e"))))
        assert res.saved == 2
        again = entry.grade_sheet(c, room, q2, "Progress Report")
        assert again.marks[(kid.student_usi, reading)] == "NA" and again.marks[(kid.student_usi, habit)] == "E"
