"""End of term: final grades become CourseTranscript rows under the student's StudentAcademicRecord
for the term; GPAs and class rank are computed by the school's policy and stored in the Ed-Fi
tables. Transfer credit from another school is entered by the registrar.

Where each figure lives (Ed-Fi 5.2 keys allow one GPA of each type per record):
- StudentAcademicRecordGradePointAverage: the cumulative GPA through that term (IsCumulative),
  weighted and unweighted;
- ReportCardGradePointAverage on the term's last grading period's report card: the term GPA
  (IsCumulative false), the report card linked to the record (StudentAcademicRecordReportCard);
- StudentAcademicRecordClassRanking: rank by grade level, ties sharing a rank, class size, percentage.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, text

from app.domain.grading import Attempt, GpaPolicy, compute_gpa, earns_credit
from app.domain.grading_rank import rank_class
from app.errors import UserError
from app.services.descriptor_ids import DescriptorIds
from app.services.grades.policy import school_policy

TERM_ORDER = {"Fall Semester": 1, "First Quarter": 1, "Second Quarter": 2, "Spring Semester": 2,
              "Third Quarter": 3, "Fourth Quarter": 4, "Summer Semester": 5}
FINAL_TYPES = ("Final", "Semester", "Grading Period")


@dataclass(frozen=True)
class FinalMark:
    studentusi: int
    localcoursecode: str
    sectionidentifier: str
    letter: str
    numeric: Decimal | None


@dataclass(frozen=True)
class TermClosed:
    students: int
    transcript_rows: int
    ranked: int


def _final_marks(conn: Connection, school_id: int, school_year: int, session: str, scale) -> list[FinalMark]:
    """One final mark per student and section: the Final grade, else the Semester grade, else the
    grading periods averaged. Letter and number always come from the same source: an averaged score
    takes the scale's letter for that score (Q1 95 and Q2 61 average 78, a C on the A-F scale); when a
    period has a letter but no score, nothing can be averaged and the last period's letter stands alone."""
    rows = conn.execute(text(
        "WITH g AS (SELECT g.*, d.codevalue AS gtype, gp.begindate AS gpbegin FROM edfi.grade g "
        "  JOIN edfi.descriptor d ON d.descriptorid = g.gradetypedescriptorid "
        "  JOIN edfi.gradingperiod gp ON gp.gradingperioddescriptorid = g.gradingperioddescriptorid "
        "   AND gp.gradingperiodname = g.gradingperiodname AND gp.schoolid = g.schoolid "
        "   AND gp.schoolyear = g.gradingperiodschoolyear "
        "  WHERE g.schoolid = :school AND g.schoolyear = :sy AND g.sessionname = :sess "
        "    AND d.codevalue IN ('Final', 'Semester', 'Grading Period') AND g.lettergradeearned IS NOT NULL) "
        "SELECT g.studentusi, g.localcoursecode, g.sectionidentifier, "
        "  (array_agg(g.lettergradeearned ORDER BY array_position(ARRAY['Final','Semester','Grading Period'], "
        "      g.gtype::text), g.gpbegin DESC))[1] AS letter, "
        "  (array_agg(g.numericgradeearned ORDER BY array_position(ARRAY['Final','Semester','Grading Period'], "
        "      g.gtype::text), g.gpbegin DESC))[1] AS first_numeric, "
        "  round(avg(g.numericgradeearned), 2) AS average, "
        "  count(*) = count(g.numericgradeearned) AS all_scored, "
        "  bool_or(g.gtype IN ('Final', 'Semester')) AS has_final "
        "FROM g GROUP BY g.studentusi, g.localcoursecode, g.sectionidentifier"),
        {"school": school_id, "sy": school_year, "sess": session}).all()
    out = []
    for r in rows:
        letter, numeric = r.letter, r.first_numeric
        if not r.has_final:
            band = scale.band_for_score(r.average) if r.all_scored and r.average is not None else None
            letter, numeric = (band.symbol, r.average) if band is not None else (r.letter, None)
        out.append(FinalMark(r.studentusi, r.localcoursecode, r.sectionidentifier, letter, numeric))
    return out


