"""Grades, report cards and transcripts: scales, GPA policy, posting windows, corrections, issued documents

Ed-Fi 5.2 tables the core schema lacked (same keys as the ODS): StudentAcademicRecordClassRanking,
CourseLevelCharacteristic, GradeLearningStandardGrade. School Office's own tables in the new
`grades` schema (see app/db/models/grades.py).

The boundary:
- Teachers read and write grades (and per-standard grades) only for sections they teach, and
  write only while the office has the grading period's posting window open.
- A grade of a posted grading period (its window closed or past its deadline) changes only as a
  correction with a reason (set_config('school_office.correction_reason', ...)); the trigger
  refuses it otherwise and writes old mark, new mark, reason and who to grades.grade_correction,
  which no application role can write directly.
- Transcripts, academic records, issued documents and the FERPA release log: registrar and
  administrator, by school. The front office reads grades and report cards of its schools to print
  report cards.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SCHOOL = "so_front_office, so_dean, so_nurse, so_cashier, so_librarian, so_transportation, so_registrar"
MINE = "((SELECT compliance.my_school_ids())::bigint[])"
SCOPED = ("EXISTS (SELECT 1 FROM compliance.student_scope sc WHERE sc.studentusi = {t}.studentusi "
          "AND sc.schoolid = ANY ((SELECT compliance.my_school_ids())::bigint[]) OFFSET 0)")
TAUGHT = ("EXISTS (SELECT 1 FROM edfi.staffsectionassociation t WHERE t.staffusi = (SELECT compliance.my_staff_usi()) "
          "AND t.localcoursecode = {t}.localcoursecode AND t.schoolid = {t}.schoolid AND t.schoolyear = {t}.schoolyear "
          "AND t.sectionidentifier = {t}.sectionidentifier AND t.sessionname = {t}.sessionname)")
WINDOW_OPEN = "grades.window_open({t}.gradingperioddescriptorid, {t}.gradingperiodname, {t}.schoolid, {t}.gradingperiodschoolyear)"

DDL = r"""
CREATE SCHEMA IF NOT EXISTS grades;
CREATE TABLE edfi.studentacademicrecordclassranking (
	educationorganizationid BIGINT NOT NULL, 
	schoolyear SMALLINT NOT NULL, 
	studentusi INTEGER NOT NULL, 
	termdescriptorid INTEGER NOT NULL, 
	classrank INTEGER NOT NULL, 
	classrankingdate DATE, 
	percentageranking INTEGER, 
	totalnumberinclass INTEGER NOT NULL, 
	createdate TIMESTAMP WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL, 
	CONSTRAINT pk_studentacademicrecordclassranking PRIMARY KEY (educationorganizationid, schoolyear, studentusi, termdescriptorid), 
	CONSTRAINT fk_studentacademicrecordclassranking_educationorganizat_2ffd FOREIGN KEY(educationorganizationid, schoolyear, studentusi, termdescriptorid) REFERENCES edfi.studentacademicrecord (educationorganizationid, schoolyear, studentusi, termdescriptorid) ON DELETE CASCADE
);
COMMENT ON COLUMN edfi.studentacademicrecordclassranking.classrank IS 'Rank in class; tied students share a rank';
COMMENT ON COLUMN edfi.studentacademicrecordclassranking.classrankingdate IS 'When the rank was computed';
COMMENT ON COLUMN edfi.studentacademicrecordclassranking.percentageranking IS 'Share of the class at or below the student';
COMMENT ON COLUMN edfi.studentacademicrecordclassranking.totalnumberinclass IS 'Students ranked';
COMMENT ON TABLE edfi.studentacademicrecordclassranking IS 'Class rank of a student academic record (Ed-Fi 5.2 StudentAcademicRecordClassRanking)';
CREATE TABLE edfi.courselevelcharacteristic (
	coursecode VARCHAR(60) NOT NULL, 
	educationorganizationid BIGINT NOT NULL, 
	courselevelcharacteristicdescriptorid INTEGER NOT NULL, 
	createdate TIMESTAMP WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL, 
	CONSTRAINT pk_courselevelcharacteristic PRIMARY KEY (coursecode, courselevelcharacteristicdescriptorid, educationorganizationid), 
	CONSTRAINT fk_courselevelcharacteristic_coursecode_educationorgani_3771 FOREIGN KEY(coursecode, educationorganizationid) REFERENCES edfi.course (coursecode, educationorganizationid) ON DELETE CASCADE, 
	CONSTRAINT fk_courselevelcharacteristic_courselevelcharacteristicd_374c FOREIGN KEY(courselevelcharacteristicdescriptorid) REFERENCES edfi.courselevelcharacteristicdescriptor (courselevelcharacteristicdescriptorid)
);
COMMENT ON TABLE edfi.courselevelcharacteristic IS 'Levels of a course: honors, AP, IB, dual credit (Ed-Fi 5.2)';
CREATE TABLE edfi.gradelearningstandardgrade (
	begindate DATE NOT NULL, 
	gradetypedescriptorid INTEGER NOT NULL, 
	gradingperioddescriptorid INTEGER NOT NULL, 
	gradingperiodname VARCHAR(60) NOT NULL, 
	gradingperiodschoolyear SMALLINT NOT NULL, 
	localcoursecode VARCHAR(60) NOT NULL, 
	schoolid BIGINT NOT NULL, 
	schoolyear SMALLINT NOT NULL, 
	sectionidentifier VARCHAR(255) NOT NULL, 
	sessionname VARCHAR(60) NOT NULL, 
	studentusi INTEGER NOT NULL, 
	learningstandardid VARCHAR(60) NOT NULL, 
	diagnosticstatement VARCHAR(1024), 
	lettergradeearned VARCHAR(20), 
	numericgradeearned NUMERIC(9, 2), 
	performancebaseconversiondescriptorid INTEGER, 
	createdate TIMESTAMP WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL, 
	CONSTRAINT pk_gradelearningstandardgrade PRIMARY KEY (begindate, gradetypedescriptorid, gradingperioddescriptorid, gradingperiodname, gradingperiodschoolyear, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi, learningstandardid), 
	CONSTRAINT fk_gradelearningstandardgrade_begindate_gradetypedescri_f8ac FOREIGN KEY(begindate, gradetypedescriptorid, gradingperioddescriptorid, gradingperiodname, gradingperiodschoolyear, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi) REFERENCES edfi.grade (begindate, gradetypedescriptorid, gradingperioddescriptorid, gradingperiodname, gradingperiodschoolyear, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi) ON DELETE CASCADE, 
	CONSTRAINT fk_gradelearningstandardgrade_learningstandardid_learni_15f8 FOREIGN KEY(learningstandardid) REFERENCES edfi.learningstandard (learningstandardid), 
	CONSTRAINT fk_gradelearningstandardgrade_performancebaseconversion_7d8e FOREIGN KEY(performancebaseconversiondescriptorid) REFERENCES edfi.performancebaseconversiondescriptor (performancebaseconversiondescriptorid)
);
COMMENT ON COLUMN edfi.gradelearningstandardgrade.lettergradeearned IS '4, 3, 2, 1 or NA (work habits: E, S, N, U)';
COMMENT ON TABLE edfi.gradelearningstandardgrade IS 'A grade''s mark on one learning standard (Ed-Fi 5.2 GradeLearningStandardGrade)';
CREATE TABLE grades.grading_scale (
	scale_id SERIAL NOT NULL, 
	schoolid BIGINT, 
	name VARCHAR(60) NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	max_points NUMERIC(5, 2) DEFAULT 4 NOT NULL, 
	CONSTRAINT pk_grading_scale PRIMARY KEY (scale_id), 
	CONSTRAINT fk_grading_scale_schoolid_school FOREIGN KEY(schoolid) REFERENCES edfi.school (schoolid), 
	CONSTRAINT uq_grading_scale_schoolid_name UNIQUE (schoolid, name), 
	CONSTRAINT ck_grading_scale_kind CHECK (kind IN ('letter', 'standards', 'work_habits'))
);
COMMENT ON COLUMN grades.grading_scale.schoolid IS 'The school using it; NULL: the district''s';
COMMENT ON TABLE grades.grading_scale IS 'A grading scale: letter (with points), standards (4-1, NA) or work habits';
CREATE TABLE grades.grading_scale_band (
	scale_id INTEGER NOT NULL, 
	symbol VARCHAR(8) NOT NULL, 
	sort_order INTEGER NOT NULL, 
	min_score NUMERIC(6, 2), 
	max_score NUMERIC(6, 2), 
	points NUMERIC(5, 3), 
	passing BOOLEAN DEFAULT true NOT NULL, 
	description VARCHAR(100), 
	CONSTRAINT pk_grading_scale_band PRIMARY KEY (scale_id, symbol), 
	CONSTRAINT fk_grading_scale_band_scale_id_grading_scale FOREIGN KEY(scale_id) REFERENCES grades.grading_scale (scale_id) ON DELETE CASCADE
);
COMMENT ON COLUMN grades.grading_scale_band.points IS 'NULL: the mark earns no GPA points (P, I, NA)';
COMMENT ON TABLE grades.grading_scale_band IS 'One mark of a scale: its score range and its points (unweighted)';
CREATE TABLE grades.gpa_policy (
	schoolid BIGINT NOT NULL, 
	scale_id INTEGER NOT NULL, 
	standards_scale_id INTEGER, 
	work_habits_scale_id INTEGER, 
	weighting VARCHAR(16) DEFAULT 'additive' NOT NULL, 
	min_points_for_bonus NUMERIC(5, 3) DEFAULT 2 NOT NULL, 
	ranks BOOLEAN DEFAULT true NOT NULL, 
	CONSTRAINT pk_gpa_policy PRIMARY KEY (schoolid), 
	CONSTRAINT fk_gpa_policy_schoolid_school FOREIGN KEY(schoolid) REFERENCES edfi.school (schoolid), 
	CONSTRAINT fk_gpa_policy_scale_id_grading_scale FOREIGN KEY(scale_id) REFERENCES grades.grading_scale (scale_id), 
	CONSTRAINT fk_gpa_policy_standards_scale_id_grading_scale FOREIGN KEY(standards_scale_id) REFERENCES grades.grading_scale (scale_id), 
	CONSTRAINT fk_gpa_policy_work_habits_scale_id_grading_scale FOREIGN KEY(work_habits_scale_id) REFERENCES grades.grading_scale (scale_id), 
	CONSTRAINT ck_gpa_policy_weighting CHECK (weighting IN ('additive', 'multiplicative'))
);
COMMENT ON COLUMN grades.gpa_policy.scale_id IS 'Base (letter) scale';
COMMENT ON COLUMN grades.gpa_policy.standards_scale_id IS 'Elementary standards-based scale; no GPA';
COMMENT ON COLUMN grades.gpa_policy.min_points_for_bonus IS 'Unweighted points a grade needs to earn the course-level weight';
COMMENT ON COLUMN grades.gpa_policy.ranks IS 'Whether the school ranks its classes';
COMMENT ON TABLE grades.gpa_policy IS 'A school''s GPA policy: base scale, weighting of course levels, ranking';
CREATE TABLE grades.gpa_level_weight (
	schoolid BIGINT NOT NULL, 
	courselevelcharacteristicdescriptorid INTEGER NOT NULL, 
	weight NUMERIC(5, 3) NOT NULL, 
	CONSTRAINT pk_gpa_level_weight PRIMARY KEY (schoolid, courselevelcharacteristicdescriptorid), 
	CONSTRAINT fk_gpa_level_weight_schoolid_gpa_policy FOREIGN KEY(schoolid) REFERENCES grades.gpa_policy (schoolid) ON DELETE CASCADE, 
	CONSTRAINT fk_gpa_level_weight_courselevelcharacteristicdescriptor_2231 FOREIGN KEY(courselevelcharacteristicdescriptorid) REFERENCES edfi.courselevelcharacteristicdescriptor (courselevelcharacteristicdescriptorid)
);
COMMENT ON TABLE grades.gpa_level_weight IS 'Bonus points (additive) or factor (multiplicative) per course level';
CREATE TABLE grades.comment_code (
	schoolid BIGINT NOT NULL, 
	code VARCHAR(8) NOT NULL, 
	comment_text VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_comment_code PRIMARY KEY (schoolid, code), 
	CONSTRAINT fk_comment_code_schoolid_school FOREIGN KEY(schoolid) REFERENCES edfi.school (schoolid)
);
COMMENT ON TABLE grades.comment_code IS 'Report card comment codes of a school';
CREATE TABLE grades.posting_window (
	gradingperioddescriptorid INTEGER NOT NULL, 
	gradingperiodname VARCHAR(60) NOT NULL, 
	schoolid BIGINT NOT NULL, 
	schoolyear SMALLINT NOT NULL, 
	opened_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
	closes_at TIMESTAMP WITH TIME ZONE, 
	closed_at TIMESTAMP WITH TIME ZONE, 
	opened_by VARCHAR(63) DEFAULT session_user NOT NULL, 
	closed_by VARCHAR(63), 
	CONSTRAINT pk_posting_window PRIMARY KEY (gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear), 
	CONSTRAINT fk_posting_window_gradingperioddescriptorid_gradingperi_13d6 FOREIGN KEY(gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear) REFERENCES edfi.gradingperiod (gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear)
);
COMMENT ON COLUMN grades.posting_window.closes_at IS 'Deadline; NULL: until closed';
COMMENT ON COLUMN grades.posting_window.closed_at IS 'Closed (posted) by the office';
COMMENT ON TABLE grades.posting_window IS 'When teachers may post grades for a grading period (opened and closed by the office)';
CREATE TABLE grades.reported_standard (
	schoolid BIGINT NOT NULL, 
	gradeleveldescriptorid INTEGER NOT NULL, 
	learningstandardid VARCHAR(60) NOT NULL, 
	area VARCHAR(40) NOT NULL, 
	scale_id INTEGER NOT NULL, 
	sort_order INTEGER NOT NULL, 
	CONSTRAINT pk_reported_standard PRIMARY KEY (schoolid, gradeleveldescriptorid, learningstandardid), 
	CONSTRAINT fk_reported_standard_schoolid_school FOREIGN KEY(schoolid) REFERENCES edfi.school (schoolid), 
	CONSTRAINT fk_reported_standard_gradeleveldescriptorid_gradeleveld_37ba FOREIGN KEY(gradeleveldescriptorid) REFERENCES edfi.gradeleveldescriptor (gradeleveldescriptorid), 
	CONSTRAINT fk_reported_standard_learningstandardid_learningstandard FOREIGN KEY(learningstandardid) REFERENCES edfi.learningstandard (learningstandardid), 
	CONSTRAINT fk_reported_standard_scale_id_grading_scale FOREIGN KEY(scale_id) REFERENCES grades.grading_scale (scale_id)
);
COMMENT ON COLUMN grades.reported_standard.area IS 'Reading, Mathematics, ... or Work habits';
COMMENT ON TABLE grades.reported_standard IS 'Standards (and work habits) a grade level''s standards-based report card shows';
CREATE TABLE grades.grade_correction (
	correction_id BIGSERIAL NOT NULL, 
	studentusi INTEGER NOT NULL, 
	schoolid BIGINT NOT NULL, 
	sectionidentifier VARCHAR(255) NOT NULL, 
	localcoursecode VARCHAR(60) NOT NULL, 
	schoolyear SMALLINT NOT NULL, 
	sessionname VARCHAR(60) NOT NULL, 
	gradingperiodname VARCHAR(60) NOT NULL, 
	gradetypedescriptorid INTEGER NOT NULL, 
	old_letter VARCHAR(20), 
	old_numeric NUMERIC(9, 2), 
	new_letter VARCHAR(20), 
	new_numeric NUMERIC(9, 2), 
	reason VARCHAR(500) NOT NULL, 
	corrected_by VARCHAR(63) DEFAULT session_user NOT NULL, 
	corrected_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
	CONSTRAINT pk_grade_correction PRIMARY KEY (correction_id), 
	CONSTRAINT fk_grade_correction_studentusi_student FOREIGN KEY(studentusi) REFERENCES edfi.student (studentusi), 
	CONSTRAINT ck_grade_correction_reason CHECK (length(btrim(reason)) > 0)
);
CREATE INDEX ix_grade_correction_studentusi ON grades.grade_correction (studentusi);
COMMENT ON TABLE grades.grade_correction IS 'A change to a posted grade: old and new mark and the reason (audited)';
CREATE TABLE grades.issued_document (
	document_number VARCHAR(24) NOT NULL, 
	studentusi INTEGER NOT NULL, 
	schoolid BIGINT NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	official BOOLEAN NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	pages INTEGER NOT NULL, 
	issued_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
	issued_by VARCHAR(63) DEFAULT session_user NOT NULL, 
	CONSTRAINT pk_issued_document PRIMARY KEY (document_number), 
	CONSTRAINT fk_issued_document_studentusi_student FOREIGN KEY(studentusi) REFERENCES edfi.student (studentusi), 
	CONSTRAINT fk_issued_document_schoolid_school FOREIGN KEY(schoolid) REFERENCES edfi.school (schoolid), 
	CONSTRAINT ck_issued_document_kind CHECK (kind IN ('transcript', 'report_card')), 
	CONSTRAINT ck_issued_document_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
CREATE INDEX ix_issued_document_studentusi ON grades.issued_document (studentusi);
COMMENT ON TABLE grades.issued_document IS 'Every transcript and report card issued: document number and SHA-256 of the file';
CREATE TABLE grades.transcript_release (
	release_id BIGSERIAL NOT NULL, 
	studentusi INTEGER NOT NULL, 
	document_number VARCHAR(24) NOT NULL, 
	requested_by VARCHAR(120) NOT NULL, 
	recipient VARCHAR(200) NOT NULL, 
	legal_basis VARCHAR(60) NOT NULL, 
	released_on DATE DEFAULT CURRENT_DATE NOT NULL, 
	released_by VARCHAR(63) DEFAULT session_user NOT NULL, 
	CONSTRAINT pk_transcript_release PRIMARY KEY (release_id), 
	CONSTRAINT fk_transcript_release_studentusi_student FOREIGN KEY(studentusi) REFERENCES edfi.student (studentusi), 
	CONSTRAINT fk_transcript_release_document_number_issued_document FOREIGN KEY(document_number) REFERENCES grades.issued_document (document_number), 
	CONSTRAINT ck_transcript_release_legal_basis CHECK (legal_basis IN ('Written consent', 'School of intended enrollment', 'Eligible student', 'Parent of dependent student', 'Subpoena or court order', 'Financial aid', 'Accrediting organization', 'Health or safety emergency', 'School official'))
);
CREATE INDEX ix_transcript_release_studentusi ON grades.transcript_release (studentusi);
COMMENT ON COLUMN grades.transcript_release.requested_by IS 'Who asked';
COMMENT ON TABLE grades.transcript_release IS 'FERPA 34 CFR 99.32 record of each disclosure of a transcript';
"""

FUNCTIONS = r"""
-- Is the grading period's posting window open now? (A period without a window is not open.)
CREATE OR REPLACE FUNCTION grades.window_open(p_gpd integer, p_gpname text, p_school bigint, p_year smallint)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM grades.posting_window w
                    WHERE w.gradingperioddescriptorid = p_gpd AND w.gradingperiodname = p_gpname
                      AND w.schoolid = p_school AND w.schoolyear = p_year
                      AND w.closed_at IS NULL AND (w.closes_at IS NULL OR w.closes_at > now()))
