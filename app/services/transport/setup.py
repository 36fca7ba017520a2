"""The coordinator's set-up: routes and their runs (AM, PM, mid-day, activity), buses (seats,
wheelchair positions, equipment), the schools a run serves with their bell times, hazard zones,
and the district's settings (speed, stop and boarding time, walking limit, distance factor and
each grade band's eligibility distance and riders per seat).

One function per user action, in the caller's transaction. Bad input is refused with one sentence
before anything is written; a new route, bus or zone carries its form's request id, so a repeated
submit returns the first one instead of making a second. A change that would strand riders (a bus
too small or without the lift a rider needs, a school dropped while its riders are on the run) is
refused with what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, text

from app.domain import transport_rules as rules
from app.errors import UserError
from app.services.request_ids import lock_request
from app.services.transport.common import load_rules
from app.services.transport.routes import _lock_run, check_run_equipment, run_loads

RUN_KINDS = ("AM", "PM", "Midday", "Activity")
DEFAULT_DIRECTION = {"AM": "to_school", "PM": "from_school", "Midday": "from_school", "Activity": "from_school"}


# -- what the forms show --------------------------------------------------------------------------
@dataclass(frozen=True)
class RouteRow:
    route_id: int
    number: str
    description: str
    runs: tuple[tuple[int, str, str, bool], ...]  # (run id, kind, direction, active)

    def run_id(self, kind: str) -> int | None:
        return next((r[0] for r in self.runs if r[1] == kind and r[3]), None)


@dataclass(frozen=True)
class BusRow:
    bus_id: int
    number: str
    seats: int
    wheelchair_positions: int
    equipment: tuple[str, ...]
    runs: str  # "Route 3 AM, Route 3 PM"


@dataclass(frozen=True)
class BellRow:
    run_id: int
    run: str
    school_id: int
    school: str
    bell_time: time
    school_time: time


@dataclass(frozen=True)
class ZoneRow:
    zone_id: int
    name: str
    latitude: float
    longitude: float
    radius_miles: float
    school_id: int | None
    school: str  # "every school" when None


@dataclass(frozen=True)
class BandRow:
    band: str
    label: str
    riders_per_seat: int
    eligibility_miles: float


@dataclass(frozen=True)
class SetupData:
    routes: tuple[RouteRow, ...]
    buses: tuple[BusRow, ...]
    bells: tuple[BellRow, ...]
    zones: tuple[ZoneRow, ...]
    settings: rules.Settings
    bands: tuple[BandRow, ...]
    schools: tuple[tuple[int, str], ...]


def setup_data(conn: Connection) -> SetupData:
    runs: dict[int, list] = {}
    for rid, run_id, kind, direction, active in conn.execute(text(
            "SELECT route_id, run_id, run_kind, direction, is_active FROM transportation.runs "
            "ORDER BY route_id, array_position(ARRAY['AM', 'Midday', 'PM', 'Activity'], run_kind::text)")):
        runs.setdefault(rid, []).append((run_id, kind, direction, active))
    routes = tuple(RouteRow(r[0], r[1], r[2] or "", tuple(runs.get(r[0], ()))) for r in conn.execute(text(
        "SELECT route_id, route_number, route_description FROM transportation.bus_routes WHERE is_active "
        "ORDER BY route_id")))
    buses = tuple(BusRow(r[0], r[1], r[2], r[3], tuple(r[4]), r[5] or "") for r in conn.execute(text(
        "SELECT b.bus_id, b.bus_number, b.seats, b.wheelchair_positions, b.equipment, "
        "(SELECT string_agg(r.route_number || ' ' || u.run_kind, ', ' ORDER BY u.run_id) FROM transportation.runs u "
        " JOIN transportation.bus_routes r ON r.route_id = u.route_id WHERE u.bus_id = b.bus_id AND u.is_active) "
        "FROM transportation.buses b WHERE b.is_active ORDER BY b.bus_number")))
    bells = tuple(BellRow(*r) for r in conn.execute(text(
        "SELECT rs.run_id, r.route_number || ' ' || u.run_kind, rs.school_id, eo.nameofinstitution, rs.bell_time, "
        "rs.school_time FROM transportation.run_schools rs JOIN transportation.runs u ON u.run_id = rs.run_id "
        "JOIN transportation.bus_routes r ON r.route_id = u.route_id "
        "JOIN edfi.educationorganization eo ON eo.educationorganizationid = rs.school_id "
        "WHERE u.is_active ORDER BY r.route_id, u.run_kind, rs.school_time")))
    zones = tuple(ZoneRow(r[0], r[1], float(r[2]), float(r[3]), float(r[4]), r[5], r[6] or "every school")
                  for r in conn.execute(text(
                      "SELECT z.zone_id, z.zone_name, z.latitude, z.longitude, z.radius_miles, z.school_id, "
                      "eo.nameofinstitution FROM transportation.hazard_zones z LEFT JOIN edfi.educationorganization eo "
                      "ON eo.educationorganizationid = z.school_id ORDER BY z.zone_name, z.zone_id")))
    bands = tuple(BandRow(r[0], r[1], r[2], float(r[3])) for r in conn.execute(text(
        "SELECT band, label, riders_per_seat, eligibility_miles FROM transportation.grade_bands ORDER BY sort_order")))
    schools = tuple((r[0], r[1]) for r in conn.execute(text(
        "SELECT s.schoolid, eo.nameofinstitution FROM edfi.school s JOIN edfi.educationorganization eo "
        "ON eo.educationorganizationid = s.schoolid ORDER BY eo.nameofinstitution")))
    return SetupData(routes, buses, bells, zones, load_rules(conn).settings, bands, schools)


# -- routes and runs ------------------------------------------------------------------------------
def _riders_in_force(conn: Connection, run_id: int, school_id: int | None = None) -> int:
    return conn.execute(text(
        "SELECT count(DISTINCT l.student_usi) FROM transportation.rider_legs l "
        "JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id "
        "WHERE l.run_id = :r AND st.is_active AND (st.end_date IS NULL OR st.end_date >= current_date) "
        "AND (CAST(:s AS bigint) IS NULL OR st.school_id = :s)"), {"r": run_id, "s": school_id}).scalar()


def save_route(conn: Connection, route_id: int | None, number: str, description: str, kinds: tuple[str, ...],
               *, request_id: str | None = None) -> int:
    """Create a route (route_id None) or rename it; its runs are the kinds ticked: a new kind adds a
    run (AM goes to school, PM, mid-day and activity runs go home), an unticked kind retires the run
    if nobody rides it. Returns the route id."""
    number, description = number.strip(), description.strip()
    if not number:
        raise UserError("Route number is empty; enter it as it is painted on the bus sign, e.g. \"Route 12\".")
    if len(number) > 20:
        raise UserError(f"Route number \"{number}\" is longer than 20 characters; shorten it.")
    if len(description) > 500:
        raise UserError("The route description is longer than 500 characters; shorten it.")
    unknown = [k for k in kinds if k not in RUN_KINDS]
    if unknown:
        raise UserError(f"Run \"{unknown[0]}\" is not a kind of run; choose AM, PM, Midday or Activity.")
    if not kinds:
        raise UserError("Tick at least one run (AM, PM, mid-day or activity) for the route.")
    rid = lock_request(conn, request_id)
    if route_id is None and rid is not None:
        done = conn.execute(text("SELECT route_id FROM transportation.bus_routes WHERE request_id = :q"),
                            {"q": rid}).scalar()
        if done is not None:
            return done  # the same form submitted again: the route it made
    clash = conn.execute(text("SELECT route_id FROM transportation.bus_routes WHERE route_number = :n "
                              "AND route_id IS DISTINCT FROM :r"), {"n": number, "r": route_id}).scalar()
    if clash is not None:
        raise UserError(f"{number} already exists; open it in the list or choose another number.")
    if route_id is None:
        route_id = conn.execute(text(
            "INSERT INTO transportation.bus_routes (route_number, route_description, request_id) "
            "VALUES (:n, nullif(:d, ''), :q) RETURNING route_id"), {"n": number, "d": description, "q": rid}).scalar()
    elif conn.execute(text("UPDATE transportation.bus_routes SET route_number = :n, route_description = nullif(:d, '') "
                           "WHERE route_id = :r AND is_active"), {"n": number, "d": description, "r": route_id}
                      ).rowcount == 0:
        raise UserError("That route is no longer on file; refresh the list of routes.")
    existing = {k: (run_id, active) for run_id, k, active in conn.execute(text(
        "SELECT run_id, run_kind, is_active FROM transportation.runs WHERE route_id = :r FOR UPDATE"), {"r": route_id})}
    for kind in RUN_KINDS:
        have = existing.get(kind)
        if kind in kinds and have is None:
            conn.execute(text("INSERT INTO transportation.runs (route_id, run_kind, direction) VALUES (:r, :k, :d)"),
                         {"r": route_id, "k": kind, "d": DEFAULT_DIRECTION[kind]})
        elif kind in kinds and not have[1]:
            conn.execute(text("UPDATE transportation.runs SET is_active = true WHERE run_id = :u"), {"u": have[0]})
        elif kind not in kinds and have is not None and have[1]:
            n = _riders_in_force(conn, have[0])
            if n:
                raise UserError(f"{n} riders are on the {kind} run of {number}; move them to another run before "
                                "taking it off the route.")
            conn.execute(text("UPDATE transportation.runs SET is_active = false WHERE run_id = :u"), {"u": have[0]})
    return route_id


def runs_of(conn: Connection, route_id: int) -> list[tuple[int, str]]:
    """(run id, kind) of the route's active runs."""
    return [(r[0], r[1]) for r in conn.execute(text(
        "SELECT run_id, run_kind FROM transportation.runs WHERE route_id = :r AND is_active ORDER BY run_id"),
        {"r": route_id})]


