"""The student profile panel: who the student is, their contacts, and the badges (allergy,
IEP/504, low meal balance) the signed-in role may see, each linking to the desk that owns it."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from app.domain.activity_text import describe

from app.services.student_profile import StudentProfile

BADGE_COLOURS = {"allergy": "#9b1c1c", "iep": "#1f3a5f", "plan504": "#1f3a5f", "low_balance": "#7a4a00",
                 "discipline": "#5b2a86"}


class TimelineModel(QAbstractListModel):
    """The student's activity records (app.dynamo.timeline.Activity), newest first; no I/O."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.items: list = []

    def set_items(self, items, append: bool = False) -> None:
        self.beginResetModel()
        self.items = (self.items if append else []) + list(items)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self.items)

    def text(self, row: int) -> str:
        a = self.items[row]
        when = a.timestamp[:16].replace("T", " ")
        return f"{when}  {describe(a.activity_type, a.details)}"

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                               Qt.ItemDataRole.AccessibleTextRole):
            return None
        return self.text(index.row())


RELEASES_SHOWN = 4


def releases_text(releases) -> str:
    """The newest releases of the student's transcripts, one paragraph each (who asked, who received
    it, on what legal basis, when, which document and its hash)."""
    if not releases:
        return "No transcript has been released."
    parts = [f"{r.released_on:%m/%d/%Y} · {'official' if r.official else 'unofficial'} {r.document_number} to "
             f"{r.recipient} ({r.legal_basis}); asked by {r.requested_by}; released by {r.released_by}; "
             f"SHA-256 {r.sha256[:12]}…" for r in releases[:RELEASES_SHOWN]]
    if len(releases) > RELEASES_SHOWN:
        parts.append(f"and {len(releases) - RELEASES_SHOWN} earlier (Reports desk, Transcripts tab)")
    return "\n".join(parts)


class StudentProfilePanel(QFrame):
    desk_requested = Signal(str)
    record_requested = Signal(int, str, str)  # student_usi, record type (health/specialed/discipline), desk
    older_requested = Signal()  # the next page of the activity timeline

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
        self.badges = QVBoxLayout()  # one badge per line: three side by side would be clipped
        self.badges.setSpacing(4)
        self.contacts = QLabel(wordWrap=True)
        self.contacts.setAccessibleName("Contacts")
        # At 1280x720 the panel takes a quarter of the desk: it closes with its button or Escape
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close the student profile")
        self.close_button.setToolTip("Close the student profile (Esc)")
        self.close_button.clicked.connect(self.hide)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.hide,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.photo)
        top.addStretch(1)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        layout.addWidget(self.name)
        layout.addWidget(self.details)
        layout.addLayout(self.badges)
        # the term's attendance calendar, for the roles that read daily attendance (set by the window)
        self.attendance_context = None  # ui.screens.desk_context.DeskContext
        self.attendance_button = QPushButton("Attendance…")
        self.attendance_button.setAccessibleName("Attendance calendar of this student")
        self.attendance_button.setVisible(False)
        self.attendance_button.clicked.connect(self.open_attendance)
        layout.addWidget(self.attendance_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(QLabel("Contacts", objectName="sectionTitle"))
        layout.addWidget(self.contacts)
        # the FERPA release log (34 CFR 99.32): only for logins the database lets read it
        self.releases_title = QLabel("Transcript releases", objectName="sectionTitle")
        self.releases = QLabel(wordWrap=True)
        self.releases.setAccessibleName("Transcript releases, newest first")
        self.releases.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                              | Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.releases_title)
        layout.addWidget(self.releases)
        layout.addWidget(QLabel("Recent activity", objectName="sectionTitle"))
        self.timeline_model = TimelineModel(self)
        self.timeline = QListView()
        self.timeline.setModel(self.timeline_model)
        self.timeline.setWordWrap(True)
        self.timeline.setSpacing(3)  # wrapped entries would otherwise run into one another
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setAccessibleName("Recent activity, newest first")
        self.timeline_note = QLabel("", wordWrap=True)
        self.timeline_note.setAccessibleName("Activity note")
        self.older = QPushButton("Show older")
        self.older.setAccessibleName("Show older activity")
        self.older.setVisible(False)
        self.older.clicked.connect(self.older_requested)
        layout.addWidget(self.timeline, 1)
        layout.addWidget(self.timeline_note)
        layout.addWidget(self.older)
        self.badge_buttons: list[QPushButton] = []
        self.setVisible(False)

    def show_profile(self, p: StudentProfile) -> None:
        self.student_usi = p.student_usi
        self.name.setText(p.name)
        bits = [f"Student id {p.student_unique_id}", p.grade_level or "", p.school_name or ""]
        if p.birth_date:
            bits.append(f"Born {p.birth_date:%m/%d/%Y}")
        self.details.setText("\n".join(b for b in bits if b))
        for b in self.badge_buttons:  # out of the layout now: deleteLater alone leaves them on screen a turn
            self.badges.removeWidget(b)
            b.hide()
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
            self.badges.addWidget(btn, 0, Qt.AlignmentFlag.AlignLeft)
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
        self.releases.setText(releases_text(p.transcript_releases) if p.transcript_releases is not None else "")
        self.releases_title.setVisible(p.transcript_releases is not None)
        self.releases.setVisible(p.transcript_releases is not None)
        self.attendance_button.setVisible(self.may_open_attendance())
        self.timeline_model.set_items([])
        self.timeline_note.setText("Loading…")
        self.older.setVisible(False)
        self.setVisible(True)

    def show_timeline(self, items, more: bool, append: bool = False, note: str = "") -> None:
        self.timeline_model.set_items(items, append)
        self.older.setVisible(more)
        self.timeline_note.setText(note or ("" if self.timeline_model.rowCount() else "No activity recorded yet."))

    def may_open_attendance(self) -> bool:
        from ui.screens.student.attendance_calendar import ROLES

        ctx = self.attendance_context
        return ctx is not None and bool(set(ROLES) & set(ctx.groups()))

    def open_attendance(self):
        """The open student's attendance calendar, in its own window (no nested event loop)."""
        from ui.screens.student.attendance_calendar import AttendanceCalendarDialog

        if not self.may_open_attendance():
            return None
        dialog = AttendanceCalendarDialog(self.attendance_context, self.student_usi, self.name.text(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.attendance_dialog = dialog
        dialog.load()
        return dialog
