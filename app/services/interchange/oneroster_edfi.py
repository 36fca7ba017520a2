"""Map imported OneRoster rows to the Ed-Fi tables, set-based, inside the import's transaction.

  orgs (district, school)      -> EducationOrganization + LocalEducationAgency / School
  academicSessions (class term) -> SchoolYearType, Session per school (TermDescriptor from the
                                   community mapping read backwards: semester -> Fall/Spring Semester)
  courses                      -> Course; classes -> CourseOffering + Section (first term's session)
  users with a student role    -> Student (needs a birth date from demographics), StudentSchoolAssociation,
                                   StudentEducationOrganizationAssociation (+Race), StudentSectionAssociation
  users with a staff role      -> Staff, StaffSchoolAssociation, StaffEducationOrganizationAssignmentAssociation
                                   (StaffClassification), StaffSectionAssociation (primary = Teacher of Record)
  parents, guardians, relatives -> Contact + StudentContactAssociation from agentSourcedIds

Ed-Fi keys: an org's id is its numeric `identifier`, else its numeric sourcedId, else a number
derived from the sourcedId's md5; a person's unique id is `identifier` (up to 32 characters), else
the sourcedId, else its md5. Associations whose dates the package does not give are added once
(never a second time on a later day) and only their end dates change afterwards.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime

from sqlalchemy import Connection, text

from app.domain.oneroster_ids import GRADE_CODES, edfi_org_id_sql, edfi_person_id_sql, edfi_person_sql
from app.services.interchange import oneroster_edfi_bulk as B

log = logging.getLogger(__name__)

TABLES = ("edfi.educationorganization", "edfi.localeducationagency", "edfi.school", "edfi.schoolyeartype",
          "edfi.session", "edfi.course", "edfi.courseoffering", "edfi.section", "edfi.student",
          "edfi.studentschoolassociation", "edfi.studenteducationorganizationassociation",
          "edfi.studenteducationorganizationassociationrace", "edfi.studentsectionassociation", "edfi.staff",
          "edfi.staffschoolassociation", "edfi.staffeducationorganizationassignmentassociation",
          "edfi.staffsectionassociation", "edfi.contact", "edfi.studentcontactassociation")

STAFF_CLASSIFICATION = {  # OneRoster role -> Ed-Fi StaffClassificationDescriptor (the community mapping's inverse)
    "teacher": "Teacher", "aide": "Instructional Aide", "counselor": "Counselor", "principal": "Principal",
    "siteAdministrator": "School Administrator", "districtAdministrator": "LEA Administrator",
    "systemAdministrator": "LEA System Administrator", "proctor": "Substitute Teacher",
}
RELATION = {"parent": "Parent", "guardian": "Guardian", "relative": "Relative"}
SEX = {"female": "Female", "male": "Male", "other": "Non-binary", "unspecified": "Not Selected"}
RACES = {"american_indian_or_alaska_native": "American Indian or Alaska Native", "asian": "Asian",
         "black_or_african_american": "Black or African American",
         "native_hawaiian_or_other_pacific_islander": "Native Hawaiian or Pacific Islander", "white": "White"}


def _d(type_name: str, code_sql: str) -> str:
    """A descriptor id by type and code value (the Ed-Fi namespace first), from tmp_desc."""
    return (f"(SELECT dd.descriptorid FROM tmp_desc dd WHERE dd.discriminator = 'edfi.{type_name}' "
            f"AND dd.codevalue = {code_sql})")


def _case(type_name: str, value_sql: str, names: dict, otherwise: str | None = None) -> str:
    """A descriptor id by the OneRoster value's name for it: each id looked up once per statement."""
    whens = " ".join(f"WHEN {'true' if k == 'true' else _lit(k)} THEN {_d(type_name, _lit(v))}" for k, v in names.items())
    rest = f" ELSE {_d(type_name, _lit(otherwise))}" if otherwise else ""
    return f"CASE {value_sql} {whens}{rest} END"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _values(pairs: dict) -> str:
    return ", ".join(f"('{k}', '{v}')" for k, v in pairs.items())