def close_term(conn: Connection, school_id: int, school_year: int, session: str, on: date) -> TermClosed:
    """Write the term's transcripts, academic records, GPAs and ranks for one school (the registrar)."""
    ids = DescriptorIds(conn)
    policy = school_policy(conn, school_id)
    sess = conn.execute(text("SELECT s.termdescriptorid, s.enddate FROM edfi.session s WHERE s.schoolid = :school "
                             "AND s.schoolyear = :sy AND s.sessionname = :sess"),
                        {"school": school_id, "sy": school_year, "sess": session}).first()
    if sess is None:
        raise UserError(f"{session} is not a session of this school; pick a session from the list.")
    term_id = sess.termdescriptorid
    marks = _final_marks(conn, school_id, school_year, session, policy.scale)
    if not marks:
        raise UserError(f"No grades are posted for {session} yet; post the grading periods' grades first.")
    sections = {(r.localcoursecode, r.sectionidentifier): r for r in conn.execute(text(
        "SELECT s.localcoursecode, s.sectionidentifier, s.availablecredits, o.coursecode, o.educationorganizationid, "
        "  c.coursetitle, (SELECT t.staffusi FROM edfi.staffsectionassociation t WHERE t.localcoursecode = s.localcoursecode "
        "    AND t.schoolid = s.schoolid AND t.schoolyear = s.schoolyear AND t.sectionidentifier = s.sectionidentifier "
        "    AND t.sessionname = s.sessionname ORDER BY t.begindate LIMIT 1) AS teacher "
        "FROM edfi.section s JOIN edfi.courseoffering o USING (localcoursecode, schoolid, schoolyear, sessionname) "
        "JOIN edfi.course c ON c.coursecode = o.coursecode AND c.educationorganizationid = o.educationorganizationid "
        "WHERE s.schoolid = :school AND s.schoolyear = :sy AND s.sessionname = :sess"),
        {"school": school_id, "sy": school_year, "sess": session})}
    grade_of = dict(conn.execute(text(
        "SELECT DISTINCT ON (studentusi) studentusi, entrygradeleveldescriptorid FROM edfi.studentschoolassociation "
        "WHERE schoolid = :school ORDER BY studentusi, entrydate DESC"), {"school": school_id}).all())
    result = {c: ids.get("CourseAttemptResultDescriptor", c, "Attempt result") for c in ("Pass", "Fail", "Incomplete")}
    carnegie = ids.get("CreditTypeDescriptor", "Carnegie unit", "Credit type")
    classroom = ids.get("MethodCreditEarnedDescriptor", "Classroom credit", "Method credit earned")
    students = sorted({r.studentusi for r in marks})
    # Re-closing a term replaces what closing it wrote before (transfer credit is kept).
    conn.execute(text(
        "DELETE FROM edfi.coursetranscript WHERE educationorganizationid = :school AND schoolyear = :sy "
        "AND termdescriptorid = :term AND studentusi = ANY(:u) AND externaleducationorganizationnameofinstitution IS NULL"),
        {"school": school_id, "sy": school_year, "term": term_id, "u": students})
    conn.execute(text(
        "INSERT INTO edfi.studentacademicrecord (educationorganizationid, schoolyear, studentusi, termdescriptorid) "
        "SELECT :school, :sy, u, :term FROM unnest(CAST(:u AS int[])) u ON CONFLICT DO NOTHING"),
        {"school": school_id, "sy": school_year, "term": term_id, "u": students})
    rows = []
    for m in marks:
        sec = sections.get((m.localcoursecode, m.sectionidentifier))
        if sec is None or sec.availablecredits is None:
            continue  # homerooms and other non-credit sections have no transcript line
        band = policy.scale.band(m.letter)
        outcome = "Incomplete" if m.letter.upper() == "I" else ("Pass" if band is not None and band.passing else "Fail")
        credits = Decimal(sec.availablecredits)
        rows.append({"res": result[outcome], "code": sec.coursecode, "ceo": sec.educationorganizationid,
                     "school": school_id, "sy": school_year, "usi": m.studentusi, "term": term_id,
                     "att": credits, "earned": credits if outcome == "Pass" else Decimal(0), "ct": carnegie,
                     "title": sec.coursetitle, "letter": m.letter, "numeric": m.numeric, "method": classroom,
                     "teacher": sec.teacher, "gl": grade_of.get(m.studentusi)})
    conn.execute(text(
        "INSERT INTO edfi.coursetranscript (courseattemptresultdescriptorid, coursecode, courseeducationorganizationid, "
        "  educationorganizationid, schoolyear, studentusi, termdescriptorid, attemptedcredits, earnedcredits, "
        "  attemptedcredittypedescriptorid, earnedcredittypedescriptorid, coursetitle, finallettergradeearned, "
        "  finalnumericgradeearned, methodcreditearneddescriptorid, responsibleteacherstaffusi, "
        "  whentakengradeleveldescriptorid) "
        "VALUES (:res, :code, :ceo, :school, :sy, :usi, :term, :att, :earned, :ct, :ct, :title, :letter, :numeric, "
        "  :method, :teacher, :gl) ON CONFLICT DO NOTHING"), rows)
    mark_repeats(conn, students)
    ranked = recompute_gpas(conn, school_id, students, on, policy)
    _term_gpa_on_report_card(conn, school_id, school_year, session, term_id, students, policy)
    return TermClosed(len(students), len(rows), ranked)


