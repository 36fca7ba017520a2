"""Starting up: servers reused by a second instance; bad configuration refused in one sentence,
with nothing already stored touched."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from app.bootstrap import start_platform
from app.config import load_settings
from app.db.migrate import check_revision_known
from app.embedded.dynamodb import start_embedded_dynamodb
from app.errors import UserError
from tests.conftest import free_port

pytestmark = pytest.mark.integration


def test_a_second_instance_reuses_the_running_servers(platform, settings):
    """Another process on the same data directory joins the running servers and, leaving, stops neither."""
    script = (
        "import json; from app.config import load_settings; from app.bootstrap import start_platform; "
        "from sqlalchemy import text\n"
        "p = start_platform(load_settings(), migrate=False)\n"
        "with p.engine.connect() as c: n = c.execute(text('SELECT count(*) FROM edfi.descriptor')).scalar()\n"
        "print(json.dumps({'endpoint': p.dynamo_status.endpoint, 'pid': p.embedded_dynamo.owner_pid,"
        " 'socket': p.embedded_pg.socket_dir, 'descriptors': n}))\n"
        "p.close()\n"
    )
    env = dict(os.environ, SCHOOL_OFFICE_DATA_DIR=str(settings.data_dir),
               SCHOOL_OFFICE_DYNAMODB_PORT=str(settings.dynamodb_port), HOME=str(settings.data_dir))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"endpoint": platform.dynamo_status.endpoint, "pid": platform.embedded_dynamo.owner_pid,
                    "socket": platform.embedded_pg.socket_dir, "descriptors": 3298}
    # both servers still serve the first instance after the second one left
    assert platform.dynamo_client.list_tables()["TableNames"]
    with platform.engine.connect() as c:
        assert c.execute(text("SELECT 1")).scalar() == 1


def test_an_unreachable_database_url_is_named(tmp_path):
    port = free_port()
    settings = load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path),
                              "DATABASE_URL": f"postgresql://clerk@127.0.0.1:{port}/office"})
    with pytest.raises(UserError) as err:
        start_platform(settings, start_dynamo=False)
    assert err.value.message == (f"Cannot reach the database server at 127.0.0.1:{port}/office; check that it is "
                                 "running and that DATABASE_URL is right, then start again.")


def test_a_database_name_that_does_not_exist_is_named(platform, tmp_path):
    url = platform.engine.url.set(database="no_such_school").render_as_string(hide_password=False)
    settings = load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path), "DATABASE_URL": url})
    with pytest.raises(UserError, match="The database no_such_school does not exist"):
        start_platform(settings, start_dynamo=False)


def test_a_database_at_an_unknown_revision_is_refused_and_left_alone(new_database):
    eng = new_database()
    with eng.begin() as c:
        c.execute(text("CREATE TABLE public.alembic_version (version_num varchar(32) PRIMARY KEY)"))
        c.execute(text("INSERT INTO public.alembic_version VALUES ('9f9f9f9f')"))
        c.execute(text("CREATE TABLE public.keep_me (x int)"))
        c.execute(text("INSERT INTO public.keep_me VALUES (1)"))
    from app.db.migrate import migrate

    with pytest.raises(UserError, match="schema revision 9f9f9f9f, which this version of School Office does not know"):
        migrate(eng)
    with pytest.raises(UserError):
        check_revision_known(eng)
    with eng.connect() as c:
        assert c.execute(text("SELECT version_num FROM public.alembic_version")).scalar() == "9f9f9f9f"
        assert c.execute(text("SELECT count(*) FROM public.keep_me")).scalar() == 1
        assert c.execute(text("SELECT to_regclass('edfi.student')")).scalar() is None


def test_a_dynamodb_port_already_taken_is_named(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        with pytest.raises(UserError, match=f"Port {port} is already taken by another program"):
            start_embedded_dynamodb(tmp_path, port, port_explicit=True)


def test_the_default_port_taken_moves_to_a_free_one(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        server = start_embedded_dynamodb(tmp_path, port, port_explicit=False)
        try:
            assert not server.endpoint.endswith(f":{port}")
        finally:
            server.release()


def test_without_java_the_app_starts_and_says_dynamodb_is_unavailable(platform, tmp_path, monkeypatch):
    import app.embedded.dynamodb as ddb

    monkeypatch.setattr(ddb.shutil, "which", lambda name: None)  # a workstation with no Java runtime
    url = platform.engine.url.render_as_string(hide_password=False)
    settings = load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path), "DATABASE_URL": url})
    p = start_platform(settings, migrate=False)
    try:
        assert not p.dynamo_status.available
        assert p.dynamo_status.describe() == ("DynamoDB: unavailable (no Java runtime (install Java 17 or newer)); "
                                              "records wait safely in the outbox")
        with p.engine.connect() as c:
            assert c.execute(text("SELECT 1")).scalar() == 1
    finally:
        p.close()
