"""Does a rider fit the buses of the runs they are put on? One check for every path that puts a
rider on a run or changes what they need: a plan, a temporary change, the nurse's IEP bus needs.

- A need the bus cannot meet (no lift, car seat or harness, no wheelchair position, or no free one
  for a wheelchair rider) is refused with one sentence: "Yes" cannot put a wheelchair rider on a bus
  without a lift.
- Seats the riders' grades would overfill are a warning the caller asks about (OverloadWarning):
  never a silent overload.
The loads count every rider of the run with their needs in force (transportation.run_loads_on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.domain import transport_rules as rules
from app.errors import UserError
from app.services.transport.common import load_bands
from app.services.transport.routes import run_loads


class OverloadWarning(UserError):
    """The change would overload a run: ask, then call again with confirm_overload."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(warnings[0])
        self.warnings = warnings


@dataclass(frozen=True)
class RunBus:
    run_id: int
    name: str
    seats: int | None  # None: the run has no bus
    positions: int
    equipment: tuple[str, ...]


def check_fit(conn: Connection, day: date, runs: dict[int, RunBus], adding: dict[tuple[int, int], int],
              grade: str | None, wheelchair: bool, equipment: tuple[str, ...], student_usi: int | None,
              others: int = 0, fix: str = "choose a run whose bus has it") -> list[str]:
    """For each (run, weekday) the rider is put on (`adding`: how many rides), counted without the
    rider's own current plan: raises UserError when the bus cannot meet the rider's needs; returns the
    overload warnings to ask about. others: riders other parents' notes put on the run those days."""
    bands = load_bands(conn)
    loads = run_loads(conn, day, sorted({r for r, _d in adding}), except_student=student_usi)
    out: list[str] = []
    for (run_id, dow), extra in sorted(adding.items()):
        run = runs[run_id]
        day_name = rules.day_name(dow)
        if run.seats is None:
            msg = f"{run.name} has no bus yet; give it a bus before assigning riders."
            if msg not in out:
                out.append(msg)
            continue
        lacking = rules.missing_equipment(equipment, run.equipment, wheelchair, run.positions)
        if lacking:
            what = ", ".join(lacking[:-1]) + " or " + lacking[-1] if len(lacking) > 1 else lacking[0]
            raise UserError(f"The bus of {run.name} has no {what}, which this rider needs; {fix}.")
        grades, chairs = loads.get(run_id, {}).get(dow, ([], 0))
        if wheelchair and chairs + extra > run.positions:
            raise UserError(f"{run.name} on {day_name} has no free wheelchair position ({chairs} of {run.positions} "
                            f"taken) for this rider; {fix.replace('has it', 'has room')}.")
        grades = list(grades) + ([] if wheelchair else [grade] * extra) + [grade] * others
        warning = rules.overload_warning(run.name, day_name, rules.capacity(
            run.seats, run.positions, grades, chairs + (extra if wheelchair else 0), bands))
        if warning and warning not in out:
            out.append(warning)
    return out


def check_rider_needs(conn: Connection, student_usi: int, day: date, wheelchair: bool, equipment: tuple[str, ...],
                      *, confirm_overload: bool = False) -> None:
    """The rider's needs are about to change (the nurse saves an IEP's bus needs): the runs they ride
    from `day` on must still carry them (refusal otherwise) and not be overloaded (OverloadWarning
    unless confirmed)."""
    rows = conn.execute(text("SELECT run_id, run_name, day_of_week, seats, positions, equipment, grade "
                             "FROM transportation.rider_runs_on(:u, :d)"), {"u": student_usi, "d": day}).all()
    if not rows:
        return
    runs = {r[0]: RunBus(r[0], r[1], r[3], r[4], tuple(r[5])) for r in rows}
    adding = {(r[0], r[2]): 1 for r in rows}
    warnings = check_fit(conn, day, runs, adding, rows[0][6], wheelchair, equipment, student_usi,
                         fix="the transportation coordinator moves the rider to a bus with it first")
    if warnings and not confirm_overload:
        raise OverloadWarning(warnings)
