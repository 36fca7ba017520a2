"""The demo district is realistic and consistent, the way a school's data must be."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services.demo_seed import seed_demo

pytestmark = pytest.mark.integration


def scalar(engine, sql, **params):
    with engine.connect() as c:
        return c.execute(text(sql), params).scalar()


def test_district_shape(demo_engine):
    e = demo_engine
    assert scalar(e, "SELECT count(*) FROM edfi.localeducationagency") == 1
    assert scalar(e, "SELECT count(*) FROM edfi.school") == 3
    assert scalar(e, "SELECT count(*) FROM edfi.student") == 400
    names = scalar(e, "SELECT string_agg(nameofinstitution, ', ' ORDER BY educationorganizationid) "
                      "FROM edfi.educationorganization JOIN edfi.school ON schoolid = educationorganizationid")
    assert names == "Riverbend Elementary School, Riverbend Middle School, Riverbend High School"
    for table in ("edfi.contact", "edfi.staff", "edfi.course", "edfi.courseoffering", "edfi.section",
                  "edfi.session", "edfi.gradingperiod", "edfi.calendardate", "edfi.bellschedule",
                  "edfi.classperiod", "edfi.sectionclassperiod", "edfi.studentschoolattendanceevent",
                  "edfi.studentsectionattendanceevent", "edfi.gradebookentry", "edfi.studentgradebookentry",
                  "edfi.grade", "edfi.reportcard", "edfi.disciplineincident", "edfi.disciplineaction",
                  "health.allergies", "health.medications", "health.immunizations", "cafeteria.meal_transactions",
                  "library.resources", "library.checkouts", "transportation.bus_routes", "transportation.bus_stops",
                  "transportation.student_transportation", "two_hour_learning.ai_learning_sessions",
                  "two_hour_learning.mastery_progress", "oneroster.orgs", "oneroster.academic_sessions",
                  "oneroster.courses", "oneroster.classes", "oneroster.users", "oneroster.roles",
                  "oneroster.enrollments", "oneroster.demographics"):
        assert scalar(e, f"SELECT count(*) FROM {table}") > 0, table


def test_every_student_is_enrolled_in_a_school_with_demographics_and_contacts(demo_engine):
    e = demo_engine
    assert scalar(e, "SELECT count(*) FROM edfi.student s WHERE NOT EXISTS (SELECT 1 FROM "
                     "edfi.studentschoolassociation a WHERE a.studentusi = s.studentusi)") == 0
    assert scalar(e, "SELECT count(*) FROM edfi.student s WHERE NOT EXISTS (SELECT 1 FROM "
                     "edfi.studenteducationorganizationassociation a WHERE a.studentusi = s.studentusi "
                     "AND a.sexdescriptorid IS NOT NULL)") == 0
    assert scalar(e, "SELECT count(*) FROM edfi.student s WHERE NOT EXISTS (SELECT 1 FROM "
                     "edfi.studentcontactassociation a WHERE a.studentusi = s.studentusi "
                     "AND a.emergencycontactstatus)") == 0
    # students in a section are enrolled at the section's school
    assert scalar(e, "SELECT count(*) FROM edfi.studentsectionassociation x WHERE NOT EXISTS (SELECT 1 FROM "
                     "edfi.studentschoolassociation a WHERE a.studentusi = x.studentusi AND a.schoolid = x.schoolid)") == 0
    # the entry grade level is one the school offers
    assert scalar(e, "SELECT count(*) FROM edfi.studentschoolassociation a WHERE NOT EXISTS (SELECT 1 FROM "
                     "edfi.schoolgradelevel g WHERE g.schoolid = a.schoolid "
                     "AND g.gradeleveldescriptorid = a.entrygradeleveldescriptorid)") == 0


def test_every_section_has_a_session_a_teacher_and_a_period(demo_engine):
    e = demo_engine
    assert scalar(e, "SELECT count(*) FROM edfi.section s WHERE NOT EXISTS (SELECT 1 FROM edfi.session x "
                     "WHERE x.schoolid = s.schoolid AND x.schoolyear = s.schoolyear AND x.sessionname = s.sessionname)") == 0
    assert scalar(e, "SELECT count(*) FROM edfi.section s WHERE NOT EXISTS (SELECT 1 FROM edfi.staffsectionassociation x "
                     "WHERE x.sectionidentifier = s.sectionidentifier AND x.schoolid = s.schoolid "
                     "AND x.sessionname = s.sessionname)") == 0
    assert scalar(e, "SELECT count(*) FROM edfi.section s WHERE NOT EXISTS (SELECT 1 FROM edfi.sectionclassperiod x "
                     "WHERE x.sectionidentifier = s.sectionidentifier AND x.schoolid = s.schoolid "
                     "AND x.sessionname = s.sessionname)") == 0
    # no student is in two sections that meet in the same period of the same session
    assert scalar(e, "SELECT count(*) FROM (SELECT a.studentusi, a.sessionname, p.classperiodname FROM "
                     "edfi.studentsectionassociation a JOIN edfi.sectionclassperiod p USING (localcoursecode, schoolid, "
                     "schoolyear, sectionidentifier, sessionname) GROUP BY 1, 2, 3 HAVING count(*) > 1) d") == 0


def test_attendance_only_on_school_days(demo_engine):
    e = demo_engine
    for table in ("edfi.studentschoolattendanceevent", "edfi.studentsectionattendanceevent"):
        off_days = scalar(e, f"""
            SELECT count(*) FROM {table} a
            JOIN edfi.studentschoolassociation ssa ON ssa.studentusi = a.studentusi AND ssa.schoolid = a.schoolid
            WHERE NOT EXISTS (SELECT 1 FROM edfi.calendardatecalendarevent ev
                              JOIN edfi.descriptor d ON d.descriptorid = ev.calendareventdescriptorid
                              WHERE ev.calendarcode = ssa.calendarcode AND ev.schoolid = a.schoolid
                                AND ev.date = a.eventdate AND d.codevalue = 'Instructional day')""")
        assert off_days == 0, table
    assert scalar(e, "SELECT max(eventdate) FROM edfi.studentschoolattendanceevent") < \
        __import__("tests.conftest", fromlist=["DEMO_AS_OF"]).DEMO_AS_OF
    # one daily mark per student per school day
    assert scalar(e, "SELECT count(*) FROM (SELECT studentusi, eventdate FROM edfi.studentschoolattendanceevent "
                     "GROUP BY 1, 2 HAVING count(*) > 1) d") == 0


def test_meal_balances_equal_the_sum_of_their_transactions(demo_engine):
    e = demo_engine
    assert scalar(e, """
        SELECT count(*) FROM cafeteria.student_meal_plans p
        WHERE p.account_balance <> (SELECT coalesce(sum(amount), 0) FROM cafeteria.meal_transactions t
                                    WHERE t.student_usi = p.student_usi)""") == 0
    assert scalar(e, "SELECT count(*) FROM cafeteria.student_meal_plans") == 400
    # a student who was free on a meal's day is never charged for it (deposits and a la carte items, which tests
    # of the register ring up in this shared district, move a free student's balance as they should; tests of the
    # manager approve paid students for free meals from today on, so their earlier lunches stay charged)
    assert scalar(e, "SELECT count(*) FROM cafeteria.meal_transactions t "
                     "WHERE cafeteria.student_meal_eligibility(t.student_usi, t.transaction_date) = 'free' "
                     "AND t.amount <> 0 AND coalesce(t.entry_kind, 'meal') = 'meal' AND t.meal_type <> 'Deposit'") == 0
    assert scalar(e, "SELECT count(*) FROM cafeteria.meal_transactions t JOIN cafeteria.student_meal_plans p "
                     "USING (student_usi) WHERE p.free_reduced_status = 'Free' AND coalesce(t.entry_kind, 'meal') "
                     "= 'meal' AND t.meal_type <> 'Deposit'") > 0  # the demo's free students do eat
    assert scalar(e, "SELECT count(*) FROM cafeteria.meal_transactions t JOIN cafeteria.student_meal_plans p "
                     "USING (student_usi) WHERE p.free_reduced_status = 'Free' "
                     "AND coalesce(t.entry_kind, 'meal') = 'meal'") > 0


def test_library_copies_add_up(demo_engine):
    """A title's counts follow its copies; a copy is checked out exactly when it has one open loan."""
    assert scalar(demo_engine, """
        SELECT count(*) FROM library.resources r
        WHERE r.available_copies <> (SELECT count(*) FROM library.items i WHERE i.resource_id = r.resource_id
                                                                          AND i.status = 'available')
           OR r.total_copies <> (SELECT count(*) FROM library.items i WHERE i.resource_id = r.resource_id
                                                                      AND i.status <> 'withdrawn')""") == 0
    assert scalar(demo_engine, """
        SELECT count(*) FROM library.items i
        WHERE (i.status = 'checked_out') <> EXISTS (SELECT 1 FROM library.checkouts c
                                                     WHERE c.item_id = i.item_id AND c.return_date IS NULL)""") == 0
    assert scalar(demo_engine, "SELECT count(*) FROM library.resources") >= 600


