"""The database renews only what the desk would renew, and judges blocks as of today (migration 0064;
security review of session 7, LOW 3). Attacked the way a librarian with psql would: renewing past the
rules' max renewals, renewing a title another student waits for, renewing or lending for a patron
with too many overdue loans by back-dating the call. Each is refused in the sentences the desk shows;
an override needs a reason and is recorded under the librarian's login; the offline journal's
renewal lands once and a refusal on arrival goes to the review list."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.errors import UserError
from app.domain.library_rules import PATRON_CATEGORIES, decide_renewal, resolve_rule
from app.services.library import circulation as circ
from app.services.library import holds as H
from app.services.library import offline as OFF
from app.services.library.patrons import desk_school
from app.sync.journal_sender import JournalSender
from tests.integration.test_library_circulation import RHS, RMS, copies, lib, students  # noqa: F401
from tests.integration.test_library_lend_rules import _copy, _lend, shared_loan  # noqa: F401
from tests.integration.test_library_security import rms_librarian  # noqa: F401
from tests.integration.test_library_offline import free_copies, free_students, librarian, offline  # noqa: F401

pytestmark = pytest.mark.integration

RENEW = "SELECT library.renew_loan(CAST(:k AS bigint), CAST(:d AS date), NULL, CAST(:codes AS text[]), :why)"


def _renew(c, k, *, day=None, codes=None, why=None):
    return c.execute(text(RENEW), {"k": k, "d": day or date.today(), "codes": codes, "why": why}).scalar_one()


def _refusal(c, k, **kw) -> tuple[str, str | None]:
    """The database's refusal: its message and its detail (the blocks as [[code, sentence], ...])."""
    c.execute(text("SAVEPOINT try"))
    try:
        _renew(c, k, **kw)
    except DBAPIError as exc:
        c.execute(text("ROLLBACK TO SAVEPOINT try"))
        return exc.orig.diag.message_primary, exc.orig.diag.message_detail
    raise AssertionError(f"library.renew_loan renewed loan {k} with {kw}")


def _loan(c, k):
    return c.execute(text("SELECT due_date, renewal_count FROM library.checkouts WHERE checkout_id = :k"),
                     {"k": k}).one()


def _rule(c, p, item_type):
    return resolve_rule(circ.load_rules(c), RHS, p.category, item_type)


def test_renewing_past_the_rules_max_renewals_is_refused_in_the_desks_sentence(lib):
    p = students(lib, 1)[0]
    item_id, item_type = _copy(lib, copies(lib, 1)[0])
    k = _lend(lib, item_id, p.student_usi)
    allowed = _rule(lib, p, item_type).max_renewals
    for _ in range(allowed):
        _renew(lib, k)
    before = _loan(lib, k)
    assert before.renewal_count == allowed
    msg, _ = _refusal(lib, k)
    desk = decide_renewal(circ.load_rules(lib), date.today(), RHS, p.category, item_type, allowed, False, 0)
    assert msg == desk.blocks[0].message == f"Already renewed {allowed} time(s), {allowed} allowed."
    assert _loan(lib, k) == before  # not renewed
    # the desk shows the same sentence, and a kiosk cannot override it
    code = lib.execute(text("SELECT barcode FROM library.items WHERE item_id = :i"), {"i": item_id}).scalar()
    r = circ.renew(lib, desk_school(lib), p, code, kiosk=True,
                   override=circ.Override(frozenset({"too_many_renewals"}), "kiosk says so"))
    assert not r.done and [(b.code, b.message) for b in r.blocks] == [("too_many_renewals", msg)]
    assert _loan(lib, k) == before


def test_renewing_a_title_another_student_waits_for_is_refused(lib):
    desk = desk_school(lib)
    a, waiting = students(lib, 2)
    code = copies(lib, 1)[0]
    item_id, _ = _copy(lib, code)
    k = _lend(lib, item_id, a.student_usi)
    resource = lib.execute(text("SELECT resource_id FROM library.items WHERE item_id = :i"), {"i": item_id}).scalar()
    H.place_hold(lib, desk, waiting, resource)
    before = _loan(lib, k)
    msg, detail = _refusal(lib, k)
    assert msg == "Another patron is waiting for this title: it cannot be renewed."
    assert '"held_by_other"' in detail
    assert _loan(lib, k) == before
    # the hold cancelled, the loan renews
    lib.execute(text("UPDATE library.holds SET status = 'cancelled' WHERE resource_id = :r"), {"r": resource})
    assert _renew(lib, k) >= before.due_date and _loan(lib, k).renewal_count == before.renewal_count + 1


