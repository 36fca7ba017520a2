"""Taking attendance for a section: the roster for a day, and saving the whole roster at once.

One transaction saves every mark of the roster, rolls each student's period marks up to the
daily status (app.domain.attendance_rollup), appends the changes to the student's activity
timeline and queues a parent notification for each absence, both through the DynamoDB outbox.
Re-saving a day is a late change: the audit triggers record the old and new marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Connection, text

from app.domain.attendance_rollup import ABSENCES, PRESENT, PeriodMark, RollupRule, daily_status
from app.errors import UserError
from app.sync.outbox import iso_utc, item_json, student_activity_item

NOTIFICATION_DAYS = 30


@dataclass(frozen=True)
class SectionKey:
    local_course_code: str
    school_id: int
    school_year: int
    section_identifier: str
    session_name: str

    def params(self) -> dict:
        return {"lcc": self.local_course_code, "sid": self.school_id, "sy": self.school_year,
                "sec": self.section_identifier, "sess": self.session_name}


_SECTION = ("localcoursecode = :lcc AND schoolid = :sid AND schoolyear = :sy AND sectionidentifier = :sec "
            "AND sessionname = :sess")


@dataclass(frozen=True)
class Mark:
    code: str
    arrival: time | None = None


@dataclass(frozen=True)
class RosterLine:
    student_usi: int
    student_unique_id: str
    name: str
    mark: Mark | None  # what was saved for the day, if anything


@dataclass(frozen=True)
class Roster:
    section: SectionKey
    title: str
    day: date
    lines: tuple[RosterLine, ...]
    codes: tuple[str, ...]  # AttendanceEventCategory code values, from the descriptors

    @property
    def taken(self) -> bool:
        return any(line.mark is not None for line in self.lines)


@dataclass(frozen=True)
class SaveResult:
    saved: int
    changed: int
    daily: dict  # student_usi -> daily status code, for the students whose marks changed


def attendance_codes(conn: Connection) -> dict[str, int]:
    return dict(conn.execute(text(
        "SELECT d.codevalue, d.descriptorid FROM edfi.descriptor d JOIN edfi.attendanceeventcategorydescriptor a "
        "ON a.attendanceeventcategorydescriptorid = d.descriptorid ORDER BY d.codevalue")).all())


def _section_title(conn: Connection, key: SectionKey) -> str:
    title = conn.execute(text(f"SELECT coalesce(sectionname, sectionidentifier) FROM edfi.section WHERE {_SECTION}"),
                         key.params()).scalar()
    if title is None:
        raise UserError(f"There is no section {key.section_identifier} in {key.session_name}; pick it from the list.")
    return title


def load_roster(conn: Connection, key: SectionKey, day: date) -> Roster:
    title = _section_title(conn, key)
    rows = conn.execute(text(f"""
        SELECT s.studentusi, s.studentuniqueid, s.lastsurname || ', ' || s.firstname, d.codevalue, e.arrivaltime
        FROM edfi.studentsectionassociation a
        JOIN edfi.student s ON s.studentusi = a.studentusi
        LEFT JOIN edfi.studentsectionattendanceevent e
               ON e.studentusi = a.studentusi AND e.eventdate = :day AND e.localcoursecode = a.localcoursecode
              AND e.schoolid = a.schoolid AND e.schoolyear = a.schoolyear
              AND e.sectionidentifier = a.sectionidentifier AND e.sessionname = a.sessionname
        LEFT JOIN edfi.descriptor d ON d.descriptorid = e.attendanceeventcategorydescriptorid
        WHERE a.{_SECTION.replace(' AND ', ' AND a.')} AND a.begindate <= :day AND (a.enddate IS NULL OR a.enddate >= :day)
        ORDER BY s.lastsurname, s.firstname, s.studentusi"""), {**key.params(), "day": day}).all()
    lines = tuple(RosterLine(r[0], r[1], r[2], Mark(r[3], r[4]) if r[3] else None) for r in rows)
    return Roster(key, title, day, lines, tuple(attendance_codes(conn)))


_SAVE_CHECK = f"""
WITH cats AS MATERIALIZED (
    SELECT d.codevalue, d.descriptorid FROM edfi.descriptor d
    JOIN edfi.attendanceeventcategorydescriptor a ON a.attendanceeventcategorydescriptorid = d.descriptorid),