$$;
-- Has the grading period been posted (its window closed, or past its deadline)?
CREATE OR REPLACE FUNCTION grades.period_posted(p_gpd integer, p_gpname text, p_school bigint, p_year smallint)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM grades.posting_window w
                    WHERE w.gradingperioddescriptorid = p_gpd AND w.gradingperiodname = p_gpname
                      AND w.schoolid = p_school AND w.schoolyear = p_year
                      AND (w.closed_at IS NOT NULL OR w.closes_at <= now()))
$$;
REVOKE ALL ON FUNCTION grades.window_open(integer, text, bigint, smallint) FROM PUBLIC;
REVOKE ALL ON FUNCTION grades.period_posted(integer, text, bigint, smallint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION grades.window_open(integer, text, bigint, smallint)
    TO so_teacher, so_registrar, so_front_office, so_admin;
GRANT EXECUTE ON FUNCTION grades.period_posted(integer, text, bigint, smallint)
    TO so_teacher, so_registrar, so_front_office, so_admin;

-- A change to a grade of a posted period is a correction: it needs a reason and is logged.
CREATE OR REPLACE FUNCTION grades.guard_posted_grade() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    reason text := nullif(btrim(current_setting('school_office.correction_reason', true)), '');
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD;
    ELSE
        r := NEW;
    END IF;
    IF NOT grades.period_posted(r.gradingperioddescriptorid, r.gradingperiodname, r.schoolid,
                                r.gradingperiodschoolyear)
       AND (TG_OP <> 'UPDATE' OR NOT grades.period_posted(OLD.gradingperioddescriptorid, OLD.gradingperiodname,
                                                            OLD.schoolid, OLD.gradingperiodschoolyear)) THEN
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
                                         sessionname, gradingperiodname, gradetypedescriptorid, old_letter, old_numeric, new_letter, new_numeric,
                                         reason, corrected_by)
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
REVOKE ALL ON FUNCTION grades.guard_posted_grade() FROM PUBLIC;
CREATE TRIGGER guard_posted_grade BEFORE INSERT OR UPDATE OR DELETE ON edfi.grade
    FOR EACH ROW EXECUTE FUNCTION grades.guard_posted_grade();
