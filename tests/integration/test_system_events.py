"""SystemEvents in DynamoDB Local (issue 8, item 21): refused sign-ins, sign-ins created, turned off
and on, migrations and dead letters each land there, found by their stream's PK; no password
ever does."""

from __future__ import annotations

import time
import uuid

import pytest
from boto3.dynamodb.types import TypeDeserializer
from sqlalchemy import text

from app.db.migrate import head_revision, migrate
from app.errors import UserError
from app.security.demo_logins import DEMO_PASSWORD
from app.security.logins import create_staff_login, disable_login, enable_login
from app.security.session import sign_in, verify_credentials
from app.sync import system_events
from app.sync.shipper import OutboxShipper

pytestmark = pytest.mark.integration

_des = TypeDeserializer()


def stream(dynamo, name: str) -> list[dict]:
    """Every event of a stream: a Query on its PK, as an operator's dashboard would read it."""
    out, kwargs = [], {}
    while True:
        page = dynamo.query(TableName="SystemEvents", KeyConditionExpression="PK = :pk",
                            ExpressionAttributeValues={":pk": {"S": f"STREAM#{name}"}}, **kwargs)
        out += [{k: _des.deserialize(v) for k, v in raw.items()} for raw in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def about(events: list[dict], login: str) -> list[dict]:
    return [e for e in events if e["Payload"].get("login") == login]


def ship_all(engine, dynamo) -> None:
    shipper = OutboxShipper(engine, lambda: dynamo)
    while shipper.ship_once(ignore_backoff=True).delivered:
        pass


def in_outbox(engine, sk: str) -> bool:
    with engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM sync.dynamo_outbox WHERE target_table = 'SystemEvents' "
                              "AND item->>'SK' = :sk"), {"sk": sk}).scalar() == 1


@pytest.fixture
def dynamodb_out_of_reach():
    """As on a workstation that cannot reach DynamoDB: events before sign-in can only be held."""
    previous = system_events.use_client(None)
    yield
    system_events.use_client(previous)


def test_a_refused_sign_in_goes_straight_to_dynamodb_when_it_is_reachable(demo_engine, dynamo):
    previous = system_events.use_client(lambda: dynamo)  # what app.bootstrap sets up
    try:
        ghost = f"t_ghost_{uuid.uuid4().hex[:6]}"
        with pytest.raises(UserError, match="not right"):
            sign_in(demo_engine.url, ghost, "Guess-Pa55word!", workstation="FRONT-DESK-1")
        deadline = time.monotonic() + 15
        while not about(stream(dynamo, "security"), ghost) and time.monotonic() < deadline:
            time.sleep(0.2)
        [event] = about(stream(dynamo, "security"), ghost)
        assert event["EventType"] == "sign_in.failed" and event["Payload"]["reason"] == "bad_credentials"
        assert about(system_events.pending(), ghost) == []
        assert "Guess-Pa55word!" not in str(event)
    finally:
        system_events.use_client(previous)


def test_a_refused_sign_in_is_held_then_written_by_the_next_sign_in(demo_engine, login_engine, dynamo,
                                                                   dynamodb_out_of_reach):
    ghost = f"t_ghost_{uuid.uuid4().hex[:6]}"
    with pytest.raises(UserError, match="not right"):
        sign_in(demo_engine.url, ghost, "Guess-Pa55word!", workstation="FRONT-DESK-2")
    held = about(system_events.pending(), ghost)
    assert len(held) == 1 and held[0]["Payload"]["reason"] == "bad_credentials"

    # nobody was signed in, so nothing could be written; the next person to sign in carries it
    _user, eng = sign_in(demo_engine.url, "demo_teacher", DEMO_PASSWORD)
    eng.dispose()
    assert about(system_events.pending(), ghost) == []
    assert in_outbox(demo_engine, held[0]["SK"])

    ship_all(demo_engine, dynamo)
    [event] = about(stream(dynamo, "security"), ghost)
    assert event["EventType"] == "sign_in.failed" and event["SK"] == held[0]["SK"]
    assert event["Payload"]["workstation"] == "FRONT-DESK-2" and event["Payload"]["where"] == "sign-in form"
    assert "Guess-Pa55word!" not in str(event)


def test_sign_ins_created_turned_off_and_on_are_recorded_with_who_did_it(demo_engine, login_engine, dynamo):
    name = f"t_ev_{uuid.uuid4().hex[:6]}"
    password = "Created-by-admin-77"
    admin = login_engine("demo_admin")
    with demo_engine.connect() as c:
        staff = c.execute(text("SELECT staffusi FROM edfi.staff ORDER BY staffusi DESC LIMIT 1")).scalar()
    with admin.begin() as c:
        create_staff_login(c, name, password, staff, ("so_teacher",))
    with admin.begin() as c:
        disable_login(c, name)
    with pytest.raises(UserError, match="turned off"):
        sign_in(demo_engine.url, name, password)
    with admin.begin() as c:
        enable_login(c, name)
    with pytest.raises(UserError):  # a change that fails leaves no event behind
        with admin.begin() as c:
            disable_login(c, name)
            raise UserError("the administrator cancelled")

    ship_all(demo_engine, dynamo)  # the shipper also puts the held sign-in failure straight to DynamoDB
    events = sorted(about(stream(dynamo, "security"), name), key=lambda e: e["SK"])
    assert [e["EventType"] for e in events] == ["login.created", "login.disabled", "sign_in.failed", "login.enabled"]
    assert events[2]["Payload"]["reason"] == "login_disabled"
    for e in events[:2] + events[3:]:
        assert e["Payload"]["by"] == "demo_admin"
    assert events[0]["Payload"]["groups"] == ["so_teacher"]
    assert password not in str(events)


