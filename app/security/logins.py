"""Staff logins: each staff member signs in with their own PostgreSQL login.

A login is a PostgreSQL role with LOGIN and a password, member of one or more School Office group
roles (so_teacher, so_nurse, ...), and linked to its edfi.staff record through Staff.LoginId; the
staff member's schools come from edfi.StaffSchoolAssociation. Row-level security and grants in
the database (migration 0002) then decide what the login may read and change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from app.errors import UserError
from app.sync import system_events

GROUP_ROLES = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
               "so_transportation", "so_registrar", "so_admin", "so_cafeteria_manager")
_LOGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")


@dataclass(frozen=True)
class StaffLogin:
    login: str
    staff_usi: int
    groups: tuple[str, ...]


def create_staff_login(conn: Connection, login: str, password: str, staff_usi: int,
                       groups: tuple[str, ...]) -> StaffLogin:
    """Create (or update) `login`, link it to the staff record and grant its group roles.

    Runs compliance.create_staff_login, which only School Office administrators may call and
    which never touches a login outside the School Office roles."""
    if not _LOGIN_NAME.match(login) or login.startswith(("so_", "pg_")):
        raise UserError(f"The sign-in name {login!r} is not valid; use 3 to 63 lower-case letters, digits or _, "
                        "starting with a letter.")
    _check_password(password)
    unknown = [g for g in groups if g not in GROUP_ROLES]
    if unknown or not groups:
        raise UserError(f"Choose at least one School Office role ({', '.join(GROUP_ROLES)}); "
                        f"{', '.join(unknown) or 'none'} is not one.")
    if conn.execute(text("SELECT 1 FROM edfi.staff WHERE staffusi = :u"), {"u": staff_usi}).first() is None:
        raise UserError("That staff member does not exist; pick the staff record from the list.")
    conn.execute(text("SELECT compliance.create_staff_login(CAST(:l AS text), CAST(:p AS text), CAST(:u AS integer), "
                      "CAST(:g AS text[]))"),
                 {"l": login, "p": password, "u": staff_usi, "g": list(groups)})
    _security_event(conn, system_events.LOGIN_CREATED, {"login": login, "staffUsi": staff_usi, "groups": list(groups)})
    return StaffLogin(login, staff_usi, tuple(groups))


def link_staff_to_schools(conn: Connection, staff_usi: int, school_ids: tuple[int, ...], school_year: int) -> None:
    """The schools a staff member works at (edfi.StaffSchoolAssociation): row-level security follows
    them, so no role writes that table directly; administrators go through the audited
    compliance.assign_staff_schools."""
    conn.execute(text("SELECT compliance.assign_staff_schools(CAST(:u AS integer), CAST(:s AS bigint[]), "
                      "CAST(:y AS smallint))"), {"u": staff_usi, "s": list(school_ids), "y": school_year})


def staff_choices(conn: Connection) -> list[tuple[int, str]]:
    """Staff members for the Administration desk's picker: (StaffUSI, 'Last, First (S00012)')."""
    return [(r[0], f"{r[1]}, {r[2]} ({r[3]})") for r in conn.execute(text(
        "SELECT staffusi, lastsurname, firstname, staffuniqueid FROM edfi.staff ORDER BY lastsurname, firstname"))]


def school_choices(conn: Connection) -> list[tuple[int, str]]:
    return [tuple(r) for r in conn.execute(text(
        "SELECT s.schoolid, eo.nameofinstitution FROM edfi.school s JOIN edfi.educationorganization eo "
        "ON eo.educationorganizationid = s.schoolid ORDER BY 2"))]


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise UserError("The password is too short; use at least 10 characters.")


def reset_password(conn: Connection, login: str, password: str) -> None:
    _check_password(password)
    conn.execute(text("SELECT compliance.set_login_password(CAST(:l AS text), CAST(:p AS text))"),
                 {"l": login, "p": password})


def disable_login(conn: Connection, login: str) -> None:
    conn.execute(text("SELECT compliance.set_login_enabled(CAST(:l AS text), false)"), {"l": login})
    _security_event(conn, system_events.LOGIN_DISABLED, {"login": login})


def enable_login(conn: Connection, login: str) -> None:
    conn.execute(text("SELECT compliance.set_login_enabled(CAST(:l AS text), true)"), {"l": login})
    _security_event(conn, system_events.LOGIN_ENABLED, {"login": login})


def _security_event(conn: Connection, event_type: str, payload: dict) -> None:
    """SystemEvents, through the outbox in the same transaction: no event for a change that failed."""
    by, staff = conn.execute(text("SELECT session_user, nullif(current_setting('school_office.app_user', true), '')")).one()
    system_events.record(conn, event_type, {**payload, "by": by, "byStaff": staff})