def test_a_librarian_overrides_a_renewal_block_only_with_a_reason_and_it_is_recorded(lib):
    desk = desk_school(lib)
    a, waiting = students(lib, 2)
    code = copies(lib, 1)[0]
    item_id, item_type = _copy(lib, code)
    k = _lend(lib, item_id, a.student_usi)
    resource = lib.execute(text("SELECT resource_id FROM library.items WHERE item_id = :i"), {"i": item_id}).scalar()
    H.place_hold(lib, desk, waiting, resource)
    assert _refusal(lib, k, codes=["held_by_other"], why=" ")[0] == "an override needs a reason"
    assert _refusal(lib, k, codes=["too_many_renewals"], why="class project")[0].startswith("Another patron is waiting")
    r = circ.renew(lib, desk, a, code)
    assert not r.done and [b.code for b in r.blocks] == ["held_by_other"]
    with pytest.raises(UserError, match="An override needs a reason"):
        circ.renew(lib, desk, a, code, override=circ.Override(frozenset({"held_by_other"}), "x"))
    r = circ.renew(lib, desk, a, code, override=circ.Override(frozenset({"held_by_other", "too_many_renewals"}),
                                                               "needs it for the exam"))
    assert r.done and r.due == date.today() + timedelta(days=_rule(lib, a, item_type).loan_days)
    # recorded: only the block the rules raised, with the reason, under the librarian's own login
    assert lib.execute(text("SELECT action, block_code, reason, approved_by FROM library.overrides "
                            "WHERE item_id = :i"), {"i": item_id}).all() == \
        [("renew", "held_by_other", "needs it for the exam", "demo_librarian")]


def test_overdue_loans_count_as_of_today_however_the_call_is_dated(lib):
    """A patron over the overdue limit: a renewal, a lend through library.lend and a one-call
    library.checkout, each back-dated 100 days (when none of those loans was overdue yet), are refused
    or lend nothing; before 0064 the back-dated lend and checkout went through without an override."""
    p = students(lib, 1)[0]
    rules = circ.load_rules(lib)
    overall = resolve_rule(rules, RHS, p.category, None)
    book = resolve_rule(rules, RHS, p.category, "book")
    codes = copies(lib, overall.max_overdue + 4)
    back = date.today() - timedelta(days=100)
    assert back + timedelta(days=book.loan_days) < date.today()  # a loan made that day is overdue now
    loans = [_lend(lib, _copy(lib, code)[0], p.student_usi, day=back) for code in codes[:overall.max_overdue + 1]]
    # the patron now has max_overdue + 1 overdue loans: renewing one leaves max_overdue others (allowed) ...
    _renew(lib, loans[0], day=back)
    # ... but one more loan, lent by the rules as of today, is blocked
    extra = _lend(lib, _copy(lib, codes[-3])[0], p.student_usi, codes=["too_many_overdue"], why="summer reading",
                  day=back)
    msg, detail = _refusal(lib, extra, day=back)
    assert msg == f"{overall.max_overdue + 1} overdue item(s): return them first."
    assert '"too_many_overdue"' in detail
    lib.execute(text("SAVEPOINT l"))
    with pytest.raises(DBAPIError, match=r"the rules block this loan \(too_many_overdue\)"):
        _lend(lib, _copy(lib, codes[-2])[0], p.student_usi, day=back)
    lib.execute(text("ROLLBACK TO SAVEPOINT l"))
    for day in (back, date(2019, 1, 2)):  # the one-call checkout lends nothing back-dated, or years ago
        f = lib.execute(text("SELECT library.checkout(NULL, :u, NULL, NULL, :b, gen_random_uuid(), :s, :d, now(), "
                             "'{}'::jsonb)"), {"u": p.student_usi, "b": codes[-1], "s": RHS, "d": day}).scalar_one()
        assert "lent" not in f and f["asof"] == date.today().isoformat()
    assert lib.execute(text("SELECT count(*) FROM library.checkouts WHERE item_id = :i AND return_date IS NULL"),
                       {"i": _copy(lib, codes[-1])[0]}).scalar() == 0
    # the desk counts the same way: a checkout back-dated 100 days shows the block, in the desk's sentence
    r = circ.check_out(lib, desk_school(lib), p, codes[-1], at=datetime.now(timezone.utc) - timedelta(days=100))
    assert not r.done and [b.code for b in r.blocks] == ["too_many_overdue"]


