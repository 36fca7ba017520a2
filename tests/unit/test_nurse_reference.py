"""The nurse office's reference data (issue 11, after review): the CDC's BMI-for-age percentiles and
categories, vision referral by age (AAP/AAPOS), which IEP/504 accommodations concern health, and the
CDC's full CVX list. Plain rules over shipped data: no database, no Qt."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.health_reference import bmi_for_age, health_related, worst_passing_acuity
from app.domain.nurse_rules import age_in_months, vision_result
from app.services.nurse.cvx import cvx_codes


def test_bmi_for_age_uses_the_cdc_tables_by_sex_and_age():
    # the CDC's median (M) for a boy of 24 months is 16.575: the 50th percentile, a healthy weight
    median = bmi_for_age(16.575, "Male", 24.2)
    assert median.percentile == pytest.approx(50, abs=0.5) and median.category == "healthy weight"
    assert not median.refer
    # the same BMI of 22 is obesity for a girl of 8 and a healthy weight for a young woman of 19
    girl, woman = bmi_for_age(22, "Female", 96.7), bmi_for_age(22, "Female", 228.2)
    assert (girl.category, girl.refer) == ("obesity", True) and girl.percentile >= 95
    assert woman.category == "healthy weight"
    assert bmi_for_age(13, "Male", 120).category == "underweight"
    assert bmi_for_age(18.5, "Male", 150).category == "healthy weight"
    # outside 2 to 20 years, or without the sex, the chart does not say: the nurse decides
    assert bmi_for_age(16, "Male", 18) is None and bmi_for_age(16, None, 100) is None


def test_vision_acuity_passes_by_age():
    assert [worst_passing_acuity(m) for m in (40, 50, 70, None)] == [50, 40, 30, 30]
    three, six = age_in_months(date(2023, 6, 1), date(2026, 12, 3)), age_in_months(date(2020, 6, 1), date(2026, 12, 3))
    assert 41 <= three < 43 and 78 <= six < 79
    assert vision_result("20/50", "20/40", worst_passing_acuity(three)) == "pass"
    assert vision_result("20/50", "20/40", worst_passing_acuity(six)) == "fail"
    assert vision_result("20/30", "20/25", worst_passing_acuity(six)) == "pass"


def test_only_health_related_accommodations_count():
    assert not health_related("Extended time", "Time and a half on tests", "All classes")
    assert not health_related("Preferential seating", "Seat near the teacher", "Classroom", "ADHD")
    assert health_related("Preferential seating", "Seat near the door", "Classroom", "Diabetes")
    assert health_related("Health office access", "Blood glucose checks before lunch", "Health office")
    assert health_related("Testing", "Water bottle and snacks allowed during tests")
    assert not health_related("Supervision", "Supervision during transitions")  # 'vision' is a whole word only


def test_the_cvx_list_is_the_cdcs_full_list_with_covid_19_vaccines():
    codes = cvx_codes()
    assert len(codes) >= 280
    for code in ("03", "08", "20", "115", "207", "208", "213", "300", "309", "216", "303"):
        assert code in codes, code
    assert codes["208"].vaccine_groups == ("COVID-19",) and codes["03"].vaccine_groups == ("MMR",)
