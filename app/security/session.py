"""Signing in: each staff member connects to PostgreSQL with their own login.

`sign_in` opens an engine with the staff member's credentials (so the database's grants,
row-level security and audit triggers apply to everything they do), learns who they are through
compliance.whoami(), tags every connection with the app user, workstation and session for the
audit trail, and records the session in DynamoDB's UserSessions table through the outbox.

A session ends for good, whatever the pool holds: after SESSION_HOURS its engine hands out no
connection, and when an administrator turns the login off (which ends its server sessions) the
next use says so in one sentence. `watch_session` lets the window hear of either at once.
"""

from __future__ import annotations

import logging
import socket
import uuid
import weakref
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import NullPool
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from app.errors import UserError
from app.sync import system_events
from app.sync.outbox import enqueue, iso_utc

log = logging.getLogger(__name__)

SESSION_HOURS = 12
TURNED_OFF = "This sign-in is turned off; ask an administrator to turn it on again."
EXPIRED = f"Your sign-in ended after {SESSION_HOURS} hours; sign in again to go on."

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class SessionEnded(UserError):
    """The session is over (turned off or expired); `reason` is 'turned_off' or 'expired'."""

    def __init__(self, reason: str) -> None:
        super().__init__(TURNED_OFF if reason == "turned_off" else EXPIRED)
        self.reason = reason


@dataclass
class _Guard:
    expires_at: datetime
    clock: Clock
    listeners: list[Callable[[str], None]] = field(default_factory=list)
    ended: str | None = None

    def end(self, reason: str) -> SessionEnded:
        first = self.ended is None
        self.ended = self.ended or reason
        if first:
            for listener in list(self.listeners):
                try:
                    listener(reason)
                except Exception:
                    log.exception("a session-ended listener failed")
        return SessionEnded(self.ended)


_guards: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def watch_session(engine: Engine, listener: Callable[[str], None]) -> None:
    """Call listener(reason) once, from whichever thread notices, when the session of this
    engine ends ('turned_off' or 'expired'). An engine not made by sign_in has no session to watch."""
    guard = _guards.get(engine)
    if guard is not None:
        guard.listeners.append(listener)


def session_ended(engine: Engine) -> str | None:
    guard = _guards.get(engine)
    if guard is None:
        return None
    if guard.ended is None and guard.clock() >= guard.expires_at:
        guard.end("expired")
    return guard.ended


@dataclass(frozen=True)
class SignedIn:
    login: str
    session_id: str
    workstation: str
    staff_usi: int | None
    staff_unique_id: str | None
    display_name: str
    groups: tuple[str, ...]
    school_ids: tuple[int, ...]
    expires_at: datetime

    def has(self, *groups: str) -> bool:
        return any(g in self.groups for g in groups)


def ping(engine: Engine) -> None:
    """The window's regular look at its pooled connection (every 5 s). It ends its read with COMMIT,
    not ROLLBACK: psycopg forgets every statement it prepared on a connection at a rollback
    (DEALLOCATE ALL), so a rolled-back ping would make the desk's next roster save plan its two big
    statements again, about 5 ms of server time on top of the save."""
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))


def _user_url(base: URL, login: str, password: str) -> URL:
    return base.set(username=login, password=password)


def describe_sign_in_error(exc: OperationalError) -> str:
    raw = str(getattr(exc, "orig", exc)).lower()
    if "is not permitted to log in" in raw:
        return "This sign-in is turned off; ask an administrator to turn it on again."
    if "password authentication failed" in raw or "no password supplied" in raw or "does not exist" in raw:
        return "The sign-in name or the password is not right; check them and try again."
    return "The database could not be reached to sign you in; check the network and try again."


def _password_expired(lookup: Engine | None, login: str) -> bool:
    """PostgreSQL reports an expired password as a plain authentication failure; pg_roles (readable
    by everyone) tells whether the login's password has passed its VALID UNTIL date."""
    if lookup is None:
        return False
    try:
        with lookup.connect() as conn:
            return bool(conn.execute(text("SELECT rolvaliduntil < now() FROM pg_roles WHERE rolname = :l"),
                                     {"l": login}).scalar())
    except Exception:
        return False


def _login_turned_off(engine: Engine) -> bool:
    """After the server ended a connection: does a fresh one say the login is turned off?"""
    import psycopg

    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    try:
        psycopg.connect(*cargs, **cparams).close()
    except psycopg.Error as exc:
        return "is not permitted to log in" in str(exc).lower()
    return False


def _guard_engine(engine: Engine, guard: _Guard) -> None:
    _guards[engine] = guard

    @event.listens_for(engine, "checkout")
    def refuse_when_ended(_dbapi_conn, _record, _proxy):  # the pool keeps connections: refuse them
        if guard.ended is None and guard.clock() >= guard.expires_at:
            raise guard.end("expired")
        if guard.ended is not None:
            raise SessionEnded(guard.ended)

    @event.listens_for(engine, "handle_error")
    def explain_end(ctx):
        raw = str(ctx.original_exception).lower()
        if "is not permitted to log in" in raw:
            raise guard.end("turned_off") from ctx.original_exception
        if "terminating connection due to administrator command" in raw and _login_turned_off(engine):
            raise guard.end("turned_off") from ctx.original_exception
        return None


