"""Taking attendance for a section: the roster for a day, and saving the whole roster at once.

Attendance is recorded as exceptions (migration 0068, app.services.attendance_days): a save writes
the section's taken event for the day and the marks that are not In Attendance; a student with no
mark on a taken day was present. One transaction saves the roster, rolls the changed students'
period marks up to the daily status (app.domain.attendance_rollup; a daily row only for a day that
is not present), appends the changes to the student's activity timeline and queues a parent
notification for each absence, both through the DynamoDB outbox. Re-saving a day is a late change:
the audit triggers record the old and new marks (a mark going back to present is a DELETE).
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Connection, text

from app.domain.attendance_rollup import ABSENCES, PRESENT, PeriodMark, RollupRule, daily_status
from app.errors import UserError
from app.services.attendance_days import OFFICE_ROW, section_marks
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
class OfficeMark:
    """The day's status the office recorded (a suspension, a call from home): a daily record with a
    reason. A teacher's roll-up never writes a reason, so these are never the teacher's own."""
    code: str
    reason: str


@dataclass(frozen=True)
class RosterLine:
    student_usi: int
    student_unique_id: str
    name: str
    mark: Mark | None  # what was saved for the day, if anything
    office: OfficeMark | None = None  # what the office recorded for the student's day, if anything


@dataclass(frozen=True)
class Roster:
    section: SectionKey
    title: str
    day: date
    lines: tuple[RosterLine, ...]
    codes: tuple[str, ...]  # AttendanceEventCategory code values, from the descriptors
    taken: bool = False  # the section's attendance was taken that day (a taken event is saved)


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
    """The section's students on `day` with their marks: the saved exception, In Attendance for a
    student without one on a taken day (attendance is recorded as exceptions), nothing when the
    day's attendance has not been taken."""
    title = _section_title(conn, key)
    rows = conn.execute(text(f"""
        WITH marks AS ({section_marks()})
        SELECT s.studentusi, s.studentuniqueid, s.lastsurname || ', ' || s.firstname, m.code, m.arrivaltime,
               od.codevalue, o.attendanceeventreason, m.taken
        FROM marks m
        JOIN edfi.student s ON s.studentusi = m.studentusi
        LEFT JOIN LATERAL (SELECT x.attendanceeventcategorydescriptorid, x.attendanceeventreason
                             FROM edfi.studentschoolattendanceevent x
                            WHERE x.studentusi = m.studentusi AND x.eventdate = :day AND x.schoolid = :sid
                              AND x.schoolyear = :sy AND x.{OFFICE_ROW} LIMIT 1) o ON true
        LEFT JOIN edfi.descriptor od ON od.descriptorid = o.attendanceeventcategorydescriptorid
        ORDER BY s.lastsurname, s.firstname, s.studentusi"""), {**key.params(), "day": day}).all()
    lines = tuple(RosterLine(r[0], r[1], r[2], Mark(r[3], r[4]) if r[3] else None,
                             OfficeMark(r[5], r[6]) if r[5] else None) for r in rows)
    return Roster(key, title, day, lines, tuple(attendance_codes(conn)), bool(rows and rows[0][7]))


# The lock of the students' day and the check (everything the checks and the daily roll-up read)
# are one call of edfi.attendance_roster_check (migration 0054, runs as the caller: row-level
# security applies). Saves that touch the same students on the same day take turns (two teachers
# on one roster, a double click, two periods of one student): the function takes the locks in
# student order, then reads with a new snapshot, so a save sees what the one before it committed,
# writes only real changes, the audit trail reads as two honest edits and the daily roll-up counts
# both periods. It also keeps this save's write statement on one generic plan (see _planned_once).
_CHECK_SQL = text(
    "SELECT * FROM edfi.attendance_roster_check(:lcc, CAST(:sid AS bigint), CAST(:sy AS smallint), :sec, :sess, "
    "CAST(:day AS date), CAST(:marks AS json), CAST(:absences AS text[]), CAST(:usis AS int[]))")

