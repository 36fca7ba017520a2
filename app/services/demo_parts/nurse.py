"""The nurse office's part of the demo district: a month of health-office visits, medication orders
with their administration record (one of them a controlled substance with its counts), self-carry
authorizations, emergency action plans, screenings with referrals, and immunization histories
with CVX codes, a few gaps, exemptions and provisional enrollments."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import text

ORDER = 40

CVX_OF = {"DTaP": "20", "IPV (Polio)": "10", "MMR": "03", "Hepatitis B": "08", "Varicella": "21"}
# medication name -> strength, form, dose, unit, route, schedule, as-needed interval (min), controlled
ORDERS = {
    "Albuterol inhaler": ("90 mcg/puff", "inhaler", "2", "puff", "inhaled", None, 240, False),
    "Methylphenidate": ("10 mg", "tablet", "1", "tablet", "oral", ["12:00"], None, True),
    "Epinephrine auto-injector": ("0.3 mg", "auto-injector", "1", "injection", "intramuscular", None, 15, False),
    "Insulin (lispro)": ("100 units/mL", "pen", "4", "unit", "subcutaneous", ["11:30"], None, False),
    "Cetirizine": ("10 mg", "tablet", "1", "tablet", "oral", ["08:00"], None, False),
}
SCREENED = {"vision": ("Kindergarten", "First grade", "Third grade", "Fifth grade", "Seventh grade", "Ninth grade"),
            "hearing": ("Kindergarten", "First grade", "Second grade", "Third grade", "Seventh grade"),
            "scoliosis": ("Sixth grade", "Eighth grade"),
            "bmi": ("Kindergarten", "Third grade", "Sixth grade", "Ninth grade")}
COMPLAINTS = ("headache", "stomach", "injury", "tired", "nausea", "fever", "breathing", "toothache", "dizzy", "rash")
DISPOSITIONS = ("returned_to_class",) * 6 + ("rested_returned",) * 3 + ("parent_contacted", "sent_home")
TREATMENTS = {"headache": "Rest, water", "stomach": "Rest, crackers", "injury": "Ice pack, bandage",
              "tired": "Rest 15 minutes", "nausea": "Rest; parent called", "fever": "Temperature taken",
              "breathing": "Inhaler per order; breathing checked", "toothache": "Cold compress",
              "dizzy": "Lay down, juice", "rash": "Cool compress"}


def _at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm)).astimezone()


def load(ctx) -> None:
    c = ctx.copier
    conn = c.conn
    nurses = {t["school"].school_id: t["usi"] for t in ctx.staff if t["role"] == "Nurse"}
    by_usi = {s.usi: s for s in ctx.students}
    days = [d for d in ctx.days if d >= ctx.as_of - timedelta(days=31)] or ctx.days[-20:]
    if ctx.as_of.weekday() < 5 and ctx.as_of not in days:
        days.append(ctx.as_of)  # the demo's today: a morning of visits and doses already recorded

    # immunization records: CVX codes and sources on the design document's rows
    # (every dose of the district: the load's one audit entry covers it, as for the COPYs)
    with c.unaudited("health.immunizations"):
        conn.execute(text("UPDATE health.immunizations SET cvx_code = CASE vaccine_type "
                          + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CVX_OF.items())
                          + " END, source = CASE WHEN immunization_id % 11 = 0 THEN 'parent' "
                            "WHEN immunization_id % 3 = 0 THEN 'registry' ELSE 'record' END"))
    # medication orders: what a medication administration record needs
    for name, (strength, form, dose, unit, route, sched, interval, controlled) in ORDERS.items():
        conn.execute(text(
            "UPDATE health.medications m SET strength = :st, form = :f, dose_amount = :d, dose_unit = :u, route = :r, "
            "schedule_times = :sch, as_needed = :prn, min_interval_minutes = :mi, is_controlled = :ctl, "
            "parent_consent_on = m.start_date - 3, refill_threshold = CASE WHEN :ctl THEN 5 END, "
            "expires_on = CASE WHEN m.medication_id % 3 = 0 "
            "THEN CAST(:asof AS date) + CAST(m.medication_id % 40 AS int) + 3 "
            "ELSE m.start_date + 300 + CAST(m.medication_id % 90 AS int) END, "
            "school_id = (SELECT a.schoolid FROM edfi.studentschoolassociation a WHERE a.studentusi = m.student_usi "
            "ORDER BY a.entrydate DESC LIMIT 1) WHERE m.medication_name = :n"),
            {"st": strength, "f": form, "d": Decimal(dose), "u": unit, "r": route, "sch": sched, "prn": sched is None,
             "mi": interval, "ctl": controlled, "n": name, "asof": ctx.as_of})
    orders = conn.execute(text(
        "SELECT medication_id, student_usi, school_id, schedule_times, dose_amount, is_controlled, medication_name "
        "FROM health.medications WHERE school_id IS NOT NULL ORDER BY medication_id")).all()
    # every school's office has a controlled order, so the counts have something to show
    for school_id in sorted({o[2] for o in orders} | set(nurses)):
        if not any(o[5] and o[2] == school_id for o in orders):
            kid = next((s for s in ctx.students if s.school.school_id == school_id), None)
            if kid is None:
                continue
            mid = conn.execute(text(
                "INSERT INTO health.medications (student_usi, medication_name, dosage, frequency, start_date, prescribed_by, "
                "administration_instructions, is_active, school_id, strength, form, dose_amount, dose_unit, route, "
                "schedule_times, as_needed, parent_consent_on, is_controlled, refill_threshold, expires_on) "
                "VALUES (:u, 'Methylphenidate', '1 tablet', '12:00', :sd, 'Dr. Okafor', 'Give with lunch', true, :s, "
                "'10 mg', 'tablet', 1, 'tablet', 'oral', ARRAY['12:00'], false, :pc, true, 5, :exp) "
                "RETURNING medication_id"),
                {"u": kid.usi, "sd": ctx.cal.first_day, "s": school_id, "pc": ctx.cal.first_day - timedelta(days=3),
                 "exp": ctx.as_of + timedelta(days=20)}).scalar()
            orders.append((mid, kid.usi, school_id, ["12:00"], Decimal(1), True, "Methylphenidate"))

    _administrations(ctx, orders, nurses, days)
    # a 504 plan written for a health condition says what the health office does (the desk shows these,
    # and not the plans' academic accommodations)
    conn.execute(text(
        "INSERT INTO specialed.accommodations (student_usi, plan_type, plan_id, accommodation_type, "
        "accommodation_description, setting, frequency) SELECT p.student_usi, '504', p.plan_504_id, "
        "'Health office access', CASE p.disability_type WHEN 'Diabetes' THEN 'Blood glucose checks and insulin in the "
        "health office before lunch; water bottle and snacks allowed in class' ELSE 'Inhaler use and rest in the "
        "health office whenever needed; excused from running in cold air' END, 'Health office', 'As needed' "
        "FROM specialed.plan_504 p WHERE p.disability_type IN ('Diabetes', 'Asthma')"))
    _visits(ctx, nurses, days)
    _delegations(ctx, nurses)
    _plans_and_self_carry(ctx, orders, by_usi)
    _screenings(ctx, nurses, days)
    _immunization_exceptions(ctx)


def _administrations(ctx, orders, nurses, days) -> None:
    rng, c = ctx.rng, ctx.copier
    rows, received, counts = [], [], []
    for mid, usi, school, sched, dose, controlled, name in orders:
        nurse = nurses.get(school)
        if nurse is None:
            continue
        given = 0
        supply = Decimal(len(days) * len(sched or ()) + 20)
        if controlled:
            # counted in before the month's doses (the count entry sets the count on hand, and the
            # administration trigger takes each dose given off it)
            received.append((mid, usi, school, "received", supply, Decimal(0), supply, nurse,
                             "M. Alvarez (principal)", "Pharmacy bottle, sealed", _at(days[0], 7, 45)))
        for d in days:
            for t in sched or ():
                hh, mm = map(int, t.split(":"))
                if d >= ctx.as_of and hh >= 11:
                    continue  # the demo's today: the morning's doses are given, lunch's are due
                slot = _at(d, hh, mm)
                if ctx.absences.get((usi, d)) in ("Excused Absence", "Unexcused Absence"):
                    rows.append((mid, usi, school, "absent", slot, slot, None, nurse, None, None))
                    continue
                roll = rng.random()
                if roll < 0.03:
                    continue  # a missed dose nobody recorded: the end-of-day list shows it
                outcome = "refused" if roll < 0.05 else "given"
                at = slot + timedelta(minutes=rng.randrange(-5, 20))
                rows.append((mid, usi, school, outcome, slot, at, dose if outcome == "given" else None, nurse, None,
                             "Felt fine, said no" if outcome == "refused" else None))
                given += outcome == "given"
            if sched is None and d < ctx.as_of and rng.random() < 0.08:  # an as-needed dose now and then
                at = _at(d, rng.randrange(9, 14), rng.randrange(60))
                rows.append((mid, usi, school, "given", None, at, dose, nurse, None, "Wheezing after recess"))
        if controlled:
            on_hand = supply - given * dose
            counts.append((mid, usi, school, "counted", on_hand, on_hand, on_hand, nurse, "R. Banks (secretary)",
                           "Weekly count", _at(days[-2], 15, 10)))
    columns = ("medication_id", "student_usi", "school_id", "kind", "quantity", "expected", "on_hand_after",
               "counted_by", "witness", "note", "counted_at")
    c.copy("health.controlled_counts", columns, received)  # the database works out expected and after
    c.copy("health.medication_administrations", ("medication_id", "student_usi", "school_id", "outcome",
                                                  "scheduled_for", "administered_at", "dose_amount", "given_by",
                                                  "override_reason", "note"), rows)
    c.copy("health.controlled_counts", columns, counts)  # the weekly count finds what the record says


def _delegations(ctx, nurses) -> None:
    """Each nurse has trained two colleagues: one for field trips, one for emergency medication."""
    conn = ctx.copier.conn
    for school_id, nurse in nurses.items():
        staff = list(conn.execute(text(
            "SELECT DISTINCT w.staffusi FROM edfi.staffschoolassociation w WHERE w.schoolid = :s AND w.staffusi <> :n "
            "ORDER BY 1 LIMIT 2"), {"s": school_id, "n": nurse}).scalars())
        for usi, scope in zip(staff, ("field_trips", "emergency")):
            conn.execute(text(
                "INSERT INTO health.medication_delegations (staff_usi, school_id, scope, trained_on, "
                "competency_checked_on, checked_by, expires_on, note) VALUES (:u, :s, :sc, :t, :t, :n, :e, :note)"),
                {"u": usi, "s": school_id, "sc": scope, "t": ctx.cal.first_day - timedelta(days=5), "n": nurse,
                 "e": ctx.cal.first_day + timedelta(days=360), "note": "Medication administration training, "
                 "skills check passed"})


def _visits(ctx, nurses, days) -> None:
    rng, c = ctx.rng, ctx.copier
    rows = []
    for d in days:
        for school_id, nurse in nurses.items():
            kids = [s for s in ctx.students if s.school.school_id == school_id]
            if not kids:
                continue
            for _ in range(rng.randrange(4, 9) if d < ctx.as_of else 3):
                s = kids[rng.randrange(len(kids))]
                complaint = COMPLAINTS[rng.randrange(len(COMPLAINTS))]
                t_in = _at(d, rng.randrange(8, 14 if d < ctx.as_of else 12), rng.randrange(60))
                waiting = d >= ctx.as_of and rng.random() < 0.5
                disp = None if waiting else DISPOSITIONS[rng.randrange(len(DISPOSITIONS))]
                temp = Decimal("98.6") + Decimal(rng.randrange(-4, 30)) / 10 if complaint in ("fever", "nausea") else None
                rows.append((s.usi, school_id, t_in, None if waiting else t_in + timedelta(minutes=rng.randrange(5, 40)),
                             complaint, None, None if waiting else "Alert, no distress",
                             None if waiting else TREATMENTS[complaint], disp, temp, waiting or rng.random() < 0.3,
                             None if waiting else nurse))
    c.copy("health.visits", ("student_usi", "school_id", "time_in", "time_out", "complaint", "complaint_text",
                             "assessment", "treatment", "disposition", "temperature_f", "via_kiosk", "seen_by"), rows)


def _plans_and_self_carry(ctx, orders, by_usi) -> None:
    c, conn = ctx.copier, ctx.copier.conn
    plans, carry = [], []
    year_end = date(ctx.school_year, 6, 15)
    for usi, allergen, reaction, treatment in conn.execute(text(
            "SELECT student_usi, allergen_name, reaction, treatment_plan FROM health.allergies "
            "WHERE severity = 'Severe' AND is_active ORDER BY student_usi")).all():
        plans.append((usi, "allergy", f"{allergen} allergy ({reaction.lower()})",
                      "Hives, swelling of lips or tongue, trouble breathing or swallowing, vomiting, fainting",
                      "1. Give epinephrine auto-injector in the outer thigh right away.\n2. Call 911.\n"
                      "3. Call the parent.\n4. Give a second dose after 5 minutes if no better.\n"
                      "5. Keep the student lying down; stay with them.",
                      "Epinephrine auto-injector 0.3 mg, in the health office and in the backpack", "Dr. Patel",
                      "(555) 014-2230", ctx.cal.first_day - timedelta(days=10), year_end))
    for mid, usi, _school, _s, _d, _c, name in orders:
        if name == "Albuterol inhaler":
            plans.append((usi, "asthma", "Asthma", "Coughing, wheezing, short of breath, cannot finish a sentence",
                          "1. Give 2 puffs of albuterol.\n2. Wait 15 minutes; repeat once if no better.\n"
                          "3. Call 911 if lips are blue or breathing is hard.\n4. Call the parent.",
                          "Albuterol inhaler 90 mcg/puff, carried by the student", "Dr. Chen", "(555) 014-3391",
                          ctx.cal.first_day - timedelta(days=5), year_end))
        elif name == "Insulin (lispro)":
            plans.append((usi, "diabetes", "Type 1 diabetes", "Shaky, sweaty, confused (low); thirsty, tired (high)",
                          "1. Check blood glucose.\n2. Below 70: 15 g fast sugar, recheck in 15 minutes.\n"
                          "3. Unconscious: glucagon, call 911.\n4. Above 300: check ketones, call the parent.",
                          "Insulin lispro by sliding scale before lunch; glucagon in the health office", "Dr. Novak",
                          "(555) 014-8812", ctx.cal.first_day - timedelta(days=7), year_end))
        if name in ("Albuterol inhaler", "Epinephrine auto-injector") and usi % 2 == 0:
            device = "inhaler" if name.startswith("Albuterol") else "epinephrine"
            expires = ctx.as_of + timedelta(days=12) if usi % 3 == 0 else year_end
            carry.append((usi, mid, name, device, "Dr. Chen", ctx.cal.first_day - timedelta(days=20),
                          ctx.cal.first_day - timedelta(days=18), ctx.cal.first_day + timedelta(days=2), expires))
    c.copy("health.emergency_action_plans", ("student_usi", "plan_type", "condition", "signs", "actions",
                                              "medications", "physician", "physician_phone", "effective_on",
                                              "review_on"), plans)
    c.copy("health.self_carry_authorizations", ("student_usi", "medication_id", "medication_name", "device",
                                                 "prescriber", "prescriber_signed_on", "parent_signed_on",
                                                 "competency_shown_on", "expires_on"), carry)


def _screenings(ctx, nurses, days) -> None:
    rng, c, conn = ctx.rng, ctx.copier, ctx.copier.conn
    from app.services.demo_seed import GRADES

    schools = sorted({s.school.school_id for s in ctx.students})
    c.copy("health.screening_schedule", ("school_id", "screening_type", "grade_level"),
           [(school, t, g) for school in schools for t, grades in SCREENED.items() for g in grades])
    rows = []
    for s in ctx.students:
        nurse = nurses.get(s.school.school_id)
        grade = GRADES[s.grade]
        for kind, grades in SCREENED.items():
            if nurse is None or grade not in grades or rng.random() < 0.35:
                continue  # not all classes screened yet this fall
            d = days[rng.randrange(len(days))] if days else ctx.as_of
            fail = rng.random() < 0.08
            if kind == "vision":
                m = {"right": "20/20", "left": "20/50" if fail else "20/25"}
            elif kind == "hearing":
                m = {"right": "pass", "left": "refer" if fail else "pass"}
            elif kind == "bmi":
                h = Decimal(100 + 5 * s.grade + rng.randrange(10))
                w = Decimal(16 + 3 * s.grade + rng.randrange(6) + (12 if fail else 0))
                m = {"height_cm": str(h), "weight_kg": str(w), "bmi": str((w / (h / 100) ** 2).quantize(Decimal("0.1")))}
            else:
                m = {"finding": "asymmetry" if fail else "none"}
            rows.append((s.usi, s.school.school_id, kind, d, "fail" if fail else "pass", json.dumps(m), nurse))
    c.copy("health.screenings", ("student_usi", "school_id", "screening_type", "screened_on", "result", "measures",
                                 "screened_by"), rows)
    reasons = {"vision": "Vision screening: did not pass; please have the student's eyes examined.",
               "hearing": "Hearing screening: did not pass; please have the student's hearing tested.",
               "scoliosis": "Scoliosis screening: possible curve of the spine; please have a physician examine it.",
               "bmi": "Height and weight: BMI outside the healthy range; please discuss it with your physician."}
    conn.execute(text(
        "INSERT INTO health.referrals (student_usi, school_id, screening_id, reason, referred_on, letter_sent_on, status, "
        "follow_up, closed_on) SELECT k.student_usi, k.school_id, k.screening_id, (CAST(:r AS jsonb)) ->> k.screening_type, "
        "k.screened_on, CASE WHEN k.screening_id % 3 <> 0 OR k.screening_id % 4 = 0 THEN k.screened_on + 1 END, "
        "CASE WHEN k.screening_id % 4 = 0 THEN 'closed' WHEN k.screening_id % 3 <> 0 THEN 'letter_sent' ELSE 'open' END, "
        "CASE WHEN k.screening_id % 4 = 0 THEN 'Seen by provider; glasses prescribed' END, "
        "CASE WHEN k.screening_id % 4 = 0 THEN k.screened_on + 14 END "
        "FROM health.screenings k WHERE k.result = 'fail'"), {"r": json.dumps(reasons)})


def _immunization_exceptions(ctx) -> None:
    conn = ctx.copier.conn
    # a few exemptions, one expiring this year
    conn.execute(text("""
        INSERT INTO health.immunization_exemptions (student_usi, vaccine_group, exemption_type, granted_on, expires_on,
                                                    signed_by, note)
        SELECT s.studentusi,
               CASE s.studentusi % 3 WHEN 0 THEN 'MMR' WHEN 1 THEN NULL ELSE 'Varicella' END,
               CASE s.studentusi % 3 WHEN 0 THEN 'medical' WHEN 1 THEN 'religious' ELSE 'immunity' END,
               CAST(:first AS date) - 30, CASE WHEN s.studentusi % 3 = 0 THEN CAST(:first AS date) + 200 END,
               CASE s.studentusi % 3 WHEN 0 THEN 'Dr. Haddad' WHEN 1 THEN 'Parent' ELSE 'Dr. Singh' END,
               CASE s.studentusi % 3 WHEN 2 THEN 'Varicella IgG titer positive' END
          FROM edfi.student s WHERE s.studentusi % 37 = 5"""), {"first": ctx.cal.first_day})
    # students short of a dose catch up on a provisional enrollment
    conn.execute(text("""
        INSERT INTO health.provisional_enrollments (student_usi, school_id, vaccine_groups, starts_on, deadline, note)
        SELECT i.student_usi, (SELECT a.schoolid FROM edfi.studentschoolassociation a WHERE a.studentusi = i.student_usi
                                ORDER BY a.entrydate DESC LIMIT 1),
               ARRAY['DTaP/Tdap/Td'], CAST(:first AS date),
               CASE WHEN i.student_usi % 2 = 0 THEN CAST(:asof AS date) - 5 ELSE CAST(:asof AS date) + 25 END,
               'Next dose scheduled with the family doctor'
          FROM health.immunizations i WHERE i.vaccine_type = 'DTaP'
         GROUP BY i.student_usi HAVING count(*) < 4 ORDER BY i.student_usi LIMIT 8"""),
                 {"first": ctx.cal.first_day, "asof": ctx.as_of})
