"""What every transportation service reads: the district's rules (grade bands, settings, hazard
zones), positions of homes and schools, and the grade and school of a student on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.domain.transport_rules import EQUIPMENT, GradeBand, HazardZone, Point, Settings

DIRECTION_LABEL = {"to_school": "to school", "from_school": "from school", "both": "both ways"}


@dataclass(frozen=True)
class Rules:
    settings: Settings
    bands: tuple[GradeBand, ...]
    hazards: tuple[HazardZone, ...]


def load_bands(conn: Connection) -> tuple[GradeBand, ...]:
    """The grade bands (riders per seat, eligibility distance): all a capacity check needs."""
    return tuple(GradeBand(b, label, frozenset(grades), per_seat, float(miles)) for b, label, grades, per_seat, miles in
                 conn.execute(text("SELECT band, label, grade_levels, riders_per_seat, eligibility_miles "
                                   "FROM transportation.grade_bands ORDER BY sort_order")))


def load_rules(conn: Connection) -> Rules:
    s = conn.execute(text("SELECT distance_factor, walking_limit_miles, speed_mph, stop_seconds, load_seconds_per_rider "
                          "FROM transportation.settings")).first()
    settings = Settings(float(s[0]), float(s[1]), float(s[2]), int(s[3]), int(s[4])) if s else Settings()
    bands = load_bands(conn)
    hazards = tuple(HazardZone(n, Point(float(la), float(lo)), float(r), sid) for n, la, lo, r, sid in
                    conn.execute(text("SELECT zone_name, latitude, longitude, radius_miles, school_id "
                                      "FROM transportation.hazard_zones ORDER BY zone_id")))
    return Rules(settings, bands, hazards)


def point(lat, lon) -> Point | None:
    """A Point from stored values (Ed-Fi keeps them as text); None when missing or unreadable."""
    try:
        return Point(float(lat), float(lon)) if lat not in (None, "") and lon not in (None, "") else None
    except ValueError:
        return None


def school_points(conn: Connection) -> dict[int, tuple[str, Point | None]]:
    rows = conn.execute(text(
        "SELECT s.schoolid, eo.nameofinstitution, "
        "(SELECT a.latitude FROM edfi.educationorganizationaddress a WHERE a.educationorganizationid = s.schoolid "
        "  AND a.latitude IS NOT NULL LIMIT 1), "
        "(SELECT a.longitude FROM edfi.educationorganizationaddress a WHERE a.educationorganizationid = s.schoolid "
        "  AND a.longitude IS NOT NULL LIMIT 1) "
        "FROM edfi.school s JOIN edfi.educationorganization eo ON eo.educationorganizationid = s.schoolid "
        "ORDER BY s.schoolid"))
    return {r[0]: (r[1], point(r[2], r[3])) for r in rows}


# The enrollment in force on a day (the latest begun by then and not ended before it), with its grade.
ENROLLMENT_ON = """
    SELECT DISTINCT ON (a.studentusi) a.studentusi, a.schoolid, g.codevalue AS grade
      FROM edfi.studentschoolassociation a
      JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
     WHERE a.entrydate <= CAST(:day AS date) AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= CAST(:day AS date))
     ORDER BY a.studentusi, a.entrydate DESC
"""



def enrollment_of(student_col: str) -> str:
    """ENROLLMENT_ON for one student per row (a LATERAL join): cheaper than the whole district's
    when a list names a few hundred students."""
    return f"""LEFT JOIN LATERAL (
        SELECT a.schoolid, g.codevalue AS grade FROM edfi.studentschoolassociation a
          JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
         WHERE a.studentusi = {student_col} AND a.entrydate <= CAST(:day AS date)
           AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= CAST(:day AS date))
         ORDER BY a.entrydate DESC LIMIT 1) e ON true"""


HOME = """
    SELECT DISTINCT ON (h.studentusi) h.studentusi, h.latitude, h.longitude,
           concat_ws(', ', h.streetnumbername, h.city) AS address
      FROM edfi.studenteducationorganizationassociationaddress h
      JOIN edfi.descriptor t ON t.descriptorid = h.addresstypedescriptorid
     ORDER BY h.studentusi, (t.codevalue = 'Home') DESC
