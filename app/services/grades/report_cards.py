"""Report card data: one read for a whole batch (school, grade level or homeroom), turned into
report card documents (reports/report_card.py). Attendance comes from the daily statuses of the
grading period's taken days (app.services.attendance_days: a taken day with no exception is present);
the period GPA from the period's grades by the school's policy."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, text

from app.domain.grading import Attempt, compute_gpa, plain
from app.errors import UserError
from app.services.attendance_days import day_statuses
from app.services.grades.entry import PeriodKey
from app.services.grades.policy import comment_codes, school_policy, school_scales
from reports.grading_parts import branding
from reports.report_card import CourseMarks, ReportCardDocument, StandardMarks


@dataclass(frozen=True)
class BatchChoice:
    label: str  # "Whole school", "Ninth grade", "Homeroom HR3-F01"
    grade_level: str | None = None
    homeroom: str | None = None  # section identifier


def batch_choices(conn: Connection, school_id: int) -> tuple[BatchChoice, ...]:
    levels = conn.execute(text(
        "SELECT d.codevalue FROM edfi.schoolgradelevel g JOIN edfi.descriptor d ON d.descriptorid = g.gradeleveldescriptorid "
        "WHERE g.schoolid = :s ORDER BY g.gradeleveldescriptorid"), {"s": school_id}).scalars().all()
    rooms = conn.execute(text(
        "SELECT DISTINCT sectionidentifier FROM edfi.studentsectionassociation WHERE schoolid = :s AND homeroomindicator "
        "ORDER BY 1"), {"s": school_id}).scalars().all()
    return ((BatchChoice("Whole school"),) + tuple(BatchChoice(lv, grade_level=lv) for lv in levels)
            + tuple(BatchChoice(f"Homeroom {r}", homeroom=r) for r in rooms))


def batch_students(conn: Connection, school_id: int, choice: BatchChoice) -> list[int]:
    rows = conn.execute(text(
        "SELECT DISTINCT ssa.studentusi, st.lastsurname, st.firstname FROM edfi.studentschoolassociation ssa "
        "JOIN edfi.student st USING (studentusi) JOIN edfi.descriptor d ON d.descriptorid = ssa.entrygradeleveldescriptorid "
        "WHERE ssa.schoolid = :s AND ssa.exitwithdrawdate IS NULL AND (CAST(:gl AS text) IS NULL OR d.codevalue = :gl) "
        "  AND (CAST(:hr AS text) IS NULL OR EXISTS (SELECT 1 FROM edfi.studentsectionassociation a "
        "       WHERE a.studentusi = ssa.studentusi AND a.schoolid = :s AND a.sectionidentifier = :hr)) "
        "ORDER BY st.lastsurname, st.firstname"), {"s": school_id, "gl": choice.grade_level, "hr": choice.homeroom})
    return [r[0] for r in rows]


def _period_of(conn, period: PeriodKey):
    row = conn.execute(text("SELECT begindate, enddate FROM edfi.gradingperiod WHERE gradingperioddescriptorid = :gpd "
                            "AND gradingperiodname = :gpname AND schoolid = :gpschool AND schoolyear = :gpsy"),
                       period.params()).first()
    if row is None:
        raise UserError("That grading period is not one of this school's; pick a grading period from the list.")
    return row


def report_cards(conn: Connection, school_id: int, students: list[int], period: PeriodKey) -> list[ReportCardDocument]:
    """The report cards of the students for the grading period (and the periods before it this year)."""
    if not students:
        return []
    p = _period_of(conn, period)
    head = conn.execute(text(
        "SELECT s.nameofinstitution AS school, d.nameofinstitution AS district FROM edfi.educationorganization s "
        "JOIN edfi.school sc ON sc.schoolid = s.educationorganizationid "
        "LEFT JOIN edfi.educationorganization d ON d.educationorganizationid = sc.localeducationagencyid "
        "WHERE s.educationorganizationid = :s"), {"s": school_id}).one()
    periods = conn.execute(text(
        "SELECT gradingperiodname FROM edfi.gradingperiod WHERE schoolid = :s AND schoolyear = :sy "
        "AND begindate <= :end ORDER BY begindate"), {"s": school_id, "sy": period.school_year, "end": p.enddate}).scalars().all()
    people = {r.studentusi: r for r in conn.execute(text(
        "SELECT DISTINCT ON (st.studentusi) st.studentusi, st.firstname || ' ' || st.lastsurname AS name, "
        "  st.studentuniqueid, d.codevalue AS grade_level "
        "FROM edfi.student st JOIN edfi.studentschoolassociation ssa ON ssa.studentusi = st.studentusi AND ssa.schoolid = :s "
        "JOIN edfi.descriptor d ON d.descriptorid = ssa.entrygradeleveldescriptorid "
        "WHERE st.studentusi = ANY(:u) ORDER BY st.studentusi, ssa.entrydate DESC"), {"s": school_id, "u": students})}
    marks = conn.execute(text(
        "SELECT g.studentusi, g.sectionidentifier, g.localcoursecode, g.sessionname, g.gradingperiodname, "
        "  coalesce(g.lettergradeearned, '') AS letter, g.diagnosticstatement, td.codevalue AS gtype, "
        "  coalesce(o.localcoursetitle, g.localcoursecode) AS title, s.availablecredits, "
        "  (SELECT ld.codevalue FROM edfi.courselevelcharacteristic l JOIN edfi.descriptor ld "
        "     ON ld.descriptorid = l.courselevelcharacteristicdescriptorid WHERE l.coursecode = o.coursecode "
        "     AND l.educationorganizationid = o.educationorganizationid "
        "     AND ld.codevalue IN ('Honors', 'Advanced Placement', 'International Baccalaureate', 'Dual Credit') "
        "     ORDER BY ld.codevalue LIMIT 1) AS level, "
        "  (SELECT ga.codevalue FROM edfi.course c JOIN edfi.descriptor ga "
        "     ON ga.descriptorid = c.coursegpaapplicabilitydescriptorid WHERE c.coursecode = o.coursecode "
        "     AND c.educationorganizationid = o.educationorganizationid) AS applicability, "
        "  (SELECT stf.firstname || ' ' || stf.lastsurname FROM edfi.staffsectionassociation t JOIN edfi.staff stf "
        "     USING (staffusi) WHERE t.localcoursecode = g.localcoursecode AND t.schoolid = g.schoolid "
        "     AND t.schoolyear = g.schoolyear AND t.sectionidentifier = g.sectionidentifier "
        "     AND t.sessionname = g.sessionname LIMIT 1) AS teacher "
        "FROM edfi.grade g JOIN edfi.descriptor td ON td.descriptorid = g.gradetypedescriptorid "
        "JOIN edfi.courseoffering o USING (localcoursecode, schoolid, schoolyear, sessionname) "
        "JOIN edfi.section s USING (localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname) "
        "WHERE g.schoolid = :s AND g.schoolyear = :sy AND g.studentusi = ANY(:u) "
        "  AND g.gradingperiodname = ANY(:periods) AND td.codevalue IN ('Grading Period', 'Progress Report') "
        "ORDER BY g.studentusi, title, td.codevalue"),
        {"s": school_id, "sy": period.school_year, "u": students, "periods": list(periods)}).all()
    standards = conn.execute(text(
        "SELECT m.studentusi, m.gradingperiodname, m.learningstandardid, m.lettergradeearned, rs.area, rs.sort_order, "
        "  ls.description FROM edfi.gradelearningstandardgrade m "
        "JOIN grades.reported_standard rs ON rs.learningstandardid = m.learningstandardid AND rs.schoolid = m.schoolid "
        "JOIN edfi.learningstandard ls ON ls.learningstandardid = m.learningstandardid "
        "WHERE m.schoolid = :s AND m.schoolyear = :sy AND m.studentusi = ANY(:u) AND m.gradingperiodname = ANY(:periods)"),
        {"s": school_id, "sy": period.school_year, "u": students, "periods": list(periods)}).all()
    # each taken school day's status (the office's, the teacher's roll-up, else present: attendance is
    # recorded as exceptions), the same days the student's attendance calendar shows
    attendance = {r.studentusi: r for r in conn.execute(text(
        "SELECT studentusi, count(*) FILTER (WHERE code LIKE '%Absence') AS absent, "
        "  count(*) FILTER (WHERE code = 'Tardy') AS tardy, "
        "  count(*) FILTER (WHERE code IN ('In Attendance', 'Tardy')) AS present "
        f"FROM ({day_statuses(school=':s', start=':b', end=':e', students='CAST(:u AS int[])')}) days "
        "GROUP BY studentusi"),
        {"s": school_id, "u": students, "b": p.begindate, "e": p.enddate})}
    homerooms = dict(conn.execute(text(
        "SELECT DISTINCT ON (studentusi) studentusi, sectionidentifier FROM edfi.studentsectionassociation "
        "WHERE schoolid = :s AND schoolyear = :sy AND homeroomindicator AND studentusi = ANY(:u) "
        "ORDER BY studentusi, begindate DESC"), {"s": school_id, "sy": period.school_year, "u": students}).all())
    policy = school_policy(conn, school_id)
    letter_scale, std_scale, habits = school_scales(conn, school_id)
    codes = comment_codes(conn, school_id)
    by_student = defaultdict(list)
    for m in marks:
        by_student[m.studentusi].append(m)
    std_by_student = defaultdict(list)
    for s in standards:
        std_by_student[s.studentusi].append(s)
    logo = branding("school_logo.png")
    year = f"{period.school_year - 1}-{period.school_year}"
    out = []
    for usi in students:
        person = people.get(usi)
        if person is None:
            continue
        elementary = bool(std_by_student.get(usi))
        courses: dict[str, dict] = {}
        attempts = []
        for m in by_student.get(usi, []):
            c = courses.setdefault(m.title, {"teacher": m.teacher or "", "marks": {}, "comments": [],
                                             "credits": m.availablecredits})
            if m.gtype == "Grading Period" or m.gradingperiodname not in c["marks"]:
                c["marks"][m.gradingperiodname] = m.letter + ("*" if m.gtype == "Progress Report" else "")
            if m.diagnosticstatement and m.gradingperiodname == period.name:
                c["comments"] += [x.strip() for x in m.diagnosticstatement.split(",")]
            # The period GPA is over the grading-period grades only: a progress grade is not a GPA grade.
            if (m.gradingperiodname == period.name and m.gtype == "Grading Period" and m.letter
                    and m.availablecredits):
                attempts.append(Attempt(m.localcoursecode, m.letter, Decimal(m.availablecredits), level=m.level,
                                        gpa_applicable=m.applicability != "Not Applicable"))
        gpa = ""
        if not elementary and attempts:
            g = compute_gpa(attempts, policy)
            if g.unweighted is not None:
                gpa = f"{period.name} GPA {g.unweighted:.3f} (weighted {g.weighted:.3f})"
        std_rows = []
        if elementary:
            grid_marks: dict[str, dict] = {}
            meta = {}
            for s in std_by_student[usi]:
                grid_marks.setdefault(s.learningstandardid, {})[s.gradingperiodname] = s.lettergradeearned or ""
                meta[s.learningstandardid] = (s.sort_order, s.area, s.description)
            for sid in sorted(meta, key=lambda k: meta[k][0]):
                std_rows.append(StandardMarks(meta[sid][1], meta[sid][2],
                                              tuple(grid_marks[sid].get(pn, "") for pn in periods)))
        legend = tuple((b.symbol, b.description) for b in (std_scale.bands if elementary and std_scale else ()))
        legend += tuple((b.symbol, b.description) for b in (habits.bands if elementary and habits else ()))
        if not elementary:
            legend = tuple((b.symbol, f"{plain(b.min_score)}-{plain(b.max_score)}" if b.min_score is not None else "no points")
                           for b in letter_scale.bands) + (("*", "progress grade, period not yet closed"),)
        a = attendance.get(usi)
        out.append(ReportCardDocument(
            head.district or "", head.school, logo, person.name, person.studentuniqueid, person.grade_level,
            homerooms.get(usi, "—"), year, period.name, tuple(periods), elementary,
            tuple(CourseMarks(t, c["teacher"], tuple(c["marks"].get(pn, "") for pn in periods),
                              tuple(dict.fromkeys(c["comments"])), f"{c['credits']:.1f}" if c["credits"] else "—")
                  for t, c in sorted(courses.items())),
            tuple(std_rows), gpa, int(a.present) if a else 0, int(a.absent) if a else 0, int(a.tardy) if a else 0,
            tuple(codes.items()), legend))
    return out