def test_the_databases_renewal_blocks_are_the_desks_on_every_case(demo_engine):
    """library.renewal_blocks (what renew_loan raises) and decide_renewal (what the offline desk raises)
    give the same codes and sentences for every patron category, item type, renewal count, hold and
    overdue count, under the demo district's rules."""
    with demo_engine.connect() as c:
        rules = circ.load_rules(c)
        types = sorted({r.item_type for r in rules if r.item_type} | {"book"})
        cases = list(itertools.product((RHS, RMS), PATRON_CATEGORIES, types, range(4), (False, True), range(6)))
        got = c.execute(text(
            "SELECT library.renewal_blocks(s, cat, t, n, h, o) FROM unnest(CAST(:s AS bigint[]), CAST(:cat AS text[]), "
            "CAST(:t AS text[]), CAST(:n AS int[]), CAST(:h AS boolean[]), CAST(:o AS int[])) AS x(s, cat, t, n, h, o)"),
            {k: [case[i] for case in cases] for i, k in enumerate(("s", "cat", "t", "n", "h", "o"))}).scalars().all()
    assert len(cases) > 400
    for case, blocks in zip(cases, got):
        desk = decide_renewal(rules, date.today(), *case)
        assert [tuple(b) for b in blocks] == [(b.code, b.message) for b in desk.blocks], case


@pytest.mark.parametrize("login", ["demo_cashier", "demo_nurse", "demo_teacher", "demo_front_office",
                                   "demo_registrar"])
def test_no_other_desk_renews_a_loan(login, login_engine):
    from tests.integration.test_security import denied

    assert denied(login_engine(login), "SELECT library.renew_loan(1, current_date, NULL, NULL, NULL)")


def test_the_renewal_blocks_function_is_the_databases_own(login_engine):
    from tests.integration.test_security import denied

    for login in ("demo_librarian", "demo_admin"):
        assert denied(login_engine(login), "SELECT library.renewal_blocks(1, '9-12', 'book', 0, false, 0)")
        # the request ids renewals used: renew_loan's own (a forged row would make a renewal skip)
        assert denied(login_engine(login), "SELECT request_id FROM library.renewal_requests")
        assert denied(login_engine(login), "INSERT INTO library.renewal_requests (request_id, checkout_id) "
                                           "SELECT gen_random_uuid(), checkout_id FROM library.checkouts LIMIT 1")


def test_an_offline_renewal_refused_on_arrival_is_reviewed_and_lands_once(librarian, offline):
    desk_off, journal, desk = offline
    with librarian.begin() as c:
        a, waiting = free_students(c, 2)
        code = free_copies(c, 1)[0]
        resource = c.execute(text("SELECT resource_id FROM library.items WHERE barcode = :b"), {"b": code}).scalar()
    t = datetime.now(timezone.utc) - timedelta(minutes=10)
    assert desk_off.check_out(a.key, code, t).done
    renewed = desk_off.renew(a.key, code, t + timedelta(minutes=5))
    assert renewed.done
    with librarian.begin() as c:  # meanwhile someone places a hold on the title
        H.place_hold(c, desk, waiting, resource)
    report = JournalSender(journal, librarian).send_pending()
    assert (report.applied, report.held, report.pending) == (2, 0, 0)
    entry = next(e for e in journal.all_entries() if e.kind == OFF.RENEW)
    with librarian.begin() as c:
        conflicts = [x for x in OFF.review_list(c, desk) if x.offline_side["barcode"] == code and x.action == "renew"]
        assert [x.kind for x in conflicts] == ["renewal_refused_now"]
        assert conflicts[0].server_side["problems"] == [
            {"code": "held_by_other", "message": "Another patron is waiting for this title: it cannot be renewed."}]
        k, count = c.execute(text("SELECT checkout_id, renewal_count FROM library.checkouts WHERE item_id = (SELECT "
                                  "item_id FROM library.items WHERE barcode = :b) AND return_date IS NULL"),
                             {"b": code}).one()
        assert count == 1  # the patron has the book till the date the desk told them
        assert c.execute(text("SELECT reason FROM library.overrides WHERE action = 'renew' AND item_id = (SELECT item_id "
                              "FROM library.items WHERE barcode = :b)"), {"b": code}).scalars().all() == \
            ["renewed offline at the desk"]
    with librarian.begin() as c:  # the same entry sent again: nothing more
        OFF.apply_renew(c, entry)
    with librarian.begin() as c:
        assert c.execute(text("SELECT renewal_count FROM library.checkouts WHERE checkout_id = :k"),
                         {"k": k}).scalar() == 1
        assert len([x for x in OFF.review_list(c, desk) if x.offline_side["barcode"] == code
                    and x.action == "renew"]) == 1


