"""Bus assignment rules (app/domain/transport_rules.py): capacity by grade band, eligibility by
distance with hazard zones and the IEP, the nearest stop within the walking limit, stop times."""

from __future__ import annotations

from datetime import time

import pytest

from app.domain import transport_rules as r
from app.errors import UserError

SCHOOL = r.Point(30.2672, -97.7431)
S = r.Settings(distance_factor=1.3, walking_limit_miles=0.5, speed_mph=20, stop_seconds=20, load_seconds_per_rider=8)


def north(miles: float) -> r.Point:
    return r.Point(SCHOOL.latitude + miles / 69.05, SCHOOL.longitude)


def test_three_elementary_or_two_high_school_riders_to_a_seat():
    full_elem = r.capacity(24, 0, ["Second grade"] * 72, 0)
    assert full_elem.seats_used == 24 and not full_elem.overloaded
    assert r.capacity(24, 0, ["Second grade"] * 73, 0).overloaded
    assert r.capacity(24, 0, ["Tenth grade"] * 48, 0).seats_used == 24
    assert r.capacity(24, 0, ["Tenth grade"] * 49, 0).overloaded
    mixed = r.capacity(24, 0, ["Kindergarten"] * 30 + ["Ninth grade"] * 28, 0)  # 10 + 14 seats
    assert mixed.seats_used == 24 and not mixed.overloaded and mixed.percent == 100


def test_the_rule_is_data_a_district_may_seat_two_elementary_riders():
    bands = (r.GradeBand("elementary", "K-5", frozenset({"First grade"}), 2, 1.0),)
    assert r.capacity(10, 0, ["First grade"] * 21, 0, bands).overloaded


def test_wheelchair_riders_use_positions_not_seats():
    cap = r.capacity(10, 1, ["First grade"] * 3, 2)
    assert cap.seats_used == 1 and cap.overloaded
    warning = r.overload_warning("Route 4 AM", "Monday", cap)
    assert warning.startswith("Route 4 AM on Monday would carry 2 wheelchair riders with 1 wheelchair positions")
    assert r.overload_warning("Route 4 AM", "Monday", r.capacity(10, 2, ["First grade"] * 3, 2)) is None


def test_an_overload_is_one_sentence_and_a_near_full_run_is_noticed():
    cap = r.capacity(20, 0, ["Eleventh grade"] * 41, 0)
    msg = r.overload_warning("Route 7 PM", "Friday", cap)
    assert msg == ("Route 7 PM on Friday would be overloaded: 41 riders use 20.5 of 20 seats (102%); assign another "
                   "run or a larger bus.")
    assert r.capacity(20, 0, ["Eleventh grade"] * 37, 0).nearly_full


def test_eligibility_by_distance_times_factor_against_the_grade_band():
    # 0.8 mi straight x 1.3 = 1.04 mi: an elementary rider (limit 1.0) rides, a high-school one (2.0) walks
    home = north(0.8)
    assert r.eligibility(home, SCHOOL, "First grade", 1, S).eligible
    walks = r.eligibility(home, SCHOOL, "Ninth grade", 1, S)
    assert not walks.eligible and walks.reason == "1.0 mi, under 2: walks"
    assert r.eligibility(north(1.6), SCHOOL, "Ninth grade", 1, S).eligible


def test_a_hazard_zone_or_the_iep_makes_a_near_student_eligible():
    home = north(0.2)
    zone = r.HazardZone("Highway 71 crossing", north(0.25), 0.2, school_id=1)
    assert not r.eligibility(home, SCHOOL, "Ninth grade", 1, S).eligible
    assert r.eligibility(home, SCHOOL, "Ninth grade", 1, S, hazards=(zone,)).reason == "hazard: Highway 71 crossing"
    assert not r.eligibility(home, SCHOOL, "Ninth grade", 2, S, hazards=(zone,)).eligible  # another school's zone
    iep = r.eligibility(home, SCHOOL, "Ninth grade", 1, S, iep_transport=True)
    assert iep.eligible and iep.special
    assert not r.eligibility(None, SCHOOL, "Ninth grade", 1, S).eligible


def test_the_suggested_stop_is_the_nearest_within_the_walking_limit():
    home = north(3.0)
    stops = [r.StopChoice(1, "far", north(3.5), 10), r.StopChoice(2, "near", north(3.2), 11),
             r.StopChoice(3, "nearest", north(3.1), 12)]
    choice, miles = r.nearest_stop(home, stops, S)
    assert choice.name == "nearest" and miles == pytest.approx(0.13, abs=0.01)
    assert r.nearest_stop(home, [stops[0]], S) is None  # 0.5 x 1.3 = 0.65 mi: over the limit


def test_positions_out_of_range_are_refused_in_one_sentence():
    with pytest.raises(UserError, match=r"^Latitude 91 is out of range; a latitude is between -90 and 90\.$"):
        r.check_position(91, 10)
    with pytest.raises(UserError, match="Longitude -181 is out of range"):
        r.check_position(10, -181)


def test_times_are_estimated_from_distance_speed_and_boarding():
    stops = [north(2.0), north(1.0)]
    times, at_school = r.estimate_times(time(7, 0), stops, [3, 5], S, end=SCHOOL)
    # 1 mi x 1.3 at 20 mph = 234 s, plus 20 s stop and 3 x 8 s boarding = 278 s
    assert times == [time(7, 0), time(7, 4, 38)]
    assert at_school == time(7, 9, 32)  # + 20 + 40 + 234


def test_a_stop_time_out_of_order_is_refused_naming_both_stops():
    with pytest.raises(UserError, match=r"^Stop 3 \(Elm St\) at 07:05 is before stop 2 \(Oak St\) at 07:10; stop "
                                        r"times must rise along the run\.$"):
        r.check_times_in_order(["Pine St", "Oak St", "Elm St"], [time(7, 0), time(7, 10), time(7, 5)])
    with pytest.raises(UserError, match="after the bus is due at Riverbend High"):
        r.check_times_in_order(["Pine St"], [time(7, 50)], time(7, 40), "Riverbend High")


def test_inserting_a_stop_moves_the_rest_down():
    assert r.insert_position(5, 2) == 2
    assert r.insert_position(5, None) == 6 and r.insert_position(5, 9) == 6
    with pytest.raises(UserError):
        r.insert_position(5, 0)


def test_kindergarten_is_always_released_to_a_designated_adult():
    assert r.release_to_adult("Kindergarten", False)
    assert not r.release_to_adult("Third grade", False) and r.release_to_adult("Third grade", True)


def test_the_stop_index_finds_what_a_full_search_finds():
    import random

    rng = random.Random(7)
    stops = [r.StopChoice(i, f"s{i}", r.Point(30.2 + rng.random() * 0.2, -97.8 + rng.random() * 0.2), i % 5)
             for i in range(300)]
    index = r.StopIndex(stops, S)
    for _ in range(300):
        home = r.Point(30.2 + rng.random() * 0.2, -97.8 + rng.random() * 0.2)
        full, fast = r.nearest_stop(home, stops, S), index.nearest(home)
        assert (full and full[0].stop_id) == (fast and fast[0].stop_id)
