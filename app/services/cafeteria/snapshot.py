"""The site snapshot: what a register needs to start meal service cold, with no network.

Roster (enrolled and withdrawn), eligibility, balances, allergies and diets, charge overrides,
homerooms, today's reimbursable meals, menu items, prices, policies and site settings — read as the
signed-in cashier (row-level security decides which students), versioned, and kept in a file next to
the journal (written atomically), so a terminal that starts without PostgreSQL sells from the last
one. Each sale records the version it was decided with.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, text

from app.domain.cafeteria_rules import (
    Alert, Item, Limits, PriceGroup, alert_for_allergy, normalize_eligibility,
)

GRADE_NUMBERS = {"Preschool/Prekindergarten": -1, "Kindergarten": 0, "First grade": 1, "Second grade": 2,
                 "Third grade": 3, "Fourth grade": 4, "Fifth grade": 5, "Sixth grade": 6, "Seventh grade": 7,
                 "Eighth grade": 8, "Ninth grade": 9, "Tenth grade": 10, "Eleventh grade": 11, "Twelfth grade": 12}
GRADE_SHORT = {-1: "PK", 0: "K"}


def grade_label(n: int | None) -> str:
    return "" if n is None else GRADE_SHORT.get(n, str(n))


_ROSTER = text("""
SELECT DISTINCT ON (a.studentusi) a.studentusi, s.studentuniqueid, coalesce(s.preferredfirstname, s.firstname) AS first,
       s.lastsurname AS last, d.codevalue AS grade, a.exitwithdrawdate
  FROM edfi.studentschoolassociation a
  JOIN edfi.student s ON s.studentusi = a.studentusi
  LEFT JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
 WHERE a.schoolid = :school
 ORDER BY a.studentusi, a.entrydate DESC
""")
_ACCOUNTS = text("SELECT student_usi, free_reduced_status, account_balance FROM cafeteria.student_meal_plans "
                 "WHERE is_active")
_ALLERGIES = text("SELECT student_usi, allergen_name, severity, allergy_type FROM health.allergies "
                  "WHERE is_active IS NOT FALSE ORDER BY student_usi, allergen_name")
_OVERRIDES = text("SELECT student_usi, meal_charge_limit, a_la_carte_limit FROM cafeteria.charge_overrides")
_HOMEROOMS = text("""
SELECT DISTINCT ON (x.studentusi) x.studentusi, x.sectionidentifier, p.classperiodname
  FROM edfi.studentsectionassociation x
  JOIN edfi.sectionclassperiod p ON p.localcoursecode = x.localcoursecode AND p.schoolid = x.schoolid
       AND p.schoolyear = x.schoolyear AND p.sectionidentifier = x.sectionidentifier AND p.sessionname = x.sessionname
 WHERE x.schoolid = :school AND x.begindate <= :today AND (x.enddate IS NULL OR x.enddate >= :today)
 ORDER BY x.studentusi, p.classperiodname, x.sectionidentifier