def retire_route(conn: Connection, route_id: int) -> None:
    """Take a route out of service (its history stays); refused while anyone rides it."""
    row = conn.execute(text("SELECT route_number FROM transportation.bus_routes WHERE route_id = :r AND is_active "
                            "FOR UPDATE"), {"r": route_id}).first()
    if row is None:
        raise UserError("That route is no longer on file; refresh the list of routes.")
    for run_id, kind in conn.execute(text("SELECT run_id, run_kind FROM transportation.runs WHERE route_id = :r "
                                          "AND is_active"), {"r": route_id}).all():
        n = _riders_in_force(conn, run_id)
        if n:
            raise UserError(f"{n} riders are on {row[0]} {kind}; move them to another run before retiring the route.")
    conn.execute(text("UPDATE transportation.runs SET is_active = false WHERE route_id = :r"), {"r": route_id})
    conn.execute(text("UPDATE transportation.bus_routes SET is_active = false WHERE route_id = :r"), {"r": route_id})


def set_run_direction(conn: Connection, run_id: int, direction: str) -> None:
    """A mid-day or activity run may go either way (a kindergarten run at noon goes home)."""
    name, current = _lock_run(conn, run_id)
    if direction not in ("to_school", "from_school"):
        raise UserError(f"Direction \"{direction}\" is not known; use to school or from school.")
    if direction != current and _riders_in_force(conn, run_id):
        raise UserError(f"{name} has riders going {'to school' if current == 'to_school' else 'home'}; move them "
                        "before turning the run around.")
    conn.execute(text("UPDATE transportation.runs SET direction = :d WHERE run_id = :r"), {"d": direction, "r": run_id})