def _attempt_chains(attempts: list, fail: int) -> list[list]:
    """A student's attempts at one course (in order) as chains of retakes of the same thing.

    A one-part course is one chain: a fall F retaken in the spring or in summer school is a repeat.
    A course of several parts (fall and spring halves of a year course) has a chain per part: the
    spring half is not a retake of the fall half; a summer attempt retakes the latest failed part
    before it (or repeats the latest part when none was failed)."""
    if attempts[0].numberofparts <= 1:
        return [attempts]
    chains: dict[str, list] = {}
    for r in attempts:
        if r.codevalue == "Summer Semester" and chains:
            failed = [c for c in chains.values() if c[-1].courseattemptresultdescriptorid == fail]
            pool = failed or list(chains.values())
            max(pool, key=lambda c: _when(c[-1])).append(r)
        else:
            chains.setdefault(r.codevalue, []).append(r)
    return list(chains.values())


def _when(r) -> tuple:
    return (r.schoolyear, TERM_ORDER.get(r.codevalue, 0))


def mark_repeats(conn: Connection, students: list[int]) -> None:
    """A course taken again: the earlier failed attempt is replaced (it drops out of the GPA), an
    earlier passed attempt keeps its credit and the repeat does not count. A retake is recognised
    in whatever term it happens (spring, summer school, a later year): see _attempt_chains."""
    ids = DescriptorIds(conn)
    code = {c: ids.get("CourseRepeatCodeDescriptor", c, "Course repeat code")
            for c in ("Replaced NotCounted", "Replacement Counted", "Repeat NotCounted")}
    fail = ids.get("CourseAttemptResultDescriptor", "Fail", "Attempt result")
    rows = conn.execute(text(
        "SELECT t.studentusi, t.coursecode, t.schoolyear, t.termdescriptorid, t.courseattemptresultdescriptorid, "
        "  t.educationorganizationid, t.courseeducationorganizationid, t.courserepeatcodedescriptorid, d.codevalue, "
        "  coalesce(c.numberofparts, 1) AS numberofparts "
        "FROM edfi.coursetranscript t JOIN edfi.descriptor d ON d.descriptorid = t.termdescriptorid "
        "JOIN edfi.course c ON c.coursecode = t.coursecode AND c.educationorganizationid = t.courseeducationorganizationid "
        "WHERE t.studentusi = ANY(:u) ORDER BY t.studentusi, t.coursecode, t.schoolyear"), {"u": students}).all()
    by_course = defaultdict(list)
    for r in rows:
        by_course[(r.studentusi, r.coursecode)].append(r)
    updates = []
    for attempts in by_course.values():
        if len(attempts) < 2:
            continue
        attempts.sort(key=_when)
        for chain in _attempt_chains(attempts, fail):
            for earlier, later in zip(chain, chain[1:]):
                if earlier.courseattemptresultdescriptorid == fail:
                    updates += [(earlier, code["Replaced NotCounted"]), (later, code["Replacement Counted"])]
                else:
                    updates.append((later, code["Repeat NotCounted"]))
    for r, c in updates:
        if r.courserepeatcodedescriptorid != c:
            conn.execute(text(
                "UPDATE edfi.coursetranscript SET courserepeatcodedescriptorid = :c WHERE studentusi = :u "
                "AND coursecode = :code AND schoolyear = :sy AND termdescriptorid = :term "
                "AND courseattemptresultdescriptorid = :res AND educationorganizationid = :eo "
                "AND courseeducationorganizationid = :ceo"),
                {"c": c, "u": r.studentusi, "code": r.coursecode, "sy": r.schoolyear, "term": r.termdescriptorid,
                 "res": r.courseattemptresultdescriptorid, "eo": r.educationorganizationid,
                 "ceo": r.courseeducationorganizationid})


