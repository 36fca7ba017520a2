"""Riders: each student's plan by day of week and direction (run, stop, an alternate address for
some days), temporary changes for a date range (a parent's note), eligibility and a suggested
stop, the students who need an assignment, and the "which bus?" answer for a parent's call.

A plan that would overfill a run's seats (by the riders' grades) raises `OverloadWarning` unless the
coordinator confirms it: never a silent overload. A rider whose wheelchair, lift, car seat or
harness the bus cannot carry is refused outright (fit.check_fit). The plan stores only its own
needs; the IEP's count while the IEP is in force (common.needs_in_force). Runs are locked while
their load is checked, so two coordinators cannot both fill the last seat.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import Connection, text

from app.domain import transport_rules as rules
from app.errors import UserError
from app.services.transport.common import (
    DIRECTION_LABEL,
    NO_NEEDS,
    iep_needs,
    needs_in_force,
    student_facts,
)
from app.services.transport import routes
from app.services.transport.fit import OverloadWarning, check_fit


@dataclass(frozen=True)
class Leg:
    day_of_week: int  # ISO 1..7
    direction: str  # to_school | from_school
    run_id: int
    stop_id: int
    alternate_address: str = ""


@dataclass(frozen=True)
class RiderPlan:
    student_usi: int
    legs: tuple[Leg, ...]
    effective_date: date
    release_to_adult: bool = False
    wheelchair: bool = False
    equipment: tuple[str, ...] = ()


def weekday_legs(run_am: int, stop_am: int, run_pm: int | None, stop_pm: int | None,
                 days: tuple[int, ...] = (1, 2, 3, 4, 5)) -> tuple[Leg, ...]:
    """The usual plan: the same AM and PM run and stop every school day."""
    legs = [Leg(d, "to_school", run_am, stop_am) for d in days]
    if run_pm is not None and stop_pm is not None:
        legs += [Leg(d, "from_school", run_pm, stop_pm) for d in days]
    return tuple(legs)


@dataclass(frozen=True)
class _Run:
    run_id: int
    name: str
    direction: str
    route_id: int
    seats: int | None
    positions: int
    equipment: tuple[str, ...]
    schools: tuple[int, ...]
    stops: dict = field(default_factory=dict)  # stop_id -> name


def _runs(conn: Connection, run_ids: list[int], lock: bool) -> dict[int, _Run]:
    rows = conn.execute(text(
        "SELECT u.run_id, r.route_number || ' ' || u.run_kind, u.direction, u.route_id, b.seats, "
        "coalesce(b.wheelchair_positions, 0), coalesce(b.equipment, '{}'), "
        "ARRAY(SELECT rs.school_id FROM transportation.run_schools rs WHERE rs.run_id = u.run_id) "
        "FROM transportation.runs u JOIN transportation.bus_routes r ON r.route_id = u.route_id "
        "LEFT JOIN transportation.buses b ON b.bus_id = u.bus_id WHERE u.run_id = ANY(:ids) AND u.is_active "
        "ORDER BY u.run_id" + (" FOR UPDATE OF u" if lock else "")), {"ids": run_ids}).all()
    out = {r[0]: _Run(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6]), tuple(r[7]), {}) for r in rows}
    for run_id, stop_id, name in conn.execute(text(
            "SELECT rs.run_id, s.stop_id, s.stop_name FROM transportation.run_stops rs "
            "JOIN transportation.bus_stops s ON s.stop_id = rs.stop_id WHERE rs.run_id = ANY(:ids)"), {"ids": run_ids}):
        if run_id in out:
            out[run_id].stops[stop_id] = name
    return out


def _school_name(conn: Connection, school_id: int) -> str:
    return conn.execute(text("SELECT nameofinstitution FROM edfi.educationorganization WHERE educationorganizationid "
                             "= :s"), {"s": school_id}).scalar() or "their school"


def _check_leg(leg: Leg, run: _Run | None, school_id: int, school: str) -> None:
    day = rules.day_name(leg.day_of_week) if 1 <= leg.day_of_week <= 7 else None
    if day is None:
        raise UserError(f"Day {leg.day_of_week} is not a day of the week; use 1 (Monday) to 7 (Sunday).")
    if run is None:
        raise UserError("That run is no longer on file or not running; refresh the list of runs.")
    if leg.direction != run.direction:
        raise UserError(f"{run.name} goes {DIRECTION_LABEL[run.direction]}; pick a run that goes "
                        f"{DIRECTION_LABEL[leg.direction]} for {day}.")
    if school_id not in run.schools:
        raise UserError(f"{run.name} does not serve {school}, where the student is enrolled; pick a run that "
                        "serves that school.")
    if leg.stop_id not in run.stops:
        raise UserError(f"That stop is not on {run.name}; pick one of its stops.")


def assign_rider(conn: Connection, plan: RiderPlan, *, confirm_overload: bool = False) -> int:
    """Save the student's plan from plan.effective_date, replacing the plan in force then.
    Returns the plan's assignment id."""
    facts = student_facts(conn, plan.student_usi, plan.effective_date)
    if facts is None:
        raise UserError("That student is not on file or not one you may see; search for the student again.")
    if facts.school_id is None:
        raise UserError(f"{facts.name} is not enrolled on {plan.effective_date:%m/%d/%Y}; the front office enrolls "
                        "them first.")
    if not plan.legs:
        raise UserError("The plan has no rides; choose at least one day and run.")
    seen = set()
    for leg in plan.legs:
        key = (leg.day_of_week, leg.direction)
        if key in seen:
            raise UserError(f"{rules.day_name(leg.day_of_week)} {DIRECTION_LABEL[leg.direction]} is in the plan twice; "
                            "keep one ride for each day and direction.")
        seen.add(key)
        if leg.direction not in ("to_school", "from_school"):
            raise UserError(f"Direction \"{leg.direction}\" is not known; use to school or from school.")
        if len(leg.alternate_address) > 500:
            raise UserError("The alternate address is longer than 500 characters; shorten it.")
    runs = _runs(conn, sorted({leg.run_id for leg in plan.legs}), lock=True)
    school = _school_name(conn, facts.school_id)
    needs = iep_needs(conn, [plan.student_usi], plan.effective_date).get(plan.student_usi)
    if needs and needs.door_to_door:
        plan = _at_the_door(conn, plan, facts, runs, school)
    for leg in plan.legs:
        _check_leg(leg, runs.get(leg.run_id), facts.school_id, school)
    unknown = [e for e in plan.equipment if e not in rules.EQUIPMENT]
    if unknown:
        raise UserError(f"Equipment \"{unknown[0]}\" is not known; choose from {', '.join(rules.EQUIPMENT)}.")
    # the plan stores its own needs; the check counts the IEP's in force as well
    wheelchair = plan.wheelchair or bool(needs and needs.wheelchair)
    equipment = tuple(e for e in rules.EQUIPMENT if e in plan.equipment or (needs and e in needs.equipment))
    adding: dict[tuple[int, int], int] = {}
    for leg in plan.legs:
        adding[leg.run_id, leg.day_of_week] = adding.get((leg.run_id, leg.day_of_week), 0) + 1
    warnings = check_fit(conn, plan.effective_date, runs, adding, facts.grade, wheelchair, equipment,
                         plan.student_usi)
    if warnings and not confirm_overload:
        raise OverloadWarning(warnings)
    # The plan in force from the effective date is replaced: earlier plans end the day before.
    conn.execute(text("DELETE FROM transportation.student_transportation WHERE student_usi = :u "
                      "AND effective_date >= :d"), {"u": plan.student_usi, "d": plan.effective_date})
    conn.execute(text("UPDATE transportation.student_transportation SET end_date = :e WHERE student_usi = :u "
                      "AND (end_date IS NULL OR end_date >= :d)"),
                 {"u": plan.student_usi, "d": plan.effective_date, "e": plan.effective_date - timedelta(days=1)})
    first_am = next((leg for leg in sorted(plan.legs, key=lambda x: x.day_of_week) if leg.direction == "to_school"),
                    None)
    first_pm = next((leg for leg in sorted(plan.legs, key=lambda x: x.day_of_week) if leg.direction == "from_school"),
                    None)
    main = first_am or first_pm
    aid = conn.execute(text(
        "INSERT INTO transportation.student_transportation (student_usi, route_id, pickup_stop_id, dropoff_stop_id, "
        "effective_date, transportation_category, is_active, school_id, release_to_adult, wheelchair, equipment_needed) "
        "VALUES (:u, :route, :am, :pm, :d, :cat, true, :s, :rel, :wc, CAST(:eq AS text[])) RETURNING assignment_id"),
        {"u": plan.student_usi, "route": runs[main.run_id].route_id, "am": first_am.stop_id if first_am else None,
         "pm": first_pm.stop_id if first_pm else None, "d": plan.effective_date,
         "cat": "Special needs" if needs else "Regular", "s": facts.school_id,
         "rel": rules.release_to_adult(facts.grade, plan.release_to_adult), "wc": plan.wheelchair,
         "eq": [e for e in rules.EQUIPMENT if e in plan.equipment]}).scalar()
    conn.execute(text(
        "INSERT INTO transportation.rider_legs (assignment_id, student_usi, day_of_week, direction, run_id, stop_id, "
        "alternate_address) SELECT :a, :u, d, dir, r, s, nullif(alt, '') FROM unnest(CAST(:days AS smallint[]), "
        "CAST(:dirs AS text[]), CAST(:runs AS int[]), CAST(:stops AS int[]), CAST(:alts AS text[])) AS x(d, dir, r, s, alt)"),
        {"a": aid, "u": plan.student_usi, "days": [g.day_of_week for g in plan.legs],
         "dirs": [g.direction for g in plan.legs], "runs": [g.run_id for g in plan.legs],
         "stops": [g.stop_id for g in plan.legs], "alts": [g.alternate_address.strip() for g in plan.legs]})
    return aid


