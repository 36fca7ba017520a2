"""The dean's desk: discipline incidents, the students involved, and the actions that answer
their behaviors (Ed-Fi 5.2 DisciplineIncident, StudentDisciplineIncidentBehaviorAssociation,
StudentDisciplineIncidentNonOffenderAssociation, DisciplineAction).

Nothing here deletes: a correction is an audited update of the action (what was actually
served, why it differs), and the audit trail keeps the old and new values.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, text

from app.errors import UserError
from app.services.request_ids import lock_request
from app.services.descriptor_ids import DescriptorIds
from app.sync.outbox import enqueue_many, student_activity_item

SUSPENSIONS = {"Out of School Suspension": ("Excused Absence", None),
               "In School Suspension": ("In Attendance", "In-school suspension")}


@dataclass(frozen=True)
class DisciplineChoices:
    behaviors: tuple[str, ...]
    roles: tuple[str, ...]  # DisciplineIncidentParticipationCode
    locations: tuple[str, ...]
    reporters: tuple[str, ...]
    weapons: tuple[str, ...]
    actions: tuple[str, ...]  # DisciplineDescriptor
    difference_reasons: tuple[str, ...]
    staff: tuple[tuple[int, str], ...]  # (StaffUSI, name) of the district


def discipline_choices(conn: Connection) -> DisciplineChoices:
    def codes(t: str) -> tuple[str, ...]:
        return tuple(conn.execute(text("SELECT codevalue FROM edfi.descriptor WHERE discriminator = :t "
                                       "ORDER BY codevalue"), {"t": f"edfi.{t}"}).scalars())
    staff = tuple((r[0], r[1]) for r in conn.execute(text(
        "SELECT staffusi, lastsurname || ', ' || firstname FROM edfi.staff ORDER BY lastsurname, firstname")))
    return DisciplineChoices(codes("BehaviorDescriptor"), codes("DisciplineIncidentParticipationCodeDescriptor"),
                             codes("IncidentLocationDescriptor"), codes("ReporterDescriptionDescriptor"),
                             codes("WeaponDescriptor"), codes("DisciplineDescriptor"),
                             codes("DisciplineActionLengthDifferenceReasonDescriptor"), staff)


@dataclass(frozen=True)
class InvolvedStudent:
    student_usi: int
    role: str  # Perpetrator, Victim, Witness, Reporter
    behaviors: tuple[str, ...] = ()  # what the student did; none for a victim or witness
    description: str = ""


@dataclass(frozen=True)
class NewIncident:
    school_id: int
    incident_date: date | None
    incident_time: time | None
    location: str
    description: str
    reporter_description: str
    reporter_name: str
    reported_to_law_enforcement: bool
    cost: str  # as typed; "" for none
    students: tuple[InvolvedStudent, ...]
    weapons: tuple[str, ...] = ()
    staff_usis: tuple[int, ...] = ()


def _cost(value: str) -> Decimal | None:
    v = value.strip().replace("$", "").replace(",", "")
    if not v:
        return None
    try:
        cost = Decimal(v)
    except InvalidOperation:
        raise UserError(f"Cost \"{value}\" is not an amount; enter dollars and cents, e.g. 120.50.") from None
    if cost < 0:
        raise UserError("Cost is below zero; enter the amount of the damage or loss.")
    return cost.quantize(Decimal("0.01"))


def record_incident(conn: Connection, incident: NewIncident, *, actor: str | None = None,
                    now: datetime | None = None, today: date | None = None, request_id: str | None = None) -> str:
    """Save an incident with its students, behaviors, weapons and staff; returns its identifier.
    request_id: the form's id for this incident (a UUID made when the form was opened or cleared,
    stored as the incident's Ed-Fi id): a second call with it returns the incident the first call
    recorded instead of recording it again (a double click, a retry after a lost answer)."""
    now = now or datetime.now(timezone.utc)
    today = today or date.today()
    rid = lock_request(conn, request_id)
    if rid is not None:
        done = conn.execute(text("SELECT incidentidentifier FROM edfi.disciplineincident WHERE id = CAST(:r AS uuid)"),
                            {"r": rid}).scalar()
        if done is not None:
            return done
    if incident.incident_date is None:
        raise UserError("Incident date is empty; enter the day it happened.")
    if incident.incident_date > today:
        raise UserError(f"Incident date {incident.incident_date:%m/%d/%Y} is in the future; enter the day it happened.")
    if not incident.description.strip():
        raise UserError("Description is empty; say in a sentence or two what happened.")
    if not incident.students:
        raise UserError("No student is listed; add at least one student involved.")
    cost = _cost(incident.cost)
    ids = DescriptorIds(conn)
    location = ids.get("IncidentLocationDescriptor", incident.location, "Location") if incident.location else None
    reporter = (ids.get("ReporterDescriptionDescriptor", incident.reporter_description, "Reported by")
                if incident.reporter_description else None)
    weapons = [ids.get("WeaponDescriptor", w, "Weapon") for w in incident.weapons]
    seen = set()
    for s in incident.students:
        if s.student_usi in seen:
            raise UserError("A student is listed twice; list each student once with all their behaviors.")
        seen.add(s.student_usi)
        ids.get("DisciplineIncidentParticipationCodeDescriptor", s.role, "Role")
        for b in s.behaviors:
            ids.get("BehaviorDescriptor", b, "Behavior")
        if s.role == "Perpetrator" and not s.behaviors:
            raise UserError("A student listed as perpetrator has no behavior; pick the behavior they are "
                            "responsible for.")
    students = {r[0]: r[1:] for r in conn.execute(text(
        "SELECT studentusi, studentuniqueid, firstname || ' ' || lastsurname FROM edfi.student "
        "WHERE studentusi = ANY(CAST(:u AS int[]))"), {"u": list(seen)}).all()}
    if len(students) != len(seen):
        raise UserError("A listed student is not on file or not one you may see; search for them again.")
    ident = f"INC-{incident.incident_date:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"
    key = {"i": ident, "s": incident.school_id}
    conn.execute(text(
        "INSERT INTO edfi.disciplineincident (incidentidentifier, schoolid, incidentdate, incidenttime, "
        "incidentdescription, incidentlocationdescriptorid, reportedtolawenforcement, reporterdescriptiondescriptorid, "
        "reportername, incidentcost, id) VALUES (:i, :s, :d, :t, :desc, :loc, :law, :rep, :name, :cost, "
        "coalesce(CAST(:rid AS uuid), gen_random_uuid()))"),
        {**key, "rid": rid, "d": incident.incident_date, "t": incident.incident_time, "desc": incident.description.strip(),
         "loc": location, "law": incident.reported_to_law_enforcement, "rep": reporter,
         "name": incident.reporter_name.strip() or None, "cost": cost})
    all_behaviors = sorted({b for s in incident.students for b in s.behaviors})
    for b in all_behaviors:
        conn.execute(text("INSERT INTO edfi.disciplineincidentbehavior (incidentidentifier, schoolid, "
                          "behaviordescriptorid) VALUES (:i, :s, :b)"),
                     {**key, "b": ids.get("BehaviorDescriptor", b, "Behavior")})
    for w in weapons:
        conn.execute(text("INSERT INTO edfi.disciplineincidentweapon (incidentidentifier, schoolid, weapondescriptorid) "
                          "VALUES (:i, :s, :w)"), {**key, "w": w})
    for staff in sorted(set(incident.staff_usis)):
        conn.execute(text("INSERT INTO edfi.staffdisciplineincidentassociation (incidentidentifier, schoolid, staffusi) "
                          "VALUES (:i, :s, :u)"), {**key, "u": staff})
    items = []
    for s in incident.students:
        role = ids.get("DisciplineIncidentParticipationCodeDescriptor", s.role, "Role")
        p = {**key, "u": s.student_usi, "r": role, "desc": s.description.strip() or None}
        if s.behaviors:
            for b in s.behaviors:
                conn.execute(text(
                    "INSERT INTO edfi.studentdisciplineincidentbehaviorassociation (behaviordescriptorid, "
                    "incidentidentifier, schoolid, studentusi, behaviordetaileddescription) VALUES (:b, :i, :s, :u, :desc)"),
                    {**p, "b": ids.get("BehaviorDescriptor", b, "Behavior")})
                conn.execute(text(
                    "INSERT INTO edfi.studentdisciplineincidentbehaviorassociationdisciplinein_ae6a21 "
                    "(behaviordescriptorid, incidentidentifier, schoolid, studentusi, "
                    "disciplineincidentparticipationcodedescriptorid) VALUES (:b, :i, :s, :u, :r)"),
                    {**p, "b": ids.get("BehaviorDescriptor", b, "Behavior")})
        else:
            conn.execute(text("INSERT INTO edfi.studentdisciplineincidentnonoffenderassociation (incidentidentifier, "
                              "schoolid, studentusi) VALUES (:i, :s, :u)"), p)
            conn.execute(text("INSERT INTO edfi.studentdisciplineincidentnonoffenderassociationparticipation "
                              "(incidentidentifier, schoolid, studentusi, disciplineincidentparticipationcodedescriptorid) "
                              "VALUES (:i, :s, :u, :r)"), p)
        items.append(student_activity_item(
            students[s.student_usi][0], f"{ident}-{s.student_usi}", now, "discipline.incident",
            {"incident": ident, "date": incident.incident_date.isoformat(), "role": s.role,
             "behaviors": list(s.behaviors)}, actor))
    enqueue_many(conn, "StudentActivityLogs", items)
    return ident


@dataclass(frozen=True)
class NewAction:
    student_usi: int
    incident_identifier: str
    school_id: int
    behavior: str  # the behavior of this student in the incident that the action answers
    discipline: str  # DisciplineDescriptor, e.g. Out of School Suspension
    action_date: date | None
    length_assigned: str  # days, as typed
    length_served: str = ""
    difference_reason: str = ""
    iep_placement_meeting: bool = False
    zero_tolerance: bool = False
    staff_usis: tuple[int, ...] = ()
    generate_attendance: bool = False


def _days(value: str, label: str) -> Decimal | None:
    v = value.strip()
    if not v:
        return None
    try:
        d = Decimal(v)
    except InvalidOperation:
        raise UserError(f"{label} \"{value}\" is not a number of days; enter e.g. 3 or 0.5.") from None
    if d < 0 or d > 365:
        raise UserError(f"{label} {value} is outside 0 to 365 days; enter the number of school days.")
    return d


@dataclass(frozen=True)
class ActionResult:
    identifier: str
    attendance_days: tuple[date, ...]  # the school days given an attendance event


def record_action(conn: Connection, action: NewAction, *, actor: str | None = None,
                  now: datetime | None = None, request_id: str | None = None) -> ActionResult:
    """request_id: as for record_incident: a second call with it returns the action already recorded."""
    now = now or datetime.now(timezone.utc)
    rid = lock_request(conn, request_id)
    if rid is not None:
        done = conn.execute(text("SELECT disciplineactionidentifier, studentusi FROM edfi.disciplineaction "
                                 "WHERE id = CAST(:r AS uuid)"), {"r": rid}).first()
        if done is not None:
            days = conn.execute(text(
                "SELECT eventdate FROM edfi.studentschoolattendanceevent WHERE studentusi = :u "
                "AND attendanceeventreason LIKE :why ORDER BY eventdate"),
                {"u": done[1], "why": f"%({done[0]})"}).scalars().all()
            return ActionResult(done[0], tuple(days))
    if not action.behavior:
        raise UserError("Behavior is empty: an action answers a behavior of the student in this incident; pick one.")
    if action.action_date is None:
        raise UserError("Action date is empty; enter the first day of the action.")
    ids = DescriptorIds(conn)
    discipline_id = ids.get("DisciplineDescriptor", action.discipline, "Action")
    behavior_id = ids.get("BehaviorDescriptor", action.behavior, "Behavior")
    assigned = _days(action.length_assigned, "Length assigned")
    served = _days(action.length_served, "Length served")
    reason = action.difference_reason
    if served is not None and assigned is not None and served != assigned and not reason:
        raise UserError("Length served differs from length assigned; pick the reason for the difference.")
    reason_id = (ids.get("DisciplineActionLengthDifferenceReasonDescriptor", reason, "Difference reason")
                 if reason else None)
    found = conn.execute(text(
        "SELECT s.studentuniqueid, i.incidentdate FROM edfi.studentdisciplineincidentbehaviorassociation b "
        "JOIN edfi.student s ON s.studentusi = b.studentusi JOIN edfi.disciplineincident i "
        "ON i.incidentidentifier = b.incidentidentifier AND i.schoolid = b.schoolid "
        "WHERE b.studentusi = :u AND b.incidentidentifier = :i AND b.schoolid = :s AND b.behaviordescriptorid = :b"),
        {"u": action.student_usi, "i": action.incident_identifier, "s": action.school_id, "b": behavior_id}).first()
    if found is None:
        raise UserError(f"Behavior \"{action.behavior}\" is not one of this student's behaviors in incident "
                        f"{action.incident_identifier}; pick a behavior recorded for them.")
    uid, incident_date = found
    if action.action_date < incident_date:
        raise UserError(f"Action date {action.action_date:%m/%d/%Y} is before the incident "
                        f"({incident_date:%m/%d/%Y}); enter a date on or after it.")
    ident = f"ACT-{action.action_date:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"
    key = {"a": ident, "d": action.action_date, "u": action.student_usi}
    conn.execute(text(
        "INSERT INTO edfi.disciplineaction (disciplineactionidentifier, disciplinedate, studentusi, "
        "disciplineactionlength, actualdisciplineactionlength, disciplineactionlengthdifferencereasondescriptorid, "
        "iepplacementmeetingindicator, relatedtozerotolerancepolicy, responsibilityschoolid, assignmentschoolid, id) "
        "VALUES (:a, :d, :u, :len, :served, :reason, :iep, :zt, :s, :s, coalesce(CAST(:rid AS uuid), "
        "gen_random_uuid()))"),
        {**key, "rid": rid, "len": assigned, "served": served, "reason": reason_id, "iep": action.iep_placement_meeting,
         "zt": action.zero_tolerance, "s": action.school_id})
    conn.execute(text("INSERT INTO edfi.disciplineactiondiscipline (disciplineactionidentifier, disciplinedate, "
                      "studentusi, disciplinedescriptorid) VALUES (:a, :d, :u, :t)"), {**key, "t": discipline_id})
    conn.execute(text(
        "INSERT INTO edfi.disciplineactionstudentdisciplineincidentbehaviorassociation (disciplineactionidentifier, "
        "disciplinedate, studentusi, behaviordescriptorid, incidentidentifier, schoolid) "
        "VALUES (:a, :d, :u, :b, :i, :s)"),
        {**key, "b": behavior_id, "i": action.incident_identifier, "s": action.school_id})
    for staff in sorted(set(action.staff_usis)):
        conn.execute(text("INSERT INTO edfi.disciplineactionstaff (disciplineactionidentifier, disciplinedate, "
                          "studentusi, staffusi) VALUES (:a, :d, :u, :st)"), {**key, "st": staff})
    days: tuple[date, ...] = ()
    if action.generate_attendance:
        days = _suspension_attendance(conn, action, ident, assigned)
    items = [student_activity_item(uid, ident, now, "discipline.action",
                                   {"incident": action.incident_identifier, "action": action.discipline,
                                    "date": action.action_date.isoformat(),
                                    "days": str(assigned) if assigned is not None else None,
                                    "attendanceDays": [d.isoformat() for d in days]}, actor)]
    enqueue_many(conn, "StudentActivityLogs", items)
    return ActionResult(ident, days)


def _suspension_attendance(conn: Connection, action: NewAction, ident: str, length: Decimal | None) -> tuple[date, ...]:
    """The daily attendance of each suspension day: the next school days from the action date."""
    if action.discipline not in SUSPENSIONS:
        raise UserError(f"{action.discipline} does not keep a student from class; attendance is generated only for "
                        f"{' and '.join(SUSPENSIONS)}.")
    if not length or length <= 0:
        raise UserError("Length assigned is empty; enter the number of suspension days to mark attendance.")
    n = int(length.to_integral_value(rounding="ROUND_CEILING"))
    days = conn.execute(text(
        "SELECT e.date, e.schoolyear, (SELECT ses.sessionname FROM edfi.session ses WHERE ses.schoolid = e.schoolid "
        "AND ses.schoolyear = e.schoolyear AND e.date BETWEEN ses.begindate AND ses.enddate ORDER BY 1 LIMIT 1) "
        "FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d ON d.descriptorid = e.calendareventdescriptorid "
        "WHERE e.schoolid = :s AND e.date >= :d AND d.codevalue = 'Instructional day' ORDER BY e.date LIMIT :n"),
        {"s": action.school_id, "d": action.action_date, "n": n}).all()
    if len(days) < n:
        raise UserError(f"The school calendar has only {len(days)} school days from {action.action_date:%m/%d/%Y}; "
                        "shorten the suspension or extend the calendar.")
    code, environment = SUSPENSIONS[action.discipline]
    ids = DescriptorIds(conn)
    cat = ids.get("AttendanceEventCategoryDescriptor", code, "Attendance code")
    env = ids.get("EducationalEnvironmentDescriptor", environment, "Setting") if environment else None
    reason = f"{action.discipline} ({ident})"
    for day, sy, sess in days:
        p = {"u": action.student_usi, "d": day, "s": action.school_id, "sy": sy, "sess": sess, "c": cat,
             "env": env, "why": reason, "dur": 1.0 if code == "Excused Absence" else 0.0}
        # update the day's status if one was taken, else add it (deans have no DELETE on attendance)
        changed = conn.execute(text(
            "UPDATE edfi.studentschoolattendanceevent SET attendanceeventcategorydescriptorid = :c, "
            "attendanceeventreason = :why, educationalenvironmentdescriptorid = :env, eventduration = :dur, "
            "lastmodifieddate = now() AT TIME ZONE 'utc' "
            "WHERE studentusi = :u AND eventdate = :d AND schoolid = :s AND schoolyear = :sy"), p).rowcount
        if not changed:
            conn.execute(text(
                "INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, "
                "schoolid, schoolyear, sessionname, studentusi, attendanceeventreason, educationalenvironmentdescriptorid, "
                "eventduration) VALUES (:c, :d, :s, :sy, :sess, :u, :why, :env, :dur)"), p)
    return tuple(d for d, _, _ in days)


def correct_action(conn: Connection, identifier: str, action_date: date, student_usi: int, *, length_served: str,
                   difference_reason: str, actor: str | None = None, now: datetime | None = None) -> None:
    """Record what was actually served. An audited update: the old values stay in the audit trail."""
    now = now or datetime.now(timezone.utc)
    served = _days(length_served, "Length served")
    ids = DescriptorIds(conn)
    reason = (ids.get("DisciplineActionLengthDifferenceReasonDescriptor", difference_reason, "Difference reason")
              if difference_reason else None)
    row = conn.execute(text("SELECT disciplineactionlength FROM edfi.disciplineaction WHERE disciplineactionidentifier "
                            "= :a AND disciplinedate = :d AND studentusi = :u"),
                       {"a": identifier, "d": action_date, "u": student_usi}).first()
    if row is None:
        raise UserError(f"Action {identifier} is not on file; reopen the student's discipline history.")
    if served is not None and row[0] is not None and served != row[0] and reason is None:
        raise UserError("Length served differs from length assigned; pick the reason for the difference.")
    conn.execute(text(
        "UPDATE edfi.disciplineaction SET actualdisciplineactionlength = :served, "
        "disciplineactionlengthdifferencereasondescriptorid = :reason, lastmodifieddate = now() AT TIME ZONE 'utc' "
        "WHERE disciplineactionidentifier = :a AND disciplinedate = :d AND studentusi = :u"),
        {"served": served, "reason": reason, "a": identifier, "d": action_date, "u": student_usi})
    uid = conn.execute(text("SELECT studentuniqueid FROM edfi.student WHERE studentusi = :u"), {"u": student_usi}).scalar()
    enqueue_many(conn, "StudentActivityLogs", [student_activity_item(
        uid, f"{identifier}-C{now:%H%M%S}", now, "discipline.corrected",
        {"action": identifier, "served": str(served) if served is not None else None, "reason": difference_reason},
        actor)])


# -- reading ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActionLine:
    identifier: str
    action_date: date
    discipline: str
    behavior: str | None
    length_assigned: Decimal | None
    length_served: Decimal | None
    difference_reason: str | None


@dataclass(frozen=True)
class HistoryEntry:
    incident_identifier: str
    school_id: int
    incident_date: date
    location: str | None
    description: str | None
    role: str | None
    behaviors: tuple[str, ...]
    actions: tuple[ActionLine, ...]


def discipline_history(conn: Connection, student_usi: int) -> list[HistoryEntry]:
    """Every incident the student was part of, newest first, with the actions they were given."""
    rows = conn.execute(text("""
        WITH mine AS (
            SELECT b.incidentidentifier, b.schoolid, array_agg(DISTINCT bd.codevalue) AS behaviors,
                   min(pc.codevalue) AS role
              FROM edfi.studentdisciplineincidentbehaviorassociation b
              JOIN edfi.descriptor bd ON bd.descriptorid = b.behaviordescriptorid
              LEFT JOIN edfi.studentdisciplineincidentbehaviorassociationdisciplinein_ae6a21 p
                     ON p.studentusi = b.studentusi AND p.incidentidentifier = b.incidentidentifier
                    AND p.schoolid = b.schoolid AND p.behaviordescriptorid = b.behaviordescriptorid
              LEFT JOIN edfi.descriptor pc ON pc.descriptorid = p.disciplineincidentparticipationcodedescriptorid
             WHERE b.studentusi = :u GROUP BY b.incidentidentifier, b.schoolid
            UNION ALL
            SELECT n.incidentidentifier, n.schoolid, ARRAY[]::varchar[], min(pc.codevalue)
              FROM edfi.studentdisciplineincidentnonoffenderassociation n
              LEFT JOIN edfi.studentdisciplineincidentnonoffenderassociationparticipation p
                     ON p.studentusi = n.studentusi AND p.incidentidentifier = n.incidentidentifier
                    AND p.schoolid = n.schoolid
              LEFT JOIN edfi.descriptor pc ON pc.descriptorid = p.disciplineincidentparticipationcodedescriptorid
             WHERE n.studentusi = :u GROUP BY n.incidentidentifier, n.schoolid)
        SELECT i.incidentidentifier, i.schoolid, i.incidentdate, ld.codevalue, i.incidentdescription, mine.role,
               mine.behaviors
          FROM mine JOIN edfi.disciplineincident i ON i.incidentidentifier = mine.incidentidentifier
           AND i.schoolid = mine.schoolid
          LEFT JOIN edfi.descriptor ld ON ld.descriptorid = i.incidentlocationdescriptorid
         ORDER BY i.incidentdate DESC, i.incidenttime DESC NULLS LAST, i.incidentidentifier"""), {"u": student_usi}).all()
    actions: dict[tuple, list[ActionLine]] = {}
    for r in conn.execute(text("""
        SELECT l.incidentidentifier, l.schoolid, a.disciplineactionidentifier, a.disciplinedate, dd.codevalue,
               bd.codevalue, a.disciplineactionlength, a.actualdisciplineactionlength, rd.codevalue
          FROM edfi.disciplineaction a
          JOIN edfi.disciplineactionstudentdisciplineincidentbehaviorassociation l
            ON l.disciplineactionidentifier = a.disciplineactionidentifier AND l.disciplinedate = a.disciplinedate
           AND l.studentusi = a.studentusi
          LEFT JOIN edfi.disciplineactiondiscipline t ON t.disciplineactionidentifier = a.disciplineactionidentifier
           AND t.disciplinedate = a.disciplinedate AND t.studentusi = a.studentusi
          LEFT JOIN edfi.descriptor dd ON dd.descriptorid = t.disciplinedescriptorid
          LEFT JOIN edfi.descriptor bd ON bd.descriptorid = l.behaviordescriptorid
          LEFT JOIN edfi.descriptor rd ON rd.descriptorid = a.disciplineactionlengthdifferencereasondescriptorid
         WHERE a.studentusi = :u ORDER BY a.disciplinedate"""), {"u": student_usi}):
        actions.setdefault((r[0], r[1]), []).append(ActionLine(*r[2:]))
    return [HistoryEntry(r[0], r[1], r[2], r[3], r[4], r[5], tuple(sorted(r[6] or ())),
                         tuple(actions.get((r[0], r[1]), ()))) for r in rows]


@dataclass(frozen=True)
class IncidentSummary:
    incident_identifier: str
    school_id: int
    incident_date: date
    location: str | None
    description: str | None
    students: str  # "Ana Diaz (Perpetrator), Ben Li (Victim)"


def recent_incidents(conn: Connection, limit: int = 50) -> list[IncidentSummary]:
    return [IncidentSummary(*r) for r in conn.execute(text("""
        SELECT i.incidentidentifier, i.schoolid, i.incidentdate, ld.codevalue, i.incidentdescription,
               coalesce((SELECT string_agg(DISTINCT s.firstname || ' ' || s.lastsurname, ', ')
                           FROM (SELECT studentusi FROM edfi.studentdisciplineincidentbehaviorassociation b
                                  WHERE b.incidentidentifier = i.incidentidentifier AND b.schoolid = i.schoolid
                                 UNION SELECT studentusi FROM edfi.studentdisciplineincidentnonoffenderassociation n
                                  WHERE n.incidentidentifier = i.incidentidentifier AND n.schoolid = i.schoolid) x
                           JOIN edfi.student s ON s.studentusi = x.studentusi), '')
          FROM edfi.disciplineincident i
          LEFT JOIN edfi.descriptor ld ON ld.descriptorid = i.incidentlocationdescriptorid
         ORDER BY i.incidentdate DESC, i.createdate DESC LIMIT :n"""), {"n": limit})]
