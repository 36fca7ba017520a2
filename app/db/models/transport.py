"""Bus assignments (issue 13): what the design document's transportation.bus_routes, bus_stops and
student_transportation lack, and Ed-Fi 5.2 StudentTransportation kept in step with them.

A route has runs (AM, PM, mid-day, activity), each with its bus, driver and aide, the schools it
serves with their bell times, and its stops in order with planned times. A student's plan
(student_transportation) has legs by day of week and direction (rider_legs); a parent's note
changes a date range (temporary_changes). Capacity rules and eligibility thresholds are data
(grade_bands, settings, hazard_zones). Migration 0013 creates these tables, their row-level
security, grants and triggers.
"""

from app.db.dsl import CK, FK, IX, UQ, C, table

DIRECTIONS = "('to_school', 'from_school')"

buses = table(
    "transportation", "buses", "Buses: seats, wheelchair positions and equipment of each vehicle",
    C("bus_id", "SERIAL"),
    C("bus_number", "VARCHAR(20)", nn=True, unique=True, comment="Number painted on the bus"),
    C("seats", "INTEGER", nn=True, comment="Bench seats (capacity depends on the riders' grades)"),
    C("wheelchair_positions", "INTEGER", nn=True, default="0", comment="Wheelchair tie-down positions"),
    C("equipment", "TEXT[]", nn=True, default="'{}'::text[]", comment="lift, car seat, harness"),
    C("is_active", "BOOLEAN", nn=True, default="true"),
    C("request_id", "UUID", comment="The form's request id: a repeated submit finds this bus"),
    IX("ux_buses_request_id", "request_id", unique=True),
    CK("seats > 0 AND seats <= 100", "seats"),
    CK("wheelchair_positions >= 0", "wheelchair_positions"),
    CK("equipment <@ ARRAY['lift', 'car seat', 'harness']::text[]", "equipment"),
    pk=("bus_id",),
)

grade_bands = table(
    "transportation", "grade_bands", "Capacity and eligibility rules by grade band",
    C("band", "VARCHAR(20)"),
    C("label", "VARCHAR(60)", nn=True),
    C("grade_levels", "TEXT[]", nn=True, comment="GradeLevelDescriptor code values in the band"),
    C("riders_per_seat", "SMALLINT", nn=True, comment="3 elementary, 2 high school by default"),
    C("eligibility_miles", "DECIMAL(5,2)", nn=True, comment="Riders live at least this far (route distance)"),
    C("sort_order", "SMALLINT", nn=True, default="0"),
    CK("riders_per_seat BETWEEN 1 AND 4", "riders_per_seat"),
    CK("eligibility_miles >= 0", "eligibility_miles"),
    pk=("band",),
)

settings = table(
    "transportation", "settings", "Eligibility and timing settings of the district (one row)",
    C("settings_id", "BOOLEAN", default="true"),
    C("distance_factor", "DECIMAL(4,2)", nn=True, default="1.30",
      comment="Straight-line distance times this approximates the road distance"),
    C("walking_limit_miles", "DECIMAL(4,2)", nn=True, default="0.50", comment="Farthest walk to a stop"),
    C("speed_mph", "DECIMAL(4,1)", nn=True, default="20.0", comment="Average bus speed between stops"),
    C("stop_seconds", "INTEGER", nn=True, default="20", comment="Time to stop and open the door"),
    C("load_seconds_per_rider", "INTEGER", nn=True, default="8", comment="Boarding time per rider"),
    C("edfi_synced_on", "DATE",
      comment="Last day Ed-Fi StudentTransportation was re-derived for plans and IEPs that began or ended"),
    CK("settings_id", "one_row"),
    CK("walking_limit_miles > 0 AND walking_limit_miles <= 5", "walking_limit"),
    CK("stop_seconds BETWEEN 0 AND 600 AND load_seconds_per_rider BETWEEN 0 AND 120", "times"),
    CK("distance_factor BETWEEN 1 AND 3", "distance_factor"),
    CK("speed_mph > 0 AND speed_mph <= 70", "speed_mph"),
    pk=("settings_id",),
)

hazard_zones = table(
    "transportation", "hazard_zones", "Areas whose walk to school is unsafe: riders there are eligible at any distance",
    C("zone_id", "SERIAL"),
    C("zone_name", "VARCHAR(200)", nn=True),
    C("latitude", "DECIMAL(10,8)", nn=True),
    C("longitude", "DECIMAL(11,8)", nn=True),
    C("radius_miles", "DECIMAL(5,2)", nn=True),
    C("school_id", "BIGINT", comment="Only for this school's riders (none: every school)"),
    C("request_id", "UUID", comment="The form's request id: a repeated submit finds this zone"),
    IX("ux_hazard_zones_request_id", "request_id", unique=True),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    CK("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", "position"),
    CK("radius_miles > 0 AND radius_miles <= 25", "radius"),
    pk=("zone_id",),
)

