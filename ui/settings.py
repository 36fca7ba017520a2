"""The one typed wrapper over QSettings: window geometry, the last sign-in name and each user's
own last desk. Never a password: those live only in the OS keyring."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings


class UiSettings:
    def __init__(self, settings: QSettings | None = None) -> None:
        self._s = settings or QSettings("School Office", "School Office")

    @property
    def geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

    @property
    def last_desk(self) -> str | None:
        value = self._s.value("window/last_desk")
        return str(value) if value else None

    @last_desk.setter
    def last_desk(self, value: str) -> None:
        self._s.setValue("window/last_desk", value)

    @property
    def last_login(self) -> str | None:
        value = self._s.value("sign_in/last_login")
        return str(value) if value else None

    @last_login.setter
    def last_login(self, value: str) -> None:
        self._s.setValue("sign_in/last_login", value)

    def desk_for(self, login: str) -> str | None:
        """The desk this user last worked at on this computer (each user returns to their own)."""
        value = self._s.value(f"desks/{login}")
        return str(value) if value else None

    def set_desk_for(self, login: str, key: str) -> None:
        self._s.setValue(f"desks/{login}", key)

    def printer_for(self, kind: str) -> str | None:
        """The printer last chosen on this workstation for this kind of printout ("id_card",
        "schedule"): ID cards go to the card printer, schedules to the office printer."""
        value = self._s.value(f"printers/{kind}")
        return str(value) if value else None

    def set_printer_for(self, kind: str, name: str) -> None:
        self._s.setValue(f"printers/{kind}", name)

    def sync(self) -> None:
        self._s.sync()
