"""Ed-Fi 5.2 XML <Grade> and <ReportCard> elements (InterchangeStudentGrade) load into the grades
tables (edfi.grade, edfi.reportcard and its GPA and grade rows), validate first with element path and
line, and a re-import changes nothing. The fixture in tests/data/edfi_grades is a small district in
the Ed-Fi 5.2 interchange shape (the Grand Bend sample has no grade files)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db.migrate import migrate
from app.services.interchange.edfi_xml import import_edfi

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parents[1] / "data" / "edfi_grades"
GP1 = "2025-2026 Fall Six Weeks 1"


@pytest.fixture(scope="module")
def district(new_database_module):
    eng = new_database_module()
    migrate(eng)
    eng.result = import_edfi(eng, FIXTURE)
    return eng


def rows(eng, sql, **p):
    with eng.connect() as c:
        return c.execute(text(sql), p).all()


def one(eng, sql, **p):
    return rows(eng, sql, **p)[0][0]


def test_grades_and_report_cards_load(district):
    r = district.result
    assert r.ok, r.problems
    assert not [w for w in r.warnings if "Grade" in w.column or "ReportCard" in w.column], r.warnings
    marks = rows(district, """
        SELECT s.studentuniqueid, g.gradingperiodname, g.lettergradeearned, g.numericgradeearned, g.diagnosticstatement,
               d.codevalue, g.schoolyear, g.gradingperiodschoolyear
          FROM edfi.grade g JOIN edfi.student s USING (studentusi)
          JOIN edfi.descriptor d ON d.descriptorid = g.gradetypedescriptorid ORDER BY 1, 2""")
    assert marks == [
        ("990001", GP1, "B", Decimal("85.00"), "Strong essays; reading logs late.", "Grading Period", 2026, 2026),
        ("990001", "2025-2026 Fall Six Weeks 2", "B+", Decimal("88.00"), None, "Grading Period", 2026, 2026),
        ("990002", GP1, "A", Decimal("93.00"), None, "Grading Period", 2026, 2026)]
    card = rows(district, """
        SELECT s.studentuniqueid, c.educationorganizationid, c.gradingperiodname, c.numberofdaysabsent,
               c.numberofdaysinattendance, c.numberofdaystardy
          FROM edfi.reportcard c JOIN edfi.student s USING (studentusi)""")
    assert card == [("990001", 880001001, GP1, Decimal("2.0000"), Decimal("27.0000"), 1)]
    gpa = rows(district, """
        SELECT d.codevalue, a.gradepointaveragevalue, a.maxgradepointaveragevalue, a.iscumulative
          FROM edfi.reportcardgradepointaverage a JOIN edfi.descriptor d
            ON d.descriptorid = a.gradepointaveragetypedescriptorid""")
    assert gpa == [("Unweighted", Decimal("3.0000"), Decimal("4.0000"), False)]
    # the card's grade row points at the student's first-six-weeks English grade
    assert rows(district, """
        SELECT g.lettergradeearned FROM edfi.reportcardgrade rg JOIN edfi.grade g USING (gradingperioddescriptorid,
               gradingperiodname, gradingperiodschoolyear, studentusi, begindate, gradetypedescriptorid, localcoursecode,
               schoolid, schoolyear, sectionidentifier, sessionname)""") == [("B",)]


def test_reimporting_changes_nothing(district):
    again = import_edfi(district, FIXTURE)
    assert again.ok and again.changed_rows == 0, again.changed
    assert one(district, "SELECT count(*) FROM edfi.grade") == 3


def test_a_changed_mark_is_updated_once(district, tmp_path):
    _copy(tmp_path)
    _edit(tmp_path, "<LetterGradeEarned>A</LetterGradeEarned>\n\t\t<NumericGradeEarned>93</NumericGradeEarned>",
          "<LetterGradeEarned>A-</LetterGradeEarned>\n\t\t<NumericGradeEarned>91</NumericGradeEarned>")
    r = import_edfi(district, tmp_path)
    assert r.ok and r.changed == {"edfi.grade": 1}, (r.problems, r.changed)
    assert rows(district, "SELECT lettergradeearned, numericgradeearned FROM edfi.grade g JOIN edfi.student s "
                          "USING (studentusi) WHERE s.studentuniqueid = '990002'") == [("A-", Decimal("91.00"))]
    assert import_edfi(district, tmp_path).changed_rows == 0
    assert import_edfi(district, FIXTURE).changed == {"edfi.grade": 1}  # and back


def test_bad_grades_are_refused_with_every_problem_and_nothing_written(new_database, tmp_path):
    eng = new_database()
    migrate(eng)
    _copy(tmp_path)
    _edit(tmp_path, "<NumericGradeEarned>85</NumericGradeEarned>", "<NumericGradeEarned>eighty</NumericGradeEarned>")
    # the second six weeks grade names a grading period nobody defined
    _edit(tmp_path, "Second Six Weeks</GradingPeriod>\n\t\t\t\t<GradingPeriodName>2025-2026 Fall Six Weeks 2",
          "Second Six Weeks</GradingPeriod>\n\t\t\t\t<GradingPeriodName>2025-2026 Fall Six Weeks 9")
    # student 990002's grade is for a section the student is not in
    _edit(tmp_path, "<StudentUniqueId>990002</StudentUniqueId>", "<StudentUniqueId>990003</StudentUniqueId>",
          name="StudentGrade.xml")
    # the report card of 990001 lists a grade of 990002
    grade = (tmp_path / "StudentGrade.xml").read_text("utf-8")
    head, card = grade.split("<ReportCard>")
    ref_at = card.index("<GradeReference>")
    card = card[:ref_at] + card[ref_at:].replace("<StudentUniqueId>990001</StudentUniqueId>",
                                                 "<StudentUniqueId>990002</StudentUniqueId>", 1)
    (tmp_path / "StudentGrade.xml").write_text(head + "<ReportCard>" + card, "utf-8")

    r = import_edfi(eng, tmp_path)
    assert not r.ok
    by = {(p.file, p.row): p for p in r.problems}
    bad_number = by.get(("StudentGrade.xml", 5))
    assert bad_number and bad_number.column == "/InterchangeStudentGrade/Grade[1]/NumericGradeEarned" \
        and bad_number.message == '"eighty" is not a number.', r.problems
    assert any(p.file == "StudentGrade.xml" and p.column == "/InterchangeStudentGrade/Grade[3]"
               and p.message.startswith("The grading period uri://ed-fi.org/GradingPeriodDescriptor#Second Six Weeks, "
                                        "2025-2026 Fall Six Weeks 9, 880001001, 2026 is in neither")
               for p in r.problems), r.problems
    assert any(p.file == "StudentGrade.xml" and p.column == "/InterchangeStudentGrade/Grade[2]"
               and p.message.startswith("The student section association 2025-08-18, ENG-9, 880001001, 2026, ENG9-01, "
                                        "2025-2026 Fall Semester, 990003 is in neither") for p in r.problems), r.problems
    assert any(p.file == "StudentGrade.xml" and p.column.startswith("/InterchangeStudentGrade/ReportCard[1]/GradeReference")
               and "StudentUniqueId \"990002\" is not the report card's \"990001\"" in p.message and p.row
               for p in r.problems), r.problems
    assert one(eng, "SELECT count(*) FROM edfi.grade") == 0
    assert one(eng, "SELECT count(*) FROM edfi.student") == 0
    assert one(eng, "SELECT count(*) FROM edfi.reportcard") == 0


def test_a_posted_period_changes_only_as_a_correction(district, tmp_path):
    with district.begin() as c:
        c.execute(text("""
            INSERT INTO grades.posting_window (gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear,
                                               closed_at)
            SELECT gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear, now() FROM edfi.gradingperiod
             WHERE gradingperiodname = :gp"""), {"gp": GP1})
    before = rows(district, "SELECT studentusi, lettergradeearned, numericgradeearned FROM edfi.grade ORDER BY 1, 2")
    _copy(tmp_path)
    _edit(tmp_path, "<LetterGradeEarned>B</LetterGradeEarned>\n\t\t<NumericGradeEarned>85</NumericGradeEarned>",
          "<LetterGradeEarned>C</LetterGradeEarned>\n\t\t<NumericGradeEarned>75</NumericGradeEarned>")
    r = import_edfi(district, tmp_path)
    assert [(p.file, p.row, p.column, p.message) for p in r.problems] == [(
        "StudentGrade.xml", 3, "/InterchangeStudentGrade/Grade[1]",
        f"The grading period {GP1} of school 880001001 is posted and this grade differs from the posted one (B); "
        "correct it on the Grades desk with a reason.")]
    assert rows(district, "SELECT studentusi, lettergradeearned, numericgradeearned FROM edfi.grade ORDER BY 1, 2") \
        == before
    # the same marks again are no correction: the posted period's file still imports (and changes nothing)
    assert import_edfi(district, FIXTURE).ok


def _copy(dest: Path) -> None:
    for f in FIXTURE.iterdir():
        shutil.copy(f, dest / f.name)


def _edit(folder: Path, old: str, new: str, name: str = "StudentGrade.xml") -> None:
    path = folder / name
    body = path.read_text("utf-8")
    assert old in body, old
    path.write_text(body.replace(old, new, 1), "utf-8")