def student_attempts(conn: Connection, students: list[int]) -> dict[int, list[tuple]]:
    """Every transcript line of the students as (record key, Attempt)."""
    rows = conn.execute(text(
        "SELECT t.studentusi, t.educationorganizationid, t.schoolyear, t.termdescriptorid, td.codevalue AS term, "
        "  t.coursecode, t.finallettergradeearned AS letter, t.attemptedcredits, rc.codevalue AS repeat_code, "
        "  ga.codevalue AS applicability, "
        "  (SELECT ld.codevalue FROM edfi.courselevelcharacteristic l JOIN edfi.descriptor ld "
        "     ON ld.descriptorid = l.courselevelcharacteristicdescriptorid WHERE l.coursecode = t.coursecode "
        "     AND l.educationorganizationid = t.courseeducationorganizationid "
        "     AND ld.codevalue IN ('Honors', 'Advanced Placement', 'International Baccalaureate', 'Dual Credit') "
        "     ORDER BY ld.codevalue LIMIT 1) AS level "
        "FROM edfi.coursetranscript t JOIN edfi.descriptor td ON td.descriptorid = t.termdescriptorid "
        "LEFT JOIN edfi.descriptor rc ON rc.descriptorid = t.courserepeatcodedescriptorid "
        "JOIN edfi.course c ON c.coursecode = t.coursecode AND c.educationorganizationid = t.courseeducationorganizationid "
        "LEFT JOIN edfi.descriptor ga ON ga.descriptorid = c.coursegpaapplicabilitydescriptorid "
        "WHERE t.studentusi = ANY(:u)"), {"u": students}).all()
    out: dict[int, list[tuple]] = defaultdict(list)
    for r in rows:
        out[r.studentusi].append(((r.educationorganizationid, r.schoolyear, r.termdescriptorid),
                                  Attempt(r.coursecode, r.letter or "", Decimal(r.attemptedcredits or 0),
                                          (r.schoolyear, TERM_ORDER.get(r.term, 0)), r.level,
                                          r.applicability != "Not Applicable", r.repeat_code)))
    return out


