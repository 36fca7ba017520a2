"""The CDSi engine on the specification's rules, with cases written here (not the CDC's sample)."""

from datetime import date, timedelta

from app.domain.cdsi import model as m
from app.domain.cdsi.data import supporting_data
from app.domain.cdsi.forecast import evaluate_group, groups_of_cvx

DTAP, POLIO, MMR, VAR, HIB, HEPB, HPV = "DTaP/Tdap/Td", "Polio", "MMR", "Varicella", "Hib", "HepB", "HPV"


def patient(born, *doses, gender="Female"):
    """doses: (date, cvx) pairs, numbered 1.. in the order given."""
    return m.Patient(born, gender, tuple(m.AdministeredDose(i, when, cvx) for i, (when, cvx) in enumerate(doses, 1)))


def test_the_supporting_data_is_read_from_the_shipped_xml():
    data = supporting_data()
    assert set(data.vaccine_groups[MMR]) == {"Measles", "Mumps", "Rubella"}
    assert {a.antigen for a in data.cvx_antigens["94"]} == {"Measles", "Mumps", "Rubella", "Varicella"}
    assert data.administer_full_group[MMR] is True
    assert any("3" in c.previous and "21" in c.current for c in data.live_virus)
    assert groups_of_cvx("94") == [MMR, VAR]


def test_newborn_forecast_uses_minimum_recommended_and_latest_recommended_ages():
    result = evaluate_group(DTAP, patient(date(2024, 1, 31)), date(2024, 2, 10))
    assert result.status == m.NOT_COMPLETE
    assert result.forecast.earliest == date(2024, 3, 13)        # 6 weeks
    assert result.forecast.recommended == date(2024, 3, 31)     # 2 months
    # 3 months + 4 weeks (Apr 31 -> May 1, + 28 days), minus one day
    assert result.forecast.past_due == date(2024, 5, 28)


def test_a_dose_before_the_absolute_minimum_age_is_too_young_and_the_grace_period_is_valid():
    born = date(2024, 1, 1)
    too_young = evaluate_group(POLIO, patient(born, (born + timedelta(days=37), "10")), date(2024, 6, 1))
    assert too_young.dose_status[1] == (m.NOT_VALID, m.TOO_YOUNG)
    grace = evaluate_group(POLIO, patient(born, (born + timedelta(days=38), "10")), date(2024, 6, 1))
    assert grace.dose_status[1] == (m.VALID, "")                 # 6 weeks - 4 days


def test_a_dose_too_soon_after_the_previous_one_is_not_valid_and_the_forecast_counts_from_it():
    born = date(2023, 3, 10)
    result = evaluate_group(POLIO, patient(born, (date(2023, 5, 10), "10"), (date(2023, 5, 25), "10")),
                            date(2023, 6, 1))
    assert result.dose_status[2] == (m.NOT_VALID, m.TOO_SOON)
    assert result.forecast.earliest == date(2023, 5, 25) + timedelta(weeks=4)


def test_live_virus_given_within_28_days_of_another_conflicts_and_the_grace_applies_after_a_valid_one():
    born = date(2020, 3, 1)
    mmr = (date(2021, 3, 1), "03")
    soon = evaluate_group(VAR, patient(born, mmr, (date(2021, 3, 11), "21")), date(2021, 4, 1))
    assert soon.dose_status[2] == (m.NOT_VALID, m.LIVE_VIRUS)
    assert soon.forecast.earliest == date(2021, 3, 11) + timedelta(days=28)
    later = evaluate_group(VAR, patient(born, mmr, (date(2021, 3, 29), "21")), date(2021, 4, 1))
    assert later.dose_status[2] == (m.VALID, "")
    # MMR after a valid MMR: the conflict ends after 24 days (the 4-day grace), not 28
    older = date(2019, 1, 1)
    second = evaluate_group(MMR, patient(older, (date(2021, 1, 1), "03"), (date(2021, 1, 26), "03")), date(2021, 4, 1))
    assert second.dose_status[2] == (m.VALID, "")
    assert second.status == m.COMPLETE