def test_a_failed_unlock_is_recorded_and_a_good_one_carries_it(demo_engine, login_engine, dynamo,
                                                                    dynamodb_out_of_reach):
    with pytest.raises(UserError):
        verify_credentials(demo_engine.url, "demo_cashier", "not-the-password")
    held = [e for e in system_events.pending() if e["Payload"]["login"] == "demo_cashier"
            and e["Payload"]["where"] == "lock screen"]
    assert held
    assert verify_credentials(demo_engine.url, "demo_cashier", DEMO_PASSWORD) == ("so_cashier",)
    assert all(in_outbox(demo_engine, e["SK"]) for e in held)
    ship_all(demo_engine, dynamo)
    delivered = {e["SK"] for e in stream(dynamo, "security")}
    assert {e["SK"] for e in held} <= delivered


def test_held_events_go_straight_to_dynamodb_when_this_process_ships(engine, dynamo, dynamodb_out_of_reach):
    item = system_events.report_lock_out("t_direct_lock", failures=5, seconds=60, where="lock screen")
    OutboxShipper(engine, lambda: dynamo).ship_once()
    assert item not in system_events.pending()
    got = dynamo.get_item(TableName="SystemEvents", Key={"PK": {"S": item["PK"]}, "SK": {"S": item["SK"]}})["Item"]
    assert got["EventType"] == {"S": "sign_in.locked_out"}
    assert got["Payload"]["M"]["lockedSeconds"] == {"N": "60"}
    # "every lock-out since this morning", across streams, through EventTypeTimestampIndex
    since = item["Timestamp"][:10] + "T00:00:00.000Z"
    page = dynamo.query(TableName="SystemEvents", IndexName="EventTypeTimestampIndex",
                        KeyConditionExpression="EventType = :t AND #ts >= :since",
                        ExpressionAttributeNames={"#ts": "Timestamp"},
                        ExpressionAttributeValues={":t": {"S": "sign_in.locked_out"}, ":since": {"S": since}})
    assert item["SK"] in {i["SK"]["S"] for i in page["Items"]}


def test_a_migration_is_recorded_once(new_database, dynamo):
    eng = new_database()
    migrate(eng)
    migrate(eng)  # nothing to do: no second event
    with eng.connect() as c:
        rows = c.execute(text("SELECT item FROM sync.dynamo_outbox WHERE item->>'EventType' = 'schema.migrated'")).all()
    assert len(rows) == 1
    ship_all(eng, dynamo)
    mine = [e for e in stream(dynamo, "schema") if e["Payload"].get("database") == eng.url.database]
    assert len(mine) == 1
    assert mine[0]["Payload"]["from"] is None and mine[0]["Payload"]["to"] == head_revision()


def test_no_password_ever_reaches_an_event():
    # people type their password into the name field; keys that look like secrets are dropped
    for typed in ("Tr0ub4dor&3", "Summer2026", "correct horse battery"):
        failed = system_events.report_sign_in_failure(typed, "bad_credentials")
        assert failed["Payload"]["login"] == "(not a sign-in name)"
    assert system_events.report_sign_in_failure(" jsmith ", "bad_credentials")["Payload"]["login"] == "jsmith"
    item = system_events.make_event("login.created", {"login": "t_x", "password": "s3cret-one",
                                                     "details": {"newPassword": "s3cret-two", "ok": 1}},
                                    stream=system_events.SECURITY)
    assert "s3cret" not in str(item) and item["Payload"] == {"login": "t_x", "details": {"ok": 1}}


def test_events_still_held_when_the_app_closes_go_into_the_outbox(settings, engine, dynamodb_out_of_reach):
    from app.bootstrap import start_platform

    platform = start_platform(settings, migrate=False, start_dynamo=False)  # e.g. the single-machine app
    item = system_events.report_sign_in_failure("t_before_closing", "bad_credentials")
    platform.close()
    assert item not in system_events.pending()
    assert in_outbox(engine, item["SK"])


def test_a_password_typed_into_the_name_field_is_not_recorded(engine, dynamodb_out_of_reach):
    with pytest.raises(UserError):
        sign_in(engine.url, "Autumn-Leaves-2026", "Autumn-Leaves-2026")
    with pytest.raises(UserError):
        verify_credentials(engine.url, "Autumn-Leaves-2026", "x")
    held = [e for e in system_events.pending() if e["EventType"] == "sign_in.failed"][-2:]
    assert [e["Payload"]["login"] for e in held] == ["(not a sign-in name)"] * 2
    assert "autumn" not in str(held).lower()
