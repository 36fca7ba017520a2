"""The demo district's buses (issue 13): a made-up town of Riverbend with its three schools, seven
corridors of shared stops, about 20 routes (one per corridor and school level, plus a lift bus for
special transport) with AM and PM runs, homes placed along the corridors (and some within walking
distance of school), most eligible students assigned to their nearest stop, a few special-transport
riders from their IEPs, kindergarten released to a designated adult, a few alternate addresses and
temporary changes, two weeks of ridership, and a few overloaded runs waiting to be fixed.

Replaces the design document's placeholder routes the core loader writes (demo_seed_ops).
"""

from __future__ import annotations

import math
import random
from datetime import datetime, time, timedelta

from sqlalchemy import text

from app.domain import transport_rules as rules
from app.services import demo_names as N

ORDER = 60
CENTER = rules.Point(30.2672, -97.7431)
MILE_LAT = 1 / 69.05
MILE_LON = 1 / (69.17 * math.cos(math.radians(CENTER.latitude)))
CORRIDORS = 7
STOPS_PER_CORRIDOR = 10
LANDMARKS = ("mailbox cluster", "church lot", "park gate", "corner store", "fire hydrant", "water tower",
             "community garden", "bridge", "library", "gas station")
# school short name -> (offset east, offset north in miles), bell, dismissal, grade band
SCHOOL_LAYOUT = {"RES": (-0.8, 0.4, time(8, 0), time(15, 0)), "RMS": (0.0, 0.0, time(8, 15), time(15, 5)),
                 "RHS": (0.9, -0.5, time(8, 30), time(15, 20))}


def at(east: float, north: float) -> rules.Point:
    return rules.Point(round(CENTER.latitude + north * MILE_LAT, 6), round(CENTER.longitude + east * MILE_LON, 6))


