"""Bus assignment rules, without Qt or a database: capacity by the riders' grades, eligibility by
distance, the nearest stop within a walking limit, stop order and planned times.

Rules are data: grade bands carry how many riders share a seat and how far a rider must live to
be eligible; settings carry the distance factor, walking limit, speed and boarding time. The
database holds the district's values (transportation.grade_bands, transportation.settings).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from fractions import Fraction

from app.errors import UserError

EARTH_RADIUS_MILES = 3958.8
EQUIPMENT = ("lift", "car seat", "harness")


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class GradeBand:
    band: str
    label: str
    grades: frozenset[str]
    riders_per_seat: int
    eligibility_miles: float


@dataclass(frozen=True)
class Settings:
    distance_factor: float = 1.3
    walking_limit_miles: float = 0.5
    speed_mph: float = 20.0
    stop_seconds: int = 20
    load_seconds_per_rider: int = 8


DEFAULT_BANDS = (
    GradeBand("elementary", "Elementary (PK-5)", frozenset((
        "Preschool/Prekindergarten", "Prekindergarten", "Transitional Kindergarten", "Kindergarten", "First grade",
        "Second grade", "Third grade", "Fourth grade", "Fifth grade")), 3, 1.0),
    GradeBand("middle", "Middle (6-8)", frozenset(("Sixth grade", "Seventh grade", "Eighth grade")), 2, 1.5),
    GradeBand("high", "High school (9-12)", frozenset(("Ninth grade", "Tenth grade", "Eleventh grade",
                                                       "Twelfth grade")), 2, 2.0),
)


# -- positions -----------------------------------------------------------------------------------
def check_position(latitude: float | None, longitude: float | None, what: str = "The stop") -> Point:
    """A latitude and longitude a map could show, or one sentence saying which is wrong."""
    if latitude is None or longitude is None:
        raise UserError(f"{what} has no latitude or longitude; enter both (e.g. 30.2672 and -97.7431).")
    if not -90 <= latitude <= 90:
        raise UserError(f"Latitude {latitude:g} is out of range; a latitude is between -90 and 90.")
    if not -180 <= longitude <= 180:
        raise UserError(f"Longitude {longitude:g} is out of range; a longitude is between -180 and 180.")
    return Point(float(latitude), float(longitude))


def straight_miles(a: Point, b: Point) -> float:
    """Great-circle distance in miles (haversine)."""
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def route_miles(a: Point, b: Point, settings: Settings) -> float:
    """Straight-line distance times the district's factor: the road distance it stands for."""
    return straight_miles(a, b) * settings.distance_factor


# -- capacity --------------------------------------------------------------------------------------
def band_of(grade: str | None, bands: tuple[GradeBand, ...]) -> GradeBand:
    """The grade's band; an unknown grade counts as the band with fewest riders per seat (safest)."""
    for b in bands:
        if grade in b.grades:
            return b
    return min(bands, key=lambda b: b.riders_per_seat)


@dataclass(frozen=True)
class Capacity:
    seats: int
    seats_used: Fraction
    riders: int
    wheelchair_positions: int
    wheelchair_riders: int

    @property
    def overloaded(self) -> bool:
        return self.seats_used > self.seats or self.wheelchair_riders > self.wheelchair_positions

    @property
    def nearly_full(self) -> bool:
        return not self.overloaded and self.seats and self.seats_used / self.seats >= Fraction(9, 10)

    @property
    def percent(self) -> int:
        return int(round(100 * self.seats_used / self.seats)) if self.seats else 0

    def describe(self) -> str:
        text = f"{self.riders} riders use {float(self.seats_used):.1f} of {self.seats} seats ({self.percent}%)"
        if self.wheelchair_riders or self.wheelchair_positions:
            text += f", {self.wheelchair_riders} of {self.wheelchair_positions} wheelchair positions"
        return text


def capacity(seats: int, wheelchair_positions: int, rider_grades: list[str | None], wheelchair_riders: int,
             bands: tuple[GradeBand, ...] = DEFAULT_BANDS) -> Capacity:
    """Seats the riders fill: each rider takes 1/riders_per_seat of a bench (three small children or
    two high-school students to a seat); wheelchair riders use wheelchair positions, not seats."""
    used = sum((Fraction(n, band_of(g, bands).riders_per_seat) for g, n in Counter(rider_grades).items()),
               Fraction(0))  # by grade: a few fractions, not one per rider
    return Capacity(seats, used, len(rider_grades) + wheelchair_riders, wheelchair_positions, wheelchair_riders)