""")
_MEALS_TODAY = text("SELECT student_usi, meal_service FROM cafeteria.meal_claims "
                    "WHERE service_date = :today AND reimbursable")
_ITEMS = text("SELECT item_id, code, name, category, meal_service, a_la_carte_price, allergens, diet_flags, fkey "
              "FROM cafeteria.menu_items WHERE is_active AND (school_id IS NULL OR school_id = :school) "
              "ORDER BY sort_order, name")
# The site's own prices and policies come first, the district's after: the first group that fits wins
# (migration 0042: a manager sets their site's rows, an administrator the district's).
_PRICES = text("SELECT meal_service, grade_from, grade_to, eligibility, price, second_meal_price "
               "FROM cafeteria.meal_prices WHERE effective_from <= :today "
               "AND (effective_to IS NULL OR effective_to >= :today) AND (school_id IS NULL OR school_id = :school) "
               "ORDER BY (school_id IS NULL), price_id")
_POLICIES = text("SELECT eligibility, grade_from, grade_to, meal_charge_limit, a_la_carte_limit "
                 "FROM cafeteria.charge_policies WHERE school_id IS NULL OR school_id = :school "
                 "ORDER BY (school_id IS NULL), (eligibility IS NULL), policy_id")
_SITE = text("SELECT cep, balance_display, alternate_item_id FROM cafeteria.site_settings WHERE school_id = :school")
_DISTRICT = text("SELECT low_balance_threshold, max_deposit FROM cafeteria.district_settings WHERE setting_id = 1")
_SCHOOL = text("SELECT nameofinstitution FROM edfi.educationorganization WHERE educationorganizationid = :school")
_SERVICES = text("SELECT meal_service, starts_at, ends_at, item_codes FROM cafeteria.meal_services "
                 "WHERE school_id = :school AND service_date = :today ORDER BY starts_at NULLS LAST")


def _s(v):
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (date, datetime, time)):
        return v.isoformat()
    return v


def build_snapshot(conn: Connection, school_id: int, today: date, now: datetime | None = None) -> dict:
    """Read everything the register needs, as the signed-in cashier, in one repeatable-read view."""
    p = {"school": school_id, "today": today}
    students: dict[str, dict] = {}
    for r in conn.execute(_ROSTER, p):
        students[str(r.studentusi)] = {
            "usi": r.studentusi, "uid": r.studentuniqueid, "first": r.first, "last": r.last,
            "grade": GRADE_NUMBERS.get(r.grade), "withdrawn": _s(r.exitwithdrawdate)
            if r.exitwithdrawdate and r.exitwithdrawdate <= today else None,
            "eligibility": "paid", "balance": None, "has_account": False, "allergies": [], "homeroom": None,
            "override": None, "meals_today": [],
        }
    for r in conn.execute(_ACCOUNTS):
        s = students.get(str(r.student_usi))
        if s is not None:
            s.update(eligibility=normalize_eligibility(r.free_reduced_status), balance=_s(r.account_balance),
                     has_account=True)
    for r in conn.execute(_ALLERGIES):
        s = students.get(str(r.student_usi))
        if s is not None:
            s["allergies"].append([r.allergen_name, r.severity, r.allergy_type])
    for r in conn.execute(_OVERRIDES):
        s = students.get(str(r.student_usi))
        if s is not None:
            s["override"] = [_s(r.meal_charge_limit), _s(r.a_la_carte_limit)]
    homerooms: dict[str, str] = {}
    for r in conn.execute(_HOMEROOMS, p):
        s = students.get(str(r.studentusi))
        if s is not None:
            s["homeroom"] = r.sectionidentifier
            homerooms[r.sectionidentifier] = f"{r.classperiodname} {r.sectionidentifier}"
    for r in conn.execute(_MEALS_TODAY, p):
        s = students.get(str(r.student_usi))
        if s is not None:
            s["meals_today"].append(r.meal_service)
    site = conn.execute(_SITE, p).first()
    district = conn.execute(_DISTRICT).first()
    content = {
        "school_id": school_id,
        "school_name": conn.execute(_SCHOOL, p).scalar() or str(school_id),
        "service_date": today.isoformat(),
        "students": students,
        "homerooms": homerooms,
        "items": [[r.item_id, r.code, r.name, r.category, r.meal_service, _s(r.a_la_carte_price),
                   list(r.allergens or ()), list(r.diet_flags or ()), r.fkey] for r in conn.execute(_ITEMS, p)],
        "prices": [[r.meal_service, r.grade_from, r.grade_to, r.eligibility, _s(r.price), _s(r.second_meal_price)]
                   for r in conn.execute(_PRICES, p)],
        "policies": [[r.eligibility, r.grade_from, r.grade_to, _s(r.meal_charge_limit), _s(r.a_la_carte_limit)]
                     for r in conn.execute(_POLICIES, p)],
        "services": [[r.meal_service, _s(r.starts_at), _s(r.ends_at), list(r.item_codes or ())]
                     for r in conn.execute(_SERVICES, p)],
        "cep": bool(site.cep) if site else False,
        "balance_display": site.balance_display if site else "on_request",
        "alternate_item_id": site.alternate_item_id if site else None,
        "low_balance_threshold": _s(district.low_balance_threshold) if district else "5.00",
        "max_deposit": _s(district.max_deposit) if district else "500.00",
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:10]
    taken = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    content["taken_at"] = taken.isoformat()
    content["version"] = f"{taken:%Y%m%dT%H%M%SZ}-{digest}"
    return content


def save_snapshot(path: Path, content: dict) -> None:
    """Atomically: a crash while writing leaves the previous snapshot whole."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(content, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_snapshot(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass
class SiteSnapshot:
    """The snapshot with its indexes, for the register's look-ups (read-only)."""

    content: dict
    items: dict[int, Item] = field(default_factory=dict)
    by_uid: dict[str, dict] = field(default_factory=dict)
    groups: list[PriceGroup] = field(default_factory=list)

    def __post_init__(self) -> None:
        c = self.content
        self.items = {i[0]: Item(i[0], i[1], i[2], i[3], i[4], Decimal(i[5]) if i[5] is not None else None,
                                 tuple(i[6]), tuple(i[7])) for i in c["items"]}
        self.by_uid = {s["uid"]: s for s in c["students"].values()}
        self.groups = [PriceGroup(g[0], g[1], g[2], g[3], Decimal(g[4]), Decimal(g[5])) for g in c["prices"]]

    @property
    def version(self) -> str:
        return self.content["version"]

    @property
    def taken_at(self) -> datetime:
        return datetime.fromisoformat(self.content["taken_at"])

    @property
    def school_id(self) -> int:
        return self.content["school_id"]

    def student(self, usi: int) -> dict | None:
        return self.content["students"].get(str(usi))

    def alerts(self, student: dict) -> list[Alert]:
        return [alert_for_allergy(a, sev, typ) for a, sev, typ in student.get("allergies", ())]

    def limits(self, student: dict) -> Limits:
        if student.get("override"):
            meal, alc = student["override"]
            return Limits(Decimal(meal), Decimal(alc))
        grade = student.get("grade")
        for elig, lo, hi, meal, alc in self.content["policies"]:
            if (elig is None or elig == student.get("eligibility")) and (grade is None or lo <= grade <= hi):
                return Limits(Decimal(meal), Decimal(alc))
        return Limits(Decimal("0.00"), Decimal("0.00"))
