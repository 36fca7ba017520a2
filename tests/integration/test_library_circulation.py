"""Library circulation as the demo librarian (RHS) against the demo district, every action in a
transaction rolled back afterwards: checkout blocks and warnings, overrides, check-in with
holds, transit and late returns, renewals, the holds queue, statuses, in-house use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services.library import circulation as circ
from app.services.library import holds as H
from app.services.library import items as I
from app.services.library.patrons import desk_school, find_patrons, patron_account, patron_by_card, student_patron

pytestmark = pytest.mark.integration
RHS, RMS = 255950003, 255950002


@pytest.fixture
def lib(login_engine):
    with login_engine("demo_librarian").connect() as c:
        tx = c.begin()
        yield c
        tx.rollback()


def students(c, n, school=RHS):
    """Students of `school` with no open loans and no holds."""
    return [student_patron(c, u) for u in c.execute(text(
        "SELECT a.studentusi FROM edfi.studentschoolassociation a WHERE a.schoolid = :s AND a.exitwithdrawdate IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM library.checkouts k WHERE k.student_usi = a.studentusi AND k.return_date IS NULL) "
        "AND NOT EXISTS (SELECT 1 FROM library.holds h WHERE h.student_usi = a.studentusi) "
        "ORDER BY a.studentusi LIMIT :n"), {"s": school, "n": n}).scalars()]


def copies(c, n, school=RHS, item_type="book", one_per_title=True):
    rows = c.execute(text(
        "SELECT DISTINCT ON (i.resource_id) i.barcode FROM library.items i WHERE i.school_id = :s "
        "AND i.status = 'available' AND i.item_type = :t AND NOT EXISTS (SELECT 1 FROM library.holds h "
        "WHERE h.resource_id = i.resource_id AND h.status IN ('waiting', 'ready')) ORDER BY i.resource_id, i.item_id "
        "LIMIT :n"), {"s": school, "t": item_type, "n": n}).scalars().all()
    return rows


def two_copies_of_one_title(c):
    return c.execute(text(
        "SELECT array_agg(i.barcode ORDER BY i.item_id) FROM library.items i WHERE i.school_id = :s "
        "AND i.status = 'available' AND i.item_type = 'book' AND NOT EXISTS (SELECT 1 FROM library.holds h "
        "WHERE h.resource_id = i.resource_id) GROUP BY i.resource_id HAVING count(*) >= 2 LIMIT 1"),
        {"s": RHS}).scalar()


def codes(problems):
    return sorted(p.code for p in problems)


def test_checkout_and_checkin_move_the_copy_and_the_titles_counts(lib):
    desk = desk_school(lib)
    assert desk.school_id == RHS and desk.barcode_scheme == "codabar14"
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    rid = lib.execute(text("SELECT resource_id FROM library.items WHERE barcode = :b"), {"b": code}).scalar()
    before = lib.execute(text("SELECT available_copies FROM library.resources WHERE resource_id = :r"), {"r": rid}).scalar()
    done = circ.check_out(lib, desk, p, code)
    assert done.done and done.due == datetime.now(timezone.utc).astimezone().date() + timedelta(days=21)  # 9-12 rule
    assert lib.execute(text("SELECT status FROM library.items WHERE barcode = :b"), {"b": code}).scalar() == "checked_out"
    assert lib.execute(text("SELECT available_copies FROM library.resources WHERE resource_id = :r"),
                       {"r": rid}).scalar() == before - 1
    assert [loan.barcode for loan in patron_account(lib, p).loans] == [code]
    back = circ.check_in(lib, desk, code)
    assert back.was_out and back.days_late == 0 and back.route == "shelve" and back.borrower
    assert lib.execute(text("SELECT status FROM library.items WHERE barcode = :b"), {"b": code}).scalar() == "available"
    assert patron_account(lib, p).loans == ()


def test_a_repeated_checkout_request_lends_once(lib):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    rid = circ.new_request_id()
    first = circ.check_out(lib, desk, p, code, request_id=rid)
    again = circ.check_out(lib, desk, p, code, request_id=rid)
    assert first.done and again.repeated and again.checkout_id == first.checkout_id
    assert len(patron_account(lib, p).loans) == 1


def test_too_many_items_blocks_and_an_override_needs_a_reason_and_is_audited(lib):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    codes6 = copies(lib, 6)
    for code in codes6[:5]:
        assert circ.check_out(lib, desk, p, code).done
    blocked = circ.check_out(lib, desk, p, codes6[5])
    assert not blocked.done and codes(blocked.blocks) == ["too_many_items"]
    with pytest.raises(UserError, match="needs a reason"):
        circ.check_out(lib, desk, p, codes6[5], override=circ.Override(frozenset({"too_many_items"}), " "))
    kiosk = circ.check_out(lib, desk, p, codes6[5], override=circ.Override(frozenset({"too_many_items"}), "project"),
                           kiosk=True)
    assert not kiosk.done  # the self-check kiosk never overrides
    done = circ.check_out(lib, desk, p, codes6[5], override=circ.Override(frozenset({"too_many_items"}),
                                                                            "Research project"))
    assert done.done
    row = lib.execute(text("SELECT block_code, reason, approved_by FROM library.overrides WHERE student_usi = :u"),
                      {"u": p.student_usi}).one()
    assert row == ("too_many_items", "Research project", "demo_librarian")
    # the override is in the audit trail as the librarian's insert (read as the owner would; the librarian may not)
    assert lib.execute(text("SELECT has_table_privilege('compliance.audit_logs', 'SELECT')")).scalar() is False


def test_overdue_items_block_checkout(lib):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    old = datetime.now(timezone.utc) - timedelta(days=40)
    c1, c2, c3 = copies(lib, 3)
    assert circ.check_out(lib, desk, p, c1, at=old).done
    assert circ.check_out(lib, desk, p, c2, at=old).done
    blocked = circ.check_out(lib, desk, p, c3)
    assert codes(blocked.blocks) == ["too_many_overdue"] and "2 overdue" in blocked.blocks[0].message


@pytest.mark.parametrize("status", ["lost", "damaged", "missing", "claims_returned", "withdrawn", "not_for_loan"])
def test_a_copy_that_is_not_for_loan_is_blocked(lib, status):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    info = I.set_item_status(lib, desk, code, status, "shelf check")
    assert info.status == status
    assert codes(circ.check_out(lib, desk, p, code).blocks) == ["not_loanable"]


def test_reference_copies_and_other_schools_copies_are_blocked(lib):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    ref = copies(lib, 1, item_type="reference")[0]
    assert codes(circ.check_out(lib, desk, p, ref).blocks) == ["type_not_allowed"]
    theirs = copies(lib, 1, school=RMS)[0]
    assert codes(circ.check_out(lib, desk, p, theirs).blocks) == ["other_school"]


def test_a_copy_still_out_to_another_student_warns_then_is_returned_and_reissued(lib):
    desk = desk_school(lib)
    a, b = students(lib, 2)
    code = copies(lib, 1)[0]
    assert circ.check_out(lib, desk, a, code).done
    warned = circ.check_out(lib, desk, b, code)
    assert not warned.done and codes(warned.warnings) == ["out_to_other"] and warned.blocks == ()
    assert a.name.split(", ")[1] in warned.warnings[0].message
    done = circ.check_out(lib, desk, b, code, override=circ.Override(frozenset({"out_to_other"})))
    assert done.done
    assert patron_account(lib, a).loans == () and len(patron_account(lib, b).loans) == 1


def test_checkin_traps_the_first_hold_prints_a_slip_and_lends_to_that_student(lib):
    desk = desk_school(lib)
    a, first, second = students(lib, 3)
    code = copies(lib, 1)[0]
    rid = lib.execute(text("SELECT resource_id FROM library.items WHERE barcode = :b"), {"b": code}).scalar()
    assert circ.check_out(lib, desk, a, code).done
    h1 = H.place_hold(lib, desk, first, rid)
    h2 = H.place_hold(lib, desk, second, rid)
    assert (h1.position, h2.position) == (1, 2)
    # renewing is refused while someone waits for the title
    renewed = circ.renew(lib, desk, a, code)
    assert not renewed.done and codes(renewed.blocks) == ["held_by_other"]
    back = circ.check_in(lib, desk, code)
    assert back.hold_slip is not None and back.hold_slip.patron_name.endswith(first.name.split(", ")[0])
    assert back.route == "hold shelf"
    assert lib.execute(text("SELECT status FROM library.items WHERE barcode = :b"), {"b": code}).scalar() == "on_hold_shelf"
    warned = circ.check_out(lib, desk, second, code)
    assert codes(warned.warnings) == ["on_hold_other"]
    assert circ.check_out(lib, desk, first, code).done
    assert lib.execute(text("SELECT status FROM library.holds WHERE hold_id = :h"), {"h": h1.hold_id}).scalar() == "filled"
    assert [x.position for x in patron_account(lib, second).holds] == [1]


def test_renewal_extends_the_due_date_once_per_request(lib):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    out = circ.check_out(lib, desk, p, code, at=datetime.now(timezone.utc) - timedelta(days=10))
    rid = circ.new_request_id()
    r1 = circ.renew(lib, desk, p, code, request_id=rid)
    r2 = circ.renew(lib, desk, p, code, request_id=rid)
    assert r1.done and r1.due > out.due and r2.due == r1.due
    assert patron_account(lib, p).loans[0].renewals == 1


def test_late_checkin_is_noted(lib):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    circ.check_out(lib, desk, p, code, at=datetime.now(timezone.utc) - timedelta(days=30))
    back = circ.check_in(lib, desk, code)
    assert back.days_late == 9 and any("9 day(s) late" in n for n in back.notes)
    assert lib.execute(text("SELECT checkout_status, days_late FROM library.checkouts WHERE item_id = "
                            "(SELECT item_id FROM library.items WHERE barcode = :b) ORDER BY checkout_id DESC LIMIT 1"),
                       {"b": code}).one() == ("Returned late", 9)


def test_a_copy_of_another_school_checked_in_here_goes_in_transit(lib, demo_engine):
    desk = desk_school(lib)
    with demo_engine.connect() as owner:
        code, loan = owner.execute(text(
            "SELECT i.barcode, c.checkout_id FROM library.items i JOIN library.checkouts c ON c.item_id = i.item_id "
            "AND c.return_date IS NULL WHERE i.school_id = :s AND c.student_usi IS NOT NULL LIMIT 1"),
            {"s": RMS}).one()
    back = circ.check_in(lib, desk, code)
    assert back.transit_to == "Riverbend Middle School" and back.was_out and back.borrower is None
    assert back.route == "in transit to Riverbend Middle School"
    assert lib.execute(text("SELECT status, transit_to_school_id FROM library.items WHERE barcode = :b"),
                       {"b": code}).one() == ("in_transit", RMS)


def test_holds_pull_list_and_expiry(lib):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    rid = lib.execute(text("SELECT resource_id FROM library.items WHERE barcode = :b"), {"b": code}).scalar()
    H.place_hold(lib, desk, p, rid, not_needed_after=datetime.now().date() - timedelta(days=1))
    assert code in [x.barcode for x in H.pull_list(lib, desk)]
    with pytest.raises(UserError, match="already has a hold"):
        H.place_hold(lib, desk, p, rid)
    assert H.expire_holds(lib, desk) >= 1
    assert code not in [x.barcode for x in H.pull_list(lib, desk)]


def test_in_house_use_is_counted(lib):
    desk = desk_school(lib)
    code = copies(lib, 1)[0]
    assert I.record_in_house_use(lib, desk, code) == 1
    assert I.record_in_house_use(lib, desk, code) == 2
    assert I.item_info(lib, code).in_house_uses == 2


def test_patrons_by_name_and_card(lib):
    p = students(lib, 1)[0]
    assert patron_by_card(lib, p.card).student_usi == p.student_usi
    last = p.name.split(", ")[0]
    assert p.student_usi in [x.student_usi for x in find_patrons(lib, last)]
    assert p.category == "9-12"


def test_a_withdrawn_students_open_loans_stay_visible_to_the_librarian(lib, demo_engine):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    code = copies(lib, 1)[0]
    assert circ.check_out(lib, desk, p, code).done
    # the front office withdraws the student (an update of the enrollment, as the desk does it)
    with demo_engine.connect() as owner:
        tx = owner.begin()
        owner.execute(text("UPDATE edfi.studentschoolassociation SET exitwithdrawdate = current_date "
                           "WHERE studentusi = :u"), {"u": p.student_usi})
        n = owner.execute(text("SELECT count(*) FROM compliance.student_scope WHERE studentusi = :u"),
                          {"u": p.student_usi}).scalar()
        tx.rollback()
    assert n >= 1  # the scope row that keeps the student visible survives the withdrawal
    assert [loan.barcode for loan in patron_account(lib, p).loans] == [code]


def test_fines_are_off_by_default_and_a_school_that_turns_them_on_charges_late_returns(lib):
    desk = desk_school(lib)
    p = students(lib, 1)[0]
    a, b = copies(lib, 2)
    month_ago = datetime.now(timezone.utc) - timedelta(days=30)
    circ.check_out(lib, desk, p, a, at=month_ago)
    back = circ.check_in(lib, desk, a)
    assert back.days_late == 9 and "fine" not in " ".join(back.notes)
    lib.execute(text("INSERT INTO library.loan_rules (school_id, patron_category, item_type, loan_days, max_items, "
                     "max_renewals, holds_allowed, max_overdue, fine_per_day) VALUES (:s, '9-12', NULL, 21, 5, 2, true, "
                     "1, 0.25)"), {"s": RHS})
    circ.check_out(lib, desk, p, b, at=month_ago)
    back = circ.check_in(lib, desk, b)
    assert "Returned 9 day(s) late: fine $2.25." in back.notes
    fines = dict(lib.execute(text("SELECT i.barcode, c.fine FROM library.checkouts c JOIN library.items i USING (item_id) "
                                  "WHERE i.barcode IN (:a, :b) AND c.return_date IS NOT NULL "
                                  "AND c.checked_out_at > now() - interval '31 days'"), {"a": a, "b": b}).all())
    assert fines == {a: None, b: Decimal("2.25")}
