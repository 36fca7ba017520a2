"""Row-level security's school look-up by index; one implied foreign-key check less per daily status

- `compliance.my_school_ids()` runs for every policy that scopes by school (162 policies), once per
  policy and statement. It finds the signed-in staff member's assignments
  (`edfi.staffeducationorganizationassignmentassociation`) by `staffusi`, which is the last column of
  that table's key: with no index of its own every call read the whole table. At 5,159 assignments
  (a 100,000-student district has about 4,700 staff) a call took 543 us; with the index 41 us, as
  little as at 469 assignments. The function itself is unchanged (same result, same privileges).
- `edfi.studentschoolattendanceevent` checked two foreign keys for every daily status where one
  implies the other: the row's (schoolid, schoolyear, sessionname) must name a session, and every
  session's schoolid must name a school (fk_session_schoolid_school), so a daily status for a
  school that does not exist is refused by the session key already, and a school with sessions
  cannot be deleted. The separate schoolid -> school check is dropped: 35 checks less in a
  35-student roster save (tests/integration/test_attendance_integrity.py shows the bad rows are
  still refused).

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03
"""
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_staffedorgassignment_staffusi "
               "ON edfi.staffeducationorganizationassignmentassociation (staffusi)")
    op.execute("ALTER TABLE edfi.studentschoolattendanceevent "
               "DROP CONSTRAINT fk_studentschoolattendanceevent_schoolid_school")


def downgrade() -> None:
    op.execute("ALTER TABLE edfi.studentschoolattendanceevent ADD CONSTRAINT "
               "fk_studentschoolattendanceevent_schoolid_school FOREIGN KEY (schoolid) REFERENCES edfi.school (schoolid)")
    op.execute("DROP INDEX edfi.ix_staffedorgassignment_staffusi")