def _at_the_door(conn: Connection, plan: RiderPlan, facts, runs: dict[int, _Run], school: str) -> RiderPlan:
    """Door-to-door service: each ride from or to the home boards at a stop at the home on its run,
    created (or reused) there. Rides to an alternate address keep the stop chosen."""
    if facts.home is None:
        raise UserError(f"{facts.name}'s home has no position on file, so no stop can be made at the door; the "
                        "front office records the address first.")
    legs = []
    for leg in plan.legs:
        run = runs.get(leg.run_id)
        if run is None or leg.alternate_address.strip():
            legs.append(leg)
            continue
        _check_leg(replace(leg, stop_id=next(iter(run.stops), 0)), run, facts.school_id, school)
        stop_id = routes.home_stop(conn, run.run_id, facts.home, facts.name.split(",")[0], facts.address)
        run.stops.setdefault(stop_id, "home")
        legs.append(replace(leg, stop_id=stop_id))
    return replace(plan, legs=tuple(legs))


@dataclass(frozen=True)
class PlanOnFile:
    """The plan in force on a day, as the rider form shows it."""
    effective_date: date
    legs: tuple[Leg, ...]
    release_to_adult: bool
    wheelchair: bool
    equipment: tuple[str, ...]


def plan_of(conn: Connection, student_usi: int, day: date) -> PlanOnFile | None:
    row = conn.execute(text(
        "SELECT assignment_id, effective_date, release_to_adult, wheelchair, equipment_needed "
        "FROM transportation.student_transportation WHERE student_usi = :u AND is_active AND effective_date <= :d "
        "AND (end_date IS NULL OR end_date >= :d) ORDER BY effective_date DESC LIMIT 1"),
        {"u": student_usi, "d": day}).first()
    if row is None:
        return None
    legs = tuple(Leg(*r) for r in conn.execute(text(
        "SELECT day_of_week, direction, run_id, stop_id, coalesce(alternate_address, '') FROM transportation.rider_legs "
        "WHERE assignment_id = :a ORDER BY day_of_week, direction DESC"), {"a": row[0]}))
    return PlanOnFile(row[1], legs, row[2], row[3], tuple(row[4]))


