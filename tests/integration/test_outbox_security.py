"""The DynamoDB outbox as a curious staff member with psql would try it (issue 8, item 8): every
School Office role may add records, none may read, change or delete what waits; counts come from
sync.outbox_summary(); only the owner or a member of so_shipper delivers."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from app.security.demo_logins import DEMO_LOGINS
from app.sync.outbox import enqueue, outbox_summary, student_activity_item
from app.sync.shipper import OutboxShipper

pytestmark = pytest.mark.integration

LOGINS = sorted(DEMO_LOGINS)


def refused(engine, sql: str, params: dict | None = None) -> bool:
    with engine.connect() as c:
        try:
            c.execute(text(sql), params or {})
        except ProgrammingError as exc:
            return "permission denied" in str(exc.orig)
        finally:
            c.rollback()
    return False


def discipline_item(student: str = "604821") -> dict:
    return student_activity_item(student, f"INC-{uuid.uuid4().hex[:8]}", datetime.now(timezone.utc),
                                 "discipline.recorded", {"behaviors": ["Fighting"], "role": "Perpetrator"})


@pytest.fixture(scope="module")
def waiting_record(demo_engine):
    """A discipline record waiting for DynamoDB, put there by the dean's desk (here: the owner)."""
    item = discipline_item()
    with demo_engine.begin() as c:
        enqueue(c, "StudentActivityLogs", item)
    yield item
    with demo_engine.begin() as c:
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->>'SK' = :sk"), {"sk": item["SK"]})


@pytest.mark.parametrize("login", LOGINS)
def test_no_role_reads_changes_or_deletes_what_waits(login_engine, waiting_record, login):
    eng = login_engine(login)
    assert refused(eng, "SELECT item FROM sync.dynamo_outbox")
    assert refused(eng, "SELECT count(*) FROM sync.dynamo_outbox")
    assert refused(eng, "UPDATE sync.dynamo_outbox SET next_attempt_at = now() + interval '10 years'")
    assert refused(eng, "DELETE FROM sync.dynamo_outbox")
    assert refused(eng, "TRUNCATE sync.dynamo_outbox")
    # an INSERT ... RETURNING would read the table back
    assert refused(eng, "INSERT INTO sync.dynamo_outbox (target_table, item) VALUES ('SystemEvents', "
                        "'{\"PK\": \"STREAM#x\", \"SK\": \"EVENT#x\"}') RETURNING item")
    # a record may not be born set aside or with a forged date: those columns are the shipper's
    assert refused(eng, "INSERT INTO sync.dynamo_outbox (target_table, item, dead_lettered_at) VALUES "
                        "('SystemEvents', '{\"PK\": \"STREAM#x\", \"SK\": \"EVENT#x\"}', now())")


def sign_in_failure_item(note: str) -> dict:
    """What every workstation queues (as whoever signs in next) after a failed sign-in."""
    from app.sync.outbox import system_event_item

    return system_event_item("security", f"T{uuid.uuid4().hex[:8]}", datetime.now(timezone.utc),
                             "sign_in.failed", {"login": "someone", "note": note})


@pytest.mark.parametrize("login", LOGINS)
def test_every_role_adds_records_and_sees_only_counts(login_engine, demo_engine, waiting_record, login):
    eng = login_engine(login)
    mine, again = sign_in_failure_item(login), sign_in_failure_item(login)
    before = outbox_summary(demo_engine).waiting
    with eng.begin() as c:
        enqueue(c, "SystemEvents", mine)  # what every service does as the signed-in user
        # the attendance save writes its records in a CTE with RETURNING 1 (no column read back)
        c.execute(text("WITH o AS (INSERT INTO sync.dynamo_outbox (target_table, item) "
                       "SELECT 'SystemEvents', CAST(:i AS jsonb) RETURNING 1) SELECT count(*) FROM o"),
                  {"i": json.dumps(again)})
        summary = outbox_summary(c)
    assert summary.waiting >= before + 2
    assert summary.oldest_waiting_seconds is not None and summary.oldest_waiting_seconds >= 0
    with demo_engine.begin() as c:  # the owner finds both, then tidies up
        assert c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->'Payload'->>'note' = :n"),
                         {"n": login}).rowcount == 2


