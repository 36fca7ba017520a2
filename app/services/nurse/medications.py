"""Medication orders and the medication administration record (MAR).

The administration log is append-only in the database (migration 0011): every dose given, refused,
missed or not given because the student is absent is one entry; a correction is a new entry that
points at the one it corrects. A dose given lowers the order's count on hand in the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Connection, text

from app.domain.nurse_rules import (OUTCOMES, check_as_needed_interval, check_dose_amount, fmt_amount,
                                    next_as_needed_at, not_in_future, parse_amount, parse_schedule)
from app.errors import UserError
from app.services.nurse.common import (DUE_LIST, EXPIRING_LIST, MISSED_LIST, ORDER_LIST, aware, enrolled_school,
                                       logged, me, required)
from app.services.nurse.witness import Signer
from app.services.request_ids import lock_request


# -- orders ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderForm:
    student_usi: int
    medication_name: str
    strength: str
    form: str
    dose_amount: str
    dose_unit: str
    route: str
    prescriber: str
    start_date: date
    parent_consent_on: date | None
    schedule_times: tuple[str, ...] = ()
    as_needed: bool = False
    min_interval_minutes: int | None = None
    end_date: date | None = None
    is_controlled: bool = False
    count_on_hand: str = ""
    refill_threshold: str = ""
    expires_on: date | None = None
    instructions: str = ""


def save_order(conn: Connection, f: OrderForm, *, today: date, witness: Signer | None = None,
               now: datetime | None = None) -> int:
    """A new medication order for a student of the nurse's school. A count on hand is the supply counted
    in with a witness (a count entry, as every change of the count is), in the same transaction."""
    name = required(f.medication_name, "Medication")
    prescriber = required(f.prescriber, "Prescriber")
    amount = parse_amount(f.dose_amount, "Dose")
    times = parse_schedule(f.schedule_times)
    if not times and not f.as_needed:
        raise UserError("The order has no times and is not as-needed; enter the times of day or tick As needed.")
    if f.as_needed and not (f.min_interval_minutes and f.min_interval_minutes > 0):
        raise UserError("An as-needed order needs a minimum interval between doses; enter it in minutes.")
    if f.parent_consent_on is None:
        raise UserError("The school gives medication only with the parent's signed consent; enter its date.")
    if f.parent_consent_on > today:
        raise UserError("The parent consent date is in the future; enter the date it was signed.")
    if f.end_date is not None and f.end_date < f.start_date:
        raise UserError("The order ends before it starts; correct the start or end date.")
    on_hand = parse_amount(f.count_on_hand, "Count on hand") if f.count_on_hand.strip() else None
    if f.is_controlled and on_hand is None:
        raise UserError("A controlled substance is counted in on receipt; enter the count on hand.")
    if on_hand is not None and witness is None:
        raise UserError("The supply is counted in with a witness; the second signer signs with their own sign-in.")
    threshold = parse_amount(f.refill_threshold, "Refill threshold") if f.refill_threshold.strip() else None
    if f.expires_on is not None and f.expires_on < today:
        raise UserError(f"The medication expired on {f.expires_on:%B %d, %Y}; ask the family for a new supply.")
    student = enrolled_school(conn, f.student_usi, today, me(conn).school_ids)
    frequency = "as needed" if f.as_needed and not times else ", ".join(t.strftime("%H:%M") for t in times)
    medication_id = conn.execute(text(
        "INSERT INTO health.medications (student_usi, medication_name, dosage, frequency, start_date, end_date, "
        "prescribed_by, administration_instructions, is_active, school_id, strength, form, dose_amount, dose_unit, "
        "route, schedule_times, as_needed, min_interval_minutes, parent_consent_on, is_controlled, "
        "refill_threshold, expires_on) VALUES (:u, :n, :dosage, :freq, :sd, :ed, :p, :ins, true, :s, :str, :form, "
        ":amt, :unit, :route, :times, :prn, :mi, :pc, :ctl, :rt, :exp) RETURNING medication_id"),
        {"u": student.student_usi, "n": name, "dosage": f"{fmt_amount(amount)} {f.dose_unit}".strip(),
         "freq": frequency, "sd": f.start_date, "ed": f.end_date, "p": prescriber, "ins": f.instructions.strip() or None,
         "s": student.school_id, "str": f.strength.strip() or None, "form": f.form.strip() or None, "amt": amount,
         "unit": f.dose_unit.strip() or None, "route": f.route.strip() or None,
         "times": [t.strftime("%H:%M") for t in times] or None, "prn": f.as_needed,
         "mi": f.min_interval_minutes if f.as_needed else None, "pc": f.parent_consent_on, "ctl": f.is_controlled,
         "rt": threshold, "exp": f.expires_on}).scalar()
    if on_hand is not None:
        from app.services.nurse.controlled import receive  # counts live there; they read orders from here

        receive(conn, medication_id, str(on_hand), witness=witness, note="Supply counted in with the order",
                now=now or datetime.combine(today, datetime.now().time()), new_order=True)
    return medication_id


@dataclass(frozen=True)
class Order:
    medication_id: int
    student_usi: int
    name: str
    student: str
    medication: str
    strength: str | None
    form: str | None
    dose_amount: Decimal | None
    dose_unit: str | None
    route: str | None
    schedule_times: tuple[str, ...]
    as_needed: bool
    min_interval_minutes: int | None
    prescriber: str | None
    parent_consent_on: date | None
    is_controlled: bool
    count_on_hand: Decimal | None
    refill_threshold: Decimal | None
    expires_on: date | None
    start_date: date
    end_date: date | None
    instructions: str | None
    school_id: int | None

    @property
    def dose(self) -> str:
        return f"{fmt_amount(self.dose_amount)} {self.dose_unit or ''}".strip()

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.medication, self.strength or "") if p)


_ORDER = """
SELECT m.medication_id, m.student_usi, s.lastsurname || ', ' || s.firstname, s.firstname || ' ' || s.lastsurname,
       m.medication_name, m.strength, m.form, m.dose_amount, m.dose_unit, m.route, coalesce(m.schedule_times, '{}'),
       m.as_needed, m.min_interval_minutes, m.prescribed_by, m.parent_consent_on, m.is_controlled, m.count_on_hand,
       m.refill_threshold, m.expires_on, m.start_date, m.end_date, m.administration_instructions, m.school_id
  FROM health.medications m JOIN edfi.student s ON s.studentusi = m.student_usi"""


def _order(r) -> Order:
    return Order(*r[:10], tuple(r[10]), *r[11:])


def get_order(conn: Connection, medication_id: int) -> Order:
    r = conn.execute(text(_ORDER + " WHERE m.medication_id = :m"), {"m": medication_id}).first()
    if r is None:
        raise UserError("That medication order is not one of your students'; pick it from the list.")
    return _order(r)


def student_orders(conn: Connection, student_usi: int, *, active_only: bool = True) -> list[Order]:
    rows = conn.execute(text(_ORDER + " WHERE m.student_usi = :u AND (NOT :a OR m.is_active) "
                                      "ORDER BY m.is_active DESC, m.medication_name"), {"u": student_usi, "a": active_only})
    return [_order(r) for r in rows]


def school_orders(conn: Connection, school_id: int, day: date, *, controlled_only: bool = False) -> list[Order]:
    rows = conn.execute(text(_ORDER + " WHERE m.school_id = :s AND m.is_active AND m.start_date <= :d "
                                      "AND (m.end_date IS NULL OR m.end_date >= :d) AND (m.is_controlled OR NOT :c) "
                                      "ORDER BY 3, m.medication_name"), {"s": school_id, "d": day, "c": controlled_only})
    return logged(conn, [_order(r) for r in rows], ORDER_LIST)


# -- due now and missed ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DueDose:
    medication_id: int
    student_usi: int
    student: str
    medication: str
    dose: str
    route: str | None
    due_at: datetime
    status: str  # due | overdue | upcoming
    absent: bool  # the student is marked absent today
    is_controlled: bool


# One statement for the whole school: every scheduled time of every active order today, less those an
# entry (not itself corrected away) already answers. The effective entry of a chain is the newest.
_DUE = """
WITH slots AS (
    SELECT m.medication_id, m.student_usi, m.medication_name, m.strength, m.dose_amount, m.dose_unit, m.route,
           m.is_controlled,
           ((CAST(:day AS date) + CAST(t AS time)) - make_interval(secs => :off)) AT TIME ZONE 'UTC' AS due_at
      FROM health.medications m CROSS JOIN LATERAL unnest(m.schedule_times) t
     WHERE m.school_id = :s AND m.is_active AND m.start_date <= :day AND (m.end_date IS NULL OR m.end_date >= :day)
       AND m.schedule_times IS NOT NULL)
