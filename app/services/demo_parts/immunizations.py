"""Immunization compliance's part of the demo district: the Texas K-12 requirement set, and doses given
at the ages the CDC schedule recommends (the core seed spaces every dose 300 days apart, which no
child gets), plus the adolescent and hepatitis A doses Texas asks for, so the compliance reports show
a believable mix: most students compliant, some in progress, some behind.

Runs after the nurse's part (ORDER 40), which maps the core rows to CVX codes.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from app.domain.cdsi.dates import add_duration
from app.services.immunizations.compliance import refresh_school, refresh_students
from app.services.immunizations.requirements import load_example_set

ORDER = 45

# vaccine as the core seed names it -> the recommended age of dose 1, 2, ...
SCHEDULE = {
    "DTaP": ("2 months", "4 months", "6 months", "15 months", "4 years"),
    "IPV (Polio)": ("2 months", "4 months", "6 months", "4 years"),
    "MMR": ("12 months", "4 years"),
    "Hepatitis B": ("0 days", "1 month", "6 months"),
    "Varicella": ("12 months", "4 years"),
}
CVX = {"DTaP": "20", "IPV (Polio)": "10", "MMR": "03", "Hepatitis B": "08", "Varicella": "21"}
EXTRA = (("Hepatitis A", "83", ("12 months", "18 months"), 0.93),
         ("Tdap", "115", ("11 years",), 0.9),
         ("Meningococcal ACWY", "136", ("11 years",), 0.9))


def _visits(rng, birth: date) -> dict[str, date]:
    """The day of each well-child visit: the recommended age plus a delay that only grows (a family that
    falls behind stays behind), so every interval is at least the recommended one."""
    ages = ("0 days", "1 month", "2 months", "4 months", "6 months", "12 months", "15 months", "18 months",
            "4 years", "11 years")
    late, out = 0, {}
    for age in ages:
        late += rng.choice((0, 0, 0, 2, 5, 9, 20))
        out[age] = add_duration(birth, age) + timedelta(days=late)
    return out


def load(ctx) -> None:
    rng, conn = ctx.rng, ctx.copier.conn
    load_example_set(conn, ctx.school_year)
    visits = {s.usi: _visits(rng, s.birth) for s in ctx.students}
    rows = conn.execute(text("SELECT immunization_id, student_usi, vaccine_type, dose_number "
                             "FROM health.immunizations ORDER BY immunization_id")).all()
    moved, gone = [], []
    for r in rows:
        ages = SCHEDULE.get(r.vaccine_type)
        days = visits.get(r.student_usi)
        if ages is None or days is None or not (1 <= (r.dose_number or 0) <= len(ages)):
            continue
        when = days[ages[r.dose_number - 1]]
        if rng.random() < 0.01:
            when -= timedelta(days=12)  # now and then a dose given too early, which does not count
        if when > ctx.as_of:
            gone.append(r.immunization_id)
        else:
            moved.append({"id": r.immunization_id, "d": when, "cvx": CVX[r.vaccine_type]})
    if moved:  # one statement, not one per dose (a minute at 10,000 students); the load's audit entry covers it
        with ctx.copier.unaudited("health.immunizations"):
            conn.execute(text(
                "UPDATE health.immunizations i SET date_administered = m.d, cvx_code = coalesce(i.cvx_code, m.cvx) "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:ds AS date[]), CAST(:cvx AS text[])) AS m(id, d, cvx) "
                "WHERE i.immunization_id = m.id"),
                {"ids": [m["id"] for m in moved], "ds": [m["d"] for m in moved], "cvx": [m["cvx"] for m in moved]})
    if gone:
        conn.execute(text("DELETE FROM health.immunizations WHERE immunization_id = ANY(:ids)"), {"ids": gone})
    # most families of a child the core seed left a dose short have caught up since (about 1 in 10 stays short)
    have = dict(((r.student_usi, r.vaccine_type), r.n) for r in conn.execute(text(
        "SELECT student_usi, vaccine_type, count(*) AS n FROM health.immunizations GROUP BY 1, 2")))
    # ... but not those the nurse gave a provisional enrollment or an exemption (the nurse's demo part)
    waiting = set(conn.execute(text("SELECT student_usi FROM health.provisional_enrollments UNION "
                                    "SELECT student_usi FROM health.immunization_exemptions")).scalars())
    extra = []
    for s in ctx.students:
        for name, ages in SCHEDULE.items():
            given = have.get((s.usi, name), 0)
            if given < len(ages) and s.usi not in waiting and rng.random() < 0.75:
                for k in range(given + 1, len(ages) + 1):
                    when = visits[s.usi][ages[k - 1]]
                    if when <= ctx.as_of:
                        extra.append((s.usi, name, k, when, "Riverbend Pediatrics", f"LOT{rng.randrange(10**5):05d}",
                                      CVX[name]))
        for name, cvx, ages, share in EXTRA:
            if rng.random() >= share:
                continue
            for k, age in enumerate(ages, 1):
                when = visits[s.usi][age]
                if when <= ctx.as_of:
                    extra.append((s.usi, name, k, when, "Riverbend Pediatrics", f"LOT{rng.randrange(10**5):05d}", cvx))
    ctx.copier.copy("health.immunizations", ("student_usi", "vaccine_type", "dose_number", "date_administered",
                                             "administered_by", "lot_number", "cvx_code"), extra)
    # the statuses the nurse desk and the reports read, as of the demo's day; a benchmark-sized district
    # leaves them to the first view (or `school-office-admin immunizations refresh`)
    if len(ctx.students) <= 3000:
        for school_id in sorted({s.school.school_id for s in ctx.students}):
            refresh_school(conn, school_id, ctx.as_of)
            _provisional_examples(conn, school_id, ctx.as_of)


def _provisional_examples(conn, school_id: int, day: date) -> None:
    """Three students short of a dose at each school catch up on a provisional enrollment: two in time,
    one whose deadline passed last week (the exclusion list shows them)."""
    short = conn.execute(text(
        "SELECT student_usi, array_agg(vaccine_group) AS groups FROM health.immunization_statuses "
        "WHERE school_id = :s AND status = 'not_compliant' GROUP BY student_usi ORDER BY student_usi LIMIT 3"),
        {"s": school_id}).all()
    for (usi, groups), deadline in zip(short, (day + timedelta(days=25), day + timedelta(days=45),
                                               day - timedelta(days=7))):
        conn.execute(text(
            "INSERT INTO health.provisional_enrollments (student_usi, school_id, vaccine_groups, starts_on, deadline, "
            "note) VALUES (:u, :s, :g, :start, :d, 'Catching up with the family doctor')"),
            {"u": usi, "s": school_id, "g": sorted(set(groups)), "start": day - timedelta(days=60), "d": deadline})
    if short:
        refresh_students(conn, [r.student_usi for r in short], day)
