"""The Transportation desk's lists: Qt table models over the services' DTOs (no I/O in data())."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from app.services.transport import lists, riders, routes
from ui.table_model import DtoTableModel

WARN = QColor("#8a1c1c")  # on the table's white: 8.9:1
NOTE = QColor("#7a4b00")


RELEASE = " — release to designated adult only"


def _t(t) -> str:
    return f"{t:%H:%M}" if t is not None else ""


class RunsModel(DtoTableModel):
    HEADERS = ("Run", "Bus", "Riders", "Load", "Stops", "Schools")
    COL_RUN, COL_BUS, COL_RIDERS, COL_LOAD, COL_STOPS, COL_SCHOOLS = range(6)

    def cell(self, r: routes.RunSummary, column: int) -> str:
        load = ("OVERLOADED: " if r.overloaded else "Nearly full: " if r.nearly_full else "") + r.load
        return [r.name, r.bus_number or "none", f"{r.riders} ({r.busiest_day[:3]})", load, str(r.stops),
                r.schools][column]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            r = self.rows[index.row()]
            if r.overloaded:
                return QBrush(WARN)
            if r.nearly_full:
                return QBrush(NOTE)
            return None
        return super().data(index, role)


class StopsModel(DtoTableModel):
    HEADERS = ("#", "Stop", "Time", "Riders", "Turn notes")
    COL_SEQ, COL_STOP, COL_TIME, COL_RIDERS, COL_NOTES = range(5)

    def cell(self, s: routes.RunStopRow, column: int) -> str:
        return [str(s.sequence), s.name, _t(s.planned_time), str(s.riders), s.turn_notes or ""][column]


class NeedsModel(DtoTableModel):
    HEADERS = ("Student", "School", "Grade", "Why", "Nearest stop to school", "Nearest stop home")
    COL_NAME, COL_SCHOOL, COL_GRADE, COL_WHY, COL_AM, COL_PM = range(6)

    def cell(self, s: riders.Suggestion, column: int) -> str:
        none = "none within the walking limit on a bus with room" + (" and what the rider needs" if s.needs else "")
        return [f"{s.name} ({s.student_id})" + (RELEASE if s.release_to_adult else ""), s.school or "", s.grade or "",
                s.reason + (f"; IEP: {s.needs}" if s.needs else ""), s.am_stop or none, s.pm_stop or none][column]


class WhichBusModel(DtoTableModel):
    HEADERS = ("Student", "Grade", "School", "Way", "Run", "Bus", "Stop", "Time", "Note")
    COL_NAME, COL_GRADE, COL_SCHOOL, COL_WAY, COL_RUN, COL_BUS, COL_STOP, COL_TIME, COL_NOTE = range(9)

    def set_answers(self, answers: list[riders.WhichBus]) -> None:
        self.set_rows([(a, ride) for a in answers for ride in (a.rides or (None,))])

    def cell(self, row, column: int) -> str:
        a, ride = row
        name = f"{a.name} ({a.student_id})" + (RELEASE if a.release_to_adult else "")
        if ride is None:
            return [name, a.grade or "", a.school or "", "", "no bus that day", "", "", "", ""][column]
        way = "to school" if ride.direction == "to_school" else "home"
        note = " · ".join(x for x in (ride.alternate_address and f"to {ride.alternate_address}",
                                       ride.temporary_note and f"today: {ride.temporary_note}") if x)
        return [name, a.grade or "", a.school or "", way, ride.run_name or "not riding", ride.bus_number or "",
                ride.stop_name or "", _t(ride.planned_time), note][column]


class CountsModel(DtoTableModel):
    HEADERS = ("Run", "School", "Grade", "Riders")

    def cell(self, c: lists.RiderCount, column: int) -> str:
        return [c.run, c.school, c.grade, str(c.riders)][column]


class EmptyStopsModel(DtoTableModel):
    HEADERS = ("Run", "#", "Stop", "Time")

    def cell(self, e: lists.EmptyStop, column: int) -> str:
        return [e.run, str(e.sequence), e.stop, _t(e.planned_time)][column]


class IdleModel(DtoTableModel):
    HEADERS = ("Rider", "Student id", "Run", "Last ride")

    def cell(self, i: lists.IdleRider, column: int) -> str:
        return [i.name + (RELEASE if i.release_to_adult else ""), i.student_id, i.run,
                f"{i.last_ride:%m/%d/%Y}" if i.last_ride else "never recorded"][column]


# -- set-up lists ---------------------------------------------------------------------------------------
class RoutesModel(DtoTableModel):
    HEADERS = ("Route", "Runs", "Description")
    COL_ROUTE, COL_RUNS, COL_DESCRIPTION = range(3)

    def cell(self, r, column: int) -> str:
        runs = ", ".join(f"{k} ({'to school' if d == 'to_school' else 'home'})" for _i, k, d, a in r.runs if a)
        return [r.number, runs or "none", r.description][column]


class BusesModel(DtoTableModel):
    HEADERS = ("Bus", "Seats", "Wheelchair", "Equipment", "Runs")
    COL_BUS, COL_SEATS, COL_CHAIRS, COL_EQUIPMENT, COL_RUNS = range(5)

    def cell(self, b, column: int) -> str:
        return [b.number, str(b.seats), str(b.wheelchair_positions), ", ".join(b.equipment) or "none",
                b.runs or "spare"][column]


class BellsModel(DtoTableModel):
    HEADERS = ("Run", "School", "Bell", "Bus at school")
    COL_RUN, COL_SCHOOL, COL_BELL, COL_AT = range(4)

    def cell(self, b, column: int) -> str:
        return [b.run, b.school, _t(b.bell_time), _t(b.school_time)][column]


class ZonesModel(DtoTableModel):
    HEADERS = ("Zone", "Latitude", "Longitude", "Radius (mi)", "For")
    COL_NAME, COL_LAT, COL_LON, COL_RADIUS, COL_SCHOOL = range(5)

    def cell(self, z, column: int) -> str:
        return [z.name, f"{z.latitude:.5f}", f"{z.longitude:.5f}", f"{z.radius_miles:g}", z.school][column]
