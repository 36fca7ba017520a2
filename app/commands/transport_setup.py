"""`school-office-admin transport route|bus|run|bell|hazard|settings|band|iep-needs|sync-edfi`: the
bus desk's set-up where an IT person scripts it (a new school year's routes from a spreadsheet, a
bus replaced overnight). Each command is one transaction through the same services as the desk,
so bad input gets the desk's one sentence and nothing is half-saved. Run as the schema owner.

    school-office-admin transport route save "Route 21" --description "North loop" --runs AM PM Activity
    school-office-admin transport bus save 21 --seats 24 --wheelchair 2 --equipment lift harness
    school-office-admin transport run set "Route 21 AM" --bus 21 --driver "Pat Lee"
    school-office-admin transport bell set "Route 21 AM" --school 255950001 --bell 07:45 --at-school 07:35
    school-office-admin transport hazard save "Highway 71 crossing" --lat 30.27 --lon -97.74 --radius 0.3
    school-office-admin transport settings --speed 22 --walking-limit 0.4
    school-office-admin transport band elementary --miles 1.0 --per-seat 3
"""

from __future__ import annotations

from datetime import date

from app.errors import UserError


def add_setup_commands(sub) -> None:
    route = sub.add_parser("route", help="create, rename or retire a route and choose its runs")
    rs = route.add_subparsers(dest="action", required=True)
    p = rs.add_parser("save", help="create the route, or update it if the number exists")
    p.add_argument("number", help='"Route 21"')
    p.add_argument("--new-number", default=None, help="rename the route")
    p.add_argument("--description", default=None)
    p.add_argument("--runs", nargs="+", default=None, metavar="KIND", help="AM PM Midday Activity (default: AM PM)")
    p.set_defaults(func=cmd_route_save)
    p = rs.add_parser("retire", help="take the route out of service (refused while anyone rides it)")
    p.add_argument("number")
    p.set_defaults(func=cmd_route_retire)

    bus = sub.add_parser("bus", help="a bus: seats, wheelchair positions, equipment")
    bs = bus.add_subparsers(dest="action", required=True)
    p = bs.add_parser("save", help="create the bus, or change it if the number exists")
    p.add_argument("number")
    p.add_argument("--seats", type=int, required=True, help="bench seats (1 to 100)")
    p.add_argument("--wheelchair", type=int, default=0, help="wheelchair positions (0 to 10)")
    p.add_argument("--equipment", nargs="*", default=[], help='lift, "car seat", harness')
    p.set_defaults(func=cmd_bus_save)
    p = bs.add_parser("retire", help="take the bus out of service (refused while it drives a run)")
    p.add_argument("number")
    p.set_defaults(func=cmd_bus_retire)

    run = sub.add_parser("run", help="a run's bus, driver, aide and direction")
    us = run.add_subparsers(dest="action", required=True)
    p = us.add_parser("set")
    p.add_argument("run", help='"Route 21 AM"')
    p.add_argument("--bus", default=None, help='the bus number; "none" takes the bus off the run')
    p.add_argument("--driver", default=None)
    p.add_argument("--aide", default=None)
    p.add_argument("--direction", choices=("to_school", "from_school"), default=None)
    p.set_defaults(func=cmd_run_set)

    bell = sub.add_parser("bell", help="the schools a run serves, with bell times")
    bl = bell.add_subparsers(dest="action", required=True)
    p = bl.add_parser("set")
    p.add_argument("run")
    p.add_argument("--school", required=True, help="school id or name")
    p.add_argument("--bell", required=True, help="first bell or dismissal, 07:45")
    p.add_argument("--at-school", required=True, help="when the bus arrives at (or leaves) the school")
    p.set_defaults(func=cmd_bell_set)
    p = bl.add_parser("remove")
    p.add_argument("run")
    p.add_argument("--school", required=True)
    p.set_defaults(func=cmd_bell_remove)

    hz = sub.add_parser("hazard", help="hazard zones: riders living there are eligible at any distance")
    hs = hz.add_subparsers(dest="action", required=True)
    p = hs.add_parser("save", help="create the zone, or change it if the name exists")
    p.add_argument("name")
    p.add_argument("--lat", type=float, required=True)
    p.add_argument("--lon", type=float, required=True)
    p.add_argument("--radius", type=float, required=True, help="miles")
    p.add_argument("--school", default=None, help="only this school's riders (default: every school)")
    p.set_defaults(func=cmd_hazard_save)
    p = hs.add_parser("remove")
    p.add_argument("name")
    p.set_defaults(func=cmd_hazard_remove)

    st = sub.add_parser("settings", help="speed, stop and boarding time, walking limit, distance factor")
    for flag, what in (("--distance-factor", "straight line x this = road distance (1 to 3)"),
                       ("--walking-limit", "miles to a stop"), ("--speed", "miles per hour"),
                       ("--stop-seconds", "seconds per stop"), ("--load-seconds", "boarding seconds per rider")):
        st.add_argument(flag, default=None, help=what)
    st.set_defaults(func=cmd_settings)
    p = sub.add_parser("band", help="a grade band's eligibility distance and riders per seat")
    p.add_argument("band", help="elementary, middle or high")
    p.add_argument("--miles", default=None)
    p.add_argument("--per-seat", default=None)
    p.add_argument("--overload", action="store_true", help="save even if runs become overloaded")
    p.set_defaults(func=cmd_band)

    p = sub.add_parser("iep-needs", help="the transport an IEP requires (special education keeps it)")
    p.add_argument("iep", help="the IEP number")
    p.add_argument("--wheelchair", action="store_true")
    p.add_argument("--equipment", nargs="*", default=[], help='lift, "car seat", harness')
    p.add_argument("--aide", action="store_true")
    p.add_argument("--door-to-door", action="store_true")
    p.add_argument("--remove", action="store_true", help="the IEP no longer requires special transport")
    p.set_defaults(func=cmd_iep_needs)

    p = sub.add_parser("sync-edfi", help="re-derive Ed-Fi StudentTransportation now (the desk does it daily)")
    p.set_defaults(func=cmd_sync_edfi)


