"""The cafeteria office: daily meal counts by site, meal service and category, the edit check of
7 CFR 210.8, the monthly claim (PDF), low-balance notices to families, and a student's account history.

Counts come from `cafeteria.meal_claims`, the server's derivation of which meal line is the
reimbursable one (one per student per meal service per day), by the eligibility at the time of sale.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import Engine, text

from app.errors import UserError
from app.services.cafeteria.dto import HistoryRow, MealCountRow, StudentHistory, StudentHit
from app.sync.outbox import enqueue_many, iso_utc

CATEGORIES = ("free", "reduced", "paid")
NOTICE_DAYS = 30


@dataclass(frozen=True)
class EditCheckRow:
    day: date
    service: str
    category: str
    count: int
    eligible: int
    limit: int  # eligible x attendance factor
    over: bool


@dataclass(frozen=True)
class EditCheck:
    school_id: int
    school_name: str
    month: date
    attendance_factor: Decimal
    rows: tuple[EditCheckRow, ...]
    days_over: tuple[date, ...]


@dataclass(frozen=True)
class ClaimLine:
    service: str
    category: str
    meals: int  # reimbursable: claimed
    not_claimed: int = 0  # second meals (and meals sold after the first that service)


@dataclass(frozen=True)
class MonthlyClaim:
    school_id: int
    school_name: str
    month: date
    operating_days: int
    lines: tuple[ClaimLine, ...]
    non_reimbursable: int
    edit_check: EditCheck
    prepared_on: date


_COUNTS = text("""
SELECT c.school_id, eo.nameofinstitution AS school, c.service_date, c.meal_service, c.eligibility,
       count(*) FILTER (WHERE c.reimbursable) AS reimbursable, count(*) FILTER (WHERE NOT c.reimbursable) AS other
  FROM cafeteria.meal_claims c JOIN edfi.educationorganization eo ON eo.educationorganizationid = c.school_id
 WHERE (CAST(:school AS bigint) IS NULL OR c.school_id = :school) AND c.service_date BETWEEN :d1 AND :d2
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 3, 4, 5
""")


def daily_meal_counts(engine: Engine, school_id: int | None, day_from: date, day_to: date) -> list[MealCountRow]:
    with engine.connect() as conn:
        rows = conn.execute(_COUNTS, {"school": school_id, "d1": day_from, "d2": day_to}).all()
    return [MealCountRow(r.school_id, r.school, r.service_date, r.meal_service, r.eligibility, r.reimbursable,
                         r.other) for r in rows]


def _month(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _school_name(conn, school_id: int) -> str:
    name = conn.execute(text("SELECT nameofinstitution FROM edfi.educationorganization "
                             "WHERE educationorganizationid = :s"), {"s": school_id}).scalar()
    if name is None:
        raise UserError("That school is not one of yours; choose one of your schools.")
    return name


def edit_check(engine: Engine, school_id: int, month: date) -> EditCheck:
    """7 CFR 210.8: each day's reimbursable meals by category against the students eligible in that
    category times the attendance factor; days over are flagged for review before claiming."""
    d1, d2 = _month(month)
    with engine.connect() as conn:
        name = _school_name(conn, school_id)
        factor = conn.execute(text("SELECT attendance_factor FROM cafeteria.district_settings")).scalar() or \
            Decimal("0.95")
        eligible = dict(conn.execute(text("""
            SELECT lower(coalesce(p.free_reduced_status, 'paid')), count(DISTINCT p.student_usi)
              FROM cafeteria.student_meal_plans p
              JOIN edfi.studentschoolassociation a ON a.studentusi = p.student_usi AND a.schoolid = :s
             WHERE p.is_active AND a.entrydate <= :d2 AND (a.exitwithdrawdate IS NULL OR a.exitwithdrawdate >= :d1)
             GROUP BY 1"""), {"s": school_id, "d1": d1, "d2": d2}).all())
        counts = conn.execute(text("""
            SELECT service_date, meal_service, eligibility, count(*) FROM cafeteria.meal_claims
             WHERE school_id = :s AND reimbursable AND service_date BETWEEN :d1 AND :d2
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""), {"s": school_id, "d1": d1, "d2": d2}).all()
    rows = []
    order = {c: n for n, c in enumerate(CATEGORIES)}
    counts = sorted(counts, key=lambda r: (r[0], ("breakfast", "lunch", "snack").index(r[1])
                                           if r[1] in ("breakfast", "lunch", "snack") else 9, order.get(r[2], 9)))
    for day, service, category, n in counts:
        el = eligible.get(category, 0)
        limit = int((Decimal(el) * factor).to_integral_value(ROUND_FLOOR))
        rows.append(EditCheckRow(day, service, category, n, el, limit, n > limit))
    over = tuple(sorted({r.day for r in rows if r.over}))
    return EditCheck(school_id, name, d1, factor, tuple(rows), over)


