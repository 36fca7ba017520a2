"""The Administration desk's Import tab: bring a district in from a OneRoster package (zip or
folder) or Ed-Fi XML interchanges, with a progress bar and every problem listed.

Checking runs as the signed-in administrator (it only reads). Importing writes tables that only
the schema owner may write (who works where, among them), so it runs with the owner's connection
where this computer holds it (the single-machine setup); on a workstation of a server deployment
the tab says to run `school-office-admin import` on the server. Both run off the UI thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import text

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.interchange.package import Problem
from ui.ops import OpFailed, run_op
from ui.table_model import DtoTableModel

KINDS = ("OneRoster CSV package", "Ed-Fi XML interchanges")


class ProblemsTableModel(DtoTableModel):
    """Rows: (kind, Problem), kind "Problem" (the package is refused for it) or "Note" (read, worth a look)."""
    HEADERS = ("Kind", "File", "Row / line", "Column / element", "What was found")
    COL_KIND, COL_FILE, COL_ROW, COL_COLUMN, COL_MESSAGE = range(5)

    def cell(self, row: tuple[str, Problem], column: int) -> str:
        kind, p = row
        return [kind, p.file, "" if p.row is None else str(p.row), p.column or "", p.message][column]


FIT_ROWS = 500  # up to this many rows grow to show their whole sentence (beyond, the tooltip shows it)


class ImportTab(QWidget):
    def __init__(self, engine: Callable[[], object], owner_engine: Callable[[], object | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._engine, self._owner_engine = engine, owner_engine
        self.setAccessibleName("Import a district")
        self.kind = QComboBox()
        self.kind.addItems(KINDS)
        self.kind.setAccessibleName("What to import")
        self.path = QLineEdit(placeholderText="a .zip file or a folder")
        self.path.setAccessibleName("Package to import")
        self.browse_zip = QPushButton("Choose zip…")
        self.browse_folder = QPushButton("Choose folder…")
        self.check_only = QCheckBox("Only check, write nothing")
        self.check_only.setChecked(True)  # the safe default: a first run checks
        self.import_button = QPushButton("Check")
        self.import_button.setAccessibleName("Check or import the package")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setAccessibleName("Import progress")
        self.progress.setFormat("%p%")
        self.progress.setTextVisible(True)
        self.stage = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Import result")
        self.problems_model = ProblemsTableModel()
        self.problems = QTableView()
        self.problems.setModel(self.problems_model)
        self.problems.setAccessibleName("Problems found")
        header = self.problems.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ProblemsTableModel.COL_MESSAGE, QHeaderView.ResizeMode.Stretch)
        self.problems.setWordWrap(True)
        # rows grow to their sentence once the columns have their widths (after the layout settles)
        self._fit_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self._fit_rows)
        header.sectionResized.connect(lambda *_: self._fit_timer.start())
        row = QHBoxLayout()
        row.addWidget(self.kind)
        row.addWidget(self.path, 1)
        row.addWidget(self.browse_zip)
        row.addWidget(self.browse_folder)
        actions = QHBoxLayout()
        actions.addWidget(self.check_only)
        actions.addStretch(1)
        actions.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(actions)
        layout.addWidget(self.progress)
        layout.addWidget(self.stage)
        layout.addWidget(self.message)
        layout.addWidget(self.problems, 1)
        self.browse_zip.clicked.connect(self._choose_zip)
        self.browse_folder.clicked.connect(self._choose_folder)
        self.check_only.toggled.connect(lambda on: self.import_button.setText("Check" if on else "Import"))
        self.import_button.clicked.connect(lambda: asyncio.ensure_future(self.run_import()))

    def _choose_zip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "OneRoster package", "", "Zip files (*.zip)")
        if path:
            self.path.setText(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of the package")
        if path:
            self.path.setText(path)

    def _show_progress(self, what: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))
        self.stage.setText(what)

    async def run_import(self):
        """Check or import what the form names; returns the ImportResult (None if it could not run)."""
        from app.services.interchange.edfi_xml import import_edfi
        from app.services.interchange.oneroster_import import import_oneroster

        path = self.path.text().strip()
        if not path:
            self.message.setText("Choose the package first: a zip file or a folder.")
            return None
        dry_run = self.check_only.isChecked()
        engine = self._engine() if dry_run else self._owner_engine()
        if engine is None:
            self.message.setText("Importing writes tables only the schema owner may write, and this computer does not "
                                 "hold that sign-in; run 'school-office-admin import oneroster PATH' on the server "
                                 "(checking works here).")
            return None
        loop = asyncio.get_event_loop()

        def progress(what: str, fraction: float) -> None:  # called on the worker thread
            loop.call_soon_threadsafe(self._show_progress, what, fraction)

        run = import_oneroster if self.kind.currentIndex() == 0 else import_edfi
        self.problems_model.set_rows([])
        self.message.setText("")
        try:
            result = await run_op(lambda: run(engine, path, dry_run=dry_run, progress=progress,
                                              app_user=None if dry_run else _signed_in(self._engine())),
                                  disable=(self.import_button, self.browse_zip, self.browse_folder, self.kind))
        except OpFailed as err:
            self.message.setText(err.message)
            self.progress.setValue(0)
            return None
        self.progress.setValue(100)
        self.show_found(result.problems, result.warnings)
        self.message.setText(result.summary() + notes_words(len(result.warnings), bool(result.problems)))
        return result

    def show_found(self, problems, notes) -> None:
        self.problems_model.set_rows([("Problem", p) for p in problems] + [("Note", w) for w in notes])
        self._fit_timer.start()

    def _fit_rows(self) -> None:
        if 0 < self.problems_model.rowCount() <= FIT_ROWS:
            self.problems.resizeRowsToContents()


def notes_words(notes: int, problems: bool) -> str:
    """What the result line adds about the notes (things read that are worth a look)."""
    if not notes:
        return ""
    what = "the note" if notes == 1 else f"the {notes} notes"
    return f" Read {what} after the problems too." if problems else f" Read {what} below."


def _signed_in(engine) -> str | None:
    """Who is signed in on this desk (the staff id their connections carry), for the import's audit entry."""
    if engine is None:
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT nullif(current_setting('school_office.app_user', true), '')")).scalar()
