"""`bench checkout`: the library desk's scan-to-committed checkout (a student's card and a copy
scanned, as at the self-check kiosk and over SIP2: the patron found, every rule checked, the loan
committed) as the librarian signed in with their own login (row-level security on), p50 next to a
committed single-row insert by the same login in the same run (goal <= 3x); and the MARC import's
records per second next to a raw COPY of the same rows (goal >= 0.25x; medians of three rounds).
goal_met follows the lead's baselines (session 6): the durable insert, the COPY into the catalogue.

Two single-row inserts are timed, interleaved with the checkouts: into an ordinary table (the
baseline of the ratio: its commit waits for the write-ahead log to reach the disk, as a
checkout's does) and into a temporary table (no WAL, so its commit never waits for the disk:
printed for comparison, it measures the round trip alone). Likewise two raw COPYs of the parsed
rows: into the catalogue tables themselves (the ratio's baseline: the keys, indexes, audit and
copy-count triggers any load of these rows pays) and into unindexed look-alike temporary tables.
What the bench lends is returned and what it imports is rolled back: the district is left as found."""

from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import Engine, text

from app.bench.registry import Bench

LIBRARIAN = "demo_librarian"
MARC_ROUNDS = 3


def _sign_in_librarian(conn, school: int) -> None:
    from app.security.demo_logins import DEMO_LOGINS, DEMO_PASSWORD
    from app.security.logins import create_staff_login

    staff = conn.execute(text(
        "SELECT w.staffusi FROM edfi.staffschoolassociation w "
        "LEFT JOIN edfi.staffeducationorganizationassignmentassociation a ON a.staffusi = w.staffusi "
        " AND a.educationorganizationid = w.schoolid "
        "WHERE w.schoolid = :s ORDER BY (a.positiontitle = 'Librarian') DESC NULLS LAST, w.staffusi LIMIT 1"),
        {"s": school}).scalar_one()
    create_staff_login(conn, LIBRARIAN, DEMO_PASSWORD, staff, DEMO_LOGINS[LIBRARIAN][0])


