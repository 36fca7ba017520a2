"""What the review of the nurse desk found missing (issue 11), proved as the demo nurse signed in
(row-level security on): every list and printout view logged with its reason (read back from the
audit trail as the administrator), counts that change only through witnessed entries and doses,
the order form's full fields, field-trip doses in the MAR, the 911 card's conditions, the IEP/504
accommodations that concern health, a dose without consent."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pypdfium2
import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services.nurse import common, controlled, medications as meds, plans, screenings, visits
from reports import nurse_documents
from tests.conftest import DEMO_AS_OF
from tests.integration.nurse_witness import token_for, witness_of
from tests.integration.test_nurse_office import RES, a_student, at, order, refused, trip_giver
from tests.integration.test_security import denied, run
from tests.integration.test_security_attacks import refused as refused_sql

pytestmark = pytest.mark.integration
NOW = at(12, 10)


@pytest.fixture
def conn(login_engine):
    with login_engine("demo_nurse").connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def views_since(login_engine, since: datetime) -> dict[str, set[int]]:
    """The audit trail as the administrator reads it: the demo nurse's view entries since `since`, by reason."""
    rows = run(login_engine("demo_admin"), "SELECT justification, record_id FROM compliance.audit_logs "
               "WHERE operation = 'VIEW' AND user_id = 'demo_nurse' AND 'health' = ANY(data_categories) "
               "AND \"timestamp\" >= :t", t=since)
    out: dict[str, set[int]] = {}
    for reason, record in rows:
        out.setdefault(reason, set()).add(json.loads(record)["studentusi"])
    return out


# -- 1. every view of a health record is logged with its reason ---------------------------------------
def test_every_list_the_nurse_reads_logs_a_view_per_student_with_the_lists_reason(login_engine):
    nurse = login_engine("demo_nurse")
    with nurse.connect() as c:
        since = c.execute(text("SELECT now()")).scalar()
        c.rollback()
        with c.begin():  # committed, as the desk's reads are: the audit trail keeps them
            shown = {
                common.VISIT_LIST: visits.visits_for_day(c, RES, DEMO_AS_OF),
                common.DUE_LIST: meds.due_now(c, RES, NOW),
                common.MISSED_LIST: meds.missed_doses(c, RES, DEMO_AS_OF, at(15, 30)),
                common.ORDER_LIST: meds.school_orders(c, RES, DEMO_AS_OF),
                common.EXPIRING_LIST: meds.expiring(c, RES, DEMO_AS_OF),
                common.REFERRAL_LIST: screenings.open_referrals(c, RES),
            }
            klass = screenings.classes_to_screen(c, RES, "vision", DEMO_AS_OF)[0]
            shown[common.SCREENING_GRID] = screenings.screening_grid(c, klass.key, "vision", DEMO_AS_OF)
            u = a_student(c)
            plans.open_health_record(c, u, "Checking her inhaler order before recess", today=DEMO_AS_OF)
    logged = views_since(login_engine, since)
    for reason, rows in shown.items():
        assert rows, reason  # the demo district has something on every list
        assert logged.get(reason) == {r.student_usi for r in rows}, reason
    assert logged["Checking her inhaler order before recess"] == {u}


def test_the_batched_view_log_needs_a_reason_and_only_the_health_staff_call_it(login_engine):
    assert refused_sql(login_engine("demo_nurse"), "SELECT compliance.log_record_views(ARRAY[1], 'health', ' ')",
                       "logged with its reason")
    for login in ("demo_teacher", "demo_cashier", "demo_transportation"):
        assert denied(login_engine(login), "SELECT compliance.log_record_views(ARRAY[1], 'health', 'x')"), login


# -- 2. counts change only through witnessed entries and doses ------------------------------------------------
@pytest.mark.parametrize("login", ["demo_nurse", "demo_admin"])
def test_no_application_role_writes_the_count_on_hand_directly(login_engine, login):
    e = login_engine(login)
    assert denied(e, "UPDATE health.medications SET count_on_hand = 500")
    assert denied(e, "INSERT INTO health.medications (student_usi, medication_name, start_date, count_on_hand) "
                     "SELECT student_usi, 'Smuggled', start_date, 99 FROM health.medications LIMIT 1")
    # the rest of an order is still the nurse's to change
    assert run(e, "UPDATE health.medications SET refill_threshold = 4 WHERE is_controlled") >= 1


