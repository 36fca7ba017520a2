"""The demo district's operational data (health, special education, cafeteria, library,
transportation, activities, 2 Hour Learning) and its OneRoster rostering rows.

Called by app.services.demo_seed inside the same transaction; see that module.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from app.db.bulk import Jsonb
from app.domain import oneroster_ids as orid
from app.services import demo_names as N
from app.services.demo_seed import GRADES, LEA_ID, SCHOOLS, SeedContext

PRICES = {"Paid": (Decimal("3.25"), Decimal("1.75")), "Reduced": (Decimal("0.40"), Decimal("0.30")),
          "Free": (Decimal("0.00"), Decimal("0.00"))}


def load_operations(ctx: SeedContext) -> None:
    load_health(ctx)
    load_special_education(ctx)
    load_cafeteria(ctx)
    # the library's catalogue and circulation: app/services/demo_parts/library.py
    load_transportation(ctx)
    load_activities(ctx)
    load_two_hour_learning(ctx)
    ctx.copier.copy("compliance.data_retention_policies",
                    ("data_category", "table_name", "retention_period_years", "legal_basis", "disposal_method"),
                    [("Audit trail", "compliance.audit_logs", 7, "District records retention schedule", "Delete"),
                     ("Health records", "health.student_health_records", 7, "State health records rule", "Archive"),
                     ("Discipline", "edfi.disciplineincident", 5, "District policy", "Anonymize")])


def load_health(ctx: SeedContext) -> None:
    rng, c = ctx.rng, ctx.copier
    allergies, meds, shots, records = [], [], [], []
    start = ctx.cal.first_day
    for s in ctx.students:
        if rng.random() < 0.08:
            a = N.ALLERGENS[rng.randrange(len(N.ALLERGENS))]
            allergies.append((s.usi, *a, s.birth + timedelta(days=700 + rng.randrange(900)), True))
        if rng.random() < 0.05:
            m = N.MEDICATIONS[rng.randrange(len(N.MEDICATIONS))]
            meds.append((s.usi, m[0], m[1], m[2], start, None, "Dr. " + rng.choice(N.LAST_NAMES), m[3], True))
        age_years = (start - s.birth).days // 365
        for vaccine, doses in N.VACCINES:
            given = doses if age_years >= 6 or rng.random() < 0.9 else doses - 1
            if rng.random() < 0.03:
                given = max(0, given - 1)  # a few students behind schedule
            for k in range(given):
                shots.append((s.usi, vaccine, k + 1, s.birth + timedelta(days=60 + 300 * k + rng.randrange(30)),
                              "Riverbend Pediatrics", f"LOT{rng.randrange(10**5):05d}", given >= doses))
        if ctx.days and rng.random() < 0.3:
            d = ctx.days[rng.randrange(len(ctx.days))]
            records.append((s.usi, "Vision screening", d, "School nurse", "Passed" if rng.random() < 0.9 else
                            "Referred to eye doctor", "nurse"))
    c.copy("health.allergies", ("student_usi", "allergen_name", "allergy_type", "severity", "reaction",
                                "treatment_plan", "date_identified", "is_active"), allergies)
    c.copy("health.medications", ("student_usi", "medication_name", "dosage", "frequency", "start_date", "end_date",
                                  "prescribed_by", "administration_instructions", "is_active"), meds)
    c.copy("health.immunizations", ("student_usi", "vaccine_type", "dose_number", "date_administered",
                                    "administered_by", "lot_number", "is_compliant"), shots, bulk=True)
    c.copy("health.student_health_records", ("student_usi", "record_type", "record_date", "provider", "notes",
                                             "created_by"), records)


def load_special_education(ctx: SeedContext) -> None:
    rng, c = ctx.rng, ctx.copier
    ieps, plans, goals, accs = [], [], [], []
    disabilities = ("Specific Learning Disability", "Speech or Language Impairment", "Autism",
                    "Other Health Impairment", "Emotional Disturbance")
    for s in ctx.students:
        r = rng.random()
        if r < 0.07:
            iep_id = len(ieps) + 1
            eff = ctx.cal.first_day - timedelta(days=rng.randrange(30, 300))
            ieps.append((iep_id, s.usi, s.school.school_id, f"IEP-{s.uid}", eff, eff + timedelta(days=365),
                         eff + timedelta(days=3 * 365), rng.choice(disabilities), [], "Resource",
                         Decimal(rng.choice((80, 85, 90))), "Active"))
            goals.append((iep_id, "Reading", "Read grade-level text with 90% accuracy", "Running records", "Annual",
                          "3 of 4 probes"))
            goals.append((iep_id, "Behavior", "Use a break card when frustrated", "Teacher tally", "Annual",
                          "80% of opportunities"))
            accs.append((s.usi, "IEP", iep_id, "Extended time", "Time and a half on tests", None, "All classes",
                         "Every test"))
        elif r < 0.10:
            pid = len(plans) + 1
            eff = ctx.cal.first_day - timedelta(days=rng.randrange(30, 300))
            plans.append((pid, s.usi, s.school.school_id, f"504-{s.uid}", eff, eff + timedelta(days=365),
                          rng.choice(("ADHD", "Diabetes", "Asthma", "Anxiety")), "Active"))
            accs.append((s.usi, "504", pid, "Preferential seating", "Seat near the teacher, away from doors", None,
                         "Classroom", "Daily"))
    c.copy("specialed.iep", ("iep_id", "student_usi", "school_id", "iep_number", "effective_date",
                             "annual_review_date", "triennial_evaluation_date", "primary_disability",
                             "secondary_disabilities", "placement_type", "least_restrictive_environment",
                             "iep_status"), ieps)
    c.copy("specialed.iep_goals", ("iep_id", "goal_area", "goal_description", "measurable", "timeline",
                                   "success_criteria"), goals)
    c.copy("specialed.plan_504", ("plan_504_id", "student_usi", "school_id", "plan_number", "effective_date",
                                  "review_date", "disability_type", "plan_status"), plans)
    c.copy("specialed.accommodations", ("student_usi", "plan_type", "plan_id", "accommodation_type",
                                        "accommodation_description", "subject", "setting", "frequency"), accs)
    for t, col in (("specialed.iep", "iep_id"), ("specialed.plan_504", "plan_504_id")):
        ctx.copier.sync_sequence(t, col)


def load_cafeteria(ctx: SeedContext) -> None:
    """Meal accounts whose balance is exactly the sum of their transactions (deposits positive,
    meals negative); free-meal students get $0.00 meal rows so meal counts stay complete."""
    rng, c = ctx.rng, ctx.copier
    plan_ids = {"Paid": 1, "Reduced": 2, "Free": 3}
    c.copy("cafeteria.meal_plans", ("meal_plan_id", "plan_name", "description", "daily_rate", "is_active"),
           [(i, name, f"{name} meals (lunch {PRICES[name][0]}, breakfast {PRICES[name][1]})", PRICES[name][0], True)
            for name, i in plan_ids.items()])
    ctx.copier.sync_sequence("cafeteria.meal_plans", "meal_plan_id")
    cashiers = [t["uid"] for t in ctx.staff if t["role"] == "Cafeteria cashier"]
    accounts = []

    def transactions():
        for s in ctx.students:
            r = rng.random()
            status = "Free" if r < 0.35 else "Reduced" if r < 0.45 else "Paid"
            lunch, breakfast = PRICES[status]
            balance = Decimal("0.00")
            if status != "Free":
                balance += Decimal("20.00")
                yield (s.usi, ctx.cal.first_day, time(7, 30), "Deposit", Decimal("20.00"), "Cash", balance, cashiers[0])
            for d in ctx.days:
                if ctx.absences.get((s.usi, d), "").endswith("Absence"):
                    continue
                if status != "Free" and balance < lunch * 2 and rng.random() < 0.7:
                    amount = Decimal(rng.choice(("20.00", "25.00", "40.00")))
                    balance += amount
                    yield (s.usi, d, time(7, 40), "Deposit", amount, rng.choice(("Cash", "Check", "Online")),
                           balance, cashiers[0])
                if rng.random() < 0.2:
                    balance -= breakfast
                    yield (s.usi, d, time(7, 50), "Breakfast", -breakfast, "Account", balance,
                           cashiers[s.usi % len(cashiers)])
                if rng.random() < 0.75:
                    balance -= lunch
                    yield (s.usi, d, time(11, 30 + s.grade * 2), "Lunch", -lunch, "Account", balance,
                           cashiers[s.usi % len(cashiers)])
            accounts.append((s.usi, plan_ids[status], ctx.cal.first_day, status, balance, True))

    c.copy("cafeteria.meal_transactions", ("student_usi", "transaction_date", "transaction_time", "meal_type",
                                           "amount", "payment_method", "account_balance", "cashier_id"),
           transactions(), bulk=True)
    c.copy("cafeteria.student_meal_plans", ("student_usi", "meal_plan_id", "effective_date", "free_reduced_status",
                                            "account_balance", "is_active"), accounts)


def load_transportation(ctx: SeedContext) -> None:
    rng, c = ctx.rng, ctx.copier
    n_routes = max(2, min(12, ctx.n_students // 120))
    routes = [(r + 1, f"Route {r + 1}", f"{N.STREETS[r % len(N.STREETS)]} corridor",
               f"{rng.choice(N.FIRST_NAMES_M)} {rng.choice(N.LAST_NAMES)}", f"CDL{rng.randrange(10**6):06d}",
               f"B{101 + r}", 72, True) for r in range(n_routes)]
    stops = []
    for r in range(n_routes):
        for k in range(8):
            sid = r * 8 + k + 1
            stops.append((sid, f"{N.STREETS[(r + k) % len(N.STREETS)]} & {N.STREETS[(r + 2 * k + 1) % len(N.STREETS)]}",
                          f"{N.CITY}, {N.STATE}", Decimal("30.2672") + Decimal(sid) / 1000,
                          Decimal("-97.7431") - Decimal(sid) / 1000, time(6 + (35 + k * 4) // 60, (35 + k * 4) % 60),
                          time(15, 30 + k * 3), True))
    c.copy("transportation.bus_routes", ("route_id", "route_number", "route_description", "driver_name",
                                         "driver_license_number", "bus_number", "capacity", "is_active"), routes)
    c.copy("transportation.bus_stops", ("stop_id", "stop_name", "address", "latitude", "longitude", "pickup_time",
                                        "dropoff_time", "is_active"), stops)
    riders = [0] * n_routes
    assignments = []
    for s in ctx.students:
        if rng.random() >= 0.45:
            continue
        r = s.family % n_routes
        if riders[r] >= 72 * 3:  # three schools' runs share a bus: capacity per run
            continue
        riders[r] += 1
        stop = r * 8 + s.family % 8 + 1
        assignments.append((s.usi, r + 1, stop, stop, ctx.cal.first_day, "Regular", True))
    c.copy("transportation.student_transportation", ("student_usi", "route_id", "pickup_stop_id", "dropoff_stop_id",
                                                     "effective_date", "transportation_category", "is_active"),
           assignments)
    for t, col in (("transportation.bus_routes", "route_id"), ("transportation.bus_stops", "stop_id")):
        ctx.copier.sync_sequence(t, col)


def load_activities(ctx: SeedContext) -> None:
    rng, c = ctx.rng, ctx.copier
    teachers = [t for t in ctx.staff if t["role"] == "Teacher" and t["school"] is not SCHOOLS[0]] or ctx.staff
    names = (("Chess Club", "Academic"), ("Robotics", "Academic"), ("Drama", "Arts"), ("Soccer", "Athletic"),
             ("Basketball", "Athletic"), ("Choir", "Arts"), ("Student Council", "Leadership"), ("Art Club", "Arts"))
    acts = []
    for i, (name, kind) in enumerate(names):
        adv = teachers[i % len(teachers)]
        acts.append((i + 1, name, kind, f"{name} for grades 6-12", f"{adv['first']} {adv['last']}", adv["usi"],
                     "Tuesdays 3:45-4:45 pm", f"Room {200 + i}", 40, Decimal("15.00"), True))
    c.copy("activities.activities", ("activity_id", "activity_name", "activity_type", "description", "advisor_name",
                                     "advisor_staff_usi", "meeting_schedule", "location", "max_participants",
                                     "registration_fee", "is_active"), acts)
    ctx.copier.sync_sequence("activities.activities", "activity_id")
    parts, counts = [], [0] * len(acts)
    for s in ctx.students:
        if s.grade >= 6 and rng.random() < 0.25:
            a = rng.randrange(len(acts))
            if counts[a] < 40:
                counts[a] += 1
                parts.append((s.usi, a + 1, ctx.cal.first_day + timedelta(days=14), "Member", "Active",
                              rng.random() < 0.8))
    c.copy("activities.student_activity_participation", ("student_usi", "activity_id", "join_date", "role",
                                                         "participation_status", "registration_paid"), parts)


def load_two_hour_learning(ctx: SeedContext) -> None:
    rng, c = ctx.rng, ctx.copier
    learners = [s for s in ctx.students if 1 <= s.grade <= 8 and s.usi % 5 == 0]
    recent = ctx.days[-10:]
    sessions, targets, mastery, maps, profiles = [], [], [], [], []
    for s in learners:
        for d in recent:
            if ctx.absences.get((s.usi, d), "").endswith("Absence"):
                continue
            for subj in ("math", "reading"):
                minutes = rng.randrange(15, 35)
                start = datetime.combine(d, time(9 if subj == "math" else 10, 0))
                acc = Decimal(str(round(rng.uniform(65, 98), 2)))
                sessions.append((s.uid, subj, d, start, start + timedelta(minutes=minutes), minutes, minutes >= 25,
                                 Decimal(str(round(rng.uniform(50, 95), 2))), acc, rng.randrange(1, 5), "Socratic"))
                targets.append((s.uid, d, subj, 25, 2, Decimal("80.0"), minutes, rng.randrange(1, 4), acc,
                                minutes >= 25 and acc >= 80))
        for subj in ("math", "reading"):
            for k in range(3):
                lvl = rng.randrange(3, 9)
                mastery.append((s.uid, subj, f"{subj}.g{s.grade}.skill{k + 1}", lvl, 8,
                                datetime.combine(recent[-1], time(10)) if lvl >= 8 and recent else None,
                                rng.randrange(3, 30), rng.randrange(30, 400),
                                Decimal(str(round(rng.uniform(60, 100), 2)))))
            fall_map = ctx.cal.first_day + timedelta(days=21)
            if fall_map < ctx.as_of:
                maps.append((s.uid, subj.capitalize(), fall_map, 160 + s.grade * 10 + rng.randrange(-15, 15),
                             rng.randrange(5, 99), rng.randrange(3, 12), Jsonb({"focus": ["fractions" if subj ==
                                                                                          "math" else "inference"]})))
        profiles.append((s.uid, rng.choice(("Visual", "Auditory", "Kinesthetic")), "Moderate", 25,
                         Jsonb({"badges": True}), Jsonb({"best_time": "morning"}), Jsonb({})))
    c.copy("two_hour_learning.ai_learning_sessions", ("student_id", "subject_id", "session_date", "start_time",
                                                      "end_time", "total_minutes", "target_achieved",
                                                      "mastery_percentage", "accuracy_percentage", "lesson_count",
                                                      "ai_tutor_type"), sessions)
    c.copy("two_hour_learning.daily_targets", ("student_id", "target_date", "subject_id", "target_minutes",
                                               "target_lessons", "target_accuracy", "actual_minutes",
                                               "actual_lessons", "actual_accuracy", "completed"), targets)
    c.copy("two_hour_learning.mastery_progress", ("student_id", "subject_id", "skill_id", "current_level",
                                                  "target_level", "mastery_date", "attempts_count",
                                                  "time_spent_minutes", "last_assessment_score"), mastery)
    c.copy("two_hour_learning.map_test_results", ("student_id", "subject", "test_date", "rit_score", "percentile",
                                                  "growth_projection", "instructional_areas"), maps)
    c.copy("two_hour_learning.personalization_profiles", ("student_id", "learning_style",
                                                          "preferred_difficulty_progression",
                                                          "optimal_session_length_minutes", "motivational_preferences",
                                                          "engagement_patterns", "knowledge_gaps"), profiles)


def load_oneroster(ctx: SeedContext) -> None:
    """OneRoster 1.2 rows mirroring the Ed-Fi district, with sourcedIds from the Ed-Fi keys."""
    c, sy = ctx.copier, ctx.school_year
    now = datetime.combine(ctx.as_of, time(0))
    district = orid.org_id(LEA_ID)
    c.copy("oneroster.orgs", ("sourced_id", "date_last_modified", "name", "type", "identifier", "parent_sourced_id"),
           [(district, now, "Riverbend Independent School District", "district", str(LEA_ID), None)]
           + [(orid.org_id(s.school_id), now, s.name, "school", str(s.school_id), district) for s in SCHOOLS])
    year_id = orid.school_year_session_id(sy)
    sessions = [(year_id, now, f"{sy - 1}-{sy} School Year", "schoolYear", ctx.cal.first_day, ctx.cal.last_day,
                 None, str(sy))]
    for s in SCHOOLS:
        for t in ctx.cal.terms:
            sessions.append((orid.session_id(s.school_id, sy, t.name), now, f"{s.short} {t.name}", "semester",
                             t.begin, t.end, year_id, str(sy)))
        for g in ctx.cal.grading_periods:
            sessions.append((orid.grading_period_id(s.school_id, sy, g.name), now, f"{s.short} {g.name}",
                             "gradingPeriod", g.begin, g.end, orid.session_id(s.school_id, sy, g.term_name), str(sy)))
    c.copy("oneroster.academic_sessions", ("sourced_id", "date_last_modified", "title", "type", "start_date",
                                           "end_date", "parent_sourced_id", "school_year"), sessions)
    course_rows = {}
    for sec in ctx.sections:
        course_rows[sec.course_code] = (orid.course_id(sec.course_code, LEA_ID), now, sec.title, year_id,
                                        sec.course_code, [orid.GRADE_CODES[GRADES[sec.grade]]], district)
    c.copy("oneroster.courses", ("sourced_id", "date_last_modified", "title", "school_year_sourced_id", "course_code",
                                 "grades", "org_sourced_id"), sorted(course_rows.values()))
    classes = []
    for sec in ctx.sections:
        classes.append((orid.class_id(sec.local_code, sec.school.school_id, sy, sec.ident, sec.session), now,
                        f"{sec.title} - {sec.ident}", sec.ident, "homeroom" if sec.period == "Homeroom" else "scheduled",
                        [orid.GRADE_CODES[GRADES[sec.grade]]], orid.course_id(sec.course_code, LEA_ID),
                        orid.org_id(sec.school.school_id), [orid.session_id(sec.school.school_id, sy, sec.session)],
                        [sec.period]))
    c.copy("oneroster.classes", ("sourced_id", "date_last_modified", "title", "class_code", "class_type", "grades",
                                 "course_sourced_id", "school_sourced_id", "term_sourced_ids", "periods"), classes)

    def users():
        for s in ctx.students:
            yield (orid.student_user_id(s.uid), now, True, s.uid, s.first, s.last, s.middle, s.uid,
                   [orid.GRADE_CODES[GRADES[s.grade]]], orid.org_id(s.school.school_id))
        for t in ctx.staff:
            yield (orid.staff_user_id(t["uid"]), now, True, t["uid"], t["first"], t["last"], None, t["uid"], None,
                   orid.org_id(t["school"].school_id))

    c.copy("oneroster.users", ("sourced_id", "date_last_modified", "enabled_user", "username", "given_name",
                               "family_name", "middle_name", "identifier", "grades", "primary_org_sourced_id"),
           users())
    roles = []
    for s in ctx.students:
        u, o = orid.student_user_id(s.uid), orid.org_id(s.school.school_id)
        roles.append((orid.role_id(u, o, "student"), now, u, "primary", "student", ctx.cal.first_day, o))
    for t in ctx.staff:
        u, o = orid.staff_user_id(t["uid"]), orid.org_id(t["school"].school_id)
        role = {"Teacher": "teacher", "Principal": "principal"}.get(t["role"], "siteAdministrator")
        roles.append((orid.role_id(u, o, role), now, u, "primary", role, ctx.cal.first_day, o))
    c.copy("oneroster.roles", ("sourced_id", "date_last_modified", "user_sourced_id", "role_type", "role",
                               "begin_date", "org_sourced_id"), roles)
    term_dates = {t.name: (t.begin, t.end) for t in ctx.cal.terms}
    staff_uid = {t["usi"]: t["uid"] for t in ctx.staff}

    def enrollments():
        for sec in ctx.sections:
            cls = orid.class_id(sec.local_code, sec.school.school_id, sy, sec.ident, sec.session)
            org = orid.org_id(sec.school.school_id)
            b, e = term_dates[sec.session]
            tu = orid.staff_user_id(staff_uid[sec.teacher_usi])
            yield (orid.enrollment_id(cls, tu), now, tu, cls, org, "teacher", True, b, e)
            for st in sec.students:
                u = orid.student_user_id(st.uid)
                yield (orid.enrollment_id(cls, u), now, u, cls, org, "student", False, b, e)

    c.copy("oneroster.enrollments", ("sourced_id", "date_last_modified", "user_sourced_id", "class_sourced_id",
                                     "school_sourced_id", "role", "primary_enrollment", "begin_date", "end_date"),
           enrollments())
    race_cols = {"American Indian or Alaska Native": 0, "Asian": 1, "Black or African American": 2,
                 "Native Hawaiian or Pacific Islander": 3, "White": 4}

    def demographics():
        for s in ctx.students:
            flags = [False] * 5
            if s.race in race_cols:
                flags[race_cols[s.race]] = True
            yield (orid.student_user_id(s.uid), now, s.birth, s.sex.lower(), *flags, False, s.hispanic, "US", N.STATE,
                   N.CITY)

    c.copy("oneroster.demographics", ("sourced_id", "date_last_modified", "birth_date", "sex",
                                      "american_indian_or_alaska_native", "asian", "black_or_african_american",
                                      "native_hawaiian_or_other_pacific_islander", "white",
                                      "demographic_race_two_or_more_races", "hispanic_or_latino_ethnicity",
                                      "country_of_birth_code", "state_of_birth_abbreviation", "city_of_birth"),
           demographics())
