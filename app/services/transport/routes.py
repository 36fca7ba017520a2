"""The coordinator's routes, runs and stops: buses, the schools a run serves with their bell times,
stops in order with planned times (inserting a stop renumbers the rest; times can be estimated
from distance, speed and boarding time), and each run's load against its bus.

One function per user action, in the caller's transaction; bad input is refused with one
sentence before anything is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import Connection, text

from app.domain import transport_rules as rules
from app.errors import UserError
from app.services.transport.common import load_rules, point


@dataclass(frozen=True)
class Bus:
    bus_id: int
    number: str
    seats: int
    wheelchair_positions: int
    equipment: tuple[str, ...]


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    route_number: str
    run_kind: str
    direction: str
    bus_number: str | None
    driver: str | None
    aide: str | None
    schools: str
    stops: int
    riders: int  # on the busiest weekday
    busiest_day: str
    load: str  # "41 riders use 20.5 of 20 seats (102%)"
    percent: int
    overloaded: bool
    nearly_full: bool

    @property
    def name(self) -> str:
        return f"{self.route_number} {self.run_kind}"


@dataclass(frozen=True)
class RunStopRow:
    run_stop_id: int
    sequence: int
    stop_id: int
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None
    planned_time: time
    turn_notes: str | None
    riders: int  # on the day asked for


@dataclass(frozen=True)
class RunSchoolRow:
    school_id: int
    name: str
    bell_time: time
    school_time: time
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class RunDetail:
    summary: RunSummary
    stops: tuple[RunStopRow, ...]
    schools: tuple[RunSchoolRow, ...]
    bus: Bus | None


def list_buses(conn: Connection) -> list[Bus]:
    return [Bus(r[0], r[1], r[2], r[3], tuple(r[4])) for r in conn.execute(text(
        "SELECT bus_id, bus_number, seats, wheelchair_positions, equipment FROM transportation.buses "
        "WHERE is_active ORDER BY bus_number"))]


@dataclass(frozen=True)
class LoadRow:
    """Riders of a run on a weekday with one grade and one set of needs in force (run_loads_on, 0040)."""
    run_id: int
    day_of_week: int
    grade: str | None
    wheelchair: bool
    equipment: tuple[str, ...]
    riders: int


def load_rows(conn: Connection, day: date, run_ids: list[int] | None = None,
              except_student: int | None = None) -> list[LoadRow]:
    """Every rider of the runs (None: all runs) on the plans in force on `day`, counted by weekday,
    grade and the needs in force that day (the plan's own and the IEP's in force), whatever school
    the caller works at. except_student: left out (the rider whose new plan is being checked)."""
    return [LoadRow(r[0], r[1], r[2], bool(r[3]), tuple(r[4] or ()), r[5]) for r in conn.execute(text(
        "SELECT run_id, day_of_week, grade, wheelchair, equipment, riders "
        "FROM transportation.run_loads_on(:runs, :day, :x)"), {"runs": run_ids, "day": day, "x": except_student})]


def run_loads(conn: Connection, day: date, run_id: int | list[int] | None = None,
              except_student: int | None = None) -> dict[int, dict[int, tuple[list, int]]]:
    """run -> weekday -> (grades of seated riders, wheelchair riders)."""
    ids = [run_id] if isinstance(run_id, int) else run_id
    out: dict[int, dict[int, tuple[list, int]]] = defaultdict(dict)
    for row in load_rows(conn, day, ids, except_student):
        grades, chairs = out[row.run_id].get(row.day_of_week, ([], 0))
        if row.wheelchair:
            chairs += row.riders
        else:
            grades = grades + [row.grade] * row.riders
        out[row.run_id][row.day_of_week] = (grades, chairs)
    return out


def _busiest(loads: dict[int, tuple[list, int]], seats: int | None, positions: int,
             bands) -> tuple[int, rules.Capacity | None]:
    best_day, best = 1, None
    for dow, (grades, chairs) in sorted(loads.items()):
        cap = rules.capacity(seats or 0, positions, grades, chairs, bands)
        if best is None or (cap.seats_used, cap.wheelchair_riders) > (best.seats_used, best.wheelchair_riders):
            best_day, best = dow, cap
    return best_day, best


_RUNS = """
    SELECT u.run_id, r.route_number, u.run_kind, u.direction, b.bus_number, coalesce(u.driver_name, r.driver_name),
           u.aide_name, b.seats, coalesce(b.wheelchair_positions, 0),
           coalesce((SELECT string_agg(eo.nameofinstitution, ', ' ORDER BY rs.school_time)
                       FROM transportation.run_schools rs
                       JOIN edfi.educationorganization eo ON eo.educationorganizationid = rs.school_id
                      WHERE rs.run_id = u.run_id), ''),
           (SELECT count(*) FROM transportation.run_stops s WHERE s.run_id = u.run_id)
      FROM transportation.runs u JOIN transportation.bus_routes r ON r.route_id = u.route_id
      LEFT JOIN transportation.buses b ON b.bus_id = u.bus_id
     WHERE u.is_active {extra}
     ORDER BY r.route_id, array_position(ARRAY['AM', 'Midday', 'PM', 'Activity'], u.run_kind::text)