SELECT sl.medication_id, sl.student_usi, s.lastsurname || ', ' || s.firstname,
       concat_ws(' ', sl.medication_name, sl.strength), sl.dose_amount, sl.dose_unit, sl.route, sl.due_at,
       EXISTS (SELECT 1 FROM edfi.studentschoolattendanceevent e JOIN edfi.descriptor d
                 ON d.descriptorid = e.attendanceeventcategorydescriptorid
                WHERE e.studentusi = sl.student_usi AND e.eventdate = :day AND e.schoolid = :s
                  AND d.codevalue IN ('Excused Absence', 'Unexcused Absence')),
       sl.is_controlled
  FROM slots sl JOIN edfi.student s ON s.studentusi = sl.student_usi
 WHERE sl.due_at BETWEEN :a AND :b
   AND NOT EXISTS (SELECT 1 FROM health.medication_administrations x
                    WHERE x.medication_id = sl.medication_id AND x.scheduled_for = sl.due_at
                      AND NOT EXISTS (SELECT 1 FROM health.medication_administrations y
                                       WHERE y.corrects_id = x.administration_id)
                      AND x.outcome <> 'voided')
 ORDER BY sl.due_at, 3"""
_DUE_SQL = text(_DUE)
EARLY, LATE = timedelta(minutes=60), timedelta(minutes=30)


def _due_rows(conn: Connection, school_id: int, day: date, a: datetime, b: datetime, now: datetime) -> list[DueDose]:
    # schedule times are the school's wall clock: the workstation's offset from UTC turns them into instants
    off = (now.utcoffset() or timedelta(0)).total_seconds()
    rows = conn.execute(_DUE_SQL, {"s": school_id, "day": day, "a": a, "b": b, "off": off}).all()
    out = []
    for r in rows:
        due = r[7].astimezone(now.tzinfo)
        status = "overdue" if due < now - LATE else ("due" if due <= now + LATE else "upcoming")
        out.append(DueDose(r[0], r[1], r[2], r[3], f"{fmt_amount(r[4])} {r[5] or ''}".strip(), r[6], due, status,
                           r[8], r[9]))
    return out


def due_now(conn: Connection, school_id: int, now: datetime) -> list[DueDose]:
    """Scheduled doses due around now (an hour either side, and those overdue since the morning)."""
    now = aware(now)
    start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    return logged(conn, _due_rows(conn, school_id, now.date(), start, now + EARLY, now), DUE_LIST)


def missed_doses(conn: Connection, school_id: int, day: date, now: datetime) -> list[DueDose]:
    """Scheduled doses of `day` with no entry, whose time (plus the grace) has passed: the end-of-day list."""
    now = aware(now)
    start = datetime.combine(day, time(0), tzinfo=now.tzinfo)
    end = min(start + timedelta(days=1), now - LATE)
    return logged(conn, _due_rows(conn, school_id, day, start, end, now), MISSED_LIST) if end > start else []


# -- recording doses --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DoseForm:
    medication_id: int
    outcome: str  # given | refused | missed | absent
    administered_at: datetime
    dose_amount: str = ""
    scheduled_for: datetime | None = None
    override_reason: str = ""
    note: str = ""
    request_id: str | None = None


@dataclass(frozen=True)
class DoseSaved:
    administration_id: int
    count_on_hand: Decimal | None
    refill_due: bool


def _last_given(conn: Connection, medication_id: int, excluding: int | None = None) -> datetime | None:
    return conn.execute(text(
        "SELECT max(x.administered_at) FROM health.medication_administrations x WHERE x.medication_id = :m "
        "AND x.outcome = 'given' AND x.administration_id IS DISTINCT FROM :x AND NOT EXISTS (SELECT 1 FROM "
        "health.medication_administrations y WHERE y.corrects_id = x.administration_id)"),
        {"m": medication_id, "x": excluding}).scalar()


def _check_given(conn: Connection, o: Order, at: datetime, dose_amount: str, *, as_needed_dose: bool,
                 override_reason: str = "", correcting: int | None = None) -> Decimal:
    """What a dose given must meet (a new entry, or a correction to "given"): consent, expiry, the order's
    dose, the count on hand and an as-needed dose's minimum interval. Returns the amount."""
    today = at.date()
    if o.parent_consent_on is None:
        raise UserError(f"There is no parent consent on file for {o.medication}; get it signed before giving it.")
    if o.expires_on is not None and o.expires_on < today:
        raise UserError(f"{o.medication} expired on {o.expires_on:%B %d, %Y}; do not give it, and ask the family "
                        "for a new supply.")
    amount = parse_amount(dose_amount or o.dose_amount, "Dose")
    check_dose_amount(amount, o.dose_amount, o.dose_unit, o.medication)
    if o.count_on_hand is not None and o.count_on_hand < amount:
        raise UserError(f"Only {fmt_amount(o.count_on_hand)} {o.dose_unit or ''} of {o.medication} is on hand; "
                        "count in the new supply before recording this dose.".replace("  ", " "))
    if o.as_needed and as_needed_dose:
        check_as_needed_interval(at, _last_given(conn, o.medication_id, correcting), o.min_interval_minutes,
                                 o.medication, override_reason)
    return amount