def monthly_claim(engine: Engine, school_id: int, month: date) -> MonthlyClaim:
    d1, d2 = _month(month)
    check = edit_check(engine, school_id, month)
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT meal_service, eligibility, count(*) FILTER (WHERE reimbursable), count(*) FILTER (WHERE NOT
                   reimbursable), count(DISTINCT service_date)
              FROM cafeteria.meal_claims WHERE school_id = :s AND service_date BETWEEN :d1 AND :d2
             GROUP BY 1, 2"""), {"s": school_id, "d1": d1, "d2": d2}).all()
        days = conn.execute(text("SELECT count(DISTINCT service_date) FROM cafeteria.meal_claims WHERE school_id = :s "
                                 "AND service_date BETWEEN :d1 AND :d2"), {"s": school_id, "d1": d1, "d2": d2}).scalar()
    found = {(r[0], r[1]): r for r in rows}
    lines = tuple(ClaimLine(svc, cat, found[svc, cat][2] if (svc, cat) in found else 0,
                            found[svc, cat][3] if (svc, cat) in found else 0)
                  for svc in ("breakfast", "lunch", "snack") for cat in CATEGORIES
                  if any(k[0] == svc for k in found))
    return MonthlyClaim(school_id, check.school_name, d1, days or 0, lines, sum(r[3] for r in rows), check,
                        date.today())


def monthly_claim_pdf(engine: Engine, school_id: int, month: date) -> bytes:
    from reports.cafeteria_claim import build_claim

    return build_claim(monthly_claim(engine, school_id, month))


def meal_counts_pdf(engine: Engine, school_id: int, day: date) -> bytes:
    from reports.cafeteria_claim import build_daily_counts

    with engine.connect() as conn:
        name = _school_name(conn, school_id)
    return build_daily_counts(name, day, daily_meal_counts(engine, school_id, day, day))


# -- low-balance notices -----------------------------------------------------------------------
_LOW = text("""
SELECT p.student_usi, s.studentuniqueid, coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname AS name,
       p.account_balance, cafeteria.family_contact(p.student_usi) AS contact
  FROM cafeteria.student_meal_plans p JOIN edfi.student s ON s.studentusi = p.student_usi
 WHERE p.is_active AND p.account_balance < :threshold
   AND NOT EXISTS (SELECT 1 FROM cafeteria.balance_notices b WHERE b.student_usi = p.student_usi AND b.cleared_at IS NULL)
""")


def send_low_balance_notices(engine: Engine, now: datetime | None = None) -> int:
    """Tell each family once when the account falls below the district's threshold, until a deposit
    (the ledger's trigger clears the notice); the message goes to the family, never the child."""
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        threshold = conn.execute(text("SELECT low_balance_threshold FROM cafeteria.district_settings")).scalar()
        rows = conn.execute(_LOW, {"threshold": threshold}).all()
        items = []
        for r in rows:
            conn.execute(text("INSERT INTO cafeteria.balance_notices (student_usi, balance, notified_at) "
                              "VALUES (:s, :b, :t) ON CONFLICT (student_usi) DO UPDATE SET balance = EXCLUDED.balance,"
                              " notified_at = EXCLUDED.notified_at, cleared_at = NULL"),
                         {"s": r.student_usi, "b": r.account_balance, "t": now})
            target = f"USER#{r.contact}" if r.contact else f"STUDENT#{r.studentuniqueid}"
            items.append({
                "PK": target, "SK": f"NOTIFICATION#{iso_utc(now)}#LOWBAL-{r.studentuniqueid}",
                "Type": "low_balance", "StudentUniqueId": r.studentuniqueid,
                "Balance": f"{r.account_balance:.2f}", "Threshold": f"{threshold:.2f}",
                "Message": f"{r.name}'s meal account is at ${r.account_balance:.2f}, below ${threshold:.2f}. "
                           "Please add money to the account.",
                "CreatedAt": iso_utc(now), "TTL": int((now + timedelta(days=NOTICE_DAYS)).timestamp()),
            })
        enqueue_many(conn, "NotificationQueue", items)
    return len(items)


# -- a parent's question ----------------------------------------------------------------------
def student_history(engine: Engine, student_usi: int, limit: int = 200) -> StudentHistory:
    with engine.connect() as conn:
        s = conn.execute(text("""
            SELECT s.studentusi, s.studentuniqueid, coalesce(s.preferredfirstname, s.firstname) || ' ' || s.lastsurname
                   AS name, p.account_balance
              FROM edfi.student s JOIN cafeteria.student_meal_plans p ON p.student_usi = s.studentusi AND p.is_active
             WHERE s.studentusi = :s"""), {"s": student_usi}).first()
        if s is None:
            raise UserError("That student has no meal account you may see; check the student and your schools.")
        rows = conn.execute(text("""
            SELECT coalesce(x.sold_at, t.transaction_date + t.transaction_time) AS at,
                   coalesce(i.name, CASE t.entry_kind WHEN 'deposit' THEN 'Deposit' WHEN 'item' THEN 'A la carte item'
                            END, t.meal_type, t.entry_kind) AS what, t.entry_kind, t.amount, t.price,
                   t.account_balance
              FROM cafeteria.meal_transactions t
              LEFT JOIN cafeteria.sales x ON x.sale_uuid = t.sale_uuid
              LEFT JOIN cafeteria.menu_items i ON i.item_id = t.item_id
             WHERE t.student_usi = :s ORDER BY 1 DESC, t.transaction_id DESC LIMIT :n"""),
                            {"s": student_usi, "n": limit}).all()
    history = tuple(HistoryRow(r.at, _describe(r), r.amount, r.account_balance) for r in rows)
    return StudentHistory(StudentHit(s.studentusi, s.studentuniqueid, s.name, ""), s.account_balance, history)


def _describe(r) -> str:
    kind = r.entry_kind
    if kind in ("void", "refund", "nsf"):
        return {"void": "Voided: ", "refund": "Refund: ", "nsf": "Returned check: "}[kind] + (r.what or "")
    if kind == "second_meal":
        return f"{r.what} (second meal)"
    if kind == "adjustment":  # the server re-classified a meal when a late sale arrived
        return f"Re-priced ({'second meal' if (r.price or 0) > 0 else 'reimbursable meal'}): {r.what}"
    return r.what or ("Deposit" if kind == "deposit" else "Sale")
