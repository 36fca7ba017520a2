"""The nurse office's plain rules (issue 11), without a database."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from app.domain import nurse_rules as r
from app.domain.activity_text import describe, without_health_details
from app.errors import UserError
from app.services.nurse.cvx import cvx_codes, normalise_cvx

T = datetime(2026, 11, 20, 10, 0).astimezone()


def test_a_second_as_needed_dose_inside_the_interval_needs_a_reason():
    with pytest.raises(UserError, match="allows the next dose at 14:00"):
        r.check_as_needed_interval(T + timedelta(hours=2), T, 240, "Albuterol", "")
    r.check_as_needed_interval(T + timedelta(hours=2), T, 240, "Albuterol", "Wheezing again; prescriber agreed")
    r.check_as_needed_interval(T + timedelta(hours=4), T, 240, "Albuterol", "")
    r.check_as_needed_interval(T, None, 240, "Albuterol", "")


def test_a_dose_above_the_order_and_a_time_in_the_future_are_refused():
    with pytest.raises(UserError, match="more than ordered"):
        r.check_dose_amount(Decimal(3), Decimal(2), "puff", "Albuterol")
    r.check_dose_amount(Decimal(2), Decimal(2), "puff", "Albuterol")
    with pytest.raises(UserError, match="later than now"):
        r.not_in_future(T + timedelta(minutes=5), T, "The dose time")
    r.not_in_future(T + timedelta(seconds=30), T, "The dose time")  # clocks differ a little


def test_amounts_schedules_complaints_and_dispositions_are_checked_in_one_sentence():
    assert r.parse_amount("2.5", "Dose") == Decimal("2.5")
    for bad in ("", "two", "-1", "0", "nan"):
        with pytest.raises(UserError):
            r.parse_amount(bad, "Dose")
    assert [t.strftime("%H:%M") for t in r.parse_schedule(["12:00", "08:00"])] == ["08:00", "12:00"]
    with pytest.raises(UserError, match="not a time of day"):
        r.parse_schedule(["noon"])
    assert r.complaint_code("Headache") == "headache" and r.disposition_code("Sent home") == "sent_home"
    with pytest.raises(UserError, match="not a disposition"):
        r.disposition_code("went to lunch")


def test_trip_doses_add_up():  # the witness is checked by the database (tests/integration/test_nurse_witness.py)
    r.trip_return_adds_up(Decimal(2), Decimal(1), Decimal(1), "Methylphenidate")
    with pytest.raises(UserError, match="do not add up"):
        r.trip_return_adds_up(Decimal(2), Decimal(2), Decimal(1), "Methylphenidate")


def test_screening_results():
    assert r.vision_result("20/20", "20/30") == "pass"
    assert r.vision_result("20/20", "20/40") == "fail"
    with pytest.raises(UserError, match="not like 20/20"):
        r.vision_result("6/6", "20/20")
    assert r.hearing_result(True, False) == "fail"
    assert r.bmi(Decimal(150), Decimal(45)) == Decimal("20.0")


def test_the_timeline_shows_a_visit_without_details_to_roles_that_may_not_read_them():
    d = {"visit": 7, "timeIn": "10:05", "timeOut": "10:40", "complaint": "Feeling hot / fever",
         "disposition": "Sent home"}
    assert describe("health.visit", d) == "Health office visit 10:05-10:40: Feeling hot / fever; sent home"
    public = without_health_details("health.visit", d)
    assert describe("health.visit", public) == "Visited the health office 10:05-10:40"
    assert "fever" not in str(public) and "Sent home" not in str(public)
    assert without_health_details("attendance.marked", {"mark": "Tardy"}) == {"mark": "Tardy"}


def test_the_cdc_cvx_list_is_shipped_as_data():
    codes = cvx_codes()
    assert len(codes) > 100
    assert codes["03"].short_description == "MMR" and "MMR" in codes["03"].vaccine_groups
    assert "DTaP/Tdap/Td" in codes["20"].vaccine_groups
    assert normalise_cvx("3") == "03" and normalise_cvx(" 115 ") == "115"
