"""The immunization printouts built from DTOs and read back (page count, text)."""

from datetime import date

import pypdfium2 as pdfium

from reports import immunization_exclusions, immunization_letter, immunization_survey
from reports.immunization_documents import (ExclusionList, ExclusionRow, GradeCounts, LetterItem, ListedStudent,
                                            NonComplianceLetter, SchoolSurvey)

DAY = date(2026, 11, 20)
ITEM = LetterItem("MMR", "2 doses of measles, mumps and rubella vaccine.", "Not compliant",
                  "Has 1 of 2 valid doses of MMR; the next dose is due now.", None)


def text_of(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def test_each_letter_is_numbered_on_its_own_and_says_whether_the_child_may_attend():
    letters = [NonComplianceLetter("Riverbend ISD", "Riverbend Elementary School", "Pat Nurse", DAY, "Nguyễn, An", "3",
                                   (ITEM,), date(2026, 12, 15), False),
               NonComplianceLetter("Riverbend ISD", "Riverbend Elementary School", "Pat Nurse", DAY, "Smith, Jo", "5",
                                   (ITEM,), date(2026, 11, 1), True)]
    pages = text_of(immunization_letter.build(letters))
    assert len(pages) == 2 and all("Page 1 of 1" in p for p in pages)
    assert "Nguyễn, An" in pages[0] and "enrolled provisionally" in pages[0]
    assert "Smith, Jo" in pages[1] and "does not allow your child to attend" in pages[1]


def test_the_survey_totals_the_grades_and_lists_the_students_short():
    grades = (GradeCounts("K", 30, 25, 1, 1, 1, 0, 2, (28, 29)), GradeCounts("1", 31, 27, 0, 1, 0, 1, 2, (30, 30)))
    survey = SchoolSurvey("Riverbend ISD", "Riverbend Elementary School", "2026-2027", DAY, "Texas", ("MMR", "Polio"),
                          grades, (ListedStudent(7, "Cook, Nora", "K", "Not compliant", "MMR 1/2", DAY),))
    pages = text_of(immunization_survey.build(survey))
    assert "Total 61 52 1 2 1 1 4 58 59" in " ".join(pages[0].split())
    assert "Cook, Nora" in pages[0] and "MMR 1/2" in pages[0]


def test_the_exclusion_list_names_the_deadline_passed():
    doc = ExclusionList("Riverbend ISD", "Riverbend Elementary School", DAY,
                        (ExclusionRow("Smith, Jo", "5", date(2026, 11, 1), "MMR 1/2"),))
    page = text_of(immunization_exclusions.build(doc))[0]
    assert "Smith, Jo" in page and "Nov 1, 2026" in page
