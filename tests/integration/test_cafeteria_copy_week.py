"""Copying a week of meal services (issue 9: a manager plans next week from this week): one action, one
transaction; every service of the week (which run, hours, items) lands on the same weekdays of the target
week; a target week that already has meal services is refused in one sentence and nothing is copied (it
never merges); a cashier, or the manager of another school, copies nothing."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services.cafeteria import menus
from tests.integration.test_cafeteria_manager_scope import make_login

pytestmark = pytest.mark.integration
RMS, RHS = 255950002, 255950003
SRC = date(2031, 3, 3)  # a Monday far from the demo's weeks: the demo's own services stay as they are
DST = SRC + timedelta(days=7)


def services(demo_engine, first: date) -> list[tuple]:
    with demo_engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT service_date - CAST(:a AS date), meal_service, starts_at, ends_at, item_codes "
            "FROM cafeteria.meal_services WHERE school_id = :s AND service_date BETWEEN :a AND CAST(:a AS date) + 6 "
            "ORDER BY 1, 2"), {"s": RMS, "a": first})]


@pytest.fixture
def week(demo_engine):
    with demo_engine.begin() as c:
        for k in range(5):
            for svc, a, b, codes in (("breakfast", time(7, 15), time(8, 0), ["B100"]),
                                     ("lunch", time(11, 0), time(13, 0), ["L200", "A100"])):
                c.execute(text("INSERT INTO cafeteria.meal_services (school_id, service_date, meal_service, starts_at, "
                               "ends_at, item_codes) VALUES (:s, :d, :m, :a, :b, :c)"),
                          {"s": RMS, "d": SRC + timedelta(days=k), "m": svc, "a": a, "b": b, "c": codes})
        c.execute(text("INSERT INTO cafeteria.meal_services (school_id, service_date, meal_service, starts_at, ends_at) "
                       "VALUES (:s, :d, 'snack', '14:45', '15:30')"), {"s": RMS, "d": SRC + timedelta(days=2)})
    yield
    with demo_engine.begin() as c:
        c.execute(text("DELETE FROM cafeteria.meal_services WHERE school_id IN (:s, :h) AND service_date "
                       "BETWEEN :a AND CAST(:a AS date) + 27"), {"s": RMS, "h": RHS, "a": SRC})


def test_a_manager_copies_a_week_once_and_a_planned_week_is_never_merged(login_engine, demo_engine, week):
    rms = login_engine("demo_cafeteria_manager")
    source = services(demo_engine, SRC)
    assert len(source) == 11
    # any day of either week names it; one transaction copies the whole week
    assert menus.copy_meal_week(rms, RMS, SRC + timedelta(days=2), DST + timedelta(days=4)) == 11
    assert services(demo_engine, DST) == source
    # again: refused in one sentence, nothing more written
    with pytest.raises(UserError) as err:
        menus.copy_meal_week(rms, RMS, SRC, DST)
    assert err.value.message == ("The week of 03/10/2031 already has 11 meal services planned, so nothing was "
                                 "copied; change that week a day at a time, or take its services off first.")
    assert services(demo_engine, DST) == source
    # a target week with a single service planned: still refused, that one service untouched
    nxt = DST + timedelta(days=7)
    with demo_engine.begin() as c:
        c.execute(text("INSERT INTO cafeteria.meal_services (school_id, service_date, meal_service, item_codes) "
                       "VALUES (:s, :d, 'lunch', '{L500}')"), {"s": RMS, "d": nxt + timedelta(days=3)})
    with pytest.raises(UserError, match="already has 1 meal service planned"):
        menus.copy_meal_week(rms, RMS, DST, nxt)
    assert services(demo_engine, nxt) == [(3, "lunch", None, None, ["L500"])]
    # the manager's changes are audited like a day's edit
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM compliance.audit_logs WHERE user_id = 'demo_cafeteria_manager' "
                              "AND table_name = 'cafeteria.meal_services'")).scalar() >= 1


def test_bad_weeks_get_one_sentence(login_engine, demo_engine, week):
    rms = login_engine("demo_cafeteria_manager")
    with pytest.raises(UserError, match="^A week cannot be copied onto itself; choose the week to copy to.$"):
        menus.copy_meal_week(rms, RMS, SRC, SRC + timedelta(days=4))
    with pytest.raises(UserError, match="^The week of 04/07/2031 has no meal services to copy"):
        menus.copy_meal_week(rms, RMS, date(2031, 4, 9), date(2031, 4, 16))
    with pytest.raises(UserError, match="^The week of 03/03/2025 is over; copy to this week or a later one.$"):
        menus.copy_meal_week(rms, RMS, SRC, date(2025, 3, 5))
    assert services(demo_engine, date(2031, 4, 14)) == []


def test_a_cashier_or_another_schools_manager_copies_nothing(login_engine, demo_engine, week):
    with pytest.raises(UserError) as err:
        menus.copy_meal_week(login_engine("demo_cashier"), RMS, SRC, DST)
    assert err.value.message == "Only a cafeteria manager may do this; ask your manager."
    rhs = make_login(demo_engine, login_engine, "t_rhs_cafmgr", RHS, RMS, ("so_cafeteria_manager",))
    with pytest.raises(UserError) as err:
        menus.copy_meal_week(rhs, RMS, SRC, DST)
    assert err.value.message == ("Only a cafeteria manager of this school may change its menu, meal services or "
                                 "settings.")
    assert services(demo_engine, DST) == []