def set_run_school(conn: Connection, run_id: int, school_id: int, bell_time: time | None,
                   school_time: time | None) -> None:
    """The run serves the school: the bell time and when the bus is at the school."""
    _name, direction = _lock_run(conn, run_id)
    if bell_time is None or school_time is None:
        raise UserError("Bell time and the bus's time at the school are both needed; enter them as 07:45.")
    if direction == "to_school" and school_time > bell_time:
        raise UserError(f"The bus would reach the school at {school_time:%H:%M}, after the bell at "
                        f"{bell_time:%H:%M}; make it arrive before the bell.")
    if direction == "from_school" and school_time < bell_time:
        raise UserError(f"The bus would leave the school at {school_time:%H:%M}, before dismissal at "
                        f"{bell_time:%H:%M}; make it leave after the bell.")
    if not conn.execute(text("SELECT 1 FROM edfi.school WHERE schoolid = :s"), {"s": school_id}).first():
        raise UserError("That school is not on file; pick one of the district's schools.")
    conn.execute(text("INSERT INTO transportation.run_schools (run_id, school_id, bell_time, school_time) "
                      "VALUES (:r, :s, :b, :t) ON CONFLICT (run_id, school_id) DO UPDATE "
                      "SET bell_time = EXCLUDED.bell_time, school_time = EXCLUDED.school_time"),
                 {"r": run_id, "s": school_id, "b": bell_time, "t": school_time})


