"""Rider photos for the driver packet (issue 13): the photo a student's record points to
(edfi.student.metadata ->> 'photoUrl'), for the students the caller's row-level security shows,
through one narrow function; the bus desk still cannot read the rest of the record's metadata.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

UPGRADE_SQL = r"""
CREATE OR REPLACE FUNCTION transportation.rider_photos(p_students integer[])
RETURNS TABLE (student_usi integer, photo_url text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT (pg_catalog.pg_has_role(session_user, 'so_transportation', 'MEMBER')
            OR pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'only transportation staff print rider photos' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY
    SELECT s.studentusi, (s.metadata ->> 'photoUrl')::text
      FROM edfi.student s
     WHERE s.studentusi = ANY (p_students) AND s.metadata ? 'photoUrl'
       AND (pg_catalog.pg_has_role(session_user, 'so_admin', 'MEMBER')
            OR EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = s.studentusi
                         AND sc.schoolid = ANY (compliance.my_school_ids())));
END;
$$;
REVOKE ALL ON FUNCTION transportation.rider_photos(integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION transportation.rider_photos(integer[]) TO so_transportation, so_admin;
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS transportation.rider_photos(integer[])")