def test_an_inadvertent_vaccine_is_not_valid_and_the_repeat_is_due_at_once():
    born = date(2022, 2, 1)
    result = evaluate_group(DTAP, patient(born, (date(2022, 4, 1), "20"), (date(2022, 6, 1), "20"),
                                          (date(2022, 10, 3), "115")), date(2022, 10, 3))
    assert result.dose_status[3] == (m.NOT_VALID, m.INADVERTENT)
    assert result.forecast.earliest == result.forecast.recommended == date(2022, 10, 3)


def test_doses_after_the_series_is_complete_are_extraneous():
    born = date(2021, 5, 5)
    doses = [(date(2021, 5, 5), "08"), (date(2021, 7, 5), "08"), (date(2021, 11, 20), "08"), (date(2022, 3, 1), "08")]
    result = evaluate_group(HEPB, patient(born, *doses), date(2022, 6, 1))
    assert result.status == m.COMPLETE
    assert [result.dose_status[n][0] for n in (1, 2, 3)] == [m.VALID] * 3
    assert result.dose_status[4] == (m.EXTRANEOUS, m.SERIES_COMPLETE)
    assert result.forecast == m.Forecast()


def test_a_first_hib_dose_at_six_years_is_too_old_and_the_series_aged_out():
    result = evaluate_group(HIB, patient(date(2017, 9, 1), (date(2023, 9, 1), "48")), date(2023, 9, 2))
    assert result.dose_status[1] == (m.EXTRANEOUS, m.TOO_OLD)
    assert result.status == m.AGED_OUT


def test_birth_before_1957_is_evidence_of_measles_immunity():
    assert evaluate_group(MMR, patient(date(1950, 6, 1), gender="Male"), date(2024, 1, 1)).status == m.IMMUNE


def test_conditional_skip_hib_dose_at_15_months_finishes_the_series():
    born = date(2022, 1, 10)
    result = evaluate_group(HIB, patient(born, (date(2023, 4, 12), "48")), date(2023, 6, 1))
    assert result.status == m.COMPLETE


def test_hpv_started_at_nine_follows_the_two_dose_series_and_at_fifteen_the_three_dose_series():
    early = evaluate_group(HPV, patient(date(2010, 3, 3), (date(2019, 3, 3), "165")), date(2019, 3, 4))
    assert early.forecast.earliest == date(2019, 8, 3)           # 5 months: the 2-dose series
    late = evaluate_group(HPV, patient(date(2004, 3, 3), (date(2019, 3, 3), "165")), date(2019, 3, 4))
    assert late.forecast.earliest == date(2019, 3, 31)           # 4 weeks: the 3-dose series


def test_mmr_group_forecast_combines_measles_mumps_and_rubella():
    born = date(2023, 1, 15)
    result = evaluate_group(MMR, patient(born, (date(2024, 1, 15), "03")), date(2024, 3, 1))
    assert result.status == m.NOT_COMPLETE
    assert result.forecast.earliest == date(2024, 2, 15)         # dose 2: 13 months (later than 4 weeks after dose 1)
    assert result.forecast.recommended == date(2027, 1, 15)      # 4 years
    assert {s.antigen for s in result.series} == {"Measles", "Mumps", "Rubella"}


def test_single_antigen_doses_are_judged_per_antigen_of_the_group():
    born = date(2019, 2, 1)
    doses = [(date(2020, 2, 1), "05"), (date(2020, 2, 1), "07"), (date(2020, 2, 1), "06")]   # measles, mumps, rubella
    result = evaluate_group(MMR, patient(born, *doses), date(2020, 3, 1))
    assert all(result.dose_status[n] == (m.VALID, "") for n in (1, 2, 3))
    assert result.status == m.NOT_COMPLETE
