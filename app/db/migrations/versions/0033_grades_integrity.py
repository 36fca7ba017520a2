"""Grades integrity in the database (review of #14, items 4 and 5)

- Reopening a posted grading period keeps the correction rule: `grades.posting_window.reopened_at`
  is set by a trigger (never by the caller) when a posted window is opened again. While it is open,
  a change to a grade created before the reopening (a posted grade) still needs a reason and writes
  a `grades.grade_correction` row; grades first entered after the reopening are ordinary entries.
  A grade's `createdate` cannot be moved by an update (it decides which grades were posted).
- The FERPA release log and the issued-document registry:
  - app roles may no longer write `issued_by`, `issued_at` (issued_document) or `released_by`
    (transcript_release): column privileges, so the defaults (session_user, now()) always apply;
  - a release may only cite a document issued for the same student (trigger, for every role).
  The release date stays the registrar's (the day of the disclosure, which may be logged later).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03
"""
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

APP_ROLES = "so_registrar, so_admin"

UPGRADE = r"""
ALTER TABLE grades.posting_window ADD COLUMN reopened_at TIMESTAMP WITH TIME ZONE;
COMMENT ON COLUMN grades.posting_window.reopened_at IS
    'Last time the posted period was opened again: grades created before it are posted grades';

CREATE OR REPLACE FUNCTION grades.keep_reopened_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.reopened_at := NULL;
        RETURN NEW;
    END IF;
    NEW.reopened_at := OLD.reopened_at;
    IF (OLD.closed_at IS NOT NULL OR OLD.closes_at <= now())
       AND NEW.closed_at IS NULL AND (NEW.closes_at IS NULL OR NEW.closes_at > now()) THEN
        NEW.reopened_at := now();
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION grades.keep_reopened_at() FROM PUBLIC;
CREATE TRIGGER keep_reopened_at BEFORE INSERT OR UPDATE ON grades.posting_window
    FOR EACH ROW EXECUTE FUNCTION grades.keep_reopened_at();

-- Is this grade a posted one: its period is posted now, or was posted and reopened after the grade was created?
CREATE OR REPLACE FUNCTION grades.grade_posted(p_gpd integer, p_gpname text, p_school bigint, p_year smallint,
                                               p_created timestamp)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT grades.period_posted(p_gpd, p_gpname, p_school, p_year)
        OR EXISTS (SELECT 1 FROM grades.posting_window w
                    WHERE w.gradingperioddescriptorid = p_gpd AND w.gradingperiodname = p_gpname
                      AND w.schoolid = p_school AND w.schoolyear = p_year
                      AND w.reopened_at IS NOT NULL AND p_created < (w.reopened_at AT TIME ZONE 'utc'))
$$;
REVOKE ALL ON FUNCTION grades.grade_posted(integer, text, bigint, smallint, timestamp) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION grades.grade_posted(integer, text, bigint, smallint, timestamp)
    TO so_teacher, so_registrar, so_front_office, so_admin;

CREATE OR REPLACE FUNCTION grades.guard_posted_grade() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    reason text := nullif(btrim(current_setting('school_office.correction_reason', true)), '');
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.createdate := OLD.createdate;  -- when a grade was entered decides whether it was posted
    END IF;
    IF TG_OP = 'DELETE' THEN
        r := OLD;
    ELSE
        r := NEW;
    END IF;
    IF NOT grades.grade_posted(r.gradingperioddescriptorid, r.gradingperiodname, r.schoolid,
                               r.gradingperiodschoolyear, r.createdate)
       AND (TG_OP <> 'UPDATE' OR NOT grades.grade_posted(OLD.gradingperioddescriptorid, OLD.gradingperiodname,
                                                           OLD.schoolid, OLD.gradingperiodschoolyear, OLD.createdate)) THEN
        RETURN r;
    END IF;
    -- INSERT ... ON CONFLICT DO UPDATE fires this before the conflict is found: the UPDATE logs it.
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM edfi.grade g WHERE g.begindate = NEW.begindate
           AND g.gradetypedescriptorid = NEW.gradetypedescriptorid
           AND g.gradingperioddescriptorid = NEW.gradingperioddescriptorid
           AND g.gradingperiodname = NEW.gradingperiodname AND g.gradingperiodschoolyear = NEW.gradingperiodschoolyear
           AND g.localcoursecode = NEW.localcoursecode AND g.schoolid = NEW.schoolid AND g.schoolyear = NEW.schoolyear
           AND g.sectionidentifier = NEW.sectionidentifier AND g.sessionname = NEW.sessionname
           AND g.studentusi = NEW.studentusi) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.lettergradeearned IS NOT DISTINCT FROM NEW.lettergradeearned
       AND OLD.numericgradeearned IS NOT DISTINCT FROM NEW.numericgradeearned THEN
        RETURN NEW;  -- a comment or "as of" date, not the mark
    END IF;
    IF reason IS NULL THEN
        RAISE EXCEPTION 'This grading period is posted: a change to its grades is a correction and needs a reason.'
            USING ERRCODE = 'P0001', HINT = 'grade_correction_needs_reason';
    END IF;
    INSERT INTO grades.grade_correction (studentusi, schoolid, sectionidentifier, localcoursecode, schoolyear,
                                         sessionname, gradingperiodname, gradetypedescriptorid, old_letter, old_numeric,
                                         new_letter, new_numeric, reason, corrected_by)
    VALUES (r.studentusi, r.schoolid, r.sectionidentifier, r.localcoursecode, r.schoolyear, r.sessionname,
            r.gradingperiodname, r.gradetypedescriptorid,
            CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.lettergradeearned END,
            CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.numericgradeearned END,
            CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.lettergradeearned END,
            CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.numericgradeearned END,
            reason, session_user);
    RETURN r;
END;
$$;

-- The registry and the release log: who and when are the database's, not the caller's.
REVOKE INSERT ON grades.issued_document, grades.transcript_release FROM {roles};
GRANT INSERT (document_number, studentusi, schoolid, kind, official, sha256, pages)
    ON grades.issued_document TO {roles};
GRANT INSERT (release_id, studentusi, document_number, requested_by, recipient, legal_basis, released_on)
    ON grades.transcript_release TO {roles};

CREATE OR REPLACE FUNCTION grades.check_release() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    doc record;
BEGIN
    SELECT d.studentusi INTO doc FROM grades.issued_document d
     WHERE d.document_number = NEW.document_number;
    IF NOT FOUND OR doc.studentusi <> NEW.studentusi THEN
        RAISE EXCEPTION 'Document % was not issued for this student; a release cites a document issued for the same student.',
            NEW.document_number USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION grades.check_release() FROM PUBLIC;
CREATE TRIGGER check_release BEFORE INSERT OR UPDATE ON grades.transcript_release
    FOR EACH ROW EXECUTE FUNCTION grades.check_release();
""".replace("{roles}", APP_ROLES)


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(f"""
        DROP TRIGGER IF EXISTS check_release ON grades.transcript_release;
        DROP FUNCTION IF EXISTS grades.check_release();
        REVOKE INSERT ON grades.issued_document, grades.transcript_release FROM {APP_ROLES};
        GRANT INSERT ON grades.issued_document, grades.transcript_release TO {APP_ROLES};
        DROP TRIGGER IF EXISTS keep_reopened_at ON grades.posting_window;
        DROP FUNCTION IF EXISTS grades.keep_reopened_at();
        ALTER TABLE grades.posting_window DROP COLUMN reopened_at;
    """)
    # guard_posted_grade keeps its 0033 body: grade_posted falls back to the 0019 rule (period_posted alone)
    op.execute("""
        CREATE OR REPLACE FUNCTION grades.grade_posted(p_gpd integer, p_gpname text, p_school bigint,
                                                       p_year smallint, p_created timestamp)
        RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            SELECT grades.period_posted(p_gpd, p_gpname, p_school, p_year)
        $$;
    """)
