"""A witness for the nurse tests: the demo front-office clerk of the elementary school signs each
count from her own session (health.sign_witness, migration 0035), as a second signer does at the desk;
and a second nurse's own sign-in for the tests that need one."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import create_engine, text

from app.security.demo_logins import DEMO_PASSWORD
from app.services.nurse.witness import Signer, sign, signer

WITNESS = "demo_front_office"


def witness_of(conn, login: str = WITNESS) -> Signer:
    """The second signer typed at the desk, for the nurse signed in on `conn`."""
    return signer(conn.engine.url, login, DEMO_PASSWORD)


def token_for(conn, kind: str, quantity, medication_id: int | None, login: str = WITNESS, **kw) -> str:
    """A token the witness signs for one count of the nurse signed in on `conn` (for psql-style inserts)."""
    return sign(conn.engine.url, login, DEMO_PASSWORD, kind=kind, quantity=Decimal(str(quantity)),
                medication_id=medication_id, **kw).token


@contextmanager
def staff_login(demo_engine, login: str, password: str, staffusi: int, roles: str = "so_nurse"):
    """A sign-in of its own for `staffusi` (made as the app makes one), yielding an engine connected
    as it; afterwards the staff member's old login id is put back and the sign-in dropped."""
    with demo_engine.connect() as c:
        old = c.execute(text("SELECT loginid FROM edfi.staff WHERE staffusi = :s"), {"s": staffusi}).scalar()
        c.execute(text(f"DROP ROLE IF EXISTS {login}"))
        c.execute(text("SELECT compliance.create_staff_login(:l, :p, :s, string_to_array(:r, ','))"),
                  {"l": login, "p": password, "s": staffusi, "r": roles})
        c.commit()
    eng = create_engine(demo_engine.url.set(username=login, password=password))
    try:
        yield eng
    finally:
        eng.dispose()
        with demo_engine.connect() as c:
            c.execute(text("UPDATE edfi.staff SET loginid = :o WHERE loginid = :l"), {"o": old, "l": login})
            c.execute(text("DELETE FROM compliance.staff_logins WHERE login = :l"), {"l": login})
            c.execute(text(f"DROP ROLE IF EXISTS {login}"))
            c.commit()