# (an org's edorg_id and a person's unique_id below are the ones the checks keep unique: the same SQL, from
# app.domain.oneroster_ids; oneroster_validate's edfi_org_id and edfi_person_id are the rule in Python)
PREP = f"""
CREATE TEMP TABLE tmp_desc ON COMMIT DROP AS
SELECT DISTINCT ON (discriminator, codevalue) discriminator, codevalue, descriptorid FROM edfi.descriptor
 ORDER BY discriminator, codevalue, namespace;
CREATE UNIQUE INDEX ON tmp_desc (discriminator, codevalue);
ANALYZE tmp_desc;
CREATE TEMP TABLE tmp_org ON COMMIT DROP AS
SELECT o.sourced_id, o.type, o.name, o.parent_sourced_id, o.status IS NOT DISTINCT FROM 'tobedeleted' AS gone,
       {edfi_org_id_sql("o.")} AS edorg_id
  FROM oneroster.orgs o WHERE o.type IN ('district', 'school');
CREATE UNIQUE INDEX ON tmp_org (sourced_id);
ANALYZE tmp_org;
CREATE TEMP TABLE tmp_grade (code text PRIMARY KEY, descriptorid int) ON COMMIT DROP;
INSERT INTO tmp_grade SELECT g.code, {_d('GradeLevelDescriptor', 'g.name')}
  FROM (VALUES {_values({v: k for k, v in GRADE_CODES.items()})}) g(code, name);
CREATE TEMP TABLE tmp_staffclass (role text PRIMARY KEY, descriptorid int) ON COMMIT DROP;
INSERT INTO tmp_staffclass SELECT m.role, {_d('StaffClassificationDescriptor', 'm.name')}
  FROM (VALUES {_values(STAFF_CLASSIFICATION)}) m(role, name);
-- (made by the load when the package has users; empty otherwise)
CREATE TEMP TABLE IF NOT EXISTS tmp_retiring ON COMMIT DROP AS
SELECT u.sourced_id, CAST(NULL AS text) AS unique_id FROM oneroster.users u WHERE false;
CREATE TEMP TABLE tmp_person ON COMMIT DROP AS
WITH kinds AS (
    SELECT r.user_sourced_id AS u, CASE WHEN r.role = 'student' THEN 1
                                        WHEN r.role IN ('parent', 'guardian', 'relative') THEN 3 ELSE 2 END AS k
      FROM oneroster.roles r WHERE r.status = 'active'
    UNION ALL
    SELECT e.user_sourced_id, CASE WHEN e.role = 'student' THEN 1 ELSE 2 END
      FROM oneroster.enrollments e WHERE e.status = 'active'
       -- (a person with an active student role is a student whatever their enrollments say: only the others'
       -- enrollments are read, not every student's)
       AND e.user_sourced_id NOT IN (SELECT s.user_sourced_id FROM oneroster.roles s
                                      WHERE s.status = 'active' AND s.role = 'student')
)
SELECT DISTINCT ON (x.unique_id COLLATE "C", x.kind) x.sourced_id, x.kind, x.unique_id,
       x.kind = 1 AND NOT EXISTS (SELECT 1 FROM edfi.student s WHERE s.studentuniqueid = x.unique_id) AS is_new
  FROM (SELECT y.sourced_id, y.kind, y.gone,
               -- a user of the database the package marks tobedeleted (tmp_retiring, made by the load, with the id
               -- they had) is the Ed-Fi person they were until now, or nobody, never a new person (which a later
               -- import of the same package would make, or not): under the same id, if it is a person of their
               -- kind; under another, if the id they had is still theirs (kept as given up by them) and a person of
               -- their kind (else a replacement took it, or it never was a person)
               CASE WHEN y.had IS NULL THEN y.unique_id
                    WHEN y.had = y.unique_id THEN CASE WHEN {edfi_person_sql("y.unique_id", "y.kind")}
                                                       THEN y.unique_id END
                    ELSE (SELECT g.unique_id FROM compliance.person_past_ids g
                           WHERE g.unique_id = y.had AND g.user_sourced_id = y.sourced_id
                             AND {edfi_person_sql("g.unique_id", "y.kind")}) END AS unique_id
          FROM (SELECT u.sourced_id, min(k.k) AS kind, {edfi_person_id_sql("u.")} AS unique_id,
                       u.status IS NOT DISTINCT FROM 'tobedeleted' AS gone, min(r.unique_id) AS had
                  FROM oneroster.users u JOIN kinds k ON k.u = u.sourced_id
                  LEFT JOIN tmp_retiring r ON r.sourced_id = u.sourced_id
                 /*touched*/
                 GROUP BY u.sourced_id) y) x
 WHERE x.unique_id IS NOT NULL
 -- a person retired and sent again under a new sourcedId (the checks let only a retired user share an active
 -- one's unique id): the active user is that Ed-Fi person (looked up only when a retired user is read)
   AND NOT (x.gone AND x.unique_id IN (SELECT {edfi_person_id_sql("a.")} FROM oneroster.users a
                                        WHERE a.status IS DISTINCT FROM 'tobedeleted'))
 -- nor is a retired user mapped onto an id another user gave up (compliance.person_past_ids): Ed-Fi keeps that
 -- person's records under it, and a retired row's name would land on them
   AND NOT (x.gone AND EXISTS (SELECT 1 FROM compliance.person_past_ids g
                                WHERE g.unique_id = x.unique_id AND g.user_sourced_id <> x.sourced_id))
 -- and one user per Ed-Fi person whatever else the database holds (two retired users with one id, the active
 -- one first): one upsert a person, never two
 -- (byte order: the same people as the collation's, sorted without its cost)
 ORDER BY x.unique_id COLLATE "C", x.kind, x.gone, x.sourced_id COLLATE "C";
CREATE UNIQUE INDEX ON tmp_person (sourced_id);
ANALYZE tmp_person;
CREATE TEMP TABLE tmp_class ON COMMIT DROP AS
SELECT x.*, row_number() OVER (ORDER BY x.coursecode, x.schoolid, x.schoolyear, x.sourced_id, left(x.sessionname, 60))
       AS ord  -- a section's place in the section links' key order (see the student section links)
  FROM (SELECT c.sourced_id, c.title, c.status, s.edorg_id AS schoolid, t.title AS sessionname, t.start_date,
               t.end_date, t.type AS term_type,
               COALESCE(NULLIF(t.school_year, '')::int, extract(year FROM t.end_date)::int) AS schoolyear,
               left(COALESCE(NULLIF(co.course_code, ''), co.sourced_id), 60) AS coursecode, co.title AS course_title,
               COALESCE(corg.edorg_id, s.edorg_id) AS course_edorg
          FROM oneroster.classes c
          JOIN tmp_org s ON s.sourced_id = c.school_sourced_id AND s.type = 'school'
          JOIN oneroster.academic_sessions t ON t.sourced_id = c.term_sourced_ids[1]
          JOIN oneroster.courses co ON co.sourced_id = c.course_sourced_id
          LEFT JOIN tmp_org corg ON corg.sourced_id = co.org_sourced_id) x;
CREATE UNIQUE INDEX ON tmp_class (sourced_id);
ANALYZE tmp_class;
CREATE TEMP TABLE tmp_first ON COMMIT DROP AS
SELECT e.user_sourced_id, c.schoolid, min(COALESCE(e.begin_date, c.start_date)) AS first_day
  FROM oneroster.enrollments e JOIN tmp_class c ON c.sourced_id = e.class_sourced_id
 WHERE e.user_sourced_id IN (
       -- only the people it is looked up for: a role without a begin date, or enrollments without an active role
       SELECT p.sourced_id FROM tmp_person p
        WHERE p.sourced_id IN (SELECT r.user_sourced_id FROM oneroster.roles r WHERE r.begin_date IS NULL)
           OR p.sourced_id NOT IN (SELECT r.user_sourced_id FROM oneroster.roles r WHERE r.status = 'active'))
 GROUP BY 1, 2;
CREATE UNIQUE INDEX ON tmp_first (user_sourced_id, schoolid);
ANALYZE tmp_first;
"""

