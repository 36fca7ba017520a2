"""The witness of a controlled-substance count is a staff member who signed it from their own session
(migration 0035): attacked as a nurse with psql, who tries to forge a witness, reuse a token, or cite
a token signed for another nurse or another count. Each refusal is the database's."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.nurse_witness import WITNESS, staff_login, token_for
from tests.integration.test_security import denied, run
from tests.integration.test_security_attacks import refused

pytestmark = pytest.mark.integration
RES = 255950001
ORDER = ("SELECT medication_id, student_usi, school_id, count_on_hand FROM health.medications "
         "WHERE is_controlled AND school_id = :s AND count_on_hand > 2 ORDER BY medication_id LIMIT 1")
COUNT = ("INSERT INTO health.controlled_counts (medication_id, student_usi, school_id, kind, quantity, expected, "
         "on_hand_after, counted_by, witness, witness_token, witness_staff_usi) VALUES (:m, :u, :s, :k, :q, :e, 0, "
         "compliance.my_staff_usi(), 'R. Banks', :tok, :ws) RETURNING count_id, witness, witness_staff_usi")


def _order(c):
    return c.execute(text(ORDER), {"s": RES}).one()


def _count(c, o, kind: str, quantity, token, *, expected=None, forged_witness=None):
    return c.execute(text(COUNT), {"m": o.medication_id, "u": o.student_usi, "s": o.school_id, "k": kind,
                                   "q": quantity, "e": expected, "tok": token, "ws": forged_witness}).one()


def _refused(c, match: str, fn, *args, **kw) -> None:
    with pytest.raises(DBAPIError) as err:
        with c.begin_nested():
            fn(*args, **kw)
    assert match in str(err.value.orig), str(err.value.orig)


def _staff(c, login: str) -> tuple[int, str]:
    return c.execute(text("SELECT staffusi, firstname || ' ' || lastsurname FROM edfi.staff WHERE loginid = :l"),
                     {"l": login}).one()


@pytest.fixture(scope="module")
def second_nurse(login_engine, demo_engine):
    """Another nurse of the same elementary school, with her own sign-in."""
    with demo_engine.connect() as c:
        staff = c.execute(text(
            "SELECT w.staffusi FROM edfi.staffschoolassociation w JOIN edfi.staff st ON st.staffusi = w.staffusi "
            "WHERE w.schoolid = :s AND (st.loginid IS NULL OR st.loginid NOT LIKE 'demo%') "
            "ORDER BY w.staffusi LIMIT 1"), {"s": RES}).scalar()
    with staff_login(demo_engine, "t_nurse_res2", "res-nurse-password-2", staff) as eng:
        yield eng


def test_a_nurse_alone_cannot_forge_a_witness(login_engine):
    nurse = login_engine("demo_nurse")
    with nurse.connect() as c, c.begin():
        o = _order(c)
        # no token, or one nobody signed: refused for a count, a receipt, a sign-out, a return and waste alike
        for kind, expected in (("counted", None), ("received", None), ("trip_out", None), ("trip_in", 1),
                               ("wasted", None)):
            _refused(c, "cites its witness's token", _count, c, o, kind, 1, None, expected=expected)
        _refused(c, "no witness signed this token", _count, c, o, "counted", 1, str(uuid.uuid4()))
        # she cannot witness her own count, nor write or read the tokens herself
        _refused(c, "someone other than the person counting", c.execute, text(
            "SELECT health.sign_witness('counted', 1, 'demo_nurse', :m, NULL, NULL)"), {"m": o.medication_id})
        # a token she signs as witness for a colleague's count is not hers to cite
        mine = c.execute(text("SELECT health.sign_witness('counted', 1, :w, :m, NULL, NULL)"),
                         {"w": WITNESS, "m": o.medication_id}).scalar()
        _refused(c, "signed for someone else's count", _count, c, o, "counted", 1, mine)
        c.rollback()
    assert denied(nurse, "SELECT * FROM health.witness_tokens")
    assert denied(nurse, "INSERT INTO health.witness_tokens (witness_staff_usi, witness_login, for_login, school_id, "
                         "student_usi, kind, quantity, expires_at) SELECT staffusi, 'demo_front_office', 'demo_nurse', "
                         f"{RES}, 1, 'counted', 1, now() + interval '1 hour' FROM edfi.staff LIMIT 1")
    # a teacher of another school cannot witness the elementary school's count
    with nurse.connect() as c:
        o = _order(c)
        with pytest.raises(Exception, match="does not work at the school"):
            token_for(c, "counted", 1, o.medication_id, login="demo_teacher")


def test_the_witness_is_who_signed_whatever_the_nurse_writes(login_engine):
    nurse = login_engine("demo_nurse")
    with nurse.connect() as c, c.begin():
        o = _order(c)
        clerk, clerk_name = _staff(c, WITNESS)
        someone = c.execute(text("SELECT min(staffusi) FROM edfi.staff WHERE staffusi NOT IN (:a, "
                                 "compliance.my_staff_usi())"), {"a": clerk}).scalar()
        row = _count(c, o, "counted", o.count_on_hand, token_for(c, "counted", o.count_on_hand, o.medication_id),
                     forged_witness=someone)
        assert (row.witness, row.witness_staff_usi) == (f"{clerk_name} ({WITNESS})", clerk)
        c.rollback()


def test_a_witness_token_is_used_once_and_expires(login_engine, demo_engine):
    nurse = login_engine("demo_nurse")
    with nurse.connect() as c, c.begin():
        o = _order(c)
        token = token_for(c, "counted", o.count_on_hand, o.medication_id)
        _count(c, o, "counted", o.count_on_hand, token)
        _refused(c, "already used", _count, c, o, "counted", o.count_on_hand, token)
        c.rollback()
    with nurse.connect() as c, c.begin():
        o = _order(c)
        token = token_for(c, "counted", o.count_on_hand, o.medication_id)
        with demo_engine.begin() as owner:  # eleven minutes later
            owner.execute(text("UPDATE health.witness_tokens SET expires_at = now() - interval '1 minute' "
                               "WHERE token = :t"), {"t": token})
        _refused(c, "has expired", _count, c, o, "counted", o.count_on_hand, token)
        c.rollback()


def test_a_token_is_cited_only_by_its_nurse_for_its_count(login_engine, second_nurse):
    nurse = login_engine("demo_nurse")
    with second_nurse.connect() as other:  # the clerk witnesses a count of the other nurse's
        theirs = token_for(other, "counted", 3, _order(other).medication_id)
    with nurse.connect() as c, c.begin():
        o = _order(c)
        _refused(c, "signed for someone else's count", _count, c, o, "counted", 3, theirs)
        # her own token, cited for another quantity, another kind or another order
        token = token_for(c, "counted", 3, o.medication_id)
        _refused(c, "signed for a different count", _count, c, o, "counted", 4, token)
        _refused(c, "signed for a different count", _count, c, o, "wasted", 3, token)
        other_order = c.execute(text(
            "SELECT medication_id, student_usi, school_id, count_on_hand FROM health.medications WHERE is_controlled "
            "AND school_id = :s AND medication_id <> :m ORDER BY medication_id LIMIT 1"),
            {"s": RES, "m": o.medication_id}).one()
        _refused(c, "signed for a different count", _count, c, other_order, "counted", 3, token)
        assert _count(c, o, "counted", 3, token).witness_staff_usi is not None  # the right count takes it
        c.rollback()
    assert refused(second_nurse, "SELECT count(*) FROM health.witness_tokens", "permission denied")


def test_only_staff_roles_sign_and_the_administrator_reads_the_tokens(login_engine):
    assert run(login_engine("demo_admin"), "SELECT count(*) FROM health.witness_tokens")[0][0] >= 0
    for login in ("demo_teacher", "demo_cashier", "demo_front_office"):
        assert denied(login_engine(login), "SELECT * FROM health.witness_tokens"), login


NEW_ORDER = ("INSERT INTO health.medications (student_usi, medication_name, strength, start_date, school_id, "
             "is_controlled, dose_amount, dose_unit, created_at) VALUES (:u, :n, :st, current_date, :s, true, 1, "
             "'tablet', now() - interval '3 days') RETURNING medication_id, student_usi, school_id, count_on_hand")


def test_a_new_orders_receipt_token_is_cited_only_for_that_order_as_the_witness_saw_it(login_engine):
    """Review of session 6, LOW 1: the token of a new order's supply names the drug the witness was shown,
    and only the order written in the same transaction, with no counts yet, may cite it."""
    nurse = login_engine("demo_nurse")
    with nurse.connect() as c, c.begin():
        o = _order(c)  # an order with counts already
        new = {"student_usi": o.student_usi, "school_id": o.school_id}
        token = token_for(c, "received", 5, None, medication_label="Lorazepam 0.5 mg", **new)
        _refused(c, "supply of a new order", _count, c, o, "received", 5, token)
        # a different drug written now is not what the witness saw
        other = c.execute(text(NEW_ORDER), {"u": o.student_usi, "s": o.school_id, "n": "Oxycodone", "st": "5 mg"}).one()
        _refused(c, "supply of a new order", _count, c, other, "received", 5, token)
        # an order of the student with no counts, written before this transaction, is not the new order
        old = c.execute(text(
            "SELECT medication_id, student_usi, school_id, count_on_hand FROM health.medications m WHERE school_id = :s "
            "AND NOT EXISTS (SELECT 1 FROM health.controlled_counts k WHERE k.medication_id = m.medication_id) "
            "AND medication_id <> :n ORDER BY medication_id LIMIT 1"), {"s": o.school_id, "n": other.medication_id}).one()
        label = c.execute(text("SELECT concat_ws(' ', medication_name, nullif(strength, '')) FROM health.medications "
                               "WHERE medication_id = :m"), {"m": old.medication_id}).scalar()
        stale = token_for(c, "received", 5, None, medication_label=label, student_usi=old.student_usi,
                          school_id=old.school_id)
        _refused(c, "supply of a new order", _count, c, old, "received", 5, stale)
        # the order the witness saw, written in this transaction (its forged creation time is the server's)
        right = c.execute(text(NEW_ORDER), {"u": o.student_usi, "s": o.school_id, "n": "Lorazepam", "st": "0.5 mg"}).one()
        assert _count(c, right, "received", 5, token).witness_staff_usi is not None
        c.rollback()
    with login_engine(WITNESS).connect() as c:  # a new-order token names the medication
        with pytest.raises(DBAPIError, match="a witness signs for one order"):
            c.execute(text("SELECT health.sign_witness('received', 5, 'demo_nurse', NULL, 93, :s, NULL)"), {"s": RES})