def recompute_gpas(conn: Connection, school_id: int, students: list[int], on: date,
                   policy: GpaPolicy | None = None) -> int:
    """Cumulative GPAs and credits on every academic record of the students; ranks of the school's classes."""
    ids = DescriptorIds(conn)
    policy = policy or school_policy(conn, school_id)
    weighted = ids.get("GradePointAverageTypeDescriptor", "Weighted", "GPA type")
    unweighted = ids.get("GradePointAverageTypeDescriptor", "Unweighted", "GPA type")
    carnegie = ids.get("CreditTypeDescriptor", "Carnegie unit", "Credit type")
    attempts = student_attempts(conn, students)
    gpa_rows, sar_rows, latest = [], [], {}
    for usi, lines in attempts.items():
        for rec in sorted({k for k, _ in lines}, key=lambda k: (k[1], max(a.term for kk, a in lines if kk == k))):
            term_key = max(a.term for k, a in lines if k == rec)
            upto = [a for _, a in lines if a.term <= term_key]
            this = [a for k, a in lines if k == rec]
            cum, term = compute_gpa(upto, policy), compute_gpa(this, policy)
            sar_rows.append({"eo": rec[0], "sy": rec[1], "usi": usi, "term": rec[2], "ca": cum.attempted_credits,
                             "ce": cum.earned_credits, "sa": term.attempted_credits, "se": term.earned_credits,
                             "ct": carnegie})
            if cum.unweighted is not None:
                for t, v in ((unweighted, cum.unweighted), (weighted, cum.weighted)):
                    gpa_rows.append({"eo": rec[0], "sy": rec[1], "usi": usi, "term": rec[2], "t": t, "v": v,
                                     "mx": policy.scale.max_points if t == unweighted else None})
            if rec[0] == school_id:
                latest[usi] = (rec, cum.weighted)
    if sar_rows:
        conn.execute(text(
            "UPDATE edfi.studentacademicrecord SET cumulativeattemptedcredits = :ca, cumulativeearnedcredits = :ce, "
            "  sessionattemptedcredits = :sa, sessionearnedcredits = :se, cumulativeattemptedcredittypedescriptorid = :ct, "
            "  cumulativeearnedcredittypedescriptorid = :ct, sessionattemptedcredittypedescriptorid = :ct, "
            "  sessionearnedcredittypedescriptorid = :ct "
            "WHERE educationorganizationid = :eo AND schoolyear = :sy AND studentusi = :usi AND termdescriptorid = :term"),
            sar_rows)
    if gpa_rows:
        conn.execute(text(
            "INSERT INTO edfi.studentacademicrecordgradepointaverage (educationorganizationid, schoolyear, studentusi, "
            "  termdescriptorid, gradepointaveragetypedescriptorid, gradepointaveragevalue, iscumulative, "
            "  maxgradepointaveragevalue) VALUES (:eo, :sy, :usi, :term, :t, :v, true, :mx) "
            "ON CONFLICT ON CONSTRAINT pk_studentacademicrecordgradepointaverage DO UPDATE "
            "SET gradepointaveragevalue = EXCLUDED.gradepointaveragevalue, iscumulative = true, "
            "  maxgradepointaveragevalue = EXCLUDED.maxgradepointaveragevalue"), gpa_rows)
    if not policy.ranks or not latest:
        return 0
    return _rank(conn, school_id, latest, on)


def _rank(conn: Connection, school_id: int, latest: dict, on: date) -> int:
    """Rank each grade level on the cumulative weighted GPA of its latest record at this school."""
    level = dict(conn.execute(text(
        "SELECT DISTINCT ON (studentusi) studentusi, entrygradeleveldescriptorid FROM edfi.studentschoolassociation "
        "WHERE schoolid = :school AND studentusi = ANY(:u) ORDER BY studentusi, entrydate DESC"),
        {"school": school_id, "u": list(latest)}).all())
    # Everyone at the school in the same grade level is in the class, not only the students just closed.
    classes = defaultdict(dict)
    for r in conn.execute(text(
        "SELECT DISTINCT ON (g.studentusi) g.studentusi, g.educationorganizationid, g.schoolyear, g.termdescriptorid, "
        "  g.gradepointaveragevalue, ssa.entrygradeleveldescriptorid "
        "FROM edfi.studentacademicrecordgradepointaverage g JOIN edfi.descriptor d "
        "  ON d.descriptorid = g.gradepointaveragetypedescriptorid AND d.codevalue = 'Weighted' "
        "JOIN edfi.studentschoolassociation ssa ON ssa.studentusi = g.studentusi AND ssa.schoolid = :school "
        "  AND ssa.exitwithdrawdate IS NULL "
        "WHERE g.educationorganizationid = :school AND ssa.entrygradeleveldescriptorid = ANY(:levels) "
        "ORDER BY g.studentusi, g.schoolyear DESC, g.termdescriptorid DESC"),
        {"school": school_id, "levels": list(set(level.values()))}):
        classes[r.entrygradeleveldescriptorid][r.studentusi] = ((r.educationorganizationid, r.schoolyear,
                                                                 r.termdescriptorid), r.gradepointaveragevalue)
    for usi, (rec, gpa) in latest.items():
        if usi in level:
            classes[level[usi]][usi] = (rec, gpa)
    rows = []
    for members in classes.values():
        ranks = rank_class({u: g for u, (_, g) in members.items()})
        for u, rk in ranks.items():
            rec = members[u][0]
            rows.append({"eo": rec[0], "sy": rec[1], "usi": u, "term": rec[2], "rank": rk.rank,
                         "size": rk.class_size, "pct": rk.percentage, "on": on})
    if rows:
        conn.execute(text(
            "INSERT INTO edfi.studentacademicrecordclassranking (educationorganizationid, schoolyear, studentusi, "
            "  termdescriptorid, classrank, totalnumberinclass, percentageranking, classrankingdate) "
            "VALUES (:eo, :sy, :usi, :term, :rank, :size, :pct, :on) "
            "ON CONFLICT ON CONSTRAINT pk_studentacademicrecordclassranking DO UPDATE SET classrank = EXCLUDED.classrank, "
            "  totalnumberinclass = EXCLUDED.totalnumberinclass, percentageranking = EXCLUDED.percentageranking, "
            "  classrankingdate = EXCLUDED.classrankingdate"), rows)
    return len(rows)