"""


def _student_policies(table: str, school_roles: str, teacher: bool) -> str:
    t = table.split(".")[1]
    sql = (f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n"
           f"CREATE POLICY administrators ON {table} FOR ALL TO so_admin USING (true) WITH CHECK (true);\n")
    if school_roles:
        sql += (f"CREATE POLICY own_schools ON {table} FOR ALL TO {school_roles} USING ({SCOPED.format(t=t)}) "
                f"WITH CHECK ({SCOPED.format(t=t)});\n")
    if teacher:
        sql += (f"CREATE POLICY own_sections ON {table} FOR ALL TO so_teacher USING ({TAUGHT.format(t=t)}) "
                f"WITH CHECK ({TAUGHT.format(t=t)});\n")
    return sql + f"SELECT compliance.attach_audit('{table}'::regclass);\n"


def _teacher_section_rules(table: str) -> str:
    """Restrictive: a teacher's grades are those of sections they teach, written only in an open window."""
    t = table.split(".")[1]
    taught, window = TAUGHT.format(t=t), WINDOW_OPEN.format(t=t)
    return f"""
CREATE POLICY taught_sections_only ON {table} AS RESTRICTIVE FOR SELECT TO so_teacher USING ({taught});
CREATE POLICY open_window_ins ON {table} AS RESTRICTIVE FOR INSERT TO so_teacher WITH CHECK ({taught} AND {window});
CREATE POLICY open_window_upd ON {table} AS RESTRICTIVE FOR UPDATE TO so_teacher
    USING ({taught} AND {window}) WITH CHECK ({taught} AND {window});
CREATE POLICY open_window_del ON {table} AS RESTRICTIVE FOR DELETE TO so_teacher USING ({taught} AND {window});
"""


