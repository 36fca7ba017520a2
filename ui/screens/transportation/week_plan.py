"""A rider's week: for each day and direction, the run, the stop and an address for that ride
(daycare on Wednesdays, the other parent's on Fridays) or no ride. Saturday and Sunday show when the
plan has rides then (or when asked for); a ride on a run no longer offered for the student's school
shows as such (saving it is refused with one sentence), never silently as no ride. Tab moves along a
row and then to the next one; every control says which day and direction it is for."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QWidget

from app.domain.transport_rules import DAYS
from app.errors import UserError
from app.services.transport import riders, routes
from ui.widgets import combo, fill, line

NO_RIDE = "(no ride)"
WAYS = (("to_school", "to school"), ("from_school", "home"))
WEEK = range(1, 8)
WEEKEND = (6, 7)
NOT_OFFERED = "not offered for this school"


class WeekPlan(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("The rider's week by day and direction")
        self.choices: dict[str, list[routes.RunChoice]] = {"to_school": [], "from_school": []}
        self.rows: dict[tuple[int, str], tuple] = {}
        self.names: dict[int, str] = {}  # every run's name, offered or not
        self.on_file: dict[tuple[int, str], riders.Leg] = {}  # rides on runs not offered for the school
        self.dirty = False
        self.weekend_widgets: list[QWidget] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for col, head in enumerate(("", "Run", "Stop", "Address for this ride (empty: home)")):
            grid.addWidget(QLabel(head), 0, col)
        self.weekend = QCheckBox("Saturday and Sunday")
        self.weekend.setAccessibleName("Show Saturday and Sunday rides")
        self.weekend.toggled.connect(self._show_weekend)
        r = 1
        for day in WEEK:
            for way, label in WAYS:
                what = f"{DAYS[day - 1]} {label}"
                run, stop = combo(f"Run {what}"), combo(f"Stop {what}")
                address = line(f"Address {what}", "home")
                head = QLabel(what)
                if day in WEEKEND:
                    self.weekend_widgets += [head, run, stop, address]
                grid.addWidget(head, r, 0)
                grid.addWidget(run, r, 1)
                grid.addWidget(stop, r, 2)
                grid.addWidget(address, r, 3)
                run.activated.connect(lambda _i, k=(day, way): self._run_chosen(k))
                stop.activated.connect(self._touched)
                address.textEdited.connect(self._touched)
                self.rows[day, way] = (run, stop, address)
                r += 1
        grid.addWidget(self.weekend, r, 0, 1, 2)
        self._show_weekend(False)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 3)
        grid.setColumnStretch(3, 3)

    def _show_weekend(self, on: bool) -> None:
        if not on and any(self.rows[d, w][0].currentData() is not None for d in WEEKEND for w, _l in WAYS):
            self.weekend.setChecked(True)  # weekend rides stay in sight: set them to no ride first
            return
        for w in self.weekend_widgets:
            w.setVisible(on)

    def _touched(self, *_a) -> None:
        self.dirty = True

    def _run_chosen(self, key: tuple[int, str]) -> None:
        self._fill_stops(key)
        self.dirty = True

    def _fill_stops(self, key: tuple[int, str]) -> None:
        run, stop, _a = self.rows[key]
        found = next((c for c in self.choices[key[1]] if c.run_id == run.currentData()), None)
        stops = found.stops if found else ()
        fill(stop, [f"{name} ({t:%H:%M})" for _i, name, t in stops], data=[i for i, _n, _t in stops])
        g = self.on_file.get(key)
        if found is None and g is not None and run.currentData() == g.run_id:
            fill(stop, ["the stop on file"], data=[g.stop_id])

    def set_choices(self, to_school: list[routes.RunChoice], home: list[routes.RunChoice],
                    names: dict[int, str] | None = None) -> None:
        """The runs a rider of this school may take, each way (keeps what is chosen where it still fits).
        names: every run's name, for a ride on file on a run not offered."""
        keep = self.legs(strict=False)
        self.choices = {"to_school": to_school, "from_school": home}
        self.names = names if names is not None else self.names
        for (_day, way), (run, _s, _a) in self.rows.items():
            runs = self.choices[way]
            fill(run, [NO_RIDE] + [c.name for c in runs], data=[None] + [c.run_id for c in runs])
        self.load(keep, dirty=self.dirty)

    def load(self, legs, dirty: bool = False) -> None:
        """Show these legs (the plan on file, or a week filled from the usual runs); the rest: no ride."""
        by_key = {(g.day_of_week, g.direction): g for g in legs}
        self.on_file = {}
        for key, (run, stop, address) in self.rows.items():
            g = by_key.get(key)
            for i in range(run.count() - 1, 0, -1):  # an earlier student's ride not offered
                if NOT_OFFERED in run.itemText(i):
                    run.removeItem(i)
            if g is not None and run.findData(g.run_id) < 0:
                self.on_file[key] = g
                run.addItem(f"{self.names.get(g.run_id, 'a run no longer running')} ({NOT_OFFERED})", g.run_id)
            run.setCurrentIndex(max(run.findData(g.run_id), 0) if g else 0)
            self._fill_stops(key)
            if g is not None:
                stop.setCurrentIndex(max(stop.findData(g.stop_id), 0))
            address.setText(g.alternate_address if g else "")
        self.weekend.setChecked(self.weekend.isChecked() or any(d in WEEKEND for d, _w in by_key))
        self.dirty = dirty

    def problems(self) -> str:
        """One sentence about rides on file that the week cannot offer again ("" when none)."""
        if not self.on_file:
            return ""
        (day, way), g = sorted(self.on_file.items())[0]
        more = f" (and {len(self.on_file) - 1} more)" if len(self.on_file) > 1 else ""
        return (f"{DAYS[day - 1]} {dict(WAYS)[way]}{more} is on {self.names.get(g.run_id, 'a run no longer running')}, "
                f"which is {NOT_OFFERED}; pick another run or no ride before saving.")

    def fill_week(self, days, am: tuple[int | None, int | None], pm: tuple[int | None, int | None]) -> None:
        """The usual plan: the same run and stop each way on the ticked days (addresses kept)."""
        addresses = {k: a.text() for k, (_r, _s, a) in self.rows.items()}
        legs = []
        for d in days:
            for way, (run_id, stop_id) in (("to_school", am), ("from_school", pm)):
                if run_id is not None and stop_id is not None:
                    legs.append(riders.Leg(d, way, run_id, stop_id, addresses[d, way]))
        self.load(legs, dirty=True)

    def legs(self, strict: bool = True) -> tuple[riders.Leg, ...]:
        out = []
        for (day, way), (run, stop, address) in self.rows.items():
            if run.currentData() is None:
                continue
            if stop.currentData() is None:
                if strict:
                    raise UserError(f"{run.currentText()} has no stops yet, so {DAYS[day - 1]} "
                                    f"{dict(WAYS)[way]} has no stop; add stops on the Runs tab or pick another run.")
                continue
            out.append(riders.Leg(day, way, run.currentData(), stop.currentData(), address.text().strip()))
        return tuple(out)
