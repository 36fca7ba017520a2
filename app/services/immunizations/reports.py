"""Reports from the stored statuses: the state survey per school and grade, non-compliance letters,
and the exclusion list when provisional deadlines pass. Reads only (the caller refreshes first)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Connection, text

from app.domain.cdsi.school_entry import (COMPLIANT, EXEMPT, IN_PROGRESS, NOT_COMPLIANT, PROVISIONAL, STATUS_LABELS,
                                          SEVERITY, grade_label)
from app.domain.school_calendar import school_year_for, school_year_label
from app.errors import UserError
from app.services.immunizations.compliance import ensure_school_current
from reports.immunization_documents import (ExclusionList, ExclusionRow, GradeCounts, LetterItem, ListedStudent,
                                            NonComplianceLetter, SchoolSurvey)

_STATUS_ROWS = """
SELECT t.student_usi, s.lastsurname || ', ' || s.firstname AS name, t.grade, t.requirement, t.status, t.reason,
       t.next_due, t.valid_doses, t.doses_required, t.provisional_deadline, t.set_id
  FROM health.immunization_statuses t JOIN edfi.student s ON s.studentusi = t.student_usi
 WHERE t.school_id = :school
 ORDER BY t.grade, name, t.requirement
"""


def _names(conn: Connection, school_id: int) -> tuple[str, str]:
    row = conn.execute(text(
        "SELECT so.nameofinstitution AS school, coalesce(lo.nameofinstitution, '') AS district "
        "FROM edfi.school s JOIN edfi.educationorganization so ON so.educationorganizationid = s.schoolid "
        "LEFT JOIN edfi.educationorganization lo ON lo.educationorganizationid = s.localeducationagencyid "
        "WHERE s.schoolid = :s"), {"s": school_id}).first()
    if row is None:
        raise UserError("That school does not exist (any more); choose another.")
    return row.school, row.district


def _by_student(conn: Connection, school_id: int) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for r in conn.execute(text(_STATUS_ROWS), {"school": school_id}):
        out[r.student_usi].append(r)
    return out


def _exemption_kinds(conn: Connection, usis: list[int], day: date) -> dict[int, set[str]]:
    kinds: dict[int, set[str]] = defaultdict(set)
    for r in conn.execute(text(
            "SELECT student_usi, exemption_type FROM health.immunization_exemptions WHERE student_usi = ANY(:u) "
            "AND granted_on <= :d AND (expires_on IS NULL OR expires_on >= :d) AND (revoked_on IS NULL OR revoked_on > :d)"),
            {"u": usis, "d": day}):
        kinds[r.student_usi].add(r.exemption_type)
    return kinds


def _overall(rows) -> str:
    present = {r.status for r in rows}
    return next((s for s in SEVERITY if s in present), COMPLIANT)


def _missing(rows) -> str:
    return "; ".join(f"{r.requirement} {r.valid_doses}/{r.doses_required}" for r in rows
                     if r.status not in (COMPLIANT, EXEMPT))


def school_survey(conn: Connection, school_id: int, day: date) -> SchoolSurvey:
    """Counts per grade (the state survey's table) and the list of students not fully compliant."""
    ensure_school_current(conn, school_id, day)
    school, district = _names(conn, school_id)
    students = _by_student(conn, school_id)
    set_name = conn.execute(text(
        "SELECT r.name FROM health.immunization_requirement_sets r JOIN health.immunization_statuses t "
        "ON t.set_id = r.set_id WHERE t.school_id = :s LIMIT 1"), {"s": school_id}).scalar() or ""
    requirements = tuple(sorted({r.requirement for rows in students.values() for r in rows}))
    kinds = _exemption_kinds(conn, list(students), day)
    per_grade: dict[int, list[int]] = defaultdict(lambda: [0] * (7 + len(requirements)))
    listed = []
    for usi, rows in students.items():
        counts = per_grade[rows[0].grade]
        status = _overall(rows)
        counts[0] += 1
        slot = {COMPLIANT: 1, IN_PROGRESS: 2, PROVISIONAL: 3, NOT_COMPLIANT: 6}.get(status)
        if status == EXEMPT:
            slot = 4 if "medical" in kinds.get(usi, ()) else 5
        counts[slot] += 1
        for r in rows:
            if r.status == COMPLIANT:
                counts[7 + requirements.index(r.requirement)] += 1
        if status != COMPLIANT:
            due = min((r.next_due for r in rows if r.next_due and r.status not in (COMPLIANT, EXEMPT)), default=None)
            listed.append(ListedStudent(usi, rows[0].name, grade_label(rows[0].grade), STATUS_LABELS[status],
                                        _missing(rows) or "exempt", due))
    grades = tuple(GradeCounts(grade_label(g), *c[:7], per_requirement=tuple(c[7:]))
                   for g, c in sorted(per_grade.items()))
    return SchoolSurvey(district, school, school_year_label(school_year_for(day)), day, set_name, requirements, grades, tuple(listed))


def exclusion_list(conn: Connection, school_id: int, day: date) -> ExclusionList:
    """Students whose provisional enrollment deadline has passed while still short of a requirement."""
    ensure_school_current(conn, school_id, day)
    school, district = _names(conn, school_id)
    rows = []
    for usi, statuses in _by_student(conn, school_id).items():
        late = [r for r in statuses if r.status == NOT_COMPLIANT and r.provisional_deadline
                and r.provisional_deadline < day]
        if late:
            rows.append(ExclusionRow(statuses[0].name, grade_label(statuses[0].grade),
                                     min(r.provisional_deadline for r in late), _missing(statuses), usi))
    return ExclusionList(district, school, day, tuple(rows))


def letters(conn: Connection, school_id: int | None, day: date, *, nurse: str = "",
            student_usis: list[int] | None = None) -> list[NonComplianceLetter]:
    """One letter per student not compliant or provisional (or per given student; school None: theirs)."""
    if school_id is None:
        school_id = conn.execute(text("SELECT school_id FROM health.immunization_statuses WHERE student_usi = ANY(:u) "
                                      "LIMIT 1"), {"u": student_usis or []}).scalar()
        if school_id is None:
            raise UserError("No immunization status is stored for that student yet; open the student first.")
    ensure_school_current(conn, school_id, day)
    school, district = _names(conn, school_id)
    descriptions = {}
    for r in conn.execute(text(
            "SELECT DISTINCT ON (q.name) q.name, q.description FROM health.immunization_requirements q "
            "JOIN health.immunization_statuses t ON t.set_id = q.set_id AND t.requirement = q.name "
            "WHERE t.school_id = :s ORDER BY q.name, q.doses_required DESC"), {"s": school_id}):
        descriptions[r.name] = r.description
    out = []
    for usi, rows in _by_student(conn, school_id).items():
        if student_usis is not None and usi not in student_usis:
            continue
        short = [r for r in rows if r.status in (NOT_COMPLIANT, PROVISIONAL, IN_PROGRESS)]
        if not short or (student_usis is None and _overall(rows) == IN_PROGRESS):
            continue
        deadline = max((r.provisional_deadline for r in short if r.provisional_deadline), default=None)
        items = tuple(LetterItem(r.requirement, descriptions.get(r.requirement, ""), STATUS_LABELS[r.status],
                                 r.reason, r.next_due) for r in short)
        out.append(NonComplianceLetter(district, school, nurse, day, rows[0].name, grade_label(rows[0].grade), items,
                                       deadline, bool(deadline and deadline < day), usi))
    return out