def end_plan(conn: Connection, student_usi: int, last_day: date) -> int:
    """The student stops riding after last_day. Returns how many plans changed."""
    n = conn.execute(text("DELETE FROM transportation.student_transportation WHERE student_usi = :u "
                          "AND effective_date > :d"), {"u": student_usi, "d": last_day}).rowcount
    n += conn.execute(text("UPDATE transportation.student_transportation SET end_date = :d WHERE student_usi = :u "
                           "AND (end_date IS NULL OR end_date > :d)"), {"u": student_usi, "d": last_day}).rowcount
    return n


# -- temporary changes ----------------------------------------------------------------------------
def add_temporary_change(conn: Connection, student_usi: int, start: date | None, end: date | None, direction: str,
                         run_id: int | None, stop_id: int | None, parent_note: str, alternate_address: str = "",
                         *, confirm_overload: bool = False) -> int:
    """A parent's note for a date range: another run and stop (or not riding: run_id None)."""
    if start is None or end is None:
        raise UserError("The change needs a first and a last day; enter both dates.")
    if end < start:
        raise UserError(f"The last day {end:%m/%d/%Y} is before the first day {start:%m/%d/%Y}; swap or correct them.")
    if (end - start).days > 366:
        raise UserError("A temporary change lasts at most a year; change the plan itself instead.")
    if not parent_note.strip():
        raise UserError("The parent's note is empty; write what the parent asked for, e.g. \"to grandma's, Tue-Thu\".")
    if direction not in ("to_school", "from_school", "both"):
        raise UserError(f"Direction \"{direction}\" is not known; use to school, from school or both.")
    facts = student_facts(conn, student_usi, start)
    if facts is None or facts.school_id is None:
        raise UserError("That student is not enrolled on the first day of the change; check the dates.")
    if run_id is not None:
        if direction == "both":
            raise UserError("A run goes one way; make one change to school and one from school.")
        runs = _runs(conn, [run_id], lock=True)
        school = _school_name(conn, facts.school_id)
        _check_leg(Leg(start.isoweekday(), direction, run_id, stop_id or 0), runs.get(run_id), facts.school_id,
                   school)
        days = sorted({(start + timedelta(days=i)).isoweekday() for i in range(min((end - start).days + 1, 7))})
        adding = {(run_id, d): 1 for d in days if d <= 5}
        wheelchair, equipment = rider_needs(conn, student_usi, start)
        warnings = check_fit(conn, start, runs, adding, facts.grade, wheelchair, equipment, None,
                             _temporary_riders(conn, run_id, start, end))
        if warnings and not confirm_overload:
            raise OverloadWarning(warnings)
    elif stop_id is not None:
        raise UserError("Pick the run as well as the stop, or neither if the student does not ride.")
    return conn.execute(text(
        "INSERT INTO transportation.temporary_changes (student_usi, start_date, end_date, direction, run_id, stop_id, "
        "alternate_address, parent_note) VALUES (:u, :s, :e, :dir, :r, :st, nullif(:alt, ''), :note) "
        "RETURNING change_id"),
        {"u": student_usi, "s": start, "e": end, "dir": direction, "r": run_id, "st": stop_id,
         "alt": alternate_address.strip(), "note": parent_note.strip()}).scalar()


