"""Transcripts: the document's data from CourseTranscript and StudentAcademicRecord, issuing a
copy (document number, SHA-256 of the file in grades.issued_document) and the FERPA release log
(34 CFR 99.32: who asked, the recipient, the legal basis, the date, the document and its hash)."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import pypdfium2 as pdfium
from sqlalchemy import Connection, text

from app.domain.grading import compute_gpa, plain
from app.errors import UserError
from app.services.descriptor_ids import DescriptorIds
from app.services.grades.policy import school_policy
from app.services.grades.term_end import TERM_ORDER, student_attempts
from reports import transcript as transcript_pdf
from reports.grading_parts import branding
from reports.transcript import TranscriptDocument, TranscriptLine, TranscriptTerm

LEGAL_BASES = ("Written consent", "School of intended enrollment", "Eligible student", "Parent of dependent student",
               "Subpoena or court order", "Financial aid", "Accrediting organization", "Health or safety emergency",
               "School official")
LEVEL_MARK = {"Advanced Placement": "AP", "Honors": "H", "International Baccalaureate": "IB", "Dual Credit": "DC"}
REPEAT_NOTE = {"Replaced NotCounted": "Replaced (not in GPA)", "Replacement Counted": "Repeat, replaces earlier",
               "Repeat NotCounted": "Repeat (not in GPA)", "Not Counted Other": "Not in GPA"}


def _gpa_text(g) -> str:
    return "—" if g.unweighted is None else f"{g.unweighted:.3f} / {g.weighted:.3f}"


def transcript_document(conn: Connection, student_usi: int, school_id: int, official: bool,
                        document_number: str, today: date) -> TranscriptDocument:
    person = conn.execute(text(
        "SELECT st.firstname || ' ' || coalesce(st.middlename || ' ', '') || st.lastsurname AS name, "
        "  st.studentuniqueid, st.birthdate, d.codevalue AS grade_level "
        "FROM edfi.student st LEFT JOIN LATERAL (SELECT entrygradeleveldescriptorid FROM edfi.studentschoolassociation "
        "  WHERE studentusi = st.studentusi ORDER BY entrydate DESC LIMIT 1) ssa ON true "
        "LEFT JOIN edfi.descriptor d ON d.descriptorid = ssa.entrygradeleveldescriptorid WHERE st.studentusi = :u"),
        {"u": student_usi}).first()
    if person is None:
        raise UserError("That student is not one you can see; search for the student again.")
    school = conn.execute(text(
        "SELECT s.nameofinstitution, d.nameofinstitution AS district, "
        "  (SELECT a.streetnumbername || ', ' || a.city || ' ' || a.postalcode FROM edfi.educationorganizationaddress a "
        "   WHERE a.educationorganizationid = s.educationorganizationid LIMIT 1) AS address "
        "FROM edfi.educationorganization s JOIN edfi.school sc ON sc.schoolid = s.educationorganizationid "
        "LEFT JOIN edfi.educationorganization d ON d.educationorganizationid = sc.localeducationagencyid "
        "WHERE s.educationorganizationid = :s"), {"s": school_id}).one()
    policy = school_policy(conn, school_id)
    lines = conn.execute(text(
        "SELECT t.schoolyear, td.codevalue AS term, t.coursecode, coalesce(t.alternativecoursetitle, t.coursetitle) AS title, "
        "  t.finallettergradeearned AS grade, t.attemptedcredits, t.earnedcredits, rc.codevalue AS repeat_code, "
        "  t.externaleducationorganizationnameofinstitution AS institution, gl.codevalue AS grade_level, "
        "  (SELECT ld.codevalue FROM edfi.courselevelcharacteristic l JOIN edfi.descriptor ld "
        "     ON ld.descriptorid = l.courselevelcharacteristicdescriptorid WHERE l.coursecode = t.coursecode "
        "     AND l.educationorganizationid = t.courseeducationorganizationid "
        "     AND ld.codevalue IN ('Honors', 'Advanced Placement', 'International Baccalaureate', 'Dual Credit') "
        "     LIMIT 1) AS level "
        "FROM edfi.coursetranscript t JOIN edfi.descriptor td ON td.descriptorid = t.termdescriptorid "
        "LEFT JOIN edfi.descriptor rc ON rc.descriptorid = t.courserepeatcodedescriptorid "
        "LEFT JOIN edfi.descriptor gl ON gl.descriptorid = t.whentakengradeleveldescriptorid "
        "WHERE t.studentusi = :u ORDER BY t.schoolyear, t.coursecode"), {"u": student_usi}).all()
    attempts = student_attempts(conn, [student_usi]).get(student_usi, [])
    by_term = defaultdict(list)
    for ln in lines:
        by_term[(ln.schoolyear, TERM_ORDER.get(ln.term, 0), ln.term)].append(ln)
    terms = []
    for key in sorted(by_term):
        sy, order, term_name = key
        these = by_term[key]
        this = [a for _, a in attempts if a.term == (sy, order)]
        upto = [a for _, a in attempts if a.term <= (sy, order)]
        level_name = next((x.grade_level for x in these if x.grade_level), "")
        where = next((x.institution for x in these if x.institution), None)
        terms.append(TranscriptTerm(
            " · ".join(x for x in (f"{sy - 1}-{sy}", level_name, term_name, where) if x),
            tuple(TranscriptLine(x.coursecode, x.title, LEVEL_MARK.get(x.level or "", ""), x.grade or "",
                                 f"{x.attemptedcredits:.2f}", f"{x.earnedcredits:.2f}",
                                 "Transfer credit" if x.institution else REPEAT_NOTE.get(x.repeat_code or "", ""))
                  for x in these),
            _gpa_text(compute_gpa(this, policy)), _gpa_text(compute_gpa(upto, policy))))
    total = compute_gpa([a for _, a in attempts], policy)
    rank = conn.execute(text(
        "SELECT classrank, totalnumberinclass, percentageranking FROM edfi.studentacademicrecordclassranking "
        "WHERE studentusi = :u AND educationorganizationid = :s ORDER BY schoolyear DESC, classrankingdate DESC LIMIT 1"),
        {"u": student_usi, "s": school_id}).first()
    grad = conn.execute(text(
        "SELECT max(projectedgraduationdate) FROM edfi.studentacademicrecord WHERE studentusi = :u"),
        {"u": student_usi}).scalar()
    diploma = conn.execute(text(
        "SELECT d.diplomaawarddate, t.codevalue FROM edfi.studentacademicrecorddiploma d JOIN edfi.descriptor t "
        "ON t.descriptorid = d.diplomatypedescriptorid WHERE d.studentusi = :u ORDER BY d.diplomaawarddate DESC LIMIT 1"),
        {"u": student_usi}).first()
    if diploma is not None:
        graduation = f"Graduated {diploma[0]:%B} {diploma[0].day}, {diploma[0]:%Y}"
    elif grad is not None:
        graduation = f"Projected graduation: {grad:%B} {grad.day}, {grad:%Y}"
    else:
        graduation = "Graduation date not set"
    weights = ", ".join(f"{LEVEL_MARK.get(k, k)} {'+' if policy.weighting == 'additive' else 'x'}{plain(v)}"
                        for k, v in sorted(policy.level_weights.items()))
    note = (f"Weighted GPA: {policy.weighting} weighting ({weights}) for grades worth at least "
            f"{plain(policy.min_points_for_bonus)} points; GPAs are credit-weighted; pass/fail, non-GPA courses and "
            "replaced attempts are not counted.")
    registrar = conn.execute(text("SELECT firstname || ' ' || lastsurname FROM edfi.staff "
                                  "WHERE staffusi = compliance.my_staff_usi()")).scalar() or "Registrar"
    return TranscriptDocument(
        school.district or "", school.nameofinstitution, school.address or "", branding("school_logo.png"),
        person.name, person.studentuniqueid, f"{person.birthdate:%B} {person.birthdate.day}, {person.birthdate:%Y}",
        person.grade_level or "", official, document_number, today, tuple(terms),
        f"{total.attempted_credits:.2f}", f"{total.earned_credits:.2f}",
        "—" if total.unweighted is None else f"{total.unweighted:.3f}",
        "—" if total.weighted is None else f"{total.weighted:.3f}",
        (f"{rank.classrank} of {rank.totalnumberinclass} ({ordinal(rank.percentageranking)} percentile)"
         if rank is not None and policy.ranks else None),
        graduation, diploma[1] if diploma is not None else None,
        tuple((b.symbol, f"{plain(b.min_score)}-{plain(b.max_score)}" if b.min_score is not None else "",
               plain(b.points) if b.points is not None else "no points") for b in policy.scale.bands),
        note, registrar, f"RISD-TRANSCRIPT {document_number} verify: https://riverbend.example/verify/{document_number}")


@dataclass(frozen=True)
class IssuedTranscript:
    document_number: str
    sha256: str
    pdf: bytes
    pages: int


def issue_transcript(conn: Connection, student_usi: int, school_id: int, official: bool, today: date) -> IssuedTranscript:
    """Render the transcript and record it in the registry of issued documents."""
    number = f"RB-{today:%Y%m%d}-{secrets.token_hex(3).upper()}"
    doc = transcript_document(conn, student_usi, school_id, official, number, today)
    if not doc.terms:
        raise UserError(f"{doc.student_name} has no courses on a transcript yet; close a term or enter transfer credit first.")
    pdf = transcript_pdf.build(doc)
    digest = hashlib.sha256(pdf).hexdigest()
    pages = len(pdfium.PdfDocument(pdf))
    conn.execute(text(
        "INSERT INTO grades.issued_document (document_number, studentusi, schoolid, kind, official, sha256, pages) "
        "VALUES (:n, :u, :s, 'transcript', :o, :h, :p)"),
        {"n": number, "u": student_usi, "s": school_id, "o": official, "h": digest, "p": pages})
    return IssuedTranscript(number, digest, pdf, pages)


@dataclass(frozen=True)
class Release:
    student_usi: int
    document_number: str
    requested_by: str
    recipient: str
    legal_basis: str
    released_on: date


@dataclass(frozen=True)
class ReleaseRow:
    released_on: date
    document_number: str
    official: bool
    requested_by: str
    recipient: str
    legal_basis: str
    released_by: str
    sha256: str


def record_release(conn: Connection, r: Release) -> None:
    if not r.requested_by.strip():
        raise UserError("Type who asked for the transcript (the student, a parent, or the school that requested it).")
    if not r.recipient.strip():
        raise UserError("Type who receives the transcript (a college, a school, the student).")
    if r.legal_basis not in LEGAL_BASES:
        raise UserError(f"Legal basis \"{r.legal_basis}\" is not on the list; pick one from the list.")
    doc = conn.execute(text("SELECT studentusi FROM grades.issued_document WHERE document_number = :n"),
                       {"n": r.document_number}).first()
    if doc is None or doc[0] != r.student_usi:
        raise UserError(f"Document {r.document_number} was not issued for this student; issue the transcript first.")
    conn.execute(text(
        "INSERT INTO grades.transcript_release (studentusi, document_number, requested_by, recipient, legal_basis, "
        "released_on) VALUES (:u, :n, :q, :r, :b, :d)"),
        {"u": r.student_usi, "n": r.document_number, "q": r.requested_by.strip()[:120], "r": r.recipient.strip()[:200],
         "b": r.legal_basis, "d": r.released_on})


def ordinal(n: int | None) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 33rd, 100th."""
    if n is None:
        return "—"
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def releases_for_student(conn: Connection, student_usi: int) -> tuple[ReleaseRow, ...]:
    return tuple(ReleaseRow(*r) for r in conn.execute(text(
        "SELECT r.released_on, r.document_number, d.official, r.requested_by, r.recipient, r.legal_basis, "
        "  r.released_by, d.sha256 FROM grades.transcript_release r "
        "JOIN grades.issued_document d USING (document_number) WHERE r.studentusi = :u "
        "ORDER BY r.released_on DESC, r.release_id DESC"), {"u": student_usi}))


