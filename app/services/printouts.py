"""The data behind the front office's printouts (schedule, ID card), for the reports package."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, text

from app.domain.school_calendar import school_year_for, school_year_label
from app.errors import UserError
from app.services.schedule import student_schedule
from reports.documents import IdCard, ScheduleDocument, ScheduleRow


def _who(conn: Connection, student_usi: int, on: date) -> tuple:
    row = conn.execute(text("""
        SELECT s.firstname || ' ' || s.lastsurname, s.studentuniqueid, g.codevalue, eo.nameofinstitution,
               (SELECT lea.nameofinstitution FROM edfi.school sc JOIN edfi.educationorganization lea
                  ON lea.educationorganizationid = sc.localeducationagencyid WHERE sc.schoolid = a.schoolid)
          FROM edfi.student s
          JOIN edfi.studentschoolassociation a ON a.studentusi = s.studentusi AND a.entrydate <= :on
           AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= :on)
          JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
          JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid
         WHERE s.studentusi = :u ORDER BY a.entrydate DESC LIMIT 1"""), {"u": student_usi, "on": on}).first()
    if row is None:
        raise UserError(f"The student is not enrolled at a school on {on:%m/%d/%Y}; enroll them before printing.")
    return row


def schedule_document(conn: Connection, student_usi: int, on: date) -> ScheduleDocument:
    name, uid, grade, school, district = _who(conn, student_usi, on)
    rows = tuple(ScheduleRow(s.period or "", s.times, s.course, s.key.section_identifier, s.teacher or "",
                             s.room or "", f"from {s.begin_date:%m/%d/%Y}" if s.begin_date and s.begin_date > on
                             else "") for s in student_schedule(conn, student_usi, on))
    return ScheduleDocument(district or "", school, school_year_label(school_year_for(on)), name, uid, grade, on, rows)


def id_card(conn: Connection, student_usi: int, on: date) -> IdCard:
    name, uid, grade, school, district = _who(conn, student_usi, on)
    return IdCard(district or "", school, school_year_label(school_year_for(on)), name, uid, grade)
