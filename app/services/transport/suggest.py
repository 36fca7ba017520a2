"""Eligibility and the suggested stops, for one student or the whole district, and the students who
need an assignment.

A suggestion is the nearest stop within the walking limit on a run that serves the student's
school and can take them: its bus has the equipment they need (lift, car seat, harness; a
wheelchair position) and room on its busiest weekday for their share of a seat. A rider whose IEP
in force asks for door-to-door service gets the stop at their home if a run has one, otherwise the
nearest run that can take them: assigning them there adds a stop at the home to the run. Kindergartners and riders flagged on a
plan are marked release-to-a-designated-adult here too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import Connection, text

from app.domain import transport_rules as rules
from app.services.transport.common import (
    ENROLLMENT_ON,
    HOME,
    NO_NEEDS,
    load_rules,
    needs_in_force,
    point,
    school_points,
)
from app.services.transport.routes import run_loads


@dataclass(frozen=True)
class Suggestion:
    student_usi: int
    student_id: str
    name: str
    school_id: int | None
    school: str | None
    grade: str | None
    address: str | None
    eligible: bool
    reason: str
    miles: float | None
    am_run_id: int | None
    am_stop_id: int | None
    am_stop: str | None  # "Oak St & Main St (Route 4 AM), 0.2 mi"; door to door: what to add
    pm_run_id: int | None
    pm_stop_id: int | None
    pm_stop: str | None
    release_to_adult: bool = False
    wheelchair: bool = False
    equipment: tuple[str, ...] = ()
    door_to_door: bool = False
    needs: str = ""  # the IEP's transport needs in force, "" when none


def run_rooms(conn: Connection, day: date, bands) -> dict[int, rules.RunRoom]:
    """Each active run's bus equipment and the room left on its busiest weekday (runs without a bus
    take nobody)."""
    loads = run_loads(conn, day)
    out = {}
    for run_id, seats, positions, equipment in conn.execute(text(
            "SELECT u.run_id, b.seats, b.wheelchair_positions, b.equipment FROM transportation.runs u "
            "JOIN transportation.buses b ON b.bus_id = u.bus_id WHERE u.is_active")):
        used, chairs = Fraction(0), 0
        for grades, n in loads.get(run_id, {}).values():
            cap = rules.capacity(seats, positions, grades, n, bands)
            used, chairs = max(used, cap.seats_used), max(chairs, n)
        out[run_id] = rules.RunRoom(frozenset(equipment), seats - used, positions - chairs)
    return out


def _stops_by_school(conn: Connection) -> dict[tuple[int, str], list[rules.StopChoice]]:
    """(school, direction) -> the stops of the active runs serving that school."""
    by_key: dict[tuple[int, str], list[rules.StopChoice]] = {}
    for school_id, direction, run_id, stop_id, name, lat, lon in conn.execute(text(
            "SELECT rsc.school_id, u.direction, u.run_id, s.stop_id, "
            "s.stop_name || ' (' || r.route_number || ' ' || u.run_kind || ')', s.latitude, s.longitude "
            "FROM transportation.runs u JOIN transportation.bus_routes r ON r.route_id = u.route_id "
            "JOIN transportation.run_schools rsc ON rsc.run_id = u.run_id "
            "JOIN transportation.run_stops rs ON rs.run_id = u.run_id "
            "JOIN transportation.bus_stops s ON s.stop_id = rs.stop_id "
            "WHERE u.is_active AND s.latitude IS NOT NULL")):
        by_key.setdefault((school_id, direction), []).append(
            rules.StopChoice(stop_id, name, rules.Point(float(lat), float(lon)), run_id))
    return by_key


def _run_names(conn: Connection) -> dict[int, str]:
    return dict(conn.execute(text("SELECT u.run_id, r.route_number || ' ' || u.run_kind FROM transportation.runs u "
                                  "JOIN transportation.bus_routes r ON r.route_id = u.route_id")).all())


def suggestions(conn: Connection, day: date, student_usis: list[int] | None = None,
                unassigned_only: bool = False) -> list[Suggestion]:
    """Eligibility and the nearest stop (AM and PM) for the students enrolled on `day` (or the
    ones named). unassigned_only: only students with no plan in force that day."""
    r = load_rules(conn)
    schools = school_points(conn)
    stops = _stops_by_school(conn)
    indexes = {k: rules.StopIndex(v, r.settings) for k, v in stops.items()}
    rooms = run_rooms(conn, day, r.bands)
    names: dict[int, str] | None = None
    where = ["true"]
    if student_usis is not None:
        where.append("e.studentusi = ANY(:usis)")
    if unassigned_only:
        where.append("NOT EXISTS (SELECT 1 FROM transportation.student_transportation st WHERE st.student_usi = "
                     "e.studentusi AND st.is_active AND st.effective_date <= :day "
                     "AND (st.end_date IS NULL OR st.end_date >= :day) AND coalesce(st.school_id, e.schoolid) = e.schoolid)")
    needs_of = needs_in_force(conn, student_usis, day)  # the plan's own and the IEP's in force
    # a release flag on any plan stays
    flagged = set(conn.execute(text("SELECT DISTINCT student_usi FROM transportation.student_transportation "
                                    "WHERE release_to_adult AND (CAST(:usis AS int[]) IS NULL OR student_usi = ANY(:usis))"),
                               {"usis": student_usis}).scalars())
    out = []
    taken: dict[tuple, bool] = {}  # (run, riders per seat, wheelchair, equipment) -> run_takes
    for usi, uid, name, school_id, grade, lat, lon, address in conn.execute(text(
            f"SELECT e.studentusi, s.studentuniqueid, s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), "
            f"e.schoolid, e.grade, h.latitude, h.longitude, h.address FROM ({ENROLLMENT_ON}) e "
            f"JOIN edfi.student s ON s.studentusi = e.studentusi LEFT JOIN ({HOME}) h ON h.studentusi = e.studentusi "
            f"WHERE {' AND '.join(where)} ORDER BY s.lastsurname, s.firstname"),
            {"day": day, "usis": student_usis}):
        school_name, school_at = schools.get(school_id, (None, None))
        home = point(lat, lon)
        needs = needs_of.get(usi, NO_NEEDS)
        el = rules.eligibility(home, school_at, grade, school_id, r.settings, r.bands, r.hazards, needs.iep)
        wheelchair, equipment, door = needs.wheelchair, needs.equipment, needs.door_to_door

        share = rules.band_of(grade, r.bands).riders_per_seat

        def takes(run_id: int, g=grade, w=wheelchair, eq=equipment, k=share) -> bool:
            key = (run_id, k, w, eq)  # the answer depends on the band's share, not on the student
            if key not in taken:
                taken[key] = rules.run_takes(rooms.get(run_id), g, w, eq, r.bands)
            return taken[key]
        picks = []
        for direction in ("to_school", "from_school"):
            key = (school_id, direction)
            if home is None or key not in stops:
                picks.append((None, None, None))
            elif door:
                found = rules.nearest_stop(home, stops[key], r.settings, takes, limit=math.inf)
                if found is None:
                    picks.append((None, None, None))
                elif found[1] <= rules.DOOR_TO_DOOR_MILES:
                    picks.append((found[0].run_id, found[0].stop_id, f"{found[0].name}, door to door"))
                else:
                    names = names if names is not None else _run_names(conn)
                    picks.append((found[0].run_id, None, f"door to door: Assign adds a stop at the home to "
                                                         f"{names[found[0].run_id]}"))
            else:
                found = indexes[key].nearest(home, takes)
                picks.append((found[0].run_id, found[0].stop_id, f"{found[0].name}, {found[1]:.1f} mi") if found
                             else (None, None, None))
        out.append(Suggestion(usi, uid, name, school_id, school_name, grade, address, el.eligible, el.reason,
                              el.miles, *picks[0], *picks[1], rules.release_to_adult(grade, usi in flagged),
                              wheelchair, equipment, door, needs.describe() if needs.iep else ""))
    return out


def needing_assignment(conn: Connection, day: date) -> list[Suggestion]:
    """Enrolled students without a plan in force who are eligible (or whose home is not located):
    a new enrollment appears here at once, in the transaction that enrolls them."""
    return [s for s in suggestions(conn, day, unassigned_only=True)
            if s.eligible or s.miles is None]
