"""The field-trip health list: for the class going on a trip, each student's allergies (read from
health.allergies, the one source the lunch register, the bus rosters and the profile badge read
too), emergency action plans, the medications due that day or kept for emergencies, and what the
student carries (self-carry). The nurse prints it for the trip's teacher; each student printed gets
a view entry with the printout's reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.services.nurse.common import FIELD_TRIP_PRINTED, logged


@dataclass(frozen=True)
class TripStudent:
    student_usi: int
    name: str
    grade: str | None
    allergies: tuple[str, ...]
    plans: tuple[str, ...]
    medications: tuple[str, ...]
    carries: tuple[str, ...]

    @property
    def has_health_needs(self) -> bool:
        return bool(self.allergies or self.plans or self.medications or self.carries)


def trip_list(conn: Connection, section_key: tuple, day: date, *, reason: str = FIELD_TRIP_PRINTED) -> list[TripStudent]:
    """One row per student of the class on `day`, with what the trip's staff must know and take."""
    lcc, sid, sy, sec, sess = section_key
    rows = conn.execute(text("""
        SELECT st.studentusi, st.lastsurname || ', ' || st.firstname, g.codevalue,
               ARRAY(SELECT a.allergen_name || coalesce(' (' || lower(a.severity) || ')', '')
                            || coalesce(': ' || a.reaction, '')
                       FROM health.allergies a WHERE a.student_usi = st.studentusi AND coalesce(a.is_active, true)
                      ORDER BY a.allergen_name),
               ARRAY(SELECT initcap(p.plan_type) || ' action plan: ' || p.condition
                            || coalesce('; emergency medication: ' || p.medications, '')
                       FROM health.emergency_action_plans p WHERE p.student_usi = st.studentusi AND p.is_active
                      ORDER BY p.plan_type),
               ARRAY(SELECT concat_ws(' ', m.medication_name, m.strength, CAST(trim_scale(m.dose_amount) AS text), m.dose_unit,
                                      m.route) || CASE WHEN m.as_needed THEN ' as needed'
                                                       ELSE ' at ' || array_to_string(m.schedule_times, ', ') END
                       FROM health.medications m WHERE m.student_usi = st.studentusi AND m.is_active
                        AND m.start_date <= :d AND (m.end_date IS NULL OR m.end_date >= :d)
                        AND (m.as_needed OR m.schedule_times IS NOT NULL)
                      ORDER BY m.medication_name),
               ARRAY(SELECT c.medication_name || ' (' || c.device || ')'
                       FROM health.self_carry_authorizations c WHERE c.student_usi = st.studentusi
                        AND c.expires_on >= :d AND (c.revoked_on IS NULL OR c.revoked_on > :d)
                      ORDER BY c.medication_name)
          FROM edfi.studentsectionassociation x
          JOIN edfi.student st ON st.studentusi = x.studentusi
          JOIN edfi.studentschoolassociation a ON a.studentusi = x.studentusi AND a.schoolid = x.schoolid
           AND a.entrydate <= :d AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= :d)
          LEFT JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
         WHERE x.localcoursecode = :lcc AND x.schoolid = :sid AND x.schoolyear = :sy AND x.sectionidentifier = :sec
           AND x.sessionname = :sess AND x.begindate <= :d AND (x.enddate IS NULL OR x.enddate >= :d)
         ORDER BY 2"""), {"lcc": lcc, "sid": sid, "sy": sy, "sec": sec, "sess": sess, "d": day})
    out = [TripStudent(r[0], r[1], r[2], tuple(r[3]), tuple(r[4]), tuple(r[5]), tuple(r[6]))
           for r in rows]
    return logged(conn, out, reason)

