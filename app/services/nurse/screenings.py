"""Screenings: vision, hearing, scoliosis, height/weight/BMI, entered a class at a time in a grid.
Which grades are screened is data (health.screening_schedule). A failed screen opens a referral,
which prints a parent letter and is followed until closed with what the family reported."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.domain.nurse_rules import SCREENING_TYPES, ScreeningEntry
from app.errors import UserError
from app.services.nurse.common import REFERRAL_LETTER, REFERRAL_LIST, SCREENING_GRID, logged, me

RESULTS = ("pass", "fail", "absent", "refused")
REASONS = {"vision": "Vision screening: did not pass; please have the student's eyes examined.",
           "hearing": "Hearing screening: did not pass; please have the student's hearing tested.",
           "scoliosis": "Scoliosis screening: possible curve of the spine; please have a physician examine it.",
           "bmi": "Height and weight: BMI outside the healthy range; please discuss it with your physician."}


def schedule_schools(conn: Connection) -> list[tuple[int, str]]:
    """The schools whose screening schedule the signed-in user sets: a nurse's own, an administrator's all."""
    return [tuple(r) for r in conn.execute(text(
        "SELECT s.schoolid, e.nameofinstitution FROM edfi.school s JOIN edfi.educationorganization e "
        "ON e.educationorganizationid = s.schoolid WHERE s.schoolid = ANY (compliance.my_school_ids()) "
        "OR pg_has_role(session_user, 'so_admin', 'MEMBER') ORDER BY 2"))]


def grade_levels(conn: Connection) -> list[str]:
    """The grade levels (Ed-Fi GradeLevelDescriptor), in the descriptor list's order."""
    return list(conn.execute(text("SELECT d.codevalue FROM edfi.descriptor d JOIN edfi.gradeleveldescriptor g "
                                  "ON g.gradeleveldescriptorid = d.descriptorid ORDER BY d.descriptorid")).scalars())


def screened_grades(conn: Connection, school_id: int, screening_type: str) -> list[str]:
    return list(conn.execute(text(
        "SELECT x.grade_level FROM health.screening_schedule x JOIN edfi.descriptor d ON d.codevalue = x.grade_level "
        "JOIN edfi.gradeleveldescriptor g ON g.gradeleveldescriptorid = d.descriptorid "
        "WHERE x.school_id = :s AND x.screening_type = :t ORDER BY d.descriptorid"),
        {"s": school_id, "t": screening_type}).scalars())


def set_screened_grades(conn: Connection, school_id: int, screening_type: str, grades: list[str]) -> tuple[int, int]:
    """The grades a school screens for one screening; returns (added, removed). Saving the same choice
    again changes nothing (only the difference is written, under a lock per school and screening)."""
    if screening_type not in SCREENING_TYPES:
        raise UserError(f"\"{screening_type}\" is not a screening; pick vision, hearing, scoliosis or BMI.")
    if school_id not in {s for s, _n in schedule_schools(conn)}:
        raise UserError("You set the screening schedule only of a school you serve; pick one of your schools.")
    known = set(grade_levels(conn))
    bad = [g for g in grades if g not in known]
    if bad:
        raise UserError(f"{', '.join(bad)} is not a grade level; pick grades from the list.")
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('screening_schedule ' || :s || ' ' || :t, 0))"),
                 {"s": str(school_id), "t": screening_type})
    removed = conn.execute(text(
        "DELETE FROM health.screening_schedule WHERE school_id = :s AND screening_type = :t "
        "AND NOT grade_level = ANY (CAST(:g AS text[]))"), {"s": school_id, "t": screening_type, "g": grades}).rowcount
    added = conn.execute(text(
        "INSERT INTO health.screening_schedule (school_id, screening_type, grade_level) "
        "SELECT :s, :t, unnest(CAST(:g AS text[])) ON CONFLICT DO NOTHING"),
        {"s": school_id, "t": screening_type, "g": sorted(set(grades))}).rowcount
    return added, removed


@dataclass(frozen=True)
class GridRow:
    student_usi: int
    student_unique_id: str
    name: str
    grade: str | None
    last_result: str | None  # this school year's result, if screened already
    last_measures: dict | None
    birth_date: date | None = None  # for the age-based criteria (vision acuity, BMI-for-age)
    sex: str | None = None  # Female / Male (BMI-for-age)


@dataclass(frozen=True)
class ClassChoice:
    key: tuple  # section key (localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname)
    title: str
    students: int


