"""The front office's dialogs: typing a new contact, and the duplicate check's side-by-side
comparison. Pages receive them as plain functions so tests can answer in their place."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.typed_input import parse_phone, show_date
from app.errors import UserError
from app.services.enrollment import DuplicateCandidate, NewContact, NewStudent
from ui.widgets import combo, line, status


class ContactDialog(QDialog):
    def __init__(self, relations: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a contact")
        self.setAccessibleName("Add a contact")
        self.first = line("Contact first name")
        self.last = line("Contact last name")
        self.relation = combo("Relation to the student", relations, "Mother")
        self.phone = line("Contact phone", "(512) 555-0100")
        self.email = line("Contact e-mail")
        self.guardian = QCheckBox("Legal guardian (custodial)")
        self.emergency = QCheckBox("Emergency contact")
        self.lives_with = QCheckBox("Student lives with this contact")
        self.lives_with.setChecked(True)
        self.primary = QCheckBox("Primary contact")
        self.restrictions = line("Contact restrictions", "e.g. Pickup not allowed; court order on file")
        form = QFormLayout(self)
        for label, w in (("First name", self.first), ("Last name", self.last), ("Relation", self.relation),
                         ("Phone", self.phone), ("E-mail", self.email)):
            form.addRow(label, w)
        for w in (self.guardian, self.emergency, self.lives_with, self.primary):
            form.addRow(w)
        form.addRow("Restrictions", self.restrictions)
        self.message = status("Contact problem")
        form.addRow(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add contact")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def problem(self) -> str | None:
        """One sentence about what keeps this contact from being added, or None."""
        if not self.first.text().strip() or not self.last.text().strip():
            return "The contact's first or last name is empty; type both names."
        try:
            parse_phone(self.phone.text(), "Contact phone")
        except UserError as err:
            return err.message
        if self.email.text().strip() and "@" not in self.email.text():
            return f"Contact e-mail \"{self.email.text().strip()}\" is not an e-mail address; correct it or clear it."
        return None

    def accept(self) -> None:
        why = self.problem()
        if why:
            self.message.setText(why)
            return
        super().accept()

    def reject(self) -> None:
        """Cancel or Escape with a contact typed: ask before it is thrown away."""
        from ui.unsaved import DISCARD, SAVE, ask_save_discard_cancel

        typed = [w.text().strip() for w in (self.first, self.last, self.phone, self.email, self.restrictions)]
        if any(typed):
            name = " ".join(t for t in typed[:2] if t)
            answer = ask_save_discard_cancel(self, "The contact being typed" + (f" ({name})" if name else "")
                                             + " is not added yet")
            if answer == SAVE:
                self.accept()
                return
            if answer != DISCARD:
                return
        super().reject()

    def contact(self) -> NewContact:
        return NewContact(self.first.text(), self.last.text(), self.relation.currentText(),
                          parse_phone(self.phone.text(), "Contact phone"),
                          self.email.text(), self.guardian.isChecked(), self.emergency.isChecked(),
                          self.lives_with.isChecked(), self.primary.isChecked(), self.restrictions.text())


def ask_contact(parent: QWidget, relations: tuple[str, ...]) -> NewContact | None:
    d = ContactDialog(relations, parent)
    return d.contact() if d.exec() == QDialog.DialogCode.Accepted else None


ROWS = ("Name", "Birth date", "Student id", "School", "Grade", "Why it matches")


class DuplicateDialog(QDialog):
    """The new registration next to each possible duplicate; the clerk opens the existing record,
    saves the new one anyway (not possible for a student id already in use), or goes back."""

    def __init__(self, new: NewStudent, school: str, candidates: list[DuplicateCandidate],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice: tuple[str, int | None] | None = None
        self.setWindowTitle("Is this student already on file?")
        self.setAccessibleName("Possible duplicate students")
        grid = QTableWidget(len(ROWS), 1 + len(candidates))
        grid.setAccessibleName("New registration and possible duplicates, side by side")
        grid.setVerticalHeaderLabels(list(ROWS))
        grid.setHorizontalHeaderLabels(["Being registered"] + [f"On file ({c.student_unique_id})" for c in candidates])
        # Directory facts only: the district-wide check may not show another school's addresses or families.
        columns = [[f"{new.first_name} {new.last_name}", show_date(new.birth_date), new.student_unique_id, school,
                    new.grade_level, ""]]
        columns += [[c.name, show_date(c.birth_date), c.student_unique_id, c.school or "", c.grade_level or "",
                     c.reason] for c in candidates]
        for col, values in enumerate(columns):
            for row, value in enumerate(values):
                grid.setItem(row, col, QTableWidgetItem(value))
        grid.resizeColumnsToContents()
        # Wide and tall enough to compare every row side by side without scrolling (up to 1100 px).
        width = grid.verticalHeader().sizeHint().width() + sum(grid.columnWidth(i) for i in range(grid.columnCount()))
        height = grid.horizontalHeader().sizeHint().height() + sum(grid.rowHeight(i) for i in range(len(ROWS)))
        grid.setMinimumHeight(height + 2 * grid.frameWidth())
        self.resize(min(max(width + 2 * grid.frameWidth() + 40, 560), 1100), height + 150)
        same_id = any(c.reason == "same student id" for c in candidates)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("These students already on file look like the one being registered. Compare them "
                                "before saving.", wordWrap=True))
        layout.addWidget(grid)
        buttons = QDialogButtonBox()
        self.open_buttons: list[QPushButton] = []
        for c in candidates:
            b = QPushButton(f"Open {c.name} ({c.student_unique_id})")
            b.clicked.connect(lambda _=False, usi=c.student_usi: self._choose("open", usi))
            buttons.addButton(b, QDialogButtonBox.ButtonRole.ActionRole)
            self.open_buttons.append(b)
        # The safe answer is the default: Enter opens the student on file, never saves a duplicate.
        if self.open_buttons:
            self.open_buttons[0].setDefault(True)
        save = QPushButton("Save as a new student")
        save.setAutoDefault(False)  # only a deliberate click or Space on it saves
        self.save_new = save
        save.setEnabled(not same_id)
        save.setToolTip("A student id already in use cannot be given to a second student." if same_id else "")
        save.clicked.connect(lambda: self._choose("new", None))
        buttons.addButton(save, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        if self.open_buttons:
            self.open_buttons[0].setFocus()

    def _choose(self, what: str, usi: int | None) -> None:
        self.choice = (what, usi)
        self.accept()


async def confirm_duplicates(parent: QWidget, new: NewStudent, school: str,
                             candidates: list[DuplicateCandidate]) -> tuple[str, int | None] | None:
    """Asked from the registering coroutine: opened without nesting the event loop."""
    from ui.widgets import dialog_result

    d = DuplicateDialog(new, school, candidates, parent)
    await dialog_result(d)
    d.deleteLater()
    return d.choice
