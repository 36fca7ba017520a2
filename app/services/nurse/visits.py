"""Health-office visits: the quick-visit form, the sign-in kiosk, the day's log.

A finished visit goes on the student's activity timeline with its complaint and disposition only
(the assessment and treatment stay in PostgreSQL, behind row-level security); roles that may not
read health records see just "Visited the health office" there (app.domain.activity_text).
"Sent home" also records an early departure in attendance for the rest of the day and queues a
notification for the primary contact, in the same transaction as the visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, text

from app.domain.attendance_rollup import EARLY_DEPARTURE
from app.domain.nurse_rules import COMPLAINTS, DISPOSITIONS, complaint_code, disposition_code, not_in_future
from app.errors import UserError
from app.services.descriptor_ids import DescriptorIds
from app.services.nurse.common import VISIT_LIST, StudentBrief, aware, enrolled_school, logged, me
from app.services.request_ids import lock_request
from app.sync.outbox import enqueue_many, iso_utc, student_activity_item

NOTIFICATION_DAYS = 30


@dataclass(frozen=True)
class VisitForm:
    student_usi: int
    complaint: str
    time_in: datetime
    time_out: datetime | None = None
    complaint_text: str = ""
    assessment: str = ""
    treatment: str = ""
    disposition: str | None = None
    temperature: str = ""
    visit_id: int | None = None  # completing a kiosk sign-in
    request_id: str | None = None


@dataclass(frozen=True)
class VisitLine:
    visit_id: int
    student_usi: int
    student_unique_id: str
    name: str
    grade: str | None
    time_in: datetime
    time_out: datetime | None
    complaint: str
    complaint_text: str | None
    assessment: str | None
    treatment: str | None
    disposition: str | None
    temperature: Decimal | None
    via_kiosk: bool
    seen_by: str | None

    @property
    def complaint_label(self) -> str:
        return COMPLAINTS.get(self.complaint, self.complaint)

    @property
    def disposition_label(self) -> str:
        return DISPOSITIONS.get(self.disposition, "Waiting") if self.disposition else "Waiting"


@dataclass(frozen=True)
class VisitSaved:
    visit_id: int
    sent_home: bool
    notified: bool


def _temperature(value: str) -> Decimal | None:
    v = (value or "").strip()
    if not v:
        return None
    try:
        t = Decimal(v)
    except InvalidOperation:
        raise UserError(f"Temperature \"{v}\" is not a number; enter it in °F, like 98.6.") from None
    if not Decimal(90) <= t <= Decimal(110):
        raise UserError(f"Temperature {v} °F is not a body temperature; enter it in °F (90 to 110).")
    return t


def record_visit(conn: Connection, form: VisitForm, *, now: datetime, actor: str | None = None) -> VisitSaved:
    """The quick-visit form: a new visit, or the completion of a student's kiosk sign-in."""
    now = aware(now)
    rid = lock_request(conn, form.request_id)
    if rid is not None:
        done = conn.execute(text("SELECT visit_id, disposition = 'sent_home' FROM health.visits "
                                 "WHERE request_id = :r"), {"r": rid}).first()
        if done is not None:
            return VisitSaved(done[0], bool(done[1]), False)
    complaint = complaint_code(form.complaint)
    disposition = disposition_code(form.disposition)
    time_in = aware(form.time_in)
    not_in_future(time_in, now, "Time in")
    time_out = aware(form.time_out) if form.time_out else None
    if time_out is not None:
        not_in_future(time_out, now, "Time out")
        if time_out < time_in:
            raise UserError(f"Time out {time_out:%H:%M} is before time in {time_in:%H:%M}; correct one of them.")
    if disposition and time_out is None:
        time_out = now
    temperature = _temperature(form.temperature)
    nurse = me(conn)
    student = enrolled_school(conn, form.student_usi, time_in.date(), nurse.school_ids)
    values = {"u": student.student_usi, "s": student.school_id, "ti": time_in, "to": time_out, "c": complaint,
              "ct": form.complaint_text.strip() or None, "a": form.assessment.strip() or None,
              "t": form.treatment.strip() or None, "d": disposition, "temp": temperature, "by": nurse.staff_usi,
              "r": rid, "v": form.visit_id}
    if form.visit_id is not None:
        visit_id = conn.execute(text(
            "UPDATE health.visits SET time_in = :ti, time_out = :to, complaint = :c, "
            "complaint_text = coalesce(:ct, complaint_text), assessment = :a, treatment = :t, disposition = :d, "
            "temperature_f = :temp, seen_by = :by, request_id = :r "
            "WHERE visit_id = :v AND student_usi = :u AND disposition IS NULL RETURNING visit_id"), values).scalar()
        if visit_id is None:
            raise UserError(f"{student.name}'s sign-in was already completed; open the visit from the day's list.")
    else:
        visit_id = conn.execute(text(
            "INSERT INTO health.visits (student_usi, school_id, time_in, time_out, complaint, complaint_text, "
            "assessment, treatment, disposition, temperature_f, seen_by, request_id) "
            "VALUES (:u, :s, :ti, :to, :c, :ct, :a, :t, :d, :temp, :by, :r) RETURNING visit_id"), values).scalar()
    notified = False
    if disposition == "sent_home":
        _record_early_departure(conn, student, time_out, visit_id)
        notified = _notify_primary_contact(conn, student, time_out, visit_id, now)
    if disposition:
        enqueue_many(conn, "StudentActivityLogs", [student_activity_item(
            student.student_unique_id, f"VISIT-{visit_id}", time_in, "health.visit",
            # times only: every desk's timeline reads DynamoDB, where no row-level security applies;
            # the complaint and the disposition stay in health.visits, which only the nurse reads
            {"visit": visit_id, "timeIn": time_in.strftime("%H:%M"), "timeOut": time_out.strftime("%H:%M")},
            actor)])
    return VisitSaved(visit_id, disposition == "sent_home", notified)


