"""A student's class schedule (Ed-Fi StudentSectionAssociation): what they take, what they could
add at their school, and adding or dropping a section with capacity and time-conflict warnings.

Capacity is the room's seat count (Ed-Fi Location.MaximumNumberOfSeats); times come from the
section's class periods and their meeting times (bell schedule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import Connection, text

from app.domain.oneroster_ids import GRADE_CODES
from app.errors import UserError
from app.services.attendance import SectionKey
from app.services.oneroster_sync import sync_student
from app.sync.outbox import enqueue, student_activity_item


@dataclass(frozen=True)
class SectionInfo:
    key: SectionKey
    course: str
    period: str | None
    starts: time | None
    ends: time | None
    teacher: str | None
    room: str | None
    enrolled: int
    capacity: int | None
    begin_date: date | None = None  # the student's own dates, in a schedule
    end_date: date | None = None

    @property
    def times(self) -> str:
        return f"{_clock(self.starts)}–{_clock(self.ends)}" if self.starts and self.ends else ""

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else self.capacity - self.enrolled


def _clock(t: time) -> str:
    """8:05, 1:30: the way a bell schedule is read in a school office."""
    return f"{(t.hour - 1) % 12 + 1}:{t.minute:02d}"


_SECTION_INFO = """
    SELECT s.localcoursecode, s.schoolid, s.schoolyear, s.sectionidentifier, s.sessionname,
           coalesce(c.coursetitle, s.sectionname, s.localcoursecode),
           p.classperiodname, m.starttime, m.endtime,
           (SELECT st.firstname || ' ' || st.lastsurname FROM edfi.staffsectionassociation t
              JOIN edfi.staff st ON st.staffusi = t.staffusi
             WHERE t.localcoursecode = s.localcoursecode AND t.schoolid = s.schoolid AND t.schoolyear = s.schoolyear
               AND t.sectionidentifier = s.sectionidentifier AND t.sessionname = s.sessionname LIMIT 1),
           s.locationclassroomidentificationcode,
           (SELECT count(*) FROM edfi.studentsectionassociation x
             WHERE x.localcoursecode = s.localcoursecode AND x.schoolid = s.schoolid AND x.schoolyear = s.schoolyear
               AND x.sectionidentifier = s.sectionidentifier AND x.sessionname = s.sessionname
               AND x.begindate <= :on AND (x.enddate IS NULL OR x.enddate >= :on)),
           loc.maximumnumberofseats
      FROM edfi.section s
      JOIN edfi.session ses ON ses.schoolid = s.schoolid AND ses.schoolyear = s.schoolyear
       AND ses.sessionname = s.sessionname
      LEFT JOIN edfi.courseoffering co ON co.localcoursecode = s.localcoursecode AND co.schoolid = s.schoolid
       AND co.schoolyear = s.schoolyear AND co.sessionname = s.sessionname
      LEFT JOIN edfi.course c ON c.coursecode = co.coursecode AND c.educationorganizationid = co.educationorganizationid
      LEFT JOIN LATERAL (SELECT scp.classperiodname FROM edfi.sectionclassperiod scp
                          WHERE scp.localcoursecode = s.localcoursecode AND scp.schoolid = s.schoolid
                            AND scp.schoolyear = s.schoolyear AND scp.sectionidentifier = s.sectionidentifier
                            AND scp.sessionname = s.sessionname ORDER BY 1 LIMIT 1) p ON true
      LEFT JOIN LATERAL (SELECT mt.starttime, mt.endtime FROM edfi.classperiodmeetingtime mt
                          WHERE mt.classperiodname = p.classperiodname AND mt.schoolid = s.schoolid
                          ORDER BY 1 LIMIT 1) m ON true
      LEFT JOIN edfi.location loc ON loc.classroomidentificationcode = s.locationclassroomidentificationcode
       AND loc.schoolid = coalesce(s.locationschoolid, s.schoolid)