def _in_transaction(work) -> int:
    from app.cli import _platform

    with _platform(None, migrate=False, start_dynamo=False) as platform:
        with platform.engine.begin() as c:
            said = work(c)
    print(said)
    return 0


def _bus_id(c, number: str) -> int | None:
    """The bus in service with that number, or None."""
    from sqlalchemy import text
    return c.execute(text("SELECT bus_id FROM transportation.buses WHERE bus_number = :n AND is_active"),
                     {"n": number.strip()}).scalar()


def _zone_id(c, name: str) -> int | None:
    """The hazard zone with that name (the oldest when two share it), or None."""
    from sqlalchemy import text
    return c.execute(text("SELECT zone_id FROM transportation.hazard_zones WHERE zone_name = :n ORDER BY 1 LIMIT 1"),
                     {"n": name.strip()}).scalar()


def _run_id(c, name: str) -> int:
    from sqlalchemy import text

    rid = c.execute(text("SELECT u.run_id FROM transportation.runs u JOIN transportation.bus_routes r "
                         "ON r.route_id = u.route_id WHERE r.route_number || ' ' || u.run_kind = :n AND u.is_active"),
                    {"n": name.strip()}).scalar()
    if rid is None:
        raise UserError(f"There is no active run called \"{name}\"; name it as the desk does, e.g. \"Route 5 AM\".")
    return rid


def _school_id(c, typed: str) -> int:
    from sqlalchemy import text

    found = c.execute(text("SELECT s.schoolid FROM edfi.school s JOIN edfi.educationorganization eo "
                           "ON eo.educationorganizationid = s.schoolid WHERE s.schoolid::text = :t "
                           "OR eo.nameofinstitution ILIKE :t OR eo.shortnameofinstitution ILIKE :t"),
                      {"t": typed.strip()}).scalars().all()
    if len(found) != 1:
        raise UserError(f"No single school is \"{typed}\"; give the school id or its full name.")
    return found[0]