DIPLOMA_TYPES = ("Regular diploma", "Endorsed/advanced diploma", "International Baccalaureate", "Modified diploma",
                 "Certificate of completion")


def award_diploma(conn: Connection, student_usi: int, school_id: int, diploma_type: str, awarded_on: date,
                  today: date) -> str:
    """Graduation: the diploma (Ed-Fi StudentAcademicRecordDiploma) on the student's latest academic
    record at the school; transcripts from then on say "Graduated <date> · Diploma: <type>"."""
    if diploma_type not in DIPLOMA_TYPES:
        raise UserError(f"Diploma type \"{diploma_type}\" is not on the list; pick one from the list.")
    if awarded_on > today:
        raise UserError(f"The award date {awarded_on:%m/%d/%Y} is in the future; type the graduation date once it "
                        "has passed.")
    record = conn.execute(text(
        "SELECT r.schoolyear, r.termdescriptorid FROM edfi.studentacademicrecord r "
        "JOIN edfi.descriptor d ON d.descriptorid = r.termdescriptorid "
        "WHERE r.studentusi = :u AND r.educationorganizationid = :s "
        "ORDER BY r.schoolyear DESC, array_position(CAST(:order AS text[]), d.codevalue) DESC NULLS LAST LIMIT 1"),
        {"u": student_usi, "s": school_id, "order": sorted(TERM_ORDER, key=TERM_ORDER.get)}).first()
    if record is None:
        raise UserError("The student has no academic record at this school yet; close a term or enter transfer "
                        "credit first.")
    dtype = DescriptorIds(conn).get("DiplomaTypeDescriptor", diploma_type, "Diploma type")
    conn.execute(text(
        "INSERT INTO edfi.studentacademicrecorddiploma (educationorganizationid, schoolyear, studentusi, "
        "  termdescriptorid, diplomatypedescriptorid, diplomaawarddate) VALUES (:s, :sy, :u, :t, :d, :on) "
        "ON CONFLICT DO NOTHING"),
        {"s": school_id, "sy": record.schoolyear, "u": student_usi, "t": record.termdescriptorid, "d": dtype,
         "on": awarded_on})
    return f"Graduated {awarded_on:%B} {awarded_on.day}, {awarded_on:%Y} · Diploma: {diploma_type}"
