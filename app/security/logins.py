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

GROUP_ROLES = ("so_front_office", "so_teacher", "so_dean", "so_nurse", "so_cashier", "so_librarian",
               "so_transportation", "so_registrar", "so_admin")
_LOGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")


@dataclass(frozen=True)
class StaffLogin:
    login: str
    staff_usi: int
    groups: tuple[str, ...]


def _quote_ident(conn: Connection, name: str) -> str:
    return conn.execute(text("SELECT quote_ident(:n)"), {"n": name}).scalar_one()


def _quote_literal(conn: Connection, value: str) -> str:
    return conn.execute(text("SELECT quote_literal(:v)"), {"v": value}).scalar_one()


def create_staff_login(conn: Connection, login: str, password: str, staff_usi: int, groups: tuple[str, ...],
                       *, create_roles: bool = False) -> StaffLogin:
    """Create (or update) `login`, link it to the staff record and grant its group roles."""
    if not _LOGIN_NAME.match(login):
        raise UserError(f"The sign-in name {login!r} is not valid; use 3 to 63 lower-case letters, digits or _, "
                        "starting with a letter.")
    if len(password) < 10:
        raise UserError("The password is too short; use at least 10 characters.")
    unknown = [g for g in groups if g not in GROUP_ROLES]
    if unknown or not groups:
        raise UserError(f"Choose at least one School Office role ({', '.join(GROUP_ROLES)}); "
                        f"{', '.join(unknown) or 'none'} is not one.")
    if conn.execute(text("SELECT 1 FROM edfi.staff WHERE staffusi = :u"), {"u": staff_usi}).first() is None:
        raise UserError("That staff member does not exist; pick the staff record from the list.")
    ident, pw = _quote_ident(conn, login), _quote_literal(conn, password)
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": login}).first() is not None
    verb = "ALTER" if exists else "CREATE"
    attrs = "LOGIN" + (" CREATEROLE" if create_roles else "")
    conn.execute(text(f"{verb} ROLE {ident} {attrs} PASSWORD {pw}"))
    for g in groups:
        conn.execute(text(f"GRANT {g} TO {ident}" + (" WITH ADMIN OPTION" if create_roles else "")))
    conn.execute(text("UPDATE edfi.staff SET loginid = NULL WHERE loginid = :l AND staffusi <> :u"),
                 {"l": login, "u": staff_usi})
    conn.execute(text("UPDATE edfi.staff SET loginid = :l, lastmodifieddate = (now() AT TIME ZONE 'utc') "
                      "WHERE staffusi = :u"), {"l": login, "u": staff_usi})
    return StaffLogin(login, staff_usi, tuple(groups))


def reset_password(conn: Connection, login: str, password: str) -> None:
    if len(password) < 10:
        raise UserError("The password is too short; use at least 10 characters.")
    conn.execute(text(f"ALTER ROLE {_quote_ident(conn, login)} PASSWORD {_quote_literal(conn, password)}"))


def disable_login(conn: Connection, login: str) -> None:
    conn.execute(text(f"ALTER ROLE {_quote_ident(conn, login)} NOLOGIN"))
