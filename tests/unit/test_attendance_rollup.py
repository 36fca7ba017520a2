import pytest

from app.domain.attendance_rollup import PeriodMark, RollupRule, daily_status

P, E, U, T = "In Attendance", "Excused Absence", "Unexcused Absence", "Tardy"


def day(*codes, minutes=50):
    return [PeriodMark(c, minutes) for c in codes]


def test_present_all_day():
    assert daily_status(day(P, P, P, P, P, P)) == "In Attendance"


def test_absent_all_day_excused_only_when_every_period_is_excused():
    assert daily_status(day(E, E, E, E, E, E)) == "Excused Absence"
    assert daily_status(day(E, E, E, U, E, E)) == "Unexcused Absence"


def test_thresholds_make_partial_days():
    assert daily_status(day(U, U, U, P, P, P)) == "Partial"  # 150 of 300 minutes missed
    assert daily_status(day(U, P, P, P, P, P)) == "Partial"  # one cut class is still a partial day
    assert daily_status(day(T, P, P, P, P, P)) == "Tardy"


def test_rules_are_configurable():
    strict = RollupRule(absent_minutes=100, half_day_minutes=50)
    assert daily_status(day(U, U, P, P, P, P), strict) == "Unexcused Absence"


def test_a_homeroom_day_is_its_one_mark():
    assert daily_status([PeriodMark(U, 420)]) == "Unexcused Absence"
    assert daily_status([PeriodMark(T, 420)]) == "Tardy"


def test_no_marks_is_an_error():
    with pytest.raises(ValueError):
        daily_status([])
