"""Monthly partitions of compliance.audit_logs.

The migration creates `compliance.ensure_audit_partition(month)` and a DEFAULT partition, so an
insert can never fail for a missing partition. The app calls `ensure_audit_partitions` at every
start (and the shipper once a day) to keep this and next month's partitions in place; rows that
ever landed in the default partition are moved into their month when it is created.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, text


def months_ahead(today: date, count: int = 2) -> list[date]:
    out = []
    y, m = today.year, today.month
    for _ in range(count):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def ensure_audit_partitions(engine: Engine, today: date | None = None) -> list[str]:
    today = today or date.today()
    names = []
    with engine.begin() as conn:
        for month in months_ahead(today):
            names.append(conn.execute(text("SELECT compliance.ensure_audit_partition(:m)"), {"m": month}).scalar_one())
    return names
