"""Alembic environment. The URL comes from the config built by app.db.migrate (or alembic.ini's
`sqlalchemy.url` override); nothing connects at import time."""

import re

from alembic import context
from sqlalchemy import create_engine, pool

from app.db.models import metadata

# Monthly partitions of compliance.audit_logs are created by SQL functions, not by the models.
_PARTITION = re.compile(r"^audit_logs_(y\d{4}m\d{2}|default)$")


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and name and _PARTITION.match(name):
        return False
    return True


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
        engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_schemas=True,
        include_name=lambda name, type_, parent: (
            type_ != "schema" or name in metadata_schemas()
        ),
        include_object=include_object,
        compare_type=True,
        version_table_schema="public",
    )
    with context.begin_transaction():
        context.run_migrations()


def metadata_schemas() -> set[str]:
    return {t.schema for t in metadata.tables.values()}


run_migrations_online()