def sign_in(base_url: URL, login: str, password: str, *, workstation: str | None = None,
            now: datetime | None = None, lookup: Engine | None = None, clock: Clock | None = None,
            check: Callable[[object], None] | None = None) -> tuple[SignedIn, Engine]:
    """lookup: an engine the app already holds (the owner's, embedded only), used only to explain
    a failure. clock: the wall clock the session's expiry is measured on (tests replace it).
    check(conn): run as the user before anything else (the schema revision, in server mode)."""
    typed, login = login, login.strip().lower()  # events keep what was typed (see typed_login)
    if not login or not password:
        raise UserError("Type your sign-in name and your password.")
    clock = clock or utc_now
    session_id = str(uuid.uuid4())
    workstation = workstation or socket.gethostname()
    # hide_parameters: error text must never carry bound values (a new password) into the log
    engine = create_engine(_user_url(base_url, login, password), pool_pre_ping=True, pool_size=4, max_overflow=4,
                           hide_parameters=True,
                           connect_args={"connect_timeout": 5, "application_name": "school-office"})
    try:
        with engine.connect() as conn:
            if check is not None:
                check(conn)
            me = conn.execute(text("SELECT * FROM compliance.whoami()")).one()
    except OperationalError as exc:
        engine.dispose()
        if "password authentication failed" in str(exc.orig).lower() and _password_expired(lookup, login):
            system_events.report_refused_sign_in(exc, typed, workstation=workstation, expired=True)
            raise UserError("Your password has expired; ask an administrator to set a new one.") from exc
        system_events.report_refused_sign_in(exc, typed, workstation=workstation)
        raise UserError(describe_sign_in_error(exc)) from exc
    except BaseException:
        engine.dispose()
        raise
    if not me.groups:
        engine.dispose()
        system_events.report_sign_in_failure(typed, "no_role", workstation=workstation)
        raise UserError("This sign-in has no School Office role yet; ask an administrator to give it one.")

    @event.listens_for(engine, "connect")
    def tag_connection(dbapi_conn, _record):  # every pooled connection carries who and where, for the audit trail
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT set_config('school_office.app_user', %s, false), "
                        "set_config('school_office.workstation', %s, false), "
                        "set_config('school_office.session_id', %s, false)",
                        (me.staff_unique_id or login, workstation, session_id))
        dbapi_conn.commit()

    engine.dispose()  # drop the untagged connection used for whoami()
    started = now or clock()
    expires = started + timedelta(hours=SESSION_HOURS)
    _guard_engine(engine, _Guard(expires, clock))
    user = SignedIn(login, session_id, workstation, me.staff_usi, me.staff_unique_id,
                    f"{me.first_name} {me.last_name}" if me.first_name else login, tuple(me.groups),
                    tuple(me.school_ids or ()), expires)
    with engine.begin() as conn:
        enqueue(conn, "UserSessions", {
            "SessionId": session_id, "UserId": login, "StaffUniqueId": me.staff_unique_id,
            "Workstation": workstation, "Groups": list(me.groups), "StartedAt": iso_utc(started),
            "ExpirationTime": int(expires.timestamp()),
        })
    system_events.flush_pending(engine)  # failed sign-ins and lock-outs held until someone signed in
    return user, engine


def end_session(engine: Engine, user: SignedIn, now: datetime | None = None) -> None:
    """Sign-out: overwrite the session's item with an expiry of now (same key, so it replaces it)."""
    ended = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        enqueue(conn, "UserSessions", {
            "SessionId": user.session_id, "UserId": user.login, "StaffUniqueId": user.staff_unique_id,
            "Workstation": user.workstation, "Groups": list(user.groups), "EndedAt": iso_utc(ended),
            "ExpirationTime": int(ended.timestamp()),
        })


def verify_credentials(base_url: URL, login: str, password: str) -> tuple[str, ...]:
    """Check a login and password by connecting once; returns the login's School Office roles.
    Used to unlock a kiosk and to leave kiosk mode (administrator credentials)."""
    with connect_once(base_url, login, password, where="lock screen") as (conn, engine):
        groups = tuple(conn.execute(text("SELECT groups FROM compliance.whoami()")).scalar() or ())
    if groups:
        system_events.flush_pending(engine)  # e.g. the failed unlocks before this one
    return groups


@contextmanager
def connect_once(base_url: URL, login: str, password: str, *, where: str):
    """A short connection of its own for someone else at this desk (a kiosk unlock, a witness signing
    a count): yields (connection, engine) in a transaction committed at the end; a refused sign-in is
    reported as a system event and raised as one sentence."""
    typed, login = login, login.strip().lower()  # events keep what was typed (see typed_login)
    if not login or not password:
        raise UserError("Type the sign-in name and the password.")
    engine = create_engine(_user_url(base_url, login, password), poolclass=NullPool, hide_parameters=True,
                           connect_args={"connect_timeout": 5, "application_name": "school-office"})
    try:
        try:
            conn = engine.connect()
        except OperationalError as exc:
            system_events.report_refused_sign_in(exc, typed, where=where)
            raise UserError(describe_sign_in_error(exc)) from exc
        with conn, conn.begin():
            yield conn, engine
    finally:
        engine.dispose()
