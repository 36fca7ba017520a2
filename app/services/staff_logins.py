"""The Administration desk's list of staff sign-ins (logins that belong to a School Office role)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class LoginRow:
    login: str
    staff_name: str | None
    staff_unique_id: str | None
    roles: tuple[str, ...]
    can_sign_in: bool


def list_staff_logins(conn: Connection) -> list[LoginRow]:
    rows = conn.execute(text("""
        SELECT r.rolname, st.firstname || ' ' || st.lastsurname, st.staffuniqueid,
               ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                     WHERE m.member = r.oid AND g.rolname LIKE 'so\\_%' ORDER BY 1),
               r.rolcanlogin
        FROM pg_roles r LEFT JOIN edfi.staff st ON st.loginid = r.rolname
        WHERE EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                      WHERE m.member = r.oid AND g.rolname LIKE 'so\\_%')
        ORDER BY r.rolname"""))
    return [LoginRow(r[0], r[1], r[2], tuple(r[3]), r[4]) for r in rows]
