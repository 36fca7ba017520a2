"""Registering, enrolling, transferring, withdrawing and scheduling, as the demo front office
clerk (Riverbend Elementary) against the real demo district; each test rolls its work back.

After every operation the student's OneRoster rows are compared with the Ed-Fi rows by an
independent computation in SQL (PostgreSQL's md5 of the Ed-Fi natural keys)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services import enrollment as E
from app.services.schedule import add_section, available_sections, drop_section, schedule_warnings, student_schedule
from tests.conftest import DEMO_AS_OF, rolled_back

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
RES, RMS, RHS = 255950001, 255950002, 255950003



def my_id(conn) -> str:
    """The signed-in login's own staff id: what the desk records as the actor of a change."""
    return conn.execute(text("SELECT compliance.my_staff_unique_id()")).scalar_one()

@pytest.fixture(scope="module")
def clerk_engine(login_engine):
    return login_engine("demo_front_office")


@pytest.fixture
def conn(clerk_engine):
    yield from rolled_back(clerk_engine)


def assert_oneroster_matches_edfi(conn, usi: int) -> None:
    """The OneRoster user, roles and enrollments of the student are what the Ed-Fi rows say."""
    uid, first, last = conn.execute(text("SELECT studentuniqueid, firstname, lastsurname FROM edfi.student "
                                         "WHERE studentusi = :u"), {"u": usi}).one()
    user = conn.execute(text(
        "SELECT u.given_name, u.family_name, u.identifier, u.username, u.enabled_user, u.primary_org_sourced_id, "
        "u.status FROM oneroster.users u WHERE u.sourced_id = md5('STU-' || :uid)"), {"uid": uid}).one()
    current = conn.execute(text(
        "SELECT md5(schoolid::text), exitwithdrawdate IS NULL FROM edfi.studentschoolassociation "
        "WHERE studentusi = :u ORDER BY (exitwithdrawdate IS NULL) DESC, entrydate DESC LIMIT 1"), {"u": usi}).one()
    assert user == (first, last, uid, uid, current[1], current[0], "active")
    expected_roles = set(conn.execute(text(
        "SELECT md5(schoolid::text), min(entrydate), "
        "(array_agg(exitwithdrawdate ORDER BY (exitwithdrawdate IS NULL) DESC, entrydate DESC))[1] "
        "FROM edfi.studentschoolassociation WHERE studentusi = :u GROUP BY schoolid"), {"u": usi}).all())
    roles = set(conn.execute(text(
        "SELECT org_sourced_id, begin_date, end_date FROM oneroster.roles WHERE user_sourced_id = md5('STU-' || :uid) "
        "AND role = 'student' AND status = 'active'"), {"uid": uid}).all())
    assert roles == expected_roles
    primary = conn.execute(text("SELECT org_sourced_id FROM oneroster.roles WHERE user_sourced_id = md5('STU-' || :uid) "
                                "AND role_type = 'primary'"), {"uid": uid}).scalars().all()
    assert primary == [current[0]]
    expected = set(conn.execute(text(
        "SELECT md5(lower(localcoursecode) || '-' || schoolid || '-' || schoolyear || '-' || lower(sectionidentifier) "
        "|| '-' || lower(sessionname)), begindate, enddate FROM edfi.studentsectionassociation WHERE studentusi = :u"),
        {"u": usi}).all())
    enrollments = set(conn.execute(text(
        "SELECT class_sourced_id, begin_date, end_date FROM oneroster.enrollments "
        "WHERE user_sourced_id = md5('STU-' || :uid) AND status = 'active' AND role = 'student'"), {"uid": uid}).all())
    assert enrollments == expected


def kindergartner(**over) -> E.NewStudent:
    base = dict(
        student_unique_id="990001", first_name="Maya", last_name="Okafor", middle_name="Grace",
        birth_date=date(2021, 3, 14), sex="Female", races=("Black or African American", "White"), hispanic=False,
        language="eng", school_id=RES, grade_level="Kindergarten", entry_date=date(2026, 11, 23),
        entry_type="New to education system",
        address=E.Address("12 Willow Lane", "Riverbend", "TX", "78701"), phone="(512) 555-0142",
        email="maya.family@mail.example",
        contacts=(E.NewContact("Ada", "Okafor", "Mother", "(512) 555-0143", "ada@mail.example", legal_guardian=True,
                               emergency=True, lives_with=True, primary=True),
                  E.NewContact("Ben", "Okafor", "Father", "(512) 555-0144", legal_guardian=False, emergency=False,
                               lives_with=False, restrictions="Pickup not allowed; court order on file")))
    base.update(over)
    return E.NewStudent(**base)


