"""Recording views of sensitive student records (health, discipline, special education).

Every view writes an audit entry through compliance.log_record_view (who, which student, which
record type, when, the stated reason). The first view of a student in a sign-in session asks for
the legitimate educational interest; later views in that session reuse it.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from app.errors import UserError

SENSITIVE = {"health", "discipline", "specialed"}


def log_view(conn: Connection, student_usi: int, record_type: str, justification: str) -> None:
    if record_type not in SENSITIVE:
        raise ValueError(f"{record_type} is not a sensitive record type")
    reason = (justification or "").strip()
    if not reason:
        raise UserError("Say in a few words why you need this record (the legitimate educational interest).")
    conn.execute(text("SELECT compliance.log_record_view(CAST(:u AS integer), CAST(:t AS text), CAST(:j AS text))"),
                 {"u": student_usi, "t": record_type, "j": reason[:500]})


def log_views(conn: Connection, student_usis, record_type: str, reason: str) -> int:
    """A list or printout showing several students' records: one view entry per student, in one call."""
    if record_type not in SENSITIVE:
        raise ValueError(f"{record_type} is not a sensitive record type")
    usis = sorted({int(u) for u in student_usis if u is not None})
    if not usis:
        return 0
    return conn.execute(text("SELECT compliance.log_record_views(CAST(:u AS integer[]), CAST(:t AS text), "
                             "CAST(:j AS text))"), {"u": usis, "t": record_type, "j": reason.strip()[:500]}).scalar()


class ViewJustifications:
    """The reasons given in one sign-in session, per student (kept in memory only)."""

    def __init__(self) -> None:
        self._reasons: dict[int, str] = {}

    def reason_for(self, student_usi: int) -> str | None:
        return self._reasons.get(student_usi)

    def remember(self, student_usi: int, reason: str) -> None:
        self._reasons[student_usi] = reason.strip()
