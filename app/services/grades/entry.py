"""Grade entry: a teacher's grid per section and grading period (letter or numeric on the school's
scale, comment codes, progress / grading-period / semester / final), standards-based marks for
elementary homerooms, and the office's posting windows.

Every save is one transaction and checks everything before it writes: a grade outside the scale,
a student not in the section during the grading period, or a change to a posted period without a
reason is refused with one sentence, and nothing is saved. The database enforces the same rules
for teachers (row-level security: own sections, open window) and logs corrections (migration 0019).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from app.domain.grading import GradeOutOfScale, GradingScale
from app.errors import UserError
from app.services.descriptor_ids import DescriptorIds
from app.services.grades.policy import comment_codes, load_scale, school_scales

GRADE_TYPES = ("Progress Report", "Grading Period", "Semester", "Final")


@dataclass(frozen=True)
class SectionKey:
    local_course_code: str
    school_id: int
    school_year: int
    section_id: str
    session_name: str

    def params(self) -> dict:
        return {"lcc": self.local_course_code, "school": self.school_id, "sy": self.school_year,
                "sec": self.section_id, "sess": self.session_name}


@dataclass(frozen=True)
class PeriodKey:
    descriptor_id: int
    name: str
    school_id: int
    school_year: int

    def params(self) -> dict:
        return {"gpd": self.descriptor_id, "gpname": self.name, "gpschool": self.school_id, "gpsy": self.school_year}


@dataclass(frozen=True)
class SectionChoice:
    key: SectionKey
    title: str  # "Algebra I (Period 2) · ALG1-F01"
    elementary: bool  # standards-based report card


@dataclass(frozen=True)
class PeriodChoice:
    key: PeriodKey
    begin: date
    end: date
    window: str  # "open until ...", "open", "posted", "not opened"


@dataclass(frozen=True)
class GradeRow:
    student_usi: int
    name: str
    begin_date: date
    letter: str | None
    numeric: Decimal | None
    comments: str  # comment codes, "12, 31"


@dataclass(frozen=True)
class StandardRow:
    standard_id: str
    area: str
    description: str
    scale: GradingScale


@dataclass(frozen=True)
class GradeSheet:
    section: SectionChoice
    period: PeriodChoice
    grade_type: str
    scale: GradingScale
    comment_codes: dict
    rows: tuple[GradeRow, ...]
    standards: tuple[StandardRow, ...]  # elementary: the standards and work habits of the grade level
    marks: dict  # (student_usi, standard_id) -> mark
    can_write: bool
    posted: bool


@dataclass(frozen=True)
class GradeEntry:
    student_usi: int
    typed: str  # as typed: "B+", "87", "" (no grade)
    comments: str = ""


@dataclass(frozen=True)
class SaveGrades:
    section: SectionKey
    period: PeriodKey
    grade_type: str
    entries: tuple[GradeEntry, ...] = ()
    marks: tuple[tuple[int, str, str], ...] = ()  # (student_usi, standard_id, typed) for standards grading
    reason: str = ""  # required when the period is posted
    # No request id: every write is an upsert of the same marks, so a repeated submit changes nothing.


@dataclass(frozen=True)
class SaveResult:
    saved: int
    corrections: int


def _is_teacher(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT pg_has_role(session_user, 'so_teacher', 'MEMBER') "
                                  "AND NOT pg_has_role(session_user, 'so_admin', 'MEMBER')")).scalar())


def my_sections(conn: Connection) -> tuple[SectionChoice, ...]:
    """A teacher's own sections; for the office, every section of its schools (row-level security)."""
    teacher = _is_teacher(conn)
    rows = conn.execute(text(
        "SELECT s.localcoursecode, s.schoolid, s.schoolyear, s.sectionidentifier, s.sessionname, "
        "       coalesce(s.sectionname, o.localcoursetitle, s.localcoursecode) AS title, "
        "       s.localcoursecode LIKE 'HR%' AS elementary "
        "FROM edfi.section s JOIN edfi.courseoffering o USING (localcoursecode, schoolid, schoolyear, sessionname) "
        "WHERE (NOT :teacher OR EXISTS (SELECT 1 FROM edfi.staffsectionassociation t "
        "       WHERE t.staffusi = compliance.my_staff_usi() AND t.localcoursecode = s.localcoursecode "
        "       AND t.schoolid = s.schoolid AND t.schoolyear = s.schoolyear "
        "       AND t.sectionidentifier = s.sectionidentifier AND t.sessionname = s.sessionname)) "
        "  AND (:teacher OR s.schoolid = ANY (compliance.my_school_ids())) "
        "ORDER BY s.schoolyear DESC, s.sessionname, s.sectionidentifier"), {"teacher": teacher})
    return tuple(SectionChoice(SectionKey(r[0], r[1], r[2], r[3], r[4]), f"{r.title} · {r.sectionidentifier}",
                               bool(r.elementary)) for r in rows)