codes AS (SELECT json_object_agg(codevalue, descriptorid) AS m FROM cats),
sec AS (SELECT coalesce(sectionname, sectionidentifier) AS title FROM edfi.section WHERE {_SECTION}),
school_day AS (
    SELECT EXISTS (SELECT 1 FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d
                   ON d.descriptorid = e.calendareventdescriptorid WHERE e.schoolid = :sid AND e.schoolyear = :sy
                   AND e.date = :day AND d.codevalue = 'Instructional day') AS ok),
marks AS (SELECT * FROM unnest(CAST(:usis AS int[]), CAST(:mcodes AS text[]), CAST(:marrivals AS time[]))
             AS m(u, code, arrival)),
enrolled AS (
    SELECT a.studentusi, s.studentuniqueid, s.firstname || ' ' || s.lastsurname AS name,
           sv.cat AS saved_code, sv.arrival AS saved_arrival,
           -- only for a student whose mark changes: every class they have at this school that day,
           -- with its mark so far and its minutes (the daily roll-up's input), and whom to notify
           CASE WHEN (sv.cat, sv.arrival) IS DISTINCT FROM (nd.descriptorid, m.arrival) THEN
           (SELECT json_agg(json_build_array(
                       x.localcoursecode = :lcc AND x.sectionidentifier = :sec AND x.sessionname = :sess
                         AND x.schoolyear = :sy,
                       ev.attendanceeventcategorydescriptorid, ev.arrivaltime,
                       coalesce((SELECT extract(epoch FROM (mt.endtime - mt.starttime)) / 60
                                 FROM edfi.sectionclassperiod p JOIN edfi.classperiodmeetingtime mt
                                   ON mt.classperiodname = p.classperiodname AND mt.schoolid = p.schoolid
                                 WHERE p.localcoursecode = x.localcoursecode AND p.schoolid = x.schoolid
                                   AND p.schoolyear = x.schoolyear AND p.sectionidentifier = x.sectionidentifier
                                   AND p.sessionname = x.sessionname LIMIT 1), 50)))
              FROM edfi.studentsectionassociation x
              JOIN edfi.session ses ON ses.schoolid = x.schoolid AND ses.schoolyear = x.schoolyear
               AND ses.sessionname = x.sessionname AND :day BETWEEN ses.begindate AND ses.enddate
              LEFT JOIN edfi.studentsectionattendanceevent ev
                     ON ev.studentusi = x.studentusi AND ev.eventdate = :day AND ev.localcoursecode = x.localcoursecode
                    AND ev.schoolid = x.schoolid AND ev.schoolyear = x.schoolyear
                    AND ev.sectionidentifier = x.sectionidentifier AND ev.sessionname = x.sessionname
             WHERE x.studentusi = a.studentusi AND x.schoolid = :sid AND x.begindate <= :day
               AND (x.enddate IS NULL OR x.enddate >= :day)) END AS periods,
           CASE WHEN (sv.cat, sv.arrival) IS DISTINCT FROM (nd.descriptorid, m.arrival) THEN
           (SELECT c.contactuniqueid FROM edfi.studentcontactassociation ca
              JOIN edfi.contact c ON c.contactusi = ca.contactusi WHERE ca.studentusi = a.studentusi
             ORDER BY ca.primarycontactstatus DESC NULLS LAST, ca.contactpriority NULLS LAST LIMIT 1) END AS contact
      FROM marks m
      JOIN edfi.studentsectionassociation a ON a.studentusi = m.u
      JOIN edfi.student s ON s.studentusi = a.studentusi
      LEFT JOIN cats nd ON nd.codevalue = m.code
      LEFT JOIN LATERAL (SELECT ev.attendanceeventcategorydescriptorid AS cat, ev.arrivaltime AS arrival
                           FROM edfi.studentsectionattendanceevent ev
                          WHERE ev.studentusi = a.studentusi AND ev.eventdate = :day
                            AND ev.{_SECTION.replace(' AND ', ' AND ev.')} LIMIT 1) sv ON true
     WHERE a.{_SECTION.replace(' AND ', ' AND a.')} AND a.begindate <= :day
       AND (a.enddate IS NULL OR a.enddate >= :day))
SELECT (SELECT m FROM codes), (SELECT title FROM sec), (SELECT ok FROM school_day), enrolled.*
  FROM (SELECT 1) AS one LEFT JOIN enrolled ON true"""

# One statement writes the changed marks (update a saved mark, insert a new one: no deletes, so
# a teacher's sign-in needs no DELETE privilege), the daily statuses and the outbox records.
_SAVE_WRITE = f"""
WITH m AS (SELECT * FROM unnest(CAST(:cats AS int[]), CAST(:usis AS int[]), CAST(:arrivals AS time[]),
                                CAST(:had AS boolean[])) AS m(c, u, a, had)),
upd AS (UPDATE edfi.studentsectionattendanceevent e
           SET attendanceeventcategorydescriptorid = m.c, arrivaltime = m.a,
               lastmodifieddate = now() AT TIME ZONE 'utc'
          FROM m WHERE m.had AND e.studentusi = m.u AND e.eventdate = :day
           AND e.{_SECTION.replace(' AND ', ' AND e.')} RETURNING 1),
ins AS (INSERT INTO edfi.studentsectionattendanceevent (attendanceeventcategorydescriptorid, eventdate,
               localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi, arrivaltime)
        SELECT m.c, :day, :lcc, :sid, :sy, :sec, :sess, m.u, m.a FROM m WHERE NOT m.had RETURNING 1),
d AS (SELECT * FROM unnest(CAST(:dcats AS int[]), CAST(:dusis AS int[]), CAST(:durations AS numeric[]))
          AS d(c, u, dur)),
dupd AS (UPDATE edfi.studentschoolattendanceevent e
            SET attendanceeventcategorydescriptorid = d.c, eventduration = d.dur,
                lastmodifieddate = now() AT TIME ZONE 'utc'
           FROM d WHERE e.studentusi = d.u AND e.eventdate = :day AND e.schoolid = :sid AND e.schoolyear = :sy
         RETURNING e.studentusi),
dins AS (INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid,
                schoolyear, sessionname, studentusi, eventduration)
         SELECT d.c, :day, :sid, :sy, :sess, d.u, d.dur FROM d WHERE d.u NOT IN (SELECT studentusi FROM dupd)
         RETURNING 1),
