"""The nurse desk's controls the review found missing (issue 11), driven as the demo nurse: the order
form's every field with a count on hand counted in by a second signer, a wrong administration entry
corrected, a self-carry competency recorded, a provisional enrollment closed, and printouts logged as
views with the reason the record was opened for (read back from the audit trail)."""

from __future__ import annotations

import json
from decimal import Decimal

import pypdfium2
import pytest
from sqlalchemy import text

from app.security.demo_logins import DEMO_PASSWORD
from tests.conftest import DEMO_AS_OF
from tests.ui.test_nurse_desk import SHOTS, a_student_id, page, shot  # noqa: F401 (page is the fixture)

pytestmark = pytest.mark.ui
RES = 255950001


def open_record(page, run_async, uid: str, reason: str) -> None:
    page.tabs.setCurrentWidget(page.record)
    page.record.find.setText(uid)
    page.record.reason.setText(reason)
    assert run_async(page.record.open()), page.record.message.text()


def test_the_order_form_takes_every_field_and_counts_the_supply_in_with_a_second_signer(qtbot, page, demo_engine,
                                                                                     run_async):
    open_record(page, run_async, a_student_id(demo_engine), "New ADHD medication order from the family")
    e = page.entries
    page.tabs.setCurrentWidget(e)
    for w, value in ((e.med_name, "Lisdexamfetamine"), (e.med_strength, "20 mg"), (e.med_form, "capsule"),
                     (e.med_dose, "1"), (e.med_unit, "capsule"), (e.med_route, "oral"), (e.med_times, "11:45"),
                     (e.med_prescriber, "Dr. Haddad"), (e.med_consent, "11/20/2026"), (e.med_end, "06/15/2027"),
                     (e.med_instructions, "Give with lunch; watch for appetite loss"), (e.med_count, "25"),
                     (e.med_refill, "6"), (e.med_expires, "09/30/2027")):
        qtbot.keyClicks(w, value)
    e.med_controlled.setChecked(True)
    assert not run_async(e.save_now("order"))
    assert e.message.text() == ("A count needs a second signer: they type their own sign-in name and password. "
                                "Nothing was saved.")
    e.med_witness.setText("demo_front_office")
    e.med_witness_password.setText(DEMO_PASSWORD)
    shot(page, "order-form")
    assert run_async(e.save_now("order")), e.message.text()
    assert e.med_witness_password.text() == ""  # never kept
    with demo_engine.connect() as c:
        row = c.execute(text(
            "SELECT m.form, m.refill_threshold, m.administration_instructions, m.end_date, m.count_on_hand, "
            "k.kind, k.witness, k.witness_staff_usi = st.staffusi, t.used_by_count_id = k.count_id "
            "FROM health.medications m JOIN health.controlled_counts k USING (medication_id) "
            "JOIN health.witness_tokens t ON t.token = k.witness_token "
            "JOIN edfi.staff st ON st.loginid = 'demo_front_office' WHERE m.medication_name = 'Lisdexamfetamine'")).one()
    assert row[:5] == ("capsule", Decimal(6), "Give with lunch; watch for appetite loss",
                       DEMO_AS_OF.replace(year=2027, month=6, day=15), Decimal(25))
    assert row[5] == "received" and row[6].endswith("(demo_front_office)")
    assert row[7] and row[8]  # the clerk signed it from her own session; her token was used by this entry


def test_a_wrong_entry_is_corrected_from_the_record_by_a_new_entry(qtbot, page, demo_engine, run_async):
    with demo_engine.connect() as c:
        uid, mid = c.execute(text(
            "SELECT s.studentuniqueid, m.medication_id FROM health.medications m JOIN edfi.student s "
            "ON s.studentusi = m.student_usi WHERE m.school_id = :s AND m.is_controlled ORDER BY 2 LIMIT 1"),
            {"s": RES}).one()
        before = c.execute(text("SELECT count_on_hand FROM health.medications WHERE medication_id = :m"),
                           {"m": mid}).scalar()
    open_record(page, run_async, uid, "The substitute recorded a dose for the wrong student")
    r = page.record
    row = next(i for i, x in enumerate(r.entries_model.rows)
               if x.medication_id == mid and x.outcome == "given" and not x.corrected)
    r.entries_view.selectRow(row)
    assert run_async(r.correct_selected()) is None
    assert r.message.text() == "The reason for the correction is empty; fill it in. Nothing was saved."
    r.correct_to.setCurrentText("Entered in error")
    qtbot.keyClicks(r.correct_reason, "Recorded for the wrong student")
    assert run_async(r.correct_selected())
    assert "corrected to entered in error" in r.message.text()
    assert any(x.corrected for x in r.entries_model.rows) and any(x.outcome == "voided" for x in r.entries_model.rows)
    shot(page, "corrected")
    with demo_engine.connect() as c:
        assert c.execute(text("SELECT count_on_hand FROM health.medications WHERE medication_id = :m"),
                         {"m": mid}).scalar() == before + 1  # the voided dose is back on the count


