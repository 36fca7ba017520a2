"""The database a migration builds: every table and column of the design document (or its
documented deviation), the Ed-Fi 5.2 keys, descriptors, indexes, partitions, no model drift."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.db.migrate import alembic_config, migrate
from tests.data import extract_design_tables

pytestmark = pytest.mark.integration

DESIGN_EXTRACT = Path(__file__).resolve().parents[1] / "data" / "design_tables.json"

SCHEMAS = ("edfi", "oneroster", "two_hour_learning", "health", "transportation", "specialed", "cafeteria",
           "library", "activities", "compliance")


def design_columns() -> dict[str, list[str]]:
    """The design document's tables and columns, as kept in tests/data (see its README)."""
    return json.loads(DESIGN_EXTRACT.read_text())["tables"]


def deviations() -> set[str]:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "schema-deviations.md").read_text()
    return set(re.findall(r"^\| `([a-z_0-9]+\.[a-z_0-9]+\.[a-z_0-9]+)` \|", doc, re.M))


@pytest.fixture(scope="module")
def fresh(new_database_module):
    eng = new_database_module()
    first = migrate(eng)
    return eng, first


@pytest.mark.reference
def test_the_kept_design_extract_matches_the_design_document(shared_dir):
    kept = json.loads(DESIGN_EXTRACT.read_text())
    current = extract_design_tables.extract(shared_dir / "spec" / extract_design_tables.SPEC_NAME)
    assert kept == current, "the design document changed: run python -m tests.data.extract_design_tables"


def test_migrating_an_empty_database_builds_every_design_table_and_column(fresh):
    eng, _ = fresh
    design = design_columns()
    assert len(design) == 75
    insp = inspect(eng)
    listed = deviations()
    unaccounted = []
    for table, cols in design.items():
        schema, name = table.split(".")
        present = {c["name"] for c in insp.get_columns(name, schema=schema)} if insp.has_table(name, schema=schema) \
            else set()
        unaccounted += [f"{table}.{c}" for c in cols if c not in present and f"{table}.{c}" not in listed]
    assert unaccounted == []
    assert listed, "docs/schema-deviations.md lists no deviations: the check below would check nothing"
    # every listed deviation really is absent (the list does not hide columns that exist)
    for entry in listed:
        schema, name, col = entry.split(".")
        if insp.has_table(name, schema=schema):
            assert col not in {c["name"] for c in insp.get_columns(name, schema=schema)}, entry


def test_at_least_175_tables_in_the_named_schemas(fresh):
    eng, _ = fresh
    with eng.connect() as c:
        counts = dict(c.execute(text(
            "SELECT table_schema, count(*) FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema = ANY(:s) GROUP BY table_schema"), {"s": list(SCHEMAS)}).all())
    assert set(counts) == set(SCHEMAS)
    assert sum(counts.values()) >= 175


def test_design_comments_become_column_and_table_comments(fresh):
    eng, _ = fresh
    with eng.connect() as c:
        assert c.execute(text("SELECT col_description('edfi.courseoffering'::regclass, "
                              "(SELECT attnum FROM pg_attribute WHERE attrelid = 'edfi.courseoffering'::regclass "
                              "AND attname = 'localcoursecode'))")).scalar() == 'School\'s internal course code (e.g., "MATH101-01")'
        assert c.execute(text("SELECT obj_description('health.allergies'::regclass, 'pg_class')")).scalar() == \
            "Allergies: Student allergies"


ED_FI_KEYS = {
    "courseoffering": "localcoursecode schoolid schoolyear sessionname",
    "section": "localcoursecode schoolid schoolyear sectionidentifier sessionname",
    "studentsectionassociation": "begindate localcoursecode schoolid schoolyear sectionidentifier sessionname studentusi",
    "staffsectionassociation": "begindate localcoursecode schoolid schoolyear sectionidentifier sessionname staffusi",
    "session": "schoolid schoolyear sessionname",
    "gradingperiod": "gradingperioddescriptorid gradingperiodname schoolid schoolyear",
    "studentschoolassociation": "entrydate schoolid studentusi",
    "studentschoolattendanceevent": "attendanceeventcategorydescriptorid eventdate schoolid schoolyear sessionname studentusi",
    "studentsectionattendanceevent": "attendanceeventcategorydescriptorid eventdate localcoursecode schoolid schoolyear "
                                     "sectionidentifier sessionname studentusi",
    "grade": "begindate gradetypedescriptorid gradingperioddescriptorid gradingperiodname gradingperiodschoolyear "
             "localcoursecode schoolid schoolyear sectionidentifier sessionname studentusi",
    "reportcard": "educationorganizationid gradingperioddescriptorid gradingperiodname gradingperiodschoolid "
                  "gradingperiodschoolyear studentusi",
    "coursetranscript": "courseattemptresultdescriptorid coursecode courseeducationorganizationid "
                        "educationorganizationid schoolyear studentusi termdescriptorid",
    "studentacademicrecord": "educationorganizationid schoolyear studentusi termdescriptorid",
    "disciplineincident": "incidentidentifier schoolid",
    "disciplineaction": "disciplineactionidentifier disciplinedate studentusi",
    "studentdisciplineincidentbehaviorassociation": "behaviordescriptorid incidentidentifier schoolid studentusi",
}