def remove_run_school(conn: Connection, run_id: int, school_id: int) -> None:
    name, _ = _lock_run(conn, run_id)
    n = _riders_in_force(conn, run_id, school_id)
    if n:
        raise UserError(f"{n} riders of that school are on {name}; move them to another run before it stops serving "
                        "the school.")
    conn.execute(text("DELETE FROM transportation.run_schools WHERE run_id = :r AND school_id = :s"),
                 {"r": run_id, "s": school_id})


# -- buses ----------------------------------------------------------------------------------------
def _check_bus_fits_its_runs(conn: Connection, bus_id: int, number: str, seats: int, positions: int,
                             equipment: tuple[str, ...]) -> None:
    bands = load_rules(conn).bands
    for run_id, name in conn.execute(text(
            "SELECT u.run_id, r.route_number || ' ' || u.run_kind FROM transportation.runs u JOIN "
            "transportation.bus_routes r ON r.route_id = u.route_id WHERE u.bus_id = :b AND u.is_active "
            "ORDER BY u.run_id FOR UPDATE OF u"), {"b": bus_id}).all():
        for dow, (grades, chairs) in sorted(run_loads(conn, date.today(), run_id).get(run_id, {}).items()):
            warning = rules.overload_warning(f"{name} with bus {number}", rules.day_name(dow),
                                             rules.capacity(seats, positions, grades, chairs, bands))
            if warning:
                raise UserError(warning)
        check_run_equipment(conn, run_id, name, number, equipment, positions)


def save_bus(conn: Connection, bus_id: int | None, number: str, seats: int | None, wheelchair_positions: int | None,
             equipment: tuple[str, ...], *, request_id: str | None = None) -> int:
    """Create a bus (bus_id None) or change one. A bus too small for its runs' riders, or without
    equipment a rider of its runs needs, is refused. Returns the bus id."""
    number = number.strip()
    if not number:
        raise UserError("Bus number is empty; enter the number painted on the bus.")
    if len(number) > 20:
        raise UserError(f"Bus number \"{number}\" is longer than 20 characters; shorten it.")
    if seats is None or not 0 < seats <= 100:
        raise UserError(f"{seats if seats is not None else 'No'} seats is not a bus; enter the number of bench seats "
                        "(1 to 100).")
    if wheelchair_positions is None or not 0 <= wheelchair_positions <= 10:
        raise UserError("Wheelchair positions must be 0 to 10; enter how many tie-down positions the bus has.")
    unknown = [e for e in equipment if e not in rules.EQUIPMENT]
    if unknown:
        raise UserError(f"Equipment \"{unknown[0]}\" is not known; choose from {', '.join(rules.EQUIPMENT)}.")
    equipment = tuple(e for e in rules.EQUIPMENT if e in equipment)
    rid = lock_request(conn, request_id)
    if bus_id is None and rid is not None:
        done = conn.execute(text("SELECT bus_id FROM transportation.buses WHERE request_id = :q"), {"q": rid}).scalar()
        if done is not None:
            return done
    clash = conn.execute(text("SELECT bus_id FROM transportation.buses WHERE bus_number = :n "
                              "AND bus_id IS DISTINCT FROM :b"), {"n": number, "b": bus_id}).scalar()
    if clash is not None:
        raise UserError(f"Bus {number} already exists; pick it in the list to change it.")
    if bus_id is None:
        return conn.execute(text(
            "INSERT INTO transportation.buses (bus_number, seats, wheelchair_positions, equipment, request_id) "
            "VALUES (:n, :s, :w, CAST(:e AS text[]), :q) RETURNING bus_id"),
            {"n": number, "s": seats, "w": wheelchair_positions, "e": list(equipment), "q": rid}).scalar()
    if not conn.execute(text("SELECT 1 FROM transportation.buses WHERE bus_id = :b AND is_active FOR UPDATE"),
                        {"b": bus_id}).first():
        raise UserError("That bus is no longer on file; refresh the list of buses.")
    _check_bus_fits_its_runs(conn, bus_id, number, seats, wheelchair_positions, equipment)
    conn.execute(text("UPDATE transportation.buses SET bus_number = :n, seats = :s, wheelchair_positions = :w, "
                      "equipment = CAST(:e AS text[]) WHERE bus_id = :b"),
                 {"n": number, "s": seats, "w": wheelchair_positions, "e": list(equipment), "b": bus_id})
    return bus_id


