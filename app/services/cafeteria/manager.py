"""The cafeteria manager's actions, online, as the signed-in manager: tills, voids, refunds and NSF
check reversals (new sales pointing at the original, never a change to it), prices, charge policies,
a student's own limits, the list of sales that took an account past its limit after sync, and the meals
sold at another eligibility or price than the student's own (claimed and billed at the student's own).

Each action is one transaction; a reversal carries the form's request id as its sale UUID, so a
repeated submit finds the reversal it made instead of making another.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.errors import UserError
from app.services.cafeteria.dto import OverLimitRow, PriceFlagRow, PriceRow, SaleRow, TillRow

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ChargePolicyDTO:
    policy_id: int
    eligibility: str | None
    grade_from: int
    grade_to: int
    meal_charge_limit: Decimal
    a_la_carte_limit: Decimal
    site: bool = False  # this school's own policy (its manager's); False: the district's (an administrator's)


# -- tills ---------------------------------------------------------------------------------------
def tills(engine: Engine, school_id: int | None = None, day: date | None = None) -> list[TillRow]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT till_id, cashier, terminal_id, opened_at, opening_cash, expected_total, counted_total, note, "
            "closed_at, finalized_at FROM cafeteria.tills WHERE (CAST(:s AS bigint) IS NULL OR school_id = :s) "
            "AND (CAST(:d AS date) IS NULL OR opened_at::date = :d) ORDER BY opened_at DESC LIMIT 200"),
            {"s": school_id, "d": day}).all()
    return [TillRow(str(r.till_id), r.cashier, r.terminal_id, r.opened_at, r.opening_cash,
                    r.expected_total if r.closed_at else None, r.counted_total, r.note or "",
                    "finalized" if r.finalized_at else "counted" if r.closed_at else "open") for r in rows]


def finalize_till(engine: Engine, till_id: str) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT cafeteria.finalize_till(CAST(:t AS uuid))"), {"t": str(till_id)})
    except DBAPIError as exc:
        raise _sentence(exc) from None


NOT_YOURS = ("You change prices, policies and menus only for the schools you serve; district-wide ones are "
             "changed by an administrator.")


def _sentence(exc: DBAPIError) -> UserError:
    msg = str(exc.orig).splitlines()[0]
    if "row-level security" in msg:
        return UserError(NOT_YOURS)
    if "permission denied" in msg:
        return UserError("Only a cafeteria manager may do this; ask your manager.")
    return UserError(msg[0].upper() + msg[1:] + ("" if msg.endswith(".") else "."))


# -- sales and reversals -------------------------------------------------------------------------
_SALES = text("""
SELECT s.sale_uuid, s.sold_at, s.kind, s.total, s.account_amount, s.cash_amount, s.check_amount, s.customer,
       coalesce(st.firstname || ' ' || st.lastsurname, CASE WHEN s.customer = 'adult' THEN 'Adult' END, '') AS name,
       (SELECT string_agg(coalesce(i.name, initcap(t.entry_kind)), ', ' ORDER BY t.line_no)
          FROM cafeteria.meal_transactions t LEFT JOIN cafeteria.menu_items i ON i.item_id = t.item_id
         WHERE t.sale_uuid = s.sale_uuid) AS items,
       EXISTS (SELECT 1 FROM cafeteria.sales r WHERE r.reverses_sale_uuid = s.sale_uuid AND r.kind IN ('void', 'nsf'))
           AS reversed
  FROM cafeteria.sales s LEFT JOIN edfi.student st ON st.studentusi = s.student_usi
 WHERE (CAST(:school AS bigint) IS NULL OR s.school_id = :school)
   AND (CAST(:day AS date) IS NULL OR s.service_date = :day)
   AND (:q = '' OR st.studentuniqueid = :q OR st.lastsurname ILIKE :q || '%' OR st.firstname ILIKE :q || '%')
 ORDER BY s.sold_at DESC LIMIT :limit