def count_students(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM edfi.student")).scalar()


def test_registering_a_student_writes_every_part_and_keeps_oneroster_in_step(conn):
    usi = E.register_student(conn, kindergartner(), actor=my_id(conn), now=NOW, today=DEMO_AS_OF)
    row = conn.execute(text(
        "SELECT s.firstname, s.middlename, s.lastsurname, s.birthdate, d.codevalue, a.hispaniclatinoethnicity "
        "FROM edfi.student s JOIN edfi.studenteducationorganizationassociation a USING (studentusi) "
        "JOIN edfi.descriptor d ON d.descriptorid = a.sexdescriptorid WHERE s.studentusi = :u"), {"u": usi}).one()
    assert row == ("Maya", "Grace", "Okafor", date(2021, 3, 14), "Female", False)
    races = conn.execute(text("SELECT d.codevalue FROM edfi.studenteducationorganizationassociationrace r "
                              "JOIN edfi.descriptor d ON d.descriptorid = r.racedescriptorid WHERE r.studentusi = :u "
                              "ORDER BY 1"), {"u": usi}).scalars().all()
    assert races == ["Black or African American", "White"]
    assert conn.execute(text("SELECT streetnumbername || ', ' || city || ' ' || postalcode FROM "
                             "edfi.studenteducationorganizationassociationaddress WHERE studentusi = :u"),
                        {"u": usi}).scalar() == "12 Willow Lane, Riverbend 78701"
    contacts = conn.execute(text(
        "SELECT c.firstname, d.codevalue, a.legalguardian, a.emergencycontactstatus, a.liveswith, "
        "a.contactrestrictions, (SELECT telephonenumber FROM edfi.contacttelephone t WHERE t.contactusi = c.contactusi) "
        "FROM edfi.studentcontactassociation a JOIN edfi.contact c USING (contactusi) "
        "JOIN edfi.descriptor d ON d.descriptorid = a.relationdescriptorid WHERE a.studentusi = :u "
        "ORDER BY a.contactpriority"), {"u": usi}).all()
    assert contacts == [("Ada", "Mother", True, True, True, None, "(512) 555-0143"),
                        ("Ben", "Father", False, False, False, "Pickup not allowed; court order on file",
                         "(512) 555-0144")]
    history = E.enrollment_history(conn, usi)
    assert [(h.school, h.grade_level, h.entry_date, h.entry_type, h.exit_date) for h in history] == [
        ("Riverbend Elementary School", "Kindergarten", date(2026, 11, 23), "New to education system", None)]
    assert_oneroster_matches_edfi(conn, usi)
    demo = conn.execute(text("SELECT sex, black_or_african_american, white, demographic_race_two_or_more_races, "
                             "birth_date FROM oneroster.demographics WHERE sourced_id = md5('STU-990001')")).one()
    assert demo == ("female", True, True, True, date(2021, 3, 14))
    item = conn.execute(text("SELECT item FROM sync.items_of_this_transaction() WHERE target_table = 'StudentActivityLogs' "
                             "AND item->>'PK' = 'STUDENT#990001'")).scalar()
    assert item["ActivityType"] == "enrollment.registered" and item["Actor"] == my_id(conn)
    assert item["Details"]["school"] == "Riverbend Elementary School"


def test_a_new_sibling_is_linked_to_the_family_already_on_file(conn):
    sibling = conn.execute(text(
        "SELECT a.studentusi FROM edfi.studentcontactassociation a JOIN edfi.studentschoolassociation s "
        "USING (studentusi) WHERE s.schoolid = :s GROUP BY a.studentusi HAVING count(*) = 2 ORDER BY 1 LIMIT 1"),
        {"s": RES}).scalar()
    family = E.family_contacts(conn, sibling)
    assert len(family) == 2
    links = tuple(E.LinkedContact(f.contact_usi, f.relation, f.legal_guardian, f.emergency, f.lives_with, f.primary,
                                  f.restrictions or "") for f in family)
    before = conn.execute(text("SELECT count(*) FROM edfi.contact")).scalar()
    usi = E.register_student(conn, kindergartner(contacts=(), linked_contacts=links), now=NOW, today=DEMO_AS_OF)
    assert conn.execute(text("SELECT count(*) FROM edfi.contact")).scalar() == before  # nobody typed twice
    assert sorted(f.contact_usi for f in E.family_contacts(conn, usi)) == sorted(f.contact_usi for f in family)


def test_duplicates_are_found_anywhere_in_the_district(conn, demo_engine):
    with demo_engine.connect() as su:  # a high-school student: hidden from the elementary clerk
        usi, uid, first, last, birth = su.execute(text(
            "SELECT s.studentusi, s.studentuniqueid, s.firstname, s.lastsurname, s.birthdate FROM edfi.student s "
            "JOIN edfi.studentschoolassociation a USING (studentusi) WHERE a.schoolid = :s ORDER BY 1 LIMIT 1"),
            {"s": RHS}).one()
    assert conn.execute(text("SELECT count(*) FROM edfi.student WHERE studentusi = :u"), {"u": usi}).scalar() == 0
    by_name = E.find_duplicates(conn, first.upper(), last, birth, "no-such-id")
    assert [(d.student_unique_id, d.reason, d.school) for d in by_name] == [
        (uid, "same name and birth date", "Riverbend High School")]
    assert by_name[0].birth_date == birth and by_name[0].grade_level  # directory facts to compare side by side
    by_id = E.find_duplicates(conn, "Someone", "Else", date(2020, 1, 1), uid)
    assert [(d.student_unique_id, d.reason) for d in by_id] == [(uid, "same student id")]
    assert E.find_duplicates(conn, "Maya", "Okafor", date(2021, 3, 14), "990001") == []
    with pytest.raises(UserError, match=f"Student id {uid} already belongs to {first} {last}"):
        E.register_student(conn, kindergartner(student_unique_id=uid), now=NOW, today=DEMO_AS_OF)


@pytest.mark.parametrize("change,message", [
    (dict(entry_date=date(2020, 8, 1)), "Entry date 08/01/2020 is before the student's birth date"),
    (dict(entry_date=date(2028, 1, 5)), "Entry date 01/05/2028 is more than a year from today"),
    (dict(grade_level="Ninth grade"), 'Grade level "Ninth grade" is not taught at Riverbend Elementary School'),
    (dict(first_name=" "), "First name is empty"),
    (dict(sex="Unknown"), 'Sex "Unknown" is not on the list'),
    (dict(sex=""), "Sex is empty; pick one from the list"),
    (dict(email="not-an-address"), 'E-mail "not-an-address" is not an e-mail address'),
    (dict(school_id=RHS, grade_level="Ninth grade"), "You may enroll students only at the schools you work at"),
])
def test_bad_registrations_are_refused_and_nothing_is_saved(clerk_engine, change, message):
    with clerk_engine.connect() as c:
        before = count_students(c)
    with pytest.raises(UserError, match=message):
        with clerk_engine.begin() as c:
            E.register_student(c, kindergartner(**change), now=NOW, today=DEMO_AS_OF)
    with clerk_engine.connect() as c:
        assert count_students(c) == before
        assert c.execute(text("SELECT count(*) FROM oneroster.users WHERE username = '990001'")).scalar() == 0


def a_res_student_with_sections(conn) -> int:
    return conn.execute(text(
        "SELECT a.studentusi FROM edfi.studentschoolassociation a JOIN edfi.studentsectionassociation x "
        "USING (studentusi) WHERE a.schoolid = :s AND a.exitwithdrawdate IS NULL GROUP BY a.studentusi "
        "ORDER BY a.studentusi LIMIT 1"), {"s": RES}).scalar()


def test_withdrawal_ends_open_section_enrollments_the_same_day(conn):
    usi = a_res_student_with_sections(conn)
    open_before = len(student_schedule(conn, usi, DEMO_AS_OF))
    assert open_before >= 1
    ended = E.withdraw_student(conn, usi, DEMO_AS_OF, "Withdrawn", now=NOW)
    assert ended == open_before
    assert student_schedule(conn, usi, DEMO_AS_OF) and not student_schedule(conn, usi, date(2026, 11, 23))
    assert {r.end_date for r in student_schedule(conn, usi, DEMO_AS_OF)} == {DEMO_AS_OF}
    h = E.enrollment_history(conn, usi)[0]
    assert (h.exit_date, h.exit_type) == (DEMO_AS_OF, "Withdrawn")
    assert_oneroster_matches_edfi(conn, usi)
    user = conn.execute(text("SELECT enabled_user, date_last_modified FROM oneroster.users u JOIN edfi.student s "
                             "ON u.sourced_id = md5('STU-' || s.studentuniqueid) WHERE s.studentusi = :u"),
                        {"u": usi}).one()
    assert user == (False, NOW.replace(tzinfo=None))  # the change is dated, for delta exports
    untouched = conn.execute(text(
        "SELECT count(*) FROM oneroster.enrollments e JOIN edfi.student s ON e.user_sourced_id = "
        "md5('STU-' || s.studentuniqueid) WHERE s.studentusi = :u AND e.date_last_modified = :now"),
        {"u": usi, "now": NOW.replace(tzinfo=None)}).scalar()
    assert untouched == ended  # each ended class enrollment is re-dated, nothing else


def test_a_withdrawal_before_entry_is_refused(conn):
    usi = a_res_student_with_sections(conn)
    with pytest.raises(UserError, match="Withdrawal date 07/01/2026 is before the entry date"):
        E.withdraw_student(conn, usi, date(2026, 7, 1), "Withdrawn", now=NOW)


def test_a_transfer_closes_one_school_and_opens_the_next(conn):
    usi = conn.execute(text(
        "SELECT a.studentusi FROM edfi.studentschoolassociation a JOIN edfi.descriptor d "
        "ON d.descriptorid = a.entrygradeleveldescriptorid WHERE a.schoolid = :s AND d.codevalue = 'Fifth grade' "
        "ORDER BY 1 LIMIT 1"), {"s": RES}).scalar()
    E.transfer_student(conn, usi, RMS, "Sixth grade", date(2026, 11, 30), now=NOW, today=DEMO_AS_OF)
    history = E.enrollment_history(conn, usi)
    assert [(h.school, h.grade_level, h.entry_date, h.exit_date, h.exit_type, h.entry_type) for h in history[:2]] == [
        ("Riverbend Middle School", "Sixth grade", date(2026, 11, 30), None, None, "Transfer"),
        ("Riverbend Elementary School", "Fifth grade", date(2026, 8, 17), date(2026, 11, 29), "Transferred",
         "Next year school")]
    assert_oneroster_matches_edfi(conn, usi)
    kinds = conn.execute(text("SELECT item->>'ActivityType' FROM sync.items_of_this_transaction() s JOIN edfi.student st "
                              "ON s.item->>'PK' = 'STUDENT#' || st.studentuniqueid WHERE st.studentusi = :u "
                              "ORDER BY s.outbox_id"), {"u": usi}).scalars().all()
    assert kinds == ["enrollment.withdrawn", "enrollment.enrolled"]


def test_enrolling_needs_the_earlier_enrollment_closed(conn):
    usi = a_res_student_with_sections(conn)
    with pytest.raises(UserError, match="still enrolled at Riverbend Elementary School"):
        E.enroll_student(conn, usi, RES, "First grade", date(2026, 11, 23), "Re-entry", now=NOW, today=DEMO_AS_OF)


def test_schedule_changes_warn_of_conflicts_and_keep_oneroster_in_step(conn):
    usi = E.register_student(conn, kindergartner(), now=NOW, today=DEMO_AS_OF)
    day = date(2026, 11, 23)
    offers = available_sections(conn, usi, day)
    assert offers and all(o.key.school_id == RES for o in offers)
    # the kindergarten sections (their OneRoster class lists grade KG) come first, then the other grades'
    kg = set(conn.execute(text("SELECT class_code FROM oneroster.classes WHERE 'KG' = ANY(grades)")).scalars())
    kinder = [o.key.section_identifier in kg for o in offers]
    assert kinder[0] and kinder == sorted(kinder, reverse=True) and not all(kinder)
    first = offers[0]
    add_section(conn, usi, first.key, day, now=NOW)
    clash = next(o for o in available_sections(conn, usi, day) if o.starts and first.starts
                 and o.starts < first.ends and first.starts < o.ends)
    warnings = schedule_warnings(conn, usi, clash.key, day)
    assert any("at the same time as" in w for w in warnings)
    with pytest.raises(UserError, match="at the same time as .* Confirm to add anyway"):
        add_section(conn, usi, clash.key, day, now=NOW)
    add_section(conn, usi, clash.key, day, confirmed=True, now=NOW)
    assert {s.key for s in student_schedule(conn, usi, day)} == {first.key, clash.key}
    assert_oneroster_matches_edfi(conn, usi)
    drop_section(conn, usi, clash.key, date(2026, 11, 22), now=NOW)  # before it began: never attended
    assert {s.key for s in student_schedule(conn, usi, day)} == {first.key}
    assert_oneroster_matches_edfi(conn, usi)
    assert conn.execute(text("SELECT count(*) FROM oneroster.enrollments WHERE user_sourced_id = md5('STU-990001') "
                             "AND status = 'tobedeleted'")).scalar() == 1


def test_a_full_section_is_named(demo_engine):
    with demo_engine.connect() as su:  # the district's own user sets up a small room, then rolls back
        tx = su.begin()
        usi = E.register_student(su, kindergartner(), now=NOW, today=DEMO_AS_OF)
        day = date(2026, 11, 23)
        offer = next(o for o in available_sections(su, usi, day) if o.room)
        assert offer.enrolled > 0
        assert not any("is full" in w for w in schedule_warnings(su, usi, offer.key, day))
        su.execute(text("UPDATE edfi.location SET maximumnumberofseats = :n WHERE classroomidentificationcode = :r "
                        "AND schoolid = :s"), {"n": offer.enrolled, "r": offer.room, "s": RES})
        warnings = schedule_warnings(su, usi, offer.key, day)
        assert warnings[0] == (f"{offer.course} ({offer.key.section_identifier}) is full: {offer.enrolled} students "
                               f"for {offer.enrolled} seats.")
        tx.rollback()


def test_every_registration_problem_is_named_at_once_with_its_field(conn):
    bad = kindergartner(first_name=" ", sex="", email="not-an-address", phone="555-0142",
                        races=("Hispanic or Latino",), entry_date=date(2020, 8, 1),
                        address=E.Address("12 Willow Lane", "", "TX", "78701"))
    problems = E.registration_problems(conn, bad, DEMO_AS_OF)
    assert [p.field for p in problems] == ["first_name", "sex", "races", "city", "phone", "email", "entry_date"]
    assert problems[4].message == ('Home phone "555-0142" is not a full phone number; type the area code and the '
                                   "number, e.g. (512) 555-0190.")
    assert all(p.message.count(";") == 1 and p.message.endswith(".") for p in problems)  # one sentence each
    # without a connection: what the typing alone shows (the form re-checks a field as it is corrected)
    assert [p.field for p in E.registration_problems(None, bad, DEMO_AS_OF)] == [p.field for p in problems]
    assert E.registration_problems(conn, kindergartner(), DEMO_AS_OF) == []
    with pytest.raises(UserError, match="^First name is empty"):  # the service still refuses the first one
        E.register_student(conn, bad, now=NOW, today=DEMO_AS_OF)


def test_a_repeated_submit_returns_the_student_already_registered(conn):
    import uuid

    rid = str(uuid.uuid4())
    before = count_students(conn)
    usi = E.register_student(conn, kindergartner(), now=NOW, today=DEMO_AS_OF, request_id=rid)
    again = E.register_student(conn, kindergartner(), now=NOW, today=DEMO_AS_OF, request_id=rid)
    assert again == usi and count_students(conn) == before + 1
    assert str(conn.execute(text("SELECT id FROM edfi.student WHERE studentusi = :u"), {"u": usi}).scalar()) == rid
    # a new form (a new id) with the same student id is still refused as before
    with pytest.raises(UserError, match="Student id 990001 already belongs to Maya Okafor"):
        E.register_student(conn, kindergartner(), now=NOW, today=DEMO_AS_OF, request_id=str(uuid.uuid4()))


def test_phone_numbers_are_stored_in_one_form_and_hispanic_is_not_a_race(conn):
    usi = E.register_student(conn, kindergartner(phone="512.555.0142 x7", contacts=(
        E.NewContact("Ada", "Okafor", "Mother", "1-512-555-0143", legal_guardian=True),)), now=NOW, today=DEMO_AS_OF)
    assert conn.execute(text("SELECT telephonenumber FROM edfi.studenteducationorganizationassociationtelephone "
                             "WHERE studentusi = :u"), {"u": usi}).scalar() == "(512) 555-0142 ext. 7"
    assert conn.execute(text("SELECT t.telephonenumber FROM edfi.contacttelephone t JOIN "
                             "edfi.studentcontactassociation a USING (contactusi) WHERE a.studentusi = :u"),
                        {"u": usi}).scalar() == "(512) 555-0143"
    choices = E.enrollment_choices(conn)
    assert "Hispanic or Latino" not in choices.races and "White" in choices.races


def test_two_submits_at_once_with_one_request_id_register_one_student(clerk_engine, demo_engine):
    """Two sessions send the same registration at the same moment (a double click over a slow
    network): the database makes the second wait for the first and hand back its student."""
    import threading
    import uuid

    from tests.ui.test_front_office_desk import purge

    rid, uid = str(uuid.uuid4()), "990177"
    results, errors = [], []
    barrier = threading.Barrier(2)

    def submit():
        try:
            with clerk_engine.begin() as c:
                barrier.wait(10)
                results.append(E.register_student(c, kindergartner(student_unique_id=uid), now=NOW,
                                                  today=DEMO_AS_OF, request_id=rid))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    try:
        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == [] and len(results) == 2 and results[0] == results[1]
        with demo_engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM edfi.student WHERE studentuniqueid = :u"),
                             {"u": uid}).scalar() == 1
    finally:
        with demo_engine.begin() as c:
            purge(c, uid)
