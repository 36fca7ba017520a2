"""The witness (second signer) of a controlled-substance count: another staff member, who signs in
at the desk with their own sign-in name and password. Their own short connection writes a witness
token bound to the one count they witness (health.sign_witness, migration 0035): the counting
nurse's sign-in, the order, the kind of entry and the quantity, valid ten minutes, used once. The
nurse's count entry cites it; the database refuses a count without a valid token of someone else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from sqlalchemy import URL, text
from sqlalchemy.exc import DBAPIError

from app.errors import UserError


@dataclass(frozen=True)
class Witness:
    token: str
    name: str  # "First Last (login)"


# signer(kind=, quantity=, medication_id=, student_usi=, school_id=) -> Witness
Signer = Callable[..., Witness]

_REFUSALS = {
    "own staff record": "The second signer's sign-in is not linked to a staff record, so they cannot witness; "
                        "ask another staff member.",
    "someone other": "The second signer must be someone other than you; they sign in with their own name.",
    "serves the school": "The second signer does not work at the school where the medication is kept; ask a "
                         "staff member of that school.",
}


def sign(url: URL, login: str, password: str, *, kind: str, quantity: Decimal, medication_id: int | None = None,
         student_usi: int | None = None, school_id: int | None = None, medication_label: str | None = None) -> Witness:
    """The witness signs the count from their own session; `url` is the counting nurse's (for_login). For
    the supply of a new order (no medication_id yet) the token names the medication the witness was shown."""
    from app.security.session import connect_once

    who = (login or "").strip().lower()
    if not who or not password:
        raise UserError("A count needs a second signer: they type their own sign-in name and password.")
    if who == (url.username or "").lower():
        raise UserError("The second signer must be someone other than you; they sign in with their own name.")
    try:
        with connect_once(url, who, password, where="witness of a controlled-substance count") as (conn, _):
            token = conn.execute(text("SELECT health.sign_witness(:k, :q, :f, :m, :u, :s, :label)"), {
                "k": kind, "q": quantity, "f": url.username, "m": medication_id, "u": student_usi,
                "s": school_id, "label": medication_label}).scalar()
            name = conn.execute(text("SELECT firstname || ' ' || lastsurname FROM edfi.staff "
                                     "WHERE staffusi = compliance.my_staff_usi()")).scalar()
    except DBAPIError as exc:
        raw = str(exc.orig)
        for key, sentence in _REFUSALS.items():
            if key in raw:
                raise UserError(sentence) from exc
        if "permission denied" in raw:
            raise UserError("That sign-in may not witness a count; ask a staff member of the school.") from exc
        raise
    return Witness(str(token), f"{name or who} ({who})")


def signer(url: URL, login: str, password: str) -> Signer:
    """The witness typed at the desk, signing when the count is known."""
    return partial(sign, url, login, password)