def _term_gpa_on_report_card(conn, school_id, school_year, session, term_id, students, policy) -> None:
    """The term GPA on the report card of the term's last grading period (IsCumulative false)."""
    gp = conn.execute(text(
        "SELECT g.gradingperioddescriptorid, g.gradingperiodname FROM edfi.sessiongradingperiod sg "
        "JOIN edfi.gradingperiod g USING (gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear) "
        "WHERE sg.schoolid = :school AND sg.schoolyear = :sy AND sg.sessionname = :sess ORDER BY g.enddate DESC LIMIT 1"),
        {"school": school_id, "sy": school_year, "sess": session}).first()
    if gp is None:
        return
    ids = DescriptorIds(conn)
    types = {t: ids.get("GradePointAverageTypeDescriptor", t, "GPA type") for t in ("Weighted", "Unweighted")}
    attempts = student_attempts(conn, students)
    cards, links, gpas = [], [], []
    for usi in students:
        this = [a for k, a in attempts.get(usi, []) if k == (school_id, school_year, term_id)]
        g = compute_gpa(this, policy)
        if g.unweighted is None:
            continue
        key = {"eo": school_id, "gpd": gp[0], "gpname": gp[1], "school": school_id, "sy": school_year, "usi": usi}
        cards.append(key)
        links.append({**key, "term": term_id})
        gpas += [{**key, "t": types["Unweighted"], "v": g.unweighted, "mx": policy.scale.max_points},
                 {**key, "t": types["Weighted"], "v": g.weighted, "mx": None}]
    if not cards:
        return
    conn.execute(text(
        "INSERT INTO edfi.reportcard (educationorganizationid, gradingperioddescriptorid, gradingperiodname, "
        "  gradingperiodschoolid, gradingperiodschoolyear, studentusi) VALUES (:eo, :gpd, :gpname, :school, :sy, :usi) "
        "ON CONFLICT DO NOTHING"), cards)
    conn.execute(text(
        "INSERT INTO edfi.studentacademicrecordreportcard (educationorganizationid, schoolyear, studentusi, "
        "  termdescriptorid, gradingperioddescriptorid, gradingperiodname, gradingperiodschoolid, gradingperiodschoolyear) "
        "VALUES (:eo, :sy, :usi, :term, :gpd, :gpname, :school, :sy) ON CONFLICT DO NOTHING"), links)
    conn.execute(text(
        "INSERT INTO edfi.reportcardgradepointaverage (educationorganizationid, gradingperioddescriptorid, "
        "  gradingperiodname, gradingperiodschoolid, gradingperiodschoolyear, studentusi, "
        "  gradepointaveragetypedescriptorid, gradepointaveragevalue, iscumulative, maxgradepointaveragevalue) "
        "VALUES (:eo, :gpd, :gpname, :school, :sy, :usi, :t, :v, false, :mx) "
        "ON CONFLICT ON CONSTRAINT pk_reportcardgradepointaverage DO UPDATE "
        "SET gradepointaveragevalue = EXCLUDED.gradepointaveragevalue"), gpas)


