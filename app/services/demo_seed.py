"""The demo district: a deterministic, realistic Ed-Fi district loaded in one transaction.

`seed_demo(engine, students=1500, seed=42)` builds one LEA with an elementary, a middle and a
high school; students with demographics, families of contacts, staff, courses, offerings,
sections, calendars, bell schedules, a semester of daily and period attendance up to `as_of`,
gradebook entries and grades, discipline, and (in demo_seed_ops) health, cafeteria, library,
transportation, special education, 2 Hour Learning, activities and the matching OneRoster rows.
The same seed and `as_of` always give the same district. Descriptor ids are looked up from the
loaded descriptors. Everything is written with COPY inside one transaction: all or nothing.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import Engine, text

from app.db.bulk import Copier
from app.db.descriptors import DescriptorLookup
from app.domain.school_calendar import SchoolYearCalendar, school_year_for, school_year_label, standard_calendar
from app.errors import UserError
from app.services import demo_names as N
from app.services.demo_timeline import DemoIncident, entry_type_of, load_timeline

log = logging.getLogger(__name__)

LEA_ID = 255950
NAMESPACE = "uri://riverbend.example"
GRADES = ("Kindergarten", "First grade", "Second grade", "Third grade", "Fourth grade", "Fifth grade",
          "Sixth grade", "Seventh grade", "Eighth grade", "Ninth grade", "Tenth grade", "Eleventh grade",
          "Twelfth grade")


@dataclass(frozen=True)
class SchoolSpec:
    school_id: int
    name: str
    short: str
    category: str  # SchoolCategoryDescriptor
    grades: tuple[int, ...]  # indexes into GRADES
    periods: tuple[tuple[str, time, time], ...]


ELEM_PERIODS = (("Homeroom", time(8, 0), time(15, 0)),)
SEC_PERIODS = tuple((f"Period {i + 1}", time(8 + i, 0), time(8 + i, 50)) for i in range(6))
SCHOOLS = (
    SchoolSpec(LEA_ID * 1000 + 1, "Riverbend Elementary School", "RES", "Elementary School", tuple(range(0, 6)),
               ELEM_PERIODS),
    SchoolSpec(LEA_ID * 1000 + 2, "Riverbend Middle School", "RMS", "Middle School", (6, 7, 8), SEC_PERIODS),
    SchoolSpec(LEA_ID * 1000 + 3, "Riverbend High School", "RHS", "High School", (9, 10, 11, 12), SEC_PERIODS),
)

# Secondary courses by grade index: (course code stem, title, subject descriptor)
SEC_COURSES = {
    6: [("MATH6", "Math 6"), ("ELA6", "English Language Arts 6"), ("SCI6", "Science 6"), ("SS6", "World Cultures"),
        ("PE6", "Physical Education 6"), ("ART6", "Art 6")],
    7: [("MATH7", "Math 7"), ("ELA7", "English Language Arts 7"), ("SCI7", "Life Science"),
        ("SS7", "Texas History"), ("PE7", "Physical Education 7"), ("MUS7", "Band")],
    8: [("MATH8", "Pre-Algebra"), ("ELA8", "English Language Arts 8"), ("SCI8", "Physical Science"),
        ("SS8", "US History to 1877"), ("PE8", "Physical Education 8"), ("SPAN8", "Spanish Exploratory")],
    9: [("ALG1", "Algebra I"), ("ENG1", "English I"), ("BIO", "Biology"), ("WGEO", "World Geography"),
        ("PE9", "Physical Education"), ("SPAN1", "Spanish I")],
    10: [("GEOM", "Geometry"), ("ENG2", "English II"), ("CHEM", "Chemistry"), ("WHIST", "World History"),
         ("HLTH", "Health"), ("SPAN2", "Spanish II")],
    11: [("ALG2", "Algebra II"), ("ENG3", "English III"), ("PHYS", "Physics"), ("USHIST", "US History"),
         ("ART1", "Art I"), ("CS1", "Computer Science I")],
    12: [("PCALC", "Pre-Calculus"), ("ENG4", "English IV"), ("ENVSCI", "Environmental Science"),
         ("GOVT", "US Government"), ("ECON", "Economics"), ("CS2", "Computer Science II")],
}
SUBJECT_OF = {"MATH": "Mathematics", "ALG": "Mathematics", "GEOM": "Mathematics", "PCALC": "Mathematics",
              "ELA": "English Language Arts", "ENG": "English", "SCI": "Science", "BIO": "Science",
              "CHEM": "Science", "PHYS": "Science", "ENVSCI": "Science", "SS": "Social Studies",
              "WGEO": "Social Studies", "WHIST": "Social Sciences and History", "USHIST": "Social Sciences and History",
              "GOVT": "Social Studies", "ECON": "Social Studies", "PE": "Physical, Health, and Safety Education",
              "HLTH": "Physical, Health, and Safety Education", "ART": "Fine and Performing Arts",
              "MUS": "Fine and Performing Arts", "SPAN": "Foreign Language and Literature",
              "CS": "Career and Technical Education", "HR": "Composite"}


def subject_of(code: str) -> str:
    stem = code.rstrip("0123456789")
    return SUBJECT_OF.get(stem, SUBJECT_OF.get(stem[:2], "Other"))


@dataclass
class Student:
    usi: int
    uid: str
    first: str
    last: str
    middle: str | None
    birth: date
    grade: int
    school: SchoolSpec
    sex: str
    family: int
    absence_rate: float
    ability: float
    hispanic: bool
    race: str
    language: str
    sections: list = field(default_factory=list)  # [(term_name, section key)]


@dataclass
class Section:
    school: SchoolSpec
    local_code: str
    course_code: str
    title: str
    ident: str
    session: str
    period: str
    grade: int
    teacher_usi: int | None = None
    students: list = field(default_factory=list)


@dataclass
class SeedContext:
    rng: random.Random
    as_of: date
    cal: SchoolYearCalendar
    school_year: int
    d: DescriptorLookup
    copier: Copier
    students: list[Student] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    days: list[date] = field(default_factory=list)  # school days with attendance
    terms: list = field(default_factory=list)  # terms begun by as_of
    absences: dict = field(default_factory=dict)  # (usi, day) -> category code
    incidents: list = field(default_factory=list)  # demo_timeline.DemoIncident, for the timeline
    attendance_days: int | None = None
    n_students: int = 1500

    def did(self, type_name: str, code: str) -> int:
        return self.d.id(type_name, code)


@dataclass(frozen=True)
class SeedReport:
    students: int
    rows: int
    counts: dict
    seconds: float
    school_year: int


def district_is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM edfi.localeducationagency)")).scalar_one()


def seed_demo(engine: Engine, students: int = 1500, seed: int = 42, as_of: date | None = None,
              attendance_days: int | None = None, timeline: bool = True) -> SeedReport:
    """Load the demo district into an empty, migrated database. All or nothing.

    timeline=False leaves out the students' activity timeline (DynamoDB records queued in the
    outbox): for bench districts, which nobody ships to DynamoDB."""
    import time as _time

    from app.services import demo_seed_ops as ops

    if students < 13:
        raise UserError("The demo district needs at least 13 students (one per grade); ask for more with --students.")
    if not district_is_empty(engine):
        raise UserError("This database already holds a district; seed-demo only loads into an empty database.")
    as_of = as_of or date.today()
    started = _time.perf_counter()
    cal = standard_calendar(school_year_for(as_of))
    with engine.begin() as conn:
        ctx = SeedContext(random.Random(seed), as_of, cal, cal.school_year, DescriptorLookup(conn).preload(), Copier(conn, audit_rows=False),
                          attendance_days=attendance_days, n_students=students)
        ctx.terms = [t for t in cal.terms if t.begin <= as_of] or [cal.terms[0]]
        days = cal.school_days(cal.first_day, min(as_of - timedelta(days=1), cal.last_day))
        ctx.days = days[-attendance_days:] if attendance_days else days
        load_organizations(ctx)
        load_calendars(ctx)
        load_staff(ctx)
        load_students(ctx)
        load_contacts(ctx)
        load_courses_and_sections(ctx)
        load_attendance(ctx)
        load_gradebook_and_grades(ctx)
        load_discipline(ctx)
        ops.load_operations(ctx)
        from app.services.demo_parts import load_parts

        load_parts(ctx)  # each desk's demo data (cafeteria menus, library catalogue, bus routes, ...)
        ops.load_oneroster(ctx)  # last: staff a desk's part adds (a cafeteria manager) get their OneRoster user
        if timeline:
            load_timeline(ctx)  # into the outbox: the shipper delivers it to DynamoDB after the load
        for table, col in (("edfi.student", "studentusi"), ("edfi.staff", "staffusi"), ("edfi.contact", "contactusi")):
            ctx.copier.sync_sequence(table, col)
        # One audit entry for the whole load instead of one per row (see Copier(audit_rows=False)).
        conn.execute(text(
            "INSERT INTO compliance.audit_logs (user_id, table_name, record_id, operation, new_values, user_agent) "
            "VALUES (session_user, '*', 'demo district', 'LOAD', CAST(:summary AS jsonb), 'school-office-admin')"),
            {"summary": json.dumps({"students": students, "seed": seed, "as_of": as_of.isoformat(),
                                                  "rows": ctx.copier.total})})
    # Fresh statistics for the planner: without them the first searches on a new district pick
    # sequential scans (measured: p95 of a name search 94 ms before, a few ms after).
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    seconds = _time.perf_counter() - started
    log.info("demo district loaded: %s students, %s rows in %.1f s", students, ctx.copier.total, seconds)
    return SeedReport(students, ctx.copier.total, dict(ctx.copier.counts), seconds, cal.school_year)


# --------------------------------------------------------------------------------------------
def load_organizations(ctx: SeedContext) -> None:
    c, sy = ctx.copier, ctx.school_year
    c.copy("edfi.schoolyeartype", ("schoolyear", "schoolyeardescription", "currentschoolyear"),
           [(y, school_year_label(y), y == sy) for y in range(sy - 3, sy + 14)])
    orgs = [(LEA_ID, "Riverbend Independent School District", "RISD", "https://riverbend.example")]
    orgs += [(s.school_id, s.name, s.short, None) for s in SCHOOLS]
    c.copy("edfi.educationorganization", ("educationorganizationid", "nameofinstitution", "shortnameofinstitution",
                                          "website", "operationalstatusdescriptorid"),
           [(*o, ctx.did("OperationalStatusDescriptor", "Active")) for o in orgs])
    c.copy("edfi.educationorganizationcategory", ("educationorganizationid", "educationorganizationcategorydescriptorid"),
           [(LEA_ID, ctx.did("EducationOrganizationCategoryDescriptor", "Local Education Agency"))]
           + [(s.school_id, ctx.did("EducationOrganizationCategoryDescriptor", "School")) for s in SCHOOLS])
    c.copy("edfi.localeducationagency", ("localeducationagencyid", "localeducationagencycategorydescriptorid"),
           [(LEA_ID, ctx.did("LocalEducationAgencyCategoryDescriptor", "Regular public school district"))])
    c.copy("edfi.school", ("schoolid", "localeducationagencyid", "schooltypedescriptorid"),
           [(s.school_id, LEA_ID, ctx.did("SchoolTypeDescriptor", "Regular")) for s in SCHOOLS])
    c.copy("edfi.schoolcategory", ("schoolid", "schoolcategorydescriptorid"),
           [(s.school_id, ctx.did("SchoolCategoryDescriptor", s.category)) for s in SCHOOLS])
    c.copy("edfi.schoolgradelevel", ("schoolid", "gradeleveldescriptorid"),
           [(s.school_id, ctx.did("GradeLevelDescriptor", GRADES[g])) for s in SCHOOLS for g in s.grades])
    addr = ctx.did("AddressTypeDescriptor", "Physical")
    st = ctx.did("StateAbbreviationDescriptor", N.STATE)
    c.copy("edfi.educationorganizationaddress",
           ("educationorganizationid", "addresstypedescriptorid", "city", "postalcode", "stateabbreviationdescriptorid",
            "streetnumbername", "nameofcounty"),
           [(eo, addr, N.CITY, N.POSTAL_CODES[i % 5], st, f"{100 + 50 * i} School Rd", "Travis")
            for i, (eo, *_rest) in enumerate(orgs)])


def load_calendars(ctx: SeedContext) -> None:
    c, cal, sy = ctx.copier, ctx.cal, ctx.school_year
    instructional = ctx.did("CalendarEventDescriptor", "Instructional day")
    holiday = ctx.did("CalendarEventDescriptor", "Holiday")
    dates, events = [], []
    for s in SCHOOLS:
        code = f"{s.short}-{sy}"
        d = cal.first_day
        while d <= cal.last_day:
            if d.weekday() < 5:
                dates.append((code, d, s.school_id, sy))
                events.append((code, d, s.school_id, sy, instructional if cal.is_school_day(d) else holiday))
            d += timedelta(days=1)
    c.copy("edfi.calendar", ("calendarcode", "schoolid", "schoolyear", "calendartypedescriptorid"),
           [(f"{s.short}-{sy}", s.school_id, sy, ctx.did("CalendarTypeDescriptor", "School")) for s in SCHOOLS])
    c.copy("edfi.calendardate", ("calendarcode", "date", "schoolid", "schoolyear"), dates)
    c.copy("edfi.calendardatecalendarevent", ("calendarcode", "date", "schoolid", "schoolyear",
                                              "calendareventdescriptorid"), events)
    c.copy("edfi.session", ("schoolid", "schoolyear", "sessionname", "begindate", "enddate", "termdescriptorid",
                            "totalinstructionaldays"),
           [(s.school_id, sy, t.name, t.begin, t.end, ctx.did("TermDescriptor", t.term_code),
             len(cal.school_days(t.begin, t.end))) for s in SCHOOLS for t in cal.terms])
    c.copy("edfi.gradingperiod", ("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear",
                                  "begindate", "enddate", "periodsequence", "totalinstructionaldays"),
           [(ctx.did("GradingPeriodDescriptor", g.descriptor_code), g.name, s.school_id, sy, g.begin, g.end,
             g.sequence, len(cal.school_days(g.begin, g.end))) for s in SCHOOLS for g in cal.grading_periods])
    c.copy("edfi.sessiongradingperiod", ("schoolid", "schoolyear", "sessionname", "gradingperioddescriptorid",
                                         "gradingperiodname"),
           [(s.school_id, sy, g.term_name, ctx.did("GradingPeriodDescriptor", g.descriptor_code), g.name)
            for s in SCHOOLS for g in cal.grading_periods])
    c.copy("edfi.classperiod", ("classperiodname", "schoolid", "officialattendanceperiod"),
           [(p[0], s.school_id, i == 0) for s in SCHOOLS for i, p in enumerate(s.periods)])
    c.copy("edfi.classperiodmeetingtime", ("classperiodname", "schoolid", "starttime", "endtime"),
           [(p[0], s.school_id, p[1], p[2]) for s in SCHOOLS for p in s.periods])
    c.copy("edfi.bellschedule", ("bellschedulename", "schoolid", "starttime", "endtime", "totalinstructionaltime"),
           [("Regular", s.school_id, s.periods[0][1], s.periods[-1][2],
             sum((p[2].hour * 60 + p[2].minute) - (p[1].hour * 60 + p[1].minute) for p in s.periods))
            for s in SCHOOLS])
    c.copy("edfi.bellscheduleclassperiod", ("bellschedulename", "schoolid", "classperiodname"),
           [("Regular", s.school_id, p[0]) for s in SCHOOLS for p in s.periods])


STAFF_ROLES = ("Principal", "Front office clerk", "Nurse", "Cafeteria cashier", "Librarian", "Dean")
# Position title -> Ed-Fi StaffClassificationDescriptor code value.
STAFF_CLASSIFICATION = {
    "Principal": "School Administrator", "Front office clerk": "School Administrative Support Staff",
    "Nurse": "Student Support Services Staff (w/o Psychology)", "Cafeteria cashier": "All Other Support Staff",
    "Librarian": "Librarian/Media Specialist", "Dean": "Assistant Principal",
    "Transportation coordinator": "LEA Administrative Support Staff",
}


def _person_name(rng: random.Random, female: bool) -> tuple[str, str]:
    return rng.choice(N.FIRST_NAMES_F if female else N.FIRST_NAMES_M), rng.choice(N.LAST_NAMES)


def load_staff(ctx: SeedContext) -> None:
    rng = ctx.rng
    usi = 0
    for s in SCHOOLS:
        for role in STAFF_ROLES:
            if role == "Dean" and s is SCHOOLS[0]:
                continue
            usi += 1
            female = rng.random() < 0.6
            first, last = _person_name(rng, female)
            ctx.staff.append({"usi": usi, "uid": f"S{usi:05d}", "first": first, "last": last, "school": s,
                              "role": role, "female": female})
    usi += 1
    ctx.staff.append({"usi": usi, "uid": f"S{usi:05d}", "first": "Dana", "last": "Whitfield", "school": SCHOOLS[2],
                      "role": "Transportation coordinator", "female": True})


def _new_teacher(ctx: SeedContext, school: SchoolSpec, subject: str) -> dict:
    usi = len(ctx.staff) + 1
    female = ctx.rng.random() < 0.7
    first, last = _person_name(ctx.rng, female)
    t = {"usi": usi, "uid": f"S{usi:05d}", "first": first, "last": last, "school": school,
         "role": "Teacher", "female": female, "subject": subject}
    ctx.staff.append(t)
    return t


def school_of_grade(g: int) -> SchoolSpec:
    return next(s for s in SCHOOLS if g in s.grades)


RACES = (("White", 0.45), ("Black or African American", 0.14), ("Asian", 0.07), ("American Indian or Alaska Native", 0.02),
         ("Native Hawaiian or Pacific Islander", 0.01), ("Other", 0.31))


def load_students(ctx: SeedContext) -> None:
    rng, sy = ctx.rng, ctx.school_year
    family = 0
    family_left = 0
    for i in range(ctx.n_students):
        g = i % 13
        if family_left == 0:
            family += 1
            family_left = rng.choice((1, 1, 2, 2, 2, 3))
            family_last = rng.choice(N.LAST_NAMES)
        family_left -= 1
        female = rng.random() < 0.49
        first = rng.choice(N.FIRST_NAMES_F if female else N.FIRST_NAMES_M)
        middle = rng.choice(N.FIRST_NAMES_F if female else N.FIRST_NAMES_M) if rng.random() < 0.6 else None
        age_sep1 = g + 5
        birth = date(sy - 1 - age_sep1, 9, 1) + timedelta(days=rng.randrange(0, 365))
        r = rng.random()
        race = next((name for name, p in RACES if (r := r - p) < 0), "Other")
        hispanic = rng.random() < 0.38
        chronic = rng.random() < 0.08
        ctx.students.append(Student(
            usi=i + 1, uid=f"{604000 + i + 1}", first=first, last=family_last, middle=middle, birth=birth, grade=g,
            school=school_of_grade(g), sex="Female" if female else "Male", family=family,
            absence_rate=rng.uniform(0.11, 0.22) if chronic else rng.uniform(0.0, 0.06),
            ability=rng.gauss(84, 7), hispanic=hispanic, race=race,
            language="spa" if hispanic and rng.random() < 0.35 else "eng"))
    c = ctx.copier
    c.copy("edfi.student", ("studentusi", "studentuniqueid", "firstname", "middlename", "lastsurname", "birthdate",
                            "birthcity", "birthsexdescriptorid"),
           ((s.usi, s.uid, s.first, s.middle, s.last, s.birth, N.CITY, ctx.did("SexDescriptor", s.sex))
            for s in ctx.students))
    c.copy("edfi.studenteducationorganizationassociation",
           ("educationorganizationid", "studentusi", "sexdescriptorid", "hispaniclatinoethnicity"),
           ((LEA_ID, s.usi, ctx.did("SexDescriptor", s.sex), s.hispanic) for s in ctx.students))
    c.copy("edfi.studenteducationorganizationassociationrace", ("educationorganizationid", "studentusi", "racedescriptorid"),
           ((LEA_ID, s.usi, ctx.did("RaceDescriptor", s.race)) for s in ctx.students))
    c.copy("edfi.studenteducationorganizationassociationlanguage",
           ("educationorganizationid", "studentusi", "languagedescriptorid"),
           ((LEA_ID, s.usi, ctx.did("LanguageDescriptor", s.language)) for s in ctx.students))
    home = ctx.did("AddressTypeDescriptor", "Home")
    st = ctx.did("StateAbbreviationDescriptor", N.STATE)
    c.copy("edfi.studenteducationorganizationassociationaddress",
           ("educationorganizationid", "studentusi", "addresstypedescriptorid", "city", "postalcode",
            "stateabbreviationdescriptorid", "streetnumbername"),
           ((LEA_ID, s.usi, home, N.CITY, N.POSTAL_CODES[s.family % 5], st, _street(s.family)) for s in ctx.students))
    phone = ctx.did("TelephoneNumberTypeDescriptor", "Home")
    c.copy("edfi.studenteducationorganizationassociationtelephone",
           ("educationorganizationid", "studentusi", "telephonenumber", "telephonenumbertypedescriptorid",
            "orderofpriority"),
           ((LEA_ID, s.usi, _phone(s.family), phone, 1) for s in ctx.students))
    mail = ctx.did("ElectronicMailTypeDescriptor", "Organization")
    c.copy("edfi.studenteducationorganizationassociationelectronicmail",
           ("educationorganizationid", "studentusi", "electronicmailaddress", "electronicmailtypedescriptorid"),
           ((LEA_ID, s.usi, f"{s.uid}@students.riverbend.example", mail) for s in ctx.students if s.grade >= 3))
    first = ctx.cal.first_day
    c.copy("edfi.studentschoolassociation",
           ("entrydate", "schoolid", "studentusi", "entrygradeleveldescriptorid", "entrytypedescriptorid",
            "schoolyear", "calendarcode", "primaryschool", "classofschoolyear"),
           ((first, s.school.school_id, s.usi, ctx.did("GradeLevelDescriptor", GRADES[s.grade]),
             ctx.did("EntryTypeDescriptor", entry_type_of(s.grade)), ctx.school_year,
             f"{s.school.short}-{ctx.school_year}", True, ctx.school_year + 12 - s.grade) for s in ctx.students))


def _street(family: int) -> str:
    return f"{100 + (family * 37) % 9800} {N.STREETS[family % len(N.STREETS)]}"


def _phone(family: int) -> str:
    return f"(512) 555-{(family * 7919) % 10000:04d}"


def load_contacts(ctx: SeedContext) -> None:
    rng = ctx.rng
    by_family: dict[int, list[Student]] = {}
    for s in ctx.students:
        by_family.setdefault(s.family, []).append(s)
    contacts, links = [], []
    mother = ctx.did("RelationDescriptor", "Mother")
    father = ctx.did("RelationDescriptor", "Father")
    guardian = ctx.did("RelationDescriptor", "Guardian") if "Guardian" in ctx.d.ids("RelationDescriptor") else \
        ctx.did("RelationDescriptor", "Other")
    grandma = ctx.did("RelationDescriptor", "Grandmother")
    for fam, kids in by_family.items():
        last = kids[0].last
        shape = rng.random()
        adults = [("Female", mother, last)]
        if shape < 0.62:
            adults.append(("Male", father, last))
        elif shape < 0.75:
            adults.append(("Female", grandma, rng.choice(N.LAST_NAMES)))
        elif shape < 0.8:
            adults = [("Male", guardian, rng.choice(N.LAST_NAMES))]
        restricted = len(adults) == 2 and rng.random() < 0.03
        for k, (sex, rel, alast) in enumerate(adults):
            usi = len(contacts) + 1
            first = rng.choice(N.FIRST_NAMES_F if sex == "Female" else N.FIRST_NAMES_M)
            contacts.append({"usi": usi, "uid": f"C{usi:06d}", "first": first, "last": alast, "sex": sex,
                             "family": fam, "priority": k + 1})
            for kid in kids:
                lives = not (restricted and k == 1)
                links.append((usi, kid.usi, k + 1, "Pickup not allowed; see court order on file" if not lives else None,
                              True, k == 0 or lives, lives, k == 0, rel))
    ctx.contacts = contacts
    c = ctx.copier
    c.copy("edfi.contact", ("contactusi", "contactuniqueid", "firstname", "lastsurname", "sexdescriptorid"),
           ((p["usi"], p["uid"], p["first"], p["last"], ctx.did("SexDescriptor", p["sex"])) for p in contacts))
    c.copy("edfi.studentcontactassociation",
           ("contactusi", "studentusi", "contactpriority", "contactrestrictions", "emergencycontactstatus",
            "legalguardian", "liveswith", "primarycontactstatus", "relationdescriptorid"), links)
    home = ctx.did("AddressTypeDescriptor", "Home")
    st = ctx.did("StateAbbreviationDescriptor", N.STATE)
    c.copy("edfi.contactaddress", ("contactusi", "addresstypedescriptorid", "city", "postalcode",
                                   "stateabbreviationdescriptorid", "streetnumbername"),
           ((p["usi"], home, N.CITY, N.POSTAL_CODES[p["family"] % 5], st, _street(p["family"])) for p in contacts))
    mobile = ctx.did("TelephoneNumberTypeDescriptor", "Mobile")
    c.copy("edfi.contacttelephone", ("contactusi", "telephonenumber", "telephonenumbertypedescriptorid",
                                     "orderofpriority", "textmessagecapabilityindicator"),
           ((p["usi"], f"(512) 555-{(p['usi'] * 104729) % 10000:04d}", mobile, 1, True) for p in contacts))
    home_mail = ctx.did("ElectronicMailTypeDescriptor", "Home/Personal")
    c.copy("edfi.contactelectronicmail", ("contactusi", "electronicmailaddress", "electronicmailtypedescriptorid",
                                          "primaryemailaddressindicator"),
           ((p["usi"], f"{p['first'].lower()}.{p['last'].lower().replace(' ', '').replace(chr(39), '')}{p['usi']}"
             f"@mail.example", home_mail, True) for p in contacts))


def load_courses_and_sections(ctx: SeedContext) -> None:
    """Homerooms for the elementary school; for secondary grades, cohorts of up to 28 students
    rotate through the six courses of their grade so no student has two sections in one period."""
    sy, c = ctx.school_year, ctx.copier
    courses: dict[str, str] = {}
    by_grade: dict[int, list[Student]] = {}
    for s in ctx.students:
        by_grade.setdefault(s.grade, []).append(s)
    teachers: dict[tuple, list] = {}

    def teacher_for(school: SchoolSpec, key: str) -> dict:
        pool = teachers.setdefault((school.school_id, key), [])
        if not pool or pool[-1]["load"] >= 5:
            t = _new_teacher(ctx, school, key)
            t["load"] = 0
            pool.append(t)
        pool[-1]["load"] += 1
        return pool[-1]

    for term in ctx.terms:
        tag = "F" if "Fall" in term.name else "S"
        for g, kids in sorted(by_grade.items()):
            school = school_of_grade(g)
            if g <= 5:
                code = f"HR{GRADES[g][:2].upper() if g == 0 else g}"
                courses[code] = f"Grade {'K' if g == 0 else g} Homeroom"
                groups = [kids[i:i + 24] for i in range(0, len(kids), 24)]
                for n, group in enumerate(groups):
                    sec = Section(school, code, code, courses[code], f"{code}-{tag}{n + 1:02d}", term.name,
                                  "Homeroom", g, students=group)
                    sec.teacher_usi = teacher_for(school, f"{code}-{n}")["usi"]
                    ctx.sections.append(sec)
            else:
                cohorts = [kids[i:i + 28] for i in range(0, len(kids), 28)]
                for k, (code, title) in enumerate(SEC_COURSES[g]):
                    courses[code] = title
                    for ci, cohort in enumerate(cohorts):
                        period = school.periods[(k + ci) % 6][0]
                        sec = Section(school, code, code, title, f"{code}-{tag}{ci + 1:02d}", term.name, period, g,
                                      students=cohort)
                        sec.teacher_usi = teacher_for(school, code)["usi"]
                        ctx.sections.append(sec)
    for sec in ctx.sections:
        for st in sec.students:
            st.sections.append(sec)

    carnegie = ctx.did("CreditTypeDescriptor", "Carnegie unit")
    applicable = ctx.did("CourseGPAApplicabilityDescriptor", "Applicable")
    c.copy("edfi.course", ("coursecode", "educationorganizationid", "coursetitle", "numberofparts",
                           "coursegpaapplicabilitydescriptorid", "minimumavailablecredits",
                           "maximumavailablecredits", "maximumavailablecredittypedescriptorid"),
           [(code, LEA_ID, title, 2 if not code.startswith("HR") else 1,
             applicable if not code.startswith("HR") else None, 0.5, 1.0, carnegie)
            for code, title in sorted(courses.items())])
    c.copy("edfi.courseacademicsubject", ("academicsubjectdescriptorid", "coursecode", "educationorganizationid"),
           [(ctx.did("AcademicSubjectDescriptor", subject_of(code)), code, LEA_ID) for code in sorted(courses)])
    offerings = sorted({(sec.local_code, sec.school.school_id, sy, sec.session, sec.course_code, sec.title)
                        for sec in ctx.sections})
    c.copy("edfi.courseoffering", ("localcoursecode", "schoolid", "schoolyear", "sessionname", "coursecode",
                                   "localcoursetitle", "educationorganizationid"),
           [(o[0], o[1], o[2], o[3], o[4], o[5], LEA_ID) for o in offerings])
    classroom = ctx.did("EducationalEnvironmentDescriptor", "Classroom")
    rooms = sorted({(f"R{100 + i % 60}", sec.school.school_id) for i, sec in enumerate(ctx.sections)})
    c.copy("edfi.location", ("classroomidentificationcode", "schoolid", "maximumnumberofseats"),
           [(r, sid, 30) for r, sid in rooms])
    c.copy("edfi.section", ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",
                            "sectionname", "educationalenvironmentdescriptorid", "locationclassroomidentificationcode",
                            "locationschoolid", "officialattendanceperiod", "availablecredits",
                            "availablecredittypedescriptorid", "sequenceofcourse"),
           [(s.local_code, s.school.school_id, sy, s.ident, s.session, f"{s.title} ({s.period})", classroom,
             f"R{100 + i % 60}", s.school.school_id, s.period in ("Homeroom", "Period 1"),
             None if s.local_code.startswith("HR") else 0.5, carnegie, 1 if "Fall" in s.session else 2)
            for i, s in enumerate(ctx.sections)])
    c.copy("edfi.sectionclassperiod", ("localcoursecode", "schoolid", "schoolyear", "sectionidentifier",
                                       "sessionname", "classperiodname"),
           [(s.local_code, s.school.school_id, sy, s.ident, s.session, s.period) for s in ctx.sections])
    # Staff (teachers were created while building sections).
    c.copy("edfi.staff", ("staffusi", "staffuniqueid", "firstname", "lastsurname", "sexdescriptorid", "loginid",
                          "highlyqualifiedteacher"),
           [(t["usi"], t["uid"], t["first"], t["last"], ctx.did("SexDescriptor", "Female" if t["female"] else "Male"),
             f"{t['first'][0].lower()}{t['last'].lower().replace(' ', '').replace(chr(39), '')}{t['usi']}",
             t["role"] == "Teacher") for t in ctx.staff])
    c.copy("edfi.staffeducationorganizationassignmentassociation",
           ("begindate", "educationorganizationid", "staffclassificationdescriptorid", "staffusi", "positiontitle"),
           [(ctx.cal.first_day - timedelta(days=30), t["school"].school_id,
             ctx.did("StaffClassificationDescriptor", STAFF_CLASSIFICATION.get(
                 t["role"], "Elementary Teacher" if t["school"] is SCHOOLS[0] else "Secondary Teacher")),
             t["usi"], t["role"]) for t in ctx.staff])
    regular = ctx.did("ProgramAssignmentDescriptor", "Regular Education")
    c.copy("edfi.staffschoolassociation", ("staffusi", "schoolid", "programassignmentdescriptorid", "schoolyear"),
           [(t["usi"], t["school"].school_id, regular, sy) for t in ctx.staff])
    tor = ctx.did("ClassroomPositionDescriptor", "Teacher of Record")
    term_begin = {t.name: t.begin for t in ctx.cal.terms}
    c.copy("edfi.staffsectionassociation", ("begindate", "localcoursecode", "schoolid", "schoolyear",
                                            "sectionidentifier", "sessionname", "staffusi",
                                            "classroompositiondescriptorid", "highlyqualifiedteacher"),
           [(term_begin[s.session], s.local_code, s.school.school_id, sy, s.ident, s.session, s.teacher_usi, tor, True)
            for s in ctx.sections])
    term_end = {t.name: t.end for t in ctx.cal.terms}
    c.copy("edfi.studentsectionassociation", ("begindate", "localcoursecode", "schoolid", "schoolyear",
                                              "sectionidentifier", "sessionname", "studentusi", "enddate",
                                              "homeroomindicator"),
           ((term_begin[s.session], s.local_code, s.school.school_id, sy, s.ident, s.session, st.usi,
             term_end[s.session], s.period in ("Homeroom", "Period 1"))
            for s in ctx.sections for st in s.students))


def load_attendance(ctx: SeedContext) -> None:
    """Attendance for every school day so far, recorded as exceptions (migration 0068): each section's
    taken event for the day (each secondary period, each elementary homeroom), the marks that are not
    In Attendance, and the daily status of each day that is not a present one; a student's absences
    are the same in both."""
    rng, sy = ctx.rng, ctx.school_year
    cats = {k: ctx.did("AttendanceEventCategoryDescriptor", k)
            for k in ("In Attendance", "Excused Absence", "Unexcused Absence", "Tardy")}
    term_of = {d: ctx.cal.term_of(d).name for d in ctx.days}
    for s in ctx.students:
        for d in ctx.days:
            r = rng.random()
            if r < s.absence_rate:
                ctx.absences[(s.usi, d)] = "Excused Absence" if rng.random() < 0.6 else "Unexcused Absence"
            elif r < s.absence_rate + 0.025:
                ctx.absences[(s.usi, d)] = "Tardy"

    # Rows are generated in primary-key order (category, then date, ...) so the key index grows at
    # its end instead of being split all over: at 100,000 students this doubles the load speed.
    by_school = sorted(ctx.students, key=lambda s: (s.school.school_id, s.usi))

    def daily():
        for code in sorted((k for k in cats if k != "In Attendance"), key=lambda k: cats[k]):
            cid = cats[code]
            for d in ctx.days:
                session = term_of[d]
                for s in by_school:
                    if ctx.absences.get((s.usi, d), "In Attendance") != code:
                        continue
                    arrival = time(8, 5 + (s.usi + d.day) % 40) if code == "Tardy" else None
                    yield (cid, d, s.school.school_id, sy, session, s.usi, arrival,
                           1.0 if code.endswith("Absence") else (0.1 if code == "Tardy" else 0.0))

    ctx.copier.copy("edfi.studentschoolattendanceevent",
                    ("attendanceeventcategorydescriptorid", "eventdate", "schoolid", "schoolyear", "sessionname",
                     "studentusi", "arrivaltime", "eventduration"), daily(), bulk=True)

    taken = sorted(ctx.sections, key=lambda sec: (sec.local_code, sec.school.school_id, sec.ident, sec.session))

    def period():
        for code in sorted((k for k in cats if k != "In Attendance"), key=lambda k: cats[k]):
            cid = cats[code]
            for d in ctx.days:
                for sec in taken:
                    if term_of[d] != sec.session:
                        continue
                    first = sec.period in ("Period 1", "Homeroom")
                    for st in sec.students:
                        mark = ctx.absences.get((st.usi, d), "In Attendance")
                        if mark == "Tardy" and not first:
                            mark = "In Attendance"
                        if mark == code:
                            yield (cid, d, sec.local_code, sec.school.school_id, sy, sec.ident, sec.session, st.usi,
                                   time(8, 10) if code == "Tardy" else None)

    ctx.copier.copy("edfi.studentsectionattendanceevent",
                    ("attendanceeventcategorydescriptorid", "eventdate", "localcoursecode", "schoolid", "schoolyear",
                     "sectionidentifier", "sessionname", "studentusi", "arrivaltime"), period(), bulk=True)
    # taken by the section's teacher, that morning
    ctx.copier.copy("edfi.sectionattendancetakenevent",
                    ("calendarcode", "date", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier",
                     "sessionname", "eventdate", "staffusi"),
                    ((f"{sec.school.short}-{sy}", d, sec.local_code, sec.school.school_id, sy, sec.ident, sec.session,
                      d, sec.teacher_usi) for sec in taken for d in ctx.days
                     if term_of[d] == sec.session), bulk=True)


def letter(score: float) -> str:
    return "A" if score >= 90 else "B" if score >= 80 else "C" if score >= 70 else "D" if score >= 60 else "F"


def load_gradebook_and_grades(ctx: SeedContext) -> None:
    rng, sy, c = ctx.rng, ctx.school_year, ctx.copier
    hw = ctx.did("GradebookEntryTypeDescriptor", "Homework") if "Homework" in ctx.d.ids(
        "GradebookEntryTypeDescriptor") else next(iter(ctx.d.ids("GradebookEntryTypeDescriptor").values()))
    gp_of = {}
    for g in ctx.cal.grading_periods:
        gp_of[g.name] = (ctx.did("GradingPeriodDescriptor", g.descriptor_code), g)
    last_day = ctx.days[-1] if ctx.days else ctx.cal.first_day
    entries, scores = [], []
    per_gp: dict[tuple, list[float]] = {}
    for sec in ctx.sections:
        if sec.period == "Homeroom" and sec.grade == 0:
            continue
        for g in ctx.cal.grading_periods:
            if g.term_name != sec.session or g.begin > last_day:
                continue
            week = 0
            d = g.begin
            while d <= min(g.end, last_day):
                if d.weekday() == 4:  # one assignment a week, due Friday
                    week += 1
                    ident = f"{sec.school.short}-{sec.ident}-Q{g.sequence}-W{week}"
                    entries.append((ident, NAMESPACE, f"Week {week} assignment", d - timedelta(days=4), d, hw,
                                    sec.ident, sec.local_code, sec.school.school_id, sy, sec.session,
                                    gp_of[g.name][0], g.name, 100))
                    for st in sec.students:
                        score = max(40.0, min(100.0, rng.gauss(st.ability, 8)))
                        scores.append((st.usi, ident, NAMESPACE, d, letter(score), round(score, 1)))
                        per_gp.setdefault((st.usi, sec.ident, sec.session, g.name), []).append(score)
                d += timedelta(days=1)
    c.copy("edfi.gradebookentry", ("gradebookentryidentifier", "namespace", "title", "dateassigned", "duedate",
                                   "gradebookentrytypedescriptorid", "sectionidentifier", "localcoursecode",
                                   "schoolid", "schoolyear", "sessionname", "gradingperioddescriptorid",
                                   "gradingperiodname", "maxpoints"), entries)
    scores.sort(key=lambda r: (r[1], r[0]))  # primary-key order: the key index grows at its end
    c.copy("edfi.studentgradebookentry", ("studentusi", "gradebookentryidentifier", "namespace", "datefulfilled",
                                          "lettergradeearned", "numericgradeearned"), scores, bulk=True)
    # Grades and report cards for grading periods that have ended.
    gtype = ctx.did("GradeTypeDescriptor", "Grading Period")
    term_begin = {t.name: t.begin for t in ctx.cal.terms}
    grades, cards, card_grades = [], {}, []
    sec_by_ident = {(s.ident, s.session): s for s in ctx.sections}
    for (usi, ident, session, gpname), vals in per_gp.items():
        gpd, g = gp_of[gpname]
        if g.end >= ctx.as_of:
            continue
        sec = sec_by_ident[(ident, session)]
        avg = round(sum(vals) / len(vals), 1)
        key = (sec.school.school_id, gpd, gpname, sec.school.school_id, sy, usi)
        grades.append((term_begin[session], gtype, gpd, gpname, sy, sec.local_code, sec.school.school_id, sy,
                       ident, session, usi, letter(avg), avg))
        cards.setdefault(key, g)
        card_grades.append((*key, term_begin[session], gtype, sec.local_code, sec.school.school_id, sy, ident, session))
    c.copy("edfi.grade", ("begindate", "gradetypedescriptorid", "gradingperioddescriptorid", "gradingperiodname",
                          "gradingperiodschoolyear", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier",
                          "sessionname", "studentusi", "lettergradeearned", "numericgradeearned"), grades)
    rows = []
    for key, g in cards.items():
        usi = key[5]
        days = [d for d in ctx.days if g.begin <= d <= g.end]
        absent = sum(1 for d in days if ctx.absences.get((usi, d), "").endswith("Absence"))
        tardy = sum(1 for d in days if ctx.absences.get((usi, d)) == "Tardy")
        rows.append((*key, absent, len(days) - absent, tardy))
    c.copy("edfi.reportcard", ("educationorganizationid", "gradingperioddescriptorid", "gradingperiodname",
                               "gradingperiodschoolid", "gradingperiodschoolyear", "studentusi", "numberofdaysabsent",
                               "numberofdaysinattendance", "numberofdaystardy"), rows)
    c.copy("edfi.reportcardgrade", ("educationorganizationid", "gradingperioddescriptorid", "gradingperiodname",
                                    "gradingperiodschoolid", "gradingperiodschoolyear", "studentusi", "begindate",
                                    "gradetypedescriptorid", "localcoursecode", "schoolid", "schoolyear",
                                    "sectionidentifier", "sessionname"), card_grades)


INCIDENTS = (
    ("School Code of Conduct", "Classroom", "Repeated disruption of class after warnings.", "Removal from Classroom", 1),
    ("School Violation", "Hallway or stairs", "Pushing another student in the hallway.", "In School Suspension", 1),
    ("School Code of Conduct", "Cafeteria area", "Food thrown at other students.", "In School Suspension", 1),
    ("State Offense", "Athletic field or playground", "Fight between students; both sent to the office.",
     "Out of School Suspension", 3),
    ("School Violation", "Online", "Posting unkind messages about a classmate.", "In School Suspension", 2),
)


def load_discipline(ctx: SeedContext) -> None:
    rng, c = ctx.rng, ctx.copier
    if not ctx.days:
        return
    perp = ctx.did("DisciplineIncidentParticipationCodeDescriptor", "Perpetrator")
    staff_rep = ctx.did("ReporterDescriptionDescriptor", "Staff")
    incidents, behaviors, sbeh, sbeh_codes, actions, action_types, action_links = [], [], [], [], [], [], []
    n = 0
    for s in ctx.students:
        if rng.random() >= (0.05 if s.grade >= 6 else 0.012):
            continue
        n += 1
        beh, loc, desc, action, days = INCIDENTS[rng.randrange(len(INCIDENTS))]
        day = ctx.days[rng.randrange(len(ctx.days))]
        ident = f"INC-{ctx.school_year}-{n:05d}"
        sid = s.school.school_id
        bid = ctx.did("BehaviorDescriptor", beh)
        dean = next((t for t in ctx.staff if t["school"] is s.school and t["role"] in ("Dean", "Principal")))
        at = time(9 + rng.randrange(6), rng.choice((0, 15, 30, 45)))
        incidents.append((ident, sid, day, at, desc,
                          ctx.did("IncidentLocationDescriptor", loc), beh == "State Offense" and rng.random() < 0.3,
                          staff_rep, f"{dean['first']} {dean['last']}"))
        behaviors.append((ident, sid, bid, desc))
        sbeh.append((bid, ident, sid, s.usi, desc))
        sbeh_codes.append((bid, ident, sid, s.usi, perp))
        action_id = f"ACT-{ctx.school_year}-{n:05d}"
        start = next((d for d in ctx.days if d > day), day)
        actions.append((action_id, start, s.usi, days, days, sid, False, beh == "State Offense"))
        action_types.append((action_id, start, s.usi, ctx.did("DisciplineDescriptor", action)))
        action_links.append((action_id, start, s.usi, bid, ident, sid))
        ctx.incidents.append(DemoIncident(s, ident, day, at, beh, action_id, action, start, days, dean["uid"]))
    c.copy("edfi.disciplineincident", ("incidentidentifier", "schoolid", "incidentdate", "incidenttime",
                                       "incidentdescription", "incidentlocationdescriptorid",
                                       "reportedtolawenforcement", "reporterdescriptiondescriptorid", "reportername"),
           incidents)
    c.copy("edfi.disciplineincidentbehavior", ("incidentidentifier", "schoolid", "behaviordescriptorid",
                                               "behaviordetaileddescription"), behaviors)
    c.copy("edfi.studentdisciplineincidentbehaviorassociation", ("behaviordescriptorid", "incidentidentifier",
                                                                 "schoolid", "studentusi",
                                                                 "behaviordetaileddescription"), sbeh)
    c.copy("edfi.studentdisciplineincidentbehaviorassociationdisciplinein_ae6a21",
           ("behaviordescriptorid", "incidentidentifier", "schoolid", "studentusi",
            "disciplineincidentparticipationcodedescriptorid"), sbeh_codes)
    c.copy("edfi.disciplineaction", ("disciplineactionidentifier", "disciplinedate", "studentusi",
                                     "disciplineactionlength", "actualdisciplineactionlength", "responsibilityschoolid",
                                     "iepplacementmeetingindicator", "relatedtozerotolerancepolicy"), actions)
    c.copy("edfi.disciplineactiondiscipline", ("disciplineactionidentifier", "disciplinedate", "studentusi",
                                               "disciplinedescriptorid"), action_types)
    c.copy("edfi.disciplineactionstudentdisciplineincidentbehaviorassociation",
           ("disciplineactionidentifier", "disciplinedate", "studentusi", "behaviordescriptorid", "incidentidentifier",
            "schoolid"), action_links)



