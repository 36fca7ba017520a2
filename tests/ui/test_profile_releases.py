"""The transcript release log (FERPA 34 CFR 99.32) on the shared student profile panel: the registrar
sees who asked, the recipient, the legal basis, the date, the document number and its hash; logins
the database does not let read the log (a dean, a librarian of the same school) see nothing of it."""

from __future__ import annotations

import os
from datetime import date

import pytest
from PySide6.QtWidgets import QLabel
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD
from app.services.grades import transcripts
from tests.ui.test_sign_in_form import logins, type_and_sign_in, window  # noqa: F401 (fixtures)

pytestmark = pytest.mark.ui
RHS = 255950003
RECIPIENT = "Admissions, Lone Star University"


@pytest.fixture(scope="module")
def released(demo_engine):
    """An official transcript issued and released by the registrar (committed), removed afterwards."""
    from app.security.demo_logins import create_demo_logins
    from app.security.session import sign_in

    create_demo_logins(demo_engine)
    _user, registrar = sign_in(demo_engine.url, "demo_registrar", DEMO_PASSWORD)
    with demo_engine.connect() as c:
        usi = c.execute(text("SELECT t.studentusi FROM edfi.coursetranscript t JOIN edfi.studentschoolassociation a "
                             "USING (studentusi) WHERE a.schoolid = :s AND a.exitwithdrawdate IS NULL "
                             "ORDER BY 1 LIMIT 1"), {"s": RHS}).scalar()
    try:
        with registrar.begin() as c:
            issued = transcripts.issue_transcript(c, usi, RHS, True, date(2026, 11, 20))
            transcripts.record_release(c, transcripts.Release(usi, issued.document_number, "The student (signed form)",
                                                              RECIPIENT, "Written consent", date(2026, 11, 20)))
    finally:
        registrar.dispose()
    yield usi, issued
    with demo_engine.begin() as c:
        c.execute(text("DELETE FROM grades.transcript_release WHERE document_number = :n"), {"n": issued.document_number})
        c.execute(text("DELETE FROM grades.issued_document WHERE document_number = :n"), {"n": issued.document_number})


def panel_text(panel) -> str:
    return "\n".join(label.text() for label in panel.findChildren(QLabel) if label.isVisibleTo(panel))


def test_the_registrar_sees_the_release_log_on_the_students_profile(window, qtbot, run_async, released):
    usi, issued = released
    assert type_and_sign_in(qtbot, window, "demo_registrar", DEMO_PASSWORD, run_async)
    assert run_async(window.open_profile(usi))
    panel = window.profile_panel
    assert panel.releases_title.isVisibleTo(panel) and panel.releases.isVisibleTo(panel)
    log = panel.releases.text()
    assert log.startswith(f"11/20/2026 · official {issued.document_number} to {RECIPIENT} (Written consent)")
    assert "asked by The student (signed form)" in log and "released by demo_registrar" in log
    assert f"SHA-256 {issued.sha256[:12]}" in log
    assert panel.releases.accessibleName() == "Transcript releases, newest first"
    folder = os.environ.get("GRADES_PNG_DIR")
    if folder:  # to look at
        window.resize(1280, 720)
        window.grab().save(os.path.join(folder, "profile_release_log.png"))


@pytest.mark.parametrize("login", ["demo_dean", "demo_librarian"])
def test_logins_that_may_not_read_the_log_see_nothing_of_it(window, qtbot, run_async, released, login):
    usi, issued = released
    assert type_and_sign_in(qtbot, window, login, DEMO_PASSWORD, run_async)
    assert run_async(window.open_profile(usi))  # the same student, of their own school
    panel = window.profile_panel
    shown = panel_text(panel)
    assert panel.name.text() and "Transcript releases" not in shown
    assert issued.document_number not in shown and RECIPIENT not in shown and "No transcript" not in shown
    assert window.profile.transcript_releases is None