# One statement writes the day's taken event (the first save), the changed exceptions (update a
# saved one, insert a new one, delete one that went back to present), the daily statuses that are
# not present (and deletes the teacher's roll-up of a day that became present) and the outbox
# records. It is composed of only the parts that have rows: a modifying part fires its table's
# statement-level audit trigger even when it changes nothing.
_WRITE_PARTS = {
    "taken": """taken AS (INSERT INTO edfi.sectionattendancetakenevent (calendarcode, date, localcoursecode, schoolid,
               schoolyear, sectionidentifier, sessionname, eventdate, staffusi)
        SELECT CAST(:cal AS text), :day, :lcc, :sid, :sy, :sec, :sess, CAST(:on AS date), compliance.my_staff_usi()
        ON CONFLICT ON CONSTRAINT pk_sectionattendancetakenevent DO NOTHING RETURNING 1)""",
    "upd": f"""upd AS (UPDATE edfi.studentsectionattendanceevent e
           SET attendanceeventcategorydescriptorid = m.c, arrivaltime = m.a,
               lastmodifieddate = now() AT TIME ZONE 'utc'
          FROM json_to_recordset(CAST(:rows AS json) -> 'upd') AS m(c int, u int, a time)
         WHERE e.studentusi = m.u AND e.eventdate = :day AND e.{_SECTION.replace(' AND ', ' AND e.')} RETURNING 1)""",
    "ins": """ins AS (INSERT INTO edfi.studentsectionattendanceevent AS e (attendanceeventcategorydescriptorid, eventdate,
               localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi, arrivaltime)
        SELECT m.c, :day, :lcc, :sid, :sy, :sec, :sess, m.u, m.a
          FROM json_to_recordset(CAST(:rows AS json) -> 'ins') AS m(c int, u int, a time)
        ON CONFLICT ON CONSTRAINT pk_studentsectionattendanceevent DO UPDATE
           SET arrivaltime = excluded.arrivaltime, lastmodifieddate = now() AT TIME ZONE 'utc'
         WHERE e.arrivaltime IS DISTINCT FROM excluded.arrivaltime
        RETURNING 1)""",
    "del": f"""del AS (DELETE FROM edfi.studentsectionattendanceevent e
          WHERE e.studentusi IN (SELECT value::int FROM json_array_elements_text(CAST(:rows AS json) -> 'del'))
            AND e.eventdate = :day AND e.{_SECTION.replace(' AND ', ' AND e.')} RETURNING 1)""",
    "ddel": """ddel AS (DELETE FROM edfi.studentschoolattendanceevent e
          WHERE e.studentusi IN (SELECT value::int FROM json_array_elements_text(CAST(:rows AS json) -> 'ddel'))
            AND e.eventdate = :day AND e.schoolid = :sid AND e.schoolyear = :sy AND e.attendanceeventreason IS NULL
         RETURNING 1)""",
    "dupd": """dupd AS (UPDATE edfi.studentschoolattendanceevent e
            SET attendanceeventcategorydescriptorid = d.c, eventduration = d.dur,
                lastmodifieddate = now() AT TIME ZONE 'utc'
           FROM json_to_recordset(CAST(:rows AS json) -> 'dupd') AS d(c int, u int, dur numeric)
          WHERE e.studentusi = d.u AND e.eventdate = :day AND e.schoolid = :sid AND e.schoolyear = :sy
            AND e.attendanceeventreason IS NULL
         RETURNING 1)""",
    # NOT EXISTS: a status the office or the nurse wrote meanwhile (they take no roster lock) stands
    "dins": """dins AS (INSERT INTO edfi.studentschoolattendanceevent (attendanceeventcategorydescriptorid, eventdate,
                schoolid, schoolyear, sessionname, studentusi, eventduration)
         SELECT d.c, :day, :sid, :sy, :sess, d.u, d.dur
           FROM json_to_recordset(CAST(:rows AS json) -> 'dins') AS d(c int, u int, dur numeric)
          WHERE NOT EXISTS (SELECT 1 FROM edfi.studentschoolattendanceevent x WHERE x.studentusi = d.u
                               AND x.eventdate = :day AND x.schoolid = :sid AND x.schoolyear = :sy)
         ON CONFLICT ON CONSTRAINT pk_studentschoolattendanceevent DO NOTHING
         RETURNING 1)""",
    "outbox": """outbox AS (INSERT INTO sync.dynamo_outbox (target_table, item)
           SELECT o.t, o.i FROM json_to_recordset(CAST(:rows AS json) -> 'outbox') AS o(t text, i jsonb) RETURNING 1)""",
}
_WRITES: dict[frozenset, object] = {}


