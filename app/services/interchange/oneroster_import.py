"""`import oneroster`: one service call, all or nothing.

The package is validated completely (every problem in one pass) inside the transaction that would
load it; with any problem, or on a dry run, the transaction is rolled back and nothing is written.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine, text

from app.services.interchange.package import Package, Problem

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]  # (what is happening, fraction done 0..1)


@dataclass(frozen=True)
class ImportResult:
    package: str
    version: str
    rows: int
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    changed: dict = field(default_factory=dict)
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed_rows(self) -> int:
        return sum(self.changed.values())

    def summary(self) -> str:
        if self.problems:
            n = len(self.problems)
            return (f"The package was refused: {n} problem{'s' if n != 1 else ''} found; nothing was written. "
                    "Fix them and import it again.")
        if self.dry_run:
            return f"The package is valid (OneRoster {self.version}, {self.rows} rows); nothing was written (dry run)."
        if not self.changed_rows:
            return f"The package is valid ({self.rows} rows) and already loaded; nothing changed."
        what = self.version if self.version.startswith("Ed-Fi") else f"OneRoster {self.version}"
        return (f"Imported {what}: {self.rows} rows read, {self.changed_rows} rows changed in "
                f"{len(self.changed)} tables ({self.seconds:.1f} s).")


def tag_import(conn, app_user: str | None) -> None:
    """Name, for this transaction's audit entry, the signed-in staff member who started the import
    (the Administration desk's tab); the database login is recorded in any case."""
    if app_user:
        conn.execute(text("SELECT set_config('school_office.app_user', :u, true)"), {"u": app_user})


def import_oneroster(engine: Engine, path: str | Path, *, dry_run: bool = False, progress: Progress | None = None,
                     now: datetime | None = None, app_user: str | None = None) -> ImportResult:
    from app.services.interchange import oneroster_load
    from app.services.interchange.oneroster_validate import validate

    report = progress or (lambda _what, _f: None)
    started = time.perf_counter()
    now = now or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    report("Reading the package", 0.0)
    pkg = Package(path)
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            tag_import(conn, app_user)
            report("Checking every file", 0.1)
            val = validate(pkg, conn, now=now)
            log.debug("checked %d rows in %.2f s", val.rows, time.perf_counter() - started)
            changed: dict = {}
            if val.ok and not dry_run:
                report("Loading", 0.5)
                res = oneroster_load.load(conn, val, now=now, package_label=Path(path).name,
                                          package_digest=oneroster_load.digest(pkg))
                changed = res.changed
                report("Saving", 0.95)
                tx.commit()
            else:
                tx.rollback()
        except BaseException:
            if tx.is_active:
                tx.rollback()
            raise
    result = ImportResult(str(path), val.version, val.rows, tuple(val.problems), tuple(val.warnings), changed,
                          dry_run, time.perf_counter() - started)
    log.info("oneroster import %s: %s", path, result.summary())
    report("Done", 1.0)
    return result
