"""Builds the running platform: database engine, DynamoDB client, outbox shipper.

Nothing happens at import time. `start_platform` is called from a worker thread by the GUI (so
the window appears at once) and directly by the admin command and the tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
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
    engine: Engine
    database_label: str
    dynamo_status: DynamoStatus
    dynamo_client: object | None = None
    embedded_pg: EmbeddedPostgres | None = None
    embedded_dynamo: EmbeddedDynamo | None = None
    shipper: object | None = None
    _closed: bool = field(default=False, repr=False)

    def dynamo(self):
        return self.dynamo_client

    def start_shipper(self, interval: float = 2.0, on_result=None):
        from app.sync.shipper import OutboxShipper

        from app.db.partitions import ensure_audit_partitions

        self.shipper = OutboxShipper(self.engine, self.dynamo)
        # Keep this and next month's audit partitions in place while the app stays open for weeks.
        self.shipper.start(interval=interval, on_result=on_result,
                           maintenance=lambda: ensure_audit_partitions(self.engine))
        return self.shipper

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.shipper is not None:
            self.shipper.stop()
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
    engine = create_engine(u, pool_pre_ping=True, pool_size=5, max_overflow=5,
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
    if settings.embedded_postgres:
        say("Starting the built-in database…")
        embedded_pg = start_embedded_postgres(settings.data_dir)
        url = embedded_pg.superuser_url
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
    platform = Platform(settings, engine, label, dynamo_status, client, embedded_pg, embedded_dynamo)

    if seed_demo_if_empty:
        from app.services.demo_seed import district_is_empty, seed_demo

        if district_is_empty(engine):
            from app.security.demo_logins import create_demo_logins

            say("Loading the demo district (first start only)…")
            seed_demo(engine)
            create_demo_logins(engine)
    say("Ready")
    return platform


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