# A new row's Ed-Fi resource id: a version 4 (random) UUID, 122 bits drawn from the backend's generator
# (seeded from the operating system's random source when the backend starts). The column default,
# gen_random_uuid(), reads that source once per row (this PostgreSQL has no OpenSSL): ten times the CPU,
# and system calls. The ids name records in the Ed-Fi exports; they are no secret and grant nothing.
_BITS = "(((random() * 2147483648)::int8 << 32) | (random() * 4294967296)::int8)"
NEW_ID = (f"CAST(encode(int8send({_BITS} & -61441 | 16384) || "  # the version nibble: 4
          f"int8send({_BITS} & 4611686018427387903 | -9223372036854775808), 'hex') AS uuid)")  # the variant: 10

RACE_ROWS = f"""
SELECT sea.educationorganizationid, sea.studentusi, r.descriptorid AS racedescriptorid
  FROM tmp_student st JOIN edfi.studenteducationorganizationassociation sea ON sea.studentusi = st.studentusi
  JOIN oneroster.demographics d ON d.sourced_id = st.sourced_id
  CROSS JOIN LATERAL (VALUES {', '.join(f"(d.{col}, {_d('RaceDescriptor', _lit(name))})" for col, name in RACES.items())}
       ) r(flag, descriptorid)
 WHERE r.flag /*new st*/"""

