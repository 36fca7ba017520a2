"""Grades for the demo district (issue 14): scales, GPA policies and comment codes per school;
posting windows (past grading periods posted, the current one open); a second grading period of
grades for every section (progress grades for the current period, standards-based marks for the
elementary homerooms); and for the graduating class three years of transcripts with honors and AP
courses, a repeated course and a transfer student, with GPAs and class rank computed by the same
service the registrar uses."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import text

from app.domain.grading import STANDARD_LETTER_SCALE, STANDARDS_SCALE, WORK_HABITS_SCALE
from app.services.demo_seed import GRADES, LEA_ID, NAMESPACE, SCHOOLS, SEC_COURSES, letter
from app.services.grades.policy import save_scale
from app.services.grades.term_end import mark_repeats, recompute_gpas

ORDER = 50
RES, RMS, RHS = SCHOOLS
COMMENTS = (("01", "A pleasure to have in class"), ("02", "Works well with others"), ("03", "Shows steady progress"),
            ("10", "Missing assignments"), ("11", "Needs to study for tests"), ("12", "Excessive absences affect grade"),
            ("20", "Conference requested"), ("21", "Strong effort this period"))
STANDARD_AREAS = (("RL", "Reading", "Reads grade-level text with understanding"),
                  ("W", "Writing", "Writes clear sentences and paragraphs"),
                  ("OA", "Mathematics", "Operations and algebraic thinking"),
                  ("NBT", "Mathematics", "Number and operations in base ten"),
                  ("SCI", "Science", "Asks questions and investigates"),
                  ("SS", "Social Studies", "Understands community and history"))
HABITS = (("WH1", "Follows directions"), ("WH2", "Completes work on time"), ("WH3", "Respects others"))
# Prior-year courses of the graduating class: (grade, code, title, level)
HISTORY_EXTRA = (("HENG2", "English II Honors", "Honors", 10), ("APUSH", "AP US History", "Advanced Placement", 11),
                 ("APBIO", "AP Biology", "Advanced Placement", 11))
TRANSFER_FROM = "Lakeside High School (Austin, TX)"


def _rows(conn, sql, params=None):
    return conn.execute(text(sql), params or {}).all()


def load(ctx) -> None:
    conn, rng, sy = ctx.copier.conn, random.Random(1414), ctx.school_year
    letter_id = save_scale(conn, None, STANDARD_LETTER_SCALE)
    std_id = save_scale(conn, None, STANDARDS_SCALE)
    habits_id = save_scale(conn, None, WORK_HABITS_SCALE)
    ctx.copier.copy("grades.gpa_policy", ("schoolid", "scale_id", "standards_scale_id", "work_habits_scale_id",
                                          "weighting", "min_points_for_bonus", "ranks"),
                    [(RES.school_id, letter_id, std_id, habits_id, "additive", 2, False),
                     (RMS.school_id, letter_id, None, None, "additive", 2, False),
                     (RHS.school_id, letter_id, None, None, "additive", 2, True)])
    levels = {c: ctx.did("CourseLevelCharacteristicDescriptor", c)
              for c in ("Honors", "Advanced Placement", "International Baccalaureate", "Dual Credit")}
    ctx.copier.copy("grades.gpa_level_weight", ("schoolid", "courselevelcharacteristicdescriptorid", "weight"),
                    [(RHS.school_id, levels["Honors"], Decimal("0.5")), (RHS.school_id, levels["Advanced Placement"], 1),
                     (RHS.school_id, levels["International Baccalaureate"], 1), (RHS.school_id, levels["Dual Credit"], 1)])
    ctx.copier.copy("grades.comment_code", ("schoolid", "code", "comment_text"),
                    [(s.school_id, c, t) for s in SCHOOLS for c, t in COMMENTS])
    _elementary_standards(ctx, std_id, habits_id)
    _current_grades(ctx, rng)
    _posting_windows(ctx)
    _graduating_class(ctx, rng, levels)


def _elementary_standards(ctx, std_id: int, habits_id: int) -> None:
    rows, reported = [], []
    for g in RES.grades:
        gl = "K" if g == 0 else str(g)
        for i, (code, area, desc) in enumerate(STANDARD_AREAS):
            sid = f"RB.{gl}.{code}"
            rows.append((sid, f"{desc} (grade {gl})", NAMESPACE, f"{area} {gl}", sid))
            reported.append((RES.school_id, ctx.did("GradeLevelDescriptor", GRADES[g]), sid, area, std_id, i))
        for j, (code, desc) in enumerate(HABITS):
            sid = f"RB.{gl}.{code}"
            rows.append((sid, desc, NAMESPACE, "Work habits", sid))
            reported.append((RES.school_id, ctx.did("GradeLevelDescriptor", GRADES[g]), sid, "Work habits", habits_id,
                             100 + j))
    ctx.copier.copy("edfi.learningstandard", ("learningstandardid", "description", "namespace", "coursetitle",
                                              "itemcode"), rows)
    ctx.copier.copy("grades.reported_standard", ("schoolid", "gradeleveldescriptorid", "learningstandardid", "area",
                                                 "scale_id", "sort_order"), reported)


def _current_grades(ctx, rng) -> None:
    """Every section gets a second grading period: the current period's progress grades (and the
    first period's grade for kindergarten homerooms, which the core seed leaves out); homerooms
    get standards-based marks for both periods."""
    sy = ctx.school_year
    term_begin = {t.name: t.begin for t in ctx.cal.terms}
    gp_done = [g for g in ctx.cal.grading_periods if g.end < ctx.as_of]
    gp_now = [g for g in ctx.cal.grading_periods if g.begin <= ctx.as_of <= g.end]
    gtype = {t: ctx.did("GradeTypeDescriptor", t) for t in ("Grading Period", "Progress Report")}
    grades, marks = [], []
    for sec in ctx.sections:
        for g in gp_done + gp_now:
            if g.term_name != sec.session:
                continue
            kind = "Grading Period" if g in gp_done else "Progress Report"
            gpd = ctx.did("GradingPeriodDescriptor", g.descriptor_code)
            key = lambda st: (term_begin[sec.session], gtype[kind], gpd, g.name, sy, sec.local_code,  # noqa: E731
                              sec.school.school_id, sy, sec.ident, sec.session, st.usi)
            for st in sec.students:
                if kind == "Progress Report" or sec.grade == 0:
                    score = round(max(45.0, min(100.0, rng.gauss(st.ability, 6))), 1)
                    comment = rng.choice(COMMENTS)[0] if rng.random() < 0.3 else None
                    grades.append((*key(st), None if sec.grade <= 5 and sec.period == "Homeroom" and sec.grade == 0
                                   else letter(score), None if sec.grade == 0 else score, comment, ctx.as_of))
                if sec.period == "Homeroom":
                    gl = "K" if sec.grade == 0 else str(sec.grade)
                    for code, *_ in STANDARD_AREAS:
                        level = 4 if st.ability > 92 else 3 if st.ability > 80 else 2 if st.ability > 70 else 1
                        mark = "NA" if (code == "SS" and kind == "Progress Report") else str(
                            max(1, min(4, level + rng.choice((-1, 0, 0, 0, 1)))))
                        marks.append((*key(st), f"RB.{gl}.{code}", mark))
                    for code, _ in HABITS:
                        marks.append((*key(st), f"RB.{gl}.{code}", rng.choice("EESSSN")))
    cols = ("begindate", "gradetypedescriptorid", "gradingperioddescriptorid", "gradingperiodname",
            "gradingperiodschoolyear", "localcoursecode", "schoolid", "schoolyear", "sectionidentifier", "sessionname",
            "studentusi")
    ctx.copier.copy("edfi.grade", (*cols, "lettergradeearned", "numericgradeearned", "diagnosticstatement",
                                   "currentgradeasofdate"), grades)
    ctx.copier.copy("edfi.gradelearningstandardgrade", (*cols, "learningstandardid", "lettergradeearned"), marks)


def _posting_windows(ctx) -> None:
    def at(d):
        return datetime.combine(d, time(17, 0), tzinfo=timezone.utc)
    rows = []
    for s in SCHOOLS:
        for g in ctx.cal.grading_periods:
            if g.begin > ctx.as_of:
                continue
            gpd = ctx.did("GradingPeriodDescriptor", g.descriptor_code)
            done = g.end < ctx.as_of
            rows.append((gpd, g.name, s.school_id, ctx.school_year, at(g.end - timedelta(days=7)),
                         at(g.end + timedelta(days=7)), at(g.end + timedelta(days=7)) if done else None,
                         "demo_registrar", "demo_registrar" if done else None))
    ctx.copier.copy("grades.posting_window", ("gradingperioddescriptorid", "gradingperiodname", "schoolid",
                                              "schoolyear", "opened_at", "closes_at", "closed_at", "opened_by",
                                              "closed_by"), rows)


def _graduating_class(ctx, rng, levels) -> None:
    """Grades 9-11 of this year's seniors: two semesters a year, six courses each."""
    conn, sy = ctx.copier.conn, ctx.school_year
    seniors = sorted((s for s in ctx.students if s.grade == 12), key=lambda s: s.usi)
    if not seniors:
        return
    ctx.copier.copy("edfi.course", ("coursecode", "educationorganizationid", "coursetitle", "numberofparts",
                                    "coursegpaapplicabilitydescriptorid"),
                    [(c, LEA_ID, t, 2, ctx.did("CourseGPAApplicabilityDescriptor", "Weighted"))
                     for c, t, _lvl, _g in HISTORY_EXTRA])
    ctx.copier.copy("edfi.courselevelcharacteristic", ("coursecode", "educationorganizationid",
                                                       "courselevelcharacteristicdescriptorid"),
                    [(c, LEA_ID, levels[lvl]) for c, _t, lvl, _g in HISTORY_EXTRA]
                    + [("CS2", LEA_ID, levels["Advanced Placement"])])
    terms = [(ctx.did("TermDescriptor", "Fall Semester"), 0), (ctx.did("TermDescriptor", "Spring Semester"), 1)]
    res = {c: ctx.did("CourseAttemptResultDescriptor", c) for c in ("Pass", "Fail")}
    gl = {g: ctx.did("GradeLevelDescriptor", GRADES[g]) for g in (9, 10, 11)}
    carnegie = ctx.did("CreditTypeDescriptor", "Carnegie unit")
    classroom = ctx.did("MethodCreditEarnedDescriptor", "Classroom credit")
    transfer = ctx.did("MethodCreditEarnedDescriptor", "Transfer credit")
    repeat_student, transfer_student = seniors[0], seniors[1 % len(seniors)]
    records, lines = [], []
    for st in seniors:
        for g in (9, 10, 11):
            year = sy - (12 - g)
            courses = list(SEC_COURSES[g])
            if st.ability >= 86:  # the strongest students take honors and AP
                courses = [("HENG2", "English II Honors") if c == "ENG2" else ("APUSH", "AP US History")
                           if c == "USHIST" else ("APBIO", "AP Biology") if c == "PHYS" else (c, t) for c, t in courses]
            if st is repeat_student and g == 10:
                courses.append(("ALG1", "Algebra I"))  # repeating the course failed in ninth grade
            for term, _half in terms:
                records.append((RHS.school_id, year, st.usi, term))
                for code, title in courses:
                    if code == "ALG1" and st is repeat_student and g == 10 and _half == 1:
                        continue
                    score = max(50.0, min(100.0, rng.gauss(st.ability, 6)))
                    if st is repeat_student and code == "ALG1":
                        score = 52.0 if g == 9 and _half == 0 else 84.0
                    mark = letter(score)
                    passed = mark != "F"
                    external = st is transfer_student and g == 9
                    lines.append((res["Pass" if passed else "Fail"], code, LEA_ID, RHS.school_id, year, st.usi, term,
                                  Decimal("0.5"), Decimal("0.5") if passed else Decimal(0), carnegie, carnegie, title,
                                  mark, round(score, 1) if not external else None,
                                  transfer if external else classroom,
                                  TRANSFER_FROM if external else None, gl[g]))
    ctx.copier.copy("edfi.studentacademicrecord", ("educationorganizationid", "schoolyear", "studentusi",
                                                   "termdescriptorid", "projectedgraduationdate"),
                    [(*r, ctx.cal.last_day) for r in sorted(set(records))])
    ctx.copier.copy("edfi.coursetranscript", (
        "courseattemptresultdescriptorid", "coursecode", "courseeducationorganizationid", "educationorganizationid",
        "schoolyear", "studentusi", "termdescriptorid", "attemptedcredits", "earnedcredits",
        "attemptedcredittypedescriptorid", "earnedcredittypedescriptorid", "coursetitle", "finallettergradeearned",
        "finalnumericgradeearned", "methodcreditearneddescriptorid", "externaleducationorganizationnameofinstitution",
        "whentakengradeleveldescriptorid"), lines)
    usis = [s.usi for s in seniors]
    mark_repeats(conn, usis)
    recompute_gpas(conn, RHS.school_id, usis, ctx.as_of)