"""


def _info(r, begin=None, end=None) -> SectionInfo:
    return SectionInfo(SectionKey(*r[0:5]), r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], begin, end)


def student_schedule(conn: Connection, student_usi: int, on: date) -> list[SectionInfo]:
    """The sections the student is in on a day, in period order."""
    rows = conn.execute(text(f"""
        WITH mine AS (SELECT * FROM edfi.studentsectionassociation WHERE studentusi = :u AND begindate <= :on
                        AND (enddate IS NULL OR enddate >= :on))
        SELECT info.*, mine.begindate, mine.enddate FROM ({_SECTION_INFO}) AS info(lcc, sid, sy, sec, sess, course,
               period, starts, ends, teacher, room, enrolled, capacity)
        JOIN mine ON mine.localcoursecode = info.lcc AND mine.schoolid = info.sid AND mine.schoolyear = info.sy
         AND mine.sectionidentifier = info.sec AND mine.sessionname = info.sess
        ORDER BY info.starts NULLS LAST, info.period, info.course"""), {"u": student_usi, "on": on}).all()
    return [_info(r, r[13], r[14]) for r in rows]


def available_sections(conn: Connection, student_usi: int, on: date) -> list[SectionInfo]:
    """Sections running on that day at the school the student is enrolled in, that they are not in;
    those of the student's own grade first (their OneRoster class lists the grade), then the rest,
    for a student who takes a class with another grade."""
    grade = conn.execute(text(
        "SELECT d.codevalue FROM edfi.studentschoolassociation a JOIN edfi.descriptor d "
        "ON d.descriptorid = a.entrygradeleveldescriptorid WHERE a.studentusi = :u AND a.entrydate <= :on "
        "AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= :on) ORDER BY a.entrydate DESC LIMIT 1"),
        {"u": student_usi, "on": on}).scalar()
    rows = conn.execute(text(f"""
        SELECT info.* FROM ({_SECTION_INFO} WHERE :on BETWEEN ses.begindate AND ses.enddate
                              AND s.schoolid = (SELECT a.schoolid FROM edfi.studentschoolassociation a
                                                 WHERE a.studentusi = :u AND a.entrydate <= :on
                                                   AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= :on)
                                                 ORDER BY a.entrydate DESC LIMIT 1))
               AS info(lcc, sid, sy, sec, sess, course, period, starts, ends, teacher, room, enrolled, capacity)
          LEFT JOIN oneroster.classes oc ON oc.sourced_id = md5(lower(info.lcc) || '-' || info.sid || '-' || info.sy
                                                               || '-' || lower(info.sec) || '-' || lower(info.sess))
         WHERE NOT EXISTS (SELECT 1 FROM edfi.studentsectionassociation x WHERE x.studentusi = :u
                             AND x.localcoursecode = info.lcc AND x.schoolid = info.sid AND x.schoolyear = info.sy
                             AND x.sectionidentifier = info.sec AND x.sessionname = info.sess
                             AND x.begindate <= :on AND (x.enddate IS NULL OR x.enddate >= :on))
         ORDER BY coalesce(CAST(:g AS text) = ANY(oc.grades), false) DESC, info.starts NULLS LAST, info.course,
                  info.sec"""), {"u": student_usi, "on": on, "g": GRADE_CODES.get(grade or "", None)}).all()
    return [_info(r) for r in rows]


def _section(conn: Connection, key: SectionKey, on: date) -> SectionInfo:
    row = conn.execute(text(f"""{_SECTION_INFO} WHERE s.localcoursecode = :lcc AND s.schoolid = :sid
        AND s.schoolyear = :sy AND s.sectionidentifier = :sec AND s.sessionname = :sess"""),
        {**key.params(), "on": on}).first()
    if row is None:
        raise UserError(f"There is no section {key.section_identifier}; pick it from the list.")
    return _info(row)


def schedule_warnings(conn: Connection, student_usi: int, key: SectionKey, on: date) -> list[str]:
    """Why adding this section might be wrong: a full room, a time conflict. Empty when fine."""
    target = _section(conn, key, on)
    out = []
    if target.capacity is not None and target.enrolled >= target.capacity:
        out.append(f"{target.course} ({target.key.section_identifier}) is full: {target.enrolled} students for "
                   f"{target.capacity} seats.")
    if target.starts and target.ends:
        for s in student_schedule(conn, student_usi, on):
            if s.starts and s.ends and s.starts < target.ends and target.starts < s.ends:
                out.append(f"{target.course} meets {target.times}, at the same time as {s.course} "
                           f"({s.period}, {s.times}).")
    return out


def add_section(conn: Connection, student_usi: int, key: SectionKey, begin: date, *, confirmed: bool = False,
                actor: str | None = None, now: datetime | None = None) -> SectionInfo:
    """Enroll the student in a section from `begin`. Warnings stop the change unless confirmed."""
    now = now or datetime.now(timezone.utc)
    uid = conn.execute(text("SELECT studentuniqueid FROM edfi.student WHERE studentusi = :u"),
                       {"u": student_usi}).scalar()
    if uid is None:
        raise UserError("That student is not on file or not one you may change; search for the student again.")
    target = _section(conn, key, begin)
    enrolled_there = conn.execute(text(
        "SELECT 1 FROM edfi.studentschoolassociation WHERE studentusi = :u AND schoolid = :s AND entrydate <= :d "
        "AND (exitwithdrawdate IS NULL OR exitwithdrawdate >= :d)"),
        {"u": student_usi, "s": key.school_id, "d": begin}).first()
    if not enrolled_there:
        raise UserError(f"The student is not enrolled at this section's school on {begin:%m/%d/%Y}; enroll them "
                        "at the school first.")
    warnings = schedule_warnings(conn, student_usi, key, begin)
    if warnings and not confirmed:
        raise UserError(" ".join(warnings) + " Confirm to add anyway.")
    if conn.execute(text(
            "SELECT 1 FROM edfi.studentsectionassociation WHERE studentusi = :u AND localcoursecode = :lcc "
            "AND schoolid = :sid AND schoolyear = :sy AND sectionidentifier = :sec AND sessionname = :sess "
            "AND begindate <= :d AND (enddate IS NULL OR enddate >= :d)"),
            {**key.params(), "u": student_usi, "d": begin}).first():
        raise UserError(f"The student is already in {target.course} ({key.section_identifier}).")
    conn.execute(text(
        "INSERT INTO edfi.studentsectionassociation (begindate, localcoursecode, schoolid, schoolyear, "
        "sectionidentifier, sessionname, studentusi) VALUES (:d, :lcc, :sid, :sy, :sec, :sess, :u) "
        "ON CONFLICT ON CONSTRAINT pk_studentsectionassociation DO UPDATE SET enddate = NULL, "
        "lastmodifieddate = now() AT TIME ZONE 'utc'"),
        {**key.params(), "u": student_usi, "d": begin})
    sync_student(conn, student_usi, now.replace(tzinfo=None))
    enqueue(conn, "StudentActivityLogs", student_activity_item(
        uid, f"SCH-{key.school_id}-{key.section_identifier}-{begin:%Y%m%d}-ADD", now, "schedule.added",
        {"section": key.section_identifier, "course": target.course, "beginDate": begin.isoformat(),
         "warnings": warnings}, actor))
    return target


def drop_section(conn: Connection, student_usi: int, key: SectionKey, last_day: date, *, actor: str | None = None,
                 now: datetime | None = None) -> None:
    """End the student's enrollment in the section after last_day (a section dropped before it
    began is removed: the student never attended it)."""
    now = now or datetime.now(timezone.utc)
    uid = conn.execute(text("SELECT studentuniqueid FROM edfi.student WHERE studentusi = :u"),
                       {"u": student_usi}).scalar()
    row = conn.execute(text(
        "SELECT begindate FROM edfi.studentsectionassociation WHERE studentusi = :u AND localcoursecode = :lcc "
        "AND schoolid = :sid AND schoolyear = :sy AND sectionidentifier = :sec AND sessionname = :sess "
        "AND (enddate IS NULL OR enddate >= :d) ORDER BY begindate DESC LIMIT 1"),
        {**key.params(), "u": student_usi, "d": last_day}).first()
    if uid is None or row is None:
        raise UserError(f"The student is not in section {key.section_identifier} on {last_day:%m/%d/%Y}.")
    params = {**key.params(), "u": student_usi, "d": last_day, "b": row[0]}
    where = ("studentusi = :u AND localcoursecode = :lcc AND schoolid = :sid AND schoolyear = :sy "
             "AND sectionidentifier = :sec AND sessionname = :sess AND begindate = :b")
    if last_day < row[0]:
        conn.execute(text(f"DELETE FROM edfi.studentsectionassociation WHERE {where}"), params)
    else:
        conn.execute(text(f"UPDATE edfi.studentsectionassociation SET enddate = :d, "
                          f"lastmodifieddate = now() AT TIME ZONE 'utc' WHERE {where}"), params)
    sync_student(conn, student_usi, now.replace(tzinfo=None))
    enqueue(conn, "StudentActivityLogs", student_activity_item(
        uid, f"SCH-{key.school_id}-{key.section_identifier}-{last_day:%Y%m%d}-DROP", now, "schedule.dropped",
        {"section": key.section_identifier, "lastDay": last_day.isoformat()}, actor))
