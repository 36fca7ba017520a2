"""The IEP's bus needs, recorded on the Nurse desk by the Elementary nurse: find a student with an
IEP, tick what the bus must offer, save; the row is filed under the IEP, a repeat changes nothing,
and leaving with ticks not saved is asked about."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ui.screens.desk_context import DeskContext
from ui.screens.nurse.page import build_page

pytestmark = pytest.mark.ui


def test_the_nurse_records_an_ieps_bus_needs_from_her_desk(qtbot, signed_in, run_async, demo_engine, tmp_path):
    from tests.conftest import DEMO_AS_OF

    user, eng = signed_in("demo_nurse")
    page = build_page(DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF))
    qtbot.addWidget(page)
    page.resize(1280, 760)
    page.show()
    tab = page.bus_needs
    page.tabs.setCurrentWidget(tab)
    with demo_engine.connect() as c:
        iep, usi, uid = c.execute(text(
            "SELECT i.iep_id, i.student_usi, s.studentuniqueid FROM specialed.iep i JOIN edfi.student s "
            "ON s.studentusi = i.student_usi WHERE i.school_id = 255950001 AND NOT EXISTS (SELECT 1 FROM "
            "transportation.iep_transport t WHERE t.iep_id = i.iep_id) ORDER BY 1 LIMIT 1")).one()
    assert run_async(tab.save()) is False and tab.message.text() == "Pick one of the student's IEPs in the list first."
    tab.find.setText(uid)
    assert run_async(tab.find_student()) is True
    assert tab.model.row(0).iep_id == iep and tab.model.cell(tab.model.row(0), tab.model.COL_TRANSPORT) == (
        "no transport recorded")
    tab.equipment["harness"].click()
    tab.door.click()
    assert page.unsaved_work() and "IEP bus needs of" in page.unsaved_work()
    tab.ask_overload = lambda warnings: True  # a full run may ask; the nurse says yes
    try:
        # the student already rides a bus without a harness: refused in one sentence, nothing saved
        assert run_async(tab.save()) is False
        assert tab.message.text().startswith("The bus of ") and tab.message.text().endswith(
            "has no harness, which this rider needs; the transportation coordinator moves the rider to a bus with it "
            "first.") and page.unsaved_work()
        with demo_engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM transportation.iep_transport WHERE iep_id = :i"),
                             {"i": iep}).scalar() == 0
        tab.equipment["harness"].click()
        assert run_async(tab.save()) is True, tab.message.text()
        assert run_async(tab.save()) is True  # saved twice: still one row
        with demo_engine.connect() as c:
            assert c.execute(text("SELECT student_usi, equipment, door_to_door FROM transportation.iep_transport "
                                  "WHERE iep_id = :i"), {"i": iep}).all() == [(usi, [], True)]
        assert tab.model.cell(tab.model.row(0), tab.model.COL_TRANSPORT) == "door to door"
        assert page.unsaved_work() is None
        page.grab().save(str(tmp_path / "nurse-iep-bus-needs.png"))
        tab.confirm = lambda title, text_: False  # No, the default, keeps the needs
        assert run_async(tab.remove()) is False
        assert all(w.accessibleName() for w in (tab.find, tab.view, tab.wheelchair, tab.aide, tab.door,
                                                *tab.equipment.values()))
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM transportation.iep_transport WHERE iep_id = :i"), {"i": iep})
