"""The driver packet, the substitute's version, the emergency list and the coordinator's lists,
built as the demo transportation coordinator from the demo district, rendered to PDF and read back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from app.services.transport import lists, riders
from reports import transport_lists, transport_packet
from tests.conftest import DEMO_AS_OF
from tests.reports.test_printouts import pdf_text

pytestmark = pytest.mark.integration
PRINTED = date(2026, 11, 20)


def flat(s: str) -> str:
    return " ".join(s.split())


@pytest.fixture(scope="module")
def coordinator(login_engine):
    return login_engine("demo_transportation")


@pytest.fixture(scope="module")
def busiest(coordinator):
    """The run with the most riders that Friday that also carries a kindergartner and an allergy."""
    with coordinator.connect() as c:
        run = c.execute(text(
            "SELECT l.run_id FROM transportation.rider_legs l JOIN transportation.runs u ON u.run_id = l.run_id "
            "WHERE l.day_of_week = 5 AND u.run_kind = 'AM' AND EXISTS (SELECT 1 FROM transportation.rider_legs k "
            "JOIN health.student_alert_flags f ON f.student_usi = k.student_usi WHERE k.run_id = l.run_id) "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar()
        return lists.run_roster(c, run, DEMO_AS_OF)


def test_the_driver_packet_lists_stops_riders_flags_and_an_alphabetical_roster(busiest, demo_engine):
    pages, body = pdf_text(transport_packet.build_packet(busiest, today=PRINTED))
    body = flat(body)
    s = busiest.run.summary
    assert f"Driver packet — {s.name}" in body and "Page 1 of" in body and pages >= 2
    for stop in busiest.run.stops:
        assert f"{stop.sequence}. {stop.name}" in body
    for r in busiest.riders:
        assert r.name in body
    assert "Alphabetical roster" in body and "Turn notes" not in body
    alerted = [r for r in busiest.riders if r.alerts]
    assert alerted and "ALERT:" in body and alerted[0].alerts.split(";")[0] in body
    for plan in busiest.action_plans:  # the emergency action plans of its riders, from the nurse's office
        assert "Emergency action plans" in body and flat(plan.condition) in body and flat(plan.actions)[:60] in body
    # the alphabetical roster is in alphabetical order
    roster_part = body[body.index("Alphabetical roster"):]
    positions = [roster_part.index(r.name) for r in busiest.alphabetical]
    assert positions == sorted(positions)
    # allergy reactions and treatment plans are health notes: never on a driver's page
    with demo_engine.connect() as c:
        notes = c.execute(text("SELECT reaction, treatment_plan FROM health.allergies WHERE student_usi = ANY(:u) "
                               "AND (reaction IS NOT NULL OR treatment_plan IS NOT NULL)"),
                          {"u": [r.student_usi for r in busiest.riders]}).all()
    for reaction, plan in notes:
        for note in (reaction, plan):
            if note and len(note) > 12:
                assert flat(note) not in body


def test_the_substitute_packet_has_turn_notes_at_each_stop(busiest):
    _pages, body = pdf_text(transport_packet.build_packet(busiest, substitute=True, today=PRINTED))
    body = flat(body)
    noted = [s for s in busiest.run.stops if s.turn_notes]
    assert noted and body.count("Turn notes:") == len(noted) and flat(noted[0].turn_notes) in body
    assert "Substitute driver's packet" in body


def test_kindergartners_are_flagged_release_to_adult_in_the_packet(coordinator):
    with coordinator.connect() as c:
        run = c.execute(text(
            "SELECT l.run_id FROM transportation.rider_legs l JOIN transportation.student_transportation st "
            "ON st.assignment_id = l.assignment_id WHERE st.release_to_adult AND l.day_of_week = 5 LIMIT 1")).scalar()
        roster = lists.run_roster(c, run, DEMO_AS_OF)
    flagged = [r for r in roster.riders if r.release_to_adult]
    _pages, body = pdf_text(transport_packet.build_packet(roster, today=PRINTED))
    # once at the stop and once in the alphabetical roster
    assert flat(body).count("RELEASE TO DESIGNATED ADULT ONLY") == 2 * len(flagged)


def test_the_emergency_list_includes_the_days_temporary_changes(login_engine):
    with login_engine("demo_transportation").connect() as c:
        tx = c.begin()
        try:
            usi, own, other, stop = c.execute(text(
                "SELECT l.student_usi, l.run_id, o.run_id, (SELECT rs.stop_id FROM transportation.run_stops rs "
                "WHERE rs.run_id = o.run_id ORDER BY rs.stop_sequence LIMIT 1) "
                "FROM transportation.rider_legs l JOIN transportation.runs u ON u.run_id = l.run_id "
                "JOIN transportation.run_schools s ON s.run_id = l.run_id "
                "JOIN transportation.run_schools os ON os.school_id = s.school_id AND os.run_id <> l.run_id "
                "JOIN transportation.runs o ON o.run_id = os.run_id AND o.direction = u.direction AND o.run_kind = 'PM' "
                "WHERE u.run_kind = 'PM' AND l.day_of_week = 5 AND NOT EXISTS (SELECT 1 FROM "
                "transportation.temporary_changes t WHERE t.student_usi = l.student_usi) LIMIT 1")).one()
            riders.add_temporary_change(c, usi, DEMO_AS_OF, DEMO_AS_OF, "from_school", other, stop,
                                        "Going to the dentist with Aunt Rosa", confirm_overload=True)
            name = c.execute(text("SELECT lastsurname || ', ' || firstname FROM edfi.student WHERE studentusi = :u"),
                             {"u": usi}).scalar()
            _p, on_other = pdf_text(transport_packet.build_emergency_list(lists.run_roster(c, other, DEMO_AS_OF)))
            _p, on_own = pdf_text(transport_packet.build_emergency_list(lists.run_roster(c, own, DEMO_AS_OF)))
            _p, monday = pdf_text(transport_packet.build_emergency_list(
                lists.run_roster(c, other, DEMO_AS_OF + timedelta(days=3))))
        finally:
            tx.rollback()
    assert "Who is on this bus" in on_other and name in flat(on_other)
    assert "On this bus today only: Going to the dentist with Aunt Rosa" in flat(on_other)
    own_body = flat(on_own)
    assert "Not on the bus today" in own_body and "Going to the dentist with Aunt Rosa" in own_body
    assert name not in flat(monday)


def test_the_coordinators_lists_print(coordinator):
    with coordinator.connect() as c:
        counts = lists.rider_counts(c, DEMO_AS_OF)
        need = riders.needing_assignment(c, DEMO_AS_OF)
        empty = lists.stops_without_riders(c, DEMO_AS_OF)
        idle = lists.riders_not_riding(c, 5, DEMO_AS_OF)
    pages, body = pdf_text(transport_lists.build_lists(DEMO_AS_OF, counts, need, empty, idle, 5, today=PRINTED))
    body = flat(body)
    assert "Rider counts by run, school and grade" in body and counts[0].run in body
    assert f"Eligible students with no assignment ({len(need)})" in body and need and need[0].name in body
    assert f"Riders who have not ridden in 5 days ({len(idle)})" in body and idle[0].name in body


def test_a_riders_photo_on_file_prints_in_the_packet(login_engine, demo_engine, busiest, tmp_path):
    from io import BytesIO

    from PIL import Image
    from pypdf import PdfReader

    rider = busiest.riders[0]
    photo = tmp_path / "photo.png"
    Image.new("RGB", (90, 110), (40, 90, 160)).save(photo)
    with demo_engine.begin() as c:
        c.execute(text("UPDATE edfi.student SET metadata = jsonb_build_object('photoUrl', CAST(:p AS text)) "
                       "WHERE studentusi = :u"), {"p": f"file://{photo}", "u": rider.student_usi})
    try:
        with login_engine("demo_transportation").connect() as c:
            roster = lists.run_roster(c, busiest.run.summary.run_id, DEMO_AS_OF)
        with_photo = [r for r in roster.riders if r.photo]
        assert [r.student_usi for r in with_photo] == [rider.student_usi] and with_photo[0].photo == photo.read_bytes()
        reader = PdfReader(BytesIO(transport_packet.build_packet(roster, today=PRINTED)))
        images = sum(len(p.images) for p in reader.pages)
        assert images == 1  # the one photo on file; everyone else prints as initials
    finally:
        with demo_engine.begin() as c:
            c.execute(text("UPDATE edfi.student SET metadata = NULL WHERE studentusi = :u"), {"u": rider.student_usi})
