"""`school-office-admin bench transport`: signed in as the demo transportation coordinator
(district-wide, row-level security on) in the bench district,

- stop suggestions (eligibility and the nearest AM and PM stop within the walking limit) for
  10,000 students, next to reading the same students' addresses, enrollments and grades in the
  same run: what the suggestions add on top of the reading they cannot avoid;
- a driver packet (the run's roster read and the PDF built) for a 60-rider run, next to a bare
  one-line reportlab page in the same run.
"""

from __future__ import annotations

import io
import random
import time
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import text

from app.bench.registry import Bench

COORDINATOR = "demo_transportation"


def bench_transport(engine, students: int = 10_000, packets: int = 7, seed: int = 13) -> dict:
    from reportlab.pdfgen import canvas

    from app.bench.bench_logins import login_engine, rls_active
    from app.bench.benches import open_bench_database
    from app.bench.report import summary_ms
    from app.errors import UserError
    from app.security.demo_logins import create_demo_logins
    from app.services.transport import common, lists, riders
    from reports import transport_packet

    bench = open_bench_database(engine)
    try:
        if COORDINATOR not in create_demo_logins(bench):
            raise UserError("The bench district has no transportation coordinator; run school-office-admin bench seed "
                            "again.")
        with bench.connect() as c:
            day = c.execute(text("SELECT max(ride_date) FROM transportation.ridership")).scalar() or date.today()
            day -= timedelta(days=max(0, day.isoweekday() - 5))  # a school day: Friday for a weekend
            enrolled = c.execute(text(f"SELECT studentusi FROM ({common.ENROLLMENT_ON}) e ORDER BY 1"),
                                 {"day": day}).scalars().all()
            # the run nearest 60 riders that day, at least 60 (a bench district's runs are fuller)
            run = c.execute(text(
                "SELECT l.run_id FROM transportation.rider_legs l WHERE l.day_of_week = :dow GROUP BY 1 "
                "HAVING count(*) >= 60 ORDER BY count(*), 1 LIMIT 1"), {"dow": day.isoweekday()}).scalar()
        if len(enrolled) < students or run is None:
            raise UserError(f"The bench district has {len(enrolled)} students enrolled and no bus riders to match; run "
                            "school-office-admin bench seed with at least 10,000 students.")
        sample = sorted(random.Random(seed).sample(enrolled, students))
        coordinator = login_engine(bench, COORDINATOR)
        try:
            with coordinator.connect() as c:
                rls = rls_active(c)
                read_q = text(f"SELECT e.studentusi, e.schoolid, e.grade, h.latitude, h.longitude FROM "
                              f"({common.ENROLLMENT_ON}) e LEFT JOIN ({common.HOME}) h ON h.studentusi = e.studentusi "
                              f"WHERE e.studentusi = ANY(:usis)")
                c.execute(read_q, {"day": day, "usis": sample}).all()  # warm both the same way
                reads, suggests = [], []
                for _ in range(3):
                    t = time.perf_counter()
                    rows = c.execute(read_q, {"day": day, "usis": sample}).all()
                    reads.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    found = riders.suggestions(c, day, sample)
                    suggests.append(time.perf_counter() - t)
                eligible = sum(1 for s in found if s.eligible)
                with_stop = sum(1 for s in found if s.am_stop_id)
                read_t, pdf_t = [], []
                for _ in range(packets):
                    t = time.perf_counter()
                    whole = lists.run_roster(c, run, day)
                    read_t.append(time.perf_counter() - t)
                    # the packet of a 60-rider run: the first 60 riders in stop order, their stops
                    roster = replace(whole, riders=whole.riders[:60],
                                     run=replace(whole.run, stops=tuple(s for s in whole.run.stops if s.stop_id in
                                                                        {r.stop_id for r in whole.riders[:60]})))
                    t = time.perf_counter()
                    pdf = transport_packet.build_packet(roster)
                    pdf_t.append(time.perf_counter() - t)
        finally:
            coordinator.dispose()
    finally:
        bench.dispose()
    bare = []
    for _ in range(packets):
        t = time.perf_counter()
        buf = io.BytesIO()
        page = canvas.Canvas(buf)
        page.drawString(72, 720, "Route 1 AM")
        page.showPage()
        page.save()
        bare.append(time.perf_counter() - t)
    read, sug, packet, baseline = summary_ms(reads), summary_ms(suggests), summary_ms(pdf_t), summary_ms(bare)
    return {"name": "transport", "login": COORDINATOR, "rls": rls, "day": day.isoformat(), "students": len(rows),
            "suggestions": sug, "eligible": eligible, "with_stop_within_walking_limit": with_stop,
            "baseline": f"reading the same {len(rows)} students' enrollment, grade and home position, as "
                        f"{COORDINATOR}, same run",
            "baseline_read": read, "ratio": round(sug["p50_ms"] / read["p50_ms"], 2) if read["p50_ms"] else None,
            "better": "lower",
            "packet": {**packet, "riders": len(roster.riders), "stops": len(roster.run.stops), "bytes": len(pdf)},
            "roster_read": {**summary_ms(read_t), "riders": len(whole.riders)},
            "packet_baseline": "a bare one-line reportlab page, same run", "packet_baseline_page": baseline,
            "packet_ratio": round(packet["p50_ms"] / baseline["p50_ms"], 1) if baseline["p50_ms"] else None}


BENCHES = {"transport": Bench(lambda p, a: bench_transport(p.engine))}
