"""Builds the running platform: database engine, DynamoDB client, outbox shipper.

Nothing happens at import time. Two ways in:
- `start_platform` connects as the schema owner (DATABASE_URL's login, or the embedded server's
  owner) and migrates: `school-office-admin` commands and the tests.
- `start_workstation` is what the desktop app (`school-office`) calls, from a worker thread so the
  window appears at once. With DATABASE_URL set (server mode) it takes only the host, port and
  database from it, migrates nothing and opens no connection: staff connect as themselves when
  they sign in, and the schema revision is checked then, as that user. The embedded
  single-machine default still sets itself up on first start (as its owner, who has a password
  kept in the OS keyring) and keeps the owner engine for the outbox shipper only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.config import Settings, database_password
from app.embedded.dynamodb import DynamoUnavailable, EmbeddedDynamo, start_embedded_dynamodb
from app.embedded.postgres import EmbeddedPostgres, start_embedded_postgres
from app.errors import UserError

log = logging.getLogger(__name__)

StatusCallback = Callable[[str], None]


@dataclass
class DynamoStatus:
    available: bool
    endpoint: str | None
    reason: str | None = None

    def describe(self) -> str:
        if self.available:
            return f"DynamoDB: connected ({self.endpoint or 'AWS'})"
        return f"DynamoDB: unavailable ({self.reason}); records wait safely in the outbox"


@dataclass
class Platform:
    settings: Settings
    engine: Engine | None  # the schema owner's engine; None on a workstation in server mode
    database_label: str
    dynamo_status: DynamoStatus
    dynamo_client: object | None = None
    embedded_pg: EmbeddedPostgres | None = None
    embedded_dynamo: EmbeddedDynamo | None = None
    shipper: object | None = None
    login_url: URL | None = None  # where staff sign in: host, port, database; no user, no password
    _closed: bool = field(default=False, repr=False)
    _close_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def dynamo(self):
        return self.dynamo_client

    @property
    def server_mode(self) -> bool:
        return self.embedded_pg is None

    def sign_in(self, login: str, password: str, *, now=None, clock=None):
        """Open a staff member's own session: (SignedIn, Engine). In server mode the schema
        revision is checked as that user before anything else."""
        from app.security.session import sign_in

        return sign_in(self.login_url, login, password, lookup=self.engine, now=now, clock=clock,
                       check=check_schema_revision if self.server_mode else None)

    def verify(self, login: str, password: str) -> tuple[str, ...]:
        from app.security.session import verify_credentials

        return verify_credentials(self.login_url, login, password)

    def start_shipper(self, interval: float = 2.0, on_result=None):
        """The outbox shipper runs with the owner's engine, so only where this process holds it
        (the embedded default, the admin commands). A workstation in server mode has none: there
        `school-office-admin ship` runs on a server."""
        from app.sync.shipper import OutboxShipper

        from app.db.partitions import ensure_audit_partitions

        if self.engine is None:
            log.info("no owner engine on this workstation: the outbox is shipped by the server")
            return None

        self.shipper = OutboxShipper(self.engine, self.dynamo)
        # Keep this and next month's audit partitions in place while the app stays open for weeks.
        self.shipper.start(interval=interval, on_result=on_result,
                           maintenance=lambda: ensure_audit_partitions(self.engine))
        return self.shipper

    def close(self) -> None:
        """Stop the shipper, dispose of the engine, leave the embedded DynamoDB. Safe from any thread
        (the window runs it on a worker thread): a second caller waits until the first is done."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            if self.shipper is not None:
                self.shipper.stop()
            if self.engine is not None:
                from app.sync.system_events import flush_pending

                flush_pending(self.engine)  # refused sign-ins not yet sent: into the outbox, not lost at exit
                self.engine.dispose()
            if self.embedded_dynamo is not None:
                self.embedded_dynamo.release()


def describe_db_error(url: str, exc: Exception) -> str:
    u = make_url(url)
    where = f"{u.host or 'local socket'}{':' + str(u.port) if u.port else ''}/{u.database}"
    raw = str(getattr(exc, "orig", exc)).lower()
    if "password authentication failed" in raw or "no password supplied" in raw:
        return (f"The database at {where} refused the password for user {u.username}; check the password "
                "(PGPASSWORD or the OS keyring) and try again.")
    if "does not exist" in raw and "database" in raw:
        return f"The database {u.database} does not exist on {where}; create it or correct DATABASE_URL."
    if "connection refused" in raw or "could not connect" in raw or "timeout" in raw or "name or service" in raw \
            or "translate host name" in raw or "no such file" in raw:
        return (f"Cannot reach the database server at {where}; check that it is running and that "
                "DATABASE_URL is right, then start again.")
    return f"Cannot use the database at {where} ({raw.splitlines()[0][:160]}); check DATABASE_URL."


def connect_database(url: str) -> Engine:
    u = make_url(url)
    if not u.password:
        pw = database_password(url)
        if pw:
            u = u.set(password=pw)
    # hide_parameters: error text must never carry bound values (a new password) into the log
    engine = create_engine(u, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True,
                           connect_args={"connect_timeout": 5, "application_name": "school-office"})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, ProgrammingError) as exc:
        engine.dispose()
        log.exception("database connection failed")
        raise UserError(describe_db_error(url, exc)) from exc
    return engine