def test_competency_is_recorded_and_a_provisional_enrollment_closed_from_the_desk(qtbot, page, demo_engine,
                                                                                run_async):
    with demo_engine.connect() as c:
        uid, usi, auth = c.execute(text(
            "SELECT s.studentuniqueid, s.studentusi, a.authorization_id FROM health.self_carry_authorizations a "
            "JOIN edfi.student s ON s.studentusi = a.student_usi JOIN edfi.studentschoolassociation x "
            "ON x.studentusi = s.studentusi AND x.schoolid = :s WHERE a.expires_on >= :d ORDER BY 3 LIMIT 1"),
            {"s": RES, "d": DEMO_AS_OF}).one()
        old = c.execute(text("SELECT competency_shown_on FROM health.self_carry_authorizations "
                             "WHERE authorization_id = :a"), {"a": auth}).scalar()
    open_record(page, run_async, uid, "Checking the inhaler technique")
    e = page.entries
    page.tabs.setCurrentWidget(e)
    assert e.sc_pick.count() >= 1
    e.sc_pick.setCurrentIndex(e.sc_pick.findData(auth))
    assert run_async(e.save_now("competency"))
    assert e.message.text().startswith("Recorded today's self-carry competency")
    assert not run_async(e.save_now("close-provisional"))
    assert e.message.text() == "The open student has no open provisional enrollment to close."
    with demo_engine.begin() as c:
        assert c.execute(text("SELECT competency_shown_on FROM health.self_carry_authorizations "
                              "WHERE authorization_id = :a"), {"a": auth}).scalar() == DEMO_AS_OF
        c.execute(text("UPDATE health.self_carry_authorizations SET competency_shown_on = :o WHERE authorization_id "
                       "= :a"), {"o": old, "a": auth})
        pid = c.execute(text("INSERT INTO health.provisional_enrollments (student_usi, school_id, vaccine_groups, "
                             "starts_on, deadline) VALUES (:u, :s, ARRAY['MMR'], :d, :d + 30) "
                             "RETURNING provisional_id"), {"u": usi, "s": RES, "d": DEMO_AS_OF}).scalar()
    try:
        open_record(page, run_async, uid, "Checking the inhaler technique")
        assert e.prov_pick.findData(pid) >= 0
        e.prov_pick.setCurrentIndex(e.prov_pick.findData(pid))
        e.prov_close_as.setCurrentText("Caught up")
        page.tabs.setCurrentWidget(e)
        e.close_prov.setFocus()  # scrolled into view
        shot(page, "record-changes")
        assert run_async(e.save_now("close-provisional"))
        assert e.message.text().startswith("Closed the provisional enrollment")
        with demo_engine.connect() as c:
            assert c.execute(text("SELECT closed_reason FROM health.provisional_enrollments WHERE provisional_id = :p"),
                             {"p": pid}).scalar() == "caught_up"
    finally:
        with demo_engine.begin() as c:
            c.execute(text("DELETE FROM health.provisional_enrollments WHERE provisional_id = :p"), {"p": pid})


def test_each_printout_is_logged_as_a_view_with_the_records_reason(qtbot, page, demo_engine, login_engine,
                                                                  run_async):
    with demo_engine.connect() as c:
        uid, usi = c.execute(text(
            "SELECT s.studentuniqueid, s.studentusi FROM health.allergies a JOIN edfi.student s "
            "ON s.studentusi = a.student_usi JOIN edfi.studentschoolassociation x ON x.studentusi = s.studentusi "
            "AND x.schoolid = :s WHERE a.is_active ORDER BY 2 LIMIT 1"), {"s": RES}).one()
        since = c.execute(text("SELECT now()")).scalar()
    open_record(page, run_async, uid, "Field trip to the science museum")
    for printout in (page.record.card_printout(), page.record.plan_printout(), page.record.mar_printout()):
        pdf = pypdfium2.PdfDocument(printout.build())
        pdf[0].render(scale=1.2).to_pil().save(f"{SHOTS}/review-{printout.file_name}.png")
    card = pypdfium2.PdfDocument(page.record.card_printout().build())[0].get_textpage().get_text_range()
    allergen = page.record.opened.record.allergies[0].allergen
    assert f"{allergen} allergy" in card
    with login_engine("demo_admin").connect() as c:
        rows = c.execute(text("SELECT justification, record_id FROM compliance.audit_logs WHERE operation = 'VIEW' "
                              "AND user_id = 'demo_nurse' AND \"timestamp\" >= :t"), {"t": since}).all()
    mine = {j for j, r in rows if json.loads(r)["studentusi"] == usi}
    assert {"Field trip to the science museum",
            "Field trip to the science museum (printed the emergency card)",
            "Field trip to the science museum (printed the emergency action plan)",
            "Field trip to the science museum (printed the medication administration record)"} <= mine