"""


def list_runs(conn: Connection, day: date, run_id: int | None = None) -> list[RunSummary]:
    """Every active run with its bus, schools, stops and load on its busiest weekday."""
    bands = load_rules(conn).bands
    loads = run_loads(conn, day, run_id)
    out = []
    for row in conn.execute(text(_RUNS.format(extra="AND u.run_id = :r" if run_id is not None else "")),
                            {"r": run_id}):
        rid, route, kind, direction, bus, driver, aide, seats, positions, schools, stops = row
        dow, cap = _busiest(loads.get(rid, {}), seats, positions, bands)
        if cap is None:
            cap = rules.capacity(seats or 0, positions, [], 0, bands)
        out.append(RunSummary(rid, route, kind, direction, bus, driver, aide, schools, stops, cap.riders,
                              rules.day_name(dow), cap.describe() if seats else f"{cap.riders} riders, no bus",
                              cap.percent, bool(seats) and cap.overloaded, bool(cap.nearly_full)))
    return out


def run_detail(conn: Connection, run_id: int, day: date) -> RunDetail:
    found = list_runs(conn, day, run_id)
    if not found:
        raise UserError("That run is no longer on file; refresh the list of runs.")
    dow = day.isoweekday()
    stops = tuple(RunStopRow(r[0], r[1], r[2], r[3], r[4], _f(r[5]), _f(r[6]), r[7], r[8], r[9]) for r in conn.execute(
        text("""SELECT rs.run_stop_id, rs.stop_sequence, s.stop_id, s.stop_name, s.address, s.latitude, s.longitude,
                       rs.planned_time, rs.turn_notes,
                       (SELECT count(*) FROM transportation.rider_legs l
                          JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
                         WHERE l.run_id = rs.run_id AND l.stop_id = rs.stop_id AND l.day_of_week = :dow
                           AND st.is_active AND st.effective_date <= :day
                           AND (st.end_date IS NULL OR st.end_date >= :day))
                  FROM transportation.run_stops rs JOIN transportation.bus_stops s ON s.stop_id = rs.stop_id
                 WHERE rs.run_id = :r ORDER BY rs.stop_sequence"""), {"r": run_id, "dow": dow, "day": day}))
    schools = tuple(RunSchoolRow(r[0], r[1], r[2], r[3], _f(r[4]), _f(r[5])) for r in conn.execute(text(
        """SELECT rs.school_id, eo.nameofinstitution, rs.bell_time, rs.school_time,
                  (SELECT a.latitude FROM edfi.educationorganizationaddress a
                    WHERE a.educationorganizationid = rs.school_id AND a.latitude IS NOT NULL LIMIT 1),
                  (SELECT a.longitude FROM edfi.educationorganizationaddress a
                    WHERE a.educationorganizationid = rs.school_id AND a.longitude IS NOT NULL LIMIT 1)
             FROM transportation.run_schools rs
             JOIN edfi.educationorganization eo ON eo.educationorganizationid = rs.school_id
            WHERE rs.run_id = :r ORDER BY rs.school_time"""), {"r": run_id}))
    bus_row = conn.execute(text("SELECT b.bus_id, b.bus_number, b.seats, b.wheelchair_positions, b.equipment "
                                "FROM transportation.runs u JOIN transportation.buses b ON b.bus_id = u.bus_id "
                                "WHERE u.run_id = :r"), {"r": run_id}).first()
    bus = Bus(bus_row[0], bus_row[1], bus_row[2], bus_row[3], tuple(bus_row[4])) if bus_row else None
    return RunDetail(found[0], stops, schools, bus)


def _f(v) -> float | None:
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


# -- changes ----------------------------------------------------------------------------------------
def _lock_run(conn: Connection, run_id: int) -> tuple[str, str]:
    row = conn.execute(text("SELECT r.route_number || ' ' || u.run_kind, u.direction FROM transportation.runs u "
                            "JOIN transportation.bus_routes r ON r.route_id = u.route_id "
                            "WHERE u.run_id = :r FOR UPDATE OF u"), {"r": run_id}).first()
    if row is None:
        raise UserError("That run is no longer on file; refresh the list of runs.")
    return row[0], row[1]


def check_run_equipment(conn: Connection, run_id: int, name: str, bus_number: str,
                        equipment: tuple[str, ...], positions: int | None = None) -> None:
    """Refuses a bus without the lift/car seat/harness (or, given its positions, the wheelchair
    position) the run's riders need today (one sentence)."""
    needing: dict[str, int] = {}
    for dow_rows in _by_day(load_rows(conn, date.today(), [run_id])).values():
        counts: dict[str, int] = defaultdict(int)
        for row in dow_rows:
            for need in row.equipment + (("wheelchair position",) if row.wheelchair else ()):
                counts[need] += row.riders
        for need, n in counts.items():
            needing[need] = max(needing.get(need, 0), n)
    for need, riders in sorted(needing.items()):
        if need in equipment or (need == "wheelchair position" and (positions is None or positions > 0)):
            continue
        who = "1 rider" if riders == 1 else f"{riders} riders"
        verb = "needs" if riders == 1 else "need"
        raise UserError(f"{who} of {name} {verb} the {need}, which bus {bus_number} does not have; "
                        f"pick a bus with it or move the {'rider' if riders == 1 else 'riders'} first.")


