"""The terminals' offline journal, PostgreSQL side: one receipt per applied entry, flags for review

A terminal (cafeteria register, library desk) journals each sale or checkout locally first and a
background sender applies it here (app/sync/journal.py). `sync.journal_claim()` records the entry's
UUID with the SHA-256 of its payload in the same transaction as the desk's rows: a resent entry
(after a commit that timed out) is acknowledged, not applied twice; the same UUID with another
payload is refused and written to `sync.journal_flags` for review. Staff roles reach the two
tables only through these functions; administrators read the flags and mark them reviewed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Roles whose desks journal: the cafeteria (so_cafeteria_manager gets its grant with its role, 0020) and library.
JOURNAL_ROLES = "so_cashier, so_librarian, so_admin"

FUNCTIONS_SQL = r"""
CREATE FUNCTION sync.journal_claim(p_entry uuid, p_terminal text, p_seq bigint, p_kind text, p_sha text,
                                   p_payload jsonb) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    known text;
BEGIN
    IF p_entry IS NULL OR coalesce(p_terminal, '') = '' OR p_seq IS NULL OR coalesce(p_kind, '') = ''
       OR p_sha !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'a journal entry needs its id, terminal, sequence, kind and payload hash'
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO sync.journal_receipts (entry_id, terminal_id, seq, kind, payload_sha256, applied_by)
    VALUES (p_entry, p_terminal, p_seq, p_kind, p_sha, session_user)
    ON CONFLICT (entry_id) DO NOTHING;
    IF FOUND THEN
        RETURN 'new';
    END IF;
    SELECT r.payload_sha256 INTO known FROM sync.journal_receipts r WHERE r.entry_id = p_entry;
    IF known = p_sha THEN
        RETURN 'applied';
    END IF;
    INSERT INTO sync.journal_flags (entry_id, terminal_id, seq, kind, payload_sha256, payload, reason, flagged_by)
    VALUES (p_entry, p_terminal, p_seq, p_kind, p_sha, coalesce(p_payload, '{}'::jsonb),
            'this entry id was already applied with another content', session_user)
    ON CONFLICT (entry_id, payload_sha256) DO NOTHING;
    RETURN 'conflict';
END;
$$;

CREATE FUNCTION sync.journal_flag(p_entry uuid, p_terminal text, p_seq bigint, p_kind text, p_sha text,
                                  p_payload jsonb, p_reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_entry IS NULL OR coalesce(p_terminal, '') = '' OR p_seq IS NULL OR coalesce(p_kind, '') = ''
       OR p_sha !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'a journal entry needs its id, terminal, sequence, kind and payload hash'
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO sync.journal_flags (entry_id, terminal_id, seq, kind, payload_sha256, payload, reason, flagged_by)
    VALUES (p_entry, p_terminal, p_seq, p_kind, p_sha, coalesce(p_payload, '{}'::jsonb),
            left(coalesce(p_reason, 'refused'), 1000), session_user)
    ON CONFLICT (entry_id, payload_sha256) DO UPDATE SET reason = EXCLUDED.reason, flagged_at = now();
END;
$$;
"""

GRANTS_SQL = f"""
REVOKE ALL ON sync.journal_receipts, sync.journal_flags FROM PUBLIC;
REVOKE ALL ON FUNCTION sync.journal_claim(uuid, text, bigint, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync.journal_flag(uuid, text, bigint, text, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync.journal_claim(uuid, text, bigint, text, text, jsonb) TO {JOURNAL_ROLES};
GRANT EXECUTE ON FUNCTION sync.journal_flag(uuid, text, bigint, text, text, jsonb, text) TO {JOURNAL_ROLES};
GRANT USAGE ON SCHEMA sync TO {JOURNAL_ROLES};
GRANT SELECT ON sync.journal_receipts TO so_admin;
GRANT SELECT ON sync.journal_flags TO so_admin;
GRANT UPDATE (reviewed_at, reviewed_by, review_note) ON sync.journal_flags TO so_admin;
"""


def upgrade() -> None:
    op.create_table('journal_flags',
    sa.Column('flag_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('entry_id', sa.UUID(), autoincrement=False, nullable=False),
    sa.Column('terminal_id', sa.String(length=64), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=64), autoincrement=False, nullable=False),
    sa.Column('payload_sha256', sa.String(length=64), autoincrement=False, nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=Text()), autoincrement=False, nullable=False, comment='The refused payload as the terminal sent it'),
    sa.Column('reason', sa.Text(), autoincrement=False, nullable=False, comment='Why it could not apply'),
    sa.Column('flagged_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('flagged_by', sa.String(length=128), server_default=sa.text('SESSION_USER'), autoincrement=False, nullable=False),
    sa.Column('reviewed_at', postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True),
    sa.Column('reviewed_by', sa.String(length=128), autoincrement=False, nullable=True),
    sa.Column('review_note', sa.Text(), autoincrement=False, nullable=True),
    sa.PrimaryKeyConstraint('flag_id', name=op.f('pk_journal_flags')),
    sa.UniqueConstraint('entry_id', 'payload_sha256', name=op.f('uq_journal_flags_entry_id_payload_sha256')),
    schema='sync',
    comment='Journal entries refused by the database, kept for review'
    )
    op.create_table('journal_receipts',
    sa.Column('entry_id', sa.UUID(), autoincrement=False, nullable=False, comment="The entry's UUID, made on the terminal"),
    sa.Column('terminal_id', sa.String(length=64), autoincrement=False, nullable=False, comment='The terminal that journaled it'),
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False, comment='Its sequence number on that terminal'),
    sa.Column('kind', sa.String(length=64), autoincrement=False, nullable=False, comment='Entry kind, e.g. cafeteria.sale, library.checkout'),
    sa.Column('payload_sha256', sa.String(length=64), autoincrement=False, nullable=False, comment='SHA-256 of kind and canonical payload'),
    sa.Column('applied_at', postgresql.TIMESTAMP(timezone=True), server_default=sa.text('now()'), autoincrement=False, nullable=False),
    sa.Column('applied_by', sa.String(length=128), server_default=sa.text('SESSION_USER'), autoincrement=False, nullable=False, comment='Login that applied it'),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_journal_receipts')),
    schema='sync',
    comment='Terminal journal entries applied to this database, once each'
    )
    op.create_index('ix_journal_receipts_terminal_id_seq', 'journal_receipts', ['terminal_id', 'seq'], unique=False, schema='sync')
    op.execute(FUNCTIONS_SQL)
    op.execute(GRANTS_SQL)


def downgrade() -> None:
    op.execute("DROP FUNCTION sync.journal_flag(uuid, text, bigint, text, text, jsonb, text)")
    op.execute("DROP FUNCTION sync.journal_claim(uuid, text, bigint, text, text, jsonb)")
    op.drop_index("ix_journal_receipts_terminal_id_seq", table_name="journal_receipts", schema="sync")
    op.drop_table("journal_receipts", schema="sync")
    op.drop_table("journal_flags", schema="sync")
