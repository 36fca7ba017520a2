"""The front office clerk's enrollment work: register a student (with contacts, or linked to an
existing family), check for duplicates, enroll, transfer and withdraw.

Each function is one user action inside the caller's transaction: it validates everything
first (one sentence naming the field), writes the Ed-Fi rows, keeps OneRoster in step
(app.services.oneroster_sync) and appends the change to the student's activity timeline
through the outbox. Codes come from the Ed-Fi descriptor tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Connection, text

from app.domain.school_calendar import school_year_for
from app.domain.typed_input import parse_phone
from app.errors import UserError
from app.services.request_ids import lock_request
from app.services.descriptor_ids import DescriptorIds
from app.services.oneroster_sync import sync_student
from app.sync.outbox import enqueue, student_activity_item

LEA_LEVEL = "SELECT localeducationagencyid FROM edfi.localeducationagency ORDER BY 1 LIMIT 1"


# -- choices -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchoolChoice:
    school_id: int
    name: str
    grades: tuple[str, ...]  # GradeLevelDescriptor code values offered, youngest first


@dataclass(frozen=True)
class EnrollmentChoices:
    schools: tuple[SchoolChoice, ...]
    sexes: tuple[str, ...]
    races: tuple[str, ...]
    languages: tuple[tuple[str, str], ...]  # (code value, name)
    states: tuple[str, ...]
    relations: tuple[str, ...]
    entry_types: tuple[str, ...]
    exit_types: tuple[str, ...]

    def grades_at(self, school_id: int | None) -> tuple[str, ...]:
        return next((s.grades for s in self.schools if s.school_id == school_id), ())


def _codes(conn: Connection, type_name: str, label: str = "codevalue") -> list:
    return conn.execute(text(
        f"SELECT d.codevalue, d.{label} FROM edfi.descriptor d WHERE d.discriminator = :t ORDER BY d.{label}"),
        {"t": f"edfi.{type_name}"}).all()


def enrollment_choices(conn: Connection) -> EnrollmentChoices:
    schools = conn.execute(text("""
        SELECT s.schoolid, eo.nameofinstitution, array_agg(d.codevalue ORDER BY d.descriptorid)
          FROM edfi.school s JOIN edfi.educationorganization eo ON eo.educationorganizationid = s.schoolid
          JOIN edfi.schoolgradelevel g ON g.schoolid = s.schoolid
          JOIN edfi.descriptor d ON d.descriptorid = g.gradeleveldescriptorid
         GROUP BY s.schoolid, eo.nameofinstitution ORDER BY s.schoolid""")).all()
    grade_order = {c: i for i, c in enumerate(_GRADE_ORDER)}
    return EnrollmentChoices(
        tuple(SchoolChoice(r[0], r[1], tuple(sorted(r[2], key=lambda g: grade_order.get(g, 99)))) for r in schools),
        tuple(c for c, _ in _codes(conn, "SexDescriptor")),
        tuple(c for c, _ in _codes(conn, "RaceDescriptor") if c != HISPANIC),  # an ethnicity: its own flag
        tuple((c, n) for c, n in _codes(conn, "LanguageDescriptor", "shortdescription")),
        tuple(c for c, _ in _codes(conn, "StateAbbreviationDescriptor")),
        tuple(c for c, _ in _codes(conn, "RelationDescriptor")),
        tuple(c for c, _ in _codes(conn, "EntryTypeDescriptor")),
        tuple(c for c, _ in _codes(conn, "ExitWithdrawTypeDescriptor")),
    )


_GRADE_ORDER = ("Infant/toddler", "Preschool/Prekindergarten", "Preschool", "Prekindergarten",
                "Transitional Kindergarten", "Kindergarten", "First grade", "Second grade", "Third grade",
                "Fourth grade", "Fifth grade", "Sixth grade", "Seventh grade", "Eighth grade", "Ninth grade",
                "Tenth grade", "Eleventh grade", "Twelfth grade", "Grade 13", "Postsecondary", "Ungraded", "Other")


# -- input -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Address:
    street: str
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True)
class NewContact:
    first_name: str
    last_name: str
    relation: str
    phone: str = ""
    email: str = ""
    legal_guardian: bool = False  # custodial
    emergency: bool = False
    lives_with: bool = True
    primary: bool = False
    restrictions: str = ""  # e.g. "Pickup not allowed"


@dataclass(frozen=True)
class LinkedContact:
    """A contact already on file (a sibling's parent), linked instead of typed again."""
    contact_usi: int
    relation: str
    legal_guardian: bool = False
    emergency: bool = False
    lives_with: bool = True
    primary: bool = False
    restrictions: str = ""


@dataclass(frozen=True)
class NewStudent:
    student_unique_id: str
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str
    school_id: int
    grade_level: str
    entry_date: date | None
    entry_type: str
    middle_name: str = ""
    races: tuple[str, ...] = ()
    hispanic: bool = False
    language: str = ""  # LanguageDescriptor code value, e.g. "eng"
    address: Address | None = None
    phone: str = ""
    email: str = ""
    contacts: tuple[NewContact, ...] = ()
    linked_contacts: tuple[LinkedContact, ...] = field(default_factory=tuple)


# -- duplicates ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DuplicateCandidate:
    student_usi: int
    student_unique_id: str
    name: str
    birth_date: date | None
    school: str | None
    grade_level: str | None
    reason: str  # "same student id" | "same name and birth date"


def find_duplicates(conn: Connection, first_name: str, last_name: str, birth_date: date | None,
                    student_unique_id: str) -> list[DuplicateCandidate]:
    # Through a narrow SECURITY DEFINER function: a duplicate may be enrolled at a school the
    # clerk's row-level security hides, and that is exactly the one that must be found. It answers
    # exact matches only, with directory facts, and logs every call (migration 0007).
    rows = conn.execute(text("SELECT * FROM compliance.find_student_duplicates(CAST(:uid AS text), "
                             "CAST(:first AS text), CAST(:last AS text), CAST(:birth AS date))"),
                        {"uid": student_unique_id.strip(), "first": first_name.strip(), "last": last_name.strip(),
                         "birth": birth_date}).all()
    out = []
    for usi, uid, name, birth, school, grade, same_id in rows:
        out.append(DuplicateCandidate(usi, uid, name, birth, school, grade,
                                      "same student id" if same_id else "same name and birth date"))
    return out


# -- family ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FamilyContact:
    contact_usi: int
    name: str
    relation: str | None
    phone: str | None
    legal_guardian: bool
    emergency: bool
    lives_with: bool
    primary: bool
    restrictions: str | None


def family_contacts(conn: Connection, sibling_usi: int) -> list[FamilyContact]:
    """The contacts of a student already on file, to link to a brother or sister."""
    return [FamilyContact(*r) for r in conn.execute(text("""
        SELECT c.contactusi, c.firstname || ' ' || c.lastsurname, d.codevalue,
               (SELECT t.telephonenumber FROM edfi.contacttelephone t WHERE t.contactusi = c.contactusi
                 ORDER BY t.orderofpriority NULLS LAST LIMIT 1),
               coalesce(a.legalguardian, false), coalesce(a.emergencycontactstatus, false),
               coalesce(a.liveswith, false), coalesce(a.primarycontactstatus, false), a.contactrestrictions
          FROM edfi.studentcontactassociation a JOIN edfi.contact c ON c.contactusi = a.contactusi
          LEFT JOIN edfi.descriptor d ON d.descriptorid = a.relationdescriptorid
         WHERE a.studentusi = :u ORDER BY a.contactpriority NULLS LAST, c.lastsurname"""), {"u": sibling_usi})]


# -- checks --------------------------------------------------------------------------------------
def _check_entry(conn: Connection, ids: DescriptorIds, school_id: int, grade: str, entry: date | None,
                 birth: date | None, today: date) -> tuple[str, int]:
    """Entry date and grade level checks shared by register, enroll and transfer."""
    if entry is None:
        raise UserError("Entry date is empty; enter the first day the student attends.")
    if birth is not None and entry < birth:
        raise UserError(f"Entry date {entry:%m/%d/%Y} is before the student's birth date ({birth:%m/%d/%Y}); "
                        "enter the first day the student attends.")
    if entry > today + timedelta(days=365):
        raise UserError(f"Entry date {entry:%m/%d/%Y} is more than a year from today; enter a date within the "
                        "coming year.")
    school = conn.execute(text(
        "SELECT eo.nameofinstitution, array_agg(d.codevalue ORDER BY d.descriptorid) FROM edfi.school s "
        "JOIN edfi.educationorganization eo ON eo.educationorganizationid = s.schoolid "
        "LEFT JOIN edfi.schoolgradelevel g ON g.schoolid = s.schoolid "
        "LEFT JOIN edfi.descriptor d ON d.descriptorid = g.gradeleveldescriptorid "
        "WHERE s.schoolid = :s GROUP BY eo.nameofinstitution"), {"s": school_id}).first()
    if school is None:
        raise UserError("School is not one of the district's schools; pick a school from the list.")
    name, grades = school
    if grade not in (grades or []):
        raise UserError(f"Grade level \"{grade}\" is not taught at {name}; pick one of: {', '.join(grades or [])}.")
    return name, ids.get("GradeLevelDescriptor", grade, "Grade level")


def _activity(conn: Connection, uid: str, activity_id: str, now: datetime, kind: str, details: dict,
              actor: str | None) -> None:
    enqueue(conn, "StudentActivityLogs", student_activity_item(uid, activity_id, now, kind, details, actor))


def _student(conn: Connection, usi: int) -> tuple[str, str, date]:
    row = conn.execute(text("SELECT studentuniqueid, firstname || ' ' || lastsurname, birthdate FROM edfi.student "
                            "WHERE studentusi = :u"), {"u": usi}).first()
    if row is None:
        raise UserError("That student is not on file or not one you may change; search for the student again.")
    return row


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d%H%M%S%f")


# -- register --------------------------------------------------------------------------------
HISPANIC = "Hispanic or Latino"  # Ed-Fi keeps it as HispanicLatinoEthnicity, not as a race


@dataclass(frozen=True)
class FieldProblem:
    field: str  # student_id, first_name, last_name, birth_date, sex, races, phone, email, street, city,
    #             postal_code, school, grade_level, entry_date, contacts
    message: str  # one sentence: what is wrong and what to do


def registration_problems(conn: Connection | None, new: NewStudent, today: date | None = None) -> list[FieldProblem]:
    """Every problem of a registration at once, each with its field, in the form's order. Without a
    connection only what can be checked from the typing itself (the form checks as the clerk types)."""
    today = today or date.today()
    out: list[FieldProblem] = []

    def check(field_: str, fn) -> None:
        try:
            fn()
        except UserError as err:
            out.append(FieldProblem(field_, err.message))

    uid = new.student_unique_id.strip()
    for field_, label, value in (("student_id", "Student id", uid), ("first_name", "First name", new.first_name),
                                 ("last_name", "Last name", new.last_name)):
        if not value or not value.strip():
            out.append(FieldProblem(field_, f"{label} is empty; fill it in."))
    if len(uid) > 32:
        out.append(FieldProblem("student_id", "Student id is longer than 32 characters; shorten it."))
    elif uid and conn is not None:
        taken = [d for d in find_duplicates(conn, "", "", None, uid) if d.reason == "same student id"]
        if taken:
            out.append(FieldProblem("student_id", f"Student id {uid} already belongs to {taken[0].name}; use "
                                                  "another id or open that student."))
    if new.birth_date is None:
        out.append(FieldProblem("birth_date", "Birth date is empty; enter the student's date of birth."))
    elif new.birth_date > today:
        out.append(FieldProblem("birth_date", f"Birth date {new.birth_date:%m/%d/%Y} is in the future; check the "
                                              "year."))
    if not new.sex:
        out.append(FieldProblem("sex", "Sex is empty; pick one from the list."))
    if HISPANIC in new.races:
        out.append(FieldProblem("races", "Hispanic or Latino is an ethnicity, not a race; tick the Hispanic or "
                                         "Latino box instead."))
    addr = new.address
    if addr and any(v.strip() for v in (addr.street, addr.city, addr.postal_code)):
        for field_, label, value in (("street", "Street", addr.street), ("city", "City", addr.city),
                                     ("postal_code", "ZIP code", addr.postal_code)):
            if not value.strip():
                out.append(FieldProblem(field_, f"{label} of the home address is empty; complete the address or "
                                                "clear it."))
    check("phone", lambda: parse_phone(new.phone, "Home phone"))
    if new.email.strip() and "@" not in new.email:
        out.append(FieldProblem("email", f"E-mail \"{new.email}\" is not an e-mail address; correct it or clear it."))
    if new.entry_date is None:
        out.append(FieldProblem("entry_date", "Entry date is empty; enter the first day the student attends."))
    elif conn is not None:
        try:
            _check_entry(conn, DescriptorIds(conn), new.school_id, new.grade_level, new.entry_date, new.birth_date,
                         today)
        except UserError as err:
            field_ = {"School": "school", "Grade": "grade_level"}.get(err.message.split(" ")[0], "entry_date")
            out.append(FieldProblem(field_, err.message))
    elif new.birth_date is not None and new.entry_date < new.birth_date:
        out.append(FieldProblem("entry_date", f"Entry date {new.entry_date:%m/%d/%Y} is before the student's birth "
                                              f"date ({new.birth_date:%m/%d/%Y}); enter the first day the student "
                                              "attends."))
    for i, c in enumerate(new.contacts, 1):
        if not c.first_name.strip() or not c.last_name.strip():
            out.append(FieldProblem("contacts", f"Contact {i} has no name; enter the first and last name or remove "
                                                "the contact."))
        check("contacts", lambda c=c, i=i: parse_phone(c.phone, f"Phone of contact {i}"))
    return out


def _may_enroll_at(conn: Connection, school_id: int) -> bool:
    """Row-level security lets a school's staff register students only at their own schools
    (migration 0007); asking first turns the database's refusal into one sentence."""
    return bool(conn.execute(text(
        "SELECT pg_has_role(session_user, 'so_admin', 'MEMBER') OR CAST(:s AS bigint) = ANY(compliance.my_school_ids())"),
        {"s": school_id}).scalar())


def register_student(conn: Connection, new: NewStudent, *, actor: str | None = None, now: datetime | None = None,
                     today: date | None = None, request_id: str | None = None) -> int:
    """Create the student, their education-organization record, contacts and first enrollment.
    Returns the new StudentUSI. Call find_duplicates first and show the candidates.
    request_id: the form's id for this registration (stored as the student's Ed-Fi id); a second
    call with it returns the student the first one registered instead of registering another."""
    now = now or datetime.now(timezone.utc)
    today = today or date.today()
    rid = lock_request(conn, request_id)
    if rid is not None:
        done = conn.execute(text("SELECT studentusi FROM edfi.student WHERE id = CAST(:r AS uuid)"),
                            {"r": rid}).scalar()
        if done is not None:
            return done
    uid = new.student_unique_id.strip()
    problems = registration_problems(conn, new, today)
    if problems:
        raise UserError(problems[0].message)
    ids = DescriptorIds(conn)
    school_name, grade_id = _check_entry(conn, ids, new.school_id, new.grade_level, new.entry_date, new.birth_date,
                                         today)
    sex_id = ids.get("SexDescriptor", new.sex, "Sex")
    race_ids = [ids.get("RaceDescriptor", r, "Race") for r in new.races]
    entry_type = ids.get("EntryTypeDescriptor", new.entry_type, "Entry type")
    lang_id = ids.get("LanguageDescriptor", new.language, "Language") if new.language else None
    addr = new.address
    if addr and any(v.strip() for v in (addr.street, addr.city, addr.postal_code)):
        for label, value in (("Street", addr.street), ("City", addr.city), ("ZIP code", addr.postal_code)):
            if not value.strip():
                raise UserError(f"{label} of the home address is empty; complete the address or clear it.")
        state_id = ids.get("StateAbbreviationDescriptor", addr.state, "State")
    else:
        addr = None
    for i, c in enumerate(new.contacts, 1):
        if not c.first_name.strip() or not c.last_name.strip():
            raise UserError(f"Contact {i} has no name; enter the first and last name or remove the contact.")
    relation_ids = [ids.get("RelationDescriptor", c.relation, f"Relation of contact {i}")
                    for i, c in enumerate(new.contacts, 1)]
    linked_relations = [ids.get("RelationDescriptor", c.relation, "Relation of a linked contact")
                        for c in new.linked_contacts]
    if new.linked_contacts:
        found = conn.execute(text("SELECT count(*) FROM edfi.contact WHERE contactusi = ANY(CAST(:c AS int[]))"),
                             {"c": [c.contact_usi for c in new.linked_contacts]}).scalar()
        if found != len({c.contact_usi for c in new.linked_contacts}):
            raise UserError("A linked family contact is no longer on file; link the family again.")

    if not _may_enroll_at(conn, new.school_id):
        raise UserError(f"You may enroll students only at the schools you work at; {school_name} is not one of "
                        "them. Ask that school's office or the registrar.")
    lea = conn.execute(text(LEA_LEVEL)).scalar()
    # The id comes from the sequence first: a clerk's row-level security hides a student until
    # the school enrollment exists, so INSERT ... RETURNING would be refused.
    usi = conn.execute(text("SELECT nextval(pg_get_serial_sequence('edfi.student', 'studentusi'))")).scalar()
    p = {"u": usi, "lea": lea}
    conn.execute(text(
        "INSERT INTO edfi.student (studentusi, studentuniqueid, firstname, middlename, lastsurname, birthdate, "
        "birthsexdescriptorid, id) VALUES (:u, :uid, :f, :m, :l, :b, :sex, "
        "coalesce(CAST(:rid AS uuid), gen_random_uuid()))"),
        {**p, "uid": uid, "rid": rid, "f": new.first_name.strip(), "m": new.middle_name.strip() or None,
         "l": new.last_name.strip(), "b": new.birth_date, "sex": sex_id})
    conn.execute(text(
        "INSERT INTO edfi.studenteducationorganizationassociation (educationorganizationid, studentusi, "
        "sexdescriptorid, hispaniclatinoethnicity) VALUES (:lea, :u, :sex, :h)"), {**p, "sex": sex_id,
                                                                                    "h": new.hispanic})
    if race_ids:
        conn.execute(text("INSERT INTO edfi.studenteducationorganizationassociationrace (educationorganizationid, "
                          "studentusi, racedescriptorid) SELECT :lea, :u, unnest(CAST(:r AS int[]))"),
                     {**p, "r": race_ids})
    if lang_id:
        conn.execute(text("INSERT INTO edfi.studenteducationorganizationassociationlanguage "
                          "(educationorganizationid, studentusi, languagedescriptorid) VALUES (:lea, :u, :l)"),
                     {**p, "l": lang_id})
    if addr:
        conn.execute(text(
            "INSERT INTO edfi.studenteducationorganizationassociationaddress (educationorganizationid, studentusi, "
            "addresstypedescriptorid, city, postalcode, stateabbreviationdescriptorid, streetnumbername) "
            "VALUES (:lea, :u, :t, :city, :zip, :st, :street)"),
            {**p, "t": ids.get("AddressTypeDescriptor", "Home", "Address type"), "city": addr.city.strip(),
             "zip": addr.postal_code.strip(), "st": state_id, "street": addr.street.strip()})
    if new.phone.strip():
        conn.execute(text(
            "INSERT INTO edfi.studenteducationorganizationassociationtelephone (educationorganizationid, studentusi, "
            "telephonenumber, telephonenumbertypedescriptorid, orderofpriority) VALUES (:lea, :u, :n, :t, 1)"),
            {**p, "n": parse_phone(new.phone, "Home phone"),
             "t": ids.get("TelephoneNumberTypeDescriptor", "Home", "Phone type")})
    if new.email.strip():
        conn.execute(text(
            "INSERT INTO edfi.studenteducationorganizationassociationelectronicmail (educationorganizationid, "
            "studentusi, electronicmailaddress, electronicmailtypedescriptorid, primaryemailaddressindicator) "
            "VALUES (:lea, :u, :e, :t, true)"),
            {**p, "e": new.email.strip(), "t": ids.get("ElectronicMailTypeDescriptor", "Home/Personal", "E-mail type")})
    conn.execute(text(
        "INSERT INTO edfi.studentschoolassociation (entrydate, schoolid, studentusi, entrygradeleveldescriptorid, "
        "entrytypedescriptorid, schoolyear, primaryschool) VALUES (:d, :s, :u, :g, :t, :sy, true)"),
        {**p, "d": new.entry_date, "s": new.school_id, "g": grade_id, "t": entry_type,
         "sy": school_year_for(new.entry_date)})
    priority = 0
    for c, rel in zip(new.contacts, relation_ids):
        priority += 1
        cusi = conn.execute(text("SELECT nextval(pg_get_serial_sequence('edfi.contact', 'contactusi'))")).scalar()
        conn.execute(text("INSERT INTO edfi.contact (contactusi, contactuniqueid, firstname, lastsurname) "
                          "VALUES (:c, :cuid, :f, :l)"),
                     {"c": cusi, "cuid": f"C{cusi:06d}", "f": c.first_name.strip(), "l": c.last_name.strip()})
        if c.phone.strip():
            conn.execute(text("INSERT INTO edfi.contacttelephone (contactusi, telephonenumber, "
                              "telephonenumbertypedescriptorid, orderofpriority) VALUES (:c, :n, :t, 1)"),
                         {"c": cusi, "n": parse_phone(c.phone, "Contact phone"),
                          "t": ids.get("TelephoneNumberTypeDescriptor", "Mobile", "Phone type")})
        if c.email.strip():
            conn.execute(text("INSERT INTO edfi.contactelectronicmail (contactusi, electronicmailaddress, "
                              "electronicmailtypedescriptorid, primaryemailaddressindicator) VALUES (:c, :e, :t, true)"),
                         {"c": cusi, "e": c.email.strip(),
                          "t": ids.get("ElectronicMailTypeDescriptor", "Home/Personal", "E-mail type")})
        if addr and c.lives_with:
            conn.execute(text("INSERT INTO edfi.contactaddress (contactusi, addresstypedescriptorid, city, postalcode, "
                              "stateabbreviationdescriptorid, streetnumbername) VALUES (:c, :t, :city, :zip, :st, :s)"),
                         {"c": cusi, "t": ids.get("AddressTypeDescriptor", "Home", "Address type"),
                          "city": addr.city.strip(), "zip": addr.postal_code.strip(), "st": state_id,
                          "s": addr.street.strip()})
        _link(conn, usi, cusi, rel, priority, c)
    for c, rel in zip(new.linked_contacts, linked_relations):
        priority += 1
        _link(conn, usi, c.contact_usi, rel, priority, c)
    sync_student(conn, usi, now.replace(tzinfo=None))
    _activity(conn, uid, f"ENR-{new.school_id}-{new.entry_date:%Y%m%d}-REG", now, "enrollment.registered",
              {"school": school_name, "grade": new.grade_level, "entryDate": new.entry_date.isoformat(),
               "entryType": new.entry_type}, actor)
    return usi


def _link(conn: Connection, usi: int, cusi: int, relation_id: int, priority: int, c) -> None:
    conn.execute(text(
        "INSERT INTO edfi.studentcontactassociation (contactusi, studentusi, contactpriority, contactrestrictions, "
        "emergencycontactstatus, legalguardian, liveswith, primarycontactstatus, relationdescriptorid) "
        "VALUES (:c, :u, :p, :r, :e, :g, :lw, :pr, :rel)"),
        {"c": cusi, "u": usi, "p": priority, "r": c.restrictions.strip() or None, "e": c.emergency,
         "g": c.legal_guardian, "lw": c.lives_with, "pr": c.primary or priority == 1, "rel": relation_id})


# -- enroll, withdraw, transfer ------------------------------------------------------------------
@dataclass(frozen=True)
class EnrollmentRecord:
    school_id: int
    school: str
    entry_date: date
    grade_level: str
    entry_type: str | None
    exit_date: date | None
    exit_type: str | None

    @property
    def is_open(self) -> bool:
        return self.exit_date is None


def enrollment_history(conn: Connection, student_usi: int) -> list[EnrollmentRecord]:
    """Every school enrollment of the student, newest first."""
    return [EnrollmentRecord(*r) for r in conn.execute(text("""
        SELECT a.schoolid, eo.nameofinstitution, a.entrydate, g.codevalue, et.codevalue, a.exitwithdrawdate, xt.codevalue
          FROM edfi.studentschoolassociation a
          JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid
          JOIN edfi.descriptor g ON g.descriptorid = a.entrygradeleveldescriptorid
          LEFT JOIN edfi.descriptor et ON et.descriptorid = a.entrytypedescriptorid
          LEFT JOIN edfi.descriptor xt ON xt.descriptorid = a.exitwithdrawtypedescriptorid
         WHERE a.studentusi = :u ORDER BY a.entrydate DESC, a.schoolid"""), {"u": student_usi})]


def enroll_student(conn: Connection, student_usi: int, school_id: int, grade_level: str, entry_date: date | None,
                   entry_type: str, *, actor: str | None = None, now: datetime | None = None,
                   today: date | None = None) -> None:
    now = now or datetime.now(timezone.utc)
    uid, _name, birth = _student(conn, student_usi)
    ids = DescriptorIds(conn)
    school_name, grade_id = _check_entry(conn, ids, school_id, grade_level, entry_date, birth, today or date.today())
    type_id = ids.get("EntryTypeDescriptor", entry_type, "Entry type")
    open_row = conn.execute(text(
        "SELECT eo.nameofinstitution FROM edfi.studentschoolassociation a JOIN edfi.educationorganization eo "
        "ON eo.educationorganizationid = a.schoolid WHERE a.studentusi = :u AND a.exitwithdrawdate IS NULL "
        "AND a.entrydate <= :d"), {"u": student_usi, "d": entry_date}).scalar()
    if open_row:
        raise UserError(f"The student is still enrolled at {open_row}; withdraw them first or use Transfer.")
    if conn.execute(text("SELECT 1 FROM edfi.studentschoolassociation WHERE studentusi = :u AND schoolid = :s "
                         "AND entrydate = :d"), {"u": student_usi, "s": school_id, "d": entry_date}).first():
        raise UserError(f"Entry date {entry_date:%m/%d/%Y} already has an enrollment at {school_name}; "
                        "pick another date.")
    conn.execute(text(
        "INSERT INTO edfi.studentschoolassociation (entrydate, schoolid, studentusi, entrygradeleveldescriptorid, "
        "entrytypedescriptorid, schoolyear, primaryschool) VALUES (:d, :s, :u, :g, :t, :sy, true)"),
        {"d": entry_date, "s": school_id, "u": student_usi, "g": grade_id, "t": type_id,
         "sy": school_year_for(entry_date)})
    if not conn.execute(text("SELECT compliance.can_see_student(CAST(:u AS int))"), {"u": student_usi}).scalar():
        raise UserError(f"You may enroll students only at the schools you work at; {school_name} is not one of them.")
    sync_student(conn, student_usi, now.replace(tzinfo=None))
    _activity(conn, uid, f"ENR-{school_id}-{entry_date:%Y%m%d}-IN", now, "enrollment.enrolled",
              {"school": school_name, "grade": grade_level, "entryDate": entry_date.isoformat(),
               "entryType": entry_type}, actor)


def withdraw_student(conn: Connection, student_usi: int, exit_date: date | None, exit_type: str, *,
                     actor: str | None = None, now: datetime | None = None, sync: bool = True) -> int:
    """End the open school enrollment on exit_date and every open section enrollment with it.
    Returns how many section enrollments were ended."""
    now = now or datetime.now(timezone.utc)
    uid, _name, _birth = _student(conn, student_usi)
    if exit_date is None:
        raise UserError("Withdrawal date is empty; enter the student's last day.")
    ids = DescriptorIds(conn)
    type_id = ids.get("ExitWithdrawTypeDescriptor", exit_type, "Exit type")
    current = conn.execute(text(
        "SELECT a.schoolid, a.entrydate, eo.nameofinstitution FROM edfi.studentschoolassociation a "
        "JOIN edfi.educationorganization eo ON eo.educationorganizationid = a.schoolid "
        "WHERE a.studentusi = :u AND a.exitwithdrawdate IS NULL ORDER BY a.entrydate DESC LIMIT 1"),
        {"u": student_usi}).first()
    if current is None:
        raise UserError("The student has no open enrollment to withdraw from.")
    school_id, entry, school_name = current
    if exit_date < entry:
        raise UserError(f"Withdrawal date {exit_date:%m/%d/%Y} is before the entry date {entry:%m/%d/%Y}; "
                        "enter a date on or after the entry date.")
    conn.execute(text("UPDATE edfi.studentschoolassociation SET exitwithdrawdate = :d, exitwithdrawtypedescriptorid = :t, "
                      "lastmodifieddate = now() AT TIME ZONE 'utc' WHERE studentusi = :u AND schoolid = :s "
                      "AND entrydate = :e"), {"d": exit_date, "t": type_id, "u": student_usi, "s": school_id,
                                              "e": entry})
    # Sections that had not begun by the exit date never happened; the rest end that day.
    ended = conn.execute(text(
        "UPDATE edfi.studentsectionassociation SET enddate = :d, lastmodifieddate = now() AT TIME ZONE 'utc' "
        "WHERE studentusi = :u AND schoolid = :s AND begindate <= :d AND (enddate IS NULL OR enddate > :d)"),
        {"d": exit_date, "u": student_usi, "s": school_id}).rowcount
    conn.execute(text("DELETE FROM edfi.studentsectionassociation WHERE studentusi = :u AND schoolid = :s "
                      "AND begindate > :d"), {"d": exit_date, "u": student_usi, "s": school_id})
    if sync:
        sync_student(conn, student_usi, now.replace(tzinfo=None))
    _activity(conn, uid, f"ENR-{school_id}-{exit_date:%Y%m%d}-OUT", now, "enrollment.withdrawn",
              {"school": school_name, "exitDate": exit_date.isoformat(), "exitType": exit_type,
               "sectionsEnded": ended}, actor)
    return ended


def transfer_student(conn: Connection, student_usi: int, to_school_id: int, grade_level: str, transfer_date: date | None,
                     exit_type: str = "Transferred", entry_type: str = "Transfer", *, actor: str | None = None,
                     now: datetime | None = None, today: date | None = None) -> None:
    """Withdraw from the current school the day before and enroll at the new one on transfer_date."""
    now = now or datetime.now(timezone.utc)
    if transfer_date is None:
        raise UserError("Transfer date is empty; enter the first day at the new school.")
    current = conn.execute(text("SELECT schoolid FROM edfi.studentschoolassociation WHERE studentusi = :u "
                                "AND exitwithdrawdate IS NULL"), {"u": student_usi}).scalar()
    if current == to_school_id:
        raise UserError("The student is already enrolled at that school; pick the school they move to.")
    uid, _name, birth = _student(conn, student_usi)
    _check_entry(conn, DescriptorIds(conn), to_school_id, grade_level, transfer_date, birth, today or date.today())
    withdraw_student(conn, student_usi, transfer_date - timedelta(days=1), exit_type, actor=actor, now=now, sync=False)
    enroll_student(conn, student_usi, to_school_id, grade_level, transfer_date, entry_type, actor=actor,
                   now=now + timedelta(milliseconds=1), today=today)


def suggest_student_id(conn: Connection) -> str:
    """The next free numeric student id after the highest one on file."""
    return conn.execute(text("SELECT compliance.suggest_student_id()")).scalar()