def start_platform(settings: Settings, *, migrate: bool = True, start_dynamo: bool = True,
                   seed_demo_if_empty: bool = False, on_status: StatusCallback | None = None) -> Platform:
    """Start or connect to PostgreSQL and DynamoDB. Raises UserError with one clear sentence."""
    from app.db.migrate import check_revision_known
    from app.db.migrate import migrate as run_migrations

    say = on_status or (lambda msg: log.info(msg))
    embedded_pg = None
    login_url = None
    if settings.embedded_postgres:
        say("Starting the built-in database…")
        embedded_pg = start_embedded_postgres(settings.data_dir)
        url = embedded_pg.superuser_url
        login_url = embedded_pg.login_url
        label = "PostgreSQL: built-in"
    else:
        url = settings.database_url
        u = make_url(url)
        label = f"PostgreSQL: {u.host or 'local'}/{u.database}"
    engine = connect_database(url)
    try:
        if migrate:
            say("Updating the database schema…")
            run_migrations(engine)
        else:
            check_revision_known(engine)
    except Exception:
        engine.dispose()
        raise

    dynamo_status, client, embedded_dynamo = _start_dynamo(settings, say) if start_dynamo else (
        DynamoStatus(False, None, "not started"), None, None)
    if client is not None:  # refused sign-ins and lock-outs go straight to SystemEvents
        from app.sync.system_events import use_client

        use_client(lambda: client)
    platform = Platform(settings, engine, label, dynamo_status, client, embedded_pg, embedded_dynamo,
                        login_url=login_url or staff_url(url))

    if seed_demo_if_empty:
        from app.services.demo_seed import district_is_empty, seed_demo

        if district_is_empty(engine):
            from app.security.demo_logins import create_demo_logins

            say("Loading the demo district (first start only)…")
            seed_demo(engine)
            create_demo_logins(engine)
    say("Ready")
    return platform


def staff_url(database_url: str) -> URL:
    """Only where the database is (host, port, database, connection options) from DATABASE_URL:
    never its user or password."""
    # URL.set() ignores None, so the user and password are dropped with _replace
    return make_url(database_url).set(drivername="postgresql+psycopg")._replace(username=None, password=None)


def start_workstation(settings: Settings, *, seed_demo_if_empty: bool = False, start_dynamo: bool = True,
                      on_status: StatusCallback | None = None) -> Platform:
    """What `school-office` starts. Server mode: no database connection at all until someone
    signs in, and never a migration. Embedded: the single-machine set-up on first start."""
    if settings.embedded_postgres:
        return start_platform(settings, migrate=True, start_dynamo=start_dynamo,
                              seed_demo_if_empty=seed_demo_if_empty, on_status=on_status)
    say = on_status or (lambda msg: log.info(msg))
    u = make_url(settings.database_url)
    dynamo_status, client, embedded_dynamo = _start_dynamo(settings, say) if start_dynamo else (
        DynamoStatus(False, None, "not started"), None, None)
    if client is not None:  # refused sign-ins and lock-outs go straight to SystemEvents
        from app.sync.system_events import use_client

        use_client(lambda: client)
    say("Ready")
    return Platform(settings, None, f"PostgreSQL: {u.host or 'local'}/{u.database}", dynamo_status, client,
                    None, embedded_dynamo, login_url=staff_url(settings.database_url))


def check_schema_revision(conn: Connection) -> None:
    """Run as the signed-in user (migration 0007 lets every School Office role read
    public.alembic_version): the database must be at exactly the schema this version knows."""
    from app.db.migrate import head_revision, known_revisions

    head = head_revision()
    try:
        with conn.begin_nested():
            rev = conn.execute(text("SELECT version_num FROM public.alembic_version")).scalar()
    except ProgrammingError as exc:
        raw = str(exc.orig).lower()
        if "permission denied" in raw:  # a schema from before 0007: cannot tell, so carry on
            log.warning("the signed-in user cannot read public.alembic_version (before migration 0007)")
            return
        rev = None  # no alembic_version table: an empty database
    if rev == head:
        return
    if rev is None:
        raise UserError("This database has no School Office schema yet; ask IT to run "
                        "'school-office-admin migrate' on it, then sign in again.")
    if rev not in known_revisions():
        raise UserError(f"The database is at schema revision {rev}, which this version of School Office does not "
                        "know; install the newer School Office that upgraded it.")
    raise UserError(f"The database is at an older schema revision ({rev}) than this School Office ({head}); "
                    "ask IT to run 'school-office-admin migrate', then sign in again.")


def _start_dynamo(settings: Settings, say: StatusCallback):
    from app.dynamo.client import make_client
    from app.dynamo.tables import create_tables

    embedded = None
    try:
        if settings.embedded_dynamodb:
            say("Starting the built-in DynamoDB…")
            embedded = start_embedded_dynamodb(settings.data_dir, settings.dynamodb_port,
                                               port_explicit=settings.dynamodb_port_explicit)
            endpoint = embedded.endpoint
        else:
            endpoint = settings.dynamodb_endpoint
        client = make_client(endpoint, settings.aws_region, local=settings.embedded_dynamodb)
        create_tables(client)
        return DynamoStatus(True, endpoint), client, embedded
    except DynamoUnavailable as exc:
        log.warning("DynamoDB unavailable: %s", exc)
        return DynamoStatus(False, None, str(exc)), None, None
    except UserError:
        raise
    except Exception:
        # Keep a client for the configured endpoint: the shipper retries, and records wait in
        # the outbox until DynamoDB answers again.
        log.exception("DynamoDB could not be reached")
        endpoint = embedded.endpoint if embedded else settings.dynamodb_endpoint
        reason = f"cannot reach {endpoint or 'AWS DynamoDB'}"
        client = make_client(endpoint, settings.aws_region, local=settings.embedded_dynamodb)
        return DynamoStatus(False, endpoint, reason), client, embedded
