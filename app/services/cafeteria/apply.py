"""Applying the register's journal entries to PostgreSQL (by the journal's sender, as the signed-in
cashier).

A sale becomes one `cafeteria.sales` header and one ledger line per item (or per deposit); the
ledger's trigger moves the account balance; meal lines are then classified reimbursable or second
meal, deterministically, whatever order the terminals' sales arrive in. A terminal's sales and
deposits are applied by PostgreSQL functions, a sale alone or a batch at a time (`cafeteria.apply_sale_entry`,
`cafeteria.apply_sale_entries`);
a manager's void, refund or NSF reversal by `cafeteria.apply_reversal` (app/services/cafeteria/manager.py).
No login writes a sale or a ledger line directly (migration 0034).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from app.sync.journal import JournalEntry, register_kind

SALE_KIND = "cafeteria.sale"
TILL_KIND = "cafeteria.till_open"
SALE_FUNCTION = "cafeteria.apply_sale_entry"
SALES_FUNCTION = "cafeteria.apply_sale_entries"  # a run of two or more at once, set-based (migration 0042)

# A till opens through the checked function (migration 0042): the cashier is the signed-in login, the
# school one she serves, the terminal free of another open till; nobody INSERTs a till directly.
_TILL = text("SELECT cafeteria.open_till(CAST(:till_id AS uuid), :school_id, :terminal_id, "
             "CAST(:opening_cash AS numeric), :opened_at)")


def apply_till_open(conn: Connection, entry: JournalEntry) -> dict | None:
    p = entry.payload
    conn.execute(_TILL, {"till_id": p["till_id"], "school_id": p["school_id"], "terminal_id": entry.terminal_id,
                         "opening_cash": p["opening_cash"], "opened_at": datetime.fromisoformat(p["opened_at"])})
    return None


# A terminal's sales and deposits: the sender sends every one pending (up to its batch size) in one statement:
# one sale alone through cafeteria.apply_sale_entry (migration 0031), several through cafeteria.apply_sale_entries
# (0041), which claims them, checks the cashier's scope and the amounts, writes the headers and lines with one
# statement per table and classifies the meals.
register_kind(SALE_KIND, function=SALE_FUNCTION, batch_function=SALES_FUNCTION)
register_kind(TILL_KIND, apply_till_open)