def record_dose(conn: Connection, f: DoseForm, *, now: datetime) -> DoseSaved:
    now = aware(now)
    rid = lock_request(conn, f.request_id)
    if rid is not None:
        done = conn.execute(text("SELECT administration_id FROM health.medication_administrations "
                                 "WHERE request_id = :r"), {"r": rid}).scalar()
        if done is not None:
            o = get_order(conn, f.medication_id)
            return DoseSaved(done, o.count_on_hand, _refill_due(o))
    if f.outcome not in OUTCOMES or f.outcome == "voided":
        raise UserError(f"\"{f.outcome}\" is not a dose outcome; pick given, refused, missed or student absent.")
    # lock the order: two nurses giving the same as-needed dose at once are checked one after the other
    conn.execute(text("SELECT 1 FROM health.medications WHERE medication_id = :m FOR UPDATE"), {"m": f.medication_id})
    o = get_order(conn, f.medication_id)
    at = aware(f.administered_at)
    not_in_future(at, now, "The dose time")
    today = at.date()
    if o.start_date > today or (o.end_date is not None and o.end_date < today):
        raise UserError(f"The order for {o.medication} is not in effect on {today:%B %d}; check the order's dates.")
    amount = None
    if f.outcome == "given":
        amount = _check_given(conn, o, at, f.dose_amount, as_needed_dose=f.scheduled_for is None,
                              override_reason=f.override_reason)
    scheduled = aware(f.scheduled_for) if f.scheduled_for else None
    me_ = me(conn)
    if me_.staff_usi is None:
        raise UserError("Your sign-in is not linked to a staff record, so doses cannot be recorded under your name; "
                        "ask an administrator to link it.")
    new_id = conn.execute(text(
        "INSERT INTO health.medication_administrations (medication_id, student_usi, school_id, outcome, scheduled_for, "
        "administered_at, dose_amount, given_by, override_reason, note, request_id) VALUES (:m, :u, :s, :o, :sch, :at, "
        ":amt, :by, :ov, :note, :r) RETURNING administration_id"),
        {"m": o.medication_id, "u": o.student_usi, "s": o.school_id, "o": f.outcome, "sch": scheduled, "at": at,
         "amt": amount, "by": me_.staff_usi, "ov": f.override_reason.strip() or None, "note": f.note.strip() or None,
         "r": rid}).scalar()
    after = get_order(conn, o.medication_id)
    return DoseSaved(new_id, after.count_on_hand, _refill_due(after))