def test_a_count_entry_cannot_say_a_count_that_does_not_add_up(conn):
    o = order(conn, "Methylphenidate")
    staff = conn.execute(text("SELECT compliance.my_staff_usi()")).scalar()
    insert = ("INSERT INTO health.controlled_counts (medication_id, student_usi, school_id, kind, quantity, expected, "
              "on_hand_after, counted_by, witness, witness_token) VALUES (:m, :u, :s, :k, :q, :e, :a, :by, 'x', :tok) "
              "RETURNING expected, on_hand_after")
    p = {"m": o.medication_id, "u": o.student_usi, "s": o.school_id, "by": staff}

    def signed(**v):  # the witness signs exactly this entry from her own session
        return {**p, **v, "tok": token_for(conn, v["k"], v["q"], o.medication_id)}
    # a receipt of 5 that claims 500 on hand: the database works out the real figures
    got = conn.execute(text(insert), signed(k="received", q=5, e=0, a=500)).one()
    assert got == (o.count_on_hand, o.count_on_hand + 5)
    assert meds.get_order(conn, o.medication_id).count_on_hand == o.count_on_hand + 5
    for bad, match in (({"k": "trip_out", "q": 10_000, "e": 0, "a": 0}, "only"),
                       ({"k": "trip_in", "q": 1, "e": 7, "a": 0}, "settles no more")):
        with pytest.raises(Exception, match=match):
            with conn.begin_nested():
                conn.execute(text(insert), signed(**bad))


def test_the_order_forms_count_on_hand_is_counted_in_with_a_witness_or_nothing_is_saved(conn):
    u = a_student(conn)
    f = meds.OrderForm(u, "Lorazepam", "0.5 mg", "tablet", "1", "tablet", "oral", "Dr. Haddad", DEMO_AS_OF,
                       DEMO_AS_OF, ("10:00",), is_controlled=True, count_on_hand="20", refill_threshold="6",
                       instructions="Give with water", end_date=DEMO_AS_OF + timedelta(days=60))
    before = conn.execute(text("SELECT count(*) FROM health.medications")).scalar()
    refused(conn, meds.save_order, f, today=DEMO_AS_OF, match="counted in with a witness")
    assert conn.execute(text("SELECT count(*) FROM health.medications")).scalar() == before  # nothing half-saved
    mid = meds.save_order(conn, f, today=DEMO_AS_OF, witness=witness_of(conn), now=NOW)
    o = meds.get_order(conn, mid)
    assert (o.form, o.refill_threshold, o.instructions, o.end_date, o.count_on_hand) == (
        "tablet", Decimal(6), "Give with water", DEMO_AS_OF + timedelta(days=60), Decimal(20))
    history = controlled.count_history(conn, mid)
    clerk = conn.execute(text("SELECT firstname || ' ' || lastsurname FROM edfi.staff WHERE loginid = "
                              "'demo_front_office'")).scalar()
    assert [(h.kind, h.quantity, h.expected, h.on_hand_after, h.witness) for h in history] == [
        ("received", Decimal(20), Decimal(0), Decimal(20), f"{clerk} (demo_front_office)")]


def test_a_dose_without_parent_consent_is_refused(conn):
    o = order(conn, "Cetirizine")
    conn.execute(text("UPDATE health.medications SET parent_consent_on = NULL WHERE medication_id = :m"),
                 {"m": o.medication_id})
    refused(conn, meds.record_dose, meds.DoseForm(o.medication_id, "given", at(8, 5), "1", scheduled_for=at(8)),
            now=NOW, match="no parent consent on file")


def test_voiding_a_field_trip_dose_does_not_put_it_back_on_the_count(conn):
    o = order(conn, "Methylphenidate")
    controlled.trip_out(conn, o.medication_id, "1", trip="Zoo", witness=witness_of(conn), now=at(8))
    controlled.trip_in(conn, o.medication_id, "0", (at(11),), given_by=trip_giver(conn), witness=witness_of(conn),
                       now=at(14))
    trip = next(e for e in meds.entries(conn, medication_id=o.medication_id, start=at(0), end=at(23)) if e.on_trip)
    before = meds.get_order(conn, o.medication_id).count_on_hand
    meds.correct_entry(conn, trip.administration_id, reason="Entered for the wrong trip day", now=at(14))
    assert meds.get_order(conn, o.medication_id).count_on_hand == before == o.count_on_hand - 1


