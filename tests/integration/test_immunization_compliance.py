"""School-entry compliance on the demo district, signed in as the nurse (row-level security on): the
statuses stored for a school, refreshed when a record changes, exemptions and provisional enrollment
overriding them, the survey, letters and exclusion list, and the requirement set kept as data."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
from sqlalchemy import text

from app.domain.cdsi.school_entry import Requirement
from app.errors import UserError
from app.services.immunizations import compliance, reports as imm_reports, requirements
from reports import immunization_exclusions, immunization_letter, immunization_survey
from tests.conftest import DEMO_AS_OF

pytestmark = pytest.mark.integration
RES = 255950001
DAY = DEMO_AS_OF


@pytest.fixture
def nurse(login_engine):
    """A connection as the demo nurse (Riverbend Elementary) whose changes are rolled back afterwards."""
    with login_engine("demo_nurse").connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def status_of(conn, usi: int, requirement: str):
    return conn.execute(text("SELECT status, reason, next_due, provisional_deadline FROM health.immunization_statuses "
                             "WHERE student_usi = :u AND requirement = :r"), {"u": usi, "r": requirement}).first()


def short_of_mmr(conn) -> int:
    """A student of the nurse's school one MMR dose short: the latest of a compliant student's two MMR
    doses removed (in the test's transaction), and the student evaluated again."""
    usi = conn.execute(text("SELECT student_usi FROM health.immunization_statuses WHERE school_id = :s AND "
                            "requirement = 'MMR' AND status = 'compliant' AND valid_doses = 2 ORDER BY 1 LIMIT 1"),
                       {"s": RES}).scalar()
    conn.execute(text("DELETE FROM health.immunizations WHERE immunization_id = (SELECT immunization_id FROM "
                      "health.immunizations WHERE student_usi = :u AND cvx_code IN ('03', '94') "
                      "ORDER BY date_administered DESC LIMIT 1)"), {"u": usi})
    compliance.refresh_students(conn, [usi], DAY)
    return usi


def test_the_demo_school_has_a_stored_status_for_every_requirement_of_every_enrolled_student(nurse):
    enrolled = nurse.execute(text("SELECT count(DISTINCT studentusi) FROM edfi.studentschoolassociation "
                                  "WHERE schoolid = :s AND exitwithdrawdate IS NULL"), {"s": RES}).scalar()
    rows = nurse.execute(text("SELECT student_usi, count(*), min(length(reason)) FROM health.immunization_statuses "
                              "WHERE school_id = :s GROUP BY 1"), {"s": RES}).all()
    assert len(rows) == enrolled > 50
    assert all(n >= 6 and shortest > 20 for _, n, shortest in rows)  # K-6: six requirements, each with a reason
    counts = dict(nurse.execute(text("SELECT status, count(*) FROM health.immunization_statuses WHERE school_id = :s "
                                     "GROUP BY 1"), {"s": RES}).all())
    assert counts["compliant"] > 5 * counts.get("not_compliant", 0) > 0


def test_a_dose_recorded_marks_the_student_and_the_refresh_makes_them_compliant(nurse):
    usi = short_of_mmr(nurse)
    assert status_of(nurse, usi, "MMR").status == "not_compliant"
    nurse.execute(text("INSERT INTO health.immunizations (student_usi, vaccine_type, dose_number, date_administered, "
                       "cvx_code) VALUES (:u, 'MMR', 2, :d, '03')"), {"u": usi, "d": DAY - timedelta(days=1)})
    assert nurse.execute(text("SELECT count(*) FROM health.immunization_status_stale WHERE student_usi = :u"),
                         {"u": usi}).scalar() == 1
    assert compliance.school_needs_refresh(nurse, RES, DAY)
    # only the students whose records changed are evaluated again, not the whole school
    assert 1 <= compliance.ensure_school_current(nurse, RES, DAY) < 20
    assert not compliance.school_needs_refresh(nurse, RES, DAY)
    row = status_of(nurse, usi, "MMR")
    assert row.status == "compliant" and row.reason.startswith("Meets the requirement: 2 doses of measles")
    assert compliance.refresh_stale(nurse, DAY) == 0  # nothing left marked at her schools


def test_one_statement_over_many_doses_marks_each_student_once(nurse):
    """Stale marks are written per statement (migration 0029): an UPDATE that moves a dose to another
    student marks both, a DELETE of several doses marks each of their students, nobody twice."""
    a, b, c = nurse.execute(text(
        "SELECT student_usi FROM health.immunization_statuses WHERE school_id = :s GROUP BY 1 ORDER BY 1 LIMIT 3"),
        {"s": RES}).scalars().all()
    compliance.refresh_students(nurse, [a, b, c], DAY)  # nothing marked for them to begin with
    stale = "SELECT student_usi FROM health.immunization_status_stale WHERE student_usi = ANY(:u) ORDER BY 1"
    assert nurse.execute(text(stale), {"u": [a, b, c]}).scalars().all() == []
    moved = nurse.execute(text("UPDATE health.immunizations SET student_usi = :b WHERE immunization_id = (SELECT "
                               "min(immunization_id) FROM health.immunizations WHERE student_usi = :a)"),
                          {"a": a, "b": b}).rowcount
    assert moved == 1 and nurse.execute(text(stale), {"u": [a, b, c]}).scalars().all() == [a, b]
    gone = nurse.execute(text("DELETE FROM health.immunizations WHERE student_usi IN (:b, :c)"), {"b": b, "c": c}).rowcount
    assert gone > 2 and nurse.execute(text(stale), {"u": [a, b, c]}).scalars().all() == [a, b, c]


def test_exemption_and_provisional_enrollment_override_and_a_passed_deadline_lists_the_student(nurse):
    usi = short_of_mmr(nurse)
    nurse.execute(text("INSERT INTO health.provisional_enrollments (student_usi, school_id, vaccine_groups, starts_on, "
                       "deadline) VALUES (:u, :s, ARRAY['MMR'], :a, :b)"),
                  {"u": usi, "s": RES, "a": DAY - timedelta(days=40), "b": DAY + timedelta(days=20)})
    compliance.refresh_students(nurse, [usi], DAY)
    row = status_of(nurse, usi, "MMR")
    assert row.status == "provisional" and row.provisional_deadline == DAY + timedelta(days=20)
    later = DAY + timedelta(days=30)
    compliance.refresh_students(nurse, [usi], later)
    assert status_of(nurse, usi, "MMR").status == "not_compliant"
    listed = imm_reports.exclusion_list(nurse, RES, later)
    assert any("MMR 1/2" in r.missing and r.deadline == DAY + timedelta(days=20) for r in listed.rows)
    nurse.execute(text("INSERT INTO health.immunization_exemptions (student_usi, vaccine_group, exemption_type, "
                       "granted_on) VALUES (:u, 'MMR', 'religious', :d)"), {"u": usi, "d": later})
    compliance.refresh_stale(nurse, later)
    row = status_of(nurse, usi, "MMR")
    assert row.status == "exempt" and row.reason.startswith("A religious exemption is in force")


def test_the_nurse_desk_view_gives_status_forecast_and_what_to_tell_the_family(nurse):
    usi = short_of_mmr(nurse)
    view = compliance.student_compliance(nurse, usi, DAY)
    assert view.status == "not_compliant" and view.status_label == "Not compliant"
    mmr = next(g for g in view.requirements if g.requirement == "MMR")
    assert (mmr.valid_doses, mmr.doses_required) == (1, 2)
    assert any(f.vaccine_group == "MMR" and f.status == "Not complete" and f.earliest for f in view.forecast)
    assert any(line.startswith("MMR: your child has 1 of the 2 doses school needs") for line in view.tell_family)


def test_survey_letters_and_exclusion_list_render_as_pdf(nurse, tmp_path):
    survey = imm_reports.school_survey(nurse, RES, DAY)
    assert survey.requirements and sum(g.enrolled for g in survey.grades) > 50
    assert sum(g.not_compliant for g in survey.grades) == sum(1 for s in survey.students if s.status == "Not compliant")
    letters = imm_reports.letters(nurse, RES, DAY, nurse="Pat Nurse")
    assert letters and all(letter.items for letter in letters)
    for name, pdf, expect in (("survey", immunization_survey.build(survey), "Immunization status"),
                              ("letters", immunization_letter.build(letters[:3]), "To the parent or guardian of"),
                              ("exclusions", immunization_exclusions.build(imm_reports.exclusion_list(nurse, RES, DAY)),
                               "Exclusion list")):
        document = pdfium.PdfDocument(pdf)
        assert len(document) >= 1, name
        assert expect in document[0].get_textpage().get_text_range(), name
    assert len(pdfium.PdfDocument(immunization_letter.build(letters[:3]))) >= 3
    if os.environ.get("SO_SCREENSHOT_DIR"):  # to look at the demo's survey
        page = pdfium.PdfDocument(immunization_survey.build(survey))[0]
        page.render(scale=1.3).to_pil().save(os.path.join(os.environ["SO_SCREENSHOT_DIR"], "survey.png"))


def test_requirements_are_data_an_administrator_edits_and_a_bad_row_is_refused(login_engine):
    with login_engine("demo_admin").connect() as admin:
        tx = admin.begin()
        try:
            chosen = requirements.active_set_for_school(admin, RES, DAY)
            assert chosen is not None and chosen.state_code == "TX"
            rows = requirements.requirements_of(admin, chosen.set_id)
            assert {r.name for r in rows} >= {"DTaP/Tdap/Td", "Polio", "MMR", "Hepatitis B", "Varicella",
                                              "Meningococcal", "Tdap booster", "Hepatitis A"}
            new = Requirement(0, "Influenza", "Influenza", 0, 12, 1, "1 dose of flu vaccine this season.")
            rid = requirements.save_requirement(admin, chosen.set_id, new)
            assert any(r.requirement_id == rid for r in requirements.requirements_of(admin, chosen.set_id))
            assert compliance.school_needs_refresh(admin, RES, DAY)  # the rules changed after the statuses
            with pytest.raises(UserError, match="is not a CDC vaccine group"):
                requirements.save_requirement(admin, chosen.set_id, Requirement(0, "Flu", "Flew", 0, 12, 1, "x"))
            with pytest.raises(UserError, match="is not an age like"):
                requirements.save_requirement(admin, chosen.set_id, Requirement(
                    0, "MMR", "MMR", 0, 12, 2, "2 doses.", doses_on_or_after_age="four years"))
        finally:
            tx.rollback()