def load(ctx) -> None:
    conn, c = ctx.copier.conn, ctx.copier
    rng = random.Random(ctx.rng.random())
    settings = rules.Settings()
    for t in ("transportation.student_transportation", "transportation.bus_stops", "transportation.bus_routes"):
        conn.execute(text(f"DELETE FROM {t}"))
    schools = {sid: (short, name) for sid, short, name in conn.execute(text(
        "SELECT s.schoolid, eo.shortnameofinstitution, eo.nameofinstitution FROM edfi.school s "
        "JOIN edfi.educationorganization eo ON eo.educationorganizationid = s.schoolid ORDER BY 1"))}
    school_at = {sid: at(*SCHOOL_LAYOUT.get(short, (0, 0))[:2]) for sid, (short, _n) in schools.items()}
    for sid, p in school_at.items():
        conn.execute(text("UPDATE edfi.educationorganizationaddress SET latitude = :la, longitude = :lo "
                          "WHERE educationorganizationid = :s"), {"la": f"{p.latitude:.6f}", "lo": f"{p.longitude:.6f}",
                                                                    "s": sid})

    # -- stops: seven corridors from the edge of town towards the middle ---------------------------
    stops, corridor_stops = [], []
    for k in range(CORRIDORS):
        angle = 2 * math.pi * k / CORRIDORS + 0.3
        ids = []
        for j in range(STOPS_PER_CORRIDOR):
            r = 3.4 - j * 0.28
            wobble = rng.uniform(-0.12, 0.12)
            p = at(r * math.cos(angle) + wobble, r * math.sin(angle) - wobble)
            sid = len(stops) + 1
            a, b = N.STREETS[(k * 3 + j) % len(N.STREETS)], N.STREETS[(k + 5 * j + 7) % len(N.STREETS)]
            stops.append((sid, f"{a} & {b}", f"{a} at {b}, {N.CITY}, {N.STATE}", p.latitude, p.longitude, True))
            ids.append(sid)
        corridor_stops.append(ids)
    c.copy("transportation.bus_stops", ("stop_id", "stop_name", "address", "latitude", "longitude", "is_active"), stops)
    pos = {s[0]: rules.Point(s[3], s[4]) for s in stops}

    # -- buses, routes, runs, schools -------------------------------------------------------------------
    levels = [(sid, short) for sid, (short, _n) in schools.items()]
    route_specs = [(k, sid, short) for sid, short in levels for k in range(CORRIDORS)][:20]
    buses = [(i + 1, str(101 + i), 24, 0, [], True) for i in range(len(route_specs))]
    lift_bus = len(buses) + 1
    buses.append((lift_bus, "L1", 12, 2, ["lift", "car seat", "harness"], True))
    drivers = [f"{rng.choice(N.FIRST_NAMES_F + N.FIRST_NAMES_M)} {rng.choice(N.LAST_NAMES)}" for _ in range(60)]
    routes, runs, run_schools, run_stops = [], [], [], []
    runs_of: dict[tuple[int, str], list[int]] = {}  # (school, direction) -> runs
    corridor_run: dict[tuple[int, int, str], int] = {}  # (corridor, school, direction) -> run
    for n, (k, sid, short) in enumerate(route_specs, 1):
        routes.append((n, f"Route {n}", f"{short} corridor {k + 1}", drivers[n], f"CDL{rng.randrange(10**6):06d}",
                       str(100 + n), 72, True))
        bell, dismissal = SCHOOL_LAYOUT.get(short, (0, 0, time(8, 0), time(15, 0)))[2:]
        for kind, direction in (("AM", "to_school"), ("PM", "from_school")):
            run_id = len(runs) + 1
            runs.append((run_id, n, kind, direction, n, drivers[n], None, True))
            ordered = corridor_stops[k] if direction == "to_school" else corridor_stops[k][::-1]
            pts = [pos[s] for s in ordered]
            if direction == "to_school":
                _t, arrive = rules.estimate_times(time(7, 0), pts, [3] * len(pts), settings, end=school_at[sid])
                span = _secs(arrive) - _secs(time(7, 0))
                first = _time(_secs(bell) - 10 * 60 - span)
                times, at_school = rules.estimate_times(first, pts, [3] * len(pts), settings, end=school_at[sid])
                run_schools.append((run_id, sid, bell, at_school))
            else:
                leave = _time(_secs(dismissal) + 10 * 60)
                times, _ = rules.estimate_times(leave, [school_at[sid]] + pts, [0] + [0] * len(pts), settings)
                times = times[1:]
                run_schools.append((run_id, sid, dismissal, leave))
            for seq, (stop_id, t) in enumerate(zip(ordered, times), 1):
                note = (f"{'Right' if (seq + k) % 2 else 'Left'} onto {N.STREETS[(seq * 5 + k) % len(N.STREETS)]}; "
                        f"stop past the {LANDMARKS[(seq + k) % len(LANDMARKS)]}")
                run_stops.append((run_id, stop_id, seq, t, note))
            runs_of.setdefault((sid, direction), []).append(run_id)
            corridor_run[k, sid, direction] = run_id
    sped_route = len(routes) + 1
    routes.append((sped_route, f"Route {sped_route}", "Special transport, door to door", drivers[0], "CDL000777", "L1",
                   12, True))
    sped_runs = {}
    for kind, direction in (("AM", "to_school"), ("PM", "from_school")):
        run_id = len(runs) + 1
        runs.append((run_id, sped_route, kind, direction, lift_bus, drivers[1], drivers[2], True))
        sped_runs[direction] = run_id
        for sid, short in levels:
            bell, dismissal = SCHOOL_LAYOUT.get(short, (0, 0, time(8, 0), time(15, 0)))[2:]
            run_schools.append((run_id, sid, bell, _time(_secs(bell) - 20 * 60)) if direction == "to_school"
                               else (run_id, sid, dismissal, _time(_secs(dismissal) + 15 * 60)))
    c.copy("transportation.hazard_zones", ("zone_name", "latitude", "longitude", "radius_miles", "school_id"),
           [("Highway 71 crossing", *_ll(at(1.3, -0.2)), 0.35, None)])

    # -- homes along the corridors, a quarter within walking distance of school -------------------------
    family_home: dict[int, rules.Point] = {}
    for s in ctx.students:
        if s.family in family_home:
            continue
        if rng.random() < 0.22:
            home_of = school_at.get(s.school.school_id, CENTER)
            family_home[s.family] = rules.Point(home_of.latitude + rng.uniform(-0.6, 0.6) * MILE_LAT,
                                                home_of.longitude + rng.uniform(-0.6, 0.6) * MILE_LON)
        else:
            near = pos[rng.choice(corridor_stops[rng.randrange(CORRIDORS)])]
            family_home[s.family] = rules.Point(near.latitude + rng.uniform(-0.25, 0.25) * MILE_LAT,
                                                near.longitude + rng.uniform(-0.25, 0.25) * MILE_LON)
    conn.execute(text("CREATE TEMP TABLE demo_home_points (studentusi int, latitude text, longitude text) "
                      "ON COMMIT DROP"))
    c.copy("demo_home_points", ("studentusi", "latitude", "longitude"),
           [(s.usi, f"{family_home[s.family].latitude:.6f}", f"{family_home[s.family].longitude:.6f}")
            for s in ctx.students])
    conn.execute(text("UPDATE edfi.studenteducationorganizationassociationaddress a SET latitude = h.latitude, "
                      "longitude = h.longitude FROM demo_home_points h WHERE h.studentusi = a.studentusi"))

    # -- special transport from the IEP ---------------------------------------------------------------
    ieps = conn.execute(text("SELECT iep_id, student_usi FROM specialed.iep WHERE iep_status = 'Active' "
                             "ORDER BY iep_id")).all()
    sped = ieps[:max(2, min(6, len(ctx.students) // 250))]
    c.copy("transportation.iep_transport", ("iep_id", "student_usi", "wheelchair", "equipment", "aide_required",
                                            "door_to_door"),
           [(iep, usi, i % 3 == 0, ["lift"] if i % 3 == 0 else (["harness"] if i % 3 == 1 else []), True, True)
            for i, (iep, usi) in enumerate(sped)])
    sped_usis = {usi for _i, usi in sped}

    # -- plans ------------------------------------------------------------------------------------------
    index = {key: rules.StopIndex([rules.StopChoice(sid, "", pos[sid], run)
                                   for (k, school, direction), run in corridor_run.items()
                                   if (school, direction) == key for sid in corridor_stops[k]], settings)
             for key in runs_of}
    grade_names = ("Kindergarten", "First grade", "Second grade", "Third grade", "Fourth grade", "Fifth grade",
                   "Sixth grade", "Seventh grade", "Eighth grade", "Ninth grade", "Tenth grade", "Eleventh grade",
                   "Twelfth grade")
    plans, legs, sped_stops, riders = [], [], [], []
    first_day = ctx.cal.first_day
    for s in ctx.students:
        sid = s.school.school_id
        home = family_home[s.family]
        grade = grade_names[s.grade] if s.grade < len(grade_names) else None
        aid = len(plans) + 1
        if s.usi in sped_usis:
            stop_id = len(stops) + len(sped_stops) + 1
            sped_stops.append((stop_id, f"Home of {s.last} family", f"{100 + s.family % 900} {N.STREETS[s.family % 22]}",
                               home.latitude, home.longitude, True))
            # the wheelchair and lift are the IEP's: they count while it is in force, not copied here
            plans.append((aid, s.usi, sped_route, stop_id, stop_id, first_day, "Special needs", True, sid,
                          rules.release_to_adult(grade, True), False, []))
            for direction, run in sped_runs.items():
                legs += [(aid, s.usi, d, direction, run, stop_id, None) for d in range(1, 6)]
            riders.append((s.usi, sped_runs["to_school"]))
            continue
        el = rules.eligibility(home, school_at.get(sid), grade, sid, settings)
        if not el.eligible or rng.random() < 0.06:  # walkers, and a few eligible students not yet assigned
            continue
        am = index[sid, "to_school"].nearest(home) if (sid, "to_school") in index else None
        pm = index[sid, "from_school"].nearest(home) if (sid, "from_school") in index else None
        if am is None or pm is None:
            continue
        plans.append((aid, s.usi, routes[runs[am[0].run_id - 1][1] - 1][0], am[0].stop_id, pm[0].stop_id, first_day,
                      "Regular", True, sid, rules.release_to_adult(grade, rng.random() < 0.01), False, []))
        for d in range(1, 6):
            legs.append((aid, s.usi, d, "to_school", am[0].run_id, am[0].stop_id, None))
            alt = None
            if d == 3 and rng.random() < 0.04:  # Wednesdays to a daycare or the other parent
                alt = rng.choice(("Little Acorns Daycare, 410 Pine St", "Other parent's home, 77 Willow Way",
                                  "Grandparents, 1208 Meadow Ln"))
            legs.append((aid, s.usi, d, "from_school", pm[0].run_id, pm[0].stop_id, alt))
        riders.append((s.usi, am[0].run_id))
        riders.append((s.usi, pm[0].run_id))
    # Each route's bus fits its busiest run (a few are made too small below, on purpose).
    used_by_run: dict[int, float] = {}
    grade_of = {s.usi: (grade_names[s.grade] if s.grade < len(grade_names) else None) for s in ctx.students}
    for _aid, usi, d, _dir, run, _stop, _alt in legs:
        if d == 1:
            used_by_run[run] = used_by_run.get(run, 0) + 1 / rules.band_of(grade_of.get(usi),
                                                                           rules.DEFAULT_BANDS).riders_per_seat
    used: dict[int, float] = {}  # route -> seats its busiest run fills
    for run, seats_used in used_by_run.items():
        used[runs[run - 1][1]] = max(used.get(runs[run - 1][1], 0), seats_used)
    buses = [(b[0], b[1], min(100, max(24, math.ceil(used.get(b[0], 0) / 2 * 1.15) * 2)), *b[3:])
             if b[0] != lift_bus else b for b in buses]
    c.copy("transportation.buses", ("bus_id", "bus_number", "seats", "wheelchair_positions", "equipment", "is_active"),
           buses)
    c.copy("transportation.bus_routes", ("route_id", "route_number", "route_description", "driver_name",
                                         "driver_license_number", "bus_number", "capacity", "is_active"), routes)
    c.copy("transportation.runs", ("run_id", "route_id", "run_kind", "direction", "bus_id", "driver_name", "aide_name",
                                   "is_active"), runs)
    c.copy("transportation.run_schools", ("run_id", "school_id", "bell_time", "school_time"), run_schools)
    c.copy("transportation.bus_stops", ("stop_id", "stop_name", "address", "latitude", "longitude", "is_active"),
           sped_stops)
    for direction, run in sped_runs.items():
        order = sped_stops if direction == "to_school" else sped_stops[::-1]
        first = time(7, 5) if direction == "to_school" else time(15, 40)
        for seq, st in enumerate(order, 1):
            run_stops.append((run, st[0], seq, _time(_secs(first) + (seq - 1) * 6 * 60), "Door to door: wait for the "
                              "adult at the door"))
    c.copy("transportation.run_stops", ("run_id", "stop_id", "stop_sequence", "planned_time", "turn_notes"), run_stops)
    c.copy("transportation.student_transportation", ("assignment_id", "student_usi", "route_id", "pickup_stop_id",
                                                     "dropoff_stop_id", "effective_date", "transportation_category",
                                                     "is_active", "school_id", "release_to_adult", "wheelchair",
                                                     "equipment_needed"), plans)
    c.copy("transportation.rider_legs", ("assignment_id", "student_usi", "day_of_week", "direction", "run_id",
                                         "stop_id", "alternate_address"), legs)

    # -- a few overloads waiting to be fixed: the fullest runs get a bus too small for them ---------------
    load_by_run: dict[int, int] = {}
    for _aid, _u, d, _dir, run, _stop, _alt in legs:
        if d == 1:
            load_by_run[run] = load_by_run.get(run, 0) + 1
    fullest = sorted((r for r in load_by_run if r not in sped_runs.values()), key=lambda r: -load_by_run[r])[:3]
    small = []
    for i, run in enumerate(fullest):
        bus_id = len(buses) + 1 + i
        seats = max(1, min(100, load_by_run[run] // 4))
        small.append((bus_id, f"S{i + 1}", seats, 0, [], True))
    c.copy("transportation.buses", ("bus_id", "bus_number", "seats", "wheelchair_positions", "equipment", "is_active"),
           small)
    for (bus_id, *_rest), run in zip(small, fullest):
        conn.execute(text("UPDATE transportation.runs SET bus_id = :b WHERE run_id = :r"), {"b": bus_id, "r": run})

    # -- temporary changes and ridership ------------------------------------------------------------------
    as_of = ctx.as_of
    notes = ("Staying with grandma this week", "Dad picks up after practice", "Going home with a friend, note on file",
             "Parent away: ride to aunt's stop")
    changes = []
    for i, (usi, run) in enumerate(riders[: 4 * 2: 2]):
        other = next((r for r in runs if r[2] == "PM" and r[0] != run + 1 and r[0] in
                      runs_of.get((_school_of(ctx, usi), "from_school"), [])), None)
        if i % 2 == 0 and other is not None:
            stop = next(s for r, s, *_x in run_stops if r == other[0])
            changes.append((usi, as_of, as_of + timedelta(days=4), "from_school", other[0], stop, None, notes[i]))
        else:
            changes.append((usi, as_of, as_of + timedelta(days=1), "both", None, None, None, notes[i]))
    c.copy("transportation.temporary_changes", ("student_usi", "start_date", "end_date", "direction", "run_id",
                                                "stop_id", "alternate_address", "parent_note"), changes)
    days = [d for d in ctx.days if d <= as_of][-10:]
    idle = {usi for usi, _r in riders[10:15]}
    c.copy("transportation.ridership", ("student_usi", "run_id", "ride_date", "scanned_at"),
           ((usi, run, d, datetime.combine(d, time(7, 30))) for d in days for usi, run in riders
            if usi not in idle and rng.random() < 0.93))
    for t, col in (("transportation.bus_routes", "route_id"), ("transportation.bus_stops", "stop_id"),
                   ("transportation.buses", "bus_id"), ("transportation.runs", "run_id"),
                   ("transportation.student_transportation", "assignment_id")):
        ctx.copier.sync_sequence(t, col)


def _school_of(ctx, usi: int) -> int:
    return ctx.students[usi - 1].school.school_id if 0 < usi <= len(ctx.students) else 0


def _ll(p: rules.Point) -> tuple[float, float]:
    return p.latitude, p.longitude


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _time(seconds: float) -> time:
    s = int(round(seconds)) % 86400
    return time(s // 3600, (s % 3600) // 60, s % 60)