def test_an_older_renewal_sent_again_after_a_newer_one_renews_nothing(lib):
    """Review of session 8 (LOW): renew_loan remembered only the last request id, so an offline entry held
    and sent again after a newer renewal renewed a second time. Every request id renews once."""
    import uuid

    p = students(lib, 1)[0]
    item_id, _ = _copy(lib, copies(lib, 1)[0])
    k = _lend(lib, item_id, p.student_usi)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    call = text("SELECT library.renew_loan(CAST(:k AS bigint), current_date, CAST(:r AS uuid))")
    due1 = lib.execute(call, {"k": k, "r": first}).scalar_one()
    due2 = lib.execute(call, {"k": k, "r": second}).scalar_one()
    assert _loan(lib, k).renewal_count == 2
    assert lib.execute(call, {"k": k, "r": first}).scalar_one() == due2 >= due1  # the loan as it stands
    assert lib.execute(call, {"k": k, "r": second}).scalar_one() == due2
    assert _loan(lib, k).renewal_count == 2
    # a request id of one loan's renewal is not another loan's
    other_item, _ = _copy(lib, copies(lib, 2)[1])
    k2 = _lend(lib, other_item, p.student_usi)
    lib.execute(text("SAVEPOINT o"))
    with pytest.raises(DBAPIError, match="used by another renewal"):
        lib.execute(call, {"k": k2, "r": first})
    lib.execute(text("ROLLBACK TO SAVEPOINT o"))
    assert _loan(lib, k2).renewal_count == 0


def test_the_functions_pinned_to_the_district_zone_stay_pinned(demo_engine):
    """Review of session 8 (LOW 2): 0067's CREATE OR REPLACE of renew_loan dropped the district zone 0064
    pinned (a librarian's session zone decided its "today" again). Every function 0063/0064 pinned keeps a
    TimeZone, the same zone, at head."""
    pinned = ("library.renew_loan(bigint, date, uuid, text[], text)", "library.close_loan(bigint, date, timestamptz, text)",
              "library.lend(integer, integer, integer, bigint, date, date, timestamptz, uuid, bigint, bigint, boolean, "
              "text[], text)", "library.checkout(text, integer, integer, text, text, uuid, bigint, date, timestamptz, "
              "jsonb)", "library.checkout_facts(text, integer, integer, uuid)",
              "cafeteria.student_meal_eligibility(integer, date)")
    with demo_engine.connect() as c:
        zones = {f: c.execute(text("SELECT substr(x, length('TimeZone=') + 1) FROM pg_proc p, unnest(p.proconfig) x "
                                   "WHERE p.oid = CAST(:f AS regprocedure) AND strpos(x, 'TimeZone=') = 1"),
                              {"f": f}).scalar() for f in pinned}
    assert None not in zones.values(), zones
    assert len(set(zones.values())) == 1, zones


def test_another_schools_librarian_is_told_in_one_sentence_and_nothing_is_renewed(shared_loan, rms_librarian):
    """The middle school's librarian sees the high school's loan of a student they share, but the renewal is
    the lending school's: the desk says so in one sentence (no stack trace), and the loan is unchanged."""
    from app.services.library.patrons import student_patron

    with rms_librarian.connect() as c:
        tx = c.begin()
        usi, barcode, before = c.execute(text(
            "SELECT k.student_usi, i.barcode, k.renewal_count FROM library.checkouts k JOIN library.items i "
            "USING (item_id) WHERE k.checkout_id = :k"), {"k": shared_loan}).one()
        with pytest.raises(UserError, match=f"^Loan {shared_loan} is not one of your school's loans: nothing was "
                                            "renewed.$"):
            circ.renew(c, desk_school(c, RMS), student_patron(c, usi), barcode)
        tx.rollback()
    with rms_librarian.connect() as c:
        assert c.execute(text("SELECT renewal_count FROM library.checkouts WHERE checkout_id = :k"),
                         {"k": shared_loan}).scalar() == before