def _by_day(rows: list[LoadRow]) -> dict[int, list[LoadRow]]:
    out: dict[int, list[LoadRow]] = defaultdict(list)
    for row in rows:
        out[row.day_of_week].append(row)
    return out


def save_run(conn: Connection, run_id: int, bus_id: int | None, driver: str, aide: str) -> None:
    """Bus, driver and aide of a run; a smaller bus that would overload it, or one without the equipment its
    riders need, is refused."""
    name, _ = _lock_run(conn, run_id)
    if bus_id is not None:
        bus = conn.execute(text("SELECT bus_number, seats, wheelchair_positions, equipment FROM transportation.buses "
                                "WHERE bus_id = :b AND is_active"), {"b": bus_id}).first()
        if bus is None:
            raise UserError("That bus is not on file or out of service; pick another bus.")
        check_run_equipment(conn, run_id, name, bus[0], tuple(bus[3]), bus[2])
        bands = load_rules(conn).bands
        for dow, (grades, chairs) in run_loads(conn, date.today(), run_id).get(run_id, {}).items():
            warning = rules.overload_warning(f"{name} with bus {bus[0]}", rules.day_name(dow),
                                             rules.capacity(bus[1], bus[2], grades, chairs, bands))
            if warning:
                raise UserError(warning)
    conn.execute(text("UPDATE transportation.runs SET bus_id = :b, driver_name = nullif(:d, ''), "
                      "aide_name = nullif(:a, '') WHERE run_id = :r"),
                 {"b": bus_id, "d": driver.strip(), "a": aide.strip(), "r": run_id})


