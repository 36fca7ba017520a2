"""Golden cases for grading scales, GPA policy and class rank (worked by hand)."""

from decimal import Decimal as D

import pytest

from app.domain.grading import (STANDARD_LETTER_SCALE, STANDARDS_SCALE, Attempt, GpaPolicy, GradeOutOfScale,
                                compute_gpa, term_and_cumulative)
from app.domain.grading_rank import rank_class


def attempts(letters, credits, **kw):
    return [Attempt(f"C{i}", g, D(str(c)), **kw) for i, (g, c) in enumerate(zip(letters, credits))]


def test_the_issue_example_gives_2_000():
    # A4x3 + D1x4 + C2x1 + B3x1 + B3x3 + F0x3 = 12+4+2+3+9+0 = 30 over 15 credits
    g = compute_gpa(attempts("ADCBBF", (3, 4, 1, 1, 3, 3)), GpaPolicy())
    assert g.unweighted == D("2.000") and g.weighted == D("2.000")
    assert g.gpa_credits == 15 and g.attempted_credits == 15 and g.earned_credits == 12  # the F earns none


def test_an_f_stays_in_the_divisor():
    g = compute_gpa(attempts("AF", (1, 1)), GpaPolicy())
    assert g.unweighted == D("2.000")


def test_additive_weighting_with_a_minimum_grade():
    # AP A (4+1) x1, Honors B (3+0.5) x1, AP D (1, below the C minimum: no bonus) x1, regular A x1
    rows = [Attempt("APUSH", "A", D(1), level="Advanced Placement"), Attempt("HENG", "B", D(1), level="Honors"),
            Attempt("APCALC", "D", D(1), level="Advanced Placement"), Attempt("ART", "A", D(1))]
    g = compute_gpa(rows, GpaPolicy())
    assert g.unweighted == D("3.000")  # (4+3+1+4)/4
    assert g.weighted == D("3.375")  # (5+3.5+1+4)/4 = 13.5/4


def test_multiplicative_weighting():
    policy = GpaPolicy(weighting="multiplicative", level_weights={"Advanced Placement": D("1.25")})
    rows = [Attempt("APBIO", "A", D(1), level="Advanced Placement"), Attempt("APCHEM", "B", D(1), level="Advanced Placement")]
    g = compute_gpa(rows, policy)
    assert g.weighted == D("4.375")  # (5 + 3.75)/2
    assert g.unweighted == D("3.500")


def test_pass_fail_and_not_gpa_applicable_courses_do_not_count():
    rows = [Attempt("ALG1", "B", D(1)), Attempt("PE", "P", D(1)), Attempt("HR", "A", D(1), gpa_applicable=False)]
    g = compute_gpa(rows, GpaPolicy())
    assert g.unweighted == D("3.000") and g.gpa_credits == 1
    assert g.earned_credits == 3  # the P and the non-GPA course still earn credit


def test_a_replaced_attempt_drops_out():
    first = Attempt("ALG1", "F", D(1), term=(2025, 1), repeat_code="Replaced NotCounted")
    again = Attempt("ALG1", "B", D(1), term=(2026, 1), repeat_code="Replacement Counted")
    other = Attempt("ENG1", "A", D(1), term=(2025, 1))
    g = compute_gpa([first, again, other], GpaPolicy())
    assert g.unweighted == D("3.500")  # (3 + 4)/2: the F is gone
    assert g.earned_credits == 2 and g.attempted_credits == 3
    # Both attempts counted when the school counts repeats:
    counted = compute_gpa([first.__class__("ALG1", "F", D(1), repeat_code="Repeat Counted"), again, other],
                          GpaPolicy())
    assert counted.unweighted == D("2.333")


def test_term_and_cumulative():
    rows = [Attempt("A1", "A", D(1), term=(2025, 1)), Attempt("A2", "C", D(1), term=(2025, 1)),
            Attempt("B1", "B", D(2), term=(2025, 2))]
    out = term_and_cumulative(rows, GpaPolicy())
    assert out[(2025, 1)][0].unweighted == D("3.000") and out[(2025, 1)][1].unweighted == D("3.000")
    assert out[(2025, 2)][0].unweighted == D("3.000")
    assert out[(2025, 2)][1].unweighted == D("3.000")  # (4+2+6)/4
    rows.append(Attempt("B2", "F", D(2), term=(2025, 2)))
    out = term_and_cumulative(rows, GpaPolicy())
    assert out[(2025, 2)][0].unweighted == D("1.500") and out[(2025, 2)][1].unweighted == D("2.000")


def test_no_gpa_without_counting_attempts():
    assert compute_gpa([Attempt("PE", "P", D(1))], GpaPolicy()).unweighted is None


def test_ties_share_a_rank_and_the_next_rank_skips():
    r = rank_class({"ann": D("3.9"), "bo": D("3.5"), "cy": D("3.5"), "di": D("3.1"), "ed": None})
    assert [r[k].rank for k in ("ann", "bo", "cy", "di")] == [1, 2, 2, 4]
    assert "ed" not in r and r["ann"].class_size == 4
    assert [r[k].percentage for k in ("ann", "bo", "cy", "di")] == [100, 75, 75, 25]


@pytest.mark.parametrize("typed,expected", [("A", ("A", None)), ("b", ("B", None)), ("87", ("B", D("87"))),
                                            ("89.995", ("B", D("89.995"))), ("100", ("A", D("100")))])
def test_the_scale_reads_letters_and_scores(typed, expected):
    assert STANDARD_LETTER_SCALE.read(typed) == expected


@pytest.mark.parametrize("typed,sentence", [
    ("104", "104 is outside the A-F (4.0) scale; type a score from 0 to 100 or one of A, B, C, D, F, P, I."),
    ("E", "'E' is not on the A-F (4.0) scale; type one of A, B, C, D, F, P, I."),
    ("", "Type a grade, or leave the cell empty to enter none."),
])
def test_a_grade_outside_the_scale_is_one_sentence(typed, sentence):
    with pytest.raises(GradeOutOfScale) as err:
        STANDARD_LETTER_SCALE.read(typed)
    assert str(err.value) == sentence


def test_standards_scale_has_not_assessed_and_no_points():
    assert STANDARDS_SCALE.read("na") == ("NA", None)
    assert STANDARDS_SCALE.read("3") == ("3", None)
    with pytest.raises(GradeOutOfScale):
        STANDARDS_SCALE.read("5")
