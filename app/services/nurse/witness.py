"""The second signer of a controlled-substance count or a supply counted in: someone other than the
nurse, who signs with their own sign-in name and password (checked by connecting as them)."""

from __future__ import annotations

from sqlalchemy import Connection, URL

from app.errors import UserError
from app.services.nurse.common import staff_name


def second_signer(conn: Connection, url: URL, login: str, password: str) -> str:
    """'Name (login)' of a second signer whose password checks out, or the sentence saying why not."""
    from app.security.session import verify_credentials

    who = (login or "").strip().lower()
    if not who:
        raise UserError("A count needs a second signer: they type their own sign-in name and password.")
    if who == (url.username or "").lower():
        raise UserError("The second signer must be someone other than you; they sign in with their own name.")
    verify_credentials(url, who, password)
    return f"{staff_name(conn, who)} ({who})"