def record_trip_doses(conn: Connection, o: Order, trip_count_id: int, times: tuple[datetime, ...], note: str) -> None:
    """The doses given on a field trip, into the administration log (one order dose each, pointing at the
    return that settled them). A dose within the grace of one of the day's scheduled times answers it."""
    me_ = me(conn)
    for at in sorted(times):
        slot = None
        for t in o.schedule_times:
            hh, mm = map(int, t.split(":"))
            due = at.replace(hour=hh, minute=mm, second=0, microsecond=0)
            if abs(at - due) <= EARLY and not conn.execute(text(
                    "SELECT 1 FROM health.medication_administrations x WHERE x.medication_id = :m "
                    "AND x.scheduled_for = :d AND NOT EXISTS (SELECT 1 FROM health.medication_administrations y "
                    "WHERE y.corrects_id = x.administration_id)"), {"m": o.medication_id, "d": due}).first():
                slot = due
                break
        conn.execute(text(
            "INSERT INTO health.medication_administrations (medication_id, student_usi, school_id, outcome, "
            "scheduled_for, administered_at, dose_amount, given_by, note, trip_count_id) VALUES (:m, :u, :s, 'given', "
            ":sch, :at, :amt, :by, :note, :trip)"),
            {"m": o.medication_id, "u": o.student_usi, "s": o.school_id, "sch": slot, "at": at,
             "amt": o.dose_amount or Decimal(1), "by": me_.staff_usi, "note": note, "trip": trip_count_id})


