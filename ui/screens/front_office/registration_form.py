"""The registration form: the student, their education-organization record (sex, races,
language, address, phone, e-mail), the first enrollment and the contacts (typed, or linked from
a brother's or sister's family). It only reads inputs into a NewStudent; the page saves it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListView, QPushButton,
                               QVBoxLayout, QWidget)

from app.domain.typed_input import parse_date, show_date
from app.errors import UserError
from app.services.enrollment import (Address, EnrollmentChoices, FamilyContact, FieldProblem, LinkedContact,
                                     NewContact, NewStudent, registration_problems)
from ui.table_model import DtoTableModel
from ui.widgets import (checked, checklist, combo, fill, fill_checklist, form, line, selected_row, set_checked,
                        side_by_side, table)


class ContactsModel(DtoTableModel):
    HEADERS = ("Name", "Relation", "Phone", "Custodial", "Emergency", "Lives with", "Restrictions", "From")
    COL_NAME, COL_RELATION, COL_PHONE, COL_CUSTODIAL, COL_EMERGENCY, COL_LIVES, COL_RESTRICT, COL_FROM = range(8)

    def cell(self, c, column: int) -> str:
        yes = lambda b: "Yes" if b else ""  # noqa: E731
        if isinstance(c, NewContact):
            return [f"{c.first_name} {c.last_name}", c.relation, c.phone, yes(c.legal_guardian), yes(c.emergency),
                    yes(c.lives_with), c.restrictions, "New"][column]
        linked, name, phone = c
        return [name, linked.relation, phone or "", yes(linked.legal_guardian), yes(linked.emergency),
                yes(linked.lives_with), linked.restrictions, "Family on file"][column]


class RegistrationForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices: EnrollmentChoices | None = None
        self.student_id = line("Student id")
        self.first = line("First name")
        self.middle = line("Middle name")
        self.last = line("Last name")
        self.birth = line("Birth date", "MM/DD/YYYY")
        self.sex = combo("Sex")
        self.races = checklist("Race (tick all that apply)", ())
        # long race names wrap instead of scrolling sideways in a column half a 1280-wide desk
        self.races.setWordWrap(True)
        self.races.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.races.setResizeMode(QListView.ResizeMode.Adjust)
        self.races.setMaximumHeight(180)
        self.hispanic = QCheckBox("Hispanic or Latino")
        self.hispanic.setAccessibleName("Hispanic or Latino")
        self.language = combo("Home language")
        self.street = line("Street address")
        self.city = line("City")
        self.state = combo("State")
        self.zip = line("ZIP code")
        self.phone = line("Home phone")
        self.email = line("E-mail")
        self.school = combo("School")
        # filled after the first show: sized to the school names then, so none is cut off
        self.school.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.grade = combo("Grade level")
        self.entry = line("Entry date", "MM/DD/YYYY")
        self.entry_type = combo("Entry type")
        self.contacts_model = ContactsModel(self)
        self.contacts_view = table("Contacts", self.contacts_model)
        self.contacts_view.setMinimumHeight(110)
        self.add_contact = QPushButton("Add contact…")
        self.add_contact.setAccessibleName("Add a contact")
        self.sibling = line("Sibling's student id", "sibling's student id")
        self.link_family = QPushButton("Link family")
        self.link_family.setAccessibleName("Link the sibling's family contacts")
        self.remove_contact = QPushButton("Remove contact")
        self.school.currentIndexChanged.connect(self._school_changed)

        # Each checked field has its problem line under it (hidden while there is none), so every
        # problem shows at once next to its field; fields map to enrollment.FieldProblem.field.
        self.fields: dict[str, QWidget] = {
            "student_id": self.student_id, "first_name": self.first, "last_name": self.last, "birth_date": self.birth,
            "sex": self.sex, "races": self.races, "street": self.street, "city": self.city,
            "postal_code": self.zip, "phone": self.phone, "email": self.email, "school": self.school,
            "grade_level": self.grade, "entry_date": self.entry, "contacts": self.contacts_view}
        names = {"postal_code": "ZIP code", "races": "Race", "contacts": "Contacts"}
        self.errors: dict[str, QLabel] = {}
        for key, w in self.fields.items():
            err = QLabel("", objectName="fieldError", wordWrap=True)
            err.setStyleSheet("color: #9b1c1c;")  # the grid's absence red: 7:1 on white
            err.setAccessibleName(f"Problem with {names.get(key, w.accessibleName())}")
            err.hide()
            self.errors[key] = err
        e = self.errors
        who = QGroupBox("Student")
        form(who, [("Student id", self._cell(self.student_id, e["student_id"])),
                   ("First name", self._cell(self.first, e["first_name"])), ("Middle name", self.middle),
                   ("Last name", self._cell(self.last, e["last_name"])),
                   ("Birth date", self._cell(self.birth, e["birth_date"])), ("Sex", self._cell(self.sex, e["sex"])),
                   ("Race", self._cell(self.races, e["races"])), ("", self.hispanic),
                   ("Home language", self.language)])
        home = QGroupBox("Home")
        form(home, [("Street", self._cell(self.street, e["street"])), ("City", self._cell(self.city, e["city"])),
                    ("State and ZIP", self._cell(side_by_side(self.state, self.zip), e["postal_code"])),
                    ("Phone", self._cell(self.phone, e["phone"])), ("E-mail", self._cell(self.email, e["email"]))])
        school = QGroupBox("Enrollment")
        form(school, [("School", self._cell(self.school, e["school"])),
                      ("Grade level", self._cell(self.grade, e["grade_level"])),
                      ("Entry date", self._cell(self.entry, e["entry_date"])), ("Entry type", self.entry_type)])
        contacts = QGroupBox("Contacts")
        v = QVBoxLayout(contacts)
        v.addWidget(self.contacts_view)
        v.addWidget(e["contacts"])
        row = QHBoxLayout()
        for w in (self.add_contact, self.remove_contact, self.sibling, self.link_family):
            row.addWidget(w)
        v.addLayout(row)
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(who)
        right.addWidget(home)
        right.addWidget(school)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(columns)
        layout.addWidget(contacts)
        self.remove_contact.clicked.connect(self._remove_contact)
        for key, w in self.fields.items():  # a problem line goes as soon as its field is right
            signal = (w.textChanged if isinstance(w, QLineEdit) else w.currentIndexChanged if hasattr(
                w, "currentIndexChanged") else w.itemChanged if hasattr(w, "itemChanged") else None)
            if signal is not None:
                signal.connect(lambda *_a, k=key: self.recheck(k))
        self.contacts_model.modelReset.connect(lambda: self.recheck("contacts"))

    @staticmethod
    def _cell(field_, error: QLabel) -> QVBoxLayout:
        v = QVBoxLayout()
        v.setSpacing(2)
        (v.addLayout if isinstance(field_, QHBoxLayout) else v.addWidget)(field_)
        v.addWidget(error)
        return v

    # -- problems next to their fields -----------------------------------------------------------
    def problems_typed(self, today) -> list[FieldProblem]:
        """What the typing alone shows is wrong (dates that are not dates, empty names, a phone that
        is not one...), every problem at once; the page adds the database's checks before saving."""
        new, problems = self.draft_with_problems()
        seen = {p.field for p in problems}
        return problems + [p for p in registration_problems(None, new, today) if p.field not in seen]

    def show_problems(self, problems: list[FieldProblem]) -> QWidget | None:
        """Show each problem under its field (one line per field, the first problem of each); returns
        the first field with a problem, in the form's order, or None."""
        first: dict[str, str] = {}
        for p in problems:
            first.setdefault(p.field, p.message)
        for key, err in self.errors.items():
            err.setText(first.get(key, ""))
            err.setVisible(key in first)
            self.fields[key].setAccessibleDescription(first.get(key, ""))
        return next((self.fields[k] for k in self.fields if k in first), None)

    def clear_problems(self) -> None:
        self.show_problems([])

    def recheck(self, key: str) -> None:
        """A field was changed: its problem line goes once the typing alone shows it is right (a
        problem only the database can see, such as a student id in use, goes at the first change)."""
        err = self.errors[key]
        if not err.isVisible():
            return
        if key not in {p.field for p in self.problems_typed(self._today)}:
            err.clear()
            err.hide()
            self.fields[key].setAccessibleDescription("")

    _today = None

    def has_typing(self) -> bool:
        """Anything typed for a new student (the suggested id and entry date do not count)."""
        return bool(any(w.text().strip() for w in (self.first, self.middle, self.last, self.birth, self.street,
                                                    self.city, self.zip, self.phone, self.email))
                    or self.contacts_model.rowCount())

    def typed_name(self) -> str:
        return " ".join(x for x in (self.first.text().strip(), self.last.text().strip()) if x)

    def set_choices(self, choices: EnrollmentChoices, suggested_id: str, today) -> None:
        self.choices = choices
        fill(self.sex, ("",) + choices.sexes)  # chosen, never defaulted
        fill_checklist(self.races, choices.races)
        fill(self.language, [name for _c, name in choices.languages], "English",
             data=[code for code, _n in choices.languages])
        fill(self.state, choices.states, "TX")
        fill(self.school, [s.name for s in choices.schools], data=[s.school_id for s in choices.schools])
        fill(self.entry_type, choices.entry_types, "New to education system")
        self._school_changed()
        self.reset(suggested_id, today)

    def reset(self, suggested_id: str, today) -> None:
        self._today = today
        for w in (self.first, self.middle, self.last, self.birth, self.street, self.city, self.zip, self.phone,
                  self.email, self.sibling):
            w.clear()
        self.student_id.setText(suggested_id)
        self.entry.setText(show_date(today))
        self.hispanic.setChecked(False)
        self.sex.setCurrentIndex(0)
        set_checked(self.races, ())
        self.contacts_model.set_rows([])
        self.clear_problems()

    def _school_changed(self, *_a) -> None:
        if self.choices:
            fill(self.grade, self.choices.grades_at(self.school.currentData()))

    def add_new_contact(self, c: NewContact) -> None:
        self.contacts_model.set_rows(self.contacts_model.rows + [c])

    def add_family(self, family: list[FamilyContact]) -> int:
        have = {r[0].contact_usi for r in self.contacts_model.rows if not isinstance(r, NewContact)}
        added = [(LinkedContact(f.contact_usi, f.relation or "Other", f.legal_guardian, f.emergency, f.lives_with,
                                f.primary, f.restrictions or ""), f.name, f.phone)
                 for f in family if f.contact_usi not in have]
        self.contacts_model.set_rows(self.contacts_model.rows + added)
        return len(added)

    def _remove_contact(self) -> None:
        r = selected_row(self.contacts_view)
        if r >= 0:
            rows = list(self.contacts_model.rows)
            del rows[r]
            self.contacts_model.set_rows(rows)

    def school_name(self) -> str:
        return self.school.currentText()

    def draft(self) -> NewStudent:
        """What was typed, as a NewStudent; a date that cannot be read raises its UserError."""
        new, problems = self.draft_with_problems()
        if problems:
            raise UserError(problems[0].message)
        return new

    def draft_with_problems(self) -> tuple[NewStudent, list[FieldProblem]]:
        """What was typed, as a NewStudent (a date that cannot be read is None), with the dates that
        could not be read as problems; every other rule is the service's (registration_problems)."""
        problems: list[FieldProblem] = []

        def day(w, label: str, key: str):
            try:
                return parse_date(w.text(), label)
            except UserError as err:
                if w.text().strip():  # an empty date is the service's "is empty" problem
                    problems.append(FieldProblem(key, err.message))
                return None
        birth, entry = day(self.birth, "Birth date", "birth_date"), day(self.entry, "Entry date", "entry_date")
        address = Address(self.street.text(), self.city.text(), self.state.currentText(), self.zip.text()) \
            if any(w.text().strip() for w in (self.street, self.city, self.zip)) else None
        rows = self.contacts_model.rows
        return NewStudent(
            student_unique_id=self.student_id.text(), first_name=self.first.text(), last_name=self.last.text(),
            middle_name=self.middle.text(), birth_date=birth,
            sex=self.sex.currentText(), races=checked(self.races), hispanic=self.hispanic.isChecked(),
            language=self.language.currentData() or "", school_id=self.school.currentData(),
            grade_level=self.grade.currentText(), entry_date=entry,
            entry_type=self.entry_type.currentText(), address=address, phone=self.phone.text(),
            email=self.email.text(), contacts=tuple(r for r in rows if isinstance(r, NewContact)),
            linked_contacts=tuple(r[0] for r in rows if not isinstance(r, NewContact))), problems