def retire_bus(conn: Connection, bus_id: int) -> None:
    runs = conn.execute(text("SELECT string_agg(r.route_number || ' ' || u.run_kind, ', ') FROM transportation.runs u "
                             "JOIN transportation.bus_routes r ON r.route_id = u.route_id "
                             "WHERE u.bus_id = :b AND u.is_active"), {"b": bus_id}).scalar()
    if runs:
        raise UserError(f"The bus still drives {runs}; give those runs another bus first.")
    if conn.execute(text("UPDATE transportation.buses SET is_active = false WHERE bus_id = :b AND is_active"),
                    {"b": bus_id}).rowcount == 0:
        raise UserError("That bus is no longer on file; refresh the list of buses.")


# -- hazard zones ---------------------------------------------------------------------------------
def save_zone(conn: Connection, zone_id: int | None, name: str, latitude: float | None, longitude: float | None,
              radius_miles: float | None, school_id: int | None, *, request_id: str | None = None) -> int:
    """An area whose walk to school is unsafe (a highway crossing): its riders are eligible at any
    distance. Returns the zone id."""
    name = name.strip()
    if not name:
        raise UserError("The zone's name is empty; name the danger, e.g. \"Highway 71 crossing\".")
    if len(name) > 200:
        raise UserError("The zone's name is longer than 200 characters; shorten it.")
    p = rules.check_position(latitude, longitude, f"Zone {name}")
    if radius_miles is None or not 0 < radius_miles <= 25:
        raise UserError("The zone's radius must be more than 0 and at most 25 miles; enter it in miles, e.g. 0.3.")
    rid = lock_request(conn, request_id)
    if zone_id is None and rid is not None:
        done = conn.execute(text("SELECT zone_id FROM transportation.hazard_zones WHERE request_id = :q"),
                            {"q": rid}).scalar()
        if done is not None:
            return done
    if school_id is not None and not conn.execute(text("SELECT 1 FROM edfi.school WHERE schoolid = :s"),
                                                  {"s": school_id}).first():
        raise UserError("That school is not on file; pick one of the district's schools or every school.")
    values = {"n": name, "la": p.latitude, "lo": p.longitude, "r": radius_miles, "s": school_id, "q": rid,
              "z": zone_id}
    if zone_id is None:
        return conn.execute(text(
            "INSERT INTO transportation.hazard_zones (zone_name, latitude, longitude, radius_miles, school_id, "
            "request_id) VALUES (:n, :la, :lo, :r, :s, :q) RETURNING zone_id"), values).scalar()
    if conn.execute(text("UPDATE transportation.hazard_zones SET zone_name = :n, latitude = :la, longitude = :lo, "
                         "radius_miles = :r, school_id = :s WHERE zone_id = :z"), values).rowcount == 0:
        raise UserError("That zone is no longer on file; refresh the list of zones.")
    return zone_id


def remove_zone(conn: Connection, zone_id: int) -> None:
    if conn.execute(text("DELETE FROM transportation.hazard_zones WHERE zone_id = :z"), {"z": zone_id}).rowcount == 0:
        raise UserError("That zone is no longer on file; refresh the list of zones.")