def _record_early_departure(conn: Connection, student: StudentBrief, left: datetime, visit_id: int) -> None:
    """The rest of the day: the day's status becomes an early departure with the time the student left
    (an update when a status was already taken, as the office's marks are; nurses delete nothing)."""
    day = left.date()
    session = conn.execute(text(
        "SELECT ses.schoolyear, ses.sessionname FROM edfi.session ses WHERE ses.schoolid = :s "
        "AND :d BETWEEN ses.begindate AND ses.enddate ORDER BY ses.begindate DESC LIMIT 1"),
        {"s": student.school_id, "d": day}).first()
    if session is None:
        raise UserError(f"{day:%B %d, %Y} is outside the school's sessions, so the early departure cannot be "
                        "recorded; check the visit's date.")
    DescriptorIds(conn).get("AttendanceEventCategoryDescriptor", EARLY_DEPARTURE, "Attendance code")
    # the nurse writes no attendance herself: the database records this visit's early departure (0032)
    conn.execute(text("SELECT health.record_early_departure(:v)"), {"v": visit_id})


def _notify_primary_contact(conn: Connection, student: StudentBrief, left: datetime, visit_id: int,
                            now: datetime) -> bool:
    contact = conn.execute(text(
        "SELECT c.contactuniqueid FROM edfi.studentcontactassociation ca JOIN edfi.contact c "
        "ON c.contactusi = ca.contactusi WHERE ca.studentusi = :u "
        "ORDER BY ca.primarycontactstatus DESC NULLS LAST, ca.contactpriority NULLS LAST LIMIT 1"),
        {"u": student.student_usi}).scalar()
    if contact is None:
        return False
    enqueue_many(conn, "NotificationQueue", [{
        "PK": f"USER#{contact}", "SK": f"NOTIFICATION#{iso_utc(left)}#VISIT-{visit_id}",
        "Type": "sent_home", "StudentUniqueId": student.student_unique_id, "Date": left.date().isoformat(),
        "Message": f"{student.first_name} was sent home from the health office at {left:%H:%M} on "
                   f"{left:%A, %B %d}. Please call the school nurse.",
        "CreatedAt": iso_utc(now), "TTL": int((now + timedelta(days=NOTIFICATION_DAYS)).timestamp()),
    }])
    return True


