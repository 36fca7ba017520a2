"""The lists a coordinator prints or reads: who is on a run on a day (the plan with that day's
temporary changes), the driver packet, rider counts, stops with no riders, riders who have not
ridden for N days.

Medical facts come only from the allergy flags (health.student_alert_flags) and the emergency
action plans (health.emergency_action_plans), the two things the database lets transportation
staff read; never health notes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from pathlib import Path

from sqlalchemy import Connection, text

from app.domain.transport_rules import release_to_adult
from app.services.transport.common import ENROLLMENT_ON, enrollment_of
from app.services.transport.routes import RunDetail, run_detail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionPlan:
    student: str
    plan_type: str
    condition: str
    signs: str
    actions: str
    medications: str | None


@dataclass(frozen=True)
class RosterRider:
    student_usi: int
    student_id: str
    name: str  # "Last, First"
    grade: str | None
    school: str | None
    stop_id: int
    stop_name: str | None
    stop_sequence: int | None
    planned_time: time | None
    release_to_adult: bool
    alerts: str  # "Severe allergy: peanuts; seizure plan", "" when none
    wheelchair: bool
    equipment: tuple[str, ...]
    alternate_address: str | None
    change_note: str | None  # on this run today by a temporary change (the parent's note)
    photo: bytes | None = None  # the student's photo when their record points to one on file


@dataclass(frozen=True)
class NotRiding:
    name: str
    stop_name: str | None
    note: str


@dataclass(frozen=True)
class RunRoster:
    run: RunDetail
    day: date
    riders: tuple[RosterRider, ...]  # in stop order, then by name
    not_riding: tuple[NotRiding, ...]  # on the plan, away today by a parent's note
    action_plans: tuple[ActionPlan, ...]

    @property
    def alphabetical(self) -> tuple[RosterRider, ...]:
        return tuple(sorted(self.riders, key=lambda r: r.name.lower()))

    def at_stop(self, stop_id: int) -> tuple[RosterRider, ...]:
        return tuple(r for r in self.riders if r.stop_id == stop_id)


_ROSTER = f"""
WITH tc AS (
    SELECT DISTINCT ON (t.student_usi) t.student_usi, t.run_id, t.stop_id, t.alternate_address, t.parent_note
      FROM transportation.temporary_changes t
     WHERE :day BETWEEN t.start_date AND t.end_date AND t.direction IN (:dir, 'both')
     ORDER BY t.student_usi, t.created_at DESC, t.change_id DESC
), reg AS (
    SELECT l.student_usi, l.stop_id, l.alternate_address
      FROM transportation.rider_legs l
      JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
     WHERE l.run_id = :r AND l.day_of_week = :dow AND st.is_active AND st.effective_date <= :day
       AND (st.end_date IS NULL OR st.end_date >= :day)
), riders AS (
    SELECT reg.student_usi, reg.stop_id, reg.alternate_address, NULL::text AS note FROM reg
     WHERE NOT EXISTS (SELECT 1 FROM tc WHERE tc.student_usi = reg.student_usi)
    UNION ALL
    SELECT tc.student_usi, tc.stop_id, tc.alternate_address, tc.parent_note FROM tc WHERE tc.run_id = :r
)
SELECT x.student_usi, s.studentuniqueid, s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname),
       e.grade, eo.nameofinstitution, x.stop_id, bs.stop_name, rs.stop_sequence, rs.planned_time,
       coalesce(p.release_to_adult, false) OR EXISTS (SELECT 1 FROM transportation.student_transportation f
                                                      WHERE f.student_usi = x.student_usi AND f.release_to_adult),
       coalesce(n.wheelchair, false), coalesce(n.equipment, '{{}}'),
       x.alternate_address, x.note,
       concat_ws('; ', CASE WHEN f.severe_allergy THEN 'Severe allergy: ' || f.allergens
                            WHEN f.allergens IS NOT NULL THEN 'Allergy: ' || f.allergens END,
                 (SELECT string_agg(ap.plan_type || ' plan', ', ' ORDER BY ap.plan_type)
                    FROM health.emergency_action_plans ap WHERE ap.student_usi = x.student_usi AND ap.is_active))
  FROM riders x
  JOIN edfi.student s ON s.studentusi = x.student_usi
  {enrollment_of("x.student_usi")}
  LEFT JOIN edfi.educationorganization eo ON eo.educationorganizationid = e.schoolid
  LEFT JOIN transportation.needs_in_force((SELECT array_agg(student_usi) FROM riders), :day) n
    ON n.student_usi = x.student_usi
  LEFT JOIN LATERAL (SELECT st.release_to_adult
                       FROM transportation.student_transportation st
                      WHERE st.student_usi = x.student_usi AND st.is_active AND st.effective_date <= :day
                        AND (st.end_date IS NULL OR st.end_date >= :day)
                      ORDER BY st.effective_date DESC LIMIT 1) p ON true
  LEFT JOIN transportation.bus_stops bs ON bs.stop_id = x.stop_id
  LEFT JOIN transportation.run_stops rs ON rs.run_id = :r AND rs.stop_id = x.stop_id
  LEFT JOIN health.student_alert_flags f ON f.student_usi = x.student_usi
 ORDER BY rs.stop_sequence NULLS LAST, s.lastsurname, s.firstname