REOPENED = ", reopened: changes to posted grades need a reason"


def _window_text(opened, closes_at, closed_at, now: datetime, reopened_at=None) -> str:
    if opened is None:
        return "not opened"
    if closed_at is not None or (closes_at is not None and closes_at <= now):
        return "posted"
    return ((f"open until {closes_at:%b %d}" if closes_at is not None else "open")
            + (REOPENED if reopened_at is not None else ""))


def periods_of(conn: Connection, section: SectionKey) -> tuple[PeriodChoice, ...]:
    now = conn.execute(text("SELECT now()")).scalar()
    rows = conn.execute(text(
        "SELECT g.gradingperioddescriptorid, g.gradingperiodname, g.schoolid, g.schoolyear, g.begindate, g.enddate, "
        "       w.opened_at, w.closes_at, w.closed_at, w.reopened_at "
        "FROM edfi.sessiongradingperiod sg JOIN edfi.gradingperiod g USING (gradingperioddescriptorid, "
        "     gradingperiodname, schoolid, schoolyear) "
        "LEFT JOIN grades.posting_window w USING (gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear) "
        "WHERE sg.schoolid = :school AND sg.schoolyear = :sy AND sg.sessionname = :sess ORDER BY g.begindate"),
        section.params())
    return tuple(PeriodChoice(PeriodKey(r[0], r[1], r[2], r[3]), r.begindate, r.enddate,
                              _window_text(r.opened_at, r.closes_at, r.closed_at, now, r.reopened_at)) for r in rows)


def _roster(conn: Connection, section: SectionKey, period: PeriodChoice) -> list:
    """Students in the section at some time during the grading period (their latest enrollment)."""
    return conn.execute(text(
        "SELECT DISTINCT ON (a.studentusi) a.studentusi, a.begindate, st.lastsurname || ', ' || st.firstname AS name "
        "FROM edfi.studentsectionassociation a JOIN edfi.student st USING (studentusi) "
        "WHERE a.localcoursecode = :lcc AND a.schoolid = :school AND a.schoolyear = :sy "
        "  AND a.sectionidentifier = :sec AND a.sessionname = :sess "
        "  AND a.begindate <= :pend AND (a.enddate IS NULL OR a.enddate >= :pbegin) "
        "ORDER BY a.studentusi, a.begindate DESC"),
        {**section.params(), "pbegin": period.begin, "pend": period.end}).all()