runs = table(
    "transportation", "runs", "Runs of a route: AM, PM, mid-day or activity, with bus, driver and aide",
    C("run_id", "SERIAL"),
    C("route_id", "INTEGER", nn=True),
    C("run_kind", "VARCHAR(10)", nn=True, comment="AM, PM, Midday, Activity"),
    C("direction", "VARCHAR(12)", nn=True, comment="to_school or from_school"),
    C("bus_id", "INTEGER"),
    C("driver_name", "VARCHAR(200)"),
    C("aide_name", "VARCHAR(200)"),
    C("is_active", "BOOLEAN", nn=True, default="true"),
    FK(("route_id",), "transportation.bus_routes", ("route_id",)),
    FK(("bus_id",), "transportation.buses", ("bus_id",)),
    UQ("route_id", "run_kind"),
    CK("run_kind IN ('AM', 'PM', 'Midday', 'Activity')", "run_kind"),
    CK(f"direction IN {DIRECTIONS}", "direction"),
    pk=("run_id",),
)

run_schools = table(
    "transportation", "run_schools", "Schools a run serves, with the bell time and the bus's time at the school",
    C("run_id", "INTEGER"),
    C("school_id", "BIGINT"),
    C("bell_time", "TIME", nn=True, comment="First bell (to school) or dismissal (from school)"),
    C("school_time", "TIME", nn=True, comment="Bus arrives (to school) or leaves (from school)"),
    FK(("run_id",), "transportation.runs", ("run_id",), ondelete="CASCADE"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    pk=("run_id", "school_id"),
)

run_stops = table(
    "transportation", "run_stops", "Stops of a run in order, with planned times and turn notes",
    C("run_stop_id", "SERIAL"),
    C("run_id", "INTEGER", nn=True),
    C("stop_id", "INTEGER", nn=True),
    C("stop_sequence", "SMALLINT", nn=True),
    C("planned_time", "TIME", nn=True),
    C("turn_notes", "VARCHAR(500)", comment="For a substitute driver: how to reach the next stop"),
    FK(("run_id",), "transportation.runs", ("run_id",), ondelete="CASCADE"),
    FK(("stop_id",), "transportation.bus_stops", ("stop_id",)),
    UQ("run_id", "stop_sequence"),
    UQ("run_id", "stop_id"),
    CK("stop_sequence > 0", "stop_sequence"),
    pk=("run_stop_id",),
)

rider_legs = table(
    "transportation", "rider_legs", "A student's plan by day of week and direction: run, stop, alternate address",
    C("leg_id", "BIGSERIAL"),
    C("assignment_id", "BIGINT", nn=True),
    C("student_usi", "INTEGER", nn=True),
    C("day_of_week", "SMALLINT", nn=True, comment="ISO: 1 Monday ... 7 Sunday"),
    C("direction", "VARCHAR(12)", nn=True),
    C("run_id", "INTEGER", nn=True),
    C("stop_id", "INTEGER", nn=True),
    C("alternate_address", "VARCHAR(500)", comment="Daycare, another parent: this day's address"),
    FK(("assignment_id",), "transportation.student_transportation", ("assignment_id",), ondelete="CASCADE"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    FK(("run_id",), "transportation.runs", ("run_id",)),
    FK(("stop_id",), "transportation.bus_stops", ("stop_id",)),
    UQ("assignment_id", "day_of_week", "direction"),
    IX("ix_rider_legs_run_day", "run_id", "day_of_week"),
    IX("ix_rider_legs_student_usi", "student_usi"),
    CK("day_of_week BETWEEN 1 AND 7", "day_of_week"),
    CK(f"direction IN {DIRECTIONS}", "direction"),
    pk=("leg_id",),
)

temporary_changes = table(
    "transportation", "temporary_changes", "A parent's note changing the ride for a date range",
    C("change_id", "BIGSERIAL"),
    C("student_usi", "INTEGER", nn=True),
    C("start_date", "DATE", nn=True),
    C("end_date", "DATE", nn=True),
    C("direction", "VARCHAR(12)", nn=True, comment="to_school, from_school or both"),
    C("run_id", "INTEGER", comment="None: the student does not ride"),
    C("stop_id", "INTEGER"),
    C("alternate_address", "VARCHAR(500)"),
    C("parent_note", "VARCHAR(500)", nn=True),
    C("created_by", "VARCHAR(100)", nn=True, default="session_user"),
    C("created_at", "TIMESTAMP", nn=True, default="CURRENT_TIMESTAMP"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    FK(("run_id",), "transportation.runs", ("run_id",)),
    FK(("stop_id",), "transportation.bus_stops", ("stop_id",)),
    IX("ix_temporary_changes_dates", "start_date", "end_date"),
    IX("ix_temporary_changes_student_usi", "student_usi"),
    CK("end_date >= start_date", "dates"),
    CK("direction IN ('to_school', 'from_school', 'both')", "direction"),
    CK("(run_id IS NULL) = (stop_id IS NULL)", "run_stop"),
    pk=("change_id",),
)

ridership = table(
    "transportation", "ridership", "Who boarded which run on which day (when the bus records it)",
    C("student_usi", "INTEGER"),
    C("run_id", "INTEGER"),
    C("ride_date", "DATE"),
    C("scanned_at", "TIMESTAMP", nn=True, default="CURRENT_TIMESTAMP"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    FK(("run_id",), "transportation.runs", ("run_id",)),
    IX("ix_ridership_run_date", "run_id", "ride_date"),
    pk=("student_usi", "run_id", "ride_date"),
)

iep_transport = table(
    "transportation", "iep_transport", "Special-education transportation an IEP requires, with its equipment",
    C("iep_id", "BIGINT"),
    C("student_usi", "INTEGER", nn=True),
    C("wheelchair", "BOOLEAN", nn=True, default="false"),
    C("equipment", "TEXT[]", nn=True, default="'{}'::text[]", comment="lift, car seat, harness"),
    C("aide_required", "BOOLEAN", nn=True, default="false"),
    C("door_to_door", "BOOLEAN", nn=True, default="true"),
    FK(("iep_id",), "specialed.iep", ("iep_id",)),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    CK("equipment <@ ARRAY['lift', 'car seat', 'harness']::text[]", "equipment"),
    pk=("iep_id",),
)

# -- Ed-Fi 5.2 StudentTransportation, kept in step with the plans by trigger (migration 0013) ------
studenttransportation = table(
    "edfi", "studenttransportation", "Ed-Fi StudentTransportation: a student's current transportation",
    C("studentusi", "INT"),
    C("transportationeducationorganizationid", "BIGINT"),
    C("specialaccomodationrequirements", "VARCHAR(1024)"),
    C("transportationpublicexpenseeligibilitytypedescriptorid", "INT"),
    C("transportationtypedescriptorid", "INT"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("transportationeducationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("transportationpublicexpenseeligibilitytypedescriptorid",),
       "edfi.transportationpublicexpenseeligibilitytypedescriptor",
       ("transportationpublicexpenseeligibilitytypedescriptorid",)),
    FK(("transportationtypedescriptorid",), "edfi.transportationtypedescriptor", ("transportationtypedescriptorid",)),
    pk=("studentusi", "transportationeducationorganizationid"),
    kind="root",
)

_ST_KEY = ("studentusi", "transportationeducationorganizationid")

studenttransportationstudentbusdetails = table(
    "edfi", "studenttransportationstudentbusdetails", "Ed-Fi StudentBusDetails of a StudentTransportation",
    C("studentusi", "INT"),
    C("transportationeducationorganizationid", "BIGINT"),
    C("busnumber", "VARCHAR(36)", nn=True),
    C("busroutedescriptorid", "INT", nn=True),
    C("mileage", "DECIMAL(5,2)"),
    FK(_ST_KEY, "edfi.studenttransportation", _ST_KEY, ondelete="CASCADE"),
    FK(("busroutedescriptorid",), "edfi.busroutedescriptor", ("busroutedescriptorid",)),
    pk=_ST_KEY,
    kind="child",
)

studenttransportationstudentbusdetailstraveldayofweek = table(
    "edfi", "studenttransportationstudentbusdetailstraveldayofweek", None,
    C("studentusi", "INT"),
    C("transportationeducationorganizationid", "BIGINT"),
    C("traveldayofweekdescriptorid", "INT"),
    FK(_ST_KEY, "edfi.studenttransportationstudentbusdetails", _ST_KEY, ondelete="CASCADE"),
    FK(("traveldayofweekdescriptorid",), "edfi.traveldayofweekdescriptor", ("traveldayofweekdescriptorid",)),
    pk=(*_ST_KEY, "traveldayofweekdescriptorid"),
    kind="child",
)

studenttransportationstudentbusdetailstraveldirection = table(
    "edfi", "studenttransportationstudentbusdetailstraveldirection", None,
    C("studentusi", "INT"),
    C("transportationeducationorganizationid", "BIGINT"),
    C("traveldirectiondescriptorid", "INT"),
    FK(_ST_KEY, "edfi.studenttransportationstudentbusdetails", _ST_KEY, ondelete="CASCADE"),
    FK(("traveldirectiondescriptorid",), "edfi.traveldirectiondescriptor", ("traveldirectiondescriptorid",)),
    pk=(*_ST_KEY, "traveldirectiondescriptorid"),
    kind="child",
)