def _refill_due(o: Order) -> bool:
    return o.count_on_hand is not None and o.refill_threshold is not None and o.count_on_hand <= o.refill_threshold


def correct_entry(conn: Connection, administration_id: int, *, reason: str, now: datetime,
                  outcome: str = "voided", dose_amount: str = "", override_reason: str = "") -> int:
    """A correction: a new entry pointing at the wrong one (voided, or the right outcome/amount)."""
    now = aware(now)
    why = required(reason, "The reason for the correction")
    old = conn.execute(text(
        "SELECT medication_id, student_usi, school_id, scheduled_for, administered_at, "
        "EXISTS (SELECT 1 FROM health.medication_administrations y WHERE y.corrects_id = x.administration_id), "
        "outcome, trip_count_id, dose_amount "
        "FROM health.medication_administrations x WHERE administration_id = :a"), {"a": administration_id}).first()
    if old is None:
        raise UserError("That administration entry is not one of your students'; pick it from the record.")
    if old[5]:
        raise UserError("That entry was already corrected; correct the newest entry instead.")
    if outcome not in OUTCOMES:
        raise UserError(f"\"{outcome}\" is not a dose outcome; pick one from the list.")
    amount = None
    if outcome == "given":  # the same checks as a dose recorded as given (review of #11, defect 9)
        conn.execute(text("SELECT 1 FROM health.medications WHERE medication_id = :m FOR UPDATE"), {"m": old[0]})
        o = get_order(conn, old[0])
        if old[6] == "given" and old[7] is None and o.count_on_hand is not None:  # the old dose comes back first
            o = replace(o, count_on_hand=o.count_on_hand + (old[8] or 0))
        amount = _check_given(conn, o, aware(old[4]), dose_amount, as_needed_dose=old[3] is None,
                              override_reason=override_reason, correcting=administration_id)
    return conn.execute(text(
        "INSERT INTO health.medication_administrations (medication_id, student_usi, school_id, outcome, scheduled_for, "
        "administered_at, dose_amount, given_by, note, corrects_id) VALUES (:m, :u, :s, :o, :sch, :at, :amt, "
        "compliance.my_staff_usi(), :note, :c) RETURNING administration_id"),
        {"m": old[0], "u": old[1], "s": old[2], "o": outcome, "sch": old[3], "at": old[4], "amt": amount,
         "note": f"Correction: {why}", "c": administration_id}).scalar()


# -- the record ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    administration_id: int
    medication_id: int
    medication: str
    outcome: str
    scheduled_for: datetime | None
    administered_at: datetime
    dose_amount: Decimal | None
    given_by: str
    initials: str
    override_reason: str | None
    note: str | None
    corrects_id: int | None
    corrected: bool  # a later entry corrects this one
    on_trip: bool = False  # given on a field trip (by the trip's staff; see the note)

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)


