"""The Set-up tab: routes and their runs, buses, the schools each run serves with bell times, hazard
zones and the district's settings. Each section is a list and a form beside it; a form remembers
what was typed and not saved (the desk asks before it is lost), a new route, bus or zone carries
the form's request id (a repeated submit finds the first), and retiring or removing asks first
with No as the default."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.domain import transport_rules as rules
from app.domain.typed_input import parse_time
from app.errors import UserError
from app.services.transport import setup
from app.services.transport.riders import OverloadWarning
from ui.ops import OpFailed, run_op
from ui.screens.transportation.asking import ask_yes_no
from ui.screens.transportation.models import BellsModel, BusesModel, RoutesModel, ZonesModel
from ui.widgets import combo, fill, form, line, scrolled, selected_row, side_by_side, status, table

DIRECTIONS = (("home", "from_school"), ("to school", "to_school"))


def _box(label: str, name: str) -> QCheckBox:
    b = QCheckBox(label)
    b.setAccessibleName(name)
    return b


def _int(typed: str, field: str) -> int | None:
    if not typed.strip():
        return None
    try:
        return int(typed.strip())
    except ValueError:
        raise UserError(f"{field} \"{typed.strip()}\" is not a whole number; enter digits only, e.g. 24.") from None


def _float(typed: str, field: str) -> float | None:
    if not typed.strip():
        return None
    try:
        return float(typed.strip())
    except ValueError:
        raise UserError(f"{field} \"{typed.strip()}\" is not a number; enter it with a decimal point, e.g. 0.3."
                        ) from None


class SetupTab(QWidget):
    FORMS = {"route": "the route form", "bus": "the bus form", "bell": "the bell time form", "zone": "the hazard zone form",
             "settings": "the settings"}

    def __init__(self, desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.ctx = desk.ctx
        self.data: setup.SetupData | None = None
        self.dirty: set[str] = set()
        self.route_id: int | None = None
        self.bus_id: int | None = None
        self.zone_id: int | None = None
        self.requests = {k: str(uuid.uuid4()) for k in ("route", "bus", "zone")}
        self.confirm: Callable = lambda title, text: ask_yes_no(self, title, text, "No keeps everything as it is.")
        self.message = status("Set-up message")
        self.sections = QTabWidget()
        self.sections.setAccessibleName("Set-up sections")
        self.sections.addTab(self._routes_page(), "&Routes and runs")
        self.sections.addTab(self._buses_page(), "&Buses")
        self.sections.addTab(self._bells_page(), "Schools and bell t&imes")
        self.sections.addTab(self._zones_page(), "&Hazard zones")
        self.sections.addTab(scrolled(self._settings_page(), "Settings"), "Se&ttings")
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.sections, 1)
        v.addWidget(self.message)

    # -- building --------------------------------------------------------------------------------------
    def _watch(self, key: str, *widgets) -> None:
        """Typing, ticking or choosing in these marks the form unsaved (loading it does not)."""
        for w in widgets:
            if hasattr(w, "textEdited"):
                w.textEdited.connect(lambda _t, k=key: self.dirty.add(k))
            elif isinstance(w, QCheckBox):
                w.clicked.connect(lambda _c, k=key: self.dirty.add(k))
            else:
                w.activated.connect(lambda _i, k=key: self.dirty.add(k))

    @staticmethod
    def _page(view, box: QGroupBox) -> QWidget:
        split = QSplitter()
        split.addWidget(view)
        split.addWidget(scrolled(box, box.title()))
        split.setSizes([560, 520])
        return split

    def _routes_page(self) -> QWidget:
        self.routes_model = RoutesModel(self)
        self.routes_view = table("Routes", self.routes_model)
        self.route_number = line("Route number", "Route 21")
        self.route_description = line("Route description", "north loop, Oak Hills")
        self.run_kinds = {k: _box({"Midday": "Mid-day", "Activity": "Activity (late)"}.get(k, k), f"{k} run")
                          for k in setup.RUN_KINDS}
        self.midday_way = combo("Mid-day run goes", [d for d, _v in DIRECTIONS])
        self.activity_way = combo("Activity run goes", [d for d, _v in DIRECTIONS])
        self.new_route_button, self.save_route_button = QPushButton("New route"), QPushButton("Save route")
        self.retire_route_button = QPushButton("Retire route…")
        box = QGroupBox("Route")
        kinds = QHBoxLayout()
        for b in self.run_kinds.values():
            kinds.addWidget(b)
        kinds.addStretch(1)
        form(box, [("Number", self.route_number), ("Description", self.route_description), ("Runs", kinds),
                   ("Mid-day goes", self.midday_way), ("Activity goes", self.activity_way),
                   ("", side_by_side(self.new_route_button, self.save_route_button, self.retire_route_button))])
        self._watch("route", self.route_number, self.route_description, *self.run_kinds.values(), self.midday_way,
                    self.activity_way)
        self.routes_view.selectionModel().currentRowChanged.connect(lambda cur, _p: self._route_picked(cur.row()))
        self.new_route_button.clicked.connect(self.new_route)
        self.save_route_button.clicked.connect(self.save_route)
        self.retire_route_button.clicked.connect(self.retire_route)
        self.new_route()
        return self._page(self.routes_view, box)

    def _buses_page(self) -> QWidget:
        self.buses_model = BusesModel(self)
        self.buses_view = table("Buses", self.buses_model)
        self.bus_number, self.bus_seats = line("Bus number", "21"), line("Bench seats", "24")
        self.bus_chairs = line("Wheelchair positions", "0", "0")
        self.bus_equipment = {e: _box(e, f"Bus has a {e}") for e in rules.EQUIPMENT}
        self.new_bus_button, self.save_bus_button = QPushButton("New bus"), QPushButton("Save bus")
        self.retire_bus_button = QPushButton("Retire bus…")
        box = QGroupBox("Bus")
        eq = QHBoxLayout()
        for b in self.bus_equipment.values():
            eq.addWidget(b)
        eq.addStretch(1)
        form(box, [("Number", self.bus_number), ("Bench seats", self.bus_seats),
                   ("Wheelchair positions", self.bus_chairs), ("Equipment", eq),
                   ("", side_by_side(self.new_bus_button, self.save_bus_button, self.retire_bus_button))])
        self._watch("bus", self.bus_number, self.bus_seats, self.bus_chairs, *self.bus_equipment.values())
        self.buses_view.selectionModel().currentRowChanged.connect(lambda cur, _p: self._bus_picked(cur.row()))
        self.new_bus_button.clicked.connect(self.new_bus)
        self.save_bus_button.clicked.connect(self.save_bus)
        self.retire_bus_button.clicked.connect(self.retire_bus)
        return self._page(self.buses_view, box)

    def _bells_page(self) -> QWidget:
        self.bells_model = BellsModel(self)
        self.bells_view = table("Schools each run serves", self.bells_model)
        self.bell_run, self.bell_school = combo("Run"), combo("School the run serves")
        self.bell_time = line("Bell time", "07:45 (first bell, or dismissal)")
        self.bell_at = line("Bus at the school", "07:35 (arrives, or leaves)")
        self.save_bell_button, self.remove_bell_button = QPushButton("Save bell time"), QPushButton("Stop serving…")
        box = QGroupBox("Run and school")
        form(box, [("Run", self.bell_run), ("School", self.bell_school), ("Bell", self.bell_time),
                   ("Bus at school", self.bell_at), ("", side_by_side(self.save_bell_button, self.remove_bell_button))])
        self._watch("bell", self.bell_run, self.bell_school, self.bell_time, self.bell_at)
        self.bells_view.selectionModel().currentRowChanged.connect(lambda cur, _p: self._bell_picked(cur.row()))
        self.save_bell_button.clicked.connect(self.save_bell)
        self.remove_bell_button.clicked.connect(self.remove_bell)
        return self._page(self.bells_view, box)

    def _zones_page(self) -> QWidget:
        self.zones_model = ZonesModel(self)
        self.zones_view = table("Hazard zones", self.zones_model)
        self.zone_name = line("Zone name", "Highway 71 crossing")
        self.zone_lat, self.zone_lon = line("Zone latitude", "30.2672"), line("Zone longitude", "-97.7431")
        self.zone_radius = line("Zone radius in miles", "0.3")
        self.zone_school = combo("Zone applies to")
        self.new_zone_button, self.save_zone_button = QPushButton("New zone"), QPushButton("Save zone")
        self.remove_zone_button = QPushButton("Remove zone…")
        box = QGroupBox("Hazard zone: riders living here are eligible at any distance")
        form(box, [("Name", self.zone_name), ("Centre", side_by_side(self.zone_lat, self.zone_lon)),
                   ("Radius (miles)", self.zone_radius), ("For", self.zone_school),
                   ("", side_by_side(self.new_zone_button, self.save_zone_button, self.remove_zone_button))])
        self._watch("zone", self.zone_name, self.zone_lat, self.zone_lon, self.zone_radius, self.zone_school)
        self.zones_view.selectionModel().currentRowChanged.connect(lambda cur, _p: self._zone_picked(cur.row()))
        self.new_zone_button.clicked.connect(self.new_zone)
        self.save_zone_button.clicked.connect(self.save_zone)
        self.remove_zone_button.clicked.connect(self.remove_zone)
        return self._page(self.zones_view, box)

    def _settings_page(self) -> QWidget:
        self.set_factor = line("Distance factor", "1.30: straight line x this = road distance")
        self.set_walk = line("Walking limit in miles", "0.50")
        self.set_speed = line("Bus speed in miles per hour", "20")
        self.set_stop = line("Seconds per stop", "20")
        self.set_load = line("Boarding seconds per rider", "8")
        self.band_fields: dict[str, tuple] = {}
        self.bands_box = QGroupBox("Grade bands: eligibility distance and riders per seat")
        self.bands_form = form(self.bands_box, [])
        self.save_settings_button = QPushButton("Save settings")
        page = QWidget()
        v = QVBoxLayout(page)
        box = QGroupBox("Timing and walking")
        form(box, [("Distance factor", self.set_factor), ("Walking limit (mi)", self.set_walk),
                   ("Bus speed (mph)", self.set_speed), ("Stop time (s)", self.set_stop),
                   ("Boarding per rider (s)", self.set_load)])
        v.addWidget(box)
        v.addWidget(self.bands_box)
        v.addWidget(self.save_settings_button)
        v.addStretch(1)
        self._watch("settings", self.set_factor, self.set_walk, self.set_speed, self.set_stop, self.set_load)
        self.save_settings_button.clicked.connect(self.save_settings)
        return page

    # -- loading ---------------------------------------------------------------------------------------
    def set_data(self, data: setup.SetupData) -> None:
        """New lists from the database; forms with unsaved typing keep it."""
        self.data = data
        self.routes_model.set_rows(data.routes)
        self.buses_model.set_rows(data.buses)
        self.bells_model.set_rows(data.bells)
        self.zones_model.set_rows(data.zones)
        runs = [(run_id, f"{r.number} {k}") for r in data.routes for run_id, k, _d, active in r.runs if active]
        if "bell" not in self.dirty:
            fill(self.bell_run, [n for _i, n in runs], data=[i for i, _n in runs])
            fill(self.bell_school, [n for _i, n in data.schools], data=[i for i, _n in data.schools])
        if "zone" not in self.dirty:
            fill(self.zone_school, ["every school"] + [n for _i, n in data.schools],
                 data=[None] + [i for i, _n in data.schools])
        for key, show in (("route", self._show_route), ("bus", self._show_bus), ("zone", self._show_zone),
                          ("settings", self._show_settings)):
            if key not in self.dirty:
                show()

    def _show_route(self) -> None:
        r = next((x for x in self.data.routes if x.route_id == self.route_id), None) if self.data else None
        self.route_number.setText(r.number if r else "")
        self.route_description.setText(r.description if r else "")
        active = {k: d for _i, k, d, a in (r.runs if r else ()) if a}
        for k, b in self.run_kinds.items():
            b.setChecked(k in active if r else k in ("AM", "PM"))
        for kind, box in (("Midday", self.midday_way), ("Activity", self.activity_way)):
            box.setCurrentIndex(1 if active.get(kind) == "to_school" else 0)

    def _show_bus(self) -> None:
        b = next((x for x in self.data.buses if x.bus_id == self.bus_id), None) if self.data else None
        self.bus_number.setText(b.number if b else "")
        self.bus_seats.setText(str(b.seats) if b else "")
        self.bus_chairs.setText(str(b.wheelchair_positions) if b else "0")
        for e, box in self.bus_equipment.items():
            box.setChecked(bool(b) and e in b.equipment)

    def _show_zone(self) -> None:
        z = next((x for x in self.data.zones if x.zone_id == self.zone_id), None) if self.data else None
        self.zone_name.setText(z.name if z else "")
        self.zone_lat.setText(f"{z.latitude:.6f}" if z else "")
        self.zone_lon.setText(f"{z.longitude:.6f}" if z else "")
        self.zone_radius.setText(f"{z.radius_miles:g}" if z else "")
        self.zone_school.setCurrentIndex(max(self.zone_school.findData(z.school_id), 0) if z else 0)

    def _show_settings(self) -> None:
        s = self.data.settings
        for w, v in ((self.set_factor, s.distance_factor), (self.set_walk, s.walking_limit_miles),
                     (self.set_speed, s.speed_mph), (self.set_stop, s.stop_seconds),
                     (self.set_load, s.load_seconds_per_rider)):
            w.setText(f"{v:g}")
        for b in self.data.bands:
            if b.band not in self.band_fields:
                per, miles = line(f"Riders per seat, {b.label}", "3"), line(f"Eligibility miles, {b.label}", "1.0")
                self._watch("settings", per, miles)
                self.bands_form.addRow(b.label, side_by_side(QLabel("miles at least"), miles,
                                                             QLabel("riders per seat"), per))
                self.band_fields[b.band] = (per, miles)
            per, miles = self.band_fields[b.band]
            per.setText(str(b.riders_per_seat))
            miles.setText(f"{b.eligibility_miles:g}")

    def _route_picked(self, row: int) -> None:
        r = self.routes_model.row(row)
        if r is not None and r.route_id != self.route_id and self._may_replace("route"):
            self.route_id = r.route_id
            self._show_route()

    def _bus_picked(self, row: int) -> None:
        b = self.buses_model.row(row)
        if b is not None and b.bus_id != self.bus_id and self._may_replace("bus"):
            self.bus_id = b.bus_id
            self._show_bus()

    def _zone_picked(self, row: int) -> None:
        z = self.zones_model.row(row)
        if z is not None and z.zone_id != self.zone_id and self._may_replace("zone"):
            self.zone_id = z.zone_id
            self._show_zone()

    def _bell_picked(self, row: int) -> None:
        b = self.bells_model.row(row)
        if b is not None and self._may_replace("bell"):
            self.bell_run.setCurrentIndex(max(self.bell_run.findData(b.run_id), 0))
            self.bell_school.setCurrentIndex(max(self.bell_school.findData(b.school_id), 0))
            self.bell_time.setText(f"{b.bell_time:%H:%M}")
            self.bell_at.setText(f"{b.school_time:%H:%M}")

    def _may_replace(self, key: str) -> bool:
        """Picking another row with unsaved typing in the form: say so and keep the typing."""
        if key in self.dirty:
            self.message.setText(f"Save or clear {self.FORMS[key]} first; it has changes not saved.")
            return False
        return True

    def new_route(self) -> None:
        self.route_id, self.requests["route"] = None, str(uuid.uuid4())
        self.dirty.discard("route")
        self._show_route()
        self.routes_view.clearSelection()

    def new_bus(self) -> None:
        self.bus_id, self.requests["bus"] = None, str(uuid.uuid4())
        self.dirty.discard("bus")
        self._show_bus()
        self.buses_view.clearSelection()

    def new_zone(self) -> None:
        self.zone_id, self.requests["zone"] = None, str(uuid.uuid4())
        self.dirty.discard("zone")
        self._show_zone()
        self.zones_view.clearSelection()

    # -- saving ----------------------------------------------------------------------------------------
    async def _do(self, key: str | None, work, button, done: str, overload: str | None = None):
        """work(conn) in one transaction; on success the lists reload and the form is clean. With
        overload (a question's title), work is work(conn, confirmed): an OverloadWarning is asked first."""
        for confirmed in (False, True) if overload else (None,):
            try:
                result = await run_op(self.ctx.run_in(work if overload is None else
                                                      (lambda c, ok=confirmed: work(c, ok))), disable=(button,))
                break
            except OpFailed as err:
                warned = isinstance(err.__cause__, OverloadWarning)
                if warned and not confirmed and await self._ask(overload, err.__cause__.warnings[0]):
                    continue
                self.message.setText(("Not saved: " if warned else "") + err.message)
                return None
        if key:
            self.dirty.discard(key)
        self.message.setText(done)
        self.desk.changed()
        return result if result is not None else True

    async def _ask(self, title: str, text: str) -> bool:
        go = self.confirm(title, text)
        return await go if inspect.isawaitable(go) else bool(go)

    @asyncSlot()
    async def save_route(self) -> bool:
        return await self._save_route()

    async def _save_route(self) -> bool:
        rid, number, desc, req = self.route_id, self.route_number.text(), self.route_description.text(), \
            self.requests["route"]
        kinds = tuple(k for k, b in self.run_kinds.items() if b.isChecked())
        ways = {"Midday": DIRECTIONS[self.midday_way.currentIndex()][1],
                "Activity": DIRECTIONS[self.activity_way.currentIndex()][1]}

        def work(c):
            route_id = setup.save_route(c, rid, number, desc, kinds, request_id=req)
            for run_id, kind in setup.runs_of(c, route_id):
                if kind in ways:
                    setup.set_run_direction(c, run_id, ways[kind])
            return route_id
        saved = await self._do("route", work, self.save_route_button, f"Saved {number.strip()}.")
        if saved is None:
            return False
        self.route_id = saved
        return True

    @asyncSlot()
    async def retire_route(self) -> bool:
        if self.route_id is None:
            self.message.setText("Pick a route in the list first.")
            return False
        rid, name = self.route_id, self.route_number.text().strip()
        if not await self._ask("Retire the route?", f"Retire {name}? Its runs stop showing on the desk."):
            self.message.setText(f"{name} was not retired.")
            return False
        ok = await self._do(None, lambda c: setup.retire_route(c, rid), self.retire_route_button, f"Retired {name}.")
        if ok:
            self.new_route()
        return bool(ok)

    @asyncSlot()
    async def save_bus(self) -> bool:
        return await self._save_bus()

    async def _save_bus(self) -> bool:
        try:
            seats, chairs = _int(self.bus_seats.text(), "Bench seats"), _int(self.bus_chairs.text() or "0",
                                                                            "Wheelchair positions")
        except UserError as err:
            self.message.setText(err.message)
            return False
        bid, number, req = self.bus_id, self.bus_number.text(), self.requests["bus"]
        eq = tuple(e for e, b in self.bus_equipment.items() if b.isChecked())
        saved = await self._do("bus", lambda c: setup.save_bus(c, bid, number, seats, chairs, eq, request_id=req),
                               self.save_bus_button, f"Saved bus {number.strip()}.")
        if saved is None:
            return False
        self.bus_id = saved
        return True

    @asyncSlot()
    async def retire_bus(self) -> bool:
        if self.bus_id is None:
            self.message.setText("Pick a bus in the list first.")
            return False
        bid, name = self.bus_id, self.bus_number.text().strip()
        if not await self._ask("Retire the bus?", f"Retire bus {name}? It can no longer be given a run."):
            self.message.setText(f"Bus {name} was not retired.")
            return False
        ok = await self._do(None, lambda c: setup.retire_bus(c, bid), self.retire_bus_button, f"Retired bus {name}.")
        if ok:
            self.new_bus()
        return bool(ok)

    @asyncSlot()
    async def save_bell(self) -> bool:
        return await self._save_bell()

    async def _save_bell(self) -> bool:
        run_id, school_id = self.bell_run.currentData(), self.bell_school.currentData()
        try:
            if run_id is None or school_id is None:
                raise UserError("Pick the run and the school first.")
            bell, at = parse_time(self.bell_time.text(), "Bell time"), parse_time(self.bell_at.text(),
                                                                                  "Time at the school")
        except UserError as err:
            self.message.setText(err.message)
            return False
        done = f"{self.bell_run.currentText()} serves {self.bell_school.currentText()}."
        return bool(await self._do("bell", lambda c: setup.set_run_school(c, run_id, school_id, bell, at),
                                   self.save_bell_button, done))

    @asyncSlot()
    async def remove_bell(self) -> bool:
        b = self.bells_model.row(selected_row(self.bells_view))
        if b is None:
            self.message.setText("Pick a run and school in the list first.")
            return False
        if not await self._ask("Stop serving the school?", f"{b.run} stops serving {b.school}?"):
            self.message.setText(f"{b.run} still serves {b.school}.")
            return False
        return bool(await self._do(None, lambda c: setup.remove_run_school(c, b.run_id, b.school_id),
                                   self.remove_bell_button, f"{b.run} no longer serves {b.school}."))

    @asyncSlot()
    async def save_zone(self) -> bool:
        return await self._save_zone()

    async def _save_zone(self) -> bool:
        try:
            lat, lon = _float(self.zone_lat.text(), "Latitude"), _float(self.zone_lon.text(), "Longitude")
            radius = _float(self.zone_radius.text(), "Radius")
        except UserError as err:
            self.message.setText(err.message)
            return False
        zid, name, school, req = self.zone_id, self.zone_name.text(), self.zone_school.currentData(), \
            self.requests["zone"]
        saved = await self._do("zone", lambda c: setup.save_zone(c, zid, name, lat, lon, radius, school,
                                                                 request_id=req),
                               self.save_zone_button, f"Saved hazard zone {name.strip()}.")
        if saved is None:
            return False
        self.zone_id = saved
        return True

    @asyncSlot()
    async def remove_zone(self) -> bool:
        if self.zone_id is None:
            self.message.setText("Pick a zone in the list first.")
            return False
        zid, name = self.zone_id, self.zone_name.text().strip()
        if not await self._ask("Remove the zone?", f"Remove hazard zone {name}? Its riders may no longer be eligible."):
            self.message.setText(f"Hazard zone {name} was kept.")
            return False
        ok = await self._do(None, lambda c: setup.remove_zone(c, zid), self.remove_zone_button,
                            f"Removed hazard zone {name}.")
        if ok:
            self.new_zone()
        return bool(ok)

    @asyncSlot()
    async def save_settings(self) -> bool:
        return await self._save_settings()

    async def _save_settings(self) -> bool:
        try:
            s = rules.Settings(
                setup.number(self.set_factor.text(), "The distance factor", 1, 3, "a factor"),
                setup.number(self.set_walk.text(), "The walking limit", 0.05, 5, "miles"),
                setup.number(self.set_speed.text(), "The bus speed", 1, 70, "miles per hour"),
                setup.number(self.set_stop.text(), "The stop time", 0, 600, "seconds", whole=True),
                setup.number(self.set_load.text(), "The boarding time per rider", 0, 120, "seconds", whole=True))
        except UserError as err:
            self.message.setText(err.message)
            return False
        bands = {b: (per.text(), miles.text()) for b, (per, miles) in self.band_fields.items()}

        def work(c, confirmed):
            setup.save_settings(c, s)
            for band, (per, miles) in bands.items():
                setup.save_band(c, band, per, miles, confirm_overload=confirmed)
        return bool(await self._do("settings", work, self.save_settings_button, "Saved the settings.",
                                   overload="Overload runs?"))

    # -- unsaved work ----------------------------------------------------------------------------------
    def unsaved_work(self) -> str | None:
        if not self.dirty:
            return None
        return "Set-up changes not saved: " + ", ".join(self.FORMS[k] for k in self.FORMS if k in self.dirty)

    async def save_unsaved(self) -> bool:
        saves = {"route": self._save_route, "bus": self._save_bus, "bell": self._save_bell, "zone": self._save_zone,
                 "settings": self._save_settings}
        for key in [k for k in self.FORMS if k in self.dirty]:
            if not await saves[key]():
                return False
        return True

    def discard_unsaved(self) -> None:
        self.dirty.clear()
        if self.data is not None:
            self.set_data(self.data)
