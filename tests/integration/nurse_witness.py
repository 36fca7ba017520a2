"""A witness for the nurse tests: the demo front-office clerk of the elementary school signs each
count from her own session (health.sign_witness, migration 0035), as a second signer does at the desk."""

from __future__ import annotations

from decimal import Decimal

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
