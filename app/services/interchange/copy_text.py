"""COPY rows as one text-format buffer: the staging load writes a whole file's rows in one call
instead of adapting them value by value (several times faster for the import's row counts)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import Connection


def _esc(s: str) -> str:
    if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return s


def _array(items: list) -> str:
    return "{" + ",".join('"' + str(x).replace("\\", "\\\\").replace('"', '\\"') + '"' for x in items) + "}"


def cell(v) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, str):
        return _esc(v)
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, list):
        return _esc(_array(v))
    if isinstance(v, dict):
        return _esc(json.dumps(v, ensure_ascii=False))
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return str(v)


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    lines = ["\t".join(map(cell, r)) for r in rows]
    if not lines:
        return 0
    pg = conn.connection.driver_connection
    with pg.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        cp.write("\n".join(lines) + "\n")
    return len(lines)