"""

_AWAY = """
SELECT s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), bs.stop_name, t.parent_note
  FROM transportation.rider_legs l
  JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
  JOIN edfi.student s ON s.studentusi = l.student_usi
  JOIN transportation.bus_stops bs ON bs.stop_id = l.stop_id
  JOIN LATERAL (SELECT tt.run_id, tt.parent_note FROM transportation.temporary_changes tt
                 WHERE tt.student_usi = l.student_usi AND :day BETWEEN tt.start_date AND tt.end_date
                   AND tt.direction IN (:dir, 'both') ORDER BY tt.created_at DESC, tt.change_id DESC LIMIT 1) t ON true
 WHERE l.run_id = :r AND l.day_of_week = :dow AND st.is_active AND st.effective_date <= :day
   AND (st.end_date IS NULL OR st.end_date >= :day) AND t.run_id IS DISTINCT FROM :r
 ORDER BY s.lastsurname, s.firstname
"""


def run_roster(conn: Connection, run_id: int, day: date) -> RunRoster:
    """Who is on the run that day: the plans in force for that weekday, with that day's temporary
    changes (riders added by a parent's note marked, riders away listed apart)."""
    detail = run_detail(conn, run_id, day)
    p = {"r": run_id, "day": day, "dow": day.isoweekday(), "dir": detail.summary.direction}
    riders = tuple(RosterRider(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], release_to_adult(r[3], r[9]),
                               r[14] or "", r[10], tuple(r[11]), r[12], r[13]) for r in conn.execute(text(_ROSTER), p))
    photos = rider_photos(conn, [r.student_usi for r in riders])
    riders = tuple(replace(r, photo=photos.get(r.student_usi)) for r in riders)
    away = tuple(NotRiding(*r) for r in conn.execute(text(_AWAY), p))
    plans = tuple(ActionPlan(*r) for r in conn.execute(text(
        "SELECT s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), ap.plan_type, ap.condition, "
        "ap.signs, ap.actions, ap.medications FROM health.emergency_action_plans ap "
        "JOIN edfi.student s ON s.studentusi = ap.student_usi WHERE ap.is_active AND ap.student_usi = ANY(:u) "
        "ORDER BY s.lastsurname, s.firstname, ap.plan_type"), {"u": [r.student_usi for r in riders]}))
    return RunRoster(detail, day, riders, away, plans)


def rider_photos(conn: Connection, student_usis: list[int]) -> dict[int, bytes]:
    """The photos the students' records point to (a file path or file:// address on the district's
    file share), read through transportation.rider_photos (migration 0021). A photo that cannot be
    read prints as the initials; web addresses are not fetched while printing."""
    out: dict[int, bytes] = {}
    # the front office reads rosters too, without photos (only the bus desk may call the function)
    if not student_usis or not conn.execute(text(
            "SELECT has_function_privilege('transportation.rider_photos(integer[])', 'EXECUTE')")).scalar():
        return out
    for usi, url in conn.execute(text("SELECT student_usi, photo_url FROM transportation.rider_photos(:u)"),
                                 {"u": student_usis}):
        path = Path(url.removeprefix("file://")) if url and not url.startswith(("http:", "https:")) else None
        try:
            if path is not None and path.is_file() and path.stat().st_size < 5_000_000:
                out[usi] = path.read_bytes()
        except OSError:
            log.warning("rider photo %s could not be read", path)
    return out


# -- counts and exceptions ------------------------------------------------------------------------
@dataclass(frozen=True)
class RiderCount:
    run: str
    school: str
    grade: str
    riders: int