def _time(typed: str, field: str):
    from app.domain.typed_input import parse_time

    t = parse_time(typed, field)
    if t is None:
        raise UserError(f"{field} is empty; type it as 7:45 or 2:50 PM.")
    return t


def cmd_route_save(args) -> int:
    from sqlalchemy import text

    from app.services.transport import setup

    def work(c):
        row = c.execute(text("SELECT route_id, route_description FROM transportation.bus_routes "
                             "WHERE route_number = :n AND is_active"), {"n": args.number.strip()}).first()
        if args.runs:
            kinds = tuple(args.runs)
        elif row:
            kinds = tuple(c.execute(text("SELECT run_kind FROM transportation.runs WHERE route_id = :r AND is_active "
                                         "ORDER BY run_id"), {"r": row[0]}).scalars())
        else:
            kinds = ("AM", "PM")
        desc = args.description if args.description is not None else (row[1] or "" if row else "")
        setup.save_route(c, row[0] if row else None, args.new_number or args.number, desc, kinds)
        return (f"{'Updated' if row else 'Created'} {args.new_number or args.number.strip()} with runs "
                f"{', '.join(kinds)}.")
    return _in_transaction(work)


def cmd_route_retire(args) -> int:
    from sqlalchemy import text

    from app.services.transport import setup

    def work(c):
        rid = c.execute(text("SELECT route_id FROM transportation.bus_routes WHERE route_number = :n AND is_active"),
                        {"n": args.number.strip()}).scalar()
        if rid is None:
            raise UserError(f"There is no active route called \"{args.number}\"; check the number.")
        setup.retire_route(c, rid)
        return f"Retired {args.number.strip()}."
    return _in_transaction(work)


def cmd_bus_save(args) -> int:
    from app.services.transport import setup

    def work(c):
        bus_id = _bus_id(c, args.number)
        setup.save_bus(c, bus_id, args.number, args.seats, args.wheelchair, tuple(args.equipment))
        return f"{'Updated' if bus_id else 'Created'} bus {args.number.strip()}: {args.seats} seats."
    return _in_transaction(work)


def cmd_bus_retire(args) -> int:
    from app.services.transport import setup

    def work(c):
        bus_id = _bus_id(c, args.number)
        if bus_id is None:
            raise UserError(f"There is no bus \"{args.number}\" in service; check the number.")
        setup.retire_bus(c, bus_id)
        return f"Retired bus {args.number.strip()}."
    return _in_transaction(work)


def cmd_run_set(args) -> int:
    from sqlalchemy import text

    from app.services.transport import routes, setup

    def work(c):
        run_id = _run_id(c, args.run)
        bus_id, driver, aide = c.execute(text("SELECT bus_id, coalesce(driver_name, ''), coalesce(aide_name, '') "
                                              "FROM transportation.runs WHERE run_id = :r"), {"r": run_id}).one()
        if args.bus is not None:
            bus_id = None if args.bus.strip().lower() == "none" else _bus_id(c, args.bus)
            if bus_id is None and args.bus.strip().lower() != "none":
                raise UserError(f"There is no bus \"{args.bus}\" in service; create it with \"transport bus save\".")
        if args.direction:
            setup.set_run_direction(c, run_id, args.direction)
        routes.save_run(c, run_id, bus_id, args.driver if args.driver is not None else driver,
                        args.aide if args.aide is not None else aide)
        return f"Saved {args.run.strip()}."
    return _in_transaction(work)


def cmd_bell_set(args) -> int:
    from app.services.transport import setup

    def work(c):
        setup.set_run_school(c, _run_id(c, args.run), _school_id(c, args.school), _time(args.bell, "Bell time"),
                             _time(args.at_school, "Time at the school"))
        return f"{args.run.strip()} serves {args.school.strip()}: bell {args.bell}, bus at the school {args.at_school}."
    return _in_transaction(work)


