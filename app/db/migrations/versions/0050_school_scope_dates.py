"""compliance.my_school_ids(): only the schools a login serves today (review of session 6)

The schools row-level security lets a staff login see (162 school-scoped policies and the privileged
functions that use it) came from rows that did not all hold today:
- An assignment (StaffEducationOrganizationAssignmentAssociation) that has not begun yet granted its
  school already: a nurse's transfer entered for next month opened the new school's health visits
  now. Now `begindate <= today` as well as `enddate` not passed.
- A staff-school association of any school year granted its school for good: a staff member who
  moved kept every earlier school's students as long as last year's rows stayed. Now an
  association counts for the district's current school year (the year of the latest term that has
  begun) or a later one: a row rolled over to next year before the year ends (one row per staff
  member, school and program) keeps today's access; one of an earlier year does not. A row with no
  school year is not tied to a year and counts.
- "Today" followed the caller's own TimeZone setting, which any login may change: an assignment
  ending on day D kept granting until D ended in the westernmost zone, one starting on D granted from
  D's start in the easternmost. The function now runs in the server's time zone as it was at
  migration time (SET TimeZone FROM CURRENT), like health.record_early_departure.
Tests: tests/integration/test_school_scope_lookup.py.

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-03
"""
from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None

UPGRADE_SQL = r"""
CREATE OR REPLACE FUNCTION compliance.my_school_ids() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET TimeZone FROM CURRENT AS $$
BEGIN
    -- plpgsql keeps this plan for the session: row-level security calls it once per statement.
    RETURN (
        WITH me AS (SELECT st.staffusi FROM edfi.staff st WHERE st.loginid = (session_user::text COLLATE "default")),
        this_year AS (SELECT coalesce(max(ses.schoolyear), 0) AS y FROM edfi.session ses
                       WHERE ses.begindate <= current_date)
        SELECT coalesce(array_agg(DISTINCT x.schoolid ORDER BY x.schoolid), '{}'::bigint[]) FROM (
            SELECT w.schoolid FROM edfi.staffschoolassociation w JOIN me ON me.staffusi = w.staffusi
             WHERE w.schoolyear IS NULL OR w.schoolyear >= (SELECT y FROM this_year)
            UNION
            SELECT s.schoolid FROM edfi.staffeducationorganizationassignmentassociation a
              JOIN me ON me.staffusi = a.staffusi
              JOIN edfi.school s ON s.schoolid = a.educationorganizationid
                                 OR s.localeducationagencyid = a.educationorganizationid
             WHERE a.begindate <= current_date AND (a.enddate IS NULL OR a.enddate >= current_date)
        ) x);
END;
$$;
"""

DOWNGRADE_SQL = r"""
CREATE OR REPLACE FUNCTION compliance.my_school_ids() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (
        WITH me AS (SELECT st.staffusi FROM edfi.staff st WHERE st.loginid = (session_user::text COLLATE "default"))
        SELECT coalesce(array_agg(DISTINCT x.schoolid ORDER BY x.schoolid), '{}'::bigint[]) FROM (
            SELECT w.schoolid FROM edfi.staffschoolassociation w JOIN me ON me.staffusi = w.staffusi
            UNION
            SELECT s.schoolid FROM edfi.staffeducationorganizationassignmentassociation a
              JOIN me ON me.staffusi = a.staffusi
              JOIN edfi.school s ON s.schoolid = a.educationorganizationid
                                 OR s.localeducationagencyid = a.educationorganizationid
             WHERE a.enddate IS NULL OR a.enddate >= current_date
        ) x);
END;
$$;
ALTER FUNCTION compliance.my_school_ids() RESET TimeZone;
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
