"""Bulk loading through PostgreSQL COPY, inside the caller's SQLAlchemy transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from psycopg.types.json import Jsonb
from sqlalchemy import Connection, text

__all__ = ["Copier", "Jsonb"]


class Copier:
    """COPY rows into tables on the connection's own transaction, counting rows per table."""

    def __init__(self, conn: Connection, *, audit_rows: bool = True) -> None:
        """audit_rows=False suspends the tables' user triggers (the audit trail) during each
        COPY, in this transaction only; PostgreSQL allows that only to the tables' owner, so it
        serves the demo load run by the administrator, never an application role."""
        self.conn = conn
        self.audit_rows = audit_rows
        self.pg = conn.connection.driver_connection  # the psycopg connection of this transaction
        self.counts: Counter[str] = Counter()

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence], *, bulk: bool = False) -> int:
        """COPY rows into `table`. With bulk=True the table's foreign keys are dropped for the load
        and re-added afterwards, in the same transaction: PostgreSQL then checks every reference
        in one set-based pass instead of one look-up per row, and a bad reference still fails the
        whole transaction."""
        if bulk:
            fks = self.conn.execute(text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"), {"t": table}).all()
            for name, _ in fks:
                self.conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
            try:
                return self.copy(table, columns, rows)
            finally:
                for name, definition in fks:
                    self.conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        n = 0
        with self.unaudited(table), self.pg.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
                write = cp.write_row
                for row in rows:
                    write(row)
                    n += 1
        self.counts[table] += n
        return n

    @contextmanager
    def unaudited(self, table: str):
        """With audit_rows=False, `table`'s audit triggers are suspended inside the block: for the
        COPYs, and for a set-based UPDATE that is part of the same load (a demo part adjusting the
        rows the core seed copied), which the load's one audit entry covers."""
        audit = self._audit_triggers(table) if not self.audit_rows else ()
        for trigger in audit:
            self.conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
        yield
        for trigger in audit:
            self.conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))

    def _audit_triggers(self, table: str) -> tuple[str, ...]:
        """Only the audit triggers: the others keep what row-level security reads (the
        student_scope of migration 0007) in step with the rows loaded."""
        return tuple(self.conn.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal "
            "AND tgname IN ('audit_ins', 'audit_upd', 'audit_del', 'audit_row')"), {"t": table}).scalars())

    def sync_sequence(self, table: str, column: str) -> None:
        """After loading explicit ids into a SERIAL column, move its sequence past them."""
        self.conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
        ))

    @property
    def total(self) -> int:
        return sum(self.counts.values())
