"""The OS keyring is outside our control, so the suite installs this one (tests/conftest.py).

It keeps secrets in memory and, when SCHOOL_OFFICE_TEST_KEYRING names a file, also there, so a
child process a test starts (a second instance on the same data folder) finds the same secrets,
as it would in the real OS keyring. The file lives in the test run's temporary folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ENV = "SCHOOL_OFFICE_TEST_KEYRING"


class KeyringDouble(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._secrets: dict[str, str] = {}

    def _file(self) -> Path | None:
        return Path(os.environ[ENV]) if os.environ.get(ENV) else None

    def _load(self) -> dict[str, str]:
        f = self._file()
        if f is not None and f.exists():
            self._secrets = json.loads(f.read_text() or "{}")
        return self._secrets

    def _save(self) -> None:
        f = self._file()
        if f is not None:
            f.write_text(json.dumps(self._secrets))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._load()[f"{service}\0{username}"] = password
        self._save()

    def delete_password(self, service: str, username: str) -> None:
        if self._load().pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save()