STEPS: list[tuple[str, str]] = [
    ("edfi.educationorganization", """
INSERT INTO edfi.educationorganization AS t (educationorganizationid, nameofinstitution, discriminator)
SELECT DISTINCT ON (edorg_id) edorg_id, left(name, 75),
       CASE type WHEN 'school' THEN 'edfi.School' ELSE 'edfi.LocalEducationAgency' END
  FROM tmp_org
 ORDER BY edorg_id, gone, sourced_id  -- (a school sent again under a new sourcedId: the active one's name)
ON CONFLICT (educationorganizationid) DO UPDATE SET nameofinstitution = EXCLUDED.nameofinstitution
 WHERE t.nameofinstitution IS DISTINCT FROM EXCLUDED.nameofinstitution"""),
    ("edfi.localeducationagency", f"""
INSERT INTO edfi.localeducationagency (localeducationagencyid, localeducationagencycategorydescriptorid)
SELECT edorg_id, {_d('LocalEducationAgencyCategoryDescriptor', "'Independent'")} FROM tmp_org WHERE type = 'district'
ON CONFLICT DO NOTHING"""),
    ("edfi.school", """
INSERT INTO edfi.school AS t (schoolid, localeducationagencyid)
SELECT DISTINCT ON (s.edorg_id) s.edorg_id, p.edorg_id FROM tmp_org s
  LEFT JOIN tmp_org p ON p.sourced_id = s.parent_sourced_id AND p.type = 'district'
 WHERE s.type = 'school'
 ORDER BY s.edorg_id, s.gone, s.sourced_id
ON CONFLICT (schoolid) DO UPDATE SET localeducationagencyid = EXCLUDED.localeducationagencyid
 WHERE t.localeducationagencyid IS DISTINCT FROM EXCLUDED.localeducationagencyid"""),
    ("edfi.schoolyeartype", """
INSERT INTO edfi.schoolyeartype (schoolyear, schoolyeardescription, currentschoolyear)
SELECT DISTINCT schoolyear, (schoolyear - 1) || '-' || schoolyear, false FROM tmp_class
ON CONFLICT DO NOTHING"""),
    ("edfi.session", f"""
INSERT INTO edfi.session AS t (schoolid, schoolyear, sessionname, begindate, enddate, termdescriptorid,
                               totalinstructionaldays)
SELECT x.*, (SELECT count(*) FROM generate_series(x.start_date, x.end_date, interval '1 day') g
              WHERE extract(isodow FROM g) < 6)
  FROM (SELECT DISTINCT ON (schoolid, schoolyear, left(sessionname, 60)) schoolid, schoolyear,
               left(sessionname, 60), start_date, end_date,
               {_d('TermDescriptor', '''CASE term_type WHEN 'schoolYear' THEN 'Year Round'
                    WHEN 'semester' THEN CASE WHEN extract(month FROM start_date) >= 7 THEN 'Fall Semester'
                                              ELSE 'Spring Semester' END ELSE 'Other' END''')}
          FROM tmp_class ORDER BY schoolid, schoolyear, left(sessionname, 60), start_date) x
ON CONFLICT (schoolid, schoolyear, sessionname) DO UPDATE SET begindate = EXCLUDED.begindate,
       enddate = EXCLUDED.enddate, totalinstructionaldays = EXCLUDED.totalinstructionaldays
 WHERE (t.begindate, t.enddate) IS DISTINCT FROM (EXCLUDED.begindate, EXCLUDED.enddate)"""),
    ("edfi.course", """
INSERT INTO edfi.course AS t (coursecode, educationorganizationid, coursetitle, numberofparts)
SELECT DISTINCT ON (coursecode, course_edorg) coursecode, course_edorg, left(course_title, 60), 1
  FROM tmp_class ORDER BY coursecode, course_edorg, sourced_id
ON CONFLICT (coursecode, educationorganizationid) DO UPDATE SET coursetitle = EXCLUDED.coursetitle
 WHERE t.coursetitle IS DISTINCT FROM EXCLUDED.coursetitle"""),
    ("edfi.courseoffering", """
INSERT INTO edfi.courseoffering AS t (localcoursecode, schoolid, schoolyear, sessionname, coursecode,
                                      educationorganizationid, localcoursetitle)
SELECT DISTINCT ON (coursecode, schoolid, schoolyear, left(sessionname, 60)) coursecode, schoolid, schoolyear,
       left(sessionname, 60), coursecode, course_edorg, left(course_title, 60)
  FROM tmp_class ORDER BY coursecode, schoolid, schoolyear, left(sessionname, 60), sourced_id
ON CONFLICT (localcoursecode, schoolid, schoolyear, sessionname) DO NOTHING"""),
    ("edfi.section", f"""
INSERT INTO edfi.section AS t (localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, sectionname, id)
SELECT coursecode, schoolid, schoolyear, sourced_id, left(sessionname, 60), left(title, 100), {NEW_ID} FROM tmp_class
ON CONFLICT (localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname)
DO UPDATE SET sectionname = EXCLUDED.sectionname WHERE t.sectionname IS DISTINCT FROM EXCLUDED.sectionname"""),
    ("edfi.student", f"""
INSERT INTO edfi.student AS t (studentuniqueid, firstname, middlename, lastsurname, birthdate, birthcity,
                               preferredfirstname, preferredlastsurname, id)
SELECT p.unique_id, left(u.given_name, 75), left(u.middle_name, 75), left(u.family_name, 75), d.birth_date,
       left(d.city_of_birth, 30), left(u.preferred_given_name, 75), left(u.preferred_family_name, 75), {NEW_ID}
  FROM tmp_person p JOIN oneroster.users u ON u.sourced_id = p.sourced_id
  JOIN oneroster.demographics d ON d.sourced_id = p.sourced_id AND d.birth_date IS NOT NULL
 WHERE p.kind = 1 /*new p*/
ON CONFLICT (studentuniqueid) DO UPDATE SET firstname = EXCLUDED.firstname, middlename = EXCLUDED.middlename,
       lastsurname = EXCLUDED.lastsurname, birthdate = EXCLUDED.birthdate, birthcity = EXCLUDED.birthcity,
       preferredfirstname = EXCLUDED.preferredfirstname, preferredlastsurname = EXCLUDED.preferredlastsurname
 WHERE (t.firstname, t.middlename, t.lastsurname, t.birthdate, t.birthcity, t.preferredfirstname,
        t.preferredlastsurname) IS DISTINCT FROM (EXCLUDED.firstname, EXCLUDED.middlename, EXCLUDED.lastsurname,
        EXCLUDED.birthdate, EXCLUDED.birthcity, EXCLUDED.preferredfirstname, EXCLUDED.preferredlastsurname)"""),
    ("", """
CREATE TEMP TABLE tmp_student ON COMMIT DROP AS
SELECT p.sourced_id, s.studentusi, p.is_new FROM tmp_person p
  JOIN edfi.student s ON s.studentuniqueid = p.unique_id WHERE p.kind = 1;
CREATE UNIQUE INDEX ON tmp_student (sourced_id);
ANALYZE tmp_student"""),
    ("edfi.studentschoolassociation", f"""
INSERT INTO edfi.studentschoolassociation (entrydate, schoolid, studentusi, entrygradeleveldescriptorid,
                                           exitwithdrawdate, schoolyear, id)
SELECT DISTINCT ON (st.studentusi, o.edorg_id)
       COALESCE(r.begin_date, (SELECT f.first_day FROM tmp_first f WHERE f.user_sourced_id = r.user_sourced_id
                                  AND f.schoolid = o.edorg_id), :today),
       o.edorg_id, st.studentusi,
       COALESCE(g.descriptorid, (SELECT g.descriptorid FROM tmp_grade g WHERE g.code = 'UG')),
       CASE WHEN r.status = 'tobedeleted' THEN COALESCE(r.end_date, r.date_last_modified::date) ELSE r.end_date END,
       NULL::smallint, {NEW_ID}
  FROM oneroster.roles r
  JOIN tmp_student st ON st.sourced_id = r.user_sourced_id
  JOIN oneroster.users u ON u.sourced_id = r.user_sourced_id
  JOIN tmp_org o ON o.sourced_id = r.org_sourced_id AND o.type = 'school'
  LEFT JOIN tmp_grade g ON g.code = u.grades[1]
 WHERE r.role = 'student'
   AND NOT EXISTS (SELECT 1 FROM edfi.studentschoolassociation a WHERE a.studentusi = st.studentusi
                      AND a.schoolid = o.edorg_id)
 ORDER BY st.studentusi, o.edorg_id, r.role_type"""),
    ("edfi.studentschoolassociation", """
UPDATE edfi.studentschoolassociation a
   SET exitwithdrawdate = x.exit_date, entrygradeleveldescriptorid = x.grade
  FROM (SELECT DISTINCT ON (st.studentusi, o.edorg_id) st.studentusi, o.edorg_id AS schoolid,
               CASE WHEN r.status = 'tobedeleted' THEN COALESCE(r.end_date, r.date_last_modified::date)
                    ELSE r.end_date END AS exit_date,
               COALESCE(g.descriptorid, (SELECT g.descriptorid FROM tmp_grade g WHERE g.code = 'UG')) AS grade
          FROM oneroster.roles r JOIN tmp_student st ON st.sourced_id = r.user_sourced_id
          JOIN oneroster.users u ON u.sourced_id = r.user_sourced_id
          JOIN tmp_org o ON o.sourced_id = r.org_sourced_id AND o.type = 'school'
          LEFT JOIN tmp_grade g ON g.code = u.grades[1]
         WHERE r.role = 'student' /*old st*/ ORDER BY st.studentusi, o.edorg_id, r.role_type) x
 WHERE a.studentusi = x.studentusi AND a.schoolid = x.schoolid
   AND NOT EXISTS (SELECT 1 FROM edfi.studentschoolassociation b WHERE b.studentusi = a.studentusi
                      AND b.schoolid = a.schoolid AND b.entrydate > a.entrydate)
   AND (a.exitwithdrawdate, a.entrygradeleveldescriptorid) IS DISTINCT FROM (x.exit_date, x.grade)"""),
    ("edfi.studenteducationorganizationassociation", f"""
INSERT INTO edfi.studenteducationorganizationassociation AS t (educationorganizationid, studentusi,
       sexdescriptorid, hispaniclatinoethnicity, id)
SELECT DISTINCT ON (a.schoolid, st.studentusi) a.schoolid, st.studentusi,
       {_case('SexDescriptor', 'd.sex', SEX)},
       d.hispanic_or_latino_ethnicity, {NEW_ID}
  FROM tmp_student st JOIN edfi.studentschoolassociation a ON a.studentusi = st.studentusi
  JOIN oneroster.demographics d ON d.sourced_id = st.sourced_id
 WHERE true /*new st*/
ON CONFLICT (educationorganizationid, studentusi) DO UPDATE SET sexdescriptorid = EXCLUDED.sexdescriptorid,
       hispaniclatinoethnicity = EXCLUDED.hispaniclatinoethnicity
 WHERE (t.sexdescriptorid, t.hispaniclatinoethnicity) IS DISTINCT FROM
       (EXCLUDED.sexdescriptorid, EXCLUDED.hispaniclatinoethnicity)"""),
    ("edfi.studenteducationorganizationassociationrace", f"""
CREATE TEMP TABLE tmp_race ON COMMIT DROP AS {RACE_ROWS};
ANALYZE tmp_race;
DELETE FROM edfi.studenteducationorganizationassociationrace x USING tmp_student st
 WHERE x.studentusi = st.studentusi AND NOT EXISTS (SELECT 1 FROM tmp_race r WHERE r.studentusi = x.studentusi
   AND r.educationorganizationid = x.educationorganizationid AND r.racedescriptorid = x.racedescriptorid);
INSERT INTO edfi.studenteducationorganizationassociationrace (educationorganizationid, studentusi, racedescriptorid)
SELECT * FROM tmp_race ON CONFLICT DO NOTHING"""),
    ("edfi.studentsectionassociation", f"""
INSERT INTO edfi.studentsectionassociation AS t (begindate, localcoursecode, schoolid, schoolyear, sectionidentifier,
       sessionname, studentusi, enddate, id)
SELECT DISTINCT ON (c.ord * 2147483648 + st.studentusi, COALESCE(e.begin_date, c.start_date))
       COALESCE(e.begin_date, c.start_date), c.coursecode, c.schoolid,
       c.schoolyear, c.sourced_id, left(c.sessionname, 60), st.studentusi,
       CASE WHEN e.status = 'tobedeleted' THEN COALESCE(e.end_date, e.date_last_modified::date) ELSE e.end_date END,
       {NEW_ID}
  FROM oneroster.enrollments e JOIN tmp_student st ON st.sourced_id = e.user_sourced_id
  JOIN tmp_class c ON c.sourced_id = e.class_sourced_id
 WHERE e.role = 'student' /*new st*/ AND (e.status = 'active' OR EXISTS (SELECT 1 FROM
       edfi.studentsectionassociation x WHERE x.studentusi = st.studentusi AND x.sectionidentifier = c.sourced_id))
 -- in the key's order (section, student, begin date; one integer, the section's place and the student, stands
 -- for the key's first six columns: it sorts cheaply), so a first load's primary key is built from rows in order
 ORDER BY c.ord * 2147483648 + st.studentusi, COALESCE(e.begin_date, c.start_date), e.status
ON CONFLICT (begindate, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi)
DO UPDATE SET enddate = EXCLUDED.enddate WHERE t.enddate IS DISTINCT FROM EXCLUDED.enddate"""),
    ("edfi.staff", """
INSERT INTO edfi.staff AS t (staffuniqueid, firstname, middlename, lastsurname, preferredfirstname,
                             preferredlastsurname)
SELECT p.unique_id, left(u.given_name, 75), left(u.middle_name, 75), left(u.family_name, 75),
       left(u.preferred_given_name, 75), left(u.preferred_family_name, 75)
  FROM tmp_person p JOIN oneroster.users u ON u.sourced_id = p.sourced_id WHERE p.kind = 2
ON CONFLICT (staffuniqueid) DO UPDATE SET firstname = EXCLUDED.firstname, middlename = EXCLUDED.middlename,
       lastsurname = EXCLUDED.lastsurname, preferredfirstname = EXCLUDED.preferredfirstname,
       preferredlastsurname = EXCLUDED.preferredlastsurname
 WHERE (t.firstname, t.middlename, t.lastsurname, t.preferredfirstname, t.preferredlastsurname)
       IS DISTINCT FROM (EXCLUDED.firstname, EXCLUDED.middlename, EXCLUDED.lastsurname,
       EXCLUDED.preferredfirstname, EXCLUDED.preferredlastsurname)"""),
    ("", """
CREATE TEMP TABLE tmp_staff ON COMMIT DROP AS
SELECT p.sourced_id, s.staffusi FROM tmp_person p JOIN edfi.staff s ON s.staffuniqueid = p.unique_id WHERE p.kind = 2;
CREATE UNIQUE INDEX ON tmp_staff (sourced_id);
ANALYZE tmp_staff;
CREATE TEMP TABLE tmp_staff_role ON COMMIT DROP AS
SELECT sf.staffusi, o.edorg_id, o.type AS org_type, r.begin_date, r.end_date,
       r.role, r.user_sourced_id
  FROM tmp_staff sf
  JOIN oneroster.roles r ON r.user_sourced_id = sf.sourced_id AND r.status = 'active'
   AND r.role NOT IN ('student', 'parent', 'guardian', 'relative')
  JOIN tmp_org o ON o.sourced_id = r.org_sourced_id
UNION ALL
SELECT DISTINCT sf.staffusi, c.schoolid, 'school', NULL::date, NULL::date,
       CASE e.role WHEN 'administrator' THEN 'siteAdministrator' ELSE e.role END, e.user_sourced_id
  FROM tmp_staff sf JOIN oneroster.enrollments e ON e.user_sourced_id = sf.sourced_id AND e.status = 'active'
  JOIN tmp_class c ON c.sourced_id = e.class_sourced_id
 WHERE NOT EXISTS (SELECT 1 FROM oneroster.roles r WHERE r.user_sourced_id = sf.sourced_id AND r.status = 'active');
ANALYZE tmp_staff_role"""),
    ("edfi.staffschoolassociation", f"""
INSERT INTO edfi.staffschoolassociation (staffusi, schoolid, programassignmentdescriptorid)
SELECT DISTINCT staffusi, edorg_id, {_d('ProgramAssignmentDescriptor', "'Regular Education'")}
  FROM tmp_staff_role WHERE org_type = 'school'
ON CONFLICT DO NOTHING"""),
    ("edfi.staffeducationorganizationassignmentassociation", """
INSERT INTO edfi.staffeducationorganizationassignmentassociation (begindate, educationorganizationid,
       staffclassificationdescriptorid, staffusi, enddate)
SELECT DISTINCT ON (x.staffusi, x.edorg_id, k.descriptorid)
       COALESCE(x.begin_date, (SELECT min(f.first_day) FROM tmp_first f WHERE f.user_sourced_id = x.user_sourced_id),
                :today),
       x.edorg_id, k.descriptorid, x.staffusi, x.end_date
  FROM tmp_staff_role x JOIN tmp_staffclass k ON k.role = x.role
 WHERE k.descriptorid IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM edfi.staffeducationorganizationassignmentassociation a WHERE a.staffusi = x.staffusi
          AND a.educationorganizationid = x.edorg_id AND a.staffclassificationdescriptorid = k.descriptorid)
 ORDER BY x.staffusi, x.edorg_id, k.descriptorid, x.begin_date"""),
    ("edfi.staffsectionassociation", f"""
INSERT INTO edfi.staffsectionassociation AS t (begindate, localcoursecode, schoolid, schoolyear, sectionidentifier,
       sessionname, staffusi, classroompositiondescriptorid, enddate, id)
SELECT DISTINCT ON (sf.staffusi, c.sourced_id, COALESCE(e.begin_date, c.start_date)) COALESCE(e.begin_date, c.start_date), c.coursecode, c.schoolid,
       c.schoolyear, c.sourced_id, left(c.sessionname, 60), sf.staffusi,
       {_case('ClassroomPositionDescriptor', 'e.primary_enrollment', {'true': 'Teacher of Record'}, 'Assistant Teacher')},
       CASE WHEN e.status = 'tobedeleted' THEN COALESCE(e.end_date, e.date_last_modified::date) ELSE e.end_date END,
       {NEW_ID}
  FROM oneroster.enrollments e JOIN tmp_staff sf ON sf.sourced_id = e.user_sourced_id
  JOIN tmp_class c ON c.sourced_id = e.class_sourced_id
 WHERE e.role IN ('teacher', 'administrator', 'proctor')
 ORDER BY sf.staffusi, c.sourced_id, COALESCE(e.begin_date, c.start_date), e.status
ON CONFLICT (begindate, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, staffusi)
DO UPDATE SET enddate = EXCLUDED.enddate, classroompositiondescriptorid = EXCLUDED.classroompositiondescriptorid
 WHERE (t.enddate, t.classroompositiondescriptorid) IS DISTINCT FROM
       (EXCLUDED.enddate, EXCLUDED.classroompositiondescriptorid)"""),
    ("edfi.contact", """
INSERT INTO edfi.contact AS t (contactuniqueid, firstname, middlename, lastsurname)
SELECT p.unique_id, left(u.given_name, 75), left(u.middle_name, 75), left(u.family_name, 75)
  FROM tmp_person p JOIN oneroster.users u ON u.sourced_id = p.sourced_id WHERE p.kind = 3
ON CONFLICT (contactuniqueid) DO UPDATE SET firstname = EXCLUDED.firstname, middlename = EXCLUDED.middlename,
       lastsurname = EXCLUDED.lastsurname
 WHERE (t.firstname, t.middlename, t.lastsurname) IS DISTINCT FROM
       (EXCLUDED.firstname, EXCLUDED.middlename, EXCLUDED.lastsurname)"""),
    ("", """
CREATE TEMP TABLE tmp_contact_role ON COMMIT DROP AS
SELECT DISTINCT ON (r.user_sourced_id) r.user_sourced_id, r.role FROM oneroster.roles r
  JOIN tmp_person p ON p.sourced_id = r.user_sourced_id AND p.kind = 3
 WHERE r.role IN ('parent', 'guardian', 'relative') ORDER BY r.user_sourced_id, r.role_type;
CREATE UNIQUE INDEX ON tmp_contact_role (user_sourced_id);
ANALYZE tmp_contact_role"""),
    ("edfi.studentcontactassociation", f"""
INSERT INTO edfi.studentcontactassociation AS t (contactusi, studentusi, relationdescriptorid, legalguardian, id)
SELECT DISTINCT ON (c.contactusi, s.studentusi) c.contactusi, s.studentusi,
       {_case('RelationDescriptor', 'r.role', RELATION)},
       r.role = 'guardian', {NEW_ID}
  FROM (SELECT u.sourced_id AS stu, unnest(u.agent_sourced_ids) AS con FROM oneroster.users u
          JOIN tmp_person p ON p.sourced_id = u.sourced_id AND p.kind = 1 WHERE cardinality(u.agent_sourced_ids) > 0
        UNION
        SELECT unnest(u.agent_sourced_ids), u.sourced_id FROM oneroster.users u
          JOIN tmp_person p ON p.sourced_id = u.sourced_id AND p.kind = 3 WHERE cardinality(u.agent_sourced_ids) > 0) l
  JOIN tmp_student s ON s.sourced_id = l.stu
  JOIN tmp_person cp ON cp.sourced_id = l.con AND cp.kind = 3
  JOIN edfi.contact c ON c.contactuniqueid = cp.unique_id
  JOIN tmp_contact_role r ON r.user_sourced_id = l.con
 ORDER BY c.contactusi, s.studentusi
ON CONFLICT (contactusi, studentusi) DO UPDATE SET relationdescriptorid = EXCLUDED.relationdescriptorid,
       legalguardian = EXCLUDED.legalguardian
 WHERE (t.relationdescriptorid, t.legalguardian) IS DISTINCT FROM
       (EXCLUDED.relationdescriptorid, EXCLUDED.legalguardian)"""),
]