def _write_sql(parts: frozenset):
    """The write statement made of `parts` (built once per combination: a handful exist)."""
    sql = _WRITES.get(parts)
    if sql is None:
        ctes = ",\n".join(body for name, body in _WRITE_PARTS.items() if name in parts)
        sql = _WRITES[parts] = text(f"WITH {ctes}\nSELECT 1")
    return sql


@contextmanager
def _planned_once(conn: Connection):
    """Prepare the save's statements on first use and keep a generic plan for the connection.

    Planning the check and the write (many joins, each table's row-level security policies) cost
    as much as running them; psycopg prepares a statement only on its fifth run on a connection
    and PostgreSQL re-plans the first five runs of a prepared one, so a desk's first saves paid it
    every time. The plan does not depend on the values (a section, a day, arrays of students)."""
    raw = conn.connection.driver_connection
    threshold = getattr(raw, "prepare_threshold", None)
    if threshold is None:  # not psycopg (or preparing turned off): nothing to do
        yield
        return
    raw.prepare_threshold = 0
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


_COMPILED: dict = {}
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _compiled(conn: Connection, stmt) -> tuple[bytes, tuple[str, ...]]:
    """`stmt` in the server's own SQL ($1, $2, ...) and the parameter names in that order, made once
    per dialect: the driver then sends it as it is (psycopg re-parsed every statement over 4 kB,
    as the check is, on every call: a fifth of the save's client time)."""
    key = (id(stmt), conn.dialect.name)
    if key not in _COMPILED:
        names: list[str] = []

        def number(m: re.Match) -> str:
            if m.group(1) is None:
                return "%"
            if m.group(1) not in names:
                names.append(m.group(1))
            return f"${names.index(m.group(1)) + 1}"
        sql = _PLACEHOLDER.sub(number, stmt.compile(dialect=conn.dialect).string)
        _COMPILED[key] = (sql.encode(), tuple(names))
    return _COMPILED[key]


def _run(conn: Connection, cursor, stmt, params: dict) -> None:
    sql, names = _compiled(conn, stmt)
    cursor.execute(sql, [params[n] for n in names])


def _lock_then_check(conn: Connection, params: dict) -> list:
    """The students' day locked, then the check's rows, in one call (straight through the driver)."""
    raw = conn.connection.driver_connection
    if not hasattr(raw, "pipeline"):  # not psycopg
        return conn.execute(_CHECK_SQL, params).all()
    from psycopg import RawCursor
    from psycopg.rows import namedtuple_row

    with _as_sqlalchemy_error(conn, _CHECK_SQL.text, params), RawCursor(raw, row_factory=namedtuple_row) as cur:
        _run(conn, cur, _CHECK_SQL, params)
        return cur.fetchall()


@contextmanager
def _as_sqlalchemy_error(conn: Connection, sql: str, params: dict):
    """A driver error as the caller would get it from conn.execute (a timeout, a lost server, a
    refused row): through SQLAlchemy's own handling, so the engine's handle_error listeners see it
    (a login turned off ends the session), a lost connection is invalidated and parameters stay
    hidden as the engine says."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        conn._handle_dbapi_exception(exc, sql, params, None, None)


def _write(conn: Connection, stmt, params: dict) -> None:
    """The write statement straight through the driver (SQLAlchemy's per-call processing of the
    statement and its parameters cost as much as a tenth of the save)."""
    raw = conn.connection.driver_connection
    if not hasattr(raw, "pipeline"):  # not psycopg
        conn.execute(stmt, params)
        return
    from psycopg import RawCursor

    with _as_sqlalchemy_error(conn, stmt.text, params), RawCursor(raw) as cur:
        _run(conn, cur, stmt, params)


def save_roster(conn: Connection, key: SectionKey, day: date, marks: dict[int, Mark], *,
                actor: str | None = None, now: datetime | None = None, today: date | None = None,
                rule: RollupRule = RollupRule()) -> SaveResult:
    """Save every mark of the roster in the caller's transaction; nothing is saved if any is wrong.

    Two round trips: one waits for any other save of these students' day and then reads everything
    the checks and the roll-up need (edfi.attendance_roster_check), one writes. A daily status the office recorded (a suspension)
    stays as the office wrote it; the section's own mark is saved."""
    with _planned_once(conn):
        return _save_roster(conn, key, day, marks, actor=actor, now=now, today=today, rule=rule)