def security_sql() -> str:
    office = "so_registrar, so_front_office"
    sql = FUNCTIONS
    # Ed-Fi additions
    sql += _student_policies("edfi.studentacademicrecordclassranking", "so_registrar", False)
    sql += "GRANT SELECT, INSERT, UPDATE, DELETE ON edfi.studentacademicrecordclassranking TO so_registrar, so_admin;\n"
    sql += _student_policies("edfi.gradelearningstandardgrade", office, True)
    sql += _teacher_section_rules("edfi.gradelearningstandardgrade")
    sql += _teacher_section_rules("edfi.grade")
    sql += ("GRANT SELECT, INSERT, UPDATE, DELETE ON edfi.gradelearningstandardgrade TO so_teacher, so_registrar, so_admin;\n"
            "GRANT SELECT ON edfi.gradelearningstandardgrade TO so_front_office;\n")
    # The front office prints report cards: it reads its schools' grades and report cards.
    sql += ("GRANT SELECT ON edfi.grade, edfi.reportcard, edfi.reportcardgrade, edfi.reportcardgradepointaverage "
            "TO so_front_office;\n"
            "REVOKE INSERT, UPDATE, DELETE ON edfi.grade FROM so_front_office;\n")
    sql += ("GRANT SELECT ON edfi.courselevelcharacteristic TO so_teacher, so_registrar, so_front_office, so_admin;\n"
            "GRANT INSERT, UPDATE, DELETE ON edfi.courselevelcharacteristic TO so_registrar, so_admin;\n"
            "GRANT SELECT ON edfi.learningstandard TO so_teacher, so_front_office;\n")
    # Reference tables of the grades schema: everyone on the Reports desk reads them; the office writes.
    sql += ("GRANT USAGE ON SCHEMA grades TO so_teacher, so_registrar, so_front_office, so_admin;\n"
            "GRANT SELECT ON grades.grading_scale, grades.grading_scale_band, grades.gpa_policy, "
            "grades.gpa_level_weight, grades.comment_code, grades.posting_window, grades.reported_standard "
            "TO so_teacher, so_registrar, so_front_office, so_admin;\n"
            "GRANT INSERT, UPDATE, DELETE ON grades.grading_scale, grades.grading_scale_band, grades.gpa_policy, "
            "grades.gpa_level_weight, grades.comment_code, grades.reported_standard TO so_admin;\n"
            "GRANT INSERT, UPDATE ON grades.posting_window TO so_registrar, so_admin;\n"
            "GRANT USAGE ON SEQUENCE grades.grading_scale_scale_id_seq TO so_admin;\n")
    # A registrar opens and closes only their own schools' windows.
    sql += f"""
ALTER TABLE grades.posting_window ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone_reads ON grades.posting_window FOR SELECT
    TO so_teacher, so_registrar, so_front_office, so_admin USING (true);
CREATE POLICY administrators ON grades.posting_window FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY own_schools_ins ON grades.posting_window FOR INSERT TO so_registrar WITH CHECK (schoolid = ANY {MINE});
CREATE POLICY own_schools_upd ON grades.posting_window FOR UPDATE TO so_registrar
    USING (schoolid = ANY {MINE}) WITH CHECK (schoolid = ANY {MINE});
SELECT compliance.attach_audit('grades.posting_window'::regclass);
"""
    # Per-student records
    sql += _student_policies("grades.grade_correction", office, True)
    sql += "GRANT SELECT ON grades.grade_correction TO so_teacher, so_registrar, so_front_office, so_admin;\n"
    sql += _student_policies("grades.issued_document", "so_registrar", False)
    sql += _student_policies("grades.transcript_release", "so_registrar", False)
    sql += ("GRANT SELECT, INSERT ON grades.issued_document, grades.transcript_release TO so_registrar, so_admin;\n"
            "GRANT USAGE ON SEQUENCE grades.transcript_release_release_id_seq TO so_registrar, so_admin;\n")
    return sql


def upgrade() -> None:
    op.execute(DDL)
    op.execute(security_sql())


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER IF EXISTS guard_posted_grade ON edfi.grade;
        DROP POLICY IF EXISTS taught_sections_only ON edfi.grade;
        DROP POLICY IF EXISTS open_window_ins ON edfi.grade;
        DROP POLICY IF EXISTS open_window_upd ON edfi.grade;
        DROP POLICY IF EXISTS open_window_del ON edfi.grade;
        REVOKE SELECT ON edfi.grade, edfi.reportcard, edfi.reportcardgrade, edfi.reportcardgradepointaverage
            FROM so_front_office;
        REVOKE SELECT ON edfi.learningstandard FROM so_teacher, so_front_office;
        DROP TABLE edfi.gradelearningstandardgrade, edfi.courselevelcharacteristic,
                   edfi.studentacademicrecordclassranking;
        DROP SCHEMA grades CASCADE;
    """)
