"""The Transportation desk as the demo coordinator: runs with their loads, the run editor and its
schematic, bad input in one sentence, an overload asked about (No keeps it unsaved), the parent's
"which bus?" call, and the lists."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD, create_demo_logins
from app.security.session import sign_in
from app.services.transport import riders
from tests.conftest import DEMO_AS_OF
from ui.screens.desk_context import DeskContext
from ui.screens.transportation.page import build_page

pytestmark = pytest.mark.ui


@pytest.fixture
def page(qtbot, demo_engine, run_until):
    create_demo_logins(demo_engine)
    user, eng = sign_in(demo_engine.url, "demo_transportation", DEMO_PASSWORD)
    p = build_page(DeskContext(engine=lambda: eng, user=lambda: user, today=lambda: DEMO_AS_OF))
    qtbot.addWidget(p)
    p.resize(1280, 760)
    p.show()
    p.activate()
    run_until(lambda: p._loaded and p.detail is not None)
    yield p
    eng.dispose()


def test_runs_show_their_load_and_a_run_opens_with_its_stops_and_schematic(page, run_until, tmp_path):
    runs = page.runs_model.rows
    assert len(runs) >= 40 and "overloaded" in page.run_message.text()
    over = next(i for i, r in enumerate(runs) if r.overloaded)
    assert page.runs_model.cell(runs[over], page.runs_model.COL_LOAD).startswith("OVERLOADED: ")
    page.runs_view.selectRow(over)
    run_until(lambda: page.detail.summary.run_id == runs[over].run_id)
    assert "OVERLOADED" in page.run_title.text()
    assert page.stops_model.rowCount() == len(page.detail.stops) > 3
    stops, schools = page.schematic.points()
    assert len(stops) == len(page.detail.stops) and schools
    assert all(0 <= pt.x() <= page.schematic.width() and 0 <= pt.y() <= page.schematic.height()
               for _n, pt in stops + schools)
    assert page.schematic.accessibleDescription().startswith(page.detail.summary.name)
    page.grab().save(str(tmp_path / "transportation.png"))


def test_a_latitude_out_of_range_is_refused_in_one_sentence(page, run_async, demo_engine):
    page.stop_choice.setCurrentIndex(0)
    page.stop_name.setText("Moon Base & Main St")
    page.stop_lat.setText("123.5")
    page.stop_lon.setText("-97.74")
    assert run_async(page.add_stop()) is False
    assert page.run_message.text() == "Latitude 123.5 is out of range; a latitude is between -90 and 90."
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM transportation.bus_stops WHERE stop_name LIKE 'Moon Base%'")
                         ).scalar() == 0


def test_an_overload_is_asked_about_and_no_saves_nothing(page, run_async, demo_engine):
    tab = page.riders_tab
    over = next(r for r in page.runs_model.rows if r.overloaded and r.direction == "to_school")
    school = next(c for c in tab.choices if c.run_id == over.run_id).school_ids[0]
    student = next(s for s in run_async(_needing(page)) if s.school_id == school)
    tab.show_student(student, ())
    tab.am_run.setCurrentIndex(tab.am_run.findData(over.run_id))
    tab.pm_run.clear()  # mornings only: the usual week is the overloaded run to school
    tab.fill_week()
    asked = []
    tab.confirm = lambda warnings: asked.append(warnings) or False
    assert run_async(tab.assign()) is False
    assert asked and asked[0][0].startswith(f"{over.name} on Monday would be overloaded")
    assert tab.message.text().startswith("Not saved: ")
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM transportation.student_transportation WHERE student_usi = :u"),
                         {"u": student.student_usi}).scalar() == 0


async def _needing(page):
    from app.services.transport import riders
    from ui.ops import run_op

    return await run_op(page.ctx.run_in(lambda c: riders.needing_assignment(c, DEMO_AS_OF)))


def test_which_bus_answers_a_parents_call(page, run_async, demo_engine):
    with demo_engine.connect() as c:
        uid = c.execute(text("SELECT s.studentuniqueid FROM transportation.rider_legs l JOIN edfi.student s "
                             "ON s.studentusi = l.student_usi WHERE l.day_of_week = 5 ORDER BY 1 LIMIT 1")).scalar()
    page.which_find.setText(uid)
    assert run_async(page.which_bus()) is True
    rows = [page.which_model.cell(r, page.which_model.COL_RUN) for r in page.which_model.rows]
    assert any(r.startswith("Route ") for r in rows)
    assert page.which_model.cell(page.which_model.rows[0], page.which_model.COL_BUS)


def test_the_lists_show_counts_and_riders_who_have_not_ridden(page, run_async):
    page.idle_days.setText("zero")
    assert run_async(page.show_lists()) is False
    assert page.lists_message.text() == "\"zero\" is not a number of days; enter a number such as 5."
    page.idle_days.setText("5")
    assert run_async(page.show_lists()) is True
    assert page.counts_model.rowCount() > 5 and page.idle_model.rowCount() >= 1


def test_a_needed_students_week_is_planned_day_by_day_and_a_parents_change_saved(page, run_async, demo_engine, tmp_path):
    tab = page.riders_tab
    assert run_async(tab.load_needs()) is True and tab.needs_model.rowCount() > 0
    row = next(i for i, s in enumerate(tab.needs_model.rows) if s.am_stop_id and s.pm_stop_id)
    student = tab.needs_model.rows[row]
    tab.needs_view.selectRow(row)
    tab.pick_needed()
    assert student.name in tab.about.text() and len(tab.week.legs()) == 10 and page.unsaved_work() is None
    week = tab.week.rows
    # Monday morning on another run of the school (when there is one), Wednesday afternoon to
    # grandma's, no bus home on Friday; the rider needs a car seat
    mon_am_run, mon_am_stop, _ = week[1, "to_school"]
    other = next((i for i in range(1, mon_am_run.count()) if mon_am_run.itemData(i) != student.am_run_id), None)
    if other is not None:
        mon_am_run.setCurrentIndex(other)
        mon_am_run.activated.emit(other)
    wed_address = week[3, "from_school"][2]
    wed_address.setText("Grandma's, 12 Elm St")
    wed_address.textEdited.emit("Grandma's, 12 Elm St")
    fri_pm_run = week[5, "from_school"][0]
    fri_pm_run.setCurrentIndex(0)
    fri_pm_run.activated.emit(0)
    # Saturday mornings too (a weekend program): the weekend rows show when asked for
    assert not week[6, "to_school"][0].isVisibleTo(tab.week)
    tab.week.weekend.click()
    sat_am_run = week[6, "to_school"][0]
    assert sat_am_run.isVisibleTo(tab.week)
    sat_am_run.setCurrentIndex(sat_am_run.findData(student.am_run_id))
    sat_am_run.activated.emit(sat_am_run.currentIndex())
    tab.needs["harness"].click()  # the parent's own need, besides any IEP's
    assert page.unsaved_work() == f"The bus plan of {student.name}, not assigned yet"
    page.tabs.setCurrentWidget(tab)
    page.grab().save(str(tmp_path / "transportation-riders.png"))
    tab.find.setText("someone else")
    assert run_async(tab.find_student()) is False  # the week being edited is not thrown away
    assert tab.message.text() == f"Assign {student.name}'s plan first, or press Clear to drop the changes."
    tab.confirm = lambda warnings: True  # a near-full run may ask; the coordinator says yes
    try:
        # a bus without the harness is refused, even with Yes to every question (review of #13, defect 6)
        assert run_async(tab.assign()) is False
        assert tab.message.text().startswith("The bus of ") and "has no harness, which this rider needs; choose a " \
            "run whose bus has it." in tab.message.text() and page.unsaved_work()
        tab.needs["harness"].click()
        assert run_async(tab.assign()) is True, tab.message.text()
        assert tab.message.text().startswith(f"Assigned {student.name} from ") and page.unsaved_work() is None
        assert student.student_usi not in {s.student_usi for s in tab.needs_model.rows}
        tab.tc_direction.setCurrentText("both ways")
        tab.tc_run.setCurrentIndex(0)  # not riding
        tab.tc_note.setText("Family trip, back Monday")
        assert run_async(tab.save_change()) is True, tab.message.text()
        with demo_engine.connect() as c:
            legs = c.execute(text("SELECT day_of_week, direction, run_id, alternate_address FROM "
                                  "transportation.rider_legs WHERE student_usi = :u ORDER BY 1, 2"),
                             {"u": student.student_usi}).all()
            needs = c.execute(text("SELECT equipment_needed FROM transportation.student_transportation "
                                   "WHERE student_usi = :u"), {"u": student.student_usi}).scalar()
            note = c.execute(text("SELECT parent_note FROM transportation.temporary_changes WHERE student_usi = :u"),
                             {"u": student.student_usi}).scalar()
        assert len(legs) == 10 and (5, "from_school") not in {(d, w) for d, w, _r, _a in legs}
        assert (6, "to_school", student.am_run_id) in {(d, w, r) for d, w, r, _a in legs}
        assert [(d, w, a) for d, w, _r, a in legs if a] == [(3, "from_school", "Grandma's, 12 Elm St")]
        mon_am = next(r for d, w, r, _a in legs if (d, w) == (1, "to_school"))
        assert mon_am == (mon_am_run.itemData(other) if other is not None else student.am_run_id)
        assert needs == [] and note == "Family trip, back Monday"
        # found again, the plan on file fills the week
        tab.find.setText(student.student_id)
        assert run_async(tab.find_student()) is True
        assert tab.week.legs() == tuple(sorted(tab.week.legs(), key=lambda g: (g.day_of_week, g.direction != "to_school")))
        assert {(g.day_of_week, g.direction, g.alternate_address) for g in tab.week.legs() if g.alternate_address} == {
            (3, "from_school", "Grandma's, 12 Elm St")} and not tab.needs["harness"].isChecked()
        # the Saturday ride is shown again and kept on a re-save (never dropped as "no ride")
        assert tab.week.weekend.isChecked() and week[6, "to_school"][0].isVisibleTo(tab.week)
        assert (6, "to_school", student.am_run_id) in {(g.day_of_week, g.direction, g.run_id) for g in tab.week.legs()}
        # a ride on a run no longer offered for the school shows as such, not as "(no ride)"
        gone = next(c for c in tab.choices if c.direction == "to_school" and student.school_id not in c.school_ids)
        legs_now = tab.week.legs()
        tab.week.load(tuple(g if (g.day_of_week, g.direction) != (2, "to_school") else
                            riders.Leg(2, "to_school", gone.run_id, gone.stops[0][0]) for g in legs_now))
        tue_am = week[2, "to_school"][0]
        assert tue_am.currentText() == f"{gone.name} (not offered for this school)"
        assert tab.week.problems() == (f"Tuesday to school is on {gone.name}, which is not offered for this school; "
                                       "pick another run or no ride before saving.")
        assert (2, "to_school", gone.run_id) in {(g.day_of_week, g.direction, g.run_id) for g in tab.week.legs()}
        tab.week.load(legs_now)
        assert tab.week.problems() == "" and "not offered" not in tue_am.currentText()
    finally:
        with demo_engine.begin() as c:  # the shared demo district as it was
            c.execute(text("DELETE FROM transportation.temporary_changes WHERE student_usi = :u"),
                      {"u": student.student_usi})
            c.execute(text("DELETE FROM transportation.student_transportation WHERE student_usi = :u"),
                      {"u": student.student_usi})


def test_the_desks_printouts_build_the_packets_and_the_lists(page):
    from tests.reports.test_printouts import pdf_text

    name = page.detail.summary.name
    for printout, title in ((page._printout(False), f"Driver packet — {name}"),
                            (page._printout(True), f"Substitute driver's packet — {name}"),
                            (page._who_printout(), f"Who is on this bus — {name}"),
                            (page._lists_printout(), "Transportation lists")):
        assert printout.kind in ("transport_packet", "transport_lists") and printout.file_name.endswith(".pdf")
        assert title in pdf_text(printout.build())[1]


def test_the_set_up_tab_creates_a_route_once_and_guards_unsaved_typing(page, run_async, demo_engine, tmp_path):
    tab = page.setup_tab
    page.tabs.setCurrentWidget(tab)
    assert tab.routes_model.rowCount() >= 20 and tab.buses_model.rowCount() >= 20 and tab.bells_model.rowCount() > 0
    tab.new_route()
    tab.route_number.setText("Route 88")
    tab.route_number.textEdited.emit("Route 88")  # as typing does
    tab.run_kinds["Midday"].click()
    assert page.unsaved_work() == "Set-up changes not saved: the route form"
    try:
        assert run_async(tab.save_route()) is True, tab.message.text()
        assert run_async(tab.save_route()) is True  # Enter pressed twice: the same route, not a second
        with demo_engine.connect() as c:
            runs = c.execute(text("SELECT u.run_kind FROM transportation.runs u JOIN transportation.bus_routes r "
                                  "USING (route_id) WHERE r.route_number = 'Route 88' ORDER BY 1")).scalars().all()
        assert runs == ["AM", "Midday", "PM"] and page.unsaved_work() is None
        tab.sections.setCurrentIndex(0)
        page.grab().save(str(tmp_path / "transportation-setup.png"))
        # retiring asks first; No (the default) keeps the route
        asked = []
        tab.confirm = lambda title, text_: asked.append(title) or False
        assert run_async(tab.retire_route()) is False and asked == ["Retire the route?"]
        assert tab.message.text() == "Route 88 was not retired."
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM transportation.runs WHERE route_id IN (SELECT route_id FROM "
                           "transportation.bus_routes WHERE route_number = 'Route 88')"))
            c.execute(text("DELETE FROM transportation.bus_routes WHERE route_number = 'Route 88'"))


def test_set_up_bad_input_is_one_sentence_and_discarding_restores_the_form(page, run_async, demo_engine):
    tab = page.setup_tab
    tab.sections.setCurrentIndex(1)
    tab.new_bus()
    tab.bus_number.setText("B-77")
    tab.bus_seats.setText("many")
    tab.bus_seats.textEdited.emit("many")
    assert run_async(tab.save_bus()) is False
    assert tab.message.text() == "Bench seats \"many\" is not a whole number; enter digits only, e.g. 24."
    assert page.unsaved_work() == "Set-up changes not saved: the bus form"
    page.discard_unsaved()
    assert page.unsaved_work() is None and tab.bus_number.text() == ""
    tab.sections.setCurrentIndex(4)
    speed = tab.set_speed.text()
    tab.set_speed.setText("95")
    tab.set_speed.textEdited.emit("95")
    assert run_async(tab.save_settings()) is False
    assert tab.message.text() == "The bus speed 95 is out of range; enter miles per hour from 1 to 70."
    with demo_engine.connect() as c:
        assert f"{float(c.execute(text('SELECT speed_mph FROM transportation.settings')).scalar()):g}" == speed
    page.discard_unsaved()
    assert tab.set_speed.text() == speed
    zone_fields = (tab.zone_name, tab.zone_lat, tab.zone_lon, tab.zone_radius, tab.zone_school)
    assert all(w.accessibleName() for w in zone_fields + tuple(tab.bus_equipment.values()))


def test_each_set_up_section_has_its_own_alt_key(page):
    """Review of #13, defect 7: "&Buses" and "Schools and &bell times" both answered Alt+B."""
    tabs = page.setup_tab.sections
    keys = [tabs.tabText(i).lower().split("&", 1)[1][0] for i in range(tabs.count())]
    assert len(keys) == tabs.count() and len(set(keys)) == len(keys), keys