@dataclass(frozen=True)
class TransferCredit:
    student_usi: int
    school_id: int  # the receiving school (the record's education organization)
    from_institution: str
    school_year: int
    term: str  # TermDescriptor code value
    course_code: str  # the district course it counts as
    title_there: str
    letter: str
    credits: str  # as typed


def enter_transfer_credit(conn: Connection, tc: TransferCredit, on: date) -> None:
    ids = DescriptorIds(conn)
    policy = school_policy(conn, tc.school_id)
    if not tc.from_institution.strip():
        raise UserError("Type the name of the school the credit comes from.")
    try:
        credits = Decimal(tc.credits.strip())
    except Exception:
        credits = None
    if credits is None or not credits.is_finite() or credits <= 0 or credits > 10:
        raise UserError(f"Credits \"{tc.credits}\" is not a number of credits; type e.g. 0.5 or 1.")
    letter, _ = policy.scale.read(tc.letter)
    term = ids.get("TermDescriptor", tc.term, "Term")
    course = conn.execute(text("SELECT coursecode, educationorganizationid, coursetitle FROM edfi.course "
                               "WHERE coursecode = :c"), {"c": tc.course_code}).first()
    if course is None:
        raise UserError(f"Course {tc.course_code} is not in the district catalog; pick the course it counts as.")
    outcome = "Pass" if earns_credit(Attempt(course.coursecode, letter, credits), policy) else "Fail"
    if conn.execute(text(
            "SELECT 1 FROM edfi.coursetranscript WHERE studentusi = :u AND coursecode = :c AND schoolyear = :sy "
            "AND termdescriptorid = :t AND educationorganizationid = :eo"),
            {"u": tc.student_usi, "c": course.coursecode, "sy": tc.school_year, "t": term, "eo": tc.school_id}).first():
        raise UserError(f"The transcript already has {course.coursecode} for {tc.term} {tc.school_year - 1}-"
                        f"{tc.school_year}; enter the credit under the course it counts as, or another term.")
    conn.execute(text(
        "INSERT INTO edfi.studentacademicrecord (educationorganizationid, schoolyear, studentusi, termdescriptorid) "
        "VALUES (:eo, :sy, :usi, :term) ON CONFLICT DO NOTHING"),
        {"eo": tc.school_id, "sy": tc.school_year, "usi": tc.student_usi, "term": term})
    conn.execute(text(
        "INSERT INTO edfi.coursetranscript (courseattemptresultdescriptorid, coursecode, courseeducationorganizationid, "
        "  educationorganizationid, schoolyear, studentusi, termdescriptorid, attemptedcredits, earnedcredits, "
        "  coursetitle, alternativecoursetitle, finallettergradeearned, methodcreditearneddescriptorid, "
        "  externaleducationorganizationnameofinstitution) "
        "VALUES (:res, :code, :ceo, :eo, :sy, :usi, :term, :att, :earned, :title, :there, :letter, :method, :inst)"),
        {"res": ids.get("CourseAttemptResultDescriptor", outcome, "Attempt result"), "code": course.coursecode,
         "ceo": course.educationorganizationid, "eo": tc.school_id, "sy": tc.school_year, "usi": tc.student_usi,
         "term": term, "att": credits, "earned": credits if outcome == "Pass" else 0, "title": course.coursetitle,
         "there": tc.title_there.strip()[:60] or None, "letter": letter,
         "method": ids.get("MethodCreditEarnedDescriptor", "Transfer credit", "Method"),
         "inst": tc.from_institution.strip()[:75]})
    mark_repeats(conn, [tc.student_usi])
    recompute_gpas(conn, tc.school_id, [tc.student_usi], on, policy)
