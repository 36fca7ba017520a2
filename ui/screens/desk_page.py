"""A desk's page in the main window. Desks arrive one by one; until a desk's screens exist its
page says plainly what the desk will do, so nobody mistakes it for a broken screen."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


@dataclass(frozen=True)
class Desk:
    key: str
    title: str
    purpose: str
    roles: tuple[str, ...] = ()  # group roles that may use the desk (so_admin may use every desk)

    def allowed_for(self, groups: tuple[str, ...]) -> bool:
        return "so_admin" in groups or any(g in self.roles for g in groups)


DESKS: tuple[Desk, ...] = (
    Desk("front_office", "Front office", "Find students, register and enroll them, manage contacts and schedules.",
         ("so_front_office", "so_registrar")),
    Desk("attendance", "Attendance", "Take daily and period attendance; see who has not taken it yet.",
         ("so_teacher", "so_front_office", "so_dean", "so_registrar")),
    Desk("discipline", "Discipline", "Record incidents, the students involved, behaviors and actions.", ("so_dean",)),
    Desk("nurse", "Nurse", "Office visits, medications given, allergies and immunization compliance.", ("so_nurse",)),
    Desk("cafeteria", "Cafeteria", "The lunch line: scan, charge, deposit — and keep selling offline.",
         ("so_cashier", "so_cafeteria_manager")),
    Desk("library", "Library", "Check out, check in and renew items; overdue lists by homeroom.", ("so_librarian",)),
    Desk("transportation", "Transportation", "Routes, stops, rider lists and bus assignments.",
         ("so_transportation",)),
    Desk("reports", "Reports", "Report cards and transcripts, printed or saved as PDF.",
         ("so_registrar", "so_front_office", "so_teacher")),
    Desk("administration", "Administration", "Staff sign-ins, roles and the audit trail.", ("so_admin",)),
)


class DeskPage(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.setAccessibleName(f"{desk.title} desk")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        title = QLabel(desk.title)
        title.setObjectName("deskTitle")
        title.setAccessibleName(f"{desk.title} desk heading")
        purpose = QLabel(desk.purpose)
        purpose.setWordWrap(True)
        purpose.setObjectName("deskPurpose")
        self.body = QLabel("This desk's screens are not built yet.")
        self.body.setObjectName("deskNote")
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for w in (title, purpose, self.body):
            layout.addWidget(w)
        layout.addStretch(1)


def desk_page_for(desk: Desk, context) -> QWidget:
    """The desk's own page when its screens exist: `ui/screens/<key>/page.py` defines
    `build_page(desk_context) -> QWidget` (a TabbedDesk, usually). Otherwise the placeholder.
    Desks built in parallel each add their own module; nobody edits a shared list."""
    try:
        module = importlib.import_module(f"ui.screens.{desk.key}.page")
    except ModuleNotFoundError as err:
        if err.name not in (f"ui.screens.{desk.key}", f"ui.screens.{desk.key}.page"):
            raise  # the desk's page exists but imports something missing: a real error
        return DeskPage(desk)
    return module.build_page(context)