# -- 8. the 911 card's conditions, 9. the accommodations that concern health ------------------------------------
def test_the_911_card_lists_the_students_allergies_even_without_an_action_plan(conn):
    u = conn.execute(text(
        "SELECT a.student_usi FROM health.allergies a JOIN edfi.studentschoolassociation s ON s.studentusi = "
        "a.student_usi AND s.schoolid = :s WHERE a.is_active AND NOT EXISTS (SELECT 1 FROM "
        "health.emergency_action_plans p WHERE p.student_usi = a.student_usi) ORDER BY 1 LIMIT 1"), {"s": RES}).scalar()
    record = plans.open_health_record(conn, u, "Printing the emergency card for the field trip", today=DEMO_AS_OF)
    assert record.allergies and not record.plans
    assert record.alert_conditions[0].startswith(f"{record.allergies[0].allergen} allergy")
    pdf = pypdfium2.PdfDocument(nurse_documents.emergency_card(record, [], today=DEMO_AS_OF))
    page = pdf[0].get_textpage().get_text_range()
    assert f"{record.allergies[0].allergen} allergy" in page and "None on file" not in page


def test_only_health_related_accommodations_are_shown_with_the_plans_health_condition(conn):
    rows = conn.execute(text(
        "SELECT a.student_usi, a.accommodation_type, p.disability_type FROM specialed.accommodations a "
        "LEFT JOIN specialed.plan_504 p ON a.plan_type = '504' AND p.plan_504_id = a.plan_id "
        "JOIN edfi.studentschoolassociation s ON s.studentusi = a.student_usi AND s.schoolid = :s "
        "WHERE a.is_active ORDER BY 1"), {"s": RES}).all()
    academic = next(u for u, kind, disability in rows if kind == "Extended time")
    health = next((u, d) for u, kind, d in rows if d in ("Diabetes", "Asthma"))
    assert plans.open_health_record(conn, academic, "Visit", today=DEMO_AS_OF).accommodations == ()
    shown = plans.open_health_record(conn, health[0], "Visit", today=DEMO_AS_OF)
    assert shown.accommodations and f"{health[1]} (504 plan)" in shown.alert_conditions
    assert any("health office" in a.lower() for a in shown.accommodations)


# -- 7. delegated medication administration (staff competency) --------------------------------------------------
def test_a_nurse_delegates_after_a_competency_check_and_a_revoked_delegate_gives_no_trip_dose(conn):
    from app.services.nurse import delegations

    me = conn.execute(text("SELECT compliance.my_staff_usi()")).scalar()
    taken = {d.staff_usi for d in delegations.delegations(conn, RES)}
    target = next(u for u, _n in delegations.school_staff(conn, RES, DEMO_AS_OF) if u not in taken | {me})
    a_year = DEMO_AS_OF + timedelta(days=300)
    for args, match in (((me, "field_trips", DEMO_AS_OF, DEMO_AS_OF, a_year), "does not delegate to herself"),
                        ((target, "field_trips", DEMO_AS_OF, DEMO_AS_OF, DEMO_AS_OF), "expired on"),
                        ((target, "field_trips", DEMO_AS_OF, DEMO_AS_OF + timedelta(days=1), a_year), "not later than"),
                        ((target, "field_trips", DEMO_AS_OF, DEMO_AS_OF, DEMO_AS_OF + timedelta(days=900)), "a year"),
                        ((target, "anything", DEMO_AS_OF, DEMO_AS_OF, a_year), "Pick what")):
        with pytest.raises(UserError, match=match):
            delegations.delegate(conn, args[0], RES, *args[1:], today=DEMO_AS_OF)
    did = delegations.delegate(conn, target, RES, "field_trips", DEMO_AS_OF - timedelta(days=3), DEMO_AS_OF, a_year,
                               today=DEMO_AS_OF)
    listed = {d.delegation_id: d for d in delegations.delegations(conn, RES)}
    assert listed[did].in_force(DEMO_AS_OF) and listed[did].checked_by
    assert delegations.trip_delegate(conn, target, RES, DEMO_AS_OF).delegation_id == did
    delegations.revoke(conn, did, today=DEMO_AS_OF)
    with pytest.raises(UserError, match="no current delegation"):
        delegations.trip_delegate(conn, target, RES, DEMO_AS_OF)
    with pytest.raises(UserError, match="already revoked"):
        delegations.revoke(conn, did, today=DEMO_AS_OF)