""")


def _tender(r) -> str:
    parts = [name for name, v in (("account", r.account_amount), ("cash", r.cash_amount), ("check", r.check_amount))
             if v]
    return " + ".join(parts) or "none"


def recent_sales(engine: Engine, q: str = "", school_id: int | None = None, day: date | None = None,
                 limit: int = 100) -> list[SaleRow]:
    with engine.connect() as conn:
        rows = conn.execute(_SALES, {"school": school_id, "day": day, "q": (q or "").strip(), "limit": limit}).all()
    return [SaleRow(str(r.sale_uuid), r.sold_at, r.name, r.items or r.kind.capitalize(), r.total, _tender(r), r.kind,
                    r.kind in ("sale", "deposit") and not r.reversed) for r in rows]


_REVERSE = text("SELECT cafeteria.apply_reversal(CAST(:r AS uuid), :k, CAST(:s AS uuid), :why, :amount, :to)")


def _reversal_action(engine: Engine, kind: str, sale_id: str, reason: str, request_id: str, *,
                     amount: Decimal | None = None, to: str = "account") -> None:
    """One void, refund or NSF reversal by `cafeteria.apply_reversal` (migration 0034), which builds the
    reversing sale and its lines from the original and checks the manager, the school, the reason and the
    amounts; the request id is the reversal's sale id, so a repeated submit writes nothing more."""
    if not (reason or "").strip():
        raise UserError("Say why in the reason box; voids, refunds and returned checks keep their reason.")
    try:
        rid = str(uuid.UUID(str(request_id)))
    except ValueError:
        raise UserError("The form's request id is not valid; close the form and start again.") from None
    try:
        sid = str(uuid.UUID(str(sale_id)))
    except ValueError:
        raise UserError("That sale id is not valid; choose the sale from the list.") from None
    try:
        with engine.begin() as conn:
            conn.execute(_REVERSE, {"r": rid, "k": kind, "s": sid, "why": reason.strip(), "amount": amount, "to": to})
    except IntegrityError as exc:
        if "ux_sales_one_reversal" in str(exc.orig):
            raise UserError("That sale has already been voided (or its check returned); nothing was changed.") \
                from None
        raise _sentence(exc) from None
    except DBAPIError as exc:
        raise _sentence(exc) from None


def void_sale(engine: Engine, sale_id: str, reason: str, request_id: str) -> None:
    """Undo a whole sale or deposit: a void pointing at it, every line reversed, the cash given back."""
    _reversal_action(engine, "void", sale_id, reason, request_id)


def refund_sale(engine: Engine, sale_id: str, amount, reason: str, request_id: str, to: str = "account") -> None:
    """Give back part or all of a sale, to the student's account or in cash; never more than was paid."""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except Exception:  # noqa: BLE001
        raise UserError(f"The refund must be a number of dollars, for example 1.25; \"{amount}\" is not.") from None
    if value <= 0:
        raise UserError("The refund must be more than $0.00.")
    if to not in ("account", "cash"):
        raise UserError("A refund goes back to the account or in cash.")
    _reversal_action(engine, "refund", sale_id, reason, request_id, amount=value, to=to)


def nsf_reversal(engine: Engine, sale_id: str, reason: str, request_id: str) -> None:
    """A check deposited at the register came back unpaid: take its amount back off the account."""
    _reversal_action(engine, "nsf", sale_id, reason, request_id)


# -- prices and policies -------------------------------------------------------------------------
def _band(lo: int, hi: int) -> str:
    name = {-1: "PK", 0: "K"}
    return "All grades" if (lo, hi) == (-1, 12) else f"Grades {name.get(lo, lo)}-{name.get(hi, hi)}"


