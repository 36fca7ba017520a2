"""Bus set-up from the desk, the IEP's transport in force, Ed-Fi kept in step on every path (issue 13)

- Routes, buses and hazard zones carry the request id of the form that created them, so a repeated
  submit (a double click, Enter twice) finds the first one instead of making a second.
- The IEP's transport needs count only while the IEP is in force (status Active, begun, not
  exited). Transportation staff cannot read the IEP, so `transportation.iep_transport_in_force`
  answers for the students their row-level security shows, with the needs only. The nurse (who
  keeps special-education plans on this system) records the needs; a trigger takes the student
  from the IEP itself, so a need cannot be filed under another student.
- Ed-Fi StudentTransportation follows every path, not only a plan's write: the IEP's transport
  needs and the IEP's status or dates, a run's bus, a bus's or route's number, and, once a day, the
  plans and IEPs that began or ended with the date (`transportation.refresh_edfi`, called by the
  desk when it opens and by `school-office-admin transport sync-edfi`). The special-needs type and
  the accommodations now come from the IEP in force, not from the plan's stored category.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

ROUTE_NAMESPACE = "uri://school-office.local/BusRouteDescriptor"

UPGRADE_SQL = r"""
ALTER TABLE transportation.bus_routes ADD COLUMN request_id uuid;
ALTER TABLE transportation.buses ADD COLUMN request_id uuid;
ALTER TABLE transportation.hazard_zones ADD COLUMN request_id uuid;
CREATE UNIQUE INDEX ux_bus_routes_request_id ON transportation.bus_routes (request_id);
CREATE UNIQUE INDEX ux_buses_request_id ON transportation.buses (request_id);
CREATE UNIQUE INDEX ux_hazard_zones_request_id ON transportation.hazard_zones (request_id);
COMMENT ON COLUMN transportation.bus_routes.request_id IS 'The form''s request id: a repeated submit finds this route';
COMMENT ON COLUMN transportation.buses.request_id IS 'The form''s request id: a repeated submit finds this bus';
COMMENT ON COLUMN transportation.hazard_zones.request_id IS 'The form''s request id: a repeated submit finds this zone';
ALTER TABLE transportation.settings ADD COLUMN edfi_synced_on date;
COMMENT ON COLUMN transportation.settings.edfi_synced_on IS 'Last day Ed-Fi StudentTransportation was re-derived for plans and IEPs that began or ended';
ALTER TABLE transportation.hazard_zones ADD CONSTRAINT ck_hazard_zones_radius CHECK (radius_miles > 0 AND radius_miles <= 25);
ALTER TABLE transportation.settings ADD CONSTRAINT ck_settings_walking_limit CHECK (walking_limit_miles > 0 AND walking_limit_miles <= 5);
ALTER TABLE transportation.settings ADD CONSTRAINT ck_settings_times CHECK (stop_seconds BETWEEN 0 AND 600 AND load_seconds_per_rider BETWEEN 0 AND 120);

