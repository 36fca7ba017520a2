"""The schema owner's credential stays off workstations (issue 8, item 10).

The embedded server asks every login for its password, the owner included (kept in the OS
keyring, never in a file); a workstation in server mode takes only the server's address from
DATABASE_URL, migrates nothing and connects to nothing until someone signs in, as themselves.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from app.bootstrap import start_workstation
from app.config import load_settings
from app.errors import UserError
from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins

pytestmark = pytest.mark.integration


def owner_url(platform):
    return make_url(platform.embedded_pg.superuser_url)


def connects(url) -> bool:
    eng = create_engine(url)
    try:
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        eng.dispose()


def test_the_owner_refuses_a_connection_without_its_password(platform):
    url = owner_url(platform)
    assert platform.embedded_pg.owner_password, "the suite's keyring stand-in should give the owner a password"
    assert not connects(url._replace(password=None))
    assert not connects(url.set(password="postgres"))
    assert not connects(url.set(password=DEMO_PASSWORD))
    assert connects(url)  # with the password from the keyring it does
    hba = (platform.embedded_pg.pgdata / "pg_hba.conf").read_text()
    rules = [line.split() for line in hba.splitlines() if line.strip() and not line.startswith("#")]
    assert rules and all(rule[-1] == "scram-sha-256" for rule in rules), hba


def test_the_owner_password_is_in_no_file_of_the_data_folder(platform, settings):
    secret = platform.embedded_pg.owner_password.encode()
    leaks = [p for p in settings.data_dir.rglob("*") if p.is_file() and secret in p.read_bytes()]
    assert leaks == []


def test_a_staff_login_cannot_connect_as_the_owner(platform, demo_engine):
    create_demo_logins(demo_engine)
    url = owner_url(platform).set(database="demo_test")
    # the demo password, the staff member's own: neither opens the owner
    assert not connects(url.set(password=DEMO_PASSWORD))
    teacher = create_engine(url.set(username="demo_teacher", password=DEMO_PASSWORD))
    try:
        with teacher.connect() as c:
            assert c.execute(text("SELECT session_user")).scalar() == "demo_teacher"
            for attempt in ("SET ROLE postgres", "SET SESSION AUTHORIZATION postgres"):
                with pytest.raises(DBAPIError, match="permission denied"):
                    with c.begin_nested():
                        c.execute(text(attempt))
            assert c.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar() is False
    finally:
        teacher.dispose()


@pytest.fixture
def server_mode(platform, tmp_path):
    """Settings for a workstation whose DATABASE_URL even names the owner and password (a careless
    install): the workstation must use only the server's address from it."""
    def make(database: str):
        url = owner_url(platform).set(database=database).render_as_string(hide_password=False)
        return load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path), "DATABASE_URL": url})
    return make


def backends_on(platform, database: str) -> int:
    with platform.engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"), {"d": database}).scalar()


def test_a_workstation_in_server_mode_migrates_nothing_and_connects_only_when_someone_signs_in(
        platform, new_database, server_mode):
    empty = new_database()
    name = empty.url.database
    ws = start_workstation(server_mode(name), start_dynamo=False)
    try:
        assert ws.engine is None  # no owner engine on a workstation
        assert ws.login_url.username is None and ws.login_url.password is None
        assert ws.login_url.database == name
        assert backends_on(platform, name) == 0  # not one connection before a sign-in
        assert ws.start_shipper() is None  # the server ships the outbox (school-office-admin ship)
        with empty.connect() as c:  # the owner, from the test's side
            tables = c.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                                    "('pg_catalog', 'information_schema')")).scalar()
        assert tables == 0  # still empty: nothing migrated
    finally:
        ws.close()


