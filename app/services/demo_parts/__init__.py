"""Each desk's part of the demo district, so desks added in parallel never edit demo_seed.py.

A module here defines `ORDER` (an int; parts load in ascending order, after the core district:
organizations, calendars, staff, students, contacts, sections, attendance, grades, discipline,
operations) and before the OneRoster mirror (so staff a part adds get their OneRoster user), and
`load(ctx)`, which writes through `ctx.copier` (COPY, all in the one
seed transaction) using `ctx.rng` for reproducible choices. See demo_seed.SeedContext.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time

log = logging.getLogger(__name__)


def load_parts(ctx) -> None:
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__)):
        started = time.perf_counter()
        module.load(ctx)
        log.info("demo part %s loaded in %.1f s", module.__name__.rsplit(".", 1)[-1], time.perf_counter() - started)
