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
from app.sync.outbox import enqueue_many, iso_utc, student_activity_item

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


def _check_school_day(conn: Connection, key: SectionKey, day: date, today: date) -> None:
    if day > today:
        raise UserError(f"Attendance for {day:%A, %B %d} cannot be taken before the day comes; pick today or an "
                        "earlier school day.")
    instructional = conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d "
        "ON d.descriptorid = e.calendareventdescriptorid WHERE e.schoolid = :sid AND e.schoolyear = :sy "
        "AND e.date = :day AND d.codevalue = 'Instructional day')"),
        {"sid": key.school_id, "sy": key.school_year, "day": day}).scalar()
    if not instructional:
        raise UserError(f"{day:%A, %B %d, %Y} is not a school day at this school; pick a school day.")


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


def save_roster(conn: Connection, key: SectionKey, day: date, marks: dict[int, Mark], *,
                actor: str | None = None, now: datetime | None = None, today: date | None = None,
                rule: RollupRule = RollupRule()) -> SaveResult:
    """Save every mark of the roster in the caller's transaction; nothing is saved if any is wrong."""
    now = now or datetime.now(timezone.utc)
    # A roster is a few dozen rows: starting parallel workers (which a poor row estimate on a
    # large district invites) costs more than the whole look-up.
    conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    _section_title(conn, key)
    _check_school_day(conn, key, day, today or date.today())
    codes = attendance_codes(conn)
    bad = sorted({m.code for m in marks.values() if m.code not in codes})
    if bad:
        raise UserError(f"{', '.join(bad)} is not an attendance code; use one of {', '.join(codes)}.")
    enrolled = {r[0]: r for r in conn.execute(text(
        f"SELECT a.studentusi, s.studentuniqueid, s.firstname || ' ' || s.lastsurname FROM "
        f"edfi.studentsectionassociation a JOIN edfi.student s USING (studentusi) "
        f"WHERE a.{_SECTION.replace(' AND ', ' AND a.')} AND a.begindate <= :day "
        f"AND (a.enddate IS NULL OR a.enddate >= :day) AND a.studentusi = ANY(CAST(:usis AS int[]))"),
        {**key.params(), "day": day, "usis": list(marks)}).all()}
    strangers = [u for u in marks if u not in enrolled]
    if strangers:
        names = dict(conn.execute(text("SELECT studentusi, firstname || ' ' || lastsurname FROM edfi.student "
                                       "WHERE studentusi = ANY(CAST(:u AS int[]))"), {"u": strangers}).all())
        who = ", ".join(names.get(u, f"student {u}") for u in strangers)
        raise UserError(f"{who} is not enrolled in this section on {day:%B %d}; remove them from the roster.")

    usis = list(marks)
    # Only what changed is written: a re-save that corrects one mark deletes and inserts one row
    # (the audit trail records that change), not the whole roster again.
    saved = {u: (c, a) for u, c, a in conn.execute(text(
        f"SELECT studentusi, attendanceeventcategorydescriptorid, arrivaltime FROM edfi.studentsectionattendanceevent "
        f"WHERE {_SECTION} AND eventdate = :day AND studentusi = ANY(CAST(:usis AS int[]))"),
        {**key.params(), "day": day, "usis": usis}).all()}
    changed = [u for u in usis if saved.get(u) != (codes[marks[u].code], marks[u].arrival)]
    before = {u: saved[u][0] for u in changed if u in saved}
    if changed:
        conn.execute(text(
            f"DELETE FROM edfi.studentsectionattendanceevent WHERE {_SECTION} AND eventdate = :day "
            "AND studentusi = ANY(CAST(:usis AS int[]))"), {**key.params(), "day": day, "usis": list(before)})
        conn.execute(text(
            "INSERT INTO edfi.studentsectionattendanceevent (attendanceeventcategorydescriptorid, eventdate, "
            "localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi, arrivaltime) "
            "SELECT c, :day, :lcc, :sid, :sy, :sec, :sess, u, a FROM unnest(CAST(:cats AS int[]), "
            "CAST(:usis AS int[]), CAST(:arrivals AS time[])) AS x(c, u, a)"),
            {**key.params(), "day": day, "cats": [codes[marks[u].code] for u in changed], "usis": changed,
             "arrivals": [marks[u].arrival for u in changed]})
    daily = _roll_up(conn, key, day, changed, codes, rule) if changed else {}

    by_id = {v: k for k, v in codes.items()}
    activities = [student_activity_item(
        enrolled[u][1], f"ATT-{key.school_id}-{key.section_identifier}-{day:%Y%m%d}-{marks[u].code[:2].upper()}",
        now, "attendance.marked",
        {"section": key.section_identifier, "date": day.isoformat(), "mark": marks[u].code,
         "previous": by_id.get(before.get(u)), "daily": daily[u]}, actor) for u in changed]
    enqueue_many(conn, "StudentActivityLogs", activities)
    enqueue_many(conn, "NotificationQueue", _absence_notifications(conn, day, daily, enrolled, now))
    return SaveResult(len(usis), len(changed), daily)


