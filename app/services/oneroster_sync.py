"""Keeping a student's OneRoster rows in step with their Ed-Fi record, in the same transaction.

Every enrollment action calls `sync_student` after its Ed-Fi writes. It derives the student's
`oneroster.users`, `demographics`, `roles` (one per school enrollment) and `enrollments` (one
per section) rows from the Ed-Fi rows and upserts them; a row's date_last_modified moves only
when its content changed. sourcedIds come from the Ed-Fi natural keys (app/domain/oneroster_ids).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from app.domain import oneroster_ids as orid

# Ed-Fi SexDescriptor -> OneRoster sex
SEX = {"Female": "female", "Male": "male", "Not Selected": "unspecified", "Non-binary": "other"}
# Ed-Fi RaceDescriptor -> OneRoster demographics flag
RACE_FLAGS = {
    "American Indian or Alaska Native": "american_indian_or_alaska_native", "Asian": "asian",
    "Black or African American": "black_or_african_american",
    "Native Hawaiian or Pacific Islander": "native_hawaiian_or_other_pacific_islander", "White": "white",
}


def _upsert(conn: Connection, table: str, row: dict, now: datetime) -> None:
    """Insert or update one row; date_last_modified changes only when a value did."""
    cols = list(row)
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c != "sourced_id")
    differs = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in cols if c != "sourced_id")
    conn.execute(text(
        f"INSERT INTO {table} ({', '.join(cols)}, date_last_modified) "
        f"VALUES ({', '.join(':' + c for c in cols)}, :now) "
        f"ON CONFLICT (sourced_id) DO UPDATE SET {sets}, date_last_modified = EXCLUDED.date_last_modified "
        f"WHERE {differs}"), {**row, "now": now})


def sync_student(conn: Connection, student_usi: int, now: datetime) -> str:
    """Bring the student's OneRoster rows in line with Ed-Fi; returns the user's sourcedId."""
    s = conn.execute(text("""
        SELECT s.studentuniqueid, s.firstname, s.middlename, s.lastsurname, s.birthdate,
               s.preferredfirstname, s.preferredlastsurname,
               (SELECT d.codevalue FROM edfi.studenteducationorganizationassociation a
                  JOIN edfi.descriptor d ON d.descriptorid = a.sexdescriptorid
                 WHERE a.studentusi = s.studentusi ORDER BY a.educationorganizationid LIMIT 1),
               (SELECT bool_or(a.hispaniclatinoethnicity) FROM edfi.studenteducationorganizationassociation a
                 WHERE a.studentusi = s.studentusi),
               (SELECT array_agg(DISTINCT d.codevalue) FROM edfi.studenteducationorganizationassociationrace r
                  JOIN edfi.descriptor d ON d.descriptorid = r.racedescriptorid WHERE r.studentusi = s.studentusi),
               (SELECT e.electronicmailaddress FROM edfi.studenteducationorganizationassociationelectronicmail e
                 WHERE e.studentusi = s.studentusi ORDER BY e.primaryemailaddressindicator DESC NULLS LAST LIMIT 1),
               (SELECT t.telephonenumber FROM edfi.studenteducationorganizationassociationtelephone t
                 WHERE t.studentusi = s.studentusi ORDER BY t.orderofpriority NULLS LAST LIMIT 1),
               s.birthcity
          FROM edfi.student s WHERE s.studentusi = :u"""), {"u": student_usi}).one()
    uid, first, middle, last, birth, pref_first, pref_last, sex, hispanic, races, email, phone, city = s
    user = orid.student_user_id(uid)
    schools = conn.execute(text("""
        SELECT a.schoolid, a.entrydate, a.exitwithdrawdate, d.codevalue
          FROM edfi.studentschoolassociation a
          JOIN edfi.descriptor d ON d.descriptorid = a.entrygradeleveldescriptorid
         WHERE a.studentusi = :u ORDER BY (a.exitwithdrawdate IS NULL) DESC, a.entrydate DESC"""),
        {"u": student_usi}).all()
    current = schools[0] if schools else None
    open_now = current is not None and current[2] is None
    _upsert(conn, "oneroster.users", {
        "sourced_id": user, "status": "active", "enabled_user": open_now, "username": uid, "given_name": first,
        "family_name": last, "middle_name": middle, "identifier": uid, "email": email, "phone": phone,
        "grades": [orid.GRADE_CODES.get(current[3], "Other")] if current else None,
        "primary_org_sourced_id": orid.org_id(current[0]) if current else None,
        "preferred_given_name": pref_first, "preferred_family_name": pref_last,
    }, now)
    flags = {col: (code in (races or [])) for code, col in RACE_FLAGS.items()}
    _upsert(conn, "oneroster.demographics", {
        "sourced_id": user, "status": "active", "birth_date": birth, "sex": SEX.get(sex) if sex else None,
        **flags, "demographic_race_two_or_more_races": len([r for r in races or [] if r in RACE_FLAGS]) > 1,
        "hispanic_or_latino_ethnicity": hispanic, "city_of_birth": city,
    }, now)
    # One role per school the student has been enrolled at: primary for the current school.
    by_school: dict[int, tuple] = {}
    for row in schools:
        by_school.setdefault(row[0], row)
    for school_id, (sid, entry, exit_, _grade) in by_school.items():
        org = orid.org_id(school_id)
        first_entry = min(r[1] for r in schools if r[0] == school_id)
        _upsert(conn, "oneroster.roles", {
            "sourced_id": orid.role_id(user, org, "student"), "status": "active", "user_sourced_id": user,
            "role_type": "primary" if current and school_id == current[0] else "secondary", "role": "student",
            "begin_date": first_entry, "end_date": exit_, "org_sourced_id": org,
        }, now)
    # One enrollment per class; a section association removed in Ed-Fi is marked tobedeleted.
    sections = conn.execute(text("""
        SELECT DISTINCT ON (a.localcoursecode, a.schoolid, a.schoolyear, a.sectionidentifier, a.sessionname)
               a.localcoursecode, a.schoolid, a.schoolyear, a.sectionidentifier, a.sessionname, a.begindate, a.enddate
          FROM edfi.studentsectionassociation a WHERE a.studentusi = :u
         ORDER BY a.localcoursecode, a.schoolid, a.schoolyear, a.sectionidentifier, a.sessionname, a.begindate DESC"""),
        {"u": student_usi}).all()
    kept = []
    for lcc, school_id, sy, sec, sess, begin, end in sections:
        cls = orid.class_id(lcc, school_id, sy, sec, sess)
        if not conn.execute(text("SELECT 1 FROM oneroster.classes WHERE sourced_id = :c"), {"c": cls}).first():
            continue  # a section never published to OneRoster (none in this product; imported data may differ)
        eid = orid.enrollment_id(cls, user)
        kept.append(eid)
        _upsert(conn, "oneroster.enrollments", {
            "sourced_id": eid, "status": "active", "user_sourced_id": user, "class_sourced_id": cls,
            "school_sourced_id": orid.org_id(school_id), "role": "student", "primary_enrollment": False,
            "begin_date": begin, "end_date": end,
        }, now)
    conn.execute(text(
        "UPDATE oneroster.enrollments SET status = 'tobedeleted', date_last_modified = :now "
        "WHERE user_sourced_id = :u AND status <> 'tobedeleted' AND NOT (sourced_id = ANY(CAST(:kept AS text[])))"),
        {"u": user, "now": now, "kept": kept})
    return user
