"""The PostgreSQL side of the terminals' offline journal (app/sync/journal.py).

`journal_receipts` holds one row per journal entry applied, keyed by the entry's UUID: the unique key
that makes a resent entry apply once. `journal_flags` keeps what could not apply (the same UUID with
another payload, or data the database refused) for someone to review; nothing is silently dropped.
Staff roles reach both only through sync.journal_claim() and sync.journal_flag() (migration 0012).
"""

from sqlalchemy import Index

from app.db.dsl import UQ, C, table

journal_receipts = table(
    "sync", "journal_receipts", "Terminal journal entries applied to this database, once each",
    C("entry_id", "UUID", comment="The entry's UUID, made on the terminal"),
    C("terminal_id", "VARCHAR(64)", nn=True, comment="The terminal that journaled it"),
    C("seq", "BIGINT", nn=True, comment="Its sequence number on that terminal"),
    C("kind", "VARCHAR(64)", nn=True, comment="Entry kind, e.g. cafeteria.sale, library.checkout"),
    C("payload_sha256", "VARCHAR(64)", nn=True, comment="SHA-256 of kind and canonical payload"),
    C("applied_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("applied_by", "VARCHAR(128)", nn=True, default="SESSION_USER", comment="Login that applied it"),
    pk=("entry_id",),
)
Index("ix_journal_receipts_terminal_id_seq", journal_receipts.c.terminal_id, journal_receipts.c.seq)

journal_flags = table(
    "sync", "journal_flags", "Journal entries refused by the database, kept for review",
    C("flag_id", "BIGSERIAL"),
    C("entry_id", "UUID", nn=True),
    C("terminal_id", "VARCHAR(64)", nn=True),
    C("seq", "BIGINT", nn=True),
    C("kind", "VARCHAR(64)", nn=True),
    C("payload_sha256", "VARCHAR(64)", nn=True),
    C("payload", "JSONB", nn=True, comment="The refused payload as the terminal sent it"),
    C("reason", "TEXT", nn=True, comment="Why it could not apply"),
    C("flagged_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("flagged_by", "VARCHAR(128)", nn=True, default="SESSION_USER"),
    C("reviewed_at", "TIMESTAMPTZ"),
    C("reviewed_by", "VARCHAR(128)"),
    C("review_note", "TEXT"),
    C("school_id", "BIGINT", comment="Whose review queue: the payload's school when the flagging login serves it "
                                     "(stamped by the database, migration 0051); NULL: administrators only"),
    UQ("entry_id", "payload_sha256"),
    pk=("flag_id",),
)
