"""The benches `school-office-admin bench NAME` knows. The platform's own are listed here; a desk
adds its benches in a module of `app/bench/desks/` that defines `BENCHES = {name: Bench(...)}`,
so desks added in parallel never edit the same file.

A bench's `run(platform, args)` returns the result dict that `app.bench.report.emit` prints: its
figures next to a baseline measured in the same run, signed in as the role that does the work.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from app.errors import UserError


@dataclass(frozen=True)
class Bench:
    run: Callable  # (platform, args) -> dict
    needs_dynamo: bool = False


def _platform_benches() -> dict[str, Bench]:
    from app.bench import benches

    return {
        "seed": Bench(lambda p, a: benches.bench_seed(p.engine, students=a.students)),
        "search": Bench(lambda p, a: benches.bench_search(p.engine)),
        "attendance": Bench(lambda p, a: benches.bench_attendance(p.engine)),
        "timeline": Bench(lambda p, a: benches.bench_timeline(p.engine, p.dynamo_client), needs_dynamo=True),
    }


def all_benches() -> dict[str, Bench]:
    from app.bench import desks

    found = _platform_benches()
    for info in sorted(pkgutil.iter_modules(desks.__path__), key=lambda m: m.name):
        found.update(getattr(importlib.import_module(f"{desks.__name__}.{info.name}"), "BENCHES", {}))
    return found


def bench_names() -> list[str]:
    return list(all_benches())


def bench_named(name: str) -> Bench:
    try:
        return all_benches()[name]
    except KeyError:
        raise UserError(f"There is no bench called {name}; choose one of {', '.join(bench_names())}.") from None