@pytest.mark.parametrize("table", sorted(ED_FI_KEYS))
def test_ed_fi_52_primary_keys(fresh, table):
    eng, _ = fresh
    pk = inspect(eng).get_pk_constraint(table, schema="edfi")["constrained_columns"]
    assert sorted(pk) == sorted(ED_FI_KEYS[table].split())


def test_education_organization_ids_are_bigint(fresh):
    eng, _ = fresh
    with eng.connect() as c:
        wrong = c.execute(text(
            "SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns "
            "WHERE table_schema = ANY(:s) AND (column_name LIKE '%schoolid' OR column_name LIKE "
            "'%educationorganizationid' OR column_name IN ('school_id', 'localeducationagencyid')) "
            "AND data_type <> 'bigint'"), {"s": list(SCHEMAS)}).scalars().all()
    assert wrong == []


def test_descriptors_load_once(fresh):
    eng, first = fresh
    assert first == {"files": 202, "values": 3298, "added": 3298}
    second = migrate(eng)
    assert second["added"] == 0
    with eng.connect() as c:
        assert c.execute(text("SELECT count(*) FROM edfi.descriptor")).scalar() == 3298
        grade_levels = c.execute(text("SELECT count(*) FROM edfi.gradeleveldescriptor")).scalar()
        codes = set(c.execute(text("SELECT codevalue FROM edfi.descriptor d JOIN edfi.attendanceeventcategorydescriptor "
                                   "a ON a.attendanceeventcategorydescriptorid = d.descriptorid")).scalars())
        uri = c.execute(text("SELECT uri FROM edfi.descriptor WHERE codevalue = 'Excused Absence'")).scalar()
    assert grade_levels == 26
    assert {"Present", "Excused Absence", "Unexcused Absence", "Tardy", "In Attendance"} <= codes
    assert uri == "uri://ed-fi.org/AttendanceEventCategoryDescriptor#Excused Absence"


def test_every_section_14_index_exists(fresh):
    eng, _ = fresh
    wanted = ["idx_student_unique_id", "idx_student_name", "idx_ssa_student", "idx_ssa_school", "idx_ssa_active",
              "idx_student_assessment_date", "idx_student_assessment_student", "idx_attendance_student_date",
              "idx_attendance_school_date", "idx_or_enrollments_user", "idx_or_enrollments_class",
              "idx_or_classes_school", "idx_audit_recent", "idx_audit_user_ops", "idx_student_metadata_gin",
              "idx_or_metadata_gin"]
    with eng.connect() as c:
        names = set(c.execute(text("SELECT indexname FROM pg_indexes")).scalars())
        active = c.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_ssa_active'")).scalar()
    assert [w for w in wanted if w not in names] == []
    assert "WHERE (exitwithdrawdate IS NULL)" in active


def test_one_head_and_no_drift_between_models_and_migrations(fresh):
    eng, _ = fresh
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
    with eng.connect() as conn:
        command.check(alembic_config(conn))  # raises if autogenerate would emit anything


def test_audit_log_inserts_never_fail_for_a_missing_month(fresh):
    eng, _ = fresh
    now = datetime.now()
    with eng.begin() as c:
        parts = set(c.execute(text("SELECT inhrelid::regclass::text FROM pg_inherits "
                                   "WHERE inhparent = 'compliance.audit_logs'::regclass")).scalars())
        assert f"compliance.audit_logs_y{now:%Y}m{now:%m}" in parts
        assert "compliance.audit_logs_default" in parts
        assert len(parts) == 3  # this month, next month, default
        # a row far in the future lands in the default partition...
        c.execute(text("INSERT INTO compliance.audit_logs (user_id, table_name, operation, timestamp) "
                       "VALUES ('tester', 'edfi.student', 'UPDATE', '2031-03-05 10:00')"))
        # ...and moves to its month when that month's partition is created
        c.execute(text("SELECT compliance.ensure_audit_partition('2031-03-01')"))
        assert c.execute(text("SELECT count(*) FROM compliance.audit_logs_y2031m03")).scalar() == 1
        assert c.execute(text("SELECT count(*) FROM compliance.audit_logs_default")).scalar() == 0
        c.execute(text("DELETE FROM compliance.audit_logs WHERE user_id = 'tester'"))


def test_the_app_keeps_audit_partitions_ahead_across_a_year_end(fresh):
    from datetime import date

    from app.db.partitions import ensure_audit_partitions

    eng, _ = fresh
    assert ensure_audit_partitions(eng, today=date(2027, 12, 15)) == ["audit_logs_y2027m12", "audit_logs_y2028m01"]
    assert ensure_audit_partitions(eng, today=date(2027, 12, 15)) == ["audit_logs_y2027m12", "audit_logs_y2028m01"]
