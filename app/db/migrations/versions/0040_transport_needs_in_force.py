"""A rider's needs are read where they are in force, not copied into the plan (review of #13, defects 1, 4)

- The plan keeps only its own needs (a parent's or the coordinator's: wheelchair, lift, car seat,
  harness). The IEP's transport needs were copied into the plan when it was saved, so an IEP that
  ended kept its needs on the bus and needs recorded later never reached the driver. Existing plans
  lose the copy (what an IEP of the student records is taken off the plan; the IEP still gives it
  while in force).
- `transportation.needs_on(students, day)` (internal) is the one answer to "what does this rider
  need on that day": the plan in force's own needs plus the needs of an Active IEP within its dates.
  Readers: `needs_in_force` (the desks, scoped to the caller's schools; the front office gets the
  plan's own needs only), `run_loads_on` (seats and wheelchair positions of runs, equipment needs),
  `rider_runs_on` (the runs of one rider, for the nurse's check when she saves IEP bus needs) and
  `sync_edfi` (Ed-Fi accommodations).
- `refresh_edfi` no longer takes the settings row FOR UPDATE when Ed-Fi was already re-derived today,
  so opening the desk does not queue behind (or block) a settings save.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-03
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

_ENROLLMENT = """SELECT DISTINCT ON (a.studentusi) a.studentusi, g.codevalue AS grade
                   FROM edfi.studentschoolassociation a
                   JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
                  WHERE a.entrydate <= p_day AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= p_day)
                  ORDER BY a.studentusi, a.entrydate DESC"""

_ROLE_CHECK = """IF NOT ({roles}) THEN
        RAISE EXCEPTION '{what}' USING ERRCODE = '42501';
    END IF;"""


def _has(*roles: str) -> str:
    return " OR ".join(f"pg_catalog.pg_has_role(session_user, '{r}', 'MEMBER')" for r in roles)


def _in_scope(col: str) -> str:
    return (f"(admin OR EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = {col} "
            f"AND sc.schoolid = ANY (schools)))")


UPGRADE_SQL = r"""
COMMENT ON COLUMN transportation.student_transportation.wheelchair IS
    'The plan''s own need (parent or coordinator), not the IEP''s: read needs with transportation.needs_in_force';
COMMENT ON COLUMN transportation.student_transportation.equipment_needed IS
    'The plan''s own needs: lift, car seat, harness (the IEP''s come from transportation.needs_in_force)';