@dataclass(frozen=True)
class NewStop:
    name: str
    address: str
    latitude: float | None
    longitude: float | None


def create_stop(conn: Connection, new: NewStop) -> int:
    if not new.name.strip():
        raise UserError("Stop name is empty; name the corner or place, e.g. \"Oak St & Main St\".")
    p = rules.check_position(new.latitude, new.longitude, f"Stop {new.name.strip()}")
    return conn.execute(text("INSERT INTO transportation.bus_stops (stop_name, address, latitude, longitude) "
                             "VALUES (:n, nullif(:a, ''), :la, :lo) RETURNING stop_id"),
                        {"n": new.name.strip(), "a": new.address.strip(), "la": p.latitude,
                         "lo": p.longitude}).scalar()


def _stops(conn: Connection, run_id: int) -> list[tuple]:
    return conn.execute(text(
        "SELECT rs.stop_id, s.stop_name, rs.planned_time, s.latitude, s.longitude, rs.stop_sequence "
        "FROM transportation.run_stops rs JOIN transportation.bus_stops s ON s.stop_id = rs.stop_id "
        "WHERE rs.run_id = :r ORDER BY rs.stop_sequence"), {"r": run_id}).all()


def _school_time(conn: Connection, run_id: int, to_school: bool) -> tuple[time | None, str]:
    row = conn.execute(text(
        f"SELECT rs.school_time, eo.nameofinstitution FROM transportation.run_schools rs "
        f"JOIN edfi.educationorganization eo ON eo.educationorganizationid = rs.school_id WHERE rs.run_id = :r "
        f"ORDER BY rs.school_time {'ASC' if to_school else 'DESC'} LIMIT 1"), {"r": run_id}).first()
    return (row[0], row[1]) if row else (None, "school")


def add_stop(conn: Connection, run_id: int, stop_id: int, position: int | None, planned_time: time | None,
             turn_notes: str = "") -> int:
    """Put a stop on the run at `position` (1-based; None: last); the stops from there move down one.
    Without a planned time it is estimated from the stop before (distance, speed, boarding).
    Returns the stop's position."""
    name, direction = _lock_run(conn, run_id)
    existing = _stops(conn, run_id)
    if any(s[0] == stop_id for s in existing):
        raise UserError(f"That stop is already stop {next(s[5] for s in existing if s[0] == stop_id)} of {name}; "
                        "move it instead of adding it twice.")
    stop = conn.execute(text("SELECT stop_name, latitude, longitude FROM transportation.bus_stops "
                             "WHERE stop_id = :s"), {"s": stop_id}).first()
    if stop is None:
        raise UserError("That stop is not on file; create it first.")
    pos = rules.insert_position(len(existing), position)
    if planned_time is None:
        planned_time = _estimated_time(conn, existing, pos, stop)
    names = [s[1] for s in existing]
    times = [s[2] for s in existing]
    names.insert(pos - 1, stop[0])
    times.insert(pos - 1, planned_time)
    school_time, school = _school_time(conn, run_id, direction == "to_school")
    rules.check_times_in_order(names, times, school_time, school, direction == "to_school")
    # Two steps keep (run, sequence) unique at every moment: out of the way, then back one lower.
    conn.execute(text("UPDATE transportation.run_stops SET stop_sequence = stop_sequence + 1000 "
                      "WHERE run_id = :r AND stop_sequence >= :p"), {"r": run_id, "p": pos})
    conn.execute(text("UPDATE transportation.run_stops SET stop_sequence = stop_sequence - 999 "
                      "WHERE run_id = :r AND stop_sequence >= 1000"), {"r": run_id})
    conn.execute(text("INSERT INTO transportation.run_stops (run_id, stop_id, stop_sequence, planned_time, turn_notes) "
                      "VALUES (:r, :s, :p, :t, nullif(:n, ''))"),
                 {"r": run_id, "s": stop_id, "p": pos, "t": planned_time, "n": turn_notes.strip()})
    return pos