def run_checkout_bench(owner: Engine, samples: int = 200, warmup: int = 10, marc_records: int = 2000) -> dict:
    from app.bench.bench_logins import login_engine, rls_active
    from app.bench.cpu import CpuMeter, cpu_figures
    from app.bench.report import summary_ms
    from app.services.library import circulation as circ
    from app.services.library.marc_import import import_marc, parse_marc
    from app.services.library.marc_samples import make_record, sample_titles, to_binary
    from app.services.library.patrons import desk_school

    rng = random.Random(11)
    with owner.begin() as conn:
        school = conn.execute(text("SELECT school_id FROM library.items GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
                              ).scalar_one()
        _sign_in_librarian(conn, school)
        cards = conn.execute(text(
            "SELECT s.studentuniqueid FROM edfi.student s JOIN edfi.studentschoolassociation a USING (studentusi) "
            "WHERE a.schoolid = :s AND a.exitwithdrawdate IS NULL AND NOT EXISTS (SELECT 1 FROM library.checkouts k "
            "WHERE k.student_usi = s.studentusi AND k.return_date IS NULL AND k.due_date < current_date) "
            "ORDER BY s.studentusi"), {"s": school}).scalars().all()
        codes = conn.execute(text(
            "SELECT i.barcode FROM library.items i WHERE i.school_id = :s AND i.status = 'available' AND i.item_type = "
            "'book' AND NOT EXISTS (SELECT 1 FROM library.holds h WHERE h.resource_id = i.resource_id AND h.status "
            "IN ('waiting', 'ready')) ORDER BY i.item_id LIMIT :n"), {"s": school, "n": samples + warmup}).scalars().all()
        items = conn.execute(text("SELECT count(*) FROM library.items")).scalar_one()
        conn.execute(text("DROP TABLE IF EXISTS public.bench_checkout_row"))
        conn.execute(text("CREATE TABLE public.bench_checkout_row (id bigserial PRIMARY KEY, at timestamptz, note text)"))
        conn.execute(text(f"GRANT INSERT ON public.bench_checkout_row TO {LIBRARIAN}"))
        conn.execute(text(f"GRANT USAGE ON SEQUENCE public.bench_checkout_row_id_seq TO {LIBRARIAN}"))
    lib = login_engine(owner, LIBRARIAN)
    meter = CpuMeter(lib)
    scan_t, base_t, temp_t, lent, scan_cpu, base_cpu = [], [], [], [], [], []
    try:
        with lib.connect() as conn:
            rls = rls_active(conn)
            desk = desk_school(conn, school)
            conn.commit()
            conn.execute(text("CREATE TEMP TABLE bench_one_row (id bigserial PRIMARY KEY, at timestamptz, note text)"))
            conn.commit()
            for i, code in enumerate(codes):
                card = cards[i % len(cards)]
                done = []

                def checkout():
                    with conn.begin():
                        _, r = circ.check_out_card(conn, desk, card, code, request_id=circ.new_request_id(),
                                                   kiosk=True)
                    done.append(r.done)
                elapsed, elapsed_cpu = meter.measure(checkout)
                if done[0]:
                    lent.append(code)
                base, base_cpu_s = meter.measure(lambda: _insert(conn, "public.bench_checkout_row", code))
                temp, _ = meter.measure(lambda: _insert(conn, "bench_one_row", code))
                if i >= warmup:
                    scan_t.append(elapsed)
                    base_t.append(base)
                    temp_t.append(temp)
                    scan_cpu.append(elapsed_cpu)
                    base_cpu.append(base_cpu_s)
            with conn.begin():
                for code in lent:
                    circ.check_in(conn, desk, code)
            # MARC import: parse + load as the librarian, rolled back, next to a raw COPY of the same rows;
            # three rounds, interleaved, medians (one import of a few thousand records is one sample)
            titles = sample_titles(rng, marc_records, [(school, 9001)], start=900_000)
            data = to_binary([make_record(t) for t in titles])
            good, _ = parse_marc(data, "codabar14")
            import_s, copy_s, bare_s = [], [], []
            for _ in range(MARC_ROUNDS):
                tx = conn.begin()
                t = time.perf_counter()
                report = import_marc(conn, data, school, "codabar14")
                import_s.append(time.perf_counter() - t)
                tx.rollback()
                copy_s.append(_raw_copy(owner, good, school, into_catalogue=True))
                bare_s.append(_raw_copy(owner, good, school, into_catalogue=False))
    finally:
        lib.dispose()
        with owner.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS public.bench_checkout_row"))
    scan, base, temp = summary_ms(scan_t), summary_ms(base_t), summary_ms(temp_t)
    ratio = round(scan["p50_ms"] / base["p50_ms"], 2) if base["p50_ms"] else None
    import_rate = report.records_loaded / statistics.median(import_s)
    copy_rate = len(good) / statistics.median(copy_s)
    bare_rate = len(good) / statistics.median(bare_s)
    marc_ratio = round(import_rate / copy_rate, 3) if copy_rate else None
    return {"name": "checkout", "login": LIBRARIAN, "row_level_security": rls, "catalogue_copies": items,
            "checkouts_committed": len(lent), "scan_to_committed_checkout": scan,
            "baseline": "committed single-row insert into an ordinary table, same login, same run",
            "single_row_insert": base,
            "ratio_p50": ratio,
            "single_row_insert_temp_table": temp,
            "cpu": cpu_figures(meter, scan_cpu, base_cpu, "a checkout / a single-row insert"),
            "ratio_p50_vs_temp_table": round(scan["p50_ms"] / temp["p50_ms"], 2) if temp["p50_ms"] else None,
            "goal": "checkout p50 <= 3x the single-row insert; MARC import >= 0.25x raw COPY",
            # the lead's baselines (session 6): a durable committed insert; a COPY into the catalogue itself
            "goal_met": bool(ratio is not None and ratio <= 3 and marc_ratio is not None and marc_ratio >= 0.25),
            "goal_met_by_figure": {"checkout": ratio is not None and ratio <= 3,
                                   "marc_import": marc_ratio is not None and marc_ratio >= 0.25},
            "marc_import": {"records": report.records_loaded, "copies": report.copies_added,
                            "records_per_s": round(import_rate, 1), "rounds": MARC_ROUNDS,
                            "raw_copy_records_per_s": round(copy_rate, 1),
                            "baseline": "COPY of the same rows into library.resources and library.items (keys, "
                                        "indexes, audit and copy-count triggers on), same run, rolled back",
                            "ratio": marc_ratio,
                            "raw_copy_unindexed_records_per_s": round(bare_rate, 1),
                            "ratio_vs_unindexed": round(import_rate / bare_rate, 3) if bare_rate else None},
            "better": "lower"}


def _insert(conn, table: str, note: str) -> None:
    with conn.begin():
        conn.execute(text(f"INSERT INTO {table} (at, note) VALUES (now(), :n)"), {"n": note})


def _raw_copy(owner: Engine, good, school: int, into_catalogue: bool) -> float:
    """Seconds for a plain COPY of the same title and copy rows (as the owner, no parsing, no
    checks, rolled back): into the catalogue tables themselves (their keys, indexes, audit and
    copy-count triggers: the work any load of these rows does), or into unindexed look-alikes."""
    with owner.connect() as conn:
        tx = conn.begin()
        if into_catalogue:
            titles, copies = "library.resources", "library.items"
            first, k = conn.execute(text("SELECT (SELECT coalesce(max(resource_id), 0) + 1 FROM library.resources), "
                                         "(SELECT coalesce(max(item_id), 0) FROM library.items)")).one()
        else:
            titles, copies, first, k = "r_copy", "i_copy", 0, 0
            conn.execute(text("CREATE TEMP TABLE r_copy (LIKE library.resources) ON COMMIT DROP"))
            conn.execute(text("CREATE TEMP TABLE i_copy (LIKE library.items) ON COMMIT DROP"))
        cur = conn.connection.driver_connection.cursor()
        t = time.perf_counter()
        with cur.copy(f"COPY {titles} (resource_id, isbn, title, author, call_number, total_copies, available_copies) "
                      "FROM STDIN") as cp:  # counts given, as the import gives them: the trigger has nothing to change
            for n, (_, td) in enumerate(good):
                cp.write_row((first + n, td.isbn, td.title, td.author, td.call_number, len(td.copies), len(td.copies)))
        with cur.copy(f"COPY {copies} (item_id, resource_id, barcode, call_number, status, item_type, school_id, "
                      "status_changed_at, in_house_uses, created_at) FROM STDIN") as cp:
            for n, (_, td) in enumerate(good):
                for c in td.copies:
                    k += 1
                    cp.write_row((k, first + n, c.barcode, c.call_number, "available", c.item_type, school,
                                  "2026-01-01T00:00:00Z", 0, "2026-01-01T00:00:00Z"))
        seconds = time.perf_counter() - t
        tx.rollback()
    return seconds


def bench_checkout(platform, args) -> dict:
    from app.bench.benches import open_bench_database

    bench = open_bench_database(platform.engine)
    try:
        return run_checkout_bench(bench)
    finally:
        bench.dispose()


BENCHES = {"checkout": Bench(bench_checkout, needs_dynamo=False)}