def test_a_cashier_cannot_read_the_discipline_record_waiting(login_engine, waiting_record):
    cashier = login_engine("demo_cashier")
    with cashier.connect() as c:
        with pytest.raises(ProgrammingError, match="permission denied"):
            c.execute(text("SELECT item->'Details'->'behaviors' FROM sync.dynamo_outbox "
                           "WHERE item->>'ActivityType' = 'discipline.recorded'"))
        c.rollback()
        row = c.execute(text("SELECT * FROM sync.outbox_summary()")).mappings().one()
    assert set(row) == {"waiting", "dead_lettered", "oldest_waiting_seconds"}  # counts, nothing to read
    assert row["waiting"] >= 1


def test_a_record_without_a_usable_key_is_refused_at_the_door(login_engine):
    teacher = login_engine("demo_teacher")
    for table, item in (("StudentActivityLogs", '{"SK": "ACTIVITY#x"}'), ("StudentActivityLogs", '{"PK": 7, "SK": "x"}'),
                        ("UserSessions", '{"UserId": "demo_teacher"}'), ("NoSuchTable", '{"PK": "a", "SK": "b"}')):
        with teacher.connect() as c:
            with pytest.raises(IntegrityError, match="ck_dynamo_outbox_item_key"):
                c.execute(text("INSERT INTO sync.dynamo_outbox (target_table, item) VALUES (:t, CAST(:i AS jsonb))"),
                          {"t": table, "i": item})


def test_outbox_summary_is_a_locked_down_security_definer(demo_engine):
    with demo_engine.connect() as c:
        secdef, config, public_exec = c.execute(text(
            "SELECT p.prosecdef, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE') "
            "FROM pg_proc p WHERE p.oid = 'sync.outbox_summary()'::regprocedure")).one()
    assert secdef and config == ["search_path=pg_catalog, pg_temp"] and not public_exec


@pytest.fixture
def outsider(demo_engine):
    """A login on the same server that is no School Office role, and one that is a shipper."""
    made = []

    def make(*groups: str):
        name = f"t_{uuid.uuid4().hex[:8]}"
        with demo_engine.begin() as c:
            c.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD 'outsider-pass-123'"))
            for g in groups:
                c.execute(text(f"GRANT {g} TO {name}"))
        eng = create_engine(demo_engine.url.set(username=name, password="outsider-pass-123"))
        made.append((name, eng))
        return eng

    yield make
    for name, eng in made:
        eng.dispose()
        with demo_engine.begin() as c:
            c.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA sync FROM {name}"))
            c.execute(text(f"DROP OWNED BY {name}"))
            c.execute(text(f"DROP ROLE {name}"))


def test_a_login_outside_school_office_gets_not_even_the_counts(outsider):
    eng = outsider()
    assert refused(eng, "SELECT * FROM sync.outbox_summary()")
    assert refused(eng, "INSERT INTO sync.dynamo_outbox (target_table, item) VALUES ('SystemEvents', "
                        "'{\"PK\": \"STREAM#x\", \"SK\": \"EVENT#x\"}')")


def test_a_member_of_so_shipper_delivers_the_outbox(outsider, demo_engine, dynamo):
    item = discipline_item(f"T{uuid.uuid4().hex[:6]}")
    with demo_engine.begin() as c:
        enqueue(c, "StudentActivityLogs", item)
    shipper_login = outsider("so_shipper")
    assert refused(shipper_login, "SELECT count(*) FROM edfi.student")  # it ships; it reads no student data
    shipper = OutboxShipper(shipper_login, lambda: dynamo)
    while shipper.ship_once(ignore_backoff=True).delivered:
        pass
    got = dynamo.get_item(TableName="StudentActivityLogs", Key={"PK": {"S": item["PK"]}, "SK": {"S": item["SK"]}})
    assert got["Item"]["ActivityType"] == {"S": "discipline.recorded"}
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM sync.dynamo_outbox WHERE item->>'PK' = :pk"),
                         {"pk": item["PK"]}).scalar() == 0