def rider_counts(conn: Connection, day: date) -> list[RiderCount]:
    """Riders by run, school and grade on that day's weekday (plans in force)."""
    return [RiderCount(*r) for r in conn.execute(text(f"""
        SELECT r.route_number || ' ' || u.run_kind, coalesce(eo.nameofinstitution, '(not enrolled)'),
               coalesce(e.grade, '(none)'), count(DISTINCT l.student_usi)
          FROM transportation.rider_legs l
          JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
          JOIN transportation.runs u ON u.run_id = l.run_id
          JOIN transportation.bus_routes r ON r.route_id = u.route_id
          LEFT JOIN ({ENROLLMENT_ON}) e ON e.studentusi = l.student_usi
          LEFT JOIN edfi.educationorganization eo ON eo.educationorganizationid = e.schoolid
         WHERE l.day_of_week = :dow AND st.is_active AND st.effective_date <= :day
           AND (st.end_date IS NULL OR st.end_date >= :day)
         GROUP BY 1, 2, 3, r.route_number, u.run_kind, e.grade
         ORDER BY r.route_number, u.run_kind, 2, 3"""), {"day": day, "dow": day.isoweekday()})]


@dataclass(frozen=True)
class EmptyStop:
    run: str
    sequence: int
    stop: str
    planned_time: time


def stops_without_riders(conn: Connection, day: date) -> list[EmptyStop]:
    """Stops of active runs where no plan in force boards or leaves on any day."""
    return [EmptyStop(*r) for r in conn.execute(text("""
        SELECT r.route_number || ' ' || u.run_kind, rs.stop_sequence, s.stop_name, rs.planned_time
          FROM transportation.run_stops rs
          JOIN transportation.runs u ON u.run_id = rs.run_id AND u.is_active
          JOIN transportation.bus_routes r ON r.route_id = u.route_id
          JOIN transportation.bus_stops s ON s.stop_id = rs.stop_id
         WHERE NOT EXISTS (SELECT 1 FROM transportation.rider_legs l
                             JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
                            WHERE l.run_id = rs.run_id AND l.stop_id = rs.stop_id AND st.is_active
                              AND st.effective_date <= :day AND (st.end_date IS NULL OR st.end_date >= :day))
         ORDER BY r.route_number, u.run_kind, rs.stop_sequence"""), {"day": day})]


@dataclass(frozen=True)
class IdleRider:
    name: str
    student_id: str
    run: str
    last_ride: date | None
    release_to_adult: bool = False


def riders_not_riding(conn: Connection, days: int, as_of: date) -> list[IdleRider]:
    """Riders with a plan in force on a run that records ridership, who have not boarded it in the
    last `days` days (None: never recorded)."""
    since = as_of - timedelta(days=days)
    return [IdleRider(*r[:4], release_to_adult(r[5], r[4])) for r in conn.execute(text(f"""
        SELECT DISTINCT ON (s.lastsurname, s.firstname, l.student_usi, l.run_id)
               s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), s.studentuniqueid,
               r.route_number || ' ' || u.run_kind,
               (SELECT max(rd.ride_date) FROM transportation.ridership rd
                 WHERE rd.student_usi = l.student_usi AND rd.run_id = l.run_id), st.release_to_adult, e.grade
          FROM transportation.rider_legs l
          JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
          JOIN transportation.runs u ON u.run_id = l.run_id
          JOIN transportation.bus_routes r ON r.route_id = u.route_id
          JOIN edfi.student s ON s.studentusi = l.student_usi
          {enrollment_of("l.student_usi")}
         WHERE st.is_active AND st.effective_date <= :since AND (st.end_date IS NULL OR st.end_date >= :asof)
           AND EXISTS (SELECT 1 FROM transportation.ridership x WHERE x.run_id = l.run_id AND x.ride_date > :since)
           AND NOT EXISTS (SELECT 1 FROM transportation.ridership x WHERE x.run_id = l.run_id
                             AND x.student_usi = l.student_usi AND x.ride_date > :since AND x.ride_date <= :asof)
         ORDER BY s.lastsurname, s.firstname, l.student_usi, l.run_id"""),
        {"since": since, "asof": as_of, "day": as_of})]


def record_ride(conn: Connection, student_usi: int, run_id: int, day: date) -> None:
    """A rider boarded (the bus's card reader or the driver's tick); a second scan changes nothing."""
    conn.execute(text("INSERT INTO transportation.ridership (student_usi, run_id, ride_date) VALUES (:u, :r, :d) "
                      "ON CONFLICT DO NOTHING"), {"u": student_usi, "r": run_id, "d": day})
