"""The demo district's activity timeline (DynamoDB StudentActivityLogs), written through the outbox.

Only the events a person would look for are written: each student's enrollment, the days a
student was absent or late in the last RECENT_SCHOOL_DAYS school days (one record a day, from the
class where the day's attendance is taken), and each discipline incident and its action. Daily
"present" marks and older absences are not: DynamoDB Local stores tens to a few hundred items a
second (measured: about 65 a second on a busy 2-core machine), and every daily mark of a
1,500-student district would keep it busy for most of an hour. This way the 1,500-student demo
writes about 3,600 records and the 400-student one about 1,000.

The records go into the seed's own transaction through the outbox, so the seed stays quick and
the shipper delivers them in the background, newest first (the profile shows the newest first);
their keys are deterministic, so a redelivery overwrites instead of doubling.

Timestamps are the school-day times the events happened at (attendance taken at the start of
the first class, incidents when they happened), as the desks record them.
"""

from __future__ import annotations

import logging
import time as _time
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.sync.outbox import enqueue_many, student_activity_item

log = logging.getLogger(__name__)

TABLE = "StudentActivityLogs"
FIRST_CLASSES = ("Homeroom", "Period 1")  # where a school's daily attendance is taken
ENTRY_TYPES = ("Next year school", "Transfer", "New to education system")
RECENT_SCHOOL_DAYS = 20  # about a month of absences and late arrivals


@dataclass(frozen=True)
class DemoIncident:
    """What load_discipline decided for one student's incident, kept for the timeline."""
    student: object  # demo_seed.Student
    incident: str
    day: date
    at: time
    behavior: str
    action_id: str
    action: str
    action_day: date
    days: int
    dean_uid: str


def entry_type_of(grade: int) -> str:
    """The entry type the seed gives a student of this grade (a new school at K, 6 and 9)."""
    return ENTRY_TYPES[0 if grade not in (0, 6, 9) else (2 if grade == 0 else 1)]


def timeline_items(ctx) -> list[dict]:
    """Every timeline record of the demo district, built from what the seed loaded."""
    from app.services.demo_seed import GRADES

    items: list[dict] = []
    clerks = {t["school"].school_id: t["uid"] for t in ctx.staff if t["role"] == "Front office clerk"}
    teacher_uid = {t["usi"]: t["uid"] for t in ctx.staff}
    first_day = ctx.cal.first_day
    for s in ctx.students:
        items.append(student_activity_item(
            s.uid, f"ENR-{s.school.school_id}-{first_day:%Y%m%d}-IN", datetime.combine(first_day, time(7, 30)),
            "enrollment.enrolled", {"school": s.school.name, "grade": GRADES[s.grade],
                                    "entryDate": first_day.isoformat(), "entryType": entry_type_of(s.grade)},
            clerks.get(s.school.school_id)))
    term_of = {d: ctx.cal.term_of(d).name for d in ctx.days}
    first_class = {}  # (usi, term) -> the section where the day's attendance is taken
    for s in ctx.students:
        for sec in s.sections:
            if sec.period in FIRST_CLASSES:
                first_class[(s.usi, sec.session)] = sec
    by_usi = {s.usi: s for s in ctx.students}
    recent = set(ctx.days[-RECENT_SCHOOL_DAYS:])
    for (usi, day), code in sorted(ctx.absences.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if day not in recent:
            continue
        sec = first_class.get((usi, term_of.get(day)))
        if sec is None:
            continue
        start = sec.school.periods[0][1]
        marked = datetime.combine(day, start) + timedelta(minutes=10)
        items.append(student_activity_item(
            by_usi[usi].uid, f"ATT-{sec.school.school_id}-{sec.ident}-{day:%Y%m%d}-{code[:2].upper()}", marked,
            "attendance.marked", {"section": sec.ident, "date": day.isoformat(), "mark": code, "previous": None,
                                  "daily": code}, teacher_uid.get(sec.teacher_usi)))
    for inc in ctx.incidents:
        uid = inc.student.uid
        items.append(student_activity_item(
            uid, f"{inc.incident}-{inc.student.usi}", datetime.combine(inc.day, inc.at) + timedelta(minutes=30),
            "discipline.incident", {"incident": inc.incident, "date": inc.day.isoformat(), "role": "Perpetrator",
                                    "behaviors": [inc.behavior]}, inc.dean_uid))
        items.append(student_activity_item(
            uid, inc.action_id, datetime.combine(inc.day, time(15, 30)), "discipline.action",
            {"incident": inc.incident, "action": inc.action, "date": inc.action_day.isoformat(),
             "days": str(inc.days), "attendanceDays": []}, inc.dean_uid))
    return items


def load_timeline(ctx) -> int:
    """Put the demo district's timeline records in the outbox (same transaction as the seed)."""
    started = _time.perf_counter()
    items = sorted(timeline_items(ctx), key=lambda i: i["Timestamp"], reverse=True)  # delivered newest first
    enqueue_many(ctx.copier.conn, TABLE, items)
    log.info("demo timeline: %d records queued for DynamoDB in %.2f s", len(items), _time.perf_counter() - started)
    ctx.copier.counts["sync.dynamo_outbox"] += len(items)
    return len(items)
