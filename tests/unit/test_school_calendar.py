from datetime import date

from app.domain.school_calendar import school_year_for, standard_calendar


def test_school_year_is_named_by_its_ending_year():
    assert school_year_for(date(2026, 8, 17)) == 2027
    assert school_year_for(date(2027, 5, 20)) == 2027
    assert school_year_for(date(2027, 7, 1)) == 2028


def test_standard_calendar_2026_2027():
    cal = standard_calendar(2027)
    assert cal.first_day == date(2026, 8, 17) and cal.first_day.weekday() == 0
    assert not cal.is_school_day(date(2026, 9, 7))  # Labor Day
    assert not cal.is_school_day(date(2026, 11, 26))  # Thanksgiving
    assert not cal.is_school_day(date(2026, 11, 28))  # a Saturday
    assert cal.is_school_day(date(2026, 11, 24))
    assert not cal.is_school_day(date(2026, 12, 28))  # winter break: between the semesters
    fall, spring = cal.terms
    assert fall.end < spring.begin and fall.end.weekday() == 4
    assert 170 <= len(cal.school_days()) <= 185


def test_four_nine_week_periods_tile_the_semesters():
    cal = standard_calendar(2027)
    gps = cal.grading_periods
    assert [g.descriptor_code for g in gps] == ["First Nine Weeks", "Second Nine Weeks", "Third Nine Weeks",
                                                "Fourth Nine Weeks"]
    for a, b in zip(gps, gps[1:]):
        assert a.end < b.begin
    days_in = sum(len(cal.school_days(g.begin, g.end)) for g in gps)
    assert days_in == len(cal.school_days())
