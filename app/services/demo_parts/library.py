"""The demo district's library: a catalogue of a few thousand titles made from MARC records this
project generates (app/services/library/marc_samples.py) and read back through the importer's
parser, copies with Codabar barcodes at each school, the rules matrix, a term of circulation
history, some overdues and holds, textbooks assigned to a few classes and a class set lent to
a teacher."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from app.domain.library_codes import codabar14
from app.services.library.marc_import import parse_marc
from app.services.library.marc_samples import make_record, sample_titles, to_binary

ORDER = 60
INSTITUTION = {1: 1001, 2: 1002, 3: 1003}  # Codabar institution code per demo school (RES, RMS, RHS)

# (school or None, patron category or None, item type or None, loan days, max items, renewals, holds, max overdue)
RULES = [
    (None, "K-2", None, 7, 2, 1, True, 0),
    (None, "3-5", None, 14, 3, 2, True, 0),
    (None, "9-12", None, 21, 5, 2, True, 1),
    (None, "staff", None, 28, 40, 5, True, 5),
    (None, None, "reference", 1, 0, 0, False, 0),
    (None, None, "textbook", 300, 10, 0, False, 99),
    (None, None, "class_set", 60, 0, 1, False, 0),
    (None, "staff", "class_set", 60, 10, 1, False, 5),
    (None, None, "dvd", 7, 1, 0, True, 0),
]


def _when(day, hour=10) -> datetime:
    return datetime.combine(day, time(hour, 15), tzinfo=timezone.utc)


def load(ctx) -> None:
    from app.services.demo_seed import SCHOOLS

    rng, c = ctx.rng, ctx.copier
    schools = [(s.school_id, INSTITUTION[i + 1]) for i, s in enumerate(SCHOOLS)]
    n_titles = max(600, min(4000, ctx.n_students * 2))
    titles = sample_titles(rng, n_titles, schools)
    good, bad = parse_marc(to_binary([make_record(t, marc8=(i % 25 == 0)) for i, t in enumerate(titles)]),
                           "codabar14")
    assert not bad, bad[:3]
    res_rows, item_rows = [], []
    item_school, item_res = [], []
    for rid, (_, t) in enumerate(good, start=1):
        res_rows.append((rid, t.isbn, t.title, t.author, t.publisher, t.year, t.resource_type, t.call_number,
                         "Stacks", 0, 0, t.audience, t.reading_program, t.control_number))
        for cp in t.copies:
            inst = int(cp.barcode[1:5])
            sid = next(s for s, i in schools if i == inst)
            item_rows.append([rid, cp.barcode, cp.call_number, cp.location, cp.item_type, cp.price, sid, "available"])
            item_school.append(sid)
            item_res.append(rid)
    # Textbooks and a class set at the high school, a reference shelf everywhere.
    rhs = SCHOOLS[2].school_id
    rid = len(res_rows)
    extra = [("Algebra 1: Concepts and Skills", "textbook", 30, "512 ALG"),
             ("Biology: The Living World", "textbook", 30, "570 BIO"),
             ("To Kill a Mockingbird (class set)", "class_set", 32, "FIC LEE"),
             ("World Atlas", "reference", 2, "R 912 WOR")]
    serial = 900_000
    for title, itype, n, call in extra:
        rid += 1
        res_rows.append((rid, None, title, None, "Riverbend Press", 2024, "Book", call, "Stacks", 0, 0, None, None,
                         None))
        for _ in range(n):
            serial += 1
            item_rows.append([rid, codabar14(3, 1003, serial), call, "Textbook room" if itype == "textbook" else
                              "Stacks", itype, 65, rhs, "available"])
            item_school.append(rhs)
            item_res.append(rid)
    textbook_ids = (rid - 3, rid - 2)
    class_set_id = rid - 1
    # A term of circulation: past loans returned, some open, some overdue; one open loan per copy.
    by_school: dict[int, list[int]] = {}
    for idx, sid in enumerate(item_school):
        if item_rows[idx][4] == "book":
            by_school.setdefault(sid, []).append(idx)
    out_now: set[int] = set()
    loans = []
    days = ctx.days or [ctx.as_of - timedelta(days=d) for d in range(1, 60)]
    librarian = {t["school"].school_id: t["uid"] for t in ctx.staff if t["role"] == "Librarian"}
    for s in ctx.students:
        sid = s.school.school_id
        pool = by_school.get(sid)
        if not pool or rng.random() > 0.6:
            continue
        for _ in range(rng.randint(1, 4)):
            idx = rng.choice(pool)
            out = rng.choice(days)
            loan_days = 7 if s.grade <= 2 else (21 if s.grade >= 9 else 14)
            due = out + timedelta(days=loan_days)
            back = out + timedelta(days=rng.randint(2, loan_days + 5))
            if back >= ctx.as_of and idx not in out_now and rng.random() < 0.5:
                back = None
                out_now.add(idx)
            elif back >= ctx.as_of:
                back = ctx.as_of - timedelta(days=1)
                if back < out:
                    continue
            late = max((back - due).days, 0) if back else None
            loans.append((s.usi, None, item_res[idx], idx, sid, out, due, back,
                          "Returned" if back else "Checked Out", librarian.get(sid), _when(out),
                          _when(back, 14) if back else None, late, sid if back else None))
    for idx in out_now:
        item_rows[idx][7] = "checked_out"
    # The class set: lent to an English teacher at the high school.
    teacher = next((t for t in ctx.staff if t.get("school") is SCHOOLS[2] and t["role"] == "Teacher"), None)
    if teacher is not None:
        set_items = [i for i, r in enumerate(item_rows) if r[0] == class_set_id][:28]
        for idx in set_items:
            item_rows[idx][7] = "checked_out"
            out = days[-10] if len(days) > 10 else days[0]
            loans.append((None, teacher["usi"], class_set_id, idx, rhs, out, out + timedelta(days=60), None,
                          "Checked Out", librarian.get(rhs), _when(out), None, None, None))
    # A few copies with a status other than available.
    for status in ("lost", "damaged", "missing", "claims_returned", "withdrawn", "not_for_loan"):
        for idx in rng.sample(range(len(item_rows)), 3):
            if item_rows[idx][7] == "available":
                item_rows[idx][7] = status
    c.copy("library.resources", ("resource_id", "isbn", "title", "author", "publisher", "publication_year",
                                 "resource_type", "call_number", "location", "total_copies", "available_copies",
                                 "audience", "reading_program", "control_number"), res_rows)
    c.sync_sequence("library.resources", "resource_id")
    c.copy("library.items", ("item_id", "resource_id", "barcode", "call_number", "location", "item_type", "price",
                             "school_id", "status"), [[i + 1, *r] for i, r in enumerate(item_rows)])
    c.sync_sequence("library.items", "item_id")
    c.copy("library.checkouts", ("student_usi", "staff_usi", "resource_id", "item_id", "school_id", "checkout_date",
                                 "due_date", "return_date", "checkout_status", "librarian_id", "checked_out_at",
                                 "returned_at", "days_late", "checkin_school_id"),
           [(su, tu, r, idx + 1, *rest) for su, tu, r, idx, *rest in loans], bulk=True)
    c.copy("library.settings", ("school_id", "barcode_scheme", "hold_shelf_days"),
           [(sid, "codabar14", 7) for sid, _ in schools])
    c.copy("library.loan_rules", ("school_id", "patron_category", "item_type", "loan_days", "max_items",
                                  "max_renewals", "holds_allowed", "max_overdue"), RULES)
    _holds(ctx, loans, item_res, item_school)
    _textbooks(ctx, textbook_ids)


def _holds(ctx, loans, item_res, item_school) -> None:
    """A few students wait for titles that are out."""
    rng = ctx.rng
    open_loans = [(r, sid, su) for su, tu, r, idx, sid, *rest in loans if su is not None and rest[2] is None]
    by_school = {}
    for s in ctx.students:
        by_school.setdefault(s.school.school_id, []).append(s.usi)
    rows = []
    for r, sid, borrower in rng.sample(open_loans, min(12, len(open_loans))):
        who = rng.choice(by_school[sid])
        if who != borrower:
            rows.append((r, who, sid, _when(ctx.as_of - timedelta(days=rng.randint(1, 10)), 9), "waiting"))
    ctx.copier.copy("library.holds", ("resource_id", "student_usi", "pickup_school_id", "placed_at", "status"), rows)


def _textbooks(ctx, textbook_ids) -> None:
    """The high school's first two math/science sections have assigned textbooks (no copies issued yet)."""
    from app.services.demo_seed import SCHOOLS

    picked = [s for s in ctx.sections if s.school is SCHOOLS[2] and s.students][:2]
    rows = [(rid, s.local_code, s.school.school_id, ctx.school_year, s.ident, s.session)
            for rid, s in zip(textbook_ids, picked)]
    ctx.copier.copy("library.textbook_assignments", ("resource_id", "localcoursecode", "schoolid", "schoolyear",
                                                     "sectionidentifier", "sessionname"), rows)