def grade_sheet(conn: Connection, section: SectionChoice, period: PeriodChoice, grade_type: str) -> GradeSheet:
    ids = DescriptorIds(conn)
    gtype = ids.get("GradeTypeDescriptor", grade_type, "Grade type")
    letter, standards_scale, habits = school_scales(conn, section.key.school_id)
    roster = sorted(_roster(conn, section.key, period), key=lambda r: r.name)
    existing = {r.studentusi: r for r in conn.execute(text(
        "SELECT studentusi, lettergradeearned, numericgradeearned, diagnosticstatement FROM edfi.grade "
        "WHERE localcoursecode = :lcc AND schoolid = :school AND schoolyear = :sy AND sectionidentifier = :sec "
        "  AND sessionname = :sess AND gradingperioddescriptorid = :gpd AND gradingperiodname = :gpname "
        "  AND gradingperiodschoolyear = :gpsy AND gradetypedescriptorid = :gt"),
        {**section.key.params(), **period.key.params(), "gt": gtype})}
    rows = tuple(GradeRow(r.studentusi, r.name, r.begindate,
                          existing[r.studentusi].lettergradeearned if r.studentusi in existing else None,
                          existing[r.studentusi].numericgradeearned if r.studentusi in existing else None,
                          (existing[r.studentusi].diagnosticstatement or "") if r.studentusi in existing else "")
                 for r in roster)
    standards: tuple[StandardRow, ...] = ()
    marks: dict = {}
    if section.elementary:
        scales: dict[int, GradingScale] = {}
        srows = conn.execute(text(
            "SELECT rs.learningstandardid, rs.area, ls.description, rs.scale_id FROM grades.reported_standard rs "
            "JOIN edfi.learningstandard ls USING (learningstandardid) "
            "JOIN edfi.schoolgradelevel gl ON gl.schoolid = rs.schoolid "
            "     AND gl.gradeleveldescriptorid = rs.gradeleveldescriptorid "
            "WHERE rs.schoolid = :school AND rs.gradeleveldescriptorid = (SELECT ssa.entrygradeleveldescriptorid "
            "     FROM edfi.studentschoolassociation ssa JOIN edfi.studentsectionassociation a USING (studentusi, schoolid) "
            "     WHERE a.localcoursecode = :lcc AND a.sectionidentifier = :sec AND a.sessionname = :sess "
            "       AND a.schoolyear = :sy AND a.schoolid = :school ORDER BY ssa.entrydate DESC LIMIT 1) "
            "ORDER BY rs.sort_order"), section.key.params()).all()
        for r in srows:
            if r.scale_id not in scales:
                scales[r.scale_id] = load_scale(conn, r.scale_id)
        standards = tuple(StandardRow(r[0], r.area, r.description, scales[r.scale_id]) for r in srows)
        marks = {(r[0], r[1]): r[2] for r in conn.execute(text(
            "SELECT studentusi, learningstandardid, lettergradeearned FROM edfi.gradelearningstandardgrade "
            "WHERE localcoursecode = :lcc AND schoolid = :school AND schoolyear = :sy AND sectionidentifier = :sec "
            "  AND sessionname = :sess AND gradingperioddescriptorid = :gpd AND gradingperiodname = :gpname "
            "  AND gradingperiodschoolyear = :gpsy AND gradetypedescriptorid = :gt"),
            {**section.key.params(), **period.key.params(), "gt": gtype})}
    posted = period.window == "posted"
    can_write = (not _is_teacher(conn)) or period.window.startswith("open")
    return GradeSheet(section, period, grade_type, letter, comment_codes(conn, section.key.school_id), rows,
                      standards, marks, can_write, posted)


def _period(conn: Connection, cmd: SaveGrades) -> PeriodChoice:
    p = next((p for p in periods_of(conn, cmd.section) if p.key == cmd.period), None)
    if p is None:
        raise UserError("That grading period is not one of this section's; pick a grading period from the list.")
    return p