# The school's list: its own rows, and the district's rows it has not replaced (migration 0042: a
# manager changes only their schools' rows; the district's rows, school NULL, only an administrator).
_PRICES = text("""
SELECT p.price_id, p.meal_service, p.grade_from, p.grade_to, p.eligibility, p.price, p.second_meal_price,
       p.school_id IS NOT NULL AS site
  FROM cafeteria.meal_prices p
 WHERE p.effective_to IS NULL AND (p.school_id = :school OR (p.school_id IS NULL AND NOT EXISTS (
       SELECT 1 FROM cafeteria.meal_prices o WHERE o.school_id = :school AND o.effective_to IS NULL
          AND (o.meal_service, o.grade_from, o.grade_to, o.eligibility) = (p.meal_service, p.grade_from, p.grade_to,
                                                                          p.eligibility))))
 ORDER BY p.meal_service, p.grade_from, p.eligibility
""")
_POLICIES = text("""
SELECT p.policy_id, p.eligibility, p.grade_from, p.grade_to, p.meal_charge_limit, p.a_la_carte_limit,
       p.school_id IS NOT NULL AS site
  FROM cafeteria.charge_policies p
 WHERE p.school_id = :school OR (p.school_id IS NULL AND NOT EXISTS (
       SELECT 1 FROM cafeteria.charge_policies o WHERE o.school_id = :school
          AND o.eligibility IS NOT DISTINCT FROM p.eligibility AND (o.grade_from, o.grade_to) = (p.grade_from,
                                                                                                   p.grade_to)))
 ORDER BY (p.eligibility IS NULL), p.eligibility, p.grade_from
""")
_IS_ADMIN = "SELECT pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')"


def prices(engine: Engine, school_id: int) -> list[PriceRow]:
    with engine.connect() as conn:
        rows = conn.execute(_PRICES, {"school": school_id}).all()
    return [PriceRow(r.price_id, r.meal_service, "Adult" if r.eligibility == "adult" else
                     f"{_band(r.grade_from, r.grade_to)} {r.eligibility}", r.price, r.second_meal_price, r.site)
            for r in rows]


def _amount(value, what: str) -> Decimal:
    try:
        d = Decimal(str(value)).quantize(Decimal("0.01"))
    except Exception:  # noqa: BLE001
        raise UserError(f"The {what} must be a number of dollars, for example 3.10.") from None
    if d < 0 or d > 100:
        raise UserError(f"The {what} must be between $0.00 and $100.00.")
    return d


def _whose_row(conn, table: str, key: str, row_id: int, school_id: int) -> str | None:
    """How a change to this row is made: "site" (the school's own row, changed in place: row-level security
    lets only a manager of that school), "district" (a district row, in place, by an administrator), "copy"
    (a district row changed by a manager: their school's own row in its stead); None: no such row."""
    row = conn.execute(text(f"SELECT school_id FROM cafeteria.{table} WHERE {key} = :i"), {"i": row_id}).first()
    if row is None:
        return None
    if row.school_id is not None:
        if row.school_id != school_id:
            raise UserError(NOT_YOURS)
        return "site"
    return "district" if conn.execute(text(_IS_ADMIN)).scalar() else "copy"


def set_price(engine: Engine, school_id: int, price_id: int, price, second_meal_price) -> str:
    """Set a price group's prices; returns "district" or "site" (whose row changed)."""
    p, s = _amount(price, "price"), _amount(second_meal_price, "second-meal price")
    try:
        with engine.begin() as conn:
            how = _whose_row(conn, "meal_prices", "price_id", price_id, school_id)
            if how is None:
                raise UserError("That price is no longer in the list; reload the prices.")
            if how != "copy":
                n = conn.execute(text("UPDATE cafeteria.meal_prices SET price = :p, second_meal_price = :s "
                                      "WHERE price_id = :i"), {"p": p, "s": s, "i": price_id}).rowcount
                if n != 1:
                    raise UserError(NOT_YOURS)
                return how
            conn.execute(text("""
                INSERT INTO cafeteria.meal_prices (school_id, meal_service, grade_from, grade_to, eligibility, price,
                                                   second_meal_price, effective_from, effective_to)
                SELECT :school, meal_service, grade_from, grade_to, eligibility, :p, :s, effective_from, effective_to
                  FROM cafeteria.meal_prices WHERE price_id = :i
                ON CONFLICT ((coalesce(school_id, 0)), meal_service, grade_from, grade_to, eligibility, effective_from)
                DO UPDATE SET price = EXCLUDED.price, second_meal_price = EXCLUDED.second_meal_price"""),
                         {"school": school_id, "p": p, "s": s, "i": price_id})
            return "site"
    except DBAPIError as exc:
        raise _sentence(exc) from None


