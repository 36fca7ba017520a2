"""The Transportation desk: runs with their load (overloads in red), the run editor (bus, driver,
aide, stops in order with times and turn notes, a schematic of the stops), riders, the "which bus?"
answer for a parent's call, and the coordinator's lists; packets and lists print from here."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.domain.typed_input import parse_date, parse_time, show_date
from app.errors import UserError
from app.services.transport import lists, riders, routes, setup
from reports import transport_lists, transport_packet
from ui.ops import OpFailed, run_op
from ui.printing import Printing, Printout
from ui.screens.desk_context import DeskContext
from ui.screens.tabbed_desk import TabbedDesk
from ui.screens.transportation.models import (
    CountsModel,
    EmptyStopsModel,
    IdleModel,
    RunsModel,
    StopsModel,
    WhichBusModel,
)
from ui.screens.transportation.riders_tab import RidersTab
from ui.screens.transportation.run_schematic import RunSchematic
from ui.screens.transportation.setup_tab import SetupTab
from ui.widgets import combo, fill, form, line, scrolled, selected_row, side_by_side, status, table

NEW_STOP = "New stop (name and position below)"


def build_page(ctx: DeskContext) -> QWidget:
    return TransportationPage(ctx)


class TransportationPage(TabbedDesk):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Transportation", parent)
        self.detail: routes.RunDetail | None = None
        self.buses: list[routes.Bus] = []
        self.day_field = line("Day of the lists", "MM/DD/YYYY", show_date(ctx.today()))
        self.day_field.setMaximumWidth(130)
        self.day_field.editingFinished.connect(self.reload)
        row = QHBoxLayout()
        row.addWidget(QLabel("Day:"))
        row.addWidget(self.day_field)
        row.addStretch(1)
        self.body.addLayout(row)
        self.printing = Printing(self, report=lambda s: self.run_message.setText(s))
        self.riders_tab = RidersTab(self)
        self.setup_tab = SetupTab(self)
        self.finish((self._runs_tab(), "Runs and stops"), (self.riders_tab, "Riders"),
                    (self._which_tab(), "Which bus?"), (self._lists_tab(), "Lists"), (self.setup_tab, "Set-up"))

    def day(self) -> date:
        try:
            return parse_date(self.day_field.text(), "Day") or self.ctx.today()
        except UserError:
            return self.ctx.today()

    async def load_lists(self) -> bool:
        day = self.day()

        def work(c):
            setup.refresh_edfi(c)  # the first opening of the day: plans and IEPs that began or ended
            return (routes.list_runs(c, day), routes.list_buses(c), routes.run_choices(c), routes.list_stops(c),
                    setup.setup_data(c))
        try:
            runs, self.buses, choices, stops, data = await run_op(self.ctx.run_in(work))
        except OpFailed as err:
            self.run_message.setText(err.message)
            return False
        self._loaded = True
        self.runs_model.set_rows(runs)
        fill(self.bus, ["(no bus)"] + [f"{b.number} · {b.seats} seats" + (f", {b.wheelchair_positions} wheelchair"
                                                                           if b.wheelchair_positions else "")
                                       for b in self.buses], data=[None] + [b.bus_id for b in self.buses])
        fill(self.stop_choice, [NEW_STOP] + [n for _i, n in stops], data=[None] + [i for i, _n in stops])
        self.riders_tab.set_choices(choices)
        self.setup_tab.set_data(data)
        over = sum(1 for r in runs if r.overloaded)
        self.run_message.setText(f"{len(runs)} runs; {over} overloaded." if over else f"{len(runs)} runs.")
        if runs and self.detail is None:
            self.runs_view.selectRow(0)
        return True

    # the set-up forms (and the rider's plan being edited) may hold typing not saved yet
    def unsaved_work(self) -> str | None:
        found = [w for w in (self.setup_tab.unsaved_work(), self.riders_tab.unsaved_work()) if w]
        return "; ".join(found) or None

    async def save_unsaved(self) -> bool:
        return await self.setup_tab.save_unsaved() and await self.riders_tab.save_unsaved()

    def discard_unsaved(self) -> None:
        self.setup_tab.discard_unsaved()
        self.riders_tab.discard_unsaved()

    def changed(self) -> None:
        """After a save: the runs' loads and the open run change."""
        self.reload()

    @asyncSlot()
    async def reload(self) -> None:
        await self.load_lists()
        if self.detail is not None:
            await self.open_run(self.detail.summary.run_id)

    # -- runs and stops ---------------------------------------------------------------------------------
    def _runs_tab(self) -> QWidget:
        self.runs_model = RunsModel(self)
        self.runs_view = table("Runs", self.runs_model)
        self.run_title = QLabel("Choose a run")
        self.run_title.setObjectName("sectionTitle")
        self.bus, self.driver, self.aide = combo("Bus"), line("Driver", "driver"), line("Aide", "aide (if any)")
        self.save_run_button = QPushButton("Save run")
        self.stops_model = StopsModel(self)
        self.stops_view = table("Stops of the run", self.stops_model)
        self.stop_choice = combo("Stop to add")
        self.stop_name, self.stop_lat, self.stop_lon = line("New stop name", "Oak St & Main St"), \
            line("Latitude", "30.2672"), line("Longitude", "-97.7431")
        self.position = line("Position", "last")
        self.position.setMaximumWidth(60)
        self.stop_time = line("Stop time", "07:15 (empty: estimated)")
        self.turn_notes = line("Turn notes", "for a substitute: how to reach the next stop")
        self.add_stop_button = QPushButton("Add stop")
        self.set_time_button = QPushButton("Set time of selected stop")
        self.remove_stop_button = QPushButton("Remove selected stop")
        self.estimate_button = QPushButton("Estimate all times")
        self.estimate_button.setToolTip("Plan every stop's time from the first one: distance, bus speed and boarding")
        self.packet_button = QPushButton("Driver packet…")
        self.sub_button = QPushButton("Substitute packet…")
        self.who_button = QPushButton("Who is on this bus…")
        self.run_message = status("Runs message")
        self.schematic = RunSchematic()

        editor = QWidget()
        v = QVBoxLayout(editor)
        v.addWidget(self.run_title)
        crew = QGroupBox("Bus and crew")
        form(crew, [("Bus", self.bus), ("Driver and aide", side_by_side(self.driver, self.aide)),
                    ("", self.save_run_button)])
        v.addWidget(crew)
        v.addWidget(self.stops_view, 2)
        add = QGroupBox("Stops")
        form(add, [("Stop", self.stop_choice), ("New stop", side_by_side(self.stop_name, self.stop_lat, self.stop_lon)),
                   ("Position and time", side_by_side(self.position, self.stop_time)), ("Turn notes", self.turn_notes),
                   ("", side_by_side(self.add_stop_button, self.set_time_button, self.remove_stop_button,
                                     self.estimate_button))])
        v.addWidget(add)
        prints = QHBoxLayout()
        for b in (self.packet_button, self.sub_button, self.who_button):
            prints.addWidget(b)
        prints.addStretch(1)
        v.addLayout(prints)
        split = QSplitter()
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.runs_view, 3)
        lv.addWidget(self.schematic, 2)
        split.addWidget(left)
        split.addWidget(scrolled(editor, "Run editor"))
        split.setSizes([520, 640])
        tab = QWidget()
        t = QVBoxLayout(tab)
        t.addWidget(split, 1)
        t.addWidget(self.run_message)
        self.runs_view.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._picked(cur.row()))
        self.stops_view.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._stop_picked(cur.row()))
        self.save_run_button.clicked.connect(self.save_run)
        self.add_stop_button.clicked.connect(self.add_stop)
        self.set_time_button.clicked.connect(self.set_time)
        self.remove_stop_button.clicked.connect(self.remove_stop)
        self.estimate_button.clicked.connect(self.estimate)
        self.printing.attach(self.packet_button, lambda: self._printout(False), "the driver packet")
        self.printing.attach(self.sub_button, lambda: self._printout(True), "the substitute driver's packet")
        self.printing.attach(self.who_button, self._who_printout, "who is on this bus")
        return tab

    def _picked(self, row: int) -> None:
        r = self.runs_model.row(row)
        if r is not None:
            self.open_run(r.run_id)

    def _stop_picked(self, row: int) -> None:
        s = self.stops_model.row(row)
        if s is not None:
            self.stop_time.setText(f"{s.planned_time:%H:%M}")
            self.turn_notes.setText(s.turn_notes or "")

    @asyncSlot()
    async def open_run(self, run_id: int) -> bool:
        day = self.day()
        try:
            detail = await run_op(self.ctx.run_in(lambda c: routes.run_detail(c, run_id, day)))
        except OpFailed as err:
            self.run_message.setText(err.message)
            return False
        self.detail = detail
        s = detail.summary
        self.run_title.setText(f"{s.name} · {'to school' if s.direction == 'to_school' else 'home'} · {s.schools} · "
                               f"{s.load}" + (" — OVERLOADED" if s.overloaded else ""))
        i = self.bus.findData(detail.bus.bus_id if detail.bus else None)
        self.bus.setCurrentIndex(max(i, 0))
        self.driver.setText(s.driver or "")
        self.aide.setText(s.aide or "")
        self.stops_model.set_rows(detail.stops)
        self.schematic.show_run(detail)
        return True

    async def _run_change(self, fn, button, done: str) -> bool:
        if self.detail is None:
            self.run_message.setText("Choose a run first.")
            return False
        try:
            await run_op(self.ctx.run_in(fn), disable=(button,))
        except OpFailed as err:
            self.run_message.setText(err.message)
            return False
        self.run_message.setText(done)
        await self.load_lists()
        await self.open_run(self.detail.summary.run_id)
        return True

    @asyncSlot()
    async def save_run(self) -> bool:
        if self.detail is None:
            self.run_message.setText("Choose a run first.")
            return False
        rid, bus, driver, aide = self.detail.summary.run_id, self.bus.currentData(), self.driver.text(), self.aide.text()
        return await self._run_change(lambda c: routes.save_run(c, rid, bus, driver, aide), self.save_run_button,
                                      f"Saved {self.detail.summary.name}.")

    @asyncSlot()
    async def add_stop(self) -> bool:
        if self.detail is None:
            self.run_message.setText("Choose a run first.")
            return False
        try:
            pos = int(self.position.text()) if self.position.text().strip() else None
        except ValueError:
            self.run_message.setText(f"Position \"{self.position.text()}\" is not a number; enter 1 for the first "
                                     "stop, or leave it empty for the last.")
            return False
        try:
            at = parse_time(self.stop_time.text(), "Stop time") if self.stop_time.text().strip() else None
            new = None
            if self.stop_choice.currentData() is None:
                new = routes.NewStop(self.stop_name.text(), "", _number(self.stop_lat.text(), "Latitude"),
                                     _number(self.stop_lon.text(), "Longitude"))
        except UserError as err:
            self.run_message.setText(err.message)
            return False
        rid, existing, notes = self.detail.summary.run_id, self.stop_choice.currentData(), self.turn_notes.text()

        def work(c):
            stop = existing if new is None else routes.create_stop(c, new)
            return routes.add_stop(c, rid, stop, pos, at, notes)
        return await self._run_change(work, self.add_stop_button, "Stop added; the stops after it moved down one.")

    def _selected_stop(self) -> routes.RunStopRow | None:
        s = self.stops_model.row(selected_row(self.stops_view))
        if s is None:
            self.run_message.setText("Pick a stop in the list first.")
        return s

    @asyncSlot()
    async def set_time(self) -> bool:
        s = self._selected_stop()
        if s is None or self.detail is None:
            return False
        try:
            at = parse_time(self.stop_time.text(), "Stop time")
        except UserError as err:
            self.run_message.setText(err.message)
            return False
        rid, notes = self.detail.summary.run_id, self.turn_notes.text()
        return await self._run_change(lambda c: routes.set_stop_time(c, rid, s.stop_id, at, notes),
                                      self.set_time_button, f"Stop {s.sequence} ({s.name}) now at {at:%H:%M}.")

    @asyncSlot()
    async def remove_stop(self) -> bool:
        s = self._selected_stop()
        if s is None or self.detail is None:
            return False
        rid = self.detail.summary.run_id
        return await self._run_change(lambda c: routes.remove_stop(c, rid, s.stop_id), self.remove_stop_button,
                                      f"Removed {s.name}; the stops after it moved up one.")

    @asyncSlot()
    async def estimate(self) -> bool:
        if self.detail is None:
            self.run_message.setText("Choose a run first.")
            return False
        rid = self.detail.summary.run_id
        return await self._run_change(lambda c: routes.estimate_times(c, rid), self.estimate_button,
                                      "Times re-planned from the first stop's time.")

    def _printout(self, substitute: bool) -> Printout | None:
        if self.detail is None:
            self.run_message.setText("Choose a run first.")
            return None
        rid, day, name = self.detail.summary.run_id, self.day(), self.detail.summary.name
        what = "substitute packet" if substitute else "driver packet"
        return Printout("transport_packet", f"the {what} of {name}", f"{what.replace(' ', '-')}-{name}-{day}.pdf"
                        .replace(" ", "-"),
                        self.ctx.run_in(lambda c: transport_packet.build_packet(lists.run_roster(c, rid, day),
                                                                                substitute=substitute)))

    def _who_printout(self) -> Printout | None:
        if self.detail is None:
            self.run_message.setText("Choose a run first.")
            return None
        rid, day, name = self.detail.summary.run_id, self.day(), self.detail.summary.name
        return Printout("transport_packet", f"who is on {name} on {show_date(day)}",
                        f"who-is-on-{name}-{day}.pdf".replace(" ", "-"),
                        self.ctx.run_in(lambda c: transport_packet.build_emergency_list(lists.run_roster(c, rid, day))))

    # -- which bus? -------------------------------------------------------------------------------------
    def _which_tab(self) -> QWidget:
        self.which_find = line("Student for the parent's call", "student id or name; Enter finds")
        self.which_button = QPushButton("Which bus?")
        self.which_model = WhichBusModel(self)
        self.which_view = table("Rides of the student on the day", self.which_model)
        self.which_message = status("Which bus message")
        tab = QWidget()
        v = QVBoxLayout(tab)
        row = QHBoxLayout()
        row.addWidget(self.which_find, 1)
        row.addWidget(self.which_button)
        v.addLayout(row)
        v.addWidget(self.which_view, 1)
        v.addWidget(self.which_message)
        self.which_find.returnPressed.connect(self.which_bus)
        self.which_button.clicked.connect(self.which_bus)
        return tab

    @asyncSlot()
    async def which_bus(self) -> bool:
        q, day = self.which_find.text().strip(), self.day()
        if not q:
            self.which_message.setText("Type the student's id or part of their name first.")
            return False
        try:
            found = await run_op(self.ctx.run_in(lambda c: riders.which_bus(c, q, day)), disable=(self.which_button,))
        except OpFailed as err:
            self.which_message.setText(err.message)
            return False
        self.which_model.set_answers(found)
        self.which_message.setText(f"{len(found)} students match, rides on {show_date(day)}." if found else
                                   f"No student matches \"{q}\"; check the spelling or the id.")
        return bool(found)

    # -- lists --------------------------------------------------------------------------------------------
    def _lists_tab(self) -> QWidget:
        self.idle_days = line("Days without a ride", "5", "5")
        self.idle_days.setMaximumWidth(60)
        self.lists_button = QPushButton("Show lists")
        self.lists_print = QPushButton("Print lists…")
        self.counts_model, self.empty_model, self.idle_model = CountsModel(self), EmptyStopsModel(self), IdleModel(self)
        self.lists_message = status("Lists message")
        tab = QWidget()
        v = QVBoxLayout(tab)
        row = QHBoxLayout()
        for w in (QLabel("Riders who have not ridden in"), self.idle_days, QLabel("days"), self.lists_button,
                  self.lists_print):
            row.addWidget(w)
        row.addStretch(1)
        v.addLayout(row)
        for title, model in (("Rider counts by run, school and grade", self.counts_model),
                             ("Stops with no riders", self.empty_model), ("Riders who have not ridden", self.idle_model)):
            v.addWidget(QLabel(title))
            v.addWidget(table(title, model), 1)
        v.addWidget(self.lists_message)
        self.lists_button.clicked.connect(self.show_lists)
        self.printing.attach(self.lists_print, self._lists_printout, "the transportation lists")
        return tab

    def _idle_days(self) -> int:
        try:
            n = int(self.idle_days.text())
        except ValueError:
            raise UserError(f"\"{self.idle_days.text()}\" is not a number of days; enter a number such as 5.") from None
        if not 1 <= n <= 180:
            raise UserError(f"{n} days is out of range; enter 1 to 180.")
        return n

    @asyncSlot()
    async def show_lists(self) -> bool:
        try:
            n, day = self._idle_days(), self.day()
        except UserError as err:
            self.lists_message.setText(err.message)
            return False
        try:
            counts, empty, idle = await run_op(self.ctx.run_in(lambda c: (
                lists.rider_counts(c, day), lists.stops_without_riders(c, day), lists.riders_not_riding(c, n, day))),
                disable=(self.lists_button,))
        except OpFailed as err:
            self.lists_message.setText(err.message)
            return False
        self.counts_model.set_rows(counts)
        self.empty_model.set_rows(empty)
        self.idle_model.set_rows(idle)
        self.lists_message.setText(f"{sum(c.riders for c in counts)} rides on {show_date(day)}; {len(empty)} stops "
                                   f"without riders; {len(idle)} riders without a ride in {n} days.")
        return True

    def _lists_printout(self) -> Printout | None:
        try:
            n, day = self._idle_days(), self.day()
        except UserError as err:
            self.lists_message.setText(err.message)
            return None

        def build(c):
            return transport_lists.build_lists(day, lists.rider_counts(c, day), riders.needing_assignment(c, day),
                                               lists.stops_without_riders(c, day), lists.riders_not_riding(c, n, day), n)
        return Printout("transport_lists", f"the transportation lists of {show_date(day)}",
                        f"transportation-lists-{day}.pdf", self.ctx.run_in(build))


def _number(typed: str, field: str) -> float | None:
    if not typed.strip():
        return None
    try:
        return float(typed.strip())
    except ValueError:
        raise UserError(f"{field} \"{typed.strip()}\" is not a number; enter it in degrees, e.g. 30.2672.") from None
