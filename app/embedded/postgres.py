"""The embedded PostgreSQL: pgserver's bundled server with its data under the data directory.

pgserver initialises the cluster on first use, starts it on a Unix socket (no TCP port), reuses a
server that another process already started on the same data folder, and stops it when the last
process using it exits. It handles running as root (it runs postgres as a `pgserver` system user).
"""

from __future__ import annotations

import logging
import os
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


# pgserver initialises the cluster with trust authentication. Staff logins must prove who they
# are, so only the cluster superuser (used for migrations and the demo load, on the socket in the
# data folder) keeps trust; every other login needs its password (scram-sha-256).
PG_HBA = """# Written by School Office (app/embedded/postgres.py); edits are replaced at start.
local   all   postgres                  trust
local   all   all                       scram-sha-256
host    all   all   127.0.0.1/32        scram-sha-256
host    all   all   ::1/128             scram-sha-256
"""


def require_passwords(server, pgdata: Path) -> None:
    hba = pgdata / "pg_hba.conf"
    if hba.read_text() != PG_HBA:
        stat = hba.stat()
        hba.write_text(PG_HBA)
        os.chown(hba, stat.st_uid, stat.st_gid)  # keep it readable by the server's own user
        server.psql("SELECT pg_reload_conf();")


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
    # Bulk loads (the demo district, imports) write far more WAL than the 1 GB default allows
    # between checkpoints; fewer checkpoints make them about a third faster. Reload, no restart.
    server.psql("ALTER SYSTEM SET max_wal_size = '8GB'; ALTER SYSTEM SET checkpoint_timeout = '30min'; "
                "SELECT pg_reload_conf();")
    require_passwords(server, pgdata)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    log.info("embedded PostgreSQL running at %s", pgdata)
    return EmbeddedPostgres(server=server, pgdata=pgdata)