def rider_needs(conn: Connection, student_usi: int, day: date) -> tuple[bool, tuple[str, ...]]:
    """(wheelchair, equipment) the rider needs that day: their plan's own and their IEP's in force."""
    needs = needs_in_force(conn, [student_usi], day).get(student_usi, NO_NEEDS)
    return needs.wheelchair, needs.equipment


def _temporary_riders(conn: Connection, run_id: int, start: date, end: date) -> int:
    return conn.execute(text("SELECT count(DISTINCT student_usi) FROM transportation.temporary_changes "
                             "WHERE run_id = :r AND start_date <= :e AND end_date >= :s"),
                        {"r": run_id, "s": start, "e": end}).scalar()


# -- the day's ride ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ride:
    direction: str
    run_id: int | None
    run_name: str | None  # None: not riding that day
    bus_number: str | None
    stop_name: str | None
    planned_time: object | None
    alternate_address: str | None
    temporary_note: str | None


@dataclass(frozen=True)
class WhichBus:
    student_usi: int
    student_id: str
    name: str
    grade: str | None
    school: str | None
    release_to_adult: bool
    rides: tuple[Ride, ...]


_DAY_RIDES = """
WITH reg AS (
    SELECT l.direction, l.run_id, l.stop_id, l.alternate_address, NULL::text AS note, st.release_to_adult
      FROM transportation.rider_legs l
      JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
     WHERE l.student_usi = :u AND l.day_of_week = :dow AND st.is_active AND st.effective_date <= :day
       AND (st.end_date IS NULL OR st.end_date >= :day)
), tc AS (
    SELECT DISTINCT ON (d.dir) d.dir AS direction, t.run_id, t.stop_id, t.alternate_address, t.parent_note AS note
      FROM transportation.temporary_changes t
      CROSS JOIN LATERAL unnest(CASE t.direction WHEN 'both' THEN ARRAY['to_school', 'from_school']
                                ELSE ARRAY[t.direction::text] END) AS d(dir)
     WHERE t.student_usi = :u AND :day BETWEEN t.start_date AND t.end_date
     ORDER BY d.dir, t.created_at DESC, t.change_id DESC
)
SELECT x.direction, x.run_id, r.route_number || ' ' || u.run_kind, b.bus_number, s.stop_name, rs.planned_time,
       x.alternate_address, x.note
  FROM (SELECT direction, run_id, stop_id, alternate_address, note FROM tc
        UNION ALL
        SELECT direction, run_id, stop_id, alternate_address, note FROM reg
         WHERE NOT EXISTS (SELECT 1 FROM tc WHERE tc.direction = reg.direction)) x
  LEFT JOIN transportation.runs u ON u.run_id = x.run_id
  LEFT JOIN transportation.bus_routes r ON r.route_id = u.route_id
  LEFT JOIN transportation.buses b ON b.bus_id = u.bus_id
  LEFT JOIN transportation.bus_stops s ON s.stop_id = x.stop_id
  LEFT JOIN transportation.run_stops rs ON rs.run_id = x.run_id AND rs.stop_id = x.stop_id
 ORDER BY x.direction DESC
"""


