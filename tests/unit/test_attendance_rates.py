from decimal import Decimal

from app.domain.attendance_rates import Averages, ChronicRule, absence_rate, absence_weight


def test_ada_and_adm_over_a_week():
    # 5 school days; 4 students enrolled all week, a fifth from Wednesday; 2.5 days missed in all
    a = Averages(school_days=5, enrolled_days=4 * 5 + 3, absent_days=Decimal("2.5"))
    assert a.adm == Decimal("4.60")
    assert a.ada == Decimal("4.10")
    assert a.attendance_rate == Decimal("89.1")


def test_no_school_days_gives_zero_not_an_error():
    assert Averages(0, 0, Decimal(0)).ada == 0 and Averages(0, 0, Decimal(0)).attendance_rate == 0


def test_partial_days_count_half_and_tardies_nothing():
    assert [absence_weight(c) for c in ("Excused Absence", "Unexcused Absence", "Partial", "Tardy", "In Attendance")] \
        == [1, 1, Decimal("0.5"), 0, 0]


def test_chronic_absence_needs_ten_percent_after_ten_days():
    rule = ChronicRule()
    assert rule.applies(Decimal(2), 20)  # exactly 10%
    assert not rule.applies(Decimal("1.5"), 20)
    assert not rule.applies(Decimal(3), 9)  # a third of the days, but only nine days enrolled
    assert rule.applies(Decimal(1), 10)
    assert absence_rate(Decimal(3), 40) == Decimal("7.5")
    assert ChronicRule(Decimal("0.2"), 5).applies(Decimal(1), 5)