-- What a rider needs on a day: the plan in force's own needs plus the IEP's in force. Internal.
CREATE OR REPLACE FUNCTION transportation.needs_on(p_students integer[], p_day date, p_with_iep boolean DEFAULT true)
RETURNS TABLE (student_usi integer, wheelchair boolean, equipment text[], aide_required boolean,
               door_to_door boolean, iep boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH own AS (
        SELECT st.student_usi, st.wheelchair, st.equipment_needed
          FROM transportation.student_transportation st
         WHERE (p_students IS NULL OR st.student_usi = ANY (p_students)) AND st.is_active
           AND st.effective_date <= p_day AND (st.end_date IS NULL OR st.end_date >= p_day)
           AND (st.wheelchair OR st.equipment_needed <> '{}')
           AND NOT EXISTS (SELECT 1 FROM transportation.student_transportation nx
                            WHERE nx.student_usi = st.student_usi AND nx.is_active
                              AND nx.effective_date <= p_day AND nx.effective_date > st.effective_date
                              AND (nx.end_date IS NULL OR nx.end_date >= p_day))
    ), iep AS (
        SELECT * FROM transportation.iep_needs_on(p_students, p_day) WHERE p_with_iep
    )
    SELECT coalesce(o.student_usi, i.student_usi),
           coalesce(o.wheelchair, false) OR coalesce(i.wheelchair, false),
           ARRAY(SELECT DISTINCT e FROM unnest(coalesce(o.equipment_needed, '{}') || coalesce(i.equipment, '{}')) e
                  ORDER BY 1),
           coalesce(i.aide_required, false), coalesce(i.door_to_door, false), i.student_usi IS NOT NULL
      FROM own o FULL JOIN iep i ON i.student_usi = o.student_usi;
$$;
REVOKE ALL ON FUNCTION transportation.needs_on(integer[], date, boolean) FROM PUBLIC;

-- The desks' reading of it: the students the caller's schools hold (administrators: all). The front
-- office, which may not read IEPs, gets the plans' own needs only.
CREATE OR REPLACE FUNCTION transportation.needs_in_force(p_students integer[], p_day date)
RETURNS TABLE (student_usi integer, wheelchair boolean, equipment text[], aide_required boolean,
               door_to_door boolean, iep boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    admin boolean := pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER');
    iep_reader boolean := """ + _has("so_admin", "so_transportation", "so_nurse") + r""";
    schools bigint[];
BEGIN
    """ + _ROLE_CHECK.format(roles="iep_reader OR " + _has("so_front_office"),
                             what="only transportation staff, the front office, nurses and administrators read "
                                  "riders'' needs") + r"""
    IF NOT admin THEN
        schools := compliance.my_school_ids();
    END IF;
    RETURN QUERY
    SELECT n.student_usi, n.wheelchair, n.equipment, n.aide_required, n.door_to_door, n.iep
      FROM transportation.needs_on(p_students, p_day, iep_reader) n
     WHERE """ + _in_scope("n.student_usi") + r""";
END;
$$;
REVOKE ALL ON FUNCTION transportation.needs_in_force(integer[], date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION transportation.needs_in_force(integer[], date)
    TO so_transportation, so_front_office, so_nurse, so_admin;

-- Riders of runs by weekday, grade, wheelchair and equipment for the plans in force on a day (all
-- riders, whatever school the caller works at: a bus is full for everyone). Counts only, no names.
-- p_except: a rider left out (the one whose new plan or needs are being checked).
CREATE OR REPLACE FUNCTION transportation.run_loads_on(p_runs integer[], p_day date, p_except integer DEFAULT NULL)
RETURNS TABLE (run_id integer, day_of_week smallint, grade text, wheelchair boolean, equipment text[], riders bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    """ + _ROLE_CHECK.format(roles=_has("so_admin", "so_transportation", "so_front_office", "so_nurse"),
                             what="only transportation staff, the front office, nurses and administrators read "
                                  "run loads") + r"""
    IF p_runs IS NULL THEN  -- the whole district: one pass over the enrollments
        RETURN QUERY
        SELECT l.run_id, l.day_of_week, e.grade::text, coalesce(n.wheelchair, false), coalesce(n.equipment, '{}'),
               count(*)
          FROM transportation.rider_legs l
          JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
          LEFT JOIN (""" + _ENROLLMENT + r""") e ON e.studentusi = l.student_usi
          LEFT JOIN transportation.needs_on(NULL, p_day) n ON n.student_usi = l.student_usi
         WHERE st.is_active AND st.effective_date <= p_day AND (st.end_date IS NULL OR st.end_date >= p_day)
           AND l.student_usi IS DISTINCT FROM p_except
         GROUP BY 1, 2, 3, 4, 5;
    ELSE
        RETURN QUERY
        WITH legs AS (
            SELECT l.run_id, l.day_of_week, l.student_usi
              FROM transportation.rider_legs l
              JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
             WHERE l.run_id = ANY (p_runs) AND st.is_active AND st.effective_date <= p_day
               AND (st.end_date IS NULL OR st.end_date >= p_day) AND l.student_usi IS DISTINCT FROM p_except
        )
        SELECT x.run_id, x.day_of_week, e.grade::text, coalesce(n.wheelchair, false), coalesce(n.equipment, '{}'),
               count(*)
          FROM legs x
          LEFT JOIN LATERAL (SELECT g.codevalue AS grade FROM edfi.studentschoolassociation a
                               JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
                              WHERE a.studentusi = x.student_usi AND a.entrydate <= p_day
                                AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= p_day)
                              ORDER BY a.entrydate DESC LIMIT 1) e ON true
          LEFT JOIN transportation.needs_on(ARRAY(SELECT DISTINCT student_usi FROM legs), p_day) n
            ON n.student_usi = x.student_usi
         GROUP BY 1, 2, 3, 4, 5;
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION transportation.run_loads_on(integer[], date, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION transportation.run_loads_on(integer[], date, integer)
    TO so_transportation, so_front_office, so_nurse, so_admin;

-- The runs one rider rides from a day on (plans not ended by then), with each run's bus: what the
-- nurse's save of IEP bus needs is checked against. Her own schools' students only.
CREATE OR REPLACE FUNCTION transportation.rider_runs_on(p_student integer, p_day date)
RETURNS TABLE (run_id integer, run_name text, day_of_week smallint, seats integer, positions integer,
               equipment text[], grade text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    admin boolean := pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER');
    schools bigint[];
BEGIN
    """ + _ROLE_CHECK.format(roles=_has("so_admin", "so_transportation", "so_nurse"),
                             what="only transportation staff, nurses and administrators read a rider''s runs") + r"""
    IF NOT admin THEN
        schools := compliance.my_school_ids();
    END IF;
    IF NOT """ + _in_scope("p_student") + r""" THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT DISTINCT u.run_id, (r.route_number || ' ' || u.run_kind)::text, l.day_of_week, b.seats,
           coalesce(b.wheelchair_positions, 0), coalesce(b.equipment, '{}'),
           (SELECT g.codevalue::text FROM edfi.studentschoolassociation a
              JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
             WHERE a.studentusi = p_student AND a.entrydate <= p_day
               AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= p_day)
             ORDER BY a.entrydate DESC LIMIT 1)
      FROM transportation.rider_legs l
      JOIN transportation.student_transportation st ON st.assignment_id = l.assignment_id
      JOIN transportation.runs u ON u.run_id = l.run_id AND u.is_active
      JOIN transportation.bus_routes r ON r.route_id = u.route_id
      LEFT JOIN transportation.buses b ON b.bus_id = u.bus_id
     WHERE l.student_usi = p_student AND st.is_active AND (st.end_date IS NULL OR st.end_date >= p_day)
     ORDER BY 1, 3;
END;
$$;
REVOKE ALL ON FUNCTION transportation.rider_runs_on(integer, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION transportation.rider_runs_on(integer, date) TO so_transportation, so_nurse, so_admin;

-- The nurse's check counts seats by grade band like the bus desk (no student data in it).
GRANT SELECT ON transportation.grade_bands TO so_nurse;

-- Ed-Fi StudentTransportation: accommodations are the needs in force today (sync_edfi below).
{SYNC_EDFI}

{MOVE_SQL}
-- Once a day, without queueing on the settings row when it is already done.
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
    IF NOT p_force AND (SELECT s.edfi_synced_on FROM transportation.settings s) IS NOT DISTINCT FROM current_date THEN
        RETURN 0;  -- done today: no lock taken
    END IF;
    SELECT s.edfi_synced_on INTO last_day FROM transportation.settings s FOR UPDATE;
    IF NOT p_force AND last_day IS NOT DISTINCT FROM current_date THEN
        RETURN 0;  -- another session did it while this one waited
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

MOVE_SQL = r"""
-- The plans lose the IEP's copy (taken when they were saved): what any IEP of the student records
-- comes from the IEP while it is in force. A parent's own need the IEP also names goes with it.
UPDATE transportation.student_transportation st
   SET wheelchair = st.wheelchair AND NOT x.wheelchair,
       equipment_needed = ARRAY(SELECT e FROM unnest(st.equipment_needed) e
                                 WHERE NOT (e = ANY (x.equipment)) ORDER BY e)
  FROM (SELECT t.student_usi, bool_or(t.wheelchair) AS wheelchair,
               coalesce(array_agg(DISTINCT e) FILTER (WHERE e IS NOT NULL), '{}') AS equipment
          FROM transportation.iep_transport t LEFT JOIN LATERAL unnest(t.equipment) e ON true
         GROUP BY t.student_usi) x
 WHERE x.student_usi = st.student_usi
   AND ((st.wheelchair AND x.wheelchair) OR st.equipment_needed && x.equipment);

"""

DOWNGRADE_SQL = r"""
REVOKE SELECT ON transportation.grade_bands FROM so_nurse;
DROP FUNCTION IF EXISTS transportation.rider_runs_on(integer, date);
DROP FUNCTION IF EXISTS transportation.run_loads_on(integer[], date, integer);
DROP FUNCTION IF EXISTS transportation.needs_in_force(integer[], date);
COMMENT ON COLUMN transportation.student_transportation.wheelchair IS 'Rides in a wheelchair position';
COMMENT ON COLUMN transportation.student_transportation.equipment_needed IS 'lift, car seat, harness';
"""


def _m0028():
    spec = importlib.util.spec_from_file_location("m0028", Path(__file__).with_name("0028_transport_setup_iep.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def _function(sql: str, name: str, next_marker: str) -> str:
    start = sql.index(f"CREATE OR REPLACE FUNCTION transportation.{name}")
    return sql[start:sql.index(next_marker, start)]


def _sync_edfi() -> str:
    """0028's sync_edfi with the accommodations and the special-needs type from needs_on."""
    old = _function(_m0028().UPGRADE_SQL, "sync_edfi", "-- The IEP's transport needs changed")
    accommodations = old[old.index("           nullif(concat_ws"):old.index("      FROM transportation.current_plans")]
    new = ("""           nullif(concat_ws(', ', CASE WHEN n.wheelchair THEN 'wheelchair position' END,
                            nullif(array_to_string(n.equipment, ', '), ''),
                            CASE WHEN n.aide_required THEN 'aide' END,
                            CASE WHEN n.door_to_door THEN 'door to door' END), ''),
           (SELECT d.descriptorid FROM edfi.descriptor d
              JOIN edfi.transportationtypedescriptor t ON t.transportationtypedescriptorid = d.descriptorid
             WHERE d.codevalue = CASE WHEN n.iep THEN 'Special Needs Bus' ELSE 'School Bus' END
             LIMIT 1)
""")
    out = old.replace(accommodations, new).replace(
        "LEFT JOIN transportation.iep_needs_on(p_students, current_date) n",
        "LEFT JOIN transportation.needs_on(p_students, current_date) n")
    assert out.count("needs_on(p_students, current_date) n") == 1 and "p.wheelchair" not in out
    return out


def upgrade() -> None:
    op.execute(UPGRADE_SQL.replace("{SYNC_EDFI}", _sync_edfi()).replace("{MOVE_SQL}", MOVE_SQL))


def downgrade() -> None:
    m = _m0028()
    op.execute(DOWNGRADE_SQL)
    # refresh_edfi and sync_edfi as 0028 left them (needs_on last: sync_edfi no longer uses it)
    op.execute(_function(m.UPGRADE_SQL, "sync_edfi", "-- The IEP's transport needs changed"))
    op.execute(m.UPGRADE_SQL[m.UPGRADE_SQL.index("CREATE OR REPLACE FUNCTION transportation.refresh_edfi"):])
    op.execute("DROP FUNCTION IF EXISTS transportation.needs_on(integer[], date, boolean);")