def _save_roster(conn: Connection, key: SectionKey, day: date, marks: dict[int, Mark], *,
                 actor: str | None, now: datetime | None, today: date | None, rule: RollupRule) -> SaveResult:
    now = now or datetime.now(timezone.utc)
    today = today or date.today()
    if day > today:
        raise UserError(f"Attendance for {day:%A, %B %d} cannot be taken before the day comes; pick today or an "
                        "earlier school day.")
    # Attendance is recorded as exceptions: only the marks that are not In Attendance go to the check
    # (as one JSON parameter); every named student goes as an array literal, for the membership check
    # and the locks. The driver's per-element adaptation of parallel arrays cost more than this.
    usis = "{" + ",".join(str(int(u)) for u in marks) + "}"
    marks_json = json.dumps([{"u": u, "code": m.code, "arrival": _clock(m.arrival)} for u, m in marks.items()
                             if not _is_present(m)])
    rows = _lock_then_check(conn, {**key.params(), "day": day, "absences": list(ABSENCES), "usis": usis,
                                   "marks": marks_json})
    head = rows[0]
    codes, title = json.loads(head.codes or "{}"), head.title
    if title is None:
        raise UserError(f"There is no section {key.section_identifier} in {key.session_name}; pick it from the list.")
    begins, ends = head.term_begins, head.term_ends
    if begins is not None and not begins <= day <= ends:
        raise UserError(f"{title} meets from {begins:%B %d, %Y} to {ends:%B %d, %Y} ({key.session_name}), so "
                        f"attendance for {day:%A, %B %d, %Y} cannot be saved for it; pick a day in that term.")
    if head.calendarcode is None:
        raise UserError(f"{day:%A, %B %d, %Y} is not a school day at this school; pick a school day.")
    bad = sorted({m.code for m in marks.values() if m.code not in codes})
    if bad:
        raise UserError(f"{', '.join(bad)} is not an attendance code; use one of {', '.join(sorted(codes))}.")
    if head.strangers:
        strangers = list(head.strangers)
        names = dict(conn.execute(text("SELECT studentusi, firstname || ' ' || lastsurname FROM edfi.student "
                                       "WHERE studentusi = ANY(CAST(:u AS int[]))"), {"u": strangers}).all())
        who = ", ".join(names.get(u, f"student {u}") for u in strangers)
        raise UserError(f"{who} is not enrolled in this section on {day:%B %d}; remove them from the roster.")
    # the students whose day this save can change: an exception now or one saved before
    enrolled = {r.studentusi: r for r in rows if r.studentusi is not None}

    by_id = {v: k for k, v in codes.items()}
    changed, had, before, daily, rolled, same_day = [], [], {}, {}, [], {}
    for u, row in enrolled.items():
        mark = marks[u]
        if not row.changes:  # the database found the saved mark equal to this one
            continue
        changed.append(u)
        had.append(row.saved_code is not None)
        if row.saved_code is not None:
            before[u] = by_id.get(row.saved_code)
        if row.office_code is not None:  # the office's status for the day stands
            daily[u] = by_id.get(row.office_code)
            continue
        if row.periods is None:  # no absence in the day: minutes do not matter, the other marks do
            # most students' days look alike (one mark, no other exception): rolled up once per look
            look = (mark.code, *(row.others or ()))
            if look not in same_day:
                same_day[look] = daily_status([PeriodMark(mark.code, 50)] + [
                    PeriodMark(by_id.get(c) or PRESENT, 50) for c in look[1:]], rule)
            daily[u] = same_day[look]
        else:  # this section's mark is the new one; a class without an exception counts as present
            daily[u] = daily_status([PeriodMark(mark.code if p[0] else (by_id.get(p[1]) or PRESENT), int(p[3]))
                                     for p in row.periods] or [PeriodMark(mark.code, 50)], rule)
        rolled.append(u)
    # a first save of the day changes every mark, the presents it records by the taken event too
    n_changed = len(changed) + (0 if head.taken else sum(1 for u in marks if u not in enrolled))
    if not changed and head.taken:
        return SaveResult(len(marks), 0, {})
    activities = [student_activity_item(
        enrolled[u].studentuniqueid,
        f"ATT-{key.school_id}-{key.section_identifier}-{day:%Y%m%d}-{marks[u].code[:2].upper()}",
        now, "attendance.marked",
        {"section": key.section_identifier, "date": day.isoformat(), "mark": marks[u].code,
         "previous": before.get(u), "daily": daily[u]}, actor) for u in changed]
    # the office tells the family about the days it recorded itself
    notices = _absence_notifications(day, {u: daily[u] for u in rolled}, enrolled, now)
    items = [("StudentActivityLogs", a) for a in activities] + [("NotificationQueue", n) for n in notices]
    kept = [(u, h) for u, h in zip(changed, had) if not _is_present(marks[u])]
    present_days = [u for u in rolled if daily[u] == PRESENT]
    absent_days = [u for u in rolled if daily[u] != PRESENT]

    def duration(u: int) -> float:
        return 1.0 if daily[u] in ABSENCES else 0.5 if daily[u] == "Partial" else 0.0

    payload = {"taken": not head.taken,
               "upd": [{"c": codes[marks[u].code], "u": u, "a": _clock(marks[u].arrival)} for u, h in kept if h],
               "ins": [{"c": codes[marks[u].code], "u": u, "a": _clock(marks[u].arrival)} for u, h in kept if not h],
               "del": [u for u in changed if _is_present(marks[u])],
               "dupd": [{"c": codes[daily[u]], "u": u, "dur": duration(u)} for u in absent_days
                        if enrolled[u].daily_saved],
               "dins": [{"c": codes[daily[u]], "u": u, "dur": duration(u)} for u in absent_days
                        if not enrolled[u].daily_saved],
               "ddel": [u for u in present_days if enrolled[u].daily_saved],
               "outbox": [{"t": t, "i": i} for t, i in items]}
    parts = frozenset(name for name, part in payload.items() if part)
    del payload["taken"]
    _write(conn, _write_sql(parts), {**key.params(), "day": day, "rows": item_json(payload),
                                     "cal": head.calendarcode, "on": today})
    return SaveResult(len(marks), n_changed, daily)


