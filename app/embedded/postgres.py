"""The embedded PostgreSQL: pgserver's bundled server with its data under the data directory.

pgserver initialises the cluster on first use, starts it on a Unix socket (no TCP port), reuses a
server that another process already started on the same data folder, and stops it when the last
process using it exits. It handles running as root (it runs postgres as a `pgserver` system user).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from app.errors import UserError

log = logging.getLogger(__name__)

DATABASE_NAME = "school_office"


@dataclass
class EmbeddedPostgres:
    server: object  # pgserver.PostgresServer
    pgdata: Path

    @property
    def superuser_url(self) -> str:
        """SQLAlchemy URL for the cluster superuser on the School Office database."""
        uri = self.server.get_uri(DATABASE_NAME)  # type: ignore[attr-defined]
        return make_url(uri).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)

    @property
    def socket_dir(self) -> str:
        return make_url(self.superuser_url).query["host"]  # type: ignore[return-value]


def start_embedded_postgres(data_dir: Path) -> EmbeddedPostgres:
    import warnings

    # pgserver reads the per-user runtime dir when imported; without XDG_RUNTIME_DIR (root, CI)
    # platformdirs warns and falls back to /tmp, which is what we want anyway.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver  # imported here: it touches the filesystem at import time

    pgdata = data_dir / "postgres"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:
        log.exception("embedded PostgreSQL failed to start")
        raise UserError(
            f"The built-in database could not start in {pgdata}; see the log file for details, "
            "or set DATABASE_URL to use another PostgreSQL server."
        ) from exc
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    log.info("embedded PostgreSQL running at %s", pgdata)
    return EmbeddedPostgres(server=server, pgdata=pgdata)