# -- settings -------------------------------------------------------------------------------------
def number(typed: str | float | int | None, field: str, low: float, high: float, unit: str,
           *, whole: bool = False) -> float:
    """A typed number within its range, or one sentence naming the field and the range."""
    if typed is None or str(typed).strip() == "":
        raise UserError(f"{field} is empty; enter {unit} from {low:g} to {high:g}.")
    try:
        value = Decimal(str(typed).strip())
    except InvalidOperation:
        raise UserError(f"{field} \"{str(typed).strip()}\" is not a number; enter {unit} from {low:g} to {high:g}."
                        ) from None
    if not value.is_finite() or not low <= value <= high or (whole and value != value.to_integral_value()):
        raise UserError(f"{field} {value} is out of range; enter {'a whole number of ' if whole else ''}{unit} "
                        f"from {low:g} to {high:g}.")
    return int(value) if whole else float(value)


def save_settings(conn: Connection, s: rules.Settings) -> None:
    """The district's eligibility and timing settings (each checked against its range first)."""
    number(s.distance_factor, "The distance factor", 1, 3, "a factor")
    number(s.walking_limit_miles, "The walking limit", 0.05, 5, "miles")
    number(s.speed_mph, "The bus speed", 1, 70, "miles per hour")
    number(s.stop_seconds, "The stop time", 0, 600, "seconds", whole=True)
    number(s.load_seconds_per_rider, "The boarding time per rider", 0, 120, "seconds", whole=True)
    conn.execute(text("UPDATE transportation.settings SET distance_factor = :f, walking_limit_miles = :w, "
                      "speed_mph = :v, stop_seconds = :st, load_seconds_per_rider = :ld"),
                 {"f": s.distance_factor, "w": s.walking_limit_miles, "v": s.speed_mph, "st": s.stop_seconds,
                  "ld": s.load_seconds_per_rider})


def save_band(conn: Connection, band: str, riders_per_seat: int | None, eligibility_miles: float | None,
              *, confirm_overload: bool = False) -> None:
    """A grade band's riders per seat (capacity) and eligibility distance. Fewer riders per seat that would
    overload runs (or load overloaded ones more) raise OverloadWarning (nothing saved) unless confirm_overload."""
    from app.services.transport.riders import OverloadWarning
    from app.services.transport.routes import list_runs
    label = conn.execute(text("SELECT label FROM transportation.grade_bands WHERE band = :b"), {"b": band}).scalar()
    if label is None:
        raise UserError(f"Grade band \"{band}\" is not on file; choose elementary, middle or high.")
    per_seat = number(riders_per_seat, f"Riders per seat for {label}", 1, 4, "riders", whole=True)
    miles = number(eligibility_miles, f"The eligibility distance for {label}", 0, 20, "miles")
    before = {r.run_id: r.percent for r in list_runs(conn, date.today())}
    step = conn.begin_nested()
    conn.execute(text("UPDATE transportation.grade_bands SET riders_per_seat = :p, eligibility_miles = :m "
                      "WHERE band = :b"), {"p": per_seat, "m": miles, "b": band})
    newly = [r for r in list_runs(conn, date.today()) if r.overloaded and r.percent > before.get(r.run_id, 0)]
    if newly and not confirm_overload:
        step.rollback()
        names = ", ".join(r.name for r in newly[:3]) + (f" and {len(newly) - 3} more" if len(newly) > 3 else "")
        raise OverloadWarning([f"{per_seat} riders per seat for {label} would overload {len(newly)} "
                               f"run{'s' if len(newly) != 1 else ''} ({names}); confirm to save it anyway."])
    step.commit()


def refresh_edfi(conn: Connection, force: bool = False) -> int:
    """Ed-Fi StudentTransportation re-derived for plans and IEPs that began or ended with the date
    (once a day unless forced; migration 0028). Returns how many students were re-derived."""
    return conn.execute(text("SELECT transportation.refresh_edfi(:f)"), {"f": force}).scalar()
