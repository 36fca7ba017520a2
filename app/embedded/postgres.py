"""The embedded PostgreSQL: pgserver's bundled server with its data under the data directory.

pgserver initialises the cluster on first use, starts it on a Unix socket (no TCP port), reuses a
server that another process already started on the same data folder, and stops it when the last
process using it exits. It handles running as root (it runs postgres as a `pgserver` system user).

pgserver's cluster trusts every local connection. School Office replaces that at every start:
every login, the owner (`postgres`) included, proves who it is with a password (scram-sha-256).
The owner's password is generated at the first start and kept only in the OS keyring. A machine
without a usable keyring (headless Linux, CI) gets `peer` authentication for the owner instead:
only the operating-system account that runs School Office may connect as the owner, over the
socket in the data folder; never `trust`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from app.errors import UserError

log = logging.getLogger(__name__)

DATABASE_NAME = "school_office"
OWNER = "postgres"
KEYRING_SERVICE = "school-office-embedded-owner"
IDENT_MAP = "school_office_owner"

_HEADER = "# Written by School Office (app/embedded/postgres.py); edits are replaced at start.\n"
# Staff logins always need their password; the first line decides how the owner proves itself.
_STAFF_LINES = """local   all   all                       scram-sha-256
host    all   all   127.0.0.1/32        scram-sha-256
host    all   all   ::1/128             scram-sha-256
"""
PG_HBA = _HEADER + f"local   all   {OWNER}                  scram-sha-256\n" + _STAFF_LINES
PG_HBA_PEER = _HEADER + f"local   all   {OWNER}                  peer map={IDENT_MAP}\n" + _STAFF_LINES


@dataclass
class EmbeddedPostgres:
    server: object  # pgserver.PostgresServer
    pgdata: Path
    owner_password: str | None = None  # None: the owner connects by peer authentication (no keyring)

    @property
    def superuser_url(self) -> str:
        """SQLAlchemy URL for the cluster owner on the School Office database (with its password)."""
        uri = self.server.get_uri(DATABASE_NAME)  # type: ignore[attr-defined]
        url = make_url(uri).set(drivername="postgresql+psycopg", password=self.owner_password)
        return url.render_as_string(hide_password=False)

    @property
    def login_url(self) -> URL:
        """Where staff sign in: the same database and socket, with no user or password."""
        return make_url(self.superuser_url)._replace(username=None, password=None)

    @property
    def socket_dir(self) -> str:
        return make_url(self.superuser_url).query["host"]  # type: ignore[return-value]


# -- the owner's password ------------------------------------------------------------------------
class NoKeyring(Exception):
    pass


def _keyring_key(pgdata: Path) -> str:
    return f"{OWNER}@{pgdata}"


def _keyring_get(pgdata: Path) -> str | None:
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, _keyring_key(pgdata))
    except Exception as exc:  # keyring.errors.NoKeyringError, a locked or broken backend
        raise NoKeyring(str(exc)) from exc


def _keyring_set(pgdata: Path, password: str) -> None:
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, _keyring_key(pgdata), password)
    except Exception as exc:
        raise NoKeyring(str(exc)) from exc


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores, computed here so the password itself never
    travels to the server (nor into its log, should the statement fail)."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


# -- talking to the server as the owner ----------------------------------------------------------
def psql(server, sql: str, password: str | None, database: str | None = None) -> str:
    """pgserver's `server.psql`, with the owner's password given to this one psql process only
    (its environment), never to ours or to a file."""
    import pgserver._commands as commands

    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if password:
        env["PGPASSWORD"] = password
    uri = server.get_uri(database)
    out = subprocess.run([str(commands.POSTGRES_BIN_PATH / "psql"), "-X", "-v", "ON_ERROR_STOP=1", uri],
                         input=sql.encode(), capture_output=True, env=env, check=False)
    if out.returncode != 0:
        raise subprocess.CalledProcessError(out.returncode, "psql", out.stdout, out.stderr)
    return out.stdout.decode("utf-8")


def _reload(server, pgdata: Path) -> None:
    """Re-read pg_hba.conf by signal (pg_ctl reload): no connection needed, so this works whatever
    the authentication in force."""
    import pgserver._commands as commands

    commands.pg_ctl(["reload"], pgdata=pgdata, user=getattr(server, "system_user", None))
    time.sleep(0.2)  # the postmaster re-reads the file on its next turn


def _write_conf(pgdata: Path, name: str, content: str) -> bool:
    path = pgdata / name
    if path.exists() and path.read_text() == content:
        return False
    stat = (pgdata / "pg_hba.conf").stat()
    path.write_text(content)
    if hasattr(os, "chown"):
        os.chown(path, stat.st_uid, stat.st_gid)  # keep it readable by the server's own user
    return True


def _os_account() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _owner_by_peer(server, pgdata: Path) -> None:
    """The owner may connect over the socket only from the OS account running School Office."""
    _write_conf(pgdata, "pg_ident.conf", f"# Written by School Office.\n{IDENT_MAP}   {_os_account()}   {OWNER}\n")
    _write_conf(pgdata, "pg_hba.conf", PG_HBA_PEER)
    _reload(server, pgdata)


def _password_works(server, password: str) -> bool:
    try:
        psql(server, "SELECT 1;", password)
        return True
    except subprocess.CalledProcessError:
        return False


def _set_owner_password(server, pgdata: Path) -> str:
    """Give the owner a new random password and keep it in the keyring. On a new cluster
    (pgserver's trust) it is set directly; if the keyring has lost it, through a moment of peer
    authentication for the OS account that owns the data folder."""
    hba = (pgdata / "pg_hba.conf").read_text()
    if hba.startswith(_HEADER):
        if sys.platform == "win32":
            raise UserError(f"The built-in database's owner password is missing from the Windows credential store; "
                            f"restore it, or move {pgdata} aside to start with a new database.")
        _owner_by_peer(server, pgdata)
    password = secrets.token_urlsafe(32)
    _keyring_set(pgdata, password)  # first: a password set but not kept would lock us out
    psql(server, f"ALTER ROLE {OWNER} PASSWORD '{scram_verifier(password)}';", None)
    return password


def require_passwords(server, pgdata: Path) -> str | None:
    """Make every login, the owner included, prove who it is. Returns the owner's password, or
    None when this machine has no keyring and the owner uses peer authentication."""
    try:
        password = _keyring_get(pgdata)
        # A password counts only where the server demands it: under pgserver's first trust (or
        # peer) any password would seem to work.
        enforced = (pgdata / "pg_hba.conf").read_text() == PG_HBA
        if password is None or not enforced or not _password_works(server, password):
            password = _set_owner_password(server, pgdata)
    except NoKeyring as exc:
        if sys.platform == "win32":
            raise UserError("The built-in database needs the Windows credential store for its owner password, and "
                            "it cannot be used; sign in to Windows normally, or set DATABASE_URL.") from exc
        log.warning("no usable OS keyring (%s): the built-in database's owner connects by peer authentication, "
                    "only from the account %s", exc, _os_account())
        _owner_by_peer(server, pgdata)
        return None
    if _write_conf(pgdata, "pg_hba.conf", PG_HBA):
        _reload(server, pgdata)
    return password


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
        password = require_passwords(server, server.pgdata)
        # Bulk loads (the demo district, imports) write far more WAL than the 1 GB default allows
        # between checkpoints; fewer checkpoints make them about a third faster. Reload, no restart.
        psql(server, "ALTER SYSTEM SET max_wal_size = '8GB'; ALTER SYSTEM SET checkpoint_timeout = '30min'; "
                     "SELECT pg_reload_conf();", password)
        exists = psql(server, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';", password)
        if "1 row" not in exists:
            psql(server, f"CREATE DATABASE {DATABASE_NAME};", password)
    except UserError:
        raise
    except Exception as exc:
        log.exception("embedded PostgreSQL failed to start")
        raise UserError(
            f"The built-in database could not start in {pgdata}; see the log file for details, "
            "or set DATABASE_URL to use another PostgreSQL server."
        ) from exc
    log.info("embedded PostgreSQL running at %s (owner by %s)", pgdata, "password" if password else "peer")
    return EmbeddedPostgres(server=server, pgdata=server.pgdata, owner_password=password)