def _is_present(mark: Mark) -> bool:
    """A mark recorded by its absence: In Attendance (an arrival time is kept only for the exceptions)."""
    return mark.code == PRESENT


def _clock(t: time | None) -> str | None:
    return None if t is None else t.isoformat()


def _absence_notifications(day: date, daily: dict[int, str], enrolled: dict, now: datetime) -> list:
    """One notification per absent student for their primary contact; the key is the student and
    the day, so saving the roster again overwrites it instead of notifying twice."""
    stamp = iso_utc(datetime.combine(day, time(0), tzinfo=timezone.utc))
    out = []
    for u, code in daily.items():
        contact = enrolled[u].contact
        if code not in ABSENCES or contact is None:
            continue
        uid, name = enrolled[u].studentuniqueid, enrolled[u].name
        out.append({
            "PK": f"USER#{contact}", "SK": f"NOTIFICATION#{stamp}#ABS-{uid}-{day:%Y%m%d}",
            "Type": "absence", "StudentUniqueId": uid, "Date": day.isoformat(), "Status": code,
            "Message": f"{name} was marked {code.lower()} on {day:%A, %B %d}.", "CreatedAt": iso_utc(now),
            "TTL": int((now + timedelta(days=NOTIFICATION_DAYS)).timestamp()),
        })
    return out


def office_period_mark(office: OfficeMark) -> Mark:
    """The period mark that agrees with the office's day: absent for an out-of-school suspension,
    present for an in-school one (the student is in school, in another room)."""
    return Mark(office.code if office.code in ABSENCES else PRESENT)