def save_grades(conn: Connection, cmd: SaveGrades) -> SaveResult:
    """Validate every entry, then write them all (one transaction)."""
    ids = DescriptorIds(conn)
    if cmd.grade_type not in GRADE_TYPES:
        raise UserError(f"Grade type \"{cmd.grade_type}\" is not on the list; pick one from the list.")
    gtype = ids.get("GradeTypeDescriptor", cmd.grade_type, "Grade type")
    period = _period(conn, cmd)
    reason = cmd.reason.strip()
    if _is_teacher(conn) and not period.window.startswith("open"):
        raise UserError(f"Grades for {period.key.name} cannot be posted now: the posting window is "
                        f"{'closed' if period.window == 'posted' else 'not open yet'}; ask the office to open it.")
    if period.window == "posted" and not reason:
        raise UserError(f"{period.key.name} is posted: type a reason for the correction, or leave its grades as they are.")
    roster = {r.studentusi: r for r in _roster(conn, cmd.section, period)}
    names = dict(conn.execute(text("SELECT studentusi, firstname || ' ' || lastsurname FROM edfi.student "
                                   "WHERE studentusi = ANY(:u)"),
                              {"u": [e.student_usi for e in cmd.entries] + [m[0] for m in cmd.marks]}).all())
    letter_scale, _, _ = school_scales(conn, cmd.section.school_id)
    codes = comment_codes(conn, cmd.section.school_id)
    rows = []
    for e in cmd.entries:
        name = names.get(e.student_usi, f"Student {e.student_usi}")
        if e.student_usi not in roster:
            raise UserError(f"{name} is not in section {cmd.section.section_id} during {period.key.name}; "
                            "remove the grade or check the student's schedule.")
        if not e.typed.strip():
            continue
        try:
            letter, numeric = letter_scale.read(e.typed)
        except GradeOutOfScale as err:
            raise GradeOutOfScale(f"{name}: {err.message}") from None
        comment_list = [c.strip() for c in e.comments.replace(";", ",").split(",") if c.strip()]
        unknown = [c for c in comment_list if c not in codes]
        if unknown:
            raise UserError(f"{name}: comment code {unknown[0]} is not one of this school's; pick codes from the list.")
        rows.append({"usi": e.student_usi, "begin": roster[e.student_usi].begindate, "letter": letter,
                     "numeric": numeric, "comments": ", ".join(comment_list) or None})
    marks = []
    if cmd.marks:
        sheet_scales, described = {}, {}
        for r in conn.execute(text("SELECT rs.learningstandardid, rs.scale_id, ls.description "
                                   "FROM grades.reported_standard rs JOIN edfi.learningstandard ls "
                                   "USING (learningstandardid) WHERE rs.schoolid = :s"), {"s": cmd.section.school_id}):
            sheet_scales[r[0]], described[r[0]] = r[1], r[2]
        loaded: dict[int, GradingScale] = {}
        for usi, standard, typed in cmd.marks:
            name = names.get(usi, f"Student {usi}")
            if usi not in roster:
                raise UserError(f"{name} is not in section {cmd.section.section_id} during {period.key.name}; "
                                "remove the mark or check the student's schedule.")
            if standard not in sheet_scales:
                raise UserError(f"Standard {standard} is not on this school's report card; pick a standard from the grid.")
            if not typed.strip():
                continue
            sid = sheet_scales[standard]
            scale = loaded.setdefault(sid, load_scale(conn, sid))
            try:
                mark, _ = scale.read(typed)
            except GradeOutOfScale as err:
                raise GradeOutOfScale(f"{name}, \"{described[standard]}\": {err.message}") from None
            marks.append({"usi": usi, "begin": roster[usi].begindate, "std": standard, "mark": mark})
    if reason:
        conn.execute(text("SELECT set_config('school_office.correction_reason', :r, true)"), {"r": reason[:500]})
    base = {**cmd.section.params(), **cmd.period.params(), "gt": gtype, "asof": date.today()}
    before = conn.execute(text("SELECT count(*) FROM grades.grade_correction")).scalar() if reason else 0
    upsert = text(
        "INSERT INTO edfi.grade (begindate, gradetypedescriptorid, gradingperioddescriptorid, gradingperiodname, "
        "  gradingperiodschoolyear, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, studentusi, "
        "  lettergradeearned, numericgradeearned, diagnosticstatement, currentgradeasofdate, currentgradeindicator) "
        "VALUES (:begin, :gt, :gpd, :gpname, :gpsy, :lcc, :school, :sy, :sec, :sess, :usi, :letter, :numeric, "
        "  :comments, :asof, :current) "
        "ON CONFLICT ON CONSTRAINT pk_grade DO UPDATE SET lettergradeearned = EXCLUDED.lettergradeearned, "
        "  numericgradeearned = EXCLUDED.numericgradeearned, diagnosticstatement = EXCLUDED.diagnosticstatement, "
        "  currentgradeasofdate = EXCLUDED.currentgradeasofdate, lastmodifieddate = now() AT TIME ZONE 'utc' "
        "WHERE (edfi.grade.lettergradeearned, edfi.grade.numericgradeearned, edfi.grade.diagnosticstatement) "
        "  IS DISTINCT FROM (EXCLUDED.lettergradeearned, EXCLUDED.numericgradeearned, EXCLUDED.diagnosticstatement)")
    current = cmd.grade_type == "Progress Report"
    if rows:
        try:
            conn.execute(upsert, [{**base, **r, "current": current} for r in rows])
        except DBAPIError as err:
            if getattr(getattr(err.orig, "diag", None), "message_hint", None) != "grade_correction_needs_reason":
                raise
            raise UserError(f"{period.key.name} was posted before it was opened again: a change to a grade posted "
                            "then is a correction; type a reason for it, or leave that grade as it is.") from None
    if marks:
        parents = {m["usi"]: m["begin"] for m in marks}
        conn.execute(text(
            "INSERT INTO edfi.grade (begindate, gradetypedescriptorid, gradingperioddescriptorid, gradingperiodname, "
            "  gradingperiodschoolyear, localcoursecode, schoolid, schoolyear, sectionidentifier, sessionname, "
            "  studentusi, currentgradeasofdate) "
            "VALUES (:begin, :gt, :gpd, :gpname, :gpsy, :lcc, :school, :sy, :sec, :sess, :usi, :asof) "
            "ON CONFLICT ON CONSTRAINT pk_grade DO NOTHING"),
            [{**base, "usi": u, "begin": b} for u, b in parents.items()])
        conn.execute(text(
            "INSERT INTO edfi.gradelearningstandardgrade (begindate, gradetypedescriptorid, gradingperioddescriptorid, "
            "  gradingperiodname, gradingperiodschoolyear, localcoursecode, schoolid, schoolyear, sectionidentifier, "
            "  sessionname, studentusi, learningstandardid, lettergradeearned) "
            "VALUES (:begin, :gt, :gpd, :gpname, :gpsy, :lcc, :school, :sy, :sec, :sess, :usi, :std, :mark) "
            "ON CONFLICT ON CONSTRAINT pk_gradelearningstandardgrade DO UPDATE "
            "SET lettergradeearned = EXCLUDED.lettergradeearned "
            "WHERE edfi.gradelearningstandardgrade.lettergradeearned IS DISTINCT FROM EXCLUDED.lettergradeearned"),
            [{**base, **m} for m in marks])
    after = conn.execute(text("SELECT count(*) FROM grades.grade_correction")).scalar() if reason else 0
    return SaveResult(len(rows) + len(marks), after - before)


