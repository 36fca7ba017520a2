"""Applying the register's journal entries to PostgreSQL (by the journal's sender, as the signed-in
cashier), and the same writes for a manager's reversals online.

A sale becomes one `cafeteria.sales` header and one ledger line per item (or per deposit); the
ledger's trigger moves the account balance; meal lines are then classified reimbursable or second
meal, deterministically, whatever order the terminals' sales arrive in. A terminal's sales and
deposits are applied by one PostgreSQL function (`cafeteria.apply_sale_entry`); a manager's void,
refund or NSF reversal is written here statement by statement (`apply_sale_payload`).
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Connection, text

from app.sync.journal import JournalEntry, Refused, register_kind

SALE_KIND = "cafeteria.sale"
TILL_KIND = "cafeteria.till_open"
SALE_FUNCTION = "cafeteria.apply_sale_entry"

_OPEN_ACCOUNT = text("SELECT cafeteria.open_account(:s)")
_HEADER = text("""
INSERT INTO cafeteria.sales (sale_uuid, kind, terminal_id, terminal_seq, till_id, school_id, service_date, meal_service,
    student_usi, customer, total, account_amount, cash_amount, cash_tendered, change_given, check_amount, check_number,
    reverses_sale_uuid, reason, override_by, alert_acknowledged, snapshot_version, decided_balance, offline, sold_at)
VALUES (:sale_uuid, :kind, :terminal_id, :terminal_seq, :till_id, :school_id, :service_date, :meal_service,
    :student_usi, :customer, :total, :account_amount, :cash_amount, :cash_tendered, :change_given, :check_amount,
    :check_number, :reverses_sale_uuid, :reason, :override_by, :alert_acknowledged, :snapshot_version,
    :decided_balance, :offline, :sold_at)
""")
# No RETURNING: a cashier's row-level security does not read back yesterday's lines.
_LINE = text("""
INSERT INTO cafeteria.meal_transactions (student_usi, transaction_date, transaction_time, meal_type, amount,
    payment_method, cashier_id, sale_uuid, line_no, entry_kind, item_id, school_id, price, eligibility,
    reverses_transaction_id)
VALUES (:student_usi, :service_date, :local_time, :meal_type, :amount, :payment_method, :cashier, :sale_uuid,
    :line_no, :entry_kind, :item_id, :school_id, :price, :eligibility,
    (SELECT t.transaction_id FROM cafeteria.meal_transactions t
      WHERE t.sale_uuid = CAST(:rev_sale AS uuid) AND t.line_no = :rev_line))
""")
_REDERIVE = text("SELECT cafeteria.rederive_meals(:s, :d, :m)")
_TILL = text("INSERT INTO cafeteria.tills (till_id, school_id, terminal_id, opening_cash, opened_at) "
             "VALUES (:till_id, :school_id, :terminal_id, :opening_cash, :opened_at)")

MEAL_TYPES = {"breakfast": "Breakfast", "lunch": "Lunch", "snack": "Snack"}


def _payment_method(p: dict) -> str:
    if p["kind"] == "deposit":
        return "Check" if float(p.get("check_amount") or 0) else "Cash"
    parts = [name for name, key in (("Account", "account_amount"), ("Cash", "cash_amount"), ("Check", "check_amount"))
             if float(p.get(key) or 0)]
    return "Split" if len(parts) > 1 else (parts[0] if parts else "Account")


def apply_sale_payload(conn: Connection, p: dict, *, terminal_id: str, seq: int) -> dict:
    """Write one sale (or deposit, void, refund, NSF reversal)."""
    student = p.get("student_usi")
    if p.get("lines") and student is None:
        raise Refused("a sale with ledger lines needs a student")
    if student is not None and p.get("needs_account", True):
        conn.execute(_OPEN_ACCOUNT, {"s": student})
    sold_at = datetime.fromisoformat(p["sold_at"])
    service_date = date.fromisoformat(p["service_date"])
    conn.execute(_HEADER, {
        "sale_uuid": p["sale_uuid"], "kind": p["kind"], "terminal_id": terminal_id, "terminal_seq": seq,
        "till_id": p.get("till_id"), "school_id": p["school_id"], "service_date": service_date,
        "meal_service": p.get("meal_service"), "student_usi": student, "customer": p.get("customer", "student"),
        "total": p["total"], "account_amount": p.get("account_amount", "0"), "cash_amount": p.get("cash_amount", "0"),
        "cash_tendered": p.get("cash_tendered", "0"), "change_given": p.get("change_given", "0"),
        "check_amount": p.get("check_amount", "0"), "check_number": p.get("check_number"),
        "reverses_sale_uuid": p.get("reverses_sale_uuid"), "reason": p.get("reason"),
        "override_by": p.get("override_by"), "alert_acknowledged": bool(p.get("alert_acknowledged")),
        "snapshot_version": p.get("snapshot_version"), "decided_balance": p.get("decided_balance"),
        "offline": bool(p.get("offline")), "sold_at": sold_at})
    local_time = time.fromisoformat(p.get("local_time") or "12:00:00")
    method = _payment_method(p)
    rows = [{
        "student_usi": student, "service_date": service_date, "local_time": local_time,
        "meal_type": MEAL_TYPES.get(p.get("meal_service") or "", "Deposit") if p["kind"] != "deposit" else "Deposit",
        "amount": ln["amount"], "payment_method": method, "cashier": p.get("cashier"), "sale_uuid": p["sale_uuid"],
        "line_no": ln["line_no"], "entry_kind": ln["entry_kind"], "item_id": ln.get("item_id"),
        "school_id": p["school_id"], "price": ln.get("price"), "eligibility": ln.get("eligibility"),
        "rev_sale": (ln.get("reverses") or [None, None])[0], "rev_line": (ln.get("reverses") or [None, None])[1],
    } for ln in p.get("lines", ())]
    if rows:
        conn.execute(_LINE, rows)
    services = {(student, service_date, p["meal_service"])} if p.get("meal_service") and student is not None else set()
    services |= {(student, date.fromisoformat(d), m) for d, m in p.get("rederive", ())}
    for s, d, m in services:
        if any(ln["entry_kind"] in ("meal", "second_meal", "void", "refund") for ln in p.get("lines", ())):
            conn.execute(_REDERIVE, {"s": s, "d": d, "m": m})
    # the line's balance after is in the ledger; the register keeps its own running figure
    return {"lines": len(rows)}


def apply_till_open(conn: Connection, entry: JournalEntry) -> dict | None:
    p = entry.payload
    conn.execute(_TILL, {"till_id": p["till_id"], "school_id": p["school_id"], "terminal_id": entry.terminal_id,
                         "opening_cash": p["opening_cash"], "opened_at": datetime.fromisoformat(p["opened_at"])})
    return None


# A terminal's sale or deposit: one call to cafeteria.apply_sale_entry (migration 0031), which claims the
# entry, checks the cashier's scope and the amounts, writes the header and lines and classifies the meal;
# the sender sends several pending ones in one statement.
register_kind(SALE_KIND, function=SALE_FUNCTION)
register_kind(TILL_KIND, apply_till_open)