outbox AS (INSERT INTO sync.dynamo_outbox (target_table, item)
           SELECT o.t, o.i FROM unnest(CAST(:targets AS text[]), CAST(:items AS jsonb[])) AS o(t, i) RETURNING 1)
SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins), (SELECT count(*) FROM outbox)"""


# Built once: a roster save runs them dozens of times a minute across a school.
_SAVE_CHECK_SQL, _SAVE_WRITE_SQL = text(_SAVE_CHECK), text(_SAVE_WRITE)


def save_roster(conn: Connection, key: SectionKey, day: date, marks: dict[int, Mark], *,
                actor: str | None = None, now: datetime | None = None, today: date | None = None,
                rule: RollupRule = RollupRule()) -> SaveResult:
    """Save every mark of the roster in the caller's transaction; nothing is saved if any is wrong.

    Two round trips: one reads everything the checks and the roll-up need, one writes."""
    now = now or datetime.now(timezone.utc)
    today = today or date.today()
    if day > today:
        raise UserError(f"Attendance for {day:%A, %B %d} cannot be taken before the day comes; pick today or an "
                        "earlier school day.")
    usis = list(marks)
    rows = conn.execute(_SAVE_CHECK_SQL, {**key.params(), "day": day, "usis": usis,
                                            "mcodes": [marks[u].code for u in usis],
                                            "marrivals": [marks[u].arrival for u in usis]}).all()
    codes, title, school_day = rows[0][0] or {}, rows[0][1], rows[0][2]
    if title is None:
        raise UserError(f"There is no section {key.section_identifier} in {key.session_name}; pick it from the list.")
    if not school_day:
        raise UserError(f"{day:%A, %B %d, %Y} is not a school day at this school; pick a school day.")
    bad = sorted({m.code for m in marks.values() if m.code not in codes})
    if bad:
        raise UserError(f"{', '.join(bad)} is not an attendance code; use one of {', '.join(sorted(codes))}.")
    enrolled = {r[3]: r for r in rows if r[3] is not None}
    strangers = [u for u in marks if u not in enrolled]
    if strangers:
        names = dict(conn.execute(text("SELECT studentusi, firstname || ' ' || lastsurname FROM edfi.student "
                                       "WHERE studentusi = ANY(CAST(:u AS int[]))"), {"u": strangers}).all())
        who = ", ".join(names.get(u, f"student {u}") for u in strangers)
        raise UserError(f"{who} is not enrolled in this section on {day:%B %d}; remove them from the roster.")

    by_id = {v: k for k, v in codes.items()}
    changed, had, before, daily = [], [], {}, {}
    for u, mark in marks.items():
        row = enrolled[u]
        periods = row[8]
        if periods is None:  # the database found the saved mark equal to this one
            continue
        changed.append(u)
        had.append(row[6] is not None)
        if row[6] is not None:
            before[u] = by_id.get(row[6])
        # this section's mark is the new one; another class not taken yet counts as present
        day_marks = [PeriodMark(mark.code if p[0] else (by_id.get(p[1]) or PRESENT), int(p[3])) for p in periods]
        daily[u] = daily_status(day_marks or [PeriodMark(mark.code, 50)], rule)
    if not changed:
        return SaveResult(len(marks), 0, {})
    activities = [student_activity_item(
        enrolled[u][4], f"ATT-{key.school_id}-{key.section_identifier}-{day:%Y%m%d}-{marks[u].code[:2].upper()}",
        now, "attendance.marked",
        {"section": key.section_identifier, "date": day.isoformat(), "mark": marks[u].code,
         "previous": before.get(u), "daily": daily[u]}, actor) for u in changed]
    notices = _absence_notifications(day, daily, enrolled, now)
    items = [("StudentActivityLogs", a) for a in activities] + [("NotificationQueue", n) for n in notices]
    conn.execute(_SAVE_WRITE_SQL, {
        **key.params(), "day": day,
        "cats": [codes[marks[u].code] for u in changed], "usis": changed,
        "arrivals": [marks[u].arrival for u in changed], "had": had,
        "dcats": [codes[daily[u]] for u in changed], "dusis": changed,
        "durations": [1.0 if daily[u] in ABSENCES else 0.5 if daily[u] == "Partial" else 0.0 for u in changed],
        "targets": [t for t, _ in items], "items": [item_json(i) for _, i in items]})
    return SaveResult(len(marks), len(changed), daily)


def _absence_notifications(day: date, daily: dict[int, str], enrolled: dict, now: datetime) -> list:
    """One notification per absent student for their primary contact; the key is the student and
    the day, so saving the roster again overwrites it instead of notifying twice."""
    stamp = iso_utc(datetime.combine(day, time(0), tzinfo=timezone.utc))
    out = []
    for u, code in daily.items():
        contact = enrolled[u][9]
        if code not in ABSENCES or contact is None:
            continue
        uid, name = enrolled[u][4], enrolled[u][5]
        out.append({
            "PK": f"USER#{contact}", "SK": f"NOTIFICATION#{stamp}#ABS-{uid}-{day:%Y%m%d}",
            "Type": "absence", "StudentUniqueId": uid, "Date": day.isoformat(), "Status": code,
            "Message": f"{name} was marked {code.lower()} on {day:%A, %B %d}.", "CreatedAt": iso_utc(now),
            "TTL": int((now + timedelta(days=NOTIFICATION_DAYS)).timestamp()),
        })
    return out


def present_marks(roster: Roster) -> dict[int, Mark]:
    """'Mark all present': every student present, keeping marks already saved."""
    return {line.student_usi: line.mark or Mark(PRESENT) for line in roster.lines}


__all__ = ["SectionKey", "Mark", "Roster", "RosterLine", "SaveResult", "load_roster", "save_roster", "present_marks",
           "attendance_codes"]