def home_stop(conn: Connection, run_id: int, home: rules.Point, family: str, address: str | None) -> int:
    """The stop at a door-to-door rider's home on the run: the run's own stop there, else a stop at the
    home already on file (another run's), else a new one; put on the run where it adds the least
    distance, its time estimated. Returns the stop id."""
    stops = _stops(conn, run_id)
    def at_home(lat, lon) -> bool:
        p = point(lat, lon)
        return p is not None and rules.straight_miles(home, p) <= rules.DOOR_TO_DOOR_MILES
    on_run = next((s[0] for s in stops if at_home(s[3], s[4])), None)
    if on_run is not None:
        return on_run
    pad = 0.002  # ~0.14 mi of latitude: the candidates, then the exact distance
    stop_id = next((r[0] for r in conn.execute(text(
        "SELECT stop_id, latitude, longitude FROM transportation.bus_stops WHERE is_active "
        "AND latitude BETWEEN :la - :p AND :la + :p ORDER BY stop_id"), {"la": home.latitude, "p": pad})
        if at_home(r[1], r[2])), None)
    if stop_id is None:
        stop_id = create_stop(conn, NewStop(f"Home of {family} family", address or "", home.latitude, home.longitude))
    points = [point(s[3], s[4]) for s in stops]

    def detour(pos: int) -> float:  # extra miles when the home is stop `pos` (1-based)
        before = points[pos - 2] if pos > 1 else None
        after = points[pos - 1] if pos <= len(points) else None
        d = sum(rules.straight_miles(home, p) for p in (before, after) if p is not None)
        return d - (rules.straight_miles(before, after) if before is not None and after is not None else 0)
    best = min(range(1, len(stops) + 2), key=lambda pos: (detour(pos), pos)) if stops else None
    add_stop(conn, run_id, stop_id, best, None, "Door to door: wait for the adult at the door")
    return stop_id


def _estimated_time(conn: Connection, existing: list[tuple], pos: int, stop) -> time:
    settings = load_rules(conn).settings
    here = point(stop[1], stop[2])
    if pos == 1 or here is None:
        if existing:
            return existing[0][2]
        raise UserError("Enter the first stop's time; later stops' times are estimated from it.")
    before = existing[pos - 2]
    prev = point(before[3], before[4])
    if prev is None:
        return before[2]
    times, _ = rules.estimate_times(before[2], [prev, here], [0, 0], settings)
    return times[1]


def remove_stop(conn: Connection, run_id: int, stop_id: int) -> None:
    name, _ = _lock_run(conn, run_id)
    riders = conn.execute(text("SELECT count(*) FROM transportation.rider_legs l JOIN transportation.student_transportation "
                               "st ON st.assignment_id = l.assignment_id WHERE l.run_id = :r AND l.stop_id = :s "
                               "AND st.is_active AND (st.end_date IS NULL OR st.end_date >= current_date)"),
                          {"r": run_id, "s": stop_id}).scalar()
    if riders:
        raise UserError(f"{riders} riders board at that stop of {name}; move them to another stop first.")
    gone = conn.execute(text("DELETE FROM transportation.run_stops WHERE run_id = :r AND stop_id = :s "
                             "RETURNING stop_sequence"), {"r": run_id, "s": stop_id}).scalar()
    if gone is not None:
        conn.execute(text("UPDATE transportation.run_stops SET stop_sequence = stop_sequence + 1000 "
                          "WHERE run_id = :r AND stop_sequence > :p"), {"r": run_id, "p": gone})
        conn.execute(text("UPDATE transportation.run_stops SET stop_sequence = stop_sequence - 1001 "
                          "WHERE run_id = :r AND stop_sequence > 1000"), {"r": run_id})