def rides_on(conn: Connection, student_usi: int, day: date) -> tuple[Ride, ...]:
    """The student's rides that day: the plan, with that day's temporary changes applied."""
    return tuple(Ride(*r) for r in conn.execute(text(_DAY_RIDES), {"u": student_usi, "day": day,
                                                                  "dow": day.isoweekday()}))


def which_bus(conn: Connection, query: str, day: date) -> list[WhichBus]:
    """A parent calls: find the student by name or id and say which bus, stop and time, today."""
    from app.services.student_search import search_students

    out = []
    for hit in search_students(conn, query, limit=10):
        rel = conn.execute(text("SELECT bool_or(release_to_adult) FROM transportation.student_transportation "
                                "WHERE student_usi = :u AND is_active AND effective_date <= :d "
                                "AND (end_date IS NULL OR end_date >= :d)"), {"u": hit.student_usi, "d": day}).scalar()
        out.append(WhichBus(hit.student_usi, hit.student_unique_id, hit.display_name, hit.grade_level,
                            hit.school_name, bool(rel) or rules.release_to_adult(hit.grade_level, False),
                            rides_on(conn, hit.student_usi, day)))
    return out


# eligibility and suggestions live in suggest.py; the desk and the benches reach them from here too
from app.services.transport.suggest import Suggestion, needing_assignment, suggestions  # noqa: E402,F401

__all__ = ["Suggestion", "needing_assignment", "suggestions"]
