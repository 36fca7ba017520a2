"""School-entry rules as data, judged on the CDSi evaluation (no database)."""

from datetime import date

import pytest

from app.domain.cdsi import model as m
from app.domain.cdsi.data import supporting_data
from app.domain.cdsi.forecast import evaluate_group
from app.domain.cdsi.school_entry import (COMPLIANT, EXEMPT, IN_PROGRESS, NOT_COMPLIANT, PROVISIONAL, Exemption,
                                          Provisional, Requirement, RequirementError, grade_number, judge_student,
                                          overall, read_requirements)

DAY = date(2026, 9, 1)
POLIO = [Requirement(1, "Polio", "Polio", 0, 12, 4, "4 doses of polio vaccine."),
         Requirement(2, "Polio", "Polio", 0, 12, 3, "3 doses, the 3rd on or after the 4th birthday.", "4 years - 4 days")]
MMR = [Requirement(3, "MMR", "MMR", 0, 12, 2, "2 doses of MMR.")]
TDAP = [Requirement(4, "Tdap booster", "DTaP/Tdap/Td", 7, 12, 1, "1 dose of Tdap at 10 or older.", "10 years - 4 days",
                    vaccine_cvx=("115",))]


def judge(rules, born, doses, grade, *, exemptions=(), provisionals=(), day=DAY):
    patient = m.Patient(born, "Female", tuple(m.AdministeredDose(i, d, c) for i, (d, c) in enumerate(doses, 1)))
    groups = {r.vaccine_group for r in rules}
    results = {g: evaluate_group(g, patient, day) for g in groups}
    return {g.requirement: g for g in judge_student(rules, results, patient, grade, exemptions, provisionals, day)}


def test_three_polio_doses_meet_the_rule_when_the_third_is_after_the_fourth_birthday():
    born = date(2020, 8, 1)
    late = judge(POLIO, born, [(date(2020, 10, 1), "10"), (date(2020, 12, 1), "10"), (date(2024, 8, 5), "10")], 1)
    assert late["Polio"].status == COMPLIANT and "3rd on or after the 4th birthday" in late["Polio"].reason
    early = judge(POLIO, born, [(date(2020, 10, 1), "10"), (date(2020, 12, 1), "10"), (date(2021, 2, 1), "10")], 1)
    assert early["Polio"].status == NOT_COMPLIANT
    assert early["Polio"].reason == "Has 3 of 4 valid doses of Polio; the next dose is due now."


def test_a_dose_given_too_early_does_not_count():
    born = date(2021, 3, 1)
    r = judge(MMR, born, [(date(2022, 1, 1), "03"), (date(2022, 4, 1), "03")], 0)["MMR"]   # first at 10 months
    assert (r.status, r.valid_doses) == (NOT_COMPLIANT, 1)


def test_in_progress_while_the_next_dose_cannot_be_given_yet():
    born = date(2021, 8, 1)
    r = judge(MMR, born, [(date(2026, 8, 20), "03")], 0)["MMR"]   # the 2nd MMR needs 4 weeks
    assert r.status == IN_PROGRESS and r.next_due == date(2026, 9, 17)
    assert r.reason == "In progress: 1 of 2 valid doses of MMR; the next dose can be given from September 17, 2026."


def test_only_the_listed_vaccine_counts_and_the_rule_applies_only_to_its_grades():
    born = date(2014, 3, 1)
    td_only = judge(TDAP, born, [(date(2025, 3, 1), "139")], 7)
    assert td_only["Tdap booster"].status == NOT_COMPLIANT
    assert judge(TDAP, born, [(date(2025, 3, 1), "115")], 7)["Tdap booster"].status == COMPLIANT
    assert judge(TDAP, born, [], 6) == {}


def test_exemption_and_provisional_enrollment_override_and_immunity_counts_as_compliant():
    born = date(2019, 5, 1)
    doses = [(date(2020, 5, 10), "03")]
    religious = Exemption("MMR", "religious", date(2026, 8, 1))
    assert judge(MMR, born, doses, 1, exemptions=[religious])["MMR"].status == EXEMPT
    expired = Exemption(None, "medical", date(2025, 8, 1), expires_on=date(2026, 6, 1))
    assert judge(MMR, born, doses, 1, exemptions=[expired])["MMR"].status == NOT_COMPLIANT
    immune = Exemption("MMR", "immunity", date(2026, 8, 1))
    assert judge(MMR, born, doses, 1, exemptions=[immune])["MMR"].status == COMPLIANT
    open_ = Provisional(("MMR",), date(2026, 8, 15), date(2026, 10, 15))
    r = judge(MMR, born, doses, 1, provisionals=[open_])["MMR"]
    assert r.status == PROVISIONAL and r.provisional_deadline == date(2026, 10, 15)
    passed = judge(MMR, born, doses, 1, provisionals=[open_], day=date(2026, 10, 20))["MMR"]
    assert passed.status == NOT_COMPLIANT and passed.reason.startswith("The provisional enrollment ended October 15")
    other = Provisional(("Polio",), date(2026, 8, 15), date(2026, 10, 15))
    assert judge(MMR, born, doses, 1, provisionals=[other])["MMR"].status == NOT_COMPLIANT


def test_overall_status_is_the_worst_and_grades_read_from_ed_fi_codes():
    born = date(2019, 5, 1)
    result = judge(POLIO + MMR, born, [(date(2020, 5, 10), "03"), (date(2020, 7, 1), "03")], 1)
    assert result["MMR"].status == COMPLIANT and overall(result.values()) == NOT_COMPLIANT
    assert [grade_number(g) for g in ("Kindergarten", "Seventh grade", "K", "12", "Prekindergarten", "x")] == \
        [0, 7, 0, 12, -1, None]


def test_the_shipped_texas_set_reads_and_a_bad_file_is_refused_in_one_sentence(tmp_path):
    from app.services.immunizations.requirements import EXAMPLE_SET

    groups = supporting_data().vaccine_groups
    rows = read_requirements(EXAMPLE_SET.open(), groups)
    assert {r.name for r in rows} == {"DTaP/Tdap/Td", "Tdap booster", "Polio", "MMR", "Hepatitis B", "Varicella",
                                      "Meningococcal", "Hepatitis A"}
    bad = tmp_path / "bad.csv"
    bad.write_text(EXAMPLE_SET.read_text().replace("MMR,MMR,0,12,2", "MMR,MMR,0,13,2"))
    with pytest.raises(RequirementError, match=r"^Line \d+: grades must run from pre-K"):
        read_requirements(bad.open(), groups)