def _roll_up(conn: Connection, key: SectionKey, day: date, usis: list[int], codes: dict[str, int],
             rule: RollupRule) -> dict[int, str]:
    """Recompute each student's daily status from all of that day's period marks at this school."""
    # Every class the student has at this school that day; a period not taken yet counts as present.
    rows = conn.execute(text("""
        SELECT a.studentusi, coalesce(d.codevalue, :present),
               coalesce((SELECT extract(epoch FROM (m.endtime - m.starttime)) / 60 FROM edfi.sectionclassperiod p
                         JOIN edfi.classperiodmeetingtime m ON m.classperiodname = p.classperiodname
                          AND m.schoolid = p.schoolid
                         WHERE p.localcoursecode = a.localcoursecode AND p.schoolid = a.schoolid
                           AND p.schoolyear = a.schoolyear AND p.sectionidentifier = a.sectionidentifier
                           AND p.sessionname = a.sessionname LIMIT 1), 50)
        FROM edfi.studentsectionassociation a
        JOIN edfi.session ses ON ses.schoolid = a.schoolid AND ses.schoolyear = a.schoolyear
         AND ses.sessionname = a.sessionname AND :day BETWEEN ses.begindate AND ses.enddate
        LEFT JOIN edfi.studentsectionattendanceevent e
               ON e.studentusi = a.studentusi AND e.eventdate = :day AND e.localcoursecode = a.localcoursecode
              AND e.schoolid = a.schoolid AND e.schoolyear = a.schoolyear
              AND e.sectionidentifier = a.sectionidentifier AND e.sessionname = a.sessionname
        LEFT JOIN edfi.descriptor d ON d.descriptorid = e.attendanceeventcategorydescriptorid
        WHERE a.schoolid = :sid AND a.studentusi = ANY(CAST(:usis AS int[])) AND a.begindate <= :day
          AND (a.enddate IS NULL OR a.enddate >= :day)"""),
        {"day": day, "sid": key.school_id, "usis": usis, "present": PRESENT}).all()
    per: dict[int, list[PeriodMark]] = {}
    for usi, code, minutes in rows:
        per.setdefault(usi, []).append(PeriodMark(code, int(minutes)))
    daily = {u: daily_status(per[u], rule) for u in usis}
    conn.execute(text("DELETE FROM edfi.studentschoolattendanceevent WHERE eventdate = :day AND schoolid = :sid "
                      "AND schoolyear = :sy AND studentusi = ANY(CAST(:usis AS int[]))"),
                 {"day": day, "sid": key.school_id, "sy": key.school_year, "usis": usis})
    conn.execute(text(
        "INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate, schoolid, "
        "schoolyear, sessionname, studentusi, eventduration) "
        "SELECT c, :day, :sid, :sy, :sess, u, d FROM unnest(CAST(:cats AS int[]), CAST(:usis AS int[]), "
        "CAST(:durations AS numeric[])) AS x(c, u, d)"),
        {"day": day, "sid": key.school_id, "sy": key.school_year, "sess": key.session_name,
         "cats": [codes[daily[u]] for u in usis], "usis": usis,
         "durations": [1.0 if daily[u] in ABSENCES else 0.5 if daily[u] == "Partial" else 0.0 for u in usis]})
    return daily


def _absence_notifications(conn: Connection, day: date, daily: dict[int, str], enrolled: dict, now: datetime) -> list:
    """One notification per absent student for their primary contact; the key is the student and
    the day, so saving the roster again overwrites it instead of notifying twice."""
    absent = [u for u, code in daily.items() if code in ABSENCES]
    if not absent:
        return []
    contacts = dict(conn.execute(text(
        "SELECT DISTINCT ON (a.studentusi) a.studentusi, c.contactuniqueid FROM edfi.studentcontactassociation a "
        "JOIN edfi.contact c ON c.contactusi = a.contactusi WHERE a.studentusi = ANY(CAST(:u AS int[])) "
        "ORDER BY a.studentusi, a.primarycontactstatus DESC NULLS LAST, a.contactpriority NULLS LAST"),
        {"u": absent}).all())
    stamp = iso_utc(datetime.combine(day, time(0), tzinfo=timezone.utc))
    out = []
    for u in absent:
        if u not in contacts:
            continue
        uid, name = enrolled[u][1], enrolled[u][2]
        out.append({
            "PK": f"USER#{contacts[u]}", "SK": f"NOTIFICATION#{stamp}#ABS-{uid}-{day:%Y%m%d}",
            "Type": "absence", "StudentUniqueId": uid, "Date": day.isoformat(), "Status": daily[u],
            "Message": f"{name} was marked {daily[u].lower()} on {day:%A, %B %d}.", "CreatedAt": iso_utc(now),
            "TTL": int((now + timedelta(days=NOTIFICATION_DAYS)).timestamp()),
        })
    return out


def present_marks(roster: Roster) -> dict[int, Mark]:
    """'Mark all present': every student present, keeping marks already saved."""
    return {line.student_usi: line.mark or Mark(PRESENT) for line in roster.lines}


__all__ = ["SectionKey", "Mark", "Roster", "RosterLine", "SaveResult", "load_roster", "save_roster", "present_marks",
           "attendance_codes"]