"""


@dataclass(frozen=True)
class StudentFacts:
    student_usi: int
    student_id: str
    name: str  # "Last, First"
    school_id: int | None
    grade: str | None
    home: Point | None
    address: str | None


def student_facts(conn: Connection, student_usi: int, day: date) -> StudentFacts | None:
    row = conn.execute(text(
        f"SELECT s.studentusi, s.studentuniqueid, s.lastsurname || ', ' || coalesce(s.preferredfirstname, s.firstname), "
        f"e.schoolid, e.grade, h.latitude, h.longitude, h.address FROM edfi.student s "
        f"LEFT JOIN ({ENROLLMENT_ON}) e ON e.studentusi = s.studentusi "
        f"LEFT JOIN ({HOME}) h ON h.studentusi = s.studentusi WHERE s.studentusi = :u"),
        {"u": student_usi, "day": day}).first()
    if row is None:
        return None
    return StudentFacts(row[0], row[1], row[2], row[3], row[4], point(row[5], row[6]), row[7])


def describe_needs(wheelchair: bool, equipment: tuple[str, ...], aide: bool, door_to_door: bool) -> str:
    return ", ".join(x for x in (("wheelchair position" if wheelchair else ""), *equipment, ("aide" if aide else ""),
                                 ("door to door" if door_to_door else "")) if x) or "special transport"


@dataclass(frozen=True)
class IepNeeds:
    """What an IEP in force requires of the ride (transportation.iep_transport_in_force, migration 0028)."""
    wheelchair: bool
    aide_required: bool
    door_to_door: bool
    equipment: tuple[str, ...]

    def describe(self) -> str:
        return describe_needs(self.wheelchair, self.equipment, self.aide_required, self.door_to_door)


def iep_needs(conn: Connection, student_usis: list[int] | None, day: date) -> dict[int, IepNeeds]:
    """The transport needs of the IEPs in force on `day` (Active, begun, not exited), by student,
    for the students the caller's row-level security shows (None: all of them)."""
    return {r[0]: IepNeeds(bool(r[1]), bool(r[2]), bool(r[3]), tuple(r[4] or ())) for r in conn.execute(text(
        "SELECT student_usi, wheelchair, aide_required, door_to_door, equipment "
        "FROM transportation.iep_transport_in_force(:u, :d)"), {"u": student_usis, "d": day})}


@dataclass(frozen=True)
class Needs:
    """What a rider needs on a day: their plan's own needs and their IEP's in force then."""
    wheelchair: bool
    equipment: tuple[str, ...]
    aide_required: bool = False
    door_to_door: bool = False
    iep: bool = False  # an IEP in force requires special transport

    def describe(self) -> str:
        return describe_needs(self.wheelchair, self.equipment, self.aide_required, self.door_to_door)


NO_NEEDS = Needs(False, ())


def needs_in_force(conn: Connection, student_usis: list[int] | None, day: date) -> dict[int, Needs]:
    """The one reading of riders' needs (transportation.needs_in_force, migration 0040): the plan in
    force's own needs plus an Active IEP's within its dates, for the students of the caller's
    schools (None: all of them); students with no needs are left out. The front office gets the
    plans' own needs only."""
    return {r[0]: Needs(bool(r[1]), tuple(e for e in EQUIPMENT if e in (r[2] or ())), bool(r[3]), bool(r[4]),
                        bool(r[5])) for r in conn.execute(text(
        "SELECT student_usi, wheelchair, equipment, aide_required, door_to_door, iep "
        "FROM transportation.needs_in_force(:u, :d)"), {"u": student_usis, "d": day})}
