"""Repeat-proof submits: every create action carries a client-generated request id.

The form makes a UUID when it is opened or cleared; the service stores it as the new record's
Ed-Fi Id (unique, migration 0007). Calls with the same id wait for each other on an advisory lock,
so a repeated submit (a double click, Enter pressed twice) finds the record the first one made
instead of making another.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, text

from app.errors import UserError


def canonical_request_id(request_id: str | None) -> str | None:
    """The request id in its canonical form (None when there is none); a malformed one is refused."""
    if request_id is None:
        return None
    try:
        return str(uuid.UUID(str(request_id)))
    except ValueError:
        raise UserError("The form's request id is not valid; clear the form and start it again.") from None


def lock_request(conn: Connection, request_id: str | None) -> str | None:
    """The request id in its canonical form, held for this transaction; None when there is none."""
    rid = canonical_request_id(request_id)
    if rid is None:
        return None
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:r, 0))"), {"r": rid})
    return rid