def entries(conn: Connection, *, student_usi: int | None = None, medication_id: int | None = None,
            start: datetime, end: datetime) -> list[Entry]:
    rows = conn.execute(text(
        "SELECT x.administration_id, x.medication_id, m.medication_name, x.outcome, x.scheduled_for, "
        "x.administered_at, x.dose_amount, coalesce(st.firstname || ' ' || st.lastsurname, '?'), "
        "coalesce(left(st.firstname, 1) || left(st.lastsurname, 1), '?'), x.override_reason, x.note, x.corrects_id, "
        "EXISTS (SELECT 1 FROM health.medication_administrations y WHERE y.corrects_id = x.administration_id), "
        "x.trip_count_id IS NOT NULL "
        "FROM health.medication_administrations x JOIN health.medications m ON m.medication_id = x.medication_id "
        "LEFT JOIN edfi.staff st ON st.staffusi = x.given_by "
        "WHERE (CAST(:u AS int) IS NULL OR x.student_usi = :u) AND (CAST(:m AS bigint) IS NULL OR x.medication_id = :m) "
        "AND x.administered_at >= :a AND x.administered_at < :b ORDER BY x.administered_at, x.administration_id"),
        {"u": student_usi, "m": medication_id, "a": start, "b": end})
    return [Entry(*r) for r in rows]


def as_needed_next(conn: Connection, medication_id: int) -> datetime | None:
    o = get_order(conn, medication_id)
    return next_as_needed_at(_last_given(conn, medication_id), o.min_interval_minutes) if o.as_needed else None


# -- expiring ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expiring:
    kind: str  # medication | self-carry | refill
    student_usi: int
    student: str
    what: str
    date: date | None
    detail: str


def expiring(conn: Connection, school_id: int, today: date, days: int = 30, *,
             reason: str = EXPIRING_LIST) -> list[Expiring]:
    """Medications and self-carry authorizations that expire within `days` (or already have), and
    counts at or below their refill threshold: what the nurse must ask families for."""
    until = today + timedelta(days=days)
    rows = conn.execute(text("""
        SELECT 'medication', m.student_usi, s.lastsurname || ', ' || s.firstname,
               concat_ws(' ', m.medication_name, m.strength), m.expires_on,
               CASE WHEN m.expires_on < :t THEN 'expired' ELSE 'expires' END
          FROM health.medications m JOIN edfi.student s ON s.studentusi = m.student_usi
         WHERE m.school_id = :s AND m.is_active AND m.expires_on <= :u
        UNION ALL
        SELECT 'refill', m.student_usi, s.lastsurname || ', ' || s.firstname,
               concat_ws(' ', m.medication_name, m.strength), NULL,
               trim(to_char(m.count_on_hand, 'FM999990.##')) || ' left (refill at '
                 || trim(to_char(m.refill_threshold, 'FM999990.##')) || ')'
          FROM health.medications m JOIN edfi.student s ON s.studentusi = m.student_usi
         WHERE m.school_id = :s AND m.is_active AND m.count_on_hand <= m.refill_threshold
        UNION ALL
        SELECT 'self-carry', a.student_usi, s.lastsurname || ', ' || s.firstname,
               a.medication_name || ' (' || a.device || ')', a.expires_on,
               CASE WHEN a.expires_on < :t THEN 'expired' ELSE 'expires' END
          FROM health.self_carry_authorizations a JOIN edfi.student s ON s.studentusi = a.student_usi
         WHERE a.revoked_on IS NULL AND a.expires_on <= :u
           AND EXISTS (SELECT 1 FROM edfi.studentschoolassociation x WHERE x.studentusi = a.student_usi
                        AND x.schoolid = :s AND (x.exitwithdrawdate IS NULL OR x.exitwithdrawdate >= :t))
         ORDER BY 5 NULLS LAST, 3"""), {"s": school_id, "t": today, "u": until})
    return logged(conn, [Expiring(*r) for r in rows], reason)