def classes_to_screen(conn: Connection, school_id: int, screening_type: str | None, day: date) -> list[ClassChoice]:
    """Sections meeting on `day` whose students include a grade this screening is given to at the school
    (every section meeting that day when `screening_type` is None: the field-trip health list's classes)."""
    rows = conn.execute(text("""
        SELECT s.localcoursecode, s.schoolid, s.schoolyear, s.sectionidentifier, s.sessionname,
               coalesce(s.sectionname, s.sectionidentifier), count(DISTINCT x.studentusi)
          FROM edfi.section s
          JOIN edfi.session ses ON ses.schoolid = s.schoolid AND ses.schoolyear = s.schoolyear
           AND ses.sessionname = s.sessionname AND :d BETWEEN ses.begindate AND ses.enddate
          JOIN edfi.studentsectionassociation x ON x.localcoursecode = s.localcoursecode AND x.schoolid = s.schoolid
           AND x.schoolyear = s.schoolyear AND x.sectionidentifier = s.sectionidentifier AND x.sessionname = s.sessionname
           AND x.begindate <= :d AND (x.enddate IS NULL OR x.enddate >= :d)
          JOIN edfi.studentschoolassociation a ON a.studentusi = x.studentusi AND a.schoolid = s.schoolid
           AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= :d)
          JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
         WHERE s.schoolid = :s AND (CAST(:t AS text) IS NULL OR g.codevalue IN (
                   SELECT grade_level FROM health.screening_schedule WHERE screening_type = :t AND school_id = :s))
         GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 6"""), {"s": school_id, "t": screening_type, "d": day})
    return [ClassChoice(tuple(r[:5]), r[5], r[6]) for r in rows]


def screening_grid(conn: Connection, section_key: tuple, screening_type: str, day: date) -> list[GridRow]:
    """One row per student of the class in a screened grade, with this school year's result if any."""
    lcc, sid, sy, sec, sess = section_key
    rows = conn.execute(text("""
        SELECT st.studentusi, st.studentuniqueid, st.lastsurname || ', ' || st.firstname, g.codevalue,
               r.result, r.measures, st.birthdate,
               (SELECT d.codevalue FROM edfi.descriptor d WHERE d.descriptorid = st.birthsexdescriptorid)
          FROM edfi.studentsectionassociation x
          JOIN edfi.student st ON st.studentusi = x.studentusi
          JOIN edfi.studentschoolassociation a ON a.studentusi = x.studentusi AND a.schoolid = x.schoolid
           AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= :d)
          JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
          LEFT JOIN LATERAL (SELECT k.result, k.measures FROM health.screenings k WHERE k.student_usi = x.studentusi
                              AND k.screening_type = :t AND k.screened_on >= :year_start
                              ORDER BY k.screened_on DESC, k.screening_id DESC LIMIT 1) r ON true
         WHERE x.localcoursecode = :lcc AND x.schoolid = :sid AND x.schoolyear = :sy AND x.sectionidentifier = :sec
           AND x.sessionname = :sess AND x.begindate <= :d AND (x.enddate IS NULL OR x.enddate >= :d)
           AND g.codevalue IN (SELECT grade_level FROM health.screening_schedule WHERE screening_type = :t
                                AND school_id = x.schoolid)
         ORDER BY 3"""), {"lcc": lcc, "sid": sid, "sy": sy, "sec": sec, "sess": sess, "t": screening_type, "d": day,
                          "year_start": _school_year_start(day)})
    return logged(conn, [GridRow(*r) for r in rows], SCREENING_GRID)


def _school_year_start(day: date) -> date:
    return date(day.year if day.month >= 7 else day.year - 1, 7, 1)


@dataclass(frozen=True)
class GridSaved:
    saved: int
    referrals: tuple[int, ...]


