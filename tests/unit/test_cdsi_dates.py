"""The CDSi specification's date arithmetic (chapter 'Calculating dates')."""

from datetime import date

import pytest

from app.domain.cdsi.dates import EARLIEST, LATEST, DurationError, add_duration, date_or, parse_yyyymmdd


def test_years_change_only_the_year_and_feb_29_moves_to_march_1():
    assert add_duration(date(2020, 2, 29), "1 year") == date(2021, 3, 1)
    assert add_duration(date(2020, 2, 29), "4 years") == date(2024, 2, 29)
    assert add_duration(date(2019, 6, 30), "18 years") == date(2037, 6, 30)


def test_months_change_only_the_month_and_an_impossible_day_moves_to_the_first_of_next_month():
    assert add_duration(date(2021, 1, 31), "1 month") == date(2021, 3, 1)
    assert add_duration(date(2021, 3, 31), "6 months") == date(2021, 10, 1)
    assert add_duration(date(2021, 11, 30), "3 months") == date(2022, 3, 1)  # Feb 30
    assert add_duration(date(2021, 10, 15), "14 months") == date(2022, 12, 15)


def test_compound_ages_apply_each_part_in_turn():
    assert add_duration(date(2020, 1, 1), "6 weeks - 4 days") == date(2020, 2, 8)
    assert add_duration(date(2016, 3, 1), "4 years - 4 days") == date(2020, 2, 26)
    # 3 months from Jan 31 is Apr 31, which does not exist -> May 1; then + 4 weeks
    assert add_duration(date(2024, 1, 31), "3 months + 4 weeks") == date(2024, 5, 29)
    assert add_duration(date(2020, 1, 1), "19 years- 4 days") == date(2038, 12, 28)


def test_empty_attributes_take_the_specification_defaults():
    assert date_or(date(2020, 1, 1), "", EARLIEST) == date(1900, 1, 1)
    assert date_or(date(2020, 1, 1), "  ", LATEST) == date(2999, 12, 31)
    assert date_or(None, "4 weeks", None) is None
    assert parse_yyyymmdd("20161216", EARLIEST) == date(2016, 12, 16)
    assert parse_yyyymmdd("01/01/1957", EARLIEST) == date(1957, 1, 1)
    assert parse_yyyymmdd("", LATEST) == LATEST


@pytest.mark.parametrize("text", ["four weeks", "6 weeks and 2 days", "12 fortnights"])
def test_a_duration_the_specification_does_not_allow_is_refused(text):
    with pytest.raises(DurationError):
        add_duration(date(2020, 1, 1), text)
