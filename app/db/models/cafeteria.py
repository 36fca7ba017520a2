"""The cafeteria point of sale (issue 9): menus and prices as data, meal services per site per day,
charge policies, tills and their counts, sale headers and the derived reimbursable-meal claims.

The ledger itself is the design document's `cafeteria.meal_transactions` (app/db/models/operations.py),
extended by migration 0020: append-only for every application role, the account balance kept in
`student_meal_plans.account_balance` by a trigger in the same transaction.
"""

from sqlalchemy import text

from app.db.dsl import CK, FK, IX, UQ, C, table

MEAL_SERVICES_SQL = "('breakfast', 'lunch', 'snack')"

site_settings = table(
    "cafeteria", "site_settings", "Cafeteria settings of a school (site)",
    C("school_id", "BIGINT", comment="The school (site)"),
    C("cep", "BOOLEAN", nn=True, default="false",
      comment="Community Eligibility Provision: reimbursable meals free for all"),
    C("balance_display", "VARCHAR(12)", nn=True, default="'on_request'", comment="always, on_request, never"),
    C("alternate_item_id", "INTEGER", comment="The policy's alternate meal when a charge limit is reached"),
    C("updated_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    CK("balance_display IN ('always', 'on_request', 'never')", "balance_display_known"),
    pk=("school_id",),
)

district_settings = table(
    "cafeteria", "district_settings", "District-wide cafeteria settings (one row)",
    C("setting_id", "SMALLINT", default="1"),
    C("low_balance_threshold", "DECIMAL(10,2)", nn=True, default="5.00",
      comment="A family is told once when the balance falls below this, until a deposit"),
    C("max_deposit", "DECIMAL(10,2)", nn=True, default="500.00", comment="Larger deposits are refused as absurd"),
    C("attendance_factor", "DECIMAL(4,3)", nn=True, default="0.950",
      comment="Edit check (7 CFR 210.8): expected share of eligible students present"),
    CK("setting_id = 1", "one_row"),
    pk=("setting_id",),
)

menu_items = table(
    "cafeteria", "menu_items", "Items sold at the register",
    C("item_id", "SERIAL"),
    C("code", "VARCHAR(20)", nn=True, comment="PLU or barcode"),
    C("name", "VARCHAR(100)", nn=True),
    C("category", "VARCHAR(20)", nn=True, comment="meal (reimbursable), a_la_carte"),
    C("meal_service", "VARCHAR(10)", comment="breakfast, lunch, snack; NULL: any"),
    C("a_la_carte_price", "DECIMAL(10,2)", comment="Price of an a la carte item (the same for everyone)"),
    C("allergens", "TEXT[]", nn=True, default="'{}'", comment="Allergen names as health.allergies writes them"),
    C("diet_flags", "TEXT[]", nn=True, default="'{}'", comment="e.g. pork, meat, dairy"),
    C("is_active", "BOOLEAN", nn=True, default="true"),
    C("sort_order", "INTEGER", nn=True, default="100"),
    C("school_id", "BIGINT", comment="The site whose manager keeps this item; NULL: a district item (administrators)"),
    C("fkey", "SMALLINT", comment="Its key on the register (F1-F12) in the services it is sold at; NULL: next free"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    UQ("school_id", "code"),
    CK("fkey IS NULL OR fkey BETWEEN 1 AND 12", "fkey_range"),
    CK("category IN ('meal', 'a_la_carte')", "category_known"),
    CK(f"meal_service IS NULL OR meal_service IN {MEAL_SERVICES_SQL}", "meal_service_known"),
    CK("category = 'meal' OR a_la_carte_price >= 0", "a_la_carte_priced"),
    pk=("item_id",),
)

meal_prices = table(
    "cafeteria", "meal_prices", "Price groups: grade band x eligibility, adult and second-meal prices",
    C("price_id", "SERIAL"),
    C("meal_service", "VARCHAR(10)", nn=True),
    C("grade_from", "SMALLINT", nn=True, comment="Lowest grade of the band (K = 0, PK = -1)"),
    C("grade_to", "SMALLINT", nn=True),
    C("eligibility", "VARCHAR(10)", nn=True, comment="free, reduced, paid, adult"),
    C("price", "DECIMAL(10,2)", nn=True, comment="The reimbursable meal"),
    C("second_meal_price", "DECIMAL(10,2)", nn=True, comment="A second meal the same service (not reimbursable)"),
    C("effective_from", "DATE", nn=True),
    C("effective_to", "DATE"),
    C("school_id", "BIGINT", comment="The site this price is for; NULL: the district's price (administrators)"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    IX("ux_meal_prices_group", text("coalesce(school_id, 0)"), "meal_service", "grade_from", "grade_to",
       "eligibility", "effective_from", unique=True),
    CK(f"meal_service IN {MEAL_SERVICES_SQL}", "meal_service_known"),
    CK("eligibility IN ('free', 'reduced', 'paid', 'adult')", "eligibility_known"),
    CK("price >= 0 AND second_meal_price >= 0 AND grade_from <= grade_to", "sane"),
    pk=("price_id",),
)

meal_services = table(
    "cafeteria", "meal_services", "A meal service at a site on a day",
    C("service_id", "BIGSERIAL"),
    C("school_id", "BIGINT", nn=True),
    C("service_date", "DATE", nn=True),
    C("meal_service", "VARCHAR(10)", nn=True),
    C("starts_at", "TIME"),
    C("ends_at", "TIME"),
    C("item_codes", "TEXT[]", nn=True, default="'{}'", comment="The menu: codes of the items offered"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    UQ("school_id", "service_date", "meal_service"),
    CK(f"meal_service IN {MEAL_SERVICES_SQL}", "meal_service_known"),
    pk=("service_id",),
)

charge_policies = table(
    "cafeteria", "charge_policies", "Unpaid meal charge policy (SP 46-2016) by eligibility and grade",
    C("policy_id", "SERIAL"),
    C("eligibility", "VARCHAR(10)", comment="free, reduced, paid; NULL: any"),
    C("grade_from", "SMALLINT", nn=True, default="-1"),
    C("grade_to", "SMALLINT", nn=True, default="12"),
    C("meal_charge_limit", "DECIMAL(10,2)", nn=True, comment="How far below zero a reimbursable meal may charge"),
    C("a_la_carte_limit", "DECIMAL(10,2)", nn=True, default="0.00", comment="A la carte never goes below this"),
    C("policy_text", "TEXT", comment="The written policy given to families"),
    C("school_id", "BIGINT", comment="The site this policy is for; NULL: the district's policy (administrators)"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    IX("ux_charge_policies_group", text("coalesce(school_id, 0)"), text("coalesce(eligibility, '')"), "grade_from",
       "grade_to", unique=True),
    CK("eligibility IS NULL OR eligibility IN ('free', 'reduced', 'paid')", "eligibility_known"),
    CK("meal_charge_limit >= 0 AND a_la_carte_limit >= 0", "limits_positive"),
    pk=("policy_id",),
)

charge_overrides = table(
    "cafeteria", "charge_overrides", "A student's own charge limits, set by the cafeteria manager",
    C("student_usi", "INTEGER"),
    C("meal_charge_limit", "DECIMAL(10,2)", nn=True),
    C("a_la_carte_limit", "DECIMAL(10,2)", nn=True, default="0.00"),
    C("reason", "TEXT", nn=True),
    C("set_by", "VARCHAR(128)", nn=True, default="SESSION_USER"),
    C("set_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    CK("meal_charge_limit >= 0 AND a_la_carte_limit >= 0", "limits_positive"),
    pk=("student_usi",),
)

tills = table(
    "cafeteria", "tills", "A cashier's till on a terminal: opened with starting cash, closed by a blind count",
    C("till_id", "UUID", comment="Made on the terminal, so a till opens offline too"),
    C("school_id", "BIGINT", nn=True),
    C("terminal_id", "VARCHAR(64)", nn=True),
    C("cashier", "VARCHAR(128)", nn=True, default="SESSION_USER", comment="Login of the cashier"),
    C("opened_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("opening_cash", "DECIMAL(10,2)", nn=True),
    C("closed_at", "TIMESTAMPTZ"),
    C("counted", "JSONB", comment="The blind count by denomination: {\"20.00\": 3, \"0.25\": 8, ...}"),
    C("counted_total", "DECIMAL(10,2)"),
    C("expected_total", "DECIMAL(10,2)", comment="Opening cash + cash taken - change given, computed on close"),
    C("over_short", "DECIMAL(10,2)"),
    C("note", "TEXT", comment="Required when the count is over or short"),
    C("finalized_by", "VARCHAR(128)"),
    C("finalized_at", "TIMESTAMPTZ"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    CK("opening_cash >= 0", "opening_cash_positive"),
    CK("over_short IS NULL OR over_short = 0 OR length(btrim(coalesce(note, ''))) > 0", "over_short_explained"),
    pk=("till_id",),
)
sales = table(
    "cafeteria", "sales", "Sale headers: one per sale UUID, journaled on the terminal first",
    C("sale_uuid", "UUID", comment="The journal entry id: unique, a resent sale applies once"),
    C("kind", "VARCHAR(12)", nn=True, comment="sale, deposit, void, refund, nsf"),
    C("terminal_id", "VARCHAR(64)", nn=True),
    C("terminal_seq", "BIGINT", nn=True),
    C("till_id", "UUID"),
    C("school_id", "BIGINT", nn=True),
    C("service_date", "DATE", nn=True),
    C("meal_service", "VARCHAR(10)"),
    C("student_usi", "INTEGER", comment="NULL for an adult or a cash customer"),
    C("customer", "VARCHAR(10)", nn=True, default="'student'", comment="student, adult"),
    C("total", "DECIMAL(10,2)", nn=True, comment="Price of the lines (negative for a reversal)"),
    C("account_amount", "DECIMAL(10,2)", nn=True, default="0", comment="Effect on the meal account"),
    C("cash_amount", "DECIMAL(10,2)", nn=True, default="0", comment="Cash kept in the till (after change)"),
    C("cash_tendered", "DECIMAL(10,2)", nn=True, default="0"),
    C("change_given", "DECIMAL(10,2)", nn=True, default="0"),
    C("check_amount", "DECIMAL(10,2)", nn=True, default="0"),
    C("check_number", "VARCHAR(30)"),
    C("reverses_sale_uuid", "UUID", comment="The sale a void, refund or NSF reversal undoes"),
    C("reason", "TEXT", comment="Why: voids, refunds, overrides"),
    C("override_by", "VARCHAR(128)", comment="Manager who allowed a charge past the limit"),
    C("alert_acknowledged", "BOOLEAN", nn=True, default="false"),
    C("snapshot_version", "VARCHAR(40)", comment="The site snapshot the terminal decided with"),
    C("decided_balance", "DECIMAL(10,2)", comment="The balance the terminal decided on (last known minus pending)"),
    C("offline", "BOOLEAN", nn=True, default="false"),
    C("cashier", "VARCHAR(128)", nn=True, default="SESSION_USER"),
    C("sold_at", "TIMESTAMPTZ", nn=True, comment="When the terminal recorded it"),
    C("received_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    FK(("till_id",), "cafeteria.tills", ("till_id",)),
    FK(("reverses_sale_uuid",), "cafeteria.sales", ("sale_uuid",)),
    CK("kind IN ('sale', 'deposit', 'void', 'refund', 'nsf', 'adjustment')", "kind_known"),
    CK("customer IN ('student', 'adult')", "customer_known"),
    CK("(kind IN ('void', 'refund', 'nsf', 'adjustment')) = (reverses_sale_uuid IS NOT NULL)", "reversal_points_back"),
    IX("ix_sales_student_date", "student_usi", "service_date"),
    IX("ix_sales_school_date", "school_id", "service_date"),
    IX("ix_sales_till", "till_id"),
    # A sale is voided once, a check deposit returned unpaid once.
    IX("ux_sales_one_reversal", "reverses_sale_uuid", unique=True, postgresql_where=text("kind IN ('void', 'nsf')")),
    pk=("sale_uuid",),
)

meal_claims = table(
    "cafeteria", "meal_claims",
    "Which meal lines are the reimbursable one of a student's meal service: derived on the server, "
    "deterministically, by (student, day, meal service)",
    C("transaction_id", "BIGINT", comment="The meal line"),
    C("student_usi", "INTEGER", nn=True),
    C("school_id", "BIGINT", nn=True),
    C("service_date", "DATE", nn=True),
    C("meal_service", "VARCHAR(10)", nn=True),
    C("eligibility", "VARCHAR(10)", nn=True, comment="free, reduced, paid at the time of the sale"),
    C("reimbursable", "BOOLEAN", nn=True),
    C("derived_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("transaction_id",), "cafeteria.meal_transactions", ("transaction_id",)),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    IX("ix_meal_claims_student_day", "student_usi", "service_date", "meal_service"),
    IX("ix_meal_claims_school_day", "school_id", "service_date"),
    pk=("transaction_id",),
)

balance_notices = table(
    "cafeteria", "balance_notices", "Low-balance notices sent to families: once until the next deposit",
    C("student_usi", "INTEGER"),
    C("notified_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("balance", "DECIMAL(10,2)", nn=True),
    C("cleared_at", "TIMESTAMPTZ", comment="Set by a deposit: the next low balance is told again"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    pk=("student_usi",),
)

price_flags = table(
    "cafeteria", "price_flags",
    "A reimbursable-meal line whose eligibility or price was not the student's own (a stale offline snapshot, or a "
    "forged sale): claimed and billed at the student's own, listed here for the cafeteria manager",
    C("transaction_id", "BIGINT", comment="The meal line"),
    C("sale_uuid", "UUID", nn=True, comment="Its sale"),
    C("school_id", "BIGINT", nn=True),
    C("student_usi", "INTEGER", nn=True),
    C("service_date", "DATE", nn=True),
    C("meal_service", "VARCHAR(10)", nn=True),
    C("line_eligibility", "VARCHAR(10)", comment="What the sale's line said"),
    C("student_eligibility", "VARCHAR(10)", nn=True, comment="The student's own, from their meal account"),
    C("line_price", "DECIMAL(10,2)", comment="The price the line carried"),
    C("due_price", "DECIMAL(10,2)", comment="What the meal is billed: its price at the student's own eligibility"),
    C("flagged_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("transaction_id",), "cafeteria.meal_transactions", ("transaction_id",)),
    IX("ix_price_flags_school_day", "school_id", "service_date"),
    pk=("transaction_id",),
)

eligibility_history = table(
    "cafeteria", "eligibility_history",
    "A student's meal eligibility over time: meals are claimed and billed at the eligibility of their day",
    C("history_id", "BIGSERIAL"),
    C("student_usi", "INTEGER", nn=True),
    C("eligibility", "VARCHAR(10)", nn=True, comment="free, reduced, paid"),
    C("effective_from", "TIMESTAMPTZ", nn=True,
      comment="When it took effect (-infinity: for every day before the first change recorded)"),
    C("recorded_by", "VARCHAR(128)", nn=True, comment="The login that changed it"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    IX("ix_eligibility_history_student", "student_usi", "effective_from"),
    pk=("history_id",),
)