def map_to_edfi(conn: Connection, files: set[str], *, now: datetime) -> dict[str, int]:
    """Bring the Ed-Fi rows of the package's records in line; returns rows changed per table."""
    prep = PREP.replace("/*touched*/", "")
    # on a first load (oneroster_firstload) the package loaded every OneRoster user: all of them are touched,
    # and the people's lists are only ever joined whole (hash joins: an index on them would go unused)
    skipped = FIRST_LOAD_UNINDEXED
    if not conn.execute(text("SELECT current_setting('school_office.oneroster_first_load', true) = 'on'")).scalar():
        _touched_users(conn)
        prep = PREP.replace("/*touched*/", "WHERE u.sourced_id IN (SELECT sourced_id FROM tmp_touched_users)")
        skipped = ()
    changed: dict[str, int] = {}
    first: B.FirstLoad | None = None
    decided = False
    for table, sql in [("", prep)] + STEPS:
        if table and not decided:  # (PREP made tmp_person)
            decided = True
            first = _first_load(conn)
            if first:
                first.start()
        for part, body in _variants(table, sql, first):
            if first and first.rebuild and table in B.KEYED_TABLES and part in ("all", "new"):
                first.drop_keys(table)  # (after the existing students' upserts, which need the keys)
            for stmt in body.split(";\n"):
                if not stmt.strip() or stmt.strip() in skipped:
                    continue
                dml = stmt.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE")
                if first and dml and first.captures(table) and not (part == "new" and table in SPLIT_UNCAPTURED):
                    stmt = first.capture(table, stmt)
                started = time.perf_counter()
                n = conn.execute(text(stmt), {"today": now.date()}).rowcount
                log.debug("%s: %d rows in %.2f s", stmt.strip().split("\n")[0][:60], n, time.perf_counter() - started)
                if table and not stmt.lstrip().upper().startswith("CREATE"):
                    changed[table] = changed.get(table, 0) + max(n, 0)
                    if n >= 1000:
                        # statistics for the table's real size: the next statements join it, and
                        # would otherwise plan for an empty table
                        conn.execute(text(f"ANALYZE {table}"))
    if first:
        first.finish(new_students="SELECT studentusi FROM tmp_student WHERE is_new")
    return changed