def charge_policies(engine: Engine, school_id: int) -> list[ChargePolicyDTO]:
    with engine.connect() as conn:
        return [ChargePolicyDTO(*r) for r in conn.execute(_POLICIES, {"school": school_id})]


def save_charge_policy(engine: Engine, school_id: int, policy) -> str:
    """Save a policy's limits; returns "district" or "site" (whose row changed)."""
    meal, alc = _amount(policy.meal_charge_limit, "meal charge limit"), _amount(policy.a_la_carte_limit,
                                                                                "a la carte limit")
    try:
        with engine.begin() as conn:
            how = _whose_row(conn, "charge_policies", "policy_id", policy.policy_id, school_id)
            if how is None:
                raise UserError("That policy is no longer in the list; reload the prices and policy.")
            if how != "copy":
                n = conn.execute(text("UPDATE cafeteria.charge_policies SET meal_charge_limit = :m, "
                                      "a_la_carte_limit = :a WHERE policy_id = :i"),
                                 {"m": meal, "a": alc, "i": policy.policy_id}).rowcount
                if n != 1:
                    raise UserError(NOT_YOURS)
                return how
            conn.execute(text("""
                INSERT INTO cafeteria.charge_policies (school_id, eligibility, grade_from, grade_to, meal_charge_limit,
                                                       a_la_carte_limit, policy_text)
                SELECT :school, eligibility, grade_from, grade_to, :m, :a, policy_text
                  FROM cafeteria.charge_policies WHERE policy_id = :i
                ON CONFLICT ((coalesce(school_id, 0)), (coalesce(eligibility, '')), grade_from, grade_to)
                DO UPDATE SET meal_charge_limit = EXCLUDED.meal_charge_limit,
                              a_la_carte_limit = EXCLUDED.a_la_carte_limit"""),
                         {"school": school_id, "m": meal, "a": alc, "i": policy.policy_id})
            return "site"
    except DBAPIError as exc:
        raise _sentence(exc) from None


def set_student_override(engine: Engine, student_usi: int, meal_limit, a_la_carte_limit, reason: str) -> None:
    if not (reason or "").strip():
        raise UserError("Say why this student's limits differ from the policy.")
    meal, alc = _amount(meal_limit, "meal charge limit"), _amount(a_la_carte_limit, "a la carte limit")
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO cafeteria.charge_overrides (student_usi, meal_charge_limit, a_la_carte_limit, reason) "
                "VALUES (:s, :m, :a, :r) ON CONFLICT (student_usi) DO UPDATE SET meal_charge_limit = EXCLUDED."
                "meal_charge_limit, a_la_carte_limit = EXCLUDED.a_la_carte_limit, reason = EXCLUDED.reason, "
                "set_by = session_user, set_at = now()"), {"s": student_usi, "m": meal, "a": alc, "r": reason.strip()})
    except DBAPIError as exc:
        raise _sentence(exc) from None


