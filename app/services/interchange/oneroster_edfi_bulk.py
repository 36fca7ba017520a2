"""The Ed-Fi mapping's first-load path: many students new to the district (app.services.interchange.
oneroster_edfi decides; a re-import or a nightly delta never takes it).

In the import's one transaction (the importer is the schema owner; every statement here is undone
with it on any error, the disabled triggers included):

- The student tables' foreign keys and secondary indexes are dropped and made again at the end
  (one join per key, one sort per index). When the load at least doubles the district's students,
  their primary keys and unique indexes go too (and the foreign keys that point at them, e.g.
  edfi.grade's): the new students' rows, which no existing row can collide with, are inserted
  plainly after the existing students' rows were upserted with the keys in place.
- The triggers that keep the security scope tables (compliance.student_keys from edfi.student,
  compliance.student_scope from the school associations, compliance.teacher_scope from both section
  links) are disabled for the load; the rows the load inserted or updated are kept (RETURNING into
  temporary tables, or known: every row of a student new to the district) and `finish` does the
  triggers' work on them in one statement per scope table. The result is the same rows the triggers
  would have written (tests/integration/test_edfi_mapping_first_load.py compares the two paths).
  A scope table that was empty is filled without its keys, which are made after; its foreign keys
  are checked again at the end in any case.

The tables whose keys are dropped stay locked until the import commits (a first load; the ordinary
path takes none of these locks beyond the audit triggers' suspension).
"""

from __future__ import annotations

import itertools
import logging
import re
import time

from sqlalchemy import Connection, text

from app.services.interchange import oneroster_load as L

log = logging.getLogger(__name__)

# The student tables a large package fills by the hundred thousand.
BULK_TABLES = ("edfi.student", "edfi.studentschoolassociation", "edfi.studenteducationorganizationassociation",
               "edfi.studenteducationorganizationassociationrace", "edfi.studentsectionassociation")
# ... which lose their primary keys and unique indexes too when the load at least doubles the students
# (edfi.student only its unique indexes: sixty tables point at its key, a serial only ever appended to).
KEYED_TABLES = BULK_TABLES
PRIMARY_KEPT = ("edfi.student",)
# ... and the other tables the load writes a row a section, staff member or contact to: their foreign
# keys too are checked once at the end (one join each instead of a look-up per row and key)
CHECKED_AT_END = ("edfi.section", "edfi.staffsectionassociation", "edfi.staff", "edfi.staffschoolassociation",
                  "edfi.staffeducationorganizationassignmentassociation", "edfi.contact",
                  "edfi.studentcontactassociation")

# scope-keeping triggers replaced by `finish` (their *_del siblings stay: the mapping deletes no such rows)
SCOPE_TRIGGERS = {
    "edfi.student": ("keep_keys_ins", "keep_keys_upd"),
    "edfi.studentschoolassociation": ("keep_scope_ins", "keep_scope_upd"),
    "edfi.studentsectionassociation": ("keep_teacher_scope_ins", "keep_teacher_scope_upd"),
    "edfi.staffsectionassociation": ("keep_teacher_scope_ins", "keep_teacher_scope_upd"),
}
SCOPE_TABLES = ("compliance.student_keys", "compliance.student_scope", "compliance.teacher_scope")
SECTION = "localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname"
# what the load keeps of the rows a statement on the table wrote (the triggers' transition tables)
CAPTURE = {
    "edfi.student": ("tmp_new_student_keys", "studentusi, studentuniqueid"),
    "edfi.studentschoolassociation": ("tmp_new_student_scope", "studentusi, schoolid"),
    "edfi.studentsectionassociation": ("tmp_new_student_sections", f"{SECTION}, studentusi"),
    "edfi.staffsectionassociation": ("tmp_new_staff_sections", f"{SECTION}, staffusi"),
}
# ... read whole by `finish` instead when the district had no students (all their rows are the load's)
WHOLE_WHEN_NEW = ("edfi.student", "edfi.studentschoolassociation")
# the two links of one section: hashed on the section's identifier alone (its other key columns, NOT NULL, compared
# as the join's filter: hashing and comparing five columns a row costs twice as much)
LINK = ("x.sectionidentifier = t.sectionidentifier AND (x.localcoursecode, x.schoolid, x.schoolyear, x.sessionname) "
        "IS NOT DISTINCT FROM (t.localcoursecode, t.schoolid, t.schoolyear, t.sessionname)")