-- The IEP's transport needs in force on a day, per student (no caller check: internal).
CREATE OR REPLACE FUNCTION transportation.iep_needs_on(p_students integer[], p_day date)
RETURNS TABLE (student_usi integer, wheelchair boolean, aide_required boolean, door_to_door boolean, equipment text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT t.student_usi, bool_or(t.wheelchair), bool_or(t.aide_required), bool_or(t.door_to_door),
           ARRAY(SELECT DISTINCT e FROM transportation.iep_transport t2 JOIN specialed.iep i2 ON i2.iep_id = t2.iep_id,
                 unnest(t2.equipment) e
                  WHERE t2.student_usi = t.student_usi AND i2.iep_status = 'Active' AND i2.effective_date <= p_day
                    AND (i2.exit_date IS NULL OR i2.exit_date >= p_day) ORDER BY 1)
      FROM transportation.iep_transport t JOIN specialed.iep i ON i.iep_id = t.iep_id
     WHERE (p_students IS NULL OR t.student_usi = ANY (p_students))
       AND i.iep_status = 'Active' AND i.effective_date <= p_day AND (i.exit_date IS NULL OR i.exit_date >= p_day)
     GROUP BY t.student_usi;
$$;
REVOKE ALL ON FUNCTION transportation.iep_needs_on(integer[], date) FROM PUBLIC;

-- What the bus desk may know of it: the needs, for the students its row-level security shows.
CREATE OR REPLACE FUNCTION transportation.iep_transport_in_force(p_students integer[], p_day date)
RETURNS TABLE (student_usi integer, wheelchair boolean, aide_required boolean, door_to_door boolean, equipment text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT (pg_catalog.pg_has_role(session_user, 'so_transportation', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'so_nurse', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only transportation staff, nurses and administrators read IEP transport needs'
            USING ERRCODE = '42501';
    END IF;
    RETURN QUERY
    SELECT n.student_usi, n.wheelchair, n.aide_required, n.door_to_door, n.equipment
      FROM transportation.iep_needs_on(p_students, p_day) n
     WHERE pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')
        OR EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = n.student_usi
                     AND sc.schoolid = ANY (compliance.my_school_ids()));
END;
$$;
REVOKE ALL ON FUNCTION transportation.iep_transport_in_force(integer[], date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION transportation.iep_transport_in_force(integer[], date) TO so_transportation, so_nurse, so_admin;

-- A need is filed under the IEP's own student, whatever the client sent.
CREATE OR REPLACE FUNCTION transportation.iep_transport_student() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.student_usi := (SELECT i.student_usi FROM specialed.iep i WHERE i.iep_id = NEW.iep_id);
    IF NEW.student_usi IS NULL THEN
        RAISE EXCEPTION 'IEP % is not on file', NEW.iep_id USING ERRCODE = '23503';
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION transportation.iep_transport_student() FROM PUBLIC;
CREATE TRIGGER iep_transport_student BEFORE INSERT OR UPDATE ON transportation.iep_transport
    FOR EACH ROW EXECUTE FUNCTION transportation.iep_transport_student();

-- Ed-Fi StudentTransportation from the plans in force and the IEP in force today.
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
           nullif(concat_ws(', ', CASE WHEN p.wheelchair OR coalesce(n.wheelchair, false) THEN 'wheelchair position' END,
                            nullif(array_to_string(ARRAY(SELECT DISTINCT e FROM unnest(p.equipment || coalesce(n.equipment, '{}')) e
                                                          ORDER BY 1), ', '), ''),
                            CASE WHEN n.aide_required THEN 'aide' END,
                            CASE WHEN n.door_to_door THEN 'door to door' END), ''),
           (SELECT d.descriptorid FROM edfi.descriptor d
              JOIN edfi.transportationtypedescriptor t ON t.transportationtypedescriptorid = d.descriptorid
             WHERE d.codevalue = CASE WHEN n.student_usi IS NOT NULL THEN 'Special Needs Bus' ELSE 'School Bus' END
             LIMIT 1)
      FROM transportation.current_plans(p_students) p
      LEFT JOIN transportation.iep_needs_on(p_students, current_date) n ON n.student_usi = p.student_usi;
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

-- The IEP's transport needs changed: its students' Ed-Fi rows follow (same function as the plans').
""" + "\n".join(
    f"CREATE TRIGGER keep_edfi_{op_[:3]} AFTER {op_.upper()} ON transportation.iep_transport REFERENCING {ref} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION transportation.keep_edfi();"
    for op_, ref in (("insert", "NEW TABLE AS new_rows"), ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                     ("delete", "OLD TABLE AS old_rows"))) + r"""

-- The IEP's status or dates changed, a run got another bus, a bus or route was renumbered.
CREATE OR REPLACE FUNCTION transportation.keep_edfi_for() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched integer[];
BEGIN
    IF TG_TABLE_NAME = 'iep' THEN
        touched := ARRAY[NEW.student_usi];
    ELSIF TG_TABLE_NAME = 'runs' THEN
        touched := ARRAY(SELECT DISTINCT l.student_usi FROM transportation.rider_legs l WHERE l.run_id = NEW.run_id);
    ELSIF TG_TABLE_NAME = 'buses' THEN
        touched := ARRAY(SELECT DISTINCT l.student_usi FROM transportation.rider_legs l
                           JOIN transportation.runs u ON u.run_id = l.run_id WHERE u.bus_id = NEW.bus_id);
    ELSE
        touched := ARRAY(SELECT DISTINCT st.student_usi FROM transportation.student_transportation st
                          WHERE st.route_id = NEW.route_id);
    END IF;
    PERFORM transportation.sync_edfi(touched);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION transportation.keep_edfi_for() FROM PUBLIC;
CREATE TRIGGER transportation_keep_edfi AFTER UPDATE OF iep_status, effective_date, exit_date ON specialed.iep
    FOR EACH ROW EXECUTE FUNCTION transportation.keep_edfi_for();
CREATE TRIGGER keep_edfi_bus AFTER UPDATE OF bus_id ON transportation.runs
    FOR EACH ROW WHEN (OLD.bus_id IS DISTINCT FROM NEW.bus_id) EXECUTE FUNCTION transportation.keep_edfi_for();
CREATE TRIGGER keep_edfi_number AFTER UPDATE OF bus_number ON transportation.buses
    FOR EACH ROW WHEN (OLD.bus_number IS DISTINCT FROM NEW.bus_number) EXECUTE FUNCTION transportation.keep_edfi_for();
-- after keep_route_descriptor (triggers fire in name order): the new descriptor exists by then
CREATE TRIGGER keep_route_edfi AFTER UPDATE OF route_number ON transportation.bus_routes
    FOR EACH ROW WHEN (OLD.route_number IS DISTINCT FROM NEW.route_number)
    EXECUTE FUNCTION transportation.keep_edfi_for();

-- Plans and IEPs begin and end with the date, not with a write: once a day (or when asked), every
-- student with a plan, an Ed-Fi row or IEP transport is re-derived. Returns how many were.
CREATE OR REPLACE FUNCTION transportation.refresh_edfi(p_force boolean DEFAULT false) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    last_day date;
    students integer[];
BEGIN
    IF NOT (pg_catalog.pg_has_role(session_user, 'so_transportation', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, current_user, 'USAGE')) THEN
        RAISE EXCEPTION 'only transportation staff and administrators refresh Ed-Fi transportation'
            USING ERRCODE = '42501';
    END IF;
    SELECT s.edfi_synced_on INTO last_day FROM transportation.settings s FOR UPDATE;
    IF NOT p_force AND last_day IS NOT DISTINCT FROM current_date THEN
        RETURN 0;
    END IF;
    students := ARRAY(SELECT student_usi FROM transportation.student_transportation
                      UNION SELECT studentusi FROM edfi.studenttransportation
                      UNION SELECT student_usi FROM transportation.iep_transport);
    PERFORM transportation.sync_edfi(students);
    UPDATE transportation.settings SET edfi_synced_on = current_date;
    RETURN cardinality(students);
END;
$$;
REVOKE ALL ON FUNCTION transportation.refresh_edfi(boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION transportation.refresh_edfi(boolean) TO so_transportation, so_admin;
"""

DOWNGRADE_SQL = r"""
DROP TRIGGER IF EXISTS keep_route_edfi ON transportation.bus_routes;
DROP TRIGGER IF EXISTS keep_edfi_number ON transportation.buses;
DROP TRIGGER IF EXISTS keep_edfi_bus ON transportation.runs;
DROP TRIGGER IF EXISTS transportation_keep_edfi ON specialed.iep;
DROP TRIGGER IF EXISTS keep_edfi_ins ON transportation.iep_transport;
DROP TRIGGER IF EXISTS keep_edfi_upd ON transportation.iep_transport;
DROP TRIGGER IF EXISTS keep_edfi_del ON transportation.iep_transport;
DROP TRIGGER IF EXISTS iep_transport_student ON transportation.iep_transport;
DROP FUNCTION IF EXISTS transportation.refresh_edfi(boolean);
DROP FUNCTION IF EXISTS transportation.keep_edfi_for();
DROP FUNCTION IF EXISTS transportation.iep_transport_student();
DROP FUNCTION IF EXISTS transportation.iep_transport_in_force(integer[], date);
DROP FUNCTION IF EXISTS transportation.iep_needs_on(integer[], date);
ALTER TABLE transportation.settings DROP CONSTRAINT IF EXISTS ck_settings_times;
ALTER TABLE transportation.settings DROP CONSTRAINT IF EXISTS ck_settings_walking_limit;
ALTER TABLE transportation.hazard_zones DROP CONSTRAINT IF EXISTS ck_hazard_zones_radius;
ALTER TABLE transportation.settings DROP COLUMN IF EXISTS edfi_synced_on;
ALTER TABLE transportation.hazard_zones DROP COLUMN IF EXISTS request_id;
ALTER TABLE transportation.buses DROP COLUMN IF EXISTS request_id;
ALTER TABLE transportation.bus_routes DROP COLUMN IF EXISTS request_id;
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
    # sync_edfi as 0013 left it
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("m0013", Path(__file__).with_name("0013_bus_assignments.py"))
    m0013 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0013)
    start = m0013.TRIGGERS_SQL.index("CREATE OR REPLACE FUNCTION transportation.sync_edfi")
    end = m0013.TRIGGERS_SQL.index("CREATE OR REPLACE FUNCTION transportation.keep_edfi()")
    op.execute(m0013.TRIGGERS_SQL[start:end])
