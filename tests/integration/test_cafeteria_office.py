"""The cafeteria manager and office, as the demo cafeteria manager: voids, refunds and returned checks
as reversing entries, the over-limit list after sync, meal counts, the edit check, the monthly claim
PDF, low-balance notices once until a deposit, and a student's account history."""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.errors import UserError
from app.services.cafeteria import manager, office
from app.services.cafeteria.dto import DepositDraft, SaleDraft
from app.services.cafeteria.register import Register
from tests.integration.test_cafeteria_register import _T, at, item, students

pytestmark = pytest.mark.integration
RMS = 255950002


@pytest.fixture
def reg(login_engine, tmp_path):
    r = Register.open(login_engine("demo_cashier"), tmp_path, "RMS-OFFICE", clock=at(11, 45))
    yield r
    r.stop()


def owner(demo_engine, sql, **p):
    with demo_engine.connect() as c:
        return c.execute(text(sql), p).all()


def bal(demo_engine, usi):
    return owner(demo_engine, "SELECT account_balance FROM cafeteria.student_meal_plans WHERE student_usi = :s "
                 "AND is_active", s=usi)[0][0]


def test_voids_refunds_and_returned_checks_are_reversing_entries_by_a_manager(reg, login_engine, demo_engine):
    mgr, cashier = login_engine("demo_cafeteria_manager"), login_engine("demo_cashier")
    reg.open_till("20.00", str(uuid.uuid4()))
    kid = students(reg, eligibility="paid")[8]
    start = bal(demo_engine, kid["usi"])
    s = reg.record_sale(SaleDraft(str(uuid.uuid4()), kid["usi"], "lunch", (item(reg, "L200"), item(reg, "A300"))))
    dep = reg.record_deposit(DepositDraft(str(uuid.uuid4()), kid["usi"], "15.00", "check", "2231"))
    assert dep is not None
    reg.send_now()
    dep_id = owner(demo_engine, "SELECT sale_uuid::text FROM cafeteria.sales WHERE kind = 'deposit' AND student_usi = :s "
                   "ORDER BY sold_at DESC LIMIT 1", s=kid["usi"])[0][0]
    with pytest.raises(UserError, match="cafeteria manager|not among your schools"):
        manager.void_sale(cashier, s.sale_id, "wrong student", str(uuid.uuid4()))
    with pytest.raises(UserError, match="larger than what is left"):
        manager.refund_sale(mgr, s.sale_id, "9.99", "cookie was stale", str(uuid.uuid4()))
    rid = str(uuid.uuid4())
    manager.refund_sale(mgr, s.sale_id, "1.25", "cookie was stale", rid)
    manager.refund_sale(mgr, s.sale_id, "1.25", "cookie was stale", rid)  # a repeated submit: once
    with pytest.raises(UserError, match="refund the rest"):
        manager.void_sale(mgr, s.sale_id, "wrong student", str(uuid.uuid4()))
    manager.nsf_reversal(mgr, dep_id, "bank returned check 2231", str(uuid.uuid4()))
    with pytest.raises(UserError, match="already been voided"):
        manager.nsf_reversal(mgr, dep_id, "again", str(uuid.uuid4()))
    assert bal(demo_engine, kid["usi"]) == start - Decimal("4.35") + Decimal("1.25")
    kinds = owner(demo_engine, "SELECT kind, reverses_sale_uuid::text FROM cafeteria.sales WHERE reverses_sale_uuid IN "
                  "(CAST(:a AS uuid), CAST(:b AS uuid)) ORDER BY kind", a=s.sale_id, b=dep_id)
    assert kinds == [("nsf", dep_id), ("refund", s.sale_id)]
    # a void of a whole sale also takes its meal out of the count
    s2 = reg.record_sale(SaleDraft(str(uuid.uuid4()), students(reg, eligibility="paid")[9]["usi"], "breakfast",
                                   (item(reg, "B100"),)))
    reg.send_now()
    manager.void_sale(mgr, s2.sale_id, "rang up the wrong student", str(uuid.uuid4()))
    assert owner(demo_engine, "SELECT count(*) FROM cafeteria.meal_claims c JOIN cafeteria.meal_transactions t ON "
                 "t.transaction_id = c.transaction_id WHERE t.sale_uuid = CAST(:u AS uuid)", u=s2.sale_id) == [(0,)]
    assert any(r.sale_id == s2.sale_id and not r.reversible
               for r in manager.recent_sales(mgr, school_id=RMS, limit=1000))


def test_a_sale_decided_offline_past_the_limit_is_kept_and_listed(reg, login_engine, demo_engine):
    kid = students(reg, eligibility="paid", grade=8)[1]
    real = bal(demo_engine, kid["usi"])
    spend = real + Decimal("12.00")
    rows = int(spend / Decimal("1.00")) + 1
    kid["balance"] = str(real + Decimal("40.00"))  # a stale snapshot: it thinks there is more money
    done = reg.record_sale(SaleDraft(str(uuid.uuid4()), kid["usi"], "lunch", (item(reg, "A200"),) * rows,
                                     confirm_repeat=True))
    assert reg.send_now().held == 0  # applied, never refused
    listed = manager.over_limit_sales(login_engine("demo_cafeteria_manager"), school_id=RMS)
    assert any(r.sale_id == done.sale_id and r.balance < 0 for r in listed)


def test_counts_edit_check_claim_pdf_notices_and_history(login_engine, demo_engine):
    import pypdf

    mgr = login_engine("demo_cafeteria_manager")
    month = date(2026, 11, 1)
    counts = office.daily_meal_counts(mgr, RMS, month, date(2026, 11, 30))
    assert counts and {r.category for r in counts} <= {"free", "reduced", "paid"}
    assert sum(r.reimbursable for r in counts) > 100
    check = office.edit_check(mgr, RMS, month)
    assert check.rows and all(r.limit <= r.eligible for r in check.rows)
    pdf = office.monthly_claim_pdf(mgr, RMS, month)
    doc = pypdf.PdfReader(io.BytesIO(pdf))
    words = " ".join(p.extract_text() for p in doc.pages)
    assert "Claim for reimbursement" in words and "Riverbend Middle School" in words and "Edit check" in words
    day_pdf = office.meal_counts_pdf(mgr, RMS, date(2026, 11, 18))
    assert "Daily meal counts" in pypdf.PdfReader(io.BytesIO(day_pdf)).pages[0].extract_text()
    sent = office.send_low_balance_notices(mgr)
    assert sent > 0
    assert office.send_low_balance_notices(mgr) == 0  # once, until a deposit
    queued = owner(demo_engine, "SELECT count(*) FROM sync.dynamo_outbox WHERE target_table = 'NotificationQueue' "
                   "AND item ->> 'Type' = 'low_balance'")[0][0]
    assert queued >= sent
    someone = owner(demo_engine, "SELECT b.student_usi FROM cafeteria.balance_notices b WHERE cleared_at IS NULL "
                    "LIMIT 1")[0][0]
    history = office.student_history(mgr, someone)
    assert history.rows and history.balance < Decimal("5.00")
    with pytest.raises(UserError):
        office.student_history(login_engine("demo_cafeteria_manager"), 10**8)