def set_stop_time(conn: Connection, run_id: int, stop_id: int, planned_time: time | None,
                  turn_notes: str | None = None) -> None:
    _name, direction = _lock_run(conn, run_id)
    if planned_time is None:
        raise UserError("The stop time is empty; enter a time such as 07:15.")
    existing = _stops(conn, run_id)
    if not any(s[0] == stop_id for s in existing):
        raise UserError("That stop is not on this run; refresh the run.")
    times = [planned_time if s[0] == stop_id else s[2] for s in existing]
    school_time, school = _school_time(conn, run_id, direction == "to_school")
    rules.check_times_in_order([s[1] for s in existing], times, school_time, school, direction == "to_school")
    conn.execute(text("UPDATE transportation.run_stops SET planned_time = :t, "
                      "turn_notes = CASE WHEN CAST(:keep AS boolean) THEN turn_notes ELSE nullif(:n, '') END "
                      "WHERE run_id = :r AND stop_id = :s"),
                 {"t": planned_time, "n": (turn_notes or "").strip(), "keep": turn_notes is None, "r": run_id,
                  "s": stop_id})


def estimate_times(conn: Connection, run_id: int, first: time | None = None) -> list[time]:
    """Re-plan every stop's time from the first stop's time (or `first`), from the distances, the
    riders at each stop today, the speed and the boarding time; saved only if they stay in order."""
    _name, direction = _lock_run(conn, run_id)
    existing = _stops(conn, run_id)
    if not existing:
        return []
    settings = load_rules(conn).settings
    positions = [point(s[3], s[4]) for s in existing]
    if any(p is None for p in positions):
        raise UserError("A stop of this run has no latitude or longitude; enter it before estimating times.")
    riders = dict(conn.execute(text(
        "SELECT l.stop_id, count(*) FROM transportation.rider_legs l JOIN transportation.student_transportation st "
        "ON st.assignment_id = l.assignment_id WHERE l.run_id = :r AND l.day_of_week = :dow AND st.is_active "
        "AND (st.end_date IS NULL OR st.end_date >= current_date) GROUP BY 1"),
        {"r": run_id, "dow": date.today().isoweekday()}).all())
    times, _ = rules.estimate_times(first or existing[0][2], positions, [riders.get(s[0], 0) for s in existing],
                                    settings)
    school_time, school = _school_time(conn, run_id, direction == "to_school")
    rules.check_times_in_order([s[1] for s in existing], times, school_time, school, direction == "to_school")
    for s, t in zip(existing, times):
        conn.execute(text("UPDATE transportation.run_stops SET planned_time = :t WHERE run_id = :r AND stop_id = :s"),
                     {"t": t, "r": run_id, "s": s[0]})
    return times


@dataclass(frozen=True)
class RunChoice:
    run_id: int
    name: str
    direction: str
    school_ids: tuple[int, ...]
    stops: tuple[tuple[int, str, time], ...]  # (stop id, name, planned time) in order


def run_choices(conn: Connection) -> list[RunChoice]:
    """Every active run with the schools it serves and its stops, for the rider form's lists."""
    stops: dict[int, list] = {}
    for run_id, stop_id, name, t in conn.execute(text(
            "SELECT rs.run_id, s.stop_id, s.stop_name, rs.planned_time FROM transportation.run_stops rs "
            "JOIN transportation.bus_stops s ON s.stop_id = rs.stop_id ORDER BY rs.run_id, rs.stop_sequence")):
        stops.setdefault(run_id, []).append((stop_id, name, t))
    return [RunChoice(r[0], r[1], r[2], tuple(r[3]), tuple(stops.get(r[0], ()))) for r in conn.execute(text(
        "SELECT u.run_id, r.route_number || ' ' || u.run_kind, u.direction, "
        "ARRAY(SELECT rs.school_id FROM transportation.run_schools rs WHERE rs.run_id = u.run_id ORDER BY 1) "
        "FROM transportation.runs u JOIN transportation.bus_routes r ON r.route_id = u.route_id WHERE u.is_active "
        "ORDER BY r.route_id, u.run_kind"))]


def list_stops(conn: Connection) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in conn.execute(text(
        "SELECT stop_id, stop_name FROM transportation.bus_stops WHERE is_active ORDER BY stop_name, stop_id"))]
