"""Bring a database to the newest schema: Alembic migrations, Ed-Fi descriptors, audit partitions.

Used by `school-office-admin migrate`, by `make run` on start, and by the tests. Idempotent:
running it twice changes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from app.errors import UserError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table_schema": "public"}).get_current_revision()


def check_revision_known(engine: Engine) -> str | None:
    """Refuse a database that a newer (or foreign) version of the schema has touched."""
    rev = current_revision(engine)
    if rev is not None and rev not in known_revisions():
        raise UserError(
            f"The database is at schema revision {rev}, which this version of School Office does not know; "
            "install the newer School Office that upgraded it, or point DATABASE_URL at another database."
        )
    return rev


def upgrade_schema(engine: Engine) -> None:
    before = check_revision_known(engine)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        after = head_revision()
        if after != before:
            # In SystemEvents through the outbox, committed with the migration itself.
            from app.sync.system_events import SCHEMA, SCHEMA_MIGRATED, record

            record(conn, SCHEMA_MIGRATED, {"from": before, "to": after, "database": conn.engine.url.database,
                                           "by": conn.engine.url.username}, stream=SCHEMA)


def migrate(engine: Engine) -> dict[str, int]:
    """Migrate to head, load the Ed-Fi default descriptors and keep audit partitions ahead."""
    from app.db.descriptors import load_default_descriptors
    from app.db.partitions import ensure_audit_partitions

    upgrade_schema(engine)
    loaded = load_default_descriptors(engine)
    ensure_audit_partitions(engine)
    log.info("database migrated to %s; descriptors added: %s", head_revision(), loaded)
    return loaded
