"""The demo district's point of sale: menus, prices by grade band and eligibility, charge policies,
site settings (the elementary school is a Community Eligibility site), meal services for the school
days around the demo date, a cafeteria manager at the middle school, and the meal counts of the
lunches the core demo already sold (so the office reports have a month to show).

The eligibility mix (about 35% free, 10% reduced, 55% paid), balances and allergies come from the core
demo (app/services/demo_seed_ops.py); several menu items carry allergens those students have, so the
register's allergy alerts show up on the demo district.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

from sqlalchemy import text

from app.services.demo_seed import SCHOOLS

ORDER = 50

# code, name, category, service, a la carte price, allergens, diet flags
ITEMS = (
    ("B100", "Breakfast: cereal and milk", "meal", "breakfast", None, ("Milk", "Wheat/gluten"), ()),
    ("B200", "Breakfast: egg and cheese biscuit", "meal", "breakfast", None, ("Eggs", "Milk", "Wheat/gluten"), ()),
    ("B300", "Breakfast: fruit and yogurt", "meal", "breakfast", None, ("Milk",), ()),
    ("L100", "Lunch: cheese pizza", "meal", "lunch", None, ("Milk", "Wheat/gluten"), ()),
    ("L200", "Lunch: chicken and rice", "meal", "lunch", None, (), ("meat",)),
    ("L300", "Lunch: PB&J plate", "meal", "lunch", None, ("Peanuts", "Wheat/gluten"), ()),
    ("L400", "Lunch: pork carnitas bowl", "meal", "lunch", None, (), ("pork", "meat")),
    ("L500", "Lunch: bean and veggie wrap", "meal", "lunch", None, ("Wheat/gluten",), ()),
    ("L900", "Alternate meal: cheese sandwich", "meal", "lunch", None, ("Milk", "Wheat/gluten"), ()),
    ("S100", "Snack: crackers and juice", "meal", "snack", None, ("Wheat/gluten",), ()),
    ("A100", "Milk", "a_la_carte", None, "0.60", ("Milk",), ()),
    ("A200", "Bottled water", "a_la_carte", None, "1.00", (), ()),
    ("A300", "Cookie", "a_la_carte", None, "1.25", ("Eggs", "Wheat/gluten", "Milk"), ()),
    ("A400", "Trail mix", "a_la_carte", None, "1.50", ("Peanuts", "Tree nuts"), ()),
    ("A500", "Fruit cup", "a_la_carte", None, "0.85", (), ()),
    ("A600", "Baked chips", "a_la_carte", None, "1.00", (), ()),
)
# the register's keys: each service's meals first, a la carte (sold at every service) on F7-F12
FKEYS = {code: n for svc in ("breakfast", "lunch", "snack")
         for n, code in enumerate((i[0] for i in ITEMS if i[3] == svc), start=1)}
FKEYS |= {code: 6 + n for n, code in enumerate((i[0] for i in ITEMS if i[3] is None), start=1)}
# service -> band -> eligibility -> (price, second meal price)
BANDS = ((-1, 5), (6, 8), (9, 12))
PAID = {"breakfast": ("1.60", "1.75", "1.85"), "lunch": ("2.85", "3.10", "3.35"), "snack": ("0.75", "0.75", "0.85")}
REDUCED = {"breakfast": "0.30", "lunch": "0.40", "snack": "0.15"}
SECOND = {"breakfast": "2.75", "lunch": "4.25", "snack": "1.25"}
ADULT = {"breakfast": "2.75", "lunch": "4.50", "snack": "1.25"}
SERVICE_TIMES = {"breakfast": (time(7, 0), time(8, 15)), "lunch": (time(10, 30), time(13, 30)),
                 "snack": (time(14, 45), time(16, 0))}
MANAGER = {"first": "Rosa", "last": "Delgado", "role": "Cafeteria manager"}


def load(ctx) -> None:
    c = ctx.copier
    # each site's manager keeps the site's own menu (the same one to start with), keyed F1-F12
    c.copy("cafeteria.menu_items", ("item_id", "school_id", "code", "name", "category", "meal_service",
                                    "a_la_carte_price", "allergens", "diet_flags", "sort_order", "fkey"),
           [(k * len(ITEMS) + n, s.school_id, code, name, cat, svc, Decimal(price) if price else None, list(allergens),
             list(diet), n * 10, FKEYS[code])
            for k, s in enumerate(SCHOOLS) for n, (code, name, cat, svc, price, allergens, diet)
            in enumerate(ITEMS, start=1)])
    c.sync_sequence("cafeteria.menu_items", "item_id")
    alternate = {s.school_id: k * len(ITEMS) + next(n for n, i in enumerate(ITEMS, start=1) if i[0] == "L900")
                 for k, s in enumerate(SCHOOLS)}
    first = ctx.cal.first_day
    prices = []
    for svc in ("breakfast", "lunch", "snack"):
        for b, (lo, hi) in enumerate(BANDS):
            for elig, price in (("paid", PAID[svc][b]), ("reduced", REDUCED[svc]), ("free", "0.00")):
                prices.append((svc, lo, hi, elig, Decimal(price), Decimal(SECOND[svc]), first))
        prices.append((svc, -1, 12, "adult", Decimal(ADULT[svc]), Decimal(ADULT[svc]), first))
    c.copy("cafeteria.meal_prices", ("meal_service", "grade_from", "grade_to", "eligibility", "price",
                                     "second_meal_price", "effective_from"), prices)
    c.copy("cafeteria.charge_policies", ("eligibility", "grade_from", "grade_to", "meal_charge_limit",
                                         "a_la_carte_limit", "policy_text"),
           [("paid", -1, 5, Decimal("15.00"), Decimal("0.00"), POLICY_TEXT),
            ("paid", 6, 12, Decimal("10.00"), Decimal("0.00"), POLICY_TEXT),
            ("reduced", -1, 12, Decimal("5.00"), Decimal("0.00"), POLICY_TEXT),
            (None, -1, 12, Decimal("3.00"), Decimal("0.00"), POLICY_TEXT)])
    display = {"RES": "never", "RMS": "always", "RHS": "on_request"}
    c.copy("cafeteria.site_settings", ("school_id", "cep", "balance_display", "alternate_item_id"),
           [(s.school_id, s.short == "RES", display[s.short], alternate[s.school_id]) for s in SCHOOLS])
    codes = {svc: [i[0] for i in ITEMS if i[3] in (svc, None) and i[0] != "L900"] + (["L900"] if svc == "lunch" else [])
             for svc in SERVICE_TIMES}
    days = [d for d in (ctx.as_of + timedelta(days=k) for k in range(-31, 15)) if d.weekday() < 5]
    c.copy("cafeteria.meal_services", ("school_id", "service_date", "meal_service", "starts_at", "ends_at",
                                       "item_codes"),
           [(s.school_id, d, svc, *SERVICE_TIMES[svc], codes[svc]) for s in SCHOOLS for d in days
            for svc in SERVICE_TIMES if svc != "snack" or s.short == "RES"])
    _manager(ctx)
    _claims_of_the_core_demo(ctx)


def _manager(ctx) -> None:
    """A cafeteria manager at the middle school (the demo sign-in demo_cafeteria_manager)."""
    c = ctx.copier
    usi = max(t["usi"] for t in ctx.staff) + 1
    rms = next(s for s in SCHOOLS if s.short == "RMS")
    m = {"usi": usi, "uid": f"S{usi:05d}", "first": MANAGER["first"], "last": MANAGER["last"], "school": rms,
         "role": MANAGER["role"], "female": True}
    ctx.staff.append(m)
    c.copy("edfi.staff", ("staffusi", "staffuniqueid", "firstname", "lastsurname", "sexdescriptorid", "loginid",
                          "highlyqualifiedteacher"),
           [(usi, m["uid"], m["first"], m["last"], ctx.did("SexDescriptor", "Female"), f"rdelgado{usi}", False)])
    c.copy("edfi.staffeducationorganizationassignmentassociation",
           ("begindate", "educationorganizationid", "staffclassificationdescriptorid", "staffusi", "positiontitle"),
           [(ctx.cal.first_day - timedelta(days=30), rms.school_id,
             ctx.did("StaffClassificationDescriptor", "All Other Support Staff"), usi, MANAGER["role"])])
    c.copy("edfi.staffschoolassociation", ("staffusi", "schoolid", "programassignmentdescriptorid", "schoolyear"),
           [(usi, rms.school_id, ctx.did("ProgramAssignmentDescriptor", "Regular Education"), ctx.school_year)])


def _claims_of_the_core_demo(ctx) -> None:
    """The core demo's breakfasts and lunches, counted as reimbursable meals of the student's school
    (one per student per service per day there), so meal counts and the claim have data."""
    conn = ctx.copier.conn
    triggers = ("audit_ins", "audit_upd", "audit_del", "audit_row")
    present = conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'cafeteria.meal_claims'::regclass "
                                "AND tgname = ANY(:t)"), {"t": list(triggers)}).scalars().all()
    for t in present:
        conn.execute(text(f"ALTER TABLE cafeteria.meal_claims DISABLE TRIGGER {t}"))
    # the seed's tables have no statistics yet (one transaction, analyzed after it): planned blind, the school
    # of each of a 100,000-student district's two million meals was looked up by walking an index whole (14
    # minutes); sampled here (this transaction's rows count), one hash join and a look-up a student (seconds)
    conn.execute(text("ANALYZE cafeteria.meal_transactions, cafeteria.student_meal_plans, "
                      "edfi.studentschoolassociation"))
    n = conn.execute(text("""
        INSERT INTO cafeteria.meal_claims (transaction_id, student_usi, school_id, service_date, meal_service,
                                           eligibility, reimbursable)
        SELECT t.transaction_id, t.student_usi, a.schoolid, t.transaction_date, lower(t.meal_type),
               lower(coalesce(p.free_reduced_status, 'paid')), true
          FROM cafeteria.meal_transactions t
          JOIN cafeteria.student_meal_plans p ON p.student_usi = t.student_usi AND p.is_active
          JOIN LATERAL (SELECT x.schoolid FROM edfi.studentschoolassociation x WHERE x.studentusi = t.student_usi
                         ORDER BY x.entrydate DESC LIMIT 1) a ON true
         WHERE t.meal_type IN ('Breakfast', 'Lunch') AND t.sale_uuid IS NULL""")).rowcount
    for t in present:
        conn.execute(text(f"ALTER TABLE cafeteria.meal_claims ENABLE TRIGGER {t}"))
    ctx.copier.counts["cafeteria.meal_claims"] += n


POLICY_TEXT = ("Riverbend ISD unpaid meal charges (USDA SP 46-2016): a student is always served a reimbursable "
               "meal. Meals may be charged up to the limit for the student's grade and eligibility; past it the "
               "student receives the alternate meal and the family is notified. A la carte items are never "
               "charged: they need money on the account or cash. Families are told when the balance is low, "
               "never the student.")