def _touched_users(conn: Connection) -> None:
    """tmp_touched_users: the people the package names, and the agents of those (a contact's link needs
    both ends): one set-based union, its key made once at the end."""
    staged = [f"SELECT {col} AS sourced_id FROM {stage}" for stage, col in (
        ("stage_users", "sourced_id"), ("stage_roles", "user_sourced_id"), ("stage_enrollments", "user_sourced_id"),
        ("stage_demographics", "sourced_id"))
        if conn.execute(text("SELECT to_regclass(:t)"), {"t": f"pg_temp.{stage}"}).scalar() is not None]
    conn.execute(text(f"""
        CREATE TEMP TABLE tmp_touched_users ON COMMIT DROP AS
        WITH named AS ({' UNION '.join(staged) or 'SELECT NULL::varchar AS sourced_id LIMIT 0'})
        SELECT CAST(sourced_id AS varchar(255)) AS sourced_id FROM named
        UNION SELECT unnest(u.agent_sourced_ids) FROM oneroster.users u JOIN named n ON n.sourced_id = u.sourced_id"""))
    conn.execute(text("ALTER TABLE tmp_touched_users ADD PRIMARY KEY (sourced_id)"))
    log.debug("people touched: %s", conn.execute(text("SELECT count(*) FROM tmp_touched_users")).scalar())
    # the OneRoster tables this import loaded were analyzed as they were loaded (oneroster_load)
    conn.execute(text("ANALYZE tmp_touched_users"))