def present_marks(roster: Roster) -> dict[int, Mark]:
    """'Mark all present': every student present, keeping marks already saved and the marks the
    office already recorded for the day."""
    return {line.student_usi: line.mark or (office_period_mark(line.office) if line.office else Mark(PRESENT))
            for line in roster.lines}


@dataclass(frozen=True)
class CalendarDay:
    day: date
    school_day: bool
    status: str | None  # the daily status recorded, None when nothing is recorded
    reason: str | None  # the office's reason (a suspension, a note from home), if any


@dataclass(frozen=True)
class AttendanceCalendar:
    """A student's daily attendance over one term of their school, day by day."""
    student_usi: int
    student_name: str
    school: str
    session_name: str
    begins: date
    ends: date
    sessions: tuple[str, ...]  # the school year's terms, to switch between
    days: tuple[CalendarDay, ...]  # every weekday from begins to ends

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.days:
            if d.status:
                out[d.status] = out.get(d.status, 0) + 1
        return out


def student_attendance_calendar(conn: Connection, student_usi: int, session: str | None = None, *,
                                today: date | None = None) -> AttendanceCalendar:
    """The student's daily statuses over a term of their current school: `session` by name, or the
    term that holds `today` (else the latest that has begun): the office's status, else the teacher's
    roll-up, else In Attendance on a day taken in one of the student's sections, else nothing recorded.
    Row-level security decides whether the signed-in user may see the student at all."""
    today = today or date.today()
    who = conn.execute(text("""
        SELECT s.lastsurname || ', ' || s.firstname, a.schoolid, eo.nameofinstitution, a.schoolyear
          FROM edfi.student s
          JOIN edfi.studentschoolassociation a ON a.studentusi = s.studentusi
          JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid
         WHERE s.studentusi = :u
         ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC LIMIT 1"""), {"u": student_usi}).first()
    if who is None:
        raise UserError("That student has no school enrollment you can see; search for the student again.")
    name, school_id, school, year = who
    terms = conn.execute(text(
        "SELECT sessionname, begindate, enddate FROM edfi.session WHERE schoolid = :s "
        "AND (CAST(:y AS smallint) IS NULL OR schoolyear = :y) ORDER BY begindate"), {"s": school_id, "y": year}).all()
    if not terms:
        raise UserError(f"{school} has no terms on its calendar yet; add the school year's sessions first.")
    if session is not None:
        term = next((t for t in terms if t.sessionname == session), None)
        if term is None:
            names = ", ".join(t.sessionname for t in terms)
            raise UserError(f"{session} is not a term of {school}; pick one of {names}.")
    else:
        term = next((t for t in terms if t.begindate <= today <= t.enddate), None) or \
            next((t for t in reversed(terms) if t.begindate <= today), terms[0])
    from app.services.attendance_days import day_statuses

    # a taken day with no daily row was a present one (attendance is recorded as exceptions)
    rows = conn.execute(text(f"""
        WITH taken AS ({day_statuses(school=":s", start=":b", end=":e", students="CAST(ARRAY[:u] AS int[])")})
        SELECT g.day::date,
               EXISTS (SELECT 1 FROM edfi.calendardatecalendarevent e JOIN edfi.descriptor d
                         ON d.descriptorid = e.calendareventdescriptorid
                        WHERE e.schoolid = :s AND e.date = g.day::date AND d.codevalue = 'Instructional day'),
               taken.code, taken.reason
          FROM generate_series(CAST(:b AS date), CAST(:e AS date), interval '1 day') AS g(day)
          LEFT JOIN taken ON taken.day = g.day::date
         WHERE extract(isodow FROM g.day) < 6
         ORDER BY 1"""), {"u": student_usi, "s": school_id, "b": term.begindate, "e": term.enddate}).all()
    days = tuple(CalendarDay(r[0], r[1], r[2], r[3]) for r in rows)
    return AttendanceCalendar(student_usi, name, school, term.sessionname, term.begindate, term.enddate,
                              tuple(t.sessionname for t in terms), days)


__all__ = ["SectionKey", "Mark", "OfficeMark", "Roster", "RosterLine", "office_period_mark", "SaveResult",
           "load_roster", "save_roster", "present_marks",
           "attendance_codes", "AttendanceCalendar", "CalendarDay",
           "student_attendance_calendar"]
