"""Bus assignments (issue 13): runs, ordered stops, schools and bell times, buses, capacity and
eligibility rules as data, riders by day of week and direction, temporary changes, ridership,
the special transport an IEP requires, and Ed-Fi 5.2 StudentTransportation kept in step

- Tables: see app/db/models/transport.py; student_transportation gains the school it serves,
  the release-to-a-designated-adult flag, a wheelchair flag and the equipment the rider needs.
- Row-level security: rider tables follow the student like every student table (0007); the
  coordinator (district assignment) sees the district, the front office its own schools, read only.
- The coordinator reads a student's home address (for eligibility and stop suggestions), the
  allergy flags (0002/0007) and the IEP's transport needs, never health notes or the IEP itself.
- Triggers, so that every client keeps the rules: a withdrawal or transfer ends the student's
  bus plans and temporary changes on the exit date in the same transaction; every change to a
  plan rewrites the student's Ed-Fi StudentTransportation rows; every route has its Ed-Fi
  BusRouteDescriptor.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SCOPED = ("EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = {col} "
          "AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]) OFFSET 0)")
ROUTE_NAMESPACE = "uri://school-office.local/BusRouteDescriptor"

# table -> (student column, roles that read, roles that write)
STUDENT_TABLES = {
    "transportation.rider_legs": ("student_usi", "so_front_office", "so_transportation"),
    "transportation.temporary_changes": ("student_usi", "so_front_office", "so_transportation"),
    "transportation.ridership": ("student_usi", "so_front_office", "so_transportation"),
    "transportation.iep_transport": ("student_usi", "so_transportation", "so_nurse"),
    "edfi.studenttransportation": ("studentusi", "so_transportation, so_front_office, so_registrar", None),
    "edfi.studenttransportationstudentbusdetails": ("studentusi", "so_transportation, so_front_office, so_registrar",
                                                    None),
    "edfi.studenttransportationstudentbusdetailstraveldayofweek": (
        "studentusi", "so_transportation, so_front_office, so_registrar", None),
    "edfi.studenttransportationstudentbusdetailstraveldirection": (
        "studentusi", "so_transportation, so_front_office, so_registrar", None),
}
REFERENCE_TABLES = ("transportation.buses", "transportation.grade_bands", "transportation.hazard_zones",
                    "transportation.runs", "transportation.run_schools", "transportation.run_stops")


def _create_tables() -> None:
    op.create_table('buses',
    sa.Column('bus_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('bus_number', sa.String(length=20), autoincrement=False, nullable=False, comment='Number painted on the bus'),
    sa.Column('seats', sa.Integer(), autoincrement=False, nullable=False, comment="Bench seats (capacity depends on the riders' grades)"),
    sa.Column('wheelchair_positions', sa.Integer(), server_default=sa.text('0'), autoincrement=False, nullable=False, comment='Wheelchair tie-down positions'),
    sa.Column('equipment', postgresql.ARRAY(Text()), server_default=sa.text("'{}'::text[]"), autoincrement=False, nullable=False, comment='lift, car seat, harness'),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), autoincrement=False, nullable=False),
    sa.CheckConstraint("equipment <@ ARRAY['lift', 'car seat', 'harness']::text[]", name=op.f('ck_buses_equipment')),
    sa.CheckConstraint('seats > 0 AND seats <= 100', name=op.f('ck_buses_seats')),
    sa.CheckConstraint('wheelchair_positions >= 0', name=op.f('ck_buses_wheelchair_positions')),
    sa.PrimaryKeyConstraint('bus_id', name=op.f('pk_buses')),
    sa.UniqueConstraint('bus_number', name=op.f('uq_buses_bus_number')),
    schema='transportation',
    comment='Buses: seats, wheelchair positions and equipment of each vehicle'
    )
    op.create_table('grade_bands',
    sa.Column('band', sa.String(length=20), autoincrement=False, nullable=False),
    sa.Column('label', sa.String(length=60), autoincrement=False, nullable=False),
    sa.Column('grade_levels', postgresql.ARRAY(Text()), autoincrement=False, nullable=False, comment='GradeLevelDescriptor code values in the band'),
    sa.Column('riders_per_seat', sa.SmallInteger(), autoincrement=False, nullable=False, comment='3 elementary, 2 high school by default'),
    sa.Column('eligibility_miles', sa.Numeric(precision=5, scale=2), autoincrement=False, nullable=False, comment='Riders live at least this far (route distance)'),
    sa.Column('sort_order', sa.SmallInteger(), server_default=sa.text('0'), autoincrement=False, nullable=False),
    sa.CheckConstraint('eligibility_miles >= 0', name=op.f('ck_grade_bands_eligibility_miles')),
    sa.CheckConstraint('riders_per_seat BETWEEN 1 AND 4', name=op.f('ck_grade_bands_riders_per_seat')),
    sa.PrimaryKeyConstraint('band', name=op.f('pk_grade_bands')),
    schema='transportation',
    comment='Capacity and eligibility rules by grade band'
    )
    op.create_table('settings',
    sa.Column('settings_id', sa.Boolean(), server_default=sa.text('true'), autoincrement=False, nullable=False),
    sa.Column('distance_factor', sa.Numeric(precision=4, scale=2), server_default=sa.text('1.30'), autoincrement=False, nullable=False, comment='Straight-line distance times this approximates the road distance'),
    sa.Column('walking_limit_miles', sa.Numeric(precision=4, scale=2), server_default=sa.text('0.50'), autoincrement=False, nullable=False, comment='Farthest walk to a stop'),
    sa.Column('speed_mph', sa.Numeric(precision=4, scale=1), server_default=sa.text('20.0'), autoincrement=False, nullable=False, comment='Average bus speed between stops'),
    sa.Column('stop_seconds', sa.Integer(), server_default=sa.text('20'), autoincrement=False, nullable=False, comment='Time to stop and open the door'),
    sa.Column('load_seconds_per_rider', sa.Integer(), server_default=sa.text('8'), autoincrement=False, nullable=False, comment='Boarding time per rider'),
    sa.CheckConstraint('distance_factor BETWEEN 1 AND 3', name=op.f('ck_settings_distance_factor')),
    sa.CheckConstraint('settings_id', name=op.f('ck_settings_one_row')),
    sa.CheckConstraint('speed_mph > 0 AND speed_mph <= 70', name=op.f('ck_settings_speed_mph')),
    sa.PrimaryKeyConstraint('settings_id', name=op.f('pk_settings')),
    schema='transportation',
    comment='Eligibility and timing settings of the district (one row)'
    )
    op.create_table('runs',
    sa.Column('run_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('route_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('run_kind', sa.String(length=10), autoincrement=False, nullable=False, comment='AM, PM, Midday, Activity'),
    sa.Column('direction', sa.String(length=12), autoincrement=False, nullable=False, comment='to_school or from_school'),
    sa.Column('bus_id', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('driver_name', sa.String(length=200), autoincrement=False, nullable=True),
    sa.Column('aide_name', sa.String(length=200), autoincrement=False, nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), autoincrement=False, nullable=False),
    sa.CheckConstraint("direction IN ('to_school', 'from_school')", name=op.f('ck_runs_direction')),
    sa.CheckConstraint("run_kind IN ('AM', 'PM', 'Midday', 'Activity')", name=op.f('ck_runs_run_kind')),
    sa.ForeignKeyConstraint(['bus_id'], ['transportation.buses.bus_id'], name=op.f('fk_runs_bus_id_buses')),
    sa.ForeignKeyConstraint(['route_id'], ['transportation.bus_routes.route_id'], name=op.f('fk_runs_route_id_bus_routes')),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_runs')),
    sa.UniqueConstraint('route_id', 'run_kind', name=op.f('uq_runs_route_id_run_kind')),
    schema='transportation',
    comment='Runs of a route: AM, PM, mid-day or activity, with bus, driver and aide'
    )
    op.create_table('run_stops',
    sa.Column('run_stop_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stop_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stop_sequence', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('planned_time', sa.Time(), autoincrement=False, nullable=False),
    sa.Column('turn_notes', sa.String(length=500), autoincrement=False, nullable=True, comment='For a substitute driver: how to reach the next stop'),
    sa.CheckConstraint('stop_sequence > 0', name=op.f('ck_run_stops_stop_sequence')),
    sa.ForeignKeyConstraint(['run_id'], ['transportation.runs.run_id'], name=op.f('fk_run_stops_run_id_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stop_id'], ['transportation.bus_stops.stop_id'], name=op.f('fk_run_stops_stop_id_bus_stops')),
    sa.PrimaryKeyConstraint('run_stop_id', name=op.f('pk_run_stops')),
    sa.UniqueConstraint('run_id', 'stop_id', name=op.f('uq_run_stops_run_id_stop_id')),
    sa.UniqueConstraint('run_id', 'stop_sequence', name=op.f('uq_run_stops_run_id_stop_sequence')),
    schema='transportation',
    comment='Stops of a run in order, with planned times and turn notes'
    )
    op.create_table('studenttransportation',
    sa.Column('studentusi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('transportationeducationorganizationid', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('specialaccomodationrequirements', sa.String(length=1024), autoincrement=False, nullable=True),
    sa.Column('transportationpublicexpenseeligibilitytypedescriptorid', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('transportationtypedescriptorid', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('discriminator', sa.String(length=128), autoincrement=False, nullable=True),
    sa.Column('createdate', postgresql.TIMESTAMP(), server_default=sa.text("(now() AT TIME ZONE 'utc')"), autoincrement=False, nullable=False),
    sa.Column('lastmodifieddate', postgresql.TIMESTAMP(), server_default=sa.text("(now() AT TIME ZONE 'utc')"), autoincrement=False, nullable=False),
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['studentusi'], ['edfi.student.studentusi'], name=op.f('fk_studenttransportation_studentusi_student')),
    sa.ForeignKeyConstraint(['transportationeducationorganizationid'], ['edfi.educationorganization.educationorganizationid'], name=op.f('fk_studenttransportation_transportationeducationorganizationid_educationorganization')),
    sa.ForeignKeyConstraint(['transportationpublicexpenseeligibilitytypedescriptorid'], ['edfi.transportationpublicexpenseeligibilitytypedescriptor.transportationpublicexpenseeligibilitytypedescriptorid'], name=op.f('fk_studenttransportation_transportationpublicexpenseeligibilitytypedescriptorid_transportationpublicexpenseeligibilitytypedescriptor')),
    sa.ForeignKeyConstraint(['transportationtypedescriptorid'], ['edfi.transportationtypedescriptor.transportationtypedescriptorid'], name=op.f('fk_studenttransportation_transportationtypedescriptorid_transportationtypedescriptor')),
    sa.PrimaryKeyConstraint('studentusi', 'transportationeducationorganizationid', name=op.f('pk_studenttransportation')),
    schema='edfi',
    comment="Ed-Fi StudentTransportation: a student's current transportation"
    )
    op.create_table('ridership',
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('run_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('ride_date', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('scanned_at', postgresql.TIMESTAMP(), server_default=sa.text('CURRENT_TIMESTAMP'), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['transportation.runs.run_id'], name=op.f('fk_ridership_run_id_runs')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_ridership_student_usi_student')),
    sa.PrimaryKeyConstraint('student_usi', 'run_id', 'ride_date', name=op.f('pk_ridership')),
    schema='transportation',
    comment='Who boarded which run on which day (when the bus records it)'
    )
    op.create_index('ix_ridership_run_date', 'ridership', ['run_id', 'ride_date'], unique=False, schema='transportation')
    op.create_table('temporary_changes',
    sa.Column('change_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('start_date', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('end_date', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('direction', sa.String(length=12), autoincrement=False, nullable=False, comment='to_school, from_school or both'),
    sa.Column('run_id', sa.Integer(), autoincrement=False, nullable=True, comment='None: the student does not ride'),
    sa.Column('stop_id', sa.Integer(), autoincrement=False, nullable=True),
    sa.Column('alternate_address', sa.String(length=500), autoincrement=False, nullable=True),
    sa.Column('parent_note', sa.String(length=500), autoincrement=False, nullable=False),
    sa.Column('created_by', sa.String(length=100), server_default=sa.text('session_user'), autoincrement=False, nullable=False),
    sa.Column('created_at', postgresql.TIMESTAMP(), server_default=sa.text('CURRENT_TIMESTAMP'), autoincrement=False, nullable=False),
    sa.CheckConstraint("direction IN ('to_school', 'from_school', 'both')", name=op.f('ck_temporary_changes_direction')),
    sa.CheckConstraint('(run_id IS NULL) = (stop_id IS NULL)', name=op.f('ck_temporary_changes_run_stop')),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_temporary_changes_dates')),
    sa.ForeignKeyConstraint(['run_id'], ['transportation.runs.run_id'], name=op.f('fk_temporary_changes_run_id_runs')),
    sa.ForeignKeyConstraint(['stop_id'], ['transportation.bus_stops.stop_id'], name=op.f('fk_temporary_changes_stop_id_bus_stops')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_temporary_changes_student_usi_student')),
    sa.PrimaryKeyConstraint('change_id', name=op.f('pk_temporary_changes')),
    schema='transportation',
    comment="A parent's note changing the ride for a date range"
    )
    op.create_index('ix_temporary_changes_dates', 'temporary_changes', ['start_date', 'end_date'], unique=False, schema='transportation')
    op.create_index('ix_temporary_changes_student_usi', 'temporary_changes', ['student_usi'], unique=False, schema='transportation')
    op.create_table('studenttransportationstudentbusdetails',
    sa.Column('studentusi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('transportationeducationorganizationid', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('busnumber', sa.String(length=36), autoincrement=False, nullable=False),
    sa.Column('busroutedescriptorid', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('mileage', sa.Numeric(precision=5, scale=2), autoincrement=False, nullable=True),
    sa.Column('createdate', postgresql.TIMESTAMP(), server_default=sa.text("(now() AT TIME ZONE 'utc')"), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['busroutedescriptorid'], ['edfi.busroutedescriptor.busroutedescriptorid'], name=op.f('fk_studenttransportationstudentbusdetails_busroutedescriptorid_busroutedescriptor')),
    sa.ForeignKeyConstraint(['studentusi', 'transportationeducationorganizationid'], ['edfi.studenttransportation.studentusi', 'edfi.studenttransportation.transportationeducationorganizationid'], name=op.f('fk_studenttransportationstudentbusdetails_studentusi_transportationeducationorganizationid_studenttransportation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('studentusi', 'transportationeducationorganizationid', name=op.f('pk_studenttransportationstudentbusdetails')),
    schema='edfi',
    comment='Ed-Fi StudentBusDetails of a StudentTransportation'
    )
    op.create_table('studenttransportationstudentbusdetailstraveldayofweek',
    sa.Column('studentusi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('transportationeducationorganizationid', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('traveldayofweekdescriptorid', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('createdate', postgresql.TIMESTAMP(), server_default=sa.text("(now() AT TIME ZONE 'utc')"), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['studentusi', 'transportationeducationorganizationid'], ['edfi.studenttransportationstudentbusdetails.studentusi', 'edfi.studenttransportationstudentbusdetails.transportationeducationorganizationid'], name=op.f('fk_studenttransportationstudentbusdetailstraveldayofweek_studentusi_transportationeducationorganizationid_studenttransportationstudentbusdetails'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['traveldayofweekdescriptorid'], ['edfi.traveldayofweekdescriptor.traveldayofweekdescriptorid'], name=op.f('fk_studenttransportationstudentbusdetailstraveldayofweek_traveldayofweekdescriptorid_traveldayofweekdescriptor')),
    sa.PrimaryKeyConstraint('studentusi', 'transportationeducationorganizationid', 'traveldayofweekdescriptorid', name=op.f('pk_studenttransportationstudentbusdetailstraveldayofweek')),
    schema='edfi'
    )
    op.create_table('studenttransportationstudentbusdetailstraveldirection',
    sa.Column('studentusi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('transportationeducationorganizationid', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('traveldirectiondescriptorid', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('createdate', postgresql.TIMESTAMP(), server_default=sa.text("(now() AT TIME ZONE 'utc')"), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['studentusi', 'transportationeducationorganizationid'], ['edfi.studenttransportationstudentbusdetails.studentusi', 'edfi.studenttransportationstudentbusdetails.transportationeducationorganizationid'], name=op.f('fk_studenttransportationstudentbusdetailstraveldirection_studentusi_transportationeducationorganizationid_studenttransportationstudentbusdetails'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['traveldirectiondescriptorid'], ['edfi.traveldirectiondescriptor.traveldirectiondescriptorid'], name=op.f('fk_studenttransportationstudentbusdetailstraveldirection_traveldirectiondescriptorid_traveldirectiondescriptor')),
    sa.PrimaryKeyConstraint('studentusi', 'transportationeducationorganizationid', 'traveldirectiondescriptorid', name=op.f('pk_studenttransportationstudentbusdetailstraveldirection')),
    schema='edfi'
    )
    op.create_table('hazard_zones',
    sa.Column('zone_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('zone_name', sa.String(length=200), autoincrement=False, nullable=False),
    sa.Column('latitude', sa.Numeric(precision=10, scale=8), autoincrement=False, nullable=False),
    sa.Column('longitude', sa.Numeric(precision=11, scale=8), autoincrement=False, nullable=False),
    sa.Column('radius_miles', sa.Numeric(precision=5, scale=2), autoincrement=False, nullable=False),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=True, comment="Only for this school's riders (none: every school)"),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180', name=op.f('ck_hazard_zones_position')),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_hazard_zones_school_id_school')),
    sa.PrimaryKeyConstraint('zone_id', name=op.f('pk_hazard_zones')),
    schema='transportation',
    comment='Areas whose walk to school is unsafe: riders there are eligible at any distance'
    )
    op.create_table('run_schools',
    sa.Column('run_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('bell_time', sa.Time(), autoincrement=False, nullable=False, comment='First bell (to school) or dismissal (from school)'),
    sa.Column('school_time', sa.Time(), autoincrement=False, nullable=False, comment='Bus arrives (to school) or leaves (from school)'),
    sa.ForeignKeyConstraint(['run_id'], ['transportation.runs.run_id'], name=op.f('fk_run_schools_run_id_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['edfi.school.schoolid'], name=op.f('fk_run_schools_school_id_school')),
    sa.PrimaryKeyConstraint('run_id', 'school_id', name=op.f('pk_run_schools')),
    schema='transportation',
    comment="Schools a run serves, with the bell time and the bus's time at the school"
    )
    op.create_table('iep_transport',
    sa.Column('iep_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('wheelchair', sa.Boolean(), server_default=sa.text('false'), autoincrement=False, nullable=False),
    sa.Column('equipment', postgresql.ARRAY(Text()), server_default=sa.text("'{}'::text[]"), autoincrement=False, nullable=False, comment='lift, car seat, harness'),
    sa.Column('aide_required', sa.Boolean(), server_default=sa.text('false'), autoincrement=False, nullable=False),
    sa.Column('door_to_door', sa.Boolean(), server_default=sa.text('true'), autoincrement=False, nullable=False),
    sa.CheckConstraint("equipment <@ ARRAY['lift', 'car seat', 'harness']::text[]", name=op.f('ck_iep_transport_equipment')),
    sa.ForeignKeyConstraint(['iep_id'], ['specialed.iep.iep_id'], name=op.f('fk_iep_transport_iep_id_iep')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_iep_transport_student_usi_student')),
    sa.PrimaryKeyConstraint('iep_id', name=op.f('pk_iep_transport')),
    schema='transportation',
    comment='Special-education transportation an IEP requires, with its equipment'
    )
    op.create_table('rider_legs',
    sa.Column('leg_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('assignment_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('student_usi', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day_of_week', sa.SmallInteger(), autoincrement=False, nullable=False, comment='ISO: 1 Monday ... 7 Sunday'),
    sa.Column('direction', sa.String(length=12), autoincrement=False, nullable=False),
    sa.Column('run_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stop_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('alternate_address', sa.String(length=500), autoincrement=False, nullable=True, comment="Daycare, another parent: this day's address"),
    sa.CheckConstraint("direction IN ('to_school', 'from_school')", name=op.f('ck_rider_legs_direction')),
    sa.CheckConstraint('day_of_week BETWEEN 1 AND 7', name=op.f('ck_rider_legs_day_of_week')),
    sa.ForeignKeyConstraint(['assignment_id'], ['transportation.student_transportation.assignment_id'], name=op.f('fk_rider_legs_assignment_id_student_transportation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['transportation.runs.run_id'], name=op.f('fk_rider_legs_run_id_runs')),
    sa.ForeignKeyConstraint(['stop_id'], ['transportation.bus_stops.stop_id'], name=op.f('fk_rider_legs_stop_id_bus_stops')),
    sa.ForeignKeyConstraint(['student_usi'], ['edfi.student.studentusi'], name=op.f('fk_rider_legs_student_usi_student')),
    sa.PrimaryKeyConstraint('leg_id', name=op.f('pk_rider_legs')),
    sa.UniqueConstraint('assignment_id', 'day_of_week', 'direction', name=op.f('uq_rider_legs_assignment_id_day_of_week_direction')),
    schema='transportation',
    comment="A student's plan by day of week and direction: run, stop, alternate address"
    )
    op.create_index('ix_rider_legs_run_day', 'rider_legs', ['run_id', 'day_of_week'], unique=False, schema='transportation')
    op.create_index('ix_rider_legs_student_usi', 'rider_legs', ['student_usi'], unique=False, schema='transportation')
    op.add_column('student_transportation', sa.Column('school_id', sa.BigInteger(), autoincrement=False, nullable=True, comment='School the plan takes the student to'), schema='transportation')
    op.add_column('student_transportation', sa.Column('release_to_adult', sa.Boolean(), server_default=sa.text('false'), autoincrement=False, nullable=False, comment='Released only to a designated adult (kindergarten always)'), schema='transportation')
    op.add_column('student_transportation', sa.Column('wheelchair', sa.Boolean(), server_default=sa.text('false'), autoincrement=False, nullable=False, comment='Rides in a wheelchair position'), schema='transportation')
    op.add_column('student_transportation', sa.Column('equipment_needed', postgresql.ARRAY(Text()), server_default=sa.text("'{}'::text[]"), autoincrement=False, nullable=False, comment='lift, car seat, harness'), schema='transportation')
    op.create_index('ix_student_transportation_student_usi', 'student_transportation', ['student_usi'], unique=False, schema='transportation')
    op.create_foreign_key(op.f('fk_student_transportation_school_id_school'), 'student_transportation', 'school', ['school_id'], ['schoolid'], source_schema='transportation', referent_schema='edfi')


def _security_sql() -> str:
    parts = [
        "ALTER TABLE transportation.bus_stops ADD CONSTRAINT ck_bus_stops_latitude CHECK (latitude BETWEEN -90 AND 90);",
        "ALTER TABLE transportation.bus_stops ADD CONSTRAINT ck_bus_stops_longitude "
        "CHECK (longitude BETWEEN -180 AND 180);",
    ]
    for t, (col, readers, writers) in STUDENT_TABLES.items():
        name = t.split(".")[1]
        cond = SCOPED.format(col=f"{name}.{col}")
        roles = ", ".join(r for r in (readers, writers) if r)
        parts += [
            f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;",
            f"CREATE POLICY administrators ON {t} FOR ALL TO so_admin USING (true) WITH CHECK (true);",
            f"CREATE POLICY own_schools ON {t} FOR ALL TO {roles} USING ({cond}) WITH CHECK ({cond});",
            f"SELECT compliance.attach_audit('{t}');",
            f"GRANT SELECT ON {t} TO {readers}, so_admin;",
        ]
        parts.append(f"GRANT INSERT, UPDATE, DELETE ON {t} TO so_admin{', ' + writers if writers else ''};")
        if writers:
            parts.append(f"GRANT SELECT ON {t} TO {writers};")
    for t in REFERENCE_TABLES:
        parts += [f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO so_transportation, so_admin;",
                  f"GRANT SELECT ON {t} TO so_front_office;"]
    parts += [
        "GRANT SELECT, UPDATE ON transportation.settings TO so_transportation, so_admin;",
        "GRANT SELECT ON transportation.settings TO so_front_office;",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA transportation TO so_transportation, so_admin;",
        # eligibility and stop suggestions need where the student lives: the address, no more
        "GRANT SELECT (studentusi, educationorganizationid, addresstypedescriptorid, streetnumbername, "
        "apartmentroomsuitenumber, city, postalcode, latitude, longitude) "
        "ON edfi.studenteducationorganizationassociationaddress TO so_transportation;",
        "INSERT INTO transportation.settings DEFAULT VALUES;",
        """INSERT INTO transportation.grade_bands (band, label, grade_levels, riders_per_seat, eligibility_miles, sort_order)
           VALUES ('elementary', 'Elementary (PK-5)', ARRAY['Preschool/Prekindergarten', 'Prekindergarten',
                   'Transitional Kindergarten', 'Kindergarten', 'First grade', 'Second grade', 'Third grade',
                   'Fourth grade', 'Fifth grade'], 3, 1.00, 1),
                  ('middle', 'Middle (6-8)', ARRAY['Sixth grade', 'Seventh grade', 'Eighth grade'], 2, 1.50, 2),
                  ('high', 'High school (9-12)', ARRAY['Ninth grade', 'Tenth grade', 'Eleventh grade',
                   'Twelfth grade'], 2, 2.00, 3);""",
        # plans made before this revision serve the student's latest school
        """UPDATE transportation.student_transportation st SET school_id = (
               SELECT a.schoolid FROM edfi.studentschoolassociation a WHERE a.studentusi = st.student_usi
                ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1);""",
    ]
    return "\n".join(parts)


TRIGGERS_SQL = r"""
-- Every route is an Ed-Fi BusRouteDescriptor of the district's namespace.
CREATE OR REPLACE FUNCTION transportation.keep_route_descriptor() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    new_id integer;
BEGIN
    INSERT INTO edfi.descriptor (namespace, codevalue, shortdescription, discriminator)
    VALUES ('""" + ROUTE_NAMESPACE + r"""', NEW.route_number, left(NEW.route_number, 75), 'edfi.BusRouteDescriptor')
    ON CONFLICT (namespace, codevalue) DO NOTHING RETURNING descriptorid INTO new_id;
    IF new_id IS NOT NULL THEN
        INSERT INTO edfi.busroutedescriptor (busroutedescriptorid) VALUES (new_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER keep_route_descriptor AFTER INSERT OR UPDATE OF route_number ON transportation.bus_routes
    FOR EACH ROW EXECUTE FUNCTION transportation.keep_route_descriptor();
UPDATE transportation.bus_routes SET route_number = route_number;

-- The plan of each student in force today (or the next one to start), with at least one leg.
CREATE OR REPLACE FUNCTION transportation.current_plans(p_students integer[])
RETURNS TABLE (assignment_id bigint, student_usi integer, route_id integer, category text, wheelchair boolean,
               equipment text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT DISTINCT ON (st.student_usi) st.assignment_id, st.student_usi, st.route_id,
           st.transportation_category::text, st.wheelchair, st.equipment_needed
      FROM transportation.student_transportation st
     WHERE st.student_usi = ANY (p_students) AND st.is_active
       AND (st.end_date IS NULL OR st.end_date >= current_date)
       AND EXISTS (SELECT 1 FROM transportation.rider_legs l WHERE l.assignment_id = st.assignment_id)
     ORDER BY st.student_usi, (st.effective_date <= current_date) DESC, st.effective_date DESC;
$$;

-- Ed-Fi StudentTransportation: rewritten from the plans whenever they change.
CREATE OR REPLACE FUNCTION transportation.sync_edfi(p_students integer[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    lea bigint := (SELECT localeducationagencyid FROM edfi.localeducationagency ORDER BY 1 LIMIT 1);
BEGIN
    IF lea IS NULL OR p_students IS NULL OR cardinality(p_students) = 0 THEN
        RETURN;
    END IF;
    DELETE FROM edfi.studenttransportation WHERE studentusi = ANY (p_students);
    INSERT INTO edfi.studenttransportation (studentusi, transportationeducationorganizationid,
                                            specialaccomodationrequirements, transportationtypedescriptorid)
    SELECT p.student_usi, lea,
           nullif(concat_ws(', ', CASE WHEN p.wheelchair THEN 'wheelchair position' END,
                            nullif(array_to_string(p.equipment, ', '), '')), ''),
           (SELECT d.descriptorid FROM edfi.descriptor d
              JOIN edfi.transportationtypedescriptor t ON t.transportationtypedescriptorid = d.descriptorid
             WHERE d.codevalue = CASE WHEN p.category = 'Special needs' THEN 'Special Needs Bus' ELSE 'School Bus' END
             LIMIT 1)
      FROM transportation.current_plans(p_students) p;
    INSERT INTO edfi.studenttransportationstudentbusdetails (studentusi, transportationeducationorganizationid,
                                                             busnumber, busroutedescriptorid)
    SELECT p.student_usi, lea,
           coalesce((SELECT b.bus_number FROM transportation.rider_legs l
                       JOIN transportation.runs u ON u.run_id = l.run_id
                       JOIN transportation.buses b ON b.bus_id = u.bus_id
                      WHERE l.assignment_id = p.assignment_id ORDER BY l.direction DESC, l.day_of_week LIMIT 1),
                    r.bus_number, r.route_number),
           d.descriptorid
      FROM transportation.current_plans(p_students) p
      JOIN transportation.bus_routes r ON r.route_id = p.route_id
      JOIN edfi.descriptor d ON d.namespace = '""" + ROUTE_NAMESPACE + r"""' AND d.codevalue = r.route_number
      JOIN edfi.busroutedescriptor bd ON bd.busroutedescriptorid = d.descriptorid;
    INSERT INTO edfi.studenttransportationstudentbusdetailstraveldayofweek (studentusi,
           transportationeducationorganizationid, traveldayofweekdescriptorid)
    SELECT DISTINCT p.student_usi, lea, d.descriptorid
      FROM transportation.current_plans(p_students) p
      JOIN edfi.studenttransportationstudentbusdetails bd ON bd.studentusi = p.student_usi
      JOIN transportation.rider_legs l ON l.assignment_id = p.assignment_id
      JOIN edfi.descriptor d ON d.discriminator = 'edfi.TravelDayofWeekDescriptor'
       AND d.codevalue = (ARRAY['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday',
                                'Sunday'])[l.day_of_week]
      JOIN edfi.traveldayofweekdescriptor t ON t.traveldayofweekdescriptorid = d.descriptorid;
    INSERT INTO edfi.studenttransportationstudentbusdetailstraveldirection (studentusi,
           transportationeducationorganizationid, traveldirectiondescriptorid)
    SELECT x.student_usi, lea, d.descriptorid
      FROM (SELECT p.student_usi, CASE count(DISTINCT l.direction) WHEN 2 THEN 'To and From School'
                   ELSE CASE min(l.direction) WHEN 'to_school' THEN 'To School' ELSE 'From School' END END AS code
              FROM transportation.current_plans(p_students) p
              JOIN edfi.studenttransportationstudentbusdetails bd ON bd.studentusi = p.student_usi
              JOIN transportation.rider_legs l ON l.assignment_id = p.assignment_id
             GROUP BY p.student_usi) x
      JOIN edfi.descriptor d ON d.discriminator = 'edfi.TravelDirectionDescriptor' AND d.codevalue = x.code
      JOIN edfi.traveldirectiondescriptor t ON t.traveldirectiondescriptorid = d.descriptorid;
END;
$$;

CREATE OR REPLACE FUNCTION transportation.keep_edfi() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched integer[] := '{}';
    more integer[];
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE 'SELECT coalesce(array_agg(DISTINCT student_usi), ''{}'') FROM new_rows' INTO more;
        touched := touched || more;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE 'SELECT coalesce(array_agg(DISTINCT student_usi), ''{}'') FROM old_rows' INTO more;
        touched := touched || more;
    END IF;
    PERFORM transportation.sync_edfi(touched);
    RETURN NULL;
END;
$$;
""" + "\n".join(
    f"CREATE TRIGGER keep_edfi_{op_[:3]} AFTER {op_.upper()} ON transportation.{t} REFERENCING {ref} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION transportation.keep_edfi();"
    for t in ("student_transportation", "rider_legs")
    for op_, ref in (("insert", "NEW TABLE AS new_rows"), ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                     ("delete", "OLD TABLE AS old_rows"))) + r"""

-- A withdrawal or a transfer ends the student's bus plans and temporary changes on the exit date,
-- in the transaction that records it, whoever records it.
CREATE OR REPLACE FUNCTION transportation.follow_withdrawal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM transportation.student_transportation
     WHERE student_usi = NEW.studentusi AND (school_id = NEW.schoolid OR school_id IS NULL)
       AND effective_date > NEW.exitwithdrawdate;
    UPDATE transportation.student_transportation SET end_date = NEW.exitwithdrawdate
     WHERE student_usi = NEW.studentusi AND (school_id = NEW.schoolid OR school_id IS NULL)
       AND (end_date IS NULL OR end_date > NEW.exitwithdrawdate);
    DELETE FROM transportation.temporary_changes
     WHERE student_usi = NEW.studentusi AND start_date > NEW.exitwithdrawdate;
    UPDATE transportation.temporary_changes SET end_date = NEW.exitwithdrawdate
     WHERE student_usi = NEW.studentusi AND end_date > NEW.exitwithdrawdate;
    RETURN NULL;
END;
$$;
CREATE TRIGGER transportation_follows_withdrawal AFTER UPDATE OF exitwithdrawdate ON edfi.studentschoolassociation
    FOR EACH ROW WHEN (NEW.exitwithdrawdate IS NOT NULL AND OLD.exitwithdrawdate IS DISTINCT FROM NEW.exitwithdrawdate)
    EXECUTE FUNCTION transportation.follow_withdrawal();

REVOKE ALL ON FUNCTION transportation.keep_route_descriptor() FROM PUBLIC;
REVOKE ALL ON FUNCTION transportation.sync_edfi(integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION transportation.current_plans(integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION transportation.keep_edfi() FROM PUBLIC;
REVOKE ALL ON FUNCTION transportation.follow_withdrawal() FROM PUBLIC;
"""

DOWNGRADE_SQL = """
DROP TRIGGER IF EXISTS transportation_follows_withdrawal ON edfi.studentschoolassociation;
DROP TRIGGER IF EXISTS keep_route_descriptor ON transportation.bus_routes;
""" + "\n".join(f"DROP TRIGGER IF EXISTS keep_edfi_{o} ON transportation.{t};"
                for t in ("student_transportation", "rider_legs") for o in ("ins", "upd", "del")) + """
DROP FUNCTION IF EXISTS transportation.follow_withdrawal();
DROP FUNCTION IF EXISTS transportation.keep_edfi();
DROP FUNCTION IF EXISTS transportation.sync_edfi(integer[]);
DROP FUNCTION IF EXISTS transportation.current_plans(integer[]);
DROP FUNCTION IF EXISTS transportation.keep_route_descriptor();
REVOKE SELECT (studentusi, educationorganizationid, addresstypedescriptorid, streetnumbername, apartmentroomsuitenumber,
               city, postalcode, latitude, longitude) ON edfi.studenteducationorganizationassociationaddress
    FROM so_transportation;
ALTER TABLE transportation.bus_stops DROP CONSTRAINT ck_bus_stops_latitude;
ALTER TABLE transportation.bus_stops DROP CONSTRAINT ck_bus_stops_longitude;
"""


def upgrade() -> None:
    _create_tables()
    op.execute(_security_sql())
    op.execute(TRIGGERS_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
    for t in ("edfi.studenttransportationstudentbusdetailstraveldirection",
              "edfi.studenttransportationstudentbusdetailstraveldayofweek",
              "edfi.studenttransportationstudentbusdetails", "edfi.studenttransportation",
              "transportation.iep_transport", "transportation.ridership", "transportation.temporary_changes",
              "transportation.rider_legs", "transportation.run_stops", "transportation.run_schools",
              "transportation.runs", "transportation.hazard_zones", "transportation.settings",
              "transportation.grade_bands", "transportation.buses"):
        schema, name = t.split(".")
        op.drop_table(name, schema=schema)
    op.drop_constraint("fk_student_transportation_school_id_school", "student_transportation",
                       schema="transportation", type_="foreignkey")
    op.drop_index("ix_student_transportation_student_usi", table_name="student_transportation",
                  schema="transportation")
    for col in ("equipment_needed", "wheelchair", "release_to_adult", "school_id"):
        op.drop_column("student_transportation", col, schema="transportation")