def overload_warning(run_name: str, day: str, cap: Capacity) -> str | None:
    """The sentence shown before saving an assignment that would overload the run (None: it fits)."""
    if cap.wheelchair_riders > cap.wheelchair_positions:
        return (f"{run_name} on {day} would carry {cap.wheelchair_riders} wheelchair riders with "
                f"{cap.wheelchair_positions} wheelchair positions; assign another run or a bus with more positions.")
    if cap.seats_used > cap.seats:
        return (f"{run_name} on {day} would be overloaded: {cap.describe()}; assign another run or a larger bus.")
    return None


def missing_equipment(needed: tuple[str, ...] | list[str], bus_equipment: tuple[str, ...] | list[str],
                      wheelchair: bool, wheelchair_positions: int) -> list[str]:
    """What a rider needs that the bus lacks."""
    out = [e for e in needed if e not in bus_equipment]
    if wheelchair and wheelchair_positions <= 0:
        out.append("wheelchair position")
    return out


# -- eligibility -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HazardZone:
    name: str
    center: Point
    radius_miles: float
    school_id: int | None = None


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str  # one short phrase for lists: "2.4 mi (limit 1.5)", "hazard: Highway 71 crossing", ...
    miles: float | None
    special: bool = False  # special-education transport from the IEP


def eligibility(home: Point | None, school: Point | None, grade: str | None, school_id: int | None,
                settings: Settings, bands: tuple[GradeBand, ...] = DEFAULT_BANDS,
                hazards: tuple[HazardZone, ...] = (), iep_transport: bool = False) -> Eligibility:
    """Eligible when the IEP requires transport, when home lies in a hazard zone of the school,
    or when the route distance (straight line x factor) reaches the grade band's threshold."""
    miles = route_miles(home, school, settings) if home and school else None
    if iep_transport:
        return Eligibility(True, "special education (IEP)", miles, special=True)
    if home is None or school is None:
        return Eligibility(False, "home not located: enter the address's latitude and longitude", None)
    for z in hazards:
        if (z.school_id is None or z.school_id == school_id) and straight_miles(home, z.center) <= z.radius_miles:
            return Eligibility(True, f"hazard: {z.name}", miles)
    limit = band_of(grade, bands).eligibility_miles
    if miles >= limit:
        return Eligibility(True, f"{miles:.1f} mi (limit {limit:g})", miles)
    return Eligibility(False, f"{miles:.1f} mi, under {limit:g}: walks", miles)


@dataclass(frozen=True)
class StopChoice:
    stop_id: int
    name: str
    position: Point
    run_id: int


DOOR_TO_DOOR_MILES = 0.05  # a stop this close to the home is at the door


def nearest_stop(home: Point, stops: list[StopChoice], settings: Settings, accept=None,
                 limit: float | None = None) -> tuple[StopChoice, float] | None:
    """The nearest stop (straight line x factor) within `limit` (default: the walking limit) of a
    run `accept(run_id)` allows, with its distance."""
    limit = settings.walking_limit_miles if limit is None else limit
    best = None
    for s in stops:
        if accept is not None and not accept(s.run_id):
            continue
        d = route_miles(home, s.position, settings)
        if d <= limit and (best is None or d < best[1]):
            best = (s, d)
    return best


@dataclass(frozen=True)
class RunRoom:
    """What a run's bus offers a new rider: its equipment and the room left on its busiest weekday."""
    equipment: frozenset[str]
    seats_free: Fraction
    wheelchair_free: int


def run_takes(room: RunRoom | None, grade: str | None, wheelchair: bool, equipment, bands) -> bool:
    """The run has a bus with the equipment the rider needs and room for them (a wheelchair
    position, or their share of a seat by grade band)."""
    if room is None or not set(equipment) <= room.equipment:
        return False
    if wheelchair:
        return room.wheelchair_free >= 1
    return room.seats_free >= Fraction(1, band_of(grade, bands).riders_per_seat)


# -- stops and times -------------------------------------------------------------------------------
def insert_position(count: int, position: int | None) -> int:
    """Where a new stop goes (1-based); None or past the end: last. The stops from there move down one."""
    if position is None or position > count:
        return count + 1
    if position < 1:
        raise UserError(f"Stop position {position} is not valid; positions start at 1.")
    return position


