"""Shared fixtures: a real embedded PostgreSQL and a real DynamoDB Local for the whole session.

Never SQLite, never a mock of either. Each session gets its own data directory (and so its own
servers), and a DynamoDB port of its own so parallel runs do not meet.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _install_test_keyring() -> None:
    """The OS keyring is outside our control: the suite uses a stand-in, so the embedded owner's
    password path (not the keyring-less peer fallback) is what it exercises. Child processes that
    tests start load the same stand-in and share its file (in this run's temporary folder)."""
    import keyring

    from tests.keyring_double import ENV, KeyringDouble

    os.environ.setdefault(ENV, str(Path(tempfile.mkdtemp(prefix="so-keyring-")) / "keyring.json"))
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.keyring_double.KeyringDouble"
    keyring.set_keyring(KeyringDouble())


_install_test_keyring()

REPO = Path(__file__).resolve().parents[1]
# CI checks the reference folder out next to the repository; SCHOOL_OFFICE_SHARED points elsewhere
# (a worktree, a developer's checkout).
SHARED = Path(os.environ.get("SCHOOL_OFFICE_SHARED") or REPO.parent / "shared")
DEMO_AS_OF = date(2026, 11, 20)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The third-party reference folder next to the repository (CI has it; a plain clone does not).
    Only tests marked `reference` may use it; everything else reads tests/data."""
    if not SHARED.is_dir():
        pytest.skip(f"reference material not present: {SHARED} is missing (CI checks it out next to the repository)")
    return SHARED


def pytest_collection_modifyitems(config, items):
    """Keep the suite runnable from a clone alone: only `reference` tests may read ../shared."""
    for item in items:
        if "shared_dir" in getattr(item, "fixturenames", ()) and item.get_closest_marker("reference") is None:
            raise pytest.UsageError(f"{item.nodeid} reads ../shared without the `reference` marker")


@pytest.fixture(scope="session")
def data_dir():
    d = Path(tempfile.mkdtemp(prefix="so-test-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(data_dir):
    from app.config import load_settings

    return load_settings({"SCHOOL_OFFICE_DATA_DIR": str(data_dir), "SCHOOL_OFFICE_DYNAMODB_PORT": str(free_port()),
                          "HOME": str(data_dir)})


@pytest.fixture(scope="session")
def platform(settings):
    from app.bootstrap import start_platform
    from app.logging_setup import configure_logging

    configure_logging(settings.log_dir)
    p = start_platform(settings, migrate=True)
    assert p.dynamo_status.available, p.dynamo_status.describe()
    yield p
    p.close()
    # Stop the session's PostgreSQL now: its data folder is deleted next, after which pgserver's
    # exit hook could no longer stop it and the server would outlive the test run.
    p.embedded_pg.server.cleanup()


@pytest.fixture(scope="session")
def engine(platform):
    return platform.engine


@pytest.fixture(scope="session")
def dynamo(platform):
    return platform.dynamo_client


@pytest.fixture(scope="session")
def server_url(platform) -> str:
    return platform.embedded_pg.superuser_url


def database_factory(platform):
    """Yield a function that makes empty databases on the embedded server; drop them afterwards."""
    created = []
    admin = create_engine(platform.engine.url, isolation_level="AUTOCOMMIT")

    def make():
        name = f"t_{uuid.uuid4().hex[:10]}"
        with admin.connect() as c:
            c.execute(text(f"CREATE DATABASE {name}"))
        eng = create_engine(platform.engine.url.set(database=name))
        created.append((name, eng))
        return eng

    yield make
    for name, eng in created:
        eng.dispose()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def new_database(platform):
    """A factory of empty databases on the embedded server, dropped after the test."""
    yield from database_factory(platform)


@pytest.fixture(scope="module")
def new_database_module(platform):
    """The same, kept for a whole test module."""
    yield from database_factory(platform)


@pytest.fixture(scope="session")
def demo_engine(platform):
    """A migrated database holding a small demo district (400 students, as of DEMO_AS_OF)."""
    from app.db.migrate import migrate
    from app.services.demo_seed import seed_demo

    admin = create_engine(platform.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS demo_test WITH (FORCE)"))
        c.execute(text("CREATE DATABASE demo_test"))
    eng = create_engine(platform.engine.url.set(database="demo_test"))
    migrate(eng)
    eng.seed_report = seed_demo(eng, students=400, seed=42, as_of=DEMO_AS_OF)
    yield eng
    eng.dispose()
    admin.dispose()


def rolled_back(engine):
    """A connection in a transaction that is rolled back afterwards: a test's changes vanish."""
    with engine.connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


@pytest.fixture(scope="module")
def login_engine(demo_engine):
    """(login, password) -> an engine connected as that demo sign-in (the database enforces its role)."""
    from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins

    create_demo_logins(demo_engine)
    made = {}

    def get(login: str, password: str = DEMO_PASSWORD):
        if (login, password) not in made:
            made[login, password] = create_engine(demo_engine.url.set(username=login, password=password))
        return made[login, password]
    yield get
    for eng in made.values():
        eng.dispose()