class FirstLoad:
    """The bulk path's state: what was dropped (to be made again) and which scope tables were empty."""

    def __init__(self, conn: Connection, *, rebuild: bool, every_student_new: bool = False):
        self.conn = conn
        self.rebuild = rebuild
        self.every_student_new = every_student_new  # the district had no students: every section link is new
        self.keys: list[tuple[str, str, str]] = []  # (table, constraint or index name, DDL)
        self.indexes: list[str] = []
        self.fks: list[tuple[str, str, str]] = []
        self.empty: set[str] = set()
        self.keyless: set[str] = set()

    def start(self) -> None:
        c = self.conn
        # the indexes are built in memory; the loaded tables are sampled for the next statements' plans
        # (their sizes and keys' spread) with a tenth of the default sample (made full by autovacuum later)
        self.settings = c.execute(text("SELECT current_setting('maintenance_work_mem'), "
                                       "current_setting('default_statistics_target')")).one()
        c.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        c.execute(text("SET LOCAL default_statistics_target = 10"))
        for table, triggers in SCOPE_TRIGGERS.items():
            for trig in triggers:
                c.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trig}"))
        for table, (tmp, cols) in CAPTURE.items():
            c.execute(text(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {cols} FROM {table} LIMIT 0"))
        for table in BULK_TABLES + CHECKED_AT_END:
            self.fks += L.drop_foreign_keys(c, table)
            self.indexes += L.drop_secondary_indexes(c, table)
        for table in SCOPE_TABLES:
            self.fks += L.drop_foreign_keys(c, table)
            if not c.execute(text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar():
                self.empty.add(table)
                self.drop_keys(table)

    def captures(self, table: str) -> bool:
        """Whether the rows the load writes to `table` are kept for `finish` (in a district that had no
        students, every student and school link is the load's: `finish` reads the tables themselves)."""
        return table in CAPTURE and not (self.every_student_new and table in WHOLE_WHEN_NEW)

    def capture(self, table: str, stmt: str) -> str:
        """The statement, keeping the rows it inserted or updated for `finish`."""
        tmp, cols = CAPTURE[table]
        target = re.match(r"\s*UPDATE\s+\S+\s+(\w+)", stmt)  # an UPDATE's FROM list may name the same columns
        if target:
            cols = ", ".join(f"{target.group(1)}.{col}" for col in cols.split(", "))
        return f"WITH w AS ({stmt}\nRETURNING {cols})\nINSERT INTO {tmp} SELECT * FROM w"

    def _written(self, table: str) -> str:
        return table if not self.captures(table) else CAPTURE[table][0]

    def drop_keys(self, table: str) -> None:
        """Drop the table's primary key, unique constraints and indexes (and the foreign keys that
        point at them); `finish` makes them again."""
        if table in self.keyless:
            return
        self.keyless.add(table)
        c = self.conn
        if table not in PRIMARY_KEPT:
            self.fks += drop_inbound_foreign_keys(c, table)
        for name, ddl in [] if table in PRIMARY_KEPT else c.execute(text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
                "AND contype IN ('p', 'u') ORDER BY contype, conname"), {"t": table}).all():
            c.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
            self.keys.append((table, name, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}'))
        for name, ddl in c.execute(text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)"),
                {"t": table}).all():
            c.execute(text(f"DROP INDEX {name}"))
            self.keys.append((table, name, ddl))

    def finish(self, *, new_students: str) -> dict[str, int]:
        """The scope tables' rows for what the load wrote, then every key, index and foreign key made
        again and the triggers enabled. `new_students` selects the studentusi of the students new to
        the district (every section row of theirs was written by this load)."""
        c = self.conn
        counts = {}
        new_links = "" if self.every_student_new else f"""
 WHERE x.studentusi IN ({new_students})
    OR ({', '.join(f'x.{col}' for col in CAPTURE['edfi.studentsectionassociation'][1].split(', '))})
       IN (SELECT * FROM tmp_new_student_sections)
    OR ({', '.join(f't.{col}' for col in CAPTURE['edfi.staffsectionassociation'][1].split(', '))})
       IN (SELECT * FROM tmp_new_staff_sections)"""
        for table, sql in (
                ("compliance.student_keys", "INSERT INTO compliance.student_keys (sourced_id, studentusi) "
                 f"SELECT md5('STU-' || studentuniqueid), studentusi FROM {self._written('edfi.student')}"),
                ("compliance.student_scope", "INSERT INTO compliance.student_scope (studentusi, schoolid) "
                 f"SELECT DISTINCT studentusi, schoolid FROM {self._written('edfi.studentschoolassociation')}"),
                ("compliance.teacher_scope", f"""
INSERT INTO compliance.teacher_scope (staffusi, studentusi)
SELECT DISTINCT t.staffusi, x.studentusi
  FROM edfi.studentsectionassociation x JOIN edfi.staffsectionassociation t ON {LINK}
{new_links}""")):
            if table not in self.empty:
                sql += (" ON CONFLICT (sourced_id) DO UPDATE SET studentusi = EXCLUDED.studentusi"
                        if table == "compliance.student_keys" else " ON CONFLICT DO NOTHING")
            started = time.perf_counter()
            counts[table] = c.execute(text(sql)).rowcount
            log.debug("%s: %d rows in %.2f s", table, counts[table], time.perf_counter() - started)
        for _, _, ddl in self.keys:  # keys first: the foreign keys point at them
            _timed(c, ddl)
        for ddl in self.indexes:
            _timed(c, ddl)
        for child, fks in itertools.groupby(sorted(self.fks), key=lambda fk: fk[0]):
            # each checked again with one join; one statement a table (one catalog update and relcache rebuild)
            _timed(c, f"ALTER TABLE {child} " + ", ".join(f'ADD CONSTRAINT "{name}" {ddl}' for _, name, ddl in fks))
        for table, triggers in SCOPE_TRIGGERS.items():
            for trig in triggers:
                c.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trig}"))
        c.execute(text("SELECT set_config('maintenance_work_mem', :m, true), "
                       "set_config('default_statistics_target', :s, true)"), {"m": self.settings[0], "s": self.settings[1]})
        return counts


def drop_inbound_foreign_keys(conn: Connection, table: str) -> list[tuple[str, str, str]]:
    fks = conn.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE confrelid = CAST(:t AS regclass) AND contype = 'f' AND conrelid <> confrelid"), {"t": table}).all()
    for child, name, _ in fks:
        conn.execute(text(f'ALTER TABLE {child} DROP CONSTRAINT "{name}"'))
    return [tuple(f) for f in fks]


def _timed(conn: Connection, ddl: str) -> None:
    started = time.perf_counter()
    conn.execute(text(ddl))
    log.debug("%s in %.2f s", ddl[:90], time.perf_counter() - started)