# -- posting windows (the office) --------------------------------------------------------------
def open_window(conn: Connection, period: PeriodKey, closes_at: datetime | None) -> None:
    if closes_at is not None and closes_at <= conn.execute(text("SELECT now()")).scalar():
        raise UserError("The closing time is already past; pick a closing date after today.")
    conn.execute(text(
        "INSERT INTO grades.posting_window (gradingperioddescriptorid, gradingperiodname, schoolid, schoolyear, "
        "  closes_at) VALUES (:gpd, :gpname, :gpschool, :gpsy, :closes) "
        "ON CONFLICT ON CONSTRAINT pk_posting_window DO UPDATE SET opened_at = now(), closes_at = EXCLUDED.closes_at, "
        "  closed_at = NULL, closed_by = NULL, opened_by = session_user"),
        {**period.params(), "closes": closes_at})


def close_window(conn: Connection, period: PeriodKey) -> None:
    n = conn.execute(text(
        "UPDATE grades.posting_window SET closed_at = now(), closed_by = session_user "
        "WHERE gradingperioddescriptorid = :gpd AND gradingperiodname = :gpname AND schoolid = :gpschool "
        "  AND schoolyear = :gpsy AND closed_at IS NULL"), period.params()).rowcount
    if n == 0:
        raise UserError(f"The posting window for {period.name} is not open; there is nothing to close.")


def with_window(p: PeriodChoice, window: str) -> PeriodChoice:
    return replace(p, window=window)