def test_a_workstation_signs_in_as_the_staff_member_and_checks_the_schema_as_them(
        platform, demo_engine, new_database, server_mode):
    create_demo_logins(demo_engine)
    ws = start_workstation(server_mode("demo_test"), start_dynamo=False)
    user, engine = ws.sign_in("demo_teacher", DEMO_PASSWORD)
    try:
        with engine.connect() as c:
            assert c.execute(text("SELECT session_user")).scalar() == "demo_teacher"
            rev = c.execute(text("SELECT version_num FROM public.alembic_version")).scalar()
        from app.db.migrate import head_revision

        assert rev == head_revision()  # readable by the staff member (migration 0007)
    finally:
        engine.dispose()
        ws.close()

    empty = new_database()  # a database IT has not migrated yet
    ws = start_workstation(server_mode(empty.url.database), start_dynamo=False)
    with pytest.raises(UserError) as err:
        ws.sign_in("demo_teacher", DEMO_PASSWORD)
    assert err.value.message == ("This database has no School Office schema yet; ask IT to run "
                                 "'school-office-admin migrate' on it, then sign in again.")
    ws.close()


@pytest.fixture
def pg_dir():
    """A folder of its own under /tmp for a second embedded server: not pytest's tmp_path, whose
    parent pytest keeps private (0700) to root, which the server's own OS user cannot enter."""
    import shutil
    import tempfile
    from pathlib import Path

    d = Path(tempfile.mkdtemp(prefix="so-test-pg-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_without_a_keyring_the_owner_uses_peer_never_trust(pg_dir, caplog):
    """Headless Linux: the owner may connect only from the OS account running School Office."""
    import keyring
    from keyring.backends import fail

    from app.embedded.postgres import start_embedded_postgres

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with caplog.at_level("WARNING"):
            pg = start_embedded_postgres(pg_dir)
    finally:
        keyring.set_keyring(previous)
    try:
        hba = (pg.pgdata / "pg_hba.conf").read_text()
        rules = [line.split() for line in hba.splitlines() if line.strip() and not line.startswith("#")]
        assert rules and not any("trust" in rule for rule in rules), hba
        assert "local   all   postgres                  peer map=school_office_owner" in hba
        assert pg.owner_password is None
        assert "peer authentication" in caplog.text
        import os
        import pwd

        ident = (pg.pgdata / "pg_ident.conf").read_text()
        assert f"school_office_owner   {pwd.getpwuid(os.geteuid()).pw_name}   postgres" in ident
        # a staff-style password login as the owner is still refused: peer decides, not a password
        assert connects(make_url(pg.superuser_url))  # this OS account, by peer
        eng = create_engine(make_url(pg.superuser_url))
        with eng.connect() as c:
            c.execute(text("CREATE ROLE t_someone LOGIN PASSWORD 'a-long-password'"))
            c.commit()
        eng.dispose()
        assert not connects(make_url(pg.superuser_url).set(username="t_someone"))  # no password: refused
    finally:
        pg.server.cleanup()


def test_a_lost_keyring_entry_gets_the_owner_a_new_password_not_an_open_door(pg_dir):
    """The keyring forgot the owner's password (a new OS profile): the next start sets a new one
    (through a moment of peer authentication for this OS account) and the old one stops working."""
    import keyring

    from app.embedded.postgres import KEYRING_SERVICE, OWNER, start_embedded_postgres

    first = start_embedded_postgres(pg_dir)
    try:
        old = first.owner_password
        keyring.delete_password(KEYRING_SERVICE, f"{OWNER}@{first.pgdata}")
        second = start_embedded_postgres(pg_dir)
        assert second.owner_password and second.owner_password != old
        assert keyring.get_password(KEYRING_SERVICE, f"{OWNER}@{first.pgdata}") == second.owner_password
        url = make_url(second.superuser_url)
        assert connects(url)
        assert not connects(url.set(password=old))
        assert not connects(url._replace(password=None))
        assert (second.pgdata / "pg_hba.conf").read_text().count("peer") == 0  # back to passwords only
    finally:
        first.server.cleanup()