def test_the_bmi_grid_grades_each_student_by_the_cdc_chart_for_their_age_and_sex(qtbot, page, run_async):
    page.tabs.setCurrentWidget(page.screening)
    page.screening.kind.setCurrentText("Height / weight / BMI")
    assert run_async(page.screening.load_classes()) is not False and page.screening.klass.count() > 0
    assert run_async(page.screening.load_grid())
    m = page.screening.model
    m.setData(m.index(0, 2), "130")
    m.setData(m.index(0, 3), "45")  # BMI 26.6: above the 95th percentile for an elementary student
    m.setData(m.index(1, 2), "130")
    m.setData(m.index(1, 3), "27")  # BMI 16.0
    first, second = m.rows[0], m.rows[1]
    assert first[1]["bmi"] == "26.6" and first[1]["bmi_category"] == "obesity" and first[2] == "fail"
    assert second[1]["bmi_category"] in ("healthy weight", "underweight", "overweight")
    assert "th percentile, obesity" in m.data(m.index(0, 4))
    shot(page, "screening-bmi")
    page.discard_unsaved()


def test_the_nurse_records_and_revokes_a_staff_members_medication_competency(qtbot, page, run_async):
    tab = page.delegations
    page.tabs.setCurrentWidget(tab)
    assert run_async(tab.refresh_now())
    before = tab.model.rowCount()
    assert before >= 1  # the demo nurse's colleagues trained for field trips and emergencies
    listed = {d.staff_usi for d in tab.model.rows}
    tab.staff.setCurrentIndex(next(i for i in range(tab.staff.count()) if tab.staff.itemData(i) not in listed))
    tab.scope.setCurrentText("Field trips")
    qtbot.keyClicks(tab.trained, "11/10/2026")
    qtbot.keyClicks(tab.expires, "11/10/2025")
    assert not run_async(tab.save_now())
    assert tab.message.text().startswith("That competency expired on November 10, 2025")
    tab.expires.clear()
    qtbot.keyClicks(tab.expires, "12/31/2027")
    assert not run_async(tab.save_now())
    assert "within a year" in tab.message.text()
    tab.expires.clear()
    qtbot.keyClicks(tab.expires, "08/15/2027")
    assert run_async(tab.save_now()), tab.message.text()
    assert "may give medication (field trips) until 08/15/2027" in tab.message.text()
    assert tab.model.rowCount() == before + 1
    shot(page, "delegations")
    new = next(i for i, d in enumerate(tab.model.rows) if d.staff_usi not in listed)
    tab.view.selectRow(new)
    assert run_async(tab.revoke())
    assert tab.message.text().endswith("may no longer give medication.")
    assert tab.model.rowCount() == before
    # the lists tab offers only staff delegated for field trips as the givers of a trip's doses
    assert run_async(page.lists.refresh())
    givers = {page.lists.trip_by.itemData(i) for i in range(1, page.lists.trip_by.count())}
    assert givers and givers <= listed


def test_the_lists_printouts_log_a_view_per_student_printed(qtbot, page, demo_engine, login_engine, run_async):
    from app.services.nurse import common

    with demo_engine.connect() as c:
        since = c.execute(text("SELECT now()")).scalar()
    page.tabs.setCurrentWidget(page.lists)
    assert run_async(page.lists.refresh())
    page.lists.referrals_view.selectRow(0)
    for printout in (page.lists.log_printout(), page.lists.expiring_printout(), page.lists.referrals_printout(),
                     page.lists.letter_printout()):
        assert printout.build().startswith(b"%PDF")
    with login_engine("demo_admin").connect() as c:
        reasons = set(c.execute(text("SELECT DISTINCT justification FROM compliance.audit_logs WHERE operation = "
                                     "'VIEW' AND user_id = 'demo_nurse' AND \"timestamp\" >= :t"), {"t": since}).scalars())
    assert {common.VISIT_LOG_PRINTED, common.EXPIRING_PRINTED, common.REFERRALS_PRINTED,
            common.REFERRAL_LETTER} <= reasons