# Tables whose rows for the students new to the district are inserted apart on the first-load path
# (no existing row can collide with them: the upsert's conflict clause goes); the statement's
# `/*new alias*/` marks where the rows are told apart. Each step's rows for students already in the
# district are upserted first, as on the ordinary path.
NEW_ROWS = {"edfi.studenteducationorganizationassociationrace":
            "INSERT INTO edfi.studenteducationorganizationassociationrace (educationorganizationid, studentusi, "
            f"racedescriptorid) {RACE_ROWS}"}
FIRST_LOAD_UNINDEXED = ("CREATE UNIQUE INDEX ON tmp_person (sourced_id)", "CREATE UNIQUE INDEX ON tmp_student (sourced_id)")
SPLIT_UNCAPTURED = {"edfi.studentsectionassociation"}  # its new rows: every row of a new student
BULK_TABLES = B.BULK_TABLES  # (the first-load path's tables)
BULK_STUDENTS = 5_000
_MARK = re.compile(r"/\*new (\w+)\*/")
_OLD = re.compile(r"/\*old (\w+)\*/")  # on the first-load path, a new student's rows were just written as wanted


def _variants(table: str, sql: str, first: B.FirstLoad | None) -> list[tuple[str, str]]:
    """The step's statements as run: on the first-load path, a step marked `/*new alias*/` runs for the
    students already in the district (with its conflict clause) and then for the new ones (without),
    and one marked `/*old alias*/` only for the students already in the district."""
    sql = _OLD.sub(lambda m: f"AND NOT {m.group(1)}.is_new" if first else "", sql)
    mark = _MARK.search(sql)
    if not mark:
        return [("all", sql)]
    if not first:
        return [("all", _MARK.sub("", sql))]
    alias = mark.group(1)
    new = _MARK.sub(f"AND {alias}.is_new", NEW_ROWS.get(table, sql)).split("\nON CONFLICT")[0]
    return [("old", _MARK.sub(f"AND NOT {alias}.is_new", sql)), ("new", new)]


def _first_load(conn: Connection) -> B.FirstLoad | None:
    """Many students new to Ed-Fi (a first load) take the bulk path; a re-import or a nightly delta
    does not. Their keys go too when the load at least doubles the district's students."""
    new, old = conn.execute(text(
        "SELECT count(*) FILTER (WHERE p.is_new), (SELECT count(*) FROM edfi.student) FROM tmp_person p")).one()
    if new < BULK_STUDENTS:
        return None
    log.debug("first load: %d new students, %d in the district", new, old)
    return B.FirstLoad(conn, rebuild=new >= old, every_student_new=old == 0)
