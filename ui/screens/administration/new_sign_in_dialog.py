"""The 'New sign-in' dialog: a staff member, a sign-in name, a first password, roles and schools."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.security.logins import GROUP_ROLES


@dataclass(frozen=True)
class NewSignIn:
    login: str
    password: str
    staff_usi: int
    groups: tuple[str, ...]
    school_ids: tuple[int, ...]


class NewSignInDialog(QDialog):
    def __init__(self, staff: list[tuple[int, str]], schools: list[tuple[int, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New sign-in")
        self.setAccessibleName("New sign-in")
        self.staff = QComboBox()
        self.staff.setAccessibleName("Staff member")
        for usi, label in staff:
            self.staff.addItem(label, usi)
        self.login = QLineEdit(placeholderText="e.g. jsmith")
        self.login.setAccessibleName("Sign-in name")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("First password")
        roles = QWidget()
        grid = QGridLayout(roles)
        self.role_boxes: dict[str, QCheckBox] = {}
        for i, g in enumerate(GROUP_ROLES):
            box = QCheckBox(g.removeprefix("so_").replace("_", " ").capitalize())
            box.setAccessibleName(f"Role {g}")
            grid.addWidget(box, i // 3, i % 3)
            self.role_boxes[g] = box
        schools_w = QWidget()
        col = QVBoxLayout(schools_w)
        self.school_boxes: dict[int, QCheckBox] = {}
        for sid, name in schools:
            box = QCheckBox(name)
            box.setAccessibleName(f"Works at {name}")
            col.addWidget(box)
            self.school_boxes[sid] = box
        self.message = QLabel("", objectName="signInMessage", wordWrap=True)
        form = QFormLayout()
        form.addRow("&Staff member", self.staff)
        form.addRow("Sign-in &name", self.login)
        form.addRow("First &password", self.password)
        form.addRow("Roles", roles)
        form.addRow("Schools", schools_w)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create sign-in")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons, 0, Qt.AlignmentFlag.AlignRight)

    def value(self) -> NewSignIn:
        return NewSignIn(self.login.text().strip().lower(), self.password.text(), int(self.staff.currentData()),
                         tuple(g for g, b in self.role_boxes.items() if b.isChecked()),
                         tuple(s for s, b in self.school_boxes.items() if b.isChecked()))