def save_screening_grid(conn: Connection, school_id: int, screening_type: str, day: date,
                        rows: list[ScreeningEntry], *, today: date) -> GridSaved:
    """The whole grid in one transaction; a failed screen opens a referral (one per student and screening)."""
    if screening_type not in SCREENING_TYPES:
        raise UserError(f"\"{screening_type}\" is not a screening; pick vision, hearing, scoliosis or BMI.")
    if day > today:
        raise UserError(f"Screenings cannot be recorded for {day:%B %d}, which has not come; pick today or earlier.")
    entered = [r for r in rows if r.result]
    bad = sorted({r.result for r in entered if r.result not in RESULTS})
    if bad:
        raise UserError(f"{', '.join(bad)} is not a screening result; use pass, fail, absent or refused.")
    if school_id not in me(conn).school_ids:
        raise UserError("You can record screenings only at the schools you serve; pick your school.")
    saved, referrals = 0, []
    for r in entered:
        sid = conn.execute(text(
            "INSERT INTO health.screenings (student_usi, school_id, screening_type, screened_on, result, measures, "
            "screened_by, note) VALUES (:u, :s, :t, :d, :r, CAST(:m AS jsonb), compliance.my_staff_usi(), :n) "
            "RETURNING screening_id"),
            {"u": r.student_usi, "s": school_id, "t": screening_type, "d": day, "r": r.result,
             "m": json.dumps(r.measures or {}), "n": r.note.strip() or None}).scalar()
        saved += 1
        if r.result == "fail":
            ref = conn.execute(text(
                "INSERT INTO health.referrals (student_usi, school_id, screening_id, reason, referred_on) "
                "SELECT :u, :s, :k, :why, :d WHERE NOT EXISTS (SELECT 1 FROM health.referrals f JOIN health.screenings "
                "k ON k.screening_id = f.screening_id WHERE f.student_usi = :u AND k.screening_type = :t "
                "AND f.status <> 'closed') RETURNING referral_id"),
                {"u": r.student_usi, "s": school_id, "k": sid, "why": REASONS[screening_type], "d": day,
                 "t": screening_type}).scalar()
            if ref is not None:
                referrals.append(ref)
    return GridSaved(saved, tuple(referrals))


# -- referrals ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Referral:
    referral_id: int
    student_usi: int
    student_unique_id: str
    name: str
    grade: str | None
    reason: str
    referred_on: date
    letter_sent_on: date | None
    status: str
    follow_up: str | None
    screening_type: str | None
    measures: dict | None


_REF = """
SELECT f.referral_id, f.student_usi, s.studentuniqueid, s.firstname || ' ' || s.lastsurname,
       (SELECT g.codevalue FROM edfi.studentschoolassociation a JOIN edfi.descriptor g
          ON g.descriptorid = a.entrygradeleveldescriptorid WHERE a.studentusi = f.student_usi AND a.schoolid = f.school_id
         ORDER BY a.entrydate DESC LIMIT 1),
       f.reason, f.referred_on, f.letter_sent_on, f.status, f.follow_up, k.screening_type, k.measures
  FROM health.referrals f JOIN edfi.student s ON s.studentusi = f.student_usi
  LEFT JOIN health.screenings k ON k.screening_id = f.screening_id"""


def open_referrals(conn: Connection, school_id: int, *, reason: str = REFERRAL_LIST) -> list[Referral]:
    return logged(conn, [Referral(*r) for r in conn.execute(text(
        _REF + " WHERE f.school_id = :s AND f.status <> 'closed' ORDER BY f.referred_on, 4"), {"s": school_id})],
        reason)


def get_referral(conn: Connection, referral_id: int) -> Referral:
    r = conn.execute(text(_REF + " WHERE f.referral_id = :r"), {"r": referral_id}).first()
    if r is None:
        raise UserError("That referral is not one of your students'; pick it from the list.")
    return logged(conn, [Referral(*r)], REFERRAL_LETTER)[0]


def letter_sent(conn: Connection, referral_id: int, day: date) -> None:
    conn.execute(text("UPDATE health.referrals SET letter_sent_on = :d, status = CASE WHEN status = 'open' "
                      "THEN 'letter_sent' ELSE status END WHERE referral_id = :r"), {"d": day, "r": referral_id})


def follow_up(conn: Connection, referral_id: int, note: str, *, close: bool, day: date) -> None:
    what = (note or "").strip()
    if close and not what:
        raise UserError("A referral closes only with what the family or provider reported; write it in.")
    done = conn.execute(text(
        "UPDATE health.referrals SET follow_up = concat_ws(E'\\n', follow_up, CAST(:n AS text)), "
        "status = CASE WHEN :c THEN 'closed' ELSE 'seen_by_provider' END, closed_on = CASE WHEN :c THEN "
        "CAST(:d AS date) END WHERE referral_id = :r AND status <> 'closed' RETURNING 1"),
        {"n": f"{day:%m/%d/%Y}: {what}" if what else None, "c": close, "d": day, "r": referral_id}).scalar()
    if done is None:
        raise UserError("That referral is already closed or is not one of your students'; refresh the list.")
