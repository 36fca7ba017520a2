"""The library: titles (resources), physical copies (items), loans, holds, the rules matrix,
overrides, inventory, textbook assignments and offline-sync conflicts.

The design document's `library.resources` counts copies but cannot tell one copy from another;
`library.items` is one row per physical copy and `library.checkouts` points at the copy. The
resource's total/available counts are kept from its items by a trigger (migration 0011).
Library records are confidential: only librarians (of the student's schools) and administrators
read them; see the migration for the row-level security.
"""

from sqlalchemy import Index, func, text

from app.db.dsl import CK, FK, C, table

ITEM_STATUSES = ("available", "checked_out", "on_hold_shelf", "in_transit", "lost", "damaged", "missing",
                 "claims_returned", "withdrawn", "not_for_loan")
HOLD_STATUSES = ("waiting", "ready", "filled", "cancelled", "expired")

resources = table(
    "library", "resources", "Resources: Books and materials",
    C("resource_id", "SERIAL", comment="Unique resource ID"),
    C("isbn", "VARCHAR(20)", comment="ISBN if applicable"),
    C("title", "VARCHAR(500)", nn=True, comment="Title"),
    C("author", "VARCHAR(500)", comment="Author(s)"),
    C("publisher", "VARCHAR(200)", comment="Publisher"),
    C("publication_year", "INTEGER", comment="Year published"),
    C("genre", "VARCHAR(100)", comment="Fiction, non-fiction, etc."),
    C("resource_type", "VARCHAR(50)", comment="Book, DVD, magazine"),
    C("call_number", "VARCHAR(50)", comment="Dewey/Library of Congress"),
    C("location", "VARCHAR(100)", comment="Shelf location"),
    C("total_copies", "INTEGER", default="1", comment="How many owned"),
    C("available_copies", "INTEGER", default="1", comment="How many available"),
    C("is_active", "BOOLEAN", default="TRUE", comment="In circulation?"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    C("added_authors", "TEXT", comment="Added entries (MARC 700)"),
    C("audience", "VARCHAR(200)", comment="Target audience (MARC 521)"),
    C("reading_program", "VARCHAR(200)", comment="Reading program and level (MARC 526)"),
    C("control_number", "VARCHAR(50)", comment="MARC 001 of the imported record"),
    pk=("resource_id",),
)
Index("ix_resources_isbn", resources.c.isbn)

items = table(
    "library", "items", "One physical copy of a resource",
    C("item_id", "SERIAL"),
    C("resource_id", "INTEGER", nn=True, comment="The title this is a copy of"),
    C("barcode", "VARCHAR(32)", nn=True, unique=True, comment="The copy's barcode"),
    C("call_number", "VARCHAR(50)", comment="Spine label call number"),
    C("status", "VARCHAR(20)", nn=True, default="'available'", comment="available, checked_out, lost, ..."),
    C("location", "VARCHAR(100)", comment="Shelf location"),
    C("item_type", "VARCHAR(30)", nn=True, default="'book'", comment="Item type of the rules matrix"),
    C("price", "DECIMAL(8,2)", comment="Replacement price"),
    C("school_id", "BIGINT", nn=True, comment="The school that owns the copy"),
    C("transit_to_school_id", "BIGINT", comment="In transit: the school it is going back to"),
    C("status_changed_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("status_note", "TEXT", comment="Why the status was set"),
    C("in_house_uses", "INTEGER", nn=True, default="0", comment="Times used in the library without a loan"),
    C("last_seen_at", "TIMESTAMPTZ", comment="Last scanned in an inventory or at the desk"),
    C("created_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("resource_id",), "library.resources", ("resource_id",)),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    FK(("transit_to_school_id",), "edfi.school", ("schoolid",)),
    CK("status IN (" + ", ".join(f"'{s}'" for s in ITEM_STATUSES) + ")", "item_status"),
    pk=("item_id",),
)
Index("ix_items_resource_id", items.c.resource_id)
Index("ix_items_school_call_number", items.c.school_id, items.c.call_number)

checkouts = table(
    "library", "checkouts", "Checkouts: Circulation records",
    C("checkout_id", "BIGSERIAL", comment="Unique checkout ID"),
    C("student_usi", "INTEGER", comment="Borrower (a student)"),
    C("resource_id", "INTEGER", nn=True, comment="What borrowed"),
    C("checkout_date", "DATE", nn=True, comment="When borrowed"),
    C("due_date", "DATE", nn=True, comment="When due back"),
    C("return_date", "DATE", comment="When returned"),
    C("renewal_count", "INTEGER", default="0", comment="Times renewed"),
    C("checkout_status", "VARCHAR(20)", default="'Checked Out'", comment="Status"),
    C("librarian_id", "VARCHAR(100)", comment="Who checked out"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    C("item_id", "INTEGER", nn=True, comment="The copy borrowed"),
    C("staff_usi", "INTEGER", comment="Borrower (a teacher: class sets)"),
    C("school_id", "BIGINT", nn=True, comment="The school whose desk lent it"),
    C("checked_out_at", "TIMESTAMPTZ", nn=True, default="now()", comment="When borrowed (desk's clock)"),
    C("returned_at", "TIMESTAMPTZ", comment="When checked in"),
    C("days_late", "INTEGER", comment="Days past due at check-in"),
    C("checkin_school_id", "BIGINT", comment="The school that checked it in"),
    C("request_id", "UUID", unique=True, comment="The desk's id of the checkout (repeat-proof, offline sync)"),
    C("renew_request_id", "UUID", comment="The desk's id of the last renewal (repeat-proof)"),
    C("fine", "DECIMAL(8,2)", comment="Fine charged at a late check-in (where the rules set one)"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    FK(("resource_id",), "library.resources", ("resource_id",)),
    FK(("item_id",), "library.items", ("item_id",)),
    FK(("staff_usi",), "edfi.staff", ("staffusi",)),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    CK("(student_usi IS NULL) <> (staff_usi IS NULL)", "one_borrower"),
    CK("fine IS NULL OR (fine >= 0 AND return_date IS NOT NULL)", "fine"),
    pk=("checkout_id",),
)
# One open loan per copy: a second desk lending the same copy fails here, not silently.
Index("ux_checkouts_open_item", checkouts.c.item_id, unique=True, postgresql_where=text("return_date IS NULL"))
Index("ix_checkouts_student_open", checkouts.c.student_usi, postgresql_where=text("return_date IS NULL"))
Index("ix_checkouts_staff_open", checkouts.c.staff_usi, postgresql_where=text("return_date IS NULL"))
Index("ix_checkouts_due_open", checkouts.c.school_id, checkouts.c.due_date, postgresql_where=text("return_date IS NULL"))

holds = table(
    "library", "holds", "Holds on a title, first come first served",
    C("hold_id", "BIGSERIAL"),
    C("resource_id", "INTEGER", nn=True, comment="The title held"),
    C("student_usi", "INTEGER", comment="Who is waiting (a student)"),
    C("staff_usi", "INTEGER", comment="Who is waiting (staff)"),
    C("pickup_school_id", "BIGINT", nn=True, comment="Where it will be picked up"),
    C("placed_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("status", "VARCHAR(20)", nn=True, default="'waiting'", comment="waiting, ready, filled, cancelled, expired"),
    C("item_id", "INTEGER", comment="The copy pulled to the hold shelf"),
    C("ready_at", "TIMESTAMPTZ", comment="When the copy reached the hold shelf"),
    C("shelf_expires_on", "DATE", comment="Last day on the hold shelf"),
    C("not_needed_after", "DATE", comment="The hold lapses after this day"),
    C("closed_at", "TIMESTAMPTZ"),
    C("request_id", "UUID", unique=True),
    FK(("resource_id",), "library.resources", ("resource_id",)),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    FK(("staff_usi",), "edfi.staff", ("staffusi",)),
    FK(("pickup_school_id",), "edfi.school", ("schoolid",)),
    FK(("item_id",), "library.items", ("item_id",)),
    CK("(student_usi IS NULL) <> (staff_usi IS NULL)", "one_patron"),
    CK("status IN (" + ", ".join(f"'{s}'" for s in HOLD_STATUSES) + ")", "hold_status"),
    pk=("hold_id",),
)
Index("ix_holds_queue", holds.c.resource_id, holds.c.placed_at, postgresql_where=text("status IN ('waiting', 'ready')"))
Index("ix_holds_student", holds.c.student_usi)

loan_rules = table(
    "library", "loan_rules", "Circulation rules: patron category x item type x school; the most specific wins",
    C("rule_id", "SERIAL"),
    C("school_id", "BIGINT", comment="NULL: every school"),
    C("patron_category", "VARCHAR(20)", comment="K-2, 3-5, 6-8, 9-12, staff; NULL: everyone"),
    C("item_type", "VARCHAR(30)", comment="NULL: every item type"),
    C("loan_days", "INTEGER", nn=True),
    C("max_items", "INTEGER", nn=True, comment="Loans at once (of this item type; of all with item type NULL)"),
    C("max_renewals", "INTEGER", nn=True),
    C("holds_allowed", "BOOLEAN", nn=True, default="true"),
    C("max_overdue", "INTEGER", nn=True, default="0", comment="Overdue loans allowed before checkout is blocked"),
    C("fine_per_day", "DECIMAL(6,2)", nn=True, default="0", comment="Off (0) by default: schools block instead"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    CK("loan_days > 0 AND max_items >= 0 AND max_renewals >= 0 AND max_overdue >= 0 AND fine_per_day >= 0",
       "sane_rule"),
    pk=("rule_id",),
)
Index("ux_loan_rules_cell", func.coalesce(loan_rules.c.school_id, 0), func.coalesce(loan_rules.c.patron_category, ""),
      func.coalesce(loan_rules.c.item_type, ""), unique=True)

checkout_terms = table(
    "library", "checkout_terms", "The rules' stamp and checkout terms per school, rebuilt with every change of "
    "library.loan_rules (migration 0066); read by the checkout functions only",
    C("school_id", "BIGINT"),
    C("stamp", "TEXT", nn=True),
    C("terms", "JSONB", nn=True),
    FK(("school_id",), "edfi.school", ("schoolid",), ondelete="CASCADE"),
    pk=("school_id",),
)

renewal_requests = table(
    "library", "renewal_requests", "Every request id a renewal used (migration 0067): a request sent again renews "
    "nothing; written by library.renew_loan only",
    C("request_id", "UUID"),
    C("checkout_id", "BIGINT", nn=True),
    C("renewed_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("checkout_id",), "library.checkouts", ("checkout_id",), ondelete="CASCADE"),
    pk=("request_id",),
)
Index("ix_renewal_requests_checkout_id", renewal_requests.c.checkout_id)

settings = table(
    "library", "settings", "Per-school library settings",
    C("school_id", "BIGINT"),
    C("barcode_scheme", "VARCHAR(20)", nn=True, default="'none'", comment="none or codabar14 (mod-10 check digit)"),
    C("hold_shelf_days", "INTEGER", nn=True, default="7", comment="Days a held copy waits on the hold shelf"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    CK("barcode_scheme IN ('none', 'codabar14')", "barcode_scheme"),
    pk=("school_id",),
)

overrides = table(
    "library", "overrides", "Blocks a librarian overrode, with the reason",
    C("override_id", "BIGSERIAL"),
    C("student_usi", "INTEGER"),
    C("staff_usi", "INTEGER"),
    C("item_id", "INTEGER"),
    C("school_id", "BIGINT", nn=True),
    C("action", "VARCHAR(20)", nn=True, comment="checkout or renew"),
    C("block_code", "VARCHAR(40)", nn=True, comment="What was overridden"),
    C("reason", "TEXT", nn=True),
    C("approved_by", "VARCHAR(100)", nn=True, default="session_user", comment="The librarian's sign-in"),
    C("at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    FK(("staff_usi",), "edfi.staff", ("staffusi",)),
    FK(("item_id",), "library.items", ("item_id",)),
    CK("length(btrim(reason)) >= 3", "override_reason"),
    pk=("override_id",),
)

inventories = table(
    "library", "inventories", "A shelf inventory: scans of a call-number range",
    C("inventory_id", "SERIAL"),
    C("school_id", "BIGINT", nn=True),
    C("call_from", "VARCHAR(50)", comment="First call number of the range"),
    C("call_to", "VARCHAR(50)", comment="Last call number of the range"),
    C("started_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("started_by", "VARCHAR(100)", nn=True, default="session_user"),
    C("finalized_at", "TIMESTAMPTZ"),
    C("marked_missing", "INTEGER"),
    FK(("school_id",), "edfi.school", ("schoolid",)),
    pk=("inventory_id",),
)

inventory_scans = table(
    "library", "inventory_scans", "One barcode scanned during an inventory",
    C("scan_id", "BIGSERIAL"),
    C("inventory_id", "INTEGER", nn=True),
    C("seq", "INTEGER", nn=True, comment="Order on the shelf"),
    C("barcode", "VARCHAR(32)", nn=True),
    C("item_id", "INTEGER"),
    C("scanned_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("problem", "VARCHAR(200)", comment="Out of order, unknown barcode, checked out, ..."),
    FK(("inventory_id",), "library.inventories", ("inventory_id",)),
    FK(("item_id",), "library.items", ("item_id",)),
    pk=("scan_id",),
)
Index("ix_inventory_scans_inventory", inventory_scans.c.inventory_id, inventory_scans.c.seq)

textbook_assignments = table(
    "library", "textbook_assignments", "A textbook title every student of a section should have",
    C("assignment_id", "SERIAL"),
    C("resource_id", "INTEGER", nn=True),
    C("localcoursecode", "VARCHAR(60)", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("schoolyear", "SMALLINT", nn=True),
    C("sectionidentifier", "VARCHAR(255)", nn=True),
    C("sessionname", "VARCHAR(60)", nn=True),
    C("assigned_at", "TIMESTAMPTZ", nn=True, default="now()"),
    FK(("resource_id",), "library.resources", ("resource_id",)),
    FK(("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname"), "edfi.section",
       ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname")),
    pk=("assignment_id",),
)

sync_conflicts = table(
    "library", "sync_conflicts", "Offline circulation that could not be applied as recorded: for review",
    C("conflict_id", "BIGSERIAL"),
    C("request_id", "UUID", nn=True, unique=True, comment="The journal entry's id"),
    C("kind", "VARCHAR(30)", nn=True, comment="already_out, hold_placed, unknown_item, ..."),
    C("action", "VARCHAR(20)", nn=True, comment="checkout, checkin or renew"),
    C("student_usi", "INTEGER"),
    C("item_id", "INTEGER"),
    C("school_id", "BIGINT", nn=True),
    C("workstation", "VARCHAR(100)"),
    C("recorded_at", "TIMESTAMPTZ", nn=True, comment="When the desk recorded it offline"),
    C("detected_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("offline_side", "JSONB", nn=True, comment="What the desk recorded"),
    C("server_side", "JSONB", nn=True, comment="What the database held when it arrived"),
    C("resolved_at", "TIMESTAMPTZ"),
    C("resolved_by", "VARCHAR(100)"),
    C("resolution", "TEXT"),
    FK(("student_usi",), "edfi.student", ("studentusi",)),
    FK(("item_id",), "library.items", ("item_id",)),
    pk=("conflict_id",),
)
