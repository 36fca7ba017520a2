"""A PostgreSQL cluster of a test's own, which the test may stop with `pg_ctl stop -m immediate`
(a crash: no shutdown checkpoint, clients cut off) and start again, without touching the session's
shared server. Built on pgserver's bundled binaries (it handles running as root)."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

from sqlalchemy import create_engine, text


class OwnPostgres:
    def __init__(self) -> None:
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver

        self._root = Path(tempfile.mkdtemp(prefix="so-own-pg-"))
        self._root.chmod(0o755)
        self.server = pgserver.get_server(self._root / "pg", cleanup_mode=None)
        self._socket_dir = self.server._postmaster_info.socket_dir or self.server.pgdata

    def url(self, database: str = "postgres") -> str:
        return self.server.get_uri(database).replace("postgresql://", "postgresql+psycopg://", 1)

    def create_database(self, name: str):
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            c.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return create_engine(self.url(name))

    def stop_immediate(self) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-m", "immediate", "-w", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        """Start it again after a crash: recovery replays the WAL, which on a loaded CI machine takes
        longer than the 10 s pgserver allows, so pg_ctl is called here with room to spare."""
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-t", "180", "-o", '-h ""', "-o", f"-k {self._socket_dir}", "-l", str(self.server.log), "start"],
               pgdata=self.server.pgdata, user=self.server.system_user, timeout=200)

    def close(self) -> None:
        from pgserver._commands import pg_ctl

        try:
            pg_ctl(["-m", "immediate", "-w", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)
        except Exception:  # noqa: BLE001 - already stopped
            pass
        shutil.rmtree(self._root, ignore_errors=True)