def test_oneroster_mirrors_ed_fi(demo_engine):
    e = demo_engine
    assert scalar(e, "SELECT count(*) FROM oneroster.users") == \
        scalar(e, "SELECT (SELECT count(*) FROM edfi.student) + (SELECT count(*) FROM edfi.staff)")
    assert scalar(e, "SELECT count(*) FROM oneroster.classes") == scalar(e, "SELECT count(*) FROM edfi.section")
    assert scalar(e, "SELECT count(*) FROM oneroster.enrollments WHERE role = 'student'") == \
        scalar(e, "SELECT count(*) FROM edfi.studentsectionassociation")
    assert scalar(e, "SELECT count(*) FROM oneroster.enrollments WHERE role = 'teacher'") == \
        scalar(e, "SELECT count(*) FROM edfi.staffsectionassociation")
    # sourcedIds follow the Ed-Fi community mapping: md5 of 'STU-' + StudentUniqueId
    assert scalar(e, "SELECT count(*) FROM edfi.student s WHERE NOT EXISTS (SELECT 1 FROM oneroster.users u "
                     "WHERE u.sourced_id = md5('STU-' || s.studentuniqueid) AND u.identifier = s.studentuniqueid)") == 0
    assert scalar(e, "SELECT count(*) FROM oneroster.roles WHERE role = 'student' AND role_type = 'primary'") == 400


def test_descriptor_ids_come_from_the_loaded_descriptors(demo_engine):
    # every attendance category used is an AttendanceEventCategoryDescriptor row
    assert scalar(demo_engine, "SELECT count(*) FROM edfi.studentschoolattendanceevent a WHERE NOT EXISTS (SELECT 1 "
                               "FROM edfi.attendanceeventcategorydescriptor d "
                               "WHERE d.attendanceeventcategorydescriptorid = a.attendanceeventcategorydescriptorid)") == 0


def test_seeding_is_deterministic_and_refuses_a_district_that_exists(demo_engine, new_database):
    from app.db.migrate import migrate
    from tests.conftest import DEMO_AS_OF

    other = new_database()
    migrate(other)
    report = seed_demo(other, students=400, seed=42, as_of=DEMO_AS_OF)
    assert report.counts == demo_engine.seed_report.counts
    fingerprint = ("SELECT md5(string_agg(studentuniqueid || firstname || lastsurname || birthdate, ',' "
                   "ORDER BY studentusi)) FROM edfi.student")
    assert scalar(other, fingerprint) == scalar(demo_engine, fingerprint)
    with pytest.raises(UserError, match="already holds a district"):
        seed_demo(other, students=400, seed=42, as_of=DEMO_AS_OF)