def cmd_bell_remove(args) -> int:
    from app.services.transport import setup

    def work(c):
        setup.remove_run_school(c, _run_id(c, args.run), _school_id(c, args.school))
        return f"{args.run.strip()} no longer serves {args.school.strip()}."
    return _in_transaction(work)


def cmd_hazard_save(args) -> int:
    from app.services.transport import setup

    def work(c):
        zone = _zone_id(c, args.name)
        school = _school_id(c, args.school) if args.school else None
        setup.save_zone(c, zone, args.name, args.lat, args.lon, args.radius, school)
        return f"{'Updated' if zone else 'Created'} hazard zone {args.name.strip()}."
    return _in_transaction(work)


def cmd_hazard_remove(args) -> int:
    from app.services.transport import setup

    def work(c):
        zone = _zone_id(c, args.name)
        if zone is None:
            raise UserError(f"There is no hazard zone called \"{args.name}\"; check the name.")
        setup.remove_zone(c, zone)
        return f"Removed hazard zone {args.name.strip()}."
    return _in_transaction(work)


def cmd_settings(args) -> int:
    from dataclasses import replace

    from app.services.transport import setup
    from app.services.transport.common import load_rules

    def work(c):
        s = load_rules(c).settings
        changes = {k: v for k, v in (("distance_factor", args.distance_factor), ("walking_limit_miles", args.walking_limit),
                                     ("speed_mph", args.speed), ("stop_seconds", args.stop_seconds),
                                     ("load_seconds_per_rider", args.load_seconds)) if v is not None}
        labels = {"distance_factor": ("The distance factor", 1, 3, "a factor", False),
                  "walking_limit_miles": ("The walking limit", 0.05, 5, "miles", False),
                  "speed_mph": ("The bus speed", 1, 70, "miles per hour", False),
                  "stop_seconds": ("The stop time", 0, 600, "seconds", True),
                  "load_seconds_per_rider": ("The boarding time per rider", 0, 120, "seconds", True)}
        typed = {k: setup.number(v, *labels[k][:4], whole=labels[k][4]) for k, v in changes.items()}
        new = replace(s, **typed)
        setup.save_settings(c, new)
        return (f"Settings: distance factor {new.distance_factor:g}, walking limit {new.walking_limit_miles:g} mi, "
                f"speed {new.speed_mph:g} mph, stop {new.stop_seconds} s, boarding {new.load_seconds_per_rider} s "
                "per rider.")
    return _in_transaction(work)


def cmd_band(args) -> int:
    from app.services.transport import setup

    def work(c):
        row = next((b for b in setup.setup_data(c).bands if b.band == args.band), None)
        if row is None:
            raise UserError(f"Grade band \"{args.band}\" is not on file; choose elementary, middle or high.")
        setup.save_band(c, args.band, args.per_seat if args.per_seat is not None else row.riders_per_seat,
                        args.miles if args.miles is not None else row.eligibility_miles,
                        confirm_overload=args.overload)
        return f"Saved grade band {args.band}."
    return _in_transaction(work)


def cmd_iep_needs(args) -> int:
    from sqlalchemy import text

    from app.services.transport import iep_needs

    def work(c):
        iep_id = c.execute(text("SELECT iep_id FROM specialed.iep WHERE iep_number = :n"), {"n": args.iep.strip()}
                           ).scalar()
        if iep_id is None:
            raise UserError(f"There is no IEP numbered \"{args.iep}\"; check the number.")
        if args.remove:
            iep_needs.remove_iep_transport(c, iep_id)
            return f"{args.iep.strip()} no longer requires special transport."
        iep_needs.record_iep_transport(c, iep_id, args.wheelchair, tuple(args.equipment), args.aide, args.door_to_door)
        return f"Saved the bus needs of {args.iep.strip()}."
    return _in_transaction(work)


def cmd_sync_edfi(args) -> int:
    from app.services.transport import setup

    def work(c):
        n = setup.refresh_edfi(c, force=True)
        return f"Ed-Fi StudentTransportation re-derived for {n} students as of {date.today():%m/%d/%Y}."
    return _in_transaction(work)
