"""The Administration desk: the audit trail (filter, read, export to CSV) and staff sign-ins
(create, reset a password, turn off). Every action runs off the UI thread as the signed-in
administrator; the database decides what that login may do."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.audit_trail import AuditFilter, export_csv, list_audit
from app.services.staff_logins import list_staff_logins
from ui.dialogs import answered, ask_file
from ui.ops import OpFailed, run_op
from ui.screens.administration.audit_table_model import AuditTableModel, LoginsTableModel

OPERATIONS = ("Any action", "INSERT", "UPDATE", "DELETE", "VIEW")


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class AdministrationPage(QWidget):
    def __init__(self, engine: Callable[[], object], *, choose_csv_path: Callable[[], str] | None = None,
                 dynamo: Callable[[], object] | None = None, owner_engine: Callable[[], object] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._dynamo = dynamo or (lambda: None)
        self._choose_csv_path = choose_csv_path or self._ask_csv_path
        self.setAccessibleName("Administration desk")
        title = QLabel("Administration", objectName="deskTitle")
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Administration sections")
        self.tabs.addTab(self._audit_tab(), "Audit trail")
        self.tabs.addTab(self._logins_tab(), "Staff sign-ins")
        self.tabs.addTab(self._sessions_tab(), "Active workstations")
        from ui.screens.administration.import_tab import ImportTab

        self.import_tab = ImportTab(engine, owner_engine or (lambda: None))
        self.tabs.addTab(self.import_tab, "Import")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)

    # -- audit trail ----------------------------------------------------------------------
    def _audit_tab(self) -> QWidget:
        tab = QWidget()
        self.student = QLineEdit(placeholderText="student id")
        self.student.setAccessibleName("Student id filter")
        self.user = QLineEdit(placeholderText="sign-in or staff id")
        self.user.setAccessibleName("User filter")
        self.table = QComboBox(editable=True)
        self.table.setAccessibleName("Table filter")
        # wide enough to read a table's name (the list arrives after the first show)
        self.table.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.table.setMinimumContentsLength(len("edfi.studentsectionattendanceevent"))
        self.table.addItem("")
        self.table.lineEdit().setPlaceholderText("any table")
        self.operation = QComboBox()
        self.operation.addItems(OPERATIONS)
        self.operation.setAccessibleName("Action filter")
        today = date.today()
        self.date_from = QDateEdit(_qdate(today - timedelta(days=30)), calendarPopup=True)
        self.date_from.setAccessibleName("From date")
        self.date_to = QDateEdit(_qdate(today), calendarPopup=True)
        self.date_to.setAccessibleName("To date")
        for w in (self.date_from, self.date_to):  # as the attendance desk shows a day, whatever the system's locale
            w.setDisplayFormat("ddd MM/dd/yyyy")
        self.show_button = QPushButton("Show")
        self.export_button = QPushButton("Export CSV…")
        self.audit_message = QLabel("")
        self.audit_model = AuditTableModel(self)
        self.audit_view = QTableView()
        self.audit_view.setModel(self.audit_model)
        self.audit_view.setAccessibleName("Audit entries")
        self.audit_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        form = QFormLayout()
        row1 = QHBoxLayout()
        for w in (self.student, self.user, self.table, self.operation):
            row1.addWidget(w)
        row2 = QHBoxLayout()
        for w in (QLabel("From"), self.date_from, QLabel("to"), self.date_to, self.show_button, self.export_button):
            row2.addWidget(w)
        row2.addStretch(1)
        form.addRow(row1)
        form.addRow(row2)
        layout = QVBoxLayout(tab)
        layout.addLayout(form)
        layout.addWidget(self.audit_message)
        layout.addWidget(self.audit_view, 1)
        self.show_button.clicked.connect(lambda: self._spawn(self.show_audit()))
        self.export_button.clicked.connect(lambda: self._spawn(self.export_audit()))
        return tab

    def current_filter(self) -> AuditFilter:
        op = self.operation.currentText()
        return AuditFilter(
            student_unique_id=self.student.text().strip() or None, user=self.user.text().strip() or None,
            table_name=self.table.currentText().strip() or None, operation=None if op == OPERATIONS[0] else op,
            date_from=self.date_from.date().toPython(), date_to=self.date_to.date().toPython())

    def _with_conn(self, fn, *args):
        def work():
            with self._engine().connect() as conn:
                return fn(conn, *args)
        return work

    async def show_audit(self) -> int:
        try:
            entries = await run_op(self._with_conn(list_audit, self.current_filter()),
                                   disable=(self.show_button, self.export_button))
        except OpFailed as err:
            self.audit_message.setText(err.message)
            return -1
        self.audit_model.set_rows(entries)
        self.audit_message.setText(f"{len(entries)} entries" + (" (the newest 500)" if len(entries) == 500 else ""))
        return len(entries)

    async def export_audit(self) -> str | None:
        path = await answered(self._choose_csv_path())
        if not path:
            return None
        try:
            data = await run_op(self._with_conn(export_csv, self.current_filter()),
                                disable=(self.show_button, self.export_button))
            await run_op(lambda: open(path, "wb").write(data))
        except OpFailed as err:
            self.audit_message.setText(err.message)
            return None
        self.audit_message.setText(f"Saved {path}")
        return path

    async def _ask_csv_path(self) -> str | None:
        """Asked from the export coroutine: an awaited dialog (ui/dialogs.py), never exec()ed."""
        return await ask_file(self, "Export the audit trail", save=True, suggested="audit-trail.csv",
                              filters="CSV files (*.csv)")

    # -- staff sign-ins -------------------------------------------------------------------
    def _logins_tab(self) -> QWidget:
        tab = QWidget()
        self.logins_model = LoginsTableModel(self)
        self.logins_view = QTableView()
        self.logins_view.setModel(self.logins_model)
        self.logins_view.setAccessibleName("Staff sign-ins")
        self.logins_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.logins_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.refresh_button = QPushButton("Refresh")
        self.new_button = QPushButton("New sign-in…")
        self.reset_button = QPushButton("Reset password…")
        self.disable_button = QPushButton("Turn off sign-in")
        self.logins_message = QLabel("")
        buttons = QHBoxLayout()
        for b in (self.refresh_button, self.new_button, self.reset_button, self.disable_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(tab)
        layout.addLayout(buttons)
        layout.addWidget(self.logins_message)
        layout.addWidget(self.logins_view, 1)
        self.refresh_button.clicked.connect(lambda: self._spawn(self.refresh_logins()))
        self.reset_button.clicked.connect(self._reset_clicked)
        self.new_button.clicked.connect(lambda: self._spawn(self.new_sign_in()))
        self.disable_button.clicked.connect(lambda: self._spawn(self.disable_selected()))
        return tab

    async def refresh_logins(self) -> int:
        try:
            rows = await run_op(self._with_conn(list_staff_logins), disable=(self.refresh_button,))
        except OpFailed as err:
            self.logins_message.setText(err.message)
            return -1
        self.logins_model.set_rows(rows)
        self.logins_message.setText(f"{len(rows)} sign-ins")
        return len(rows)

    async def new_sign_in(self) -> bool:
        """Ask for the new sign-in in a dialog, then create it, link the staff member to the chosen
        schools and grant the roles, in one transaction."""
        from app.security.logins import school_choices, staff_choices

        try:
            staff, schools = await run_op(self._with_conn(lambda c: (staff_choices(c), school_choices(c))))
        except OpFailed as err:
            self.logins_message.setText(err.message)
            return False
        value = self.ask_new_sign_in(staff, schools)
        if inspect.isawaitable(value):  # the real dialog is awaited; a test answers at once
            value = await value
        if value is None:
            return False
        return await self.create_sign_in(value)

    async def ask_new_sign_in(self, staff, schools):  # replaceable in tests: a dialog is outside their control
        from ui.dialogs import run_dialog
        from ui.screens.administration.new_sign_in_dialog import NewSignInDialog

        dialog = NewSignInDialog(staff, schools, self)
        # Asked from the new_sign_in coroutine: awaited, not exec()'d (no nested event loop).
        value = dialog.value() if await run_dialog(dialog) else None
        dialog.deleteLater()
        return value

    async def create_sign_in(self, value) -> bool:
        from app.domain.school_calendar import school_year_for
        from app.errors import UserError
        from app.security.logins import create_staff_login, link_staff_to_schools

        def work():
            if not value.school_ids:
                raise UserError("Tick at least one school the staff member works at.")
            with self._engine().begin() as conn:
                link_staff_to_schools(conn, value.staff_usi, value.school_ids, school_year_for(date.today()))
                create_staff_login(conn, value.login, value.password, value.staff_usi, value.groups)

        try:
            await run_op(work, disable=(self.new_button,))
        except OpFailed as err:
            self.logins_message.setText(err.message)
            return False
        await self.refresh_logins()
        self.logins_message.setText(f"{value.login} can now sign in.")
        return True

    def selected_login(self) -> str | None:
        idx = self.logins_view.currentIndex()
        return self.logins_model.rows[idx.row()].login if idx.isValid() else None

    def _reset_clicked(self) -> None:
        login = self.selected_login()
        if login is None:
            self.logins_message.setText("Choose a sign-in in the list first.")
            return
        password, ok = QInputDialog.getText(self, "Reset password", f"New password for {login}:",
                                            QLineEdit.EchoMode.Password)
        if ok:
            self._spawn(self.reset_selected(password))

    async def reset_selected(self, password: str) -> bool:
        from app.security.logins import reset_password

        return await self._change_login(reset_password, password, done="Password changed for {login}.")

    async def disable_selected(self) -> bool:
        from app.security.logins import disable_login

        return await self._change_login(disable_login, done="{login} can no longer sign in.")

    async def _change_login(self, action, *args, done: str) -> bool:
        login = self.selected_login()
        if login is None:
            self.logins_message.setText("Choose a sign-in in the list first.")
            return False

        def work():
            with self._engine().begin() as conn:
                action(conn, login, *args)

        try:
            await run_op(work, disable=(self.reset_button, self.disable_button))
        except OpFailed as err:
            self.logins_message.setText(err.message)
            return False
        await self.refresh_logins()
        self.logins_message.setText(done.format(login=login))
        return True

    # -- active workstations (DynamoDB UserSessions) ---------------------------------------
    def _sessions_tab(self) -> QWidget:
        from ui.screens.administration.audit_table_model import SessionsTableModel

        tab = QWidget()
        self.sessions_model = SessionsTableModel(self)
        self.sessions_view = QTableView()
        self.sessions_view.setModel(self.sessions_model)
        self.sessions_view.setAccessibleName("Active workstations")
        self.sessions_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.sessions_button = QPushButton("Refresh")
        self.sessions_message = QLabel("")
        layout = QVBoxLayout(tab)
        layout.addWidget(self.sessions_button, 0)
        layout.addWidget(self.sessions_message)
        layout.addWidget(self.sessions_view, 1)
        self.sessions_button.clicked.connect(lambda: self._spawn(self.refresh_sessions()))
        return tab

    async def refresh_sessions(self) -> int:
        from app.dynamo.sessions import active_sessions

        client = self._dynamo()
        if client is None:
            self.sessions_message.setText("DynamoDB is not available, so active workstations cannot be listed now.")
            return -1
        try:
            rows = await run_op(active_sessions, client, disable=(self.sessions_button,))
        except OpFailed:
            self.sessions_message.setText("DynamoDB did not answer, so active workstations cannot be listed now.")
            return -1
        self.sessions_model.set_rows(rows)
        self.sessions_message.setText(f"{len(rows)} active sign-ins (new ones appear once delivered from the outbox)")
        return len(rows)

    @staticmethod
    def _spawn(coro) -> None:
        import asyncio

        asyncio.ensure_future(coro)