def kiosk_sign_in(conn: Connection, student_unique_id: str, complaint: str, *, now: datetime) -> tuple[int, str]:
    """A student signs in at the health-office kiosk: a waiting visit the nurse completes later."""
    now = aware(now)
    code = complaint_code(complaint)
    uid = (student_unique_id or "").strip()
    if not uid:
        raise UserError("Type or scan your student ID, then pick what is wrong.")
    usi = conn.execute(text("SELECT studentusi FROM edfi.student WHERE studentuniqueid = :u"), {"u": uid}).scalar()
    if usi is None:
        raise UserError(f"Student ID {uid} is not one of this school's students; check it and try again.")
    student = enrolled_school(conn, usi, now.date(), me(conn).school_ids)
    waiting = conn.execute(text("SELECT visit_id FROM health.visits WHERE student_usi = :u AND disposition IS NULL "
                                "AND time_in::date = :d"), {"u": usi, "d": now.date()}).scalar()
    if waiting is not None:  # signed in twice: one visit
        return waiting, student.first_name
    visit_id = conn.execute(text(
        "INSERT INTO health.visits (student_usi, school_id, time_in, complaint, via_kiosk) "
        "VALUES (:u, :s, :t, :c, true) RETURNING visit_id"),
        {"u": usi, "s": student.school_id, "t": now, "c": code}).scalar()
    return visit_id, student.first_name


_LINES = """
SELECT v.visit_id, v.student_usi, s.studentuniqueid, s.lastsurname || ', ' || s.firstname,
       (SELECT g.codevalue FROM edfi.studentschoolassociation a JOIN edfi.descriptor g
          ON g.descriptorid = a.entrygradeleveldescriptorid WHERE a.studentusi = v.student_usi
           AND a.schoolid = v.school_id ORDER BY a.entrydate DESC LIMIT 1),
       v.time_in, v.time_out, v.complaint, v.complaint_text, v.assessment, v.treatment, v.disposition,
       v.temperature_f, v.via_kiosk, (SELECT st.firstname || ' ' || st.lastsurname FROM edfi.staff st
                                       WHERE st.staffusi = v.seen_by)
  FROM health.visits v JOIN edfi.student s ON s.studentusi = v.student_usi
"""


def visits_for_day(conn: Connection, school_id: int, day: date, *, reason: str = VISIT_LIST) -> list[VisitLine]:
    """The day's visits at a school, earliest first (the daily visit log); waiting ones included.
    Each student on it gets a view entry with `reason`."""
    rows = conn.execute(text(_LINES + " WHERE v.school_id = :s AND v.time_in >= :a AND v.time_in < :b "
                                      "ORDER BY v.time_in, v.visit_id"),
                        {"s": school_id, "a": _start(day), "b": _start(day + timedelta(days=1))})
    return logged(conn, [VisitLine(*r) for r in rows], reason)


def waiting_visits(conn: Connection, school_id: int, day: date) -> list[VisitLine]:
    return [v for v in visits_for_day(conn, school_id, day) if v.disposition is None]


def student_visits(conn: Connection, student_usi: int, limit: int = 50) -> list[VisitLine]:
    rows = conn.execute(text(_LINES + " WHERE v.student_usi = :u ORDER BY v.time_in DESC LIMIT :n"),
                        {"u": student_usi, "n": limit})
    return [VisitLine(*r) for r in rows]


def _start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()).astimezone()
