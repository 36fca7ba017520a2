"""CPU time of a bench's operations, next to their wall-clock time.

A wall-clock ratio moves with the machine's load: on a busy machine a commit waits longer for the
disk, which inflates a one-row baseline more than the operation it is compared with. CPU time does
not move with the load, so every latency bench prints the CPU ratio (operation / baseline, same run)
next to its wall-clock ratio. CPU here is the server processes serving the engine's connections
(read from /proc/<pid>/schedstat, nanoseconds, when the server runs on this machine, as the embedded
one does) plus this process (`time.process_time`, every thread: a register's sender included).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from sqlalchemy import Engine, event


def _server_ns(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _is_local_postgres(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"postgres")
    except OSError:
        return False


def _parent(pid: int) -> int | None:
    try:  # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


class ServerCpu:
    """CPU of the whole local PostgreSQL server: every process its postmaster started (the backends, and the WAL
    writer, checkpointer and autovacuum workers that do the writes' deferred work), found again at each reading
    (backends come and go). For throughput runs, where many connections share the machine's cores with this
    process: the CPU an operation costs, wherever it is spent."""

    def __init__(self, backend_pid: int | None) -> None:
        self.postmaster = _parent(backend_pid) if backend_pid and _is_local_postgres(backend_pid) else None

    def available(self) -> bool:
        return self.postmaster is not None

    def ns(self) -> int:
        total = 0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and _parent(int(entry.name)) == self.postmaster:
                total += _server_ns(int(entry.name)) or 0
        return total

    def measure(self, fn):
        """(fn's result, this process's CPU seconds, the server's CPU seconds) over fn(); None for the server's
        when it runs on another machine."""
        server0 = self.ns() if self.available() else None
        cpu0 = time.process_time()
        result = fn()
        cpu = time.process_time() - cpu0
        server = (self.ns() - server0) / 1e9 if server0 is not None else None
        return result, cpu, server


class CpuMeter:
    """Wall and CPU seconds of calls made through one engine (attach it before the engine connects)."""

    def __init__(self, engine: Engine) -> None:
        self._pids: set[int] = set()
        self.remote = False  # a server on another machine: no server CPU to read
        event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection, _record) -> None:
        pid = getattr(getattr(dbapi_connection, "info", None), "backend_pid", None)
        if pid and _is_local_postgres(pid):
            self._pids.add(pid)
        else:
            self.remote = True

    def pids(self) -> set[int]:
        """The local server processes that served this engine's connections."""
        return set(self._pids)

    def _server(self) -> dict[int, int]:
        return {pid: ns for pid in self._pids if (ns := _server_ns(pid)) is not None}

    def measure(self, fn) -> tuple[float, float]:
        """(wall seconds, CPU seconds) of fn(); the /proc reads stay outside the wall-clock window."""
        server0 = self._server()
        cpu0 = time.process_time()
        t = time.perf_counter()
        fn()
        wall = time.perf_counter() - t
        cpu1 = time.process_time()
        server1 = self._server()
        server = sum(ns - server0.get(pid, 0) for pid, ns in server1.items())  # a new backend: all of its time
        return wall, cpu1 - cpu0 + server / 1e9

    def available(self) -> bool:
        return bool(self._pids) and not self.remote


def cpu_figures(meter: CpuMeter, operation: list[float], baseline: list[float], what: str) -> dict | None:
    """Median CPU milliseconds of the operation and of its baseline (the goals are on medians too), their
    ratio (lower is better), and the means, which an occasional heavy sample (a snapshot refresh, a garbage
    collection) pulls up."""
    if not meter.available() or not operation or not baseline:
        return None
    # the ratio of the printed figures, so that a reader's own division gives it
    op_ms = round(1000 * statistics.median(operation), 3)
    base_ms = round(1000 * statistics.median(baseline), 3)
    return {"operation_ms": op_ms, "baseline_ms": base_ms,
            "ratio": round(op_ms / base_ms, 2) if base_ms else None,
            "operation_mean_ms": round(1000 * statistics.fmean(operation), 3),
            "baseline_mean_ms": round(1000 * statistics.fmean(baseline), 3),
            "what": f"median CPU time ({what}) of the server processes serving this login and of this process; "
                    "unlike the wall-clock ratio it does not move with the machine's load"}