def _add(t: time, seconds: float) -> time:
    return (datetime.combine(datetime.min, t) + timedelta(seconds=round(seconds))).time().replace(microsecond=0)


def estimate_times(first: time, positions: list[Point], riders: list[int], settings: Settings,
                   end: Point | None = None) -> tuple[list[time], time | None]:
    """Planned times of each stop from the first stop's time: the previous stop's time, plus its
    stop and boarding time (stop_seconds + load_seconds_per_rider x riders), plus the drive at
    speed_mph over the route distance. Also the time at `end` (the school), if given."""
    times: list[time] = []
    t = first
    for i, p in enumerate(positions):
        if i:
            t = _add(t, _leg_seconds(positions[i - 1], p, riders[i - 1], settings))
        times.append(t)
    at_end = None
    if end is not None and positions:
        at_end = _add(t, _leg_seconds(positions[-1], end, riders[-1], settings))
    return times, at_end


def _leg_seconds(a: Point, b: Point, riders_at_a: int, settings: Settings) -> float:
    dwell = settings.stop_seconds + settings.load_seconds_per_rider * riders_at_a
    return dwell + route_miles(a, b, settings) / settings.speed_mph * 3600


def check_times_in_order(names: list[str], times: list[time], school_time: time | None = None,
                         school: str = "school", to_school: bool = True) -> None:
    """Refuse a stop time earlier than the stop before it (one sentence, naming both stops)."""
    for i in range(1, len(times)):
        if times[i] < times[i - 1]:
            raise UserError(f"Stop {i + 1} ({names[i]}) at {times[i]:%H:%M} is before stop {i} ({names[i - 1]}) at "
                            f"{times[i - 1]:%H:%M}; stop times must rise along the run.")
    if school_time is not None and times:
        if to_school and times[-1] > school_time:
            raise UserError(f"The last stop ({names[-1]}) at {times[-1]:%H:%M} is after the bus is due at {school} "
                            f"({school_time:%H:%M}); move the stop earlier or the school time later.")
        if not to_school and times[0] < school_time:
            raise UserError(f"The first stop ({names[0]}) at {times[0]:%H:%M} is before the bus leaves {school} "
                            f"({school_time:%H:%M}); move the stop later.")


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def day_name(iso_day: int) -> str:
    return DAYS[iso_day - 1]


def release_to_adult(grade: str | None, flagged: bool) -> bool:
    """Kindergarten (and younger) riders, and any rider so flagged, leave the bus only to a designated adult."""
    return flagged or grade in ("Kindergarten", "Transitional Kindergarten", "Prekindergarten",
                                "Preschool/Prekindergarten")


class StopIndex:
    """Stops bucketed on a grid the size of the walking limit, so the nearest stop of a home is
    looked for among the stops of nine cells instead of every stop of the district."""

    def __init__(self, stops: list[StopChoice], settings: Settings) -> None:
        self.settings = settings
        # a degree of latitude is 69 miles; a degree of longitude is never longer
        self.cell = max(settings.walking_limit_miles / settings.distance_factor / 69.0, 1e-4) * 1.01
        self.cells: dict[tuple[int, int], list[StopChoice]] = {}
        self._lon_scale = 1.0
        if stops:
            self._lon_scale = max(math.cos(math.radians(sum(s.position.latitude for s in stops) / len(stops))), 0.05)
        for s in stops:
            self.cells.setdefault(self._key(s.position), []).append(
                (s.position.latitude, s.position.longitude * self._lon_scale, s))

    def _key(self, p: Point) -> tuple[int, int]:
        return int(math.floor(p.latitude / self.cell)), int(math.floor(p.longitude * self._lon_scale / self.cell))

    def nearest(self, home: Point, accept=None) -> tuple[StopChoice, float] | None:
        # Over a few hundred yards the flat-earth distance ranks stops as the great circle does;
        # only the winner gets the exact distance (10,000 homes in well under a second).
        ky, kx = self._key(home)
        hy, hx = home.latitude, home.longitude * self._lon_scale
        best, best_d = None, math.inf
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for y, x, s in self.cells.get((ky + dy, kx + dx), ()):
                    d = (y - hy) ** 2 + (x - hx) ** 2
                    if d < best_d and (accept is None or accept(s.run_id)):
                        best, best_d = s, d
        if best is None:
            return None
        miles = route_miles(home, best.position, self.settings)
        return (best, miles) if miles <= self.settings.walking_limit_miles else None
