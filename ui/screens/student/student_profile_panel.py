"""The student profile panel: who the student is, their contacts, and the badges (allergy,
IEP/504, low meal balance) the signed-in role may see, each linking to the desk that owns it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.services.student_profile import StudentProfile

BADGE_COLOURS = {"allergy": "#9b1c1c", "iep": "#1f3a5f", "plan504": "#1f3a5f", "low_balance": "#7a4a00"}


class StudentProfilePanel(QFrame):
    desk_requested = Signal(str)
    record_requested = Signal(int, str, str)  # student_usi, record type (health/specialed), desk

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profilePanel")
        self.setAccessibleName("Student profile")
        self.setFixedWidth(320)
        self.photo = QLabel("Photo", objectName="photo")
        self.photo.setFixedSize(96, 112)
        self.photo.setAccessibleName("Student photo (placeholder)")
        self.name = QLabel(objectName="profileName", wordWrap=True)
        self.name.setAccessibleName("Student name")
        self.details = QLabel(wordWrap=True)
        self.details.setAccessibleName("Grade and school")
        self.badges = QHBoxLayout()
        self.contacts = QLabel(wordWrap=True)
        self.contacts.setAccessibleName("Contacts")
        layout = QVBoxLayout(self)
        layout.addWidget(self.photo)
        layout.addWidget(self.name)
        layout.addWidget(self.details)
        layout.addLayout(self.badges)
        layout.addWidget(QLabel("Contacts", objectName="sectionTitle"))
        layout.addWidget(self.contacts)
        layout.addStretch(1)
        self.badge_buttons: list[QPushButton] = []
        self.setVisible(False)

    def show_profile(self, p: StudentProfile) -> None:
        self.student_usi = p.student_usi
        self.name.setText(p.name)
        bits = [f"Student id {p.student_unique_id}", p.grade_level or "", p.school_name or ""]
        if p.birth_date:
            bits.append(f"Born {p.birth_date:%m/%d/%Y}")
        self.details.setText("\n".join(b for b in bits if b))
        for b in self.badge_buttons:
            b.deleteLater()
        self.badge_buttons = []
        for badge in p.badges:
            btn = QPushButton(badge.text)
            btn.setAccessibleName(f"{badge.text} (opens the {badge.desk} desk)")
            btn.setStyleSheet(f"background: {BADGE_COLOURS.get(badge.key, '#1f3a5f')}; color: #ffffff; "
                              "border-radius: 10px; padding: 3px 10px; font-weight: 600;")
            if badge.record_type:
                btn.clicked.connect(lambda _c=False, b=badge: self.record_requested.emit(
                    self.student_usi, b.record_type, b.desk))
            else:
                btn.clicked.connect(lambda _c=False, d=badge.desk: self.desk_requested.emit(d))
            self.badges.addWidget(btn)
            self.badge_buttons.append(btn)
        lines = []
        for c in p.contacts:
            line = f"{c.name}" + (f" ({c.relation})" if c.relation else "") + (f" — {c.phone}" if c.phone else "")
            if c.emergency:
                line += " · emergency contact"
            if c.pickup_restriction:
                line += f"\n   ⚠ {c.pickup_restriction}"
            lines.append(line)
        self.contacts.setText("\n".join(lines) if lines else "No contacts you may see.")
        self.setVisible(True)