def test_school_office_admin_ship_and_status_run_as_a_so_shipper_login(outsider, demo_engine, dynamo, settings,
                                                                        monkeypatch, capsys):
    """The server deployment: a dedicated login in so_shipper, not the schema owner, runs the commands."""
    from app.cli import main

    item = discipline_item(f"T{uuid.uuid4().hex[:6]}")
    with demo_engine.begin() as c:
        enqueue(c, "StudentActivityLogs", item)
    shipper_url = outsider("so_shipper").url.render_as_string(hide_password=False)
    for key, value in {"SCHOOL_OFFICE_DATA_DIR": str(settings.data_dir), "HOME": str(settings.data_dir),
                       "SCHOOL_OFFICE_DYNAMODB_PORT": str(settings.dynamodb_port), "DATABASE_URL": shipper_url}.items():
        monkeypatch.setenv(key, value)
    assert main(["ship"]) == 0
    assert "Delivered " in capsys.readouterr().out
    got = dynamo.get_item(TableName="StudentActivityLogs", Key={"PK": {"S": item["PK"]}, "SK": {"S": item["SK"]}})
    assert "Item" in got
    assert main(["status"]) == 0
    assert "DynamoDB outbox: 0 records waiting" in capsys.readouterr().out


def test_a_staff_login_running_ship_is_told_what_login_it_needs(login_engine, demo_engine, settings, monkeypatch,
                                                                capsys):
    from app.cli import main
    from app.security.demo_logins import DEMO_PASSWORD

    staff_url = demo_engine.url.set(username="demo_registrar", password=DEMO_PASSWORD)
    for key, value in {"SCHOOL_OFFICE_DATA_DIR": str(settings.data_dir), "HOME": str(settings.data_dir),
                       "SCHOOL_OFFICE_DYNAMODB_PORT": str(settings.dynamodb_port),
                       "DATABASE_URL": staff_url.render_as_string(hide_password=False)}.items():
        monkeypatch.setenv(key, value)
    assert main(["ship"]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "run the command as the schema owner or as a login that is a member of so_shipper.")


def test_a_staff_login_cannot_run_the_shipper(login_engine):
    shipper = OutboxShipper(login_engine("demo_admin"), lambda: None)
    with pytest.raises(ProgrammingError, match="permission denied"):
        shipper.ship_once(ignore_backoff=True)


def test_migration_0008_downgrades_and_upgrades_again(new_database):
    from alembic import command

    from app.db.migrate import alembic_config

    eng = new_database()
    # up to 0008 only: later migrations (the append-only ledger of 0020) refuse to be undone
    with eng.begin() as c:
        command.upgrade(alembic_config(c), "0008")

    def state():
        with eng.connect() as c:
            return c.execute(text(
                "SELECT has_table_privilege('so_cashier', 'sync.dynamo_outbox', 'SELECT'), "
                "has_column_privilege('so_cashier', 'sync.dynamo_outbox', 'item', 'INSERT'), "
                "to_regprocedure('sync.outbox_summary()') IS NOT NULL, "
                "EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'sync' "
                "AND table_name = 'dynamo_outbox' AND column_name = 'dead_lettered_at')")).one()

    assert tuple(state()) == (False, True, True, True)
    with eng.begin() as c:
        command.downgrade(alembic_config(c), "0007")
    assert tuple(state()) == (True, True, False, False)  # as migration 0002 left it
    with eng.begin() as c:
        command.upgrade(alembic_config(c), "0008")
    assert tuple(state()) == (False, True, True, True)


def test_reading_back_ones_own_transaction_shows_nothing_else(login_engine, demo_engine, waiting_record):
    """sync.items_of_this_transaction() (0009) lets an action check what it queued: only that."""
    cashier = login_engine("demo_cashier")
    mine = sign_in_failure_item("mine")
    with cashier.connect() as c:
        assert c.execute(text("SELECT count(*) FROM sync.items_of_this_transaction()")).scalar() == 0
        enqueue(c, "SystemEvents", mine)
        rows = c.execute(text("SELECT item FROM sync.items_of_this_transaction()")).scalars().all()
        assert rows == [mine]  # not the dean's discipline record waiting beside it
        c.rollback()
    committed = sign_in_failure_item("committed")
    with cashier.connect() as c:  # a later transaction sees nothing of the earlier ones
        enqueue(c, "SystemEvents", committed)
        c.commit()
        assert c.execute(text("SELECT count(*) FROM sync.items_of_this_transaction()")).scalar() == 0
    with demo_engine.begin() as c:
        c.execute(text("DELETE FROM sync.dynamo_outbox WHERE item->>'SK' = :sk"), {"sk": committed["SK"]})