# -- after sync: sales that took an account past its limit ----------------------------------------
_PAST = text("""
SELECT s.sale_uuid, s.sold_at, s.school_id, s.student_usi, st.studentuniqueid, st.firstname || ' ' || st.lastsurname AS name,
       min(t.account_balance) AS low, bool_or(t.entry_kind = 'item') AS a_la_carte, max(t.eligibility) AS eligibility,
       (SELECT d.codevalue FROM edfi.studentschoolassociation a JOIN edfi.descriptor d
          ON d.descriptorid = a.entrygradeleveldescriptorid WHERE a.studentusi = s.student_usi
         ORDER BY a.entrydate DESC LIMIT 1) AS grade,
       o.meal_charge_limit AS own_meal, o.a_la_carte_limit AS own_alc
  FROM cafeteria.sales s
  JOIN cafeteria.meal_transactions t ON t.sale_uuid = s.sale_uuid
  JOIN edfi.student st ON st.studentusi = s.student_usi
  LEFT JOIN cafeteria.charge_overrides o ON o.student_usi = s.student_usi
 WHERE s.kind = 'sale' AND s.override_by IS NULL AND t.amount < 0 AND t.account_balance < 0
   AND (CAST(:school AS bigint) IS NULL OR s.school_id = :school) AND (CAST(:since AS date) IS NULL
        OR s.service_date >= :since)
 GROUP BY s.sale_uuid, s.sold_at, s.school_id, s.student_usi, st.studentuniqueid, st.firstname, st.lastsurname,
          o.meal_charge_limit, o.a_la_carte_limit
 ORDER BY s.sold_at DESC
""")


def over_limit_sales(engine: Engine, school_id: int | None = None, since: date | None = None) -> list[OverLimitRow]:
    """Sales kept although they took an account past its limit (decided offline on a stale balance):
    never voided, listed for the manager to follow up with the family."""
    from app.services.cafeteria.snapshot import GRADE_NUMBERS

    with engine.connect() as conn:
        rows = conn.execute(_PAST, {"school": school_id, "since": since}).all()
        policies = conn.execute(text("SELECT school_id, eligibility, grade_from, grade_to, meal_charge_limit, "
                                     "a_la_carte_limit FROM cafeteria.charge_policies "
                                     "ORDER BY (school_id IS NULL), (eligibility IS NULL), policy_id")).all()
    out = []
    for r in rows:
        if r.own_meal is not None:
            meal, alc = r.own_meal, r.own_alc
        else:
            grade = GRADE_NUMBERS.get(r.grade)
            match = next((p for p in policies if p.school_id in (None, r.school_id)
                          and (p.eligibility is None or p.eligibility == r.eligibility)
                          and (grade is None or p.grade_from <= grade <= p.grade_to)), None)
            meal, alc = (match.meal_charge_limit, match.a_la_carte_limit) if match else (ZERO, ZERO)
        limit = alc if r.a_la_carte else meal
        if r.low < -limit:
            out.append(OverLimitRow(r.name, r.studentuniqueid, r.low, -limit, str(r.sale_uuid), r.sold_at))
    return out


# -- meals sold at another eligibility or price than the student's own ----------------------------------
_FLAGS = text("""
SELECT coalesce(st.firstname || ' ' || st.lastsurname, 'A student of another school') AS name,
       coalesce(st.studentuniqueid, '') AS studentuniqueid, f.service_date, f.meal_service,
       f.line_eligibility, f.student_eligibility, f.line_price, f.due_price, f.sale_uuid, f.flagged_at
  FROM cafeteria.price_flags f LEFT JOIN edfi.student st ON st.studentusi = f.student_usi
 WHERE (CAST(:school AS bigint) IS NULL OR f.school_id = :school)
 ORDER BY f.flagged_at DESC, f.transaction_id DESC
 LIMIT 500
""")


def price_flags(engine: Engine, school_id: int | None = None) -> list[PriceFlagRow]:
    """Meal lines whose eligibility or price was not the student's own (a register's stale snapshot, or a sale
    written by hand): the server claimed and billed them at the student's own; the manager follows up.
    Row-level security shows a manager their own schools' only; a visiting student (another school's, served here)
    is listed without a name the manager may not see."""
    with engine.connect() as conn:
        rows = conn.execute(_FLAGS, {"school": school_id}).all()
    return [PriceFlagRow(r.name, r.studentuniqueid, r.service_date, r.meal_service, r.line_eligibility,
                         r.student_eligibility, r.line_price, r.due_price, str(r.sale_uuid), r.flagged_at)
            for r in rows]
