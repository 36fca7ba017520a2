from datetime import date, time

import pytest

from app.domain.typed_input import parse_date, parse_time, show_date
from app.errors import UserError


@pytest.mark.parametrize("typed", ["03/14/2021", "2021-03-14", "3/14/21", " 03-14-2021 "])
def test_dates_in_the_forms_an_office_types(typed):
    assert parse_date(typed, "Birth date") == date(2021, 3, 14)


def test_a_bad_or_missing_date_names_the_field():
    with pytest.raises(UserError, match=r'Birth date "14/03/2021" is not a date; type it as MM/DD/YYYY'):
        parse_date("14/03/2021", "Birth date")
    with pytest.raises(UserError, match="Entry date is empty"):
        parse_date("  ", "Entry date")
    assert parse_date("", "Exit date", required=False) is None


def test_times_in_24_hour_or_am_pm():
    assert parse_time("8:15", "Arrival") == time(8, 15)
    assert parse_time("1:30 pm", "Arrival") == time(13, 30)
    assert parse_time("", "Arrival") is None
    with pytest.raises(UserError, match='Arrival "25:00" is not a time'):
        parse_time("25:00", "Arrival")
    assert show_date(date(2026, 1, 2)) == "01/02/2026" and show_date(None) == ""


def test_phone_numbers_are_stored_in_one_form_with_their_extension():
    from app.domain.typed_input import parse_phone

    for typed in ("512-555-0190", "(512) 555-0190", "512.555.0190", "5125550190", "+1 512 555 0190",
                  "1-512-555-0190", "  (512)555-0190 "):
        assert parse_phone(typed) == "(512) 555-0190", typed
    assert parse_phone("512-555-0190 x12") == "(512) 555-0190 ext. 12"
    assert parse_phone("512 555 0190 ext. 345") == "(512) 555-0190 ext. 345"
    assert parse_phone("+44 20 7946 0958") == "+44 20 7946 0958"
    assert parse_phone("") == ""


def test_what_is_not_a_phone_number_is_refused_in_one_sentence():
    from app.domain.typed_input import parse_phone

    with pytest.raises(UserError, match=r'^Phone "555-0190" is not a full phone number; type the area code'):
        parse_phone("555-0190")
    with pytest.raises(UserError, match=r'^Contact phone "call mom" is not a phone number;'):
        parse_phone("call mom", "Contact phone")
    with pytest.raises(UserError, match="not a full phone number"):
        parse_phone("012-555-0190")  # no US area code starts with 0
